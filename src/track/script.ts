/**
 * vrrp_script: run a command every `interval`, turn exit statuses into an
 * OK / failing status with rise/fall hysteresis. Pure logic over an injected
 * Clock and ProcessRunner (src/notify/process.ts).
 *
 * keepalived 2.2.7 facts (keepalived.conf(5) "VRRP script(s)";
 * keepalived/include/vrrp_track.h; vrrp_data.c alloc_vrrp_script;
 * vrrp_parser.c vrrp_vscript_*; vrrp_scheduler.c vrrp_init_script,
 * vrrp_script_thread, vrrp_script_child_thread):
 *  - interval default 1 s; timeout default 0, meaning "the interval";
 *    weight default 0 (range -253..253, optional `reverse`); rise and fall
 *    default 1; `init_fail` starts the script as failed; `user` as the
 *    notify scripts' (default script user otherwise).
 *  - The first run happens at start; every run re-arms the next one
 *    `interval` after its own start (fixed rate, not after completion).
 *  - A run still in progress (or being killed) when the next is due is not
 *    started again: "Track script %s is already running, expect idle -
 *    skipping run". (2.2.7 logs this but forgets to return; later releases
 *    skip, which is what we do.)
 *  - Exit status 0 is success; any other status, death by a signal, or a
 *    timeout is a failure. At the timeout the process group gets SIGTERM,
 *    then SIGKILL 2 s later.
 *  - result in 0..rise+fall-1: 0..rise-1 = failing, rise..rise+fall-1 = OK.
 *    Starts at rise-1 ("one success is enough"; also the first failure is
 *    reported at once), or 0 with init_fail (needs `rise` successes).
 *    Success: below rise-1 count up; otherwise jump to rise+fall-1,
 *    reporting OK if it was below rise. Failure: above rise count down;
 *    otherwise drop to 0, reporting failure if it was exactly rise (or if
 *    this is the first result).
 */
import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import { Clock, TimerHandle } from '../core/clock';
import { Logger, nullLogger } from '../core/log';
import { ExitResult, ProcessHandle, ProcessRunner } from '../notify/process';
import { ScriptStatus } from './priority';

export interface VrrpScriptOptions {
  name: string;
  /** argv of `script` (see parseScriptCommand). */
  script: readonly string[];
  /** `interval`, ms (default 1000). */
  intervalMs?: number;
  /** `timeout`, ms (default 0 = intervalMs). */
  timeoutMs?: number;
  /** `weight` (default 0) and `reverse`; not used here, carried for the caller. */
  weight?: number;
  reverse?: boolean;
  /** `rise` / `fall` (default 1). */
  rise?: number;
  fall?: number;
  /** `init_fail`. */
  initFail?: boolean;
  /** Resolved `user [group]` (default: the default script user). */
  uid?: number;
  gid?: number;
  /** SIGTERM -> SIGKILL grace at timeout (keepalived: 2000 ms). */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ScriptStatusChange {
  name: string;
  ok: boolean;
  /** "succeeded", "failed (exited with status 1)", "timed_out", ... as keepalived logs. */
  reason: string;
}

export interface ScriptRunEvent {
  name: string;
  success: boolean;
  exit: ExitResult;
  timedOut: boolean;
  durationMs: number;
}

/** `SIGKILL` -> 9 (the number keepalived's WTERMSIG logs); unknown names are kept. */
function signalNumber(name: string): number | string {
  return (osConstants.signals as Record<string, number | undefined>)[name] ?? name;
}

/** Hysteresis state: keepalived's `result` and whether a result was seen yet. */
export interface RiseFallState {
  result: number;
  init: 'init' | 'failed' | 'done';
}

export function initialRiseFall(rise: number, initFail: boolean): RiseFallState {
  return initFail ? { result: 0, init: 'failed' } : { result: rise - 1, init: 'init' };
}

/** One run's outcome applied to the hysteresis. `report` is set when the status changes. */
export function riseFallStep(s: RiseFallState, success: boolean, rise: number, fall: number): { state: RiseFallState; report?: 'ok' | 'fail' } {
  let result = s.result;
  let report: 'ok' | 'fail' | undefined;
  if (success) {
    if (result < rise - 1) result++;
    else if (result !== rise + fall - 1) {
      if (result < rise) report = 'ok';
      result = rise + fall - 1;
    }
  } else if (result > rise) result--;
  else {
    if (result === rise || s.init === 'init') report = 'fail';
    result = 0;
  }
  return { state: { result, init: 'done' }, report };
}

/** Status implied by a hysteresis state. */
export function riseFallStatus(s: RiseFallState, rise: number): ScriptStatus {
  if (s.init === 'init') return 'unknown';
  return s.result >= rise ? 'ok' : 'fail';
}

/** keepalived's names for where a vrrp_script run is ("forcing termination" is folded into "requested termination"). */
export type ScriptRunState = 'idle' | 'running' | 'requested termination';

/**
 * Events: 'status' (ScriptStatusChange) whenever the OK/failing status
 * changes (including the first result), 'run' (ScriptRunEvent) after every
 * run, 'skip' when a run is skipped because the previous one is still going.
 */
export class VrrpScriptTracker extends EventEmitter {
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  private rf: RiseFallState;
  private timer: TimerHandle | undefined;
  private timeoutTimer: TimerHandle | undefined;
  private running: ProcessHandle | undefined;
  private terminating = false;
  private startedAt = 0;
  private lastExit: number | undefined;
  private stopped = true;
  private readonly log: Logger;
  runs = 0;
  skipped = 0;

  constructor(
    private readonly opts: VrrpScriptOptions,
    private readonly deps: { clock: Clock; runner: ProcessRunner; logger?: Logger },
  ) {
    super();
    this.name = opts.name;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : this.intervalMs;
    this.rise = Math.max(1, opts.rise ?? 1);
    this.fall = Math.max(1, opts.fall ?? 1);
    this.rf = initialRiseFall(this.rise, opts.initFail ?? false);
    this.log = (deps.logger ?? nullLogger).child({ script: opts.name });
  }

  /** 'unknown' until the first result (unless init_fail), then 'ok' / 'fail'. */
  get status(): ScriptStatus {
    return riseFallStatus(this.rf, this.rise);
  }

  /** keepalived's `result` counter (0..rise+fall-1). */
  get result(): number {
    return this.rf.result;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** keepalived's script state words (vrrp_data.c dump_vscript): idle, running, or timed out and being stopped. */
  get runState(): ScriptRunState {
    return !this.running ? 'idle' : this.terminating ? 'requested termination' : 'running';
  }

  /** First run now, then every interval. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Stop scheduling; a run in progress is killed. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    if (this.running && !this.terminating) {
      this.terminating = true;
      this.running.terminate(this.opts.killGraceMs ?? 2000);
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const clock = this.deps.clock;
    this.timer = clock.setTimer(this.intervalMs, () => this.tick());
    if (this.running) {
      this.skipped++;
      this.log.rateLimited(
        'skip',
        60_000,
        clock.now(),
        'info',
        `Track script ${this.name} is ${this.terminating ? 'being timed out' : 'already running'}, expect idle - skipping run`,
      );
      this.emit('skip', { name: this.name });
      return;
    }
    this.runs++;
    this.terminating = false;
    this.startedAt = clock.now();
    let exited = false;
    const handle = this.deps.runner.spawn(
      { argv: this.opts.script, uid: this.opts.uid, gid: this.opts.gid, env: this.opts.env },
      (r) => {
        exited = true;
        this.onExit(r);
      },
    );
    if (exited) return;
    this.running = handle;
    this.timeoutTimer = clock.setTimer(this.timeoutMs, () => {
      this.timeoutTimer = undefined;
      if (!this.running || this.terminating) return;
      this.terminating = true;
      this.running.terminate(this.opts.killGraceMs ?? 2000);
    });
  }

  private onExit(r: ExitResult): void {
    const timedOut = this.terminating && r.kind === 'signaled';
    this.running = undefined;
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    const durationMs = Math.round(this.deps.clock.now() - this.startedAt);
    const wasTerminating = this.terminating;
    this.terminating = false;
    if (this.stopped && wasTerminating) return; // killed by stop(): no verdict

    let success = false;
    let reason: string;
    if (r.kind === 'exited') {
      if (r.code !== this.lastExit) this.log.info(`Script \`${this.name}\` now returning ${r.code}`);
      this.lastExit = r.code;
      success = r.code === 0;
      reason = success ? 'succeeded' : `failed (exited with status ${r.code})`;
    } else if (timedOut) reason = 'timed_out';
    // keepalived logs the signal number: "VRRP_Script(x) failed (due to signal 9)".
    else if (r.kind === 'signaled') reason = `failed (due to signal ${signalNumber(r.signal)})`;
    else reason = `failed (${r.message})`;

    this.emit('run', { name: this.name, success, exit: r, timedOut, durationMs } satisfies ScriptRunEvent);
    const { state, report } = riseFallStep(this.rf, success, this.rise, this.fall);
    this.rf = state;
    if (report) {
      this.log.info(`VRRP_Script(${this.name}) ${reason}`);
      this.emit('status', { name: this.name, ok: report === 'ok', reason } satisfies ScriptStatusChange);
    }
  }
}
