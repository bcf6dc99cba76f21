/**
 * ICMP / ICMPv6 echo messages for PING_CHECK (RFC 792, RFC 4443 §4): the
 * request we send and what can come back about it. Pure: no sockets here
 * (src/check/probes/ping.ts owns the matching, the checker process the socket).
 *
 * Echo request/reply, both families (the IP header is never part of it):
 *   0 type (8 / 128 request, 0 / 129 reply)  1 code 0  2-3 checksum
 *   4-5 identifier  6-7 sequence number  8.. data, returned unchanged.
 * Errors (destination unreachable, time exceeded) quote the packet that caused
 * them after their own 8 bytes: RFC 792 "Internet Header + 64 bits of Original
 * Data Datagram", RFC 4443 §3.1 "As much of invoking packet as possible", so
 * the quoted echo request's identifier and sequence are always there.
 */
import net from 'node:net';

export type IcmpFamily = 4 | 6;

export const ICMP_ECHO_REQUEST = { 4: 8, 6: 128 } as const;
export const ICMP_ECHO_REPLY = { 4: 0, 6: 129 } as const;
const DEST_UNREACH = { 4: 3, 6: 1 } as const;
const TIME_EXCEEDED = { 4: 11, 6: 3 } as const;
/** The ICMP header: type, code, checksum, identifier, sequence. */
export const ICMP_HEADER_LEN = 8;
const IPV6_HEADER_LEN = 40;
const PROTO_ICMP = 1;
const PROTO_ICMPV6 = 58;

export interface EchoRequest {
  family: IcmpFamily;
  id: number;
  seq: number;
  data: Buffer;
}

/** What an ICMP message says about an echo request: answered, refused on the way, or nothing. */
export type IcmpVerdict =
  | { kind: 'reply'; id: number; seq: number; data: Buffer }
  | {
      kind: 'error';
      type: number;
      code: number;
      /** The quoted echo request's identifier, sequence and destination (IPv4 and ICMPv6 with no extension header). */
      id: number;
      seq: number;
      dst: string;
    }
  | { kind: 'other'; why: string };

/** RFC 1071 Internet checksum (one's complement of the one's complement sum of 16-bit words). */
export function internetChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The echo request's bytes. IPv4 carries its checksum; ICMPv6's covers a
 * pseudo-header the kernel knows and we do not (source address), so the
 * kernel fills it in (raw ICMPv6 sockets always do, RFC 3542 §3.1), as it does
 * for both families on a ping socket.
 */
export function encodeEchoRequest(r: EchoRequest): Buffer {
  if (!Number.isInteger(r.id) || r.id < 0 || r.id > 0xffff) throw new RangeError(`echo identifier ${r.id} is not 0..65535`);
  if (!Number.isInteger(r.seq) || r.seq < 0 || r.seq > 0xffff) throw new RangeError(`echo sequence ${r.seq} is not 0..65535`);
  const b = Buffer.alloc(ICMP_HEADER_LEN + r.data.length);
  b[0] = ICMP_ECHO_REQUEST[r.family];
  b[1] = 0;
  b.writeUInt16BE(r.id, 4);
  b.writeUInt16BE(r.seq, 6);
  r.data.copy(b, ICMP_HEADER_LEN);
  if (r.family === 4) b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

/** Reads one received ICMP message (no IP header) as far as echo requests are concerned. */
export function decodeIcmp(family: IcmpFamily, msg: Buffer): IcmpVerdict {
  if (msg.length < ICMP_HEADER_LEN) return { kind: 'other', why: `short ICMP message (${msg.length} bytes)` };
  const type = msg[0];
  const code = msg[1];
  if (type === ICMP_ECHO_REPLY[family]) {
    // ICMPv6 checksums are verified by the kernel; an IPv4 raw socket leaves it to us.
    if (family === 4 && internetChecksum(msg) !== 0) return { kind: 'other', why: 'bad ICMP checksum' };
    return { kind: 'reply', id: msg.readUInt16BE(4), seq: msg.readUInt16BE(6), data: msg.subarray(ICMP_HEADER_LEN) };
  }
  if (type !== DEST_UNREACH[family] && type !== TIME_EXCEEDED[family]) return { kind: 'other', why: `ICMP type ${type}` };
  const quoted = quotedEcho(family, msg.subarray(ICMP_HEADER_LEN));
  if (!quoted) return { kind: 'other', why: `ICMP type ${type} code ${code} about something else than an echo request` };
  return { kind: 'error', type, code, ...quoted };
}

/** The echo request an error quotes: its IP header's destination, then its identifier and sequence. */
function quotedEcho(family: IcmpFamily, q: Buffer): { id: number; seq: number; dst: string } | undefined {
  let echo: Buffer;
  let dst: string;
  if (family === 4) {
    if (q.length < 20 || q[0] >> 4 !== 4) return undefined;
    const ihl = (q[0] & 0x0f) * 4;
    if (ihl < 20 || q[9] !== PROTO_ICMP || q.length < ihl + ICMP_HEADER_LEN) return undefined;
    dst = [...q.subarray(16, 20)].join('.');
    echo = q.subarray(ihl);
  } else {
    if (q.length < IPV6_HEADER_LEN + ICMP_HEADER_LEN || q[0] >> 4 !== 6 || q[6] !== PROTO_ICMPV6) return undefined;
    dst = ipv6Text(q.subarray(24, 40));
    echo = q.subarray(IPV6_HEADER_LEN);
  }
  if (echo[0] !== ICMP_ECHO_REQUEST[family]) return undefined;
  return { id: echo.readUInt16BE(4), seq: echo.readUInt16BE(6), dst };
}

/** 16 bytes as canonical IPv6 text (RFC 5952, as inet_ntop and the WHATWG URL parser write it). */
function ipv6Text(b: Buffer): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  return canonicalIp(words.join(':'));
}

/**
 * One text per address, so a reply's source compares with the configured
 * target: IPv6 compressed and lower case, without a zone (`fe80::1%eth0`).
 * Anything else is returned as is.
 */
export function canonicalIp(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  if (!net.isIPv6(bare)) return bare;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

const UNREACH4: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  5: 'source route failed',
  6: 'destination network unknown',
  7: 'destination host unknown',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  11: 'network unreachable for TOS',
  12: 'host unreachable for TOS',
  13: 'communication administratively prohibited',
};
const UNREACH6: Record<number, string> = {
  0: 'no route to destination',
  1: 'communication administratively prohibited',
  2: 'beyond scope of source address',
  3: 'address unreachable',
  4: 'port unreachable',
  5: 'source address failed ingress/egress policy',
  6: 'reject route to destination',
};

/** "host unreachable (ICMP type 3 code 1)": RFC 792 / RFC 4443 names of an error. */
export function describeIcmpError(family: IcmpFamily, type: number, code: number): string {
  const tag = `ICMP${family === 6 ? 'v6' : ''} type ${type} code ${code}`;
  if (type === DEST_UNREACH[family]) return `${(family === 4 ? UNREACH4 : UNREACH6)[code] ?? 'destination unreachable'} (${tag})`;
  if (type === TIME_EXCEEDED[family]) return `${code === 0 ? 'hop limit exceeded in transit' : 'fragment reassembly time exceeded'} (${tag})`;
  return tag;
}
