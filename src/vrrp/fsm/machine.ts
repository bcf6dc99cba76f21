/**
 * The VRRP state machine: one pure transition function
 * `step(config, data, event, now) → { data, effects }`.
 *
 * No I/O and no timers of its own: timers are absolute deadlines in `data`
 * (`advertAt`, `masterDownAt`) and `rearm()` turns a change of deadlines into
 * arm/cancel effects. Logging is an effect too, in keepalived's words.
 *
 * Rules follow RFC 3768 §6.4, RFC 5798 §6.4 / RFC 9568 §6.4 and keepalived
 * 2.2.7 (keepalived/vrrp/vrrp.c: vrrp_state_backup, vrrp_state_master_rx,
 * vrrp_state_leave_master, vrrp_state_leave_fault; vrrp_scheduler.c:
 * vrrp_init_state, try_up_instance).
 */
import type { VrrpVersion } from '../codec/types';
import { compareAddresses } from './address';
import { masterDownIntervalMs, skewTimeMs } from './timing';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export const PRIORITY_OWNER = 255;
export const PRIORITY_STOP = 0;

/** The settings the state machine reads (a subset of InstanceSettings). */
export interface FsmConfig {
  /** Instance name, used in log lines "(VI_1) ...". */
  name: string;
  version: VrrpVersion;
  /** Our primary address on the link (tie-break). */
  sourceAddress: string;
  /** Configured Advertisement_Interval, ms. */
  advertIntervalMs: number;
  nopreempt: boolean;
  /** keepalived preempt_delay, ms (0 = none). */
  preemptDelayMs: number;
  /** Don't answer a lower-priority advert with an advert (keepalived lower_prio_no_advert). */
  lowerPrioNoAdvert: boolean;
  /** As master, send an advert before yielding to a higher-priority one (keepalived higher_prio_send_advert). */
  higherPrioSendAdvert: boolean;
  /** keepalived down_timer_adverts (RFC: 3). */
  downTimerAdverts: number;
  /**
   * Mastership comes from an election (etcd_election), not from adverts: no
   * adverts, no Master_Down_Timer; MASTER only while a grant runs (`grant`
   * events, the `grant` timer ends it). See src/election.
   */
  election?: boolean;
}

/** Why the next/last transition to MASTER happens (RFC 6527 vrrpv3StatisticsMasterReason-like). */
export type TransitionReason =
  | 'startup' // initial BACKUP (or FAULT) at start
  | 'owner' // priority 255 takes MASTER at once
  | 'master_down_timer' // Master_Down_Timer fired: master silent
  | 'priority_zero' // master released with a priority-0 advert, skew time elapsed
  | 'preempted' // we had higher priority and ignored the master's adverts
  | 'higher_priority_advert' // master saw a higher-priority advert
  | 'equal_priority_higher_address' // master saw an equal-priority advert from a higher address
  | 'fault' // tracker / link / sync group fault
  | 'fault_cleared'
  | 'sync_group' // moved by a sync group peer
  | 'election_won' // (election) a grant arrived
  | 'election_lost' // (election) the grant ran out or was withdrawn
  | 'shutdown';

export type TimerName = 'advert' | 'masterDown' | 'grant';

export type FsmEvent =
  /** `delayMs`: vrrp_startup_delay still to run; the first Master_Down_Timer is that much later. */
  | { type: 'startup'; delayMs?: number }
  | { type: 'shutdown' }
  | { type: 'advert'; src: string; priority: number; adverIntervalMs: number }
  /** `hold`: a sync group does not let us become MASTER yet (keepalived vrrp_sync_can_goto_master). */
  | { type: 'masterDownTimer'; hold?: boolean }
  | { type: 'advertTimer' }
  /** New effective priority (trackers); ignored for an address owner. */
  | { type: 'priority'; priority: number }
  /** Own fault (trackers, link) on/off. */
  | { type: 'fault'; on: boolean }
  /** A sync group member is in FAULT (on) / no member is (off). */
  | { type: 'groupFault'; on: boolean }
  /** A sync group member became MASTER: follow it. */
  | { type: 'syncMaster' }
  /** A sync group member left MASTER for BACKUP: follow it. */
  | { type: 'syncBackup' }
  /**
   * The steady-state fast path received more adverts identical to the last one
   * this machine took in (BACKUP), the last at `lastAt`: as if each had been an
   * `advert` event, the Master_Down_Timer restarts from the last.
   */
  | { type: 'advertsAbsorbed'; lastAt: number }
  /** The fast path sent our adverts on schedule (MASTER); the next one is due at `nextAt`. */
  | { type: 'advertsSent'; nextAt: number }
  /** (election) We may be MASTER until clock time `until` (a grant, or its renewal). */
  | { type: 'grant'; until: number }
  /** (election) The grant timer ran out. */
  | { type: 'grantEnd' }
  /** (election) The grant is withdrawn (resignation): back to BACKUP now. */
  | { type: 'resign' };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Effect =
  | { type: 'sendAdvert'; priority: number }
  | { type: 'armTimer'; timer: TimerName; at: number }
  | { type: 'cancelTimer'; timer: TimerName }
  | { type: 'addVips' }
  | { type: 'removeVips' }
  | { type: 'startAnnounce' }
  | { type: 'stopAnnounce' }
  | { type: 'transition'; from: VrrpState; to: VrrpState; priority: number; reason: TransitionReason }
  /** keepalived's notify_master_rx_lower_pri event. */
  | { type: 'masterRxLowerPri'; src: string; priority: number }
  | { type: 'priorityChanged'; from: number; to: number }
  | { type: 'log'; level: LogLevel; msg: string };

export interface FsmData {
  readonly state: VrrpState;
  readonly basePriority: number;
  readonly effectivePriority: number;
  /** Master_Adver_Interval: ours as master, learnt from the master's adverts as a v3 backup. */
  readonly masterAdverIntervalMs: number;
  readonly masterAddress: string | null;
  readonly masterPriority: number;
  /** Absolute time the advert timer fires (MASTER only). */
  readonly advertAt: number | null;
  /** Absolute time the Master_Down_Timer fires (BACKUP only). */
  readonly masterDownAt: number | null;
  /** keepalived preempt_time: lower-priority adverts are accepted until then (null = not started). */
  readonly preemptAt: number | null;
  readonly ownFault: boolean;
  readonly groupFault: boolean;
  /** Reason a Master_Down_Timer expiry will give. */
  readonly nextMasterReason: TransitionReason;
  /** keepalived wantstate MASTER while BACKUP: our down timer expired but the sync group held us. */
  readonly wantMaster: boolean;
  /** (election) End of the running grant (MASTER only): VIPs go at this clock time unless renewed. */
  readonly grantUntil: number | null;
}

export interface StepResult {
  data: FsmData;
  effects: Effect[];
}

export function initialData(config: FsmConfig, basePriority: number, effective = basePriority): FsmData {
  return {
    state: 'INIT',
    basePriority,
    effectivePriority: basePriority === PRIORITY_OWNER ? PRIORITY_OWNER : effective,
    masterAdverIntervalMs: config.advertIntervalMs,
    masterAddress: null,
    masterPriority: 0,
    advertAt: null,
    masterDownAt: null,
    preemptAt: null,
    ownFault: false,
    groupFault: false,
    nextMasterReason: 'master_down_timer',
    wantMaster: false,
    grantUntil: null,
  };
}

/** Master_Down_Interval for the current data (RFC 5798 §6.1). */
export function downInterval(c: FsmConfig, d: FsmData): number {
  return masterDownIntervalMs(c.version, d.effectivePriority, d.masterAdverIntervalMs, c.downTimerAdverts);
}

function skew(c: FsmConfig, d: FsmData): number {
  return skewTimeMs(c.version, d.effectivePriority, d.masterAdverIntervalMs);
}

type Mut = { -readonly [K in keyof FsmData]: FsmData[K] };

/**
 * One place that turns the current state into timer deadlines: MASTER runs the
 * advert timer, BACKUP the Master_Down_Timer, everything else none. Returns
 * arm/cancel effects for what changed between `before` and `after`.
 */
export function rearm(before: FsmData, after: FsmData): Effect[] {
  const out: Effect[] = [];
  const pairs: [TimerName, number | null, number | null][] = [
    ['advert', before.advertAt, after.advertAt],
    ['masterDown', before.masterDownAt, after.masterDownAt],
    ['grant', before.grantUntil, after.grantUntil],
  ];
  for (const [timer, was, now] of pairs) {
    if (was === now) continue;
    out.push(now === null ? { type: 'cancelTimer', timer } : { type: 'armTimer', timer, at: now });
  }
  return out;
}

/** Timer deadlines consistent with the state (the invariant rearm() relies on). */
function normaliseTimers(d: Mut): void {
  if (d.state !== 'MASTER') {
    d.advertAt = null;
    d.grantUntil = null;
  }
  if (d.state !== 'BACKUP') {
    d.masterDownAt = null;
    d.wantMaster = false;
  }
}

class Step {
  readonly d: Mut;
  readonly fx: Effect[] = [];
  constructor(
    readonly c: FsmConfig,
    before: FsmData,
    readonly now: number,
  ) {
    this.d = { ...before };
  }
  log(level: LogLevel, msg: string): void {
    this.fx.push({ type: 'log', level, msg: `(${this.c.name}) ${msg}` });
  }
  private transition(to: VrrpState, reason: TransitionReason): void {
    const from = this.d.state;
    this.d.state = to;
    this.fx.push({ type: 'transition', from, to, priority: this.d.effectivePriority, reason });
  }

  /** Entry action of MASTER (keepalived vrrp_state_master_tx + vrrp_state_become_master). */
  enterMaster(reason: TransitionReason): void {
    const d = this.d;
    // "If we are transitioning to master the old master needs to remove the VIPs
    // before we send the gratuitous ARPs, so send the advert first." (keepalived)
    d.masterAdverIntervalMs = this.c.advertIntervalMs;
    if (!this.c.election) this.fx.push({ type: 'sendAdvert', priority: d.effectivePriority });
    this.log('info', 'Entering MASTER STATE');
    this.log('info', 'setting VIPs.');
    this.fx.push({ type: 'addVips' }, { type: 'startAnnounce' });
    d.masterAddress = this.c.sourceAddress;
    d.masterPriority = d.effectivePriority;
    d.advertAt = this.c.election ? null : this.now + this.c.advertIntervalMs;
    d.preemptAt = null;
    this.transition('MASTER', reason);
  }

  /**
   * Coming up as BACKUP or FAULT, keepalived removes VIPs left on the
   * interfaces (by a crashed predecessor, or added by hand): a non-master
   * must not answer for them. ("(VI_1) removing VIPs.", vrrp_init_state.)
   */
  private releaseStale(): void {
    this.log('info', 'removing VIPs.');
    this.fx.push({ type: 'removeVips' });
  }

  /**
   * Leaving MASTER (keepalived vrrp_state_leave_master / vrrp_restore_interface):
   * priority 0 first when going to FAULT or STOP, then VIPs and announcements go.
   */
  private releaseMaster(sendPriorityZero: boolean): void {
    if (sendPriorityZero && !this.c.election) {
      this.fx.push({ type: 'sendAdvert', priority: PRIORITY_STOP });
      this.log('info', 'sent 0 priority');
    }
    this.log('info', 'removing VIPs.');
    this.fx.push({ type: 'stopAnnounce' }, { type: 'removeVips' });
  }

  /**
   * Entry action of BACKUP. From MASTER: release VIPs and stop announcing.
   * `delayMs` (vrrp_startup_delay): the first Master_Down_Timer runs that much later.
   */
  enterBackup(reason: TransitionReason, opts: { resetInterval: boolean; delayMs?: number }): void {
    const d = this.d;
    const from = d.state;
    if (opts.resetInterval) d.masterAdverIntervalMs = this.c.advertIntervalMs;
    if (from === 'INIT' || from === 'STOP') {
      this.releaseStale();
      this.log('info', 'Entering BACKUP STATE (init)');
    } else this.log('info', 'Entering BACKUP STATE');
    // keepalived 2.2.7 logs the release after "Entering BACKUP STATE" (seen side by side).
    if (from === 'MASTER') this.releaseMaster(false);
    d.preemptAt = null;
    d.nextMasterReason = 'master_down_timer';
    this.transition('BACKUP', reason);
    // An election instance waits for a grant, not for silence.
    d.masterDownAt = this.c.election ? null : this.now + downInterval(this.c, d) + (opts.delayMs ?? 0);
  }

  /** Entry action of FAULT: a master sends priority 0 first (keepalived vrrp_state_leave_master). */
  enterFault(reason: TransitionReason): void {
    const from = this.d.state;
    if (from === 'INIT' || from === 'STOP') this.releaseStale();
    if (from === 'MASTER') this.releaseMaster(true);
    this.log('info', from === 'INIT' || from === 'STOP' ? 'Entering FAULT STATE (init)' : 'Entering FAULT STATE');
    this.d.masterAdverIntervalMs = this.c.advertIntervalMs;
    this.d.masterAddress = null;
    this.d.masterPriority = 0;
    this.transition('FAULT', reason);
  }

  enterStop(): void {
    const from = this.d.state;
    if (from === 'MASTER') this.releaseMaster(true);
    this.transition('STOP', 'shutdown');
  }

  /** Leave INIT/STOP/FAULT: FAULT if faulty, else MASTER for an owner, else BACKUP. */
  comeUp(reason: TransitionReason, delayMs = 0): void {
    const d = this.d;
    if (d.ownFault || d.groupFault) {
      if (d.state !== 'FAULT') this.enterFault(reason);
      return;
    }
    d.masterAddress = null;
    d.masterPriority = 0;
    if (d.basePriority === PRIORITY_OWNER && !this.c.election) this.enterMaster('owner');
    else this.enterBackup(reason, { resetInterval: true, delayMs });
  }

  result(): StepResult {
    normaliseTimers(this.d);
    return { data: this.d, effects: this.fx };
  }
}

/** The transition function. Never throws: impossible events are logged and ignored. */
export function step(c: FsmConfig, before: FsmData, ev: FsmEvent, now: number): StepResult {
  const s = new Step(c, before, now);
  const d = s.d;
  switch (ev.type) {
    case 'startup':
      if (d.state === 'INIT' || d.state === 'STOP') s.comeUp('startup', ev.delayMs);
      else s.log('debug', `startup event ignored in ${d.state} state`);
      break;

    case 'shutdown':
      if (d.state !== 'STOP') s.enterStop();
      break;

    case 'advert':
      onAdvert(s, ev);
      break;

    case 'masterDownTimer':
      if (d.state === 'BACKUP' && ev.hold) {
        // Wait for the other members of the sync group to want MASTER too.
        d.wantMaster = true;
        d.masterDownAt = now + downInterval(c, d);
      } else if (d.state === 'BACKUP') {
        s.log('info', 'Receive advertisement timeout');
        s.enterMaster(d.nextMasterReason);
      } else s.log('error', `BUG: master down timer fired in ${d.state} state`);
      break;

    case 'advertTimer':
      if (d.state === 'MASTER') {
        s.fx.push({ type: 'sendAdvert', priority: d.effectivePriority });
        // The next deadline follows the last one, not the moment this timer ran: a late
        // wake-up must not stretch every later interval (RFC 5798 §6.4.3 resets the
        // Adver_Timer to Advertisement_Interval; the period stays the configured one).
        // After a stall longer than an interval the schedule restarts from now, with no burst.
        const next = (d.advertAt ?? now) + c.advertIntervalMs;
        d.advertAt = next > now ? next : now + c.advertIntervalMs;
      } else s.log('error', `BUG: advert timer fired in ${d.state} state`);
      break;

    case 'priority':
      onPriority(s, ev.priority);
      break;

    case 'fault':
    case 'groupFault': {
      const wasFaulty = d.ownFault || d.groupFault;
      if (ev.type === 'fault') d.ownFault = ev.on;
      else d.groupFault = ev.on;
      const faulty = d.ownFault || d.groupFault;
      if (faulty === wasFaulty || d.state === 'INIT' || d.state === 'STOP') break;
      const reason: TransitionReason = ev.type === 'groupFault' ? 'sync_group' : faulty ? 'fault' : 'fault_cleared';
      if (faulty) s.enterFault(reason);
      else if (d.state === 'FAULT') s.comeUp(reason);
      break;
    }

    case 'syncMaster':
      if (d.state === 'BACKUP') s.enterMaster('sync_group');
      break;

    case 'syncBackup':
      if (d.state === 'MASTER') s.enterBackup('sync_group', { resetInterval: false });
      break;

    case 'advertsAbsorbed':
      if (d.state === 'BACKUP') d.masterDownAt = ev.lastAt + downInterval(c, d);
      else s.log('error', `BUG: absorbed adverts reported in ${d.state} state`);
      break;

    case 'advertsSent':
      if (d.state === 'MASTER') d.advertAt = ev.nextAt;
      else s.log('error', `BUG: fast-path adverts reported in ${d.state} state`);
      break;

    case 'grant':
    case 'grantEnd':
    case 'resign':
      onElection(s, ev);
      break;

    default: {
      const never: never = ev;
      s.log('error', `BUG: unknown event ${JSON.stringify(never)}`);
    }
  }
  const r = s.result();
  r.effects.push(...rearm(before, r.data));
  return r;
}

function onAdvert(s: Step, ev: { src: string; priority: number; adverIntervalMs: number }): void {
  const state = s.d.state;
  if (state === 'BACKUP') backupRx(s, ev);
  else if (state === 'MASTER') masterRx(s, ev);
  else s.log('debug', `advert from ${ev.src} ignored in ${state} state`);
}

/** RFC 5798 §6.4.2 (Backup), as keepalived's vrrp_state_backup implements it. */
function backupRx(s: Step, ev: { src: string; priority: number; adverIntervalMs: number }): void {
  const { c, d, now } = s;
  const p = ev.priority;
  if (p === PRIORITY_STOP) {
    // "If the Priority in the ADVERTISEMENT is zero, then: Set the
    // Master_Down_Timer to Skew_Time."
    d.masterDownAt = now + skew(c, d);
    d.nextMasterReason = 'priority_zero';
    s.log('info', 'Backup received priority 0 advertisement');
    return;
  }
  const preemptDelayRunning = c.preemptDelayMs > 0 && (d.preemptAt === null || d.preemptAt > now);
  if (c.nopreempt || p >= d.effectivePriority || preemptDelayRunning) {
    // "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT is
    // greater than or equal to the local Priority, then: Set
    // Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT
    // [v3], Recompute the Master_Down_Interval, Reset the Master_Down_Timer."
    if (c.version === 3 && d.masterAdverIntervalMs !== ev.adverIntervalMs) {
      s.log('info', `advertisement interval updated from ${d.masterAdverIntervalMs}ms to ${ev.adverIntervalMs}ms by master`);
      d.masterAdverIntervalMs = ev.adverIntervalMs;
    }
    d.masterDownAt = now + downInterval(c, d);
    d.masterAddress = ev.src;
    d.masterPriority = p;
    d.nextMasterReason = 'master_down_timer';
    d.wantMaster = false;
    if (c.preemptDelayMs > 0) {
      if (p >= d.effectivePriority) d.preemptAt = null;
      else if (d.preemptAt === null) d.preemptAt = now + c.preemptDelayMs;
    }
    return;
  }
  // "Otherwise: Discard the ADVERTISEMENT" - the Master_Down_Timer keeps running.
  s.log('info', `received lower priority (${p}) advert from ${ev.src} - discarding`);
  d.masterAddress = ev.src;
  d.nextMasterReason = 'preempted';
}

/** RFC 5798 §6.4.3 (Master), as keepalived's vrrp_state_master_rx implements it. */
function masterRx(s: Step, ev: { src: string; priority: number; adverIntervalMs: number }): void {
  const { c, d, now } = s;
  const p = ev.priority;
  const cmp = compareAddresses(ev.src, c.sourceAddress);
  const higher = p > d.effectivePriority || (p === d.effectivePriority && cmp > 0);
  if (p === PRIORITY_STOP || (c.higherPrioSendAdvert && higher)) {
    // "If an ADVERTISEMENT is received with priority 0: Send an ADVERTISEMENT,
    // Reset the Adver_Timer to Advertisement_Interval."
    s.fx.push({ type: 'sendAdvert', priority: d.effectivePriority });
    if (p === PRIORITY_STOP) {
      d.advertAt = now + c.advertIntervalMs;
      s.log('info', 'Master received priority 0 message');
      return;
    }
  }
  if (p === d.effectivePriority) {
    if (cmp === 0) s.log('warn', 'WARNING - equal priority advert received from remote host with our IP address.');
    else if (d.effectivePriority === PRIORITY_OWNER) {
      s.log(
        'error',
        'CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority',
      );
      d.effectivePriority = PRIORITY_OWNER - 1;
      d.basePriority = PRIORITY_OWNER - 1;
    }
  }
  if (p < d.effectivePriority || (p === d.effectivePriority && cmp < 0)) {
    s.log(
      'info',
      `Received advert from ${ev.src} with lower priority ${p}, ours ${d.effectivePriority}${c.lowerPrioNoAdvert ? '' : ', forcing new election'}`,
    );
    if (!c.lowerPrioNoAdvert) s.fx.push({ type: 'sendAdvert', priority: d.effectivePriority });
    s.fx.push({ type: 'masterRxLowerPri', src: ev.src, priority: p });
    return;
  }
  if (p > d.effectivePriority || (p === d.effectivePriority && cmp > 0)) {
    // "If the Priority in the ADVERTISEMENT is greater than the local Priority or
    // [equal and] the primary IP Address of the sender is greater than the local
    // primary IP Address, then: Cancel Adver_Timer, Set Master_Adver_Interval to
    // Adver Interval contained in the ADVERTISEMENT [v3], Recompute ...,
    // Set Master_Down_Timer, Transition to the {Backup} state."
    if (p > d.effectivePriority)
      s.log('info', `Master received advert from ${ev.src} with higher priority ${p}, ours ${d.effectivePriority}`);
    else s.log('info', `Master received advert from ${ev.src} with same priority ${p} but higher IP address than ours`);
    if (c.version === 3) d.masterAdverIntervalMs = ev.adverIntervalMs;
    const reason: TransitionReason = p > d.effectivePriority ? 'higher_priority_advert' : 'equal_priority_higher_address';
    s.enterBackup(reason, { resetInterval: false });
    d.masterAddress = ev.src;
    d.masterPriority = p;
  }
}

/**
 * (election) The only ways in and out of MASTER for an election instance: a
 * grant that has not run out yet takes a BACKUP to MASTER (a renewal moves
 * the end); the end of the grant, a withdrawal, or a renewal already in the
 * past takes it back. A FAULT instance takes no grant: it must come up first.
 */
function onElection(s: Step, ev: { type: 'grant'; until: number } | { type: 'grantEnd' } | { type: 'resign' }): void {
  const { c, d, now } = s;
  if (!c.election) {
    s.log('error', `BUG: ${ev.type} event for an instance that is not elected`);
    return;
  }
  if (ev.type === 'grant' && ev.until > now) {
    if (d.state === 'BACKUP') {
      s.log('info', `election won: holding until ${Math.round(ev.until - now)} ms from now unless renewed`);
      s.enterMaster('election_won');
      d.grantUntil = ev.until;
    } else if (d.state === 'MASTER') d.grantUntil = ev.until;
    else s.log('debug', `grant ignored in ${d.state} state`);
    return;
  }
  if (d.state !== 'MASTER') return;
  if (ev.type === 'grantEnd' && d.grantUntil !== null && d.grantUntil > now) return; // renewed meanwhile
  const why = ev.type === 'resign' ? 'resigning' : ev.type === 'grantEnd' ? 'the grant ran out before a renewal came' : 'the grant has run out';
  s.log('info', `election lost: ${why}`);
  s.enterBackup('election_lost', { resetInterval: true });
}

/**
 * New effective priority (keepalived vrrp_set_effective_priority): an owner
 * never changes; in BACKUP the running Master_Down_Timer moves by the change in
 * Master_Down_Interval; a MASTER advertises the new value from its next advert.
 */
function onPriority(s: Step, priority: number): void {
  const { c, d } = s;
  if (d.basePriority === PRIORITY_OWNER) return;
  const next = Math.min(254, Math.max(1, Math.trunc(priority)));
  if (next === d.effectivePriority) return;
  s.log('info', `Changing effective priority from ${d.effectivePriority} to ${next}`);
  const oldDown = downInterval(c, d);
  s.fx.push({ type: 'priorityChanged', from: d.effectivePriority, to: next });
  d.effectivePriority = next;
  if (d.state === 'BACKUP' && d.masterDownAt !== null) d.masterDownAt += downInterval(c, d) - oldDown;
}

/** Convenience for callers that hold data in a mutable cell. */
export class Fsm {
  data: FsmData;
  constructor(
    readonly config: FsmConfig,
    basePriority: number,
  ) {
    this.data = initialData(config, basePriority);
  }
  get state(): VrrpState {
    return this.data.state;
  }
  dispatch(ev: FsmEvent, now: number): Effect[] {
    const r = step(this.config, this.data, ev, now);
    this.data = r.data;
    return r.effects;
  }
}
