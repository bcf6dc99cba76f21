/**
 * keepalived.conf front end: preprocess → block tree → typed, validated model
 * with located diagnostics. Never throws on any input text.
 *
 * ```ts
 * const { config, diagnostics } = loadConfig('/etc/keepalived/keepalived.conf', { configId: 'lb1' });
 * ```
 */
import { limitsWith, type Limits } from './budget';
import { DiagnosticSink, type Diagnostic } from './diagnostics';
import { nodeConfigFs } from './fs';
import type { KeepalivedConfig } from './model';
import { newRoot, rootSection } from './parse';
import { Preprocessor, type ConfigFs } from './preprocess';
import { runSection, type Ctx } from './schema';
import { TreeBuilder } from './tree';
import { finish } from './validate';

export * from './model';
export type { VipConfig, IpPrefix } from './address';
export { parseIpPrefix, parseIp } from './address';
export { formatDiagnostic, type Diagnostic, type Severity } from './diagnostics';
export { splitQuotedEscaped } from './lexer';
export type { ConfigFs } from './preprocess';
export { nodeConfigFs, memoryConfigFs } from './fs';
export { BUDGET_CODES, DEFAULT_LIMITS, type Limits } from './budget';

export interface LoadOptions {
  /** `-i` config id for `@id` lines; default: first label of the host name. */
  configId?: string;
  /** Host name (default router_id and config id); default: os.hostname() is NOT read here, pass it. */
  hostname?: string;
  /** File access (default: the real file system). */
  fs?: ConfigFs;
  /** When given, interface names are checked (as `keepalived -t` does). */
  interfaceExists?: (name: string) => boolean;
  /** Predefined parameters (`$NAME`). */
  env?: Record<string, string>;
  /** Random source for `${_RANDOM}`. */
  random?: () => number;
  /** Resource budgets replacing some of DEFAULT_LIMITS (budget.ts). */
  limits?: Partial<Limits>;
}

export interface LoadResult {
  config: KeepalivedConfig;
  diagnostics: Diagnostic[];
}

/** Parse a configuration file (and its includes). */
export function loadConfig(path: string, opts: LoadOptions = {}): LoadResult {
  return run(opts, (pp) => {
    pp.enterRoot(path);
    pp.processFile(path);
  });
}

/** Parse configuration text as if it were the file `fileName`. */
export function parseConfigText(text: string, fileName = 'keepalived.conf', opts: LoadOptions = {}): LoadResult {
  return run(opts, (pp) => {
    pp.enterRoot(fileName);
    pp.processText(text, fileName);
  });
}

function run(opts: LoadOptions, feed: (pp: Preprocessor) => void): LoadResult {
  const limits = limitsWith(opts.limits);
  const sink = new DiagnosticSink(limits.diagnosticsPerFile, limits.diagnosticsTotal);
  const hostname = opts.hostname ?? 'localhost';
  const configId = opts.configId ?? hostname.split('.')[0];
  const cx: Ctx = { diags: sink, env: { hostname, interfaceExists: opts.interfaceExists }, unmodelled: [] };
  const root = newRoot(hostname);
  // Each top-level block is interpreted as soon as it is complete (see TreeBuilder).
  const tb = new TreeBuilder(sink, (n) => runSection(rootSection, [n], root, cx), limits.blockDepth);
  const pp = new Preprocessor({
    configId, fs: opts.fs ?? nodeConfigFs, random: opts.random, defines: opts.env, onPiece: (t, raw) => tb.push(t, raw), limits,
  }, sink);
  feed(pp);
  tb.finish();
  const model = finish(root, cx);
  sink.finish();
  return { config: { ...model, unmodelled: cx.unmodelled }, diagnostics: sink.list };
}

/**
 * Problems keepalived prints but reports at level CONFIG_OK for a plain
 * `include` (lib/parser.c file_config_error() without INCLUDE_R/M/W/B): they
 * do not change the exit status of `keepalived -t`. Nor does the summary of
 * suppressed diagnostics: each suppressed one has a code that is shown.
 */
const STATUS_NEUTRAL = new Set(['W_INCLUDE_NOT_FOUND', 'W_INCLUDE_UNREADABLE', 'W_DIAGNOSTICS_SUPPRESSED']);

/**
 * The exit status of `keepalived -t` (2.2.7, main.c config_test_exit()) for
 * these diagnostics: 0 clean; 2 when a keyword lacks its value (keepalived
 * stops there); 4 when the configuration cannot run (file not
 * found and nothing else reported); 6 script-security problems; 5 any other
 * reported problem (keepalived keeps the *last-ranked* error class, so any
 * warning yields 5, even with a missing interface). A missing or unreadable
 * include file alone leaves the status at 0, as in keepalived.
 */
export function configTestExitCode(all: Diagnostic[]): number {
  const diags = all.filter((d) => !STATUS_NEUTRAL.has(d.code));
  if (diags.length === 0) return 0;
  // A keyword missing its value makes keepalived exit(KEEPALIVED_EXIT_CONFIG) = 2 at once (null_strvec()).
  if (diags.some((d) => d.code === 'E_MISSING_PARAMETER')) return 2;
  if (diags.some((d) => d.code.startsWith('W_SCRIPT_SECURITY'))) return 6;
  if (diags.every((d) => d.code === 'E_FILE_NOT_FOUND')) return 4;
  return 5;
}

/** True when the configuration has an error that prevents running (not merely warnings). */
export function hasErrors(diags: Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}
