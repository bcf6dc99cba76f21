/**
 * systemd's Type=notify protocol (issue 11): the daemon runs in a lab host
 * with NOTIFY_SOCKET pointing at a datagram socket a small python3 listener
 * holds (Node cannot open AF_UNIX datagram sockets), which records every
 * message with its arrival time on CLOCK_MONOTONIC and the sender's pid
 * (SO_PASSCRED), as systemd sees them.
 *
 * READY=1 once the instances run, RELOADING=1 (MONOTONIC_USEC between the
 * SIGHUP and its arrival) then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, all
 * from the main process; WATCHDOG=1 every WATCHDOG_USEC/2, held while the
 * VRRP process is stopped (SIGSTOP) and going on while a killed one is
 * respawned; the children's environment has none of systemd's variables.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { labUnavailableReason, waitFor, type Lab } from './harness/netns';
import { labSuite } from './harness/suite';
import { startKts, type Peer } from './harness/peers';
import { conf, instance } from './harness/conf';

const why = labUnavailableReason();
const VIP = '192.0.2.100';
const WATCHDOG_USEC = 400_000;

/** Binds the socket (a path, or @name: abstract) and prints one JSON line per datagram. */
const LISTENER = `
import json, socket, struct, sys, time
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\\0' + p[1:] if p.startswith('@') else p)
print(json.dumps({'listening': True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, d in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', d[:12])[0]
    print(json.dumps({'us': time.monotonic_ns() // 1000, 'pid': pid, 'text': data.decode()}), flush=True)
`;

interface Note {
  /** Arrival, CLOCK_MONOTONIC µs. */
  us: number;
  pid: number;
  text: string;
  fields: Record<string, string>;
}

class Listener {
  readonly notes: Note[] = [];
  private readonly proc: ChildProcess;
  private readonly listening: Promise<void>;

  constructor(lab: Lab, host: number, readonly socket: string) {
    this.proc = lab.spawn(host, ['/usr/bin/python3', '-u', '-c', LISTENER, socket]);
    this.listening = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`listener exited ${code}`)));
      readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as { listening?: true; us: number; pid: number; text: string };
        if (m.listening) return resolve();
        const fields = Object.fromEntries(m.text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        this.notes.push({ us: m.us, pid: m.pid, text: m.text, fields });
      });
    });
  }

  ready(): Promise<void> {
    return this.listening;
  }

  /** The first message at or after index `from` that has `key` (e.g. READY). */
  wait(key: string, from = 0, timeoutMs = 10_000): Promise<Note> {
    return waitFor(() => this.notes.slice(from).find((n) => key in n.fields), { timeoutMs, intervalMs: 20, what: `${key}= on ${this.socket}` });
  }

  pings(fromUs = 0, toUs = Infinity): Note[] {
    return this.notes.filter((n) => n.text === 'WATCHDOG=1' && n.us >= fromUs && n.us <= toUs);
  }

  /** READY / RELOADING / STOPPING, in arrival order. */
  lifecycle(): string[] {
    return this.notes.flatMap((n) => ['READY', 'RELOADING', 'STOPPING'].filter((k) => k in n.fields));
  }

  close(): void {
    this.proc.kill('SIGKILL');
  }
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gaps = (ns: Note[]) => ns.slice(1).map((n, i) => (n.us - ns[i].us) / 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function environ(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

describe(`e2e: systemd Type=notify and the watchdog${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 1, v6: false });
  const track = (p: Peer) => suite.track(p);
  const file = () => conf([], instance({ priority: 150, vips: [`${VIP}/24`], advert: '0.1', version: 3 }));

  test('READY=1, RELOADING=1/READY=1 on SIGHUP, STOPPING=1 on SIGTERM, in order, from the main pid; WATCHDOG=1 every WATCHDOG_USEC/2 while the VRRP process answers', async () => {
    const l = new Listener(suite.lab, 1, path.join(suite.lab.dir, 'notify.sock'));
    try {
      await l.ready();
      const a = track(startKts(suite.lab, 1, file(), { env: { NOTIFY_SOCKET: l.socket, WATCHDOG_USEC: String(WATCHDOG_USEC) } }));
      const ready = await l.wait('READY');
      assert.equal(ready.pid, a.pid, 'sent by the main process');
      assert.equal(ready.fields.MAINPID, String(a.pid));
      const st = await a.status();
      assert.deepEqual(st.instances.map((i) => i.name), ['VI_1'], 'at READY=1 the instances run');
      await a.waitState('MASTER');
      await waitFor(() => l.notes.find((n) => n.fields.STATUS === '1 instance: VI_1 MASTER'), { timeoutMs: 3000, what: 'STATUS= with the MASTER' });

      const vrrp = await a.childPid('vrrp');
      for (const pid of [vrrp]) {
        const env = environ(pid);
        assert.ok(!env.some((e) => /^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=/.test(e)), `child ${pid} inherits none of systemd's variables`);
      }

      // The watchdog, steady: every 200 ms, never a gap systemd would act on.
      const t0 = nowUs();
      await sleep(1500);
      const steady = l.pings(t0, nowUs());
      assert.ok(steady.length >= 6, `pings in 1.5 s: ${steady.length}`);
      assert.ok(steady.every((n) => n.pid === a.pid));
      const g = gaps(steady);
      assert.ok(median(g) >= 180 && median(g) <= 240, `median gap ${median(g)} ms (WATCHDOG_USEC/2 = 200)`);
      assert.ok(Math.max(...g) < WATCHDOG_USEC / 1000, `largest gap ${Math.max(...g)} ms < WATCHDOG_USEC`);

      // SIGHUP: RELOADING=1 stamped after the signal and before it arrived, then READY=1.
      const from = l.notes.length;
      const hupUs = nowUs();
      a.signal('SIGHUP');
      const reloading = await l.wait('RELOADING', from);
      const mono = Number(reloading.fields.MONOTONIC_USEC);
      assert.ok(mono >= hupUs && mono <= reloading.us, `MONOTONIC_USEC ${mono} within [SIGHUP ${hupUs}, arrival ${reloading.us}]`);
      const reReady = await l.wait('READY', l.notes.indexOf(reloading) + 1);
      assert.equal(reReady.pid, a.pid);

      // The VRRP process stopped: no answer to status, no ping; it goes on: pings again.
      process.kill(vrrp, 'SIGSTOP');
      const stopUs = nowUs();
      await sleep(1000);
      const held = l.pings(stopUs + 250_000, nowUs());
      process.kill(vrrp, 'SIGCONT');
      assert.deepEqual(held.map((n) => n.us), [], 'no WATCHDOG=1 while the VRRP process cannot answer (systemd would restart the unit)');
      const contUs = nowUs();
      await waitFor(() => l.pings(contUs).length >= 2, { timeoutMs: 2000, what: 'pings after SIGCONT' });
      await a.waitLog(/systemd watchdog: not pinging/, 1000);

      // The VRRP process killed: main respawns it, and the pings go on meanwhile.
      const killUs = nowUs();
      process.kill(vrrp, 'SIGKILL');
      await a.childPid('vrrp', vrrp);
      await a.waitState('MASTER');
      await sleep(400);
      const during = l.pings(killUs, nowUs());
      const dg = gaps([{ us: killUs } as Note, ...during]);
      assert.ok(Math.max(...dg) < WATCHDOG_USEC / 1000, `pings through the respawn, largest gap ${Math.max(...dg)} ms`);
      assert.ok(l.notes.some((n) => /^VRRP child process\(\d+\) died/.test(n.fields.STATUS ?? '')), 'STATUS= says the child died');

      a.signal('SIGTERM');
      assert.equal((await a.waitExit(10_000)).code, 0);
      const stopping = await l.wait('STOPPING');
      assert.equal(stopping.pid, a.pid);
      assert.deepEqual(l.lifecycle(), ['READY', 'RELOADING', 'READY', 'STOPPING']);
      assert.deepEqual(l.pings(stopping.us + 1), [], 'no WATCHDOG=1 after STOPPING=1');
    } finally {
      l.close();
      await suite.stopAll();
    }
  });

  test('the abstract socket form (NOTIFY_SOCKET=@name, in the host\'s network namespace)', async () => {
    const l = new Listener(suite.lab, 1, `@${suite.lab.prefix}-notify`);
    try {
      await l.ready();
      const a = track(startKts(suite.lab, 1, file(), { env: { NOTIFY_SOCKET: l.socket } }));
      const ready = await l.wait('READY');
      assert.equal(ready.pid, a.pid);
      await a.waitState('MASTER');
      a.signal('SIGTERM');
      assert.equal((await a.waitExit(10_000)).code, 0);
      await l.wait('STOPPING');
      assert.deepEqual(l.lifecycle(), ['READY', 'STOPPING']);
      assert.deepEqual(l.pings(), [], 'no WATCHDOG_USEC, no pings');
    } finally {
      l.close();
      await suite.stopAll();
    }
  });
});
