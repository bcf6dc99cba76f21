/**
 * What the operations views (/metrics, the live page, the SSE stream) are
 * made from: one status answer of the main process, the parts of the
 * configuration they need, the transitions seen since start, main's own
 * event loop and the build. Plain data, so the views are pure functions.
 */
import type { KeepalivedConfig } from '../../../config/model';
import type { CheckerServiceStatus } from '../../checker-process/checkers';
import type { LoopDelayView } from '../../loop-delay';
import type { MainStatus } from '../main-process';

/** One VRRP instance or sync group transition, as main heard it. */
export interface TransitionRecord {
  atMs: number;
  kind: 'INSTANCE' | 'GROUP';
  name: string;
  from?: string;
  state: string;
  reason?: string;
  priority: number;
}

/** How many transitions main has heard since it started, for one (kind, name, state, reason). */
export interface TransitionTotal {
  kind: TransitionRecord['kind'];
  name: string;
  state: string;
  reason: string;
  count: number;
}

/**
 * The transitions main has heard: the newest `keep` of them (the page's
 * timeline) and a count per (kind, name, state, reason) since start (the
 * metric, a counter: it must not fall when old records leave the window).
 */
export class TransitionLog {
  private readonly recentRecords: TransitionRecord[] = [];
  private readonly totalsByKey = new Map<string, TransitionTotal>();

  constructor(private readonly keep: number) {}

  record(t: TransitionRecord): void {
    this.recentRecords.push(t);
    if (this.recentRecords.length > this.keep) this.recentRecords.splice(0, this.recentRecords.length - this.keep);
    const reason = t.reason ?? '';
    const k = JSON.stringify([t.kind, t.name, t.state, reason]);
    const e = this.totalsByKey.get(k);
    if (e) e.count++;
    else this.totalsByKey.set(k, { kind: t.kind, name: t.name, state: t.state, reason, count: 1 });
  }

  /** Oldest first. */
  get recent(): readonly TransitionRecord[] {
    return this.recentRecords;
  }

  get totals(): readonly TransitionTotal[] {
    return [...this.totalsByKey.values()];
  }
}

export interface BuildInfo {
  version: string;
  node: string;
  /** The git commit the daemon runs from, when it can tell ('unknown' otherwise). */
  commit: string;
}

/** The checker process's answer: its status, with its loop delay, or why there is none. */
export type CheckerAnswer = (CheckerServiceStatus & { eventLoop?: LoopDelayView }) | { error: string } | undefined;

export interface OpsSnapshot {
  nowMs: number;
  /** Undefined when the main process could not get the VRRP process's status (`error` says why). */
  status?: MainStatus;
  error?: string;
  config: KeepalivedConfig;
  /** Oldest first, bounded. */
  transitions: readonly TransitionRecord[];
  /** Every transition since start, counted (not bounded by `transitions`). */
  transitionTotals: readonly TransitionTotal[];
  mainLoop: LoopDelayView;
  build: BuildInfo;
}

export function checkerStatus(s: MainStatus | undefined): CheckerAnswer {
  return s?.checkers as CheckerAnswer;
}

export function isCheckerError(c: CheckerAnswer): c is { error: string } {
  return c !== undefined && 'error' in c;
}

/** The event loops heard of: main's, and each child's that answered. */
export function loopsOf(snap: OpsSnapshot): LoopDelayView[] {
  const c = checkerStatus(snap.status);
  return [snap.mainLoop, snap.status?.eventLoop, c && !isCheckerError(c) ? c.eventLoop : undefined].filter((l) => l !== undefined);
}

/** Every configured secret (authentication passwords): never shown, and scrubbed from any free text shown. */
export function secretsOf(config: KeepalivedConfig): string[] {
  const out = new Set<string>();
  for (const i of config.instances) if (i.authentication?.password) out.add(i.authentication.password);
  return [...out].sort((a, b) => b.length - a.length);
}

/** Free text (a checker's last result, a fault, a reason) with every secret masked. */
export function scrub(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) if (t.includes(s)) t = t.split(s).join('********');
  return t;
}
