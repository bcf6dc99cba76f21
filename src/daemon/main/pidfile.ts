/** keepalived's pid files (-p main, -r VRRP child, -c checker child): written at start, removed only if still ours. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writePidFile(file: string, pid: number): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file: string, pid: number | undefined): void {
  try {
    if (file && fs.readFileSync(file, 'utf8').trim() === String(pid)) fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}
