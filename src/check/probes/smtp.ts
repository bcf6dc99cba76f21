/**
 * SMTP_CHECK (check_smtp.c): connect, read one line and require status 220,
 * send `HELO <helo_name>`, read one line and require 250, send `QUIT`, and
 * succeed once any reply line arrives. A status is the line's first three
 * digits followed by end of line or a space, so a multi-line reply
 * ("220-...") fails, as in keepalived (smtp_get_status()).
 */
import net from 'node:net';
import type { ConnTarget, ProbeResult, ProbeRunOptions } from '../types';
import { SMTP_DEFAULT_HELO } from '../types';
import { describe, hostPort, settleOnce } from './common';

/** keepalived's smtp_get_status(): -1 when not legible. */
export function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |$)/.exec(line.replace(/\r$/, ''));
  return m ? Number(m[1]) : -1;
}

export function smtpProbe(target: ConnTarget, heloName: string | undefined, opts: ProbeRunOptions): Promise<ProbeResult> {
  const where = hostPort(target.connectIp, target.connectPort);
  const helo = heloName ?? SMTP_DEFAULT_HELO;
  return settleOnce(
    opts.signal,
    opts.timeoutMs,
    () => ({ ok: false, detail: `Read timeout from server ${where}` }),
    (finish) => {
      let buf = '';
      let stage: 'banner' | 'helo' | 'quit' = 'banner';
      const sock = net.connect({ host: target.connectIp, port: target.connectPort, localAddress: target.bindto, localPort: target.bindPort });
      sock.setEncoding('latin1');
      const onLine = (line: string): void => {
        if (stage === 'banner') {
          if (smtpStatus(line) !== 220) return finish({ ok: false, detail: `Bad greeting banner from server ${where}: ${line.trim()}` });
          stage = 'helo';
          sock.write(`HELO ${helo}\r\n`);
        } else if (stage === 'helo') {
          if (smtpStatus(line) !== 250) return finish({ ok: false, detail: `Bad HELO response from server ${where}: ${line.trim()}` });
          stage = 'quit';
          sock.write('QUIT\r\n');
        } else {
          finish({ ok: true, detail: `SMTP server ${where} answered` });
        }
      };
      sock.on('data', (d: string) => {
        buf += d;
        for (;;) {
          const nl = buf.indexOf('\n');
          if (nl < 0) break;
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          onLine(line);
        }
      });
      sock.once('end', () => finish({ ok: false, detail: `Read failure from server ${where}` }));
      sock.once('error', (err) => finish({ ok: false, detail: `Error connecting to server ${where}: ${describe(err)}` }));
      return () => sock.destroy();
    },
  );
}
