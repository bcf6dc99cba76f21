import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { effectivePriority, trackerContribution } from '../../../src/vrrp/priority';

describe('effectivePriority (keepalived vrrp_track.c rules)', () => {
  it('positive weight adds while OK, nothing while failed', () => {
    assert.equal(effectivePriority(100, [{ weight: 20, failed: false }]).priority, 120);
    assert.equal(effectivePriority(100, [{ weight: 20, failed: true }]).priority, 100);
  });
  it('negative weight subtracts while failed, nothing while OK', () => {
    assert.equal(effectivePriority(100, [{ weight: -30, failed: true }]).priority, 70);
    assert.equal(effectivePriority(100, [{ weight: -30, failed: false }]).priority, 100);
  });
  it('reverse negates the adjustment', () => {
    assert.equal(effectivePriority(100, [{ weight: 20, failed: false, reverse: true }]).priority, 80);
    assert.equal(effectivePriority(100, [{ weight: -30, failed: true, reverse: true }]).priority, 130);
  });
  it('weight 0: failure means FAULT; weight 0 reverse: OK means FAULT', () => {
    assert.deepEqual(effectivePriority(100, [{ weight: 0, failed: true }]), { priority: 100, fault: true, total: 100 });
    assert.equal(effectivePriority(100, [{ weight: 0, failed: false }]).fault, false);
    assert.equal(effectivePriority(100, [{ weight: 0, failed: false, reverse: true }]).fault, true);
  });
  it('track_file: value x weight; weight 0 ⇒ non-zero value is a failure; ≤ -254 ⇒ FAULT', () => {
    assert.equal(effectivePriority(100, [{ kind: 'value', weight: 2, value: 10 }]).priority, 120);
    assert.equal(effectivePriority(100, [{ kind: 'value', weight: -1, value: 10 }]).priority, 90);
    assert.equal(effectivePriority(100, [{ kind: 'value', weight: 0, value: 3 }]).fault, true);
    assert.equal(effectivePriority(100, [{ kind: 'value', weight: 0, value: 0 }]).fault, false);
    assert.equal(effectivePriority(100, [{ kind: 'value', weight: 254, value: -1 }]).fault, true);
    assert.deepEqual(trackerContribution({ kind: 'value', weight: 1, value: 1000 }), { delta: 253, fault: false });
  });
  it('clamps to 1..254; the owner stays 255', () => {
    assert.equal(effectivePriority(250, [{ weight: 50, failed: false }]).priority, 254);
    assert.equal(effectivePriority(10, [{ weight: -50, failed: true }]).priority, 1);
    assert.equal(effectivePriority(255, [{ weight: -50, failed: true }]).priority, 255);
    assert.equal(effectivePriority(255, [{ weight: 0, failed: true }]).fault, true);
  });
  it('property: always within 1..254 for non-owners, sum of deltas otherwise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 254 }),
        fc.array(fc.record({ weight: fc.integer({ min: -253, max: 253 }), failed: fc.boolean(), reverse: fc.boolean() })),
        (base, ts) => {
          const r = effectivePriority(base, ts);
          assert.ok(r.priority >= 1 && r.priority <= 254);
          assert.equal(r.fault, ts.some((t) => t.weight === 0 && t.failed !== t.reverse));
          const total = base + ts.reduce((s, t) => s + trackerContribution(t).delta, 0);
          assert.equal(r.total, total);
          assert.equal(r.priority, Math.min(254, Math.max(1, total)));
        },
      ),
    );
  });
});
