/**
 * The checker service on a virtual clock with a scripted probe port, wired to
 * the real Notifier (fake process runner, in-memory mail transport, a real
 * FIFO): what keepalived 2.2.7 would run, write and mail for each change.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfigText, hasErrors, formatDiagnostic, type KeepalivedConfig } from '../../../src/config';
import { VirtualClock } from '../../../src/core/clock';
import { Logger, memorySink, type LogRecord } from '../../../src/core/log';
import { CheckRunner, type CheckEvent } from '../../../src/check/runner';
import type { ProbeResult, ProbeSpec } from '../../../src/check/types';
import { VirtualServerTable } from '../../../src/lvs/model';
import type { LvsDataPlane, LvsDestination, LvsService } from '../../../src/net/ports';
import { Notifier } from '../../../src/notify';
import type { ExitResult, ProcessHandle, ProcessRunner, SpawnSpec } from '../../../src/notify/process';
import { CheckerService, NO_IPVS_MESSAGE } from '../../../src/daemon/checker-process/checkers';
import { planCheckers } from '../../../src/daemon/checker-process/checker-plan';
import { notifierOptions } from '../../../src/daemon/notify-wiring';
import { CHECK_DURATION_BUCKETS_MS } from '../../../src/daemon/checker-process/check-durations';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-checkers-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let seq = 0;

const VS = '[192.0.2.100]:tcp:80';
const RS1 = '[198.51.100.1]:tcp:8080';
const RS2 = '[198.51.100.2]:tcp:8080';
const RS3 = '[198.51.100.3]:tcp:8080';

function parse(text: string): KeepalivedConfig {
  const r = parseConfigText(text, 'keepalived.conf', { hostname: 'lb1' });
  if (hasErrors(r.diagnostics)) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.config;
}

/** A process runner that records argv and exits 0 at once (asynchronously, as a real one). */
class FakeRunner implements ProcessRunner {
  readonly spawned: string[][] = [];
  spawn(spec: SpawnSpec, onExit: (r: ExitResult) => void): ProcessHandle {
    this.spawned.push([...spec.argv]);
    setImmediate(() => onExit({ kind: 'exited', code: 0 }));
    return { pid: 4242, terminate: () => {} };
  }
}

/** Probe answers per target (`ip:port`, MISC path); default: success. */
class FakeProbes {
  readonly answers = new Map<string, ProbeResult>();
  readonly calls: { key: string; at: number }[] = [];
  constructor(private readonly clock: VirtualClock) {}
  key(spec: ProbeSpec): string {
    if ('target' in spec) return `${spec.target.connectIp}:${spec.target.connectPort}`;
    return spec.type === 'MISC_CHECK' ? spec.miscPath : spec.path;
  }
  set(key: string, ok: boolean, extra: Partial<ProbeResult> = {}): void {
    this.answers.set(key, { ok, detail: ok ? 'connected' : 'connect ECONNREFUSED', ...extra });
  }
  readonly port = (spec: ProbeSpec): ProbeResult => {
    const key = this.key(spec);
    this.calls.push({ key, at: this.clock.now() });
    return this.answers.get(key) ?? { ok: true, detail: 'connected' };
  };
}

/** Records the data-plane calls. */
class RecordingPlane implements LvsDataPlane {
  readonly kind = 'test';
  readonly calls: string[] = [];
  readonly table = new Map<string, Map<string, number>>();
  private rec(s: string): Promise<{ changed: boolean }> {
    this.calls.push(s);
    return Promise.resolve({ changed: true });
  }
  addService(s: LvsService) {
    this.table.set(s.name, new Map());
    return this.rec(`add ${s.name} ${s.scheduler} ${s.method}`);
  }
  removeService(s: LvsService) {
    this.table.delete(s.name);
    return this.rec(`del ${s.name}`);
  }
  addDestination(s: LvsService, d: LvsDestination) {
    this.table.get(s.name)!.set(`${d.ip}:${d.port}`, d.weight);
    return this.rec(`add ${s.name} ${d.ip}:${d.port} w${d.weight}`);
  }
  updateDestination(s: LvsService, d: LvsDestination) {
    this.table.get(s.name)!.set(`${d.ip}:${d.port}`, d.weight);
    return this.rec(`edit ${s.name} ${d.ip}:${d.port} w${d.weight}`);
  }
  removeDestination(s: LvsService, d: LvsDestination) {
    this.table.get(s.name)!.delete(`${d.ip}:${d.port}`);
    return this.rec(`del ${s.name} ${d.ip}:${d.port}`);
  }
  dests(vs: string): Record<string, number> {
    return Object.fromEntries(this.table.get(vs) ?? []);
  }
}

interface Mail {
  subject: string;
  body: string;
}

function globals(fifo: string, extra: string[] = []): string {
  return [
    'global_defs {',
    '  router_id lb1',
    '  notification_email {',
    '    ops@example.com',
    '  }',
    '  notification_email_from lb1@example.com',
    '  smtp_server 192.0.2.25',
    `  notify_fifo ${fifo}`,
    ...extra.map((l) => `  ${l}`),
    '}',
  ].join('\n');
}

function rs(n: number, o: { weight?: number; lines?: string[]; check?: string[]; retry0?: boolean } = {}): string {
  return [
    `  real_server 198.51.100.${n} 8080 {`,
    `    weight ${o.weight ?? 1}`,
    `    notify_up "/usr/local/bin/rs-notify up ${n}"`,
    `    notify_down "/usr/local/bin/rs-notify down ${n}"`,
    ...(o.lines ?? []).map((l) => `    ${l}`),
    ...(o.check ?? ['TCP_CHECK {', '  connect_timeout 2', ...(o.retry0 ? ['  retry 0'] : []), '}']).map((l) => `    ${l}`),
    '  }',
  ].join('\n');
}

function vs(lines: string[], servers: string[]): string {
  return [
    'virtual_server 192.0.2.100 80 {',
    '  delay_loop 10',
    '  lb_algo rr',
    '  lb_kind NAT',
    '  protocol TCP',
    '  retry 2',
    '  delay_before_retry 3',
    '  quorum_up "/usr/local/bin/vs-notify quorum up"',
    '  quorum_down "/usr/local/bin/vs-notify quorum down"',
    ...lines.map((l) => `  ${l}`),
    ...servers,
    '}',
  ].join('\n');
}

function rig(text: string, o: { dataPlane?: boolean; dontReleaseIpvs?: boolean } = {}) {
  const clock = new VirtualClock(0);
  const cfg = parse(text);
  const runner = new FakeRunner();
  const mails: Mail[] = [];
  const notifier = new Notifier(notifierOptions(cfg.global, () => undefined), {
    clock,
    runner,
    mailTransport: {
      send: async (_env, raw) => {
        const subject = /\r\nSubject: (.*)\r\n/.exec(raw)?.[1] ?? '';
        const body = raw.split('\r\n\r\n')[1] ?? '';
        mails.push({ subject, body: body.replace(/\r\n$/, '') });
      },
      close: () => {},
    },
    now: () => new Date(0),
  });
  assert.deepEqual(notifier.open(), []);
  const fifo: string[] = [];
  notifier.on('fifo', (e: { line: string }) => fifo.push(e.line.trimEnd()));
  const logs: LogRecord[] = [];
  const logger = new Logger(memorySink(logs), {}, 'info');
  const probes = new FakeProbes(clock);
  const plane = o.dataPlane ? new RecordingPlane() : undefined;
  const svc = new CheckerService(cfg, {
    clock,
    logger,
    notifier,
    probe: probes.port,
    random: () => 0,
    dataPlane: plane,
    dontReleaseIpvs: o.dontReleaseIpvs,
  });
  /** Everything reported so far, then cleared. */
  const take = () => {
    const out = { scripts: [...runner.spawned], fifo: [...fifo], mails: [...mails] };
    runner.spawned.length = 0;
    fifo.length = 0;
    mails.length = 0;
    return out;
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await notifier.idle();
      await svc.idle();
      await new Promise((r) => setImmediate(r));
    }
  };
  /** Advance virtual time to `t` ms and let notifications finish. */
  const at = async (t: number) => {
    clock.runUntil(t);
    await settle();
  };
  const logText = () => logs.map((l) => l.msg);
  const close = async () => {
    await svc.stop();
    await notifier.close(0);
  };
  return { clock, cfg, svc, probes, plane, take, at, settle, logText, close, notifier };
}

const fifoPath = () => path.join(dir, `n${++seq}.fifo`);
const empty = { scripts: [], fifo: [], mails: [] };

describe('real server down and up (TCP_CHECK, delay_loop 10, retry 2, delay_before_retry 3)', () => {
  test('notify_down only after the retries, with keepalived argv, FIFO line and mail; notify_up when it answers again', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs(['smtp_alert'], [rs(1), rs(2)])}`);
    r.svc.start();
    await r.settle();
    // keepalived: quorum is computed before the servers are added, so starting reports "quorum up".
    assert.deepEqual(r.take(), {
      scripts: [['/usr/local/bin/vs-notify', 'quorum', 'up']],
      fifo: [`VS ${VS} UP`],
      mails: [{ subject: `[lb1] Virtualserver ${VS} - UP`, body: '=> Starting with quorum up 1+0=1 <= 2 <=' }],
    });
    await r.at(1000); // bootstrap run: both answer
    assert.deepEqual(r.take(), empty, 'a first success changes nothing');
    r.probes.set('198.51.100.1:8080', false);
    await r.at(11_000); // first failure: retry 1/2
    await r.at(14_000); // retry 2/2
    assert.deepEqual(r.take(), empty, 'no notification while retries remain');
    await r.at(16_999);
    assert.deepEqual(r.take(), empty);
    await r.at(17_000); // third failure: down
    assert.deepEqual(r.take(), {
      scripts: [['/usr/local/bin/rs-notify', 'down', '1']],
      fifo: [`RS ${RS1} ${VS} DOWN`],
      mails: [{ subject: `[lb1] Realserver ${RS1} of virtual server ${VS} - DOWN`, body: '=> TCP CHECK failed on service <=' }],
    });
    assert.ok(r.logText().includes(`Removing service ${RS1} from VS ${VS}`));
    assert.equal(r.svc.status().virtualServers[0].realServers[0].alive, false);
    assert.equal(r.svc.status().virtualServers[0].state, 'UP', 'RS2 keeps the quorum');
    r.probes.set('198.51.100.1:8080', true);
    await r.at(27_000); // a down checker runs every delay_loop
    assert.deepEqual(r.take(), {
      scripts: [['/usr/local/bin/rs-notify', 'up', '1']],
      fifo: [`RS ${RS1} ${VS} UP`],
      mails: [{ subject: `[lb1] Realserver ${RS1} of virtual server ${VS} - UP`, body: '=> TCP CHECK succeed on service <=' }],
    });
    assert.ok(r.logText().includes(`Adding service ${RS1} to VS ${VS}`));
    assert.ok(r.logText().includes(`TCP connection to ${RS1} success.`));
    await r.close();
  });

  test('a server dead at start is removed after its first failure (no retries), as keepalived', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs([], [rs(1), rs(2)])}`);
    r.probes.set('198.51.100.2:8080', false);
    r.svc.start();
    await r.settle();
    r.take();
    await r.at(1000);
    assert.deepEqual(r.take().fifo, [`RS ${RS2} ${VS} DOWN`]);
    await r.close();
  });

  test('HTTP_GET mail body and notify_down after nb_get_retry; smtp_alert off on the real server sends no mail', async () => {
    const http = ['HTTP_GET {', '  url {', '    path /health', '    status_code 200', '  }', '  retry 1', '  delay_before_retry 2', '}'];
    const text = `${globals(fifoPath())}\n${vs([], [rs(1, { check: http }), rs(2, { check: http, lines: ['smtp_alert off'] })])}`;
    const r = rig(text);
    r.svc.start();
    await r.at(1000);
    r.take();
    r.probes.set('198.51.100.1:8080', false);
    r.probes.set('198.51.100.2:8080', false);
    await r.at(11_000);
    await r.at(13_000);
    const got = r.take();
    assert.deepEqual(got.scripts, [
      ['/usr/local/bin/rs-notify', 'down', '1'],
      ['/usr/local/bin/rs-notify', 'down', '2'],
      ['/usr/local/bin/vs-notify', 'quorum', 'down'],
    ]);
    assert.deepEqual(got.mails, [{ subject: `[lb1] Realserver ${RS1} of virtual server ${VS} - DOWN`, body: '=> CHECK failed on service : HTTP request failed <=' }]);
    assert.deepEqual(got.fifo, [`RS ${RS1} ${VS} DOWN`, `RS ${RS2} ${VS} DOWN`, `VS ${VS} DOWN`]);
    await r.close();
  });

  test('two checkers on one server: down when the first fails, up only when the last failed one recovers', async () => {
    const two = ['TCP_CHECK {', '  connect_port 8080', '  retry 0', '}', 'TCP_CHECK {', '  connect_port 9090', '  retry 0', '}'];
    const r = rig(`${globals(fifoPath())}\n${vs([], [rs(1, { retry0: true, check: two }), rs(2, { retry0: true })])}`);
    r.svc.start();
    await r.at(1000);
    r.take();
    r.probes.set('198.51.100.1:8080', false);
    r.probes.set('198.51.100.1:9090', false);
    await r.at(11_000);
    assert.deepEqual(r.take().scripts, [['/usr/local/bin/rs-notify', 'down', '1']], 'one notify_down for two failed checkers');
    r.probes.set('198.51.100.1:8080', true);
    await r.at(21_000);
    assert.deepEqual(r.take(), empty, 'still one checker down');
    assert.deepEqual(r.svc.status().virtualServers[0].realServers[0].checkers.map((c) => c.up), [true, false]);
    r.probes.set('198.51.100.1:9090', true);
    await r.at(31_000);
    assert.deepEqual(r.take().fifo, [`RS ${RS1} ${VS} UP`]);
    await r.close();
  });
});

describe('quorum and hysteresis', () => {
  test('quorum 4, hysteresis 1, weights 2+2+1: lost below 3, regained only at 5', async () => {
    const text = `${globals(fifoPath())}\n${vs(['quorum 4', 'hysteresis 1', 'smtp_alert'], [rs(1, { retry0: true, weight: 2 }), rs(2, { retry0: true, weight: 2 }), rs(3, { retry0: true, weight: 1 })])}`;
    const r = rig(text);
    r.svc.start();
    await r.settle();
    assert.deepEqual(r.take().mails, [{ subject: `[lb1] Virtualserver ${VS} - UP`, body: '=> Starting with quorum up 4+1=5 <= 5 <=' }]);
    await r.at(1000);
    r.probes.set('198.51.100.3:8080', false);
    await r.at(11_000); // 4 left >= 4-1
    assert.deepEqual(r.take().fifo, [`RS ${RS3} ${VS} DOWN`]);
    r.probes.set('198.51.100.2:8080', false);
    await r.at(21_000); // 2 left < 3: lost
    const lost = r.take();
    assert.deepEqual(lost.scripts, [['/usr/local/bin/rs-notify', 'down', '2'], ['/usr/local/bin/vs-notify', 'quorum', 'down']]);
    assert.deepEqual(lost.fifo, [`RS ${RS2} ${VS} DOWN`, `VS ${VS} DOWN`]);
    assert.deepEqual(lost.mails.map((m) => m.subject).sort(), [`[lb1] Realserver ${RS2} of virtual server ${VS} - DOWN`, `[lb1] Virtualserver ${VS} - DOWN`].sort());
    assert.deepEqual(lost.mails.find((m) => m.subject.includes('Virtualserver'))?.body, '=> Lost quorum 4+1=3 <= 2 <=');
    assert.ok(r.logText().includes(`Lost quorum 4-1=3 > 2 for VS ${VS}`));
    r.probes.set('198.51.100.2:8080', true);
    await r.at(31_000); // 4 < 4+1: still down (hysteresis)
    assert.deepEqual(r.take().fifo, [`RS ${RS2} ${VS} UP`]);
    assert.equal(r.svc.status().virtualServers[0].state, 'DOWN');
    r.probes.set('198.51.100.3:8080', true);
    await r.at(41_000); // 5 >= 5: gained
    const gained = r.take();
    assert.deepEqual(gained.fifo, [`RS ${RS3} ${VS} UP`, `VS ${VS} UP`]);
    assert.deepEqual(gained.scripts.at(-1), ['/usr/local/bin/vs-notify', 'quorum', 'up']);
    assert.deepEqual(gained.mails.find((m) => m.subject.includes('Virtualserver')), { subject: `[lb1] Virtualserver ${VS} - UP`, body: '=> Gained quorum 4+1=5 <= 5 <=' });
    assert.ok(r.logText().includes(`Gained quorum 4+1=5 <= 5 for VS ${VS}`));
    await r.close();
  });

  test('misc_dynamic weights count towards the quorum', async () => {
    const misc = ['MISC_CHECK {', '  misc_path "/usr/local/bin/weigh 1"', '  misc_dynamic', '  retry 0', '}'];
    const text = `${globals(fifoPath())}\n${vs(['quorum 3'], [rs(1, { retry0: true, check: misc, weight: 3 })])}`;
    const r = rig(text);
    r.probes.set('/usr/local/bin/weigh 1', true, { weight: 2 }); // exit status 4: weight 2
    r.svc.start();
    await r.settle();
    assert.deepEqual(r.take().fifo, [`VS ${VS} UP`]);
    await r.at(1000);
    const got = r.take();
    assert.deepEqual(got.fifo, [`VS ${VS} DOWN`], 'weight 3 -> 2 < quorum 3');
    assert.ok(r.logText().includes(`Changing weight from 3 to 2 for active service ${RS1} of VS ${VS}`));
    assert.equal(r.svc.status().virtualServers[0].realServers[0].weight, 2);
    await r.close();
  });
});

describe('alpha, inhibit_on_failure, sorry server (data plane)', () => {
  test('alpha: servers start out of the pool; a first failure runs notify_down without mail; a first success adds it', async () => {
    const text = `${globals(fifoPath())}\n${vs(['alpha', 'sorry_server 203.0.113.9 8080'], [rs(1), rs(2)])}`;
    const r = rig(text, { dataPlane: true });
    r.probes.set('198.51.100.2:8080', false);
    r.svc.start();
    await r.settle();
    // No server alive yet: quorum starts down and the sorry server goes in.
    assert.deepEqual(r.take(), { scripts: [['/usr/local/bin/vs-notify', 'quorum', 'down']], fifo: [`VS ${VS} DOWN`], mails: [] });
    assert.ok(r.logText().includes(`Starting with quorum down 1-0=1 > 0 for VS ${VS}`));
    assert.ok(r.logText().includes(`Adding sorry server [203.0.113.9]:tcp:8080 to VS ${VS}`));
    assert.deepEqual(r.plane!.dests(VS), { '203.0.113.9:8080': 1 });
    await r.at(1000);
    const got = r.take();
    assert.deepEqual(got.fifo, [`RS ${RS1} ${VS} UP`, `VS ${VS} UP`, `RS ${RS2} ${VS} DOWN`]);
    assert.deepEqual(got.scripts, [
      ['/usr/local/bin/rs-notify', 'up', '1'],
      ['/usr/local/bin/vs-notify', 'quorum', 'up'],
      ['/usr/local/bin/rs-notify', 'down', '2'],
    ]);
    assert.deepEqual(got.mails, [{ subject: `[lb1] Realserver ${RS1} of virtual server ${VS} - UP`, body: '=> TCP CHECK succeed on service <=' }], 'no mail for the alpha first failure');
    assert.ok(r.logText().includes(`Removing sorry server [203.0.113.9]:tcp:8080 from VS ${VS}`));
    assert.deepEqual(r.plane!.dests(VS), { '198.51.100.1:8080': 1 });
    await r.close();
  });

  test('sorry server takes over when quorum is lost and leaves when it is back', async () => {
    const text = `${globals(fifoPath())}\n${vs(['sorry_server 203.0.113.9 8080'], [rs(1, { retry0: true })])}`;
    const r = rig(text, { dataPlane: true });
    r.svc.start();
    await r.at(1000);
    assert.deepEqual(r.plane!.dests(VS), { '198.51.100.1:8080': 1 });
    assert.deepEqual(r.plane!.calls.slice(0, 2), [`add ${VS} rr NAT`, `add ${VS} 198.51.100.1:8080 w1`]);
    r.take();
    r.probes.set('198.51.100.1:8080', false);
    await r.at(11_000);
    assert.deepEqual(r.take().fifo, [`RS ${RS1} ${VS} DOWN`, `VS ${VS} DOWN`]);
    assert.deepEqual(r.plane!.dests(VS), { '203.0.113.9:8080': 1 });
    assert.deepEqual(r.svc.status().virtualServers[0].sorryServer, { name: '[203.0.113.9]:tcp:8080', inPool: true });
    r.probes.set('198.51.100.1:8080', true);
    await r.at(21_000);
    assert.deepEqual(r.take().fifo, [`RS ${RS1} ${VS} UP`, `VS ${VS} UP`]);
    assert.deepEqual(r.plane!.dests(VS), { '198.51.100.1:8080': 1 });
    await r.close();
    assert.deepEqual(r.plane!.calls.at(-1), `del ${VS}`, 'the service is removed at stop');
  });

  test('inhibit_on_failure: a failed server stays in the table at weight 0 ("Disabling service")', async () => {
    const text = `${globals(fifoPath())}\n${vs(['inhibit_on_failure'], [rs(1, { retry0: true }), rs(2, { retry0: true })])}`;
    const r = rig(text, { dataPlane: true });
    r.svc.start();
    await r.at(1000);
    r.take();
    r.probes.set('198.51.100.1:8080', false);
    await r.at(11_000);
    assert.deepEqual(r.take().fifo, [`RS ${RS1} ${VS} DOWN`]);
    assert.deepEqual(r.plane!.dests(VS), { '198.51.100.1:8080': 0, '198.51.100.2:8080': 1 });
    assert.ok(r.plane!.calls.includes(`edit ${VS} 198.51.100.1:8080 w0`));
    assert.ok(r.logText().includes(`Disabling service ${RS1} of VS ${VS}`));
    r.probes.set('198.51.100.1:8080', true);
    await r.at(21_000);
    assert.ok(r.logText().includes(`Enabling service ${RS1} of VS ${VS}`));
    assert.deepEqual(r.plane!.dests(VS), { '198.51.100.1:8080': 1, '198.51.100.2:8080': 1 });
    await r.close();
  });

  test('without a data plane the service says so once at start, and only when virtual servers exist', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs([], [rs(1)])}`);
    r.svc.start();
    await r.settle();
    assert.equal(r.logText().filter((l) => l === NO_IPVS_MESSAGE).length, 1);
    assert.equal(r.svc.status().dataPlane, 'none');
    await r.close();
    const none = rig(globals(fifoPath()));
    none.svc.start();
    await none.settle();
    assert.ok(!none.logText().includes(NO_IPVS_MESSAGE));
    assert.deepEqual(none.svc.status().virtualServers, []);
    await none.close();
  });
});

describe('reload (clear_diff_services)', () => {
  test('unchanged servers keep their state and timers; a changed checker keeps its state; removed live servers get notify_down', async () => {
    const fifo = fifoPath();
    const before = `${globals(fifo)}\n${vs([], [rs(1, { retry0: true }), rs(2, { retry0: true }), rs(3, { retry0: true })])}`;
    const r = rig(before);
    r.svc.start();
    await r.at(1000);
    r.probes.set('198.51.100.1:8080', false);
    await r.at(11_000);
    r.take();
    const callsBefore = r.probes.calls.length;
    // RS1 unchanged (still down), RS2 gets a new delay_loop (migrated), RS3 removed (alive), RS4 added.
    const rs2 = rs(2, { check: ['TCP_CHECK {', '  connect_timeout 2', '  retry 0', '  delay_loop 4', '}'] });
    const afterText = `${globals(fifo)}\n${vs([], [rs(1, { retry0: true }), rs2, rs(4, { retry0: true })])}`;
    const res = r.svc.reload(parse(afterText));
    await r.settle();
    assert.deepEqual(res, { kept: 1, migrated: 1, added: 1, removed: 1 });
    assert.deepEqual(r.take(), {
      scripts: [['/usr/local/bin/rs-notify', 'down', '3']],
      fifo: [`RS ${RS3} ${VS} DOWN`],
      mails: [{ subject: `[lb1] Realserver ${RS3} of virtual server ${VS} - DOWN`, body: '=> Removing <=' }],
    });
    assert.ok(r.logText().includes(`service ${RS3} no longer exist`));
    const st = r.svc.status().virtualServers[0];
    assert.deepEqual(st.realServers.map((x) => [x.name, x.alive]), [[RS1, false], [RS2, true], ['[198.51.100.4]:tcp:8080', true]]);
    assert.equal(r.probes.calls.length, callsBefore, 'reload itself runs no probe');
    // RS1's checker goes on at its old times (21 s); RS2's restarts (bootstrap, then every 4 s), as RS4's.
    await r.at(12_000);
    assert.deepEqual(r.probes.calls.slice(callsBefore).map((c) => `${c.key}@${c.at}`), ['198.51.100.2:8080@12000', '198.51.100.4:8080@12000']);
    await r.at(20_000);
    assert.deepEqual(r.probes.calls.slice(callsBefore).filter((c) => c.key === '198.51.100.2:8080').map((c) => c.at), [12_000, 16_000, 20_000]);
    assert.deepEqual(r.take(), empty);
    r.probes.set('198.51.100.1:8080', true);
    await r.at(21_000);
    assert.deepEqual(r.take().fifo, [`RS ${RS1} ${VS} UP`], 'the kept down checker brings RS1 up: state was kept');
    await r.close();
  });

  test('a removed virtual server reports its live servers down, then quorum down', async () => {
    const fifo = fifoPath();
    const r = rig(`${globals(fifo)}\n${vs([], [rs(1)])}`);
    r.svc.start();
    await r.at(1000);
    r.take();
    r.svc.reload(parse(globals(fifo)));
    await r.settle();
    assert.deepEqual(r.take().fifo, [`RS ${RS1} ${VS} DOWN`, `VS ${VS} DOWN`]);
    assert.ok(r.logText().includes(`Removing Virtual Server ${VS}`));
    assert.deepEqual(r.svc.status().virtualServers, []);
    await r.close();
  });
});

describe('stop (clear_services)', () => {
  test('without omega nothing is reported; every server is logged as shut down', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs([], [rs(1), rs(2)])}`);
    r.svc.start();
    await r.at(1000);
    r.take();
    await r.svc.stop();
    await r.settle();
    assert.deepEqual(r.take(), empty);
    assert.ok(r.logText().includes(`Shutting down service ${RS1} from VS ${VS}`));
    assert.ok(r.logText().includes(`Shutting down service ${RS2} from VS ${VS}`));
    const calls = r.probes.calls.length;
    await r.at(100_000);
    assert.equal(r.probes.calls.length, calls, 'no probe after stop');
    await r.close();
  });

  test('with omega: notify_down for live servers ("=> Shutting down <="), then quorum_down; stop is idempotent', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs(['omega', 'smtp_alert'], [rs(1, { retry0: true }), rs(2, { retry0: true })])}`);
    r.svc.start();
    await r.at(1000);
    r.probes.set('198.51.100.2:8080', false);
    await r.at(11_000);
    r.take();
    const p1 = r.svc.stop();
    const p2 = r.svc.stop();
    assert.equal(p1, p2);
    await p1;
    await r.settle();
    assert.deepEqual(r.take(), {
      scripts: [['/usr/local/bin/rs-notify', 'down', '1'], ['/usr/local/bin/vs-notify', 'quorum', 'down']],
      fifo: [`RS ${RS1} ${VS} DOWN`, `VS ${VS} DOWN`],
      mails: [
        { subject: `[lb1] Realserver ${RS1} of virtual server ${VS} - DOWN`, body: '=> Shutting down <=' },
        { subject: `[lb1] Virtualserver ${VS} - DOWN`, body: '=> Shutting down <=' },
      ],
    });
    await r.svc.stop();
    await r.settle();
    assert.deepEqual(r.take(), empty);
    await r.close();
  });

  test('--dont-release-ipvs: nothing reported and the table is left as it is', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs(['omega'], [rs(1)])}`, { dataPlane: true, dontReleaseIpvs: true });
    r.svc.start();
    await r.at(1000);
    r.take();
    const calls = r.plane!.calls.length;
    await r.svc.stop();
    await r.settle();
    assert.deepEqual(r.take(), empty);
    assert.equal(r.plane!.calls.length, calls);
    assert.ok(!r.logText().some((l) => l.startsWith('Shutting down service')));
    await r.close();
  });
});

describe('names and status', () => {
  test('fwmark and group services are named as keepalived (FWM n, [group]:0, protocol none under a fwmark)', () => {
    const text = [
      'virtual_server_group web {', '  192.0.2.100 80', '  192.0.2.101 80', '}',
      'virtual_server fwmark 7 {', '  lb_algo rr', '  lb_kind DR',
      '  real_server 198.51.100.1 80 {', '    TCP_CHECK {', '      connect_port 80', '    }', '  }', '}',
      'virtual_server group web {', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP',
      '  real_server 198.51.100.2 8080 {', '    TCP_CHECK {', '    }', '  }', '}',
      'virtual_server 2001:db8::100 443 {', '  lb_algo rr', '  lb_kind DR', '  protocol TCP',
      '  real_server 2001:db8::7 {', '    TCP_CHECK {', '    }', '  }', '}',
    ].join('\n');
    const plan = planCheckers(parse(text));
    assert.deepEqual(
      plan.virtualServers.map((v) => [v.key, v.realServers.map((r) => r.key)]),
      [
        ['FWM 7', ['[198.51.100.1]:none:0']],
        ['[web]:0', ['[198.51.100.2]:tcp:8080']],
        ['[2001:db8::100]:tcp:443', ['[2001:db8::7]:tcp:443']],
      ],
    );
    const web = plan.virtualServers[1];
    assert.deepEqual(web.lvs.services, [{ ip: '192.0.2.100', port: 80 }, { ip: '192.0.2.101', port: 80 }]);
    assert.deepEqual(plan.virtualServers[2].realServers[0].checkers[0].cfg.spec, { type: 'TCP_CHECK', target: { connectIp: '2001:db8::7', connectPort: 443 } });
  });

  test('status: quorum, per real server alive and weight, per checker up/down and last result', async () => {
    const r = rig(`${globals(fifoPath())}\n${vs(['quorum 2'], [rs(1, { retry0: true, weight: 2 }), rs(2, { retry0: true })])}`);
    r.svc.start();
    r.probes.set('198.51.100.2:8080', false);
    await r.at(1000);
    const st = r.svc.status();
    // One run each, on a virtual clock: 0 ms, in every bucket.
    const once = { lastDurationMs: 0, durations: { bucketsMs: CHECK_DURATION_BUCKETS_MS, counts: CHECK_DURATION_BUCKETS_MS.map(() => 1), count: 1, sumMs: 0 } };
    assert.deepEqual(st, {
      dataPlane: 'none',
      running: true,
      virtualServers: [
        {
          name: VS,
          state: 'UP',
          quorum: { quorum: 2, hysteresis: 0, up: true, liveWeight: 2 },
          realServers: [
            {
              name: RS1, address: '198.51.100.1', port: 8080, alive: true, weight: 2, configuredWeight: 2, inhibitOnFailure: false,
              checkers: [{ type: 'TCP_CHECK', index: 0, up: true, hasRun: true, runs: 1, retries: 0, inFlight: false, lastResult: 'connected', ...once }],
            },
            {
              name: RS2, address: '198.51.100.2', port: 8080, alive: false, weight: 1, configuredWeight: 1, inhibitOnFailure: false,
              checkers: [{ type: 'TCP_CHECK', index: 0, up: false, hasRun: true, runs: 1, retries: 0, inFlight: false, lastResult: 'connect ECONNREFUSED', ...once }],
            },
          ],
        },
      ],
    });
    await r.close();
    assert.equal(r.svc.status().running, false);
  });
});

describe('building blocks', () => {
  test('CheckRunner restore: a migrated checker starts in the old state (down, has run) and comes up on its first success', () => {
    const clock = new VirtualClock();
    const events: CheckEvent[] = [];
    let ok = false;
    const runner = new CheckRunner({
      clock,
      probe: () => ({ ok, detail: ok ? 'up' : 'down' }),
      checkers: [{ id: 'c', vs: 'v', rs: 'r', spec: { type: 'TCP_CHECK', target: { connectIp: '198.51.100.1', connectPort: 1 } }, delayLoopMs: 5000, warmupMs: 0, retry: 3, delayBeforeRetryMs: 1000, timeoutMs: 1000, alpha: false, rsWeight: 1 }],
      onEvent: (e) => events.push(e),
      restore: () => ({ isUp: false, hasRun: true, retryIt: 0, weightDelta: 0 }),
      random: () => 0,
    });
    assert.equal(runner.rsAlive('v', 'r'), false);
    runner.start();
    clock.advance(1000);
    assert.equal(events.length, 0, 'a failure while down reports nothing (no alpha first-failure notify)');
    ok = true;
    clock.advance(5000);
    assert.deepEqual(events.map((e) => e.kind === 'rs' && [e.up, e.initial ?? false]), [[true, false]]);
    assert.deepEqual(runner.snapshot('c'), { isUp: true, hasRun: true, retryIt: 0, weightDelta: 0 });
  });

  test('VirtualServerTable.start: quorum up is reported at start, a reload starts from the old state', () => {
    const cfg = { key: 'v', services: [{ ip: '192.0.2.1', port: 80 }], quorum: 2, hysteresis: 1, realServers: [{ key: 'a', ip: '198.51.100.1', weight: 1 }, { key: 'b', ip: '198.51.100.2', weight: 1 }] };
    assert.deepEqual(new VirtualServerTable([cfg]).start(), [], 'live weight 2 < quorum + hysteresis 3: stays down, no sorry server, nothing said');
    const t = new VirtualServerTable([{ ...cfg, hysteresis: 0 }]);
    assert.deepEqual(t.start().map((e) => [e.kind, e.init, e.threshold, e.weightSum]), [['quorum_up', true, 2, 2]]);
    // Reload with one server down: the old "up" state holds down to quorum - hysteresis.
    const r = new VirtualServerTable([cfg], (_v, rsKey) => rsKey === 'a');
    assert.deepEqual(r.start(() => ({ quorumUp: true })), []);
    assert.equal(r.quorumUp('v'), true);
  });
});
