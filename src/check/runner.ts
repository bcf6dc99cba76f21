/**
 * The checker runner: keepalived's shared retry policy around small per-type
 * probes. Pure: no sockets, no timers of its own. It is given a Clock, a probe
 * port and the resolved checkers, and reports real server transitions.
 *
 * Semantics (keepalived 2.2.7, check_tcp.c tcp_epilog(), check_dns.c
 * dns_final(), check_misc.c misc_check_child_thread(), ipwrapper.c
 * update_svr_checker_state()):
 *  - every checker first runs BOOTSTRAP_DELAY (1 s) + random(0..warmup) after
 *    start; warmup defaults to the checker's delay_loop;
 *  - a success resets the retry count; the checker (if down, or never run)
 *    goes up; the next run is delay_loop later;
 *  - a failure while the checker is up (or has never run) is retried `retry`
 *    times, delay_before_retry apart, before the checker goes down; but the
 *    very first run has no retries ("For non alpha mode, one failure is enough
 *    initially", check_data.c), so a server that is dead at start is removed
 *    at once;
 *  - `alpha`: the checker starts down (the real server is not in the pool
 *    until it passes); its first failure still runs notify_down;
 *  - a real server is alive only when all of its checkers are up
 *    (num_failed_checkers == 0);
 *  - MISC_CHECK misc_dynamic: an exit status 2..255 is a success that sets the
 *    checker's weight contribution to (status - 2 - configured weight), so with
 *    one checker the weight becomes status - 2; FILE_CHECK adds value x weight.
 * Timing: the next run is armed when a run completes (keepalived does this for
 * all checkers but MISC_CHECK, which counts from the start of the run).
 * At most one probe is in flight per checker; a probe still running at
 * timeoutMs + graceMs is aborted and counts as a failure.
 */
import type { Clock, TimerHandle } from '../core/clock';
import { KtsError } from '../core/errors';
import { Logger, nullLogger } from '../core/log';
import {
  BOOTSTRAP_DELAY_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DELAY_LOOP_MS,
  ProbePort,
  ProbeResult,
  ProbeSpec,
  TimingOptions,
  typeDefaults,
} from './types';

/** A checker with every timing value resolved (see resolveChecker()). */
export interface CheckerConfig {
  /** Unique id, e.g. `192.0.2.10:80/198.51.100.2:80/TCP_CHECK#0`. */
  id: string;
  /** Virtual server key (the model's VirtualServerConfig.key). */
  vs: string;
  /** Real server key (the model's RealServerConfig.key). */
  rs: string;
  spec: ProbeSpec;
  delayLoopMs: number;
  warmupMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  /** connect_timeout, or misc_timeout for MISC_CHECK. */
  timeoutMs: number;
  alpha: boolean;
  /** The real server's configured weight (iweight), needed by misc_dynamic. */
  rsWeight: number;
}

export interface CheckerInput {
  id: string;
  vs: string;
  rs: string;
  spec: ProbeSpec;
  rsWeight?: number;
  /** MISC_CHECK `misc_timeout` (default: the virtual server's delay_loop). */
  miscTimeoutMs?: number;
  checker?: TimingOptions;
  realServer?: TimingOptions;
  virtualServer?: TimingOptions;
}

/**
 * Resolve a checker's timing the way keepalived does (check_data.c
 * validate_check_config()): virtual server values are the defaults for the
 * real server, real server values the defaults for the checker, then per-type
 * defaults (types.ts typeDefaults()).
 */
export function resolveChecker(input: CheckerInput): CheckerConfig {
  const vs = input.virtualServer ?? {};
  const rs = input.realServer ?? {};
  const ck = input.checker ?? {};
  const type = input.spec.type;
  const td = typeDefaults(type);
  const vsDelayLoop = vs.delayLoopMs ?? DEFAULT_DELAY_LOOP_MS;
  const rsDelayLoop = rs.delayLoopMs ?? vsDelayLoop;
  const delayLoopMs = ck.delayLoopMs ?? rsDelayLoop;
  const rsWarmup = rs.warmupMs ?? vs.warmupMs;
  const warmupMs = ck.warmupMs ?? rsWarmup ?? delayLoopMs;
  const rsRetry = rs.retry ?? vs.retry;
  const retry = ck.retry ?? rsRetry ?? td.retry;
  const rsDbr = rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs;
  const delayBeforeRetryMs = ck.delayBeforeRetryMs ?? rsDbr ?? td.delayBeforeRetryMs ?? delayLoopMs;
  const connectTimeoutMs = ck.connectTimeoutMs ?? rs.connectTimeoutMs ?? vs.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const timeoutMs = type === 'MISC_CHECK' ? input.miscTimeoutMs || vsDelayLoop : connectTimeoutMs;
  // FILE_CHECK: "Clear Alpha mode - we know the state of the checker immediately" (check_file.c).
  const alpha = type === 'FILE_CHECK' ? false : ck.alpha ?? rs.alpha ?? vs.alpha ?? false;
  const cfg: CheckerConfig = {
    id: input.id,
    vs: input.vs,
    rs: input.rs,
    spec: input.spec,
    delayLoopMs,
    warmupMs,
    retry,
    delayBeforeRetryMs,
    timeoutMs,
    alpha,
    rsWeight: input.rsWeight ?? 1,
  };
  validateChecker(cfg);
  return cfg;
}

function validateChecker(c: CheckerConfig): void {
  const ints: Array<[string, number, number]> = [
    ['delayLoopMs', c.delayLoopMs, 1],
    ['warmupMs', c.warmupMs, 0],
    ['retry', c.retry, 0],
    ['delayBeforeRetryMs', c.delayBeforeRetryMs, 0],
    ['timeoutMs', c.timeoutMs, 1],
  ];
  for (const [name, v, min] of ints) {
    if (!Number.isInteger(v) || v < min) {
      throw new KtsError('CHECK_BAD_OPTION', `checker ${c.id}: ${name} must be an integer >= ${min}, got ${v}`);
    }
  }
}

/** A real server's aggregate state changed (or, `initial`, an alpha checker's first failure). */
export interface RsTransitionEvent {
  kind: 'rs';
  vs: string;
  rs: string;
  up: boolean;
  reason: string;
  checker: string;
  /** keepalived runs notify_down for an alpha checker's first failure though nothing changes. */
  initial?: boolean;
}

/** The sum of dynamic weight contributions (misc_dynamic, FILE_CHECK) of a real server changed. */
export interface RsWeightEvent {
  kind: 'weight';
  vs: string;
  rs: string;
  /** Added to the configured weight: effective weight = weight + weightDelta. */
  weightDelta: number;
  checker: string;
}

export type CheckEvent = RsTransitionEvent | RsWeightEvent;

/**
 * A checker's retry-policy state, carried across a reload: keepalived's
 * migrate_checkers() copies is_up, has_run and retry_it of the matching old
 * checker into the new one (ipwrapper.c), and cur_weight stays with the real
 * server's effective weight.
 */
export interface CheckerSnapshot {
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  weightDelta: number;
}

export interface CheckerStatus {
  id: string;
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  inFlight: boolean;
  weightDelta: number;
  runs: number;
  lastDetail: string;
}

interface CheckerState {
  cfg: CheckerConfig;
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  curWeight: number;
  timer?: TimerHandle;
  inflight?: { ac: AbortController; deadline: TimerHandle; gen: number };
  gen: number;
  runs: number;
  lastDetail: string;
}

interface RsState {
  vs: string;
  rs: string;
  numFailed: number;
  alive: boolean;
}

export interface CheckRunnerOptions {
  clock: Clock;
  probe: ProbePort;
  checkers: CheckerConfig[];
  onEvent: (e: CheckEvent) => void;
  /** Uniform [0,1) source for warmup scattering (default Math.random). */
  random?: () => number;
  /**
   * Extra time past timeoutMs before the runner cuts a probe that has not
   * answered (probes enforce timeoutMs themselves; UDP_CHECK needs to reach it
   * to report success). Default 250 ms.
   */
  graceMs?: number;
  logger?: Logger;
  /** State to start a checker in instead of the initial one (reload); see CheckerSnapshot. */
  restore?: (id: string) => CheckerSnapshot | undefined;
}

const rsKey = (vs: string, rs: string): string => `${vs}\u0000${rs}`;

export class CheckRunner {
  private readonly clock: Clock;
  private readonly probe: ProbePort;
  private readonly onEvent: (e: CheckEvent) => void;
  private readonly random: () => number;
  private readonly graceMs: number;
  private readonly log: Logger;
  private readonly checkers = new Map<string, CheckerState>();
  private readonly servers = new Map<string, RsState>();
  private running = false;

  constructor(opts: CheckRunnerOptions) {
    this.clock = opts.clock;
    this.probe = opts.probe;
    this.onEvent = opts.onEvent;
    this.random = opts.random ?? Math.random;
    this.graceMs = opts.graceMs ?? 250;
    this.log = opts.logger ?? nullLogger;
    for (const cfg of opts.checkers) {
      validateChecker(cfg);
      if (this.checkers.has(cfg.id)) throw new KtsError('CHECK_DUPLICATE_ID', `duplicate checker id ${cfg.id}`);
      const snap = opts.restore?.(cfg.id);
      const st: CheckerState = {
        cfg,
        isUp: snap ? snap.isUp : !cfg.alpha,
        hasRun: snap?.hasRun ?? false,
        // check_data.c: "For non alpha mode, one failure is enough initially".
        retryIt: snap ? Math.min(snap.retryIt, cfg.retry) : cfg.retry,
        curWeight: snap?.weightDelta ?? 0,
        gen: 0,
        runs: 0,
        lastDetail: '',
      };
      this.checkers.set(cfg.id, st);
      const k = rsKey(cfg.vs, cfg.rs);
      let r = this.servers.get(k);
      if (!r) {
        r = { vs: cfg.vs, rs: cfg.rs, numFailed: 0, alive: true };
        this.servers.set(k, r);
      }
      if (!st.isUp) {
        r.numFailed++;
        r.alive = false;
      }
    }
  }

  /** Arm every checker's first run: BOOTSTRAP_DELAY + random(0..warmup). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const st of this.checkers.values()) {
      const warm = st.cfg.warmupMs ? Math.floor(st.cfg.warmupMs * this.random()) : 0;
      this.arm(st, BOOTSTRAP_DELAY_MS + warm);
    }
  }

  /** Cancel all timers and abort probes in flight. Idempotent. */
  stop(): void {
    this.running = false;
    for (const st of this.checkers.values()) {
      st.timer?.cancel();
      st.timer = undefined;
      if (st.inflight) {
        st.inflight.deadline.cancel();
        st.inflight.ac.abort(new KtsError('CHECK_STOPPED', 'checker stopped'));
        st.inflight = undefined;
      }
      st.gen++;
    }
  }

  /** Is the real server alive (all its checkers up)? Unknown servers: undefined. */
  rsAlive(vs: string, rs: string): boolean | undefined {
    return this.servers.get(rsKey(vs, rs))?.alive;
  }

  /** Sum of dynamic weight contributions for a real server. */
  rsWeightDelta(vs: string, rs: string): number {
    let sum = 0;
    for (const st of this.checkers.values()) if (st.cfg.vs === vs && st.cfg.rs === rs) sum += st.curWeight;
    return sum;
  }

  /** The state a reload carries over (see CheckerSnapshot). */
  snapshot(id: string): CheckerSnapshot | undefined {
    const st = this.checkers.get(id);
    return st && { isUp: st.isUp, hasRun: st.hasRun, retryIt: st.retryIt, weightDelta: st.curWeight };
  }

  status(id: string): CheckerStatus | undefined {
    const st = this.checkers.get(id);
    if (!st) return undefined;
    return {
      id,
      isUp: st.isUp,
      hasRun: st.hasRun,
      retryIt: st.retryIt,
      inFlight: st.inflight !== undefined,
      weightDelta: st.curWeight,
      runs: st.runs,
      lastDetail: st.lastDetail,
    };
  }

  private arm(st: CheckerState, ms: number): void {
    st.timer?.cancel();
    st.timer = this.clock.setTimer(ms, () => {
      st.timer = undefined;
      this.launch(st);
    });
  }

  private launch(st: CheckerState): void {
    if (!this.running || st.inflight) return;
    const gen = ++st.gen;
    st.runs++;
    const ac = new AbortController();
    const deadline = this.clock.setTimer(st.cfg.timeoutMs + this.graceMs, () => {
      if (st.gen !== gen || !st.inflight) return;
      st.inflight = undefined;
      ac.abort(new KtsError('CHECK_TIMEOUT', `probe timed out after ${st.cfg.timeoutMs} ms`));
      this.complete(st, { ok: false, detail: `timeout after ${st.cfg.timeoutMs} ms` });
    });
    st.inflight = { ac, deadline, gen };
    let out: ProbeResult | Promise<ProbeResult>;
    try {
      out = this.probe(st.cfg.spec, { signal: ac.signal, timeoutMs: st.cfg.timeoutMs });
    } catch (err) {
      out = { ok: false, detail: `probe error: ${(err as Error).message}` };
    }
    const finish = (res: ProbeResult): void => {
      if (st.gen !== gen || !st.inflight) return; // cut by timeout or stopped
      st.inflight.deadline.cancel();
      st.inflight = undefined;
      this.complete(st, res);
    };
    if (isPromise(out)) {
      out.then(finish, (err: unknown) => finish({ ok: false, detail: `probe error: ${(err as Error)?.message ?? String(err)}` }));
    } else {
      finish(out);
    }
  }

  /** The shared retry policy (tcp_epilog / dns_final / misc_check_child_thread). */
  private complete(st: CheckerState, res: ProbeResult): void {
    if (!this.running) return;
    const c = st.cfg;
    st.lastDetail = res.detail;
    let next = c.delayLoopMs;
    if (res.ok) {
      this.setWeight(st, res);
      st.retryIt = 0;
      if (!st.isUp || !st.hasRun) this.updateState(st, true, res.detail);
    } else if (st.isUp || !st.hasRun) {
      if (st.retryIt < c.retry) {
        st.retryIt++;
        next = c.delayBeforeRetryMs;
        this.log.debug(`${c.spec.type} on service ${c.rs} failed, retry ${st.retryIt}/${c.retry}: ${res.detail}`);
      } else {
        const retried = st.hasRun && c.retry > 0;
        st.retryIt = 0;
        this.log.info(`${c.spec.type} on service ${c.rs} failed${retried ? ` after ${c.retry} retries` : ''}: ${res.detail}`);
        this.updateState(st, false, res.detail);
        if (st.curWeight !== 0) {
          st.curWeight = 0;
          this.emitWeight(st);
        }
      }
    }
    st.hasRun = true;
    if (this.running) this.arm(st, next);
  }

  private setWeight(st: CheckerState, res: ProbeResult): void {
    let w: number;
    if (res.weight !== undefined) w = res.weight - st.cfg.rsWeight;
    else if (res.weightDelta !== undefined) w = res.weightDelta;
    else w = 0;
    if (w === st.curWeight) return;
    st.curWeight = w;
    this.emitWeight(st);
  }

  private emitWeight(st: CheckerState): void {
    const c = st.cfg;
    this.onEvent({ kind: 'weight', vs: c.vs, rs: c.rs, weightDelta: this.rsWeightDelta(c.vs, c.rs), checker: c.id });
  }

  /** ipwrapper.c update_svr_checker_state(). */
  private updateState(st: CheckerState, alive: boolean, reason: string): void {
    const c = st.cfg;
    const r = this.servers.get(rsKey(c.vs, c.rs))!;
    if (st.isUp === alive) {
      if (!st.hasRun && (c.alpha || !alive)) {
        this.onEvent({ kind: 'rs', vs: c.vs, rs: c.rs, up: alive, reason, checker: c.id, initial: true });
      }
      st.hasRun = true;
      return;
    }
    st.hasRun = true;
    if (alive) {
      if (r.numFailed <= 1 && !r.alive) {
        r.alive = true;
        this.onEvent({ kind: 'rs', vs: c.vs, rs: c.rs, up: true, reason, checker: c.id });
      }
      st.isUp = true;
      if (r.numFailed > 0) r.numFailed--;
    } else {
      if (r.numFailed === 0 && r.alive) {
        r.alive = false;
        this.onEvent({ kind: 'rs', vs: c.vs, rs: c.rs, up: false, reason, checker: c.id });
      }
      st.isUp = false;
      r.numFailed++;
    }
  }
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown })?.then === 'function';
}
