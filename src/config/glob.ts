/**
 * Include patterns as keepalived expands them: glob(3) with GLOB_MARK |
 * GLOB_BRACE (keepalived 2.2.7 lib/parser.c open_and_check_glob()), i.e.
 *  - `{a,b}` alternatives (nested, `\` escapes), each alternative globbed in
 *    turn and its matches sorted, the lists concatenated in alternative order;
 *    a `{` without its `}` is an ordinary character;
 *  - per path segment, fnmatch(3) with FNM_PERIOD: `*`, `?`, `[...]` with
 *    ranges, `!`/`^` negation, `[:class:]` and `\` escapes; a `[` without its
 *    `]` is an ordinary character; a leading `.` is only matched by a `.`;
 *  - the matches of one pattern sorted as whole paths (strcmp order).
 *
 * No regular expression is ever built from the pattern, nothing recurses on
 * the pattern's shape, and every step is paid from a {@link GlobWork} budget,
 * so a hostile pattern costs at most that budget.
 */

/** A shared allowance of work; `exceeded` says which limit ran out. */
export interface GlobWork {
  /** Directory entries and matching steps still allowed. */
  left: number;
  /** Longest pattern accepted (PATH_MAX). */
  maxPattern: number;
  /** Most patterns one `{...}` expansion may produce. */
  maxAlternatives: number;
  exceeded?: string;
}

export function newGlobWork(steps: number, maxPattern: number, maxAlternatives: number): GlobWork {
  return { left: steps, maxPattern, maxAlternatives };
}

/** What the walker needs from a file system. */
export interface GlobHost {
  /** Entry names of a directory (without `.` and `..`), or undefined when it cannot be read. */
  readdir(dir: string): string[] | undefined;
  /** Whether a path names an existing entry. */
  exists(path: string): boolean;
}

/* --------------------------------- braces --------------------------------- */

/** glibc next_brace_sub(): index of the `,` or `}` ending the alternative at `i`, or -1. */
function nextBraceSub(p: string, i: number): number {
  let depth = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if ((c === '}' && depth-- === 0) || (c === ',' && depth === 0)) return i;
    if (c === '{') depth++;
    i++;
  }
  return -1;
}

/** First unescaped `{`, or -1. */
function firstBrace(p: string): number {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === '{') return i;
  }
  return -1;
}

/**
 * The brace-free patterns `{a,b}` expands to, in glob(3)'s order. An
 * unbalanced brace makes that pattern literal, braces and all (glibc
 * "illegal_brace": glob() again without GLOB_BRACE).
 * Iterative: a stack of partly expanded patterns, processed depth first.
 */
export function expandBraces(pattern: string, work: GlobWork): string[] {
  const out: string[] = [];
  const tooMany = `braces expand to more than ${work.maxAlternatives} patterns`;
  // Each entry: a pattern and the index from which braces are still to be expanded.
  const stack: Array<[string, number]> = [[pattern, 0]];
  while (stack.length > 0) {
    const [p, from] = stack.pop()!;
    const rel = firstBrace(p.slice(from));
    const begin = rel < 0 ? -1 : from + rel;
    // The `,` / `}` ending each alternative.
    const ends: number[] = [];
    let next = begin < 0 ? -1 : nextBraceSub(p, begin + 1);
    while (next >= 0) {
      work.left -= next - (ends.length ? ends[ends.length - 1] : begin);
      ends.push(next);
      if (p[next] === '}') break;
      next = nextBraceSub(p, next + 1);
    }
    if (work.left < 0) return fail(work, 'pattern too complex');
    if (next < 0) {
      // No brace, or an unbalanced one (glibc: then the whole pattern is literal).
      out.push(p);
      if (out.length > work.maxAlternatives) return fail(work, tooMany);
      continue;
    }
    if (ends.length + stack.length + out.length > work.maxAlternatives) return fail(work, tooMany);
    const head = p.slice(0, begin);
    const rest = p.slice(next + 1);
    // Pushed in reverse so the first alternative is expanded first.
    for (let k = ends.length - 1; k >= 0; k--) {
      const start = k === 0 ? begin + 1 : ends[k - 1] + 1;
      stack.push([head + p.slice(start, ends[k]) + rest, head.length]);
    }
  }
  return out;
}

/** Give up: `why` goes to `work.exceeded`; only running out of steps leaves the shared allowance spent. */
function fail(work: GlobWork, why: string): [] {
  work.exceeded ??= why;
  return [];
}

/* --------------------------------- segments -------------------------------- */

const enum Tok { Lit, Any, Star, Set }

/** One pattern element: a character, `?`, `*` or a bracket expression. */
type Token =
  | { t: Tok.Lit; c: number }
  | { t: Tok.Any }
  | { t: Tok.Star }
  | { t: Tok.Set; negate: boolean; ranges: number[]; classes: Array<(c: number) => boolean> };

const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => CLASSES.alpha(c) || CLASSES.digit(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  xdigit: (c) => CLASSES.digit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  cntrl: (c) => c < 32 || c === 127,
  print: (c) => c >= 32 && c < 127,
  graph: (c) => c > 32 && c < 127,
};

/** A compiled path segment. */
export interface Segment {
  tokens: Token[];
  /** The segment has a wildcard (otherwise it is a plain name). */
  magic: boolean;
  /** The plain name (escapes removed) when not magic. */
  literal: string;
  /** Starts with a literal `.`: also matches `.` and `..`, which readdir(3) lists. */
  dotted: boolean;
}

/**
 * Parse `[...]` starting at `open`; returns the token and the index after
 * `]`, or undefined when there is no closing `]` (the `[` is then literal).
 */
function parseSet(s: string, open: number, work: GlobWork): { tok: Token; end: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (s[i] === '!' || s[i] === '^') { negate = true; i++; }
  const ranges: number[] = [];
  const classes: Array<(c: number) => boolean> = [];
  let first = true;
  while (i < s.length) {
    work.left--;
    let c = s[i];
    if (c === ']' && !first) return { tok: { t: Tok.Set, negate, ranges, classes }, end: i + 1 };
    first = false;
    if (c === '[' && s[i + 1] === ':') {
      const close = s.indexOf(':]', i + 2);
      const name = close < 0 ? '' : s.slice(i + 2, close);
      const fn = Object.prototype.hasOwnProperty.call(CLASSES, name) ? CLASSES[name] : undefined;
      if (fn) {
        classes.push(fn);
        i = close + 2;
        continue;
      }
    }
    if (c === '\\' && i + 1 < s.length) c = s[++i];
    const lo = c.charCodeAt(0);
    let hi = lo;
    i++;
    if (s[i] === '-' && i + 1 < s.length && s[i + 1] !== ']') {
      let e = s[i + 1];
      i += 2;
      if (e === '\\' && i < s.length) e = s[i++];
      hi = e.charCodeAt(0);
    }
    // A reversed range (z-a) matches nothing, as in the C locale.
    if (lo <= hi) ranges.push(lo, hi);
  }
  return undefined;
}

/** Compile one segment (no `/` in it). Runs of `*` collapse to one. */
export function compileSegment(s: string, work: GlobWork): Segment {
  const tokens: Token[] = [];
  let magic = false;
  let literal = '';
  // Once a `[` has no closing `]`, no later one has either: they are all literal.
  let unclosedFrom = Infinity;
  for (let i = 0; i < s.length; i++) {
    work.left--;
    const c = s[i];
    if (c === '*') {
      magic = true;
      if (tokens.length === 0 || tokens[tokens.length - 1].t !== Tok.Star) tokens.push({ t: Tok.Star });
    } else if (c === '?') {
      magic = true;
      tokens.push({ t: Tok.Any });
    } else if (c === '[' && i < unclosedFrom) {
      const set = parseSet(s, i, work);
      if (set) {
        magic = true;
        tokens.push(set.tok);
        i = set.end - 1;
      } else {
        unclosedFrom = i;
        tokens.push({ t: Tok.Lit, c: 91 });
        literal += c;
      }
    } else {
      let ch = c;
      if (c === '\\' && i + 1 < s.length) ch = s[++i];
      tokens.push({ t: Tok.Lit, c: ch.charCodeAt(0) });
      literal += ch;
    }
  }
  const t0 = tokens[0];
  return { tokens, magic, literal, dotted: t0 !== undefined && t0.t === Tok.Lit && t0.c === 46 };
}

function setMatches(tok: Extract<Token, { t: Tok.Set }>, c: number, work: GlobWork): boolean {
  let hit = false;
  const r = tok.ranges;
  for (let k = 0; k < r.length && !hit; k += 2) hit = c >= r[k] && c <= r[k + 1];
  for (let k = 0; k < tok.classes.length && !hit; k++) hit = tok.classes[k](c);
  work.left -= 1 + (r.length >> 1) + tok.classes.length;
  return hit !== tok.negate;
}

/**
 * fnmatch(pattern, name, FNM_PERIOD) over a compiled segment. Iterative: on a
 * mismatch it only returns to the last `*`, so the cost is at most
 * name length x pattern length steps (paid from `work`).
 */
export function matchSegment(seg: Segment, name: string, work: GlobWork): boolean {
  const toks = seg.tokens;
  if (name.charCodeAt(0) === 46) {
    const t0 = toks[0];
    if (!t0 || t0.t !== Tok.Lit || t0.c !== 46) return false;
  }
  let ti = 0;
  let ni = 0;
  let starTi = -1;
  let starNi = 0;
  while (ni < name.length) {
    if (--work.left < 0) return false;
    const tok = toks[ti];
    if (tok !== undefined) {
      if (tok.t === Tok.Star) {
        starTi = ti++;
        starNi = ni;
        continue;
      }
      const c = name.charCodeAt(ni);
      if (tok.t === Tok.Any || (tok.t === Tok.Lit ? tok.c === c : setMatches(tok, c, work))) {
        ti++;
        ni++;
        continue;
      }
    }
    if (starTi < 0) return false;
    ti = starTi + 1;
    ni = ++starNi;
  }
  while (ti < toks.length && toks[ti].t === Tok.Star) ti++;
  return ti === toks.length;
}

/* ---------------------------------- paths ---------------------------------- */

/**
 * All paths matching `pattern` (absolute, or relative to the current
 * directory), in glob(3)'s order. Directories are included (the caller
 * drops what is not a regular file, as keepalived check_glob_file() does).
 * On an exhausted budget the result is empty and `work.exceeded` is set.
 */
export function glob(pattern: string, host: GlobHost, work: GlobWork): string[] {
  if (work.left < 0) return fail(work, 'glob budget spent');
  if (pattern.length > work.maxPattern) return fail(work, `pattern longer than ${work.maxPattern} characters`);
  const out: string[] = [];
  for (const p of expandBraces(pattern, work)) {
    const found = globOne(p, host, work);
    if (work.exceeded) return [];
    found.sort(byteOrder);
    for (const f of found) out.push(f);
  }
  return out;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One brace-free pattern: level by level over its segments (no recursion). */
function globOne(pattern: string, host: GlobHost, work: GlobWork): string[] {
  const abs = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s) => s.length > 0);
  // The paths reached so far ('' stands for the starting directory).
  let paths: string[] = [abs ? '/' : ''];
  let literalRun = '';
  const join = (base: string, name: string): string => (base === '' ? name : base === '/' ? '/' + name : base + '/' + name);
  for (let k = 0; k < segs.length; k++) {
    const seg = compileSegment(segs[k], work);
    if (work.left < 0) return fail(work, 'pattern too complex');
    if (!seg.magic) {
      // Plain names are joined in one go when the next wildcard (or the end) is reached.
      literalRun = literalRun === '' ? seg.literal : literalRun + '/' + seg.literal;
      continue;
    }
    if (literalRun !== '') {
      const run = literalRun;
      paths = paths.map((b) => join(b, run));
      literalRun = '';
    }
    const next: string[] = [];
    for (const base of paths) {
      let names = host.readdir(base === '' ? '.' : base);
      if (!names) continue;
      if (seg.dotted) names = ['.', '..', ...names];
      work.left -= names.length;
      for (const n of names) {
        if (matchSegment(seg, n, work)) next.push(join(base, n));
        if (work.left < 0) return fail(work, 'too much work (directory entries and matching steps)');
      }
    }
    paths = next;
    if (paths.length === 0) return [];
  }
  if (literalRun !== '') {
    const run = literalRun;
    paths = paths.map((b) => join(b, run)).filter((p) => host.exists(p));
  } else paths = paths.filter((p) => p !== '' && (p !== '/' || segs.length === 0));
  // A trailing `/` only matches directories: marked as glob(3) does, they are no files to the caller.
  return pattern.endsWith('/') ? paths.map((p) => (p.endsWith('/') ? p : p + '/')) : paths;
}
