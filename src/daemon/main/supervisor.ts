/**
 * Supervision of one child process (VRRP or checkers), as keepalived's
 * parent does it:
 *  - "Starting VRRP child process, pid=N"; the child's pid file (-r / -c)
 *    holds its pid while it runs;
 *  - a child that dies while we are not stopping is started again
 *    ("VRRP child process(N) died: Respawning"), from the configuration
 *    main holds now; more than RESPAWN_BURST restarts within
 *    RESPAWN_WINDOW_MS are spaced out ("Restart of VRRP process delayed 2
 *    seconds to limit respawn rate");
 *  - with -R (--dont-respawn) a dead child stops the daemon
 *    ("VRRP child process(N) died: Exiting");
 *  - a child that exits cleanly while we are not stopping was stopped by a
 *    signal of its own (someone ran `kill <its pid>`, or `pkill keepalived`
 *    reached it first): it is respawned after a short grace, so a stop
 *    signal on its way to main is seen first.
 *
 * Stop: ask the child to stop, wait for it, SIGKILL after a bound.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../../core/log';
import { removePidFile, writePidFile } from './pidfile';
import { Channel, Requests, type ChildRole, type FromChild, type ToChild } from '../protocol';

/** keepalived's names for its children in log lines. */
export const CHILD_NAME: Record<ChildRole, string> = { vrrp: 'VRRP', checker: 'Healthcheck' };

const RESPAWN_BURST = 5;
const RESPAWN_WINDOW_MS = 30_000;
const CLEAN_EXIT_GRACE_MS = 200;

export interface SupervisorDeps {
  log: Logger;
  /** Start the child process (with an IPC channel). */
  spawn(role: ChildRole): ChildProcess;
  /** The init message for a start (restart: after a death). */
  init(restart: boolean): Extract<ToChild, { t: 'init' }>;
  onMessage(m: FromChild): void;
  /** Called each time a child (re)starts and said `ready`. */
  onReady?(): void;
  /** The child's pid file (keepalived -r / -c). */
  pidFile?: string;
  /** false with -R: a death stops the daemon through onGiveUp. */
  respawn: boolean;
  onGiveUp(): void;
  /** A death while not stopping (before respawn or giving up). */
  onDeath?(pid: number, how: string): void;
}

export class ChildSupervisor {
  private proc?: ChildProcess;
  private channel?: Channel<ToChild, FromChild>;
  private readonly requests = new Requests();
  private stopping = false;
  private exited?: Promise<void>;
  private readonly deaths: number[] = [];
  private respawnTimer?: NodeJS.Timeout;
  /** Times the child was started again after dying. */
  restarts = 0;
  private isReady = false;

  constructor(readonly role: ChildRole, private readonly deps: SupervisorDeps) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Running and past its init. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Resolves once the child runs past its init, or at once when it is not running. */
  whenReady(): Promise<void> {
    if (this.isReady || !this.proc) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private readyWaiters: (() => void)[] = [];

  private wake(): void {
    for (const w of this.readyWaiters.splice(0)) w();
  }

  start(restart = false): void {
    if (this.proc) return;
    this.stopping = false;
    const { log } = this.deps;
    const proc = this.deps.spawn(this.role);
    this.proc = proc;
    this.isReady = false;
    const channel = new Channel<ToChild, FromChild>(proc, (e) => log.debug(`${CHILD_NAME[this.role]} child: message lost: ${e.message}`));
    this.channel = channel;
    log.info(`Starting ${CHILD_NAME[this.role]} child process, pid=${proc.pid}`);
    try {
      if (this.deps.pidFile) writePidFile(this.deps.pidFile, proc.pid!);
    } catch (e) {
      log.error(`${CHILD_NAME[this.role]} child process: cannot write pidfile ${this.deps.pidFile}: ${(e as Error).message}`);
    }
    channel.onMessage((m) => {
      if (m.t === 'reply') this.requests.settle(m);
      else if (m.t === 'ready') {
        this.isReady = true;
        this.wake();
        this.deps.onReady?.();
      } else this.deps.onMessage(m);
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
      this.onExit(proc, code, signal);
      resolve();
    }));
    void channel.send(this.deps.init(restart));
  }

  /** Send a message (dropped if the child is not running). */
  send(m: ToChild): Promise<void> {
    return this.channel?.send(m) ?? Promise.resolve();
  }

  /** A request with an id; rejects when the child is not running or does not answer in time. */
  request(build: (id: number) => ToChild, timeoutMs: number, what: string): Promise<unknown> {
    if (!this.proc || !this.channel) return Promise.reject(new Error(`${CHILD_NAME[this.role]} child process is not running`));
    const { id, answer } = this.requests.open(timeoutMs, `${CHILD_NAME[this.role]} child: ${what}`);
    void this.channel.send(build(id));
    return answer;
  }

  /** Ask the child to stop; SIGKILL it after `timeoutMs`. Idempotent; no respawn afterwards. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.respawnTimer);
    const proc = this.proc;
    if (!proc) return;
    void this.send({ t: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.deps.log.error(`${CHILD_NAME[this.role]} child process(${proc.pid}) did not stop within ${timeoutMs} ms: killed`);
          proc.kill('SIGKILL');
          resolve();
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.exited;
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    this.channel = undefined;
    this.isReady = false;
    this.requests.failAll(`${CHILD_NAME[this.role]} child process exited`);
    this.wake();
    if (this.deps.pidFile) removePidFile(this.deps.pidFile, proc.pid);
    if (this.stopping) return;
    const { log } = this.deps;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    this.deps.onDeath?.(proc.pid ?? 0, how);
    if (!this.deps.respawn) {
      log.error(`${CHILD_NAME[this.role]} child process(${proc.pid}) died: Exiting (${how})`);
      this.deps.onGiveUp();
      return;
    }
    log.error(`${CHILD_NAME[this.role]} child process(${proc.pid}) died: Respawning (${how})`);
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length && now - this.deaths[0] > RESPAWN_WINDOW_MS) this.deaths.shift();
    let delay = code === 0 && !signal ? CLEAN_EXIT_GRACE_MS : 0;
    if (this.deaths.length > RESPAWN_BURST) {
      const secs = Math.min(30, 2 ** (this.deaths.length - RESPAWN_BURST));
      log.warn(`Restart of ${CHILD_NAME[this.role]} process delayed ${secs} seconds to limit respawn rate`);
      delay = secs * 1000;
    }
    this.respawnTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.start(true);
    }, delay);
  }
}
