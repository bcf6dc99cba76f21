/**
 * The names operators' scripts use to find the daemon. keepalived's
 * processes are all called `keepalived`; the MySQL hot-standby recipes stop
 * it with `pkill keepalived` or `killall keepalived` from a notify script,
 * and monitoring finds it with `pidof keepalived` or `pgrep keepalived`.
 *
 *  - /proc/PID/comm (pkill, pgrep, killall, ps -C) is set with prctl;
 *  - argv[0] (pidof, and the first word `ps` shows) is `keepalived`: a
 *    foreground daemon re-executes itself once with that argv[0] (execv keeps
 *    the pid, so systemd's main pid and the pid files stay right); a
 *    daemonised or child process is spawned with it.
 *
 * The rest of the command line still names keepalived-ts:
 * `keepalived /usr/lib/node_modules/keepalived-ts/bin/keepalived-ts -n -f ...`.
 */
import type { KtsNative } from '../native';

export const PROCESS_NAME = 'keepalived';

/** Set when this process was started under the name already (re-exec done, or spawned so). */
export function namedAsKeepalived(argv0: string = process.argv0): boolean {
  return argv0 === PROCESS_NAME;
}

/** The argv that re-runs this Node program as `keepalived` (the script and its arguments unchanged). */
export function keepalivedArgv(execArgv: readonly string[] = process.execArgv, argv: readonly string[] = process.argv): string[] {
  return [PROCESS_NAME, ...execArgv, ...argv.slice(1)];
}

/**
 * Re-execute the foreground daemon as `keepalived` unless it already runs
 * under that name. Returns only when no re-exec was needed; a failed execv
 * throws (the caller logs it and goes on under the old name).
 */
export function reexecAsKeepalived(native: KtsNative): void {
  if (namedAsKeepalived()) return;
  native.execv(process.execPath, keepalivedArgv());
}

/** /proc/self/comm = keepalived (the main thread's name). */
export function nameProcess(native: KtsNative): void {
  native.setProcessName(PROCESS_NAME);
}

/**
 * keepalived's process_names / process_name / vrrp_process_name /
 * checker_process_name (global_defs): the name (comm) of each process.
 * Default: all `keepalived`; with `process_names`: keepalived,
 * keepalived_vrrp, keepalived_ipvs.
 */
export function configuredProcessName(role: 'main' | 'vrrp' | 'checker', other: Record<string, string[]>): string {
  const key = role === 'main' ? 'process_name' : `${role}_process_name`;
  const explicit = other[key]?.[0];
  if (explicit) return explicit.slice(0, 15);
  if (other.process_names === undefined) return PROCESS_NAME;
  return role === 'main' ? PROCESS_NAME : role === 'vrrp' ? 'keepalived_vrrp' : 'keepalived_ipvs';
}
