/**
 * `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `vrrp_track_file`,
 * `vrrp_track_process` and `static_*` blocks (keepalived/vrrp/vrrp_parser.c).
 * Handlers fill a builder whose unset fields stay undefined; finish*() in
 * validate.ts applies defaults and cross-checks.
 */
import {
  assignRulePreferences, checkVipInterface, parseIp, parseRouteLine, parseRuleLine, parseVipLine, type VipConfig,
} from '../address';
import type { Loc } from '../diagnostics';
import type {
  NotifyScripts, RouteSpec, RuleSpec, ScriptCommand, TrackProcessConfig, TrackRef, UnicastPeer, VrrpInstanceConfig,
} from '../model';
import {
  arg, block, checkInterface, flagField, intField, msField, parseIntStrict, readInt, readScript, readSecondsMs,
  repeatField, secField, type Ctx, type Handler, type Section,
} from '../schema';
import type { Node } from '../tree';
import { electionRefHandler, type ElectionRefBuilder } from './election';
import { routeAnnounceHandler, type RouteAnnounceBuilder } from './announce';

/** UINT_MAX, and UINT_MAX / TIMER_HZ: keepalived's usual maxima for counts and whole seconds. */
const UINT_MAX = 0xffffffff;
const UINT_MAX_S = Math.floor(UINT_MAX / 1_000_000);

/** Shared per-config state needed while parsing (rule preference counter). */
export interface VrrpParseState {
  nextRulePreference: { value: number };
}

export interface InstanceBuilder {
  name: string;
  loc: Loc;
  locs: Record<string, Loc>;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  virtualRouterId?: number;
  priority?: number;
  advertIntMs?: number;
  version?: 2 | 3;
  authType?: 'PASS' | 'AH';
  authPass?: string;
  vips: VipConfig[];
  evips: VipConfig[];
  routes: RouteSpec[];
  rules: RuleSpec[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  nopreempt: boolean;
  preemptDelayMs?: number;
  accept?: boolean;
  garpMasterDelayMs?: number;
  garpMasterRepeat?: number;
  garpMasterRefreshMs?: number;
  garpMasterRefreshRepeat?: number;
  garpLowerPrioDelayMs?: number;
  garpLowerPrioRepeat?: number;
  garpIntervalMs?: number;
  gnaIntervalMs?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  unicastSrcIp?: string;
  unicastPeer: UnicastPeer[];
  unicastTtl?: number;
  mcastSrcIp?: string;
  mcastDstIp?: string;
  useVmac?: { name?: string; mac?: string };
  vmacXmitBase: boolean;
  dontTrackPrimary: boolean;
  skipCheckAdvAddr?: boolean;
  checkUnicastSrc?: boolean;
  strictMode?: boolean;
  smtpAlert?: boolean;
  notify: NotifyScripts;
  notifyPriorityChanges?: boolean;
  debug: number;
  nativeIpv6: boolean;
  downTimerAdverts?: number;
  kernelRxBufSize?: number;
  v3ChecksumAsV2: boolean;
  /** `election NAME [key KEY]` (ours). */
  election?: ElectionRefBuilder;
  /** `route_announce { }` (ours). */
  routeAnnounce?: RouteAnnounceBuilder;
  other: Record<string, string[]>;
  state_: VrrpParseState;
  /** Address family, fixed by the first address-bearing keyword (keepalived vrrp->family). */
  family?: 4 | 6;
  /** Where a unicast keyword (unicast_src_ip, unicast_peer) was given. */
  unicastLoc?: Loc;
  /** Closing `}` of the block and parse-order position (set by parse.ts). */
  endLoc?: Loc;
  seq?: number;
}

/**
 * keepalived 2.2.7 fixes an instance's family at the first of unicast_peer,
 * unicast_src_ip / mcast_src_ip, mcast_dst_ip, native_ipv6 or a
 * virtual_ipaddress entry, in file order; an address of the other family
 * given later is reported and skipped (vrrp_parser.c, vrrp_data.c
 * alloc_vrrp_vip(): "address family must match VRRP instance").
 */
function claimFamily(b: InstanceBuilder, family: 4 | 6, loc: Loc, what: string, cx: Ctx): boolean {
  if (b.family === undefined) b.family = family;
  if (b.family === family) return true;
  cx.diags.warn('W_FAMILY_MISMATCH', loc, `(${b.name}) ${what} must be IPv${b.family} like the instance - ignoring`);
  return false;
}

export function newInstance(name: string, loc: Loc, st: VrrpParseState): InstanceBuilder {
  return {
    name, loc, locs: {}, vips: [], evips: [], routes: [], rules: [], trackInterface: [], trackScript: [],
    trackFile: [], trackProcess: [], nopreempt: false, unicastPeer: [], vmacXmitBase: false, dontTrackPrimary: false,
    notify: {}, debug: 0, nativeIpv6: false, v3ChecksumAsV2: false, other: {}, state_: st,
  };
}

/* --------------------------- shared block readers -------------------------- */

/**
 * How keepalived 2.2.7 reads the lines `NAME [weight W [reverse|noreverse]]` of
 * one kind of track list (vrrp_track.c alloc_track_if/script/process,
 * track_file.c vrrp_alloc_track_file):
 *  - a second word other than `weight` drops the entry, as does `weight` alone;
 *  - a weight outside [min, max] keeps the entry with the default weight
 *    (track_interface: 0; others: the tracked object's own weight);
 *  - interface and script weights of +/-254 become +/-253 (`fix254`);
 *  - a fourth word other than `reverse` (or `noreverse`) is ignored, except
 *    for track files, where it drops the entry;
 *  - a name already in the list is dropped.
 */
interface TrackRules {
  /** As keepalived names it in messages. */
  what: string;
  min: number;
  max: number;
  fix254: boolean;
  noreverse: boolean;
  badOptionDrops: boolean;
}

const TRACK_RULES: Record<TrackField, TrackRules> = {
  trackInterface: { what: 'track_interface', min: -254, max: 254, fix254: true, noreverse: false, badOptionDrops: false },
  trackScript: { what: 'track_script', min: -254, max: 254, fix254: true, noreverse: true, badOptionDrops: false },
  trackFile: { what: 'track_file', min: -254, max: 254, fix254: false, noreverse: true, badOptionDrops: true },
  trackProcess: { what: 'track_process', min: -254, max: 254, fix254: false, noreverse: true, badOptionDrops: false },
};


function readTrackLine(c: Node, owner: string, rules: TrackRules, cx: Ctx): TrackRef | undefined {
  const ref: TrackRef = { name: c.key.text, loc: c.loc };
  const [opt, val, rev] = c.args;
  if (!opt) return ref;
  const drop = (code: string, at: Loc, msg: string): undefined => { cx.diags.warn(code, at, `(${owner}) ${msg} - ignoring`); return undefined; };
  if (opt.text !== 'weight') return drop('W_UNKNOWN_OPTION', opt.loc, `unknown ${rules.what} ${ref.name} option ${opt.text}`);
  if (!val) return drop('W_MISSING_PARAMETER', opt.loc, `weight without value specified for ${rules.what} ${ref.name}`);
  const w = parseIntStrict(val.text);
  if (w === undefined || w < rules.min || w > rules.max) {
    const dflt = rules.what === 'track_interface' ? 'using 0' : `using the ${rules.what.replace('track_', '')}'s own weight`;
    cx.diags.warn('W_OUT_OF_RANGE', val.loc,
      `(${owner}) weight '${val.text}' for ${rules.what} ${ref.name} must be in [${rules.min === -254 && rules.fix254 ? -253 : rules.min}..${rules.fix254 ? 253 : rules.max}] - ${dflt}`);
    if (rules.what === 'track_interface') ref.weight = 0;
  } else if (rules.fix254 && Math.abs(w) === 254) {
    cx.diags.warn('W_OUT_OF_RANGE', val.loc, `(${owner}) weight for ${ref.name} cannot be +/-254. Setting to +/-253`);
    ref.weight = w < 0 ? -253 : 253;
  } else ref.weight = w;
  if (rev) {
    if (rev.text === 'reverse') ref.reverse = true;
    else if (rev.text === 'noreverse' && rules.noreverse) ref.reverse = false;
    else if (rules.badOptionDrops) return drop('W_UNKNOWN_OPTION', rev.loc, `unknown ${rules.what} ${ref.name} weight option ${rev.text}`);
    else cx.diags.warn('W_UNKNOWN_OPTION', rev.loc, `(${owner}) unknown ${rules.what} ${ref.name} weight option ${rev.text} - ignoring`);
  }
  return ref;
}

type TrackField = 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess';

export function trackHandler<B extends Record<TrackField, TrackRef[]> & { name: string }>(field: TrackField): Handler<B> {
  const rules = TRACK_RULES[field];
  return block<B>((children, _n, b, cx) => {
    const names = new Set(b[field].map((r) => r.name));
    for (const c of children) {
      const ref = readTrackLine(c, b.name, rules, cx);
      if (!ref) continue;
      if (names.has(ref.name)) {
        cx.diags.warn('W_DUPLICATE_TRACK', c.loc, `(${b.name}) duplicate ${rules.what} ${ref.name} - ignoring`);
        continue;
      }
      // keepalived (vrrp_track.c alloc_track_if): a tracked interface that does not exist is
      // dropped, unless dynamic_interfaces lets it appear later.
      if (field === 'trackInterface' && !checkInterface(ref.name, ref.loc, 'track_interface', cx) && !cx.dynamicInterfaces) continue;
      (cx.refSeq ??= new Map()).set(ref, cx.seq ?? 0);
      b[field].push(ref);
      names.add(ref.name);
    }
  });
}

export function notifyHandler<B extends { notify: NotifyScripts }>(field: keyof NotifyScripts): Handler<B> {
  return (n, b, cx) => {
    const s: ScriptCommand | undefined = readScript(n, cx);
    if (s) b.notify[field] = s;
  };
}

/* ------------------------------ instance parts ----------------------------- */

type IB = InstanceBuilder;

/** `state MASTER|BACKUP` (case-sensitive, as keepalived's strcmp()). */
const stateHandler: Handler<IB> = (n, b, cx) => {
  const t = arg(n, 0, cx);
  if (!t) return;
  const s = t.text;
  if (s === 'MASTER' || s === 'BACKUP') b.state = s;
  else {
    cx.diags.warn('W_BAD_VALUE', t.loc, `(${b.name}) unknown state '${t.text}', defaulting to BACKUP`);
    b.state = 'BACKUP';
  }
};

const interfaceHandler: Handler<IB> = (n, b, cx) => {
  const t = arg(n, 0, cx, 'interface name');
  if (!t) return;
  if (t.text === 'lo') {
    cx.diags.warn('W_LOOPBACK_INTERFACE', t.loc, `(${b.name}) cannot use a loopback interface (lo) for vrrp - ignoring`);
    return;
  }
  b.interface = t.text;
  checkInterface(t.text, t.loc, `vrrp_instance ${b.name}`, cx);
};

const advertHandler: Handler<IB> = (n, b, cx) => {
  const v = readSecondsMs(n, 0, 10, 255_000, cx, '1s');
  if (v === undefined) return;
  if (v <= 0) cx.diags.warn('W_OUT_OF_RANGE', n.args[0].loc, `(${b.name}) Advert interval (${n.args[0].text}) not valid! Must be > 0 - ignoring`);
  else b.advertIntMs = v;
};

function ipField(field: 'unicastSrcIp' | 'mcastSrcIp' | 'mcastDstIp'): Handler<IB> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx, 'address');
    if (!t) return;
    const ip = parseIp(t.text);
    if (!ip) {
      cx.diags.warn('W_BAD_ADDRESS', t.loc, `(${b.name}) ${n.key.text} '${t.text}' is not a valid IP address - ignored`);
      return;
    }
    if (field === 'unicastSrcIp') b.unicastLoc ??= n.loc;
    if (!claimFamily(b, ip.family, t.loc, `${n.key.text} ${t.text}`, cx)) return;
    // vrrp_mcast_dstip_handler(): IPv4 multicast, or IPv6 link-local multicast (ff02::/16).
    if (field === 'mcastDstIp' && !(ip.family === 4 ? /^2(2[4-9]|3\d)\./.test(ip.address) : /^ff02:/i.test(ip.address))) {
      cx.diags.warn('W_BAD_ADDRESS', t.loc, `(${b.name}) mcast_dst_ip ${t.text} not${ip.family === 6 ? ' link-local' : ''} multicast. Skipping...`);
      return;
    }
    b[field] = ip.address;
  };
}

const unicastPeerHandler = block<IB>((children, n, b, cx) => {
  b.unicastLoc ??= n.loc;
  for (const c of children) {
    const ip = parseIp(c.key.text);
    if (!ip) {
      cx.diags.warn('W_BAD_ADDRESS', c.key.loc, `(${b.name}) unicast_peer '${c.key.text}' is not a valid IP address - skipping`);
      continue;
    }
    if (!claimFamily(b, ip.family, c.key.loc, `unicast peer ${ip.address}`, cx)) continue;
    const peer: UnicastPeer = { address: ip.address, family: ip.family, loc: c.loc };
    for (let i = 0; i < c.args.length; i += 2) {
      const k = c.args[i].text;
      if (k !== 'min_ttl' && k !== 'max_ttl') {
        cx.diags.warn('W_UNKNOWN_OPTION', c.args[i].loc, `(${b.name}) unknown unicast_peer option '${k}' - ignored`);
        continue;
      }
      const v = readInt(c, i + 1, 0, 255, cx);
      if (v !== undefined) peer[k === 'min_ttl' ? 'minTtl' : 'maxTtl'] = v;
    }
    b.unicastPeer.push(peer);
  }
});

const authHandler = block<IB>((children, _n, b, cx) => {
  for (const c of children) {
    if (c.key.text === 'auth_type') {
      const t = arg(c, 0, cx);
      const v = t?.text.toUpperCase();
      if (v === 'PASS' || v === 'AH') b.authType = v;
      else if (t) cx.diags.warn('W_BAD_VALUE', t.loc, `(${b.name}) unknown authentication type '${t.text}' - ignored`);
    } else if (c.key.text === 'auth_pass') {
      const t = arg(c, 0, cx);
      if (!t) continue;
      b.authPass = t.text.slice(0, 8);
      if (t.text.length > 8) cx.diags.warn('W_AUTH_PASS_TRUNCATED', t.loc, `Truncating auth_pass to 8 characters ('${b.authPass}')`);
    } else cx.diags.warn('W_UNKNOWN_KEYWORD', c.loc, `Unknown keyword '${c.key.text}' in authentication`);
  }
});

function vipHandler(field: 'vips' | 'evips'): Handler<IB> {
  return block<IB>((children, _n, b, cx) => {
    for (const c of children) {
      const v = parseVipLine(c, undefined, cx);
      if (!v) continue;
      // Only virtual_ipaddress fixes/needs the family; excluded addresses may be of either.
      if (field === 'vips' && !claimFamily(b, v.family, c.key.loc, `address ${v.address}`, cx)) continue;
      if (v.ifname) checkVipInterface(v, cx);
      b[field].push(v);
    }
  });
}

export function routesHandler<B>(get: (b: B) => RouteSpec[]): Handler<B> {
  return block<B>((children, _n, b, cx) => {
    for (const c of children) {
      const r = parseRouteLine(c, cx);
      if (!r) continue;
      // vrrp_iproute.c: any route without an output interface, typed (blackhole, ...) or not.
      if (!r.dev) {
        cx.diags.warn('W_ROUTE_NO_INTERFACE', c.loc, `Warning - cannot track route ${r.to} with no interface specified, not tracking`);
      }
      get(b).push(r);
    }
  });
}

export function rulesHandler<B>(get: (b: B) => RuleSpec[], st: (b: B) => VrrpParseState): Handler<B> {
  return block<B>((children, _n, b, cx) => {
    for (const c of children) {
      const r = parseRuleLine(c, cx);
      if (!r) continue;
      assignRulePreferences([r], st(b).nextRulePreference, cx);
      get(b).push(r);
    }
  });
}

/** keepalived dev_name_valid(): < IFNAMSIZ (16) characters, no '/', ':' or blanks, not '.' or '..'. */
export function validIfName(name: string): boolean {
  return name.length > 0 && name.length < 16 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

const useVmacHandler: Handler<IB> = (n, b, cx) => {
  const t = n.args[0];
  if (t && !validIfName(t.text)) {
    cx.diags.warn('W_BAD_VALUE', t.loc, `VMAC interface name '${t.text}' too long or invalid characters - ignoring`);
    return;
  }
  b.useVmac = t ? { name: t.text } : {};
};

/** keepalived's nopreempt/preempt handlers take no argument (any word after them is not read). */
const nopreemptHandler: Handler<IB> = (_n, b) => { b.nopreempt = true; };
const preemptHandler: Handler<IB> = (_n, b) => { b.nopreempt = false; };

const lvsSyncDaemonInterface: Handler<IB> = (n, b, cx) => {
  cx.diags.warn('W_DEPRECATED', n.loc, `(${b.name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon`);
  b.other[n.key.text] = n.args.map((a) => a.text);
};
const acceptHandler = (v: boolean): Handler<IB> => (_n, b) => { b.accept = v; };

const IFIELDS = {
  state: stateHandler,
  interface: interfaceHandler,
  virtual_router_id: intField<IB>('virtualRouterId', 1, 255),
  priority: intField<IB>('priority', 1, 255, 100),
  advert_int: advertHandler,
  version: intField<IB>('version', 2, 3),
  authentication: authHandler,
  virtual_ipaddress: vipHandler('vips'),
  virtual_ipaddress_excluded: vipHandler('evips'),
  virtual_routes: routesHandler<IB>((b) => b.routes),
  virtual_rules: rulesHandler<IB>((b) => b.rules, (b) => b.state_),
  track_interface: trackHandler<IB>('trackInterface'),
  track_script: trackHandler<IB>('trackScript'),
  track_file: trackHandler<IB>('trackFile'),
  track_process: trackHandler<IB>('trackProcess'),
  nopreempt: nopreemptHandler,
  preempt: preemptHandler,
  preempt_delay: msField<IB>('preemptDelayMs', 0, 1_000_000, 0),
  accept: acceptHandler(true),
  no_accept: acceptHandler(false),
  // GARP delays and refresh are whole seconds in keepalived 2.2.7 (read_unsigned_strvec()).
  garp_master_delay: secField<IB>('garpMasterDelayMs', 0, UINT_MAX_S),
  garp_master_repeat: repeatField<IB>('garpMasterRepeat', UINT_MAX),
  garp_master_refresh: secField<IB>('garpMasterRefreshMs', 0, UINT_MAX),
  garp_master_refresh_repeat: repeatField<IB>('garpMasterRefreshRepeat', UINT_MAX),
  garp_lower_prio_delay: secField<IB>('garpLowerPrioDelayMs', 0, UINT_MAX_S),
  garp_lower_prio_repeat: intField<IB>('garpLowerPrioRepeat', 0, 0x7fffffff),
  lower_prio_no_advert: flagField<IB>('lowerPrioNoAdvert'),
  higher_prio_send_advert: flagField<IB>('higherPrioSendAdvert'),
  unicast_src_ip: ipField('unicastSrcIp'),
  unicast_peer: unicastPeerHandler,
  unicast_ttl: intField<IB>('unicastTtl', 0, 255, 255),
  mcast_src_ip: ipField('mcastSrcIp'),
  mcast_dst_ip: ipField('mcastDstIp'),
  use_vmac: useVmacHandler,
  vmac_xmit_base: flagField<IB>('vmacXmitBase'),
  dont_track_primary: flagField<IB>('dontTrackPrimary'),
  skip_check_adv_addr: flagField<IB>('skipCheckAdvAddr'),
  check_unicast_src: flagField<IB>('checkUnicastSrc'),
  strict_mode: flagField<IB>('strictMode'),
  smtp_alert: flagField<IB>('smtpAlert'),
  notify_master: notifyHandler<IB>('master'),
  notify_backup: notifyHandler<IB>('backup'),
  notify_fault: notifyHandler<IB>('fault'),
  notify_stop: notifyHandler<IB>('stop'),
  notify_deleted: notifyHandler<IB>('deleted'),
  notify_master_rx_lower_pri: notifyHandler<IB>('masterRxLowerPri'),
  notify: notifyHandler<IB>('generic'),
  notify_priority_changes: flagField<IB>('notifyPriorityChanges'),
  debug: intField<IB>('debug', 0, 4, 0),
  native_ipv6: (n, b, cx) => {
    if (b.family === 4) {
      cx.diags.warn('W_FAMILY_MISMATCH', n.loc, `(${b.name}) Cannot specify native_ipv6 with IPv4 addresses - ignoring`);
      return;
    }
    b.family = 6;
    b.nativeIpv6 = true;
  },
  down_timer_adverts: intField<IB>('downTimerAdverts', 1, 100, 3),
  kernel_rx_buf_size: intField<IB>('kernelRxBufSize', 0, 0x7fffffff),
  v3_checksum_as_v2: flagField<IB>('v3ChecksumAsV2'),
  election: electionRefHandler<IB>(),
  route_announce: routeAnnounceHandler<IB>(),
} satisfies Record<string, Handler<IB>>;

export const instanceSection: Section<IB> = {
  name: 'vrrp_instance',
  keywords: IFIELDS,
  known: [
    'use_vmac_addr', 'use_ipvlan', 'unicast_fault_no_peer', 'old_unicast_checksum', 'vrf', 'track_src_ip', 'track_bfd',
    'promote_secondaries', 'linkbeat_use_polling', 'garp_extra_if', 'vmac_garp_intvl',
  ],
};
(IFIELDS as Record<string, Handler<IB>>).lvs_sync_daemon_interface = lvsSyncDaemonInterface;

/* ---------------------------- other vrrp blocks ---------------------------- */

export interface ScriptBuilder {
  name: string;
  loc: Loc;
  script?: ScriptCommand;
  intervalMs?: number;
  timeoutMs?: number;
  weight: number;
  weightReverse: boolean;
  rise?: number;
  fall?: number;
  user?: string;
  group?: string;
  initFail: boolean;
  endLoc?: Loc;
  seq?: number;
}

const weightHandler = <B extends { name: string; weight: number; weightReverse: boolean }>(min: number, max: number, what: string): Handler<B> =>
  (n, b, cx) => {
    const w = readInt(n, 0, min, max, cx, b.weight);
    if (w !== undefined) b.weight = w;
    const opt = n.args[1];
    if (opt?.text === 'reverse') b.weightReverse = true;
    else if (opt) cx.diags.warn('W_UNKNOWN_OPTION', opt.loc, `${what} ${b.name} unknown weight option ${opt.text} - ignored`);
  };

export const scriptSection: Section<ScriptBuilder> = {
  name: 'vrrp_script',
  keywords: {
    script: (n, b, cx) => { b.script = readScript(n, cx) ?? b.script; },
    // Whole seconds, 0 read as 1 (vrrp_vscript_interval_handler / _timeout_handler).
    interval: secField<ScriptBuilder>('intervalMs', 0, UINT_MAX_S, 1000, true),
    timeout: secField<ScriptBuilder>('timeoutMs', 0, UINT_MAX_S, undefined, true),
    weight: weightHandler<ScriptBuilder>(-253, 253, 'vrrp_script'),
    rise: intField<ScriptBuilder>('rise', 1, 0x7fffffff, 1),
    fall: intField<ScriptBuilder>('fall', 1, 0x7fffffff, 1),
    user: (n, b, cx) => {
      const t = arg(n, 0, cx, 'user name');
      if (!t) return;
      b.user = t.text;
      if (n.args[1]) b.group = n.args[1].text;
    },
    init_fail: (_n, b) => { b.initFail = true; },
  },
};

export interface TrackFileBuilder {
  name: string;
  loc: Loc;
  file?: string;
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
  endLoc?: Loc;
  seq?: number;
}

/** `init_file [VALUE] [overwrite]`; VALUE in [-254, 254] (track_file.c track_file_init_handler). */
const initFileHandler: Handler<TrackFileBuilder> = (n, b, cx) => {
  let value = 0;
  let overwrite = false;
  for (const a of n.args) {
    if (a.text === 'overwrite') overwrite = true;
    else {
      const v = parseIntStrict(a.text);
      if (v === undefined) cx.diags.warn('W_INVALID_NUMBER', a.loc, `Track file ${b.name} init value ${a.text} is invalid - using 0`);
      else if (v < -254 || v > 254) cx.diags.warn('W_OUT_OF_RANGE', a.loc, `Track file ${b.name} init value ${v} is outside sensible range [-254, 254] - using 0`);
      else value = v;
    }
  }
  b.initFile = { value, overwrite };
};

export const trackFileSection: Section<TrackFileBuilder> = {
  name: 'vrrp_track_file',
  keywords: {
    file: (n, b, cx) => { b.file = arg(n, 0, cx, 'file name')?.text ?? b.file; },
    weight: weightHandler<TrackFileBuilder>(-254, 254, 'track_file'),
    init_file: initFileHandler,
  },
};

/** A vrrp_track_process block being read: the model's fields, with what is still unset optional. */
export type TrackProcessBuilder = Omit<TrackProcessConfig, 'process' | 'paramMatch'> & {
  process?: string;
  /** Unset: 'none' (set to 'exact' by parameters or a bare param_match). */
  paramMatch?: Exclude<TrackProcessConfig['paramMatch'], 'none'>;
  endLoc?: Loc;
  seq?: number;
};

export const trackProcessSection: Section<TrackProcessBuilder> = {
  name: 'vrrp_track_process',
  keywords: {
    process: (n, b, cx) => {
      if (b.process !== undefined) {
        cx.diags.warn('W_DUPLICATE', n.loc, `Process already set for track process ${b.name} - ignoring ${n.args[0]?.text ?? ''}`);
        return;
      }
      const name = arg(n, 0, cx, 'process name');
      if (!name) return;
      b.process = name.text;
      if (n.args.length > 1) {
        // keepalived: parameters imply an exact parameter match on the full command line.
        b.params = n.args.slice(1).map((a) => a.text);
        b.paramMatch ??= 'exact';
        b.fullCommand = true;
      }
    },
    param_match: (n, b, cx) => {
      const t = n.args[0]?.text;
      if (t === undefined) b.paramMatch = 'exact';
      else if (t === 'initial' || t === 'partial') b.paramMatch = t;
      else {
        cx.diags.warn('W_INVALID_VALUE', n.args[0].loc, `Invalid param_match type ${t} - ignoring`);
        return;
      }
      b.fullCommand = true;
    },
    weight: weightHandler<TrackProcessBuilder>(-254, 254, 'track_process'),
    quorum: intField<TrackProcessBuilder>('quorum', 0, 0xffff, 1),
    quorum_max: intField<TrackProcessBuilder>('quorumMax', 0, 0xffff),
    delay: msField<TrackProcessBuilder>('delayMs', 0, 3_600_000, 0),
    terminate_delay: msField<TrackProcessBuilder>('terminateDelayMs', 0, 3_600_000, 0),
    fork_delay: msField<TrackProcessBuilder>('forkDelayMs', 0, 3_600_000, 0),
    full_command: flagField<TrackProcessBuilder>('fullCommand'),
  },
};

export interface SyncGroupBuilder {
  name: string;
  loc: Loc;
  group: TrackRef[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  notify: NotifyScripts;
  /** Unset: the global smtp_alert_vrrp / smtp_alert applies (keepalived's -1). */
  smtpAlert?: boolean;
  globalTracking: boolean;
  syncGroupTrackingWeight: boolean;
  endLoc?: Loc;
  seq?: number;
}

type SB = SyncGroupBuilder;

export const syncGroupSection: Section<SB> = {
  name: 'vrrp_sync_group',
  keywords: {
    group: block<SB>((children, _n, b) => {
      for (const c of children) for (const t of [c.key, ...c.args]) b.group.push({ name: t.text, loc: t.loc });
    }),
    track_interface: trackHandler<SB>('trackInterface'),
    track_script: trackHandler<SB>('trackScript'),
    track_file: trackHandler<SB>('trackFile'),
    track_process: trackHandler<SB>('trackProcess'),
    notify_master: notifyHandler<SB>('master'),
    notify_backup: notifyHandler<SB>('backup'),
    notify_fault: notifyHandler<SB>('fault'),
    notify_stop: notifyHandler<SB>('stop'),
    notify: notifyHandler<SB>('generic'),
    smtp_alert: flagField<SB>('smtpAlert'),
    global_tracking: flagField<SB>('globalTracking'),
    sync_group_tracking_weight: flagField<SB>('syncGroupTrackingWeight'),
  },
  known: ['track_bfd', 'notify_priority_changes'],
};

/* ---------------------------------- static --------------------------------- */

/** `static_ipaddress { ADDR ... dev IF }` lines; `dev` is required. */
export function readStaticAddresses(children: Node[], cx: Ctx): VipConfig[] {
  const out: VipConfig[] = [];
  for (const c of children) {
    const v = parseVipLine(c, undefined, cx);
    if (!v) continue;
    if (!v.ifname) {
      cx.diags.warn('W_NO_DEV', c.loc, `static_ipaddress ${c.key.text} has no 'dev' - skipping`);
      continue;
    }
    checkVipInterface(v, cx);
    out.push(v);
  }
  return out;
}

export type { VrrpInstanceConfig };
