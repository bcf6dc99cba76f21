/**
 * The steady-state fast path (src/vrrp/instance.ts enterAbsorb /
 * applyAdvertTimer, the fake LAN's copy of the C code): a BACKUP hands its
 * master's identical adverts to the transport, a MASTER its own; the state
 * machine takes them in before anything else happens. The equivalence with
 * the plain path over random schedules is a property in
 * test/vrrp/sim/property.test.ts; these are the cases by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VrrpSim, vipFor } from '../../src/net/fake/sim';
import type { FakeTransport } from '../../src/net/fake/lan';
import { decodeAdvert } from '../../src/vrrp/codec';

const sim2 = (fastPath: boolean) =>
  new VrrpSim({
    fastPath,
    routers: [
      { name: 'a', host: 1, instance: { priority: 150 } },
      { name: 'b', host: 2, instance: { priority: 100 } },
    ],
    defaults: { version: 3, advertIntervalMs: 100 },
  });

/** Adverts as another host on the LAN sees them (time, source, decoded). */
function listen(sim: VrrpSim) {
  const seen: { at: number; src: string; addresses: string[]; priority: number }[] = [];
  const ear = sim.lan.addNode('ear', { 4: '192.0.2.99' }).transport(4);
  ear.onPacket((p) => {
    const r = decodeAdvert(p.data, { family: 4, src: p.src, dst: p.dst, ttl: p.ttl });
    if (r.ok) seen.push({ at: sim.clock.now(), src: p.src, addresses: r.advert.addresses, priority: r.advert.priority });
  });
  return seen;
}

describe('the steady-state fast path', () => {
  it('a steady BACKUP absorbs its master\'s adverts (they never reach the state machine) and counts every one', () => {
    const sim = sim2(true);
    sim.advance(5000);
    assert.deepEqual(sim.states(), { a: 'MASTER', b: 'BACKUP' });
    const bt = (sim.instance('b') as unknown as { transport: FakeTransport }).transport;
    const before = bt.absorbedCount;
    sim.advance(1000);
    assert.ok(bt.absorbedCount - before >= 9, `absorbed ${bt.absorbedCount - before} of 10 adverts in 1 s`);
    const a = sim.instance('a').status().counters;
    const b = sim.instance('b').status().counters;
    assert.equal(b.advert_rcvd, a.advert_sent, 'every advert the master sent is counted by the backup');
  });

  it('the master silent: the backup takes over exactly Master_Down_Interval after the last advert, as without the fast path', () => {
    const takeover = (fastPath: boolean) => {
      const sim = sim2(fastPath);
      sim.advance(5000);
      const seen = listen(sim);
      sim.advance(1000);
      sim.crash('a');
      sim.advance(1000);
      const last = seen.filter((s) => s.src === '192.0.2.1').pop()!.at;
      return sim.firstTransition((t) => t.router === 'b' && t.to === 'MASTER')!.at - last;
    };
    const slow = takeover(false);
    assert.equal(takeover(true), slow);
    assert.ok(Math.abs(slow - (300 + (156 * 100) / 256)) < 0.01, `takeover ${slow} ms after the last advert arrived (MDI 360.9 ms)`);
  });

  it('a repeating MASTER keeps the configured period on the wire', () => {
    const sim = sim2(true);
    sim.advance(5000);
    const seen = listen(sim);
    sim.advance(2000);
    const times = seen.filter((s) => s.src === '192.0.2.1').map((s) => s.at);
    assert.ok(times.length >= 19);
    for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], 100);
  });

  it('a reload that changes the VIPs of a repeating MASTER: the next advert carries the new list', () => {
    const sim = sim2(true);
    sim.advance(5000);
    const seen = listen(sim);
    sim.advance(300);
    const vip2 = vipFor(77, 4);
    sim.instance('a').updateAddresses([vipFor(1, 4), vip2], []);
    const t0 = sim.clock.now();
    sim.advance(300);
    const after = seen.filter((s) => s.src === '192.0.2.1' && s.at > t0);
    assert.ok(after.length >= 2);
    for (const s of after) assert.deepEqual(s.addresses, ['198.51.100.1', '198.51.100.77']);
    assert.equal(sim.states().a, 'MASTER');
  });

  it('a priority change on a repeating MASTER leaves the fast path: adverts carry the new priority at once', () => {
    const sim = sim2(true);
    sim.advance(5000);
    const seen = listen(sim);
    sim.advance(300);
    sim.instance('a').setTracker('t', { weight: 10, failed: false });
    const t0 = sim.clock.now();
    sim.advance(300);
    const after = seen.filter((s) => s.src === '192.0.2.1' && s.at > t0);
    assert.ok(after.length >= 2 && after.every((s) => s.priority === 160), JSON.stringify(after.map((s) => s.priority)));
  });

  it('a fast path that refuses (throws) leaves the instance on its JS timers: the takeover still happens on time', () => {
    const sim = sim2(true);
    const bt = (sim.instance('b') as unknown as { transport: { fastPath: { absorb: unknown; repeat: unknown } } }).transport;
    bt.fastPath.absorb = () => {
      throw new Error('no absorb here');
    };
    sim.advance(5000);
    assert.deepEqual(sim.states(), { a: 'MASTER', b: 'BACKUP' });
    const seen = listen(sim);
    sim.advance(500);
    sim.crash('a');
    sim.advance(1000);
    const last = seen.filter((s) => s.src === '192.0.2.1').pop()!.at;
    const t = sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER')!.at - last;
    assert.ok(Math.abs(t - (300 + (156 * 100) / 256)) < 0.01, `takeover ${t} ms after the last advert`);
  });
});
