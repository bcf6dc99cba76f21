/**
 * What the VRRP and checker processes share: the conversation with the main
 * process (init, reload, status, trackers, stop), the signals keepalived's
 * children take, and a clean exit.
 *
 *  - init: the child builds its side from the configuration main sends;
 *  - SIGTERM / SIGINT, a `stop` message, or the main process going away
 *    (the IPC channel closes; keepalived's children get SIGTERM from the
 *    kernel when the parent dies): stop the side, say `stopped`, exit 0;
 *  - SIGHUP, SIGUSR1, SIGUSR2, SIGRTMIN+2: passed to the main process, which
 *    reloads or writes the dumps for every process, as if it got them.
 */
import type { KeepalivedConfig } from '../config/model';
import type { Logger } from '../core/log';
import { WATCH_RAW, type KtsNative } from '../native';
import { LoopDelayMonitor } from './loop-delay';
import { SIGNAL_FUNCTIONS } from '../core/signals';
import { configuredProcessName } from './identity';
import { processLogger } from './logging';
import { applyTuning, tuningFor } from './process-tuning';
import { Channel, SYSLOG_IDENT, type ChildOptions, type ChildRole, type ForwardedSignal, type FromChild, type QuorumFaults, type ToChild, type TrackerState } from './protocol';

/** One side (VRRP or checkers) as the child runs it. */
export interface ChildSide {
  reload(config: KeepalivedConfig, trackers?: readonly TrackerState[]): Promise<unknown>;
  status(): unknown;
  trackers?(states: readonly TrackerState[]): void;
  clearStats?(): void;
  /** (route_announce) The tracked virtual servers without quorum, per instance. */
  quorum?(faults: QuorumFaults): void;
  /** (etcd_election) Grants from the main process. */
  grant?(instance: string, untilMs: number): void;
  resign?(instance: string): Promise<void>;
  /** Stop everything the side holds; idempotent. */
  stop(): Promise<void>;
}

export interface ChildContext {
  init: Extract<ToChild, { t: 'init' }>;
  /** This process's loop-delay window (record() for lateness measured by the side itself). */
  loop: LoopDelayMonitor;
  options: ChildOptions;
  log: Logger;
  native: KtsNative;
  channel: Channel<FromChild, ToChild>;
}

export type SideBuilder = (ctx: ChildContext) => Promise<ChildSide>;

/** Runs a child process's side until it stops; resolves with the exit status. */
export function runChild(role: ChildRole, native: KtsNative, build: SideBuilder): Promise<number> {
  return new Promise((resolveExit) => {
    let log: Logger | undefined;
    const channel = new Channel<FromChild, ToChild>(process, (e) => log?.debug(`message to the main process lost: ${e.message}`));
    let side: ChildSide | undefined;
    let stopping: Promise<void> | undefined;
    const queued: ToChild[] = [];
    // The loop's lateness rides on every status answer (metrics, the status page); sampled from the first ask.
    // The VRRP process has no sampling timer: each wake-up of a Node process costs ~80 us here, and its
    // steady-state adverts wake nothing (the fast path); its timerfd clock reports how late its own timers
    // fire instead (ctx.loop.record).
    const loop = new LoopDelayMonitor(role, 30_000, role === 'vrrp' ? 0 : 20);

    const stop = (why: string): Promise<void> => {
      stopping ??= (async () => {
        log?.debug(`${role} process stopping: ${why}`);
        loop.stop();
        try {
          await side?.stop();
        } catch (e) {
          log?.error(`stopping: ${(e as Error).message}`);
        }
        await channel.send({ t: 'stopped' });
        resolveExit(0);
      })();
      return stopping;
    };

    const handle = async (m: ToChild): Promise<void> => {
      if (side) await serve(side, m, channel, loop, stop);
      else queued.push(m);
    };

    channel.onMessage((m) => {
      if (m.t === 'init' && !side && !log) {
        log = processLogger(m.options, native, SYSLOG_IDENT[role]);
        native.setProcessName(configuredProcessName(role, m.config.global.other));
        const t = tuningFor(role, m.config.global);
        for (const w of t.warnings) log.warn(w);
        applyTuning(native, t.tuning, log, role);
        const ctx: ChildContext = { init: m, loop, options: m.options, log, native, channel };
        build(ctx).then(
          async (s) => {
            side = s;
            await channel.send({ t: 'ready' });
            for (const q of queued.splice(0)) await handle(q);
            if (stopping === undefined && process.connected === false) void stop('the main process is gone');
          },
          (e: unknown) => {
            log?.error(`${role} process cannot start: ${e instanceof Error ? e.message : String(e)}`);
            resolveExit(1);
          },
        );
        return;
      }
      if (m.t === 'stop' && !side) {
        void stop('asked by the main process');
        return;
      }
      void handle(m);
    });
    channel.onDisconnect(() => void stop('the main process is gone'));

    wireSignals(native, channel, stop);
    process.on('unhandledRejection', (e) => log?.error(`BUG: unhandled rejection: ${e instanceof Error ? e.stack ?? e.message : String(e)}`));
  });
}

/** One message from the main process, once the side runs. */
async function serve(side: ChildSide, m: ToChild, channel: Channel<FromChild, ToChild>, loop: LoopDelayMonitor, stop: (why: string) => Promise<void>): Promise<void> {
  switch (m.t) {
    case 'reload':
      try {
        await channel.send({ t: 'reply', id: m.id, ok: true, result: await side.reload(m.config, m.trackers) });
      } catch (e) {
        await channel.send({ t: 'reply', id: m.id, ok: false, error: (e as Error).message });
      }
      return;
    case 'status':
      await channel.send({ t: 'reply', id: m.id, ok: true, result: { ...(side.status() as object), eventLoop: loop.view() } });
      return;
    case 'trackers':
      side.trackers?.(m.states);
      return;
    case 'clearStats':
      side.clearStats?.();
      return;
    case 'quorum':
      side.quorum?.(m.faults);
      return;
    case 'grant':
      side.grant?.(m.instance, m.untilMs);
      return;
    case 'resign':
      await side.resign?.(m.instance);
      await channel.send({ t: 'reply', id: m.id, ok: true, result: null });
      return;
    case 'stop':
      await stop('asked by the main process');
      return;
    case 'init':
      return; // only the first one counts
  }
}

/** SIGTERM/SIGINT stop this process; the dump and reload signals go to the main process, which acts for the daemon. */
function wireSignals(native: KtsNative, channel: Channel<FromChild, ToChild>, stop: (why: string) => Promise<void>): void {
  const forward = (sig: ForwardedSignal) => () => void channel.send({ t: 'signal', sig });
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', forward('SIGHUP'));
  process.on('SIGUSR1', forward('SIGUSR1'));
  process.on('SIGUSR2', forward('SIGUSR2'));
  for (const [f, sig] of [['JSON', SIGNAL_FUNCTIONS.JSON], ['STATS_CLEAR', SIGNAL_FUNCTIONS.STATS_CLEAR]] as const) {
    native.watchRef(native.watch(native.signalFd(sig), WATCH_RAW, forward(f)), false);
  }
}
