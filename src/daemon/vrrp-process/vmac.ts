/**
 * `use_vmac`: keepalived runs such an instance on a macvlan (default name
 * `vrrp.<VRID>`, MAC 00:00:5e:00:01:<VRID>, RFC 5798 §7.3) on top of its
 * interface. The virtual IPs that would go on the interface go on the
 * macvlan; adverts and gratuitous ARPs leave from it (so from the virtual
 * MAC), with the interface's own primary address as source, unless
 * `vmac_xmit_base` keeps the adverts on the interface.
 *
 * Pure: `planVmacs` maps a configuration onto the one the Daemon runs and
 * lists the macvlans it needs; the daemon creates them first.
 *
 * IPv6: the macvlan gets 00:00:5e:00:02:<VRID>, no link-local of its own,
 * and the interface's link-local copied onto it, deprecated (never chosen as
 * a source otherwise), to send adverts from - as keepalived 2.2.7 does.
 *
 * Not (yet) done: unicast peers (unicast adverts reach the base interface's
 * MAC, not the macvlan's): such an instance runs on its interface, with a
 * warning.
 */
import type { KeepalivedConfig, VipSpec, VrrpInstanceConfig } from '../../config/model';
import type { Family } from '../../net/ports';

export interface VmacNeed {
  /** The vrrp_instance it is for (messages). */
  instance: string;
  name: string;
  parent: string;
  vrid: number;
  family: Family;
  /** IPv6: the interface's link-local, to copy onto the macvlan. */
  linkLocal?: string;
}

export interface VmacPlan {
  config: KeepalivedConfig;
  vmacs: VmacNeed[];
  warnings: string[];
}

/** `primaryAddress(ifname, family)`: the interface's own address, used as the advert source. */
export function planVmacs(cfg: KeepalivedConfig, primaryAddress: (ifname: string, family: Family) => string | undefined): VmacPlan {
  const vmacs: VmacNeed[] = [];
  const warnings: string[] = [];
  const instances = cfg.instances.map((inst): VrrpInstanceConfig => {
    if (!inst.useVmac) return inst;
    if (inst.unicastPeer.length > 0) {
      warnings.push(`(${inst.name}) use_vmac with unicast peers is not supported by keepalived-ts yet - running on ${inst.interface}`);
      return inst;
    }
    const name = inst.useVmac.name;
    const need: VmacNeed = { instance: inst.name, name, parent: inst.interface, vrid: inst.virtualRouterId, family: inst.family };
    if (inst.family === 6) {
      const ll = primaryAddress(inst.interface, 6);
      if (ll !== undefined) need.linkLocal = ll;
    }
    vmacs.push(need);
    const move = (v: VipSpec): VipSpec => (v.ifname === inst.interface ? { ...v, ifname: name } : v);
    const next: VrrpInstanceConfig = {
      ...inst,
      virtualIpaddress: inst.virtualIpaddress.map(move),
      virtualIpaddressExcluded: inst.virtualIpaddressExcluded.map(move),
    };
    if (!inst.vmacXmitBase) {
      next.interface = name;
      const src = inst.mcastSrcIp ?? primaryAddress(inst.interface, inst.family);
      if (src !== undefined) next.mcastSrcIp = src;
      else warnings.push(`(${inst.name}) ${inst.interface} has no ${inst.family === 4 ? 'IPv4' : 'link-local IPv6'} address to send adverts from`);
    }
    return next;
  });
  return { config: { ...cfg, instances }, vmacs, warnings };
}
