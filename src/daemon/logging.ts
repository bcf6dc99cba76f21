/**
 * Log sinks for the running daemon, chosen by keepalived's options:
 *  - `-l/--log-console`: stderr, one line per record;
 *  - `-g/--log-file[=FILE]`: appended to FILE;
 *  - syslog (unless `-G/--no-syslog`), with `-S/--log-facility`, through
 *    libc's syslog(3) in the native addon (Node cannot write to /dev/log).
 * Console and file lines look like keepalived's console output:
 * `Wed Dec  2 02:17:10 2026: (VI_1) Entering MASTER STATE`.
 */
import * as fs from 'node:fs';
import { Logger, type Level, type LogRecord, type LogSink } from '../core/log';

/** syslog(3) facilities, already shifted (LOG_DAEMON = 3 << 3). */
export function facilityCode(name: string): number | undefined {
  if (name === 'daemon') return 3 << 3;
  if (name === 'user') return 1 << 3;
  const m = /^(?:local)?([0-7])$/.exec(name);
  return m ? (16 + Number(m[1])) << 3 : undefined;
}

const PRIORITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Wed Dec  2 02:17:10 2026` (ctime without the newline, local time), as keepalived's console log. */
export function ctimeString(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

export function formatLine(r: LogRecord): string {
  return `${ctimeString(r.time)}: ${r.msg}\n`;
}

export interface SyslogPort {
  syslogOpen(ident: string, facility: number): void;
  syslog(priority: number, message: string): void;
}

export interface SinkOptions {
  console: boolean;
  file?: string;
  syslog?: { port: SyslogPort; facility: number; ident: string };
  /** Where console lines go (default process.stderr). */
  write?: (line: string) => void;
}

/** One sink writing to every configured destination. A failing destination never throws into the caller. */
export function daemonSink(o: SinkOptions): LogSink {
  const sinks: LogSink[] = [];
  if (o.console) {
    const write = o.write ?? ((l: string) => process.stderr.write(l));
    sinks.push((r) => write(formatLine(r)));
  }
  if (o.file) {
    const fd = fs.openSync(o.file, 'a', 0o640);
    sinks.push((r) => {
      try {
        fs.writeSync(fd, formatLine(r));
      } catch {
        /* a full disk must not stop the daemon */
      }
    });
  }
  if (o.syslog) {
    const s = o.syslog;
    s.port.syslogOpen(s.ident, s.facility);
    sinks.push((r) => {
      try {
        s.port.syslog(PRIORITY[r.level], r.msg.length > 4000 ? r.msg.slice(0, 4000) : r.msg);
      } catch {
        /* ignore */
      }
    });
  }
  return (r) => {
    for (const s of sinks) s(r);
  };
}

/** The logger of one of the daemon's processes, from keepalived's log options (console, file, syslog with its ident). */
export function processLogger(
  o: { logConsole: boolean; logFile?: string; syslogFacility?: number; logDetail: number },
  syslogPort: SyslogPort | undefined,
  ident: string,
): Logger {
  const sink = daemonSink({
    console: o.logConsole,
    file: o.logFile,
    syslog: o.syslogFacility !== undefined && syslogPort ? { port: syslogPort, facility: o.syslogFacility, ident } : undefined,
  });
  return new Logger(sink, {}, o.logDetail > 0 ? 'debug' : 'info');
}
