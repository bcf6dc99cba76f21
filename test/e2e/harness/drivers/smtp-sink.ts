/**
 * A real SMTP server for the mail tests, run inside a lab host:
 *   node smtp-sink.js <address> <port>
 * Accepts every message (no auth, no TLS) and prints one JSON line per mail on
 * stdout: {from, to, helo, subject, headers, body}. Prints {"event":"ready"}
 * once listening.
 */
import { SMTPServer } from 'smtp-server';

const [host, portText] = process.argv.slice(2);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const head = split < 0 ? raw : raw.slice(0, split);
      const body = split < 0 ? '' : raw.slice(split + 4);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n')) {
        const m = /^([^:]+):\s?(.*)$/.exec(line);
        if (m) headers[m[1].toLowerCase()] = m[2];
      }
      process.stdout.write(
        JSON.stringify({
          at: Date.now(),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          helo: session.hostNameAppearsAs,
          subject: headers.subject ?? '',
          headers,
          body,
        }) + '\n',
      );
      callback();
    });
  },
});
server.listen(Number(portText), host, () => process.stdout.write('{"event":"ready"}\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
