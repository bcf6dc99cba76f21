/**
 * Supervision of a child process (src/daemon/main/supervisor.ts) with a fake
 * process: keepalived's start and death lines, respawn, -R, the respawn rate
 * limit, pid files, stop with its SIGKILL bound, requests that fail when the
 * child dies.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { Logger, type LogRecord } from '../../../src/core/log';
import { ChildSupervisor, type SupervisorDeps } from '../../../src/daemon/main/supervisor';
import type { FromChild, ToChild } from '../../../src/daemon/protocol';
import { childNeeded } from '../../../src/daemon/main/children';

class FakeChild extends EventEmitter {
  readonly sent: ToChild[] = [];
  connected = true;
  killed: string[] = [];
  constructor(readonly pid: number, private readonly obeyStop = true) {
    super();
  }
  send(msg: ToChild, cb?: (e: Error | null) => void): boolean {
    this.sent.push(msg);
    cb?.(null);
    if (msg.t === 'stop' && this.obeyStop) setImmediate(() => this.exit(0, null));
    return true;
  }
  reply(m: FromChild): void {
    this.emit('message', m);
  }
  kill(sig: string): boolean {
    this.killed.push(sig);
    setImmediate(() => this.exit(null, sig));
    return true;
  }
  exit(code: number | null, signal: string | null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function setup(over: Partial<SupervisorDeps> = {}, obeyStop = true) {
  const logs: LogRecord[] = [];
  const kids: FakeChild[] = [];
  let pid = 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sup-'));
  let gaveUp = 0;
  const sup = new ChildSupervisor('vrrp', {
    log: new Logger((r) => logs.push(r), {}, 'debug'),
    spawn: () => {
      const k = new FakeChild(++pid, obeyStop);
      kids.push(k);
      return k as unknown as ChildProcess;
    },
    init: (restart) => ({ t: 'init', config: {} as never, options: {} as never, restart }),
    onMessage: () => {},
    pidFile: path.join(dir, 'vrrp.pid'),
    respawn: true,
    onGiveUp: () => gaveUp++,
    ...over,
  });
  return { sup, kids, logs, dir, lines: () => logs.map((l) => l.msg), gaveUp: () => gaveUp };
}

test("start: keepalived's line, the init message (not a restart), the child's pid in its pid file", () => {
  const { sup, kids, lines, dir } = setup();
  sup.start();
  assert.deepEqual(lines(), ['Starting VRRP child process, pid=1001']);
  assert.equal(kids[0].sent[0].t, 'init');
  assert.equal((kids[0].sent[0] as { restart: boolean }).restart, false);
  assert.equal(fs.readFileSync(path.join(dir, 'vrrp.pid'), 'utf8'), '1001\n');
});

test('a child killed by a signal is respawned at once, with restart set; the pid file follows', async () => {
  const { sup, kids, lines, dir } = setup();
  sup.start();
  kids[0].exit(null, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(kids.length, 2);
  assert.ok(lines().includes('VRRP child process(1001) died: Respawning (signal SIGKILL)'));
  assert.equal((kids[1].sent[0] as { restart: boolean }).restart, true);
  assert.equal(fs.readFileSync(path.join(dir, 'vrrp.pid'), 'utf8'), '1002\n');
  assert.equal(sup.restarts, 1);
});

test('-R (respawn off): a death stops the daemon instead', async () => {
  const { sup, kids, lines, gaveUp } = setup({ respawn: false });
  sup.start();
  kids[0].exit(1, null);
  await tick();
  assert.equal(kids.length, 1);
  assert.ok(lines().includes('VRRP child process(1001) died: Exiting (status 1)'));
  assert.equal(gaveUp(), 1);
});

test('more than 5 deaths in 30 s: the restart is delayed, as keepalived limits its respawn rate', async () => {
  const { sup, kids, lines } = setup();
  sup.start();
  for (let i = 0; i < 6; i++) {
    kids[kids.length - 1].exit(null, 'SIGSEGV');
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(lines().includes('Restart of VRRP process delayed 2 seconds to limit respawn rate'));
  assert.equal(kids.length, 6, 'the sixth restart waits');
  await sup.stop();
  assert.equal(kids.length, 6, 'stopping cancels the delayed restart');
});

test('stop: the child is asked to stop, not respawned, and its pid file removed; one that ignores it is killed after the bound', async () => {
  const a = setup();
  a.sup.start();
  await a.sup.stop();
  assert.equal(a.kids[0].sent.at(-1)?.t, 'stop');
  assert.equal(a.kids.length, 1);
  assert.equal(fs.existsSync(path.join(a.dir, 'vrrp.pid')), false);
  const b = setup({}, false);
  b.sup.start();
  const t0 = Date.now();
  await b.sup.stop(50);
  assert.deepEqual(b.kids[0].killed, ['SIGKILL']);
  assert.ok(Date.now() - t0 >= 45);
  assert.ok(b.lines().some((l) => /did not stop within 50 ms: killed/.test(l)));
});

test('a request is answered by the reply with its id; it fails when the child dies', async () => {
  const { sup, kids } = setup();
  sup.start();
  const p = sup.request((id) => ({ t: 'status', id }), 1000, 'status');
  const req = kids[0].sent.at(-1) as { t: 'status'; id: number };
  kids[0].reply({ t: 'reply', id: req.id, ok: true, result: { x: 1 } });
  assert.deepEqual(await p, { x: 1 });
  const q = sup.request((id) => ({ t: 'status', id }), 1000, 'status');
  kids[0].exit(null, 'SIGKILL');
  await assert.rejects(q, /exited/);
  await sup.stop();
});

test('childNeeded: keepalived starts a child only for what it has to do, narrowed by -P / -C', () => {
  const c = (o: Partial<{ instances: unknown[]; virtualServers: unknown[]; staticAddresses: unknown[] }>) =>
    ({ instances: [], virtualServers: [], staticAddresses: [], staticRoutes: [], staticRules: [], ...o }) as never;
  const both = { vrrpOnly: false, checkOnly: false };
  assert.equal(childNeeded('vrrp', c({ instances: [1] }), both), true);
  assert.equal(childNeeded('vrrp', c({ staticAddresses: [1] }), both), true);
  assert.equal(childNeeded('vrrp', c({ virtualServers: [1] }), both), false);
  assert.equal(childNeeded('checker', c({ virtualServers: [1] }), both), true);
  assert.equal(childNeeded('checker', c({ instances: [1] }), both), false);
  assert.equal(childNeeded('checker', c({ virtualServers: [1] }), { vrrpOnly: true, checkOnly: false }), false);
  assert.equal(childNeeded('vrrp', c({ instances: [1] }), { vrrpOnly: false, checkOnly: true }), false);
  assert.equal(childNeeded('vrrp', c({ instances: [1] }), { vrrpOnly: true, checkOnly: true }), true);
});
