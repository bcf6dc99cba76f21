/**
 * The preprocessor: files → located line pieces, doing what keepalived's
 * read_line() does before any keyword is looked at:
 *  - `include PATTERN` (globs, relative to the including file, nested,
 *    cycle-safe; no match is a warning);
 *  - `@id line` / `@^id line` conditional lines against the config id (`-i`);
 *  - parameters `$NAME=value` (multi-line with a trailing `\`), substitution
 *    of `$NAME` / `${NAME}` and the built-ins `_PWD`, `_INSTANCE`,
 *    `_RANDOM [min [max]]`, `_HASH`, `_BANG`;
 *  - generators `~SEQ(var, start, step, end)`, `~SEQx(...)` and
 *    `~LST(var, v1, v2...)` / `~LST({a, b}, {1, 2}, ...)`.
 * File access goes through {@link ConfigFs} so this module stays pure.
 */
import { DiagnosticSink, type Loc } from './diagnostics';
import {
  colAt, decomment, locAt, slice, spliceLine, splitPieces, tokenize, type Piece, type SrcLine, type Token,
} from './lexer';

/** File access used by the preprocessor (node implementation in fs.ts). */
export interface ConfigFs {
  /** File text, or an error message. */
  readFile(path: string): string | { error: string };
  /** Absolute paths matching an absolute glob pattern, sorted. */
  glob(pattern: string): string[];
  /** Canonical path (for include-cycle detection). */
  realpath(path: string): string;
}

export interface PreprocessOptions {
  configId?: string;
  fs: ConfigFs;
  /** Random source in [0, 1) for `${_RANDOM}` (tests inject one). */
  random?: () => number;
  /** Predefined parameters, as if `$NAME=value` came first. */
  defines?: Record<string, string>;
  /** Receives each line piece as it is produced (default: collected in `pieces`). */
  onPiece?: (tokens: Token[], raw: string) => void;
}

interface Def {
  lines: SrcLine[];
  multiline: boolean;
}

/** Hard limits so hostile input cannot exhaust memory or loop forever. */
const MAX_PIECES = 5_000_000;
const MAX_DEPTH = 64;
const MAX_INCLUDE_DEPTH = 32;
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

export function resolvePath(base: string, p: string): string {
  if (p.startsWith('/')) return p;
  return base === '.' ? p : `${base}/${p}`;
}

export class Preprocessor {
  readonly pieces: Piece[] = [];
  private pieceCount = 0;
  private readonly defs = new Map<string, Def>();
  private readonly includeStack: string[] = [];
  private readonly fileStack: string[] = [];
  private pendingDef: Def | undefined;
  private stopped = false;

  constructor(private readonly opts: PreprocessOptions, private readonly diags: DiagnosticSink) {
    for (const [k, v] of Object.entries(opts.defines ?? {})) {
      this.defs.set(k, { lines: [{ text: v, file: '<define>', line: 0, cols: 1 }], multiline: false });
    }
  }

  /** Process a file given by path; `from` locates the include line, if any. */
  processFile(path: string, from?: Loc): void {
    const r = this.opts.fs.readFile(path);
    if (typeof r !== 'string') {
      this.diags.report(from ? 'W_INCLUDE_UNREADABLE' : 'E_FILE_NOT_FOUND', from ?? { file: path, line: 0, col: 0 },
        `Configuration file '${path}' could not be read: ${r.error}`);
      return;
    }
    this.processText(r, path);
  }

  /** Process text as if it were the file `file`. */
  processText(text: string, file: string): void {
    this.fileStack.push(file);
    this.pendingDef = undefined;
    // One line at a time (not text.split()), so lines do not all stay alive together.
    for (let start = 0, n = 1; start <= text.length && !this.stopped; n++) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const t = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
      this.physicalLine({ text: t, file, line: n, cols: 1 });
      start = end + 1;
    }
    this.pendingDef = undefined;
    this.fileStack.pop();
  }

  private physicalLine(raw: SrcLine): void {
    if (raw.text.length === 0) {
      this.pendingDef = undefined;
      return;
    }
    const d = decomment(raw);
    if (d.unterminatedQuote) this.diags.warn('W_UNTERMINATED_QUOTE', locAt(raw, 0), `Unterminated quote '${raw.text}'`);
    if (d.line.text.length === 0) return;
    if (this.pendingDef) {
      this.continueDef(this.pendingDef, d.line, d.cont);
      return;
    }
    this.logicalLine(d.line, 0);
  }

  private continueDef(def: Def, l: SrcLine, cont: boolean): void {
    let line = l;
    if (cont) {
      let e = l.text.length - 1;
      while (e > 0 && (l.text[e - 1] === ' ' || l.text[e - 1] === '\t')) e--;
      line = slice(l, 0, e);
    } else this.pendingDef = undefined;
    if (line.text.length > 0) def.lines.push(line);
  }

  /** Steps after decomment: conditionals, definitions, generators, substitution, include, pieces. */
  private logicalLine(input: SrcLine, depth: number): void {
    if (this.stopped) return;
    if (depth > MAX_DEPTH) {
      this.diags.error('E_PARAM_RECURSION', locAt(input, 0), 'Parameter expansion nested too deeply - line ignored');
      return;
    }
    let l: SrcLine | undefined = input;
    for (let round = 0; l && round < MAX_DEPTH; round++) {
      l = this.conditional(l);
      if (!l) return;
      if (l.text[0] === '$' && this.definition(l)) return;
      if (l.text.startsWith('~SEQ') || l.text.startsWith('~LST')) { this.generator(l, depth); return; }
      if (l.text[0] === '~' || l.text.indexOf('$') < 0) break;
      const r = this.substitute(l);
      if (!r) break;
      if (r.rest.length > 0) {
        this.logicalLine(r.first, depth + 1);
        for (const x of r.rest) this.logicalLine(x, depth + 1);
        return;
      }
      l = decomment(r.first).line;
      if (l.text.length === 0) return;
      if (l.text[0] !== '@' && l.text.indexOf('$') < 0) break;
      if (round === MAX_DEPTH - 1) this.diags.error('E_PARAM_RECURSION', locAt(input, 0), 'Parameter substitution does not terminate');
    }
    if (!l) return;
    if (this.include(l)) return;
    this.emit(l);
  }

  /** `@id rest` / `@^id rest`: the rest of the line, or undefined when not for us. */
  private conditional(l: SrcLine): SrcLine | undefined {
    if (l.text[0] !== '@') return l;
    const neg = l.text[1] === '^';
    const start = neg ? 2 : 1;
    const m = /[ \t]/.exec(l.text.slice(start));
    if (!m) return undefined;
    const id = l.text.slice(start, start + m.index);
    const matches = this.opts.configId !== undefined && id === this.opts.configId;
    if (matches === neg) return undefined;
    let i = start + m.index;
    while (l.text[i] === ' ' || l.text[i] === '\t') i++;
    return slice(l, i);
  }

  /**
   * `$NAME=value` (value may continue on following lines with a trailing `\`).
   * keepalived.conf(5): "there must be no space before the '='" - `$NAME = v`
   * is not a definition (keepalived check_definition()), the line is kept.
   */
  private definition(l: SrcLine): boolean {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)=/.exec(l.text);
    if (!m) return false;
    let i = m[0].length;
    while (l.text[i] === ' ' || l.text[i] === '\t') i++;
    let value = slice(l, i);
    const multiline = value.text.endsWith('\\');
    if (multiline) {
      let e = value.text.length - 1;
      while (e > 0 && (value.text[e - 1] === ' ' || value.text[e - 1] === '\t')) e--;
      value = slice(value, 0, e);
    }
    const def: Def = { lines: value.text.length > 0 || !multiline ? [value] : [], multiline };
    this.defs.set(m[1], def);
    if (multiline) this.pendingDef = def;
    return true;
  }

  private builtin(name: string, params: number[], l: SrcLine): string | undefined {
    if (params.length > 0 && name !== '_RANDOM') return undefined;
    switch (name) {
      case '_PWD': return dirname(this.fileStack[this.fileStack.length - 1] ?? l.file);
      case '_INSTANCE': return this.opts.configId ?? '';
      case '_HASH': return '#';
      case '_BANG': return '!';
      case '_RANDOM': {
        const min = params[0] ?? 0;
        const max = params[1] ?? 32767;
        const r = this.opts.random ?? Math.random;
        return String(min + Math.floor(r() * (Math.max(max, min) - min + 1)));
      }
      default: return undefined;
    }
  }

  /** Replace every `$NAME`/`${NAME}` once; multi-line values yield extra lines. */
  private substitute(input: SrcLine): { first: SrcLine; rest: SrcLine[] } | undefined {
    let l = input;
    let pos = l.text.indexOf('$');
    let changed = false;
    while (pos >= 0 && pos + 1 < l.text.length) {
      const ref = parseRef(l.text, pos);
      const def = ref ? this.defs.get(ref.name) : undefined;
      // `${NAME n}` on a parameter that takes no arguments is no reference at all
      // (keepalived find_definition() returns NULL): skip it, keep scanning the line.
      if (ref && def && ref.params.length === 0 && (!def.multiline || ref.end === l.text.length)) {
        changed = true;
        if (def.multiline) {
          // Every line of the expansion is located at the reference (as keepalived
          // reports them), so two uses of one definition stay distinguishable.
          const [head, ...rest] = def.lines;
          const first = spliceLine(l, pos, ref.end, head ? head.text : '');
          const at = colAt(l, pos);
          return { first, rest: rest.map((x) => ({ text: x.text, file: l.file, line: l.line, cols: new Array<number>(x.text.length).fill(at) })) };
        }
        const v = def.lines.map((x) => x.text).join('');
        l = spliceLine(l, pos, ref.end, v);
        pos = l.text.indexOf('$', pos + v.length);
        continue;
      }
      const b = ref && !def ? this.builtin(ref.name, ref.params, l) : undefined;
      if (ref && b !== undefined) {
        changed = true;
        l = spliceLine(l, pos, ref.end, b);
        pos = l.text.indexOf('$', pos + b.length);
        continue;
      }
      pos = l.text.indexOf('$', pos + 1);
    }
    return changed ? { first: l, rest: [] } : undefined;
  }

  private generator(l: SrcLine, depth: number): void {
    const spec = l.text.startsWith('~SEQ') ? parseSeq(l.text, (t) => this.expandInline(t, l)) : parseLst(l.text);
    if (typeof spec === 'string') {
      this.diags.warn('W_BAD_GENERATOR', locAt(l, 0), spec);
      return;
    }
    const tpl = slice(l, spec.textStart);
    if (tpl.text.length === 0) return;
    for (const assignment of spec.values) {
      if (this.stopped) return;
      for (const [name, value] of assignment) {
        this.defs.set(name, { lines: [{ text: value, file: l.file, line: l.line, cols: 1 }], multiline: false });
      }
      this.logicalLine(tpl, depth + 1);
    }
  }

  /** Substitute single-line parameters in a fragment (e.g. ~SEQ bounds). */
  private expandInline(text: string, at: SrcLine): string {
    const r = this.substitute({ text, file: at.file, line: at.line, cols: 1 });
    return r ? r.first.text : text;
  }

  private include(l: SrcLine): boolean {
    const m = /^include[rmwba]?[ \t]+/.exec(l.text);
    if (!m) return false;
    const loc = locAt(l, 0);
    const pattern = l.text.slice(m[0].length).trim();
    if (this.includeStack.length >= MAX_INCLUDE_DEPTH) {
      this.diags.error('E_INCLUDE_DEPTH', loc, `include nesting deeper than ${MAX_INCLUDE_DEPTH} - '${pattern}' ignored`);
      return true;
    }
    const full = resolvePath(dirname(l.file), pattern);
    const files = this.opts.fs.glob(full);
    if (files.length === 0) {
      this.diags.warn('W_INCLUDE_NOT_FOUND', loc, `No config files matched '${pattern}'`);
      return true;
    }
    for (const f of files) this.includeOne(f, loc);
    return true;
  }

  private includeOne(f: string, loc: Loc): void {
    const real = this.opts.fs.realpath(f);
    if (this.includeStack.includes(real)) {
      this.diags.error('E_INCLUDE_CYCLE', loc, `Include of '${f}' would loop - ignored`);
      return;
    }
    this.includeStack.push(real);
    const saved = this.pendingDef;
    this.processFile(f, loc);
    this.pendingDef = saved;
    this.includeStack.pop();
  }

  /** Register the current file as included (so it cannot include itself). */
  enterRoot(path: string): void {
    this.includeStack.push(this.opts.fs.realpath(path));
  }

  private emit(l: SrcLine): void {
    const pieces = splitPieces(l);
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k];
      const t = tokenize(p);
      if (t.unmatchedQuote) this.diags.warn('W_UNMATCHED_QUOTE', t.unmatchedQuote, `Unmatched quote: '${p.text}'`);
      if (t.tokens.length === 0) continue;
      if (++this.pieceCount > MAX_PIECES) {
        this.diags.error('E_TOO_LARGE', locAt(p, 0), `Configuration expands to more than ${MAX_PIECES} lines - rest ignored`);
        this.stopped = true;
        return;
      }
      if (this.opts.onPiece) this.opts.onPiece(t.tokens, p.text);
      else this.pieces.push({ tokens: t.tokens, raw: p.text, loc: t.tokens[0].loc });
    }
  }
}

interface Ref { name: string; end: number; params: number[] }

/** Parse `$NAME` or `${NAME [p1 [p2]]}` at `pos` (keepalived find_definition rules). */
function parseRef(t: string, pos: number): Ref | undefined {
  let i = pos + 1;
  const braces = t[i] === '{';
  if (braces) i++;
  if (!NAME_START.test(t[i] ?? '')) return undefined;
  const start = i;
  while (i < t.length && NAME_CHAR.test(t[i])) i++;
  const name = t.slice(start, i);
  if (!braces) {
    const c = t[i];
    if (c !== undefined && c !== ' ' && c !== '\t' && c !== ',' && c !== ')') return undefined;
    return { name, end: i, params: [] };
  }
  const pm = /^((?: +\d+)*)\}/.exec(t.slice(i));
  if (!pm) return undefined;
  const params = pm[1].trim() ? pm[1].trim().split(/ +/).map(Number) : [];
  return { name, end: i + pm[0].length, params };
}

interface GenSpec { values: Array<Array<[string, string]>>; textStart: number }

const MAX_GEN_VALUES = 1_000_000;

/** `~SEQ(var, [start,] [step,] end)` / `~SEQx(...)`; returns an error message on failure. */
function parseSeq(t: string, expand: (s: string) => string): GenSpec | string {
  const m = /^~SEQ(x?)[ \t]*\([ \t]*([^ \t,)]+)[ \t]*,([^)]*)\)[ \t]*/.exec(t);
  if (!m) return `Invalid ~SEQ specification '${t}'`;
  const nums = expand(m[3]).split(',').map((s) => s.trim());
  if (nums.length > 3 || nums.some((s) => !/^[-+]?(0x[0-9a-fA-F]+|\d+)$/.test(s))) return `Invalid ~SEQ definition '${t}'`;
  const n = nums.map((s) => (s.startsWith('-') ? -Number(s.slice(1)) : Number(s.replace(/^\+/, ''))));
  const [start, step, end] = seqBounds(n);
  if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) return `Invalid ~SEQ values '${t}'`;
  const hex = m[1] === 'x';
  if (hex && (start < 0 || end < 0)) return `~SEQx is only valid for positive numbers '${t}'`;
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_GEN_VALUES) return `~SEQ produces too many values '${t}'`;
  const values: Array<Array<[string, string]>> = [];
  for (let v = start, k = 0; k < count; v += step, k++) values.push([[m[2], hex ? v.toString(16) : String(v)]]);
  return { values, textStart: m[0].length };
}

function seqBounds(n: number[]): [number, number, number] {
  if (n.length === 1) return [n[0] < 0 ? -1 : 1, n[0] < 1 ? -1 : 1, n[0]];
  if (n.length === 2) return [n[0], n[0] <= n[1] ? 1 : -1, n[1]];
  return [n[0], n[1], n[2]];
}

/** `~LST(var, v1, v2, ...)` or `~LST({a, b}, {1, 2}, {3, 4})`. */
function parseLst(t: string): GenSpec | string {
  const open = t.indexOf('(');
  const close = findClose(t, open);
  if (open < 0 || close < 0 || t.slice(4, open).trim() !== '') return `Invalid ~LST specification '${t}'`;
  const groups = splitTop(t.slice(open + 1, close));
  if (groups.length < 2) return `Invalid ~LST specification '${t}'`;
  const vars = unbrace(groups[0]);
  if (vars.length === 0 || vars.some((v) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) return `Invalid ~LST specification '${t}'`;
  const values: Array<Array<[string, string]>> = [];
  for (const g of groups.slice(1)) {
    const vals = unbrace(g);
    if (vals.length > vars.length) return `~LST specification has too many values '${t}'`;
    values.push(vars.map((v, i) => [v, vals[i] ?? '']));
  }
  let textStart = close + 1;
  while (t[textStart] === ' ' || t[textStart] === '\t') textStart++;
  return { values, textStart };
}

function findClose(t: string, open: number): number {
  if (open < 0) return -1;
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Split on commas not inside `{...}`. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function unbrace(s: string): string[] {
  const inner = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1) : s;
  return inner.split(',').map((x) => x.trim());
}
