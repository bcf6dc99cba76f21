/**
 * VrrpScriptTracker against keepalived 2.2.7 (keepalived/vrrp/vrrp_scheduler.c
 * vrrp_init_script, vrrp_script_thread, vrrp_script_child_thread), on a
 * VirtualClock with a scripted fake ProcessRunner, plus a few runs through
 * the real SpawnProcessRunner.
 *
 * Notes from reading keepalived:
 *  - vrrp_script_thread re-arms the next run before starting this one
 *    (fixed rate), and 2.2.7 logs "expect idle - skipping run" but then runs
 *    anyway (missing `return`, fixed in later releases: we skip).
 *  - The next-run timer is armed before the child's timeout, so with the
 *    default timeout (= interval) the run that falls due at the timeout is
 *    skipped, and a hung script is retried every second interval.
 *  - A script killed at its timeout is "timed_out" only when it dies of the
 *    signal we sent; one that traps SIGTERM and exits reports its exit status.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { SystemClock, VirtualClock, type Clock } from '../../src/core/clock';
import { Logger, memorySink, type LogRecord } from '../../src/core/log';
import {
  SpawnProcessRunner,
  type ExitResult,
  type ProcessHandle,
  type ProcessRunner,
  type SpawnSpec,
} from '../../src/notify/process';
import {
  initialRiseFall,
  riseFallStatus,
  riseFallStep,
  VrrpScriptTracker,
  type ScriptRunEvent,
  type ScriptStatusChange,
  type VrrpScriptOptions,
} from '../../src/track/script';

/* ------------------------------- fake runner ------------------------------- */

/** What one spawned fake process does. */
type Plan =
  /** Exit with this result after `ms`. */
  | { ms: number; result: ExitResult }
  /** Never exits by itself. `onTerm`: die of SIGTERM (default), ignore it (SIGKILL after the grace), or exit with a code. */
  | { hang: true; onTerm?: 'die' | 'ignore' | { code: number } };

interface FakeProc {
  spec: SpawnSpec;
  startedAt: number;
  terminations: { at: number; graceMs: number }[];
  killedAt?: number;
  exitedAt?: number;
  result?: ExitResult;
}

const ok = (ms = 10): Plan => ({ ms, result: { kind: 'exited', code: 0 } });
const fail = (code = 1, ms = 10): Plan => ({ ms, result: { kind: 'exited', code } });
const hang = (onTerm?: 'die' | 'ignore' | { code: number }): Plan => ({ hang: true, onTerm });

/**
 * Behaves like SpawnProcessRunner on a virtual clock: exit is reported
 * asynchronously (on a timer), terminate() sends "SIGTERM" and, if the process
 * is still there `graceMs` later, "SIGKILL".
 */
class FakeRunner implements ProcessRunner {
  readonly procs: FakeProc[] = [];
  private readonly plans: Plan[];

  constructor(
    private readonly clock: Clock,
    plans: Plan[] = [],
    private readonly fallback: Plan = ok(),
  ) {
    this.plans = [...plans];
  }

  get starts(): number[] {
    return this.procs.map((p) => p.startedAt);
  }

  spawn(spec: SpawnSpec, onExit: (r: ExitResult) => void): ProcessHandle {
    const plan = this.plans.shift() ?? this.fallback;
    const p: FakeProc = { spec, startedAt: this.clock.now(), terminations: [] };
    this.procs.push(p);
    let done = false;
    const exit = (r: ExitResult): void => {
      if (done) return;
      done = true;
      p.exitedAt = this.clock.now();
      p.result = r;
      onExit(r);
    };
    if (!('hang' in plan)) this.clock.setTimer(plan.ms, () => exit(plan.result));
    let terminating = false;
    return {
      pid: 1000 + this.procs.length,
      terminate: (graceMs: number) => {
        p.terminations.push({ at: this.clock.now(), graceMs });
        if (done || terminating) return;
        terminating = true;
        const onTerm = 'hang' in plan ? plan.onTerm ?? 'die' : 'die';
        if (onTerm === 'die') this.clock.setTimer(1, () => exit({ kind: 'signaled', signal: 'SIGTERM' }));
        else if (onTerm !== 'ignore') this.clock.setTimer(1, () => exit({ kind: 'exited', code: onTerm.code }));
        this.clock.setTimer(graceMs, () => {
          if (done) return;
          p.killedAt = this.clock.now();
          exit({ kind: 'signaled', signal: 'SIGKILL' });
        });
      },
    };
  }
}

interface Harness {
  clock: VirtualClock;
  runner: FakeRunner;
  tracker: VrrpScriptTracker;
  statuses: (ScriptStatusChange & { at: number })[];
  runs: (ScriptRunEvent & { at: number })[];
  skips: number[];
  logs: LogRecord[];
}

function harness(opts: Partial<VrrpScriptOptions>, plans: Plan[] = [], fallback?: Plan): Harness {
  const clock = new VirtualClock();
  const runner = new FakeRunner(clock, plans, fallback);
  const logs: LogRecord[] = [];
  const tracker = new VrrpScriptTracker(
    { name: 'chk', script: ['/usr/local/bin/chk', 'arg 1'], ...opts },
    { clock, runner, logger: new Logger(memorySink(logs)) },
  );
  const h: Harness = { clock, runner, tracker, statuses: [], runs: [], skips: [], logs };
  tracker.on('status', (s: ScriptStatusChange) => h.statuses.push({ ...s, at: clock.now() }));
  tracker.on('run', (r: ScriptRunEvent) => h.runs.push({ ...r, at: clock.now() }));
  tracker.on('skip', () => h.skips.push(clock.now()));
  return h;
}

const msgs = (h: Harness): string[] => h.logs.map((l) => l.msg);

/* --------------------------------- tests ---------------------------------- */

describe('VrrpScriptTracker scheduling', () => {
  it('runs once at start, with the script argv and user, and has no status until it exits', () => {
    const h = harness({ uid: 998, gid: 997, env: { PATH: '/bin' } }, [ok(50)]);
    assert.equal(h.tracker.status, 'unknown');
    h.tracker.start();
    assert.equal(h.runner.procs.length, 1);
    assert.deepEqual(h.runner.procs[0]!.spec, { argv: ['/usr/local/bin/chk', 'arg 1'], uid: 998, gid: 997, env: { PATH: '/bin' } });
    assert.equal(h.tracker.isRunning, true);
    assert.equal(h.tracker.status, 'unknown');
    h.clock.advance(49);
    assert.equal(h.tracker.status, 'unknown');
    h.clock.advance(1);
    assert.equal(h.tracker.isRunning, false);
    assert.equal(h.tracker.status, 'ok');
    assert.deepEqual(h.statuses, [{ name: 'chk', ok: true, reason: 'succeeded', at: 50 }]);
    assert.equal(h.runs.length, 1);
    assert.equal(h.runs[0]!.durationMs, 50);
    h.tracker.start(); // already started: no second run
    assert.equal(h.runner.procs.length, 1);
  });

  it('defaults: interval 1 s, timeout = interval, rise = fall = 1', () => {
    const h = harness({});
    assert.equal(h.tracker.intervalMs, 1000);
    assert.equal(h.tracker.timeoutMs, 1000);
    assert.equal(h.tracker.rise, 1);
    assert.equal(h.tracker.fall, 1);
    assert.equal(harness({ intervalMs: 5000, timeoutMs: 0 }).tracker.timeoutMs, 5000);
    assert.equal(harness({ intervalMs: 5000, timeoutMs: 700 }).tracker.timeoutMs, 700);
  });

  it('fixed rate: each run is due one interval after the previous run started, not after it ended', () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 900 }, [], ok(300));
    h.tracker.start();
    h.clock.advance(3500);
    assert.deepEqual(h.runner.starts, [0, 1000, 2000, 3000]);
    assert.equal(h.tracker.runs, 4);
    assert.equal(h.tracker.skipped, 0);
  });

  it('a run still going when the next is due is skipped, counted and logged (rate limited)', () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 10_000 }, [{ ms: 2500, result: { kind: 'exited', code: 0 } }]);
    h.tracker.start();
    h.clock.advance(3100);
    assert.deepEqual(h.runner.starts, [0, 3000]);
    assert.deepEqual(h.skips, [1000, 2000]);
    assert.equal(h.tracker.skipped, 2);
    assert.equal(h.tracker.runs, 2);
    const skipLogs = msgs(h).filter((m) => m.includes('skipping run'));
    assert.deepEqual(skipLogs, ['Track script chk is already running, expect idle - skipping run']);
  });

  it('a running check never blocks: start() returns while the process runs, other timers keep firing', () => {
    const h = harness({ intervalMs: 1000 }, [hang()]);
    h.tracker.start();
    assert.equal(h.tracker.isRunning, true);
    const fired: number[] = [];
    for (let t = 100; t <= 900; t += 100) h.clock.setTimer(t, () => fired.push(h.clock.now()));
    h.clock.advance(900);
    assert.deepEqual(fired, [100, 200, 300, 400, 500, 600, 700, 800, 900]);
    assert.equal(h.tracker.isRunning, true);
  });
});

describe('VrrpScriptTracker timeouts', () => {
  it('a hung script is terminated at the default timeout (= interval) and counts as a failure ("timed_out")', () => {
    const h = harness({ intervalMs: 1000 }, [hang()]);
    h.tracker.start();
    h.clock.advance(999);
    assert.deepEqual(h.runner.procs[0]!.terminations, []);
    h.clock.advance(1);
    // The run due at 1000 comes first (keepalived arms it before the child timeout) and is skipped.
    assert.deepEqual(h.skips, [1000]);
    assert.deepEqual(h.runner.procs[0]!.terminations, [{ at: 1000, graceMs: 2000 }]);
    h.clock.advance(1);
    assert.equal(h.tracker.status, 'fail');
    assert.deepEqual(h.statuses, [{ name: 'chk', ok: false, reason: 'timed_out', at: 1001 }]);
    assert.equal(h.runs[0]!.timedOut, true);
    assert.equal(h.runs[0]!.success, false);
    assert.deepEqual(h.runs[0]!.exit, { kind: 'signaled', signal: 'SIGTERM' });
    assert.ok(msgs(h).includes('VRRP_Script(chk) timed_out'));
    // Next run on schedule.
    h.clock.advance(999);
    assert.deepEqual(h.runner.starts, [0, 2000]);
  });

  it("runState follows keepalived's words: idle, running, requested termination (a timed-out run being stopped), idle", () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 300 }, [hang()]);
    assert.equal(h.tracker.runState, 'idle');
    h.tracker.start();
    assert.equal(h.tracker.runState, 'running');
    h.clock.advance(300);
    assert.equal(h.tracker.runState, 'requested termination');
    h.clock.advance(1);
    assert.equal(h.tracker.runState, 'idle');
  });

  it('an explicit timeout shorter than the interval', () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 300 }, [hang()]);
    h.tracker.start();
    h.clock.advance(1000);
    assert.deepEqual(h.runner.procs[0]!.terminations, [{ at: 300, graceMs: 2000 }]);
    assert.deepEqual(h.statuses.map((s) => [s.reason, s.at]), [['timed_out', 301]]);
    assert.deepEqual(h.runner.starts, [0, 1000]);
    assert.deepEqual(h.skips, []);
  });

  it('a script ignoring SIGTERM is SIGKILLed after the grace period; runs due meanwhile are skipped ("being timed out")', () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 500, killGraceMs: 2000 }, [hang('ignore')]);
    h.tracker.start();
    h.clock.advance(2499);
    assert.equal(h.tracker.status, 'unknown');
    h.clock.advance(1);
    assert.equal(h.runner.procs[0]!.killedAt, 2500);
    assert.deepEqual(h.statuses.map((s) => [s.reason, s.at]), [['timed_out', 2500]]);
    assert.deepEqual(h.skips, [1000, 2000]);
    assert.ok(msgs(h).includes('Track script chk is being timed out, expect idle - skipping run'));
    h.clock.advance(500);
    assert.deepEqual(h.runner.starts, [0, 3000]);
  });

  it('killGraceMs is handed to the runner', () => {
    const h = harness({ intervalMs: 10_000, timeoutMs: 100, killGraceMs: 250 }, [hang('ignore')]);
    h.tracker.start();
    h.clock.advance(400);
    assert.deepEqual(h.runner.procs[0]!.terminations, [{ at: 100, graceMs: 250 }]);
    assert.equal(h.runner.procs[0]!.killedAt, 350);
    assert.equal(h.tracker.status, 'fail');
  });

  it('a script that traps SIGTERM and exits reports its exit status, as keepalived (WIFEXITED)', () => {
    const zero = harness({ intervalMs: 1000, timeoutMs: 200 }, [hang({ code: 0 })]);
    zero.tracker.start();
    zero.clock.advance(300);
    assert.equal(zero.tracker.status, 'ok');
    assert.equal(zero.runs[0]!.timedOut, false);
    const one = harness({ intervalMs: 1000, timeoutMs: 200 }, [hang({ code: 1 })]);
    one.tracker.start();
    one.clock.advance(300);
    assert.equal(one.tracker.status, 'fail');
    assert.equal(one.statuses[0]!.reason, 'failed (exited with status 1)');
  });

  it('a fast script cancels its timeout', () => {
    const h = harness({ intervalMs: 1000, timeoutMs: 500 }, [ok(10)]);
    h.tracker.start();
    h.clock.advance(10);
    assert.equal(h.clock.pending(), 1); // only the next run
    h.clock.advance(490);
    assert.deepEqual(h.runner.procs[0]!.terminations, []);
  });
});

describe('VrrpScriptTracker results', () => {
  it('exit 0 is success; any other exit status, a signal or a spawn error is a failure', () => {
    const h = harness({ intervalMs: 1000 }, [
      ok(),
      fail(2),
      ok(),
      { ms: 10, result: { kind: 'signaled', signal: 'SIGSEGV' } },
      ok(),
      { ms: 0, result: { kind: 'error', message: 'spawn /usr/local/bin/chk ENOENT', errno: 'ENOENT' } },
    ]);
    h.tracker.start();
    h.clock.advance(5500);
    assert.deepEqual(
      h.statuses.map((s) => [s.ok, s.reason]),
      [
        [true, 'succeeded'],
        [false, 'failed (exited with status 2)'],
        [true, 'succeeded'],
        // keepalived: log_message("VRRP_Script(%s) %s (%s %d)", ..., "due to signal", WTERMSIG)
        [false, 'failed (due to signal 11)'],
        [true, 'succeeded'],
        [false, 'failed (spawn /usr/local/bin/chk ENOENT)'],
      ],
    );
    assert.deepEqual(h.runs.map((r) => r.success), [true, false, true, false, true, false]);
    assert.ok(msgs(h).includes('VRRP_Script(chk) failed (exited with status 2)'));
  });

  it('"Script `chk` now returning N" is logged when the exit status changes', () => {
    const h = harness({ intervalMs: 1000 }, [fail(1), fail(1), fail(3), ok()]);
    h.tracker.start();
    h.clock.advance(3500);
    assert.deepEqual(
      msgs(h).filter((m) => m.startsWith('Script `chk`')),
      ['Script `chk` now returning 1', 'Script `chk` now returning 3', 'Script `chk` now returning 0'],
    );
  });

  it('only changes are reported: repeated results give no status event', () => {
    const h = harness({ intervalMs: 1000 }, [ok(), ok(), fail(), fail(), ok()]);
    h.tracker.start();
    h.clock.advance(4500);
    assert.deepEqual(h.statuses.map((s) => [s.ok, s.at]), [[true, 10], [false, 2010], [true, 4010]]);
  });
});

describe('rise / fall hysteresis (keepalived vrrp_script_child_thread)', () => {
  /** Drive the pure step function; returns the reports and the final state. */
  function drive(rise: number, fall: number, initFail: boolean, results: boolean[]) {
    let s = initialRiseFall(rise, initFail);
    const reports: (string | undefined)[] = [];
    const statuses: string[] = [];
    for (const r of results) {
      const step = riseFallStep(s, r, rise, fall);
      s = step.state;
      reports.push(step.report);
      statuses.push(riseFallStatus(s, rise));
    }
    return { reports, statuses, result: s.result };
  }

  it('starts at result rise-1: the first result is reported at once, success or failure ("one success is enough")', () => {
    assert.equal(initialRiseFall(3, false).result, 2);
    assert.equal(riseFallStatus(initialRiseFall(3, false), 3), 'unknown');
    assert.deepEqual(drive(3, 2, false, [true]).reports, ['ok']);
    assert.deepEqual(drive(3, 2, false, [true]).result, 4);
    assert.deepEqual(drive(3, 2, false, [false]).reports, ['fail']);
    assert.deepEqual(drive(3, 2, false, [false]).result, 0);
  });

  it('rise 3 fall 2: OK needs fall failures to drop, then rise successes to come back', () => {
    const seq = [true, false, true, false, false, true, true, false, true, true, true];
    const d = drive(3, 2, false, seq);
    assert.deepEqual(d.reports, ['ok', undefined, undefined, undefined, 'fail', undefined, undefined, undefined, undefined, undefined, 'ok']);
    assert.deepEqual(d.statuses, ['ok', 'ok', 'ok', 'ok', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'ok']);
    // keepalived's counter: 4 3 4 3 0 1 2 0 1 2 4
  });

  it('a success while OK resets to rise+fall-1; a failure while failing resets to 0', () => {
    const d = drive(2, 3, false, [true, false, false, true, false, false, false, true, false, true, true]);
    assert.deepEqual(d.reports, ['ok', undefined, undefined, undefined, undefined, undefined, 'fail', undefined, undefined, undefined, 'ok']);
  });

  it('init_fail: failing from the start, the first failure is not a change, rise successes are needed', () => {
    assert.equal(riseFallStatus(initialRiseFall(3, true), 3), 'fail');
    const d = drive(3, 2, true, [false, true, true, false, true, true, true]);
    assert.deepEqual(d.reports, [undefined, undefined, undefined, undefined, undefined, undefined, 'ok']);
    assert.deepEqual(drive(1, 1, true, [true]).reports, ['ok']);
  });

  it('property: rise successes always give OK, fall failures always give failing, and only runs that long change it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        (rise, fall, initFail, results) => {
          let s = initialRiseFall(rise, initFail);
          let status = riseFallStatus(s, rise);
          let streak = 0;
          let prev: boolean | undefined;
          for (const r of results) {
            streak = r === prev ? streak + 1 : 1;
            prev = r;
            const step = riseFallStep(s, r, rise, fall);
            s = step.state;
            const next = riseFallStatus(s, rise);
            assert.ok(s.result >= 0 && s.result <= rise + fall - 1, `result ${s.result} in range`);
            // A report exactly when the status changes (the first result counts as a change from 'unknown').
            assert.equal(step.report !== undefined, next !== status);
            if (step.report) assert.equal(step.report, next);
            if (status !== 'unknown' && next !== status) {
              if (next === 'ok') assert.ok(streak >= rise, `went OK after ${streak} < rise ${rise} successes`);
              else assert.ok(streak >= fall, `went failing after ${streak} < fall ${fall} failures`);
            }
            if (r && streak >= rise) assert.equal(next, 'ok');
            if (!r && streak >= fall) assert.equal(next, 'fail');
            status = next;
          }
        },
      ),
    );
  });

  it('the tracker applies it: rise 2 fall 2 on real runs', () => {
    const h = harness({ intervalMs: 1000, rise: 2, fall: 2 }, [ok(), fail(), fail(), ok(), ok()]);
    h.tracker.start();
    h.clock.advance(4500);
    assert.deepEqual(h.statuses.map((s) => [s.ok, s.at]), [[true, 10], [false, 2010], [true, 4010]]);
    assert.equal(h.tracker.result, 3);
  });

  it('init_fail on the tracker: status fail before any run, no event for the first failure', () => {
    const h = harness({ intervalMs: 1000, rise: 2, initFail: true }, [fail(), ok(), ok()]);
    assert.equal(h.tracker.status, 'fail');
    h.tracker.start();
    h.clock.advance(2500);
    assert.deepEqual(h.statuses.map((s) => [s.ok, s.at]), [[true, 2010]]);
    assert.equal(h.tracker.status, 'ok');
  });
});

describe('VrrpScriptTracker stop()', () => {
  it('kills a running process and gives no verdict for it', () => {
    const h = harness({ intervalMs: 1000, killGraceMs: 2000 }, [ok(10), hang()]);
    h.tracker.start();
    h.clock.advance(1500);
    assert.equal(h.tracker.status, 'ok');
    assert.equal(h.tracker.isRunning, true);
    h.tracker.stop();
    assert.deepEqual(h.runner.procs[1]!.terminations, [{ at: 1500, graceMs: 2000 }]);
    h.clock.advance(10_000);
    assert.equal(h.runner.procs[1]!.result?.kind, 'signaled');
    assert.equal(h.tracker.status, 'ok');
    assert.equal(h.runs.length, 1);
    assert.equal(h.statuses.length, 1);
    assert.equal(h.runner.procs.length, 2, 'no run after stop');
    assert.equal(h.clock.pending(), 0);
  });

  it('a run that exits with a status (not the signal) after stop() gives no verdict either', () => {
    const h = harness({ intervalMs: 1000 }, [hang({ code: 1 })]);
    h.tracker.start();
    h.clock.advance(100);
    h.tracker.stop();
    h.clock.advance(5000);
    assert.deepEqual(h.runner.procs[0]!.result, { kind: 'exited', code: 1 });
    assert.equal(h.tracker.status, 'unknown');
    assert.deepEqual(h.statuses, []);
  });

  it('is idempotent, leaves no timers when idle, and start() afterwards runs again at once', () => {
    const h = harness({ intervalMs: 1000 }, [hang()]);
    h.tracker.start();
    h.clock.advance(100);
    h.tracker.stop();
    h.tracker.stop();
    assert.equal(h.runner.procs[0]!.terminations.length, 1);
    h.clock.advance(10);
    assert.equal(h.tracker.isRunning, false);
    assert.equal(h.clock.pending(), 1); // only the fake runner's own SIGKILL timer (a no-op: the process is gone)
    h.clock.advance(5000);
    assert.equal(h.clock.pending(), 0);
    h.tracker.start();
    assert.deepEqual(h.runner.starts, [0, 5110]);
  });
});

/* ------------------------- the real process runner ------------------------ */

describe('VrrpScriptTracker with SpawnProcessRunner (real processes)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-track-script-'));
  const made: VrrpScriptTracker[] = [];
  // Stop every tracker even when an assertion failed, so no timer keeps the test process alive.
  afterEach(() => {
    for (const t of made.splice(0)) t.stop();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function real(argv: string[], opts: Partial<VrrpScriptOptions> = {}) {
    const clock = new SystemClock();
    const spawned: ProcessHandle[] = [];
    const inner = new SpawnProcessRunner(clock);
    const runner: ProcessRunner = {
      spawn: (spec, onExit) => {
        const h = inner.spawn(spec, onExit);
        spawned.push(h);
        return h;
      },
    };
    const tracker = new VrrpScriptTracker({ name: 'real', script: argv, intervalMs: 60_000, ...opts }, { clock, runner });
    made.push(tracker);
    const status = new Promise<ScriptStatusChange>((resolve) => tracker.once('status', resolve));
    return { tracker, spawned, first: () => withDeadline(status, 10_000, 'the first status') };
  }

  async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([p, deadline]);
    } finally {
      clearTimeout(t);
    }
  }

  /**
   * Live (not zombie) processes in a process group, from /proc. A killed
   * orphan stays a zombie until PID 1 reaps it, which in some containers takes
   * seconds, so kill(-pgid, 0) alone would say "still there".
   */
  function liveMembers(pgid: number): number[] {
    const out: number[] = [];
    for (const e of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      } catch {
        continue; // exited meanwhile
      }
      // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') out.push(Number(e));
    }
    return out;
  }

  async function groupGone(pgid: number, deadlineMs: number): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    while (liveMembers(pgid).length > 0) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  it("/bin/sh -c 'sleep 30' with a 200 ms timeout: killed with its process group, status fail", async () => {
    const { tracker, spawned, first } = real(['/bin/sh', '-c', 'sleep 30'], { timeoutMs: 200 });
    const t0 = performance.now();
    tracker.start();
    const startCost = performance.now() - t0;
    assert.ok(startCost < 100, `start() returned after ${startCost} ms`);
    const pid = spawned[0]!.pid;
    assert.ok(pid !== undefined && pid > 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(liveMembers(pid).length >= 1, true, 'the script runs in its own process group');
    // The event loop stays free while the script runs.
    let ticks = 0;
    const iv = setInterval(() => ticks++, 20);
    const s = await first();
    clearInterval(iv);
    const elapsed = performance.now() - t0;
    assert.deepEqual(s, { name: 'real', ok: false, reason: 'timed_out' });
    assert.equal(tracker.status, 'fail');
    assert.ok(elapsed >= 195 && elapsed < 2000, `timed out after ${elapsed} ms`);
    assert.ok(ticks >= 3, `only ${ticks} 20 ms ticks during the run`);
    assert.equal(await groupGone(pid, 2000), true, 'sh and sleep are gone');
  });

  it('exit status 0 / 3, death by a signal, and a missing program', async () => {
    const good = real(['/bin/sh', '-c', 'exit 0']);
    good.tracker.start();
    assert.deepEqual(await good.first(), { name: 'real', ok: true, reason: 'succeeded' });
    good.tracker.stop();

    const three = real(['/bin/sh', '-c', 'exit 3']);
    three.tracker.start();
    assert.deepEqual(await three.first(), { name: 'real', ok: false, reason: 'failed (exited with status 3)' });
    three.tracker.stop();

    const sig = real(['/bin/sh', '-c', 'kill -9 $$']);
    sig.tracker.start();
    assert.deepEqual(await sig.first(), { name: 'real', ok: false, reason: 'failed (due to signal 9)' });
    sig.tracker.stop();

    // keepalived's forked child exits 0 when execve fails ("Script errors aren't server errors"),
    // but would have disabled a missing script at load time; we count it as a failure.
    const missing = real([path.join(dir, 'no-such-script')]);
    missing.tracker.start();
    const m = await missing.first();
    assert.equal(m.ok, false);
    assert.match(m.reason, /^failed \(.*ENOENT/);
    missing.tracker.stop();
  });

  it('stop() kills a real running script without a verdict', async () => {
    const { tracker, spawned } = real(['/bin/sh', '-c', 'sleep 30'], { timeoutMs: 20_000 });
    let statuses = 0;
    tracker.on('status', () => statuses++);
    tracker.start();
    const pid = spawned[0]!.pid!;
    await new Promise((r) => setTimeout(r, 50));
    tracker.stop();
    assert.equal(await groupGone(pid, 3000), true, 'sh and sleep are gone');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(statuses, 0);
    assert.equal(tracker.status, 'unknown');
  });
});
