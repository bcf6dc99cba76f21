/**
 * A VRRP instance at run time: binds the pure state machine (./fsm) to its
 * ports. It decodes received packets with the codec (one drop counter per
 * reason, rate-limited logs), feeds events to the FSM and executes the
 * effects: adverts on the transport, timers on the clock, VIPs on the address
 * manager, GARP/NA through the announce schedule, transitions to listeners.
 */
import type { Clock, TimerHandle } from '../core/clock';
import { Logger } from '../core/log';
import type { AddressManager, Announcer, Family, FastPathHandle, FastPathState, Firewall, IpRoute, ReceivedPacket, RouteManager, VipSpec, VrrpTransport } from '../net/ports';
import { AnnounceSchedule, DEFAULT_GARP, type GarpSettings } from './announce';
import type { InstanceCheckResult, InstanceExpectation } from './codec/check';
import type {
  Advert,
  AuthType,
  ChecksumVariant,
  DecodeOptions,
  DecodeResult,
  DropReason,
  EncodeOptions,
  VrrpVersion,
} from './codec/types';
import {
  downInterval,
  type Effect,
  type FsmConfig,
  type FsmData,
  type FsmEvent,
  initialData,
  step,
  type StepResult,
  type TimerName,
  type TransitionReason,
  type VrrpState,
} from './fsm';
import { compareAddresses } from './fsm/address';
import { effectivePriority, type TrackerInput } from './priority';

export const VRRP_MCAST_V4 = '224.0.0.18';
export const VRRP_MCAST_V6 = 'ff02::12';

/** Everything one vrrp_instance block configures that the runtime needs. */
export interface InstanceSettings {
  name: string;
  /** virtual_router_id, 1..255. */
  vrid: number;
  version: VrrpVersion;
  family: Family;
  ifname: string;
  /** Base priority 1..255 (255 = address owner). */
  priority: number;
  /** advert_int in ms (v2: whole seconds; v3: multiple of 10 ms). */
  advertIntervalMs: number;
  /** unicast_src_ip; default: the transport's source address. */
  sourceAddress?: string;
  /** unicast_peer list; empty ⇒ multicast. */
  unicastPeers: string[];
  /** check_unicast_src / vrrp_check_unicast_src: drop unicast adverts from outside unicast_peer. */
  checkUnicastSrc?: boolean;
  /** Per peer `min_ttl` / `max_ttl` (checked with checkUnicastSrc, as keepalived). */
  peerTtl?: Record<string, { min: number; max: number }>;
  /** Multicast group (default 224.0.0.18 / ff02::12). */
  mcastGroup?: string;
  /** v2 authentication (type 0 none, 1 PASS; 2 AH is not supported for sending). */
  auth: { type: AuthType; pass?: string };
  /** virtual_ipaddress: carried in adverts, added as MASTER. */
  vips: VipSpec[];
  /** virtual_ipaddress_excluded: added as MASTER, not carried in adverts. */
  excludedVips: VipSpec[];
  /** virtual_routes and virtual_rules: installed as MASTER after the VIPs, removed before them. */
  routes?: IpRoute[];
  nopreempt: boolean;
  preemptDelayMs: number;
  /** accept / no_accept: without accept (and with a firewall port) a MASTER drops traffic to its VIPs. */
  accept: boolean;
  garp: GarpSettings;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  downTimerAdverts: number;
  /** v3 IPv4 checksum to send (v3_checksum_as_v2 ⇒ 'plain'). */
  checksumVariant: ChecksumVariant;
  /** v3 IPv4 checksums accepted on receive (default both). */
  acceptChecksum?: ChecksumVariant[];
  /** strict_mode (validated at config load; kept for status). */
  strict: boolean;
  /** skip_check_adv_addr: never drop adverts whose address list differs from ours (with strict, they are dropped). */
  skipCheckAdvAddr: boolean;
  /** Mastership from an election (grant()/resign()), not from adverts: see src/election. */
  election?: boolean;
}

/** Settings with keepalived's defaults for everything not given. */
export function makeInstanceSettings(
  p: Pick<InstanceSettings, 'name' | 'vrid' | 'ifname'> & Partial<InstanceSettings>,
): InstanceSettings {
  const family = p.family ?? 4;
  return {
    version: family === 6 ? 3 : 2,
    family,
    priority: 100,
    advertIntervalMs: 1000,
    unicastPeers: [],
    auth: { type: 0 },
    vips: [],
    excludedVips: [],
    nopreempt: false,
    preemptDelayMs: 0,
    accept: true,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    downTimerAdverts: 3,
    checksumVariant: 'pseudo',
    strict: false,
    skipCheckAdvAddr: false,
    ...p,
    garp: { ...DEFAULT_GARP, ...p.garp },
  };
}

/** The codec functions the instance uses (src/vrrp/codec/index.ts by default). */
export interface AdvertCodec {
  encodeAdvert(advert: Advert, opts: EncodeOptions): Buffer;
  decodeAdvert(buf: Buffer, opts: DecodeOptions): DecodeResult;
  checkAgainstInstance(advert: Advert, expect: InstanceExpectation): InstanceCheckResult;
}

function defaultCodec(): AdvertCodec {
  // Resolved lazily so the FSM and simulations load without the codec module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./codec') as AdvertCodec;
}

export interface VrrpInstancePorts {
  settings: InstanceSettings;
  clock: Clock;
  transport: VrrpTransport;
  addresses: AddressManager;
  announcer: Announcer;
  /** no_accept: drop rules for the VIPs while MASTER (absent: accept mode only). */
  firewall?: Firewall;
  /** virtual_routes / virtual_rules (absent: not installed). */
  routes?: RouteManager;
  logger?: Logger;
  codec?: AdvertCodec;
}

export interface TransitionEvent {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  priority: number;
  reason: TransitionReason;
  /** Clock time of the transition. */
  at: number;
}

export type InstanceNotifyEvent =
  | { instance: string; event: 'master_rx_lower_pri'; src: string; priority: number; at: number }
  | { instance: string; event: 'priority_changed'; from: number; to: number; at: number };

/** Instance-level drop reasons besides the codec's. */
export type InstanceDropReason = DropReason | 'vrid_mismatch' | 'unicast_src_err';

export const COUNTER_NAMES = [
  'advert_rcvd',
  'advert_sent',
  'become_master',
  'release_master',
  'pri_zero_rcvd',
  'pri_zero_sent',
  'packet_len_err',
  'ip_ttl_err',
  'version_err',
  'invalid_type_rcvd',
  'checksum_err',
  'vrid_err',
  'vrid_mismatch',
  'unicast_src_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'advert_interval_err',
  'addr_list_err',
  'addr_family_err',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export interface InstanceStatus {
  name: string;
  vrid: number;
  version: VrrpVersion;
  family: Family;
  ifname: string;
  state: VrrpState;
  basePriority: number;
  effectivePriority: number;
  masterAddress: string | null;
  masterPriority: number;
  sourceAddress: string;
  advertIntervalMs: number;
  masterAdverIntervalMs: number;
  masterDownIntervalMs: number;
  /** Clock time of the last transition (null before start). */
  lastTransitionAt: number | null;
  /** (election) Clock time the running grant ends (null: none). */
  grantUntil: number | null;
  /** The last transition's previous state and reason (null before start). */
  lastTransition: { from: VrrpState; reason: TransitionReason } | null;
  vipsSet: boolean;
  /** Why the instance is (or would be) in FAULT: fault sources and failing trackers. */
  faults: string[];
  ownFault: boolean;
  groupFault: boolean;
  wantMaster: boolean;
  trackers: { name: string; input: TrackerInput }[];
  counters: Record<CounterName, number>;
}

const DROP_LOG_INTERVAL_MS = 60_000;
/** The kernel removes an expired address up to 1/4 s late (ADDRCONF_TIMER_FUZZ_MAX). */
const KERNEL_LIFETIME_SLACK_MS = 250;

export class VrrpInstance {
  readonly settings: InstanceSettings;
  readonly log: Logger;
  private readonly clock: Clock;
  private readonly transport: VrrpTransport;
  private readonly addresses: AddressManager;
  private readonly firewall: Firewall | undefined;
  private readonly routes: RouteManager | undefined;
  private readonly codec: AdvertCodec;
  private readonly fsmConfig: FsmConfig;
  private data: FsmData;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly schedule: AnnounceSchedule;
  private readonly counters: Record<CounterName, number>;
  private readonly trackers = new Map<string, TrackerInput>();
  private readonly faultSources = new Set<string>();
  private basePriority: number;
  private vipsSet = false;
  private addrChain: Promise<void> = Promise.resolve();
  private queue: FsmEvent[] = [];
  private dispatching = false;
  private lastTransitionAt: number | null = null;
  private lastTransition: { from: VrrpState; reason: TransitionReason } | null = null;
  private stopping: Promise<void> | undefined;
  private transitionCbs: ((e: TransitionEvent) => void)[] = [];
  private notifyCbs: ((e: InstanceNotifyEvent) => void)[] = [];
  private faultCbs: ((on: boolean) => void)[] = [];
  private lastOwnFault = false;
  private syncGate: (() => boolean) | undefined;
  /** BACKUP steady state: identical adverts absorbed by the transport (see enterAbsorb). */
  private absorbing: FastPathHandle | undefined;
  /** MASTER steady state: our advert repeated by the transport (see applyAdvertTimer). */
  private repeating: FastPathHandle | undefined;
  /** The payloads of the last advert sent, per destination. */
  private lastSent: { dst: string; payload: Buffer }[] = [];

  constructor(ports: VrrpInstancePorts) {
    const s = ports.settings;
    this.settings = s;
    this.clock = ports.clock;
    this.transport = ports.transport;
    this.addresses = ports.addresses;
    this.firewall = ports.settings.accept ? undefined : ports.firewall;
    this.routes = ports.routes;
    this.codec = ports.codec ?? defaultCodec();
    this.log = (ports.logger ?? new Logger(() => {}, {}, 'error')).child({ instance: s.name, vrid: s.vrid, family: s.family });
    this.basePriority = s.priority;
    this.fsmConfig = {
      name: s.name,
      version: s.version,
      sourceAddress: s.sourceAddress ?? ports.transport.sourceAddress,
      advertIntervalMs: s.advertIntervalMs,
      nopreempt: s.nopreempt,
      preemptDelayMs: s.preemptDelayMs,
      lowerPrioNoAdvert: s.lowerPrioNoAdvert,
      higherPrioSendAdvert: s.higherPrioSendAdvert,
      downTimerAdverts: s.downTimerAdverts,
      election: s.election,
    };
    this.data = initialData(this.fsmConfig, s.priority);
    this.counters = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Record<CounterName, number>;
    this.schedule = new AnnounceSchedule({
      clock: ports.clock,
      announcer: ports.announcer,
      settings: s.garp,
      vips: () => this.allVips(),
      owns: () => this.data.state === 'MASTER',
      onBurst: (_kind, vips) => this.logAnnounce(vips),
    });
    this.transport.onPacket((pkt) => this.receive(pkt));
  }

  get name(): string {
    return this.settings.name;
  }

  get state(): VrrpState {
    return this.data.state;
  }

  get effectivePriority(): number {
    return this.data.effectivePriority;
  }

  /** Subscribe to state transitions (notify scripts, status, sync groups, metrics). */
  onTransition(cb: (e: TransitionEvent) => void): () => void {
    this.transitionCbs.push(cb);
    return () => (this.transitionCbs = this.transitionCbs.filter((x) => x !== cb));
  }

  /** Subscribe to non-transition notify events (notify_master_rx_lower_pri, priority changes). */
  onNotify(cb: (e: InstanceNotifyEvent) => void): () => void {
    this.notifyCbs.push(cb);
    return () => (this.notifyCbs = this.notifyCbs.filter((x) => x !== cb));
  }

  /** Subscribe to changes of this instance's own fault condition (sync groups). */
  onOwnFault(cb: (on: boolean) => void): () => void {
    this.faultCbs.push(cb);
    return () => (this.faultCbs = this.faultCbs.filter((x) => x !== cb));
  }

  /**
   * Leave INIT: BACKUP (or MASTER at once for priority 255, FAULT if faulty).
   * `delayMs` (vrrp_startup_delay): BACKUP waits that much longer before its
   * first Master_Down_Timer, as keepalived starts its dispatcher late.
   */
  start(delayMs = 0): void {
    if (this.stopping) return;
    this.dispatch({ type: 'startup', delayMs });
  }

  /**
   * Stop: a MASTER sends priority 0 and releases its VIPs; timers and the
   * announce schedule are cancelled; the transport is closed. Idempotent.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.dispatch({ type: 'shutdown' });
      this.leaveFastPath();
      this.schedule.stop();
      for (const t of this.timers.values()) t.cancel();
      this.timers.clear();
      this.transport.close();
      this.stopping = this.addrChain;
    }
    return this.stopping;
  }

  /** Turn one fault source (e.g. 'link', 'interface eth0') on or off. */
  fault(on: boolean, source = 'external'): void {
    if (on) this.faultSources.add(source);
    else this.faultSources.delete(source);
    this.reevaluate();
  }

  /** Set or replace a tracker's current state; the effective priority and fault are re-evaluated. */
  setTracker(name: string, input: TrackerInput): void {
    this.trackers.set(name, input);
    this.reevaluate();
  }

  removeTracker(name: string): void {
    if (this.trackers.delete(name)) this.reevaluate();
  }

  /** Names of the trackers currently set. */
  trackerNames(): string[] {
    return [...this.trackers.keys()];
  }

  /**
   * Reload with a changed address list: the state is kept (keepalived
   * clear_diff_address). A MASTER removes the addresses no longer configured,
   * adds and announces the new ones; adverts carry the new list from now on.
   */
  updateAddresses(vips: VipSpec[], excluded: VipSpec[]): void {
    const key = (v: VipSpec) => `${v.family}|${v.address}|${v.prefixLength}|${v.ifname}`;
    const before = this.allVips();
    // The fast path holds adverts with the old address list (sent, or expected): back to JS first.
    if (!this.dispatching) this.leaveFastPath();
    this.settings.vips = vips;
    this.settings.excludedVips = excluded;
    if (this.data.state !== 'MASTER') return;
    const now = new Set(this.allVips().map(key));
    const had = new Set(before.map(key));
    this.claim(before.filter((v) => !now.has(key(v))), false);
    const added = this.allVips().filter((v) => !had.has(key(v)));
    this.claim(added, true);
    if (added.length) this.schedule.burstNow(this.settings.garp.masterRepeat, (v) => added.includes(v));
  }

  /** Change the base priority (e.g. on reload). An owner (255) never changes at run time. */
  setPriority(base: number): void {
    if (this.data.basePriority === 255 || base === 255) return;
    this.basePriority = base;
    this.data = { ...this.data, basePriority: base };
    this.reevaluate();
  }

  /** The kernel says `address` was removed (by someone else): a MASTER puts it back and announces it. */
  addressRemoved(address: string): void {
    if (this.data.state !== 'MASTER') return;
    const vip = this.allVips().find((v) => v.address === address || compareAddresses(v.address, address) === 0);
    if (!vip) return;
    this.log.info(`(${this.name}) virtual address ${address} was removed while MASTER - re-adding`);
    this.claim([vip], true);
    this.schedule.burstNow(this.settings.garp.masterRepeat, (v) => v === vip);
  }

  /** After a link flap (IPv6 global addresses are gone): a MASTER re-adds every VIP and announces again. */
  reassertAddresses(): void {
    if (this.data.state !== 'MASTER') return;
    this.claim(this.allVips(), true);
    this.schedule.start();
  }

  status(): InstanceStatus {
    this.peekFastPath();
    const d = this.data;
    const s = this.settings;
    const faults = [...this.faultSources];
    for (const [name, t] of this.trackers) {
      const r = effectivePriority(1, [t]);
      if (r.fault) faults.push(name);
    }
    if (d.groupFault) faults.push('sync group');
    return {
      name: s.name,
      vrid: s.vrid,
      version: s.version,
      family: s.family,
      ifname: s.ifname,
      state: d.state,
      basePriority: d.basePriority,
      effectivePriority: d.effectivePriority,
      masterAddress: d.masterAddress,
      masterPriority: d.masterPriority,
      sourceAddress: this.fsmConfig.sourceAddress,
      advertIntervalMs: s.advertIntervalMs,
      masterAdverIntervalMs: d.masterAdverIntervalMs,
      masterDownIntervalMs: downInterval(this.fsmConfig, d),
      lastTransitionAt: this.lastTransitionAt,
      grantUntil: d.grantUntil,
      lastTransition: this.lastTransition,
      vipsSet: this.vipsSet,
      faults,
      ownFault: d.ownFault,
      groupFault: d.groupFault,
      wantMaster: d.wantMaster,
      trackers: [...this.trackers].map(([name, input]) => ({ name, input })),
      counters: { ...this.counters },
    };
  }

  /** keepalived's STATS_CLEAR: every counter back to zero (what the fast path counted so far included). */
  clearCounters(): void {
    this.peekFastPath();
    for (const k of Object.keys(this.counters) as CounterName[]) this.counters[k] = 0;
  }

  /**
   * (election) May be MASTER until clock time `until`: a BACKUP takes its
   * VIPs, a MASTER moves its deadline; at `until` the VIPs go by this
   * instance's own timer unless another grant came.
   */
  grant(until: number): void {
    if (this.stopping) return;
    this.dispatch({ type: 'grant', until });
    if (this.data.state === 'MASTER') this.limitLifetimes(until);
  }

  /**
   * (election) The VIPs get a kernel lifetime that ends before the grant
   * does (the kernel checks lifetimes within 1/4 s, in whole seconds): even
   * a VRRP process killed with SIGKILL cannot leave them up past the grant,
   * and so past the lease. Each renewal extends it; queued behind the add.
   */
  private limitLifetimes(until: number): void {
    const set = this.addresses.setLifetime?.bind(this.addresses);
    const seconds = Math.floor((until - this.clock.now() - KERNEL_LIFETIME_SLACK_MS) / 1000);
    if (!set || seconds < 1) return;
    for (const vip of this.allVips()) {
      this.enqueueAddr(async () => {
        if (this.vipsSet) await set(vip, seconds);
      });
    }
  }

  /** (election) Give the grant back now; resolves once the VIPs are off the interfaces. */
  resign(): Promise<void> {
    if (!this.stopping) this.dispatch({ type: 'resign' });
    return this.addrChain;
  }

  /** keepalived wantstate MASTER while BACKUP (held by a sync group). */
  get wantMaster(): boolean {
    return this.data.wantMaster;
  }

  /** @internal sync groups: asked when the Master_Down_Timer fires; false holds us in BACKUP. */
  setSyncGate(gate: (() => boolean) | undefined): void {
    this.syncGate = gate;
  }

  /** @internal sync groups: another member is in FAULT (on) / none is (off). */
  setGroupFault(on: boolean): void {
    this.dispatch({ type: 'groupFault', on });
  }

  /** @internal sync groups: follow a member to MASTER / BACKUP. */
  syncTo(state: 'MASTER' | 'BACKUP'): void {
    this.dispatch({ type: state === 'MASTER' ? 'syncMaster' : 'syncBackup' });
  }

  /** Feed one received packet (the transport calls this; tests may too). */
  receive(pkt: ReceivedPacket): void {
    if (this.stopping) return;
    const s = this.settings;
    const r = this.codec.decodeAdvert(pkt.data, {
      family: s.family,
      src: pkt.src,
      dst: pkt.dst,
      ttl: pkt.ttl,
      // A unicast advert's TTL depends on the path (keepalived checks it only against configured ranges).
      checkTtl: s.unicastPeers.length === 0,
      acceptChecksum: s.acceptChecksum,
    });
    if (!r.ok) return this.drop(r.reason, `${r.detail} from ${pkt.src}`);
    const a = r.advert;
    if (a.vrid !== s.vrid) return this.drop('vrid_mismatch', `VRID ${a.vrid} from ${pkt.src}`);
    if (a.version !== s.version) return this.drop('version_err', `received version ${a.version}, ours ${s.version}`);
    this.counters.advert_rcvd++;
    const chk = this.codec.checkAgainstInstance(a, {
      version: s.version,
      authType: s.auth.type,
      authPass: s.auth.pass,
      adverIntervalMs: s.advertIntervalMs,
      addresses: s.vips.map((v) => v.address),
      strict: s.strict && !s.skipCheckAdvAddr,
    });
    if (!chk.ok) return this.drop(chk.reason, `${chk.detail} from ${pkt.src}`);
    if (s.checkUnicastSrc && s.unicastPeers.length > 0) {
      // keepalived vrrp_check_packet(): the source must be a unicast_peer, its TTL within that peer's range.
      const peer = s.unicastPeers.find((p) => compareAddresses(p, pkt.src) === 0);
      if (peer === undefined) return this.drop('unicast_src_err', `unicast source address ${pkt.src} not a unicast peer`);
      const r = s.peerTtl?.[peer];
      if (r && pkt.ttl >= 0 && (pkt.ttl < r.min || pkt.ttl > r.max)) return this.drop('ip_ttl_err', `TTL/HL ${pkt.ttl} not in range ${r.min} - ${r.max}`);
    }
    chk.warnings.forEach((w, i) => {
      this.counters[w]++;
      this.log.rateLimited(w, DROP_LOG_INTERVAL_MS, this.clock.now(), 'info', `(${this.name}) ${chk.details[i] ?? w} from ${pkt.src}`);
    });
    if (a.priority === 0) this.counters.pri_zero_rcvd++;
    const ev: FsmEvent = { type: 'advert', src: pkt.src, priority: a.priority, adverIntervalMs: a.adverIntervalMs };
    this.dispatch(ev);
    if (a.priority > 0 && chk.warnings.length === 0) this.enterAbsorb(pkt, ev);
  }

  /**
   * The steady state of a BACKUP: its master's identical adverts only restart
   * the Master_Down_Timer. When a repeat of `ev` would change nothing but
   * that deadline (checked by running the pure state machine on it), the
   * transport takes the repeats over: it counts them and restarts the
   * deadline in C, and calls back only at silence. Anything else that
   * happens to the instance first takes the counted adverts in (leaveFastPath).
   */
  private enterAbsorb(pkt: ReceivedPacket, ev: FsmEvent): void {
    const fp = this.transport.fastPath;
    const d = this.data;
    if (!fp || this.stopping || this.absorbing || this.repeating || this.dispatching) return;
    if (d.state !== 'BACKUP' || d.masterDownAt === null || d.preemptAt !== null || d.wantMaster || d.masterAddress !== pkt.src) return;
    const later = this.clock.now() + 1;
    const again = step(this.fsmConfig, d, ev, later);
    const silenceMs = downInterval(this.fsmConfig, d);
    if (again.data.masterDownAt !== later + silenceMs || !sameExceptMasterDown(d, again.data)) return;
    if (!again.effects.every((fx) => fx.type === 'armTimer' && fx.timer === 'masterDown')) return;
    let handle: FastPathHandle;
    try {
      // At silence the Master_Down_Timer has run out: the FSM takes the absorbed adverts in, then the expiry.
      handle = fp.absorb(pkt, d.masterDownAt, silenceMs, () => this.masterDown());
    } catch (e) {
      this.log.rateLimited('fastpath', DROP_LOG_INTERVAL_MS, this.clock.now(), 'warn', `(${this.name}) fast path unavailable: ${(e as Error).message}`);
      return; // the JS Master_Down_Timer keeps running
    }
    this.timers.get('masterDown')?.cancel();
    this.timers.delete('masterDown');
    this.absorbing = handle;
  }

  /** The Master_Down_Timer ran out (JS timer, or silence on the fast path). */
  private masterDown(): void {
    this.dispatch({ type: 'masterDownTimer', hold: this.syncGate ? !this.syncGate() : false });
  }

  /**
   * Stop the fast path and let the state machine take in what it did: the
   * adverts absorbed (BACKUP) or sent (MASTER), then re-arm the JS timer for
   * the current deadline (at silence it is due now, and fires).
   */
  private leaveFastPath(): void {
    if (this.absorbing) {
      const st = this.absorbing.stop();
      this.absorbing = undefined;
      this.counters.advert_rcvd += st.count;
      if (st.count > 0) this.apply({ type: 'advertsAbsorbed', lastAt: st.lastAt });
      this.armFromData('masterDown');
    }
    if (this.repeating) {
      const st = this.repeating.stop();
      this.repeating = undefined;
      this.countSent(st);
      this.apply({ type: 'advertsSent', nextAt: st.nextAt });
      this.armFromData('advert');
    }
  }

  /** Counters up to date without leaving the fast path (status). */
  private peekFastPath(): void {
    if (this.absorbing) this.counters.advert_rcvd += this.absorbing.peek().count;
    if (this.repeating) this.countSent(this.repeating.peek());
  }

  private countSent(st: FastPathState): void {
    this.counters.advert_sent += st.count;
    if (this.data.effectivePriority === 0) this.counters.pri_zero_sent += st.count;
  }

  private armFromData(timer: TimerName): void {
    const at = timer === 'advert' ? this.data.advertAt : this.data.masterDownAt;
    if (at !== null) this.execute({ type: 'armTimer', timer, at });
  }

  private drop(reason: InstanceDropReason, detail: string): void {
    this.counters[reason]++;
    if (reason === 'vrid_mismatch') return; // another router's instance on a shared link: not an error
    this.log.rateLimited(reason, DROP_LOG_INTERVAL_MS, this.clock.now(), 'info', `(${this.name}) dropping advert: ${reason}: ${detail}`);
  }

  private reevaluate(): void {
    const r = effectivePriority(this.basePriority, this.trackers.values());
    const ownFault = r.fault || this.faultSources.size > 0;
    if (r.priority !== this.data.effectivePriority) this.dispatch({ type: 'priority', priority: r.priority });
    this.dispatch({ type: 'fault', on: ownFault });
    if (ownFault !== this.lastOwnFault) {
      this.lastOwnFault = ownFault;
      for (const cb of this.faultCbs) cb(ownFault);
    }
  }

  /** keepalived's line for each announcement burst. */
  private logAnnounce(vips: readonly VipSpec[]): void {
    for (const v of vips)
      this.log.info(`(${this.name}) Sending/queueing ${v.family === 4 ? 'gratuitous ARPs' : 'Unsolicited Neighbour Adverts'} on ${v.ifname} for ${v.address}`);
  }

  private allVips(): VipSpec[] {
    return [...this.settings.vips, ...this.settings.excludedVips];
  }

  /**
   * Run one event through the FSM and execute its effects. Re-entrant calls
   * are queued. The fast path is left first: the FSM must have seen every
   * advert the transport absorbed or sent before anything else happens.
   */
  private dispatch(ev: FsmEvent): void {
    this.queue.push(ev);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        this.leaveFastPath();
        if (e.type === 'advertTimer') this.applyAdvertTimer(e);
        else this.apply(e);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private apply(e: FsmEvent): StepResult {
    const r = step(this.fsmConfig, this.data, e, this.clock.now());
    this.data = r.data;
    for (const fx of r.effects) this.execute(fx);
    return r;
  }

  /**
   * The steady state of a MASTER: an advert timer that only sends our advert
   * and sets the next deadline. After sending it, the transport repeats the
   * same bytes at the following deadlines (in C), until anything else happens
   * to the instance (leaveFastPath).
   */
  private applyAdvertTimer(e: FsmEvent): void {
    const r = step(this.fsmConfig, this.data, e, this.clock.now());
    this.data = r.data;
    const fp = this.transport.fastPath;
    const [send, arm, ...rest] = r.effects;
    const steady = fp !== undefined && !this.stopping && rest.length === 0 && this.queue.length === 0 &&
      send?.type === 'sendAdvert' && arm?.type === 'armTimer' && arm.timer === 'advert' && this.data.state === 'MASTER';
    if (!steady) {
      for (const fx of r.effects) this.execute(fx);
      return;
    }
    this.execute(send);
    const payloads = new Set(this.lastSent.map((x) => x.payload.toString('hex')));
    if (this.lastSent.length === 0 || payloads.size !== 1) {
      this.execute(arm); // different bytes per unicast peer (v3 pseudo-header checksums): stay in JS
      return;
    }
    try {
      this.repeating = fp.repeat(this.lastSent[0].payload, this.lastSent.map((x) => x.dst), arm.at, this.settings.advertIntervalMs, () =>
        this.dispatch({ type: 'advertTimer' }),
      );
    } catch (e) {
      this.log.rateLimited('fastpath', DROP_LOG_INTERVAL_MS, this.clock.now(), 'warn', `(${this.name}) fast path unavailable: ${(e as Error).message}`);
      this.execute(arm);
      return;
    }
    this.timers.get('advert')?.cancel();
    this.timers.delete('advert');
  }

  private execute(fx: Effect): void {
    switch (fx.type) {
      case 'sendAdvert':
        return this.sendAdvert(fx.priority);
      case 'armTimer': {
        this.timers.get(fx.timer)?.cancel();
        const h = this.clock.setTimer(Math.max(0, fx.at - this.clock.now()), () => {
          if (this.timers.get(fx.timer) !== h) return; // superseded
          this.timers.delete(fx.timer);
          if (fx.timer === 'advert') this.dispatch({ type: 'advertTimer' });
          else if (fx.timer === 'grant') this.dispatch({ type: 'grantEnd' });
          else this.masterDown();
        });
        this.timers.set(fx.timer, h);
        return;
      }
      case 'cancelTimer':
        this.timers.get(fx.timer)?.cancel();
        this.timers.delete(fx.timer);
        return;
      case 'addVips':
        this.vipsSet = true;
        if (this.firewall) this.log.info(`(${this.name}) setting firewall drop rule`);
        this.claim(this.allVips(), true);
        this.routeOps('add');
        return;
      case 'removeVips':
        this.vipsSet = false;
        this.routeOps('remove');
        this.claim(this.allVips(), false);
        if (this.firewall) this.log.info(`(${this.name}) removing firewall drop rule`);
        return;
      case 'startAnnounce':
        if (!this.schedule.enabled) return; // announced by route: no GARP/NA, and no line saying so
        this.logAnnounce(this.allVips());
        return this.schedule.start();
      case 'stopAnnounce':
        return this.schedule.stop();
      case 'transition': {
        if (fx.to === 'MASTER') this.counters.become_master++;
        if (fx.from === 'MASTER') this.counters.release_master++;
        const at = this.clock.now();
        this.lastTransitionAt = at;
        this.lastTransition = { from: fx.from, reason: fx.reason };
        const e: TransitionEvent = { instance: this.name, from: fx.from, to: fx.to, priority: fx.priority, reason: fx.reason, at };
        for (const cb of [...this.transitionCbs]) cb(e);
        return;
      }
      case 'masterRxLowerPri': {
        const e: InstanceNotifyEvent = { instance: this.name, event: 'master_rx_lower_pri', src: fx.src, priority: fx.priority, at: this.clock.now() };
        for (const cb of [...this.notifyCbs]) cb(e);
        return;
      }
      case 'priorityChanged': {
        const e: InstanceNotifyEvent = { instance: this.name, event: 'priority_changed', from: fx.from, to: fx.to, at: this.clock.now() };
        for (const cb of [...this.notifyCbs]) cb(e);
        return;
      }
      case 'log':
        return this.log.log(fx.level, fx.msg);
    }
  }

  private destinations(): string[] {
    const s = this.settings;
    if (s.unicastPeers.length > 0) return s.unicastPeers;
    return [s.mcastGroup ?? (s.family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6)];
  }

  private sendAdvert(priority: number): void {
    const s = this.settings;
    const advert: Advert = {
      version: s.version,
      type: 1,
      vrid: s.vrid,
      priority,
      authType: s.version === 2 ? s.auth.type : 0,
      adverIntervalMs: s.advertIntervalMs,
      addresses: s.vips.map((v) => v.address),
    };
    if (s.version === 2 && s.auth.type === 1) {
      const pass = Buffer.alloc(8);
      pass.write(s.auth.pass ?? '', 'latin1');
      advert.authData = pass;
    }
    let sent = false;
    this.lastSent = [];
    for (const dst of this.destinations()) {
      let payload: Buffer;
      try {
        payload = this.codec.encodeAdvert(advert, {
          family: s.family,
          src: this.fsmConfig.sourceAddress,
          dst,
          checksum: s.checksumVariant,
        });
      } catch (err) {
        this.log.rateLimited('encode', DROP_LOG_INTERVAL_MS, this.clock.now(), 'error', `(${this.name}) cannot encode advert: ${String(err)}`);
        continue;
      }
      this.transport.send(payload, dst);
      this.lastSent.push({ dst, payload });
      sent = true;
    }
    // keepalived counts one advert per vrrp_send_adv, whatever the number of unicast peers.
    if (sent) {
      this.counters.advert_sent++;
      if (priority === 0) this.counters.pri_zero_sent++;
    }
  }

  /**
   * Take (`on`) or release addresses, queued in order: with no_accept the
   * drop rule goes in before the address and comes out after it.
   */
  private claim(vips: readonly VipSpec[], on: boolean): void {
    const fw = this.firewall;
    for (const vip of vips)
      this.enqueueAddr(async () => {
        if (on) {
          await fw?.block(vip);
          await this.addresses.add(vip);
        } else {
          await this.addresses.remove(vip);
          await fw?.unblock(vip);
        }
      });
  }

  /** keepalived's order: routes then rules after the VIPs; rules then routes before them. */
  private routeOps(op: 'add' | 'remove'): void {
    const rm = this.routes;
    const all = this.settings.routes ?? [];
    if (!rm || all.length === 0) return;
    const kinds: ('route' | 'rule')[] = op === 'add' ? ['route', 'rule'] : ['rule', 'route'];
    for (const kind of kinds) {
      const list = all.filter((r) => r.kind === kind);
      if (list.length === 0) continue;
      this.log.info(`(${this.name}) ${op === 'add' ? 'setting' : 'removing'} Virtual ${kind === 'route' ? 'Routes' : 'Rules'}`);
      for (const r of list)
        this.enqueueAddr(async () => {
          await (op === 'add' ? rm.add(r) : rm.remove(r));
        });
    }
  }

  private enqueueAddr(op: () => Promise<void>): void {
    this.addrChain = this.addrChain.then(op).catch((err: unknown) => {
      this.log.error(`(${this.name}) address operation failed: ${String(err)}`);
    });
  }
}

/** FSM data equal but for the Master_Down_Timer deadline (a repeated advert changed nothing else). */
function sameExceptMasterDown(a: FsmData, b: FsmData): boolean {
  for (const k of Object.keys(a) as (keyof FsmData)[]) if (k !== 'masterDownAt' && a[k] !== b[k]) return false;
  return true;
}
