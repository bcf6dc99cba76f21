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
