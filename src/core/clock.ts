/**
 * Time as the pure core sees it. Every duration in the program is integer
 * milliseconds; only the VRRP codec converts to v2 seconds / v3 centiseconds.
 *
 * Pure modules (config, vrrp/codec, vrrp/fsm, track logic, check runner) never
 * call Date.now() or setTimeout themselves: they are handed a Clock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Run `fn` once, `ms` milliseconds from now. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The real clock: monotonic time from performance.now(), Node timers. */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  }
}

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A virtual clock for tests and simulations: time only moves when the test
 * calls advance()/runUntil(). Timers due at the same instant fire in the order
 * they were armed.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of armed, not yet fired, not cancelled timers. */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Fire timers in time order until `deadline` (inclusive); time ends at `deadline`. */
  runUntil(deadline: number): void {
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      let next: VirtualTimer | undefined;
      for (const x of this.timers) {
        if (next === undefined || x.at < next.at || (x.at === next.at && x.seq < next.seq)) next = x;
      }
      if (next === undefined || next.at > deadline) break;
      this.t = next.at;
      next.cancelled = true;
      next.fn();
    }
    this.t = Math.max(this.t, deadline);
  }
}
