/**
 * PING_CHECK without a socket: the echo codec (golden bytes, one negative
 * case per reason to ignore a message) and the Pinger's matching of replies
 * and errors to probes on one shared socket per family, against a fake
 * socket. The real sockets run in test/e2e/ping-check.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalIp,
  decodeIcmp,
  describeIcmpError,
  encodeEchoRequest,
  internetChecksum,
  type IcmpFamily,
} from '../../src/check/probes/icmp';
import { Pinger, type IcmpSocket, type IcmpSocketEvents } from '../../src/check/probes/ping';
import type { ConnTarget, ProbeRunOptions } from '../../src/check/types';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// ------------------------------------------------------------------ codec

test('encodeEchoRequest: RFC 792 echo with its checksum (the bytes iputils would send); ICMPv6 leaves the checksum to the kernel', () => {
  const data = Buffer.from('kts-ping');
  const v4 = encodeEchoRequest({ family: 4, id: 0x1234, seq: 7, data });
  assert.deepEqual(v4, hex('08 00 28 52 1234 0007 6b74732d70696e67'));
  assert.equal(internetChecksum(v4), 0, 'a correct checksum sums to zero');
  assert.deepEqual(encodeEchoRequest({ family: 6, id: 0x1234, seq: 7, data }), hex('80 00 0000 1234 0007 6b74732d70696e67'));
  assert.throws(() => encodeEchoRequest({ family: 4, id: 0x10000, seq: 0, data }), RangeError);
  assert.throws(() => encodeEchoRequest({ family: 4, id: 0, seq: -1, data }), RangeError);
});

test('internetChecksum: RFC 1071 example words and an odd length', () => {
  // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2, complemented 220d.
  assert.equal(internetChecksum(hex('0001 f203 f4f5 f6f7')), 0x220d);
  assert.equal(internetChecksum(hex('ff')), 0x00ff);
});

test('decodeIcmp: echo replies (a kernel reply captured in a namespace), checksums, errors quoting our request', () => {
  // What Linux answered to the request above (type 0, same id, seq and data).
  assert.deepEqual(decodeIcmp(4, hex('0000 3052 1234 0007 6b74732d70696e67')), {
    kind: 'reply', id: 0x1234, seq: 7, data: Buffer.from('kts-ping'),
  });
  assert.deepEqual(decodeIcmp(4, hex('0000 3053 1234 0007 6b74732d70696e67')), { kind: 'other', why: 'bad ICMP checksum' });
  assert.deepEqual(decodeIcmp(6, hex('8100 af05 1234 0007 6b74732d70696e67')), {
    kind: 'reply', id: 0x1234, seq: 7, data: Buffer.from('kts-ping'),
  });
  assert.deepEqual(decodeIcmp(4, hex('0000 ffff 1234')), { kind: 'other', why: 'short ICMP message (6 bytes)' });
  assert.deepEqual(decodeIcmp(4, encodeEchoRequest({ family: 4, id: 1, seq: 1, data: Buffer.alloc(0) })), { kind: 'other', why: 'ICMP type 8' });

  // Host unreachable from a router, quoting IPv4 header (192.0.2.11 -> 198.51.100.7, proto 1) + our echo's first 8 bytes.
  const ip4 = hex('4500 0054 0000 4000 4001 0000 c000020b c6336407');
  const echo4 = encodeEchoRequest({ family: 4, id: 0xbeef, seq: 42, data: Buffer.alloc(0) });
  const unreach4 = Buffer.concat([hex('0301 0000 0000 0000'), ip4, echo4]);
  assert.deepEqual(decodeIcmp(4, unreach4), { kind: 'error', type: 3, code: 1, id: 0xbeef, seq: 42, dst: '198.51.100.7' });
  const udp = Buffer.from(ip4);
  udp[9] = 17;
  assert.equal(decodeIcmp(4, Buffer.concat([hex('0303 0000 0000 0000'), udp, echo4])).kind, 'other', 'an error about UDP is not ours');
  assert.equal(decodeIcmp(4, Buffer.concat([hex('0b00 0000 0000 0000'), ip4])).kind, 'other', 'the quoted echo header is missing');

  // ICMPv6 address unreachable quoting IPv6 header (next header 58, dst 2001:db8::7) + our echo.
  const ip6 = Buffer.concat([hex('6000 0000 0010 3a40'), hex('20010db8000000000000000000000011'), hex('20010db8000000000000000000000007')]);
  const echo6 = encodeEchoRequest({ family: 6, id: 0xbeef, seq: 43, data: Buffer.from('abcdefgh') });
  assert.deepEqual(decodeIcmp(6, Buffer.concat([hex('0103 0000 0000 0000'), ip6, echo6])), {
    kind: 'error', type: 1, code: 3, id: 0xbeef, seq: 43, dst: '2001:db8::7',
  });
  assert.deepEqual(decodeIcmp(6, Buffer.concat([hex('0300 0000 0000 0000'), ip6, echo6])).kind, 'error', 'hop limit exceeded');
});

test('canonicalIp and describeIcmpError', () => {
  assert.equal(canonicalIp('2001:DB8:0::0:7'), '2001:db8::7');
  assert.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(canonicalIp('198.51.100.7'), '198.51.100.7');
  assert.equal(describeIcmpError(4, 3, 1), 'host unreachable (ICMP type 3 code 1)');
  assert.equal(describeIcmpError(4, 3, 13), 'communication administratively prohibited (ICMP type 3 code 13)');
  assert.equal(describeIcmpError(6, 1, 3), 'address unreachable (ICMPv6 type 1 code 3)');
  assert.equal(describeIcmpError(4, 11, 0), 'hop limit exceeded in transit (ICMP type 11 code 0)');
  assert.equal(describeIcmpError(4, 3, 99), 'destination unreachable (ICMP type 3 code 99)');
});

// ------------------------------------------------------------------ Pinger

interface Sent {
  family: IcmpFamily;
  dst: string;
  msg: Buffer;
  via: { src?: string; ifname?: string };
}

/** Fake ICMP sockets: records what is sent, lets the test deliver messages. */
class FakeIcmp {
  readonly sent: Sent[] = [];
  readonly opened: { family: IcmpFamily; events: IcmpSocketEvents; closed: boolean }[] = [];
  failOpen: Error | undefined;
  failSend: Error | undefined;
  ident: number | undefined;

  readonly open = (family: IcmpFamily, events: IcmpSocketEvents): IcmpSocket => {
    if (this.failOpen) throw this.failOpen;
    const rec = { family, events, closed: false };
    this.opened.push(rec);
    return {
      kind: this.ident === undefined ? 'raw' : 'ping',
      ident: this.ident,
      send: (dst, msg, via) => {
        if (this.failSend) throw this.failSend;
        this.sent.push({ family, dst, msg: Buffer.from(msg), via });
      },
      close: () => {
        rec.closed = true;
      },
    };
  };

  /** The reply a host would send to request `i`, optionally altered. */
  reply(i: number, o: { src?: string; id?: number; seq?: number; data?: Buffer } = {}): void {
    const s = this.sent[i];
    const data = o.data ?? s.msg.subarray(8);
    const r = Buffer.concat([s.msg.subarray(0, 8), data]);
    r[0] = s.family === 4 ? 0 : 129;
    if (o.id !== undefined) r.writeUInt16BE(o.id, 4);
    if (o.seq !== undefined) r.writeUInt16BE(o.seq, 6);
    r.writeUInt16BE(0, 2);
    if (s.family === 4) r.writeUInt16BE(internetChecksum(r), 2);
    this.socket(s.family).events.message({ data: r, src: o.src ?? s.dst });
  }

  /** An IPv4 host unreachable about request `i`, from `router`. */
  unreachable(i: number, router: string): void {
    const s = this.sent[i];
    const ip = hex('4500 0054 0000 4000 4001 0000 c000020b');
    const dst = Buffer.from(s.dst.split('.').map(Number));
    this.socket(4).events.message({ data: Buffer.concat([hex('0301 0000 0000 0000'), ip, dst, s.msg.subarray(0, 8)]), src: router });
  }

  socket(family: IcmpFamily) {
    return this.opened.filter((o) => o.family === family && !o.closed).at(-1)!;
  }
}

/** Deterministic "random" bytes: id 0x4b54, first sequence 0x0100, cookie 01..08. */
const fixedRandom = (n: number): Buffer => Buffer.from([0x4b, 0x54, 0x01, 0x00, 1, 2, 3, 4, 5, 6, 7, 8].slice(0, n));

function opts(timeoutMs = 1000, signal = new AbortController().signal): ProbeRunOptions {
  return { signal, timeoutMs };
}
const target = (connectIp: string, extra: Partial<ConnTarget> = {}): ConnTarget => ({ connectIp, connectPort: 0, ...extra });
const tick = () => new Promise((r) => setImmediate(r));

test('Pinger: one socket per family for all probes, opened on first use; concurrent probes get their own reply whatever the order', async () => {
  const fake = new FakeIcmp();
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  assert.equal(fake.opened.length, 0, 'nothing opened before the first probe');
  const hosts = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
  const runs = hosts.map((h) => pinger.echo(target(h), opts()));
  await tick();
  assert.equal(fake.opened.length, 1);
  assert.deepEqual(fake.sent.map((s) => [s.dst, s.msg.readUInt16BE(4), s.msg.readUInt16BE(6)]), [
    ['198.51.100.1', 0x4b54, 0x0101],
    ['198.51.100.2', 0x4b54, 0x0102],
    ['198.51.100.3', 0x4b54, 0x0103],
  ]);
  // 56 data bytes: the socket's cookie, then iputils' counting pattern.
  assert.deepEqual(fake.sent[0].msg.subarray(8, 18), hex('0102030405060708 0809'));
  assert.equal(fake.sent[0].msg.length, 64);
  fake.reply(2);
  fake.reply(0);
  fake.reply(1);
  const res = await Promise.all(runs);
  res.forEach((r, i) => {
    assert.equal(r.ok, true);
    assert.match(r.detail, new RegExp(`^echo reply from ${hosts[i].replace(/\./g, '\\.')} \\(seq ${0x0101 + i}, [\\d.]+ ms\\)$`));
  });
  // IPv6 opens its own socket, once.
  const v6 = [pinger.echo(target('2001:DB8::7'), opts()), pinger.echo(target('2001:db8::8'), opts())];
  await tick();
  assert.deepEqual(fake.opened.map((o) => o.family), [4, 6]);
  fake.reply(4, { src: '2001:db8::8' });
  fake.reply(3, { src: '2001:db8:0::7' });
  assert.deepEqual((await Promise.all(v6)).map((r) => r.ok), [true, true]);
  assert.deepEqual(pinger.counters(4), { sent: 3, replies: 3, errors: 0, ignored: 0 });
  assert.equal(pinger.socketKind(4), 'raw');
});

test('Pinger: a reply from another source, with another identifier, sequence or data is not ours', async () => {
  const fake = new FakeIcmp();
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  const run = pinger.echo(target('198.51.100.1'), opts(150));
  await tick();
  fake.reply(0, { src: '198.51.100.9' });
  fake.reply(0, { id: 0x4b55 });
  fake.reply(0, { seq: 0x0102 });
  const data = Buffer.from(fake.sent[0].msg.subarray(8));
  data[0] ^= 0xff;
  fake.reply(0, { data });
  const r = await run;
  assert.deepEqual(r, { ok: false, detail: 'no echo reply from 198.51.100.1 within 150 ms' });
  fake.reply(0);
  assert.deepEqual(pinger.counters(4), { sent: 1, replies: 0, errors: 0, ignored: 5 }, 'the late reply is ignored too');
});

test('Pinger: an ICMP error quoting our request ends that probe at once, naming the error and who sent it', async () => {
  const fake = new FakeIcmp();
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  const a = pinger.echo(target('198.51.100.1'), opts(5000));
  const b = pinger.echo(target('198.51.100.2'), opts(200));
  await tick();
  const t0 = Date.now();
  fake.unreachable(0, '192.0.2.11');
  assert.deepEqual(await a, { ok: false, detail: 'no echo reply from 198.51.100.1: host unreachable (ICMP type 3 code 1) from 192.0.2.11' });
  assert.ok(Date.now() - t0 < 1000);
  // An error quoting request 0 again, or about another destination with request 1's numbers, changes nothing for b.
  fake.unreachable(0, '192.0.2.11');
  fake.sent[1] = { ...fake.sent[1], dst: '198.51.100.99' };
  fake.unreachable(1, '192.0.2.11');
  assert.equal((await b).ok, false);
  assert.deepEqual(pinger.counters(4), { sent: 2, replies: 0, errors: 1, ignored: 2 });
});

test('Pinger: on a ping socket the kernel\'s identifier is the one sent and matched', async () => {
  const fake = new FakeIcmp();
  fake.ident = 33123;
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  const run = pinger.echo(target('198.51.100.1'), opts());
  await tick();
  assert.equal(fake.sent[0].msg.readUInt16BE(4), 33123);
  fake.reply(0);
  assert.equal((await run).ok, true);
  assert.equal(pinger.socketKind(4), 'ping');
});

test('Pinger: bindto and bind_if go with the request; a bindto of the other family, an unknown address, a send error fail with the reason', async () => {
  const fake = new FakeIcmp();
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  const run = pinger.echo(target('198.51.100.1', { bindto: '192.0.2.11', bindIf: 'eth1' }), opts());
  await tick();
  assert.deepEqual(fake.sent[0].via, { src: '192.0.2.11', ifname: 'eth1' });
  fake.reply(0);
  assert.equal((await run).ok, true);
  assert.deepEqual(await pinger.echo(target('198.51.100.1', { bindto: '2001:db8::11' }), opts()), {
    ok: false,
    detail: 'PING_CHECK: bindto 2001:db8::11 is not an IPv4 address like 198.51.100.1',
  });
  assert.deepEqual(await pinger.echo(target('rs1.example.com'), opts()), { ok: false, detail: 'PING_CHECK: rs1.example.com is not an IP address' });
  fake.failSend = Object.assign(new Error('sendmsg EPERM (Operation not permitted)'), { code: 'EPERM' });
  assert.deepEqual(await pinger.echo(target('198.51.100.1', { bindto: '192.0.2.11', bindIf: 'eth1' }), opts()), {
    ok: false,
    detail: 'cannot send echo request to 198.51.100.1 from 192.0.2.11 via eth1: sendmsg EPERM (Operation not permitted)',
  });
});

test('Pinger: a socket that cannot be opened fails each run with why, and is tried again on the next run', async () => {
  const fake = new FakeIcmp();
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  fake.failOpen = new Error('no ICMP socket: raw socket(SOCK_RAW) EPERM (Operation not permitted); ping socket socket(SOCK_DGRAM) EACCES (Permission denied)');
  assert.deepEqual(await pinger.echo(target('198.51.100.1'), opts()), {
    ok: false,
    detail: 'PING_CHECK unavailable: no ICMP socket: raw socket(SOCK_RAW) EPERM (Operation not permitted); ping socket socket(SOCK_DGRAM) EACCES (Permission denied)',
  });
  fake.failOpen = undefined;
  const run = pinger.echo(target('198.51.100.1'), opts());
  await tick();
  fake.reply(0);
  assert.equal((await run).ok, true);
});

test('Pinger: a failed socket fails its probes in flight, is closed and replaced on next use; abort and close end probes', async () => {
  const fake = new FakeIcmp();
  const pinger = new Pinger({ open: fake.open, randomBytes: fixedRandom });
  const run = pinger.echo(target('198.51.100.1'), opts());
  await tick();
  const first = fake.socket(4);
  first.events.error(Object.assign(new Error('uv_poll EBADF (Bad file descriptor)'), { code: 'EBADF' }));
  assert.deepEqual(await run, { ok: false, detail: 'ICMP socket failed: uv_poll EBADF (Bad file descriptor)' });
  assert.equal(first.closed, true);
  const again = pinger.echo(target('198.51.100.1'), opts());
  await tick();
  assert.equal(fake.opened.length, 2);
  fake.reply(1);
  assert.equal((await again).ok, true);

  const ac = new AbortController();
  const aborted = pinger.echo(target('198.51.100.2'), opts(5000, ac.signal));
  await tick();
  ac.abort(new Error('checker stopped'));
  assert.deepEqual(await aborted, { ok: false, detail: 'aborted: checker stopped' });
  fake.reply(2);
  assert.equal(pinger.counters(4).ignored, 1, 'the reply after the abort matches nothing');

  const pending = pinger.echo(target('198.51.100.3'), opts(5000));
  await tick();
  pinger.close();
  assert.deepEqual(await pending, { ok: false, detail: 'PING_CHECK stopped' });
  assert.equal(fake.socket(4), undefined, 'every socket closed');
  assert.deepEqual(await pinger.echo(target('198.51.100.3'), opts()), { ok: false, detail: 'PING_CHECK stopped' });
});

test('Pinger: sequence numbers wrap from 65535 to 0 while earlier ones are in flight', async () => {
  const fake = new FakeIcmp();
  // First sequence 0xfffe: the next ones are 0xffff, 0, 1.
  const pinger = new Pinger({ open: fake.open, randomBytes: (n) => Buffer.from([0, 1, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, n)) });
  const runs = [pinger.echo(target('198.51.100.1'), opts(5000)), pinger.echo(target('198.51.100.2'), opts(5000))];
  await tick();
  fake.reply(1);
  await runs[1];
  assert.deepEqual(fake.sent.map((s) => s.msg.readUInt16BE(6)), [0xffff, 0]);
  // 0xffff is still in flight while 1 and 2 go out.
  const more = [pinger.echo(target('198.51.100.3'), opts(5000)), pinger.echo(target('198.51.100.4'), opts(5000))];
  await tick();
  assert.deepEqual(fake.sent.map((s) => s.msg.readUInt16BE(6)), [0xffff, 0, 1, 2]);
  fake.reply(0);
  fake.reply(2);
  fake.reply(3);
  assert.deepEqual((await Promise.all([runs[0], ...more])).map((r) => r.ok), [true, true, true]);
});
