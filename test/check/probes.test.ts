/**
 * Each probe against real servers on 127.0.0.1 (loopback only).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { probePort, runProbe } from '../../src/check/probes';
import { internetChecksum } from '../../src/check/probes/icmp';
import { Pinger } from '../../src/check/probes/ping';
import { buildHttpRequest } from '../../src/check/probes/http';
import { encodeDnsQuery } from '../../src/check/probes/dns';
import { judgeExit, splitCommand } from '../../src/check/probes/misc';
import { parseHexStr, udpReplyOk } from '../../src/check/probes/udp';
import { judgeFileValue, parseTrackValue } from '../../src/check/probes/file';
import { smtpStatus } from '../../src/check/probes/smtp';
import type { ProbeSpec, ProbeRunOptions } from '../../src/check/types';

const LO = '127.0.0.1';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-check-'));
const closers: Array<() => void> = [];
after(() => {
  for (const c of closers) c();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function opts(timeoutMs = 2000): ProbeRunOptions {
  return { signal: new AbortController().signal, timeoutMs };
}

async function listen(server: net.Server, host = LO): Promise<number> {
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** A port with nothing listening (bound then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await new Promise<number>((r) => s.listen(0, LO, () => r((s.address() as net.AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

const tgt = (port: number, extra: object = {}) => ({ connectIp: LO, connectPort: port, ...extra });

// ---------------------------------------------------------------- TCP_CHECK
test('TCP_CHECK: connect succeeds on a listening port, fails on a closed one; bindto sets the source', async () => {
  const seen: string[] = [];
  const port = await listen(net.createServer((s) => {
    seen.push(s.remoteAddress!);
    s.destroy();
  }));
  const ok = await runProbe({ type: 'TCP_CHECK', target: tgt(port, { bindto: '127.0.0.2' }) }, opts());
  assert.equal(ok.ok, true);
  assert.match(ok.detail, /success/);
  const bad = await runProbe({ type: 'TCP_CHECK', target: tgt(await closedPort()) }, opts());
  assert.equal(bad.ok, false);
  assert.match(bad.detail, /ECONNREFUSED/);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, ['127.0.0.2']);
});

test('probes honour an already-aborted signal', async () => {
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  const r = await runProbe({ type: 'TCP_CHECK', target: tgt(1) }, { signal: ac.signal, timeoutMs: 1000 });
  assert.deepEqual(r, { ok: false, detail: 'aborted: stop' });
});

// ---------------------------------------------------------------- HTTP_GET
function rawHttp(reply: (req: string) => string | null): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      requests.push(buf);
      const out = reply(buf);
      if (out !== null) s.end(out);
    });
    s.on('error', () => {});
  });
  return listen(server).then((port) => ({ port, requests }));
}

test('HTTP_GET: sends keepalived\'s request (1.0, Host ip:port); default status 200-299; digest is MD5 of the body', async () => {
  const body = 'hello keepalived\n';
  const digest = crypto.createHash('md5').update(body).digest('hex');
  const { port, requests } = await rawHttp(() => `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n${body}`);
  const spec: ProbeSpec = { type: 'HTTP_GET', target: tgt(port), urls: [{ path: '/health', digest }] };
  const r = await runProbe(spec, opts());
  assert.equal(r.ok, true, r.detail);
  assert.equal(requests[0], `GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const bad = await runProbe({ ...spec, urls: [{ path: '/health', digest: '0'.repeat(32) }] }, opts());
  assert.equal(bad.ok, false);
  assert.match(bad.detail, new RegExp(`MD5 digest error \\(${digest}\\)`));
});

test('HTTP_GET: status_code ranges, virtualhost, http_protocol 1.1 / 1.0C, several urls, regex', async () => {
  const { port, requests } = await rawHttp((req) => {
    const code = req.startsWith('GET /missing') ? '404 Not Found' : '200 OK';
    return `HTTP/1.1 ${code}\r\nConnection: close\r\n\r\nstatus page: all good`;
  });
  const base = { type: 'HTTP_GET' as const, target: tgt(port) };
  const r404 = await runProbe({ ...base, urls: [{ path: '/missing' }] }, opts());
  assert.equal(r404.ok, false);
  assert.match(r404.detail, /HTTP status code error \(404\)/);
  const ok404 = await runProbe({ ...base, urls: [{ path: '/missing', statusCodes: [[200, 299], [404, 404]] }] }, opts());
  assert.equal(ok404.ok, true);
  const v = await runProbe({ ...base, httpProtocol: '1.1', virtualhost: 'www.example.com', urls: [{ path: '/' }] }, opts());
  assert.equal(v.ok, true);
  assert.equal(requests.at(-1), 'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n');
  assert.equal(
    buildHttpRequest('/x', '1.0C', { connectIp: '2001:db8::1', connectPort: 8080 }),
    'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [2001:db8::1]:8080\r\n\r\n',
  );
  const n = requests.length;
  const two = await runProbe({ ...base, urls: [{ path: '/a' }, { path: '/missing' }, { path: '/c' }] }, opts());
  assert.equal(two.ok, false);
  assert.equal(requests.length, n + 2, 'stops at the first failing url');
  assert.equal((await runProbe({ ...base, urls: [{ path: '/', regex: 'all good' }] }, opts())).ok, true);
  assert.equal((await runProbe({ ...base, urls: [{ path: '/', regex: 'all good', regexNoMatch: true }] }, opts())).ok, false);
});

test('HTTP_GET: a server that never answers times out', async () => {
  const { port } = await rawHttp(() => null);
  const t0 = Date.now();
  const r = await runProbe({ type: 'HTTP_GET', target: tgt(port), urls: [{ path: '/' }] }, opts(300));
  assert.equal(r.ok, false);
  assert.match(r.detail, /Timeout WEB read/);
  assert.ok(Date.now() - t0 < 1500);
});

// ---------------------------------------------------------------- SSL_GET
function selfSigned(): { key: Buffer; cert: Buffer; certPath: string } {
  const keyPath = path.join(tmp, 'key.pem');
  const certPath = path.join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=rs.example.com', '-addext', 'subjectAltName=DNS:rs.example.com'], { stdio: 'ignore' });
  return { key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath), certPath };
}

test('SSL_GET: self-signed certificate accepted (not verified, as keepalived); verify fails it; enable_sni sends the virtualhost', async () => {
  const { key, cert, certPath } = selfSigned();
  const snis: Array<string | false> = [];
  const server = tls.createServer({ key, cert }, (s) => {
    snis.push(s.servername ?? false);
    s.once('data', () => s.end('HTTP/1.0 200 OK\r\n\r\nsecure'));
    s.on('error', () => {});
  });
  const port = await listen(server);
  const spec: ProbeSpec = { type: 'SSL_GET', target: tgt(port), urls: [{ path: '/', digest: crypto.createHash('md5').update('secure').digest('hex') }] };
  const r = await runProbe(spec, opts());
  assert.equal(r.ok, true, r.detail);
  const v = await runProbe({ ...spec, ssl: { verify: true } }, opts());
  assert.equal(v.ok, false);
  assert.match(v.detail, /self[- ]signed|SELF_SIGNED/i);
  const withCa = await runProbe({ ...spec, virtualhost: 'rs.example.com', enableSni: true, ssl: { verify: true, ca: certPath } }, opts());
  assert.equal(withCa.ok, true, withCa.detail);
  assert.deepEqual(snis, [false, 'rs.example.com']);
});

// ---------------------------------------------------------------- SMTP_CHECK
function smtpServer(banner: string, heloReply: string): Promise<{ port: number; lines: string[] }> {
  const lines: string[] = [];
  const server = net.createServer((s) => {
    s.setEncoding('latin1');
    s.write(banner);
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        lines.push(line);
        if (line.startsWith('HELO')) s.write(heloReply);
        else if (line === 'QUIT') s.end('221 2.0.0 Bye\r\n');
      }
    });
    s.on('error', () => {});
  });
  return listen(server).then((port) => ({ port, lines }));
}

test('SMTP_CHECK: 220 banner, HELO <helo_name>, 250, QUIT', async () => {
  const { port, lines } = await smtpServer('220 mx.example.com ESMTP\r\n', '250 mx.example.com\r\n');
  const r = await runProbe({ type: 'SMTP_CHECK', target: tgt(port), heloName: 'lb1.example.com' }, opts());
  assert.equal(r.ok, true, r.detail);
  assert.deepEqual(lines, ['HELO lb1.example.com', 'QUIT']);
  const d = await runProbe({ type: 'SMTP_CHECK', target: tgt(port) }, opts());
  assert.equal(d.ok, true);
  assert.equal(lines[2], 'HELO smtpchecker.keepalived.org');
});

test('SMTP_CHECK: bad banner, multi-line banner and bad HELO reply fail', async () => {
  const a = await smtpServer('554 go away\r\n', '250 ok\r\n');
  const ra = await runProbe({ type: 'SMTP_CHECK', target: tgt(a.port) }, opts());
  assert.equal(ra.ok, false);
  assert.match(ra.detail, /Bad greeting banner/);
  const b = await smtpServer('220-mx.example.com hello\r\n220 more\r\n', '250 ok\r\n');
  assert.equal((await runProbe({ type: 'SMTP_CHECK', target: tgt(b.port) }, opts())).ok, false);
  const c = await smtpServer('220 mx\r\n', '501 bad helo\r\n');
  const rc = await runProbe({ type: 'SMTP_CHECK', target: tgt(c.port) }, opts());
  assert.equal(rc.ok, false);
  assert.match(rc.detail, /Bad HELO response/);
  assert.deepEqual([smtpStatus('220 x'), smtpStatus('220'), smtpStatus('220-x'), smtpStatus('22 x'), smtpStatus('250 ok\r')], [220, 220, -1, -1, 250]);
});

// ---------------------------------------------------------------- MISC_CHECK
test('MISC_CHECK: exit 0 up, 1 down, misc_dynamic 2..255 sets weight status-2, otherwise fails', async () => {
  const misc = (cmd: string, dyn = false) => runProbe({ type: 'MISC_CHECK', miscPath: cmd, miscDynamic: dyn }, opts(5000));
  assert.deepEqual(await misc('/bin/sh -c "exit 0"'), { ok: true, detail: 'succeeded' });
  assert.deepEqual(await misc("/bin/sh -c 'exit 1'", true), { ok: false, detail: 'failed (exited with status 1)' });
  assert.deepEqual(await misc('/bin/sh -c "exit 12"', true), { ok: true, detail: 'succeeded (exit status 12)', weight: 10 });
  assert.deepEqual(await misc('/bin/sh -c "exit 255"', true), { ok: true, detail: 'succeeded (exit status 255)', weight: 253 });
  assert.deepEqual(await misc('/bin/sh -c "exit 12"', false), { ok: false, detail: 'failed (exited with status 12)' });
  const nf = await misc('/nonexistent/kts-script');
  assert.equal(nf.ok, false);
  assert.match(nf.detail, /ENOENT/);
  assert.deepEqual(judgeExit(null, 'SIGKILL', true), { ok: false, detail: 'failed (due to signal SIGKILL)' });
  assert.deepEqual(splitCommand(`/usr/bin/check "a b" 'c d' e\\ f`), ['/usr/bin/check', 'a b', 'c d', 'e f']);
});

test('MISC_CHECK: misc_timeout kills the script\'s process group', async () => {
  const pidFile = path.join(tmp, 'sleep.pid');
  const script = path.join(tmp, 'hang.sh');
  fs.writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > ${pidFile}\nwait\n`, { mode: 0o755 });
  const t0 = Date.now();
  const r = await runProbe({ type: 'MISC_CHECK', miscPath: script }, opts(300));
  assert.deepEqual(r, { ok: false, detail: 'timed out after 300 ms' });
  assert.ok(Date.now() - t0 < 2000);
  const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
  const deadline = Date.now() + 3000;
  let alive = true;
  while (alive && Date.now() < deadline) {
    try {
      process.kill(grandchild, 0);
      await new Promise((res) => setTimeout(res, 50));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, 'the whole group is gone');
});

// ---------------------------------------------------------------- DNS_CHECK
async function dnsServer(respond: (q: Buffer, send: (b: Buffer) => void) => void): Promise<{ port: number; queries: Buffer[] }> {
  const queries: Buffer[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    queries.push(msg);
    respond(msg, (b) => sock.send(b, rinfo.port, rinfo.address));
  });
  await new Promise<void>((r) => sock.bind(0, LO, () => r()));
  closers.push(() => sock.close());
  return { port: sock.address().port, queries };
}

function dnsReply(q: Buffer, opts: { id?: number; qr?: boolean; rcode?: number; ancount?: number }): Buffer {
  const b = Buffer.from(q);
  b.writeUInt16BE(opts.id ?? q.readUInt16BE(0), 0);
  b.writeUInt16BE((opts.qr === false ? 0 : 0x8000) | 0x0100 | 0x0080 | (opts.rcode ?? 0), 2);
  b.writeUInt16BE(opts.ancount ?? 0, 6);
  return b;
}

test('DNS_CHECK: SOA for the root by default; wrong id and non-responses ignored; NOERROR (even without answers) is up', async () => {
  const { port, queries } = await dnsServer((q, send) => {
    send(dnsReply(q, { id: (q.readUInt16BE(0) + 1) & 0xffff }));
    send(dnsReply(q, { qr: false }));
    send(dnsReply(q, { ancount: 0 }));
  });
  const r = await runProbe({ type: 'DNS_CHECK', target: tgt(port) }, opts());
  assert.equal(r.ok, true, r.detail);
  const q = queries[0];
  assert.deepEqual(q.subarray(2), Buffer.from([0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]));
  assert.deepEqual(
    encodeDnsQuery(0x1234, 'A', 'www.example.com.'),
    Buffer.from('123401000001000000000000' + '03777777' + '076578616d706c65' + '03636f6d' + '00' + '0001' + '0001', 'hex'),
  );
});

test('DNS_CHECK: an error RCODE is down; silence times out', async () => {
  const nx = await dnsServer((q, send) => send(dnsReply(q, { rcode: 3 })));
  const r = await runProbe({ type: 'DNS_CHECK', target: tgt(nx.port), dnsType: 'A', name: 'nope.example.com' }, opts());
  assert.deepEqual(r.ok, false);
  assert.match(r.detail, /rcode = 3/);
  assert.equal(nx.queries[0].readUInt16BE(nx.queries[0].length - 4), 1, 'type A');
  const mute = await dnsServer(() => {});
  const t = await runProbe({ type: 'DNS_CHECK', target: tgt(mute.port) }, opts(200));
  assert.equal(t.ok, false);
  assert.match(t.detail, /read timeout/);
});

// ---------------------------------------------------------------- UDP_CHECK
test('UDP_CHECK: port unreachable is down; silence is up unless require_reply; replies are length/pattern checked', async () => {
  const refused = await runProbe({ type: 'UDP_CHECK', target: tgt(await closedPort()), payload: Buffer.from('ping') }, opts(500));
  assert.equal(refused.ok, false);
  assert.match(refused.detail, /ECONNREFUSED/);
  const mute = await dnsServer(() => {});
  assert.equal((await runProbe({ type: 'UDP_CHECK', target: tgt(mute.port) }, opts(200))).ok, true);
  assert.equal((await runProbe({ type: 'UDP_CHECK', target: tgt(mute.port), requireReply: true }, opts(200))).ok, false);
  const echo = await dnsServer((q, send) => send(Buffer.concat([Buffer.from([0xab, 0x12]), q])));
  const payload = Buffer.from('hello');
  assert.equal((await runProbe({ type: 'UDP_CHECK', target: tgt(echo.port), payload, requireReply: true }, opts())).ok, true);
  assert.deepEqual(echo.queries.at(-1), payload);
  const pat = parseHexStr('AB 1X');
  assert.equal((await runProbe({ type: 'UDP_CHECK', target: tgt(echo.port), payload, requireReply: pat }, opts())).ok, true);
  const mis = await runProbe({ type: 'UDP_CHECK', target: tgt(echo.port), payload, requireReply: parseHexStr('AC') }, opts());
  assert.equal(mis.ok, false);
  assert.match(mis.detail, /mismatch/);
  assert.equal((await runProbe({ type: 'UDP_CHECK', target: tgt(echo.port), payload, requireReply: true, maxReplyLength: 4 }, opts())).ok, false);
  // keepalived.conf(5): "Ab12f 3 456 546443123" is AB 12 0F 03 45 06 54 64 43 12 03
  assert.equal(parseHexStr('Ab12f 3 456 546443123').data.toString('hex'), 'ab120f03450654644312' + '03');
  assert.equal(udpReplyOk(Buffer.from([0xab, 0x19]), { target: tgt(1), requireReply: pat }), true);
  assert.equal(udpReplyOk(Buffer.from([0xab, 0x29]), { target: tgt(1), requireReply: pat }), false);
});

// ---------------------------------------------------------------- PING_CHECK
// The echo matching is in ping.test.ts; the real socket in test/e2e/ping-check.test.ts.
test('PING_CHECK: without the process\'s ICMP sockets it fails saying so; probePort hands them to the probe', async () => {
  const r = await runProbe({ type: 'PING_CHECK', target: tgt(0) }, opts());
  assert.deepEqual(r, { ok: false, detail: 'PING_CHECK unavailable: no ICMP echo socket in this process' });
  const sent: string[] = [];
  const pinger = new Pinger({
    open: (family, ev) => ({
      kind: 'raw',
      send: (dst, msg) => {
        sent.push(`${family} ${dst}`);
        const reply = Buffer.from(msg);
        reply[0] = 0;
        reply.writeUInt16BE(0, 2);
        reply.writeUInt16BE(internetChecksum(reply), 2);
        setImmediate(() => ev.message({ data: reply, src: dst }));
      },
      close: () => {},
    }),
  });
  const up = await probePort({ pinger })({ type: 'PING_CHECK', target: tgt(0) }, opts());
  assert.equal(up.ok, true, up.detail);
  assert.match(up.detail, /^echo reply from 127\.0\.0\.1 \(seq \d+, [\d.]+ ms\)$/);
  assert.deepEqual(sent, ['4 127.0.0.1']);
});

// ---------------------------------------------------------------- FILE_CHECK
test('FILE_CHECK: value 0 up, non-zero down (reverse inverts); with a weight the value scales the real server weight', async () => {
  const f = path.join(tmp, 'track');
  const file = (weight?: number, reverse?: boolean) => runProbe({ type: 'FILE_CHECK', path: f, weight, reverse }, opts());
  fs.writeFileSync(f, '0\n');
  assert.equal((await file()).ok, true);
  assert.equal((await file(0, true)).ok, false);
  fs.writeFileSync(f, '3\n');
  assert.equal((await file()).ok, false);
  assert.equal((await file(0, true)).ok, true);
  assert.equal((await file(10)).weightDelta, 30);
  assert.equal((await file(10, true)).weightDelta, -30);
  fs.rmSync(f);
  assert.equal((await file()).ok, true, 'a missing file reads as 0');
  assert.deepEqual([parseTrackValue(' -12x'), parseTrackValue('0x10'), parseTrackValue('abc')], [-12, 16, 0]);
  assert.equal(judgeFileValue(-2147483647, 2, false).ok, false);
});
