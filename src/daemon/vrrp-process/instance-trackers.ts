/**
 * The trackers of one instance: its own track_script / track_file /
 * track_interface / track_process references and those of its sync group,
 * fed into the instance as TrackerInputs whenever one changes. Trackers no
 * longer referenced (after a reload) are removed from the instance.
 */
import type { SyncGroupConfig, VrrpInstanceConfig } from '../../config/model';
import type { LinkWatcher } from '../../net/ports';
import { interfaceInput } from '../../track/priority';
import type { VrrpInstance } from '../../vrrp/instance';
import type { TrackerHub } from '../trackers';

export interface BoundTrackers {
  /** Push every tracker's current input into the instance; true while a weight-0 script has no result yet. */
  apply(): boolean;
  /** The hub subscriptions, to drop on rebinding or removal. */
  unsubscribe: (() => void)[];
}

export function bindInstanceTrackers(
  inst: VrrpInstance,
  cfg: VrrpInstanceConfig,
  group: SyncGroupConfig | undefined,
  hub: TrackerHub,
  links: Pick<LinkWatcher, 'linkState'>,
  changed: () => void,
): BoundTrackers {
  const refs = {
    script: [...cfg.trackScript, ...(group?.trackScript ?? [])],
    file: [...cfg.trackFile, ...(group?.trackFile ?? [])],
    iface: [...cfg.trackInterface, ...(group?.trackInterface ?? [])],
    process: [...cfg.trackProcess, ...(group?.trackProcess ?? [])],
  };
  const wanted = new Set([
    ...refs.script.map((x) => `script ${x.name}`),
    ...refs.file.map((x) => `file ${x.name}`),
    ...refs.iface.map((x) => `interface ${x.name}`),
    ...refs.process.map((x) => `process ${x.name}`),
  ]);
  for (const name of inst.trackerNames()) if (!wanted.has(name)) inst.removeTracker(name);
  const apply = () => {
    let pending = false;
    const status = (kind: 'script' | 'process', ref: (typeof refs.script)[number]) => {
      const s = hub.scriptInput(ref, kind);
      if (!s) return;
      pending ||= s.pending;
      inst.setTracker(`${kind} ${ref.name}`, s.input);
    };
    for (const ref of refs.script) status('script', ref);
    for (const ref of refs.file) {
      const f = hub.fileInput(ref);
      if (f) inst.setTracker(`file ${ref.name}`, f);
    }
    for (const ref of refs.process) status('process', ref);
    for (const ref of refs.iface) {
      const up = links.linkState(ref.name)?.up ?? false;
      inst.setTracker(`interface ${ref.name}`, interfaceInput({ weight: ref.weight ?? 0, reverse: ref.reverse }, up));
    }
    return pending;
  };
  // Link changes reach apply() through the daemon's link handler; the others through the hub.
  const unsubscribe: (() => void)[] = [];
  for (const [kind, list] of [['script', refs.script], ['file', refs.file], ['process', refs.process]] as const) {
    for (const ref of list) {
      unsubscribe.push(hub.watch(kind, ref.name, () => {
        apply();
        changed();
      }));
    }
  }
  apply();
  return { apply, unsubscribe };
}
