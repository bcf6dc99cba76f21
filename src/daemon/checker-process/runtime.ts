/**
 * The checker service's runtime state, shared by its parts (checkers.ts the
 * coordinator, migration.ts, notifications.ts, checker-status.ts): per
 * virtual server its real servers, per real server its checkers, as
 * keepalived's virtual_server_t / real_server_t / checker_t.
 */
import type { CheckRunner } from '../../check/runner';
import type { CheckDurations } from './check-durations';
import type { CheckerPlan, RealServerPlan, VirtualServerPlan } from './checker-plan';

export interface CheckerRt {
  id: string;
  plan: CheckerPlan;
  runner: CheckRunner;
  started: boolean;
  durations: CheckDurations;
}

export interface RealServerRt {
  plan: RealServerPlan;
  vs: VirtualServerRt;
  checkers: CheckerRt[];
  /** keepalived's num_failed_checkers. */
  numFailed: number;
  alive: boolean;
  /** Dynamic weight contributions (misc_dynamic, FILE_CHECK). */
  delta: number;
}

export interface VirtualServerRt {
  plan: VirtualServerPlan;
  rs: Map<string, RealServerRt>;
}

/** Why a real server event is reported: which checker type (mail body), or none. */
export type Cause = { kind: 'checker'; type: string; detail: string } | { kind: 'initial' } | { kind: 'other' };

export interface CheckerReloadResult {
  /** Checkers kept running as they were. */
  kept: number;
  /** Checkers whose settings changed, started from the old checker's state. */
  migrated: number;
  added: number;
  removed: number;
}

export function* allRealServers(vss: ReadonlyMap<string, VirtualServerRt>): Iterable<RealServerRt> {
  for (const vs of vss.values()) yield* vs.rs.values();
}

/** The real server's dynamic weight: the sum of its checkers' contributions. */
export function checkersWeightDelta(rs: RealServerRt): number {
  return rs.checkers.reduce((s, c) => s + c.runner.rsWeightDelta(rs.vs.plan.key, rs.plan.key), 0);
}

/** keepalived's num_failed_checkers, counted afresh. */
export function countFailed(rs: RealServerRt): number {
  return rs.checkers.filter((c) => !c.runner.snapshot(c.id)!.isUp).length;
}
