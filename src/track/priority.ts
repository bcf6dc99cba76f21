/**
 * From tracker states to the instance's TrackerInputs, per keepalived 2.2.7
 * (keepalived/vrrp/vrrp_track.c initialise_track_script_state,
 * process_script_update_priority, initialise_interface_tracking_priorities;
 * keepalived/trackers/track_file.c update_track_file_status). The arithmetic
 * (weights, reverse, clamping, FAULT) has one home: src/vrrp/priority.ts;
 * this module only says what each tracker's state means as an input:
 *  - vrrp_script / track_process: failed while its status is 'fail'. With no
 *    result yet it contributes nothing, and a weight-0 one keeps the instance
 *    from starting (keepalived's num_script_init): `pending`.
 *  - track_interface: failed while the link is down. Weight default 0.
 *  - track_file: the value read (0 if the file is missing). Weight default 1.
 */
import { combineContributions, trackerContribution, type TrackerContribution, type TrackerInput } from '../vrrp/priority';

export interface TrackWeight {
  /** The effective weight (the track_* line's, else the tracker's own). */
  weight: number;
  reverse?: boolean;
}

export interface Contribution extends TrackerContribution {
  /** Weight-0 script without a result yet: the instance must wait (INIT). */
  pending?: boolean;
}

export type ScriptStatus = 'unknown' | 'ok' | 'fail';

/** vrrp_script / track_process status as an input, and whether it holds the instance in INIT. */
export function scriptInput(w: TrackWeight, status: ScriptStatus): { input: TrackerInput; pending: boolean } {
  return { input: { weight: w.weight, reverse: w.reverse, failed: status === 'fail' }, pending: status === 'unknown' && w.weight === 0 };
}

export function interfaceInput(w: TrackWeight, up: boolean): TrackerInput {
  return { weight: w.weight, reverse: w.reverse, failed: !up };
}

export function fileInput(w: TrackWeight, value: number): TrackerInput {
  return { kind: 'value', weight: w.weight, reverse: w.reverse, value };
}

/** What a vrrp_script contributes (nothing while it has no result). */
export function scriptContribution(w: TrackWeight, status: ScriptStatus): Contribution {
  if (status === 'unknown') return w.weight === 0 ? { fault: false, delta: 0, pending: true } : { fault: false, delta: 0 };
  return trackerContribution(scriptInput(w, status).input);
}

export function interfaceContribution(w: TrackWeight, up: boolean): Contribution {
  return trackerContribution(interfaceInput(w, up));
}

export function fileContribution(w: TrackWeight, value: number): Contribution {
  return trackerContribution(fileInput(w, value));
}

/** keepalived's track_file status, clamped to [-254, 253]; -254 means FAULT. */
export function trackFileStatus(w: TrackWeight, value: number): number {
  const c = fileContribution(w, value);
  return c.fault ? -254 : c.delta;
}

/** The instance's FAULT, INIT hold and effective priority from its trackers' contributions. */
export function applyContributions(basePriority: number, cs: readonly Contribution[]): { fault: boolean; pending: boolean; priority: number } {
  const r = combineContributions(basePriority, cs);
  return { fault: r.fault, pending: cs.some((c) => c.pending === true), priority: r.priority };
}
