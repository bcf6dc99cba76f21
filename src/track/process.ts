/**
 * vrrp_track_process: is the number of matching processes within the quorum
 * [quorum, quorum_max]? keepalived 2.2.7 (keepalived/core/track_process.c,
 * keepalived.conf(5) "VRRP track processes"):
 *  - without full_command the name is compared, exactly, with
 *    /proc/PID/comm (15 characters at most); with full_command (set also by
 *    parameters and by param_match) with argv[0] of /proc/PID/cmdline;
 *  - parameters (the words after the name) are compared with the rest of
 *    the command line: exactly, as the first ones (`partial`), or with the
 *    last one allowed to be longer (`initial`);
 *  - zombies do not count;
 *  - losing the quorum counts after `terminate_delay` (or `delay`), gaining
 *    it after `fork_delay` (or `delay`), so a restart does not flap.
 *
 * Difference: keepalived follows process events through the kernel's proc
 * connector, which works only in the initial network namespace (keepalived
 * 2.2.7 in a namespace logs "Failed to set/clear process event listen" and
 * never sees a process). We read /proc every `pollMs` (default 500 ms), which
 * works everywhere; a change is seen within one poll.
 *
 * Pure logic over an injected Clock and ProcessSource.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../core/clock';
import { Logger, nullLogger } from '../core/log';
import type { TrackProcessConfig } from '../config/model';
import type { ScriptStatus } from './priority';

export interface ProcessInfo {
  pid: number;
  /** /proc/PID/comm without the newline. */
  comm: string;
  /** /proc/PID/cmdline split at NULs (empty for kernel threads). */
  argv: string[];
  zombie: boolean;
}

/** Lists the running processes (the Linux one reads /proc). */
export interface ProcessSource {
  list(): Promise<ProcessInfo[]>;
}

const TASK_COMM_LEN = 15;

/** Does this process match the track_process definition? */
export function matchesProcess(cfg: Pick<TrackProcessConfig, 'process' | 'params' | 'paramMatch' | 'fullCommand'>, p: ProcessInfo): boolean {
  if (p.zombie) return false;
  if (!cfg.fullCommand) return p.comm === cfg.process.slice(0, TASK_COMM_LEN) && cfg.process.length <= TASK_COMM_LEN;
  if (p.argv[0] !== cfg.process) return false;
  if (cfg.paramMatch === 'none') return true;
  const want = cfg.params ?? [];
  const have = p.argv.slice(1);
  if (cfg.paramMatch === 'exact') return have.length === want.length && want.every((w, i) => have[i] === w);
  if (have.length < want.length) return false;
  if (cfg.paramMatch === 'partial') return want.every((w, i) => have[i] === w);
  // initial: all but the last exactly, the last as a prefix.
  return want.every((w, i) => (i === want.length - 1 ? have[i].startsWith(w) : have[i] === w));
}

/** The number of matching processes and whether that is within the quorum. */
export function processQuorum(cfg: Pick<TrackProcessConfig, 'process' | 'params' | 'paramMatch' | 'fullCommand' | 'quorum' | 'quorumMax'>, procs: readonly ProcessInfo[]): { count: number; ok: boolean } {
  let count = 0;
  for (const p of procs) if (matchesProcess(cfg, p)) count++;
  const max = cfg.quorumMax ?? Number.MAX_SAFE_INTEGER;
  return { count, ok: count >= cfg.quorum && count <= max };
}

export interface ProcessTrackerDeps {
  clock: Clock;
  source: ProcessSource;
  logger?: Logger;
  /** Poll period in ms (default 500). */
  pollMs?: number;
}

/**
 * One vrrp_track_process. `status` is 'unknown' until the first scan, then
 * 'ok' / 'fail'. Emits 'status' ({name, ok, count}) on each change.
 */
export class ProcessTracker extends EventEmitter {
  readonly name: string;
  private current: ScriptStatus = 'unknown';
  private pending: { ok: boolean; timer: TimerHandle } | undefined;
  private timer: TimerHandle | undefined;
  private stopped = true;
  private scanning = false;
  private readonly log: Logger;
  private readonly pollMs: number;
  count = 0;

  constructor(
    private readonly cfg: TrackProcessConfig,
    private readonly deps: ProcessTrackerDeps,
  ) {
    super();
    this.name = cfg.name;
    this.log = (deps.logger ?? nullLogger).child({ trackProcess: cfg.name });
    this.pollMs = deps.pollMs ?? 500;
  }

  get status(): ScriptStatus {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.scan();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.pending?.timer.cancel();
    this.pending = undefined;
  }

  /** One scan now (the poll calls it; tests may too). */
  async scan(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const procs = await this.deps.source.list();
      if (this.stopped) return;
      const q = processQuorum(this.cfg, procs);
      this.count = q.count;
      this.observe(q.ok);
    } catch (e) {
      this.log.rateLimited('scan', 60_000, this.deps.clock.now(), 'warn', `track process ${this.name}: cannot read processes: ${(e as Error).message}`);
    } finally {
      this.scanning = false;
      if (!this.stopped) this.timer = this.deps.clock.setTimer(this.pollMs, () => void this.scan());
    }
  }

  private observe(ok: boolean): void {
    if (this.current === 'unknown') return this.set(ok); // the start-up scan counts at once
    const now = this.current === 'ok';
    if (ok === now) {
      // Back to the reported state before the delay ran out: no change.
      this.pending?.timer.cancel();
      this.pending = undefined;
      return;
    }
    if (this.pending?.ok === ok) return;
    this.pending?.timer.cancel();
    const delay = ok ? this.cfg.forkDelayMs || this.cfg.delayMs : this.cfg.terminateDelayMs || this.cfg.delayMs;
    if (delay <= 0) return this.set(ok);
    this.pending = { ok, timer: this.deps.clock.setTimer(delay, () => {
      this.pending = undefined;
      this.set(ok);
    }) };
  }

  private set(ok: boolean): void {
    const next: ScriptStatus = ok ? 'ok' : 'fail';
    if (next === this.current) return;
    this.current = next;
    this.log.info(`Track process ${this.name} ${ok ? 'quorum gained' : 'quorum lost'} (${this.count} running)`);
    this.emit('status', { name: this.name, ok, count: this.count });
  }
}
