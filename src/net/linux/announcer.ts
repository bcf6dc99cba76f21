/**
 * LinuxAnnouncer: one gratuitous ARP (IPv4, AF_PACKET) or one unsolicited
 * Neighbour Advertisement (IPv6, raw ICMPv6) per call. Scheduling (delay,
 * repeat, refresh) belongs to the caller: announcements are data.
 */
import { type Logger, nullLogger } from '../../core/log';
import { requireNative, type KtsNative, type NativeError } from '../../native';
import type { Announcer, Family } from '../ports';
import { canonicalIp } from './netlink';

export class LinuxAnnouncer implements Announcer {
  readonly counters = { garp: 0, na: 0, errors: 0 };
  private readonly log: Logger;
  private errCb: ((e: Error, ifname: string, address: string) => void) | undefined;

  constructor(private readonly native: KtsNative = requireNative(), logger: Logger = nullLogger) {
    this.log = logger;
  }

  /**
   * Sends one announcement from `mac` (the VMAC with use_vmac) or the
   * interface's own MAC. Failures (interface gone or down) are counted, logged
   * and passed to onError(); they do not throw.
   */
  announce(ifname: string, address: string, family: Family, mac?: Buffer): void {
    try {
      const a = canonicalIp(address, family);
      if (family === 4) {
        this.native.sendGarp(ifname, a, mac ?? null);
        this.counters.garp++;
      } else {
        this.native.sendUnsolicitedNa(ifname, a, mac ?? null);
        this.counters.na++;
      }
    } catch (e) {
      this.counters.errors++;
      const err = e as NativeError;
      this.log.rateLimited(`announce:${ifname}:${err.code}`, 10_000, Date.now(), 'warn',
        `${family === 4 ? 'gratuitous ARP' : 'unsolicited NA'} for ${address} on ${ifname} failed: ${err.message}`);
      this.errCb?.(err, ifname, address);
    }
  }

  onError(cb: (e: Error, ifname: string, address: string) => void): void {
    this.errCb = cb;
  }
}
