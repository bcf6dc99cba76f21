/**
 * What a soak run (./soak.ts) means: split-brain and no-master moments
 * beyond the bound, heal times by fault kind, resource slopes, leak
 * comparisons, CPU during floods. Pure functions of the SoakResult, shared by
 * the benchmark's tables and the test's assertions.
 */
import { percentile } from '../../../bench/lib';
import { bare, EXTRA_VIP, INSTANCES } from './soak-scenario';
import type { EpisodeRecord, FaultKind, ProcessSample, ResourceSample, Role, SoakResult } from './soak';

export interface Moment {
  instance: string;
  vip: string;
  /** split: on two or more hosts; none: on no host; stale: a VIP not configured, on some host. */
  kind: 'split' | 'none' | 'stale';
  from: number;
  to: number;
  holders: number[];
  /** The part of the moment outside every window in which the faults allow it (ms). */
  beyondMs: number;
}

export interface VipAnalysis {
  /** Every moment (inside a fault's window or not). */
  moments: Moment[];
  /** Moments that last beyond their window: each one is a failure. */
  beyond: Moment[];
  /** VIP adds/deletes outside every window: the VIP moved with no fault to explain it. */
  spuriousMoves: { t: number; host: number; address: string; added: boolean }[];
}

type Window = [number, number];

/** The windows per instance in which the faults allow anything: start-up, and each episode's (none for floods). */
export function allowedWindows(r: SoakResult): Record<string, Window[]> {
  const out: Record<string, Window[]> = {};
  for (const i of INSTANCES) {
    const s = r.startup.instances.find((x) => x.name === i.name)!;
    out[i.name] = [[r.startedAt, r.startup.t0 + r.startup.startMs + s.boundMs], ...r.episodes.flatMap((e) => e.windows[i.name] ?? [])];
  }
  return out;
}

/** Length of [from, to] not covered by `windows`. */
function outside(from: number, to: number, windows: Window[]): number {
  const cut = windows.filter(([a, b]) => b > from && a < to).sort((x, y) => x[0] - y[0]);
  let t = from;
  let out = 0;
  for (const [a, b] of cut) {
    if (a > t) out += a - t;
    t = Math.max(t, b);
    if (t >= to) break;
  }
  if (t < to) out += to - t;
  return out;
}

const inside = (t: number, windows: Window[]) => windows.some(([a, b]) => t >= a && t <= b);

/**
 * Replays every address event of every VIP between the start and the end of
 * the run: a VIP of an instance must be on exactly one host, the extra VIP
 * (configured only inside reload-vip episodes, which are windows) on none,
 * except inside the windows.
 */
export function analyseVips(r: SoakResult): VipAnalysis {
  const windows = allowedWindows(r);
  const moments: Moment[] = [];
  const spuriousMoves: VipAnalysis['spuriousMoves'] = [];
  const watched = INSTANCES.flatMap((i) => [...i.vips.map((v) => ({ i: i.name, vip: bare(v), extra: false }))]).concat([
    { i: 'VI_SLOW', vip: bare(EXTRA_VIP), extra: true },
  ]);
  for (const w of watched) {
    const win = windows[w.i];
    const evs = r.addrEvents.filter((e) => e.address === w.vip && e.t <= r.runEndedAt).sort((a, b) => a.t - b.t);
    for (const e of evs) if (!inside(e.t, win)) spuriousMoves.push(e);
    const on = new Set<number>();
    let t = r.startedAt;
    let open: Moment | undefined;
    const close = (at: number) => {
      if (!open) return;
      open.to = at;
      open.beyondMs = Math.round(outside(open.from, open.to, win) * 10) / 10;
      moments.push(open);
      open = undefined;
    };
    const judge = (at: number) => {
      const n = on.size;
      const kind: Moment['kind'] | undefined = w.extra ? (n > 0 ? 'stale' : undefined) : n > 1 ? 'split' : n === 0 ? 'none' : undefined;
      const holders = [...on].sort();
      if (open && (open.kind !== kind || open.holders.join() !== holders.join())) close(at);
      if (kind && !open) open = { instance: w.i, vip: w.vip, kind, from: at, to: at, holders, beyondMs: 0 };
    };
    judge(t);
    for (const e of evs) {
      t = e.t;
      if (e.added) on.add(e.host);
      else on.delete(e.host);
      judge(t);
    }
    close(r.runEndedAt);
  }
  return { moments, beyond: moments.filter((m) => m.beyondMs > 0), spuriousMoves };
}

export interface KindSummary {
  kind: FaultKind | 'start-up';
  count: number;
  /** Per episode, the slowest instance (ms from the heal's start of the bound). */
  heal: number[];
  reaction: number[];
  /** Per episode, the largest heal / bound ratio. */
  worstRatio: number;
  violations: number;
  /** restart (crash, vrrp-kill), reload or detection times (ms). */
  extra: number[];
}

function slowest(c: EpisodeRecord['heal'] | undefined): number | undefined {
  if (!c) return undefined;
  if (c.instances.some((i) => i.ms === null)) return Infinity;
  return Math.max(...c.instances.map((i) => i.ms!));
}

export function byKind(r: SoakResult): KindSummary[] {
  const kinds = [...new Set(r.episodes.map((e) => e.plan.kind))];
  return kinds.map((kind) => {
    const eps = r.episodes.filter((e) => e.plan.kind === kind);
    const ratios = eps.flatMap((e) => [e.heal, e.reaction].filter((c) => c).flatMap((c) => c!.instances.map((i) => (i.ms === null ? Infinity : i.ms / i.boundMs))));
    return {
      kind,
      count: eps.length,
      heal: eps.map((e) => slowest(e.heal)!).filter((x) => x !== undefined),
      reaction: eps.map((e) => slowest(e.reaction)).filter((x): x is number => x !== undefined),
      worstRatio: ratios.length ? Math.max(...ratios) : 0,
      violations: eps.filter((e) => !e.heal.ok || (e.reaction && !e.reaction.ok)).length,
      extra: eps.flatMap((e) => (e.restartMs !== undefined ? [e.restartMs] : e.reloadMs ?? e.detectMs ?? [])),
    };
  });
}

export function dist(xs: number[]): { n: number; median: number; p99: number; max: number } {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { n: xs.length, median: percentile(s, 50), p99: percentile(s, 99), max: xs.some((x) => !Number.isFinite(x)) ? Infinity : s[s.length - 1] ?? NaN };
}

export interface SlopeRow {
  host: number;
  role: Role;
  pid: number;
  fromMs: number;
  toMs: number;
  n: number;
  rssStartKb: number;
  rssEndKb: number;
  rssSlopeKbPerH: number;
  /** RSS slope over the second half of the process's life after the warm-up: a leak keeps its slope, a warm-up flattens. */
  rssLateSlopeKbPerH: number;
  /**
   * heapUsed just after each major collection the process reported: the first
   * and last, the slope, and how many collections; undefined when there were
   * fewer than 2. (heapUsed between collections also holds garbage V8 has not
   * collected yet, for minutes: its slope cannot tell a leak.)
   */
  live?: { startKb: number; endKb: number; slopeKbPerH: number; collections: number };
}

/** The heap after each major collection: one point per collection the samples saw. */
function afterMajorGcs(xs: ResourceSample[]): SlopeRow['live'] {
  const pts: [number, number][] = [];
  let seen = -1;
  for (const s of xs) {
    if (s.heapAfterMajorGcKb === undefined || s.majorGcs === undefined || s.majorGcs === seen) continue;
    seen = s.majorGcs;
    pts.push([s.t, s.heapAfterMajorGcKb]);
  }
  if (pts.length < 2) return undefined;
  return {
    startKb: pts[0][1],
    endKb: pts[pts.length - 1][1],
    slopeKbPerH: slope(pts.map((p) => (p[0] - pts[0][0]) / 3_600_000), pts.map((p) => p[1])),
    collections: pts.length,
  };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let k = 0; k < n; k++) {
    num += (xs[k] - mx) * (ys[k] - my);
    den += (xs[k] - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * RSS and heap over each process's life (host, role, pid), after its first
 * `warmupMs` (V8 grows its heap and code space for the first minutes): the
 * means of its first and last three samples and the least-squares slope.
 */
export function resourceSlopes(samples: ResourceSample[], warmupMs: number): SlopeRow[] {
  const groups = new Map<string, ResourceSample[]>();
  for (const s of samples) {
    const k = `${s.host}/${s.role}/${s.pid}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(s);
  }
  const rows: SlopeRow[] = [];
  for (const g of groups.values()) {
    const t0 = g[0].t;
    const xs = g.filter((s) => s.t - t0 >= warmupMs);
    if (xs.length < 4) continue;
    const hours = xs.map((s) => (s.t - xs[0].t) / 3_600_000);
    const half = Math.floor(xs.length / 2);
    const late = xs.slice(half);
    rows.push({
      host: g[0].host,
      role: g[0].role,
      pid: g[0].pid,
      fromMs: xs[0].t,
      toMs: xs[xs.length - 1].t,
      n: xs.length,
      rssStartKb: mean(xs.slice(0, 3).map((s) => s.rssKb)),
      rssEndKb: mean(xs.slice(-3).map((s) => s.rssKb)),
      rssSlopeKbPerH: slope(hours, xs.map((s) => s.rssKb)),
      rssLateSlopeKbPerH: slope(hours.slice(half), late.map((s) => s.rssKb)),
      live: afterMajorGcs(xs),
    });
  }
  return rows.sort((a, b) => a.host - b.host || a.role.localeCompare(b.role) || a.fromMs - b.fromMs);
}

/** The longest-lived process of each (host, role). */
export function longestLived(rows: SlopeRow[]): SlopeRow[] {
  const best = new Map<string, SlopeRow>();
  for (const r of rows) {
    const k = `${r.host}/${r.role}`;
    const b = best.get(k);
    if (!b || r.toMs - r.fromMs > b.toMs - b.fromMs) best.set(k, r);
  }
  return [...best.values()];
}

export interface LeakRow {
  host: number;
  role: Role;
  samePid: boolean;
  fds: [number, number];
  /** The most fds the process of this host and role had at any quiet check. */
  fdsMax: number;
  children: [number, number];
  /** Handle types whose count differs: [first, last]. */
  handles: Record<string, [number, number]>;
}

/** The baseline after the start-up against the last quiet period, per host and role (same configuration and states at both). */
export function leakRows(r: SoakResult): LeakRow[] {
  const quiet = r.episodes.filter((e) => e.quiet).map((e) => e.quiet!);
  if (quiet.length < 1) return [];
  const first = r.baseline ?? quiet[0].resources;
  const last = quiet[quiet.length - 1].resources;
  const rows: LeakRow[] = [];
  for (const h of Object.keys(first).map(Number)) {
    for (const role of ['main', 'vrrp', 'checker'] as Role[]) {
      const a: ProcessSample | undefined = first[h]?.[role];
      const b: ProcessSample | undefined = last[h]?.[role];
      if (!a || !b) continue;
      const handles: Record<string, [number, number]> = {};
      for (const k of new Set([...Object.keys(a.handles), ...Object.keys(b.handles)])) {
        if ((a.handles[k] ?? 0) !== (b.handles[k] ?? 0)) handles[k] = [a.handles[k] ?? 0, b.handles[k] ?? 0];
      }
      const fdsMax = Math.max(...quiet.map((q) => q.resources[h]?.[role]?.fds ?? 0));
      rows.push({ host: h, role, samePid: a.pid === b.pid, fds: [a.fds, b.fds], fdsMax, children: [a.children, b.children], handles });
    }
  }
  return rows;
}

export interface CpuSummary {
  /** VRRP process CPU % of one core, each host and flood. */
  flood: number[];
  /** The same over the quiet periods. */
  quiet: number[];
  sender: number[];
}

export function cpuSummary(r: SoakResult): CpuSummary {
  const flood = r.episodes.flatMap((e) => (e.flood ? Object.values(e.flood.vrrpCpuPct) : []));
  const quiet = r.episodes.flatMap((e) => (e.quiet ? Object.values(e.quiet.vrrpCpuPct) : []));
  const sender = r.episodes.flatMap((e) => (e.flood ? [e.flood.senderCpuPct] : []));
  return { flood, quiet, sender };
}

/**
 * Floods whose packets are not all accounted for on a host: fewer counted
 * than sent, with the kernel's raw-socket drops not covering the
 * difference, or more counted than sent (counted twice). The kernel's drops
 * may also include legitimate adverts that arrived while the socket buffer
 * was full, so counted + kernel drops may exceed what was sent.
 */
export function floodUnaccounted(r: SoakResult): { episode: number; host: number; expected: number; counted: number; kernelDrops: number }[] {
  return r.episodes.flatMap((e) =>
    (e.flood?.hosts ?? [])
      .filter((h) => h.counted + h.kernelDrops < h.expected || h.counted > h.expected)
      .map((h) => ({ episode: e.n, host: h.host, expected: h.expected, counted: h.counted, kernelDrops: h.kernelDrops })),
  );
}
