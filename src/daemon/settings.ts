/**
 * Maps the validated configuration model onto the VRRP runtime's settings.
 * Pure. The config model is fully defaulted, so this is a renaming, plus the
 * few choices that need the running system (the source address).
 */
import type { VrrpInstanceConfig } from '../config/model';
import type { InstanceSettings } from '../vrrp/instance';

export function instanceSettingsFrom(cfg: VrrpInstanceConfig): InstanceSettings {
  const auth = cfg.authentication;
  return {
    name: cfg.name,
    vrid: cfg.virtualRouterId,
    version: cfg.version,
    family: cfg.family,
    ifname: cfg.interface,
    priority: cfg.priority,
    advertIntervalMs: cfg.advertIntMs,
    sourceAddress: cfg.unicastSrcIp ?? cfg.mcastSrcIp,
    unicastPeers: cfg.unicastPeer.map((p) => p.address),
    mcastGroup: cfg.unicastPeer.length ? undefined : cfg.mcastDstIp,
    auth: auth === undefined ? { type: 0 } : auth.type === 'PASS' ? { type: 1, pass: auth.password } : { type: 2, pass: auth.password },
    vips: cfg.virtualIpaddress,
    excludedVips: cfg.virtualIpaddressExcluded,
    nopreempt: cfg.nopreempt,
    preemptDelayMs: cfg.preemptDelayMs,
    accept: cfg.accept,
    garp: {
      masterDelayMs: cfg.garpMasterDelayMs,
      masterRepeat: cfg.garpMasterRepeat,
      masterRefreshMs: cfg.garpMasterRefreshMs,
      refreshRepeat: cfg.garpMasterRefreshRepeat,
      garpIntervalMs: cfg.garpIntervalMs,
      gnaIntervalMs: cfg.gnaIntervalMs,
    },
    lowerPrioNoAdvert: cfg.lowerPrioNoAdvert,
    higherPrioSendAdvert: cfg.higherPrioSendAdvert,
    downTimerAdverts: cfg.downTimerAdverts,
    checksumVariant: cfg.v3ChecksumAsV2 ? 'plain' : 'pseudo',
    strict: cfg.strictMode,
    skipCheckAdvAddr: cfg.skipCheckAdvAddr,
  };
}

/**
 * The transport a configuration needs: one shared socket per interface,
 * family and destination (multicast group, or unicast from one source).
 */
export function transportKeyFor(cfg: VrrpInstanceConfig, sourceAddress: string): { ifname: string; family: 4 | 6; mode: string; src: string } {
  return {
    ifname: cfg.interface,
    family: cfg.family,
    mode: cfg.unicastPeer.length ? 'unicast' : cfg.mcastDstIp,
    src: sourceAddress,
  };
}

/** `192.0.2.100/24 dev eth0 scope global` as keepalived prints a VIP. */
export function describeVip(v: { address: string; prefixLength: number; ifname: string; scope?: unknown; label?: string }): string {
  const scope = v.scope === undefined ? 'global' : String(v.scope);
  return `${v.address}/${v.prefixLength} dev ${v.ifname} scope ${scope}${v.label ? ` label ${v.label}` : ''}`;
}
