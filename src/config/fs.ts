/**
 * The Node.js implementation of {@link ConfigFs}: reads files and expands
 * include globs (`*`, `?`, `[...]` per path segment, results sorted like glob(3)).
 */
import * as fs from 'node:fs';
import type { ConfigFs } from './preprocess';

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) { re += '\\['; continue; }
      let body = seg.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

const hasMagic = (s: string): boolean => /[*?[]/.test(s);

function expand(base: string, segs: string[]): string[] {
  if (segs.length === 0) return [base];
  const [seg, ...rest] = segs;
  const join = (name: string): string => (base === '/' ? '/' + name : base + '/' + name);
  if (!hasMagic(seg)) {
    const p = join(seg);
    if (rest.length === 0) return fs.existsSync(p) ? [p] : [];
    return expand(p, rest);
  }
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return [];
  }
  const re = segmentRegex(seg);
  const out: string[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.') && !seg.startsWith('.')) continue;
    if (re.test(n)) out.push(...expand(join(n), rest));
  }
  return out;
}

/** Glob an absolute or relative pattern; only regular files are returned. */
export function globFiles(pattern: string): string[] {
  const abs = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s) => s.length > 0);
  const found = expand(abs ? '/' : '.', segs).map((p) => (abs ? p : p.replace(/^\.\//, '')));
  return found.filter((p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

export const nodeConfigFs: ConfigFs = {
  readFile(path) {
    try {
      return fs.readFileSync(path, 'utf8');
    } catch (e) {
      return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
    }
  },
  glob: globFiles,
  realpath(path) {
    try {
      return fs.realpathSync(path);
    } catch {
      return path;
    }
  },
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
  const names = Object.keys(files).sort();
  return {
    readFile: (p) => (p in files ? files[p] : { error: 'ENOENT' }),
    glob: (pattern) => {
      const norm = pattern.startsWith('/') ? normalizeAbs(pattern) : pattern;
      const re = new RegExp('^' + norm.split('/').map((s) => segmentRegex(s).source.slice(1, -1)).join('/') + '$');
      return names.filter((n) => re.test(n));
    },
    realpath: (p) => p,
  };
}
