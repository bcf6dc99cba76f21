/**
 * The daemon: the composition root that turns a validated configuration into
 * running VRRP instances, sync groups and trackers, wired to real (or fake)
 * adapters, and keeps them in line with the configuration across reloads.
 *
 * Nothing in here does I/O itself: adapters come in through DaemonDeps, so
 * the same class runs in the Linux daemon and in tests on the in-memory LAN.
 */
import type { KeepalivedConfig, VrrpInstanceConfig, SyncGroupConfig } from '../../config/model';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { AddressManager, Announcer, Family, Firewall, LinkWatcher, RouteManager, VrrpTransport } from '../../net/ports';
import type { NotifyScripts, VrrpTransition, VrrpState as NotifyState } from '../../notify';
import { VrrpInstance, type TransitionEvent } from '../../vrrp/instance';
import { SyncGroup, type GroupTransitionEvent } from '../../vrrp/sync-group';
import { planReload, sameConfig } from '../reload';
import { instanceSettingsFrom, transportKeyFor } from './settings';
import type { DaemonStatusView, InstanceStatusView } from '../status';
import { brokenView, instanceView } from './status-views';
import { bindInstanceTrackers } from './instance-trackers';
import { TrackerHub, type TrackerFactories } from '../trackers';
import { TransportPool, type PoolKey } from './transport-pool';
import { reportCandidacy, silentTransport, type Candidacy } from './election-instance';
import { RouteAnnounce } from './route-announce';
import type { AnnounceDevices } from '../../announce/devices';
import type { QuorumFaults } from '../protocol';

export interface NetAdapters {
  openTransport(key: PoolKey, sourceAddress: string): VrrpTransport;
  addresses: AddressManager;
  announcer: Announcer;
  /** For `no_accept` (strict mode): drop rules while MASTER. */
  firewall?: Firewall;
  /** For virtual_routes / virtual_rules. */
  routes?: RouteManager;
  /** For route_announce: the devices announced VIPs go on. */
  announceDevices?: AnnounceDevices;
  links: LinkWatcher & {
    primaryAddress(ifname: string, family: Family): string | undefined;
    /** New addresses (optional): an instance waiting for its interface's address retries. */
    onAddressAdded?(cb: (ifname: string, address: string, family: Family) => void): void;
  };
}

/** What the daemon needs of the Notifier. */
export interface NotifierPort {
  vrrpTransition(t: VrrpTransition): Promise<void>;
  vrrpEvent(e: { name: string; event: 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY'; priority: number; script?: NotifyScripts['master'] }): Promise<void>;
}

export interface DaemonDeps {
  clock: Clock;
  logger: Logger;
  net: NetAdapters;
  notifier: NotifierPort;
  trackers: TrackerFactories;
  /** Notify script specs for an instance or group (resolves users); default: none. */
  scriptsFor?: (owner: VrrpInstanceConfig | SyncGroupConfig) => NotifyScripts;
  /** Wall-clock ms for status (default Date.now). */
  wallNow?: () => number;
  /** Elected instances (etcd_election) report their candidacy here. */
  election?: { report(instance: string, c: Candidacy): void };
}

interface Running {
  cfg: VrrpInstanceConfig;
  inst: VrrpInstance;
  started: boolean;
  unsub: (() => void)[];
  /** Tracker subscriptions, replaced on reload. */
  trackerUnsub: (() => void)[];
  /** Push current tracker states into the instance; true while a weight-0 script has no result yet. */
  applyTrackers: () => boolean;
  /** Being removed by a reload (its STOP is reported as DELETED). */
  deleted?: boolean;
}

interface RunningGroup {
  cfg: SyncGroupConfig;
  group: SyncGroup;
  unsub: () => void;
}

const NOTIFY_STATES: Partial<Record<string, NotifyState>> = { MASTER: 'MASTER', BACKUP: 'BACKUP', FAULT: 'FAULT', STOP: 'STOP' };

export class Daemon {
  private config: KeepalivedConfig;
  private readonly pool: TransportPool;
  private readonly running = new Map<string, Running>();
  private readonly groups = new Map<string, RunningGroup>();
  private readonly hub: TrackerHub;
  private readonly log: Logger;
  private readonly startedAt: number;
  /** Wall clock minus the monotonic clock at start: one fixed mapping, so a time reads the same in every status. */
  private readonly wallOffset: number;
  private stopping: Promise<void> | undefined;
  private startDelayUntil = 0;
  /** Instances whose interface or source address was missing at start. */
  private readonly broken = new Map<string, string>();
  /** route_announce: ports, anycast announcements, devices, tracked quorum. */
  private readonly announce: RouteAnnounce;

  constructor(config: KeepalivedConfig, private readonly deps: DaemonDeps) {
    this.config = config;
    this.log = deps.logger;
    this.pool = new TransportPool((key) => deps.net.openTransport(key, key.src));
    this.hub = new TrackerHub(deps.trackers, deps.logger);
    this.announce = new RouteAnnounce(deps.net.announceDevices, deps.net.addresses, deps.net.announcer, deps.logger);
    this.startedAt = (deps.wallNow ?? Date.now)();
    this.wallOffset = this.startedAt - deps.clock.now();
    const links = deps.net.links;
    links.onLink((s) => {
      this.retryBroken(s.ifname);
      this.onLink(s.ifname, s.up);
    });
    links.onAddressAdded?.((ifname) => this.retryBroken(ifname));
    links.onAddressRemoved((ifname, address) => {
      // An elected instance's VIPs may end by their kernel lifetime: the next grant puts them back, not this.
      for (const r of this.running.values()) if (vipIfnames(r.cfg).has(ifname) && !r.cfg.election) r.inst.addressRemoved(address);
    });
  }

  /**
   * Start everything the configuration describes. `delayMs`
   * (vrrp_startup_delay): instances come up in BACKUP at once but claim
   * MASTER no earlier than that (keepalived delays its dispatcher).
   */
  start(delayMs = 0): void {
    this.startDelayUntil = this.deps.clock.now() + delayMs;
    this.hub.sync(this.config.vrrpScripts, this.config.trackFiles, this.config.trackProcesses);
    for (const cfg of this.config.instances) this.add(cfg);
    this.syncGroups();
    for (const r of this.running.values()) this.maybeStart(r);
  }

  /**
   * Apply a new configuration (SIGHUP). Unchanged instances keep their state,
   * VIPs and timers; changes to priority, VIPs, trackers and notify settings
   * are applied in place; other changed instances are rebuilt; removed
   * instances release their VIPs.
   */
  async reload(next: KeepalivedConfig): Promise<{ unchanged: number; changed: number; added: number; removed: number }> {
    const plan = planReload(this.config.instances, next.instances, (c) => c.name);
    this.config = next;
    this.hub.sync(next.vrrpScripts, next.trackFiles, next.trackProcesses);
    for (const cfg of plan.removed) {
      this.broken.delete(cfg.name);
      await this.remove(cfg.name, 'deleted');
    }
    for (const [before, after] of plan.changed) {
      const r = this.running.get(after.name);
      if (r && sameConfig(inPlaceParts(before), inPlaceParts(after))) {
        // Priority, addresses, trackers and notifications change without a state change.
        r.cfg = after;
        if (before.priority !== after.priority) {
          r.inst.setPriority(after.priority);
          this.log.info(`(${after.name}) priority changed to ${after.priority} on reload`);
        }
        const s = instanceSettingsFrom(after);
        r.inst.updateAddresses(s.vips, s.excludedVips);
        await this.announce.updateVips(after);
        continue;
      }
      await this.remove(before.name, 'rebuilt');
      this.add(after);
    }
    for (const cfg of plan.unchanged) {
      const r = this.running.get(cfg.name);
      if (r) r.cfg = cfg;
    }
    for (const cfg of plan.added) this.add(cfg);
    this.syncGroups();
    for (const r of this.running.values()) {
      this.bindTrackers(r);
      this.maybeStart(r);
    }
    return { unchanged: plan.unchanged.length, changed: plan.changed.length, added: plan.added.length, removed: plan.removed.length };
  }

  /** Stop: every MASTER sends priority 0 and releases its VIPs. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.hub.stop();
        const groups = [...this.groups.values()];
        for (const g of groups) {
          g.unsub();
          g.group.close();
        }
        this.groups.clear();
        await Promise.all([...this.running.keys()].map((n) => this.remove(n, 'shutdown')));
        // keepalived notify_shutdown(): every instance, then every sync group, reports STOP.
        for (const g of groups) this.notifyGroup(g.cfg, 'STOP');
      })();
    }
    return this.stopping;
  }

  /** keepalived's STATS_CLEAR: every instance's counters back to zero. */
  clearStats(): void {
    for (const r of this.running.values()) r.inst.clearCounters();
  }

  instance(name: string): VrrpInstance | undefined {
    return this.running.get(name)?.inst;
  }

  /** (etcd_election) The main process grants `name` mastership until clock time `until`. */
  grant(name: string, until: number): void {
    const r = this.running.get(name);
    if (r?.cfg.election) r.inst.grant(until);
  }

  /** (etcd_election) The main process withdraws the grant; resolves once the VIPs are off. */
  async resign(name: string): Promise<void> {
    const r = this.running.get(name);
    if (r?.cfg.election) await r.inst.resign();
  }

  /** (route_announce) The tracked virtual servers without quorum, per instance, from the main process. */
  quorum(faults: QuorumFaults): void {
    this.announce.setQuorum(faults);
  }

  /** Adverts received for a VRID no instance here runs (the socket pool's count; no instance sees them). */
  get unknownVridRcvd(): number {
    return this.pool.unknownVrid;
  }

  status(): DaemonStatusView {
    const clockToWall = (t: number | null) => (t === null ? this.startedAt : t + this.wallOffset);
    const instances: InstanceStatusView[] = [];
    for (const r of this.running.values()) instances.push(instanceView(r.cfg, r.inst.status(), clockToWall));
    for (const [name, why] of this.broken) {
      const cfg = this.config.instances.find((c) => c.name === name);
      if (cfg) instances.push(brokenView(cfg, why, this.startedAt));
    }
    return {
      routerId: this.config.global.routerId,
      pid: process.pid,
      startedAtMs: this.startedAt,
      instances,
      syncGroups: [...this.groups.values()].map((g) => ({ name: g.cfg.name, state: g.group.state === 'INIT' ? 'INIT' : g.group.state, members: g.cfg.group })),
    };
  }

  private sourceFor(ifname: string, family: Family): string {
    const src = this.deps.net.links.primaryAddress(ifname, family);
    if (src === undefined) throw new Error(`interface ${ifname} has no ${family === 4 ? 'IPv4' : 'IPv6 link-local'} address`);
    return src;
  }

  private add(cfg: VrrpInstanceConfig): void {
    const settings = instanceSettingsFrom(cfg);
    let transport: VrrpTransport;
    let ports: ReturnType<RouteAnnounce['ports']> | undefined;
    try {
      ports = this.announce.ports(cfg);
      if (cfg.election || ports.silent) {
        // Elected through etcd: no adverts, so no socket and no need of an address of its own.
        const src = settings.sourceAddress ?? this.deps.net.links.primaryAddress(cfg.interface, cfg.family) ?? (cfg.family === 4 ? '0.0.0.0' : '::');
        transport = silentTransport(cfg.interface, cfg.family, src);
      } else {
        const src = settings.sourceAddress ?? this.sourceFor(cfg.interface, cfg.family);
        settings.sourceAddress = src;
        transport = this.pool.acquire(transportKeyFor(cfg, src), cfg.virtualRouterId);
      }
    } catch (e) {
      if (ports) this.announce.abandon(cfg);
      const why = (e as Error).message;
      this.broken.set(cfg.name, why);
      this.log.error(`(${cfg.name}) cannot run: ${why} - instance stays in FAULT`);
      return;
    }
    this.broken.delete(cfg.name);
    const inst = new VrrpInstance({
      settings,
      clock: this.deps.clock,
      transport,
      addresses: ports.addresses,
      announcer: ports.announcer,
      firewall: this.deps.net.firewall,
      routes: this.deps.net.routes,
      logger: this.log,
    });
    const r: Running = { cfg, inst, started: false, unsub: [], trackerUnsub: [], applyTrackers: () => false };
    r.unsub.push(inst.onTransition((e) => this.onTransition(r, e)));
    r.unsub.push(
      inst.onNotify((e) => {
        if (e.event === 'priority_changed') {
          // notify_priority_changes (keepalived send_instance_priority_notifies): FIFO line only.
          if (r.cfg.notifyPriorityChanges && (inst.state === 'MASTER' || inst.state === 'BACKUP')) {
            void this.deps.notifier.vrrpEvent({ name: cfg.name, event: inst.state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY', priority: e.to });
          }
          return;
        }
        void this.deps.notifier.vrrpEvent({
          name: cfg.name,
          event: 'MASTER_RX_LOWER_PRI',
          // keepalived's FIFO line carries our effective priority, not the advert's (send_event_notify).
          priority: inst.effectivePriority,
          script: this.deps.scriptsFor?.(r.cfg).masterRxLowerPri,
        });
      }),
    );
    if (cfg.election) r.unsub.push(...reportCandidacy(inst, (c) => this.deps.election?.report(cfg.name, c)));
    this.running.set(cfg.name, r);
    this.announce.attach(cfg, inst);
    const link = this.deps.net.links.linkState(cfg.interface);
    if (!cfg.dontTrackPrimary && link && !link.up) inst.fault(true, `interface ${cfg.interface}`);
    this.bindTrackers(r);
  }

  /** (Re)subscribe an instance to its trackers (its own and its sync group's). */
  private bindTrackers(r: Running): void {
    for (const u of r.trackerUnsub.splice(0)) u();
    const group = this.config.syncGroups.find((g) => g.group.includes(r.cfg.name));
    const b = bindInstanceTrackers(r.inst, r.cfg, group, this.hub, this.deps.net.links, () => this.maybeStart(r));
    r.trackerUnsub.push(...b.unsubscribe);
    r.applyTrackers = b.apply;
  }

  /** keepalived holds an instance in INIT until every weight-0 script has a first result. */
  private maybeStart(r: Running): void {
    if (r.started || this.stopping) return;
    if (r.applyTrackers()) return;
    r.started = true;
    r.inst.start(Math.max(0, this.startDelayUntil - this.deps.clock.now()));
  }

  /** `deleted`: removed from the configuration by a reload; `rebuilt`: restarted with a changed configuration. */
  private async remove(name: string, why: 'shutdown' | 'deleted' | 'rebuilt'): Promise<void> {
    const r = this.running.get(name);
    if (!r) return;
    this.running.delete(name);
    r.deleted = why === 'deleted';
    await r.inst.stop();
    await this.announce.detach(name);
    for (const u of [...r.unsub, ...r.trackerUnsub]) u();
    if (why === 'deleted') this.log.info(`(${name}) removed by reload: VIPs released`);
    if (why === 'rebuilt') this.log.info(`(${name}) changed by reload: restarted`);
  }

  /**
   * An instance that could not start (its interface, or the interface's
   * address, was missing: dynamic_interfaces) starts once they appear.
   */
  private retryBroken(ifname: string): void {
    if (this.stopping || this.broken.size === 0) return;
    for (const name of [...this.broken.keys()]) {
      const cfg = this.config.instances.find((c) => c.name === name);
      if (!cfg || cfg.interface !== ifname || this.running.has(name)) continue;
      this.add(cfg);
      const r = this.running.get(name);
      if (!r) continue;
      this.log.info(`(${name}) interface ${ifname} is here: starting`);
      if (this.config.syncGroups.some((g) => g.group.includes(name))) this.syncGroups();
      this.maybeStart(r);
    }
  }

  private onLink(ifname: string, up: boolean): void {
    for (const r of this.running.values()) {
      if (r.cfg.interface === ifname && !r.cfg.dontTrackPrimary) {
        r.inst.fault(!up, `interface ${ifname}`);
        if (up) r.inst.reassertAddresses();
      } else if (up && vipIfnames(r.cfg).has(ifname)) {
        // A link flap removes global IPv6 addresses: a MASTER puts its VIPs back.
        r.inst.reassertAddresses();
      }
      // track_interface: apply() reads every link state afresh.
      r.applyTrackers();
    }
  }

  private syncGroups(): void {
    for (const g of this.groups.values()) {
      g.unsub();
      g.group.close();
    }
    this.groups.clear();
    for (const cfg of this.config.syncGroups) {
      const members = cfg.group.map((n) => this.running.get(n)?.inst).filter((x): x is VrrpInstance => x !== undefined);
      if (members.length === 0) continue;
      const group = new SyncGroup(cfg.name, members, this.log, () => this.deps.clock.now());
      const unsub = group.onTransition((e) => this.onGroupTransition(cfg, e));
      this.groups.set(cfg.name, { cfg, group, unsub });
    }
  }

  private onTransition(r: Running, e: TransitionEvent): void {
    // An instance removed by a reload is reported DELETED (keepalived: FAULT unless notify_deleted).
    const state = r.deleted && e.to === 'STOP' ? 'DELETED' : NOTIFY_STATES[e.to];
    if (!state) return;
    void this.deps.notifier.vrrpTransition({
      kind: 'INSTANCE',
      name: r.cfg.name,
      state,
      priority: e.priority,
      scripts: this.deps.scriptsFor?.(r.cfg),
      notifyDeleted: r.cfg.notify.deleted !== undefined,
      smtpAlert: r.cfg.smtpAlert,
      from: e.from,
      reason: e.reason,
    });
  }

  private onGroupTransition(cfg: SyncGroupConfig, e: GroupTransitionEvent): void {
    const state = NOTIFY_STATES[e.to];
    if (state) this.notifyGroup(cfg, state);
  }

  private notifyGroup(cfg: SyncGroupConfig, state: NotifyState): void {
    void this.deps.notifier.vrrpTransition({
      kind: 'GROUP',
      name: cfg.name,
      state,
      priority: 0,
      scripts: this.deps.scriptsFor?.(cfg),
      smtpAlert: cfg.smtpAlert,
    });
  }
}

/** The configuration without what a reload can change in place. */
function inPlaceParts(c: VrrpInstanceConfig): VrrpInstanceConfig {
  return {
    ...c, priority: 0, virtualIpaddress: [], virtualIpaddressExcluded: [], notify: {}, smtpAlert: false,
    trackScript: [], trackFile: [], trackInterface: [], trackProcess: [],
  };
}

function vipIfnames(c: VrrpInstanceConfig): Set<string> {
  return new Set([c.interface, ...c.virtualIpaddress.map((v) => v.ifname), ...c.virtualIpaddressExcluded.map((v) => v.ifname)]);
}
