/**
 * The article's setup in small: two database hosts with a "MySQL" service
 * (a TCP listener on 127.0.0.1:3306), a vrrp_script that checks the port
 * (interval 1, fall 2, weight 0 ⇒ FAULT), notify scripts that append their
 * argv to a file, a notify FIFO with its reader script, and a real SMTP
 * server on a third host receiving the alert mails.
 *
 * The same scenario runs once with Debian's keepalived 2.2.7 and once with
 * keepalived-ts: start, stop the service on the master (the VIP moves after
 * fall × interval), start it again (the master comes back and preempts),
 * stop both daemons. The scripts' argv, the FIFO lines and the mail subjects
 * must be the same for both, and what keepalived documents.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Lab, labUnavailableReason, waitFor } from './harness/netns';
import { startPeer, waitHolders, type Peer, type PeerKind } from './harness/peers';
import { conf, instance, masterDownMs, skewMs } from './harness/conf';
import { advertsFrom, vrrpFrames } from './harness/frames';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');
const VIP = '192.0.2.100';
const SMTP_HOST = 3;
const SMTP_PORT = 2525;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Mail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  headers: Record<string, string>;
}

interface Outcome {
  /** Per host: lines of the state scripts, of the generic notify, of the FIFO reader. */
  scripts: Record<number, string[]>;
  generic: Record<number, string[]>;
  fifo: Record<number, string[]>;
  mails: Record<number, string[]>;
  mailSample?: Mail;
  /** Service stopped on host 1 → host 2 MASTER, ms. */
  moveMs: number;
}

function writeScripts(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  // argv joined with '|' so argument boundaries are visible.
  fs.writeFileSync(path.join(dir, 'notify.sh'), '#!/bin/sh\nout="$1"; shift\n{ printf "%s" "$1"; shift; for a in "$@"; do printf "|%s" "$a"; done; echo; } >> "$out"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'fifo-reader.sh'), '#!/bin/sh\n# keepalived appends the FIFO path as the last argument\nwhile read -r line; do echo "$line" >> "$1"; done < "$2"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'check_port.sh'), '#!/bin/bash\nexec 3<>"/dev/tcp/127.0.0.1/$1"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'sleep.sh'), '#!/bin/sh\nsleep "$1"\n', { mode: 0o755 });
}

function hostConf(dir: string, h: number, extra: string[] = []): string {
  return conf(
    [
      `router_id db${h}`,
      'notification_email {',
      '    dba@example.com',
      '    oncall@example.com',
      '}',
      `notification_email_from keepalived@db${h}.example.com`,
      `smtp_server 192.0.2.${10 + SMTP_HOST} ${SMTP_PORT}`,
      'smtp_connect_timeout 5',
      `notify_fifo ${dir}/notify.fifo`,
      `notify_fifo_script "${dir}/fifo-reader.sh ${dir}/fifo.log"`,
    ],
    [
      'vrrp_script chk_mysql {',
      `    script "${dir}/check_port.sh 3306"`,
      '    interval 1',
      '    fall 2',
      '    rise 1',
      '    weight 0',
      '}',
    ].join('\n') + '\n',
    instance({
      priority: h === 1 ? 150 : 100,
      vips: [`${VIP}/24`],
      trackScript: ['chk_mysql'],
      extra: [
        'smtp_alert',
        `notify_master "${dir}/notify.sh ${dir}/scripts.log master"`,
        `notify_backup "${dir}/notify.sh ${dir}/scripts.log backup"`,
        `notify_fault "${dir}/notify.sh ${dir}/scripts.log 'fault state'"`,
        `notify_stop "${dir}/notify.sh ${dir}/scripts.log stop"`,
        `notify "${dir}/notify.sh ${dir}/generic.log"`,
        ...extra,
      ],
    }),
  );
}

const lines = (f: string): string[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

describe(`e2e: notifications, the article's MySQL hot standby${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  let smtp: ChildProcess;
  const mails: (Mail & { at: number })[] = [];
  const services = new Map<number, ChildProcess>();
  const running: Peer[] = [];
  const outcomes = new Map<PeerKind, Outcome>();

  const startService = async (h: number) => {
    const svc = lab.spawn(h, [process.execPath, '-e', "require('net').createServer((s)=>s.end()).listen(3306,'127.0.0.1',()=>console.log('up'))"]);
    await new Promise<void>((resolve, reject) => {
      svc.stdout!.once('data', () => resolve());
      svc.once('exit', (c) => reject(new Error(`service exited ${c}`)));
    });
    services.set(h, svc);
  };
  const stopService = async (h: number) => {
    const svc = services.get(h);
    services.delete(h);
    if (!svc || svc.exitCode !== null) return;
    const gone = new Promise((r) => svc.once('exit', r));
    svc.kill('SIGKILL');
    await gone;
  };

  before(async () => {
    lab = await Lab.create({ hosts: 3, v6: false });
    smtp = lab.node(SMTP_HOST, path.join(__dirname, 'harness', 'drivers', 'smtp-sink.js'), [lab.ipv4(SMTP_HOST), String(SMTP_PORT)]);
    await new Promise<void>((resolve, reject) => {
      const rl = readline.createInterface({ input: smtp.stdout! });
      rl.on('line', (l) => {
        const m = JSON.parse(l) as { event?: string } & Mail & { at: number };
        if (m.event === 'ready') resolve();
        else mails.push(m);
      });
      smtp.once('exit', (c) => reject(new Error(`smtp sink exited ${c}`)));
    });
  });
  after(async () => {
    for (const p of running) await p.stop().catch(() => undefined);
    for (const h of [...services.keys()]) await stopService(h);
    await lab?.destroy();
  });

  async function scenario(kind: PeerKind): Promise<Outcome> {
    const dirs: Record<number, string> = {};
    const peers: Record<number, Peer> = {};
    const mailFrom = mails.length;
    for (const h of [1, 2]) {
      dirs[h] = path.join(lab.dir, `notify-${kind}-h${h}`);
      writeScripts(dirs[h]);
      await startService(h);
    }
    for (const h of [1, 2]) {
      peers[h] = startPeer(kind, lab, h, hostConf(dirs[h], h));
      running.push(peers[h]);
    }
    await peers[1].waitState('MASTER', 'VI_1', 15_000);
    await peers[2].waitState('BACKUP');
    await waitHolders(lab, VIP, [1]);
    await sleep(1500);

    // The database on host 1 dies: after fall × interval the script fails, host 1 enters FAULT.
    const t0 = Date.now();
    await stopService(1);
    await waitHolders(lab, VIP, [2], 10_000);
    const moveMs = Date.now() - t0;
    await peers[1].waitState('FAULT');
    await peers[2].waitState('MASTER');
    await sleep(1500);

    // It comes back: host 1 leaves FAULT and preempts.
    await startService(1);
    await waitHolders(lab, VIP, [1], 15_000);
    await peers[1].waitState('MASTER');
    await peers[2].waitState('BACKUP');
    await sleep(1500);

    for (const h of [2, 1]) {
      peers[h].signal('SIGTERM');
      await peers[h].waitExit();
      await sleep(300);
    }
    for (const h of [1, 2]) await stopService(h);
    // Mails are sent asynchronously by both implementations.
    const expectMails = kind === 'kts' ? 10 : 8;
    await waitFor(() => mails.length - mailFrom >= expectMails, { timeoutMs: 10_000, what: `${expectMails} mails` }).catch(() => undefined);
    await sleep(500);
    const got = mails.slice(mailFrom);
    const out: Outcome = { scripts: {}, generic: {}, fifo: {}, mails: {}, moveMs, mailSample: got[0] };
    for (const h of [1, 2]) {
      const strip = (l: string) => l.split(dirs[h]).join('DIR');
      out.scripts[h] = lines(path.join(dirs[h], 'scripts.log')).map(strip);
      out.generic[h] = lines(path.join(dirs[h], 'generic.log')).map(strip);
      out.fifo[h] = lines(path.join(dirs[h], 'fifo.log'));
      out.mails[h] = got.filter((m) => m.from === `keepalived@db${h}.example.com`).map((m) => m.subject);
    }
    return out;
  }

  const generic = (prio: number, states: string[]) => states.map((st) => `INSTANCE|VI_1|${st}|${prio}`);
  const fifo = (prio: number, states: string[]) => states.map((st) => `INSTANCE "VI_1" ${st} ${prio}`);
  const subjects = (h: number, states: string[]) =>
    states.map((st) => `[db${h}] VRRP Instance VI_1 - ${st === 'STOP' ? 'Stopping' : `Entering ${st} state`}`);
  const STATES = { 1: ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER', 'STOP'], 2: ['BACKUP', 'MASTER', 'BACKUP', 'STOP'] } as const;
  const PRIO = { 1: 150, 2: 100 } as const;
  /**
   * keepalived 2.2.7 writes the STOP line to the FIFO and queues the
   * "Stopping" mail at shutdown (vrrp_notify.c notify_shutdown), but its own
   * notify_fifo_script is gone and its SMTP thread never runs before it
   * exits: neither arrives. keepalived-ts delivers both (its shutdown drains
   * notifications for up to 2 s). Everything else is identical.
   */
  const deliversShutdown = (kind: PeerKind) => kind === 'kts';

  for (const kind of ['keepalived', 'kts'] as const) {
    test(`${kind}: scripts, FIFO lines and mails follow the transitions; the VIP moves after fall × interval`, async () => {
      const o = await scenario(kind);
      outcomes.set(kind, o);
      // Stopped at an arbitrary phase of the 1 s check interval: fail #1 within 1 s, fail #2 one interval later, then priority 0 ⇒ skew.
      const fallMs = 2 * 1000;
      assert.ok(o.moveMs >= fallMs - 1000 && o.moveMs <= fallMs + skewMs(100, 1000, 2) + 700, `VIP moved ${o.moveMs} ms after the service stopped`);
      for (const h of [1, 2] as const) {
        const states = [...STATES[h]];
        const lived = deliversShutdown(kind) ? states : states.slice(0, -1);
        // One argument each ('fault state' stays one word: keepalived's quoting), nothing appended.
        assert.deepEqual(o.scripts[h], states.map((st) => (st === 'FAULT' ? 'fault state' : st.toLowerCase())), `host ${h} notify_* argv`);
        assert.deepEqual(o.generic[h], generic(PRIO[h], states), `host ${h} generic notify argv`);
        assert.deepEqual(o.fifo[h], fifo(PRIO[h], lived), `host ${h} FIFO lines`);
        assert.deepEqual(o.mails[h], subjects(h, lived), `host ${h} mail subjects`);
      }
      const m = o.mailSample!;
      assert.deepEqual(m.to, ['dba@example.com', 'oncall@example.com'], 'one RCPT per notification_email');
      assert.match(m.from, /^keepalived@db[12]\.example\.com$/, 'MAIL FROM is notification_email_from');
      assert.equal(m.headers['x-mailer'], 'Keepalived');
      assert.equal(m.headers.to, 'dba@example.com, oncall@example.com');
      assert.equal(m.body.split('\r\n')[0], '=> VRRP Instance is no longer owning VRRP VIPs <=');
    });
  }

  test('keepalived-ts and keepalived 2.2.7 produce the same argv, FIFO lines and mail subjects', () => {
    const ka = outcomes.get('keepalived');
    const ts = outcomes.get('kts');
    assert.ok(ka && ts, 'both scenarios ran');
    assert.deepEqual(ts.scripts, ka.scripts);
    assert.deepEqual(ts.generic, ka.generic);
    for (const h of [1, 2]) {
      // Ours adds exactly the shutdown line and mail keepalived loses (see above).
      assert.deepEqual(ts.fifo[h].slice(0, -1), ka.fifo[h]);
      assert.deepEqual(ts.mails[h].slice(0, -1), ka.mails[h]);
    }
  });

  test('a notify script that sleeps for a minute does not change the failover time', async () => {
    const dirs: Record<number, string> = {};
    const peers: Record<number, Peer> = {};
    for (const h of [1, 2]) {
      dirs[h] = path.join(lab.dir, `sleepy-h${h}`);
      writeScripts(dirs[h]);
      await startService(h);
      const slow = [`notify_backup "${dirs[h]}/sleep.sh 60"`, `notify_master "${dirs[h]}/sleep.sh 60"`];
      peers[h] = startPeer('kts', lab, h, hostConf(dirs[h], h).replace(/notify_(master|backup) "[^"]*"\n/g, '') .replace('smtp_alert', `smtp_alert\n    ${slow.join('\n    ')}`));
      running.push(peers[h]);
    }
    await peers[1].waitState('MASTER', 'VI_1', 15_000);
    await peers[2].waitState('BACKUP');
    const cap = await lab.capture({ filter: ['vrrp'] });
    await sleep(1200);
    peers[1].crash();
    await lab.linkSet(1, 'down');
    await peers[2].waitState('MASTER', 'VI_1', 10_000);
    await sleep(300);
    const frames = vrrpFrames((await cap.stop()).timed);
    const last1 = advertsFrom(frames, lab.ipv4(1), 51).at(-1)!;
    const first2 = advertsFrom(frames, lab.ipv4(2), 51).find((f) => f.t > last1.t)!;
    const took = first2.t - last1.t;
    const mdi = masterDownMs(100, 1000, 2);
    assert.ok(took >= mdi - 50 && took <= mdi * 1.1, `takeover ${took.toFixed(1)} ms with a 60 s notify script running, Master_Down_Interval ${mdi} ms`);
    const st = (await peers[2].status()) as unknown as { notify: { scriptsStarted: number; scriptsRun: number } };
    assert.equal(st.notify.scriptsStarted - st.notify.scriptsRun, 1, 'the 60 s notify_backup script is still running');
    await waitHolders(lab, VIP, [1, 2]); // host 1 is dead with its stale VIP; host 2 has it too
    await lab.linkSet(1, 'up');
    for (const p of [peers[2]]) await p.stop();
  });
});
