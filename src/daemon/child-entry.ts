/**
 * Entry of the daemon's child processes (`bin/keepalived-ts --child vrrp|checker`,
 * spawned by the main process as `keepalived`): loads only what the child
 * needs, names the process, and runs its side until it stops.
 */
import { requireNative } from '../native';
import { runChild } from './child';
import { nameProcess } from './identity';
import type { ChildRole } from './protocol';

export function runChildEntry(role: string): void {
  if (role !== 'vrrp' && role !== 'checker') {
    process.stderr.write(`keepalived-ts: unknown child role '${role}'\n`);
    process.exit(2);
  }
  const native = requireNative();
  nameProcess(native);
  void runChild(role as ChildRole, native, async (ctx) => {
    if (role === 'vrrp') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { buildVrrpSide } = require('./vrrp-process/vrrp-process') as typeof import('./vrrp-process/vrrp-process');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { TimerfdClock } = require('../net/linux/timerfd-clock') as typeof import('../net/linux/timerfd-clock');
      const clock = new TimerfdClock(native);
      clock.onLate = (ms) => ctx.loop.record(ms);
      return buildVrrpSide(ctx, clock);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildCheckerSide } = require('./checker-process/checker-process') as typeof import('./checker-process/checker-process');
    return buildCheckerSide(ctx);
  }).then((code) => process.exit(code));
}
