/**
 * VRRP daemons in lab hosts: keepalived-ts (ours) and Debian's keepalived
 * (the interop peer), each with its own config, pid files, log and (ours)
 * control socket in the lab's scratch directory, so several run side by side.
 *
 * Logs are kept per peer with the time each line arrived, so tests can
 * measure transitions ("(VI_1) Entering MASTER STATE") on one clock for both
 * implementations.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { controlRequest } from '../../../src/daemon/main/control';
import type { DaemonStatusView } from '../../../src/daemon/status';
import { killTree } from './proctree';
import { type ExecResult, type Lab, waitFor } from './netns';
import { childPid, childPidNow, nsenterArgs, PID_NS } from './pidns';

export { PID_NS } from './pidns';

export type PeerKind = 'kts' | 'keepalived';

export const KTS_BIN = path.join(__dirname, '..', '..', '..', '..', 'bin', 'keepalived-ts');

export interface LogLine {
  at: number;
  line: string;
}

export interface StartOptions {
  /** Extra command-line arguments. */
  args?: string[];
  /**
   * Run in a PID namespace of its own (`unshare --pid --fork --mount-proc
   * --kill-child`), so `pkill` / `killall` run there (Peer.execInPidNs) reach
   * only this host's processes. The peer's pid is then unshare's; innerPid()
   * is the daemon's.
   */
  pidNamespace?: boolean;
  /**
   * Run inside an existing PID namespace, the one of this pid (e.g.
   * HostPidNamespace.initPid: a database and the daemon in one namespace),
   * with `nsenter -t <pid> -p -m`. The peer's pid is then nsenter's;
   * innerPid() is the daemon's, and signal() goes to the daemon (nsenter
   * forwards none).
   */
  pidNamespaceOf?: number;
  /** Environment additions. */
  env?: NodeJS.ProcessEnv;
}

export class Peer {
  readonly log: LogLine[] = [];
  private readonly waiters = new Set<() => void>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly lab: Lab,
    readonly host: number,
    readonly kind: PeerKind,
    readonly dir: string,
    readonly confFile: string,
    readonly proc: ChildProcess,
    /** Signals go to the daemon under proc (nsenter), not to proc. */
    private readonly signalInner = false,
  ) {
    for (const s of [proc.stdout, proc.stderr]) {
      if (!s) continue;
      readline.createInterface({ input: s }).on('line', (line) => {
        this.log.push({ at: Date.now(), line });
        for (const w of [...this.waiters]) w();
      });
    }
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        for (const w of [...this.waiters]) w();
        resolve();
      }),
    );
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error('not started');
    return this.proc.pid;
  }

  /** With `pidNamespace` / `pidNamespaceOf`: the daemon's pid as the machine sees it (unshare's / nsenter's child). */
  async innerPid(): Promise<number> {
    return childPid(this.pid, `the daemon under ${this.pid}`);
  }

  /** With `pidNamespace` / `pidNamespaceOf`: runs `cmd` in this host's network, PID and mount namespaces (nsenter). */
  async execInPidNs(cmd: string[], o: { check?: boolean } = {}): Promise<ExecResult> {
    const inner = await this.innerPid();
    return this.lab.exec(this.host, [...nsenterArgs(inner), ...cmd], o);
  }

  /** The pid of a child process from its pid file (keepalived's -r / -c), once it is written. */
  async childPid(role: 'vrrp' | 'checker', notPid?: number): Promise<number> {
    const file = path.join(this.dir, role === 'vrrp' ? 'vrrp.pid' : 'checkers.pid');
    return waitFor(() => {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      return pid > 0 && pid !== notPid ? pid : undefined;
    }, { timeoutMs: 10_000, what: `${role} pid in ${file}${notPid ? ` other than ${notPid}` : ''}` });
  }

  /**
   * A host that loses power: SIGKILL to the daemon and every process under
   * it, deepest first, so nothing gets to send a priority 0 advert.
   */
  crash(): number[] {
    return killTree(this.pid);
  }

  get controlSocket(): string {
    return path.join(this.dir, 'control.sock');
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  /** The whole log as text. */
  text(): string {
    return this.log.map((l) => l.line).join('\n');
  }

  /** Log lines matching `re` (from index `from`). */
  lines(re: RegExp, from = 0): LogLine[] {
    return this.log.slice(from).filter((l) => re.test(l.line));
  }

  /** Wait for a log line matching `re` at or after log index `from`. */
  waitLog(re: RegExp, timeoutMs = 10_000, from = 0): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.log.slice(from).find((l) => re.test(l.line));
        if (hit) {
          cleanup();
          resolve(hit);
          return true;
        }
        if (this.exitInfo) {
          cleanup();
          reject(new Error(`${this.kind} on host ${this.host} exited (${JSON.stringify(this.exitInfo)}) before ${re}:\n${this.text()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timeout after ${timeoutMs} ms waiting for ${re} from ${this.kind} on host ${this.host}:\n${this.text()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      if (!check()) this.waiters.add(check);
    });
  }

  /** Our status over the control socket (keepalived-ts only). */
  async status(timeoutMs = 2000): Promise<DaemonStatusView> {
    if (this.kind !== 'kts') throw new Error('status() is for keepalived-ts peers');
    return (await controlRequest(this.controlSocket, { cmd: 'status' }, timeoutMs)) as DaemonStatusView;
  }

  /** Current state of an instance: from the control socket (ours) or the last "Entering X STATE" line (keepalived). */
  async state(instance = 'VI_1'): Promise<string | undefined> {
    if (this.kind === 'kts') {
      try {
        return (await this.status()).instances.find((i) => i.name === instance)?.state;
      } catch {
        return undefined;
      }
    }
    const re = new RegExp(`\\(${instance}\\) Entering (\\w+) STATE`);
    const hits = this.lines(re);
    const last = hits[hits.length - 1];
    return last ? re.exec(last.line)?.[1] : undefined;
  }

  waitState(state: string, instance = 'VI_1', timeoutMs = 15_000): Promise<string> {
    return waitFor(async () => ((await this.state(instance)) === state ? state : undefined), {
      timeoutMs,
      intervalMs: 50,
      what: `${this.kind} host ${this.host} ${instance} in ${state}`,
    });
  }

  signal(sig: NodeJS.Signals): void {
    const inner = this.signalInner && !this.exitInfo ? childPidNow(this.pid) : undefined;
    if (inner !== undefined) process.kill(inner, sig);
    else this.proc.kill(sig);
  }

  /** Resolves when the process has exited (rejects after timeoutMs). */
  async waitExit(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${this.kind} on host ${this.host} did not exit within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return this.exitInfo!;
  }

  /** SIGTERM and wait; SIGKILL if it does not go. Idempotent. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.exitInfo) return;
    this.signal('SIGTERM');
    try {
      await this.waitExit(timeoutMs);
    } catch {
      this.signal('SIGKILL');
      await this.waitExit(5000);
    }
  }
}

/** The command line that runs `cmd` as the options say: alone, in a PID namespace of its own, or in an existing one. */
function wrap(cmd: string[], o: StartOptions): string[] {
  if (o.pidNamespaceOf !== undefined) return [...nsenterArgs(o.pidNamespaceOf), ...cmd];
  return o.pidNamespace ? [...PID_NS, ...cmd] : cmd;
}

function peerDir(lab: Lab, host: number, kind: PeerKind): string {
  const dir = path.join(lab.dir, `${kind}-h${host}-${Math.random().toString(16).slice(2, 6)}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts keepalived-ts in host `host` with `conf` (config text). */
export function startKts(lab: Lab, host: number, conf: string, o: StartOptions = {}): Peer {
  const dir = peerDir(lab, host, 'kts');
  const confFile = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(confFile, conf);
  const args = [
    KTS_BIN, '-n', '-l', '-G', '-f', confFile,
    '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), '-c', path.join(dir, 'checkers.pid'),
    '--control-socket', path.join(dir, 'control.sock'), '--dump-dir', dir,
    ...(o.args ?? []),
  ];
  const cmd = [process.execPath, ...args];
  const proc = lab.spawn(host, wrap(cmd, o), { env: { ...process.env, ...o.env } });
  return new Peer(lab, host, 'kts', dir, confFile, proc, o.pidNamespaceOf !== undefined);
}

/** Starts Debian's keepalived (VRRP only) in host `host` with `conf`. */
export function startKeepalived(lab: Lab, host: number, conf: string, o: StartOptions = {}): Peer {
  const dir = peerDir(lab, host, 'keepalived');
  const confFile = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(confFile, conf);
  const args = [
    'keepalived', '-n', '-l', '-G', '-D', '-P', '-f', confFile,
    '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), '-c', path.join(dir, 'checkers.pid'),
    ...(o.args ?? []),
  ];
  const proc = lab.spawn(host, wrap(args, o), { env: { ...process.env, ...o.env } });
  return new Peer(lab, host, 'keepalived', dir, confFile, proc, o.pidNamespaceOf !== undefined);
}

export function startPeer(kind: PeerKind, lab: Lab, host: number, conf: string, o: StartOptions = {}): Peer {
  return kind === 'kts' ? startKts(lab, host, conf, o) : startKeepalived(lab, host, conf, o);
}

/** Hosts (numbers) whose `ifname` carries `address` now. */
export async function holders(lab: Lab, address: string, ifname = 'eth0'): Promise<number[]> {
  const out: number[] = [];
  for (let h = 1; h <= lab.hosts; h++) {
    const addrs = await lab.addresses(h, ifname).catch(() => [] as string[]);
    if (addrs.includes(address)) out.push(h);
  }
  return out;
}

/** Wait until exactly `hosts` hold `address`. */
export function waitHolders(lab: Lab, address: string, hosts: number[], timeoutMs = 15_000): Promise<number[]> {
  const want = [...hosts].sort().join(',');
  return waitFor(async () => {
    const h = await holders(lab, address);
    return h.sort().join(',') === want ? h : undefined;
  }, { timeoutMs, intervalMs: 50, what: `${address} held by [${want}]` });
}

/** keepalived's log lines that mean it did not like a packet. */
export const KEEPALIVED_PACKET_COMPLAINTS = /invalid|bogus|bad checksum|ttl|wrong|mismatch|not present|malformed|not the same|advertisement interval/i;
