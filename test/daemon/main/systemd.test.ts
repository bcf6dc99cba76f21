/**
 * systemd's notification protocol from the main process
 * (src/daemon/main/systemd.ts), on a virtual clock with a fake main process:
 * the environment taken away from what main spawns, READY / RELOADING /
 * STOPPING in order, STATUS lines, and what a watchdog ping proves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../src/core/clock';
import { Logger, type LogRecord } from '../../../src/core/log';
import type { CliOptions } from '../../../src/cli/args';
import type { KeepalivedConfig } from '../../../src/config/model';
import type { KtsNative } from '../../../src/native';
import { MainEvents, type MainContext } from '../../../src/daemon/main/extensions';
import type { MainStatus } from '../../../src/daemon/main/main-process';
import { RESPAWN_GRACE_MS, statusLine, SystemdNotifier, takeSystemdEnv, type SystemdEnv } from '../../../src/daemon/main/systemd';
import type { InstanceStatusView } from '../../../src/daemon/status';

const flush = () => new Promise((r) => setImmediate(r));

function inst(name: string, state: InstanceStatusView['state']): InstanceStatusView {
  return { name, state } as InstanceStatusView;
}

/** A main process: its events, and a status() the test controls (answer, hang, fail). */
function setup(env: SystemdEnv | null = { socket: '/run/notify', watchdogMs: 400 }, send?: (socket: string, text: string) => void) {
  const clock = new VirtualClock(1000);
  const sent: { socket: string; text: string; at: number }[] = [];
  const logs: LogRecord[] = [];
  const events = new MainEvents();
  let mode: 'answer' | 'hang' | 'fail' | 'checkerSilent' = 'answer';
  let instances = [inst('VI_1', 'MASTER'), inst('VI_2', 'BACKUP')];
  let statusCalls = 0;
  const status = (): Promise<MainStatus> => {
    statusCalls++;
    if (mode === 'hang') return new Promise(() => undefined);
    if (mode === 'fail') return Promise.reject(new Error('VRRP child: status: no answer within 3000 ms'));
    const checkers = mode === 'checkerSilent' ? { error: 'Healthcheck child: status: no answer' } : { virtualServers: [] };
    return Promise.resolve({ instances, processes: { main: 1, vrrp: 2, checker: 3 }, checkers } as unknown as MainStatus);
  };
  const ctx: MainContext = {
    events,
    status,
    config: () => ({}) as KeepalivedConfig,
    options: {} as CliOptions,
    log: new Logger((r) => logs.push(r), {}, 'debug'),
    native: {} as KtsNative,
  };
  const n = new SystemdNotifier(env ?? undefined, {
    clock,
    send: send ?? ((socket, text) => void sent.push({ socket, text, at: clock.now() })),
    monotonicUsec: () => 123456789n,
    pid: 4242,
  });
  n.start(ctx);
  return {
    clock, sent, logs, events, n,
    texts: () => sent.map((s) => s.text),
    pings: () => sent.filter((s) => s.text === 'WATCHDOG=1'),
    setMode: (m: typeof mode) => (mode = m),
    setInstances: (i: InstanceStatusView[]) => (instances = i),
    statusCalls: () => statusCalls,
    run,
    /** How many WATCHDOG=1 were sent while the clock ran `ms`. */
    async pingsDuring(ms: number): Promise<number> {
      const n = sent.filter((x) => x.text === 'WATCHDOG=1').length;
      await run(ms);
      return sent.filter((x) => x.text === 'WATCHDOG=1').length - n;
    },
  };

  /** Advance the virtual clock in steps, letting promises settle between them. */
  async function run(ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      await flush();
    }
  }
}

test('takeSystemdEnv reads NOTIFY_SOCKET and the watchdog, and removes all three from the environment', () => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '400000', WATCHDOG_PID: '77', PATH: '/bin' };
  assert.deepEqual(takeSystemdEnv(env, 77), { socket: '/run/systemd/notify', watchdogMs: 400 });
  assert.deepEqual(env, { PATH: '/bin' }, 'children and scripts inherit none of them');
});

test('takeSystemdEnv: the abstract form; no watchdog for another pid or a bad WATCHDOG_USEC; nothing without a socket', () => {
  assert.deepEqual(takeSystemdEnv({ NOTIFY_SOCKET: '@kts/notify', WATCHDOG_USEC: '1000000' }, 5), { socket: '@kts/notify', watchdogMs: 1000 });
  assert.deepEqual(takeSystemdEnv({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '1000000', WATCHDOG_PID: '6' }, 5), { socket: '/n' });
  assert.deepEqual(takeSystemdEnv({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: 'soon' }, 5), { socket: '/n' });
  assert.deepEqual(takeSystemdEnv({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '0' }, 5), { socket: '/n' });
  const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '1000000', WATCHDOG_PID: '5' };
  assert.equal(takeSystemdEnv(env, 5), undefined);
  assert.deepEqual(env, {}, 'a watchdog without a socket is removed too');
  assert.equal(takeSystemdEnv({ NOTIFY_SOCKET: 'relative/path' }, 5), undefined, 'not a path sd_notify would use');
});

test('statusLine names up to six instances, then counts states', () => {
  assert.equal(statusLine({ instances: [inst('VI_1', 'MASTER'), inst('VI_2', 'BACKUP')] }), '2 instances: VI_1 MASTER, VI_2 BACKUP');
  assert.equal(statusLine({ instances: [inst('VI_1', 'FAULT')] }), '1 instance: VI_1 FAULT');
  assert.equal(statusLine({ instances: [] }), 'running, no VRRP instances');
  const many = [...Array(7)].map((_, i) => inst(`VI_${i}`, i < 5 ? 'MASTER' : 'BACKUP'));
  assert.equal(statusLine({ instances: many }), '7 instances: 5 MASTER, 2 BACKUP');
});

test('without NOTIFY_SOCKET nothing is sent and no timer runs', async () => {
  const s = setup(null);
  s.events.emit('ready');
  s.events.emit('reloading');
  s.events.emit('stopping');
  await s.run(2000);
  assert.deepEqual(s.sent, []);
  assert.equal(s.clock.pending(), 0);
});

test('start, reload, stop: READY=1 with MAINPID, RELOADING=1 with MONOTONIC_USEC, READY=1, STOPPING=1, in order', async () => {
  const s = setup({ socket: '@kts-test' });
  s.events.emit('ready');
  await flush();
  s.events.emit('reloading');
  s.events.emit('reloaded', { ok: true, diagnostics: [] });
  s.events.emit('ready');
  await flush();
  s.events.emit('stopping');
  await flush();
  assert.ok(s.sent.every((m) => m.socket === '@kts-test'));
  assert.deepEqual(s.texts(), [
    'READY=1\nMAINPID=4242',
    'STATUS=2 instances: VI_1 MASTER, VI_2 BACKUP',
    'RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=Reloading configuration',
    'READY=1\nMAINPID=4242',
    'STATUS=2 instances: VI_1 MASTER, VI_2 BACKUP',
    'STOPPING=1\nSTATUS=Stopping',
  ]);
});

test('a refused reload ends with READY=1 too (the running configuration goes on), saying why', async () => {
  const s = setup({ socket: '/n' });
  s.events.emit('ready');
  await flush();
  s.events.emit('reloading');
  const err = { severity: 'error', code: 'E_X', message: 'bad', file: 'k.conf', line: 3, col: 1 } as const;
  s.events.emit('reloaded', { ok: false, diagnostics: [err, { ...err, line: 4 }] });
  await flush();
  assert.deepEqual(s.texts().slice(2), ['RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=Reloading configuration', 'READY=1\nSTATUS=Reload refused (2 errors): running the previous configuration']);
});

test('two reloads back to back: one READY=1 when the last is done, none for a readiness of the first that comes late', async () => {
  const s = setup({ socket: '/n' });
  s.events.emit('ready');
  await flush();
  s.events.emit('reloading');
  s.events.emit('reloaded', { ok: true, diagnostics: [] });
  s.events.emit('reloading');
  s.events.emit('ready'); // the first reload's, after the second began
  s.events.emit('reloaded', { ok: true, diagnostics: [] });
  s.events.emit('ready');
  await flush();
  const kinds = s.texts().map((t) => t.split('\n')[0].split('=')[0]);
  assert.deepEqual(kinds, ['READY', 'STATUS', 'RELOADING', 'RELOADING', 'READY', 'STATUS']);
});

test('STATUS= follows transitions (coalesced, only when it changed) and child deaths', async () => {
  const s = setup({ socket: '/n' });
  s.events.emit('ready');
  await flush();
  s.setInstances([inst('VI_1', 'BACKUP'), inst('VI_2', 'BACKUP')]);
  s.events.emit('transition', {} as never);
  s.events.emit('transition', {} as never);
  s.events.emit('transition', {} as never);
  await flush();
  await flush();
  s.events.emit('transition', {} as never); // nothing changed
  await flush();
  s.events.emit('childDied', { role: 'vrrp', pid: 99, how: 'signal SIGKILL' });
  assert.deepEqual(s.texts().slice(1), [
    'STATUS=2 instances: VI_1 MASTER, VI_2 BACKUP',
    'STATUS=2 instances: VI_1 BACKUP, VI_2 BACKUP',
    'STATUS=VRRP child process(99) died (signal SIGKILL): respawning',
  ]);
});

test('watchdog: WATCHDOG=1 every WATCHDOG_USEC/2 from READY=1 on, each after the children answered', async () => {
  const s = setup({ socket: '/n', watchdogMs: 400 });
  await s.run(1000);
  assert.equal(s.pings().length, 0, 'no ping before READY=1 (systemd arms the watchdog then)');
  s.events.emit('ready');
  await s.run(1000);
  const at = s.pings().map((p) => p.at);
  assert.equal(at.length, 5);
  assert.deepEqual(at.slice(1).map((t, i) => t - at[i]), [200, 200, 200, 200]);
  assert.ok(s.statusCalls() >= 5, 'every ping followed a status answer');
});

test('watchdog: a child that does not answer stops the pings (systemd then acts), and they resume when it answers', async () => {
  const s = setup({ socket: '/n', watchdogMs: 400 });
  s.events.emit('ready');
  await s.run(400);
  s.setMode('hang');
  assert.equal(await s.pingsDuring(1000), 0, 'no ping while the VRRP child is silent');
  assert.equal(s.logs.filter((l) => /systemd watchdog: not pinging: no answer to a status request within 200 ms/.test(l.msg)).length, 1, 'said once');
  s.setMode('fail');
  assert.equal(await s.pingsDuring(400), 0, 'no ping when the status request fails');
  s.setMode('checkerSilent');
  assert.equal(await s.pingsDuring(400), 0, 'no ping when the running Healthcheck child did not answer');
  s.setMode('answer');
  assert.equal(await s.pingsDuring(400), 2);
  assert.ok(s.logs.some((l) => /every child answers again - pinging/.test(l.msg)));
});

test('watchdog: while a dead child is respawned the pings prove the main loop alone, for a bounded time', async () => {
  const s = setup({ socket: '/n', watchdogMs: 400 });
  s.events.emit('ready');
  await s.run(200);
  s.setMode('fail'); // the VRRP child is gone: its status request fails
  s.events.emit('childDied', { role: 'vrrp', pid: 99, how: 'signal SIGKILL' });
  assert.equal(await s.pingsDuring(2000), 10, 'main supervises the respawn: pings go on');
  s.setMode('hang'); // respawned, but never answers
  await s.run(RESPAWN_GRACE_MS);
  assert.equal(await s.pingsDuring(1000), 0, 'after the grace a silent child stops the pings');
});

test('watchdog: a respawned child that answers ends the grace at once', async () => {
  const s = setup({ socket: '/n', watchdogMs: 400 });
  s.events.emit('ready');
  s.events.emit('childDied', { role: 'checker', pid: 98, how: 'status 1' });
  await s.run(400); // the respawned child answers
  s.setMode('hang');
  assert.equal(await s.pingsDuring(1000), 0, 'a hang right after the respawn is caught');
});

test('watchdog: no pings after STOPPING=1, and stop() cancels the timer', async () => {
  const s = setup({ socket: '/n', watchdogMs: 400 });
  s.events.emit('ready');
  await s.run(400);
  s.events.emit('stopping');
  const n = s.sent.length;
  await s.run(1000);
  assert.equal(s.sent.length, n);
  assert.equal(s.texts()[n - 1], 'STOPPING=1\nSTATUS=Stopping');
  s.n.stop();
  assert.equal(s.clock.pending(), 0);
});

test('a send that fails is logged once per error, and never throws into the main process', async () => {
  const s = setup({ socket: '/gone', watchdogMs: 100 }, () => {
    throw Object.assign(new Error('sendto: ENOENT'), { code: 'ENOENT' });
  });
  s.events.emit('ready');
  await s.run(1000);
  assert.deepEqual(s.logs.filter((l) => l.level !== 'debug').map((l) => l.msg), ['systemd: cannot notify /gone: sendto: ENOENT']);
  s.n.stop();
});
