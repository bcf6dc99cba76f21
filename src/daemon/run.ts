/**
 * Starting the daemon the way keepalived(8) starts: `-n` runs in the
 * foreground; without it the process re-executes itself detached with `-n`
 * (Node cannot fork) and the parent exits 0. The daemon itself is three
 * processes, as keepalived's: the main process (src/daemon/main), the VRRP
 * process (src/daemon/vrrp-process) and, with virtual servers, the checker
 * process (src/daemon/checker-process), talking by the messages of
 * src/daemon/protocol.ts.
 *
 * Resolves with the exit status once the daemon has stopped; only cli/ exits.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { LoadResult } from '../config';
import type { CliOptions } from '../cli/args';
import { loadNative } from '../native';
import { nameProcess, PROCESS_NAME } from './identity';
import { DaemonExit, startMainProcess } from './main/main-process';

export { DaemonExit, dumpDirectory, EXIT_CONFIG, type DaemonProcess } from './main/main-process';
export { NFT_LVS_MESSAGE } from './checker-process/checker-process';

/** Entry from cli/main: foreground daemon, or re-exec detached. */
export async function runDaemon(o: CliOptions, loaded: LoadResult): Promise<number> {
  if (!o.dontFork) return daemonize();
  const loadedNative = loadNative();
  if (loadedNative.ok) nameProcess(loadedNative.native);
  try {
    const p = await startMainProcess(o, loaded);
    return await p.done;
  } catch (e) {
    if (e instanceof DaemonExit) return e.status;
    throw e;
  }
}

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
