/**
 * The VRRP process's clock: CLOCK_MONOTONIC time and one timerfd armed at the
 * earliest absolute deadline (src/native: timerfdOpen / timerfdSet / watch
 * kind 1). Node's own timers round to whole milliseconds against a cached
 * loop time, so a 10 ms advert timer there fires up to a millisecond early
 * or late; a timerfd fires within microseconds of its deadline.
 *
 * Timers due at the same instant fire in the order they were armed; a timer
 * armed while others fire runs in a later round. Cancelled timers are
 * dropped lazily when they reach the top of the heap.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { WATCH_TIMER, type KtsNative, type WatchHandle } from '../../native';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class TimerfdClock implements Clock {
  private readonly fd: number;
  private readonly watch: WatchHandle;
  private readonly heap: Entry[] = [];
  private seq = 0;
  /** The deadline the timerfd is armed for (0: disarmed). */
  private armedAt = 0;
  private closed = false;
  /** Told how late each timer fired (ms past its deadline): the VRRP process's loop delay. */
  onLate?: (lateMs: number) => void;

  constructor(private readonly native: KtsNative) {
    this.fd = native.timerfdOpen();
    this.watch = native.watch(this.fd, WATCH_TIMER, () => this.fire());
    // The timers of the VRRP process keep it alive only while something is armed (see arm()).
    native.watchRef(this.watch, false);
  }

  now(): number {
    return this.native.monotonicMs();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const e: Entry = { at: this.now() + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(e);
    if (this.heap[0] === e) this.arm();
    return { cancel: () => (e.cancelled = true) };
  }

  /** Armed (not cancelled) timers. */
  pending(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.unwatch(this.watch);
    this.native.close(this.fd);
    this.heap.length = 0;
  }

  private fire(): void {
    this.armedAt = 0;
    const now = this.now();
    const due: Entry[] = [];
    while (this.heap.length && (this.heap[0].cancelled || this.heap[0].at <= now)) {
      const e = this.pop()!;
      if (!e.cancelled) due.push(e);
    }
    if (due.length) this.onLate?.(now - due[0].at);
    for (const e of due) {
      if (e.cancelled) continue;
      e.cancelled = true;
      e.fn();
    }
    this.arm();
  }

  private arm(): void {
    if (this.closed) return;
    while (this.heap.length && this.heap[0].cancelled) this.pop();
    const next = this.heap[0]?.at ?? 0;
    if (next === this.armedAt) return;
    this.armedAt = next;
    this.native.timerfdSet(this.fd, next);
    this.native.watchRef(this.watch, next > 0);
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
