/**
 * What a process of the daemon holds, for leak checks (bench/soak) and
 * operators: open file descriptors, child processes, libuv handles and
 * requests by type (timers, sockets, ...), memory.
 */
import * as fs from 'node:fs';
import { constants as perf, PerformanceObserver } from 'node:perf_hooks';

export interface ProcessResources {
  pid: number;
  fds: number;
  /** Child processes (not threads) running now. */
  children: number;
  /** process.getActiveResourcesInfo() counted by type, e.g. { Timeout: 3, FSReqCallback: 0 }. */
  handles: Record<string, number>;
  rssKb: number;
  heapUsedKb: number;
  /**
   * heapUsed just after the latest major (mark-compact) collection: about what
   * is live. heapUsed alone includes the garbage V8 has not collected yet,
   * which can climb for many minutes before a major collection. Watched from
   * the first resources request on; absent until a major collection happened.
   */
  heapAfterMajorGcKb?: number;
  /** Major collections since the first resources request. */
  majorGcs?: number;
}

interface MajorGcWatch {
  majors: number;
  heapKb?: number;
}

let gcWatch: MajorGcWatch | undefined;

/** Starts watching major collections once (only a process whose resources are asked for pays for it). */
function majorGcWatch(): MajorGcWatch {
  if (gcWatch) return gcWatch;
  const w: MajorGcWatch = { majors: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind !== perf.NODE_PERFORMANCE_GC_MAJOR) continue;
      w.majors++;
      w.heapKb = Math.round(process.memoryUsage().heapUsed / 1024);
    }
  }).observe({ entryTypes: ['gc'] });
  gcWatch = w;
  return w;
}

export function processResources(): ProcessResources {
  const handles: Record<string, number> = {};
  for (const t of process.getActiveResourcesInfo()) handles[t] = (handles[t] ?? 0) + 1;
  let fds = -1;
  let children = 0;
  try {
    fds = fs.readdirSync('/proc/self/fd').length;
    for (const t of fs.readdirSync('/proc/self/task')) {
      const c = fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim();
      if (c) children += c.split(/\s+/).length;
    }
  } catch {
    /* not Linux */
  }
  const m = process.memoryUsage();
  const gc = majorGcWatch();
  return {
    pid: process.pid, fds, children, handles, rssKb: Math.round(m.rss / 1024), heapUsedKb: Math.round(m.heapUsed / 1024),
    ...(gc.heapKb === undefined ? {} : { heapAfterMajorGcKb: gc.heapKb }), majorGcs: gc.majors,
  };
}
