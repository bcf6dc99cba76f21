/**
 * The article's MySQL dual-master hot standby (issue 8), built in a lab:
 *
 *   host 1  db1  192.0.2.11  MariaDB (server 1) + keepalived-ts -i db1, priority 100
 *   host 2  db2  192.0.2.12  MariaDB (server 2) + keepalived-ts -i db2, priority 90
 *   host 3  app  192.0.2.13  the application, writing through the VIP 192.0.2.100
 *   host 4  mail 192.0.2.14  an SMTP server (port 25, the article's smtp_server)
 *
 * Each database host runs its MariaDB and its daemon in one PID namespace of
 * its own, so the article's `pkill keepalived` / `killall keepalived` there
 * reaches only that host's daemon.
 *
 * The configuration and scripts are the ones in examples/mysql-article, as
 * printed, with /etc/keepalived replaced by a directory per host and run.
 * One change to the kill script: a first line that records who ran it and
 * with which arguments (kill.log), before the article's command.
 *
 * Used by test/e2e/mysql.test.ts (assertions) and demo/mysql.ts (live view):
 * both go through failover(), so the demo shows what the test proves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Lab } from './netns';
import { waitFor } from './netns';
import { HostPidNamespace } from './pidns';
import { startKts, type Peer } from './peers';
import { AppWriter, MariaDb, setupDualMaster, waitCaughtUp, waitSemiSync } from './mariadb';
import { SmtpSink } from './smtp';
import { VipWatch, type VipSample } from './vip-watch';

export const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples', 'mysql-article');
export const VIP = '192.0.2.100';
export const DB_HOSTS = [1, 2] as const;
export type DbHost = (typeof DB_HOSTS)[number];
export const APP_HOST = 3;
export const MAIL_HOST = 4;
export const HOSTS = 4;
export const PRIORITY: Record<DbHost, number> = { 1: 100, 2: 90 };
export const ROUTER_ID = 'MYSQL_HA';

/** The two forms of the article family. */
export type Form = 'notify_down' | 'vrrp_script';
/** The kill script's command: the article's `pkill keepalived`, or the family's `killall keepalived`. */
export type KillCommand = 'pkill' | 'killall';

/** The timing written in the article's files (ms; nb_get_retry as the article writes it). */
export const ARTICLE = {
  delayLoopMs: 2000,
  connectTimeoutMs: 3000,
  nbGetRetry: 3,
  delayBeforeRetryMs: 3000,
  scriptIntervalMs: 2000,
  scriptFall: 1,
  advertIntMs: 1000,
} as const;

/** keepalived's VRRPv2 skew time of the survivor (priority 90): (256 − 90) / 256 s. */
export const SURVIVOR_SKEW_MS = ((256 - PRIORITY[2]) * 1000) / 256;

export type Say = (line: string) => void;

export interface HostFiles {
  dir: string;
  conf: string;
}

/** One line of kill.log: who ran the kill script, with which arguments. */
export interface KillCall {
  at: number;
  parent: string;
  argv: string[];
}

export interface FailoverResult {
  form: Form;
  kill: KillCommand;
  /** Epoch ms when MariaDB on db1 was told to stop. */
  t0: number;
  /** mariadbd on db1 took this long to exit (ms). */
  shutdownMs: number;
  /** db1's daemon exited this long after t0 (ms). */
  daemonGoneMs: number;
  /** First sample where db1 no longer held the VIP (ms after t0). */
  releasedMs: number;
  /** First sample where only db2 held the VIP (ms after t0). */
  movedMs: number;
  /** The sampling's largest interval in the window (ms). */
  sampleMaxMs: number;
  /** Samples from t0 where both held the VIP. */
  overlaps: VipSample[];
  /** First write acknowledged by server 2 (ms after t0). */
  resumedMs: number;
  /** Largest time between two acknowledged writes, around the failover (ms). */
  writeGapMs: number;
  /** Who ran the kill script, with which arguments (db1). */
  killCalls: KillCall[];
}

export interface RowCheck {
  acked: number;
  present: number;
  lost: number[];
  inDoubt: number;
}

const lines = (f: string): string[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

export class MysqlArticle {
  readonly dbs: Record<DbHost, MariaDb>;
  private readonly daemons = new Map<DbHost, Peer>();
  private runs = 0;

  private constructor(
    readonly lab: Lab,
    readonly pidns: Record<DbHost, HostPidNamespace>,
    readonly smtp: SmtpSink,
    readonly setup: { installMs: number[]; startMs: number[]; totalMs: number },
  ) {
    this.dbs = {
      1: new MariaDb(lab, 1, pidns[1], path.join(lab.dir, 'db1'), { serverId: 1 }),
      2: new MariaDb(lab, 2, pidns[2], path.join(lab.dir, 'db2'), { serverId: 2 }),
    };
  }

  /** Builds everything but the daemons in a lab of HOSTS hosts: PID namespaces, the SMTP server, the MariaDB pair. */
  static async build(lab: Lab): Promise<MysqlArticle> {
    const t0 = Date.now();
    const pidns = { 1: await HostPidNamespace.start(lab, 1), 2: await HostPidNamespace.start(lab, 2) };
    const smtp = await SmtpSink.start(lab, MAIL_HOST, 25);
    const m = new MysqlArticle(lab, pidns, smtp, { installMs: [], startMs: [], totalMs: 0 });
    const r = await setupDualMaster(m.dbs[1], m.dbs[2]);
    Object.assign(m.setup, r, { totalMs: Date.now() - t0 });
    return m;
  }

  daemon(h: DbHost): Peer | undefined {
    return this.daemons.get(h);
  }

  /** The article's files for host h of a new run, in <lab>/<tag>-db<h>, as HostFiles. */
  files(h: DbHost, tag: string, form: Form, kill: KillCommand): HostFiles {
    const dir = path.join(this.lab.dir, `${tag}-db${h}`);
    fs.mkdirSync(dir, { recursive: true });
    const local = (text: string): string => text.split('/etc/keepalived').join(dir);
    for (const f of ['notify.sh', 'check_mysql.sh', 'kill_keepalived.sh']) {
      let text = local(fs.readFileSync(path.join(EXAMPLES, f), 'utf8'));
      if (f === 'kill_keepalived.sh') {
        const record = `{ date +%s%3N | tr -d '\\n'; printf '|%s' "$(cat /proc/$PPID/comm)" "$@"; echo; } >> "$(dirname "$0")/kill.log"\n`;
        text = text.replace(/^(#!.*\n)/, `$1${record}`);
        if (kill === 'killall') text = text.replace('pkill keepalived', 'killall keepalived');
      }
      fs.writeFileSync(path.join(dir, f), text, { mode: 0o755 });
    }
    const conf = local(fs.readFileSync(path.join(EXAMPLES, form === 'notify_down' ? 'keepalived.conf' : 'keepalived-vrrp_script.conf'), 'utf8'));
    return { dir, conf };
  }

  /** Starts keepalived-ts on host h (`-i db<h>`) in the host's PID namespace. */
  startDaemon(h: DbHost, files: HostFiles): Peer {
    const p = startKts(this.lab, h, files.conf, { args: ['-i', `db${h}`], pidNamespaceOf: this.pidns[h].initPid });
    this.daemons.set(h, p);
    return p;
  }

  /** The notify.sh lines of host h's run: `state` words and generic `INSTANCE|VI_1|STATE|prio`, time stripped. */
  notifyLines(files: HostFiles): { at: number; args: string }[] {
    return lines(path.join(files.dir, 'notify.log')).map((l) => {
      const i = l.indexOf('|');
      return { at: Number(l.slice(0, i)), args: l.slice(i + 1) };
    });
  }

  killCalls(files: HostFiles): KillCall[] {
    return lines(path.join(files.dir, 'kill.log')).map((l) => {
      const [at, parent, ...argv] = l.split('|');
      return { at: Number(at), parent, argv };
    });
  }

  /** Waits until host h's checker has run once and found its real server up (notify_down form). */
  async waitChecked(h: DbHost, timeoutMs = 10_000): Promise<void> {
    type View = { checkers?: { virtualServers: { realServers: { alive: boolean; checkers: { hasRun: boolean }[] }[] }[] } };
    await waitFor(async () => {
      const st = (await this.daemons.get(h)!.status()) as unknown as View;
      const rs = st.checkers?.virtualServers[0]?.realServers ?? [];
      return rs.length === 1 && rs[0].alive && rs[0].checkers.every((c) => c.hasRun);
    }, { timeoutMs, intervalMs: 100, what: `host ${h}'s TCP_CHECK run with MariaDB up` });
  }

  /**
   * Starts db1's daemon, waits until it is MASTER with the VIP, then db2's
   * (BACKUP): with nopreempt and both `state BACKUP`, the first one up is
   * the master. Returns both hosts' files.
   */
  async startPair(form: Form, kill: KillCommand, say: Say = () => undefined): Promise<Record<DbHost, HostFiles>> {
    const tag = `run${++this.runs}-${form}-${kill}`;
    const files = { 1: this.files(1, tag, form, kill), 2: this.files(2, tag, form, kill) };
    const a = this.startDaemon(1, files[1]);
    await a.waitState('MASTER', 'VI_1', 15_000);
    say(`db1: keepalived-ts is MASTER (priority ${PRIORITY[1]}) and holds ${VIP}`);
    const b = this.startDaemon(2, files[2]);
    await b.waitState('BACKUP', 'VI_1', 15_000);
    say(`db2: keepalived-ts is BACKUP (priority ${PRIORITY[2]})`);
    if (form === 'notify_down') {
      await Promise.all(DB_HOSTS.map((h) => this.waitChecked(h)));
      say('both TCP_CHECKs on 3306 have run: MariaDB up');
    }
    return files;
  }

  /**
   * The failover: with the application writing through the VIP to db1 and
   * semi-sync replication on, MariaDB on db1 is stopped cleanly; then wait
   * for db1's daemon to be killed by the article's script, db2 to be MASTER
   * with the VIP, and 20 writes acknowledged by db2. `boundMs` is how long
   * to wait for the VIP at most.
   */
  async failover(files: Record<DbHost, HostFiles>, writer: AppWriter, watch: VipWatch, form: Form, kill: KillCommand, boundMs: number, say: Say = () => undefined): Promise<FailoverResult> {
    const [db1, db2] = [this.dbs[1], this.dbs[2]];
    const [a, b] = [this.daemons.get(1)!, this.daemons.get(2)!];
    await writer.waitAcks(1, 25);
    await waitSemiSync(db1, db2);
    say('the application writes through the VIP to db1; semi-sync replication to db2 is on');
    let goneAt = 0;
    a.proc.once('exit', () => (goneAt = Date.now()));
    const t0 = Date.now();
    const stopped = db1.stop();
    say(`stopping MariaDB on db1 (SIGTERM to mariadbd, pid ${db1.pid})`);
    const shutdownMs = await stopped;
    say(`db1: mariadbd exited after ${shutdownMs} ms`);
    await a.waitExit(boundMs);
    const daemonGoneMs = goneAt - t0;
    const killCalls = this.killCalls(files[1]);
    const runner = form === 'notify_down' ? 'notify_down' : 'check_mysql.sh';
    say(`db1: ${runner} ran kill_keepalived.sh (${kill} keepalived): keepalived-ts exited ${daemonGoneMs} ms after MariaDB was stopped`);
    const moved = await watch.waitHeldBy([2], t0, boundMs);
    await b.waitState('MASTER', 'VI_1', 5000);
    say(`db2: MASTER, holds ${VIP} (${moved.at - t0} ms after MariaDB was stopped)`);
    await writer.waitAcks(2, 20, t0);
    const resumed = writer.acks.find((x) => x.server === 2 && x.at >= t0)!;
    const released = watch.samples.find((s) => s.at >= t0 && !s.holders.includes(1))!;
    return {
      form, kill, t0, shutdownMs, daemonGoneMs,
      releasedMs: released.at - t0,
      movedMs: moved.at - t0,
      sampleMaxMs: watch.maxInterval(t0 - 1000),
      overlaps: watch.overlaps(t0 - 5000),
      resumedMs: resumed.at - t0,
      writeGapMs: writer.gap(t0 - 5000).ms,
      killCalls,
    };
  }

  /**
   * Every write the application had acknowledged (ids from..to) must be on
   * `db`; waits up to timeoutMs for the replica's SQL thread to apply what
   * it already has.
   */
  async checkRows(db: MariaDb, writer: AppWriter, timeoutMs = 10_000): Promise<RowCheck> {
    const acked = writer.acks.map((x) => x.id);
    const lo = Math.min(...acked);
    const hi = Math.max(...acked);
    let lost: number[] = acked;
    let present = new Set<number>();
    await waitFor(async () => {
      present = await db.ids(lo, hi);
      lost = acked.filter((id) => !present.has(id));
      return lost.length === 0;
    }, { timeoutMs, intervalMs: 200, what: 'every acknowledged write' }).catch(() => undefined);
    return { acked: acked.length, present: present.size, lost, inDoubt: writer.doubts.length };
  }

  /** A fresh id range per run (ids are client-generated). */
  firstId(): number {
    return this.runs * 1_000_000 + 1;
  }

  /**
   * Back to the starting point after a run: no daemons, both MariaDBs up,
   * replicating each other and caught up.
   */
  async restore(): Promise<void> {
    for (const p of this.daemons.values()) await p.stop().catch(() => undefined);
    this.daemons.clear();
    for (const h of DB_HOSTS) if (!this.dbs[h].running) await this.dbs[h].start();
    await waitSemiSync(this.dbs[1], this.dbs[2]);
    await waitSemiSync(this.dbs[2], this.dbs[1]);
    await waitCaughtUp(this.dbs[1], this.dbs[2]);
    await waitCaughtUp(this.dbs[2], this.dbs[1]);
  }

  /** Stops the daemons (the lab's teardown does the rest). */
  async stopDaemons(): Promise<void> {
    for (const p of this.daemons.values()) await p.stop().catch(() => undefined);
    this.daemons.clear();
  }
}
