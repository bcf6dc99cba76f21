/**
 * Building the runtime of a virtual server from its plan, at start and at
 * reload, keepalived's clear_diff_services() / migrate_checkers(): real
 * servers are matched by name, checkers by type and connection settings
 * (CheckerPlan.identity); what matches keeps its state. An unchanged checker
 * keeps running as it was; a changed one starts from the old one's state.
 */
import type { CheckerSnapshot } from '../../check/runner';
import type { CheckerPlan, VirtualServerPlan } from './checker-plan';
import type { CheckerRegistry } from './checker-registry';
import { checkersWeightDelta, countFailed, type CheckerReloadResult, type CheckerRt, type RealServerRt, type VirtualServerRt } from './runtime';

/** What a reload collects while building: counts, and the servers the caller reports afterwards. */
export interface ReloadTally {
  res: CheckerReloadResult;
  /** Kept servers that were down and have no failed checker left: they come up. */
  comeBack: RealServerRt[];
  /** Servers that did not exist before (rs_init_notifies). */
  newRs: RealServerRt[];
}

/** The runtime of `vp`; at a reload (`old`, `tally` given) its servers take their old state. */
export function buildVirtualServer(
  vp: VirtualServerPlan,
  old: VirtualServerRt | undefined,
  tally: ReloadTally | undefined,
  registry: CheckerRegistry,
): VirtualServerRt {
  const vs: VirtualServerRt = { plan: vp, rs: new Map() };
  for (const rp of vp.realServers) {
    const prev = old?.rs.get(rp.key);
    const rs: RealServerRt = { plan: rp, vs, checkers: [], numFailed: 0, alive: true, delta: 0 };
    if (!prev) {
      // A new server: its alpha checkers start down (check_new_rs_state()).
      for (const cp of rp.checkers) rs.checkers.push(registry.create(rs, cp, undefined));
      if (tally) tally.res.added += rp.checkers.length;
      rs.numFailed = countFailed(rs);
      rs.alive = rs.numFailed === 0;
      tally?.newRs.push(rs);
    } else {
      migrate(prev, rs, tally!.res, registry);
      if (rs.numFailed === 0 && !rs.alive) tally!.comeBack.push(rs);
    }
    rs.delta = checkersWeightDelta(rs);
    vs.rs.set(rp.key, rs);
  }
  return vs;
}

/** keepalived migrate_checkers(): the new server takes the old one's state, checker by checker. */
function migrate(prev: RealServerRt, rs: RealServerRt, res: CheckerReloadResult, registry: CheckerRegistry): void {
  rs.alive = prev.alive;
  const unused = [...prev.checkers];
  const pairs: { cp: CheckerPlan; old?: CheckerRt }[] = rs.plan.checkers.map((cp) => {
    const i = unused.findIndex((o) => o.plan.identity === cp.identity);
    return { cp, old: i >= 0 ? unused.splice(i, 1)[0] : undefined };
  });
  for (const o of unused) registry.drop(o);
  res.removed += unused.length;
  const snaps = pairs.map(({ cp, old }) => carriedSnapshot(cp, old));
  const failed = snaps.filter((s) => s && s.hasRun && !s.isUp).length;
  const anyRun = snaps.some((s) => s?.hasRun);
  // "If a checker has failed, set new alpha checkers to be down until they have run."
  const pessimistic = failed > 0 || (!prev.alive && !anyRun);
  pairs.forEach(({ cp, old }, i) => {
    if (old && old.plan.timing === cp.timing) {
      // Unchanged: the runner goes on as it was.
      registry.adopt(rs, old);
      rs.checkers.push(old);
      res.kept++;
      return;
    }
    const s = snaps[i];
    let snap: CheckerSnapshot;
    if (s && s.hasRun) snap = s;
    else if (pessimistic) snap = { isUp: !cp.cfg.alpha, hasRun: false, retryIt: cp.cfg.retry, weightDelta: s?.weightDelta ?? 0 };
    else snap = { isUp: true, hasRun: false, retryIt: 0, weightDelta: s?.weightDelta ?? 0 };
    rs.checkers.push(registry.create(rs, cp, snap));
    if (old) {
      registry.drop(old);
      res.migrated++;
    } else res.added++;
  });
  rs.numFailed = countFailed(rs);
}

/** The old checker's state as the new one starts from it (undefined: no old checker). */
function carriedSnapshot(cp: CheckerPlan, old: CheckerRt | undefined): CheckerSnapshot | undefined {
  if (!old) return undefined;
  const s = old.runner.snapshot(old.id)!;
  if (old.plan.timing === cp.timing) return s;
  // "If we have already had sufficient retries for the new retry value, ... just require one more failure".
  const retryIt = s.retryIt && cp.cfg.retry ? Math.min(s.retryIt, cp.cfg.retry - 1) : 0;
  return { ...s, retryIt };
}
