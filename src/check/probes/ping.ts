/**
 * PING_CHECK: one ICMP (v4) or ICMPv6 echo request per run, success when its
 * reply comes back within connect_timeout.
 *
 * keepalived 2.2.7 (check_ping.c) opens an unprivileged ping socket (SOCK_DGRAM
 * IPPROTO_ICMP) per run, after widening net.ipv4.ping_group_range to gid 0 at
 * start, and ignores bindto. Here one socket per family serves every
 * PING_CHECK of the process, so a reply is matched to its probe by what the
 * request carried: identifier (ours on a raw socket, the kernel's on a ping
 * socket), sequence number, the target as the reply's source, and the request's
 * data (a random cookie per socket) echoed back unchanged. ICMP errors
 * quoting one of our requests (host unreachable, ...) end that probe at once.
 * `bindto` picks the source address and `bind_if` the interface per request.
 *
 * The socket itself is a port (IcmpSocket): the checker process opens it with
 * the native addon (src/daemon/checker-process/icmp-socket.ts), tests with a
 * fake. It is opened on first use and reopened after an error.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnTarget, ProbeResult, ProbeRunOptions } from '../types';
import { describe, settleOnce } from './common';
import { canonicalIp, decodeIcmp, describeIcmpError, encodeEchoRequest, type IcmpFamily } from './icmp';

/** An ICMP message as received (no IP header) and its source address. */
export interface IcmpMessage {
  data: Buffer;
  src: string;
}

/** One ICMP socket of one family, shared by every probe of the process. */
export interface IcmpSocket {
  /** `raw` (SOCK_RAW) or `ping` (an unprivileged SOCK_DGRAM ping socket). */
  readonly kind: 'raw' | 'ping';
  /** A ping socket's identifier: the kernel writes it into every request and delivers only replies carrying it. */
  readonly ident?: number;
  /** Sends one ICMP message from `src` (bindto) / out of `ifname` (bind_if) when given; throws errno errors. */
  send(dst: string, msg: Buffer, via: { src?: string; ifname?: string }): void;
  /** Idempotent. */
  close(): void;
}

export interface IcmpSocketEvents {
  message(m: IcmpMessage): void;
  /** The socket is unusable (its poll failed): the pinger closes it and opens another on next use. */
  error(err: Error): void;
}

/** Opens the socket of a family, or throws saying why it cannot. */
export type IcmpSocketOpener = (family: IcmpFamily, events: IcmpSocketEvents) => IcmpSocket;

export interface PingerOptions {
  open: IcmpSocketOpener;
  /** Source of the echo identifier, first sequence number and payload cookie (default crypto.randomBytes). */
  randomBytes?: (n: number) => Buffer;
  /** Monotonic milliseconds, for round trip times (default performance.now). */
  now?: () => number;
}

/** What the pinger has seen, per family (for tests and diagnostics). */
export interface PingerCounters {
  sent: number;
  replies: number;
  errors: number;
  /** Messages that matched no probe in flight: other processes' echoes, late or foreign replies. */
  ignored: number;
}

/** iputils ping's default: 56 data bytes, a 64-byte ICMP message. */
const DATA_LEN = 56;
const COOKIE_LEN = 8;

interface InFlight {
  dst: string;
  sentAt: number;
  finish: (r: ProbeResult) => void;
}

/** One family's socket, identifier, sequence numbers and the probes waiting on it. */
class EchoChannel {
  readonly inFlight = new Map<number, InFlight>();
  readonly id: number;
  readonly data: Buffer;
  private seq: number;

  constructor(
    readonly family: IcmpFamily,
    readonly socket: IcmpSocket,
    random: Buffer,
  ) {
    this.id = socket.ident ?? random.readUInt16BE(0);
    this.seq = random.readUInt16BE(2);
    this.data = Buffer.alloc(DATA_LEN);
    random.copy(this.data, 0, 4, 4 + COOKIE_LEN);
    for (let i = COOKIE_LEN; i < DATA_LEN; i++) this.data[i] = i;
  }

  /** The next sequence number no probe in flight uses, or undefined when all 65536 are taken. */
  nextSeq(): number | undefined {
    if (this.inFlight.size > 0xffff) return undefined;
    do this.seq = (this.seq + 1) & 0xffff;
    while (this.inFlight.has(this.seq));
    return this.seq;
  }
}

export class Pinger {
  private readonly open: IcmpSocketOpener;
  private readonly random: (n: number) => Buffer;
  private readonly now: () => number;
  private readonly channels = new Map<IcmpFamily, EchoChannel>();
  private readonly count: Record<IcmpFamily, PingerCounters> = {
    4: { sent: 0, replies: 0, errors: 0, ignored: 0 },
    6: { sent: 0, replies: 0, errors: 0, ignored: 0 },
  };
  private closed = false;

  constructor(opts: PingerOptions) {
    this.open = opts.open;
    this.random = opts.randomBytes ?? cryptoRandomBytes;
    this.now = opts.now ?? (() => performance.now());
  }

  counters(family: IcmpFamily): PingerCounters {
    return { ...this.count[family] };
  }

  /** The kind of the family's open socket (undefined: none open). */
  socketKind(family: IcmpFamily): IcmpSocket['kind'] | undefined {
    return this.channels.get(family)?.socket.kind;
  }

  /** One echo request to `target.connectIp`; the result says what came back, or that nothing did within timeoutMs. */
  echo(target: ConnTarget, opts: ProbeRunOptions): Promise<ProbeResult> {
    const dst = canonicalIp(target.connectIp);
    const family: IcmpFamily | undefined = net.isIPv4(dst) ? 4 : net.isIPv6(dst) ? 6 : undefined;
    if (!family) return Promise.resolve({ ok: false, detail: `PING_CHECK: ${target.connectIp} is not an IP address` });
    if (target.bindto && !(family === 4 ? net.isIPv4(target.bindto) : net.isIPv6(canonicalIp(target.bindto)))) {
      return Promise.resolve({ ok: false, detail: `PING_CHECK: bindto ${target.bindto} is not an IPv${family} address like ${target.connectIp}` });
    }
    return settleOnce(
      opts.signal,
      opts.timeoutMs,
      () => ({ ok: false, detail: `no echo reply from ${dst} within ${opts.timeoutMs} ms` }),
      (finish) => this.send(family, dst, target, finish),
    );
  }

  /** Closes both sockets; later probes fail. Idempotent. */
  close(): void {
    this.closed = true;
    for (const ch of [...this.channels.values()]) this.drop(ch, 'PING_CHECK stopped');
  }

  /** Sends the request and registers the probe; returns its cleanup (settleOnce calls it once). */
  private send(family: IcmpFamily, dst: string, target: ConnTarget, finish: (r: ProbeResult) => void): () => void {
    const ch = this.channel(family, finish);
    if (!ch) return () => {};
    const seq = ch.nextSeq();
    if (seq === undefined) {
      finish({ ok: false, detail: `PING_CHECK: 65536 echo requests already in flight on the IPv${family} socket` });
      return () => {};
    }
    const via: { src?: string; ifname?: string } = {};
    if (target.bindto) via.src = target.bindto;
    if (target.bindIf) via.ifname = target.bindIf;
    const entry: InFlight = { dst, sentAt: this.now(), finish };
    try {
      ch.socket.send(target.connectIp, encodeEchoRequest({ family, id: ch.id, seq, data: ch.data }), via);
    } catch (err) {
      finish({ ok: false, detail: `cannot send echo request to ${dst}${viaText(via)}: ${describe(err)}` });
      return () => {};
    }
    this.count[family].sent++;
    ch.inFlight.set(seq, entry);
    return () => {
      if (ch.inFlight.get(seq) === entry) ch.inFlight.delete(seq);
    };
  }

  /** The family's channel, opened on first use; undefined (and the probe finished) when it cannot be. */
  private channel(family: IcmpFamily, finish: (r: ProbeResult) => void): EchoChannel | undefined {
    if (this.closed) {
      finish({ ok: false, detail: 'PING_CHECK stopped' });
      return undefined;
    }
    const have = this.channels.get(family);
    if (have) return have;
    let ch: EchoChannel | undefined;
    try {
      const socket = this.open(family, {
        message: (m) => ch && this.onMessage(ch, m),
        error: (err) => ch && this.drop(ch, `ICMP${family === 6 ? 'v6' : ''} socket failed: ${describe(err)}`),
      });
      ch = new EchoChannel(family, socket, this.random(4 + COOKIE_LEN));
    } catch (err) {
      finish({ ok: false, detail: `PING_CHECK unavailable: ${err instanceof Error ? err.message : describe(err)}` });
      return undefined;
    }
    this.channels.set(family, ch);
    return ch;
  }

  /** A reply or error about one of our requests settles its probe; anything else is counted and dropped. */
  private onMessage(ch: EchoChannel, m: IcmpMessage): void {
    const count = this.count[ch.family];
    const v = decodeIcmp(ch.family, m.data);
    const probe = v.kind !== 'other' && v.id === ch.id ? ch.inFlight.get(v.seq) : undefined;
    const src = canonicalIp(m.src);
    if (v.kind === 'reply' && probe && src === probe.dst && v.data.equals(ch.data)) {
      count.replies++;
      const rtt = Math.max(0, this.now() - probe.sentAt);
      probe.finish({ ok: true, detail: `echo reply from ${src} (seq ${v.seq}, ${rtt.toFixed(2)} ms)` });
    } else if (v.kind === 'error' && probe && canonicalIp(v.dst) === probe.dst) {
      count.errors++;
      probe.finish({ ok: false, detail: `no echo reply from ${probe.dst}: ${describeIcmpError(ch.family, v.type, v.code)} from ${src}` });
    } else {
      count.ignored++;
    }
  }

  /** Closes a channel's socket and fails its probes in flight with `why`. */
  private drop(ch: EchoChannel, why: string): void {
    if (this.channels.get(ch.family) === ch) this.channels.delete(ch.family);
    const probes = [...ch.inFlight.values()];
    ch.inFlight.clear();
    try {
      ch.socket.close();
    } finally {
      for (const p of probes) p.finish({ ok: false, detail: why });
    }
  }
}

function viaText(via: { src?: string; ifname?: string }): string {
  return `${via.src ? ` from ${via.src}` : ''}${via.ifname ? ` via ${via.ifname}` : ''}`;
}

/** The PING_CHECK probe; without a pinger (no ICMP socket in this process) it fails saying so. */
export function pingProbe(target: ConnTarget, pinger: Pinger | undefined, opts: ProbeRunOptions): Promise<ProbeResult> {
  if (!pinger) return Promise.resolve({ ok: false, detail: 'PING_CHECK unavailable: no ICMP echo socket in this process' });
  return pinger.echo(target, opts);
}
