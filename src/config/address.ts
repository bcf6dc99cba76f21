/**
 * Addresses in keepalived.conf: plain IPs, `IP/prefix`, `virtual_ipaddress`
 * lines (`ADDR[/LEN] [brd X] [dev IF] [scope S] [label L] [no_prefixroute] ...`),
 * route lines (`virtual_routes`, `static_routes`) and rule lines.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Family, Loc, RouteSpec, RuleSpec, VipSpec } from './model';
import type { Ctx } from './schema';
import { checkInterface, parseIntStrict } from './schema';
import type { Node } from './tree';

export interface IpPrefix {
  address: string;
  family: Family;
  prefixLength?: number;
}

/** Parse `ADDR` or `ADDR/LEN`; undefined when invalid. */
export function parseIpPrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family: Family | 0 = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) return undefined;
  if (slash < 0) return { address: addr, family };
  const len = parseIntStrict(text.slice(slash + 1));
  if (len === undefined || len < 0 || len > (family === 4 ? 32 : 128)) return undefined;
  return { address: addr, family, prefixLength: len };
}

export function parseIp(text: string): IpPrefix | undefined {
  const p = parseIpPrefix(text);
  return p && p.prefixLength === undefined ? p : undefined;
}

/** A virtual/static address with the extra options keepalived accepts. */
export interface VipConfig extends VipSpec {
  loc: Loc;
  peer?: string;
  home?: boolean;
  nodad?: boolean;
  autojoin?: boolean;
  mngtmpaddr?: boolean;
  noTrack?: boolean;
  trackGroup?: string;
  preferredLft?: number;
}

const SCOPES = ['global', 'site', 'link', 'host', 'nowhere'] as const;
type Scope = VipSpec['scope'];

function parseScope(s: string): Scope | undefined {
  if ((SCOPES as readonly string[]).includes(s)) return s as Scope;
  const v = parseIntStrict(s);
  return v !== undefined && v >= 0 && v <= 255 ? v : undefined;
}

const VIP_FLAGS: Record<string, (v: VipConfig) => void> = {
  home: (v) => { v.home = true; },
  '-nodad': (v) => { v.nodad = true; },
  nodad: (v) => { v.nodad = true; },
  noprefixroute: (v) => { v.noPrefixRoute = true; },
  no_prefixroute: (v) => { v.noPrefixRoute = true; },
  autojoin: (v) => { v.autojoin = true; },
  mngtmpaddr: (v) => { v.mngtmpaddr = true; },
  no_track: (v) => { v.noTrack = true; },
};

/** Options taking one argument; returns an error message when the argument is bad. */
const VIP_OPTS: Record<string, (v: VipConfig, a: string) => string | undefined> = {
  brd: (v, a) => setBroadcast(v, a),
  broadcast: (v, a) => setBroadcast(v, a),
  dev: (v, a) => { v.ifname = a; return undefined; },
  scope: (v, a) => {
    const s = parseScope(a);
    if (s === undefined) return `invalid scope '${a}'`;
    v.scope = s;
    return undefined;
  },
  label: (v, a) => { v.label = a; return undefined; },
  peer: (v, a) => {
    if (!parseIpPrefix(a)) return `invalid peer address '${a}'`;
    v.peer = a;
    return undefined;
  },
  track_group: (v, a) => { v.trackGroup = a; return undefined; },
  preferred_lft: (v, a) => {
    const n = a === 'forever' ? 0xffffffff : parseIntStrict(a);
    if (n === undefined || n < 0) return `invalid preferred_lft '${a}'`;
    v.preferredLft = n;
    return undefined;
  },
};

function setBroadcast(v: VipConfig, a: string): string | undefined {
  if (a !== '+' && a !== '-' && !isIPv4(a)) return `invalid broadcast address '${a}'`;
  if (v.family !== 4) return 'broadcast address given for an IPv6 address';
  v.broadcast = a;
  return undefined;
}

/** One `virtual_ipaddress` / `static_ipaddress` line; `ifname` is the instance's interface. */
export function parseVipLine(n: Node, ifname: string | undefined, cx: Ctx): VipConfig | undefined {
  const words = [n.key, ...n.args];
  let ip = parseIpPrefix(n.key.text);
  const slash = n.key.text.indexOf('/');
  const bare = slash < 0 ? undefined : parseIp(n.key.text.slice(0, slash));
  if (!ip && bare) {
    // keepalived parse_ipaddress(): a bad prefix length keeps the address, with the full length.
    const max = bare.family === 4 ? 32 : 128;
    cx.diags.warn('W_BAD_PREFIX', n.key.loc, `Invalid address prefix len ${n.key.text.slice(slash + 1)} for address ${n.key.text} - using ${max}`);
    ip = { ...bare, prefixLength: max };
  }
  if (!ip) {
    cx.diags.warn('W_BAD_ADDRESS', n.key.loc, `VRRP parsed invalid IP ${n.key.text}. skipping IP...`);
    return undefined;
  }
  const v: VipConfig = {
    address: ip.address, family: ip.family, prefixLength: ip.prefixLength ?? (ip.family === 4 ? 32 : 128),
    ifname: ifname ?? '', loc: n.loc,
  };
  for (let i = 1; i < words.length; i++) {
    const w = words[i].text;
    if (VIP_FLAGS[w]) { VIP_FLAGS[w](v); continue; }
    const opt = VIP_OPTS[w];
    if (!opt) {
      cx.diags.warn('W_UNKNOWN_OPTION', words[i].loc, `Unknown configuration entry '${w}' for ip address - ignoring`);
      continue;
    }
    const a = words[i + 1];
    if (!a) { cx.diags.warn('W_MISSING_PARAMETER', words[i].loc, `'${w}' needs a value`); break; }
    const err = opt(v, a.text);
    if (err) cx.diags.warn('W_BAD_VALUE', a.loc, `${err} for ip address ${n.key.text} - ignored`);
    i++;
  }
  return v;
}

/** Validate the interface of an address line (after defaults were applied). */
export function checkVipInterface(v: VipConfig, cx: Ctx): void {
  if (v.ifname) checkInterface(v.ifname, v.loc, `ip address ${v.address}`, cx);
}

const ROUTE_TYPES = ['blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'anycast', 'multicast', 'unicast', 'nat'];
const ROUTE_ARG_OPTS = new Set([
  'src', 'via', 'gw', 'or', 'dev', 'table', 'metric', 'preference', 'scope', 'realm', 'mtu', 'advmss', 'rtt',
  'rttvar', 'reordering', 'window', 'cwnd', 'ssthresh', 'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl',
  'pref', 'protocol', 'tos', 'dsfield', 'nexthop', 'weight', 'onlink', 'no_track', 'track_group', 'fastopen_no_cookie',
  'hoplimit', 'rto_min', 'expires', 'encap', 'ttl-propagate', 'lock',
]);
const ROUTE_FLAGS = new Set(['onlink', 'no_track', 'lock', 'nexthop']);

/** One route line. Deprecated `gw`/`or` are accepted with a warning (as keepalived). */
export function parseRouteLine(n: Node, cx: Ctx): RouteSpec | undefined {
  const words = [n.key, ...n.args];
  const r: Partial<RouteSpec> & { options: string[]; loc: Loc } = { options: [], loc: n.loc };
  let i = 0;
  if (ROUTE_TYPES.includes(words[0].text)) { r.type = words[0].text; i = 1; }
  for (; i < words.length; i++) {
    const w = words[i].text;
    if (ROUTE_FLAGS.has(w)) { r.options.push(w); continue; }
    if (!ROUTE_ARG_OPTS.has(w) && w !== 'to') {
      if (r.to !== undefined) {
        cx.diags.warn('W_UNKNOWN_OPTION', words[i].loc, `Unknown route option '${w}' - ignoring`);
        continue;
      }
      if (!routeDest(r, words[i].text)) return badRoute(words[i].loc, w, cx);
      continue;
    }
    const a = words[i + 1];
    if (!a) { cx.diags.warn('W_MISSING_PARAMETER', words[i].loc, `route option '${w}' needs a value`); break; }
    if (!routeOpt(r, w, a.text, a.loc, cx)) return undefined;
    r.options.push(w, a.text);
    i++;
  }
  if (r.to === undefined) {
    cx.diags.warn('W_BAD_ROUTE', n.loc, 'Route has no destination - skipping');
    return undefined;
  }
  return r as RouteSpec;
}

function routeDest(r: Partial<RouteSpec>, text: string): boolean {
  const p = text === 'default' ? { address: '0.0.0.0', family: 4 as Family, prefixLength: 0 } : parseIpPrefix(text);
  if (!p) return false;
  r.to = text;
  r.family = p.family;
  return true;
}

function badRoute(loc: Loc, w: string, cx: Ctx): undefined {
  cx.diags.warn('W_BAD_ADDRESS', loc, `Invalid route destination '${w}' - skipping route`);
  return undefined;
}

function routeOpt(r: Partial<RouteSpec>, w: string, a: string, loc: Loc, cx: Ctx): boolean {
  if (w === 'gw' || w === 'or') {
    cx.diags.warn('W_DEPRECATED', loc, `"${w}" for routes is deprecated. Please use "${w === 'gw' ? 'via' : 'nexthop'}"`);
  }
  if (w === 'to') return routeDest(r, a) || (badRoute(loc, a, cx) ?? false);
  if (w === 'via' || w === 'gw' || w === 'src' || w === 'or') {
    if (!parseIp(a)) {
      cx.diags.warn('W_BAD_ADDRESS', loc, `Invalid route ${w} address '${a}' - skipping route`);
      return false;
    }
    if (w === 'via' || w === 'gw') r.via ??= a;
    if (w === 'src') r.src = a;
    return true;
  }
  if (w === 'dev') { r.dev = a; checkInterface(a, loc, 'VROUTE nexthop', cx); }
  if (w === 'table') r.table = a;
  if (w === 'scope') r.scope = a;
  if (w === 'metric' || w === 'preference' || w === 'pref') {
    const m = parseIntStrict(a);
    if (m === undefined || m < 0) { cx.diags.warn('W_INVALID_NUMBER', loc, `Invalid route metric '${a}' - ignored`); return true; }
    r.metric = m;
  }
  return true;
}

const RULE_ARG_OPTS = new Set([
  'from', 'to', 'table', 'lookup', 'preference', 'priority', 'prio', 'pref', 'tos', 'dsfield', 'fwmark', 'iif', 'dev',
  'oif', 'realms', 'goto', 'uidrange', 'sport', 'dport', 'ipproto', 'suppress_prefixlength', 'suppress_ifgroup',
  'no_track', 'track_group', 'protocol', 'l3mdev', 'nat', 'type',
]);
const RULE_FLAGS = new Set(['not', 'no_track', 'l3mdev', 'blackhole', 'unreachable', 'prohibit']);

/** One rule line (`from X [to Y] table T [preference P] ...`). */
export function parseRuleLine(n: Node, cx: Ctx): RuleSpec | undefined {
  const words = [n.key, ...n.args];
  const r: RuleSpec = { family: 4, options: [], loc: n.loc };
  for (let i = 0; i < words.length; i++) {
    const w = words[i].text;
    if (RULE_FLAGS.has(w)) { r.options.push(w); continue; }
    if (!RULE_ARG_OPTS.has(w)) {
      cx.diags.warn('W_UNKNOWN_OPTION', words[i].loc, `Unknown rule option '${w}' - ignoring`);
      continue;
    }
    const a = words[i + 1];
    if (!a) { cx.diags.warn('W_MISSING_PARAMETER', words[i].loc, `rule option '${w}' needs a value`); return undefined; }
    if (!ruleOpt(r, w, a.text, a.loc, cx)) return undefined;
    r.options.push(w, a.text);
    i++;
  }
  return r;
}

function ruleOpt(r: RuleSpec, w: string, a: string, loc: Loc, cx: Ctx): boolean {
  if (w === 'from' || w === 'to') {
    const p = a === 'all' ? { family: r.family } : parseIpPrefix(a);
    if (!p) {
      cx.diags.warn('W_BAD_ADDRESS', loc, `Invalid rule ${w} address ${a} - skipping rule`);
      return false;
    }
    r.family = p.family;
    r[w] = a;
  } else if (w === 'table' || w === 'lookup') r.table = a;
  else if (w === 'preference' || w === 'priority' || w === 'prio' || w === 'pref') {
    const v = parseIntStrict(a);
    if (v === undefined || v < 0 || v > 0xffffffff) {
      cx.diags.warn('W_INVALID_NUMBER', loc, `Invalid rule preference '${a}' - skipping rule`);
      return false;
    }
    r.preference = v;
  } else if (w === 'dev' || w === 'iif' || w === 'oif') checkInterface(a, loc, 'rule', cx);
  return true;
}

/** keepalived: rules without a preference get 16384, 16383, ... with a warning. */
export function assignRulePreferences(rules: RuleSpec[], next: { value: number }, cx: Ctx): void {
  for (const r of rules) {
    if (r.preference !== undefined) continue;
    r.preference = next.value--;
    cx.diags.warn('W_RULE_NO_PREFERENCE', r.loc,
      `Rule has no preference specified - setting to ${r.preference}. This is probably not what you want.`);
  }
}
