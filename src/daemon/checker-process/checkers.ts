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
 * This class coordinates; its parts are
 *  - checker-registry.ts: the checkers by id and how one is created;
 *  - migration.ts: the runtime built from the plan, state carried over a reload
 *    (unchanged checkers keep running, changed ones start from the old state);
 *  - notifications.ts: what is reported and logged, in keepalived's words
 *    (also for servers removed by a reload, and at stop: with `omega`,
 *    notify_down for every live server and quorum_down; without it nothing;
 *    with -I / --dont-release-ipvs nothing is touched at all);
 *  - lvs-sync.ts: the data plane kept in line with the model;
 *  - checker-status.ts: the control socket's view.
 *
 * The VRRP side never waits on this: probes are asynchronous I/O and
 * scripts, and notifications are queued by the notifier.
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Clock, TimerHandle } from '../../core/clock';
import type { Logger } from '../../core/log';
import { runProbe } from '../../check/probes';
import type { CheckEvent } from '../../check/runner';
import type { ProbePort } from '../../check/types';
import { realWeight, VirtualServerTable, type LvsEvent, type QuorumPrior } from '../../lvs/model';
import type { LvsDataPlane } from '../../net/ports';
import type { IdLookup } from '../notify-wiring';
import { planCheckers, type CheckerPlanSet, type PlanOptions } from './checker-plan';
import { CheckerRegistry } from './checker-registry';
import { virtualServerViews, type CheckerServiceStatus } from './checker-status';
import { LvsSync, NO_IPVS_MESSAGE, NoLvsDataPlane } from './lvs-sync';
import { buildVirtualServer, type ReloadTally } from './migration';
import { CheckerNotifications, successLine, type CheckerNotifier } from './notifications';
import { allRealServers, checkersWeightDelta, type Cause, type CheckerReloadResult, type RealServerRt, type VirtualServerRt } from './runtime';

export { NO_IPVS_MESSAGE, NoLvsDataPlane } from './lvs-sync';
export type { CheckerServiceStatus, CheckerStatusView, RealServerStatusView, VirtualServerStatusView } from './checker-status';
export type { CheckerReloadResult } from './runtime';

export interface CheckerServiceDeps {
  clock: Clock;
  logger: Logger;
  notifier: CheckerNotifier;
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

export class CheckerService {
  private readonly log: Logger;
  private readonly registry: CheckerRegistry;
  private readonly notify: CheckerNotifications;
  private readonly sync: LvsSync;
  private readonly planOptions: PlanOptions;
  private plan: CheckerPlanSet;
  private vss = new Map<string, VirtualServerRt>();
  private table: VirtualServerTable;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(config: KeepalivedConfig, private readonly deps: CheckerServiceDeps) {
    this.log = deps.logger;
    this.registry = new CheckerRegistry({
      clock: deps.clock,
      probe: deps.probe ?? runProbe,
      logger: deps.logger,
      random: deps.random,
      onEvent: (id, e) => this.onCheck(id, e),
    });
    this.notify = new CheckerNotifications(deps.notifier, deps.logger);
    this.sync = new LvsSync(deps.dataPlane ?? new NoLvsDataPlane(deps.logger), () => this.table.desired(), deps.logger);
    this.planOptions = { ids: deps.ids, scriptUser: deps.scriptUser };
    this.plan = planCheckers(config, this.planOptions);
    for (const vp of this.plan.virtualServers) this.vss.set(vp.key, buildVirtualServer(vp, undefined, undefined, this.registry));
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
    this.log.info(`Activating healthchecker for ${this.vss.size} virtual server(s), ${this.registry.size} checker(s)`);
    if (this.plan.rsInitNotifies) for (const rs of allRealServers(this.vss)) if (rs.alive) void this.notify.realServer(rs, true, { kind: 'other' });
    this.handle(this.table.start(), { kind: 'other' });
    this.sync.schedule();
    for (const ck of this.registry.checkers()) this.registry.start(ck);
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
    // 1. What is gone: its live servers are reported down ("=> Removing <="), then the quorum.
    const prior = this.retire(plan, res);
    // 2. The new runtime, state carried over where it matches.
    this.plan = plan;
    for (const w of plan.warnings) this.log.warn(w);
    const tally: ReloadTally = { res, comeBack: [], newRs: [] };
    const fresh = new Map<string, VirtualServerRt>();
    for (const vp of plan.virtualServers) fresh.set(vp.key, buildVirtualServer(vp, old.get(vp.key), tally, this.registry));
    this.vss = fresh;
    this.table = this.newTable();
    // 3. keepalived init_services(): new servers (rs_init_notifies), then quorum from the old state.
    if (this.plan.rsInitNotifies) for (const rs of tally.newRs) if (rs.alive) void this.notify.realServer(rs, true, { kind: 'other' });
    this.handle(this.table.start((k) => prior.get(k)), { kind: 'other' });
    // A kept server with no failed checker left comes up (migrate_checkers() perform_svr_state()).
    for (const rs of tally.comeBack) this.rsChanged(rs, true, { kind: 'other' });
    this.sync.schedule();
    if (this.started) for (const ck of this.registry.checkers()) this.registry.start(ck);
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
      for (const ck of this.registry.checkers()) ck.runner.stop();
      if (this.deps.dontReleaseIpvs) {
        await this.sync.settled();
        return;
      }
      const waits: Promise<void>[] = [];
      for (const vs of this.vss.values()) {
        if (!this.plan.lvsFlushOnStop) for (const rs of vs.rs.values()) waits.push(this.notify.clearRealServer(rs, 'stop'));
        waits.push(this.notify.quorumAfterRemoval(vs, this.quorumUp(vs), true).done);
      }
      this.sync.schedule(true);
      await this.sync.settled();
      await this.bounded(Promise.all(waits).then(() => undefined), this.deps.stopNotifyMs ?? 1000);
    })();
    return this.stopping;
  }

  /** Resolves when the data plane has caught up. */
  idle(): Promise<void> {
    return this.sync.idle();
  }

  /** For the control socket: per virtual server the quorum, per real server and checker their state. */
  status(): CheckerServiceStatus {
    return { dataPlane: this.sync.dataPlane.kind, running: this.started && !this.stopping, virtualServers: virtualServerViews(this.vss, this.table) };
  }

  /**
   * Reload step 1: real servers and virtual servers the new plan drops are
   * reported gone, their checkers stopped. Returns, per virtual server kept,
   * the quorum state the new table starts from.
   */
  private retire(plan: CheckerPlanSet, res: CheckerReloadResult): Map<string, QuorumPrior> {
    const prior = new Map<string, QuorumPrior>();
    for (const [key, vs] of this.vss) {
      const nv = plan.virtualServers.find((v) => v.key === key);
      if (!nv) this.log.info(vs.plan.group ? `Removing Virtual Server Group [${vs.plan.group}]` : `Removing Virtual Server ${key}`);
      const gone = [...vs.rs.values()].filter((r) => !nv?.realServers.some((x) => x.key === r.plan.key));
      for (const rs of gone) {
        if (nv) this.log.info(`service ${rs.plan.key} no longer exist`);
        void this.notify.clearRealServer(rs, 'reload');
        for (const ck of rs.checkers) this.registry.drop(ck);
        res.removed += rs.checkers.length;
        vs.rs.delete(rs.plan.key);
      }
      const { up: quorumUp } = this.notify.quorumAfterRemoval(vs, this.quorumUp(vs), false);
      if (nv) prior.set(key, { quorumUp, sorryInPool: !quorumUp && vs.plan.sorry?.key === nv.sorry?.key });
    }
    return prior;
  }

  private quorumUp(vs: VirtualServerRt): boolean {
    return this.table.quorumUp(vs.plan.key) ?? false;
  }

  private newTable(): VirtualServerTable {
    const table = new VirtualServerTable(
      [...this.vss.values()].map((v) => v.plan.lvs),
      (vs, rs) => this.vss.get(vs)?.rs.get(rs)?.alive,
    );
    // Dynamic weights carried over a reload count before the quorum is set.
    for (const rs of allRealServers(this.vss)) {
      if (rs.delta !== 0) table.apply({ kind: 'weight', vs: rs.vs.plan.key, rs: rs.plan.key, weightDelta: rs.delta, checker: '' });
    }
    return table;
  }

  /** ipwrapper.c update_svr_checker_state() and the checkers' epilogues. */
  private onCheck(id: string, e: CheckEvent): void {
    const hit = this.registry.get(id);
    if (!hit || this.stopping) return;
    const { rs, ck } = hit;
    const vsKey = rs.vs.plan.key;
    const rsKey = rs.plan.key;
    if (e.kind === 'weight') {
      const delta = checkersWeightDelta(rs);
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
        rs.alive = e.kind === 'rs_up';
        this.notify.realServerChanged(rs, rs.alive, cause);
      } else this.notify.quorum(vs, e);
    }
    if (events.length) this.sync.schedule();
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
}
