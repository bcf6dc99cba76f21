/**
 * DNS_CHECK (check_dns.c): one UDP query (RD set, QDCOUNT 1, class IN) of
 * `type` (default SOA) for `name` (default the root) to connect_ip,
 * connect_port (53 unless set). Replies whose ID differs, or that are not
 * responses (QR = 0), are ignored and the wait goes on; the first matching
 * response succeeds when its RCODE is 0 (NOERROR). keepalived 2.2.7 does not
 * look at the answer count.
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { ConnTarget, DnsType, ProbeResult, ProbeRunOptions } from '../types';
import { describe, hostPort, settleOnce } from './common';

export const DNS_TYPES: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

/** Encode a query as keepalived's dns_make_query() does. */
export function encodeDnsQuery(id: number, type: DnsType, name: string): Buffer {
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  let len = 12 + 1 + 4;
  for (const l of labels) {
    const n = Buffer.byteLength(l);
    if (n === 0 || n > 63) throw new RangeError(`bad DNS label in ${JSON.stringify(name)}`);
    len += 1 + n;
  }
  const b = Buffer.alloc(len);
  b.writeUInt16BE(id & 0xffff, 0);
  b.writeUInt16BE(0x0100, 2); // RD
  b.writeUInt16BE(1, 4); // QDCOUNT
  let o = 12;
  for (const l of labels) {
    o = b.writeUInt8(Buffer.byteLength(l), o);
    o += b.write(l, o);
  }
  o = b.writeUInt8(0, o);
  o = b.writeUInt16BE(DNS_TYPES[type], o);
  b.writeUInt16BE(1, o); // IN
  return b;
}

/** 'ignore' for replies to keep waiting past, else the verdict. */
export function judgeDnsReply(id: number, msg: Buffer): 'ignore' | ProbeResult {
  if (msg.length < 12) return 'ignore';
  if (msg.readUInt16BE(0) !== (id & 0xffff)) return 'ignore';
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return 'ignore';
  const rcode = flags & 0x000f;
  if (rcode !== 0) return { ok: false, detail: `read error occurred. (rcode = ${rcode})` };
  return { ok: true, detail: `NOERROR, ${msg.readUInt16BE(6)} answers` };
}

export function dnsProbe(
  target: ConnTarget,
  q: { dnsType?: DnsType; name?: string },
  opts: ProbeRunOptions,
  randomId: () => number = () => crypto.randomInt(0, 0x10000),
): Promise<ProbeResult> {
  const where = hostPort(target.connectIp, target.connectPort);
  const id = randomId();
  const query = encodeDnsQuery(id, q.dnsType ?? 'SOA', q.name ?? '');
  return settleOnce(
    opts.signal,
    opts.timeoutMs,
    () => ({ ok: false, detail: `DNS_CHECK ${where}: read timeout from socket` }),
    (finish) => {
      const sock = dgram.createSocket(net.isIPv6(target.connectIp) ? 'udp6' : 'udp4');
      sock.on('error', (err) => finish({ ok: false, detail: `DNS_CHECK ${where}: ${describe(err)}` }));
      sock.on('message', (msg) => {
        const v = judgeDnsReply(id, msg);
        if (v !== 'ignore') finish({ ...v, detail: `DNS_CHECK ${where}: ${v.detail}` });
      });
      const go = (): void =>
        sock.connect(target.connectPort, target.connectIp, () => {
          sock.send(query, (err) => {
            if (err) finish({ ok: false, detail: `DNS_CHECK ${where}: failed to write socket: ${describe(err)}` });
          });
        });
      if (target.bindto || target.bindPort) sock.bind({ address: target.bindto, port: target.bindPort ?? 0 }, go);
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
