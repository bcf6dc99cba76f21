/**
 * What a process of the daemon holds, for leak checks (bench/soak) and
 * operators: open file descriptors, child processes, libuv handles and
 * requests by type (timers, sockets, ...), memory.
 */
import * as fs from 'node:fs';

export interface ProcessResources {
  pid: number;
  fds: number;
  /** Child processes (not threads) running now. */
  children: number;
  /** process.getActiveResourcesInfo() counted by type, e.g. { Timeout: 3, FSReqCallback: 0 }. */
  handles: Record<string, number>;
  rssKb: number;
  heapUsedKb: number;
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
  return { pid: process.pid, fds, children, handles, rssKb: Math.round(m.rss / 1024), heapUsedKb: Math.round(m.heapUsed / 1024) };
}
