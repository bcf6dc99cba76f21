/**
 * systemd's notification protocol (sd_notify(3), Type=notify) for the main
 * process, as keepalived 2.2.7 speaks it (keepalived/core/systemd.c) plus the
 * watchdog, which keepalived does not have:
 *
 *  - READY=1 and MAINPID once the configuration is loaded and every child
 *    started has said it runs (the 'ready' event), and again when a reload is
 *    done (or was refused: the running configuration goes on);
 *  - RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC in µs, what systemd ≥ 253
 *    compares with the time it sent the reload signal) when a reload starts;
 *  - STOPPING=1 at shutdown;
 *  - STATUS=<one line> (`2 instances: VI_1 MASTER, VI_2 BACKUP`), refreshed on
 *    transitions, reloads and child deaths: `systemctl status` shows it;
 *  - WATCHDOG=1 every WATCHDOG_USEC/2 while the daemon proves it is alive.
 *
 * What a watchdog ping means: the main process's loop runs AND every child
 * that is running answered a status request within WATCHDOG_USEC/2 (the
 * request goes through the child's event loop, so a hung or stopped VRRP
 * process stops the pings and systemd acts after at most WATCHDOG_USEC). A
 * child that died and is being respawned by the main process is not asked:
 * respawning is the main process's own supervision, which a restart of the
 * whole unit would only repeat with a longer outage; the pings then prove the
 * main loop alone, until the respawned child answers, for at most
 * RESPAWN_GRACE_MS (the supervisor's longest respawn delay and a start).
 * Pings run from the first READY=1 to STOPPING=1 (systemd's watchdog is armed
 * in between only).
 *
 * Only the main process speaks: NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
 * are taken out of the environment before the children, tracker scripts and
 * notify scripts are spawned (sd_notify's unset_environment; keepalived's
 * systemd_unset_notify()). The abstract socket form (`@name`) is supported by
 * the addon's unixDgramSend.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { SystemClock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { DaemonStatusView } from '../status';
import type { MainContext, MainExtension } from './extensions';
import type { MainStatus, ReloadResult } from './main-process';

/** The supervisor's longest respawn delay (30 s) plus time for the child to start. */
export const RESPAWN_GRACE_MS = 35_000;
/** Above this many instances STATUS= counts states instead of naming instances. */
const STATUS_NAMES_MAX = 6;

/** What systemd handed this process. */
export interface SystemdEnv {
  /** NOTIFY_SOCKET: a path, or `@name` for the abstract namespace. */
  socket: string;
  /** WATCHDOG_USEC in ms, when set for this process (WATCHDOG_PID unset or ours). */
  watchdogMs?: number;
}

/**
 * Read systemd's variables and remove them from `env`, so nothing this
 * process spawns inherits them. Undefined without NOTIFY_SOCKET.
 */
export function takeSystemdEnv(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): SystemdEnv | undefined {
  const socket = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const forPid = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === pid;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socket || !(socket.startsWith('/') || socket.startsWith('@'))) return undefined;
  const watchdogMs = forPid && Number.isInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 1000)) : undefined;
  return watchdogMs === undefined ? { socket } : { socket, watchdogMs };
}

/** CLOCK_MONOTONIC in µs (libuv's hrtime reads CLOCK_MONOTONIC on Linux). */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** The STATUS= line: each instance's state, or counts per state when there are many. */
export function statusLine(s: Pick<DaemonStatusView, 'instances'>): string {
  const n = s.instances.length;
  if (n === 0) return 'running, no VRRP instances';
  const head = `${n} instance${n === 1 ? '' : 's'}: `;
  if (n <= STATUS_NAMES_MAX) return head + s.instances.map((i) => `${i.name} ${i.state}`).join(', ');
  const counts = new Map<string, number>();
  for (const i of s.instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  return head + [...counts].sort((a, b) => b[1] - a[1]).map(([state, k]) => `${k} ${state}`).join(', ');
}

/** Did every running child answer? (main's status rejects when the VRRP child does not; the checker's failure is in the answer.) */
function childrenAnswered(s: MainStatus): boolean {
  const c = s.checkers as { error?: unknown } | undefined;
  return !(s.processes.checker !== undefined && c !== null && typeof c === 'object' && 'error' in c);
}

export interface SystemdDeps {
  clock?: Clock;
  /** Send one datagram to the socket (default: the addon's unixDgramSend). */
  send?: (socket: string, text: string) => void;
  monotonicUsec?: () => bigint;
  pid?: number;
}

export class SystemdNotifier implements MainExtension {
  readonly name = 'systemd';
  private readonly clock: Clock;
  private ctx?: MainContext;
  private send!: (socket: string, text: string) => void;
  private readonly failed = new Set<string>();
  /** Reloads started and not yet finished (READY=1 waits for the last). */
  private reloads = 0;
  private running = false;
  private stopped = false;
  private tick?: TimerHandle;
  /** Until this time (clock ms) a ping does not need the children's answers: a child is being respawned. */
  private respawnUntil = -Infinity;
  private pingsHeld = false;
  private lastStatus?: string;
  private statusBusy = false;
  private statusAgain = false;

  constructor(readonly env: SystemdEnv | undefined, private readonly deps: SystemdDeps = {}) {
    this.clock = deps.clock ?? new SystemClock();
  }

  start(ctx: MainContext): void {
    const env = this.env;
    if (!env) return;
    this.ctx = ctx;
    this.send = this.deps.send ?? ((socket, text) => void ctx.native.unixDgramSend(socket, Buffer.from(text)));
    const ev = ctx.events;
    ev.on('ready', () => this.onReady());
    ev.on('reloading', () => {
      this.reloads++;
      this.lastStatus = undefined; // STATUS= says "Reloading" until the next one
      this.notify('RELOADING=1', `MONOTONIC_USEC=${(this.deps.monotonicUsec ?? monotonicUsec)()}`, 'STATUS=Reloading configuration');
    });
    ev.on('reloaded', (r) => this.onReloaded(r));
    ev.on('stopping', () => {
      this.halt();
      this.notify('STOPPING=1', 'STATUS=Stopping');
    });
    ev.on('transition', () => this.refreshStatus());
    ev.on('childDied', (d) => {
      this.respawnUntil = this.clock.now() + RESPAWN_GRACE_MS;
      this.lastStatus = undefined;
      this.notify(`STATUS=${d.role === 'vrrp' ? 'VRRP' : 'Healthcheck'} child process(${d.pid}) died (${d.how}): respawning`);
    });
    ctx.log.debug(`systemd: notifying ${env.socket}${env.watchdogMs ? `, watchdog every ${env.watchdogMs / 2} ms` : ''}`);
  }

  stop(): void {
    this.halt();
  }

  private halt(): void {
    this.stopped = true;
    this.tick?.cancel();
    this.tick = undefined;
  }

  private onReady(): void {
    if (this.stopped || this.reloads > 0) return; // a later READY=1 ends the reload still running
    this.notify('READY=1', `MAINPID=${this.deps.pid ?? process.pid}`);
    this.refreshStatus();
    if (!this.running) {
      this.running = true;
      this.armWatchdog();
    }
  }

  private onReloaded(r: ReloadResult): void {
    this.reloads = Math.max(0, this.reloads - 1);
    if (r.ok || this.reloads > 0 || this.stopped) return; // done: 'ready' follows
    const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
    this.lastStatus = undefined;
    this.notify('READY=1', `STATUS=Reload refused (${errors} error${errors === 1 ? '' : 's'}): running the previous configuration`);
  }

  /** One datagram; a failure is logged once per kind (the socket may be gone while systemd restarts). */
  private notify(...lines: string[]): void {
    const { ctx, env } = this;
    if (!ctx || !env) return;
    try {
      this.send(env.socket, lines.join('\n'));
      this.failed.clear();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      if (!this.failed.has(code)) ctx.log.warn(`systemd: cannot notify ${env.socket}: ${(e as Error).message}`);
      this.failed.add(code);
    }
  }

  /** STATUS= from the current status; coalesced, and sent only when it changed. */
  private refreshStatus(): void {
    if (!this.ctx || this.stopped || this.reloads > 0) return;
    if (this.statusBusy) {
      this.statusAgain = true;
      return;
    }
    this.statusBusy = true;
    this.ctx.status().then(
      (s) => {
        const line = statusLine(s);
        if (line !== this.lastStatus && !this.stopped && this.reloads === 0) this.notify(`STATUS=${line}`);
        this.lastStatus = line;
      },
      () => undefined, // a child not answering is the watchdog's business
    ).finally(() => {
      this.statusBusy = false;
      if (this.statusAgain) {
        this.statusAgain = false;
        this.refreshStatus();
      }
    });
  }

  private armWatchdog(): void {
    const ms = this.env?.watchdogMs;
    if (!ms || this.stopped) return;
    const period = Math.max(1, Math.floor(ms / 2));
    this.tick = this.clock.setTimer(period, () => {
      this.probe(period);
      this.armWatchdog();
    });
  }

  /** Ask every running child for its status; ping when all answered within `timeoutMs`. */
  private probe(timeoutMs: number): void {
    const { ctx } = this;
    if (!ctx || this.stopped) return;
    if (this.clock.now() < this.respawnUntil) {
      this.notify('WATCHDOG=1');
      void ctx.status().then((s) => {
        if (childrenAnswered(s)) this.respawnUntil = -Infinity; // respawned and answering: back to the full proof
      }, () => undefined);
      return;
    }
    let timer: TimerHandle | undefined;
    const late = new Promise<'late'>((resolve) => (timer = this.clock.setTimer(timeoutMs, () => resolve('late'))));
    Promise.race([ctx.status(), late]).then(
      (s) => {
        if (this.stopped) return;
        if (s === 'late') return this.hold(ctx.log, `no answer to a status request within ${timeoutMs} ms`);
        if (!childrenAnswered(s)) return this.hold(ctx.log, 'the Healthcheck child did not answer a status request');
        if (this.pingsHeld) ctx.log.info('systemd watchdog: every child answers again - pinging');
        this.pingsHeld = false;
        this.notify('WATCHDOG=1');
      },
      (e: Error) => this.hold(ctx.log, e.message),
    ).finally(() => timer?.cancel());
  }

  private hold(log: Logger, why: string): void {
    if (!this.pingsHeld && !this.stopped) log.warn(`systemd watchdog: not pinging: ${why}`);
    this.pingsHeld = true;
  }
}

/** The extension as the main process runs it: systemd's variables are taken from the environment now, before any child starts. */
export function systemdExtension(): SystemdNotifier {
  return new SystemdNotifier(takeSystemdEnv());
}
