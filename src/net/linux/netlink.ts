/**
 * rtnetlink in TypeScript over the addon's AF_NETLINK socket primitive.
 *
 * Messages are plain TLV (linux/netlink.h, linux/rtnetlink.h): a 16-byte
 * nlmsghdr, a fixed family header (ifinfomsg / ifaddrmsg), then 4-byte aligned
 * rtattrs. The kernel handles an rtnetlink request inside sendmsg(), so its ACK
 * (and the first part of a dump) is already queued when send returns: request()
 * drains the socket synchronously and only falls back to the libuv poll when
 * an answer is not complete yet. That keeps an address add/remove well under a
 * millisecond.
 */
import * as os from 'node:os';
import { KtsError } from '../../core/errors';
import type { KtsNative, WatchHandle } from '../../native';
import type { Family } from '../ports';

// linux/netlink.h
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
const NLM_F_CAPPED = 0x100; // in NLMSG_ERROR
const NLM_F_ACK_TLVS = 0x200; // in NLMSG_ERROR
const NLMSGERR_ATTR_MSG = 1;

// linux/rtnetlink.h
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV6_IFADDR = 0x100;

// linux/if_link.h, linux/if_addr.h
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_PRIVATE = 1;
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_FLAGS = 8;
export const IFA_CACHEINFO = 6;
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const RT_SCOPE = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The payload after the 16-byte header. */
  body: Buffer;
}

export type Attr = { type: number; data: Buffer };

const align4 = (n: number): number => (n + 3) & ~3;

/** Encodes one rtattr (header + data + padding). */
export function attr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const b = Buffer.alloc(align4(len));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  data.copy(b, 4);
  return b;
}
export const attrU32 = (type: number, v: number): Buffer => {
  const d = Buffer.alloc(4);
  d.writeUInt32LE(v >>> 0, 0);
  return attr(type, d);
};
export const attrStr = (type: number, s: string): Buffer => attr(type, Buffer.from(s + '\0', 'utf8'));
export const attrNest = (type: number, ...children: Buffer[]): Buffer => attr(type, Buffer.concat(children));

/** Parses rtattrs in buf[off..]; stops at the first malformed one. */
export function parseAttrs(buf: Buffer, off: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4 || off + len > buf.length) break;
    out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** Encodes a full netlink message. */
export function encodeMessage(type: number, flags: number, seq: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq >>> 0, 8);
  h.writeUInt32LE(0, 12);
  return Buffer.concat([h, body]);
}

/** Splits a datagram into messages; bounds checked. */
export function parseMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      body: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** ifinfomsg: family, type, index, flags, change (16 bytes). */
export function ifinfomsg(index: number, flags = 0, change = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

/** ifaddrmsg: family, prefixlen, flags (low 8 bits), scope, index (8 bytes). */
export function ifaddrmsg(family: number, prefixLength: number, flags: number, scope: number, index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixLength, 1);
  b.writeUInt8(flags & 0xff, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index >>> 0, 4);
  return b;
}

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  flags: number;
  /** IFF_UP and IFF_RUNNING. */
  up: boolean;
  mac?: Buffer;
  kind?: string;
}

export interface AddressInfo {
  ifindex: number;
  family: Family;
  address: string;
  prefixLength: number;
  /** IFA_FLAGS when present (32 bits), else ifa_flags. */
  flags: number;
  scope: number;
  label?: string;
}

export function decodeLink(m: NlMessage): LinkInfo | undefined {
  if (m.body.length < 16) return undefined;
  const ifindex = m.body.readInt32LE(4);
  const flags = m.body.readUInt32LE(8);
  const a = parseAttrs(m.body, 16);
  const name = a.get(IFLA_IFNAME);
  if (!name) return undefined;
  const info: LinkInfo = {
    ifindex,
    ifname: cstr(name),
    flags,
    up: (flags & IFF_UP) !== 0 && (flags & IFF_RUNNING) !== 0,
  };
  const mac = a.get(IFLA_ADDRESS);
  if (mac) info.mac = Buffer.from(mac);
  const li = a.get(IFLA_LINKINFO);
  if (li) {
    const kind = parseAttrs(li, 0).get(IFLA_INFO_KIND);
    if (kind) info.kind = cstr(kind);
  }
  return info;
}

export function decodeAddress(m: NlMessage): AddressInfo | undefined {
  if (m.body.length < 8) return undefined;
  const fam = m.body.readUInt8(0);
  if (fam !== AF_INET && fam !== AF_INET6) return undefined;
  const a = parseAttrs(m.body, 8);
  // IFA_LOCAL is our address on point-to-point links; IFA_ADDRESS otherwise.
  const raw = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS);
  if (!raw) return undefined;
  const flagsAttr = a.get(IFA_FLAGS);
  const label = a.get(IFA_LABEL);
  const info: AddressInfo = {
    ifindex: m.body.readUInt32LE(4),
    family: fam === AF_INET ? 4 : 6,
    address: ipToText(raw),
    prefixLength: m.body.readUInt8(1),
    flags: flagsAttr && flagsAttr.length >= 4 ? flagsAttr.readUInt32LE(0) : m.body.readUInt8(2),
    scope: m.body.readUInt8(3),
  };
  if (label) info.label = cstr(label);
  return info;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z < 0 ? b.length : z);
}

/** IPv4/IPv6 text → bytes (4 or 16). Throws KtsError('BAD_ADDRESS'). */
export function ipToBytes(text: string, family: Family): Buffer {
  if (family === 4) {
    const p = text.split('.');
    if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) {
      throw new KtsError('BAD_ADDRESS', `not an IPv4 address: ${text}`);
    }
    return Buffer.from(p.map(Number));
  }
  const bad = (): KtsError => new KtsError('BAD_ADDRESS', `not an IPv6 address: ${text}`);
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // An embedded dotted quad (::ffff:192.0.2.1) becomes two hex words.
  const v4 = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const q = ipToBytes(v4[1], 4);
    s = s.slice(0, s.length - v4[1].length) + `${q.readUInt16BE(0).toString(16)}:${q.readUInt16BE(2).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) throw bad();
  const parse = (h: string): number[] =>
    h === ''
      ? []
      : h.split(':').map((x) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(x)) throw bad();
          return parseInt(x, 16);
        });
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (halves.length === 2 ? head.length + rest.length > 7 : head.length !== 8) throw bad();
  const words = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest] : head;
  const b = Buffer.alloc(16);
  words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

/** Bytes (4 or 16) → canonical text (RFC 5952 for IPv6). */
export function ipToText(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(b.readUInt16BE(i));
  // longest run of >= 2 zero words
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Canonical text of an address (so comparisons are exact). */
export const canonicalIp = (text: string, family: Family): string => ipToText(ipToBytes(text, family));

const ERRNO_NAMES: Map<number, string> = new Map(
  Object.entries(os.constants.errno).map(([name, n]) => [n as number, name]),
);

/** A netlink NLMSG_ERROR as a KtsError whose code is the errno name (EEXIST, EADDRNOTAVAIL...). */
export class NetlinkError extends KtsError {
  constructor(readonly errno: number, readonly detail: string | undefined, what: string) {
    const name = ERRNO_NAMES.get(errno) ?? `E${errno}`;
    super(name, `${what}: ${name}${detail ? ` (${detail})` : ''}`);
    this.name = 'NetlinkError';
  }
}

interface Pending {
  what: string;
  dump: boolean;
  out: NlMessage[];
  resolve: (m: NlMessage[]) => void;
  reject: (e: Error) => void;
}

/**
 * One NETLINK_ROUTE socket. With `groups` it also delivers kernel
 * notifications (seq 0) to onNotification(). Throws once closed.
 */
export class NetlinkSocket {
  readonly pid: number;
  private readonly fd: number;
  private readonly watchHandle: WatchHandle;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly pending = new Map<number, Pending>();
  private notify: ((m: NlMessage) => void) | undefined;
  private errorCb: ((e: Error) => void) | undefined;
  private closed = false;

  constructor(private readonly native: KtsNative, groups = 0, opts: { keepAlive?: boolean } = {}) {
    const s = native.netlinkOpen(groups);
    this.fd = s.fd;
    this.pid = s.pid;
    this.watchHandle = native.watch(this.fd, 0, (err, buf) => {
      if (err) this.fail(err);
      else this.dispatch(buf);
    });
    this.keepAlive = opts.keepAlive ?? false;
    this.updateRef();
  }

  private readonly keepAlive: boolean;

  onNotification(cb: (m: NlMessage) => void): void {
    this.notify = cb;
  }

  /** Socket-level errors (e.g. ENOBUFS: notifications were lost; resync). */
  onError(cb: (e: Error) => void): void {
    this.errorCb = cb;
  }

  /**
   * Sends one request and resolves with its answer: for a dump, every message
   * up to NLMSG_DONE; otherwise the NLMSG_ERROR ack (code 0). A non-zero
   * error code rejects with a NetlinkError.
   */
  request(type: number, flags: number, what: string, ...parts: Buffer[]): Promise<NlMessage[]> {
    if (this.closed) return Promise.reject(new KtsError('NETLINK_CLOSED', 'netlink socket is closed'));
    const seq = (this.seq = (this.seq + 1) >>> 0 || 1);
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const msg = encodeMessage(type, flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK), seq, ...parts);
    return new Promise<NlMessage[]>((resolve, reject) => {
      this.pending.set(seq, { what, dump, out: [], resolve, reject });
      try {
        this.native.netlinkSend(this.fd, msg);
      } catch (e) {
        this.pending.delete(seq);
        reject(e as Error);
        return;
      }
      this.updateRef();
      this.drain();
    });
  }

  /** Reads what is queued now (the kernel answers rtnetlink requests inside sendmsg). */
  private drain(): void {
    for (let i = 0; i < 1024 && !this.closed && this.pending.size > 0; i++) {
      let buf: Buffer | null;
      try {
        buf = this.native.recv(this.fd);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      if (buf === null) return;
      this.dispatch(buf);
    }
  }

  private dispatch(buf: Buffer): void {
    for (const m of parseMessages(buf)) {
      const p = m.seq !== 0 && m.pid === this.pid ? this.pending.get(m.seq) : undefined;
      if (!p) {
        if (m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE && m.type !== NLMSG_NOOP) this.notify?.(m);
        continue;
      }
      if (m.type === NLMSG_ERROR) {
        const code = m.body.length >= 4 ? m.body.readInt32LE(0) : -1;
        this.settle(m.seq);
        if (code === 0) p.resolve(p.out);
        else p.reject(new NetlinkError(-code, extAckMessage(m), p.what));
      } else if (m.type === NLMSG_DONE) {
        this.settle(m.seq);
        p.resolve(p.out);
      } else if (m.type !== NLMSG_NOOP) {
        p.out.push(m);
      }
    }
  }

  private settle(seq: number): void {
    this.pending.delete(seq);
    this.updateRef();
  }

  private fail(e: Error): void {
    // ENOBUFS on a notification socket means lost events, not a broken socket.
    if (this.pending.size === 0) {
      this.errorCb?.(e);
      return;
    }
    for (const [, p] of this.pending) p.reject(e);
    this.pending.clear();
    this.updateRef();
    this.errorCb?.(e);
  }

  private updateRef(): void {
    if (!this.closed) this.native.watchRef(this.watchHandle, this.keepAlive || this.pending.size > 0);
  }

  /** Idempotent. Pending requests reject with NETLINK_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.unwatch(this.watchHandle);
    this.native.close(this.fd);
    const e = new KtsError('NETLINK_CLOSED', 'netlink socket is closed');
    for (const [, p] of this.pending) p.reject(e);
    this.pending.clear();
  }
}

function extAckMessage(m: NlMessage): string | undefined {
  if ((m.flags & NLM_F_ACK_TLVS) === 0 || m.body.length < 20) return undefined;
  const origLen = m.body.readUInt32LE(4);
  const off = 4 + ((m.flags & NLM_F_CAPPED) !== 0 ? 16 : align4(origLen));
  if (off > m.body.length) return undefined;
  const msg = parseAttrs(m.body, off).get(NLMSGERR_ATTR_MSG);
  return msg ? cstr(msg) : undefined;
}

/** All links (RTM_GETLINK dump). */
export async function dumpLinks(nl: NetlinkSocket): Promise<LinkInfo[]> {
  const ms = await nl.request(RTM_GETLINK, NLM_F_DUMP, 'dump links', ifinfomsg(0));
  return ms.filter((m) => m.type === RTM_NEWLINK).map(decodeLink).filter((x): x is LinkInfo => x !== undefined);
}

/** All addresses of a family, or both (RTM_GETADDR dump). */
export async function dumpAddresses(nl: NetlinkSocket, family?: Family): Promise<AddressInfo[]> {
  const af = family === 4 ? AF_INET : family === 6 ? AF_INET6 : AF_UNSPEC;
  const ms = await nl.request(RTM_GETADDR, NLM_F_DUMP, 'dump addresses', ifaddrmsg(af, 0, 0, 0, 0));
  return ms.filter((m) => m.type === RTM_NEWADDR).map(decodeAddress).filter((x): x is AddressInfo => x !== undefined);
}

/**
 * keepalived's choice of an interface's own address: IPv4 the first primary
 * (not secondary) address; IPv6 the first link-local one (fe80::/10), preferring
 * one that is not tentative. Dump order is the kernel's, which is the order
 * addresses were added.
 */
export function pickPrimary(addrs: AddressInfo[], family: Family): string | undefined {
  if (family === 4) {
    const v4 = addrs.filter((a) => a.family === 4);
    return (v4.find((a) => (a.flags & IFA_F_SECONDARY) === 0) ?? v4[0])?.address;
  }
  const ll = addrs.filter((a) => a.family === 6 && /^fe[89ab]/i.test(a.address));
  return (ll.find((a) => (a.flags & IFA_F_TENTATIVE) === 0) ?? ll[0])?.address;
}
