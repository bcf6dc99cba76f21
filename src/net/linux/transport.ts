/**
 * RawVrrpTransport: IP protocol 112 on one interface and family, over the
 * native addon's raw sockets.
 *
 * Two sockets, as keepalived does: a raw socket bound to an address only
 * receives datagrams addressed to that address, never the multicast group.
 *  - receive: bound to the device only, joined to the group (unless unicast),
 *    IP(V6)_MULTICAST_ALL off so other sockets' groups do not leak in;
 *  - send: bound to the device and to the source address (the interface's
 *    primary IPv4 / link-local IPv6, or unicast_src_ip), with a drop-all
 *    socket filter so it never queues anything.
 * The kernel builds the IP header; TTL / hop limit is 255; multicast loopback
 * is off, so our own adverts do not come back.
 */
import { KtsError } from '../../core/errors';
import { type Logger, nullLogger } from '../../core/log';
import { requireNative, type KtsNative, type NativeError, type WatchHandle } from '../../native';
import type { AdvertFastPath, Family, FastPathHandle, ReceivedPacket, VrrpTransport } from '../ports';
import { NetlinkSocket, canonicalIp, dumpAddresses, pickPrimary } from './netlink';

export const VRRP_GROUP_V4 = '224.0.0.18';
export const VRRP_GROUP_V6 = 'ff02::12';

export interface RawVrrpTransportOptions {
  family: Family;
  ifname: string;
  /** Multicast group to join; default 224.0.0.18 / ff02::12. Ignored with `unicast`. */
  group?: string;
  /** Unicast mode (unicast_peer): join no group. */
  unicast?: boolean;
  /**
   * Source address (unicast_src_ip). RawVrrpTransport.open() finds the
   * interface's primary IPv4 / link-local IPv6 when absent.
   */
  sourceAddress?: string;
  /** SO_RCVBUF of the receive socket, bytes. */
  rcvBuf?: number;
  /** TTL / hop limit of unicast adverts (unicast_ttl, default 255). */
  unicastTtl?: number;
  logger?: Logger;
}

export interface TransportCounters {
  sent: number;
  received: number;
  sendErrors: number;
  recvErrors: number;
}

export class RawVrrpTransport implements VrrpTransport {
  readonly family: Family;
  readonly ifname: string;
  readonly ifindex: number;
  readonly sourceAddress: string;
  /** The joined group, or undefined in unicast mode. */
  readonly group: string | undefined;
  /** Whether the send socket could be bound to sourceAddress (IPv6 link-local may be tentative). */
  readonly sourceBound: boolean;
  readonly counters: TransportCounters = { sent: 0, received: 0, sendErrors: 0, recvErrors: 0 };
  private readonly native: KtsNative;
  private readonly recvFd: number;
  private readonly sendFd: number;
  private readonly watchHandle: WatchHandle;
  private readonly log: Logger;
  private cb: ((pkt: ReceivedPacket) => void) | undefined;
  private errCb: ((e: Error) => void) | undefined;
  private closed = false;

  /** Opens a transport, finding the interface's own address over netlink when no sourceAddress is given. */
  static async open(opts: RawVrrpTransportOptions, native: KtsNative = requireNative()): Promise<RawVrrpTransport> {
    if (opts.sourceAddress !== undefined) return new RawVrrpTransport({ ...opts, sourceAddress: opts.sourceAddress }, native);
    const nl = new NetlinkSocket(native);
    try {
      const ifindex = ifIndexOf(native, opts.ifname);
      const addrs = (await dumpAddresses(nl, opts.family)).filter((a) => a.ifindex === ifindex);
      const src = pickPrimary(addrs, opts.family);
      if (src === undefined) {
        throw new KtsError(
          'NO_SOURCE_ADDRESS',
          `interface ${opts.ifname} has no ${opts.family === 4 ? 'IPv4' : 'link-local IPv6'} address to send VRRP adverts from`,
        );
      }
      return new RawVrrpTransport({ ...opts, sourceAddress: src }, native);
    } finally {
      nl.close();
    }
  }

  constructor(opts: RawVrrpTransportOptions & { sourceAddress: string }, native: KtsNative = requireNative()) {
    this.native = native;
    this.family = opts.family;
    this.ifname = opts.ifname;
    this.log = (opts.logger ?? nullLogger).child({ ifname: opts.ifname, family: opts.family });
    this.ifindex = ifIndexOf(native, opts.ifname);
    this.sourceAddress = canonicalIp(opts.sourceAddress, opts.family);
    this.group = opts.unicast ? undefined : canonicalIp(opts.group ?? (opts.family === 4 ? VRRP_GROUP_V4 : VRRP_GROUP_V6), opts.family);

    this.recvFd = native.vrrpOpen(opts.family, opts.ifname, null, false);
    let sendFd = -1;
    let bound = true;
    try {
      if (opts.rcvBuf !== undefined) native.setRcvBuf(this.recvFd, opts.rcvBuf);
      if (this.group) native.mcastMembership(this.recvFd, opts.family, this.group, this.ifindex, true);
      try {
        sendFd = native.vrrpOpen(opts.family, opts.ifname, this.sourceAddress, true, opts.unicastTtl ?? null);
      } catch (e) {
        // A tentative (DAD) IPv6 link-local cannot be bound yet; the kernel then
        // picks the link-local source itself for ff02::12.
        if (opts.family !== 6 || (e as NativeError).code !== 'EADDRNOTAVAIL') throw e;
        sendFd = native.vrrpOpen(opts.family, opts.ifname, null, true, opts.unicastTtl ?? null);
        bound = false;
        this.log.warn(`cannot bind ${this.sourceAddress} yet (tentative?): the kernel chooses the source address`);
      }
    } catch (e) {
      native.close(this.recvFd);
      if (sendFd >= 0) native.close(sendFd);
      throw new KtsError('TRANSPORT_OPEN', `cannot open VRRP socket on ${opts.ifname}: ${(e as Error).message}`, { cause: e });
    }
    this.sendFd = sendFd;
    this.sourceBound = bound;
    this.watchHandle = native.watch(this.recvFd, opts.family, (err, pkt) => {
      if (err) {
        this.counters.recvErrors++;
        this.log.rateLimited(`recv:${err.code}`, 10_000, Date.now(), 'warn', `VRRP receive error on ${this.ifname}: ${err.message}`);
        this.errCb?.(err);
        return;
      }
      this.counters.received++;
      this.cb?.(pkt);
    });
  }

  /**
   * The steady-state fast path in C (absorb identical adverts, repeat ours),
   * on the native clock (CLOCK_MONOTONIC ms): use it with the TimerfdClock.
   */
  readonly fastPath: AdvertFastPath = {
    absorb: (pkt, firstDeadline, silenceMs, onSilence) => {
      const h = this.native.absorbStart(this.watchHandle, this.family, pkt.src, pkt.ttl, pkt.ifindex, pkt.data, firstDeadline, silenceMs, onSilence);
      return this.fastHandle(h, (x) => this.native.absorbPeek(x), (x) => this.native.absorbStop(x), 'received');
    },
    repeat: (payload, dsts, firstAt, intervalMs, onError) => {
      const h = this.native.repeatStart(this.sendFd, this.family, dsts, this.ifindex, payload, firstAt, intervalMs, (err, st) => {
        this.counters.sendErrors++;
        this.log.rateLimited(`send:${err.code}`, 10_000, Date.now(), 'warn', `VRRP send on ${this.ifname} failed: ${err.message}`);
        onError(err, st);
      });
      return this.fastHandle(h, (x) => this.native.repeatPeek(x), (x) => this.native.repeatStop(x), 'sent');
    },
  };

  private fastHandle<H>(h: H, peek: (h: H) => { count: number; lastAt: number; nextAt: number }, stop: (h: H) => { count: number; lastAt: number; nextAt: number }, counter: 'received' | 'sent'): FastPathHandle {
    let stopped = false;
    return {
      peek: () => {
        if (stopped) return { count: 0, lastAt: 0, nextAt: 0 };
        const st = peek(h);
        this.counters[counter] += st.count;
        return st;
      },
      stop: () => {
        if (stopped) return { count: 0, lastAt: 0, nextAt: 0 };
        stopped = true;
        const st = stop(h);
        this.counters[counter] += st.count;
        return st;
      },
    };
  }

  /** Sends one VRRP payload. Send failures are counted, logged and reported to onError(); they do not throw. */
  send(payload: Buffer, dst: string): void {
    if (this.closed) throw new KtsError('TRANSPORT_CLOSED', `VRRP transport on ${this.ifname} is closed`);
    try {
      this.native.sendTo(this.sendFd, this.family, dst, this.ifindex, payload);
      this.counters.sent++;
    } catch (e) {
      this.counters.sendErrors++;
      const err = e as NativeError;
      this.log.rateLimited(`send:${err.code}`, 10_000, Date.now(), 'warn', `VRRP send to ${dst} on ${this.ifname} failed: ${err.message}`);
      this.errCb?.(err);
    }
  }

  onPacket(cb: (pkt: ReceivedPacket) => void): void {
    this.cb = cb;
  }

  /** Send and receive errors (after counting and logging). Replaces any previous one. */
  onError(cb: (e: Error) => void): void {
    this.errCb = cb;
  }

  /** Idempotent: leaves the group and closes both sockets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.unwatch(this.watchHandle);
    if (this.group) {
      try {
        this.native.mcastMembership(this.recvFd, this.family, this.group, this.ifindex, false);
      } catch {
        // the interface may be gone; closing the socket leaves the group anyway
      }
    }
    this.native.close(this.recvFd);
    this.native.close(this.sendFd);
  }
}

function ifIndexOf(native: KtsNative, ifname: string): number {
  try {
    return native.ifNameToIndex(ifname);
  } catch (e) {
    throw new KtsError('NO_SUCH_INTERFACE', `interface ${ifname} not found`, { cause: e });
  }
}
