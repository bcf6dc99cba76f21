import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planReload, sameConfig } from '../../src/daemon/reload';

interface Inst { name: string; priority: number; vips: string[]; loc?: { file: string; line: number } }
const i = (name: string, priority: number, vips: string[] = ['192.0.2.100'], line = 1): Inst => ({ name, priority, vips, loc: { file: 'a.conf', line } });

test('a reload with the same instances changes nothing, even if they moved in the file', () => {
  const plan = planReload([i('VI_1', 100, undefined, 3), i('VI_2', 50)], [i('VI_2', 50, undefined, 9), i('VI_1', 100, undefined, 20)], (x) => x.name);
  assert.deepEqual(plan.unchanged.map((x) => x.name), ['VI_2', 'VI_1']);
  assert.equal(plan.changed.length + plan.added.length + plan.removed.length, 0);
});

test('changed, added and removed instances are told apart by name', () => {
  const plan = planReload([i('VI_1', 100), i('VI_2', 50), i('VI_3', 10)], [i('VI_1', 120), i('VI_3', 10), i('VI_4', 1)], (x) => x.name);
  assert.deepEqual(plan.changed.map(([a, b]) => [a.priority, b.priority]), [[100, 120]]);
  assert.deepEqual(plan.unchanged.map((x) => x.name), ['VI_3']);
  assert.deepEqual(plan.added.map((x) => x.name), ['VI_4']);
  assert.deepEqual(plan.removed.map((x) => x.name), ['VI_2']);
});

test('sameConfig compares content of arrays, maps, sets and buffers', () => {
  assert.equal(sameConfig({ a: [1, 2] }, { a: [2, 1] }), false);
  assert.equal(sameConfig({ m: new Map([['x', 1]]) }, { m: new Map([['x', 1]]) }), true);
  assert.equal(sameConfig({ m: new Map([['x', 1]]) }, { m: new Map([['x', 2]]) }), false);
  assert.equal(sameConfig({ b: Buffer.from('ab') }, { b: Buffer.from('ac') }), false);
  assert.equal(sameConfig({ s: new Set([1]) }, { s: new Set([1]) }), true);
  assert.equal(sameConfig({ x: 1, y: 2 }, { y: 2, x: 1 }), true);
});
