/** The loop-delay window (src/daemon/loop-delay.ts), fed from outside as the VRRP process's clock feeds it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopDelayMonitor } from '../../src/daemon/loop-delay';

test('with resolution 0 it has no timer of its own: the lateness recorded is what it shows', async () => {
  const m = new LoopDelayMonitor('vrrp', 30_000, 0);
  assert.equal(m.view().samples, 0, 'nothing sampled by itself');
  for (let i = 0; i < 99; i++) m.record(0.2);
  m.record(12);
  const v = m.view();
  assert.equal(v.samples, 100);
  assert.ok(v.maxMs >= 11.9 && v.maxMs <= 12.1, `max ${v.maxMs}`);
  assert.ok(v.p50Ms >= 0.19 && v.p50Ms <= 0.21, `p50 ${v.p50Ms}`);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(m.view().samples, 100, 'and still no timer of its own');
  m.stop();
});
