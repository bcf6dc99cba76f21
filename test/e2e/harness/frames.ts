/**
 * Decoding captured Ethernet frames for assertions: VRRP adverts (IPv4 and
 * IPv6, with the IP header fields the RFCs constrain), gratuitous ARPs and
 * unsolicited Neighbour Advertisements.
 */
import { decodeAdvert } from '../../../src/vrrp/codec';
import type { Advert, ChecksumVariant } from '../../../src/vrrp/codec/types';

export interface VrrpFrame {
  t: number;
  srcMac: string;
  dstMac: string;
  family: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  /** IPv4 TOS / IPv6 traffic class. */
  tos: number;
  /** IPv4 don't-fragment bit (false for IPv6). */
  df: boolean;
  /** The decoded advert, or the drop reason our decoder gives. */
  advert?: Advert;
  checksum?: ChecksumVariant;
  drop?: string;
  payload: Buffer;
}

export interface ArpFrame {
  t: number;
  srcMac: string;
  op: number;
  senderMac: string;
  senderIp: string;
  targetIp: string;
}

export interface NaFrame {
  t: number;
  srcMac: string;
  src: string;
  dst: string;
  target: string;
  override: boolean;
  hopLimit: number;
}

const mac = (b: Buffer, o: number) => [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ip4 = (b: Buffer, o: number) => [...b.subarray(o, o + 4)].join('.');
function ip6(b: Buffer, o: number): string {
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(b.readUInt16BE(o + 2 * i).toString(16));
  // RFC 5952: compress the longest run of zero words.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** Ethertype and L3 offset, skipping one 802.1Q tag. */
function l3(frame: Buffer): { type: number; off: number } | undefined {
  if (frame.length < 14) return undefined;
  let type = frame.readUInt16BE(12);
  let off = 14;
  if (type === 0x8100 && frame.length >= 18) {
    type = frame.readUInt16BE(16);
    off = 18;
  }
  return { type, off };
}

export function vrrpFrames(timed: { t: number; frame: Buffer }[]): VrrpFrame[] {
  const out: VrrpFrame[] = [];
  for (const { t, frame } of timed) {
    const h = l3(frame);
    if (!h) continue;
    let family: 4 | 6;
    let src: string;
    let dst: string;
    let ttl: number;
    let tos: number;
    let df = false;
    let payload: Buffer;
    if (h.type === 0x0800) {
      const ihl = (frame[h.off] & 0x0f) * 4;
      if (frame[h.off + 9] !== 112) continue;
      family = 4;
      ttl = frame[h.off + 8];
      tos = frame[h.off + 1];
      df = (frame[h.off + 6] & 0x40) !== 0;
      src = ip4(frame, h.off + 12);
      dst = ip4(frame, h.off + 16);
      const total = frame.readUInt16BE(h.off + 2);
      payload = frame.subarray(h.off + ihl, h.off + total);
    } else if (h.type === 0x86dd) {
      if (frame[h.off + 6] !== 112) continue;
      family = 6;
      ttl = frame[h.off + 7];
      tos = (frame.readUInt16BE(h.off) >> 4) & 0xff;
      src = ip6(frame, h.off + 8);
      dst = ip6(frame, h.off + 24);
      const plen = frame.readUInt16BE(h.off + 4);
      payload = frame.subarray(h.off + 40, h.off + 40 + plen);
    } else continue;
    const r = decodeAdvert(payload, { family, src, dst, ttl, checkTtl: false });
    const f: VrrpFrame = { t, srcMac: mac(frame, 6), dstMac: mac(frame, 0), family, src, dst, ttl, tos, df, payload };
    if (r.ok) {
      f.advert = r.advert;
      f.checksum = r.checksum;
    } else f.drop = r.reason;
    out.push(f);
  }
  return out;
}

export function arpFrames(timed: { t: number; frame: Buffer }[]): ArpFrame[] {
  const out: ArpFrame[] = [];
  for (const { t, frame } of timed) {
    const h = l3(frame);
    if (!h || h.type !== 0x0806 || frame.length < h.off + 28) continue;
    out.push({
      t,
      srcMac: mac(frame, 6),
      op: frame.readUInt16BE(h.off + 6),
      senderMac: mac(frame, h.off + 8),
      senderIp: ip4(frame, h.off + 14),
      targetIp: ip4(frame, h.off + 24),
    });
  }
  return out;
}

export function naFrames(timed: { t: number; frame: Buffer }[]): NaFrame[] {
  const out: NaFrame[] = [];
  for (const { t, frame } of timed) {
    const h = l3(frame);
    if (!h || h.type !== 0x86dd || frame[h.off + 6] !== 58) continue;
    const icmp = h.off + 40;
    if (frame.length < icmp + 24 || frame[icmp] !== 136) continue;
    out.push({
      t,
      srcMac: mac(frame, 6),
      src: ip6(frame, h.off + 8),
      dst: ip6(frame, h.off + 24),
      hopLimit: frame[h.off + 7],
      override: (frame[icmp + 4] & 0x20) !== 0,
      target: ip6(frame, icmp + 8),
    });
  }
  return out;
}

/** Adverts of one VRID from one source. */
export function advertsFrom(frames: VrrpFrame[], src: string, vrid?: number): VrrpFrame[] {
  return frames.filter((f) => f.src === src && f.advert && (vrid === undefined || f.advert.vrid === vrid));
}

/** Largest gap (ms) between consecutive times. */
export function maxGap(times: number[]): number {
  let g = 0;
  for (let i = 1; i < times.length; i++) g = Math.max(g, times[i] - times[i - 1]);
  return g;
}
