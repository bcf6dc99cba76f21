import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECK_DURATION_BUCKETS_MS, CheckDurations, timedProbe } from '../../../src/daemon/checker-process/check-durations';
import type { ProbeSpec } from '../../../src/check/types';

const spec = { type: 'TCP_CHECK' } as unknown as ProbeSpec;
const opts = { signal: new AbortController().signal, timeoutMs: 1000 };

test('check durations: cumulative buckets, sum, count and the last run, as Prometheus reads a histogram', () => {
  const d = new CheckDurations();
  assert.equal(d.lastMs, undefined);
  for (const ms of [3, 5, 7.5, 120, 20_000]) d.record(ms);
  const v = d.view();
  assert.deepEqual(v.bucketsMs, CHECK_DURATION_BUCKETS_MS);
  const at = (le: number) => v.counts[CHECK_DURATION_BUCKETS_MS.indexOf(le)];
  assert.equal(at(5), 2, '3 and 5 ms are <= 5 ms (le is inclusive)');
  assert.equal(at(10), 3);
  assert.equal(at(100), 3);
  assert.equal(at(250), 4);
  assert.equal(at(10000), 4, '20 s is above the last bound: only in count');
  assert.equal(v.count, 5);
  assert.equal(v.sumMs, 20_135.5);
  assert.equal(d.lastMs, 20_000);
});

test('timedProbe times synchronous, asynchronous, failed and throwing probes with the given clock', async () => {
  let now = 1000;
  const d = new CheckDurations();
  const sync = timedProbe(() => { now += 4; return { ok: true, detail: 'connected' }; }, d, () => now);
  assert.deepEqual(sync(spec, opts), { ok: true, detail: 'connected' });
  assert.equal(d.lastMs, 4);
  const later = timedProbe(() => new Promise((r) => setImmediate(() => { now += 300; r({ ok: false, detail: 'timeout' }); })), d, () => now);
  assert.deepEqual(await later(spec, opts), { ok: false, detail: 'timeout' });
  assert.equal(d.lastMs, 300);
  const rejects = timedProbe(() => Promise.reject(new Error('boom')).finally(() => { now += 2; }), d, () => now);
  await assert.rejects(Promise.resolve(rejects(spec, opts)), /boom/);
  assert.equal(d.lastMs, 2);
  const throws = timedProbe(() => { now += 1; throw new Error('sync boom'); }, d, () => now);
  assert.throws(() => throws(spec, opts), /sync boom/);
  assert.equal(d.lastMs, 1);
  assert.equal(d.view().count, 4);
  assert.equal(d.view().sumMs, 307);
});
