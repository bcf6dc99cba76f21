/**
 * Shared plumbing for the probes: one result per run, a deadline, abort
 * handling and cleanup. Probes are the I/O edge of src/check; the runner never
 * imports them (the daemon hands runProbe() to the runner as its probe port).
 */
import type { ProbeResult } from '../types';

/**
 * Run `start` until it calls `finish`, the deadline passes (`onTimeout`
 * result) or `signal` aborts. `start` returns a cleanup function, always
 * called exactly once after the result is settled.
 */
export function settleOnce(
  signal: AbortSignal,
  timeoutMs: number,
  onTimeout: () => ProbeResult,
  start: (finish: (r: ProbeResult) => void) => () => void,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        cleanup();
      } finally {
        resolve(r);
      }
    };
    const onAbort = (): void => finish({ ok: false, detail: `aborted: ${describe(signal.reason)}` });
    const timer = setTimeout(() => finish(onTimeout()), Math.max(0, timeoutMs));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const c = start(finish);
      if (done) c();
      else cleanup = c;
    } catch (err) {
      finish({ ok: false, detail: `error: ${describe(err)}` });
    }
  });
}

export function describe(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: string; message?: string };
    if (e.code && e.message && !e.message.includes(e.code)) return `${e.code} ${e.message}`;
    if (e.message) return e.message;
    if (e.code) return e.code;
  }
  return String(err);
}

/** `host:port`, with brackets for IPv6. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
