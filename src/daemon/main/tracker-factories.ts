/**
 * The real trackers, run by the main process: vrrp_script children,
 * track_file watchers (inotify) and vrrp_track_process (/proc). Their results
 * go to the VRRP process by message (src/daemon/vrrp-process/remote-trackers.ts).
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { ProcessRunner } from '../../notify';
import { initTrackFile, ProcessTracker, ProcSource, TrackFileWatcher, VrrpScriptTracker } from '../../track';
import type { IdLookup } from '../notify-wiring';
import type { TrackerFactories } from '../trackers';

export function realTrackers(
  deps: { clock: Clock; runner: ProcessRunner; log: Logger; ids: IdLookup; scriptUser?: { uid: number; gid: number } },
  config: () => KeepalivedConfig,
): TrackerFactories {
  const { clock, runner, log, ids, scriptUser } = deps;
  // One /proc reader per tracker; it reads command lines only when some track_process needs them.
  const procSource = () => new ProcSource(config().trackProcesses.some((p) => p.fullCommand));
  return {
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
  };
}
