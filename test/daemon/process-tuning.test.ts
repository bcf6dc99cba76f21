import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RTTIME_US, DEFAULT_VRRP_RT_PRIORITY, tuningFor } from '../../src/daemon/process-tuning';

const g = (other: Record<string, string[]>) => ({ other });

test('unset: the VRRP process runs realtime at priority 1 with RLIMIT_RTTIME (ours); the checker process at normal priority (keepalived)', () => {
  assert.deepEqual(tuningFor('vrrp', g({})).tuning, { noSwap: false, cpus: undefined, nice: undefined, rtPriority: DEFAULT_VRRP_RT_PRIORITY, rttimeUs: DEFAULT_RTTIME_US });
  assert.deepEqual(tuningFor('checker', g({})).tuning, { noSwap: false, cpus: undefined, nice: undefined });
});

test("keepalived's keywords: vrrp_rt_priority, vrrp_rlimit_rttime, vrrp_no_swap, vrrp_cpu_affinity; checker_* alike", () => {
  const t = tuningFor('vrrp', g({ vrrp_rt_priority: ['20'], vrrp_rlimit_rttime: ['50000'], vrrp_no_swap: [], vrrp_cpu_affinity: ['0', '1'] }));
  assert.deepEqual(t, { tuning: { noSwap: true, cpus: [0, 1], nice: undefined, rtPriority: 20, rttimeUs: 50000 }, warnings: [] });
  assert.deepEqual(tuningFor('checker', g({ checker_rt_priority: ['5'] })).tuning.rtPriority, 5);
});

test('vrrp_priority (nice) alone means normal scheduling at that nice value, as keepalived: no realtime default', () => {
  assert.deepEqual(tuningFor('vrrp', g({ vrrp_priority: ['-5'] })).tuning, { noSwap: false, cpus: undefined, nice: -5 });
});

test('out-of-range values are warnings that name the keyword, and are ignored', () => {
  const t = tuningFor('vrrp', g({ vrrp_rt_priority: ['100'], vrrp_priority: ['x'], vrrp_cpu_affinity: ['a'] }));
  assert.deepEqual(t.warnings, [
    'vrrp_rt_priority 100: not an integer in 1..99 - ignored',
    'vrrp_priority x: not an integer in -20..19 - ignored',
    'vrrp_cpu_affinity a: not a list of CPU numbers - ignored',
  ]);
  assert.equal(t.tuning.rtPriority, DEFAULT_VRRP_RT_PRIORITY);
});
