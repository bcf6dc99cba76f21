/**
 * The checker process's ICMP echo sockets, the port PING_CHECK's Pinger
 * (src/check/probes/ping.ts) sends through, on the native addon.
 *
 * A raw socket (SOCK_RAW IPPROTO_ICMP / IPPROTO_ICMPV6) first: the daemon runs
 * as root, a raw socket needs no sysctl, and it also receives the destination
 * unreachable errors about our requests. When raw sockets are refused (EPERM /
 * EACCES: no CAP_NET_RAW), an unprivileged ping socket (SOCK_DGRAM, what
 * keepalived uses), which net.ipv4.ping_group_range must allow for our group;
 * unlike keepalived we never widen that sysctl. If neither opens, the error
 * says both reasons and every PING_CHECK run reports it.
 */
import * as fs from 'node:fs';
import type { IcmpSocket, IcmpSocketOpener } from '../../check/probes/ping';
import type { IcmpFamily } from '../../check/probes/icmp';
import { KtsError } from '../../core/errors';
import type { KtsNative, NativeError, WatchHandle } from '../../native';

const PING_GROUP_RANGE = '/proc/sys/net/ipv4/ping_group_range';

/** The addon is asked for on first use, so a missing build fails the probes that need it, with its reason. */
export function nativeIcmpOpener(native: () => KtsNative): IcmpSocketOpener {
  return (family, events) => {
    const n = native();
    const { fd, ident, kind } = openSocket(n, family);
    let watch: WatchHandle;
    try {
      watch = n.icmpWatch(fd, family, (err, pkt) => (err ? events.error(err) : events.message({ data: pkt.data, src: pkt.src })));
      // The checker process lives on its channel to main, not on this socket.
      n.watchRef(watch, false);
    } catch (err) {
      n.close(fd);
      throw err;
    }
    let closed = false;
    return {
      kind,
      ident: kind === 'ping' ? ident : undefined,
      send(dst, msg, via) {
        if (closed) throw new KtsError('ICMP_SOCKET_CLOSED', 'ICMP socket closed');
        const ifindex = via.ifname ? n.ifNameToIndex(via.ifname) : 0;
        n.icmpSend(fd, family, dst, via.src ?? null, ifindex, msg);
      },
      close() {
        if (closed) return;
        closed = true;
        n.unwatch(watch);
        n.close(fd);
      },
    };
  };
}

function openSocket(n: KtsNative, family: IcmpFamily): { fd: number; ident: number; kind: IcmpSocket['kind'] } {
  let rawErr: NativeError;
  try {
    return { ...n.icmpOpen(family, true), kind: 'raw' };
  } catch (err) {
    rawErr = err as NativeError;
    if (rawErr.code !== 'EPERM' && rawErr.code !== 'EACCES') throw err;
  }
  try {
    return { ...n.icmpOpen(family, false), kind: 'ping' };
  } catch (err) {
    const pingErr = err as NativeError;
    const hint = pingErr.code === 'EACCES' ? ` (${PING_GROUP_RANGE} is ${pingGroupRange()}, our gid ${process.getgid?.() ?? '?'})` : '';
    throw new KtsError(
      'ICMP_UNAVAILABLE',
      `no ICMP${family === 6 ? 'v6' : ''} socket: raw ${rawErr.message}; ping socket ${pingErr.message}${hint}`,
      { cause: pingErr },
    );
  }
}

function pingGroupRange(): string {
  try {
    return `"${fs.readFileSync(PING_GROUP_RANGE, 'utf8').trim().replace(/\s+/g, ' ')}"`;
  } catch {
    return 'unreadable';
  }
}
