/**
 * The single loader of the native addon (build/Release/kts_native.node, built
 * from ./kts_native.c by node-gyp at `npm install`). Only src/net/linux imports
 * this module; the pure core never does, so unit tests run without the addon.
 *
 * loadNative() never throws: it says whether the addon loaded and, if not, why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KtsError } from '../core/errors';

/** A datagram from a raw VRRP socket: the VRRP payload (no IP header). */
export interface NativePacket {
  data: Buffer;
  src: string;
  dst: string;
  /** IPv4 TTL (from the IP header) or IPv6 hop limit (IPV6_HOPLIMIT); -1 if unknown. */
  ttl: number;
  ifindex: number;
}

/** Opaque handle of an absorb or a repeat. */
export type NativeFastHandle = { readonly __kts_fast: unique symbol };
export interface NativeFastState {
  count: number;
  lastAt: number;
  nextAt: number;
}

/** Opaque libuv poll handle returned by watch(). */
export type WatchHandle = { readonly __kts_watch: unique symbol };

/** Errors thrown by the addon carry Node-style `code` (errno name), `errno` (negative) and `syscall`. */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export const WATCH_RAW = 0;
export const WATCH_TIMER = 1;
export const WATCH_VRRP4 = 4;
export const WATCH_VRRP6 = 6;

export interface KtsNative {
  readonly abiVersion: number;
  ifNameToIndex(ifname: string): number;
  /** The interface's MAC address (SIOCGIFHWADDR), 6 bytes. */
  ifHwAddr(ifname: string): Buffer;
  /**
   * A raw protocol-112 socket bound to `ifname`, TTL/hop limit 255, no multicast
   * loop, IP(V6)_MULTICAST_ALL off, pktinfo + TTL/hop limit ancillary data on,
   * IPv6 checksum left to us; `src` binds the source address (such a socket
   * no longer receives multicast: use a second, unbound socket to receive);
   * `sendOnly` attaches a drop-all filter. Returns the fd.
   */
  vrrpOpen(family: 4 | 6, ifname: string, src: string | null, sendOnly?: boolean, unicastTtl?: number | null): number;
  mcastMembership(fd: number, family: 4 | 6, group: string, ifindex: number, join: boolean): void;
  /** Sends one datagram; link-local IPv6 destinations get `ifindex` as scope. */
  sendTo(fd: number, family: 4 | 6, dst: string, ifindex: number, data: Buffer): number;
  setRcvBuf(fd: number, bytes: number): void;
  close(fd: number): void;
  /** A NETLINK_ROUTE socket subscribed to the RTMGRP_* bit mask `groups`. */
  netlinkOpen(groups: number): { fd: number; pid: number };
  netlinkSend(fd: number, msg: Buffer): number;
  /** One queued datagram, or null (non-blocking). */
  recv(fd: number): Buffer | null;
  watch(fd: number, kind: 0, cb: (err: NativeError | null, msg: Buffer) => void): WatchHandle;
  /** A timerfd: the callback gets the number of expirations. */
  watch(fd: number, kind: 1, cb: (err: NativeError | null, expirations: number) => void): WatchHandle;
  watch(fd: number, kind: 4 | 6, cb: (err: NativeError | null, pkt: NativePacket) => void): WatchHandle;
  /** Stops polling; idempotent. Call before close(fd). */
  unwatch(h: WatchHandle): void;
  /** Whether the poll handle keeps the event loop alive (default true). */
  watchRef(h: WatchHandle, ref: boolean): void;
  /** One gratuitous ARP request (sender = target = ipv4) from `mac` or the interface's MAC. */
  sendGarp(ifname: string, ipv4: string, mac: Buffer | null): void;
  /** One unsolicited NA to ff02::1 (override flag, target LLA option, hop limit 255). */
  sendUnsolicitedNa(ifname: string, ipv6: string, mac: Buffer | null): void;
  /**
   * The reading end of a datagram socketpair that receives one byte (the
   * signal number) each time the real-time signal `signo` arrives; watch it
   * with kind 0. Node itself cannot subscribe to SIGRTMIN+n.
   */
  signalFd(signo: number): number;
  /** glibc's SIGRTMIN. */
  sigrtmin(): number;
  /** openlog(ident, LOG_PID | LOG_NDELAY, facility); facility already shifted (LOG_DAEMON = 3 << 3). */
  syslogOpen(ident: string, facility: number): void;
  /** syslog(priority, "%s", message). */
  syslog(priority: number, message: string): void;
  /**
   * The steady-state fast path (see kts_native.c): absorb packets identical to
   * one accepted on a VRRP watch, restarting a silence deadline; `cb` once at
   * silence.
   */
  absorbStart(
    watch: WatchHandle, family: 4 | 6, src: string, ttl: number, ifindex: number, payload: Buffer,
    firstDeadline: number, silenceMs: number, cb: (s: NativeFastState) => void,
  ): NativeFastHandle;
  absorbPeek(h: NativeFastHandle): NativeFastState;
  absorbStop(h: NativeFastHandle): NativeFastState;
  /** Send `payload` to every dst at absolute deadlines; `onError` once if a send fails. */
  repeatStart(
    fd: number, family: 4 | 6, dsts: readonly string[], ifindex: number, payload: Buffer,
    firstAt: number, intervalMs: number, onError: (e: NativeError, s: NativeFastState) => void,
  ): NativeFastHandle;
  repeatPeek(h: NativeFastHandle): NativeFastState;
  repeatStop(h: NativeFastHandle): NativeFastState;
  /** CLOCK_MONOTONIC in milliseconds (fractional). */
  monotonicMs(): number;
  /** A non-blocking CLOCK_MONOTONIC timerfd (watch it with kind 1). */
  timerfdOpen(): number;
  /** Arm the timerfd to fire once at the absolute CLOCK_MONOTONIC time `atMs`; `atMs <= 0` disarms it. */
  timerfdSet(fd: number, atMs: number): void;
  /** sched_setscheduler(tid, OTHER 0 | FIFO 1 | RR 2, priority) with SCHED_RESET_ON_FORK. */
  setScheduler(tid: number, policy: 0 | 1 | 2, priority: number): void;
  /** setpriority(PRIO_PROCESS, tid, nice): one thread on Linux. */
  setNice(tid: number, nice: number): void;
  /** RLIMIT_RTTIME (soft = hard), microseconds. */
  setRttimeLimit(us: number): void;
  /** mlockall(MCL_CURRENT | MCL_FUTURE). */
  lockMemory(): void;
  /** sched_setaffinity(tid, cpus). */
  setAffinity(tid: number, cpus: readonly number[]): void;
  /** prctl(PR_SET_NAME): the calling thread's name (/proc/PID/comm for the main thread), at most 15 bytes. */
  setProcessName(name: string): void;
  /** execv(2) with the process's environment: replaces the image, keeps the pid; returns only by throwing. */
  execv(file: string, argv: readonly string[]): never;
  /** One AF_UNIX datagram to `path` (`@name`: the abstract namespace), as sd_notify(3) sends; returns bytes sent. */
  unixDgramSend(path: string, data: Buffer): number;

  /* ICMP echo (PING_CHECK): see the section in kts_native.c. */
  /**
   * A non-blocking ICMP (4) / ICMPv6 (6) socket with a 128 KB receive buffer:
   * `raw` SOCK_RAW (CAP_NET_RAW; filtered to echo replies, destination
   * unreachable and time exceeded), else an unprivileged ping socket (SOCK_DGRAM,
   * net.ipv4.ping_group_range) bound to a kernel-chosen identifier, `ident`
   * (-1 for raw).
   */
  icmpOpen(family: 4 | 6, raw: boolean): { fd: number; ident: number };
  /**
   * Sends one ICMP message (IPv4 raw: checksum included; ICMPv6 and ping
   * sockets: the kernel's); `src` / `ifindex` (0: any) through IP_PKTINFO /
   * IPV6_PKTINFO. Returns bytes sent.
   */
  icmpSend(fd: number, family: 4 | 6, dst: string, src: string | null, ifindex: number, msg: Buffer): number;
  /**
   * Received ICMP messages without IP header (`data`), `src`; IPv4 raw sockets
   * also `dst` and `ttl` from the header (else '' and -1). unwatch() / watchRef() apply.
   */
  icmpWatch(fd: number, family: 4 | 6, cb: (err: NativeError | null, pkt: NativePacket) => void): WatchHandle;

  /**
   * Route announcement (see the section in kts_native.c): a TUN device
   * (IFF_TUN | IFF_NO_PI, O_CLOEXEC, never persistent) that the kernel
   * deletes, with its addresses and routes, when the fd closes or the
   * process dies. Close it with close(fd).
   */
  tunOpen(name: string): { fd: number; ifname: string };
}

export type NativeLoad = { ok: true; native: KtsNative; path: string } | { ok: false; reason: string };

const ADDON = path.join('build', 'Release', 'kts_native.node');
const EXPECTED_ABI = 6;

/** Directories that may hold build/Release: the package root from src/native or dist/src/native. */
function candidates(): string[] {
  const out: string[] = [];
  if (process.env.KTS_NATIVE_PATH) out.push(process.env.KTS_NATIVE_PATH);
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    out.push(path.join(dir, ADDON));
    dir = path.dirname(dir);
  }
  return out;
}

let cached: NativeLoad | undefined;

/** Loads the addon once; later calls return the same answer. */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): NativeLoad {
  const file = candidates().find((p) => fs.existsSync(p));
  if (!file) {
    return {
      ok: false,
      reason: `native addon not built: ${ADDON} not found near ${__dirname}; run \`npm install\` (or \`node scripts/build-native.js\`)`,
    };
  }
  return loadNativeFrom(file);
}

/** Loads the addon from one file, uncached (loadNative() is what adapters use). */
export function loadNativeFrom(file: string): NativeLoad {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `the native addon is Linux-only (platform is ${process.platform})` };
  }
  if (!fs.existsSync(file)) {
    return { ok: false, reason: `native addon not built: ${file} does not exist; run \`npm install\` (or \`node scripts/build-native.js\`)` };
  }
  let mod: KtsNative;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as KtsNative;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.message ?? String(e);
    if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(msg)) {
      return { ok: false, reason: `native addon ${file} was built for another Node.js ABI; rebuild it with \`npm install\`: ${msg}` };
    }
    if (/invalid ELF header|wrong ELF class|cannot open shared object/.test(msg)) {
      return { ok: false, reason: `native addon ${file} is not loadable on this machine (${msg}); rebuild it with \`npm install\`` };
    }
    return { ok: false, reason: `native addon ${file} failed to load: ${msg}` };
  }
  if (mod.abiVersion !== EXPECTED_ABI) {
    return {
      ok: false,
      reason: `native addon ${file} has abiVersion ${String(mod.abiVersion)}, expected ${EXPECTED_ABI}: stale build, run \`npm install\``,
    };
  }
  return { ok: true, native: mod, path: file };
}

/** For the Linux adapters: the addon, or a KtsError('NATIVE_UNAVAILABLE') saying why not. */
export function requireNative(): KtsNative {
  const r = loadNative();
  if (r.ok) return r.native;
  throw new KtsError('NATIVE_UNAVAILABLE', r.reason);
}
