/**
 * Resource budgets of the configuration front end. `src/config` promises that
 * no input text makes it throw, hang or exhaust memory: every resource an
 * input can make it spend has a budget here. When one runs out the front end
 * reports a located error with the budget's own code and stops that branch
 * (the line, the include, the expansion or the generator), going on with the
 * rest of the configuration where that makes sense.
 *
 * The values are far above what a real configuration needs (keepalived itself
 * cuts every line at 1,023 bytes, MAXBUF in lib/parser.h) and low enough that
 * a hostile input stays within about a second and a few hundred MB.
 */
export interface Limits {
  /** Characters of one line, as read or after parameter substitution (E_BUDGET_LINE_LENGTH). */
  lineLength: number;
  /**
   * Characters produced by parameter substitution and generators (each
   * generator run its template line), in total (E_BUDGET_EXPANDED_SIZE).
   */
  expandedSize: number;
  /**
   * Lines a multi-line parameter expands to, plus the line pieces (keyword
   * lines and braces) emitted from expanded or generated lines, in total
   * (E_BUDGET_EXPANDED_LINES).
   */
  expandedLines: number;
  /** Words (tokens) of all lines, read or expanded, in total (E_BUDGET_WORDS). */
  words: number;
  /** `~SEQ` / `~LST` iterations, in total, whether or not they emit a line (E_BUDGET_GENERATOR). */
  generatorIterations: number;
  /** Nesting of parameter expansions and generators inside one line (E_BUDGET_EXPANSION_DEPTH). */
  expansionDepth: number;
  /** Nesting of included files (E_BUDGET_INCLUDE_DEPTH). */
  includeDepth: number;
  /** Files opened by `include`, in total (E_BUDGET_INCLUDES). */
  includeOpens: number;
  /** Characters read from configuration files, in total (E_BUDGET_INPUT_SIZE). */
  inputSize: number;
  /** Lines read from configuration files, in total, a file read twice counting twice (E_BUDGET_INPUT_LINES). */
  inputLines: number;
  /** Length of an include pattern (PATH_MAX) (E_BUDGET_GLOB). */
  globPatternLength: number;
  /** Patterns one include's `{a,b}` braces expand to (E_BUDGET_GLOB). */
  globAlternatives: number;
  /** Directory entries read and pattern-matching steps, in total (E_BUDGET_GLOB). */
  globWork: number;
  /** Nesting of `{ }` blocks (E_BUDGET_BLOCK_DEPTH). */
  blockDepth: number;
  /** Diagnostics shown per file before the rest are summed up (W_DIAGNOSTICS_SUPPRESSED). */
  diagnosticsPerFile: number;
  /** Diagnostics shown over all files before the rest are summed up (W_DIAGNOSTICS_SUPPRESSED). */
  diagnosticsTotal: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  lineLength: 65_536,
  expandedSize: 16 * MIB,
  expandedLines: 200_000,
  words: 2_000_000,
  generatorIterations: 100_000,
  expansionDepth: 64,
  includeDepth: 32,
  includeOpens: 4_096,
  inputSize: 64 * MIB,
  inputLines: 1_000_000,
  globPatternLength: 4_096,
  globAlternatives: 1_024,
  globWork: 10_000_000,
  blockDepth: 64,
  diagnosticsPerFile: 200,
  diagnosticsTotal: 5_000,
});

/** The stable code of each budget (tests and the README list them). */
export const BUDGET_CODES: Readonly<Record<keyof Limits, string>> = Object.freeze({
  lineLength: 'E_BUDGET_LINE_LENGTH',
  expandedSize: 'E_BUDGET_EXPANDED_SIZE',
  expandedLines: 'E_BUDGET_EXPANDED_LINES',
  words: 'E_BUDGET_WORDS',
  generatorIterations: 'E_BUDGET_GENERATOR',
  expansionDepth: 'E_BUDGET_EXPANSION_DEPTH',
  includeDepth: 'E_BUDGET_INCLUDE_DEPTH',
  includeOpens: 'E_BUDGET_INCLUDES',
  inputSize: 'E_BUDGET_INPUT_SIZE',
  inputLines: 'E_BUDGET_INPUT_LINES',
  globPatternLength: 'E_BUDGET_GLOB',
  globAlternatives: 'E_BUDGET_GLOB',
  globWork: 'E_BUDGET_GLOB',
  blockDepth: 'E_BUDGET_BLOCK_DEPTH',
  diagnosticsPerFile: 'W_DIAGNOSTICS_SUPPRESSED',
  diagnosticsTotal: 'W_DIAGNOSTICS_SUPPRESSED',
});

/** The defaults with some values replaced (tests use small budgets). */
export function limitsWith(over?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...over };
}
