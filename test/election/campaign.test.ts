import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim, MARGIN, TTL } from './sim';

async function three(o: { nopreempt?: boolean } = {}): Promise<Sim> {
  const s = new Sim();
  s.add('a', 150, o);
  s.add('b', 120, o);
  s.add('c', 100, o);
  const at = await s.until(['a'], 2000);
  assert.ok(at !== undefined, `a holds (history ${JSON.stringify(s.history)})\n${s.logs.join('\n')}`);
  return s;
}

describe('election campaign on an in-memory etcd (virtual clock)', () => {
  test('the highest-priority candidate holds, alone, and keeps holding across renewals', async () => {
    const s = await three();
    await s.run(5 * TTL);
    assert.deepEqual(s.holders(), ['a']);
    assert.equal(s.overlaps.length, 0);
    assert.equal(s.history.filter((h) => h.holders.includes('a')).length, 1, 'no flap');
    assert.ok(s.hosts.get('a')!.holder.grants >= 5, 'renewed at every keepalive');
    await s.stopAll();
  });

  test('holder crash: the next one holds within TTL + 1 s (lease expiry, lessor loop, campaign)', async () => {
    const s = await three();
    await s.run(700);
    const t0 = s.clock.now();
    s.crash('a');
    const at = await s.until(['b'], 3 * TTL);
    assert.ok(at !== undefined, 'b takes over');
    assert.ok(at - t0 <= TTL + 1000, `takeover ${at - t0} ms`);
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });

  test('holder cut off from etcd: it drops the VIP before anyone else adds it', async () => {
    const s = await three();
    await s.run(500);
    const t0 = s.clock.now();
    s.hosts.get('a')!.client.partitioned = true;
    const at = await s.until(['b'], 3 * TTL);
    assert.ok(at !== undefined, 'b takes over');
    const dropped = s.history.find((h) => h.at > t0 && !h.holders.includes('a'))!.at;
    assert.ok(dropped - t0 <= TTL - MARGIN, `a dropped ${dropped - t0} ms after the cut, within TTL - margin`);
    assert.ok(at - dropped >= MARGIN, `gap ${at - dropped} ms between the drop and the new holder`);
    assert.equal(s.overlaps.length, 0);
    // It rejoins: b keeps the VIP (same rank rules), a is a candidate again.
    s.hosts.get('a')!.client.partitioned = false;
    await s.run(2 * TTL);
    assert.equal(s.overlaps.length, 0);
    assert.equal(s.holders().length, 1);
    await s.stopAll();
  });

  test('quorum lost: every holder drops within TTL - margin; quorum back: exactly one holds again', async () => {
    const s = await three();
    await s.run(400);
    const t0 = s.clock.now();
    s.etcd.quorum = false;
    await s.run(TTL);
    const dropped = s.history.find((h) => h.at > t0 && h.holders.length === 0)!.at;
    assert.ok(dropped - t0 <= TTL - MARGIN, `dropped ${dropped - t0} ms after quorum loss`);
    await s.run(3 * TTL);
    assert.deepEqual(s.holders(), []);
    s.etcd.restoreQuorum();
    const at = await s.until(['a'], 3 * TTL);
    assert.ok(at !== undefined, 'one holder after quorum returns');
    await s.run(2 * TTL);
    assert.deepEqual(s.holders(), ['a']);
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });

  test('preemption: a higher-priority candidate takes over after its preempt_delay; equal priority never preempts', async () => {
    const s = new Sim();
    s.add('b', 120);
    s.add('c', 100);
    assert.ok(await s.until(['b'], 2000));
    s.add('a', 150, { preemptDelayMs: 1500 });
    const t0 = s.clock.now();
    const at = await s.until(['a'], 4 * TTL);
    assert.ok(at !== undefined, 'a preempts');
    assert.ok(at - t0 >= 1500, `not before preempt_delay (${at - t0} ms)`);
    assert.ok(at - t0 <= 1500 + TTL, `soon after it (${at - t0} ms)`);
    s.add('d', 150);
    await s.run(2 * TTL);
    assert.deepEqual(s.holders(), ['a'], 'equal priority does not preempt');
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });

  test('nopreempt: a returning higher-priority candidate stays a follower', async () => {
    const s = new Sim();
    s.add('b', 120, { nopreempt: true });
    assert.ok(await s.until(['b'], 2000));
    s.add('a', 150, { nopreempt: true });
    await s.run(3 * TTL);
    assert.deepEqual(s.holders(), ['b']);
    // ...until the holder goes: then the best one takes it.
    await s.stop('b');
    assert.ok(await s.until(['a'], 1000), 'a takes over after b resigns');
    await s.stopAll();
  });

  test('priority from trackers: the holder falling below a preempting candidate resigns', async () => {
    const s = await three();
    s.set('a', { priority: 110 });
    assert.ok(await s.until(['b'], 2 * TTL), 'b (120) takes over from a (110)');
    s.set('a', { priority: 150 });
    assert.ok(await s.until(['a'], 2 * TTL), 'a preempts again');
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });

  test('FAULT: the holder resigns at once, recovery makes it a candidate again', async () => {
    const s = await three();
    s.set('a', { fault: true });
    const t0 = s.clock.now();
    const at = await s.until(['b'], TTL);
    assert.ok(at !== undefined && at - t0 < 200, `b holds ${at! - t0} ms after a's fault`);
    s.set('a', { fault: false });
    assert.ok(await s.until(['a'], 2 * TTL), 'a preempts after recovery');
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });

  test('stop (SIGTERM): resign and revoke, the next one holds within a few round trips, not a TTL', async () => {
    const s = await three();
    await s.run(300);
    const t0 = s.clock.now();
    await s.stop('a');
    const at = await s.until(['b'], TTL);
    assert.ok(at !== undefined && at - t0 < 100, `handover in ${at! - t0} ms`);
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });

  test('a leader key deleted by hand while its holder is cut off: the new holder waits for the old lease', async () => {
    const s = await three();
    await s.run(500);
    s.hosts.get('a')!.client.partitioned = true;
    const t0 = s.clock.now();
    s.etcd.del('/kts/VI_1/leader');
    const at = await s.until(['b'], 3 * TTL);
    assert.ok(at !== undefined, 'b holds eventually');
    assert.ok(at - t0 >= TTL - 700, `b waited for a's lease (${at - t0} ms)`);
    assert.equal(s.overlaps.length, 0);
    await s.stopAll();
  });
});
