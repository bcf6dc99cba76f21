/**
 * The table-driven keyword schema (keepalived's good idea, without its global
 * "current object"): a {@link Section} maps keywords to handlers, each handler
 * writes into the builder of the block it belongs to. Value readers report a
 * located diagnostic and return `undefined` on bad input; they never throw.
 */
import type { DiagnosticSink, Loc } from './diagnostics';
import { splitQuotedEscaped, type Token } from './lexer';
import type { ScriptCommand, UnmodelledKeyword } from './model';
import type { Node } from './tree';

export interface ParseEnv {
  /** Used as default router_id. */
  hostname: string;
  /** When given, interfaces named in the config are checked (like `keepalived -t`). */
  interfaceExists?: (name: string) => boolean;
}

export interface Ctx {
  diags: DiagnosticSink;
  env: ParseEnv;
  unmodelled: UnmodelledKeyword[];
  /** Position of the node being handled in parse order (definitions must precede references). */
  seq?: number;
  /** Parse-order position of each track reference (a plain map per parse: a WeakMap costs the GC). */
  refSeq?: Map<object, number>;
  /** global_defs `dynamic_interfaces` seen (keepalived then keeps references to missing interfaces). */
  dynamicInterfaces?: boolean;
}

export type Handler<B> = (n: Node, b: B, cx: Ctx) => void;

export interface Section<B> {
  /** Name used in messages, e.g. `vrrp_instance`. */
  name: string;
  keywords: Record<string, Handler<B>>;
  /** keepalived keywords accepted but not modelled (kept in `other` when the builder has one). */
  known?: readonly string[];
}

const blockHandlers = new WeakSet<object>();

/** Wrap a handler that needs a `{ }` block; reports a missing block once. */
export function block<B>(fn: (children: Node[], n: Node, b: B, cx: Ctx) => void): Handler<B> {
  const h: Handler<B> = (n, b, cx) => {
    if (!n.children) {
      cx.diags.warn('W_MISSING_BLOCK', n.loc, `'${n.key.text}' expects a '{ ... }' block - ignored`);
      return;
    }
    fn(n.children, n, b, cx);
  };
  blockHandlers.add(h);
  return h;
}

/** Run a section's handlers over a block's nodes. */
export function runSection<B>(sec: Section<B>, nodes: Node[], b: B, cx: Ctx): void {
  for (const n of nodes) {
    cx.seq = (cx.seq ?? 0) + 1;
    const key = n.key.text;
    const h = Object.prototype.hasOwnProperty.call(sec.keywords, key) ? sec.keywords[key] : undefined;
    if (h) {
      // The keyword token is a Loc already (file/line/col): no new object per keyword.
      const locs = (b as { locs?: Record<string, Loc> }).locs;
      if (locs) locs[key] = n.key;
      if (n.children && !blockHandlers.has(h)) {
        cx.diags.warn('W_UNEXPECTED_BLOCK', n.blockLoc ?? n.loc, `'${key}' in ${sec.name} takes no '{ }' block - block ignored`);
      }
      h(n, b, cx);
    } else if (sec.known?.includes(key)) {
      cx.unmodelled.push({ section: sec.name, keyword: key, loc: n.loc });
      const other = (b as { other?: Record<string, string[]> }).other;
      if (other) other[key] = n.args.map((t) => t.text);
    } else unknownKeyword(sec, n, cx);
  }
}

function unknownKeyword<B>(sec: Section<B>, n: Node, cx: Ctx): void {
  const key = n.key.text;
  if (!cx.diags.accepts('W_UNKNOWN_KEYWORD', n.key.file)) {
    cx.diags.warn('W_UNKNOWN_KEYWORD', n.loc, '');
    return;
  }
  const guess = suggest(sec, key);
  const hint = guess ? ` - did you mean '${guess}'?` : '';
  cx.diags.warn('W_UNKNOWN_KEYWORD', n.loc, `Unknown keyword '${key}' in ${sec.name}${hint}`);
}

/** A section's keywords, lower-cased once, for suggestions. */
interface Vocabulary {
  names: string[];
  lower: string[];
  /** Answers already given (a hostile file repeats one unknown word many times). */
  memo: Map<string, string | undefined>;
}

const vocabularies = new WeakMap<object, Vocabulary>();
const MEMO_SIZE = 1024;

/** "Did you mean": the keyword of `sec` closest to `word`, if close enough. */
function suggest<B>(sec: Section<B>, word: string): string | undefined {
  let v = vocabularies.get(sec);
  if (!v) {
    const names = [...Object.keys(sec.keywords), ...(sec.known ?? [])];
    v = { names, lower: names.map((x) => x.toLowerCase()), memo: new Map() };
    vocabularies.set(sec, v);
  }
  if (v.memo.has(word)) return v.memo.get(word);
  const guess = closestIn(word.toLowerCase(), v.names, v.lower);
  if (v.memo.size < MEMO_SIZE) v.memo.set(word, guess);
  return guess;
}

/** The candidate within a small edit distance of `word`, if any. */
export function closest(word: string, candidates: string[]): string | undefined {
  return closestIn(word.toLowerCase(), candidates, candidates.map((c) => c.toLowerCase()));
}

/**
 * Allowed distance: a quarter of the word, at least 2. Only candidates of
 * about the same length and with about the same letters (the bag distance,
 * a lower bound of the edit distance) are compared, each with a distance
 * computation that gives up beyond the best so far, so a long or odd word
 * costs little.
 */
function closestIn(lowerWord: string, candidates: string[], lower: string[]): string | undefined {
  if (lowerWord.length > MAX_WORD) return undefined;
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(lowerWord.length / 4)) + 1;
  for (let i = 0; i < candidates.length; i++) {
    const c = lower[i];
    if (Math.abs(c.length - lowerWord.length) >= bestD || c.length > MAX_WORD) continue;
    if (bagDistance(lowerWord, c) >= bestD) continue;
    const d = editDistance(lowerWord, c, bestD - 1);
    if (d < bestD) { bestD = d; best = candidates[i]; }
  }
  return best;
}

/** Longest word a suggestion is looked for (keywords are shorter than 64). */
const MAX_WORD = 255;
const bag = new Int32Array(65536);

/** max(letters of a not in b, letters of b not in a), counted with multiplicity: at most the edit distance. */
function bagDistance(a: string, b: string): number {
  for (let i = 0; i < a.length; i++) bag[a.charCodeAt(i)]++;
  for (let i = 0; i < b.length; i++) bag[b.charCodeAt(i)]--;
  let plus = 0;
  let minus = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (bag[c] > 0) plus += bag[c];
    else if (bag[c] < 0) minus -= bag[c];
    bag[c] = 0;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (bag[c] < 0) minus -= bag[c];
    bag[c] = 0;
  }
  return Math.max(plus, minus);
}

/** Two rows for editDistance, reused (no allocation per comparison). */
let rowA = new Int32Array(MAX_WORD + 2);
let rowB = new Int32Array(MAX_WORD + 2);

/**
 * Levenshtein distance of `a` and `b`; with `max`, any distance above `max`
 * is returned as `max + 1` and only the diagonal band |i - j| <= max is
 * computed (O(length x max) instead of O(length^2)).
 */
export function editDistance(a: string, b: string, max = Math.max(a.length, b.length)): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (b.length + 2 > rowA.length) {
    rowA = new Int32Array(b.length + 2);
    rowB = new Int32Array(b.length + 2);
  }
  const big = max + 1;
  let prev = rowA;
  let cur = rowB;
  for (let j = 0; j <= b.length; j++) prev[j] = j <= max ? j : big;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    // Outside the band a cell counts as "too far": the left edge and the cell after the right one.
    cur[lo - 1] = lo === 1 && i <= max ? i : big;
    if (hi < b.length) cur[hi + 1] = big;
    let rowMin = cur[lo - 1];
    const ai = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      let d = prev[j - 1] + (ai === b.charCodeAt(j - 1) ? 0 : 1);
      if (prev[j] + 1 < d) d = prev[j] + 1;
      if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
      cur[j] = d > big ? big : d;
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > max) return big;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return Math.min(prev[b.length], big);
}

/* ------------------------------ value readers ----------------------------- */

/**
 * Argument `i` (0-based, after the keyword). When it is missing:
 * E_MISSING_PARAMETER - keepalived 2.2.7 reads most values with strvec_slot(),
 * which reports "*** Configuration line starting ... is missing a parameter"
 * and exits 2 (null_strvec()); `lenient` for the handlers that check the word
 * count first and only ignore the line (W_MISSING_PARAMETER).
 */
export function arg(n: Node, i: number, cx: Ctx, what = 'value', lenient = false): Token | undefined {
  const t = n.args[i];
  if (t) return t;
  if (lenient) cx.diags.warn('W_MISSING_PARAMETER', n.loc, `'${n.key.text}' is missing its ${what} - ignored`);
  else {
    cx.diags.error('E_MISSING_PARAMETER', n.loc,
      `'${n.key.text}' is missing its ${what} (keepalived stops reading the configuration here) - ignored`);
  }
  return undefined;
}

export function parseIntStrict(s: string): number | undefined {
  if (!/^[-+]?\d+$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Integer argument in [min, max]; `dflt` names the value used instead (for the message). */
export function readInt(n: Node, i: number, min: number, max: number, cx: Ctx, dflt?: string | number): number | undefined {
  const t = arg(n, i, cx);
  if (!t) return undefined;
  const v = parseIntStrict(t.text);
  const using = dflt === undefined ? 'ignored' : `using ${dflt}`;
  if (v === undefined) {
    cx.diags.warn('W_INVALID_NUMBER', t.loc, `${n.key.text}: '${t.text}' is not a valid number - ${using}`);
    return undefined;
  }
  if (v < min || v > max) {
    cx.diags.warn('W_OUT_OF_RANGE', t.loc, `${n.key.text}: number '${t.text}' outside range [${min}, ${max}] - ${using}`);
    return undefined;
  }
  return v;
}

/** Decimal seconds (e.g. `0.1`, `3`) → integer ms, within [minMs, maxMs]. */
export function readSecondsMs(n: Node, i: number, minMs: number, maxMs: number, cx: Ctx, dflt?: string | number): number | undefined {
  const t = arg(n, i, cx);
  if (!t) return undefined;
  const using = dflt === undefined ? 'ignored' : `using ${dflt}`;
  if (!/^\d+(\.\d*)?$|^\.\d+$/.test(t.text)) {
    cx.diags.warn('W_INVALID_NUMBER', t.loc, `${n.key.text}: '${t.text}' is not a valid time in seconds - ${using}`);
    return undefined;
  }
  const ms = Math.round(Number(t.text) * 1000);
  if (ms < minMs || ms > maxMs) {
    cx.diags.warn('W_OUT_OF_RANGE', t.loc,
      `${n.key.text}: '${t.text}' outside range [${minMs / 1000}, ${maxMs / 1000}] seconds - ${using}`);
    return undefined;
  }
  return ms;
}

/**
 * Whole seconds (keepalived read_unsigned_strvec() then `* TIMER_HZ`: `0.5` is
 * an invalid number there) → integer ms, within [minS, maxS].
 */
export function readWholeSecondsMs(n: Node, i: number, minS: number, maxS: number, cx: Ctx, dflt?: string | number): number | undefined {
  const t = arg(n, i, cx);
  if (!t) return undefined;
  const using = dflt === undefined ? 'ignored' : `using ${dflt}`;
  if (!/^\+?\d+$/.test(t.text)) {
    cx.diags.warn('W_INVALID_NUMBER', t.loc, `${n.key.text}: '${t.text}' is not a whole number of seconds - ${using}`);
    return undefined;
  }
  const v = Number(t.text);
  if (v < minS || v > maxS) {
    cx.diags.warn('W_OUT_OF_RANGE', t.loc, `${n.key.text}: '${t.text}' outside range [${minS}, ${maxS}] seconds - ${using}`);
    return undefined;
  }
  return v * 1000;
}

/** keepalived check_true_false() (case-sensitive): absent ⇒ true; true/on/yes, false/off/no. */
export function readBool(n: Node, i: number, cx: Ctx): boolean | undefined {
  const t = n.args[i];
  if (!t) return true;
  const s = t.text;
  if (s === 'true' || s === 'on' || s === 'yes') return true;
  if (s === 'false' || s === 'off' || s === 'no') return false;
  cx.diags.warn('W_INVALID_BOOLEAN', t.loc, `${n.key.text}: '${t.text}' must be true/false, on/off or yes/no - ignored`);
  return undefined;
}

/* ---------------------------- handler factories --------------------------- */

type Rec = Record<string, unknown>;

export function intField<B>(field: keyof B & string, min: number, max: number, dflt?: number): Handler<B> {
  return (n, b, cx) => {
    const v = readInt(n, 0, min, max, cx, dflt);
    if (v !== undefined) (b as Rec)[field] = v;
  };
}

/** Whole seconds [minS, maxS] → ms; `zeroToOne`: keepalived's "must be greater than 0, setting to 1". */
export function secField<B>(field: keyof B & string, minS: number, maxS: number, dflt?: number, zeroToOne = false): Handler<B> {
  return (n, b, cx) => {
    let v = readWholeSecondsMs(n, 0, minS, maxS, cx, dflt === undefined ? undefined : `${dflt / 1000}s`);
    if (v === 0 && zeroToOne) {
      cx.diags.warn('W_OUT_OF_RANGE', n.args[0].loc, `${n.key.text} must be greater than 0, setting to 1`);
      v = 1000;
    }
    if (v !== undefined) (b as Rec)[field] = v;
  };
}

/** Integer count [0, max] where 0 means 1 (keepalived's "must be greater than 0, setting to 1"). */
export function repeatField<B>(field: keyof B & string, max: number, dflt?: number): Handler<B> {
  return (n, b, cx) => {
    let v = readInt(n, 0, 0, max, cx, dflt);
    if (v === 0) {
      cx.diags.warn('W_OUT_OF_RANGE', n.args[0].loc, `${n.key.text} must be greater than 0, setting to 1`);
      v = 1;
    }
    if (v !== undefined) (b as Rec)[field] = v;
  };
}

export function msField<B>(field: keyof B & string, minMs: number, maxMs: number, dflt?: number): Handler<B> {
  return (n, b, cx) => {
    const v = readSecondsMs(n, 0, minMs, maxMs, cx, dflt === undefined ? undefined : `${dflt / 1000}s`);
    if (v !== undefined) (b as Rec)[field] = v;
  };
}

export function flagField<B>(field: keyof B & string, value = true): Handler<B> {
  return (n, b, cx) => {
    const v = readBool(n, 0, cx);
    if (v !== undefined) (b as Rec)[field] = value ? v : !v;
  };
}

export function strField<B>(field: keyof B & string, lenient = false): Handler<B> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx, 'value', lenient);
    if (t) (b as Rec)[field] = t.text;
  };
}

export function enumField<B>(field: keyof B & string, values: readonly string[], upper = true): Handler<B> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx);
    if (!t) return;
    const v = upper ? t.text.toUpperCase() : t.text;
    if (values.includes(v)) (b as Rec)[field] = v;
    else cx.diags.warn('W_BAD_VALUE', t.loc, `${n.key.text}: '${t.text}' is not one of ${values.join(', ')} - ignored`);
  };
}

export function scriptField<B>(field: keyof B & string): Handler<B> {
  return (n, b, cx) => {
    const s = readScript(n, cx);
    if (s) (b as Rec)[field] = s;
  };
}

/**
 * A script command as keepalived reads it (notify_script_init): the line is
 * re-split with quotes and escapes; word 1 is the command (split again into
 * argv), words 2 and 3 the optional user and group.
 */
export function readScript(n: Node, cx: Ctx): ScriptCommand | undefined {
  const line = splitQuotedEscaped(n.raw);
  if (line.error) {
    cx.diags.warn('W_BAD_SCRIPT', n.loc, `${n.key.text}: ${line.error} - ignored`);
    return undefined;
  }
  const cmd = line.words[1];
  if (cmd === undefined || cmd.trim() === '') {
    cx.diags.warn('W_MISSING_PARAMETER', n.loc, `'${n.key.text}' is missing its script - ignored`);
    return undefined;
  }
  const argv = splitQuotedEscaped(cmd);
  if (argv.error || argv.words.length === 0) {
    cx.diags.warn('W_BAD_SCRIPT', n.args[0]?.loc ?? n.loc, `Unable to parse script '${cmd}' - ignored`);
    return undefined;
  }
  const s: ScriptCommand = { raw: cmd, argv: argv.words, loc: n.args[0]?.loc ?? n.loc };
  if (line.words[2] !== undefined) s.user = line.words[2];
  if (line.words[3] !== undefined) s.group = line.words[3];
  return s;
}

/** Check an interface name against the environment, like `keepalived -t`; false when it is known to be missing. */
export function checkInterface(name: string, loc: Loc, what: string, cx: Ctx): boolean {
  const exists = cx.env.interfaceExists;
  if (exists && !exists(name)) {
    cx.diags.warn('W_NO_INTERFACE', loc, `interface ${name} for ${what} doesn't exist`);
    return false;
  }
  return true;
}
