/**
 * What one tracker contributes to a VRRP instance, per keepalived 2.2.7
 * (keepalived/vrrp/vrrp_track.c initialise_track_script_state,
 * process_script_update_priority, initialise_interface_tracking_priorities;
 * keepalived/trackers/track_file.c update_track_file_status,
 * process_update_vrrp_track_file_status).
 *
 * Let m = reverse ? -1 : 1.
 *  - weight 0: the tracker is a hard dependency. The instance is in FAULT
 *    when the tracker is down (script failing, interface down, file value
 *    non-zero); with `reverse`, when it is up (script OK, link up, value 0).
 *  - script / interface with weight w != 0: contributes w*m while up if
 *    w > 0, w*m while down if w < 0, else 0. So "weight 10" adds 10 when OK,
 *    "weight -10" takes 10 away when failing, and `reverse` flips the sign.
 *  - track_file with weight w != 0: contributes value*w*m, clamped to at most
 *    253; a result <= -254 puts the instance in FAULT.
 *  - A vrrp_script with no result yet (before its first run completes)
 *    contributes 0; a weight-0 one keeps the instance from starting
 *    (keepalived's num_script_init): reported here as `pending`.
 *  - Address owners (priority 255) ignore weights; FAULT still applies.
 *
 * The instance's effective priority is base + sum(deltas), clamped to
 * [1, 254] (vrrp_set_effective_priority) — computed by src/vrrp/priority.ts;
 * applyContributions() below states the same rule for reference and tests.
 */

export interface TrackWeight {
  /** The effective weight (the track_* line's, else the tracker's own). */
  weight: number;
  reverse?: boolean;
}

export interface Contribution {
  /** The tracker puts the instance in FAULT. */
  fault: boolean;
  /** Priority adjustment (0 when fault or weight 0). */
  delta: number;
  /** Weight-0 script without a result yet: the instance must wait (INIT). */
  pending?: boolean;
}

const NONE: Contribution = { fault: false, delta: 0 };

function updown(w: TrackWeight, up: boolean): Contribution {
  const m = w.reverse ? -1 : 1;
  if (w.weight === 0) return { fault: up !== (m === 1), delta: 0 };
  if (up) return { fault: false, delta: w.weight > 0 ? w.weight * m : 0 };
  return { fault: false, delta: w.weight < 0 ? w.weight * m : 0 };
}

export type ScriptStatus = 'unknown' | 'ok' | 'fail';

/** vrrp_script: `status` from VrrpScriptTracker. */
export function scriptContribution(w: TrackWeight, status: ScriptStatus): Contribution {
  if (status === 'unknown') return w.weight === 0 ? { fault: false, delta: 0, pending: true } : NONE;
  return updown(w, status === 'ok');
}

/** track_interface: link (IFF_UP and running) up or down. Weight default 0. */
export function interfaceContribution(w: TrackWeight, up: boolean): Contribution {
  return updown(w, up);
}

/** The track_file status keepalived computes, clamped to [-254, 253]; -254 means FAULT. */
export function trackFileStatus(w: TrackWeight, value: number): number {
  const m = w.reverse ? -1 : 1;
  if (w.weight === 0) return (value !== 0) === (m === 1) ? -254 : 0;
  const s = value * w.weight * m;
  return s < -254 ? -254 : s > 253 ? 253 : s;
}

/** track_file: `value` read from the file (0 if missing). Weight default 1. */
export function fileContribution(w: TrackWeight, value: number): Contribution {
  const s = trackFileStatus(w, value);
  if (s <= -254) return { fault: true, delta: 0 };
  return { fault: false, delta: s };
}

/**
 * Reference rule: the instance's state and effective priority from its base
 * priority and its trackers' contributions.
 */
export function applyContributions(basePriority: number, cs: readonly Contribution[]): { fault: boolean; pending: boolean; priority: number } {
  const fault = cs.some((c) => c.fault);
  const pending = cs.some((c) => c.pending === true);
  if (basePriority === 255) return { fault, pending, priority: 255 };
  let total = basePriority;
  for (const c of cs) if (!c.fault) total += c.delta;
  return { fault, pending, priority: total < 1 ? 1 : total > 254 ? 254 : total };
}
