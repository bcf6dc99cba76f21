/**
 * The Linux daemon process: wires the real adapters (raw VRRP sockets,
 * rtnetlink, GARP/NA, child processes, FIFOs, SMTP) to the Daemon, and maps
 * keepalived's process interface onto it:
 *  - `-n` runs in the foreground; without it the process re-executes itself
 *    detached with `-n` and the parent exits 0 (Node cannot fork);
 *  - pid files `-p` (main) and `-r` (VRRP) both hold our pid: one process
 *    does both jobs;
 *  - SIGTERM / SIGINT: every MASTER sends priority 0 and releases its VIPs,
 *    STOP notifications run (bounded), exit 0;
 *  - SIGHUP: reload; an invalid file keeps the running configuration;
 *  - SIGUSR1 / SIGUSR2 / SIGRTMIN+2: keepalived.data / keepalived.stats /
 *    keepalived.json in the dump directory (keepalived's names);
 *  - a control socket (ours) for status and reload as JSON.
 *
 * Resolves with the exit status once the daemon has stopped; only cli/ exits.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDiagnostic, hasErrors, loadConfig, type Diagnostic, type KeepalivedConfig, type LoadResult } from '../config';
import { SystemClock } from '../core/clock';
import { Logger } from '../core/log';
import type { CliOptions } from '../cli/args';
import { loadNative, requireNative, WATCH_RAW, type KtsNative } from '../native';
import { nameProcess, PROCESS_NAME } from './identity';
import { IpRouteManager, LinuxAnnouncer, MacvlanManager, NetlinkAddressManager, NetlinkLinkWatcher, NftFirewall, NftLvsDataPlane, RawVrrpTransport } from '../net/linux';
import type { IpRoute } from '../net/ports';
import { describeOutcome, Notifier, resolveDefaultScriptUser, resolveUserGroup, runWithTimeout, SpawnProcessRunner } from '../notify';
import { checkConfigScriptsReport, initTrackFile, ProcessTracker, ProcSource, TrackFileWatcher, VrrpScriptTracker } from '../track';
import { CheckerService } from './checker-process/checkers';
import { ControlServer } from './main/control';
import { Daemon } from './vrrp-process/daemon';
import { daemonSink, facilityCode } from './logging';
import { notifierOptions, notifyScripts, scriptSpec, type IdLookup } from './notify-wiring';
import { routeArgs, ruleArgs } from './vrrp-process/settings';
import { withoutDisabledScripts } from './main/scripts';
import { planVmacs } from './vrrp-process/vmac';
import { formatData, formatJson, formatStats } from './status';

/** Logged at start when virtual servers are configured (this kernel has no IPVS). */
export const NFT_LVS_MESSAGE = 'IPVS not available: balancing virtual servers with nftables (lb_kind NAT only)';

export interface DaemonProcess {
  daemon: Daemon;
  /** Stop everything; resolves with the exit status. Idempotent. */
  shutdown(): Promise<number>;
  /** SIGHUP. */
  reload(): Promise<{ ok: boolean; diagnostics: Diagnostic[] }>;
  /** Resolves when the daemon has stopped. */
  done: Promise<number>;
}

/** Where the signal dumps go: --dump-dir, else $TMPDIR when absolute, else /tmp (keepalived's). */
export function dumpDirectory(o: Pick<CliOptions, 'dumpDir'>, env: NodeJS.ProcessEnv = process.env): string {
  if (o.dumpDir) return o.dumpDir;
  const t = env.TMPDIR;
  return t && t.startsWith('/') ? t : '/tmp';
}

/** Entry from cli/main: foreground daemon, or re-exec detached. */
export async function runDaemon(o: CliOptions, loaded: LoadResult): Promise<number> {
  if (!o.dontFork) return daemonize();
  const loadedNative = loadNative();
  if (loadedNative.ok) nameProcess(loadedNative.native);
  try {
    const p = await startDaemonProcess(o, loaded);
    return await p.done;
  } catch (e) {
    if (e instanceof DaemonExit) return e.status;
    throw e;
  }
}

/** The daemon will not start, for a reason already logged; exit with `status` (keepalived's). */
export class DaemonExit extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** keepalived's KEEPALIVED_EXIT_CONFIG. */
export const EXIT_CONFIG = 2;

function daemonize(): number {
  const bin = path.join(__dirname, '..', '..', '..', 'bin', 'keepalived-ts');
  const child = spawn(process.execPath, [...process.execArgv, bin, ...process.argv.slice(2), '--dont-fork'], {
    argv0: PROCESS_NAME,
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.unref();
  return 0;
}

function makeLogger(o: CliOptions, native: KtsNative | undefined): Logger {
  const facility = facilityCode(o.logFacility) ?? 3 << 3;
  const sink = daemonSink({
    console: o.logConsole,
    file: o.logFile,
    syslog: !o.noSyslog && native ? { port: native, facility, ident: 'Keepalived_vrrp' } : undefined,
  });
  return new Logger(sink, {}, o.logDetail > 0 ? 'debug' : 'info');
}

function logDiagnostics(log: Logger, diags: readonly Diagnostic[]): void {
  for (const d of diags) log.log(d.severity === 'error' ? 'error' : 'warn', formatDiagnostic(d));
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

/** Start the foreground daemon with real adapters. */
export async function startDaemonProcess(o: CliOptions, loaded: LoadResult): Promise<DaemonProcess> {
  let native: KtsNative | undefined;
  let nativeError: string | undefined;
  try {
    native = requireNative();
  } catch (e) {
    nativeError = (e as Error).message;
  }
  const log = makeLogger(o, native);
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
  const links = await NetlinkLinkWatcher.open(native, { keepAlive: true });
  const addresses = new NetlinkAddressManager(native);
  const announcer = new LinuxAnnouncer(native, log);
  const firewall = new NftFirewall();
  const routes = new IpRouteManager();
  const ids = idLookup(log);
  const vmacs = new MacvlanManager(native);
  const liveVmacs = new Set<string>();
  /** keepalived's load-time steps that touch the system: script checks, VMAC interfaces. */
  const prepare = async (c: KeepalivedConfig): Promise<{ config: KeepalivedConfig; vmacs: Set<string> }> => {
    const plan = planVmacs(runnableScripts(c, log), (i, f) => links.primaryAddress(i, f));
    for (const w of plan.warnings) log.warn(w);
    for (const v of plan.vmacs) {
      try {
        await vmacs.create(v);
        liveVmacs.add(v.name);
        if (v.linkLocal) await addresses.add({ address: v.linkLocal, family: 6, prefixLength: 64, ifname: v.name, deprecated: true });
        log.info(`(${v.instance}): Success creating VMAC interface ${v.name}`);
      } catch (e) {
        log.error(`cannot create VMAC interface ${v.name} on ${v.parent}: ${(e as Error).message}`);
      }
    }
    if (plan.vmacs.length) await links.resync();
    return { config: plan.config, vmacs: new Set(plan.vmacs.map((v) => v.name)) };
  };
  const dropVmacs = async (keep: Set<string>) => {
    for (const name of [...liveVmacs]) {
      if (keep.has(name)) continue;
      liveVmacs.delete(name);
      try {
        await vmacs.remove(name);
        log.info(`Success removing VMAC interface ${name}`);
      } catch (e) {
        log.error(`cannot remove VMAC interface ${name}: ${(e as Error).message}`);
      }
    }
  };
  let config = (await prepare(loaded.config)).config;
  const scriptUser = defaultScriptUser(config, log);

  const runner = new SpawnProcessRunner(clock);
  // One /proc reader; it reads command lines only when some track_process needs them.
  const procSource = () => new ProcSource(config.trackProcesses.some((p) => p.fullCommand));
  const notifier = new Notifier(notifierOptions(config.global, ids, scriptUser), { clock, runner, logger: log });
  for (const e of notifier.open()) log.error(`notify FIFO ${e.path}: ${e.message}`);

  const daemon = new Daemon(vrrpSide(config, o), {
    clock,
    logger: log,
    net: {
      openTransport: (key, src) =>
        new RawVrrpTransport(
          {
            family: key.family,
            ifname: key.ifname,
            unicast: key.mode === 'unicast',
            group: key.mode === 'unicast' ? undefined : key.mode,
            sourceAddress: src,
            unicastTtl: key.unicastTtl,
            logger: log,
          },
          native,
        ),
      addresses,
      announcer,
      firewall,
      routes,
      links,
    },
    notifier,
    scriptsFor: (owner) => notifyScripts(owner.notify, ids, scriptUser),
    trackers: {
      script: (c) => {
        const who = c.user !== undefined ? ids(c.user, c.group) : scriptUser;
        return new VrrpScriptTracker(
          {
            name: c.name,
            script: c.script.argv,
            intervalMs: c.intervalMs,
            timeoutMs: c.timeoutMs,
            weight: c.weight,
            reverse: c.weightReverse,
            rise: c.rise,
            fall: c.fall,
            initFail: c.initFail,
            uid: who?.uid,
            gid: who?.gid,
          },
          { clock, runner, logger: log },
        );
      },
      process: (c) => new ProcessTracker(c, { clock, source: procSource(), logger: log }),
      file: (c) => {
        const opts = { name: c.name, file: c.file, weight: c.weight, reverse: c.weightReverse, initFile: c.initFile };
        const r = initTrackFile(opts);
        if (r.error) log.error(`track file ${c.name}: ${r.error}`);
        return new TrackFileWatcher(opts, { clock, logger: log });
      },
    },
  });

  const pidFiles = [...new Set([o.pidFile, o.vrrpPidFile])];
  for (const f of pidFiles) writePid(f);
  await runStartStopScript('startup', config, runner, clock, ids, scriptUser, log);
  await syncStatic(NO_STATICS, config, addresses, routes, log);
  // vrrp_startup_delay: keepalived starts its dispatcher that much later (not at reload).
  const delay = config.global.vrrpStartupDelayMs;
  if (delay > 0) log.info(`Delaying startup for ${delay / 1000} seconds`);
  daemon.start(delay);

  // ---- checkers (virtual_server / real_server): keepalived's healthcheck process ----
  // No IPVS in this kernel: the virtual servers are balanced with nftables (NAT forwarding only).
  // keepalived's daemon modes: -P/--vrrp runs VRRP only, -C/--check checkers only, neither or both: all.
  const runCheckers = !o.vrrpOnly || o.checkOnly;
  const lvs = runCheckers && config.virtualServers.length ? new NftLvsDataPlane(undefined, log) : undefined;
  if (lvs) log.info(NFT_LVS_MESSAGE);
  const checkers = runCheckers
    ? new CheckerService(config, { clock, logger: log, notifier, ids, scriptUser, dontReleaseIpvs: o.dontReleaseIpvs, dataPlane: lvs })
    : undefined;
  checkers?.start();
  // ---- end checkers ----

  const dumpDir = dumpDirectory(o);
  const dump = (name: string, text: string) => {
    const file = path.join(dumpDir, name);
    try {
      fs.writeFileSync(file, text, { mode: 0o644 });
    } catch (e) {
      log.error(`cannot write ${file}: ${(e as Error).message}`);
    }
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
      const next = await prepare(r.config);
      const res = await daemon.reload(vrrpSide(next.config, o));
      checkers?.reload(next.config); // checkers: clear_diff_services
      await dropVmacs(next.vmacs);
      await syncStatic(config, next.config, addresses, routes, log);
      config = next.config;
      log.info(`Reload finished: ${res.unchanged} unchanged, ${res.changed} changed, ${res.added} added, ${res.removed} removed`);
      return { ok: true, diagnostics: r.diagnostics };
    });
    reloading = next;
    return next;
  };

  const control = new ControlServer(o.controlSocket, async (req) => {
    if (req.cmd === 'status') return { ...daemon.status(), notify: notifier.stats, checkers: checkers?.status() };
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
  const rtmin2 = native.sigrtmin() + 2;
  const jsonFd = native.signalFd(rtmin2);
  const jsonWatch = native.watch(jsonFd, WATCH_RAW, () => dump('keepalived.json', formatJson(daemon.status())));
  native.watchRef(jsonWatch, false);

  let stopping: Promise<number> | undefined;
  const shutdown = (): Promise<number> => {
    stopping ??= (async () => {
      log.info('Stopping');
      await daemon.stop();
      if (!o.dontReleaseVrrp) await syncStatic(config, NO_STATICS, addresses, routes, log);
      await firewall.close();
      await dropVmacs(new Set());
      vmacs.close();
      await checkers?.stop(); // checkers: clear_services, before the notifier goes
      await notifier.close(2000);
      await runStartStopScript('shutdown', config, runner, clock, ids, scriptUser, log);
      await control.close();
      native.unwatch(jsonWatch);
      for (const [sig, fn] of signalHandlers) process.off(sig, fn);
      process.off('unhandledRejection', onRejection);
      links.close();
      addresses.close();
      for (const f of pidFiles) removePid(f);
      log.info('Stopped');
      finish(0);
      return 0;
    })();
    return stopping;
  };
  // A promise nobody awaited failed: a bug to log loudly, not a reason to drop the VIPs of every instance.
  const onRejection = (e: unknown) => log.error(`BUG: unhandled rejection: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.on('unhandledRejection', onRejection);
  on('SIGTERM', () => void shutdown());
  on('SIGINT', () => void shutdown());
  on('SIGHUP', () => void reload());
  on('SIGUSR1', () => dump('keepalived.data', formatData(daemon.status())));
  on('SIGUSR2', () => dump('keepalived.stats', formatStats(daemon.status())));

  return { daemon, shutdown, reload, done };
}

/** checkers: with -C/--check alone (keepalived: checkers only) the VRRP side gets nothing to run. */
function vrrpSide(config: KeepalivedConfig, o: CliOptions): KeepalivedConfig {
  if (!o.checkOnly || o.vrrpOnly) return config;
  return { ...config, instances: [], syncGroups: [], vrrpScripts: [], trackProcesses: [] };
}

/** keepalived's script checks at load: log them, drop what it would not run. */
function runnableScripts(config: KeepalivedConfig, log: Logger): KeepalivedConfig {
  const report = checkConfigScriptsReport(config);
  logDiagnostics(log, report.diagnostics);
  const r = withoutDisabledScripts(config, report);
  for (const m of r.messages) log.warn(m);
  return r.config;
}

function idLookup(log: Logger): IdLookup {
  return (user, group) => {
    const r = resolveUserGroup(user, group);
    if (r.ok) return { uid: r.uid, gid: r.gid };
    log.error(r.message);
    return undefined;
  };
}

function defaultScriptUser(config: KeepalivedConfig, log: Logger): { uid: number; gid: number } | undefined {
  const r = resolveDefaultScriptUser({ scriptUser: config.global.scriptUser, scriptSecurity: config.global.enableScriptSecurity });
  if (!r.ok) {
    log.error(r.message);
    return undefined;
  }
  if (r.warning) log.warn(r.warning);
  return { uid: r.uid, gid: r.gid };
}

/**
 * global_defs startup_script / shutdown_script: run before the VRRP instances
 * start / after they stopped, waited for up to startup_script_timeout /
 * shutdown_script_timeout (default 10 s), then killed.
 */
async function runStartStopScript(
  which: 'startup' | 'shutdown', config: KeepalivedConfig, runner: SpawnProcessRunner, clock: SystemClock,
  ids: IdLookup, fallback: { uid: number; gid: number } | undefined, log: Logger,
): Promise<void> {
  const g = config.global;
  const cmd = which === 'startup' ? g.startupScript : g.shutdownScript;
  if (!cmd) return;
  const t = Number(g.other[`${which}_script_timeout`]?.[0]);
  const timeoutMs = Number.isFinite(t) && t > 0 ? t * 1000 : 10_000;
  const spec = scriptSpec(cmd, ids, fallback)!;
  log.info(`Running ${which} script ${cmd.argv[0]}`);
  const outcome = await runWithTimeout(runner, clock, { argv: spec.argv, uid: spec.uid, gid: spec.gid }, { timeoutMs, killGraceMs: 2000 });
  log.info(`${which} script ${cmd.argv[0]} ${describeOutcome(outcome)}`);
}

type Statics = Pick<KeepalivedConfig, 'staticAddresses' | 'staticRoutes' | 'staticRules'>;
const NO_STATICS: Statics = { staticAddresses: [], staticRoutes: [], staticRules: [] };

/**
 * static_ipaddress / static_routes / static_rules, whatever the VRRP state:
 * from `before` to `after` (at start from none, at reload keepalived's
 * clear_diff_static_*, at stop to none). Routes go before the addresses they
 * may use and come after them.
 */
async function syncStatic(before: Statics, after: Statics, addresses: NetlinkAddressManager, routes: IpRouteManager, log: Logger): Promise<void> {
  const addrKey = (a: { address: string; prefixLength: number; ifname: string }) => `${a.address}/${a.prefixLength}%${a.ifname}`;
  const rKey = (r: IpRoute) => `${r.kind} ${r.family} ${r.args.join(' ')}`;
  const routesOf = (c: Statics) => new Map([...c.staticRoutes.map(routeArgs), ...c.staticRules.map(ruleArgs)].map((r) => [rKey(r), r]));
  const oldA = new Map(before.staticAddresses.map((a) => [addrKey(a), a]));
  const newA = new Map(after.staticAddresses.map((a) => [addrKey(a), a]));
  const oldR = routesOf(before);
  const newR = routesOf(after);
  const report = (what: string) => (e: Error) => log.error(`static ${what}: ${e.message}`);
  for (const [k, r] of oldR) if (!newR.has(k)) await routes.remove(r).then(() => undefined, report(k));
  for (const [k, a] of oldA) if (!newA.has(k)) await addresses.remove(a).then(() => undefined, report(k));
  for (const [k, a] of newA) if (!oldA.has(k)) await addresses.add(a).then(() => undefined, report(k));
  for (const [k, r] of newR) if (!oldR.has(k)) await routes.add(r).then(() => undefined, report(k));
}
