/**
 * What the benchmarks share: /proc readings (CPU time, RSS, Pss), summary
 * statistics, tables, and the run's provenance (commit, keepalived version).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function readFileOr(file: string, dflt = ''): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return dflt;
  }
}

/** Median and friends; percentiles by linear interpolation between closest ranks. */
export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const r = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    median: percentile(s, 50),
    p90: percentile(s, 90),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}

export const r1 = (x: number): number => Math.round(x * 10) / 10;
export const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Whole-machine CPU busy fraction over a window, from /proc/stat (noise indicator). */
export function cpuTotals(): { busy: number; total: number } {
  const f = readFileOr('/proc/stat').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
export function busyPct(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : NaN;
}

export function log(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

export const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function cpuTicks(pid: number): number {
  const s = readFileOr(`/proc/${pid}/stat`);
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // Fields after the comm start at field 3 (state): utime is field 14, stime 15.
  return Number(f[11]) + Number(f[12]);
}

/** On-CPU time (ns) of every thread of the process: schedstat's first field, summed. */
export function cpuNs(pid: number): number {
  let sum = 0;
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return NaN;
  }
  for (const t of tids) sum += Number(readFileOr(`/proc/${pid}/task/${t}/schedstat`, '0').split(' ')[0]) || 0;
  return sum;
}

export function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileOr(`/proc/${pid}/status`));
  return m ? Number(m[1]) : NaN;
}

export function pssKb(pid: number): number {
  const m = /^Pss:\s+(\d+)/m.exec(readFileOr(`/proc/${pid}/smaps_rollup`));
  return m ? Number(m[1]) : NaN;
}

export function fmt(x: number, d = 1): string {
  return Number.isFinite(x) ? x.toFixed(d) : '-';
}
export const mb = (kb: number): string => fmt(kb / 1024, 1);

export function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

export function mdTable(rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.slice(1).map(line)].join('\n');
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** `keepalived --version` prints to stderr. */
export function keepalivedVersion(): string {
  const r = spawnSync('keepalived', ['--version'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim() || 'unknown';
}

/**
 * CPU time (user + system) of the calling thread in ms, from
 * /proc/thread-self/stat (10 ms steps), or undefined off Linux. Sync fs
 * calls run on the calling thread, so in a worker this is the worker's.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; f[0] is field 3.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Walks a bench's command line: `on(arg, value)` for each argument, where
 * value() takes the next one as the argument's value (an error if missing).
 */
export function eachArg(argv: string[], on: (arg: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    on(a, () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    });
  }
}
