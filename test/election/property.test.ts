import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Sim, TTL } from './sim';

type Op =
  | { k: 'partition' | 'heal' | 'fault' | 'recover' | 'crash' | 'stop'; h: number }
  | { k: 'priority'; h: number; p: number }
  | { k: 'quorum'; on: boolean }
  | { k: 'join'; p: number; nopreempt: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constantFrom('partition' as const, 'heal' as const, 'fault' as const, 'recover' as const, 'crash' as const, 'stop' as const), h: fc.nat(4) }),
  fc.record({ k: fc.constant('priority' as const), h: fc.nat(4), p: fc.integer({ min: 1, max: 254 }) }),
  fc.record({ k: fc.constant('quorum' as const), on: fc.boolean() }),
  fc.record({ k: fc.constant('join' as const), p: fc.integer({ min: 1, max: 254 }), nopreempt: fc.boolean() }),
);

test('property: whatever crashes, partitions, quorum losses, faults and priority changes happen, never two holders; with etcd healthy, one holder again', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(op, fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 12 }), async (ops) => {
      const s = new Sim();
      let n = 0;
      const ids = () => [...s.hosts.keys()];
      for (const p of [150, 120, 100]) s.add(`h${n++}`, p);
      await s.run(1000);
      for (const [o, wait] of ops) {
        const id = 'h' in o ? ids()[o.h % Math.max(1, ids().length)] : undefined;
        const h = id === undefined ? undefined : s.hosts.get(id);
        if (o.k === 'quorum') {
          if (o.on) s.etcd.restoreQuorum();
          else s.etcd.quorum = false;
        } else if (o.k === 'join') s.add(`h${n++}`, o.p, { nopreempt: o.nopreempt });
        else if (h && id) {
          if (o.k === 'partition') h.client.partitioned = true;
          else if (o.k === 'heal') h.client.partitioned = false;
          else if (o.k === 'fault') s.set(id, { fault: true });
          else if (o.k === 'recover') s.set(id, { fault: false });
          else if (o.k === 'priority') s.set(id, { priority: o.p });
          else if (o.k === 'crash') s.crash(id);
          else await s.stop(id);
        }
        await s.run(wait);
        assert.deepEqual(s.overlaps, [], 'never two holders');
      }
      // Heal everything: exactly one holder if anyone healthy is left.
      s.etcd.restoreQuorum();
      for (const [id, h] of s.hosts) {
        h.client.partitioned = false;
        s.set(id, { fault: false });
      }
      await s.run(4 * TTL);
      assert.deepEqual(s.overlaps, [], 'never two holders');
      assert.equal(s.holders().length, s.hosts.size > 0 ? 1 : 0, `one holder at the end: ${JSON.stringify(s.history.slice(-4))}`);
      await s.stopAll();
    }),
    { numRuns: 40 },
  );
});
