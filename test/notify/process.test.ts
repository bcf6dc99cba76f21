import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemClock } from '../../src/core/clock';
import { runWithTimeout, SpawnProcessRunner } from '../../src/notify/process';
import { alive, readLines, shScript, tmpDir, waitFor } from './helpers';

const dir = tmpDir('kts-proc-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const clock = new SystemClock();
const runner = new SpawnProcessRunner(clock);

test('a hung script is killed with its whole process group at its timeout', async () => {
  const pids = path.join(dir, 'pids');
  // The script forks `sleep 60` and waits: both must die.
  const s = shScript(dir, 'hang.sh', `echo $$ > ${pids}\nsleep 60 &\necho $! >> ${pids}\nwait`);
  const t0 = Date.now();
  const o = await runWithTimeout(runner, clock, { argv: [s] }, { timeoutMs: 300, killGraceMs: 2000 });
  const elapsed = Date.now() - t0;
  assert.equal(o.kind, 'timedOut');
  assert.ok(elapsed >= 290 && elapsed < 300 + 1000, `elapsed ${elapsed} ms`);
  const [shPid, sleepPid] = readLines(pids).map(Number);
  assert.ok(shPid && sleepPid);
  await waitFor(() => !alive(shPid!) && !alive(sleepPid!), 2000, 'script and its child to be gone');
});

test('a script that ignores SIGTERM gets SIGKILL after the grace period', async () => {
  const s = shScript(dir, 'stubborn.sh', `trap '' TERM\nwhile :; do sleep 0.05; done`);
  const t0 = Date.now();
  const o = await runWithTimeout(runner, clock, { argv: [s] }, { timeoutMs: 100, killGraceMs: 200 });
  const elapsed = Date.now() - t0;
  assert.equal(o.kind, 'timedOut');
  assert.ok(elapsed >= 290 && elapsed < 1300, `elapsed ${elapsed} ms`);
});

test('exit status, signal and spawn errors are reported', async () => {
  const ok = await runWithTimeout(runner, clock, { argv: [shScript(dir, 'ok.sh', 'exit 0')] }, { timeoutMs: 5000, killGraceMs: 100 });
  assert.equal(ok.kind, 'exited');
  assert.equal(ok.kind === 'exited' && ok.code, 0);
  const three = await runWithTimeout(runner, clock, { argv: [shScript(dir, 'three.sh', 'exit 3')] }, { timeoutMs: 5000, killGraceMs: 100 });
  assert.equal(three.kind === 'exited' && three.code, 3);
  const sig = await runWithTimeout(runner, clock, { argv: [shScript(dir, 'sig.sh', 'kill -USR1 $$')] }, { timeoutMs: 5000, killGraceMs: 100 });
  assert.equal(sig.kind === 'signaled' && sig.signal, 'SIGUSR1');
  const missing = await runWithTimeout(runner, clock, { argv: [path.join(dir, 'nope')] }, { timeoutMs: 5000, killGraceMs: 100 });
  assert.equal(missing.kind, 'error');
  assert.equal(missing.kind === 'error' && missing.errno, 'ENOENT');
});

test('argv is passed exactly, without a shell, and the env is the given one', async () => {
  const out = path.join(dir, 'args');
  const s = shScript(dir, 'args.sh', `for a in "$@"; do echo "[$a]"; done > ${out}\necho "env=$KTS_TEST_VAR" >> ${out}`);
  const o = await runWithTimeout(
    runner,
    clock,
    { argv: [s, 'a b', '$HOME', '*', ''], env: { KTS_TEST_VAR: 'v1', PATH: '/usr/bin:/bin' } },
    { timeoutMs: 5000, killGraceMs: 100 },
  );
  assert.equal(o.kind, 'exited');
  assert.deepEqual(readLines(out), ['[a b]', '[$HOME]', '[*]', '[]', 'env=v1']);
});
