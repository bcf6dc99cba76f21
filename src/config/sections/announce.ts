/**
 * `route_announce { ... }` in a vrrp_instance (ours, issue 13): the instance's
 * VIPs announced as /32 (IPv4) or /128 (IPv6) routes through the routing
 * daemon of the host (FRR, BIRD), from a TUN device the VRRP process owns
 * (src/announce):
 *
 *     vrrp_instance VI_1 {
 *         ...
 *         route_announce {
 *             mode active_standby      # only the MASTER announces (default); or anycast
 *             device kts-vip           # the TUN device the VIPs are put on (default kts-vip)
 *             also_garp                # active_standby: keep the VIPs on `interface`, with
 *                                      #   GARP/NA, as well (default: by route only)
 *             track_virtual_server 198.51.100.10 80   # lost quorum => FAULT (also
 *                                      #   `fwmark N`, `group NAME`); repeatable
 *         }
 *     }
 *
 * Validated here, as errors at their word where running on a guess would
 * announce what the operator did not mean (then the instance does not run):
 * an unknown mode, a device name the kernel refuses or one that is also the
 * instance's interface, anycast with an etcd election.
 */
import { isIPv6 } from 'node:net';
import type { Loc, RouteAnnounceConfig, VirtualServerConfig, VirtualServerRef, VrrpInstanceConfig } from '../model';
import { arg, block, readBool, readInt, runSection, type Ctx, type Handler, type Section } from '../schema';
import { parseIp } from '../address';
import type { Node } from '../tree';

export const DEFAULT_ANNOUNCE_DEVICE = 'kts-vip';

export interface RouteAnnounceBuilder {
  loc: Loc;
  locs: Record<string, Loc>;
  mode?: string;
  device?: string;
  alsoGarp?: boolean;
  trackVirtualServer: VirtualServerRef[];
  /** An error was reported: the instance does not run. */
  invalid?: boolean;
}

const RA_FIELDS: Record<string, Handler<RouteAnnounceBuilder>> = {
  mode: (n, b, cx) => {
    const t = arg(n, 0, cx, 'mode (active_standby or anycast)');
    if (!t) return void (b.invalid = true);
    if (t.text !== 'active_standby' && t.text !== 'anycast') {
      cx.diags.error('E_ANNOUNCE_VALUE', t.loc, `route_announce: mode '${t.text}' is neither active_standby nor anycast - instance not run`);
      b.invalid = true;
      return;
    }
    b.mode = t.text;
  },
  device: (n, b, cx) => {
    const t = arg(n, 0, cx, 'device name');
    if (!t) return void (b.invalid = true);
    // The kernel's dev_valid_name(): 1..15 bytes, not . or .., no '/', ':' or white space.
    if (t.text.length > 15 || t.text === '.' || t.text === '..' || /[/:\s]/.test(t.text)) {
      cx.diags.error('E_ANNOUNCE_VALUE', t.loc, `route_announce: '${t.text}' is not a valid interface name (at most 15 characters, no '/', ':' or space) - instance not run`);
      b.invalid = true;
      return;
    }
    b.device = t.text;
  },
  also_garp: (n, b, cx) => {
    const v = readBool(n, 0, cx);
    if (v !== undefined) b.alsoGarp = v;
  },
  track_virtual_server: (n, b, cx) => {
    const ref = readVsRef(n, cx);
    if (ref) b.trackVirtualServer.push(ref);
  },
};

const raSection: Section<RouteAnnounceBuilder> = { name: 'route_announce', keywords: RA_FIELDS };

/** The instance keyword: `route_announce { ... }`. */
export function routeAnnounceHandler<B extends { name: string; routeAnnounce?: RouteAnnounceBuilder }>(): Handler<B> {
  return block<B>((children, n, b, cx) => {
    const ra: RouteAnnounceBuilder = { loc: n.key, locs: {}, trackVirtualServer: [] };
    runSection(raSection, children, ra, cx);
    b.routeAnnounce = ra;
  });
}

/** `IP PORT`, `fwmark N` or `group NAME`, as on a virtual_server line. */
function readVsRef(n: Node, cx: Ctx): VirtualServerRef | undefined {
  const t = arg(n, 0, cx, 'virtual server (IP PORT, fwmark N or group NAME)', true);
  if (!t) return undefined;
  if (t.text === 'fwmark') {
    const m = readInt(n, 1, 1, 0xffffffff, cx);
    return m === undefined ? undefined : { loc: t.loc, kind: 'fwmark', fwmark: m };
  }
  if (t.text === 'group') {
    const g = arg(n, 1, cx, 'group name', true);
    return g ? { loc: t.loc, kind: 'group', group: g.text } : undefined;
  }
  const ip = parseIp(t.text);
  if (!ip) {
    cx.diags.warn('W_BAD_ADDRESS', t.loc, `track_virtual_server: '${t.text}' is not an IP address - ignored`);
    return undefined;
  }
  const port = readInt(n, 1, 0, 65535, cx);
  if (port === undefined) return undefined;
  return { loc: t.loc, kind: 'address', address: ip.address, port };
}

/** The same address, whatever its spelling (IPv6 zero compression, case). */
function sameIp(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (!isIPv6(a) || !isIPv6(b)) return a === b;
  return expand6(a) === expand6(b);
}

function expand6(a: string): string {
  const [head, tail = ''] = a.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** The virtual_server a reference names, if configured. */
export function findVirtualServer(ref: VirtualServerRef, servers: readonly VirtualServerConfig[]): VirtualServerConfig | undefined {
  return servers.find((vs) =>
    vs.kind === ref.kind &&
    (ref.kind === 'fwmark' ? vs.fwmark === ref.fwmark : ref.kind === 'group' ? vs.group === ref.group : sameIp(vs.address, ref.address) && (vs.port ?? 0) === ref.port),
  );
}

/**
 * After the instance itself is finished: the typed block, or 'error' when
 * the instance must not run. Cross-checks with the rest of the instance.
 */
export function finishRouteAnnounce(
  b: RouteAnnounceBuilder, inst: VrrpInstanceConfig, servers: readonly VirtualServerConfig[], cx: Ctx,
): RouteAnnounceConfig | 'error' {
  if (b.invalid) return 'error';
  const mode = (b.mode ?? 'active_standby') as RouteAnnounceConfig['mode'];
  const device = b.device ?? DEFAULT_ANNOUNCE_DEVICE;
  const at = (k: string) => b.locs[k] ?? b.loc;
  const vipIfs = new Set([inst.interface, ...inst.virtualIpaddress.map((v) => v.ifname), ...inst.virtualIpaddressExcluded.map((v) => v.ifname)]);
  if (vipIfs.has(device)) {
    cx.diags.error('E_ANNOUNCE_DEVICE', at('device'),
      `(${inst.name}) route_announce device ${device} is the instance's own interface: it must be a device of its own (the VRRP process creates it) - instance not run`);
    return 'error';
  }
  if (mode === 'anycast' && inst.election) {
    cx.diags.error('E_ANNOUNCE_ELECTION', at('mode'), `(${inst.name}) an anycast instance is announced by every healthy node: it cannot also be elected through etcd_election ${inst.election.name} - instance not run`);
    return 'error';
  }
  let alsoGarp = b.alsoGarp ?? false;
  if (mode === 'anycast' && alsoGarp) {
    cx.diags.warn('W_ANNOUNCE_ANYCAST_GARP', at('also_garp'), `(${inst.name}) anycast puts the VIPs on no shared link (every node holds them): also_garp ignored`);
    alsoGarp = false;
  }
  if (mode === 'anycast' && inst.strictMode) {
    cx.diags.warn('W_ANNOUNCE_ANYCAST_STRICT', at('mode'), `(${inst.name}) an anycast instance sends no VRRP adverts: strict_mode has nothing to check`);
  }
  if (!inst.accept) {
    cx.diags.warn('W_ANNOUNCE_NO_ACCEPT', at('mode'),
      `(${inst.name}) no_accept (the default with vrrp_strict) drops the traffic the routers send to the announced VIPs - add 'accept' to the instance`);
  }
  const track: VirtualServerRef[] = [];
  for (const r of b.trackVirtualServer) {
    if (findVirtualServer(r, servers)) track.push(r);
    else cx.diags.warn('W_UNRESOLVED_REFERENCE', r.loc, `(${inst.name}) track_virtual_server: no such virtual_server - ignoring`);
  }
  return { loc: b.loc, mode, device, alsoGarp: mode === 'active_standby' && alsoGarp, trackVirtualServer: track };
}
