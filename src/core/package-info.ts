/**
 * What the installed package says of itself: its version (package.json) and,
 * when it runs from a git checkout, the commit. Both read from files (no
 * process is spawned); a missing file gives the default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package root (this file is dist/src/core/package-info.js). */
export const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..');

export function packageVersion(root = PACKAGE_ROOT): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0'; // the package file is optional at run time
  }
}

/** The commit HEAD names in `root`/.git (a loose or packed ref, or a detached HEAD), else 'unknown'. */
export function gitCommit(root = PACKAGE_ROOT): string {
  const gitDir = path.join(root, '.git');
  try {
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (\S+)$/.exec(head)?.[1];
    if (!ref) return 'unknown';
    const file = path.join(gitDir, ref);
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
    const packed = fs.readFileSync(path.join(gitDir, 'packed-refs'), 'utf8');
    return packed.split('\n').find((l) => l.endsWith(` ${ref}`))?.slice(0, 40) ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
