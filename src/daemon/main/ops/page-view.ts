/**
 * What the live status page (and its SSE stream, and /status.json) shows:
 * a whitelist of the status, field by field, so nothing new in the status
 * reaches a browser unless it is added here. Free text that could carry
 * configuration (faults, a checker's last result, errors) is scrubbed of
 * every configured secret.
 */
import { KEEPALIVED_STATS } from '../../status';
import { describeVip } from '../../vrrp-process/settings';
import { checkerStatus, isCheckerError, loopsOf, scrub, secretsOf, type OpsSnapshot, type TransitionRecord } from './snapshot';

export interface PageInstance {
  name: string;
  state: string;
  ifname: string;
  vrid: number;
  version: number;
  family: number;
  basePriority: number;
  effectivePriority: number;
  masterAddress: string | null;
  masterPriority: number;
  sourceAddress: string;
  vips: string[];
  excludedVips: string[];
  vipsSet: boolean;
  advertIntervalMs: number;
  lastTransitionMs: number;
  lastTransitionFrom: string | null;
  lastTransitionReason: string | null;
  faults: string[];
  trackers: { kind: string; name: string; ok: boolean; weight: number }[];
  /** keepalived's statistics, then every other drop reason counted (non-zero ones only). */
  counters: [string, number][];
}

export interface PageRealServer {
  name: string;
  alive: boolean;
  weight: number;
  checkers: { type: string; index: number; up: boolean; runs: number; lastResult: string | null; lastDurationMs: number | null }[];
}

export interface PageVirtualServer {
  name: string;
  state: string;
  quorum: number;
  liveWeight: number;
  sorryServer: { name: string; inPool: boolean } | null;
  realServers: PageRealServer[];
}

export interface PageView {
  nowMs: number;
  up: boolean;
  error: string | null;
  routerId: string;
  pid: number;
  version: string;
  instances: PageInstance[];
  syncGroups: { name: string; state: string; members: string[] }[];
  /** Newest first. */
  transitions: TransitionRecord[];
  virtualServers: PageVirtualServer[];
  checkerError: string | null;
  notify: Record<string, number>;
  processes: { process: string; pid: number | null; restarts: number; loopP99Ms: number | null; loopMaxMs: number | null }[];
}

const TIMELINE = 100;

export function pageView(snap: OpsSnapshot): PageView {
  const secrets = secretsOf(snap.config);
  const clean = (t: string) => scrub(t, secrets);
  const s = snap.status;
  const ck = checkerStatus(s);
  const instances: PageInstance[] = (s?.instances ?? []).map((i) => {
    const cfg = snap.config.instances.find((c) => c.name === i.name);
    const counters: [string, number][] = KEEPALIVED_STATS.map((k) => [k, i.counters[k] ?? 0]);
    for (const [k, v] of Object.entries(i.counters)) if (!(KEEPALIVED_STATS as readonly string[]).includes(k) && v) counters.push([k, v]);
    return {
      name: i.name, state: i.state, ifname: i.ifname, vrid: i.vrid, version: i.version, family: i.family,
      basePriority: i.basePriority, effectivePriority: i.effectivePriority,
      masterAddress: i.masterAddress ?? null, masterPriority: i.masterPriority, sourceAddress: i.sourceAddress,
      vips: [...i.vips], excludedVips: (cfg?.virtualIpaddressExcluded ?? []).map(describeVip), vipsSet: i.vipsSet,
      advertIntervalMs: i.masterAdverIntervalMs,
      lastTransitionMs: i.lastTransitionMs, lastTransitionFrom: i.lastTransitionFrom ?? null, lastTransitionReason: i.lastTransitionReason ?? null,
      faults: i.faults.map(clean),
      trackers: (i.trackers ?? []).map((t) => ({ kind: t.kind, name: t.name, ok: t.ok, weight: t.weight })),
      counters,
    };
  });
  const virtualServers: PageVirtualServer[] = ck && !isCheckerError(ck)
    ? ck.virtualServers.map((vs) => ({
      name: vs.name, state: vs.state, quorum: vs.quorum.quorum, liveWeight: vs.quorum.liveWeight,
      sorryServer: vs.sorryServer ? { name: vs.sorryServer.name, inPool: vs.sorryServer.inPool } : null,
      realServers: vs.realServers.map((rs) => ({
        name: rs.name, alive: rs.alive, weight: rs.weight,
        checkers: rs.checkers.map((c) => ({
          type: c.type, index: c.index, up: c.up, runs: c.runs,
          lastResult: c.lastResult === null ? null : clean(c.lastResult), lastDurationMs: c.lastDurationMs ?? null,
        })),
      })),
    }))
    : [];
  const loops = loopsOf(snap);
  const loopOf = (p: string) => loops.find((l) => l.process === p);
  const proc = (process: string, pid: number | undefined, restarts: number) => ({
    process, pid: pid ?? null, restarts, loopP99Ms: loopOf(process)?.p99Ms ?? null, loopMaxMs: loopOf(process)?.maxMs ?? null,
  });
  const p = s?.processes;
  return {
    nowMs: snap.nowMs,
    up: s !== undefined,
    error: snap.error === undefined ? null : clean(snap.error),
    routerId: s?.routerId ?? snap.config.global.routerId,
    pid: s?.pid ?? 0,
    version: snap.build.version,
    instances,
    syncGroups: (s?.syncGroups ?? []).map((g) => ({ name: g.name, state: g.state, members: [...g.members] })),
    transitions: snap.transitions.slice(-TIMELINE).reverse().map((t) => ({ ...t, reason: t.reason === undefined ? undefined : clean(t.reason) })),
    virtualServers,
    checkerError: ck && isCheckerError(ck) ? clean(ck.error) : null,
    notify: s ? { ...s.notify } : {},
    processes: p ? [proc('main', p.main, 0), proc('vrrp', p.vrrp, p.vrrpRestarts), proc('checker', p.checker, p.checkerRestarts)] : [proc('main', undefined, 0)],
  };
}
