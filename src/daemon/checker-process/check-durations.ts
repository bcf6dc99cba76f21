/**
 * How long each checker's probes take: a cumulative histogram per checker
 * (Prometheus's shape: counts of runs at or under each bound, a sum and a
 * count) and the last run, carried in the checker process's status so the
 * main process can export keepalived_ts_check_duration_seconds. A probe cut
 * by its timeout counts with the time it took to give up.
 */
import type { ProbePort } from '../../check/types';

/** Upper bounds in ms (Prometheus's defaults, from 5 ms to 10 s). */
export const CHECK_DURATION_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface CheckDurationsView {
  bucketsMs: readonly number[];
  /** counts[i]: runs that took at most bucketsMs[i] (cumulative, as Prometheus's `le`). */
  counts: number[];
  count: number;
  sumMs: number;
}

export class CheckDurations {
  private readonly counts = CHECK_DURATION_BUCKETS_MS.map(() => 0);
  private count = 0;
  private sumMs = 0;
  /** The last completed run's duration (undefined before the first). */
  lastMs: number | undefined;

  record(ms: number): void {
    const d = Math.max(0, Math.round(ms * 1000) / 1000);
    this.lastMs = d;
    this.count++;
    this.sumMs += d;
    CHECK_DURATION_BUCKETS_MS.forEach((b, i) => {
      if (d <= b) this.counts[i]++;
    });
  }

  view(): CheckDurationsView {
    return { bucketsMs: CHECK_DURATION_BUCKETS_MS, counts: [...this.counts], count: this.count, sumMs: Math.round(this.sumMs * 1000) / 1000 };
  }
}

/** The probe, timed into `d` (`now` in ms, monotonic). */
export function timedProbe(probe: ProbePort, d: CheckDurations, now: () => number): ProbePort {
  return (spec, opts) => {
    const t0 = now();
    const done = <T>(r: T): T => {
      d.record(now() - t0);
      return r;
    };
    let out: ReturnType<ProbePort>;
    try {
      out = probe(spec, opts);
    } catch (e) {
      done(undefined);
      throw e;
    }
    return out instanceof Promise ? out.then(done, (e: unknown) => Promise.reject(done(e))) : done(out);
  };
}
