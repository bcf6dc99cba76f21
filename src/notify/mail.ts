/**
 * SMTP alerts, worded and laid out like keepalived's.
 *
 * keepalived/core/smtp.c smtp_alert() + keepalived/include/smtp.h:
 *   Subject: "[<router_id>] VRRP Instance <name> - <text>"
 *            "[<router_id>] VRRP Group <name> - <text>"
 *            "[<router_id>] Realserver <rs> of virtual server <vs> - UP|DOWN"
 *            "[<router_id>] Virtualserver <vs> - UP|DOWN"
 *   DATA:    "Date: %s\r\nFrom: %s\r\nSubject: %s\r\nX-Mailer: Keepalived\r\nTo: %s\r\n\r\n%s\r\n"
 *            followed by "\r\n.\r\n" (an empty line, then the terminator),
 *            Date as strftime("%a, %d %b %Y %H:%M:%S %z") in local time,
 *            From the bare notification_email_from address, To the
 *            notification_email addresses joined by ", ".
 *   Envelope: HELO <smtp_helo_name>, MAIL FROM:<from>, one RCPT TO per address.
 * keepalived/vrrp/vrrp_notify.c vrrp_smtp_notifier()/vrrp_sync_smtp_notifier():
 *   the texts below; a mail is sent only when the state differs from the
 *   state of the last mail for that instance/group (last_email_state), and
 *   not for FAULT when `no_email_faults` is set. Groups send no DELETED mail.
 * keepalived/core/global_data.c: router_id defaults to the host name;
 *   smtp_helo_name to the host name; notification_email_from to
 *   <user>@<hostname>; smtp_connect_timeout to 30 s (per connect and per
 *   reply); smtp_server port 25. No mail without both an smtp_server and at
 *   least one notification_email.
 *
 * Differences: keepalived tries once and logs failures; we retry a bounded
 * number of times with backoff. Nodemailer greets with EHLO (falling back to
 * HELO); STARTTLS is not used, as keepalived.
 */
import * as os from 'node:os';
import { createTransport } from 'nodemailer';
import { Clock, TimerHandle } from '../core/clock';
import { Logger, nullLogger } from '../core/log';

export type VrrpMailState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** Subject suffix and body of a VRRP state mail, or undefined if none is sent. */
export function vrrpMailText(kind: 'INSTANCE' | 'GROUP', state: VrrpMailState): { subject: string; body: string } | undefined {
  if (kind === 'INSTANCE') {
    switch (state) {
      case 'MASTER':
        return { subject: 'Entering MASTER state', body: '=> VRRP Instance is now owning VRRP VIPs <=' };
      case 'BACKUP':
        return { subject: 'Entering BACKUP state', body: '=> VRRP Instance is no longer owning VRRP VIPs <=' };
      case 'FAULT':
        return { subject: 'Entering FAULT state', body: '=> VRRP Instance is no longer owning VRRP VIPs <=' };
      case 'STOP':
        return { subject: 'Stopping', body: '=> VRRP Instance stopping <=' };
      case 'DELETED':
        return { subject: 'Deleted', body: '=> VRRP Deleted at reload <=' };
    }
  }
  switch (state) {
    case 'MASTER':
      return { subject: 'Entering MASTER state', body: '=> All VRRP group instances are now in MASTER state <=' };
    case 'BACKUP':
      return { subject: 'Entering BACKUP state', body: '=> All VRRP group instances are now in BACKUP state <=' };
    case 'FAULT':
      return { subject: 'Entering FAULT state', body: '=> All VRRP group instances are now in FAULT state <=' };
    case 'STOP':
      return { subject: 'Stopping', body: '=> All VRRP group instances are now stopping <=' };
    default:
      return undefined;
  }
}

/** `[router] VRRP Instance VI_1 - Entering MASTER state`. */
export function vrrpMailSubject(routerId: string | undefined, kind: 'INSTANCE' | 'GROUP', name: string, text: string): string {
  return `[${routerId ?? ''}] VRRP ${kind === 'INSTANCE' ? 'Instance' : 'Group'} ${name} - ${text}`;
}

/** `[router] Realserver [198.51.100.7]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - UP`. */
export function realServerMailSubject(routerId: string | undefined, rs: string, vs: string, up: boolean): string {
  return `[${routerId ?? ''}] Realserver ${rs} of virtual server ${vs} - ${up ? 'UP' : 'DOWN'}`;
}

/** `[router] Virtualserver [192.0.2.1]:tcp:80 - UP`. */
export function virtualServerMailSubject(routerId: string | undefined, vs: string, up: boolean): string {
  return `[${routerId ?? ''}] Virtualserver ${vs} - ${up ? 'UP' : 'DOWN'}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** strftime("%a, %d %b %Y %H:%M:%S %z") in local time: `Mon, 01 Mar 2021 09:44:08 +0000`. */
export function rfc822Date(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${DAYS[d.getDay()]}, ${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

export interface MailMessage {
  from: string;
  to: readonly string[];
  subject: string;
  body: string;
}

/**
 * The DATA section exactly as keepalived's body_cmd() (without the final ".").
 * keepalived writes SMTP_HEADERS_CMD, then SMTP_BODY_CMD "<body>\r\n", then
 * SMTP_SEND_CMD "\r\n.\r\n": the body line is followed by an empty line
 * before the terminating ".". The transport adds only ".\r\n" after a
 * message ending in CRLF, so the bytes on the wire are keepalived's.
 */
export function buildRawMessage(m: MailMessage, date: Date): string {
  return `Date: ${rfc822Date(date)}\r\nFrom: ${m.from}\r\nSubject: ${m.subject}\r\nX-Mailer: Keepalived\r\nTo: ${m.to.join(', ')}\r\n\r\n${m.body}\r\n\r\n`;
}

/** global_defs mail settings, in keepalived's words. */
export interface MailOptions {
  /** notification_email { ... } */
  notificationEmail: readonly string[];
  /** notification_email_from; default <user>@<hostname>. */
  notificationEmailFrom?: string;
  /** smtp_server <host> [<port>]; no server, no mail. */
  smtpServer?: { host: string; port?: number };
  /** smtp_helo_name; default the host name. */
  smtpHeloName?: string;
  /** smtp_connect_timeout, ms; default 30000. */
  smtpConnectTimeoutMs?: number;
  /** router_id; default the host name. */
  routerId?: string;
  /** Our addition: total tries per mail (default 3) and first backoff (default 1000 ms, doubling). */
  attempts?: number;
  backoffMs?: number;
}

export interface ResolvedMailOptions {
  notificationEmail: readonly string[];
  from: string;
  host: string;
  port: number;
  heloName: string;
  connectTimeoutMs: number;
  routerId: string;
  attempts: number;
  backoffMs: number;
}

/** Apply keepalived's defaults. `undefined` if mail is not configured (no server or no recipient). */
export function resolveMailOptions(o: MailOptions, env: { hostname?: string; username?: string } = {}): ResolvedMailOptions | undefined {
  const hostname = env.hostname ?? os.hostname();
  if (!o.smtpServer || o.notificationEmail.length === 0) return undefined;
  let username = env.username;
  if (username === undefined) {
    try {
      username = os.userInfo().username;
    } catch {
      username = 'root';
    }
  }
  return {
    notificationEmail: [...o.notificationEmail],
    from: o.notificationEmailFrom ?? `${username}@${hostname}`,
    host: o.smtpServer.host,
    port: o.smtpServer.port ?? 25,
    heloName: o.smtpHeloName ?? hostname,
    connectTimeoutMs: o.smtpConnectTimeoutMs ?? 30_000,
    routerId: o.routerId ?? hostname,
    attempts: Math.max(1, o.attempts ?? 3),
    backoffMs: o.backoffMs ?? 1000,
  };
}

/**
 * The SMTP port: send one raw message to an envelope. Rejects on failure, and
 * promptly once `signal` is aborted (the Mailer aborts at close()).
 */
export interface MailTransport {
  send(envelope: { from: string; to: readonly string[] }, raw: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** Nodemailer SMTP adapter: plain SMTP (no STARTTLS, no auth), keepalived's timeouts. */
export function nodemailerTransport(o: ResolvedMailOptions): MailTransport {
  const t = createTransport({
    host: o.host,
    port: o.port,
    secure: false,
    ignoreTLS: true,
    name: o.heloName,
    connectionTimeout: o.connectTimeoutMs,
    greetingTimeout: o.connectTimeoutMs,
    socketTimeout: o.connectTimeoutMs,
  });
  return {
    async send(envelope, raw, signal) {
      // nodemailer >= 10 takes an AbortSignal per message (not yet in @types/nodemailer 8).
      const mail = { envelope: { from: envelope.from, to: [...envelope.to] }, raw, signal };
      await t.sendMail(mail as Parameters<typeof t.sendMail>[0]);
    },
    close() {
      t.close();
    },
  };
}

export interface MailResult {
  ok: boolean;
  attempts: number;
  subject: string;
  error?: string;
}

/**
 * Sends alert mails one after another, each retried with backoff up to
 * `attempts` times. send() returns at once; nothing here blocks scripts or
 * FIFOs. Results are reported through `onResult`; `attempts` in a result is
 * the number of tries actually made (0 for a mail given up at close()).
 */
export class Mailer {
  private chain: Promise<void> = Promise.resolve();
  private pendingCount = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private backoff: { timer: TimerHandle; wake: () => void } | undefined;

  constructor(
    readonly options: ResolvedMailOptions,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    private readonly log: Logger = nullLogger,
    private readonly onResult: (r: MailResult) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  get pending(): number {
    return this.pendingCount;
  }

  send(subject: string, body: string): Promise<MailResult> {
    this.pendingCount++;
    const run = async (): Promise<MailResult> => {
      const msg: MailMessage = { from: this.options.from, to: this.options.notificationEmail, subject, body };
      let lastErr = '';
      let made = 0;
      while (made < this.options.attempts && !this.closed) {
        made++;
        try {
          await this.transport.send({ from: msg.from, to: msg.to }, buildRawMessage(msg, this.now()), this.abort.signal);
          this.log.info('SMTP alert successfully sent.', { subject });
          return { ok: true, attempts: made, subject };
        } catch (e) {
          lastErr = (e as Error).message;
          this.log.warn(`SMTP connection ERROR to [${this.options.host}]:${this.options.port}. (${lastErr}) attempt ${made}/${this.options.attempts}`);
        }
        if (made < this.options.attempts && !this.closed) await this.sleep(this.options.backoffMs * 2 ** (made - 1));
      }
      if (this.closed && made < this.options.attempts) this.log.warn('SMTP alert abandoned at shutdown.', { subject });
      return { ok: false, attempts: made, subject, error: lastErr || 'mailer closed' };
    };
    const p = this.chain.then(run).then((r) => {
      this.pendingCount--;
      this.onResult(r);
      return r;
    });
    this.chain = p.then(() => undefined);
    return p;
  }

  /** The backoff between attempts; close() wakes it early. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.backoff = undefined;
        resolve();
      };
      const timer = this.clock.setTimer(ms, done);
      this.backoff = {
        timer,
        wake: () => {
          timer.cancel();
          done();
        },
      };
    });
  }

  /** Resolves when every mail queued so far is sent or given up. */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * Give up: abort the attempt in flight, cancel a pending backoff, and report
   * every mail not yet sent as failed. Nothing stays armed afterwards.
   * Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.backoff?.wake();
    this.transport.close();
  }
}
