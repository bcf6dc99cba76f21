/**
 * The virtual_server / real_server model: which real servers are live with
 * which weights, quorum with hysteresis, the sorry server, inhibit_on_failure,
 * and the notify events that go with them. Pure: fed the checker runner's
 * events (src/check/runner.ts), it returns events and a desired data-plane
 * table; src/lvs/nft.ts renders that table.
 *
 * Rules (keepalived 2.2.7 check/ipwrapper.c, check/ipvswrapper.c ipvs_cmd()):
 *  - live weight sum = sum over alive real servers of real_weight(weight +
 *    dynamic delta), real_weight() clamping to 0..INT32_MAX;
 *  - at start no real server is alive yet when keepalived computes the quorum
 *    states (set_quorum_states), so every virtual server starts with quorum
 *    down; init_services() then adds the live servers and runs
 *    update_quorum_state(init): quorum comes up (and quorum_up runs, "Starting
 *    with quorum up") iff sum >= quorum + hysteresis; a reload starts from the
 *    old state instead;
 *  - later (update_quorum_state) threshold = quorum - hysteresis while up,
 *    quorum + hysteresis while down; down -> up when sum >= threshold,
 *    up -> down when sum == 0 or sum < threshold;
 *  - a sorry server replaces all real servers while quorum is down (added at
 *    start too when starting with quorum down), and is removed when quorum
 *    comes back; `sorry_server_inhibit` keeps it in the table at weight 0;
 *  - inhibit_on_failure: a failed real server stays in the table with weight
 *    0 instead of being removed (also while the sorry server is in use);
 *  - notify_up / notify_down run on every real server transition (and for an
 *    alpha checker's first failure), quorum_up / quorum_down on quorum
 *    changes, at start "Starting with quorum up" when quorum is reached and
 *    "Starting with quorum down" only when a sorry server is set.
 */
import { KtsError } from '../core/errors';
import type { CheckEvent } from '../check/runner';

export type LvsMethod = 'NAT' | 'DR' | 'TUN';
export type LvsProtocol = 'TCP' | 'UDP' | 'SCTP';
/** ipvswrapper.h IPVS_DEF_SCHED. */
export const DEFAULT_LVS_SCHED = 'wlc';
export const IPVS_WEIGHT_LIMIT = 2147483647;

export interface RealServerConfig {
  /** Unique within the virtual server; the runner's `rs` key. */
  key: string;
  ip: string;
  /** Port; 0/absent = the virtual server's port (NAT) as keepalived. */
  port?: number;
  /** `weight`, default 1 (0..INT32_MAX). */
  weight?: number;
  /** `inhibit_on_failure` (default: the virtual server's). */
  inhibitOnFailure?: boolean;
  /** `notify_up` / `notify_down` command strings. */
  notifyUp?: string;
  notifyDown?: string;
  /** `lvs_method` (default: the virtual server's). */
  lvsMethod?: LvsMethod;
}

export interface SorryServerConfig {
  ip: string;
  port?: number;
  /** `sorry_server_inhibit`. */
  inhibit?: boolean;
  /** `sorry_server_lvs_method`. */
  lvsMethod?: LvsMethod;
}

/** One address a virtual service answers on: ip+port, or a firewall mark. */
export type ServiceAddr = { ip: string; port: number } | { fwmark: number; family?: 'inet' | 'inet6' };

export interface VirtualServerConfig {
  /** Unique; the runner's `vs` key (e.g. "192.0.2.10:80", "fwmark 5", "group web"). */
  key: string;
  /** The addresses: one for `virtual_server IP PORT` / `fwmark N`, the group's entries for `group NAME`. */
  services: ServiceAddr[];
  /** `protocol`, default TCP. */
  protocol?: LvsProtocol;
  /** `lvs_sched`, default wlc. */
  lvsSched?: string;
  /** `persistence_timeout` in seconds (clients stick to a real server). */
  persistenceTimeoutS?: number;
  /** `lvs_method`, default NAT. */
  lvsMethod?: LvsMethod;
  /** `quorum`, default 1. */
  quorum?: number;
  /** `hysteresis`, default 0. */
  hysteresis?: number;
  quorumUp?: string;
  quorumDown?: string;
  sorryServer?: SorryServerConfig;
  /** `inhibit_on_failure` default for the real servers. */
  inhibitOnFailure?: boolean;
  realServers: RealServerConfig[];
}

export interface Fixup {
  code: 'LVS_QUORUM_REDUCED' | 'LVS_HYSTERESIS_REDUCED';
  message: string;
}

/**
 * keepalived's load-time fix-ups (check_data.c validate_check_config()): a
 * quorum above the total configured weight is reduced to it, and hysteresis
 * >= quorum becomes quorum - 1. The config front end should report these as
 * warnings naming the value used.
 */
export function keepalivedFixups(cfg: VirtualServerConfig): { cfg: VirtualServerConfig; fixups: Fixup[] } {
  const fixups: Fixup[] = [];
  const total = cfg.realServers.reduce((s, r) => s + (r.weight ?? 1), 0);
  let quorum = cfg.quorum ?? 1;
  let hysteresis = cfg.hysteresis ?? 0;
  if (quorum > total) {
    fixups.push({ code: 'LVS_QUORUM_REDUCED', message: `quorum ${quorum} for ${cfg.key} exceeds total weight of real servers ${total}, reducing quorum to ${total}` });
    quorum = total;
  }
  if (hysteresis >= quorum) {
    fixups.push({ code: 'LVS_HYSTERESIS_REDUCED', message: `Virtual server ${cfg.key}: hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${quorum - 1}` });
    hysteresis = Math.max(0, quorum - 1);
  }
  return { cfg: { ...cfg, quorum, hysteresis }, fixups };
}

export type LvsEventKind = 'rs_up' | 'rs_down' | 'quorum_up' | 'quorum_down';

export interface LvsEvent {
  kind: LvsEventKind;
  vs: string;
  /** The real server key (rs_up / rs_down). */
  rs?: string;
  /** notify_up/notify_down or quorum_up/quorum_down command, when configured. */
  command?: string;
  /** Emitted by start(): keepalived's init wording ("Starting with quorum up/down"). */
  init?: boolean;
  /** Quorum events: live weight sum and the threshold it was compared with. */
  weightSum?: number;
  threshold?: number;
}

/** A virtual server's state before a reload (keepalived copies quorum_state_up and the sorry server's alive flag). */
export interface QuorumPrior {
  quorumUp: boolean;
  /** The same sorry server was already in the pool. */
  sorryInPool?: boolean;
}

export interface DesiredDest {
  ip: string;
  port: number;
  weight: number;
  method: LvsMethod;
  /** The real server key, or undefined for the sorry server. */
  rs?: string;
  sorry?: boolean;
}

export interface DesiredService {
  vs: string;
  services: ServiceAddr[];
  protocol: LvsProtocol;
  sched: string;
  persistenceTimeoutS?: number;
  method: LvsMethod;
  /** In table order: real servers in config order, then the sorry server. Weight 0 = present but takes no new connections. */
  dests: DesiredDest[];
}

interface RsRuntime {
  cfg: RealServerConfig;
  iweight: number;
  delta: number;
  alive: boolean;
  inhibit: boolean;
}

interface VsRuntime {
  cfg: VirtualServerConfig;
  quorum: number;
  hysteresis: number;
  quorumUp: boolean;
  rs: Map<string, RsRuntime>;
}

export function realWeight(w: number): number {
  if (w < 0) return 0;
  if (w > IPVS_WEIGHT_LIMIT) return IPVS_WEIGHT_LIMIT;
  return w;
}

function servicePort(cfg: VirtualServerConfig): number {
  const s = cfg.services.find((x): x is { ip: string; port: number } => 'ip' in x);
  return s ? s.port : 0;
}

export class VirtualServerTable {
  private readonly vss = new Map<string, VsRuntime>();
  private started = false;

  /**
   * @param configs virtual servers (apply keepalivedFixups() first if wanted)
   * @param initialAlive the checker runner's view at start (CheckRunner.rsAlive);
   *   a real server without checkers is alive.
   */
  constructor(configs: VirtualServerConfig[], initialAlive: (vs: string, rs: string) => boolean | undefined = () => true) {
    for (const cfg of configs) {
      if (this.vss.has(cfg.key)) throw new KtsError('LVS_DUPLICATE_VS', `duplicate virtual server ${cfg.key}`);
      if (cfg.services.length === 0) throw new KtsError('LVS_NO_SERVICE', `virtual server ${cfg.key} has no address`);
      const quorum = cfg.quorum ?? 1;
      const hysteresis = cfg.hysteresis ?? 0;
      if (!Number.isInteger(quorum) || quorum < 1) throw new KtsError('LVS_BAD_QUORUM', `virtual server ${cfg.key}: quorum must be an integer >= 1`);
      if (!Number.isInteger(hysteresis) || hysteresis < 0) throw new KtsError('LVS_BAD_HYSTERESIS', `virtual server ${cfg.key}: hysteresis must be an integer >= 0`);
      const rs = new Map<string, RsRuntime>();
      for (const r of cfg.realServers) {
        if (rs.has(r.key)) throw new KtsError('LVS_DUPLICATE_RS', `virtual server ${cfg.key}: duplicate real server ${r.key}`);
        const w = r.weight ?? 1;
        if (!Number.isInteger(w) || w < 0 || w > IPVS_WEIGHT_LIMIT) throw new KtsError('LVS_BAD_WEIGHT', `real server ${r.key}: weight ${w} outside 0-${IPVS_WEIGHT_LIMIT}`);
        rs.set(r.key, {
          cfg: r,
          iweight: w,
          delta: 0,
          alive: initialAlive(cfg.key, r.key) ?? true,
          inhibit: r.inhibitOnFailure ?? cfg.inhibitOnFailure ?? false,
        });
      }
      this.vss.set(cfg.key, { cfg, quorum, hysteresis, quorumUp: true, rs });
    }
  }

  /**
   * Set the starting quorum states: set_quorum_states() (quorum down at
   * start, or `prior` on a reload), then update_quorum_state(init) with the
   * live servers. Returns the init events. Idempotent.
   */
  start(prior?: (vs: string) => QuorumPrior | undefined): LvsEvent[] {
    if (this.started) return [];
    this.started = true;
    const out: LvsEvent[] = [];
    for (const v of this.vss.values()) {
      const p = prior?.(v.cfg.key);
      v.quorumUp = p?.quorumUp ?? false;
      const sorryInPool = Boolean(p?.sorryInPool) && !v.quorumUp;
      const sum = this.liveWeight(v);
      const threshold = v.quorum + (v.quorumUp ? -1 : 1) * v.hysteresis;
      if (!v.quorumUp && sum >= threshold) {
        v.quorumUp = true;
        out.push(this.quorumEvent(v, true, sum, threshold, true));
      } else if ((v.quorumUp && (sum === 0 || sum < threshold)) || (!v.quorumUp && v.cfg.sorryServer && !sorryInPool)) {
        // Lost at a reload, or starting down with a sorry server to put in.
        v.quorumUp = false;
        out.push(this.quorumEvent(v, false, sum, threshold, true));
      }
    }
    return out;
  }

  /** Feed one checker runner event; returns the notify events it causes. */
  apply(e: CheckEvent): LvsEvent[] {
    const v = this.vss.get(e.vs);
    const r = v?.rs.get(e.rs);
    if (!v || !r) return [];
    const out: LvsEvent[] = [];
    if (e.kind === 'weight') {
      const before = realWeight(r.iweight + r.delta);
      r.delta = e.weightDelta;
      if (realWeight(r.iweight + r.delta) !== before) this.updateQuorum(v, out);
      return out;
    }
    if (e.initial) {
      if (!e.up && !r.alive) out.push(this.rsEvent(v, r, false));
      return out;
    }
    if (r.alive === e.up) return out;
    r.alive = e.up;
    out.push(this.rsEvent(v, r, e.up));
    this.updateQuorum(v, out);
    return out;
  }

  quorumUp(vs: string): boolean | undefined {
    return this.vss.get(vs)?.quorumUp;
  }

  /** Sum of real_weight() over alive real servers (weigh_live_realservers). */
  liveWeightSum(vs: string): number | undefined {
    const v = this.vss.get(vs);
    return v ? this.liveWeight(v) : undefined;
  }

  /** The data-plane table these states call for. */
  desired(): DesiredService[] {
    const out: DesiredService[] = [];
    for (const v of this.vss.values()) {
      const method = v.cfg.lvsMethod ?? 'NAT';
      const port = servicePort(v.cfg);
      const sorry = v.cfg.sorryServer;
      const sorryActive = Boolean(sorry) && !v.quorumUp;
      const dests: DesiredDest[] = [];
      for (const r of v.rs.values()) {
        const base = { ip: r.cfg.ip, port: r.cfg.port || port, method: r.cfg.lvsMethod ?? method, rs: r.cfg.key };
        if (sorryActive || !r.alive) {
          if (r.inhibit) dests.push({ ...base, weight: 0 });
        } else {
          dests.push({ ...base, weight: realWeight(r.iweight + r.delta) });
        }
      }
      if (sorry && (sorryActive || sorry.inhibit)) {
        const d: DesiredDest = { ip: sorry.ip, port: sorry.port || port, method: sorry.lvsMethod ?? method, weight: sorryActive ? 1 : 0, sorry: true };
        const dup = dests.findIndex((x) => x.ip === d.ip && x.port === d.port);
        if (dup < 0) dests.push(d);
        else if (d.weight > dests[dup].weight) dests[dup] = { ...dests[dup], weight: d.weight, sorry: true };
      }
      out.push({
        vs: v.cfg.key,
        services: v.cfg.services,
        protocol: v.cfg.protocol ?? 'TCP',
        sched: v.cfg.lvsSched ?? DEFAULT_LVS_SCHED,
        persistenceTimeoutS: v.cfg.persistenceTimeoutS,
        method,
        dests,
      });
    }
    return out;
  }

  private liveWeight(v: VsRuntime): number {
    let sum = 0;
    for (const r of v.rs.values()) if (r.alive) sum += realWeight(r.iweight + r.delta);
    return sum;
  }

  /** ipwrapper.c update_quorum_state(vs, init=false). */
  private updateQuorum(v: VsRuntime, out: LvsEvent[]): void {
    if (!this.started) return;
    const sum = this.liveWeight(v);
    const threshold = v.quorum + (v.quorumUp ? -1 : 1) * v.hysteresis;
    if (!v.quorumUp && sum >= threshold) {
      v.quorumUp = true;
      out.push(this.quorumEvent(v, true, sum, threshold, false));
    } else if (v.quorumUp && (sum === 0 || sum < threshold)) {
      v.quorumUp = false;
      out.push(this.quorumEvent(v, false, sum, threshold, false));
    }
  }

  private rsEvent(v: VsRuntime, r: RsRuntime, up: boolean): LvsEvent {
    const e: LvsEvent = { kind: up ? 'rs_up' : 'rs_down', vs: v.cfg.key, rs: r.cfg.key };
    const cmd = up ? r.cfg.notifyUp : r.cfg.notifyDown;
    if (cmd) e.command = cmd;
    return e;
  }

  private quorumEvent(v: VsRuntime, up: boolean, weightSum: number, threshold: number, init: boolean): LvsEvent {
    const e: LvsEvent = { kind: up ? 'quorum_up' : 'quorum_down', vs: v.cfg.key, weightSum, threshold };
    const cmd = up ? v.cfg.quorumUp : v.cfg.quorumDown;
    if (cmd) e.command = cmd;
    if (init) e.init = true;
    return e;
  }
}
