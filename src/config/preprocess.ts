/**
 * The preprocessor: files → located line pieces, doing what keepalived's
 * read_line() does before any keyword is looked at:
 *  - a line ends at its first NUL byte (keepalived reads lines with fgets()
 *    and strlen());
 *  - `include PATTERN` (globs, relative to the including file, nested,
 *    cycle-safe; no match is a warning);
 *  - `@id line` / `@^id line` conditional lines against the config id (`-i`);
 *  - parameters `$NAME=value` (multi-line with a trailing `\`), substitution
 *    of `$NAME` / `${NAME}` and the built-ins `_PWD`, `_INSTANCE`,
 *    `_RANDOM [min [max]]`, `_HASH`, `_BANG`;
 *  - generators `~SEQ(var, start, step, end)`, `~SEQx(...)` and
 *    `~LST(var, v1, v2...)` / `~LST({a, b}, {1, 2}, ...)`.
 *
 * Like read_line() it works from a stack (files being read, lines an
 * expansion produced, generators, the files an include matched) instead of
 * recursion, so no input can overflow the call stack, and every resource an
 * input can make it spend is paid from the budgets in budget.ts.
 * File access goes through {@link ConfigFs} so this module stays pure.
 */
import { BUDGET_CODES, limitsWith, type Limits } from './budget';
import { DiagnosticSink, type Loc } from './diagnostics';
import { newGlobWork, type GlobWork } from './glob';
import {
  colAt, decomment, locAt, slice, splitPieces, tokenize, type Piece, type SrcLine, type Token,
} from './lexer';

/** File access used by the preprocessor (node implementation in fs.ts). */
export interface ConfigFs {
  /**
   * File text, or an error message. With `maxChars`, a longer file is not
   * read at all (`tooLarge`).
   */
  readFile(path: string, maxChars?: number): string | { error: string; tooLarge?: boolean };
  /**
   * Paths matching an absolute glob pattern, in glob(3) order. `work` is the
   * configuration's glob budget: implementations pay every directory entry
   * and matching step from it and set `work.exceeded` when it runs out.
   */
  glob(pattern: string, work?: GlobWork): string[];
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
  /** Resource budgets (default: DEFAULT_LIMITS). */
  limits?: Limits;
}

interface Def {
  lines: SrcLine[];
  multiline: boolean;
}

/** A file being read, one physical line at a time. */
interface FileFrame {
  kind: 'file';
  text: string;
  file: string;
  /** Start of the next physical line. */
  pos: number;
  /** Number of the next physical line. */
  line: number;
  /** Index of the next NUL at or after `pos` (-1: not looked for yet; Infinity: none). */
  nul: number;
  /** Its canonical path on the include stack (included files only). */
  real?: string;
  /** The multi-line definition pending in the including file. */
  savedDef: Def | undefined;
}

/** Lines an expansion produced, processed in order one level deeper. */
interface LinesFrame {
  kind: 'lines';
  lines: SrcLine[];
  next: number;
  depth: number;
}

/** A generator: the template line once per value set. */
interface GenFrame {
  kind: 'gen';
  spec: GenSpec;
  tpl: SrcLine;
  at: Loc;
  next: number;
  depth: number;
}

/** The files one include line matched, opened one after the other. */
interface IncludeFrame {
  kind: 'include';
  files: string[];
  next: number;
  at: Loc;
  /** Identifies the include line and its pattern (each file is included once per site). */
  site: string;
}

type Frame = FileFrame | LinesFrame | GenFrame | IncludeFrame;

type ExpansionBudget = 'expandedSize' | 'expandedLines' | 'generatorIterations';

const NAME_START = /[A-Za-z_]/;
const BUILTINS = new Set(['_PWD', '_INSTANCE', '_HASH', '_BANG', '_RANDOM']);
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

/** Result of one substitution pass. */
interface Substituted {
  first: SrcLine;
  /** Further lines of a multi-line parameter. */
  rest: SrcLine[];
}

export class Preprocessor {
  readonly pieces: Piece[] = [];
  private readonly limits: Limits;
  private readonly defs = new Map<string, Def>();
  private readonly stack: Frame[] = [];
  private readonly includeStack: string[] = [];
  private readonly fileStack: string[] = [];
  /** Include sites and the files each has included (`site \0 realpath`). */
  private readonly included = new Set<string>();
  private readonly glob: GlobWork;
  private pendingDef: Def | undefined;
  /** Spent so far of the budgets expansions pay from (see spend()). */
  private readonly spent: Record<ExpansionBudget, number> = { expandedSize: 0, expandedLines: 0, generatorIterations: 0 };
  private includeOpens = 0;
  private inputChars = 0;
  private inputLines = 0;
  private words = 0;
  /** The input-lines or words budget ran out: nothing more is read. */
  private stopped = false;
  /** The expansion budget that ran out: expansions in progress are abandoned, new ones refused. */
  private expansionSpent: 'expandedSize' | 'expandedLines' | undefined;
  private generatorSpent = false;

  constructor(private readonly opts: PreprocessOptions, private readonly diags: DiagnosticSink) {
    this.limits = opts.limits ?? limitsWith();
    this.glob = newGlobWork(this.limits.globWork, this.limits.globPatternLength, this.limits.globAlternatives);
    for (const [k, v] of Object.entries(opts.defines ?? {})) {
      this.defs.set(k, { lines: [{ text: v, file: '<define>', line: 0, cols: 1 }], multiline: false });
    }
  }

  /** Process a file given by path; `from` locates the include line, if any. */
  processFile(path: string, from?: Loc): void {
    const text = this.read(path, from);
    if (text !== undefined) this.processText(text, path);
  }

  /** Process text as if it were the file `file`. */
  processText(text: string, file: string): void {
    const base = this.stack.length;
    this.pushFile(text, file, undefined);
    while (this.stack.length > base) this.step();
  }

  /** Register the current file as included (so it cannot include itself). */
  enterRoot(path: string): void {
    this.includeStack.push(this.opts.fs.realpath(path));
  }

  /* ------------------------------- the machine ------------------------------ */

  /** Read a file within the input budget; reports and returns undefined when it cannot. */
  private read(path: string, from: Loc | undefined): string | undefined {
    const at = from ?? { file: path, line: 0, col: 0 };
    const left = this.limits.inputSize - this.inputChars;
    const r = this.opts.fs.readFile(path, left);
    if (typeof r === 'string' && r.length <= left) {
      this.inputChars += r.length;
      return r;
    }
    if (typeof r === 'string' || r.tooLarge) {
      this.report('inputSize', at, `Configuration file '${path}' would take the input over ${this.limits.inputSize} characters - not read`);
      return undefined;
    }
    this.diags.report(from ? 'W_INCLUDE_UNREADABLE' : 'E_FILE_NOT_FOUND', at,
      `Configuration file '${path}' could not be read: ${r.error}`);
    return undefined;
  }

  private pushFile(text: string, file: string, real: string | undefined): void {
    this.stack.push({ kind: 'file', text, file, pos: 0, line: 1, nul: -1, real, savedDef: this.pendingDef });
    this.fileStack.push(file);
    if (real !== undefined) this.includeStack.push(real);
    this.pendingDef = undefined;
  }

  /** One unit of work for the frame on top of the stack. */
  private step(): void {
    if (this.stopped) {
      this.stack.length = 0;
      return;
    }
    const top = this.stack[this.stack.length - 1];
    switch (top.kind) {
      case 'file': {
        const l = this.nextPhysical(top);
        if (l === undefined) {
          this.stack.pop();
          this.fileStack.pop();
          if (top.real !== undefined) this.includeStack.pop();
          this.pendingDef = top.savedDef;
        } else if (l !== null) this.physicalLine(l);
        return;
      }
      case 'lines':
        if (top.next >= top.lines.length || this.expansionSpent) this.stack.pop();
        else this.logicalLine(top.lines[top.next++], top.depth);
        return;
      case 'gen':
        if (top.next >= top.spec.count || this.expansionSpent || this.generatorSpent) this.stack.pop();
        // Each run produces its template line again: it pays for its length, substituted or not.
        else if (this.spend('generatorIterations', 1, top.at) || this.spend('expandedSize', top.tpl.text.length, top.at)) this.stack.pop();
        else {
          for (const [name, value] of top.spec.assign(top.next++)) {
            this.defs.set(name, { lines: [{ text: value, file: top.tpl.file, line: top.tpl.line, cols: 1 }], multiline: false });
          }
          this.logicalLine(top.tpl, top.depth);
        }
        return;
      case 'include':
        if (top.next >= top.files.length) this.stack.pop();
        else this.includeOne(top, top.files[top.next++]);
        return;
    }
  }

  /**
   * The next physical line of a file: undefined at the end, null for a line
   * a budget refuses (reported; over the length budget it is skipped, over
   * the lines budget reading stops). As keepalived reads it: the line ends
   * at the first NUL, trailing CRs are dropped.
   */
  private nextPhysical(f: FileFrame): SrcLine | null | undefined {
    const text = f.text;
    const start = f.pos;
    if (start > text.length) return undefined;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    f.pos = end + 1;
    const line = f.line++;
    if (++this.inputLines > this.limits.inputLines) {
      this.report('inputLines', { file: f.file, line, col: 1 }, `More than ${this.limits.inputLines} lines read - the rest of the configuration is ignored`);
      this.stopped = true;
      return null;
    }
    if (f.nul < start && f.nul !== Infinity) {
      const n = text.indexOf('\0', start);
      f.nul = n < 0 ? Infinity : n;
    }
    let stop = Math.min(end, f.nul);
    while (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop - start > this.limits.lineLength) {
      this.report('lineLength', { file: f.file, line, col: 1 }, `Line longer than ${this.limits.lineLength} characters - ignored`);
      return null;
    }
    return { text: text.slice(start, stop), file: f.file, line, cols: 1 };
  }

  /**
   * Pay `n` units of a budget; false while it lasts. The first time it runs
   * out the error is reported at `at` (and expansions stop where that budget
   * is theirs).
   */
  private spend(budget: ExpansionBudget, n: number, at: Loc): boolean {
    this.spent[budget] += n;
    if (this.spent[budget] <= this.limits[budget]) return false;
    if (budget === 'generatorIterations') {
      if (!this.generatorSpent) this.report(budget, at, `Generators ran more than ${this.limits[budget]} times - the rest is not generated`);
      this.generatorSpent = true;
    } else {
      const what = budget === 'expandedSize' ? `${this.limits[budget]} characters` : `${this.limits[budget]} lines`;
      if (!this.expansionSpent) this.report(budget, at, `Parameters and generators expanded to more than ${what} - the rest is not expanded`);
      this.expansionSpent ??= budget;
    }
    return true;
  }

  /** A budget error with the budget's own code. */
  private report(budget: keyof Limits, at: Loc, message: string): void {
    this.diags.error(BUDGET_CODES[budget], at, message);
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

  /**
   * Steps after decomment: conditionals, definitions, generators,
   * substitution, include, pieces. An expansion into several lines, or a
   * generator, becomes a frame one level deeper.
   */
  private logicalLine(input: SrcLine, depth: number): void {
    const max = this.limits.expansionDepth;
    if (depth > max) {
      this.report('expansionDepth', locAt(input, 0), `Parameter expansion nested more than ${max} deep - the rest of this expansion is ignored`);
      this.abandonExpansion();
      return;
    }
    let l: SrcLine | undefined = input;
    let expanded = depth > 0;
    for (let round = 0; ; round++) {
      l = this.conditional(l);
      if (!l) return;
      if (l.text[0] === '$' && this.definition(l)) return;
      if (l.text.startsWith('~SEQ') || l.text.startsWith('~LST')) { this.generator(l, depth); return; }
      if (l.text[0] === '~' || l.text.indexOf('$') < 0) break;
      if (round >= max) {
        this.report('expansionDepth', locAt(input, 0), `Parameter substitution still not done after ${max} rounds - the rest of this expansion is ignored`);
        this.abandonExpansion();
        return;
      }
      const r = this.substitute(l);
      if (r === undefined) break;
      if (r === null) return;
      expanded = true;
      if (r.rest.length > 0) {
        // Every line of a multi-line value is paid for, even one that emits nothing (a definition, a comment).
        if (this.spend('expandedLines', r.rest.length + 1, locAt(input, 0))) return;
        this.stack.push({ kind: 'lines', lines: [r.first, ...r.rest], next: 0, depth: depth + 1 });
        return;
      }
      l = decomment(r.first).line;
      if (l.text.length === 0) return;
      if (l.text[0] !== '@' && l.text.indexOf('$') < 0) break;
    }
    if (this.include(l)) return;
    this.emit(l, expanded);
  }

  /**
   * Drop the expansions and generators in progress for the current file line
   * (the frames above the file or include being read): one that nests too
   * deep is a loop, and every branch of it would nest as deep.
   */
  private abandonExpansion(): void {
    const s = this.stack;
    while (s.length > 0 && (s[s.length - 1].kind === 'lines' || s[s.length - 1].kind === 'gen')) s.pop();
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

  /**
   * Replace every `$NAME`/`${NAME}` once, in one pass over the line; a
   * multi-line value yields extra lines. undefined: nothing to replace;
   * null: a budget ran out (reported) and the line is dropped.
   */
  private substitute(input: SrcLine): Substituted | undefined | null {
    const t = input.text;
    const at = locAt(input, 0);
    if (this.expansionSpent) {
      if (!this.hasReference(t)) return undefined;
      this.report(this.expansionSpent, at, 'Parameter expansion budget spent - line ignored');
      return null;
    }
    const maxLen = this.limits.lineLength;
    const out = new LineBuilder(input);
    let pos = t.indexOf('$');
    let changed = false;
    while (pos >= 0 && pos + 1 < t.length) {
      const ref = parseRef(t, pos);
      const def = ref ? this.defs.get(ref.name) : undefined;
      let value: string | undefined;
      // `${NAME n}` on a parameter that takes no arguments is no reference at all
      // (keepalived find_definition() returns NULL): skip it, keep scanning the line.
      if (ref && def && ref.params.length === 0 && (!def.multiline || ref.end === t.length)) {
        if (def.multiline) {
          // Every line of the expansion is located at the reference (as keepalived
          // reports them), so two uses of one definition stay distinguishable.
          const [head, ...rest] = def.lines;
          out.copy(pos, head ? head.text : '');
          out.skipTo(ref.end);
          const col = colAt(input, pos);
          let size = out.length;
          for (const x of rest) size += x.text.length;
          if (out.length > maxLen || this.spend('expandedSize', size, at)) return this.tooLong(out.length, at);
          const lines = rest.map((x) => ({ text: x.text, file: input.file, line: input.line, cols: new Array<number>(x.text.length).fill(col) }));
          return { first: out.finish(t.length), rest: lines };
        }
        value = def.lines.length === 1 ? def.lines[0].text : def.lines.map((x) => x.text).join('');
      } else if (ref && !def) value = this.builtin(ref.name, ref.params, input);
      if (ref && value !== undefined) {
        changed = true;
        out.copy(pos, value);
        out.skipTo(ref.end);
        if (out.length > maxLen) return this.tooLong(out.length, at);
        pos = t.indexOf('$', ref.end);
        continue;
      }
      pos = t.indexOf('$', pos + 1);
    }
    if (!changed) return undefined;
    const first = out.finish(t.length);
    if (first.text.length > maxLen || this.spend('expandedSize', first.text.length, at)) return this.tooLong(first.text.length, at);
    return { first, rest: [] };
  }

  /**
   * After a budget ran out during substitution: an over-long line is
   * reported, and the work done for it is paid all the same (20,000 lines
   * each doubling to just over the limit cost 1 s while the last, longest
   * round of each was free). The size budget reports itself.
   */
  private tooLong(length: number, at: Loc): null {
    if (length > this.limits.lineLength) {
      this.report('lineLength', at, `Parameter substitution makes the line longer than ${this.limits.lineLength} characters - line ignored`);
      this.spend('expandedSize', length, at);
    }
    return null;
  }

  /** Whether a line has a reference substitution would replace. */
  private hasReference(t: string): boolean {
    for (let pos = t.indexOf('$'); pos >= 0; pos = t.indexOf('$', pos + 1)) {
      const ref = parseRef(t, pos);
      if (ref && (this.defs.has(ref.name) || BUILTINS.has(ref.name))) return true;
    }
    return false;
  }

  private generator(l: SrcLine, depth: number): void {
    const at = locAt(l, 0);
    if (this.generatorSpent || this.expansionSpent) {
      this.report(this.expansionSpent ?? 'generatorIterations', at, 'Generator budget spent - line ignored');
      return;
    }
    const max = this.limits.generatorIterations;
    const spec = l.text.startsWith('~SEQ') ? parseSeq(l.text, max, (t) => this.expandInline(t, l)) : parseLst(l.text);
    if (typeof spec === 'string') {
      this.diags.warn('W_BAD_GENERATOR', at, spec);
      return;
    }
    const tpl = slice(l, spec.textStart);
    if (tpl.text.length === 0) return;
    this.stack.push({ kind: 'gen', spec, tpl, at, next: 0, depth: depth + 1 });
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
    if (this.includeStack.length >= this.limits.includeDepth) {
      this.report('includeDepth', loc, `include nesting deeper than ${this.limits.includeDepth} - '${pattern}' ignored`);
      return true;
    }
    if (this.includeOpens >= this.limits.includeOpens) {
      this.report('includeOpens', loc, `More than ${this.limits.includeOpens} files included - '${pattern}' ignored`);
      return true;
    }
    const full = resolvePath(dirname(l.file), pattern);
    // Pattern length and brace alternatives are limits per include; the work is shared.
    if (this.glob.left >= 0) this.glob.exceeded = undefined;
    const files = this.opts.fs.glob(full, this.glob);
    if (this.glob.exceeded) {
      this.report('globWork', loc, `include pattern '${pattern}': ${this.glob.exceeded} - ignored`);
      return true;
    }
    if (files.length === 0) {
      this.diags.warn('W_INCLUDE_NOT_FOUND', loc, `No config files matched '${pattern}'`);
      return true;
    }
    this.stack.push({ kind: 'include', files, next: 0, at: loc, site: `${loc.file}\0${loc.line}\0${loc.col}\0${full}` });
    return true;
  }

  /**
   * Open one matched file. A file already on the include stack would loop
   * (E_INCLUDE_CYCLE, as keepalived-ts always did). A file this include line
   * has included before is not included again: files including each other
   * through globs would otherwise be read once per order they can be
   * reached in (n! times for n files).
   */
  private includeOne(site: IncludeFrame, f: string): void {
    const real = this.opts.fs.realpath(f);
    if (this.includeStack.includes(real)) {
      this.diags.error('E_INCLUDE_CYCLE', site.at, `Include of '${f}' would loop - ignored`);
      return;
    }
    const key = `${site.site}\0${real}`;
    if (this.included.has(key)) {
      this.diags.warn('W_INCLUDE_REPEATED', site.at, `'${f}' was already included by this include line - not included again`);
      return;
    }
    if (++this.includeOpens > this.limits.includeOpens) {
      this.report('includeOpens', site.at, `More than ${this.limits.includeOpens} files included - '${f}' ignored`);
      site.next = site.files.length;
      return;
    }
    this.included.add(key);
    const text = this.read(f, site.at);
    if (text !== undefined) this.pushFile(text, f, real);
  }

  private emit(l: SrcLine, expanded: boolean): void {
    const pieces = splitPieces(l);
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k];
      const t = tokenize(p);
      if (t.unmatchedQuote) this.diags.warn('W_UNMATCHED_QUOTE', t.unmatchedQuote, `Unmatched quote: '${p.text}'`);
      if (t.tokens.length === 0) continue;
      if (expanded && this.spend('expandedLines', 1, locAt(p, 0))) return;
      // Words are what the later stages spend their time on (and the garbage collector most).
      this.words += t.tokens.length;
      if (this.words > this.limits.words) {
        this.report('words', locAt(p, 0), `More than ${this.limits.words} words in the configuration - the rest is ignored`);
        this.stopped = true;
        return;
      }
      if (this.opts.onPiece) this.opts.onPiece(t.tokens, p.text);
      else this.pieces.push({ tokens: t.tokens, raw: p.text, loc: t.tokens[0].loc });
    }
  }
}

/**
 * Builds a substituted line in one pass: text copied from the source line
 * keeps its columns, inserted values take the column of their reference.
 * Pieces are only recorded; text and columns are made once, in finish().
 */
class LineBuilder {
  private readonly parts: string[] = [];
  /** Per part: the source index it was copied from, or -1 - column for an inserted value. */
  private readonly from: number[] = [];
  /** Source index copied up to. */
  private done = 0;
  length = 0;

  constructor(private readonly src: SrcLine) {}

  /** Copy the source up to `pos`, then insert `value` located at `pos`. */
  copy(pos: number, value: string): void {
    this.take(pos);
    this.parts.push(value);
    this.from.push(-1 - colAt(this.src, pos));
    this.length += value.length;
  }

  skipTo(pos: number): void {
    this.done = pos;
  }

  finish(end: number): SrcLine {
    this.take(end);
    const cols = new Array<number>(this.length);
    let k = 0;
    for (let p = 0; p < this.parts.length; p++) {
      const n = this.parts[p].length;
      const f = this.from[p];
      if (f < 0) cols.fill(-1 - f, k, k + n);
      else for (let i = 0; i < n; i++) cols[k + i] = colAt(this.src, f + i);
      k += n;
    }
    return { text: this.parts.join(''), file: this.src.file, line: this.src.line, cols };
  }

  private take(pos: number): void {
    if (pos <= this.done) return;
    this.parts.push(this.src.text.slice(this.done, pos));
    this.from.push(this.done);
    this.length += pos - this.done;
    this.done = pos;
  }
}

interface Ref { name: string; end: number; params: number[] }

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Parse `$NAME` or `${NAME [p1 [p2]]}` at `pos` (keepalived find_definition
 * rules), scanning only the reference itself.
 */
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
  // `( +\d+)*}`: parameters are blank-separated numbers, no blank before the `}`.
  const params: number[] = [];
  while (t.charCodeAt(i) === 32) {
    let j = i;
    while (t.charCodeAt(j) === 32) j++;
    let k = j;
    while (isDigit(t.charCodeAt(k))) k++;
    if (k === j) return undefined;
    params.push(Number(t.slice(j, k)));
    i = k;
  }
  if (t[i] !== '}') return undefined;
  return { name, end: i + 1, params };
}

/** A generator's values, produced on demand. */
interface GenSpec {
  count: number;
  assign(k: number): Array<[string, string]>;
  textStart: number;
}

/** `~SEQ(var, [start,] [step,] end)` / `~SEQx(...)`; returns an error message on failure. */
function parseSeq(t: string, max: number, expand: (s: string) => string): GenSpec | string {
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
  if (!(count <= max)) return `~SEQ produces too many values (more than ${max}) '${t}'`;
  const name = m[2];
  return {
    count,
    textStart: m[0].length,
    assign: (k) => {
      const v = start + k * step;
      return [[name, hex ? v.toString(16) : String(v)]];
    },
  };
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
  return { count: values.length, assign: (k) => values[k], textStart };
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
