/**
 * The main process's two children, as keepalived starts them: the VRRP child
 * when the configuration has VRRP instances or static addresses/routes, the
 * checker child when it has virtual servers (keepalived's "no configuration,
 * no child"), narrowed by -P / -C. A reload reloads a running child in place,
 * starts one the new file needs, stops one it no longer needs.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { KeepalivedConfig } from '../../config/model';
import type { Logger } from '../../core/log';
import type { CliOptions } from '../../cli/args';
import { PROCESS_NAME } from '../identity';
import { CHILD_FLAG, type ChildOptions, type ChildRole, type FromChild, type QuorumFaults, type ReloadCounts, type ToChild, type TrackerState } from '../protocol';
import { ChildSupervisor } from './supervisor';

const BIN = path.join(__dirname, '..', '..', '..', '..', 'bin', 'keepalived-ts');

/**
 * The VRRP process's heap is small and short-lived: its garbage collector
 * works alone (no helper threads to wait for) in a small young generation,
 * so each pause stays well under a millisecond; V8's memory reducer, which
 * starts extra collections to shrink an idle heap, is off (about 15 % of the
 * VRRP process's CPU at 100 adverts a second). KTS_VRRP_NODE_FLAGS adds
 * more (e.g. `--cpu-prof` to profile it).
 */
const VRRP_NODE_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=2', '--no-memory-reducer', ...(process.env.KTS_VRRP_NODE_FLAGS ?? '').split(' ').filter(Boolean)];

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

function spawnChild(role: ChildRole) {
  return spawn(process.execPath, [...process.execArgv, ...(role === 'vrrp' ? VRRP_NODE_FLAGS : []), BIN, CHILD_FLAG, role], {
    argv0: PROCESS_NAME,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export interface ChildrenDeps {
  log: Logger;
  options: Pick<CliOptions, 'vrrpOnly' | 'checkOnly' | 'dontRespawn' | 'vrrpPidFile' | 'checkersPidFile'>;
  childOptions: ChildOptions;
  /** The configuration children start and restart with. */
  config(): KeepalivedConfig;
  /** The trackers' current results (sent to the VRRP child at start and reload). */
  trackers(): TrackerState[];
  /** route_announce: the tracked virtual servers without quorum (sent to the VRRP child at start). */
  quorum?(): QuorumFaults;
  onMessage(m: FromChild): void;
  /** -R and a child died: stop the daemon. */
  onGiveUp(): void;
  /** A child died unexpectedly (before it is respawned). */
  onDeath?(d: { role: ChildRole; pid: number; how: string }): void;
}

export class Children {
  readonly vrrp: ChildSupervisor;
  readonly checker: ChildSupervisor;
  private stopped = false;

  constructor(private readonly deps: ChildrenDeps) {
    const make = (role: ChildRole, pidFile: string) =>
      new ChildSupervisor(role, {
        log: deps.log,
        spawn: spawnChild,
        init: (restart) => ({
          t: 'init', config: deps.config(), options: deps.childOptions, restart, trackers: this.trackersFor(role),
          ...(role === 'vrrp' && deps.quorum ? { quorum: deps.quorum() } : {}),
        }),
        onMessage: deps.onMessage,
        pidFile,
        respawn: !deps.options.dontRespawn,
        onGiveUp: deps.onGiveUp,
        onDeath: (pid, how) => deps.onDeath?.({ role, pid, how }),
      });
    this.vrrp = make('vrrp', deps.options.vrrpPidFile);
    this.checker = make('checker', deps.options.checkersPidFile);
  }

  private get all(): ChildSupervisor[] {
    return [this.vrrp, this.checker];
  }

  private trackersFor(role: ChildRole): TrackerState[] | undefined {
    return role === 'vrrp' ? this.deps.trackers() : undefined;
  }

  /** Start the children the configuration needs. */
  start(): void {
    for (const c of this.all) if (childNeeded(c.role, this.deps.config(), this.deps.options)) c.start();
  }

  /** Resolves once every started child runs. */
  whenReady(): Promise<void> {
    return Promise.all(this.all.map((c) => c.whenReady())).then(() => undefined);
  }

  /** Each child takes the current configuration; the VRRP child's counts come back. */
  async reload(): Promise<ReloadCounts | undefined> {
    const [v] = await Promise.all(this.all.map((c) => this.reloadOne(c)));
    return v;
  }

  private async reloadOne(c: ChildSupervisor): Promise<ReloadCounts | undefined> {
    const config = this.deps.config();
    const needed = childNeeded(c.role, config, this.deps.options);
    if (c.pid === undefined) {
      if (needed && !this.stopped) c.start();
      return undefined;
    }
    if (!needed) {
      await c.stop(); // a later reload that needs it starts it again
      return undefined;
    }
    try {
      return (await c.request((id) => ({ t: 'reload', id, config, trackers: this.trackersFor(c.role) }), 30_000, 'reload')) as ReloadCounts;
    } catch (e) {
      this.deps.log.error(`reload: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Both children's answers to a status request (undefined: not running; {error}: no answer). */
  async status(): Promise<{ vrrp?: unknown; checker?: unknown }> {
    const ask = (c: ChildSupervisor): Promise<unknown> =>
      c.pid === undefined ? Promise.resolve(undefined) : c.request((id) => ({ t: 'status', id }), 3000, 'status');
    const [vrrp, checker] = await Promise.all([ask(this.vrrp), ask(this.checker).catch((e: Error) => ({ error: e.message }))]);
    return { vrrp, checker };
  }

  /** Send to the VRRP child (dropped when it is not running). */
  toVrrp(m: ToChild): void {
    void this.vrrp.send(m);
  }

  processes(): { main: number; vrrp?: number; checker?: number; vrrpRestarts: number; checkerRestarts: number } {
    return { main: process.pid, vrrp: this.vrrp.pid, checker: this.checker.pid, vrrpRestarts: this.vrrp.restarts, checkerRestarts: this.checker.restarts };
  }

  /** Both stop at once, side by side: VRRP sends priority 0, checkers report (omega). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.all.map((c) => c.stop()));
  }
}
