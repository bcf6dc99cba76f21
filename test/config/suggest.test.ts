/**
 * "Did you mean": the banded, bounded edit distance against the plain
 * Levenshtein table, and suggestions as keepalived-ts made them before they
 * were made cheap (issue 10: 20,000 unknown keywords took 4.8 s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closest, editDistance } from '../../src/config/schema';

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

test('editDistance(a, b, max) is the Levenshtein distance, or max + 1 when that is larger', () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_', 'r'), maxLength: 24 });
  fc.assert(fc.property(word, word, fc.nat(30), (a, b, max) => {
    assert.equal(editDistance(a, b, max), Math.min(levenshtein(a, b), max + 1));
    assert.equal(editDistance(a, b), levenshtein(a, b));
  }), { numRuns: 3000 });
});

test('closest: the nearest keyword within a quarter of the word (at least 2), case-insensitive', () => {
  const kw = ['router_id', 'notification_email', 'vrrp_garp_master_delay', 'vrrp_garp_master_repeat', 'script_user'];
  assert.equal(closest('router_idd', kw), 'router_id');
  assert.equal(closest('ROUTER_ID', kw), 'router_id');
  assert.equal(closest('notification_emial', kw), 'notification_email');
  assert.equal(closest('vrrp_garp_master_dealy', kw), 'vrrp_garp_master_delay');
  assert.equal(closest('vrrp_garp_master_repaet', kw), 'vrrp_garp_master_repeat');
  assert.equal(closest('routr', kw), undefined);
  assert.equal(closest('x'.repeat(100_000), kw), undefined);
});
