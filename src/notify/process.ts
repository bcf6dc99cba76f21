/**
 * The process-runner port shared by notify scripts, FIFO reader scripts and
 * vrrp_script trackers, and its real adapter on child_process.spawn.
 *
 * keepalived (lib/notify.c system_call_script) forks, puts the child in its
 * own process group (setpgid(0,0)) so a timeout can kill the script and all
 * its children with kill(-pgid), switches to the script's uid/gid, and
 * execve()s argv[0] with keepalived's environment and stdio on /dev/null.
 * A script being timed out gets SIGTERM, then SIGKILL 2 s later
 * (vrrp_scheduler.c vrrp_script_child_thread); once a SIGTERMed leader has
 * exited, the rest of its group gets SIGKILL.
 *
 * Node differences: `detached: true` makes the child a session and process
 * group leader (setsid), which is what we kill; libuv clears supplementary
 * groups when uid/gid are set (keepalived sets them to [gid]); there is no
 * PR_SET_PDEATHSIG, so scripts still running when the daemon dies abruptly are
 * not signalled (close() kills them on an orderly shutdown).
 */
import { spawn } from 'node:child_process';
import { Clock, SystemClock, TimerHandle } from '../core/clock';

export interface SpawnSpec {
  argv: readonly string[];
  uid?: number;
  gid?: number;
  /** Environment of the script; default: the daemon's (as keepalived). */
  env?: NodeJS.ProcessEnv;
}

export type ExitResult =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: string }
  | { kind: 'error'; message: string; errno?: string };

export interface ProcessHandle {
  /** PID of the process (and id of its process group), if it started. */
  readonly pid: number | undefined;
  /**
   * SIGTERM the whole process group, SIGKILL it `graceMs` later if the leader
   * has not exited. Idempotent.
   */
  terminate(graceMs: number): void;
}

export interface ProcessRunner {
  /** Start a process; `onExit` is called exactly once, asynchronously. */
  spawn(spec: SpawnSpec, onExit: (r: ExitResult) => void): ProcessHandle;
}

function killGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group; EPERM: cannot, no point retrying
  }
}

/** The real runner: asynchronous spawn, never blocks the event loop. */
export class SpawnProcessRunner implements ProcessRunner {
  constructor(private readonly clock: Clock = new SystemClock()) {}

  spawn(spec: SpawnSpec, onExit: (r: ExitResult) => void): ProcessHandle {
    let done = false;
    let terminating = false;
    let killTimer: TimerHandle | undefined;
    const finish = (r: ExitResult): void => {
      if (done) return;
      done = true;
      killTimer?.cancel();
      onExit(r);
    };
    const [file, ...args] = spec.argv;
    if (file === undefined) {
      const h = { pid: undefined, terminate: () => {} };
      queueMicrotask(() => finish({ kind: 'error', message: 'empty argv' }));
      return h;
    }
    let child;
    try {
      child = spawn(file, args, {
        detached: true,
        stdio: 'ignore',
        env: spec.env ?? process.env,
        uid: spec.uid,
        gid: spec.gid,
        windowsHide: true,
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      queueMicrotask(() => finish({ kind: 'error', message: err.message, errno: err.code }));
      return { pid: undefined, terminate: () => {} };
    }
    const pid = child.pid;
    child.once('error', (err: NodeJS.ErrnoException) => finish({ kind: 'error', message: err.message, errno: err.code }));
    child.once('exit', (code, signal) => {
      // A leader we asked to stop is gone: make sure its children are too.
      if (terminating && pid !== undefined) killGroup(pid, 'SIGKILL');
      if (signal) finish({ kind: 'signaled', signal });
      else finish({ kind: 'exited', code: code ?? 0 });
    });
    return {
      pid,
      terminate: (graceMs: number) => {
        if (done || terminating || pid === undefined) return;
        terminating = true;
        if (!killGroup(pid, 'SIGTERM')) child.kill('SIGTERM');
        killTimer = this.clock.setTimer(graceMs, () => {
          if (!done && !killGroup(pid, 'SIGKILL')) child.kill('SIGKILL');
        });
      },
    };
  }
}

export type RunOutcome =
  | { kind: 'exited'; code: number; durationMs: number }
  | { kind: 'signaled'; signal: string; durationMs: number }
  | { kind: 'timedOut'; durationMs: number }
  | { kind: 'error'; message: string; errno?: string; durationMs: number };

export interface RunOptions {
  /** Kill the process group after this long; 0 = never. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL (keepalived: 2 s for track scripts). */
  killGraceMs: number;
  /** Stop waiting this long after SIGKILL even if no exit was seen. */
  abandonMs?: number;
  signal?: AbortSignal;
}

/**
 * Run one process to completion with a timeout. Resolves (never rejects) when
 * the process has exited, or as `timedOut` once it was killed at its timeout.
 */
export function runWithTimeout(runner: ProcessRunner, clock: Clock, spec: SpawnSpec, opts: RunOptions): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const t0 = clock.now();
    let timedOut = false;
    let settled = false;
    let timer: TimerHandle | undefined;
    let abandon: TimerHandle | undefined;
    const settle = (o: RunOutcome): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      abandon?.cancel();
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(o);
    };
    const h = runner.spawn(spec, (r) => {
      const durationMs = Math.round(clock.now() - t0);
      if (timedOut && r.kind !== 'error') settle({ kind: 'timedOut', durationMs });
      else settle({ ...r, durationMs });
    });
    const kill = (): void => {
      timedOut = true;
      h.terminate(opts.killGraceMs);
      abandon = clock.setTimer(opts.killGraceMs + (opts.abandonMs ?? 1000), () =>
        settle({ kind: 'timedOut', durationMs: Math.round(clock.now() - t0) }),
      );
    };
    const onAbort = (): void => kill();
    if (opts.timeoutMs > 0) timer = clock.setTimer(opts.timeoutMs, kill);
    if (opts.signal) {
      if (opts.signal.aborted) kill();
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

/** Is this outcome a success in keepalived's sense (exit status 0)? */
export function outcomeOk(o: RunOutcome | ExitResult): boolean {
  return o.kind === 'exited' && o.code === 0;
}

export function describeOutcome(o: RunOutcome): string {
  switch (o.kind) {
    case 'exited':
      return `exited with status ${o.code}`;
    case 'signaled':
      return `killed by signal ${o.signal}`;
    case 'timedOut':
      return `timed out after ${o.durationMs} ms`;
    case 'error':
      return `could not run: ${o.message}`;
  }
}
