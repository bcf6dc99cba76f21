/**
 * global_defs startup_script / shutdown_script: run by the main process
 * before the children start / after they stopped, waited for up to
 * startup_script_timeout / shutdown_script_timeout (default 10 s), then
 * killed.
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import { describeOutcome, runWithTimeout, type ProcessRunner } from '../../notify';
import { scriptSpec, type IdLookup } from '../notify-wiring';

export async function runStartStopScript(
  which: 'startup' | 'shutdown', config: KeepalivedConfig, runner: ProcessRunner, clock: Clock,
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
