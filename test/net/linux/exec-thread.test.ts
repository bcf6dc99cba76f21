/** CommandThread (src/net/linux/exec-thread.ts): commands from a worker thread, so the VRRP loop never forks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandThread } from '../../../src/net/linux/exec-thread';

test('exit status, stdout and stdin; a command that ignores its input does not kill the thread (EPIPE, a regression)', async () => {
  const t = new CommandThread();
  try {
    assert.equal((await t.run('sh', ['-c', 'exit 3'])).code, 3);
    assert.deepEqual(await t.run('cat', [], 'table ip x {}\n'), { code: 0, stdout: 'table ip x {}\n', stderr: '' });
    // `ip` never reads stdin: writing to it used to raise an unhandled EPIPE in the worker.
    for (let i = 0; i < 20; i++) assert.equal((await t.run('true', [], 'x'.repeat(1 << 17))).code, 0);
    assert.equal((await t.run('sh', ['-c', 'echo fine'])).stdout, 'fine\n');
    const r = await t.run('/nonexistent-command', []);
    assert.notEqual(r.code, 0);
  } finally {
    await t.close();
  }
});

test('the ip and nft runners report failures as the managers expect', async () => {
  const t = new CommandThread();
  try {
    const r = await t.run('sh', ['-c', 'echo oops >&2; exit 2']);
    assert.deepEqual([r.code, r.stderr], [2, 'oops\n']);
  } finally {
    await t.close();
  }
});
