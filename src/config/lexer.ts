/**
 * Line-level lexing with keepalived's rules (lib/parser.c):
 *  - `decomment`: `!` and `#` start a comment anywhere outside double quotes;
 *    `\#` and `\!` outside quotes stand for the literal character; a trailing
 *    `\` marks a continued (multi-line) parameter definition.
 *  - `splitPieces`: `{` and `}` outside double quotes are lines of their own.
 *  - `tokenize`: words split on blanks; a word starting with `"` runs to the
 *    next `"` and loses its quotes (no escapes at this level).
 *  - `splitQuotedEscaped`: the script-command splitter (quotes `"`/`'`,
 *    backslash escapes incl. `\xHH`, `\cX`, octal, `\n` ...).
 * Every character keeps its source column so tokens stay located.
 */
import type { Loc } from './diagnostics';

/** One logical line of text with its origin. `cols` maps text index to column. */
export interface SrcLine {
  text: string;
  file: string;
  line: number;
  /** A number: column of text[0] with identity mapping; an array: per-character columns. */
  cols: number | number[];
}

/**
 * A word of a line with where it starts. One object per word, with the
 * location fields inline (a configuration has about a million of them);
 * `loc` builds a Loc on access, to be stored by whoever keeps it.
 */
export class Token {
  constructor(
    readonly text: string,
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** The word was written in double quotes. */
    readonly quoted: boolean,
  ) {}

  get loc(): Loc {
    return { file: this.file, line: this.line, col: this.col };
  }
}

/** A line piece after brace splitting: its tokens and raw text (for scripts). */
export interface Piece {
  tokens: Token[];
  raw: string;
  loc: Loc;
}

export function colAt(l: SrcLine, i: number): number {
  if (typeof l.cols === 'number') return l.cols + i;
  if (l.cols.length === 0) return 1;
  return l.cols[Math.min(i, l.cols.length - 1)];
}

export function locAt(l: SrcLine, i: number): Loc {
  return { file: l.file, line: l.line, col: colAt(l, i) };
}

/** Sub-line [start, end) keeping columns. */
export function slice(l: SrcLine, start: number, end = l.text.length): SrcLine {
  const cols = typeof l.cols === 'number' ? l.cols + start : l.cols.slice(start, end);
  return { text: l.text.slice(start, end), file: l.file, line: l.line, cols };
}

function colArray(l: SrcLine): number[] {
  if (typeof l.cols !== 'number') return l.cols.slice();
  const a = new Array<number>(l.text.length);
  for (let i = 0; i < a.length; i++) a[i] = l.cols + i;
  return a;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t';

function trimBlanks(l: SrcLine): SrcLine {
  let s = 0;
  let e = l.text.length;
  while (s < e && isBlank(l.text[s])) s++;
  while (e > s && isBlank(l.text[e - 1])) e--;
  return s === 0 && e === l.text.length ? l : slice(l, s, e);
}

export interface Decommented {
  line: SrcLine;
  /** The line ended with `\` (continuation of a parameter definition); the `\` is kept. */
  cont: boolean;
  unterminatedQuote: boolean;
}

/** keepalived's decomment(): strip comments and surrounding blanks. */
export function decomment(input: SrcLine): Decommented {
  const t = input.text;
  if (t.indexOf('\\') < 0) return decommentSimple(input);
  let quote = false;
  let out = '';
  const cols: number[] = [];
  const src = colArray(input);
  let cont = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '"') quote = !quote;
    else if (c === '\\') {
      if (i + 1 >= t.length) { cont = true; break; }
      const n = t[i + 1];
      if (!quote && (n === '#' || n === '!')) { out += n; cols.push(src[i + 1]); i++; continue; }
      out += c + n; cols.push(src[i], src[i + 1]); i++; continue;
    } else if (!quote && (c === '!' || c === '#')) break;
    out += c; cols.push(src[i]);
  }
  let line = trimBlanks({ text: out, file: input.file, line: input.line, cols });
  if (cont) line = { ...line, text: line.text + '\\', cols: [...colArray(line), colAt(input, t.length - 1)] };
  return { line, cont, unterminatedQuote: quote };
}

function decommentSimple(input: SrcLine): Decommented {
  const t = input.text;
  let quote = false;
  let end = t.length;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 34) quote = !quote;
    else if (!quote && (c === 33 || c === 35)) { end = i; break; }
  }
  // Strip the comment and the surrounding blanks with one slice.
  let s = 0;
  while (s < end && (t.charCodeAt(s) === 32 || t.charCodeAt(s) === 9)) s++;
  while (end > s && (t.charCodeAt(end - 1) === 32 || t.charCodeAt(end - 1) === 9)) end--;
  const line = s === 0 && end === t.length ? input : slice(input, s, end);
  return { line, cont: false, unterminatedQuote: quote };
}

/** Split a line at `{` / `}` outside double quotes; each brace is a piece of its own. */
export function splitPieces(l: SrcLine): SrcLine[] {
  const t = l.text;
  if (t.indexOf('{') < 0 && t.indexOf('}') < 0) return [l];
  if (t === '{' || t === '}') return [l];
  // The common "keyword args {" line, without quotes: two pieces, no scanning.
  const last = t.length - 1;
  if (t.charCodeAt(last) === 123 && t.indexOf('{') === last && t.indexOf('}') < 0 && t.indexOf('"') < 0) {
    let e = last;
    while (e > 0 && isBlank(t[e - 1])) e--;
    return e === 0 ? [slice(l, last)] : [slice(l, 0, e), slice(l, last)];
  }
  const out: SrcLine[] = [];
  let quote = false;
  let start = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '"') quote = !quote;
    else if (!quote && (c === '{' || c === '}')) {
      pushTrimmed(out, slice(l, start, i));
      out.push(slice(l, i, i + 1));
      start = i + 1;
    }
  }
  pushTrimmed(out, slice(l, start));
  return out;
}

function pushTrimmed(out: SrcLine[], l: SrcLine): void {
  const t = trimBlanks(l);
  if (t.text.length > 0) out.push(t);
}

/** Words of the line being tokenized; copied out at the exact size (a fresh [] grows to 17 slots). */
const scratch: Token[] = [];

/** keepalived's alloc_strvec(): blank-separated words, `"..."` as one word. */
export function tokenize(l: SrcLine): { tokens: Token[]; unmatchedQuote?: Loc } {
  const t = l.text;
  let n = 0;
  let unmatchedQuote: Loc | undefined;
  let i = 0;
  while (i < t.length) {
    while (i < t.length && isBlank(t[i])) i++;
    if (i >= t.length) break;
    const start = i;
    if (t[i] === '"') {
      const close = t.indexOf('"', i + 1);
      if (close < 0) { unmatchedQuote = locAt(l, start); break; }
      scratch[n++] = new Token(t.slice(i + 1, close), l.file, l.line, colAt(l, start), true);
      i = close + 1;
      continue;
    }
    while (i < t.length && !isBlank(t[i]) && t[i] !== '"') i++;
    scratch[n++] = new Token(t.slice(start, i), l.file, l.line, colAt(l, start), false);
  }
  const tokens = scratch.slice(0, n);
  return unmatchedQuote ? { tokens, unmatchedQuote } : { tokens };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** Result of {@link splitQuotedEscaped}; `error` describes why splitting failed. */
export interface SplitResult {
  words: string[];
  error?: string;
}

/**
 * keepalived's alloc_strvec_quoted_escaped(): used to turn a script command
 * into argv. `"` and `'` group words (and may start mid-word); backslash
 * escapes work inside and outside quotes.
 */
export function splitQuotedEscaped(src: string): SplitResult {
  const words: string[] = [];
  let i = 0;
  while (i < src.length) {
    while (i < src.length && isBlank(src[i])) i++;
    if (i >= src.length) break;
    const r = readWord(src, i);
    if (r.error) return { words, error: r.error };
    words.push(r.word);
    i = r.next;
  }
  return { words };
}

/** Characters that end a plain run inside readWord: blank, tab, quotes, backslash. */
const isWordStop = (c: number): boolean => c === 32 || c === 9 || c === 34 || c === 39 || c === 92;

function readWord(src: string, i: number): { word: string; next: number; error?: string } {
  let word = '';
  let quote = '';
  while (i < src.length) {
    if (!quote) {
      // Copy a run of plain characters at once (not one string per character).
      let stop = i;
      while (stop < src.length && !isWordStop(src.charCodeAt(stop))) stop++;
      if (stop > i) { word += src.slice(i, stop); i = stop; continue; }
    } else {
      const close = src.indexOf(quote, i);
      const bs = src.indexOf('\\', i);
      const stop = Math.min(close < 0 ? src.length : close, bs < 0 ? src.length : bs);
      if (stop > i) { word += src.slice(i, stop); i = stop; continue; }
    }
    const c = src[i];
    if (c === '\\') {
      const e = readEscape(src, i + 1);
      if (e === undefined) return { word, next: i, error: `Missing escape char at end: '${src}'` };
      word += e.ch;
      i = e.next;
    } else if (quote) {
      if (c === quote) quote = ''; else word += c;
      i++;
    } else if (c === '"' || c === "'") {
      quote = c;
      i++;
    } else if (isBlank(c)) break;
    else { word += c; i++; }
  }
  if (quote) return { word, next: i, error: `String '${src}': missing terminating ${quote}` };
  return { word, next: i };
}

function readEscape(s: string, i: number): { ch: string; next: number } | undefined {
  if (i >= s.length) return undefined;
  const c = s[i];
  if (c === 'x' && /[0-9a-fA-F]/.test(s[i + 1] ?? '')) {
    let j = i + 1;
    let v = 0;
    while (j < s.length && /[0-9a-fA-F]/.test(s[j])) { v = ((v << 4) | parseInt(s[j], 16)) & 0xff; j++; }
    return { ch: String.fromCharCode(v), next: j };
  }
  if (c === 'c' && i + 1 < s.length) return { ch: String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), next: i + 2 };
  if (c >= '0' && c <= '7') {
    let j = i;
    let v = 0;
    while (j < s.length && j < i + 3 && s[j] >= '0' && s[j] <= '7') { v = (v * 8 + (s.charCodeAt(j) - 48)) & 0xff; j++; }
    return { ch: String.fromCharCode(v), next: j };
  }
  return { ch: SIMPLE_ESCAPES[c] ?? c, next: i + 1 };
}

/** Replace [start, end) of a line with `text`, all located at column of `start`. */
export function spliceLine(l: SrcLine, start: number, end: number, text: string): SrcLine {
  if (typeof l.cols === 'number' && end - start === text.length) {
    return { ...l, text: l.text.slice(0, start) + text + l.text.slice(end) };
  }
  const cols = colArray(l);
  const at = colAt(l, start);
  const mid = new Array<number>(text.length).fill(at);
  return {
    text: l.text.slice(0, start) + text + l.text.slice(end),
    file: l.file,
    line: l.line,
    cols: [...cols.slice(0, start), ...mid, ...cols.slice(end)],
  };
}
