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
  NotifyScripts, RouteSpec, RuleSpec, ScriptCommand, TrackRef, UnicastPeer, VrrpInstanceConfig,
} from '../model';
import {
  arg, block, checkInterface, flagField, intField, msField, parseIntStrict, readInt, readScript, readSecondsMs,
  type Ctx, type Handler, type Section,
} from '../schema';
import type { Node } from '../tree';

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
  other: Record<string, string[]>;
  state_: VrrpParseState;
}

export function newInstance(name: string, loc: Loc, st: VrrpParseState): InstanceBuilder {
  return {
    name, loc, locs: {}, vips: [], evips: [], routes: [], rules: [], trackInterface: [], trackScript: [],
    trackFile: [], trackProcess: [], nopreempt: false, unicastPeer: [], vmacXmitBase: false, dontTrackPrimary: false,
    notify: {}, debug: 0, nativeIpv6: false, v3ChecksumAsV2: false, other: {}, state_: st,
  };
}

/* --------------------------- shared block readers -------------------------- */

/** `NAME [weight N [reverse]]` lines of a track_* block. */
function trackBlock(min: number, max: number, what: string): (children: Node[], cx: Ctx) => TrackRef[] {
  return (children, cx) => {
    const out: TrackRef[] = [];
    for (const c of children) {
      const ref: TrackRef = { name: c.key.text, loc: c.loc };
      const rest = c.args.map((a) => a.text);
      if (rest[0] === 'weight') {
        const w = readInt(c, 1, min, max, cx);
        if (w === undefined) continue;
        ref.weight = w;
        if (rest[2] === 'reverse') ref.reverse = true;
        else if (rest[2] !== undefined) cx.diags.warn('W_UNKNOWN_OPTION', c.args[2].loc, `Unknown ${what} option '${rest[2]}' - ignored`);
      } else if (rest[0] === 'reverse') ref.reverse = true;
      else if (rest[0] !== undefined) cx.diags.warn('W_UNKNOWN_OPTION', c.args[0].loc, `Unknown ${what} option '${rest[0]}' - ignored`);
      out.push(ref);
    }
    return out;
  };
}

export const readTrackInterfaces = trackBlock(-254, 254, 'track_interface');
export const readTrackScripts = trackBlock(-253, 253, 'track_script');

type TrackField = 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess';

export function trackHandler<B extends Record<TrackField, TrackRef[]>>(field: TrackField): Handler<B> {
  const reader = field === 'trackInterface' ? readTrackInterfaces : readTrackScripts;
  return block<B>((children, _n, b, cx) => {
    const refs = reader(children, cx);
    if (field === 'trackInterface') for (const r of refs) checkInterface(r.name, r.loc, 'track_interface', cx);
    b[field].push(...refs);
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

const stateHandler: Handler<IB> = (n, b, cx) => {
  const t = arg(n, 0, cx);
  if (!t) return;
  const s = t.text.toUpperCase();
  if (s === 'MASTER' || s === 'BACKUP') b.state = s;
  else cx.diags.warn('W_BAD_VALUE', t.loc, `(${b.name}) unknown state '${t.text}', defaulting to BACKUP`);
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
  const v = readSecondsMs(n, 0, 1, 255_000, cx, '1s');
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
    b[field] = ip.address;
  };
}

const unicastPeerHandler = block<IB>((children, _n, b, cx) => {
  for (const c of children) {
    const ip = parseIp(c.key.text);
    if (!ip) {
      cx.diags.warn('W_BAD_ADDRESS', c.key.loc, `(${b.name}) unicast_peer '${c.key.text}' is not a valid IP address - skipping`);
      continue;
    }
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
      if (!r.dev && r.type === undefined) {
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

const useVmacHandler: Handler<IB> = (n, b) => {
  b.useVmac = n.args[0] ? { name: n.args[0].text } : {};
};

const preemptHandler: Handler<IB> = (_n, b) => { b.nopreempt = false; };
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
  nopreempt: flagField<IB>('nopreempt'),
  preempt: preemptHandler,
  preempt_delay: msField<IB>('preemptDelayMs', 0, 1_000_000, 0),
  accept: acceptHandler(true),
  no_accept: acceptHandler(false),
  garp_master_delay: msField<IB>('garpMasterDelayMs', 0, 3_600_000),
  garp_master_repeat: intField<IB>('garpMasterRepeat', 0, 0x7fffffff),
  garp_master_refresh: msField<IB>('garpMasterRefreshMs', 0, 86_400_000),
  garp_master_refresh_repeat: intField<IB>('garpMasterRefreshRepeat', 0, 0x7fffffff),
  garp_lower_prio_delay: msField<IB>('garpLowerPrioDelayMs', 0, 3_600_000),
  garp_lower_prio_repeat: intField<IB>('garpLowerPrioRepeat', 0, 0x7fffffff),
  garp_interval: msField<IB>('garpIntervalMs', 0, 1_000_000),
  gna_interval: msField<IB>('gnaIntervalMs', 0, 1_000_000),
  lower_prio_no_advert: flagField<IB>('lowerPrioNoAdvert'),
  higher_prio_send_advert: flagField<IB>('higherPrioSendAdvert'),
  unicast_src_ip: ipField('unicastSrcIp'),
  unicast_peer: unicastPeerHandler,
  unicast_ttl: intField<IB>('unicastTtl', 1, 255, 255),
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
  native_ipv6: flagField<IB>('nativeIpv6'),
  down_timer_adverts: intField<IB>('downTimerAdverts', 1, 100, 3),
  kernel_rx_buf_size: intField<IB>('kernelRxBufSize', 0, 0x7fffffff),
  v3_checksum_as_v2: flagField<IB>('v3ChecksumAsV2'),
} satisfies Record<string, Handler<IB>>;

export const instanceSection: Section<IB> = {
  name: 'vrrp_instance',
  keywords: IFIELDS,
  known: [
    'use_vmac_addr', 'use_ipvlan', 'unicast_fault_no_peer', 'old_unicast_checksum', 'vrf', 'track_src_ip', 'track_bfd',
    'promote_secondaries', 'linkbeat_use_polling', 'lvs_sync_daemon_interface', 'garp_extra_if', 'vmac_garp_intvl',
  ],
};

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
}

const weightHandler = <B extends { weight: number; weightReverse: boolean }>(min: number, max: number): Handler<B> =>
  (n, b, cx) => {
    const w = readInt(n, 0, min, max, cx, b.weight);
    if (w !== undefined) b.weight = w;
    if (n.args[1]?.text === 'reverse') b.weightReverse = true;
  };

export const scriptSection: Section<ScriptBuilder> = {
  name: 'vrrp_script',
  keywords: {
    script: (n, b, cx) => { b.script = readScript(n, cx) ?? b.script; },
    interval: msField<ScriptBuilder>('intervalMs', 1, 3_600_000, 1000),
    timeout: msField<ScriptBuilder>('timeoutMs', 1, 3_600_000),
    weight: weightHandler<ScriptBuilder>(-253, 253),
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
}

const initFileHandler: Handler<TrackFileBuilder> = (n, b, cx) => {
  let value = 0;
  let overwrite = false;
  for (const a of n.args) {
    if (a.text === 'overwrite') overwrite = true;
    else {
      const v = parseIntStrict(a.text);
      if (v === undefined) cx.diags.warn('W_INVALID_NUMBER', a.loc, `init_file: '${a.text}' is not a valid number - using 0`);
      else value = v;
    }
  }
  b.initFile = { value, overwrite };
};

export const trackFileSection: Section<TrackFileBuilder> = {
  name: 'vrrp_track_file',
  keywords: {
    file: (n, b, cx) => { b.file = arg(n, 0, cx, 'file name')?.text ?? b.file; },
    weight: weightHandler<TrackFileBuilder>(-254, 254),
    init_file: initFileHandler,
  },
};

export interface TrackProcessBuilder {
  name: string;
  loc: Loc;
  process?: string;
  paramMatch?: string;
  weight: number;
  weightReverse: boolean;
  quorum: number;
  quorumMax?: number;
  delayMs: number;
  terminateDelayMs: number;
  forkDelayMs: number;
  fullCommand: boolean;
}

export const trackProcessSection: Section<TrackProcessBuilder> = {
  name: 'vrrp_track_process',
  keywords: {
    process: (n, b, cx) => { b.process = arg(n, 0, cx, 'process name')?.text ?? b.process; },
    param_match: (n, b, cx) => { b.paramMatch = arg(n, 0, cx)?.text ?? b.paramMatch; },
    weight: weightHandler<TrackProcessBuilder>(-254, 254),
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
  smtpAlert: boolean;
  globalTracking: boolean;
  syncGroupTrackingWeight: boolean;
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
