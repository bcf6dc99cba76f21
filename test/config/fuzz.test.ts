/**
 * A short run of bench/fuzz-config.ts (issue 10): 4,000 mutated
 * configurations through what `keepalived-ts -t` does, each in a worker with
 * a 256 MB heap, a 2 s limit (the worker's CPU time) and a watchdog. Any
 * exception, hang or memory blow-up
 * fails the test and names the saved input (replay it with
 * `node dist/bench/fuzz-config.js --replay FILE`). The seed is fixed, so
 * the inputs are the same on every run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCorpus, makeInput, runFuzz } from '../../bench/fuzz-config';

test('fuzz-config inputs are reproducible from (seed, index) and cover every corpus file', () => {
  const c = loadCorpus();
  assert.ok(c.trees.length >= 30, `${c.trees.length} corpus trees`);
  assert.deepEqual(makeInput(c, 7, 123), makeInput(c, 7, 123));
  assert.notDeepEqual(makeInput(c, 7, 123), makeInput(c, 7, 124));
});

test('fuzz-config: 4,000 inputs without an exception, a hang (> 2 s) or a memory blow-up (> 256 MB)', { timeout: 120_000 }, async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-fuzz-'));
  const s = await runFuzz({ inputs: 4000, seed: 0x5eed10, outDir });
  const failures = s.failures.map((f) => `${f.kind} at input ${f.index}: ${f.detail} (${f.file})`).join('\n');
  assert.equal(s.inputs, 4000);
  assert.deepEqual([s.exceptions, s.hangs, s.blowups], [0, 0, 0], failures);
  // The mutations reach the budgets, not only the parser's everyday diagnostics.
  for (const code of ['E_BUDGET_LINE_LENGTH', 'E_BUDGET_BLOCK_DEPTH', 'E_BUDGET_EXPANSION_DEPTH', 'W_DIAGNOSTICS_SUPPRESSED']) {
    assert.ok((s.codes[code] ?? 0) > 0, `no input reached ${code}`);
  }
  if (failures === '') fs.rmSync(outDir, { recursive: true, force: true });
});
