/**
 * UDP_CHECK (check_udp.c, core/layer4.c udp_socket_state()): send `payload`
 * (random bytes if none) on a connected UDP socket. An ICMP error (port or
 * host unreachable, seen as ECONNREFUSED/EHOSTUNREACH on the socket) is a
 * failure. Without `require_reply`, silence until connect_timeout is a
 * success ("Handle Read timeout, we consider it success unless require_reply
 * is set"); with it, a reply is needed, its length must lie within
 * min_reply_length..max_reply_length (default 0..255) and, if a pattern was
 * given, its first min(len, pattern) bytes must match (mask bits set = ignore).
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { ConnTarget, ProbeResult, ProbeRunOptions } from '../types';
import { describe, hostPort, settleOnce } from './common';

export interface UdpProbeSpec {
  target: ConnTarget;
  payload?: Buffer;
  requireReply?: boolean | { data: Buffer; mask?: Buffer };
  minReplyLength?: number;
  maxReplyLength?: number;
}

/**
 * keepalived's HEX_STR: whitespace separated groups, each read two hex digits
 * at a time from the left, an odd last digit standing alone ("Ab12f 3" ->
 * AB 12 0F 03). `x`/`X` is a wildcard nibble, reported in `mask`.
 */
export function parseHexStr(s: string): { data: Buffer; mask: Buffer } {
  const data: number[] = [];
  const mask: number[] = [];
  for (const group of s.trim().split(/\s+/).filter(Boolean)) {
    if (!/^[0-9a-fA-FxX]+$/.test(group)) throw new SyntaxError(`bad hex string group ${JSON.stringify(group)}`);
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.length - i === 1 ? `0${group[i]}` : group.slice(i, i + 2);
      let d = 0;
      let m = 0;
      for (const ch of pair) {
        d <<= 4;
        m <<= 4;
        if (ch === 'x' || ch === 'X') m |= 0xf;
        else d |= parseInt(ch, 16);
      }
      data.push(d);
      mask.push(m);
    }
  }
  return { data: Buffer.from(data), mask: Buffer.from(mask) };
}

/** check_udp_reply(): true when the reply is acceptable. */
export function udpReplyOk(reply: Buffer, spec: UdpProbeSpec): boolean {
  const min = spec.minReplyLength ?? 0;
  const max = spec.maxReplyLength ?? 255;
  if (reply.length < min || reply.length > max) return false;
  const rr = spec.requireReply;
  if (!rr || rr === true) return true;
  const n = Math.min(reply.length, rr.data.length);
  for (let i = 0; i < n; i++) {
    const ignore = rr.mask ? rr.mask[i] ?? 0 : 0;
    if ((reply[i] ^ rr.data[i]) & ~ignore & 0xff) return false;
  }
  return true;
}

export function udpProbe(spec: UdpProbeSpec, opts: ProbeRunOptions): Promise<ProbeResult> {
  const t = spec.target;
  const where = hostPort(t.connectIp, t.connectPort);
  const needReply = Boolean(spec.requireReply);
  return settleOnce(
    opts.signal,
    opts.timeoutMs,
    () =>
      needReply
        ? { ok: false, detail: `UDP check to ${where}: no reply` }
        : { ok: true, detail: `UDP check to ${where}: no ICMP error` },
    (finish) => {
      const sock = dgram.createSocket(net.isIPv6(t.connectIp) ? 'udp6' : 'udp4');
      sock.on('error', (err) => finish({ ok: false, detail: `UDP connection to ${where} failed: ${describe(err)}` }));
      sock.on('message', (msg) => {
        if (!needReply) return finish({ ok: true, detail: `UDP check to ${where}: reply` });
        if (udpReplyOk(msg, spec)) finish({ ok: true, detail: `UDP check to ${where}: reply ok` });
        else finish({ ok: false, detail: `UDP check to ${where} reply data mismatch` });
      });
      const go = (): void =>
        sock.connect(t.connectPort, t.connectIp, () => {
          sock.send(spec.payload ?? crypto.randomBytes(16), (err) => {
            if (err) finish({ ok: false, detail: `UDP connection to ${where} failed: ${describe(err)}` });
          });
        });
      if (t.bindto || t.bindPort) sock.bind({ address: t.bindto, port: t.bindPort ?? 0 }, go);
      else go();
      return () => {
        try {
          sock.close();
        } catch {
          /* closed */
        }
      };
    },
  );
}
