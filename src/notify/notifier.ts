/**
 * The Notifier facade: what the daemon calls on every VRRP state change (and,
 * later, every checker change). It never blocks the caller.
 *
 * Per transition, as keepalived/vrrp/vrrp_notify.c send_instance_notifies():
 *   1. the state's own script (notify_master|backup|fault|stop|deleted), argv
 *      exactly as configured, no extra arguments;
 *   2. the generic `notify` script with four arguments appended:
 *      INSTANCE|GROUP <name> MASTER|BACKUP|FAULT|STOP|DELETED <priority>
 *      (a group's priority is always 0);
 *   3. the FIFO line(s): `INSTANCE "VI_1" MASTER 100`;
 *   4. the alert mail, if smtp_alert is on for the instance/group.
 * An instance deleted at reload is reported as FAULT unless `notify_deleted`
 * is configured (keepalived's backward-compatible default).
 *
 * How this differs from keepalived (which forks each script and forgets it):
 *  - scripts of one instance/group run one at a time, in transition order:
 *    a transition's scripts wait for the previous transition's scripts of the
 *    same owner (each bounded by a timeout: SIGTERM to its process group,
 *    SIGKILL after a grace period); other owners are not delayed;
 *  - keepalived runs notify scripts without a timeout, except at shutdown
 *    (STOP scripts are killed after 1 s); we give every script a timeout
 *    (default 30 s, STOP 1 s as keepalived);
 *  - the FIFO line is written when the transition is reported, not after
 *    the scripts (FIFO readers see transitions at once and in order; a hung
 *    script never delays them);
 *  - mail goes through its own queue with bounded retries; it never delays
 *    scripts or FIFO lines.
 */
import * as dc from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { Clock, SystemClock } from '../core/clock';
import { Logger, nullLogger } from '../core/log';
import { cmdStr } from './argv';
import {
  formatRsFifoLine,
  formatVrrpFifoLine,
  formatVsFifoLine,
  NotifyFifo,
  VrrpFifoState,
} from './fifo';
import {
  Mailer,
  MailOptions,
  MailResult,
  MailTransport,
  nodemailerTransport,
  realServerMailSubject,
  resolveMailOptions,
  virtualServerMailSubject,
  vrrpMailSubject,
  vrrpMailText,
} from './mail';
import { describeOutcome, ProcessHandle, ProcessRunner, RunOutcome, runWithTimeout, SpawnProcessRunner } from './process';
import { OwnerQueues } from './queue';

/** A script ready to run: argv (see argv.ts) and the ids to run it as. */
export interface ScriptSpec {
  argv: readonly string[];
  uid?: number;
  gid?: number;
}

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** The notify keywords of a vrrp_instance or vrrp_sync_group. */
export interface NotifyScripts {
  master?: ScriptSpec;
  backup?: ScriptSpec;
  fault?: ScriptSpec;
  stop?: ScriptSpec;
  /** `notify_deleted <script>` (instances only). */
  deleted?: ScriptSpec;
  /** `notify_master_rx_lower_pri <script>` (instances only): run by VrrpEvent MASTER_RX_LOWER_PRI. */
  masterRxLowerPri?: ScriptSpec;
  /** Generic `notify`: gets INSTANCE|GROUP <name> <STATE> <priority> appended. */
  notify?: ScriptSpec;
}

export interface VrrpTransition {
  kind: 'INSTANCE' | 'GROUP';
  name: string;
  state: VrrpState;
  /** Effective priority (ignored for groups, which report 0). */
  priority: number;
  scripts?: NotifyScripts;
  /** `notify_deleted` present: report DELETED instead of FAULT. */
  notifyDeleted?: boolean;
  /** Resolved smtp_alert for this instance/group. */
  smtpAlert: boolean;
  /** The state left and why (status, metrics, the live page; notifications do not use them). */
  from?: string;
  reason?: string;
}

export interface VrrpEvent {
  name: string;
  /** MASTER_RX_LOWER_PRI runs notify_master_rx_lower_pri; the *_PRIORITY events only write FIFO lines. */
  event: 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';
  priority: number;
  script?: ScriptSpec;
}

export interface RealServerChange {
  /** Formatted as keepalived: formatServiceAddress(...) etc. */
  rs: string;
  vs: string;
  up: boolean;
  /** notify_up / notify_down. */
  script?: ScriptSpec;
  smtpAlert?: boolean;
  /** Checker-specific mail body, e.g. "=> DNS_CHECK: failed on service <=". */
  mailBody?: string;
}

export interface VirtualServerChange {
  vs: string;
  up: boolean;
  /** quorum_up / quorum_down. */
  script?: ScriptSpec;
  smtpAlert?: boolean;
  /** Mail body, e.g. "=> Gained quorum 1+0=1 <= 1 <=". */
  mailBody?: string;
}

export interface FifoConfig {
  path: string;
  /** Owner of a FIFO we create. */
  uid?: number;
  gid?: number;
  /** `*_notify_fifo_script`: started before the FIFO is opened, FIFO path appended. */
  script?: ScriptSpec;
}

export interface NotifierOptions {
  notifyFifo?: FifoConfig;
  vrrpNotifyFifo?: FifoConfig;
  lvsNotifyFifo?: FifoConfig;
  mail?: MailOptions;
  /** no_email_faults */
  noEmailFaults?: boolean;
  /** Per-script timeout (default 30000 ms); STOP scripts use stopScriptTimeoutMs (default 1000). */
  scriptTimeoutMs?: number;
  stopScriptTimeoutMs?: number;
  /** SIGTERM -> SIGKILL grace (default 2000 ms, as keepalived's track scripts). */
  killGraceMs?: number;
  /** Scripts' environment (default: the daemon's, as keepalived). */
  env?: NodeJS.ProcessEnv;
}

export interface NotifierDeps {
  clock?: Clock;
  runner?: ProcessRunner;
  /** Defaults to nodemailer SMTP built from options.mail. */
  mailTransport?: MailTransport;
  logger?: Logger;
  /** Wall clock for mail Date headers. */
  now?: () => Date;
}

export interface ScriptEvent {
  owner: string;
  role: string;
  argv: readonly string[];
  outcome: RunOutcome;
}
export interface FifoEvent {
  path: string;
  line: string;
  written: boolean;
}

export interface NotifyStats {
  /** Scripts started (scriptsRun counts those that have finished). */
  scriptsStarted: number;
  scriptsRun: number;
  scriptsFailed: number;
  scriptsTimedOut: number;
  scriptsNotStarted: number;
  fifoLines: number;
  fifoDropped: number;
  mailsSent: number;
  mailsFailed: number;
}

/** diagnostics_channel names (undici style). */
export const CHANNELS = {
  script: 'keepalived-ts:notify:script',
  fifo: 'keepalived-ts:notify:fifo',
  mail: 'keepalived-ts:notify:mail',
} as const;
const chScript = dc.channel(CHANNELS.script);
const chFifo = dc.channel(CHANNELS.fifo);
const chMail = dc.channel(CHANNELS.mail);

interface OpenFifo {
  fifo: NotifyFifo;
  reader?: ProcessHandle;
}

/**
 * Events: 'script' (ScriptEvent), 'fifo' (FifoEvent), 'mail' (MailResult),
 * also published on the diagnostics channels in CHANNELS.
 */
export class Notifier extends EventEmitter {
  readonly stats: NotifyStats = {
    scriptsStarted: 0,
    scriptsRun: 0,
    scriptsFailed: 0,
    scriptsTimedOut: 0,
    scriptsNotStarted: 0,
    fifoLines: 0,
    fifoDropped: 0,
    mailsSent: 0,
    mailsFailed: 0,
  };
  private readonly clock: Clock;
  private readonly runner: ProcessRunner;
  private readonly log: Logger;
  private readonly queues: OwnerQueues;
  private readonly mailer: Mailer | undefined;
  private readonly lastMailState = new Map<string, VrrpState>();
  private readonly abort = new AbortController();
  private readonly fifos: { global?: OpenFifo; vrrp?: OpenFifo; lvs?: OpenFifo } = {};
  private closed = false;

  constructor(private readonly options: NotifierOptions = {}, deps: NotifierDeps = {}) {
    super();
    this.clock = deps.clock ?? new SystemClock();
    this.runner = deps.runner ?? new SpawnProcessRunner(this.clock);
    this.log = deps.logger ?? nullLogger;
    this.queues = new OwnerQueues((owner, err) => this.log.error(`notify queue for ${owner} failed: ${String(err)}`));
    const mo = options.mail ? resolveMailOptions(options.mail) : undefined;
    if (mo) {
      const transport = deps.mailTransport ?? nodemailerTransport(mo);
      this.mailer = new Mailer(mo, transport, this.clock, this.log, (r) => this.onMail(r), deps.now);
    }
  }

  /**
   * Create/open the FIFOs and start their reader scripts. Errors are logged
   * (keepalived carries on without the FIFO) and returned.
   */
  open(): { path: string; message: string }[] {
    const errors: { path: string; message: string }[] = [];
    const o = this.options;
    let vrrp = o.vrrpNotifyFifo;
    let lvs = o.lvsNotifyFifo;
    if (o.notifyFifo && vrrp && vrrp.path === o.notifyFifo.path) {
      this.log.info(`notify FIFO ${vrrp.path} has been specified for global and vrrp FIFO - ignoring vrrp FIFO`);
      vrrp = undefined;
    }
    if (o.notifyFifo && lvs && lvs.path === o.notifyFifo.path) {
      this.log.info(`notify FIFO ${lvs.path} has been specified for global and LVS FIFO - ignoring LVS FIFO`);
      lvs = undefined;
    }
    const openOne = (cfg: FifoConfig | undefined, type: string): OpenFifo | undefined => {
      if (!cfg) return undefined;
      let reader: ProcessHandle | undefined;
      try {
        // keepalived: mkfifo, start the reader script, then open the FIFO.
        const script = cfg.script;
        const startReader = script
          ? () => {
              const argv = [...script.argv, cfg.path];
              reader = this.runner.spawn({ argv, uid: script.uid, gid: script.gid, env: o.env }, () =>
                this.log.info(`${type}notify fifo script terminated`),
              );
            }
          : undefined;
        const fifo = NotifyFifo.open({ path: cfg.path, uid: cfg.uid, gid: cfg.gid }, startReader);
        return { fifo, reader };
      } catch (e) {
        reader?.terminate(this.options.killGraceMs ?? 2000);
        const message = `Unable to open ${type}notify fifo ${cfg.path}: ${(e as Error).message}`;
        this.log.error(message);
        errors.push({ path: cfg.path, message });
        return undefined;
      }
    };
    this.fifos.global = openOne(o.notifyFifo, '');
    this.fifos.vrrp = openOne(vrrp, 'vrrp_');
    this.fifos.lvs = openOne(lvs, 'lvs_');
    return errors;
  }

  /** Report a VRRP instance/group state change. Never blocks; resolves when its scripts have run. */
  vrrpTransition(t: VrrpTransition): Promise<void> {
    if (this.closed) return Promise.resolve();
    let state = t.state;
    if (state === 'DELETED' && t.kind === 'INSTANCE' && !t.notifyDeleted) state = 'FAULT';
    const priority = t.kind === 'GROUP' ? 0 : t.priority;
    const owner = `${t.kind} ${t.name}`;

    // FIFO first-hand: at once, in call order.
    this.writeVrrpFifo(formatVrrpFifoLine(t.kind, t.name, state, priority));

    // Mail: asynchronous, deduplicated per owner as keepalived's last_email_state.
    if (t.smtpAlert && this.mailer && !(this.options.noEmailFaults && state === 'FAULT') && this.lastMailState.get(owner) !== state) {
      const text = vrrpMailText(t.kind, state);
      if (text) {
        this.lastMailState.set(owner, state);
        void this.mailer.send(vrrpMailSubject(this.mailer.options.routerId, t.kind, t.name, text.subject), text.body);
      }
    }

    const scripts = t.scripts ?? {};
    const specific = scripts[state.toLowerCase() as Lowercase<VrrpState>];
    const generic = scripts.notify;
    if (!specific && !generic) return Promise.resolve();
    const timeoutMs = state === 'STOP' ? this.options.stopScriptTimeoutMs ?? 1000 : this.options.scriptTimeoutMs ?? 30_000;
    return this.queues.enqueue(owner, async () => {
      if (specific) await this.runScript(owner, `notify_${state.toLowerCase()}`, specific, [], timeoutMs);
      if (generic) await this.runScript(owner, 'notify', generic, [t.kind, t.name, state, String(priority)], timeoutMs);
    });
  }

  /** MASTER_RX_LOWER_PRI / priority-change events of an instance. */
  vrrpEvent(e: VrrpEvent): Promise<void> {
    if (this.closed) return Promise.resolve();
    const owner = `INSTANCE ${e.name}`;
    const script = e.event === 'MASTER_RX_LOWER_PRI' ? e.script : undefined;
    const done = script
      ? this.queues.enqueue(owner, () => this.runScript(owner, 'notify_master_rx_lower_pri', script, [], this.options.scriptTimeoutMs ?? 30_000))
      : Promise.resolve();
    this.writeVrrpFifo(formatVrrpFifoLine('INSTANCE', e.name, e.event, e.priority));
    return done;
  }

  /** A real server went up/down (checkers, later): script, `RS ...` FIFO line, mail. */
  realServer(c: RealServerChange): Promise<void> {
    if (this.closed) return Promise.resolve();
    const owner = `RS ${c.rs} ${c.vs}`;
    const script = c.script;
    const done = script
      ? this.queues.enqueue(owner, () => this.runScript(owner, c.up ? 'notify_up' : 'notify_down', script, [], this.options.scriptTimeoutMs ?? 30_000))
      : Promise.resolve();
    this.writeLvsFifo(formatRsFifoLine(c.rs, c.vs, c.up));
    if (c.smtpAlert && this.mailer) {
      void this.mailer.send(realServerMailSubject(this.mailer.options.routerId, c.rs, c.vs, c.up), c.mailBody ?? (c.up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service <='));
    }
    return done;
  }

  /** A virtual server's quorum changed: script, `VS ...` FIFO line, mail. */
  virtualServer(c: VirtualServerChange): Promise<void> {
    if (this.closed) return Promise.resolve();
    const owner = `VS ${c.vs}`;
    const script = c.script;
    const done = script
      ? this.queues.enqueue(owner, () => this.runScript(owner, c.up ? 'quorum_up' : 'quorum_down', script, [], this.options.scriptTimeoutMs ?? 30_000))
      : Promise.resolve();
    this.writeLvsFifo(formatVsFifoLine(c.vs, c.up));
    if (c.smtpAlert && this.mailer) {
      void this.mailer.send(virtualServerMailSubject(this.mailer.options.routerId, c.vs, c.up), c.mailBody ?? (c.up ? '=> Gained quorum <=' : '=> Lost quorum <='));
    }
    return done;
  }

  /** Jobs queued or running for an owner ("INSTANCE VI_1", "GROUP G1"), or all. */
  pendingScripts(owner?: string): number {
    return this.queues.pending(owner);
  }

  /** Resolves when all scripts and mails queued so far are done. */
  async idle(): Promise<void> {
    await this.queues.idle();
    await this.mailer?.idle();
  }

  /**
   * Orderly shutdown: stop accepting work, let queued scripts and mails
   * finish for up to `drainMs` (then kill what runs and abandon the mails:
   * the attempt in flight is aborted, retries and queued mails given up),
   * stop FIFO reader scripts, unlink and close FIFOs. Idempotent.
   *
   * keepalived queues its "Stopping" mail at shutdown but exits before
   * sending it; we send it within the drain time.
   */
  async close(drainMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimer(drainMs, () => {
        this.abort.abort();
        resolve();
      });
      void Promise.all([this.queues.idle(), this.mailer?.idle()]).then(() => {
        t.cancel();
        resolve();
      });
    });
    this.abort.abort();
    await this.queues.idle();
    for (const f of [this.fifos.global, this.fifos.vrrp, this.fifos.lvs]) {
      if (!f) continue;
      f.reader?.terminate(this.options.killGraceMs ?? 2000);
      f.fifo.close();
    }
    this.mailer?.close();
  }

  private writeVrrpFifo(line: string): void {
    this.writeFifo(this.fifos.global, line);
    this.writeFifo(this.fifos.vrrp, line);
  }
  private writeLvsFifo(line: string): void {
    this.writeFifo(this.fifos.global, line);
    this.writeFifo(this.fifos.lvs, line);
  }
  private writeFifo(f: OpenFifo | undefined, line: string): void {
    if (!f) return;
    const written = f.fifo.write(line);
    if (written) this.stats.fifoLines++;
    else this.stats.fifoDropped++;
    const ev: FifoEvent = { path: f.fifo.path, line, written };
    this.emit('fifo', ev);
    if (chFifo.hasSubscribers) chFifo.publish(ev);
  }

  private async runScript(owner: string, role: string, spec: ScriptSpec, extra: string[], timeoutMs: number): Promise<void> {
    const argv = [...spec.argv, ...extra];
    this.stats.scriptsStarted++;
    const outcome = await runWithTimeout(
      this.runner,
      this.clock,
      { argv, uid: spec.uid, gid: spec.gid, env: this.options.env },
      { timeoutMs, killGraceMs: this.options.killGraceMs ?? 2000, signal: this.abort.signal },
    );
    this.stats.scriptsRun++;
    if (outcome.kind === 'timedOut') this.stats.scriptsTimedOut++;
    else if (outcome.kind === 'error') this.stats.scriptsNotStarted++;
    else if (!(outcome.kind === 'exited' && outcome.code === 0)) this.stats.scriptsFailed++;
    if (outcome.kind === 'error') this.log.error(`Error exec-ing command ${cmdStr(argv)}: ${outcome.message}`, { owner });
    else if (outcome.kind === 'timedOut') this.log.warn(`${role} script ${cmdStr(argv)} ${describeOutcome(outcome)} - killed`, { owner });
    else this.log.debug(`${role} script ${cmdStr(argv)} ${describeOutcome(outcome)}`, { owner });
    const ev: ScriptEvent = { owner, role, argv, outcome };
    this.emit('script', ev);
    if (chScript.hasSubscribers) chScript.publish(ev);
  }

  private onMail(r: MailResult): void {
    if (r.ok) this.stats.mailsSent++;
    else this.stats.mailsFailed++;
    this.emit('mail', r);
    if (chMail.hasSubscribers) chMail.publish(r);
  }
}
