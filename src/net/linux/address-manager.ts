/**
 * NetlinkAddressManager: keepalived's `virtual_ipaddress` add/remove over
 * rtnetlink (RTM_NEWADDR / RTM_DELADDR), idempotent and reporting `{changed}`:
 * EEXIST on add and EADDRNOTAVAIL on remove mean "already so".
 */
import { KtsError } from '../../core/errors';
import { requireNative, type KtsNative } from '../../native';
import type { AddressManager, Family, VipSpec } from '../ports';
import {
  AF_INET,
  AF_INET6,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NetlinkError,
  NetlinkSocket,
  RT_SCOPE,
  RTM_DELADDR,
  RTM_NEWADDR,
  attr,
  attrStr,
  attrU32,
  canonicalIp,
  dumpAddresses,
  ifaddrmsg,
  ipToBytes,
} from './netlink';

export class NetlinkAddressManager implements AddressManager {
  private readonly nl: NetlinkSocket;

  /** `native` defaults to the loaded addon (throws KtsError NATIVE_UNAVAILABLE). */
  constructor(private readonly native: KtsNative = requireNative()) {
    this.nl = new NetlinkSocket(native);
  }

  async add(vip: VipSpec): Promise<{ changed: boolean }> {
    // Deprecated: preferred 0, valid forever.
    const { parts, prefixLength } = this.newAddrParts(vip, vip.deprecated ? { preferred: 0, valid: 0xffffffff } : undefined);
    try {
      await this.nl.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, `add ${vip.address}/${prefixLength} dev ${vip.ifname}`, ...parts);
      return { changed: true };
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'EEXIST') return { changed: false };
      throw e;
    }
  }

  /**
   * A kernel lifetime for the address (`ip addr change ... valid_lft S
   * preferred_lft S`): the kernel removes it S seconds from now (checked
   * within 1/4 s) unless renewed. The kernel creates the address if it is
   * missing, so callers serialise this with their add/remove.
   */
  async setLifetime(vip: VipSpec, seconds: number): Promise<void> {
    const { parts, prefixLength } = this.newAddrParts(vip, { preferred: vip.deprecated ? 0 : seconds, valid: seconds });
    await this.nl.request(RTM_NEWADDR, NLM_F_REPLACE, `lifetime ${seconds} s for ${vip.address}/${prefixLength} dev ${vip.ifname}`, ...parts);
  }

  async remove(vip: VipSpec): Promise<{ changed: boolean }> {
    const { ifindex, family, local, prefixLength } = this.resolve(vip);
    // IPv4 deletes by IFA_LOCAL alone (any prefix); IPv6 matches address and prefix length.
    const parts = [ifaddrmsg(family === 4 ? AF_INET : AF_INET6, prefixLength, 0, 0, ifindex), attr(IFA_LOCAL, local)];
    try {
      await this.nl.request(RTM_DELADDR, 0, `del ${vip.address}/${prefixLength} dev ${vip.ifname}`, ...parts);
      return { changed: true };
    } catch (e) {
      if (e instanceof NetlinkError && (e.code === 'EADDRNOTAVAIL' || e.code === 'ESRCH')) return { changed: false };
      throw e;
    }
  }

  async has(vip: VipSpec): Promise<boolean> {
    const { ifindex, family } = this.resolve(vip);
    const want = canonicalIp(vip.address, family);
    const all = await dumpAddresses(this.nl, family);
    return all.some((a) => a.ifindex === ifindex && a.address === want);
  }

  /** Idempotent; later calls reject with NETLINK_CLOSED. */
  close(): void {
    this.nl.close();
  }

  /** The RTM_NEWADDR body for `vip`, with a struct ifa_cacheinfo (lifetimes in seconds) when given. */
  private newAddrParts(vip: VipSpec, lifetime?: { preferred: number; valid: number }): { parts: Buffer[]; prefixLength: number } {
    const { ifindex, family, local, prefixLength } = this.resolve(vip);
    // keepalived adds IPv6 VIPs with IFA_F_NODAD: a backup must not hold it tentative.
    let flags = family === 6 ? IFA_F_NODAD : 0;
    if (vip.noPrefixRoute) flags |= IFA_F_NOPREFIXROUTE;
    const parts = [
      ifaddrmsg(family === 4 ? AF_INET : AF_INET6, prefixLength, flags, scopeOf(vip.scope), ifindex),
      attr(IFA_LOCAL, local),
      attr(IFA_ADDRESS, local),
      attrU32(IFA_FLAGS, flags),
    ];
    if (lifetime) {
      const ci = Buffer.alloc(16);
      ci.writeUInt32LE(lifetime.preferred, 0);
      ci.writeUInt32LE(lifetime.valid, 4);
      parts.push(attr(IFA_CACHEINFO, ci));
    }
    const brd = broadcastOf(vip, local, prefixLength);
    if (brd) parts.push(attr(IFA_BROADCAST, brd));
    if (vip.label !== undefined) parts.push(attrStr(IFA_LABEL, vip.label));
    return { parts, prefixLength };
  }

  private resolve(vip: VipSpec): { ifindex: number; family: Family; local: Buffer; prefixLength: number } {
    const family = vip.family;
    const local = ipToBytes(vip.address, family);
    const max = family === 4 ? 32 : 128;
    const prefixLength = vip.prefixLength ?? max;
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
      throw new KtsError('BAD_PREFIX', `prefix length ${prefixLength} out of range for IPv${family}`);
    }
    let ifindex: number;
    try {
      ifindex = this.native.ifNameToIndex(vip.ifname);
    } catch (e) {
      throw new KtsError('NO_SUCH_INTERFACE', `interface ${vip.ifname} not found`, { cause: e });
    }
    return { ifindex, family, local, prefixLength };
  }
}

function scopeOf(scope: VipSpec['scope']): number {
  if (scope === undefined) return RT_SCOPE.global;
  if (typeof scope === 'number') return scope;
  return RT_SCOPE[scope];
}

/** `broadcast`: an address, '+' (host bits set, as `ip addr add ... brd +`) or '-' (none). IPv4 only. */
function broadcastOf(vip: VipSpec, local: Buffer, prefixLength: number): Buffer | undefined {
  if (vip.family !== 4 || vip.broadcast === undefined || vip.broadcast === '-') return undefined;
  if (vip.broadcast !== '+') return ipToBytes(vip.broadcast, 4);
  if (prefixLength >= 31) return undefined;
  const host = prefixLength === 0 ? 0xffffffff : (0xffffffff >>> prefixLength);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((local.readUInt32BE(0) | host) >>> 0, 0);
  return b;
}
