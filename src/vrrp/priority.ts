/**
 * Effective priority of a VRRP instance from its base priority and trackers.
 * Pure: the track/ modules feed tracker states in, the instance feeds the
 * result to the state machine.
 *
 * keepalived 2.2.7 (keepalived/vrrp/vrrp_track.c, keepalived.conf(5)):
 *  - status trackers (track_script, track_interface, track_process, track_bfd):
 *    weight 0 ⇒ a failed tracker puts the instance in FAULT ('reverse': an OK one does);
 *    weight > 0 ⇒ +weight while OK, nothing while failed;
 *    weight < 0 ⇒ +weight (i.e. subtract) while failed, nothing while OK;
 *    'reverse' negates the adjustment (multiplier −1).
 *  - value trackers (track_file): weight 0 ⇒ a non-zero value is a failure
 *    (reverse: a zero value is); otherwise value × weight (× −1 if reverse);
 *    a result ≤ −254 means FAULT, a result above 253 counts as 253.
 *  - the sum is added to the base priority and clamped to 1..254
 *    (vrrp_set_effective_priority); an address owner (255) never changes.
 */
export type TrackerInput =
  | { kind?: 'status'; weight: number; failed: boolean; reverse?: boolean }
  | { kind: 'value'; weight: number; value: number; reverse?: boolean };

export interface TrackerContribution {
  /** Priority adjustment (0 when the tracker causes a fault). */
  delta: number;
  /** The tracker puts the instance in FAULT. */
  fault: boolean;
}

export const PRIORITY_OWNER = 255;

export function trackerContribution(t: TrackerInput): TrackerContribution {
  const mult = t.reverse ? -1 : 1;
  if (t.kind === 'value') {
    if (t.weight === 0) {
      const failed = (t.value !== 0) === (mult === 1);
      return { delta: 0, fault: failed };
    }
    const status = t.value * t.weight * mult;
    if (status <= -254) return { delta: 0, fault: true };
    return { delta: Math.min(status, 253), fault: false };
  }
  if (t.weight === 0) {
    // "weight 0 reverse" ⇒ down while the tracked thing is up.
    return { delta: 0, fault: t.failed === (mult === 1) };
  }
  if (t.weight > 0) return { delta: t.failed ? 0 : t.weight * mult, fault: false };
  return { delta: t.failed ? t.weight * mult : 0, fault: false };
}

export interface EffectivePriority {
  /** Priority to advertise: base + Σ deltas clamped to 1..254; 255 stays 255. */
  priority: number;
  /** Some weight-0 tracker (or a file value ≤ −254) failed. */
  fault: boolean;
  /** Unclamped base + Σ deltas (keepalived's total_priority). */
  total: number;
}

export function effectivePriority(base: number, trackers: Iterable<TrackerInput>): EffectivePriority {
  const cs: TrackerContribution[] = [];
  for (const t of trackers) cs.push(trackerContribution(t));
  return combineContributions(base, cs);
}

/** base + Σ deltas clamped to 1..254 (an owner stays 255); FAULT if any contribution is one. */
export function combineContributions(base: number, cs: Iterable<TrackerContribution>): EffectivePriority {
  let total = base;
  let fault = false;
  for (const c of cs) {
    total += c.delta;
    fault ||= c.fault;
  }
  if (base === PRIORITY_OWNER) return { priority: PRIORITY_OWNER, fault, total };
  const priority = total < 1 ? 1 : total > 254 ? 254 : total;
  return { priority, fault, total };
}
