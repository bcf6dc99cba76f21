/**
 * The command line entry point (bin/keepalived-ts). Everything that touches
 * the process (exit codes, stdout/stderr, the host name, /sys) goes through
 * {@link CliIo} so `runCli` is testable; `main` wires the real process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  configTestExitCode, formatDiagnostic, hasErrors, loadConfig, type Diagnostic, type KeepalivedConfig, type LoadResult, type Loc,
} from '../config';
import { checkConfigScriptsReport } from '../track/script-check';
import { SIGNAL_FUNCTIONS } from '../core/signals';
import { parseArgs, USAGE, type CliOptions } from './args';
import { packageVersion } from '../core/package-info';
import { dumpConfig } from './dump';
import { formatStatusTable, type StatusForTable } from './status-table';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  hostname(): string;
  interfaceExists(name: string): boolean;
  /** Append to a file, creating it (keepalived opens the -t log O_APPEND|O_CREAT); throws on failure. */
  writeFile(file: string, text: string): void;
  /**
   * keepalived's load-time script checks (script security, existence; -t exit
   * 6), with the vrrp_scripts it would disable. Optional: without it `-t`
   * reports configuration problems only.
   */
  checkScripts?(config: KeepalivedConfig): ScriptFindings;
  /** Start the daemon (run mode). */
  startDaemon(options: CliOptions, loaded: LoadResult): void;
  /** --status: print the running daemon's status from its control socket (a table, or JSON with --json). */
  status(socket: string, json: boolean): void;
}

export interface ScriptFindings {
  diagnostics: Diagnostic[];
  /** vrrp_scripts keepalived disables (missing, not executable, no user, insecure under script security). */
  disabledVrrpScripts: Array<{ name: string; loc: Loc }>;
}

/** Exit status for a bad command line (as keepalived). */
export const EXIT_USAGE = 1;

export function versionString(): string {
  return `Keepalived-ts v${packageVersion()} (keepalived v2.2.7 compatible configuration and command line)\n`;
}

/**
 * Run the command line; returns the exit status, or undefined when the daemon
 * was started (the process then lives on).
 */
export function runCli(argv: readonly string[], io: CliIo): number | undefined {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr(`${parsed.error}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const o = parsed.options;
  if (o.help) { io.stderr(USAGE); return 0; }
  if (o.version) { io.stderr(versionString()); return 0; }
  if (o.status) { io.status(o.controlSocket, o.json); return undefined; }
  if (o.signum !== undefined) {
    const n = SIGNAL_FUNCTIONS[o.signum];
    if (n === undefined) {
      io.stderr(`Unknown sigfunc ${o.signum}\n`);
      return 1;
    }
    io.stdout(`${n}\n`);
    return 0;
  }
  for (const w of o.warnings) io.stderr(`Warning: ${w}\n`);
  const host = io.hostname();
  const loaded = loadConfig(o.configFile, {
    configId: o.configId, hostname: host, interfaceExists: (n) => io.interfaceExists(n),
  });
  if (o.dumpConf) io.stderr(dumpConfig(loaded.config));
  if (o.configTest) return configTest(o, loaded, io);
  if (o.dumpJson) {
    io.stdout(JSON.stringify(loaded.config, null, 2) + '\n');
    return hasErrors(loaded.diagnostics) ? 1 : 0;
  }
  // With -l the daemon logs them to the console itself.
  if (!o.logConsole) for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
  if (loaded.diagnostics.some((d) => d.code === 'E_FILE_NOT_FOUND')) return 1;
  io.startDaemon(o, loaded);
  return undefined;
}

/**
 * `-t`: print the diagnostics (to stderr, or appended to the -t log file) and
 * exit like keepalived 2.2.7 config_test_exit(). As in keepalived, the script
 * checks of the VRRP process only run when no configured interface is
 * missing (it stops at "Non-existent interface specified in configuration"
 * before vrrp_complete_init()); the checker and parent processes still check
 * theirs. A log file that cannot be opened is keepalived's exit(EXIT_FAILURE).
 */
function configTest(o: CliOptions, loaded: LoadResult, io: CliIo): number {
  let diags = loaded.diagnostics;
  if (io.checkScripts) {
    const vrrpStops = diags.some((d) => d.code === 'W_NO_INTERFACE');
    const cfg = vrrpStops ? { ...loaded.config, instances: [], syncGroups: [] } : loaded.config;
    const found = io.checkScripts(cfg);
    // keepalived only logs a missing notify/misc script (no -t status change), but reports
    // a vrrp_script it cannot use (vrrp.c check_vrrp_script_security(): status 5).
    const disabled: Diagnostic[] = found.disabledVrrpScripts.map((s) => ({
      severity: 'warning', code: 'W_TRACK_SCRIPT_DISABLED', file: s.loc.file, line: s.loc.line, col: s.loc.col,
      message: `Disabling track script ${s.name} since not found/accessible`,
    }));
    diags = [...diags, ...found.diagnostics, ...disabled];
  }
  const text = diags.map((d) => formatDiagnostic(d) + '\n').join('');
  if (o.configTestLogFile) {
    try {
      io.writeFile(o.configTestLogFile, text);
    } catch (e) {
      io.stderr(`Unable to open config-test log file ${o.configTestLogFile} - ${(e as Error).message}\n`);
      return 1;
    }
  } else io.stderr(text);
  return configTestExitCode(diags.filter((d) => !LOGGED_ONLY.has(d.code)));
}

/**
 * Script findings keepalived 2.2.7 only logs (log_message(): a missing or
 * non-executable notify / MISC_CHECK / fifo script, a $PATH search, a bad
 * script user): printed by -t here, but, as in keepalived, they do not change
 * its exit status. A vrrp_script it cannot use is W_TRACK_SCRIPT_DISABLED.
 */
const LOGGED_ONLY = new Set(['W_SCRIPT_NOT_FOUND', 'W_SCRIPT_NOT_EXECUTABLE', 'W_SCRIPT_WRONG_TYPE', 'W_SCRIPT_USER', 'W_SCRIPT_PATH_SEARCH']);

/** Whether these options start the daemon in the foreground (not -t, -v, -h, --status, --dump-json). */
export function startsForegroundDaemon(o: CliOptions): boolean {
  return o.dontFork && !o.help && !o.version && !o.status && !o.configTest && !o.dumpJson && o.signum === undefined;
}

function reexecAsKeepalived(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadNative } = require('../native') as typeof import('../native');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const identity = require('../daemon/identity') as typeof import('../daemon/identity');
  const n = loadNative();
  if (!n.ok) return; // the daemon reports the missing addon itself
  try {
    identity.reexecAsKeepalived(n.native); // returns only when already named so
  } catch (e) {
    process.stderr.write(`keepalived-ts: cannot re-execute as keepalived (pidof will not find it): ${(e as Error).message}\n`);
  }
}

const IFNAME = /^[^/\s]{1,15}$/;

export const processIo: CliIo = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  hostname: () => os.hostname(),
  interfaceExists: (n) => IFNAME.test(n) && n !== '.' && n !== '..' && fs.existsSync(`/sys/class/net/${n}`),
  writeFile: (f, t) => fs.appendFileSync(f, t, { mode: 0o644 }),
  checkScripts: (cfg) => {
    const r = checkConfigScriptsReport(cfg);
    const disabledVrrpScripts = r.scripts
      .filter((v) => v.disabled && v.use.vrrpScript !== undefined)
      .map((v) => ({ name: v.use.vrrpScript as string, loc: v.use.command.loc }));
    return { diagnostics: r.diagnostics, disabledVrrpScripts };
  },
  startDaemon: (options, loaded) => {
    // Loaded lazily: -t, -v and --dump-json must work without the daemon's native parts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const daemon = require('../daemon/run') as { runDaemon: (o: CliOptions, l: LoadResult) => Promise<number> };
    daemon.runDaemon(options, loaded).then(
      (code) => process.exit(code),
      (e: unknown) => {
        process.stderr.write(`keepalived-ts: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  },
  status: (socket, json) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const control = require('../daemon/main/control') as { controlRequest: (p: string, r: { cmd: string }) => Promise<unknown> };
    control.controlRequest(socket, { cmd: 'status' }).then(
      (st) => {
        process.stdout.write(json ? JSON.stringify(st, null, 2) + '\n' : formatStatusTable(st as StatusForTable, Date.now()));
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`keepalived-ts: no daemon answering on ${socket}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  },
};

/** bin/keepalived-ts entry point. */
export function main(argv: string[]): void {
  const parsed = parseArgs(argv);
  // A foreground daemon runs as `keepalived` (daemon/identity): re-executed once, before anything is read or printed.
  if (parsed.ok && startsForegroundDaemon(parsed.options)) reexecAsKeepalived();
  const code = runCli(argv, processIo);
  if (code !== undefined) process.exitCode = code;
}
