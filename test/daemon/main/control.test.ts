import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import { ControlServer, controlRequest } from '../../../src/daemon/main/control';

test('the control socket answers status and reports handler errors without closing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-ctl-'));
  const sock = path.join(dir, 'c.sock');
  const server = new ControlServer(sock, (req) => {
    if (req.cmd === 'status') return { state: 'MASTER' };
    throw new Error(`unknown command ${req.cmd}`);
  });
  await server.listen();
  try {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.deepEqual(await controlRequest(sock, { cmd: 'status' }), { state: 'MASTER' });
    await assert.rejects(controlRequest(sock, { cmd: 'bogus' }), /unknown command bogus/);
    // A malformed line gets an error answer, not a crash.
    const answer = await new Promise<string>((resolve) => {
      const c = net.createConnection(sock, () => c.write('not json\n'));
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        c.end();
        resolve(d);
      });
    });
    assert.equal(JSON.parse(answer).ok, false);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fs.existsSync(sock), false);
});
