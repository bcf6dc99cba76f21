/**
 * The checker service's status for the control socket: per virtual server
 * the quorum, per real server alive and weight, per checker its state and
 * last result.
 */
import { realWeight, type VirtualServerTable } from '../../lvs/model';
import type { CheckDurationsView } from './check-durations';
import type { CheckerRt, RealServerRt, VirtualServerRt } from './runtime';

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

export function virtualServerViews(vss: ReadonlyMap<string, VirtualServerRt>, table: VirtualServerTable): VirtualServerStatusView[] {
  const out: VirtualServerStatusView[] = [];
  for (const vs of vss.values()) {
    const up = table.quorumUp(vs.plan.key) ?? false;
    const view: VirtualServerStatusView = {
      name: vs.plan.key,
      state: up ? 'UP' : 'DOWN',
      quorum: { quorum: vs.plan.quorum, hysteresis: vs.plan.hysteresis, up, liveWeight: table.liveWeightSum(vs.plan.key) ?? 0 },
      realServers: [...vs.rs.values()].map(realServerView),
    };
    if (vs.plan.sorry) view.sorryServer = { name: vs.plan.sorry.key, inPool: !up };
    out.push(view);
  }
  return out;
}

function realServerView(rs: RealServerRt): RealServerStatusView {
  return {
    name: rs.plan.key,
    address: rs.plan.address,
    port: rs.plan.port,
    alive: rs.alive,
    weight: realWeight(rs.plan.weight + rs.delta),
    configuredWeight: rs.plan.weight,
    inhibitOnFailure: rs.plan.inhibit,
    checkers: rs.checkers.map(checkerView),
  };
}

function checkerView(ck: CheckerRt): CheckerStatusView {
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
}
