/**
 * Tracker contributions -> effective priority / FAULT, against keepalived
 * 2.2.7's rules (keepalived/vrrp/vrrp_track.c initialise_track_script_state,
 * process_script_update_priority, initialise_interface_tracking_priorities,
 * vrrp_set_effective_priority; keepalived/trackers/track_file.c
 * update_track_file_status, process_update_vrrp_track_file_status;
 * keepalived.conf(5) "Track files").
 *
 * keepalived keeps a running `total_priority` that it adjusts on every status
 * change; src/track/priority.ts states the rule per state instead. The
 * property tests below replay keepalived's incremental code on random
 * sequences and check both give the same total and FAULT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyContributions,
  fileContribution,
  interfaceContribution,
  scriptContribution,
  trackFileStatus,
  type Contribution,
  type ScriptStatus,
} from '../../src/track/priority';
import { effectivePriority, type TrackerInput } from '../../src/vrrp/priority';

describe('scriptContribution', () => {
  it('weight > 0 adds the weight while OK, nothing while failing', () => {
    assert.deepEqual(scriptContribution({ weight: 20 }, 'ok'), { fault: false, delta: 20 });
    assert.deepEqual(scriptContribution({ weight: 20 }, 'fail'), { fault: false, delta: 0 });
  });

  it('weight < 0 subtracts while failing, nothing while OK', () => {
    assert.deepEqual(scriptContribution({ weight: -30 }, 'fail'), { fault: false, delta: -30 });
    assert.deepEqual(scriptContribution({ weight: -30 }, 'ok'), { fault: false, delta: 0 });
  });

  it('reverse flips the sign of the adjustment (multiplier -1)', () => {
    assert.deepEqual(scriptContribution({ weight: 20, reverse: true }, 'ok'), { fault: false, delta: -20 });
    assert.deepEqual(scriptContribution({ weight: 20, reverse: true }, 'fail'), { fault: false, delta: 0 });
    assert.deepEqual(scriptContribution({ weight: -30, reverse: true }, 'fail'), { fault: false, delta: 30 });
    assert.deepEqual(scriptContribution({ weight: -30, reverse: true }, 'ok'), { fault: false, delta: 0 });
  });

  it('weight 0: a failing script is FAULT; with reverse an OK one is', () => {
    assert.deepEqual(scriptContribution({ weight: 0 }, 'fail'), { fault: true, delta: 0 });
    assert.deepEqual(scriptContribution({ weight: 0 }, 'ok'), { fault: false, delta: 0 });
    assert.deepEqual(scriptContribution({ weight: 0, reverse: true }, 'ok'), { fault: true, delta: 0 });
    assert.deepEqual(scriptContribution({ weight: 0, reverse: true }, 'fail'), { fault: false, delta: 0 });
  });

  it('no result yet: nothing, and a weight-0 script holds the instance (num_script_init)', () => {
    assert.deepEqual(scriptContribution({ weight: 0 }, 'unknown'), { fault: false, delta: 0, pending: true });
    assert.deepEqual(scriptContribution({ weight: 0, reverse: true }, 'unknown'), { fault: false, delta: 0, pending: true });
    assert.deepEqual(scriptContribution({ weight: 50 }, 'unknown'), { fault: false, delta: 0 });
    assert.deepEqual(scriptContribution({ weight: -50 }, 'unknown'), { fault: false, delta: 0 });
  });
});

describe('interfaceContribution (track_interface, default weight 0)', () => {
  it('weight 0: link down is FAULT; reverse: link up is', () => {
    assert.deepEqual(interfaceContribution({ weight: 0 }, false), { fault: true, delta: 0 });
    assert.deepEqual(interfaceContribution({ weight: 0 }, true), { fault: false, delta: 0 });
    assert.deepEqual(interfaceContribution({ weight: 0, reverse: true }, true), { fault: true, delta: 0 });
    assert.deepEqual(interfaceContribution({ weight: 0, reverse: true }, false), { fault: false, delta: 0 });
  });

  it('weights as for scripts: + while up, - while down, reverse flips', () => {
    assert.deepEqual(interfaceContribution({ weight: 10 }, true), { fault: false, delta: 10 });
    assert.deepEqual(interfaceContribution({ weight: 10 }, false), { fault: false, delta: 0 });
    assert.deepEqual(interfaceContribution({ weight: -10 }, false), { fault: false, delta: -10 });
    assert.deepEqual(interfaceContribution({ weight: -10 }, true), { fault: false, delta: 0 });
    assert.deepEqual(interfaceContribution({ weight: 10, reverse: true }, true), { fault: false, delta: -10 });
    assert.deepEqual(interfaceContribution({ weight: -10, reverse: true }, false), { fault: false, delta: 10 });
  });
});

describe('fileContribution / trackFileStatus (track_file)', () => {
  it('value x weight is added', () => {
    assert.deepEqual(fileContribution({ weight: 1 }, 7), { fault: false, delta: 7 });
    assert.deepEqual(fileContribution({ weight: 3 }, 7), { fault: false, delta: 21 });
    assert.deepEqual(fileContribution({ weight: 3 }, -7), { fault: false, delta: -21 });
    assert.deepEqual(fileContribution({ weight: -2 }, 10), { fault: false, delta: -20 });
    assert.deepEqual(fileContribution({ weight: 2, reverse: true }, 10), { fault: false, delta: -20 });
    assert.deepEqual(fileContribution({ weight: 1 }, 0), { fault: false, delta: 0 });
  });

  it('a result above 253 counts as 253', () => {
    assert.equal(trackFileStatus({ weight: 1 }, 254), 253);
    assert.equal(trackFileStatus({ weight: 254 }, 2), 253);
    assert.deepEqual(fileContribution({ weight: 10 }, 1000), { fault: false, delta: 253 });
    assert.deepEqual(fileContribution({ weight: 1 }, 2 ** 31), { fault: false, delta: 253 });
  });

  it('keepalived.conf(5): "if the result is less than -253" the instance goes to FAULT', () => {
    assert.deepEqual(fileContribution({ weight: 1 }, -253), { fault: false, delta: -253 });
    assert.deepEqual(fileContribution({ weight: 1 }, -254), { fault: true, delta: 0 });
    assert.deepEqual(fileContribution({ weight: 1 }, -255), { fault: true, delta: 0 });
    assert.equal(trackFileStatus({ weight: 1 }, -10_000), -254);
    // "the weight can be 254 to allow for a negative value being read from the file"
    assert.deepEqual(fileContribution({ weight: 254 }, -1), { fault: true, delta: 0 });
    assert.deepEqual(fileContribution({ weight: -254 }, 1), { fault: true, delta: 0 });
    assert.deepEqual(fileContribution({ weight: 127 }, -2), { fault: true, delta: 0 });
    assert.deepEqual(fileContribution({ weight: 1, reverse: true }, 254), { fault: true, delta: 0 });
    assert.deepEqual(fileContribution({ weight: 1 }, -(2 ** 31)), { fault: true, delta: 0 });
  });

  it('weight 0: any non-zero value is a failure (FAULT), 0 is OK; reverse swaps them', () => {
    for (const v of [1, -1, 2, 254, -(2 ** 31), 2 ** 31]) {
      assert.deepEqual(fileContribution({ weight: 0 }, v), { fault: true, delta: 0 }, `value ${v}`);
      assert.deepEqual(fileContribution({ weight: 0, reverse: true }, v), { fault: false, delta: 0 }, `value ${v} reverse`);
    }
    assert.deepEqual(fileContribution({ weight: 0 }, 0), { fault: false, delta: 0 });
    assert.deepEqual(fileContribution({ weight: 0, reverse: true }, 0), { fault: true, delta: 0 });
    assert.equal(trackFileStatus({ weight: 0 }, 5), -254);
    assert.equal(trackFileStatus({ weight: 0 }, 0), 0);
  });
});

describe('applyContributions (vrrp_set_effective_priority)', () => {
  const c = (delta: number, fault = false): Contribution => ({ fault, delta });

  it('base + sum of deltas', () => {
    assert.deepEqual(applyContributions(100, []), { fault: false, pending: false, priority: 100 });
    assert.deepEqual(applyContributions(100, [c(20), c(-5), c(3)]), { fault: false, pending: false, priority: 118 });
  });

  it('clamped to 1..254', () => {
    assert.equal(applyContributions(200, [c(100)]).priority, 254);
    assert.equal(applyContributions(254, [c(1)]).priority, 254);
    assert.equal(applyContributions(100, [c(154)]).priority, 254);
    assert.equal(applyContributions(100, [c(153)]).priority, 253);
    assert.equal(applyContributions(10, [c(-50)]).priority, 1);
    assert.equal(applyContributions(10, [c(-9)]).priority, 1);
    assert.equal(applyContributions(10, [c(-8)]).priority, 2);
    assert.equal(applyContributions(1, [c(-253), c(-253)]).priority, 1);
  });

  it('an address owner (255) never changes priority; FAULT still applies', () => {
    assert.deepEqual(applyContributions(255, [c(-100)]), { fault: false, pending: false, priority: 255 });
    assert.deepEqual(applyContributions(255, [c(50)]), { fault: false, pending: false, priority: 255 });
    assert.deepEqual(applyContributions(255, [fileContribution({ weight: 0 }, 1)]), { fault: true, pending: false, priority: 255 });
  });

  it('any faulting tracker makes the instance FAULT; pending is reported', () => {
    const r = applyContributions(100, [scriptContribution({ weight: 10 }, 'ok'), interfaceContribution({ weight: 0 }, false)]);
    assert.equal(r.fault, true);
    assert.equal(r.priority, 110);
    const p = applyContributions(100, [scriptContribution({ weight: 0 }, 'unknown'), scriptContribution({ weight: 5 }, 'ok')]);
    assert.deepEqual(p, { fault: false, pending: true, priority: 105 });
  });

  it('script, interface and file together', () => {
    const r = applyContributions(100, [
      scriptContribution({ weight: 10 }, 'ok'), // +10
      scriptContribution({ weight: -20 }, 'fail'), // -20
      interfaceContribution({ weight: -15 }, false), // -15
      fileContribution({ weight: 2 }, 4), // +8
    ]);
    assert.deepEqual(r, { fault: false, pending: false, priority: 83 });
  });
});

/* ----------------- keepalived's incremental code, replayed ----------------- */

/**
 * keepalived 2.2.7 for one vrrp_script tracked with `weight`/`reverse`:
 * initialise_track_script_state adds nothing for a script with no result
 * (SCRIPT_INIT_STATE_INIT); process_script_update_priority then runs on each
 * reported change, the first one in the "init" branch.
 */
function keepalivedScriptTotal(base: number, weight: number, reverse: boolean, reports: boolean[]): number {
  const mult = reverse ? -1 : 1;
  let total = base;
  let init = true;
  for (const ok of reports) {
    if (init) {
      if (ok ? weight > 0 : weight < 0) total += weight * mult;
      init = false;
    } else if (ok) total += Math.abs(weight) * mult;
    else total -= Math.abs(weight) * mult;
  }
  return total;
}

/** process_update_vrrp_track_file_status for one file tracked by one instance (values bounded so C int math is exact). */
function keepalivedFile(base: number, weight: number, reverse: boolean, values: number[]): { total: number; fault: boolean } {
  const mult = reverse ? -1 : 1;
  const clamp = (s: number): number => (s < -254 ? -254 : s > 253 ? 253 : s);
  const statusOf = (v: number): number => (weight === 0 ? ((v !== 0) === (mult === 1) ? -254 : 0) : v * weight * mult);
  let last = values[0]!;
  let total = base;
  let fault = false;
  // initialise_vrrp_file_tracking_priorities
  const s0 = statusOf(last);
  if (s0 <= -254) fault = true;
  else total += s0 > 253 ? 253 : s0;
  for (const v of values.slice(1)) {
    if (v === last) continue; // update_track_file_status: unchanged value
    const ns = clamp(statusOf(v));
    const ps = clamp(statusOf(last));
    if (ps !== ns) {
      if (ns === -254) {
        if (weight) total -= ps;
        fault = true;
      } else if (ps === -254) {
        if (weight) total += ns;
        fault = false;
      } else total += ns - ps;
    }
    last = v;
  }
  return { total, fault };
}

const clampPrio = (base: number, total: number): number => (base === 255 ? 255 : total < 1 ? 1 : total > 254 ? 254 : total);

describe('agreement with keepalived 2.2.7 incremental updates (property)', () => {
  it('vrrp_script: the state rule gives the same priority and FAULT as keepalived after any sequence of results', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: -253, max: 253 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat({ max: 12 }),
        (base, weight, reverse, firstOk, toggles) => {
          // Only changes are reported (update_script_priorities), so reports alternate.
          const reports = Array.from({ length: toggles + 1 }, (_, i) => (i % 2 === 0 ? firstOk : !firstOk));
          const last: ScriptStatus = reports[reports.length - 1] ? 'ok' : 'fail';
          const ours = applyContributions(base, [scriptContribution({ weight, reverse }, last)]);
          if (weight === 0) {
            // process_script_update_priority: script_ok != (multiplier == 1) => down_instance
            assert.equal(ours.fault, (last === 'ok') !== !reverse);
            assert.equal(ours.priority, base);
          } else {
            assert.equal(ours.fault, false);
            assert.equal(ours.priority, clampPrio(base, keepalivedScriptTotal(base, weight, reverse, reports)));
          }
        },
      ),
    );
  });

  it('track_file: the state rule gives the same priority and FAULT as keepalived after any sequence of values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: -254, max: 254 }),
        fc.boolean(),
        fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -1_000_000, max: 1_000_000 })), { minLength: 1, maxLength: 10 }),
        (base, weight, reverse, values) => {
          const ka = keepalivedFile(base, weight, reverse, values);
          const ours = applyContributions(base, [fileContribution({ weight, reverse }, values[values.length - 1]!)]);
          assert.equal(ours.fault, ka.fault);
          if (!ka.fault) assert.equal(ours.priority, clampPrio(base, ka.total));
        },
      ),
    );
  });

  it('applyContributions agrees with src/vrrp/priority.ts effectivePriority (the instance\'s function)', () => {
    const tracker = fc.oneof(
      fc.record({ kind: fc.constant('script' as const), weight: fc.integer({ min: -253, max: 253 }), reverse: fc.boolean(), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('if' as const), weight: fc.integer({ min: -253, max: 253 }), reverse: fc.boolean(), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('file' as const), weight: fc.integer({ min: -254, max: 254 }), reverse: fc.boolean(), value: fc.integer({ min: -300, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.array(tracker, { maxLength: 6 }), (base, ts) => {
        const cs: Contribution[] = [];
        const inputs: TrackerInput[] = [];
        for (const t of ts) {
          if (t.kind === 'file') {
            cs.push(fileContribution(t, t.value));
            inputs.push({ kind: 'value', weight: t.weight, reverse: t.reverse, value: t.value });
          } else {
            cs.push(t.kind === 'script' ? scriptContribution(t, t.ok ? 'ok' : 'fail') : interfaceContribution(t, t.ok));
            inputs.push({ weight: t.weight, reverse: t.reverse, failed: !t.ok });
          }
        }
        const a = applyContributions(base, cs);
        const b = effectivePriority(base, inputs);
        assert.equal(a.fault, b.fault);
        assert.equal(a.priority, b.priority);
      }),
    );
  });
});
