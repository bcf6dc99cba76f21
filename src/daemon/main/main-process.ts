/**
 * The main process: keepalived's parent. It loads the configuration, holds
 * the pid file, the signals and the control socket, runs the tracker
 * scripts and every notification (scripts, FIFOs, mail), and supervises the
 * two children (src/daemon/main/supervisor.ts): the VRRP process and, when
 * virtual servers are configured, the checker process.
 *
 *  - SIGTERM / SIGINT: the children stop (every MASTER sends priority 0 and
 *    releases its VIPs), their STOP notifications run (bounded), exit 0;
 *  - SIGHUP: reload; an invalid file keeps the running configuration;
 *  - SIGUSR1 / SIGUSR2 / SIGRTMIN+2: keepalived.data / keepalived.stats /
 *    keepalived.json in the dump directory;
 *  - keepalived's daemon modes: -P runs only the VRRP child, -C only the
 *    checker child.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDiagnostic, hasErrors, loadConfig, type Diagnostic, type KeepalivedConfig, type LoadResult } from '../../config';
import { SystemClock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { CliOptions } from '../../cli/args';
import { requireNative, WATCH_RAW, type KtsNative } from '../../native';
import { Notifier, SpawnProcessRunner } from '../../notify';
import { checkConfigScriptsReport } from '../../track';
import { PROCESS_NAME } from '../identity';
import { facilityCode, processLogger } from '../logging';
import { notifierOptions, notifyScripts } from '../notify-wiring';
import { CHILD_FLAG, SYSLOG_IDENT, type ChildOptions, type ChildRole, type FromChild, type ReloadCounts } from '../protocol';
import { formatData, formatJson, formatStats, type DaemonStatusView } from '../status';
import { TrackerHub } from '../trackers';
import { defaultScriptUser, idLookup } from '../users';
import { startHeapChurn } from '../bench-load';
import { ControlServer } from './control';
import { withoutDisabledScripts } from './scripts';
import { runStartStopScript } from './start-stop-scripts';
import { ChildSupervisor } from './supervisor';
import { realTrackers } from './tracker-factories';

export interface DaemonProcess {
  /** The status every interface shows (control socket, dumps): the VRRP process's view, with main's parts. */
  status(): Promise<MainStatus>;
  /** Stop everything; resolves with the exit status. Idempotent. */
  shutdown(): Promise<number>;
  /** SIGHUP. */
  reload(): Promise<{ ok: boolean; diagnostics: Diagnostic[] }>;
  /** Resolves once every child started has said it is running. */
  ready: Promise<void>;
  /** Resolves when the daemon has stopped. */
  done: Promise<number>;
}

export interface MainStatus extends DaemonStatusView {
  notify: Notifier['stats'];
  checkers?: unknown;
  processes: { main: number; vrrp?: number; checker?: number; vrrpRestarts: number; checkerRestarts: number };
}

/** The daemon will not start, for a reason already logged; exit with `status` (keepalived's). */
export class DaemonExit extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** keepalived's KEEPALIVED_EXIT_CONFIG. */
export const EXIT_CONFIG = 2;

/**
 * The VRRP process's heap is small and short-lived: its garbage collector
 * works alone (no helper threads to wait for) in a small young generation,
 * so each pause stays well under a millisecond. KTS_VRRP_NODE_FLAGS adds
 * more (e.g. `--cpu-prof` to profile it).
 */
const VRRP_NODE_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=2', ...(process.env.KTS_VRRP_NODE_FLAGS ?? '').split(' ').filter(Boolean)];

const BIN = path.join(__dirname, '..', '..', '..', '..', 'bin', 'keepalived-ts');

/** Where the signal dumps go: --dump-dir, else $TMPDIR when absolute, else /tmp (keepalived's). */
export function dumpDirectory(o: Pick<CliOptions, 'dumpDir'>, env: NodeJS.ProcessEnv = process.env): string {
  if (o.dumpDir) return o.dumpDir;
  const t = env.TMPDIR;
  return t && t.startsWith('/') ? t : '/tmp';
}

/** Does the configuration give this child anything to do (keepalived starts a child only then)? */
export function childNeeded(role: ChildRole, c: KeepalivedConfig, o: Pick<CliOptions, 'vrrpOnly' | 'checkOnly'>): boolean {
  const both = o.vrrpOnly === o.checkOnly;
  if (role === 'vrrp') {
    if (!both && !o.vrrpOnly) return false;
    return c.instances.length > 0 || c.staticAddresses.length > 0 || c.staticRoutes.length > 0 || c.staticRules.length > 0;
  }
  if (!both && !o.checkOnly) return false;
  return c.virtualServers.length > 0;
}

function logDiagnostics(log: Logger, diags: readonly Diagnostic[]): void {
  for (const d of diags) log.log(d.severity === 'error' ? 'error' : 'warn', formatDiagnostic(d));
}

/** keepalived's script checks at load: log them, drop what it would not run. */
function runnableScripts(config: KeepalivedConfig, log: Logger): KeepalivedConfig {
  const report = checkConfigScriptsReport(config);
  logDiagnostics(log, report.diagnostics);
  const r = withoutDisabledScripts(config, report);
  for (const m of r.messages) log.warn(m);
  return r.config;
}

function writePid(file: string): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${process.pid}\n`);
}

function removePid(file: string): void {
  try {
    if (file && fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/** Start the daemon: the main process's own parts, then its children. */
export async function startMainProcess(o: CliOptions, loaded: LoadResult): Promise<DaemonProcess> {
  let native: KtsNative | undefined;
  let nativeError: string | undefined;
  try {
    native = requireNative();
  } catch (e) {
    nativeError = (e as Error).message;
  }
  const childOptions: ChildOptions = {
    logConsole: o.logConsole,
    logFile: o.logFile,
    syslogFacility: o.noSyslog ? undefined : facilityCode(o.logFacility) ?? 3 << 3,
    logDetail: o.logDetail,
    startupDelayMs: loaded.config.global.vrrpStartupDelayMs,
    dontReleaseVrrp: o.dontReleaseVrrp,
    dontReleaseIpvs: o.dontReleaseIpvs,
  };
  const log = processLogger(childOptions, native, SYSLOG_IDENT.main);
  log.info(`Starting Keepalived-ts (pid ${process.pid}), configuration ${o.configFile}`);
  logDiagnostics(log, loaded.diagnostics);
  if (!native) throw new Error(nativeError);
  // keepalived 2.2.7 refuses to run with an interface that does not exist, unless dynamic_interfaces.
  if (!loaded.config.global.dynamicInterfaces && loaded.diagnostics.some((d) => d.code === 'W_NO_INTERFACE')) {
    const msg = 'Non-existent interface specified in configuration';
    log.error(`${msg} - exiting (set dynamic_interfaces to run anyway)`);
    throw new DaemonExit(EXIT_CONFIG, msg);
  }
  // As keepalived: what the errors name is left out (e.g. an instance without a VRID), the rest runs.
  if (hasErrors(loaded.diagnostics)) log.error(`configuration ${o.configFile} has errors (listed above): running what is valid`);
  if (o.umask !== undefined) process.umask(o.umask);

  const clock = new SystemClock();
  const ids = idLookup(log);
  let config = runnableScripts(loaded.config, log);
  /** The configuration before the last reload: an instance it removed reports DELETED with its old scripts. */
  let previous = config;
  const scriptUser = defaultScriptUser(config, log);
  const runner = new SpawnProcessRunner(clock);
  const notifier = new Notifier(notifierOptions(config.global, ids, scriptUser), { clock, runner, logger: log });
  for (const e of notifier.open()) log.error(`notify FIFO ${e.path}: ${e.message}`);

  const ownerScripts = (kind: 'INSTANCE' | 'GROUP', name: string) => {
    for (const c of [config, previous]) {
      const owner = kind === 'INSTANCE' ? c.instances.find((i) => i.name === name) : c.syncGroups.find((g) => g.name === name);
      if (owner) return notifyScripts(owner.notify, ids, scriptUser);
    }
    return undefined;
  };
  const fromChild = (m: FromChild): void => {
    switch (m.t) {
      case 'transition':
        void notifier.vrrpTransition({ ...m.note, scripts: ownerScripts(m.note.kind, m.note.name) });
        return;
      case 'event':
        void notifier.vrrpEvent({ ...m.note, script: m.note.event === 'MASTER_RX_LOWER_PRI' ? ownerScripts('INSTANCE', m.note.name)?.masterRxLowerPri : undefined });
        return;
      case 'realServer':
        void notifier.realServer(m.change);
        return;
      case 'virtualServer':
        void notifier.virtualServer(m.change);
        return;
      case 'signal':
        onSignal[m.sig]();
        return;
      case 'stopped':
        return;
    }
  };

  // Trackers run here; their results go to the VRRP process.
  const hub = new TrackerHub(realTrackers({ clock, runner, log, ids, scriptUser }, () => config), log);

  const spawnChild = (role: ChildRole) =>
    spawn(process.execPath, [...process.execArgv, ...(role === 'vrrp' ? VRRP_NODE_FLAGS : []), BIN, CHILD_FLAG, role], {
      argv0: PROCESS_NAME,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  let shutdownRequested: (() => void) | undefined;
  const supervisor = (role: ChildRole, pidFile: string, configFor: () => KeepalivedConfig) =>
    new ChildSupervisor(role, {
      log,
      spawn: spawnChild,
      init: (restart) => ({ t: 'init', config: configFor(), options: childOptions, restart, trackers: role === 'vrrp' ? hub.states() : undefined }),
      onMessage: fromChild,
      pidFile,
      respawn: !o.dontRespawn,
      onGiveUp: () => shutdownRequested?.(),
    });
  const vrrp = supervisor('vrrp', o.vrrpPidFile, () => config);
  const checker = supervisor('checker', o.checkersPidFile, () => config);
  const children = [vrrp, checker];

  const stopChurn = startHeapChurn();
  writePid(o.pidFile);
  await runStartStopScript('startup', config, runner, clock, ids, scriptUser, log);
  hub.sync(config.vrrpScripts, config.trackFiles, config.trackProcesses);
  hub.onAnyChange((s) => void vrrp.send({ t: 'trackers', states: [s] }));
  for (const c of children) if (childNeeded(c.role, config, o)) c.start();
  const ready = Promise.all(children.map((c) => c.whenReady())).then(() => undefined);

  const status = async (): Promise<MainStatus> => {
    const ask = (c: ChildSupervisor) => (c.pid === undefined ? Promise.resolve(undefined) : c.request((id) => ({ t: 'status', id }), 3000, 'status'));
    const [v, k] = await Promise.all([ask(vrrp), ask(checker).catch((e: Error) => ({ error: e.message }))]);
    const view = (v as DaemonStatusView | undefined) ?? { routerId: config.global.routerId, pid: process.pid, startedAtMs: 0, instances: [], syncGroups: [] };
    return {
      ...view,
      pid: process.pid,
      notify: notifier.stats,
      checkers: k,
      processes: { main: process.pid, vrrp: vrrp.pid, checker: checker.pid, vrrpRestarts: vrrp.restarts, checkerRestarts: checker.restarts },
    };
  };

  const dumpDir = dumpDirectory(o);
  const dump = (name: string, format: (s: DaemonStatusView) => string) => {
    const file = path.join(dumpDir, name);
    status().then(
      (s) => fs.writeFileSync(file, format(s), { mode: 0o644 }),
      (e: Error) => log.error(`cannot write ${file}: ${e.message}`),
    ).catch((e: Error) => log.error(`cannot write ${file}: ${e.message}`));
  };

  let reloading: Promise<{ ok: boolean; diagnostics: Diagnostic[] }> | undefined;
  const reload = (): Promise<{ ok: boolean; diagnostics: Diagnostic[] }> => {
    // Reloads are serialised: a SIGHUP during a reload runs after it.
    const prev = reloading ?? Promise.resolve({ ok: true, diagnostics: [] });
    const next = prev.then(async () => {
      log.info('Reloading configuration');
      const r = loadConfig(o.configFile, { configId: o.configId, hostname: os.hostname() });
      logDiagnostics(log, r.diagnostics);
      if (hasErrors(r.diagnostics)) {
        log.error(`configuration ${o.configFile} has errors - keeping the running configuration`);
        return { ok: false, diagnostics: r.diagnostics };
      }
      previous = config;
      config = runnableScripts(r.config, log);
      hub.sync(config.vrrpScripts, config.trackFiles, config.trackProcesses);
      const counts = await Promise.all(children.map((c) => reloadChild(c)));
      const v = counts[0];
      if (v) log.info(`Reload finished: ${v.unchanged} unchanged, ${v.changed} changed, ${v.added} added, ${v.removed} removed`);
      else log.info('Reload finished');
      return { ok: true, diagnostics: r.diagnostics };
    });
    reloading = next;
    return next;
  };
  /** A running child reloads in place; a child the new file needs is started, one it no longer needs is stopped. */
  const reloadChild = async (c: ChildSupervisor): Promise<ReloadCounts | undefined> => {
    const needed = childNeeded(c.role, config, o);
    if (c.pid === undefined) {
      if (needed && !stopping) c.start();
      return undefined;
    }
    if (!needed) {
      await c.stop(); // a later reload that needs it starts it again
      return undefined;
    }
    try {
      return (await c.request((id) => ({ t: 'reload', id, config, trackers: c.role === 'vrrp' ? hub.states() : undefined }), 30_000, 'reload')) as ReloadCounts;
    } catch (e) {
      log.error(`reload: ${(e as Error).message}`);
      return undefined;
    }
  };

  const control = new ControlServer(o.controlSocket, async (req) => {
    if (req.cmd === 'status') return status();
    if (req.cmd === 'reload') return reload();
    throw new Error(`unknown command ${req.cmd}`);
  });
  try {
    await control.listen();
  } catch (e) {
    log.warn(`control socket ${o.controlSocket}: ${(e as Error).message} - status only by signals`);
  }

  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const signalHandlers = new Map<NodeJS.Signals, () => void>();
  const on = (sig: NodeJS.Signals, fn: () => void) => {
    signalHandlers.set(sig, fn);
    process.on(sig, fn);
  };
  const onSignal: Record<'SIGHUP' | 'SIGUSR1' | 'SIGUSR2' | 'JSON', () => void> = {
    SIGHUP: () => void reload(),
    SIGUSR1: () => dump('keepalived.data', formatData),
    SIGUSR2: () => dump('keepalived.stats', formatStats),
    JSON: () => dump('keepalived.json', formatJson),
  };
  const jsonFd = native.signalFd(native.sigrtmin() + 2);
  const jsonWatch = native.watch(jsonFd, WATCH_RAW, onSignal.JSON);
  native.watchRef(jsonWatch, false);

  let stopping: Promise<number> | undefined;
  const shutdown = (): Promise<number> => {
    stopping ??= (async () => {
      log.info('Stopping');
      hub.stop();
      // The children stop at once, side by side: VRRP sends priority 0, checkers report (omega).
      await Promise.all(children.map((c) => c.stop()));
      await notifier.close(2000);
      await runStartStopScript('shutdown', config, runner, clock, ids, scriptUser, log);
      await control.close();
      native!.unwatch(jsonWatch);
      for (const [sig, fn] of signalHandlers) process.off(sig, fn);
      process.off('unhandledRejection', onRejection);
      removePid(o.pidFile);
      stopChurn?.();
      log.info('Stopped');
      finish(0);
      return 0;
    })();
    return stopping;
  };
  shutdownRequested = () => void shutdown();
  // A promise nobody awaited failed: a bug to log loudly, not a reason to drop the VIPs of every instance.
  const onRejection = (e: unknown) => log.error(`BUG: unhandled rejection: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.on('unhandledRejection', onRejection);
  on('SIGTERM', () => void shutdown());
  on('SIGINT', () => void shutdown());
  on('SIGHUP', onSignal.SIGHUP);
  on('SIGUSR1', onSignal.SIGUSR1);
  on('SIGUSR2', onSignal.SIGUSR2);

  return { status, shutdown, reload, ready, done };
}
