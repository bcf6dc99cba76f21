/**
 * The main process: keepalived's parent. It loads the configuration, holds
 * the pid file, the signals and the control socket, runs the tracker
 * scripts and every notification (scripts, FIFOs, mail), and supervises the
 * two children (./children.ts): the VRRP process and, when virtual servers
 * are configured, the checker process.
 *
 *  - SIGTERM / SIGINT: the children stop (every MASTER sends priority 0 and
 *    releases its VIPs), their STOP notifications run (bounded), exit 0;
 *  - SIGHUP: reload; an invalid file keeps the running configuration;
 *  - SIGUSR1 / SIGUSR2 / SIGRTMIN+2: keepalived.data / keepalived.stats /
 *    keepalived.json in the dump directory (a child passes these on too);
 *  - keepalived's daemon modes: -P runs only the VRRP child, -C only the
 *    checker child.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDiagnostic, hasErrors, loadConfig, type Diagnostic, type KeepalivedConfig, type LoadResult } from '../../config';
import { SystemClock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { CliOptions } from '../../cli/args';
import { requireNative, WATCH_RAW, type KtsNative } from '../../native';
import { SIGNAL_FUNCTIONS } from '../../core/signals';
import { Notifier, SpawnProcessRunner } from '../../notify';
import { checkConfigScriptsReport } from '../../track';
import { startHeapChurn } from '../bench-load';
import { configuredProcessName } from '../identity';
import { facilityCode, processLogger } from '../logging';
import { notifierOptions, type IdLookup } from '../notify-wiring';
import { SYSLOG_IDENT, type ChildOptions, type ForwardedSignal, type FromChild, type TrackerState } from '../protocol';
import { formatData, formatJson, formatStats, type DaemonStatusView } from '../status';
import { processResources, type ProcessResources } from '../resources';
import { TrackerHub } from '../trackers';
import { QuorumView } from './quorum';
import { defaultScriptUser, idLookup } from '../users';
import { Children } from './children';
import { ElectionService } from './election';
import { MainEvents, mainExtensions, type MainExtension } from './extensions';
import { ControlServer } from './control';
import { NotifyRouter } from './notify-router';
import { removePidFile, writePidFile } from './pidfile';
import { withoutDisabledScripts } from './scripts';
import { runStartStopScript } from './start-stop-scripts';
import { realTrackers } from './tracker-factories';

export interface DaemonProcess {
  /** The status every interface shows (control socket, dumps): the VRRP process's view, with main's parts. */
  status(): Promise<MainStatus>;
  /** Stop everything; resolves with the exit status. Idempotent. */
  shutdown(): Promise<number>;
  /** SIGHUP. */
  reload(): Promise<ReloadResult>;
  /** Resolves once every child started has said it is running. */
  ready: Promise<void>;
  /** Resolves when the daemon has stopped. */
  done: Promise<number>;
}

export interface ReloadResult {
  ok: boolean;
  diagnostics: Diagnostic[];
}

export interface MainStatus extends DaemonStatusView {
  /** The notifier's counters, and its jobs queued or running now. */
  notify: Notifier['stats'] & { pending: number };
  /** Every vrrp_script / track_file / track_process result as main runs them (tracked or not). */
  trackerStates: TrackerState[];
  /** Where each vrrp_script's run is (idle, running, requested termination). */
  scriptRuns: ReturnType<TrackerHub['scriptRunStates']>;
  checkers?: unknown;
  processes: ReturnType<Children['processes']>;
  /** (etcd_election) Each elected instance's campaign: lease, leader, revision, grant. */
  elections?: Record<string, unknown>;
  /** What each process holds (file descriptors, children, handles, memory): leak checks. */
  resources: { main: ProcessResources; vrrp?: ProcessResources; checker?: ProcessResources };
}

/** The daemon will not start, for a reason already logged; exit with `status` (keepalived's). */
export class DaemonExit extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** keepalived's KEEPALIVED_EXIT_CONFIG. */
export const EXIT_CONFIG = 2;

/** Where the signal dumps go: --dump-dir, else $TMPDIR when absolute, else /tmp (keepalived's). */
export function dumpDirectory(o: Pick<CliOptions, 'dumpDir'>, env: NodeJS.ProcessEnv = process.env): string {
  if (o.dumpDir) return o.dumpDir;
  const t = env.TMPDIR;
  return t && t.startsWith('/') ? t : '/tmp';
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

function childOptionsFrom(o: CliOptions, loaded: LoadResult): ChildOptions {
  return {
    logConsole: o.logConsole,
    logFile: o.logFile,
    syslogFacility: o.noSyslog ? undefined : facilityCode(o.logFacility) ?? 3 << 3,
    logDetail: o.logDetail,
    startupDelayMs: loaded.config.global.vrrpStartupDelayMs,
    dontReleaseVrrp: o.dontReleaseVrrp,
    dontReleaseIpvs: o.dontReleaseIpvs,
  };
}

/** Start the daemon: check what keepalived checks before it starts, then run the main process. */
export async function startMainProcess(o: CliOptions, loaded: LoadResult): Promise<DaemonProcess> {
  let native: KtsNative | undefined;
  let nativeError: string | undefined;
  try {
    native = requireNative();
  } catch (e) {
    nativeError = (e as Error).message;
  }
  const childOptions = childOptionsFrom(o, loaded);
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
  native.setProcessName(configuredProcessName('main', loaded.config.global.other));
  const main = new MainProcess(o, runnableScripts(loaded.config, log), childOptions, log, native);
  await main.start();
  return main;
}

class MainProcess implements DaemonProcess {
  readonly done: Promise<number>;
  private config: KeepalivedConfig;
  /** The configuration before the last reload: an instance it removed reports DELETED with its old scripts. */
  private previous: KeepalivedConfig;
  private readonly clock = new SystemClock();
  private readonly runner: SpawnProcessRunner;
  private readonly ids: IdLookup;
  private readonly scriptUser: { uid: number; gid: number } | undefined;
  private readonly notifier: Notifier;
  private readonly hub: TrackerHub;
  private readonly children: Children;
  /** route_announce track_virtual_server: the checker's quorum reports, per tracking instance. */
  private readonly quorum = new QuorumView(() => this.config);
  private readonly elections: ElectionService;
  private readonly control: ControlServer;
  private readonly signals = new Map<NodeJS.Signals, () => void>();
  readonly events = new MainEvents();
  private readonly extensions: MainExtension[] = mainExtensions();
  private readonly onRejection = (e: unknown) =>
    // A promise nobody awaited failed: a bug to log loudly, not a reason to drop the VIPs of every instance.
    this.log.error(`BUG: unhandled rejection: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  private readonly rtWatches: ReturnType<KtsNative['watch']>[] = [];
  private stopChurn?: () => void;
  private reloading?: Promise<ReloadResult>;
  private stopping?: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    private readonly o: CliOptions,
    config: KeepalivedConfig,
    childOptions: ChildOptions,
    private readonly log: Logger,
    private readonly native: KtsNative,
  ) {
    this.config = this.previous = config;
    this.done = new Promise<number>((r) => (this.finish = r));
    this.ids = idLookup(log);
    this.scriptUser = defaultScriptUser(config, log);
    this.runner = new SpawnProcessRunner(this.clock);
    this.notifier = new Notifier(notifierOptions(config.global, this.ids, this.scriptUser), { clock: this.clock, runner: this.runner, logger: log });
    for (const e of this.notifier.open()) log.error(`notify FIFO ${e.path}: ${e.message}`);
    const router = new NotifyRouter(this.notifier, () => [this.config, this.previous], this.ids, () => this.scriptUser);
    // Trackers run here; their results go to the VRRP process.
    this.hub = new TrackerHub(realTrackers({ clock: this.clock, runner: this.runner, log, ids: this.ids, scriptUser: this.scriptUser }, () => this.config), log);
    this.children = new Children({
      log,
      options: o,
      childOptions,
      config: () => this.config,
      trackers: () => this.hub.states(),
      quorum: () => this.quorum.faults(),
      onMessage: (m) => this.fromChild(m, router),
      onGiveUp: () => void this.shutdown(),
      onDeath: (d) => this.events.emit('childDied', d),
    });
    // etcd elections run here; the VRRP process gets time-bounded grants on its own clock (CLOCK_MONOTONIC).
    this.elections = new ElectionService({
      log,
      clock: { now: () => native.monotonicMs(), setTimer: (ms, fn) => this.clock.setTimer(ms, fn) },
      vrrp: {
        grant: (instance, untilMs, revision) => this.children.toVrrp({ t: 'grant', instance, untilMs, revision }),
        resign: (instance) =>
          this.children.vrrp.pid === undefined
            ? Promise.resolve()
            : this.children.vrrp.request((id) => ({ t: 'resign', id, instance }), 2000, 'resign').then(() => undefined),
      },
      pendingScripts: (instance) => this.notifier.pendingScripts(`INSTANCE ${instance}`),
    });
    this.control = new ControlServer(o.controlSocket, async (req) => {
      if (req.cmd === 'status') return this.status();
      if (req.cmd === 'reload') return this.reload();
      throw new Error(`unknown command ${req.cmd}`);
    });
  }

  async start(): Promise<void> {
    this.stopChurn = startHeapChurn();
    writePidFile(this.o.pidFile, process.pid);
    await this.startStopScript('startup');
    this.hub.sync(this.config.vrrpScripts, this.config.trackFiles, this.config.trackProcesses);
    this.hub.onAnyChange((s) => this.children.toVrrp({ t: 'trackers', states: [s] }));
    this.children.start();
    void this.elections.sync(this.config);
    try {
      await this.control.listen();
    } catch (e) {
      this.log.warn(`control socket ${this.o.controlSocket}: ${(e as Error).message} - status only by signals`);
    }
    this.wireSignals();
    const ctx = { events: this.events, status: () => this.status(), config: () => this.config, options: this.o, log: this.log, native: this.native };
    for (const x of this.extensions) {
      try {
        await x.start(ctx);
      } catch (e) {
        this.log.error(`${x.name}: ${(e as Error).message}`);
      }
    }
    void this.ready.then(() => this.events.emit('ready'));
  }

  get ready(): Promise<void> {
    return this.children.whenReady();
  }

  async status(): Promise<MainStatus> {
    const { vrrp, checker } = await this.children.status();
    const c = this.config;
    const view = (vrrp as DaemonStatusView | undefined) ?? { routerId: c.global.routerId, pid: process.pid, startedAtMs: 0, instances: [], syncGroups: [] };
    const resources = {
      main: processResources(),
      vrrp: (vrrp as { resources?: ProcessResources } | undefined)?.resources,
      checker: (checker as { resources?: ProcessResources } | undefined)?.resources,
    };
    const notify = { ...this.notifier.stats, pending: this.notifier.pendingScripts() };
    return { ...view, pid: process.pid, notify, trackerStates: this.hub.states(), scriptRuns: this.hub.scriptRunStates(), checkers: checker, processes: this.children.processes(), ...this.electionStatus(), resources };
  }

  private electionStatus(): { elections?: Record<string, unknown> } {
    return this.config.elections.length ? { elections: this.elections.status() } : {};
  }

  reload(): Promise<ReloadResult> {
    // Reloads are serialised: a SIGHUP during a reload runs after it.
    const prev = this.reloading ?? Promise.resolve({ ok: true, diagnostics: [] });
    const next = prev.then(() => this.reloadNow());
    this.reloading = next;
    return next;
  }

  private async reloadNow(): Promise<ReloadResult> {
    this.events.emit('reloading');
    const r = await this.reloadFile();
    this.events.emit('reloaded', r);
    if (r.ok) void this.ready.then(() => this.events.emit('ready'));
    return r;
  }

  private async reloadFile(): Promise<ReloadResult> {
    const { log, o } = this;
    log.info('Reloading configuration');
    const r = loadConfig(o.configFile, { configId: o.configId, hostname: os.hostname() });
    logDiagnostics(log, r.diagnostics);
    if (hasErrors(r.diagnostics)) {
      log.error(`configuration ${o.configFile} has errors - keeping the running configuration`);
      return { ok: false, diagnostics: r.diagnostics };
    }
    this.previous = this.config;
    this.config = runnableScripts(r.config, log);
    this.hub.sync(this.config.vrrpScripts, this.config.trackFiles, this.config.trackProcesses);
    // Before the reload: an instance the reload adds finds its tracked quorum already there.
    this.children.toVrrp({ t: 'quorum', faults: this.quorum.faults() });
    const v = await this.children.reload();
    await this.elections.sync(this.config);
    if (v) log.info(`Reload finished: ${v.unchanged} unchanged, ${v.changed} changed, ${v.added} added, ${v.removed} removed`);
    else log.info('Reload finished');
    return { ok: true, diagnostics: r.diagnostics };
  }

  shutdown(): Promise<number> {
    this.stopping ??= (async () => {
      this.log.info('Stopping');
      this.events.emit('stopping');
      this.hub.stop();
      await this.children.stop();
      // The VRRP process has dropped every VIP: hand the elections over now (not a TTL later).
      await this.elections.stop();
      await this.notifier.close(2000);
      await this.startStopScript('shutdown');
      await this.control.close();
      for (const w of this.rtWatches) this.native.unwatch(w);
      for (const [sig, fn] of this.signals) process.off(sig, fn);
      process.off('unhandledRejection', this.onRejection);
      removePidFile(this.o.pidFile, process.pid);
      this.stopChurn?.();
      for (const x of this.extensions) await Promise.resolve(x.stop()).catch((e: Error) => this.log.error(`${x.name}: ${e.message}`));
      this.log.info('Stopped');
      this.finish(0);
      return 0;
    })();
    return this.stopping;
  }

  private fromChild(m: FromChild, router: NotifyRouter): void {
    if (m.t === 'transition') this.events.emit('transition', m.note);
    if (m.t === 'virtualServer' && this.quorum.report(m.change.vs, m.change.up)) this.children.toVrrp({ t: 'quorum', faults: this.quorum.faults() });
    if (m.t === 'candidacy') this.elections.candidacy(m);
    else if (m.t === 'signal') this.onSignal(m.sig);
    else if (m.t !== 'stopped' && m.t !== 'ready' && m.t !== 'reply') router.route(m);
  }

  private onSignal(sig: ForwardedSignal): void {
    if (sig === 'SIGHUP') void this.reload();
    else if (sig === 'SIGUSR1') this.dump('keepalived.data', formatData);
    else if (sig === 'SIGUSR2') this.dump('keepalived.stats', formatStats);
    else if (sig === 'STATS_CLEAR') this.dump('keepalived.stats', formatStats).then(() => this.children.toVrrp({ t: 'clearStats' }));
    else this.dump('keepalived.json', formatJson);
  }

  private wireSignals(): void {
    const on = (sig: NodeJS.Signals, fn: () => void) => {
      this.signals.set(sig, fn);
      process.on(sig, fn);
    };
    process.on('unhandledRejection', this.onRejection);
    on('SIGTERM', () => void this.shutdown());
    on('SIGINT', () => void this.shutdown());
    for (const sig of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) on(sig, () => this.onSignal(sig));
    // Node cannot subscribe to real-time signals (keepalived's JSON and STATS_CLEAR): the addon turns them into readable fds.
    for (const f of ['JSON', 'STATS_CLEAR'] as const) {
      const w = this.native.watch(this.native.signalFd(SIGNAL_FUNCTIONS[f]), WATCH_RAW, () => this.onSignal(f));
      this.native.watchRef(w, false);
      this.rtWatches.push(w);
    }
  }

  private dump(name: string, format: (s: DaemonStatusView) => string): Promise<void> {
    const file = path.join(dumpDirectory(this.o), name);
    return this.status()
      .then((s) => fs.writeFileSync(file, format(s), { mode: 0o644 }))
      .catch((e: Error) => this.log.error(`cannot write ${file}: ${e.message}`));
  }

  private startStopScript(which: 'startup' | 'shutdown'): Promise<void> {
    return runStartStopScript(which, this.config, this.runner, this.clock, this.ids, this.scriptUser, this.log);
  }
}
