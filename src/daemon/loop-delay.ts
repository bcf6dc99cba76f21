/**
 * How late a process's event loop runs, over a sliding window: a timer
 * every `resolutionMs` records how late it fired (what node:perf_hooks
 * monitorEventLoopDelay does, but into RecordableHistograms, which can be
 * merged: an ELD histogram cannot), and the statistics cover the last
 * `windowMs` to 2 x `windowMs`, so one stall shows for a while and then ages
 * out instead of a maximum since start that never comes down.
 *
 * The timer costs a wake-up every `resolutionMs`; a process turns it on when
 * it is first asked (the VRRP and checker processes on their first status
 * request, main when its HTTP listener starts), so a daemon nobody watches
 * pays nothing.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** One process's loop delay; milliseconds, 0 before any sample. */
export interface LoopDelayView {
  process: string;
  pid: number;
  /** Samples in the window (one per resolution interval). */
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How far back the statistics reach. */
  windowMs: number;
}

const NS_PER_MS = 1e6;
const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

export class LoopDelayMonitor {
  private current: RecordableHistogram = createHistogram();
  private previous: RecordableHistogram = createHistogram();
  private timer?: NodeJS.Timeout;
  private last = 0n;
  private rotatedAt = 0;
  private sinceRotation = 0;

  /** `resolutionMs` 0: no timer of its own; lateness comes from record() (the VRRP process's timerfd clock). */
  constructor(
    private readonly processName: string,
    private readonly windowMs = 30_000,
    private readonly resolutionMs = 20,
  ) {}

  /** One lateness measured elsewhere (a timer that fired `lateMs` after its deadline). */
  record(lateMs: number): void {
    if (this.rotatedAt === 0) this.rotatedAt = Date.now();
    this.current.record(Math.max(1, Math.round(lateMs * NS_PER_MS)));
    if (Date.now() - this.rotatedAt >= this.windowMs) this.rotate();
  }

  /** Start sampling (idempotent). */
  start(): void {
    if (this.timer || this.resolutionMs <= 0) return;
    this.last = process.hrtime.bigint();
    this.rotatedAt = Date.now();
    const perWindow = Math.max(1, Math.round(this.windowMs / this.resolutionMs));
    this.timer = setInterval(() => {
      const now = process.hrtime.bigint();
      const lateNs = Number(now - this.last) - this.resolutionMs * NS_PER_MS;
      this.last = now;
      this.current.record(Math.max(1, Math.round(lateNs)));
      if (++this.sinceRotation >= perWindow) this.rotate();
    }, this.resolutionMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The window so far (starts the monitor on first use: the first answer has no samples). */
  view(): LoopDelayView {
    this.start();
    const h = createHistogram();
    h.add(this.previous);
    h.add(this.current);
    const samples = h.count;
    const ms = (ns: number) => (samples ? round3(ns / NS_PER_MS) : 0);
    return {
      process: this.processName,
      pid: process.pid,
      samples,
      meanMs: ms(h.mean),
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      windowMs: Date.now() - this.rotatedAt + (this.previous.count ? this.windowMs : 0),
    };
  }

  private rotate(): void {
    [this.previous, this.current] = [this.current, this.previous];
    this.current.reset();
    this.sinceRotation = 0;
    this.rotatedAt = Date.now();
  }
}
