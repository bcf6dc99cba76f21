/** Process trees as the machine sees them (from /proc/PID/task/TID/children). */
import * as fs from 'node:fs';

/** `pid` and every process below it, parents before children. */
export function descendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let kids: number[] = [];
    try {
      kids = fs.readdirSync(`/proc/${out[i]}/task`).flatMap((t) =>
        fs.readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* gone */
    }
    out.push(...kids);
  }
  return out;
}

/** SIGKILL `pid` and its descendants, deepest first (a host that loses power sends nothing more); returns them. */
export function killTree(pid: number): number[] {
  const tree = descendants(pid);
  for (const p of [...tree].reverse()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  return tree;
}
