/**
 * The one message protocol between the main process and its two children.
 *
 * keepalived runs a parent and two children (VRRP, health checkers) so that
 * nothing the checkers or scripts do can delay an advert; keepalived-ts does
 * the same:
 *
 *   main process (src/daemon/main)            config loading, control socket, signals,
 *     │                                       pid files, notify scripts / FIFOs / mail,
 *     │                                       tracker scripts, files and processes,
 *     │                                       supervision (restart a child that died)
 *     ├── VRRP process (src/daemon/vrrp-process)      sockets, timers, state machines,
 *     │                                               VIPs, GARP/NA: never spawns, never
 *     │                                               parses a config, never waits on main
 *     └── checker process (src/daemon/checker-process) probes, real/virtual servers, LVS
 *
 * Messages go over Node's IPC channel (a socketpair; JSON lines). Everything
 * here is plain data. Tracker results flow in to the VRRP process;
 * transitions, notifications and status flow out. A request that needs an
 * answer carries an `id`; the answer is a `reply` with the same id.
 */
import type { KeepalivedConfig } from '../config/model';
import type { RealServerChange, VirtualServerChange, VrrpEvent, VrrpTransition } from '../notify';
import type { ScriptStatus } from '../track/priority';

/** Which child. */
export type ChildRole = 'vrrp' | 'checker';

/** How a child logs (keepalived's -l, -g, -S/-G, -D), and what else it needs from the command line. */
export interface ChildOptions {
  logConsole: boolean;
  logFile?: string;
  /** syslog facility (already shifted), or undefined for -G. */
  syslogFacility?: number;
  logDetail: number;
  /** vrrp_startup_delay, applied at the first start only. */
  startupDelayMs: number;
  /** -V/--dont-release-vrrp: leave VIPs and routes at stop. */
  dontReleaseVrrp: boolean;
  /** -I/--dont-release-ipvs. */
  dontReleaseIpvs: boolean;
}

/** A tracker's current result, as the main process sees it. */
export type TrackerState =
  | { kind: 'script' | 'process'; name: string; status: ScriptStatus }
  | { kind: 'file'; name: string; value: number };

/**
 * (route_announce track_virtual_server) Per instance, the virtual servers it
 * tracks that have no quorum - lost, or not reported yet by the checker
 * process - by the checker's name for them (`[198.51.100.10]:tcp:80`).
 */
export type QuorumFaults = Record<string, string[]>;

/** A VRRP transition for the notifier; main adds the scripts from its configuration. `atMs`: wall clock. */
export type TransitionNote = Omit<VrrpTransition, 'scripts'> & { atMs: number };
export type VrrpEventNote = Omit<VrrpEvent, 'script'>;

/** Signals a child received that the main process acts on (keepalived forwards them the other way). */
export type ForwardedSignal = 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2' | 'JSON' | 'STATS_CLEAR';

// ---- main → child ----
export type ToChild =
  | { t: 'init'; config: KeepalivedConfig; options: ChildOptions; trackers?: TrackerState[]; quorum?: QuorumFaults; restart: boolean }
  | { t: 'reload'; id: number; config: KeepalivedConfig; trackers?: TrackerState[] }
  | { t: 'trackers'; states: TrackerState[] }
  | { t: 'status'; id: number }
  /** keepalived's STATS_CLEAR: counters back to zero (after main wrote them out). */
  | { t: 'clearStats' }
  /** (route_announce) The tracked virtual servers' quorum changed (or a reload changed what is tracked). */
  | { t: 'quorum'; faults: QuorumFaults }
  /** (etcd_election) `instance` may be MASTER until CLOCK_MONOTONIC time `untilMs`; `revision` fences it. */
  | { t: 'grant'; instance: string; untilMs: number; revision: number }
  /** (etcd_election) Withdraw the grant; the reply comes once the VIPs are off. */
  | { t: 'resign'; id: number; instance: string }
  | { t: 'stop' };

// ---- child → main ----
export type FromChild =
  | { t: 'ready' }
  | { t: 'reply'; id: number; ok: true; result: unknown }
  | { t: 'reply'; id: number; ok: false; error: string }
  | { t: 'transition'; note: TransitionNote }
  | { t: 'event'; note: VrrpEventNote }
  | { t: 'realServer'; change: RealServerChange }
  | { t: 'virtualServer'; change: VirtualServerChange }
  | { t: 'signal'; sig: ForwardedSignal }
  /** (etcd_election) An elected instance's effective priority and fault state, for its candidacy. */
  | { t: 'candidacy'; instance: string; priority: number; fault: boolean; state: string }
  | { t: 'stopped' };

/** What a reload answers. */
export interface ReloadCounts {
  unchanged: number;
  changed: number;
  added: number;
  removed: number;
}

/** The command-line flag that makes bin/keepalived-ts a child (followed by its role). */
export const CHILD_FLAG = '--child';

/** keepalived's syslog idents, per process. */
export const SYSLOG_IDENT: Record<ChildRole | 'main', string> = {
  main: 'Keepalived',
  vrrp: 'Keepalived_vrrp',
  checker: 'Keepalived_healthcheckers',
};

/** The IPC end of a process: a ChildProcess (main side) or `process` (child side). */
export interface IpcEnd {
  send?(msg: unknown, cb?: (err: Error | null) => void): boolean;
  on(ev: 'message', fn: (msg: unknown) => void): unknown;
  on(ev: 'disconnect', fn: () => void): unknown;
  readonly connected?: boolean;
}

/**
 * A typed channel over an IPC end. `send` never throws: a message to a
 * process that is gone is dropped (and reported to `onError`).
 */
export class Channel<Out, In> {
  constructor(private readonly end: IpcEnd, private readonly onError: (e: Error) => void = () => {}) {}

  send(msg: Out): Promise<void> {
    return new Promise((resolve) => {
      if (!this.end.send || this.end.connected === false) {
        resolve();
        return;
      }
      try {
        this.end.send(msg, (err) => {
          if (err) this.onError(err);
          resolve();
        });
      } catch (e) {
        this.onError(e as Error);
        resolve();
      }
    });
  }

  onMessage(fn: (msg: In) => void): void {
    this.end.on('message', (m) => fn(m as In));
  }

  onDisconnect(fn: () => void): void {
    this.end.on('disconnect', fn);
  }
}

/** Request/reply bookkeeping for one peer: ids, pending answers and their timeouts. */
export class Requests {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  /** A new id and a promise of its answer (rejected after `timeoutMs`). */
  open(timeoutMs: number, what: string): { id: number; answer: Promise<unknown> } {
    const id = this.next++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    return { id, answer };
  }

  /** Settle the request a reply answers; unknown ids (late answers) are ignored. */
  settle(msg: Extract<FromChild, { t: 'reply' }>): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  }

  /** Fail everything still waiting (the peer is gone). */
  failAll(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      this.pending.delete(id);
    }
  }
}
