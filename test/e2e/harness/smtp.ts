/**
 * A real SMTP server (drivers/smtp-sink.js) in a lab host, with the mails it
 * received kept in order with their arrival time.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { type Lab, waitFor } from './netns';

export interface Mail {
  at: number;
  from: string;
  to: string[];
  helo: string;
  subject: string;
  headers: Record<string, string>;
  body: string;
}

export class SmtpSink {
  readonly mails: Mail[] = [];
  private constructor(readonly proc: ChildProcess) {}

  /** Starts the server on `host`'s address and `port`; resolves once it listens. */
  static async start(lab: Lab, host: number, port = 25): Promise<SmtpSink> {
    const proc = lab.node(host, path.join(__dirname, 'drivers', 'smtp-sink.js'), [lab.ipv4(host), String(port)]);
    const sink = new SmtpSink(proc);
    proc.stderr?.resume();
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
        const m = JSON.parse(l) as { event?: string } & Mail;
        if (m.event === 'ready') resolve();
        else sink.mails.push(m);
      });
      proc.once('exit', (c) => reject(new Error(`smtp sink exited ${c}`)));
    });
    return sink;
  }

  /** Waits for a mail with this subject that arrived at or after `since`. */
  waitSubject(subject: string, since = 0, timeoutMs = 10_000): Promise<Mail> {
    return waitFor(() => this.mails.find((m) => m.at >= since && m.subject === subject), { timeoutMs, intervalMs: 50, what: `mail "${subject}"` });
  }
}
