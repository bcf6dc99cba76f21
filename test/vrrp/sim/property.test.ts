/**
 * Property tests on the fake LAN: 8 routers, 2 VRIDs, random schedules of
 * crashes, restarts, priority changes, faults, loss and partitions. Once the
 * LAN is connected and quiet for Master_Down_Interval (lowest priority) plus
 * one advert interval (plus the links' delays), every VRID has exactly one
 * MASTER and it has the highest effective priority among running instances.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VrrpSim } from '../../../src/net/fake/sim';
import { masterDownIntervalMs } from '../../../src/vrrp/fsm';

const N = 8;
const VRIDS = [1, 2];
const MAX_DELAY = 5;

type Op =
  | { kind: 'crash'; r: number }
  | { kind: 'restart'; r: number }
  | { kind: 'track'; r: number; vrid: number; weight: number; failed: boolean }
  | { kind: 'fault'; r: number; vrid: number; on: boolean }
  | { kind: 'partition'; mask: number }
  | { kind: 'heal' }
  | { kind: 'loss'; p: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), r: fc.nat(N - 1) }),
  fc.record({ kind: fc.constant('restart' as const), r: fc.nat(N - 1) }),
  fc.record({
    kind: fc.constant('track' as const),
    r: fc.nat(N - 1),
    vrid: fc.constantFrom(...VRIDS),
    weight: fc.integer({ min: -120, max: 120 }),
    failed: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('fault' as const), r: fc.nat(N - 1), vrid: fc.constantFrom(...VRIDS), on: fc.boolean() }),
  fc.record({ kind: fc.constant('partition' as const), mask: fc.integer({ min: 1, max: (1 << N) - 2 }) }),
  fc.record({ kind: fc.constant('heal' as const) }),
  fc.record({ kind: fc.constant('loss' as const), p: fc.constantFrom(0, 0.1, 0.5) }),
);

interface World {
  version: 2 | 3;
  intervalMs: number;
  priorities: number[][]; // [router][vrid index]
  nopreempt: boolean[];
  delays: number[]; // per router pair, flattened
  seed: number;
}

const worldArb: fc.Arbitrary<World> = fc.record({
  version: fc.constantFrom(2 as const, 3 as const),
  intervalMs: fc.constantFrom(1000, 100),
  priorities: fc.array(fc.array(fc.integer({ min: 1, max: 254 }), { minLength: VRIDS.length, maxLength: VRIDS.length }), {
    minLength: N,
    maxLength: N,
  }),
  nopreempt: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
  delays: fc.array(fc.integer({ min: 0, max: MAX_DELAY }), { minLength: N * N, maxLength: N * N }),
  seed: fc.integer(),
}).map((w) => ({ ...w, intervalMs: w.version === 2 ? 1000 : w.intervalMs }));

function build(w: World, withNopreempt: boolean, fastPath = false): VrrpSim {
  const sim = new VrrpSim({
    fastPath,
    routers: Array.from({ length: N }, (_, i) => ({
      name: `r${i}`,
      host: i + 1,
      instance: (vrid: number) => ({ priority: w.priorities[i][VRIDS.indexOf(vrid)], nopreempt: withNopreempt && w.nopreempt[i] }),
    })),
    vrids: VRIDS,
    defaults: { version: w.version, advertIntervalMs: w.intervalMs },
    seed: w.seed,
  });
  sim.lan.record = false;
  for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) if (a !== b) sim.lan.setLink(`r${a}`, `r${b}`, { delayMs: w.delays[a * N + b] }, true);
  return sim;
}

function apply(sim: VrrpSim, op: Op): void {
  const name = (r: number) => `r${r}`;
  switch (op.kind) {
    case 'crash':
      if (sim.isUp(name(op.r))) sim.crash(name(op.r));
      return;
    case 'restart':
      if (!sim.isUp(name(op.r))) sim.start(name(op.r));
      return;
    case 'track':
      if (sim.isUp(name(op.r))) sim.instance(name(op.r), op.vrid).setTracker('t', { weight: op.weight, failed: op.failed });
      return;
    case 'fault':
      if (sim.isUp(name(op.r))) sim.instance(name(op.r), op.vrid).fault(op.on, 'link');
      return;
    case 'partition': {
      const a: string[] = [];
      const b: string[] = [];
      for (let i = 0; i < N; i++) ((op.mask >> i) & 1 ? a : b).push(name(i));
      sim.lan.partition([a, b]);
      return;
    }
    case 'heal':
      sim.lan.heal();
      return;
    case 'loss':
      sim.lan.setDefaultLink({ loss: op.p });
      for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) if (a !== b) sim.lan.setLink(`r${a}`, `r${b}`, { loss: op.p }, true);
      return;
  }
}

/** Master_Down_Interval of the lowest priority + one advert interval + a round trip of the slowest link. */
function stableBound(w: World): number {
  return masterDownIntervalMs(w.version, 1, w.intervalMs) + w.intervalMs + 2 * MAX_DELAY + 1;
}

function running(sim: VrrpSim, vrid: number) {
  return [...sim.routers.keys()]
    .filter((n) => sim.isUp(n))
    .map((n) => sim.instance(n, vrid))
    .filter((i) => i.state !== 'FAULT');
}

function checkConverged(sim: VrrpSim, requireHighest: boolean, label: string): void {
  for (const vrid of VRIDS) {
    const candidates = running(sim, vrid);
    const masters = sim.masters(vrid);
    if (candidates.length === 0) {
      assert.deepEqual(masters, [], `${label}: VRID ${vrid} has no candidates`);
      continue;
    }
    assert.equal(masters.length, 1, `${label}: VRID ${vrid} masters ${JSON.stringify(sim.states(vrid))}`);
    if (requireHighest) {
      const best = Math.max(...candidates.map((i) => i.effectivePriority));
      assert.equal(sim.instance(masters[0], vrid).effectivePriority, best, `${label}: VRID ${vrid} master is not the highest priority`);
    }
  }
}

function stabilise(sim: VrrpSim, w: World): void {
  sim.lan.heal();
  apply(sim, { kind: 'loss', p: 0 });
  // Packets lost in flight while the LAN was partitioned count as the disturbance.
  sim.advance(stableBound(w));
}

describe('fake LAN properties (8 routers, 2 VRIDs)', () => {
  it('after any schedule, a quiet connected LAN has exactly one MASTER per VRID, the highest priority', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.tuple(opArb, fc.integer({ min: 0, max: 6000 })), { maxLength: 25 }), (w, ops) => {
        const sim = build(w, false);
        for (const [op, dt] of ops) {
          apply(sim, op);
          sim.advance(dt);
        }
        stabilise(sim, w);
        checkConverged(sim, true, 'converged');
        // ... and stays that way: no transitions while the LAN stays quiet.
        const before = sim.transitions.length;
        sim.advance(5 * w.intervalMs);
        checkConverged(sim, true, 'stable');
        assert.equal(sim.transitions.length, before, 'no transitions on a quiet LAN');
      }),
      { numRuns: 60 },
    );
  });

  it('with nopreempt routers: still exactly one MASTER per VRID', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.tuple(opArb, fc.integer({ min: 0, max: 6000 })), { maxLength: 25 }), (w, ops) => {
        const sim = build(w, true);
        for (const [op, dt] of ops) {
          apply(sim, op);
          sim.advance(dt);
        }
        stabilise(sim, w);
        checkConverged(sim, false, 'nopreempt');
      }),
      { numRuns: 40 },
    );
  });

  it('the steady-state fast path changes nothing: the same schedule gives the same transitions at the same times', () => {
    const lossless = opArb.filter((op) => op.kind !== 'loss');
    fc.assert(
      fc.property(worldArb, fc.array(fc.tuple(lossless, fc.integer({ min: 0, max: 6000 })), { maxLength: 25 }), (w, ops) => {
        const run = (fastPath: boolean) => {
          const sim = build(w, true, fastPath);
          for (const [op, dt] of ops) {
            apply(sim, op);
            sim.advance(dt);
          }
          stabilise(sim, w);
          return sim;
        };
        const slow = run(false);
        const fast = run(true);
        // Instances are independent: events of different instances at the same instant may come in either order.
        const trace = (sim: VrrpSim) =>
          sim.transitions.map((t) => ({ t, line: `${t.at} ${t.router} VI_${t.vrid} ${t.from}->${t.to} (${t.reason})` }))
            .sort((x, y) => x.t.at - y.t.at || (x.t.router + x.t.vrid).localeCompare(y.t.router + y.t.vrid))
            .map((x) => x.line);
        assert.deepEqual(trace(fast), trace(slow));
        for (const name of slow.routers.keys()) {
          if (!slow.isUp(name)) continue;
          for (const vrid of VRIDS) {
            const c = (sim: VrrpSim) => {
              const k = sim.instance(name, vrid).status().counters;
              return [k.advert_sent, k.advert_rcvd, k.become_master, k.release_master];
            };
            assert.deepEqual(c(fast), c(slow), `${name} VRID ${vrid} counters`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a healed partition resolves its dual masters within the bound', () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 1, max: (1 << N) - 2 }), (w, mask) => {
        const sim = build(w, false);
        sim.advance(stableBound(w));
        apply(sim, { kind: 'partition', mask });
        sim.advance(2 * stableBound(w));
        // Each side has elected its own master.
        for (const vrid of VRIDS) assert.equal(sim.masters(vrid).length, 2);
        sim.lan.heal();
        sim.advance(stableBound(w));
        checkConverged(sim, true, 'healed');
      }),
      { numRuns: 40 },
    );
  });
});
