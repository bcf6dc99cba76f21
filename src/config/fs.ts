/**
 * The Node.js implementation of {@link ConfigFs} (reads files, expands
 * include globs with glob.ts), and an in-memory one for tests and fuzzing
 * that expands globs the same way over its own file map.
 */
import * as fs from 'node:fs';
import { DEFAULT_LIMITS } from './budget';
import { glob, newGlobWork, type GlobHost, type GlobWork } from './glob';
import type { ConfigFs } from './preprocess';

/** A budget for a glob made outside the preprocessor (it passes the configuration's own). */
function defaultWork(): GlobWork {
  return newGlobWork(DEFAULT_LIMITS.globWork, DEFAULT_LIMITS.globPatternLength, DEFAULT_LIMITS.globAlternatives);
}

/** `f()`, or `otherwise` when it throws (a file system question whose failure is its answer). */
function attempt<T>(f: () => T, otherwise: T): T {
  try {
    return f();
  } catch {
    return otherwise;
  }
}

const nodeHost: GlobHost = {
  readdir: (dir) => attempt<string[] | undefined>(() => fs.readdirSync(dir), undefined),
  exists: (p) => fs.existsSync(p),
};

/** Glob an absolute or relative pattern; only regular files are returned. */
export function globFiles(pattern: string, work: GlobWork = defaultWork()): string[] {
  return glob(pattern, nodeHost, work).filter((p) => attempt(() => fs.statSync(p).isFile(), false));
}

export const nodeConfigFs: ConfigFs = {
  readFile(path, maxChars = Infinity) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(path, 'r');
      const st = fs.fstatSync(fd);
      // Only a regular file (keepalived check_glob_file()): reading /dev/zero or a FIFO would never end.
      if (st.isDirectory()) return { error: 'EISDIR' };
      if (!st.isFile()) return { error: 'not a regular file' };
      // A UTF-8 file has at least as many bytes as characters.
      if (st.size > maxChars) return { error: `larger than ${maxChars} bytes`, tooLarge: true };
      return fs.readFileSync(fd, 'utf8');
    } catch (e) {
      return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  },
  glob: globFiles,
  realpath: (path) => attempt(() => fs.realpathSync(path), path),
};

/** Resolve `.` and `..` segments of an absolute path (as the kernel would, without symlinks). */
function normalizeAbs(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

/** A ConfigFs over an in-memory map of absolute paths (tests, fuzzing). */
export function memoryConfigFs(files: Record<string, string>): ConfigFs {
  // Directory → entry names, implied by the file paths.
  const dirs = new Map<string, Set<string>>();
  for (const f of Object.keys(files)) {
    let p = f;
    for (let i = p.lastIndexOf('/'); i >= 0; i = p.lastIndexOf('/')) {
      const dir = i === 0 ? '/' : p.slice(0, i);
      let names = dirs.get(dir);
      if (!names) dirs.set(dir, (names = new Set()));
      names.add(p.slice(i + 1));
      if (i === 0) break;
      p = dir;
    }
  }
  // Paths may name `..` (as glob(3) returns them); the map is looked up with them resolved.
  const norm = (p: string): string => (p.startsWith('/') ? normalizeAbs(p) : p);
  const isFile = (p: string): boolean => !p.endsWith('/') && Object.prototype.hasOwnProperty.call(files, norm(p));
  const host: GlobHost = {
    readdir: (d) => {
      const names = dirs.get(norm(d));
      return names ? [...names] : undefined;
    },
    exists: (p) => isFile(p) || dirs.has(norm(p)),
  };
  return {
    readFile: (p, maxChars = Infinity) => {
      if (!isFile(p)) return { error: 'ENOENT' };
      const text = files[norm(p)];
      return text.length > maxChars ? { error: `larger than ${maxChars} characters`, tooLarge: true } : text;
    },
    glob: (pattern, work = defaultWork()) => glob(pattern, host, work).filter(isFile),
    realpath: norm,
  };
}
