/**
 * Macvlan interfaces for keepalived's `use_vmac`: created over rtnetlink in
 * MACVLAN_MODE_PRIVATE on the parent with the VRRP virtual MAC
 * (RFC 5798 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6),
 * then brought up, with keepalived's sysctls:
 *   vmac:   arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1
 *   parent: arp_ignore=1, arp_filter=1
 * Not done (yet): restoring the parent's previous sysctl values on removal,
 * IPv6 addr_gen_mode none + keepalived's own link-local on the vmac, vmac_xmit_base.
 */
import * as fs from 'node:fs';
import { KtsError } from '../../core/errors';
import { requireNative, type KtsNative } from '../../native';
import type { Family } from '../ports';
import {
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  MACVLAN_MODE_PRIVATE,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NetlinkError,
  NetlinkSocket,
  RTM_DELLINK,
  RTM_NEWLINK,
  attr,
  attrNest,
  attrStr,
  attrU32,
  ifinfomsg,
} from './netlink';

/** RFC 5798 §7.3 virtual router MAC address. */
export function vrrpMac(vrid: number, family: Family): Buffer {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new KtsError('BAD_VRID', `VRID ${vrid} out of 1..255`);
  return Buffer.from([0x00, 0x00, 0x5e, 0x00, family === 4 ? 0x01 : 0x02, vrid]);
}

export interface VmacSpec {
  /** Name of the macvlan (keepalived: vrrp.<VRID> unless given). */
  name: string;
  parent: string;
  vrid: number;
  family: Family;
  /** Write keepalived's sysctls (default true). */
  sysctls?: boolean;
}

export class MacvlanManager {
  private readonly nl: NetlinkSocket;

  constructor(private readonly native: KtsNative = requireNative()) {
    this.nl = new NetlinkSocket(native);
  }

  /** Creates (if absent) and brings up the macvlan. `changed` is false when it already existed. */
  async create(spec: VmacSpec): Promise<{ changed: boolean; ifindex: number; mac: Buffer }> {
    const mac = vrrpMac(spec.vrid, spec.family);
    let parent: number;
    try {
      parent = this.native.ifNameToIndex(spec.parent);
    } catch (e) {
      throw new KtsError('NO_SUCH_INTERFACE', `interface ${spec.parent} not found`, { cause: e });
    }
    let changed = true;
    try {
      await this.nl.request(
        RTM_NEWLINK,
        NLM_F_CREATE | NLM_F_EXCL,
        `create macvlan ${spec.name} on ${spec.parent}`,
        ifinfomsg(0),
        attrStr(IFLA_IFNAME, spec.name),
        attrU32(IFLA_LINK, parent),
        attr(IFLA_ADDRESS, mac),
        attrNest(IFLA_LINKINFO, attrStr(IFLA_INFO_KIND, 'macvlan'), attrNest(IFLA_INFO_DATA, attrU32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE))),
      );
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
      changed = false;
    }
    const ifindex = this.native.ifNameToIndex(spec.name);
    if (spec.sysctls !== false) {
      setSysctl(spec.name, 'arp_ignore', 1);
      setSysctl(spec.name, 'accept_local', 1);
      setSysctl(spec.name, 'rp_filter', 0);
      setSysctl(spec.name, 'promote_secondaries', 1);
      setSysctl(spec.parent, 'arp_ignore', 1);
      setSysctl(spec.parent, 'arp_filter', 1);
      // No kernel-made link-local on the shared virtual MAC (keepalived: addr_gen_mode none; an
      // IPv4 VMAC also has IPv6 off): no DAD or router solicitations from it. An IPv6 VMAC gets
      // the parent's link-local from the daemon instead.
      const v6 = spec.family === 4 ? [['addr_gen_mode', 1], ['disable_ipv6', 1]] : [['addr_gen_mode', 1], ['accept_dad', 0]];
      for (const [k, v] of v6) {
        try {
          fs.writeFileSync(`/proc/sys/net/ipv6/conf/${spec.name}/${k}`, `${v}\n`);
        } catch {
          /* IPv6 disabled in this kernel or namespace: nothing to turn off */
        }
      }
    }
    await this.nl.request(RTM_NEWLINK, 0, `set ${spec.name} up`, ifinfomsg(ifindex, IFF_UP, IFF_UP));
    return { changed, ifindex, mac };
  }

  /** Deletes the interface if present. */
  async remove(name: string): Promise<{ changed: boolean }> {
    try {
      await this.nl.request(RTM_DELLINK, 0, `delete link ${name}`, ifinfomsg(0), attrStr(IFLA_IFNAME, name));
      return { changed: true };
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'ENODEV') return { changed: false };
      throw e;
    }
  }

  /** Idempotent. */
  close(): void {
    this.nl.close();
  }
}

/** Writes /proc/sys/net/ipv4/conf/<ifname>/<key> (in this process's network namespace). */
function setSysctl(ifname: string, key: string, value: number): void {
  try {
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${ifname}/${key}`, `${value}\n`);
  } catch (e) {
    throw new KtsError('SYSCTL', `cannot set net.ipv4.conf.${ifname}.${key}=${value}: ${(e as Error).message}`, { cause: e });
  }
}
