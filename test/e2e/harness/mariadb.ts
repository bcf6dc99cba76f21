/**
 * Real MariaDB servers in lab hosts, for the article's MySQL dual-master
 * scenario (test/e2e/mysql.test.ts, demo/mysql.ts), and the application that
 * writes through the VIP.
 *
 * Each server has a datadir in the lab's scratch directory (made with
 * mariadb-install-db, nothing cached elsewhere), its own socket, pid file and
 * error log, listens on 0.0.0.0:3306 inside its host's network namespace and
 * runs as root in the host's PID namespace (HostPidNamespace), next to the
 * daemon that watches it.
 *
 * Replication: master-master with GTIDs. Server N has server_id N and
 * gtid_domain_id N (each server writes its own GTID domain, so each one's
 * slave position simply follows the other's domain), log-bin, ROW format,
 * auto_increment_increment 2 / offset N (the article's dual-master
 * settings), and replicates the other with MASTER_USE_GTID=slave_pos,
 * MASTER_CONNECT_RETRY=1.
 *
 * Semi-synchronous replication (built into MariaDB 10.11), unlike the
 * article's plain asynchronous replication: a commit is acknowledged to the
 * client only once the other server has it in its relay log
 * (rpl_semi_sync_master_wait_point AFTER_SYNC), so "every acknowledged row is
 * on the survivor" is a guarantee, not luck. If no replica is connected
 * (rpl_semi_sync_master_wait_no_slave OFF) or it does not answer within
 * rpl_semi_sync_master_timeout, the master falls back to asynchronous
 * replication; tests check that semi-sync is on before they fail a server.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Lab } from './netns';
import { waitFor } from './netns';
import { childPid, type HostPidNamespace } from './pidns';
import type { WriterOptions } from './drivers/mysql-writer';

export const MYSQL_PORT = 3306;
/** Users made on both servers (not replicated): replication, the application, the check script's. */
export const USERS = {
  repl: { user: 'repl', password: 'repl-secret' },
  app: { user: 'app', password: 'app-secret' },
  /** `mysql -h127.0.0.1 -uchk` (no password, no privileges: `select 1` only). */
  check: { user: 'chk' },
} as const;
export const APP_DB = 'app';
export const APP_TABLE = 'app.writes';

export interface MariaDbOptions {
  /** 1, 2, ...: server_id, gtid_domain_id and auto_increment_offset. */
  serverId: number;
  /** Semi-synchronous replication (default true). */
  semiSync?: boolean;
  /** rpl_semi_sync_master_timeout (default 1000 ms). */
  semiSyncTimeoutMs?: number;
}

export class MariaDb {
  readonly datadir: string;
  readonly socket: string;
  readonly errorLog: string;
  /** Its own tmpdir: servers in separate PID namespaces have the same pids, and MariaDB names temporary files by pid. */
  readonly tmpdir: string;
  private proc: ChildProcess | undefined;
  private serverPid: number | undefined;

  constructor(
    readonly lab: Lab,
    readonly host: number,
    readonly pidns: HostPidNamespace,
    readonly dir: string,
    readonly opts: MariaDbOptions,
  ) {
    this.datadir = path.join(dir, 'data');
    this.socket = path.join(dir, 'mysqld.sock');
    this.errorLog = path.join(dir, 'error.log');
    this.tmpdir = path.join(dir, 'tmp');
  }

  get address(): string {
    return this.lab.ipv4(this.host);
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** mariadbd's pid as the machine sees it (while running). */
  get pid(): number | undefined {
    return this.running ? this.serverPid : undefined;
  }

  private serverArgs(): string[] {
    const n = this.opts.serverId;
    const semi = this.opts.semiSync ?? true;
    return [
      'mariadbd', '--no-defaults', '--user=root',
      `--datadir=${this.datadir}`, `--socket=${this.socket}`, `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
      `--log-error=${this.errorLog}`, `--tmpdir=${this.tmpdir}`, '--bind-address=0.0.0.0', `--port=${MYSQL_PORT}`, '--skip-name-resolve',
      `--server-id=${n}`, `--gtid-domain-id=${n}`, '--log-bin=mysql-bin', '--relay-log=relay-bin', '--binlog-format=ROW',
      '--auto-increment-increment=2', `--auto-increment-offset=${n}`,
      '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M', '--performance-schema=OFF',
      ...(semi
        ? [
            '--rpl-semi-sync-master-enabled=ON', '--rpl-semi-sync-slave-enabled=ON',
            `--rpl-semi-sync-master-timeout=${this.opts.semiSyncTimeoutMs ?? 1000}`,
            '--rpl-semi-sync-master-wait-point=AFTER_SYNC', '--rpl-semi-sync-master-wait-no-slave=OFF',
          ]
        : []),
    ];
  }

  /** mariadb-install-db into a fresh datadir (in the host's namespaces). Returns how long it took (ms). */
  async install(): Promise<number> {
    const t0 = Date.now();
    fs.mkdirSync(this.tmpdir, { recursive: true });
    await this.pidns.exec([
      'mariadb-install-db', '--no-defaults', `--datadir=${this.datadir}`, `--tmpdir=${this.tmpdir}`, '--user=root',
      '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve',
      '--innodb-log-file-size=8M', '--innodb-buffer-pool-size=16M',
    ], { check: true, timeoutMs: 60_000 });
    return Date.now() - t0;
  }

  /** Starts mariadbd and waits until it answers. Returns how long that took (ms). */
  async start(timeoutMs = 30_000): Promise<number> {
    if (this.running) throw new Error(`MariaDB on host ${this.host} is already running`);
    const t0 = Date.now();
    const proc = this.pidns.spawn(this.serverArgs());
    proc.stdout?.resume();
    proc.stderr?.resume();
    this.proc = proc;
    this.serverPid = await childPid(proc.pid!, `mariadbd on host ${this.host}`);
    await waitFor(async () => {
      if (!this.running) throw new Error(`mariadbd on host ${this.host} exited: ${this.tail()}`);
      return (await this.query('SELECT 1', { check: false })) !== undefined;
    }, { timeoutMs, intervalMs: 100, what: `MariaDB on host ${this.host} answering` }).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.tail()}`);
    });
    return Date.now() - t0;
  }

  /** A clean stop: SIGTERM to mariadbd (as `mariadb-admin shutdown`). Resolves when it has exited; returns ms. */
  async stop(timeoutMs = 30_000): Promise<number> {
    const proc = this.proc;
    if (!proc || !this.running || this.serverPid === undefined) return 0;
    const t0 = Date.now();
    const gone = new Promise((r) => proc.once('exit', r));
    process.kill(this.serverPid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`mariadbd on host ${this.host} did not stop`)), timeoutMs)))]);
    clearTimeout(timer);
    return Date.now() - t0;
  }

  /** The end of the error log (for failure messages). */
  tail(lines = 15): string {
    const text = fs.existsSync(this.errorLog) ? fs.readFileSync(this.errorLog, 'utf8') : '';
    return text.split('\n').slice(-lines).join('\n');
  }

  /**
   * Runs SQL as root over the socket (`mariadb -B`); returns the rows as
   * objects by column name. With check false, an error gives undefined.
   */
  async query(sql: string, o: { check?: boolean } = {}): Promise<Record<string, string>[] | undefined> {
    const r = await this.lab.exec(this.host, ['mariadb', '--no-defaults', `--socket=${this.socket}`, '-uroot', '-B', '-e', sql], { timeoutMs: 15_000 });
    if (r.code !== 0) {
      if (o.check === false) return undefined;
      throw new Error(`SQL on host ${this.host} failed (${r.code}): ${r.stderr.trim()}\n${sql}`);
    }
    if (r.stdout === '') return [];
    const [head, ...rows] = r.stdout.replace(/\n$/, '').split('\n');
    const cols = head.split('\t');
    return rows.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])));
  }

  async rows(sql: string): Promise<Record<string, string>[]> {
    return (await this.query(sql))!;
  }

  /** One status variable (SHOW GLOBAL STATUS). */
  async status(name: string): Promise<string | undefined> {
    return (await this.rows(`SHOW GLOBAL STATUS LIKE '${name}'`))[0]?.Value;
  }

  /** SHOW SLAVE STATUS as one object (undefined when not a replica). */
  async replica(): Promise<Record<string, string> | undefined> {
    return (await this.rows('SHOW SLAVE STATUS'))[0];
  }

  /** The ids in the application's table between lo and hi (inclusive). */
  async ids(lo: number, hi: number): Promise<Set<number>> {
    const rows = await this.rows(`SELECT id FROM ${APP_TABLE} WHERE id BETWEEN ${lo} AND ${hi}`);
    return new Set(rows.map((r) => Number(r.id)));
  }
}

/**
 * Makes two fresh servers into a master-master pair: installs and starts
 * both, makes the users on each (not replicated), points each at the other,
 * and creates the application's table (on a, replicated to b). Returns the
 * time mariadb-install-db took on each.
 */
export async function setupDualMaster(a: MariaDb, b: MariaDb): Promise<{ installMs: number[]; startMs: number[] }> {
  const installMs = await Promise.all([a.install(), b.install()]);
  const startMs = await Promise.all([a.start(), b.start()]);
  for (const db of [a, b]) {
    await db.rows(
      [
        'SET sql_log_bin = 0',
        `CREATE USER '${USERS.repl.user}'@'%' IDENTIFIED BY '${USERS.repl.password}'`,
        `GRANT REPLICATION SLAVE ON *.* TO '${USERS.repl.user}'@'%'`,
        `CREATE USER '${USERS.app.user}'@'%' IDENTIFIED BY '${USERS.app.password}'`,
        `GRANT ALL ON ${APP_DB}.* TO '${USERS.app.user}'@'%'`,
        `CREATE USER '${USERS.check.user}'@'127.0.0.1'`,
        'RESET MASTER',
        "SET GLOBAL gtid_slave_pos = ''",
      ].join('; '),
    );
  }
  for (const [db, other] of [[a, b], [b, a]] as const) {
    await db.rows(
      `CHANGE MASTER TO MASTER_HOST='${other.address}', MASTER_PORT=${MYSQL_PORT}, MASTER_USER='${USERS.repl.user}', ` +
        `MASTER_PASSWORD='${USERS.repl.password}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE`,
    );
  }
  await a.rows(`CREATE DATABASE ${APP_DB}; CREATE TABLE ${APP_TABLE} (id BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL) ENGINE=InnoDB`);
  await waitFor(async () => (await b.query(`SELECT 1 FROM ${APP_TABLE} LIMIT 1`, { check: false })) !== undefined, {
    timeoutMs: 10_000, what: 'the table replicated to the other server',
  });
  return { installMs, startMs };
}

/**
 * Waits until `master` is ready to lose no acknowledged row: `replica`
 * replicates from it (both threads running) and semi-sync is on for it with
 * one replica connected.
 */
export async function waitSemiSync(master: MariaDb, replica: MariaDb, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => {
    const r = await replica.replica();
    if (r?.Slave_IO_Running !== 'Yes' || r.Slave_SQL_Running !== 'Yes') return false;
    if ((master.opts.semiSync ?? true) === false) return true;
    return (await master.status('Rpl_semi_sync_master_status')) === 'ON' && (await master.status('Rpl_semi_sync_master_clients')) === '1';
  }, { timeoutMs, intervalMs: 100, what: `host ${replica.host} replicating semi-synchronously from host ${master.host}` });
}

/** Waits until `replica` has applied everything `master` has in its binlog now (MASTER_GTID_WAIT). */
export async function waitCaughtUp(master: MariaDb, replica: MariaDb, timeoutMs = 15_000): Promise<void> {
  const pos = (await master.rows('SELECT @@gtid_binlog_pos AS pos'))[0].pos;
  if (!pos) return;
  const r = await replica.rows(`SELECT MASTER_GTID_WAIT('${pos}', ${timeoutMs / 1000}) AS r`);
  if (r[0].r !== '0') throw new Error(`host ${replica.host} did not reach ${pos} of host ${master.host} within ${timeoutMs} ms`);
}

export interface Ack {
  id: number;
  server: number;
  at: number;
}

/**
 * The application (drivers/mysql-writer.js) in a lab host, writing through
 * `target` (the VIP); every event it reports is kept with its time.
 */
export class AppWriter {
  readonly acks: Ack[] = [];
  readonly doubts: { id: number; error: string; at: number }[] = [];
  readonly errors: { error: string; at: number }[] = [];
  readonly connects: { server: number; at: number }[] = [];
  private readonly listeners = new Set<() => void>();
  private constructor(private readonly proc: ChildProcess) {}

  static async start(lab: Lab, host: number, target: string, firstId: number, over: Partial<WriterOptions> = {}): Promise<AppWriter> {
    const o: WriterOptions = {
      host: target, port: MYSQL_PORT, ...USERS.app, database: APP_DB, table: APP_TABLE,
      firstId, intervalMs: 20, connectTimeoutMs: 250, queryTimeoutMs: 5000, backoffMs: 50, ...over,
    };
    const proc = lab.node(host, path.join(__dirname, 'drivers', 'mysql-writer.js'), [JSON.stringify(o)]);
    const w = new AppWriter(proc);
    proc.stderr?.resume();
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
        const e = JSON.parse(l) as { event?: string; ack?: number; doubt?: number; error?: string; server?: number; at: number };
        if (e.event === 'ready') resolve();
        else if (e.event === 'connected') w.connects.push({ server: e.server!, at: e.at });
        else if (e.ack !== undefined) w.acks.push({ id: e.ack, server: e.server!, at: e.at });
        else if (e.doubt !== undefined) w.doubts.push({ id: e.doubt, error: e.error!, at: e.at });
        else if (e.error !== undefined) w.errors.push({ error: e.error, at: e.at });
        for (const f of [...w.listeners]) f();
      });
      proc.once('exit', (c) => reject(new Error(`the writer exited ${c}`)));
    });
    return w;
  }

  /** Resolves once `n` writes acknowledged by `server` have arrived after `since` (epoch ms). */
  waitAcks(server: number, n: number, since = 0, timeoutMs = 30_000): Promise<void> {
    return waitFor(() => this.acks.filter((a) => a.server === server && a.at >= since).length >= n, {
      timeoutMs, intervalMs: 20, what: `${n} writes acknowledged by server ${server}`,
    }).then(() => undefined);
  }

  /** The largest time between two consecutive acknowledged writes (from `since`), and where it was. */
  gap(since = 0): { ms: number; after?: Ack; before?: Ack } {
    const acks = this.acks.filter((a) => a.at >= since);
    let best: { ms: number; after?: Ack; before?: Ack } = { ms: 0 };
    for (let i = 1; i < acks.length; i++) {
      const ms = acks[i].at - acks[i - 1].at;
      if (ms > best.ms) best = { ms, after: acks[i - 1], before: acks[i] };
    }
    return best;
  }

  /** SIGTERM; resolves when it has exited. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await gone;
  }
}
