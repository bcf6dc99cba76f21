/**
 * SMTP alerts (src/notify/mail.ts) and their use by the Notifier, against
 * keepalived 2.2.7 (keepalived/core/smtp.c, keepalived/include/smtp.h,
 * keepalived/vrrp/vrrp_notify.c vrrp_smtp_notifier()/vrrp_sync_smtp_notifier(),
 * keepalived/core/global_data.c).
 *
 * Timing is driven by a VirtualClock wherever the Mailer or the Notifier own
 * the timer (backoff, drain); only nodemailer's own socket timeouts run on
 * real time, bounded by a short smtp_connect_timeout.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { Clock, SystemClock, VirtualClock } from '../../src/core/clock';
import { Logger, LogRecord } from '../../src/core/log';
import {
  buildRawMessage,
  Mailer,
  MailResult,
  MailTransport,
  nodemailerTransport,
  realServerMailSubject,
  resolveMailOptions,
  rfc822Date,
  virtualServerMailSubject,
  vrrpMailSubject,
  vrrpMailText,
  VrrpMailState,
} from '../../src/notify/mail';
import { FifoEvent, Notifier, NotifierOptions, ScriptEvent, VrrpTransition } from '../../src/notify/notifier';
import { ExitResult, ProcessHandle, ProcessRunner, SpawnSpec } from '../../src/notify/process';
import { tmpDir } from './helpers';

// Date headers are local time (strftime %z): pin the zone for literal expectations.
process.env.TZ = 'UTC';
const DATE = new Date(Date.UTC(2021, 2, 1, 9, 44, 8)); // keepalived's own example date
const DATE_TEXT = 'Mon, 01 Mar 2021 09:44:08 +0000';

const dir = tmpDir('kts-mail-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------
// Helpers

/** A logger into memory; `next(pred)` resolves on the first matching record (past or future). */
function capture(): { log: Logger; records: LogRecord[]; next: (pred: (r: LogRecord) => boolean) => Promise<LogRecord> } {
  const records: LogRecord[] = [];
  const waiters: { pred: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  const log = new Logger(
    (r) => {
      records.push(r);
      for (const w of [...waiters]) {
        if (w.pred(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(r);
        }
      }
    },
    {},
    'debug',
  );
  return {
    log,
    records,
    next: (pred) => {
      const seen = records.find(pred);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

/** Notify scripts that exit 0 at once; records argv and the virtual time of each start. */
class FakeRunner implements ProcessRunner {
  readonly spawned: { argv: string[]; at: number }[] = [];
  constructor(private readonly clock: Clock, private readonly trace?: string[]) {}
  spawn(spec: SpawnSpec, onExit: (r: ExitResult) => void): ProcessHandle {
    this.spawned.push({ argv: [...spec.argv], at: this.clock.now() });
    this.trace?.push(`script ${spec.argv.join(' ')}`);
    setImmediate(() => onExit({ kind: 'exited', code: 0 }));
    return { pid: 4000 + this.spawned.length, terminate: () => {} };
  }
}

interface TransportCall {
  at: number;
  envelope: { from: string; to: string[] };
  raw: string;
  signal?: AbortSignal;
}

/** A scripted MailTransport: `behave(n)` decides what the n-th send (1-based) does. */
class FakeTransport implements MailTransport {
  readonly calls: TransportCall[] = [];
  closed = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(
    private readonly clock: Clock,
    private readonly behave: (n: number, call: TransportCall) => Promise<void>,
    private readonly trace?: string[],
  ) {}
  send(envelope: { from: string; to: readonly string[] }, raw: string, signal?: AbortSignal): Promise<void> {
    const call: TransportCall = { at: this.clock.now(), envelope: { from: envelope.from, to: [...envelope.to] }, raw, signal };
    this.calls.push(call);
    this.trace?.push(`mail attempt ${this.calls.length}`);
    for (const w of this.waiters.filter((x) => this.calls.length >= x.n)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    return this.behave(this.calls.length, call);
  }
  close(): void {
    this.closed++;
  }
  /** Resolves once `n` sends have been made. */
  waitCalls(n: number): Promise<void> {
    if (this.calls.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

const refused = (): Promise<void> => Promise.reject(new Error('connect ECONNREFUSED 192.0.2.25:2525'));
/** A send that never settles unless its signal aborts it. */
const hang = (_n: number, call: TransportCall): Promise<void> =>
  new Promise((_resolve, reject) => call.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

/** Collect `n` 'mail' events of a Notifier. */
function mailEvents(notifier: Notifier, n: number): { results: MailResult[]; done: Promise<MailResult[]> } {
  const results: MailResult[] = [];
  const done = new Promise<MailResult[]>((resolve) => {
    const on = (r: MailResult): void => {
      results.push(r);
      if (results.length === n) {
        notifier.off('mail', on);
        resolve(results);
      }
    };
    notifier.on('mail', on);
  });
  return { results, done };
}

/** Let pending promise callbacks and I/O callbacks run (no time passes on a VirtualClock). */
async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Read whatever is buffered in a FIFO through a non-blocking read end. */
function drainFifo(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const MAIL = {
  notificationEmail: ['dba@example.com', 'oncall@example.com'],
  notificationEmailFrom: 'keepalived@lb1.example.com',
  smtpHeloName: 'lb1.example.com',
  routerId: 'lb1',
};

// ---------------------------------------------------------------------------
// 1. Pure formatting

test('vrrpMailText: keepalived 2.2.7 subjects and bodies for every instance and group state', () => {
  const instance: Record<VrrpMailState, [string, string]> = {
    MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
    BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
    FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
    STOP: ['Stopping', '=> VRRP Instance stopping <='],
    DELETED: ['Deleted', '=> VRRP Deleted at reload <='],
  };
  const group: Record<VrrpMailState, [string, string] | undefined> = {
    MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
    BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
    FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
    STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
    DELETED: undefined, // vrrp_sync_smtp_notifier() has no DELETED case
  };
  for (const s of Object.keys(instance) as VrrpMailState[]) {
    assert.deepEqual(vrrpMailText('INSTANCE', s), { subject: instance[s][0], body: instance[s][1] }, `INSTANCE ${s}`);
    const g = group[s];
    assert.deepEqual(vrrpMailText('GROUP', s), g && { subject: g[0], body: g[1] }, `GROUP ${s}`);
  }
});

test('subjects: [router_id] VRRP Instance|Group, Realserver ... of virtual server, Virtualserver', () => {
  assert.equal(vrrpMailSubject('lb1', 'INSTANCE', 'VI_1', 'Entering MASTER state'), '[lb1] VRRP Instance VI_1 - Entering MASTER state');
  assert.equal(vrrpMailSubject('lb1', 'INSTANCE', 'VI_1', 'Stopping'), '[lb1] VRRP Instance VI_1 - Stopping');
  assert.equal(vrrpMailSubject('lb1', 'INSTANCE', 'VI_9', 'Deleted'), '[lb1] VRRP Instance VI_9 - Deleted');
  assert.equal(vrrpMailSubject('lb1', 'GROUP', 'G1', 'Entering FAULT state'), '[lb1] VRRP Group G1 - Entering FAULT state');
  assert.equal(
    realServerMailSubject('lb1', '[198.51.100.7]:tcp:80', '[192.0.2.1]:tcp:80', false),
    '[lb1] Realserver [198.51.100.7]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - DOWN',
  );
  assert.equal(
    realServerMailSubject('lb1', '[2001:db8::7]:udp:53', '[2001:db8::1]:udp:53', true),
    '[lb1] Realserver [2001:db8::7]:udp:53 of virtual server [2001:db8::1]:udp:53 - UP',
  );
  assert.equal(virtualServerMailSubject('lb1', '[192.0.2.1]:tcp:80', true), '[lb1] Virtualserver [192.0.2.1]:tcp:80 - UP');
  assert.equal(virtualServerMailSubject('lb1', 'FWM 1', false), '[lb1] Virtualserver FWM 1 - DOWN');
});

test('rfc822Date: strftime("%a, %d %b %Y %H:%M:%S %z") in local time, zero-padded, signed offsets', () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'UTC';
    assert.equal(rfc822Date(DATE), DATE_TEXT);
    assert.equal(rfc822Date(new Date(Date.UTC(2024, 11, 31, 23, 5, 9))), 'Tue, 31 Dec 2024 23:05:09 +0000');
    process.env.TZ = 'Asia/Kolkata'; // +05:30, no DST
    assert.equal(rfc822Date(DATE), 'Mon, 01 Mar 2021 15:14:08 +0530');
    process.env.TZ = 'America/St_Johns'; // -03:30 in March 2021 (NST)
    assert.equal(rfc822Date(DATE), 'Mon, 01 Mar 2021 06:14:08 -0330');
    process.env.TZ = 'Pacific/Kiritimati'; // +14:00: the day after in local time
    assert.equal(rfc822Date(new Date(Date.UTC(2021, 1, 28, 12, 0, 0))), 'Mon, 01 Mar 2021 02:00:00 +1400');
  } finally {
    process.env.TZ = saved;
  }
});

test('buildRawMessage: the DATA bytes of keepalived body_cmd() (headers, To joined by ", ", body, blank line)', () => {
  const raw = buildRawMessage(
    { from: 'keepalived@lb1.example.com', to: ['dba@example.com', 'oncall@example.com'], subject: '[lb1] VRRP Instance VI_1 - Entering MASTER state', body: '=> VRRP Instance is now owning VRRP VIPs <=' },
    DATE,
  );
  // SMTP_HEADERS_CMD SMTP_BODY_CMD "%s" with SMTP_SEND_CMD = "\r\n.\r\n": the
  // body's CRLF, then an empty line, then the "." terminator line.
  assert.equal(
    raw,
    `Date: ${DATE_TEXT}\r\n` +
      'From: keepalived@lb1.example.com\r\n' +
      'Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n' +
      'X-Mailer: Keepalived\r\n' +
      'To: dba@example.com, oncall@example.com\r\n' +
      '\r\n' +
      '=> VRRP Instance is now owning VRRP VIPs <=\r\n' +
      '\r\n',
  );
  const one = buildRawMessage({ from: 'a@example.com', to: ['b@example.com'], subject: 's', body: 'b' }, DATE);
  assert.match(one, /\r\nTo: b@example\.com\r\n\r\nb\r\n\r\n$/, 'a single recipient has no separator');
});

test('resolveMailOptions: keepalived defaults (from <user>@<host>, HELO and router_id the host name, port 25, 30 s)', () => {
  const env = { hostname: 'lb1.example.com', username: 'keepalived' };
  const r = resolveMailOptions({ notificationEmail: ['dba@example.com'], smtpServer: { host: '192.0.2.25' } }, env);
  assert.deepEqual(r, {
    notificationEmail: ['dba@example.com'],
    from: 'keepalived@lb1.example.com',
    host: '192.0.2.25',
    port: 25,
    heloName: 'lb1.example.com',
    connectTimeoutMs: 30_000,
    routerId: 'lb1.example.com',
    attempts: 3,
    backoffMs: 1000,
  });
  const all = resolveMailOptions(
    {
      notificationEmail: ['a@example.com', 'b@example.com'],
      notificationEmailFrom: 'ka@example.net',
      smtpServer: { host: '2001:db8::25', port: 2525 },
      smtpHeloName: 'mx-client.example.net',
      smtpConnectTimeoutMs: 5000,
      routerId: 'LVS_DEVEL',
      attempts: 5,
      backoffMs: 250,
    },
    env,
  );
  assert.deepEqual(all, {
    notificationEmail: ['a@example.com', 'b@example.com'],
    from: 'ka@example.net',
    host: '2001:db8::25',
    port: 2525,
    heloName: 'mx-client.example.net',
    connectTimeoutMs: 5000,
    routerId: 'LVS_DEVEL',
    attempts: 5,
    backoffMs: 250,
  });
  assert.equal(resolveMailOptions({ notificationEmail: ['a@example.com'], attempts: 0, smtpServer: { host: '192.0.2.25' } }, env)?.attempts, 1, 'at least one try');
  // smtp_alert(): "Only send mail if email specified" - both a server and a recipient.
  assert.equal(resolveMailOptions({ notificationEmail: [], smtpServer: { host: '192.0.2.25' } }, env), undefined);
  assert.equal(resolveMailOptions({ notificationEmail: ['dba@example.com'] }, env), undefined);
  // The recipient list is copied, not shared with the caller.
  const list = ['dba@example.com'];
  const copy = resolveMailOptions({ notificationEmail: list, smtpServer: { host: '192.0.2.25' } }, env)!;
  list.push('late@example.com');
  assert.deepEqual(copy.notificationEmail, ['dba@example.com']);
});

test('no mail without smtp_server or without a notification_email; scripts and FIFO are unaffected', async () => {
  for (const mail of [
    { notificationEmail: [] as string[], smtpServer: { host: '192.0.2.25' } },
    { notificationEmail: ['dba@example.com'] },
  ]) {
    const clock = new VirtualClock();
    const transport = new FakeTransport(clock, () => Promise.resolve());
    const runner = new FakeRunner(clock);
    const notifier = new Notifier({ mail }, { clock, runner, mailTransport: transport });
    await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, smtpAlert: true, scripts: { master: { argv: ['/bin/m'] } } });
    await notifier.idle();
    assert.equal(transport.calls.length, 0, JSON.stringify(mail));
    assert.deepEqual(runner.spawned.map((s) => s.argv), [['/bin/m']]);
    assert.deepEqual([notifier.stats.mailsSent, notifier.stats.mailsFailed], [0, 0]);
    await notifier.close(0);
  }
});

// ---------------------------------------------------------------------------
// 2. A real SMTP server (smtp-server) and the real nodemailer transport

interface Received {
  helo: string;
  transmission: string;
  from: string;
  rcpt: string[];
  rcptCommands: string[];
  raw: string;
  headers: Record<string, string>;
  body: string;
}

/** smtp-server on 127.0.0.1, ephemeral port; `heloOnly` refuses EHLO (502), leaving keepalived's HELO. */
async function startSmtp(opts: { heloOnly?: boolean } = {}): Promise<{ port: number; mails: Received[]; close: () => Promise<void> }> {
  const mails: Received[] = [];
  const rcptBySession = new Map<string, string[]>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: opts.heloOnly ? ['STARTTLS', 'AUTH', 'EHLO'] : ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, session, cb) {
      const l = rcptBySession.get(session.id) ?? [];
      l.push(address.address);
      rcptBySession.set(session.id, l);
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        const headers: Record<string, string> = {};
        for (const line of raw.slice(0, split).split('\r\n')) {
          const m = /^([^:]+): (.*)$/.exec(line);
          if (m) headers[m[1]] = m[2];
        }
        mails.push({
          helo: session.hostNameAppearsAs,
          transmission: session.transmissionType,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt: session.envelope.rcptTo.map((r) => r.address),
          rcptCommands: rcptBySession.get(session.id) ?? [],
          raw,
          headers,
          body: raw.slice(split + 4),
        });
        rcptBySession.delete(session.id);
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('real SMTP server: envelope, HELO name, headers and body of every VRRP mail; per-owner dedup; smtp_alert off', async () => {
  const smtp = await startSmtp();
  try {
    const clock = new VirtualClock();
    const runner = new FakeRunner(clock);
    const notifier = new Notifier(
      { mail: { ...MAIL, smtpServer: { host: '127.0.0.1', port: smtp.port }, smtpConnectTimeoutMs: 3000 } },
      { clock, runner, now: () => DATE },
    );
    const results = mailEvents(notifier, 11);
    const notify = { notify: { argv: ['/etc/keepalived/notify.sh'] } };
    const tr = (kind: 'INSTANCE' | 'GROUP', name: string, state: VrrpTransition['state'], extra: Partial<VrrpTransition> = {}): Promise<void> =>
      notifier.vrrpTransition({ kind, name, state, priority: 100, scripts: notify, smtpAlert: true, ...extra });
    await tr('INSTANCE', 'VI_1', 'MASTER');
    await tr('INSTANCE', 'VI_1', 'MASTER'); // same state as the last mail: no second mail
    await tr('INSTANCE', 'VI_1', 'BACKUP');
    await tr('INSTANCE', 'VI_1', 'FAULT');
    await tr('INSTANCE', 'VI_1', 'STOP');
    await tr('INSTANCE', 'VI_2', 'DELETED'); // no notify_deleted: reported as FAULT
    await tr('INSTANCE', 'VI_3', 'DELETED', { notifyDeleted: true });
    await tr('INSTANCE', 'VI_4', 'MASTER', { smtpAlert: false });
    await tr('GROUP', 'G1', 'MASTER');
    await tr('GROUP', 'G1', 'BACKUP');
    await tr('GROUP', 'G1', 'BACKUP');
    await tr('GROUP', 'G1', 'FAULT');
    await tr('GROUP', 'G1', 'STOP');
    await tr('GROUP', 'G1', 'DELETED'); // groups send no DELETED mail
    await tr('INSTANCE', 'VI_1', 'MASTER'); // a new state again: mailed
    await notifier.idle();

    assert.deepEqual(
      smtp.mails.map((m) => [m.headers.Subject, m.body]),
      [
        ['[lb1] VRRP Instance VI_1 - Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n'],
        ['[lb1] VRRP Instance VI_1 - Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n'],
        ['[lb1] VRRP Instance VI_1 - Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n'],
        ['[lb1] VRRP Instance VI_1 - Stopping', '=> VRRP Instance stopping <=\r\n\r\n'],
        ['[lb1] VRRP Instance VI_2 - Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n'],
        ['[lb1] VRRP Instance VI_3 - Deleted', '=> VRRP Deleted at reload <=\r\n\r\n'],
        ['[lb1] VRRP Group G1 - Entering MASTER state', '=> All VRRP group instances are now in MASTER state <=\r\n\r\n'],
        ['[lb1] VRRP Group G1 - Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <=\r\n\r\n'],
        ['[lb1] VRRP Group G1 - Entering FAULT state', '=> All VRRP group instances are now in FAULT state <=\r\n\r\n'],
        ['[lb1] VRRP Group G1 - Stopping', '=> All VRRP group instances are now stopping <=\r\n\r\n'],
        ['[lb1] VRRP Instance VI_1 - Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n'],
      ],
    );
    for (const m of smtp.mails) {
      assert.equal(m.from, 'keepalived@lb1.example.com', 'MAIL FROM:<notification_email_from>');
      assert.deepEqual(m.rcptCommands, ['dba@example.com', 'oncall@example.com'], 'one RCPT TO per notification_email, in order');
      assert.deepEqual(m.rcpt, ['dba@example.com', 'oncall@example.com']);
      assert.equal(m.helo, 'lb1.example.com', 'HELO smtp_helo_name');
      assert.equal(m.transmission, 'ESMTP', 'nodemailer greets with EHLO first (keepalived: HELO; see the next test)');
      assert.deepEqual(Object.keys(m.headers), ['Date', 'From', 'Subject', 'X-Mailer', 'To'], 'exactly keepalived\'s headers, in its order');
      assert.equal(m.headers.Date, DATE_TEXT);
      assert.equal(m.headers.From, 'keepalived@lb1.example.com');
      assert.equal(m.headers['X-Mailer'], 'Keepalived');
      assert.equal(m.headers.To, 'dba@example.com, oncall@example.com');
    }
    // The whole DATA as the server stored it: byte for byte keepalived's body_cmd().
    assert.equal(
      smtp.mails[0].raw,
      `Date: ${DATE_TEXT}\r\nFrom: keepalived@lb1.example.com\r\nSubject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n` +
        'X-Mailer: Keepalived\r\nTo: dba@example.com, oncall@example.com\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n',
    );

    // Dedup and smtp_alert only concern mail: every transition ran its script.
    assert.deepEqual(
      runner.spawned.map((s) => s.argv.slice(1).join(' ')),
      [
        'INSTANCE VI_1 MASTER 100',
        'INSTANCE VI_1 MASTER 100',
        'INSTANCE VI_1 BACKUP 100',
        'INSTANCE VI_1 FAULT 100',
        'INSTANCE VI_1 STOP 100',
        'INSTANCE VI_2 FAULT 100',
        'INSTANCE VI_3 DELETED 100',
        'INSTANCE VI_4 MASTER 100',
        'GROUP G1 MASTER 0',
        'GROUP G1 BACKUP 0',
        'GROUP G1 BACKUP 0',
        'GROUP G1 FAULT 0',
        'GROUP G1 STOP 0',
        'GROUP G1 DELETED 0',
        'INSTANCE VI_1 MASTER 100',
      ],
    );
    const r = await results.done;
    assert.ok(r.every((x) => x.ok && x.attempts === 1 && x.error === undefined), JSON.stringify(r));
    assert.deepEqual(r.map((x) => x.subject), smtp.mails.map((m) => m.headers.Subject));
    assert.deepEqual([notifier.stats.mailsSent, notifier.stats.mailsFailed], [11, 0]);
    await notifier.close(0);
  } finally {
    await smtp.close();
  }
});

test('real SMTP server that refuses EHLO: the mail goes through with HELO <smtp_helo_name>, as keepalived speaks', async () => {
  const smtp = await startSmtp({ heloOnly: true });
  try {
    const clock = new VirtualClock();
    const notifier = new Notifier({ mail: { ...MAIL, smtpServer: { host: '127.0.0.1', port: smtp.port } } }, { clock, runner: new FakeRunner(clock), now: () => DATE });
    await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, smtpAlert: true });
    await notifier.idle();
    assert.equal(smtp.mails.length, 1);
    assert.equal(smtp.mails[0].transmission, 'SMTP', 'plain SMTP session: HELO');
    assert.equal(smtp.mails[0].helo, 'lb1.example.com');
    assert.deepEqual(smtp.mails[0].rcptCommands, ['dba@example.com', 'oncall@example.com']);
    assert.equal(smtp.mails[0].headers.Subject, '[lb1] VRRP Instance VI_1 - Entering MASTER state');
    assert.deepEqual([notifier.stats.mailsSent, notifier.stats.mailsFailed], [1, 0]);
    await notifier.close(0);
  } finally {
    await smtp.close();
  }
});

test('real SMTP server: no_email_faults suppresses FAULT (also DELETED-as-FAULT) without touching last_email_state', async () => {
  const smtp = await startSmtp();
  try {
    const clock = new VirtualClock();
    const notifier = new Notifier(
      { mail: { ...MAIL, smtpServer: { host: '127.0.0.1', port: smtp.port } }, noEmailFaults: true },
      { clock, runner: new FakeRunner(clock), now: () => DATE },
    );
    const tr = (kind: 'INSTANCE' | 'GROUP', name: string, state: VrrpTransition['state'], extra: Partial<VrrpTransition> = {}): Promise<void> =>
      notifier.vrrpTransition({ kind, name, state, priority: 100, smtpAlert: true, ...extra });
    await tr('INSTANCE', 'VI_1', 'MASTER');
    await tr('INSTANCE', 'VI_1', 'FAULT'); // suppressed, last_email_state stays MASTER
    await tr('INSTANCE', 'VI_1', 'MASTER'); // == last_email_state: no mail (keepalived)
    await tr('INSTANCE', 'VI_1', 'BACKUP');
    await tr('INSTANCE', 'VI_2', 'DELETED'); // FAULT without notify_deleted: suppressed
    await tr('INSTANCE', 'VI_3', 'DELETED', { notifyDeleted: true }); // a real DELETED is not a fault
    await tr('GROUP', 'G1', 'FAULT');
    await tr('GROUP', 'G1', 'BACKUP');
    await notifier.idle();
    assert.deepEqual(smtp.mails.map((m) => m.headers.Subject), [
      '[lb1] VRRP Instance VI_1 - Entering MASTER state',
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state',
      '[lb1] VRRP Instance VI_3 - Deleted',
      '[lb1] VRRP Group G1 - Entering BACKUP state',
    ]);
    assert.equal(notifier.stats.mailsSent, 4);
    await notifier.close(0);
  } finally {
    await smtp.close();
  }
});

test('real SMTP server: smtp_helo_name and notification_email_from default to the host name; router_id too', async () => {
  const smtp = await startSmtp();
  try {
    const clock = new VirtualClock();
    const notifier = new Notifier(
      { mail: { notificationEmail: ['dba@example.com'], smtpServer: { host: '127.0.0.1', port: smtp.port } } },
      { clock, runner: new FakeRunner(clock), now: () => DATE },
    );
    const expect = resolveMailOptions({ notificationEmail: ['x@example.com'], smtpServer: { host: '127.0.0.1' } })!;
    await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 90, smtpAlert: true });
    await notifier.idle();
    assert.equal(smtp.mails.length, 1);
    const m = smtp.mails[0];
    assert.equal(m.helo, expect.heloName);
    assert.equal(m.from, expect.from);
    assert.match(m.from, /^[^@]+@[^@]+$/);
    assert.equal(m.headers.From, expect.from);
    assert.equal(m.headers.Subject, `[${expect.routerId}] VRRP Instance VI_1 - Entering BACKUP state`);
    assert.deepEqual(m.rcptCommands, ['dba@example.com']);
    assert.equal(m.headers.To, 'dba@example.com');
    await notifier.close(0);
  } finally {
    await smtp.close();
  }
});

test('real server and Notifier: real server / virtual server mails (checker path)', async () => {
  const smtp = await startSmtp();
  try {
    const clock = new VirtualClock();
    const notifier = new Notifier({ mail: { ...MAIL, smtpServer: { host: '127.0.0.1', port: smtp.port } } }, { clock, runner: new FakeRunner(clock), now: () => DATE });
    await notifier.realServer({ rs: '[198.51.100.7]:tcp:80', vs: '[192.0.2.1]:tcp:80', up: false, smtpAlert: true });
    await notifier.realServer({ rs: '[198.51.100.7]:tcp:80', vs: '[192.0.2.1]:tcp:80', up: true, smtpAlert: true, mailBody: '=> DNS_CHECK: succeed on service <=' });
    await notifier.realServer({ rs: '[198.51.100.8]:tcp:80', vs: '[192.0.2.1]:tcp:80', up: false, smtpAlert: false });
    await notifier.virtualServer({ vs: '[192.0.2.1]:tcp:80', up: false, smtpAlert: true, mailBody: '=> Lost quorum 0+0=0 <= 1 <=' });
    await notifier.idle();
    assert.deepEqual(
      smtp.mails.map((m) => [m.headers.Subject, m.body]),
      [
        ['[lb1] Realserver [198.51.100.7]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - DOWN', '=> CHECK failed on service <=\r\n\r\n'],
        ['[lb1] Realserver [198.51.100.7]:tcp:80 of virtual server [192.0.2.1]:tcp:80 - UP', '=> DNS_CHECK: succeed on service <=\r\n\r\n'],
        ['[lb1] Virtualserver [192.0.2.1]:tcp:80 - DOWN', '=> Lost quorum 0+0=0 <= 1 <=\r\n\r\n'],
      ],
    );
    await notifier.close(0);
  } finally {
    await smtp.close();
  }
});

// ---------------------------------------------------------------------------
// 3. An unreachable server

test('unreachable server: bounded attempts with doubling backoff on the injected clock, one warning per attempt, mailsFailed', async () => {
  const clock = new VirtualClock();
  const trace: string[] = [];
  const transport = new FakeTransport(clock, refused, trace);
  const cap = capture();
  const fifoPath = path.join(dir, 'unreachable.fifo');
  const runner = new FakeRunner(clock, trace);
  const notifier = new Notifier(
    { vrrpNotifyFifo: { path: fifoPath }, mail: { ...MAIL, smtpServer: { host: '192.0.2.25', port: 2525 }, attempts: 3, backoffMs: 1000 } },
    { clock, runner, mailTransport: transport, logger: cap.log, now: () => DATE },
  );
  assert.deepEqual(notifier.open(), []);
  const rd = fs.openSync(fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    notifier.on('fifo', (e: FifoEvent) => trace.push(`fifo ${e.line.trimEnd()}`));
    const mails = mailEvents(notifier, 2);
    const scripts = { master: { argv: ['/bin/master'] }, backup: { argv: ['/bin/backup'] }, notify: { argv: ['/bin/notify'] } };
    const p1 = notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, scripts, smtpAlert: true });
    const p2 = notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100, scripts, smtpAlert: true });

    // The FIFO lines are written before vrrpTransition returns.
    assert.equal(drainFifo(rd), 'INSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" BACKUP 100\n');
    // The scripts of both transitions run to completion while the first mail
    // is still failing and no virtual time has passed.
    await Promise.all([p1, p2]);
    assert.equal(clock.now(), 0);
    assert.deepEqual(runner.spawned.map((s) => s.argv.join(' ')), [
      '/bin/master',
      '/bin/notify INSTANCE VI_1 MASTER 100',
      '/bin/backup',
      '/bin/notify INSTANCE VI_1 BACKUP 100',
    ]);
    assert.deepEqual(trace.filter((t) => !t.startsWith('mail')), [
      'fifo INSTANCE "VI_1" MASTER 100',
      'fifo INSTANCE "VI_1" BACKUP 100',
      'script /bin/master',
      'script /bin/notify INSTANCE VI_1 MASTER 100',
      'script /bin/backup',
      'script /bin/notify INSTANCE VI_1 BACKUP 100',
    ]);
    assert.ok(trace.indexOf('mail attempt 1') > trace.indexOf('fifo INSTANCE "VI_1" BACKUP 100'), 'FIFO lines come before any mail attempt');
    assert.equal(transport.calls.length, 1, 'only the first attempt so far');
    assert.deepEqual([notifier.stats.mailsSent, notifier.stats.mailsFailed, notifier.stats.fifoLines, notifier.stats.scriptsRun], [0, 0, 2, 4]);

    // Retries: 1000 ms, then 2000 ms (doubling), 3 attempts in all; the next
    // mail's first attempt follows the third failure at once.
    for (const [advance, calls] of [[999, 1], [1, 2], [1999, 2], [1, 4], [999, 4], [1, 5], [2000, 6]] as const) {
      clock.advance(advance);
      if (transport.calls.length < calls) await transport.waitCalls(calls);
      await flush();
      assert.equal(transport.calls.length, calls, `at ${clock.now()} ms`);
    }
    const r = await mails.done;
    assert.deepEqual(transport.calls.map((c) => c.at), [0, 1000, 3000, 3000, 4000, 6000]);
    assert.deepEqual(r, [
      { ok: false, attempts: 3, subject: '[lb1] VRRP Instance VI_1 - Entering MASTER state', error: 'connect ECONNREFUSED 192.0.2.25:2525' },
      { ok: false, attempts: 3, subject: '[lb1] VRRP Instance VI_1 - Entering BACKUP state', error: 'connect ECONNREFUSED 192.0.2.25:2525' },
    ]);
    assert.equal(notifier.stats.mailsFailed, 2);
    assert.equal(notifier.stats.mailsSent, 0);
    // Every attempt carried the full envelope and message.
    for (const c of transport.calls) {
      assert.deepEqual(c.envelope, { from: 'keepalived@lb1.example.com', to: ['dba@example.com', 'oncall@example.com'] });
      assert.match(c.raw, /^Date: Mon, 01 Mar 2021 09:44:08 \+0000\r\nFrom: keepalived@lb1\.example\.com\r\nSubject: \[lb1\] VRRP Instance VI_1 - Entering (MASTER|BACKUP) state\r\n/);
    }
    const warns = cap.records.filter((x) => x.level === 'warn');
    assert.deepEqual(
      warns.map((w) => w.msg),
      [1, 2, 3, 1, 2, 3].map((n) => `SMTP connection ERROR to [192.0.2.25]:2525. (connect ECONNREFUSED 192.0.2.25:2525) attempt ${n}/3`),
    );
    // Bounded: nothing else is scheduled, however long we wait.
    clock.advance(3_600_000);
    await flush();
    assert.equal(transport.calls.length, 6);
    assert.equal(clock.pending(), 0);
    await notifier.close(0);
  } finally {
    fs.closeSync(rd);
  }
});

test('unreachable server (real): a closed 127.0.0.1 port is refused, retried after the backoff, logged with host:port', async () => {
  // A port that was just free: listen, note it, close.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));

  const clock = new VirtualClock();
  const cap = capture();
  const opts = resolveMailOptions({ ...MAIL, smtpServer: { host: '127.0.0.1', port }, smtpConnectTimeoutMs: 2000, attempts: 2, backoffMs: 500 })!;
  const mailer = new Mailer(opts, nodemailerTransport(opts), clock, cap.log, undefined, () => DATE);
  const result = mailer.send('[lb1] VRRP Instance VI_1 - Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <=');
  assert.equal(mailer.pending, 1);
  const isWarn = (n: number) => (r: LogRecord): boolean => r.level === 'warn' && r.msg.endsWith(`attempt ${n}/2`);
  const w1 = await cap.next(isWarn(1));
  assert.equal(clock.now(), 0);
  assert.match(w1.msg, new RegExp(`^SMTP connection ERROR to \\[127\\.0\\.0\\.1\\]:${port}\\. \\(.*ECONNREFUSED.*\\) attempt 1/2$`));
  await flush();
  assert.equal(cap.records.filter(isWarn(2)).length, 0, 'no second attempt before the backoff elapses');
  clock.advance(500);
  const r = await result;
  assert.equal(r.ok, false);
  assert.equal(r.attempts, 2);
  assert.match(r.error ?? '', /ECONNREFUSED/);
  assert.equal(cap.records.filter((x) => x.level === 'warn').length, 2);
  assert.match(cap.records.filter(isWarn(2))[0].msg, new RegExp(`\\[127\\.0\\.0\\.1\\]:${port}\\.`));
  assert.equal(mailer.pending, 0);
  mailer.close();
});

test('hanging server (accepts TCP, never greets): smtp_connect_timeout bounds the attempt', async () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const cap = capture();
    const opts = resolveMailOptions({ ...MAIL, smtpServer: { host: '127.0.0.1', port }, smtpConnectTimeoutMs: 300, attempts: 1 })!;
    assert.equal(opts.connectTimeoutMs, 300);
    const mailer = new Mailer(opts, nodemailerTransport(opts), new VirtualClock(), cap.log, undefined, () => DATE);
    const t0 = performance.now();
    const r = await mailer.send('[lb1] VRRP Instance VI_1 - Entering MASTER state', 'x');
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 250 && elapsed < 2000, `gave up after ${Math.round(elapsed)} ms, smtp_connect_timeout 300 ms`);
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 1);
    // nodemailer's greeting and socket timers are both smtp_connect_timeout: either may fire first.
    assert.match(r.error ?? '', /^(Greeting never received|Timeout)$/);
    const warns = cap.records.filter((x) => x.level === 'warn').map((x) => x.msg);
    assert.equal(warns.length, 1);
    assert.match(warns[0], new RegExp(`^SMTP connection ERROR to \\[127\\.0\\.0\\.1\\]:${port}\\. \\((Greeting never received|Timeout)\\) attempt 1/1$`));
    mailer.close();
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

// ---------------------------------------------------------------------------
// 4. close()

test('close(): queued mails (the Stopping mails) are sent within the drain time; no timer is left behind', async () => {
  const clock = new VirtualClock();
  const gates: (() => void)[] = [];
  const transport = new FakeTransport(clock, () => new Promise<void>((resolve) => gates.push(resolve)));
  const notifier = new Notifier({ mail: { ...MAIL, smtpServer: { host: '192.0.2.25' } } }, { clock, runner: new FakeRunner(clock), mailTransport: transport });
  void notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'STOP', priority: 100, smtpAlert: true });
  void notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_2', state: 'STOP', priority: 100, smtpAlert: true });
  let closed = false;
  const closing = notifier.close(5000).then(() => (closed = true));
  await transport.waitCalls(1);
  await flush();
  assert.equal(closed, false, 'close waits for the mail in flight');
  gates[0]();
  await transport.waitCalls(2);
  gates[1]();
  await closing;
  assert.equal(clock.now(), 0, 'no drain time was needed');
  assert.deepEqual(transport.calls.map((c) => /Subject: (.*)\r\n/.exec(c.raw)?.[1]), ['[lb1] VRRP Instance VI_1 - Stopping', '[lb1] VRRP Instance VI_2 - Stopping']);
  assert.deepEqual([notifier.stats.mailsSent, notifier.stats.mailsFailed], [2, 0]);
  assert.equal(clock.pending(), 0, 'the drain timer was cancelled');
  assert.equal(transport.closed, 1);
  // Closed: nothing more is accepted.
  await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, smtpAlert: true });
  await flush();
  assert.equal(transport.calls.length, 2);
  await notifier.close(); // idempotent
});

test('close(): a failing mail gets the drain time, then is abandoned with the mails queued behind it; no retry timer survives', async () => {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock, refused);
  const cap = capture();
  const notifier = new Notifier(
    { mail: { ...MAIL, smtpServer: { host: '192.0.2.25', port: 2525 }, attempts: 5, backoffMs: 1000 } },
    { clock, runner: new FakeRunner(clock), mailTransport: transport, logger: cap.log },
  );
  const mails = mailEvents(notifier, 2);
  void notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'STOP', priority: 100, smtpAlert: true });
  void notifier.vrrpTransition({ kind: 'GROUP', name: 'G1', state: 'STOP', priority: 0, smtpAlert: true });
  await transport.waitCalls(1);
  await flush(); // the first failure is handled: the 1000 ms backoff is armed at t=0
  assert.equal(clock.pending(), 1);
  let closed = false;
  const closing = notifier.close(1500).then(() => (closed = true));
  clock.advance(1000); // second attempt, then a 2000 ms backoff
  await transport.waitCalls(2);
  await flush();
  assert.equal(closed, false, 'still within the drain time');
  clock.advance(500); // drain time over
  await closing;
  const r = await mails.done;
  assert.deepEqual(r, [
    { ok: false, attempts: 2, subject: '[lb1] VRRP Instance VI_1 - Stopping', error: 'connect ECONNREFUSED 192.0.2.25:2525' },
    { ok: false, attempts: 0, subject: '[lb1] VRRP Group G1 - Stopping', error: 'mailer closed' },
  ]);
  assert.equal(notifier.stats.mailsFailed, 2);
  assert.deepEqual(
    cap.records.filter((x) => x.level === 'warn').map((x) => [x.msg, x.ctx.subject]),
    [
      ['SMTP connection ERROR to [192.0.2.25]:2525. (connect ECONNREFUSED 192.0.2.25:2525) attempt 1/5', undefined],
      ['SMTP connection ERROR to [192.0.2.25]:2525. (connect ECONNREFUSED 192.0.2.25:2525) attempt 2/5', undefined],
      ['SMTP alert abandoned at shutdown.', '[lb1] VRRP Instance VI_1 - Stopping'],
      ['SMTP alert abandoned at shutdown.', '[lb1] VRRP Group G1 - Stopping'],
    ],
  );
  assert.equal(clock.pending(), 0, 'the backoff timer was cancelled at close');
  clock.advance(3_600_000);
  await flush();
  assert.equal(transport.calls.length, 2, 'no attempt after close');
  assert.equal(transport.closed, 1);
});

test('close(): an attempt hanging in flight is aborted at the end of the drain time', async () => {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock, hang);
  const notifier = new Notifier({ mail: { ...MAIL, smtpServer: { host: '192.0.2.25' } } }, { clock, runner: new FakeRunner(clock), mailTransport: transport });
  const mails = mailEvents(notifier, 1);
  void notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'STOP', priority: 100, smtpAlert: true });
  await transport.waitCalls(1);
  const closing = notifier.close(1000);
  clock.advance(1000);
  await closing;
  assert.equal(transport.calls[0].signal?.aborted, true, 'the in-flight send was given an AbortSignal and it was aborted');
  const [r] = await mails.done;
  assert.deepEqual(r, { ok: false, attempts: 1, subject: '[lb1] VRRP Instance VI_1 - Stopping', error: 'aborted' });
  assert.equal(clock.pending(), 0);
});

test('close() with the real transport and a server that never greets: close returns at the drain time and the connection is dropped', async () => {
  const sockets = new Set<net.Socket>();
  let connected!: () => void;
  const gotConnection = new Promise<void>((r) => (connected = r));
  let dropped!: () => void;
  const gotClose = new Promise<void>((r) => (dropped = r));
  const server = net.createServer((s) => {
    sockets.add(s);
    connected();
    s.on('close', () => {
      sockets.delete(s);
      dropped();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const clock = new SystemClock();
    // smtp_connect_timeout left at keepalived's 30 s: only close() can end this attempt quickly.
    const options: NotifierOptions = { mail: { ...MAIL, smtpServer: { host: '127.0.0.1', port } } };
    const notifier = new Notifier(options, { clock, runner: new FakeRunner(clock) });
    const mails = mailEvents(notifier, 1);
    void notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'STOP', priority: 100, smtpAlert: true });
    await gotConnection;
    const t0 = performance.now();
    await notifier.close(100);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 90 && elapsed < 1000, `close took ${Math.round(elapsed)} ms with a 100 ms drain`);
    await gotClose; // the client side let go of the socket
    const [r] = await mails.done;
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 1);
    assert.ok(performance.now() - t0 < 2000, 'abandoned long before smtp_connect_timeout (30 s)');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('scripts of a transition never wait for the mail of that transition (mail hanging, scripts and FIFO done)', async () => {
  const clock = new VirtualClock();
  const transport = new FakeTransport(clock, hang);
  const runner = new FakeRunner(clock);
  const fifoPath = path.join(dir, 'hang.fifo');
  const notifier = new Notifier(
    { notifyFifo: { path: fifoPath }, mail: { ...MAIL, smtpServer: { host: '192.0.2.25' } } },
    { clock, runner, mailTransport: transport },
  );
  assert.deepEqual(notifier.open(), []);
  const rd = fs.openSync(fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const events: ScriptEvent[] = [];
    notifier.on('script', (e: ScriptEvent) => events.push(e));
    const scripts = { master: { argv: ['/bin/m'] }, notify: { argv: ['/bin/n'] } };
    await notifier.vrrpTransition({ kind: 'GROUP', name: 'G1', state: 'MASTER', priority: 0, scripts, smtpAlert: true });
    await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 150, scripts, smtpAlert: true });
    assert.equal(drainFifo(rd), 'GROUP "G1" MASTER 0\nINSTANCE "VI_1" MASTER 150\n');
    assert.deepEqual(events.map((e) => [e.owner, e.argv.join(' '), e.outcome.kind]), [
      ['GROUP G1', '/bin/m', 'exited'],
      ['GROUP G1', '/bin/n GROUP G1 MASTER 0', 'exited'],
      ['INSTANCE VI_1', '/bin/m', 'exited'],
      ['INSTANCE VI_1', '/bin/n INSTANCE VI_1 MASTER 150', 'exited'],
    ]);
    assert.equal(transport.calls.length, 1, 'the group mail is still in flight; the instance mail waits behind it');
    assert.equal(notifier.pendingScripts(), 0);
    const closing = notifier.close(10);
    clock.advance(10);
    await closing;
    assert.equal(fs.existsSync(fifoPath), false);
  } finally {
    fs.closeSync(rd);
  }
});
