/**
 * Scheduling of the child processes, with keepalived's keywords:
 * `vrrp_rt_priority` / `checker_rt_priority` (realtime round-robin 1..99),
 * `vrrp_priority` / `checker_priority` (nice -20..19), `*_no_swap`
 * (mlockall), `*_cpu_affinity` (CPU list) and `*_rlimit_rttime` (µs of CPU
 * a realtime process may use between blocking system calls).
 *
 * keepalived-ts differs on purpose in one default: when neither
 * `vrrp_rt_priority` nor `vrrp_priority` is set, the VRRP process runs
 * realtime round-robin at priority 1. A Node process needs more than
 * keepalived's C loop to keep 10-50 ms advert deadlines on a loaded host
 * (its garbage collector has helper threads; measured in
 * bench/timing-under-load: at normal priority a saturated 2-core host
 * delayed adverts by up to 88 ms and caused false takeovers; at nice -10,
 * 33 ms; realtime: 15 ms). keepalived documents the same remedy for the
 * same symptom (`vrrp_rt_priority`, `max_auto_priority`). The policy is set
 * with SCHED_RESET_ON_FORK: processes and threads started later (ip, nft)
 * run at normal priority. With realtime scheduling RLIMIT_RTTIME is set
 * (default 1 s here, keepalived 10 ms: a runaway loop is stopped, and the
 * main process starts the VRRP process again).
 */
import * as fs from 'node:fs';
import type { GlobalConfig } from '../config/model';
import type { Logger } from '../core/log';
import type { KtsNative } from '../native';
import type { ChildRole } from './protocol';

export interface Tuning {
  /** SCHED_RR priority 1..99. */
  rtPriority?: number;
  /** Nice value -20..19 (normal scheduling). */
  nice?: number;
  noSwap: boolean;
  cpus?: number[];
  /** RLIMIT_RTTIME in µs (with rtPriority). */
  rttimeUs?: number;
}

export const DEFAULT_VRRP_RT_PRIORITY = 1;
export const DEFAULT_RTTIME_US = 1_000_000;

/** The tuning the configuration asks for (keepalived's keywords), with ours for an unset VRRP priority. */
export function tuningFor(role: ChildRole, g: Pick<GlobalConfig, 'other'>): { tuning: Tuning; warnings: string[] } {
  const warnings: string[] = [];
  const int = (key: string, min: number, max: number): number | undefined => {
    const v = g.other[`${role}_${key}`];
    if (v === undefined) return undefined;
    const n = Number(v[0]);
    if (!Number.isInteger(n) || n < min || n > max) {
      warnings.push(`${role}_${key} ${v.join(' ')}: not an integer in ${min}..${max} - ignored`);
      return undefined;
    }
    return n;
  };
  const rt = int('rt_priority', 1, 99);
  const nice = int('priority', -20, 19);
  const rttime = int('rlimit_rttime', 2, 2 ** 31) ?? int('rlimit_rtime', 2, 2 ** 31);
  const aff = g.other[`${role}_cpu_affinity`];
  let cpus: number[] | undefined;
  if (aff) {
    const list = aff.map(Number);
    if (list.length && list.every((c) => Number.isInteger(c) && c >= 0 && c < 1024)) cpus = list;
    else warnings.push(`${role}_cpu_affinity ${aff.join(' ')}: not a list of CPU numbers - ignored`);
  }
  const tuning: Tuning = { noSwap: g.other[`${role}_no_swap`] !== undefined, cpus, nice };
  if (rt !== undefined) tuning.rtPriority = rt;
  else if (role === 'vrrp' && nice === undefined) tuning.rtPriority = DEFAULT_VRRP_RT_PRIORITY;
  if (tuning.rtPriority !== undefined) tuning.rttimeUs = rttime ?? DEFAULT_RTTIME_US;
  return { tuning, warnings };
}

/** Apply to every thread of this process (V8's garbage collector threads wait on each other). Failures are logged, never fatal. */
export function applyTuning(native: KtsNative, t: Tuning, log: Logger, role: ChildRole): void {
  const tids = fs.readdirSync('/proc/self/task').map(Number);
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      log.warn(`${role} process: cannot set ${what}: ${(e as Error).message}`);
    }
  };
  if (t.rttimeUs !== undefined) attempt(`RLIMIT_RTTIME ${t.rttimeUs}`, () => native.setRttimeLimit(t.rttimeUs!));
  if (t.rtPriority !== undefined) attempt(`realtime priority ${t.rtPriority}`, () => tids.forEach((tid) => native.setScheduler(tid, 2, t.rtPriority!)));
  if (t.nice !== undefined) attempt(`priority ${t.nice}`, () => tids.forEach((tid) => native.setNice(tid, t.nice!)));
  if (t.cpus) attempt(`CPU affinity ${t.cpus.join(' ')}`, () => tids.forEach((tid) => native.setAffinity(tid, t.cpus!)));
  if (t.noSwap) attempt('no_swap', () => native.lockMemory());
  const parts = [
    t.rtPriority !== undefined ? `realtime priority ${t.rtPriority}` : undefined,
    t.nice !== undefined ? `nice ${t.nice}` : undefined,
    t.cpus ? `CPUs ${t.cpus.join(',')}` : undefined,
    t.noSwap ? 'locked in memory' : undefined,
  ].filter(Boolean);
  if (parts.length) log.debug(`${role} process: ${parts.join(', ')}`);
}
