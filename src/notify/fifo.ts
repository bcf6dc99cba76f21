/**
 * Notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`) and the
 * lines keepalived writes to them.
 *
 * keepalived/vrrp/vrrp_notify.c notify_fifo():
 *     snprintf(line, size, "%s \"%s\" %s %d\n", type, name, state, priority);
 *   type  INSTANCE | GROUP; groups always report priority 0;
 *   state MASTER | BACKUP | FAULT | STOP | DELETED, and for instances also
 *         MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY.
 * keepalived/check/ipwrapper.c notify_fifo_vs()/notify_fifo_rs():
 *     "VS %s %s\n"    vs, UP|DOWN
 *     "RS %s %s %s\n" rs, vs, UP|DOWN
 *   with addresses as "[192.0.2.1]:tcp:80" (lib/utils.c inet_sockaddrtotrio),
 *   a virtual server group as "[name]:port", a fwmark service as "FWM 1".
 *   Note: no quotes around VS/RS names.
 *
 * lib/notify.c fifo_open(): mkfifo(name, 0644) (EEXIST is fine), chown to the
 * fifo's user/group if we created it, start the `*_notify_fifo_script` (with
 * the FIFO path appended as its last argument, no timeout), then open the FIFO
 * O_RDWR|O_NONBLOCK|O_NOFOLLOW: opening read-write never blocks waiting for a
 * reader, and while no one reads, lines are buffered up to the pipe's size
 * (64 KiB on Linux) and then dropped (write errors are ignored). On close the
 * FIFO is unlinked first (only if we created it), then closed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { KtsError } from '../core/errors';

export type VrrpFifoState =
  | 'MASTER'
  | 'BACKUP'
  | 'FAULT'
  | 'STOP'
  | 'DELETED'
  | 'MASTER_RX_LOWER_PRI'
  | 'MASTER_PRIORITY'
  | 'BACKUP_PRIORITY';

/** `INSTANCE "VI_1" MASTER 100\n` / `GROUP "G1" BACKUP 0\n`. */
export function formatVrrpFifoLine(kind: 'INSTANCE' | 'GROUP', name: string, state: VrrpFifoState, priority: number): string {
  return `${kind} "${name}" ${state} ${kind === 'GROUP' ? 0 : Math.trunc(priority)}\n`;
}

export type ServiceProtocol = 'tcp' | 'udp' | 'sctp' | 'none';

/** inet_sockaddrtotrio(): `[192.0.2.1]:tcp:80`, `[2001:db8::1]:udp:53`. */
export function formatServiceAddress(address: string, protocol: ServiceProtocol, port: number): string {
  return `[${address}]:${protocol}:${port}`;
}
/** format_vs() of a virtual_server_group: `[name]:port`. */
export function formatVsGroup(group: string, port: number): string {
  return `[${group}]:${port}`;
}
/** format_vs() of a fwmark virtual server: `FWM 1`. */
export function formatFwmark(mark: number): string {
  return `FWM ${mark}`;
}
/** `VS [192.0.2.1]:tcp:80 UP\n`. */
export function formatVsFifoLine(vs: string, up: boolean): string {
  return `VS ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}
/** `RS [198.51.100.7]:tcp:80 [192.0.2.1]:tcp:80 DOWN\n`. */
export function formatRsFifoLine(rs: string, vs: string, up: boolean): string {
  return `RS ${rs} ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}

export interface FifoOpenOptions {
  path: string;
  /** Owner to give a FIFO we create (keepalived: the fifo's user, else the default script user). */
  uid?: number;
  gid?: number;
}

/** One open notify FIFO. write() never blocks. */
export class NotifyFifo {
  private fd: number | undefined;
  private created = false;
  private dropped = 0;

  private constructor(readonly path: string) {}

  /**
   * Create (if missing) and open a FIFO; `beforeOpen` runs between the two
   * (keepalived starts the FIFO's reader script there). Throws KtsError KTS_FIFO_OPEN.
   */
  static open(opts: FifoOpenOptions, beforeOpen?: () => void): NotifyFifo {
    const f = new NotifyFifo(opts.path);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(opts.path);
    } catch {
      st = undefined;
    }
    if (!st) {
      try {
        // Node has no mkfifo(2); this runs once, at start-up.
        execFileSync('mkfifo', ['-m', '0644', opts.path], { stdio: ['ignore', 'ignore', 'pipe'] });
        f.created = true;
      } catch (e) {
        throw new KtsError('KTS_FIFO_OPEN', `Unable to create notify fifo ${opts.path}`, { cause: e });
      }
      const uid = opts.uid ?? -1;
      const gid = opts.gid ?? -1;
      const me = { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1 };
      if ((uid !== -1 && uid !== me.uid) || (gid !== -1 && gid !== me.gid)) {
        try {
          fs.chownSync(opts.path, uid === me.uid ? -1 : uid, gid === me.gid ? -1 : gid);
        } catch {
          /* keepalived: "Failed to set uid:gid for fifo" and carries on */
        }
      }
    } else if (!st.isFIFO()) {
      // keepalived would write into a regular file; we refuse.
      throw new KtsError('KTS_FIFO_OPEN', `Unable to open notify fifo ${opts.path} - not a FIFO`);
    }
    beforeOpen?.();
    try {
      const c = fs.constants;
      f.fd = fs.openSync(opts.path, c.O_RDWR | c.O_NONBLOCK | c.O_NOFOLLOW);
    } catch (e) {
      if (f.created) fs.rmSync(opts.path, { force: true });
      throw new KtsError('KTS_FIFO_OPEN', `Unable to open notify fifo ${opts.path} - ${(e as Error).message}`, { cause: e });
    }
    return f;
  }

  /** Lines dropped because the pipe was full (no reader) or closed. */
  get droppedLines(): number {
    return this.dropped;
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /**
   * Write one line. Non-blocking: a full pipe drops the line (EAGAIN), as
   * keepalived. Lines are < PIPE_BUF, so each write is atomic.
   */
  write(line: string): boolean {
    if (this.fd === undefined) {
      this.dropped++;
      return false;
    }
    const buf = Buffer.from(line, 'utf8');
    try {
      const n = fs.writeSync(this.fd, buf);
      if (n === buf.length) return true;
    } catch {
      /* EAGAIN: pipe full */
    }
    this.dropped++;
    return false;
  }

  /** Unlink (if we created it) then close. Idempotent. */
  close(): void {
    if (this.created) {
      fs.rmSync(this.path, { force: true });
      this.created = false;
    }
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
  }
}
