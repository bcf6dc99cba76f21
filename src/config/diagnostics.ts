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

/** Collects diagnostics; handed to every parsing stage. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  error(code: string, loc: Loc, message: string): void {
    this.list.push({ severity: 'error', code, message, file: loc.file, line: loc.line, col: loc.col });
  }

  warn(code: string, loc: Loc, message: string): void {
    this.list.push({ severity: 'warning', code, message, file: loc.file, line: loc.line, col: loc.col });
  }

  /** Report with severity derived from the code prefix. */
  report(code: string, loc: Loc, message: string): void {
    if (code.startsWith('E_')) this.error(code, loc, message);
    else this.warn(code, loc, message);
  }
}

/** `FILE:LINE:COL: error|warning: message [code]` (one line, as the CLI prints it). */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message} [${d.code}]`;
}

/** A location for problems not tied to a line (e.g. the whole file). */
export function fileLoc(file: string): Loc {
  return { file, line: 0, col: 0 };
}
