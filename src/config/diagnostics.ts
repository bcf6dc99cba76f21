/**
 * Located configuration diagnostics. User mistakes never throw: every problem
 * becomes a {@link Diagnostic} with a stable `code`, a severity and the
 * file:line:col of the token that caused it (through includes and parameter
 * substitution).
 *
 * Code prefixes: `E_` codes are reported as errors, `W_` codes as warnings.
 */
export type Severity = 'error' | 'warning';

/** Where a token came from. `line` and `col` are 1-based. */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export interface Diagnostic extends Loc {
  severity: Severity;
  /** Stable identifier, e.g. `W_UNKNOWN_KEYWORD`; tests assert it. */
  code: string;
  message: string;
}

/** Per-file bookkeeping of the sink. */
interface FileCount {
  shown: number;
  codes: Set<string>;
  suppressed: number;
  firstSuppressed?: Loc;
}

/**
 * Collects diagnostics; handed to every parsing stage.
 *
 * A hostile file can produce a diagnostic per line: after `perFile`
 * diagnostics of one file (or `total` overall) only a code not yet shown for
 * that file (overall) is kept, the others are counted, and {@link finish}
 * adds one W_DIAGNOSTICS_SUPPRESSED per file saying how many were left out.
 * Every code still appears at least once, so the `-t` exit status (which
 * depends only on which codes occur) is the same as with all of them.
 * Quoted input in messages is shortened (see {@link shorten}).
 */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  private readonly files = new Map<string, FileCount>();
  private readonly codes = new Set<string>();

  constructor(private readonly perFile = Infinity, private readonly total = Infinity) {}

  error(code: string, loc: Loc, message: string): void {
    this.add('error', code, loc, message);
  }

  warn(code: string, loc: Loc, message: string): void {
    this.add('warning', code, loc, message);
  }

  /** Report with severity derived from the code prefix. */
  report(code: string, loc: Loc, message: string): void {
    this.add(code.startsWith('E_') ? 'error' : 'warning', code, loc, message);
  }

  /** Whether a diagnostic with this code at this file would be kept (callers may skip building costly messages). */
  accepts(code: string, file: string): boolean {
    const f = this.files.get(file);
    if (f && f.shown >= this.perFile && f.codes.has(code)) return false;
    return this.list.length < this.total || !this.codes.has(code);
  }

  /** Add the W_DIAGNOSTICS_SUPPRESSED summaries (once, after the last diagnostic). */
  finish(): void {
    for (const [file, f] of this.files) {
      if (f.suppressed === 0) continue;
      const at = f.firstSuppressed ?? fileLoc(file);
      this.list.push({
        severity: 'warning', code: 'W_DIAGNOSTICS_SUPPRESSED', file: at.file, line: at.line, col: at.col,
        message: `${f.suppressed} more diagnostics in ${shorten(file)} suppressed (from here on, only the first of each kind is shown)`,
      });
      f.suppressed = 0;
    }
  }

  private add(severity: Severity, code: string, loc: Loc, message: string): void {
    let f = this.files.get(loc.file);
    if (!f) this.files.set(loc.file, (f = { shown: 0, codes: new Set(), suppressed: 0 }));
    if (!this.accepts(code, loc.file)) {
      if (f.suppressed++ === 0) f.firstSuppressed = { file: loc.file, line: loc.line, col: loc.col };
      return;
    }
    f.shown++;
    f.codes.add(code);
    this.codes.add(code);
    this.list.push({ severity, code, message: shorten(message), file: loc.file, line: loc.line, col: loc.col });
  }
}

/** Longest quoted text kept in a message, and longest message. */
const MAX_QUOTED = 200;
const MAX_MESSAGE = 1000;

/**
 * A message with every stretch of text between quotes longer than 200
 * characters cut to 200 and "...", and at most 1,000 characters in all (a
 * line of the configuration can be 64 KiB long).
 */
export function shorten(message: string): string {
  if (message.length <= MAX_QUOTED) return message;
  const parts = message.split("'");
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].length > MAX_QUOTED) parts[i] = parts[i].slice(0, MAX_QUOTED) + '...';
  }
  const m = parts.join("'");
  return m.length > MAX_MESSAGE ? m.slice(0, MAX_MESSAGE) + '...' : m;
}

/** `FILE:LINE:COL: error|warning: message [code]` (one line, as the CLI prints it). */
export function formatDiagnostic(d: Diagnostic): string {
  // A problem of the whole file (fileLoc) has no line to name.
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  return `${where}: ${d.severity}: ${d.message} [${d.code}]`;
}

/** A location for problems not tied to a line (e.g. the whole file). */
export function fileLoc(file: string): Loc {
  return { file, line: 0, col: 0 };
}
