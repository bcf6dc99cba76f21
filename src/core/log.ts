/**
 * Minimal structured logger. A line is `<message>` in keepalived's words (users
 * grep for them), with optional key=value context. Children carry context such
 * as {instance, vrid, family}. Rate limiting is per (logger, key).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: Date;
  level: Level;
  msg: string;
  ctx: Record<string, unknown>;
}

export type LogSink = (r: LogRecord) => void;

export class Logger {
  private lastByKey = new Map<string, number>();
  constructor(
    private readonly sink: LogSink,
    readonly ctx: Record<string, unknown> = {},
    public minLevel: Level = 'info',
  ) {}

  child(ctx: Record<string, unknown>): Logger {
    const c = new Logger(this.sink, { ...this.ctx, ...ctx }, this.minLevel);
    return c;
  }

  log(level: Level, msg: string, extra?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.minLevel]) return;
    this.sink({ time: new Date(), level, msg, ctx: extra ? { ...this.ctx, ...extra } : this.ctx });
  }
  debug(msg: string, extra?: Record<string, unknown>): void { this.log('debug', msg, extra); }
  info(msg: string, extra?: Record<string, unknown>): void { this.log('info', msg, extra); }
  warn(msg: string, extra?: Record<string, unknown>): void { this.log('warn', msg, extra); }
  error(msg: string, extra?: Record<string, unknown>): void { this.log('error', msg, extra); }

  /** Log at most once per `intervalMs` for `key` (e.g. one drop reason). */
  rateLimited(key: string, intervalMs: number, nowMs: number, level: Level, msg: string): void {
    const last = this.lastByKey.get(key);
    if (last !== undefined && nowMs - last < intervalMs) return;
    this.lastByKey.set(key, nowMs);
    this.log(level, msg);
  }
}

/** A sink writing `Mon DD HH:MM:SS host prog[pid]: msg` style lines to a stream. */
export function streamSink(write: (line: string) => void, prog = 'Keepalived_vrrp'): LogSink {
  return (r) => {
    write(`${r.time.toISOString()} ${prog}[${process.pid}]: ${r.msg}\n`);
  };
}

/** A sink that keeps records in memory (tests). */
export function memorySink(into: LogRecord[]): LogSink {
  return (r) => {
    into.push(r);
  };
}

export const nullLogger = new Logger(() => {}, {}, 'error');
