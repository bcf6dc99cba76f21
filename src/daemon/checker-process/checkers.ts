/**
 * The checker service: keepalived's healthcheck process (check_daemon.c,
 * ipwrapper.c) in the daemon. It runs every checker of every real server on
 * the CheckRunner's retry policy, keeps each virtual server's state in the
 * LVS model (quorum with hysteresis, sorry server, inhibit_on_failure), keeps
 * a data plane in line with it, and reports every change to the notifier
 * with keepalived 2.2.7's scripts, FIFO lines and mails.
 *
 * One CheckRunner per checker; the real server is alive when none of its
 * checkers is down (ipwrapper.c update_svr_checker_state(): a checker going
 * down takes the server down only if no other checker had failed, a checker
 * coming up brings it up only if it was the last failed one).
 *
 * What is reported, as keepalived:
 *  - a real server going up/down: notify_up / notify_down (argv as
 *    configured), the FIFO line `RS [198.51.100.2]:tcp:80 [192.0.2.100]:tcp:80 DOWN`,
 *    and (smtp_alert, on by default for real servers) a mail
 *    `[router_id] Realserver <rs> of virtual server <vs> - DOWN` whose body
 *    names the checker type (`=> TCP CHECK failed on service <=`);
 *  - an alpha checker's first failure: notify_down and the FIFO line, no mail;
 *  - quorum: quorum_up / quorum_down, `VS [192.0.2.100]:tcp:80 UP`, and (the
 *    virtual server's smtp_alert) `[router_id] Virtualserver <vs> - UP` with
 *    `=> Gained quorum 1+0=1 <= 2 <=`; at start every virtual server whose
 *    live weight reaches quorum + hysteresis reports "Starting with quorum up";
 *  - reload (clear_diff_services): removed real servers that were alive get
 *    notify_down (mail `=> Removing <=`); unchanged checkers keep running
 *    with their state; changed ones start from the old checker's state;
 *  - stop (clear_services): with `omega`, notify_down for every live server
 *    (`=> Shutting down <=`) and quorum_down; without it nothing is
 *    reported; with -I (--dont-release-ipvs) nothing is touched at all.
 *
 * The VRRP side never waits on this: probes are asynchronous I/O and
 * scripts, and notifications are queued by the notifier.
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Clock, TimerHandle } from '../../core/clock';
import type { Logger } from '../../core/log';
import { runProbe } from '../../check/probes';
import { CheckRunner, type CheckerSnapshot, type CheckEvent } from '../../check/runner';
import type { ConnTarget, ProbePort, ProbeResult, ProbeRunOptions, ProbeSpec } from '../../check/types';
import { realWeight, VirtualServerTable, type DesiredService, type LvsEvent, type QuorumPrior } from '../../lvs/model';
import type { LvsDataPlane, LvsDestination, LvsService } from '../../net/ports';
import type { Notifier } from '../../notify';
import { planCheckers, type CheckerPlan, type CheckerPlanSet, type PlanOptions, type RealServerPlan, type VirtualServerPlan } from './checker-plan';
import type { IdLookup } from '../notify-wiring';
import { CheckDurations, timedProbe, type CheckDurationsView } from './check-durations';

export const NO_IPVS_MESSAGE = 'IPVS not available: checkers run, notifications are sent, no traffic is balanced';

export interface CheckerServiceDeps {
  clock: Clock;
  logger: Logger;
  notifier: Pick<Notifier, 'realServer' | 'virtualServer'>;
  /** Default: the real probes (runProbe). */
  probe?: ProbePort;
  /** Default: none (this kernel has no IPVS): logged at debug, nothing balanced. */
  dataPlane?: LvsDataPlane;
  /** Resolves `user [group]` of notify and MISC_CHECK scripts. */
  ids?: IdLookup;
  /** The default script user. */
  scriptUser?: { uid: number; gid: number };
  /** Warmup scattering source (default Math.random). */
  random?: () => number;
  /** -I / --dont-release-ipvs: at stop, leave the table and report nothing. */
  dontReleaseIpvs?: boolean;
  /** How long stop() waits for its notify scripts (keepalived: 1 s). */
  stopNotifyMs?: number;
}

/** A data plane that balances nothing (no IPVS here) and says what it would do, at debug level. */
export class NoLvsDataPlane implements LvsDataPlane {
  readonly kind = 'none';
  constructor(private readonly log: Logger) {}
  private say(what: string): Promise<{ changed: boolean }> {
    this.log.debug(`IPVS not available - not done: ${what}`);
    return Promise.resolve({ changed: false });
  }
  addService(s: LvsService): Promise<{ changed: boolean }> {
    return this.say(`add service ${s.name} (${s.scheduler}, ${s.method})`);
  }
  removeService(s: LvsService): Promise<{ changed: boolean }> {
    return this.say(`remove service ${s.name}`);
  }
  addDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    return this.say(`add destination ${d.ip}:${d.port} weight ${d.weight} to ${s.name}`);
  }
  updateDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    return this.say(`set destination ${d.ip}:${d.port} of ${s.name} to weight ${d.weight}`);
  }
  removeDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    return this.say(`remove destination ${d.ip}:${d.port} from ${s.name}`);
  }
}

export interface CheckerStatusView {
  type: string;
  /** Position in the real server block. */
  index: number;
  up: boolean;
  hasRun: boolean;
  runs: number;
  /** Failures counted towards `retry` so far. */
  retries: number;
  inFlight: boolean;
  /** The last probe's verdict, e.g. "connected" / "connect ECONNREFUSED" (null before the first run). */
  lastResult: string | null;
  /** How long the last probe took (absent before the first), and all of them as a histogram (metrics). */
  lastDurationMs?: number;
  durations?: CheckDurationsView;
}

export interface RealServerStatusView {
  name: string;
  address: string;
  port: number;
  alive: boolean;
  /** Effective weight (configured + misc_dynamic / FILE_CHECK delta, clamped as IPVS). */
  weight: number;
  configuredWeight: number;
  inhibitOnFailure: boolean;
  checkers: CheckerStatusView[];
}

export interface VirtualServerStatusView {
  name: string;
  /** Quorum state, as the FIFO says it. */
  state: 'UP' | 'DOWN';
  quorum: { quorum: number; hysteresis: number; up: boolean; liveWeight: number };
  sorryServer?: { name: string; inPool: boolean };
  realServers: RealServerStatusView[];
}

export interface CheckerServiceStatus {
  /** The data plane's kind ("none": nothing is balanced). */
  dataPlane: string;
  running: boolean;
  virtualServers: VirtualServerStatusView[];
}

export interface CheckerReloadResult {
  /** Checkers kept running as they were. */
  kept: number;
  /** Checkers whose settings changed, started from the old checker's state. */
  migrated: number;
  added: number;
  removed: number;
}

interface CheckerRt {
  id: string;
  plan: CheckerPlan;
  runner: CheckRunner;
  started: boolean;
  durations: CheckDurations;
}

interface RealServerRt {
  plan: RealServerPlan;
  vs: VirtualServerRt;
  checkers: CheckerRt[];
  /** keepalived's num_failed_checkers. */
  numFailed: number;
  alive: boolean;
  /** Dynamic weight contributions (misc_dynamic, FILE_CHECK). */
  delta: number;
}

interface VirtualServerRt {
  plan: VirtualServerPlan;
  rs: Map<string, RealServerRt>;
}

/** Why a real server event is reported: which checker type (mail body), or none. */
type Cause = { kind: 'checker'; type: string; detail: string } | { kind: 'initial' } | { kind: 'other' };

/** keepalived's mail bodies per checker type (check_*.c smtp_alert() calls); FILE_CHECK sends none. */
function checkerMailBody(type: string, up: boolean, detail: string): string | undefined {
  switch (type) {
    case 'TCP_CHECK':
      return up ? '=> TCP CHECK succeed on service <=' : '=> TCP CHECK failed on service <=';
    case 'HTTP_GET':
    case 'SSL_GET':
      return up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service : HTTP request failed <=';
    case 'SMTP_CHECK':
      return up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service <=';
    case 'MISC_CHECK':
      return `=> MISC CHECK ${up ? 'succeeded' : /timed out|timeout/.test(detail) ? 'timed out' : 'failed'} on service <=`;
    case 'DNS_CHECK':
      return up ? '=> DNS_CHECK: succeed on service <=' : '=> DNS_CHECK: failed on service <=';
    case 'PING_CHECK':
      return up ? '=> ICMP CHECK succeed on service <=' : '=> ICMP CHECK failed on service <=';
    case 'UDP_CHECK':
      return up ? '=> UDP CHECK succeed on service <=' : '=> UDP CHECK failed on service <=';
    default:
      return undefined;
  }
}

/** keepalived's log line when a checker comes up. */
function successLine(type: string, rs: string, vs: string): string {
  switch (type) {
    case 'TCP_CHECK':
      return `TCP connection to ${rs} success.`;
    case 'PING_CHECK':
      return `ICMP connection to ${rs} success.`;
    case 'UDP_CHECK':
      return `UDP connection to ${rs} success.`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return `Remote Web server ${rs} succeed on service.`;
    case 'SMTP_CHECK':
      return `Remote SMTP server ${rs} succeed on service.`;
    case 'MISC_CHECK':
      return `Misc check for [${rs} VS ${vs}] succeeded.`;
    default:
      return `${type} on service ${rs} succeeded.`;
  }
}

/** SMTP_CHECK with several `host` blocks: each in turn, all must answer (check_smtp.c). */
function withSmtpHosts(base: ProbePort, hosts: WeakMap<ProbeSpec, ConnTarget[]>): ProbePort {
  return (spec: ProbeSpec, opts: ProbeRunOptions) => {
    const extra = hosts.get(spec);
    if (!extra || spec.type !== 'SMTP_CHECK') return base(spec, opts);
    return (async (): Promise<ProbeResult> => {
      let last: ProbeResult = { ok: false, detail: 'no host' };
      for (const target of [spec.target, ...extra]) {
        last = await base({ ...spec, target }, opts);
        if (!last.ok) return { ...last, detail: `${target.connectIp}:${target.connectPort}: ${last.detail}` };
      }
      return last;
    })();
  };
}

export class CheckerService {
  private readonly log: Logger;
  private readonly dataPlane: LvsDataPlane;
  private readonly probe: ProbePort;
  private readonly smtpHosts = new WeakMap<ProbeSpec, ConnTarget[]>();
  private readonly planOptions: PlanOptions;
  private plan: CheckerPlanSet;
  private vss = new Map<string, VirtualServerRt>();
  private readonly byId = new Map<string, { rs: RealServerRt; ck: CheckerRt }>();
  private table: VirtualServerTable;
  private seq = 0;
  private started = false;
  private stopping: Promise<void> | undefined;
  private readonly applied = new Map<string, { svc: LvsService; dests: Map<string, LvsDestination> }>();
  private syncChain: Promise<void> = Promise.resolve();
  private syncQueued = false;

  constructor(config: KeepalivedConfig, private readonly deps: CheckerServiceDeps) {
    this.log = deps.logger;
    this.dataPlane = deps.dataPlane ?? new NoLvsDataPlane(deps.logger);
    this.probe = withSmtpHosts(deps.probe ?? runProbe, this.smtpHosts);
    this.planOptions = { ids: deps.ids, scriptUser: deps.scriptUser };
    this.plan = planCheckers(config, this.planOptions);
    for (const vp of this.plan.virtualServers) this.vss.set(vp.key, this.buildVs(vp, undefined, undefined));
    this.table = this.newTable();
  }

  /** Virtual servers configured (0: the service has nothing to do). */
  get size(): number {
    return this.vss.size;
  }

  /** Arm every checker (first run after BOOTSTRAP_DELAY + warmup) and report the starting states. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    for (const w of this.plan.warnings) this.log.warn(w);
    if (this.vss.size === 0) return;
    if (!this.deps.dataPlane) this.log.warn(NO_IPVS_MESSAGE);
    this.log.info(`Activating healthchecker for ${this.vss.size} virtual server(s), ${this.byId.size} checker(s)`);
    if (this.plan.rsInitNotifies) for (const rs of this.allRs()) if (rs.alive) this.reportRs(rs, true, { kind: 'other' });
    this.handle(this.table.start(), { kind: 'other' });
    this.scheduleSync();
    for (const { ck } of this.byId.values()) this.startChecker(ck);
  }

  /**
   * Apply a new configuration (SIGHUP), keepalived's clear_diff_services():
   * virtual and real servers are matched by name, checkers by type and
   * connection settings; what matches keeps its state.
   */
  reload(next: KeepalivedConfig): CheckerReloadResult {
    const res: CheckerReloadResult = { kept: 0, migrated: 0, added: 0, removed: 0 };
    if (this.stopping) return res;
    const plan = planCheckers(next, this.planOptions);
    const old = this.vss;
    const prior = new Map<string, QuorumPrior>();
    // 1. What is gone: its live servers are reported down ("=> Removing <="), then the quorum.
    for (const [key, vs] of old) {
      const nv = plan.virtualServers.find((v) => v.key === key);
      if (!nv) this.log.info(vs.plan.group ? `Removing Virtual Server Group [${vs.plan.group}]` : `Removing Virtual Server ${key}`);
      const gone = [...vs.rs.values()].filter((r) => !nv?.realServers.some((x) => x.key === r.plan.key));
      for (const rs of gone) {
        if (nv) this.log.info(`service ${rs.plan.key} no longer exist`);
        this.clearRs(rs, 'reload');
        for (const ck of rs.checkers) this.dropChecker(ck);
        res.removed += rs.checkers.length;
        vs.rs.delete(rs.plan.key);
      }
      const { up: quorumUp } = this.updateVsNotifies(vs, false);
      if (nv) prior.set(key, { quorumUp, sorryInPool: !quorumUp && vs.plan.sorry?.key === nv.sorry?.key });
    }
    // 2. The new runtime, state carried over where it matches.
    this.plan = plan;
    for (const w of plan.warnings) this.log.warn(w);
    const fresh = new Map<string, VirtualServerRt>();
    const comeBack: RealServerRt[] = [];
    const newRs: RealServerRt[] = [];
    for (const vp of plan.virtualServers) {
      const vs = this.buildVs(vp, old.get(vp.key), { res, comeBack, newRs });
      fresh.set(vp.key, vs);
    }
    this.vss = fresh;
    this.table = this.newTable();
    // 3. keepalived init_services(): new servers (rs_init_notifies), then quorum from the old state.
    if (this.plan.rsInitNotifies) for (const rs of newRs) if (rs.alive) this.reportRs(rs, true, { kind: 'other' });
    this.handle(this.table.start((k) => prior.get(k)), { kind: 'other' });
    // A kept server with no failed checker left comes up (migrate_checkers() perform_svr_state()).
    for (const rs of comeBack) this.rsChanged(rs, true, { kind: 'other' });
    this.scheduleSync();
    if (this.started) for (const { ck } of this.byId.values()) this.startChecker(ck);
    this.log.info(`Checkers reloaded: ${res.kept} kept, ${res.migrated} migrated, ${res.added} added, ${res.removed} removed`);
    return res;
  }

  /**
   * Stop every checker. Then, unless --dont-release-ipvs, keepalived's
   * clear_services(): every real server is shut down; with `omega` the live
   * ones get notify_down and the virtual server quorum_down. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { ck } of this.byId.values()) ck.runner.stop();
      if (this.deps.dontReleaseIpvs) {
        await this.syncChain;
        return;
      }
      const waits: Promise<void>[] = [];
      for (const vs of this.vss.values()) {
        if (!this.plan.lvsFlushOnStop) for (const rs of vs.rs.values()) waits.push(this.clearRs(rs, 'stop'));
        waits.push(this.updateVsNotifies(vs, true).done);
      }
      this.scheduleSync(true);
      await this.syncChain;
      await this.bounded(Promise.all(waits).then(() => undefined), this.deps.stopNotifyMs ?? 1000);
    })();
    return this.stopping;
  }

  /** Resolves when the data plane has caught up. */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.syncChain) {
      seen = this.syncChain;
      await seen;
    }
  }

  /** For the control socket: per virtual server the quorum, per real server and checker their state. */
  status(): CheckerServiceStatus {
    const virtualServers: VirtualServerStatusView[] = [];
    for (const vs of this.vss.values()) {
      const up = this.table.quorumUp(vs.plan.key) ?? false;
      const view: VirtualServerStatusView = {
        name: vs.plan.key,
        state: up ? 'UP' : 'DOWN',
        quorum: { quorum: vs.plan.quorum, hysteresis: vs.plan.hysteresis, up, liveWeight: this.table.liveWeightSum(vs.plan.key) ?? 0 },
        realServers: [...vs.rs.values()].map((rs) => ({
          name: rs.plan.key,
          address: rs.plan.address,
          port: rs.plan.port,
          alive: rs.alive,
          weight: realWeight(rs.plan.weight + rs.delta),
          configuredWeight: rs.plan.weight,
          inhibitOnFailure: rs.plan.inhibit,
          checkers: rs.checkers.map((ck) => {
            const s = ck.runner.status(ck.id)!;
            return {
              type: ck.plan.type,
              index: ck.plan.index,
              up: s.isUp,
              hasRun: s.hasRun,
              runs: s.runs,
              retries: s.retryIt,
              inFlight: s.inFlight,
              lastResult: s.runs ? s.lastDetail : null,
              lastDurationMs: ck.durations.lastMs,
              durations: ck.durations.view(),
            };
          }),
        })),
      };
      if (vs.plan.sorry) view.sorryServer = { name: vs.plan.sorry.key, inPool: !up };
      virtualServers.push(view);
    }
    return { dataPlane: this.dataPlane.kind, running: this.started && !this.stopping, virtualServers };
  }

  /* ------------------------------- building ------------------------------- */

  private newTable(): VirtualServerTable {
    const table = new VirtualServerTable(
      [...this.vss.values()].map((v) => v.plan.lvs),
      (vs, rs) => this.vss.get(vs)?.rs.get(rs)?.alive,
    );
    // Dynamic weights carried over a reload count before the quorum is set.
    for (const rs of this.allRs()) {
      if (rs.delta !== 0) table.apply({ kind: 'weight', vs: rs.vs.plan.key, rs: rs.plan.key, weightDelta: rs.delta, checker: '' });
    }
    return table;
  }

  private buildVs(
    vp: VirtualServerPlan,
    old: VirtualServerRt | undefined,
    acc: { res: CheckerReloadResult; comeBack: RealServerRt[]; newRs: RealServerRt[] } | undefined,
  ): VirtualServerRt {
    const vs: VirtualServerRt = { plan: vp, rs: new Map() };
    for (const rp of vp.realServers) {
      const prev = old?.rs.get(rp.key);
      const rs: RealServerRt = { plan: rp, vs, checkers: [], numFailed: 0, alive: true, delta: 0 };
      if (!prev) {
        // A new server: its alpha checkers start down (check_new_rs_state()).
        for (const cp of rp.checkers) rs.checkers.push(this.newChecker(rs, cp, undefined));
        if (acc) acc.res.added += rp.checkers.length;
        rs.numFailed = rs.checkers.filter((c) => !c.runner.snapshot(c.id)!.isUp).length;
        rs.alive = rs.numFailed === 0;
        acc?.newRs.push(rs);
      } else {
        this.migrate(prev, rs, acc!.res);
        if (rs.numFailed === 0 && !rs.alive) acc!.comeBack.push(rs);
      }
      rs.delta = rs.checkers.reduce((s, c) => s + c.runner.rsWeightDelta(vp.key, rp.key), 0);
      vs.rs.set(rp.key, rs);
    }
    return vs;
  }

  /** keepalived migrate_checkers(): the new server takes the old one's state, checker by checker. */
  private migrate(prev: RealServerRt, rs: RealServerRt, res: CheckerReloadResult): void {
    rs.alive = prev.alive;
    const unused = [...prev.checkers];
    const pairs: { cp: CheckerPlan; old?: CheckerRt }[] = rs.plan.checkers.map((cp) => {
      const i = unused.findIndex((o) => o.plan.identity === cp.identity);
      return { cp, old: i >= 0 ? unused.splice(i, 1)[0] : undefined };
    });
    for (const o of unused) this.dropChecker(o);
    res.removed += unused.length;
    const snaps = pairs.map(({ cp, old }): CheckerSnapshot | undefined => {
      if (!old) return undefined;
      const s = old.runner.snapshot(old.id)!;
      if (old.plan.timing === cp.timing) return s;
      // "If we have already had sufficient retries for the new retry value, ... just require one more failure".
      const retryIt = s.retryIt && cp.cfg.retry ? Math.min(s.retryIt, cp.cfg.retry - 1) : 0;
      return { ...s, retryIt };
    });
    const failed = snaps.filter((s) => s && s.hasRun && !s.isUp).length;
    const anyRun = snaps.some((s) => s?.hasRun);
    // "If a checker has failed, set new alpha checkers to be down until they have run."
    const pessimistic = failed > 0 || (!prev.alive && !anyRun);
    pairs.forEach(({ cp, old }, i) => {
      if (old && old.plan.timing === cp.timing) {
        // Unchanged: the runner goes on as it was.
        this.adopt(rs, old);
        rs.checkers.push(old);
        res.kept++;
        return;
      }
      const s = snaps[i];
      let snap: CheckerSnapshot;
      if (s && s.hasRun) snap = s;
      else if (pessimistic) snap = { isUp: !cp.cfg.alpha, hasRun: false, retryIt: cp.cfg.retry, weightDelta: s?.weightDelta ?? 0 };
      else snap = { isUp: true, hasRun: false, retryIt: 0, weightDelta: s?.weightDelta ?? 0 };
      rs.checkers.push(this.newChecker(rs, cp, snap));
      if (old) {
        this.dropChecker(old);
        res.migrated++;
      } else res.added++;
    });
    rs.numFailed = rs.checkers.filter((c) => !c.runner.snapshot(c.id)!.isUp).length;
  }

  private newChecker(rs: RealServerRt, cp: CheckerPlan, snap: CheckerSnapshot | undefined): CheckerRt {
    const id = `${cp.cfg.vs} ${cp.cfg.rs} ${cp.type}#${cp.index}.${++this.seq}`;
    const spec = { ...cp.cfg.spec } as ProbeSpec;
    if (cp.extraHosts) this.smtpHosts.set(spec, cp.extraHosts);
    const durations = new CheckDurations();
    const runner = new CheckRunner({
      clock: this.deps.clock,
      probe: timedProbe(this.probe, durations, () => this.deps.clock.now()),
      checkers: [{ ...cp.cfg, id, spec }],
      onEvent: (e) => this.onCheck(id, e),
      random: this.deps.random,
      logger: this.log,
      restore: snap ? () => snap : undefined,
    });
    const ck: CheckerRt = { id, plan: cp, runner, started: false, durations };
    this.byId.set(id, { rs, ck });
    return ck;
  }

  private adopt(rs: RealServerRt, ck: CheckerRt): void {
    this.byId.set(ck.id, { rs, ck });
  }

  private dropChecker(ck: CheckerRt): void {
    ck.runner.stop();
    this.byId.delete(ck.id);
  }

  private startChecker(ck: CheckerRt): void {
    if (ck.started) return;
    ck.started = true;
    ck.runner.start();
  }

  private *allRs(): Iterable<RealServerRt> {
    for (const vs of this.vss.values()) yield* vs.rs.values();
  }

  /* ----------------------------- checker events ---------------------------- */

  /** ipwrapper.c update_svr_checker_state() and the checkers' epilogues. */
  private onCheck(id: string, e: CheckEvent): void {
    const hit = this.byId.get(id);
    if (!hit || this.stopping) return;
    const { rs, ck } = hit;
    const vsKey = rs.vs.plan.key;
    const rsKey = rs.plan.key;
    if (e.kind === 'weight') {
      const delta = rs.checkers.reduce((s, c) => s + c.runner.rsWeightDelta(vsKey, rsKey), 0);
      const before = realWeight(rs.plan.weight + rs.delta);
      rs.delta = delta;
      const after = realWeight(rs.plan.weight + delta);
      if (before !== after) {
        this.log.info(`Changing weight from ${before} to ${after} for ${rs.alive ? '' : 'in'}active service ${rsKey} of VS ${vsKey}`);
      }
      this.handle(this.table.apply({ kind: 'weight', vs: vsKey, rs: rsKey, weightDelta: delta, checker: id }), { kind: 'other' });
      return;
    }
    if (e.initial) {
      // An alpha checker's first failure: notify_down again, nothing changes.
      this.handle(this.table.apply({ ...e, vs: vsKey, rs: rsKey }), { kind: 'initial' });
      return;
    }
    const cause: Cause = { kind: 'checker', type: ck.plan.type, detail: e.reason };
    if (e.up) {
      this.log.info(successLine(ck.plan.type, rsKey, vsKey));
      const last = rs.numFailed <= 1;
      if (rs.numFailed > 0) rs.numFailed--;
      if (last) this.rsChanged(rs, true, cause);
    } else {
      const first = rs.numFailed === 0;
      rs.numFailed++;
      if (first) this.rsChanged(rs, false, cause);
    }
  }

  private rsChanged(rs: RealServerRt, up: boolean, cause: Cause): void {
    this.handle(this.table.apply({ kind: 'rs', vs: rs.vs.plan.key, rs: rs.plan.key, up, reason: '', checker: '' }), cause);
  }

  /** Report what the LVS model says changed, in keepalived's order and words. */
  private handle(events: LvsEvent[], cause: Cause): void {
    for (const e of events) {
      const vs = this.vss.get(e.vs);
      if (!vs) continue;
      if (e.kind === 'rs_up' || e.kind === 'rs_down') {
        const rs = vs.rs.get(e.rs ?? '');
        if (!rs) continue;
        const up = e.kind === 'rs_up';
        rs.alive = up;
        if (cause.kind !== 'initial') {
          // perform_svr_state(): "Removing service X from VS Y", "Disabling service X of VS Y" (inhibit_on_failure).
          const verb = up ? (rs.plan.inhibit ? 'Enabl' : 'Add') : rs.plan.inhibit ? 'Disabl' : 'Remov';
          const prep = rs.plan.inhibit ? 'of' : up ? 'to' : 'from';
          this.log.info(`${verb}ing service ${rs.plan.key} ${prep} VS ${vs.plan.key}`);
        }
        this.reportRs(rs, up, cause);
      } else this.reportQuorum(vs, e);
    }
    if (events.length) this.scheduleSync();
  }

  private reportRs(rs: RealServerRt, up: boolean, cause: Cause, body?: string): Promise<void> {
    const vs = rs.vs.plan.key;
    const mailBody = body ?? (cause.kind === 'checker' ? checkerMailBody(cause.type, up, cause.detail) : undefined);
    const change: Parameters<CheckerServiceDeps['notifier']['realServer']>[0] = { rs: rs.plan.key, vs, up, smtpAlert: rs.plan.smtpAlert && mailBody !== undefined };
    const script = up ? rs.plan.notifyUp : rs.plan.notifyDown;
    if (script) change.script = script;
    if (mailBody !== undefined) change.mailBody = mailBody;
    return this.settle(this.deps.notifier.realServer(change));
  }

  private reportVs(p: VirtualServerPlan, up: boolean, mailBody: string): Promise<void> {
    const change: Parameters<CheckerServiceDeps['notifier']['virtualServer']>[0] = { vs: p.key, up, smtpAlert: p.smtpAlert, mailBody };
    const script = up ? p.quorumUp : p.quorumDown;
    if (script) change.script = script;
    return this.settle(this.deps.notifier.virtualServer(change));
  }

  private settle(p: Promise<void>): Promise<void> {
    return p.catch((err: unknown) => this.log.error(`checker notification failed: ${(err as Error)?.message ?? String(err)}`));
  }

  /** update_quorum_state()'s logs and do_vs_notifies(). */
  private reportQuorum(vs: VirtualServerRt, e: LvsEvent): void {
    const up = e.kind === 'quorum_up';
    const p = vs.plan;
    const sum = e.weightSum ?? 0;
    const thr = e.threshold ?? p.quorum;
    if (up) {
      this.log.info(`Gained quorum ${p.quorum}+${p.hysteresis}=${thr} <= ${sum} for VS ${p.key}`);
      if (p.sorry && !e.init) {
        this.log.info(`${p.sorry.inhibit ? 'Disabling' : 'Removing'} sorry server ${p.sorry.key} from VS ${p.key}`);
        this.log.info(`Adding alive servers to the pool for VS ${p.key}`);
      }
    } else {
      this.log.info(`${e.init ? 'Starting with quorum down' : 'Lost quorum'} ${p.quorum}-${p.hysteresis}=${thr} > ${sum} for VS ${p.key}`);
      if (p.sorry) {
        this.log.info(`${p.sorry.inhibit ? 'Enabling' : 'Adding'} sorry server ${p.sorry.key} to VS ${p.key}`);
        this.log.info(`Removing alive servers from the pool for VS ${p.key}`);
      }
    }
    const text = up ? (e.init ? 'Starting with quorum up' : 'Gained quorum') : e.init ? 'Starting with quorum down' : 'Lost quorum';
    // do_vs_notifies(): "=> %s %u+%u=%ld <= %ld <=" whatever the direction.
    void this.reportVs(p, up, `=> ${text} ${p.quorum}+${p.hysteresis}=${thr} <= ${sum} <=`);
  }

  /**
   * clear_service_rs(): a real server leaves (reload) or the daemon stops.
   * Live servers are reported down, at stop only with `omega`.
   */
  private clearRs(rs: RealServerRt, why: 'reload' | 'stop'): Promise<void> {
    const vs = rs.vs;
    if (why === 'stop') {
      this.log.info(`Shutting down ${rs.plan.inhibit && !rs.alive ? '(inhibited) ' : ''}service ${rs.plan.key} from VS ${vs.plan.key}`);
    } else if (rs.alive || rs.plan.inhibit) {
      this.log.info(`Removing ${rs.plan.inhibit && !rs.alive ? '(inhibited) ' : ''}service ${rs.plan.key} from VS ${vs.plan.key}`);
    }
    if (!rs.alive) return Promise.resolve();
    rs.alive = false;
    if (why === 'stop' && !vs.plan.omega) return Promise.resolve();
    return this.reportRs(rs, false, { kind: 'other' }, why === 'stop' ? '=> Shutting down <=' : '=> Removing <=');
  }

  /**
   * update_vs_notifies(): after real servers left, quorum is lost if the live
   * weight fell below quorum - hysteresis (always, when stopping). Says
   * whether quorum is still up, and when the notification is done.
   */
  private updateVsNotifies(vs: VirtualServerRt, stopping: boolean): { up: boolean; done: Promise<void> } {
    const p = vs.plan;
    const wasUp = this.table.quorumUp(p.key) ?? false;
    const threshold = p.quorum - p.hysteresis;
    let sum = 0;
    for (const rs of vs.rs.values()) if (rs.alive) sum += realWeight(rs.plan.weight + rs.delta);
    if (!stopping && !(wasUp && (sum === 0 || sum < threshold))) return { up: wasUp, done: Promise.resolve() };
    // "Only send non SNMP notifies when stopping if omega set."
    if (stopping && !p.omega) return { up: false, done: Promise.resolve() };
    if (!stopping) this.log.info(`Lost quorum ${p.quorum}-${p.hysteresis}=${threshold} > ${sum} for VS ${p.key}`);
    const done = this.reportVs(p, false, stopping ? '=> Shutting down <=' : `=> Lost quorum ${p.quorum}+${p.hysteresis}=${threshold} <= ${sum} <=`);
    return { up: false, done };
  }

  private bounded(p: Promise<void>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined = this.deps.clock.setTimer(ms, () => {
        timer = undefined;
        resolve();
      });
      void p.then(() => {
        timer?.cancel();
        resolve();
      });
    });
  }

  /* ------------------------------- data plane ------------------------------ */

  /** Bring the data plane in line with the model (coalesced, one change at a time). */
  private scheduleSync(clear = false): void {
    if (this.syncQueued && !clear) return;
    this.syncQueued = true;
    this.syncChain = this.syncChain
      .then(async () => {
        this.syncQueued = false;
        await this.syncOnce(clear ? [] : this.table.desired());
      })
      .catch((err: unknown) => this.log.error(`LVS data plane: ${(err as Error).message}`));
  }

  private async syncOnce(desired: DesiredService[]): Promise<void> {
    const dp = this.dataPlane;
    const want = new Map(desired.map((d) => [d.vs, d]));
    const call = async (what: string, f: () => Promise<unknown>): Promise<void> => {
      try {
        await f();
      } catch (err) {
        this.log.error(`LVS data plane: ${what}: ${(err as Error).message}`);
      }
    };
    for (const [key, a] of [...this.applied]) {
      const d = want.get(key);
      if (d && JSON.stringify(toService(d)) === JSON.stringify(a.svc)) continue;
      await call(`remove service ${a.svc.name}`, () => dp.removeService(a.svc));
      this.applied.delete(key);
    }
    for (const d of want.values()) {
      const svc = toService(d);
      let a = this.applied.get(d.vs);
      if (!a) {
        await call(`add service ${svc.name}`, () => dp.addService(svc));
        a = { svc, dests: new Map() };
        this.applied.set(d.vs, a);
      }
      const dests = new Map(d.dests.map((x) => [`${x.ip}:${x.port}`, { ip: x.ip, port: x.port, weight: x.weight, method: x.method }]));
      for (const [k, old] of [...a.dests]) {
        if (dests.has(k)) continue;
        await call(`remove destination ${k}`, () => dp.removeDestination(svc, old));
        a.dests.delete(k);
      }
      for (const [k, nd] of dests) {
        const old = a.dests.get(k);
        if (!old) await call(`add destination ${k}`, () => dp.addDestination(svc, nd));
        else if (old.weight !== nd.weight || old.method !== nd.method) await call(`update destination ${k}`, () => dp.updateDestination(svc, nd));
        a.dests.set(k, nd);
      }
    }
  }
}

function toService(d: DesiredService): LvsService {
  const s: LvsService = { name: d.vs, addresses: d.services, protocol: d.protocol, scheduler: d.sched, method: d.method };
  if (d.persistenceTimeoutS) s.persistenceTimeoutS = d.persistenceTimeoutS;
  return s;
}
