/**
 * Maps the validated configuration model onto the VRRP runtime's settings.
 * Pure. The config model is fully defaulted, so this is a renaming, plus the
 * few choices that need the running system (the source address).
 */
import type { RouteSpec, RuleSpec, VrrpInstanceConfig } from '../../config/model';
import type { IpRoute } from '../../net/ports';
import type { InstanceSettings } from '../../vrrp/instance';

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
    checkUnicastSrc: cfg.checkUnicastSrc,
    peerTtl: Object.fromEntries(cfg.unicastPeer.map((p) => [p.address, { min: p.minTtl ?? 0, max: p.maxTtl ?? 255 }])),
    mcastGroup: cfg.unicastPeer.length ? undefined : cfg.mcastDstIp,
    auth: auth === undefined ? { type: 0 } : auth.type === 'PASS' ? { type: 1, pass: auth.password } : { type: 2, pass: auth.password },
    vips: cfg.virtualIpaddress,
    excludedVips: cfg.virtualIpaddressExcluded,
    routes: [...cfg.virtualRoutes.map(routeArgs), ...cfg.virtualRules.map(ruleArgs)],
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
    election: cfg.election !== undefined,
  };
}

/**
 * The transport a configuration needs: one shared socket per interface,
 * family and destination (multicast group, or unicast from one source).
 */
export function transportKeyFor(cfg: VrrpInstanceConfig, sourceAddress: string): { ifname: string; family: 4 | 6; mode: string; src: string; unicastTtl?: number } {
  const unicast = cfg.unicastPeer.length > 0;
  return {
    ifname: cfg.interface,
    family: cfg.family,
    mode: unicast ? 'unicast' : cfg.mcastDstIp,
    src: sourceAddress,
    ...(unicast ? { unicastTtl: cfg.unicastTtl } : {}),
  };
}

/** `192.0.2.100/24 dev eth0 scope global` as keepalived prints a VIP. */
export function describeVip(v: { address: string; prefixLength: number; ifname: string; scope?: unknown; label?: string }): string {
  const scope = v.scope === undefined ? 'global' : String(v.scope);
  return `${v.address}/${v.prefixLength} dev ${v.ifname} scope ${scope}${v.label ? ` label ${v.label}` : ''}`;
}

/**
 * `ip route` arguments for a keepalived route line: its words as written,
 * with keepalived's own ones mapped: `gw` is `via`, `no_track` is ours only,
 * `or` (deprecated multipath) is dropped.
 */
export function routeArgs(r: RouteSpec): IpRoute {
  const words: string[] = [];
  if (r.type) words.push(r.type);
  if (!r.options.includes('to')) words.push(r.to);
  for (let i = 0; i < r.options.length; i++) {
    const w = r.options[i];
    if (w === 'no_track') continue;
    if (w === 'or') {
      i++;
      continue;
    }
    words.push(w === 'gw' ? 'via' : w);
  }
  return { kind: 'route', family: r.family, args: words };
}

/** `ip rule` arguments; the preference keepalived assigns when none is given is added. */
export function ruleArgs(r: RuleSpec): IpRoute {
  const words = r.options.filter((w) => w !== 'no_track');
  const hasPref = words.some((w) => ['preference', 'priority', 'prio', 'pref'].includes(w));
  if (!hasPref && r.preference !== undefined) words.push('preference', String(r.preference));
  return { kind: 'rule', family: r.family, args: words };
}
