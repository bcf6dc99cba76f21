/**
 * From builders to the final model: defaults (global settings applied) and
 * keepalived's semantic checks (vrrp.c vrrp_complete_instance and friends),
 * each reported at the line that caused it. Values keepalived fixes up are
 * fixed up the same way, with a warning naming the value used.
 */
import type { VipConfig } from './address';
import type { Loc } from './diagnostics';
import type {
  GlobalConfig, KeepalivedConfig, ScriptCommand, SyncGroupConfig, TrackFileConfig, TrackProcessConfig, TrackRef,
  VirtualServerGroupConfig, VrrpInstanceConfig, VrrpScriptConfig,
} from './model';
import type { RootBuilder } from './parse';
import { fileCheckRefs, groupVsWithoutProtocol } from './sections/check';
import type { Ctx } from './schema';
import { finishElection, resolveElectionRef } from './sections/election';
import { finishRouteAnnounce } from './sections/announce';
import { finishGlobal } from './sections/global';
import type { InstanceBuilder, ScriptBuilder, SyncGroupBuilder } from './sections/vrrp';

const OWNER = 255;

export function finish(r: RootBuilder, cx: Ctx): Omit<KeepalivedConfig, 'unmodelled'> {
  const global = finishGlobal(r.global);
  const scriptBuilders = r.scripts.filter((s) => {
    if (s.script) return true;
    cx.diags.warn('W_NO_SCRIPT', s.endLoc ?? s.loc, `No script set for vrrp_script ${s.name} - removing`);
    return false;
  });
  const vrrpScripts = scriptBuilders.map(finishScript);
  const fileBuilders = r.trackFiles.filter((f) => {
    if (f.file) return true;
    cx.diags.warn('W_NO_FILE', f.endLoc ?? f.loc, `No file set for track_file ${f.name} - removing`);
    return false;
  });
  const trackFiles = fileBuilders.map(({ endLoc: _e, seq: _s, ...f }) => f as TrackFileConfig);
  const processBuilders = r.trackProcesses.filter((p) => {
    if (p.process) return true;
    cx.diags.warn('W_NO_PROCESS', p.endLoc ?? p.loc, `No process set for vrrp_track_process ${p.name} - removing`);
    return false;
  });
  const trackProcesses = processBuilders.map(({ endLoc: _e, seq: _s, ...p }) => ({ ...p, paramMatch: p.paramMatch ?? 'none' }) as TrackProcessConfig);
  const elections = new Map(r.elections.map((b) => [b.name, { config: finishElection(b, global.routerId, cx), seq: b.seq ?? 0, loc: b.loc }]));
  const names: Names = { scripts: defsOf(scriptBuilders), files: defsOf(fileBuilders), processes: defsOf(processBuilders), elections };
  const instances: VrrpInstanceConfig[] = [];
  const vridLocs = new Map<VrrpInstanceConfig, Loc>();
  for (const b of r.instances) {
    const inst = finishInstance(b, global, names, cx);
    if (!inst) continue;
    if (b.routeAnnounce) {
      const ra = finishRouteAnnounce(b.routeAnnounce, inst, r.virtualServers, cx);
      if (ra === 'error') continue;
      inst.routeAnnounce = ra;
    }
    instances.push(inst);
    vridLocs.set(inst, b.locs.virtual_router_id ?? b.loc);
  }
  // Election and anycast instances send no adverts: their VRID (if any) conflicts with nothing.
  checkDuplicateVrids(instances.filter((i) => !i.election && i.routeAnnounce?.mode !== 'anycast'), vridLocs, cx);
  checkElectionKeys(instances, cx);
  const syncGroups = finishSyncGroups(r.syncGroups, instances, names, global, cx);
  trackingWeightRules(instances, syncGroups, vrrpScripts, trackFiles, cx);
  resolveFileChecks(r, names.files, cx);
  const groups = new Map<string, VirtualServerGroupConfig>();
  for (const g of r.virtualServerGroups) if (!groups.has(g.name)) groups.set(g.name, g);
  for (const vs of r.virtualServers) {
    const g = groupVsWithoutProtocol.has(vs) && vs.group !== undefined ? groups.get(vs.group) : undefined;
    if (g && g.entries.some((e) => e.address !== undefined)) {
      // check_data.c: a group with address ranges needs a protocol like an address service.
      cx.diags.warn('W_VS_NO_PROTOCOL', vs.loc, `Virtual server [${vs.group}]: no protocol set - defaulting to UDP`);
      vs.protocol = 'UDP';
    }
  }
  return {
    global, vrrpScripts, trackFiles, trackProcesses, instances, syncGroups,
    elections: [...elections.values()].flatMap((d) => (d.config ? [d.config] : [])),
    staticAddresses: r.staticAddresses, staticRoutes: r.staticRoutes, staticRules: r.staticRules,
    virtualServerGroups: r.virtualServerGroups, virtualServers: r.virtualServers,
  };
}

/**
 * FILE_CHECK `track_file NAME` must name a track_file defined before it
 * (check_file.c looks it up while parsing); otherwise the checker is dropped.
 */
function resolveFileChecks(r: RootBuilder, files: Map<string, Def>, cx: Ctx): void {
  for (const vs of r.virtualServers) {
    for (const rs of vs.realServers) {
      rs.checkers = rs.checkers.filter((c) => {
        const ref = fileCheckRefs.get(c);
        if (!ref) return true;
        const d = files.get(ref.name);
        if (d && d.seq < ref.seq) return true;
        const later = d ? ` (it is defined later, at ${d.loc.file}:${d.loc.line}; keepalived needs the definition first)` : '';
        cx.diags.warn('W_UNRESOLVED_REFERENCE', ref.loc, `track_file ${ref.name} not found - FILE_CHECK ignored${later}`);
        return false;
      });
    }
  }
}

/** A definition: where it is and its parse-order position. */
interface Def {
  seq: number;
  loc: Loc;
}

function defsOf(xs: Array<{ name: string; seq?: number; loc: Loc }>): Map<string, Def> {
  return new Map(xs.map((x) => [x.name, { seq: x.seq ?? 0, loc: x.loc }]));
}

interface Names {
  scripts: Map<string, Def>;
  files: Map<string, Def>;
  processes: Map<string, Def>;
  elections: Parameters<typeof resolveElectionRef>[1];
}

/** Two instances on one etcd election key would fight over one leader key: the second is refused. */
function checkElectionKeys(instances: VrrpInstanceConfig[], cx: Ctx): void {
  const seen = new Map<string, VrrpInstanceConfig>();
  for (const i of instances) {
    if (!i.election) continue;
    const k = `${i.election.name}|${i.election.key}`;
    const first = seen.get(k);
    if (first) {
      cx.diags.error('E_ELECTION_DUPLICATE_KEY', i.election.loc,
        `(${i.name}) election key ${i.election.key} of etcd_election ${i.election.name} is already used by ${first.name} - give one of them 'key NAME'`);
    } else seen.set(k, i);
  }
}

function finishScript(s: ScriptBuilder): VrrpScriptConfig {
  const intervalMs = s.intervalMs ?? 1000;
  const out: VrrpScriptConfig = {
    name: s.name, loc: s.loc, script: s.script as ScriptCommand, intervalMs, timeoutMs: s.timeoutMs ?? intervalMs,
    weight: s.weight, weightReverse: s.weightReverse, rise: s.rise ?? 1, fall: s.fall ?? 1, initFail: s.initFail,
  };
  if (s.user !== undefined) out.user = s.user;
  if (s.group !== undefined) out.group = s.group;
  return out;
}

/**
 * Keep only references to defined objects; report the others at the
 * reference. keepalived 2.2.7 looks a track_script/track_file/track_process
 * name up while parsing the reference (vrrp_track.c alloc_track_script()), so
 * only objects defined *before* it are found.
 */
function resolveRefs(refs: TrackRef[], known: Map<string, Def>, owner: string, what: string, cx: Ctx): TrackRef[] {
  return refs.filter((r) => {
    const d = known.get(r.name);
    const at = cx.refSeq?.get(r) ?? Number.MAX_SAFE_INTEGER;
    if (d && d.seq < at) return true;
    const later = d ? ` (it is defined later, at ${d.loc.file}:${d.loc.line}; keepalived needs the definition first)` : '';
    cx.diags.warn('W_UNRESOLVED_REFERENCE', r.loc, `(${owner}) ${what} ${r.name} not found, ignoring...${later}`);
    return false;
  });
}

function finishInstance(b: InstanceBuilder, g: GlobalConfig, names: Names, cx: Ctx): VrrpInstanceConfig | undefined {
  const election = resolveElectionRef(b, names.elections, cx);
  if (election === 'error') return undefined;
  if (b.virtualRouterId === undefined && !election) {
    cx.diags.error('E_NO_VRID', b.loc, `(${b.name}) the virtual router id must be set - instance ignored`);
    return undefined;
  }
  const family = b.family ?? 4;
  const version = instanceVersion(b, family, g, cx);
  const strictMode = b.strictMode ?? g.vrrpStrict;
  if (b.vips.length === 0) {
    // vrrp.c vrrp_complete_instance(): fatal for v3, IPv6 or strict mode (VRRP does not start).
    if (version === 3 || family === 6 || strictMode) {
      cx.diags.error('E_NO_VIP', b.loc, `(${b.name}) No VIP specified; at least one is required`);
      return undefined;
    }
    cx.diags.warn('W_NO_VIP', b.loc, `(${b.name}) No VIP specified; at least one is sensible`);
  }
  let priority = b.priority ?? (b.state === 'MASTER' ? OWNER : 100);
  if (election && priority === OWNER) {
    // An address owner takes MASTER without asking anyone: that cannot be an election.
    cx.diags.warn('W_ELECTION_OWNER', b.locs.priority ?? b.locs.state ?? b.loc, `(${b.name}) priority 255 (address owner) has no meaning in an election - using 254`);
    priority = OWNER - 1;
  }
  const ifname = b.interface ?? g.defaultInterface;
  for (const v of [...b.vips, ...b.evips]) if (!v.ifname) v.ifname = ifname;
  const inst: VrrpInstanceConfig = {
    name: b.name, loc: b.loc, state: b.state ?? (priority === OWNER ? 'MASTER' : 'BACKUP'), interface: ifname,
    virtualRouterId: b.virtualRouterId ?? 0, priority, advertIntMs: advertInterval(b, version, cx), version, family,
    virtualIpaddress: b.vips, virtualIpaddressExcluded: b.evips, virtualRoutes: b.routes, virtualRules: b.rules,
    trackInterface: b.trackInterface.filter((t) => {
      if (t.name !== ifname) return true;
      cx.diags.warn('W_TRACK_OWN_INTERFACE', t.loc, `(${b.name}) Ignoring track_interface ${t.name} since own interface`);
      return false;
    }),
    trackScript: resolveRefs(b.trackScript, names.scripts, b.name, 'track script', cx),
    trackFile: resolveRefs(b.trackFile, names.files, b.name, 'track file', cx),
    trackProcess: resolveRefs(b.trackProcess, names.processes, b.name, 'track process', cx),
    nopreempt: b.nopreempt, preemptDelayMs: b.preemptDelayMs ?? 0, accept: false,
    garpMasterDelayMs: b.garpMasterDelayMs ?? g.vrrpGarpMasterDelayMs,
    garpMasterRepeat: b.garpMasterRepeat ?? g.vrrpGarpMasterRepeat,
    garpMasterRefreshMs: b.garpMasterRefreshMs ?? g.vrrpGarpMasterRefreshMs,
    garpMasterRefreshRepeat: b.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
    garpLowerPrioDelayMs: b.garpLowerPrioDelayMs ?? g.vrrpGarpLowerPrioDelayMs,
    garpLowerPrioRepeat: b.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat,
    garpIntervalMs: b.garpIntervalMs ?? g.vrrpGarpIntervalMs,
    gnaIntervalMs: b.gnaIntervalMs ?? g.vrrpGnaIntervalMs,
    lowerPrioNoAdvert: b.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert,
    higherPrioSendAdvert: b.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert,
    unicastPeer: b.unicastPeer, unicastTtl: b.unicastTtl ?? 255,
    mcastDstIp: b.mcastDstIp ?? (family === 4 ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6),
    vmacXmitBase: b.vmacXmitBase, dontTrackPrimary: b.dontTrackPrimary,
    skipCheckAdvAddr: b.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    checkUnicastSrc: b.checkUnicastSrc ?? g.vrrpCheckUnicastSrc,
    strictMode, smtpAlert: b.smtpAlert ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false, notify: b.notify,
    notifyPriorityChanges: b.notifyPriorityChanges ?? g.vrrpNotifyPriorityChanges, debug: b.debug,
    nativeIpv6: b.nativeIpv6, downTimerAdverts: b.downTimerAdverts ?? g.vrrpDownTimerAdverts,
    v3ChecksumAsV2: b.v3ChecksumAsV2, other: b.other,
  };
  copyOptional(b, inst);
  if (election) inst.election = election;
  checkStrict(inst, b, cx);
  checkAuthentication(inst, b, cx);
  checkPreempt(inst, b, cx);
  checkUnicast(inst, b, cx);
  inst.accept = b.accept ?? (priority === OWNER ? true : !strictMode);
  return inst;
}

function copyOptional(b: InstanceBuilder, inst: VrrpInstanceConfig): void {
  if (b.unicastSrcIp !== undefined) inst.unicastSrcIp = b.unicastSrcIp;
  if (b.mcastSrcIp !== undefined) inst.mcastSrcIp = b.mcastSrcIp;
  if (b.kernelRxBufSize !== undefined) inst.kernelRxBufSize = b.kernelRxBufSize;
  if (b.useVmac) inst.useVmac = { name: b.useVmac.name ?? `vrrp.${b.virtualRouterId}` };
}

function instanceVersion(b: InstanceBuilder, family: 4 | 6, g: GlobalConfig, cx: Ctx): 2 | 3 {
  if (family === 6) {
    if (b.version === 2) {
      cx.diags.warn('W_IPV6_VERSION_2', b.locs.version ?? b.loc, `(${b.name}) cannot use IPv6 with VRRP version 2; setting version 3`);
    }
    return 3;
  }
  return b.version ?? g.vrrpVersion;
}

/** v2: whole seconds 1..255 (rounded); v3: 10 ms units up to 40.95 s (rounded). */
function advertInterval(b: InstanceBuilder, version: 2 | 3, cx: Ctx): number {
  const ms = b.advertIntMs ?? 1000;
  const loc = b.locs.advert_int ?? b.loc;
  const [unit, max] = version === 2 ? [1000, 255_000] : [10, 40_950];
  if (ms > max) {
    cx.diags.warn('W_ADVERT_INT', loc, `(${b.name}) VRRPv${version} advertisement interval ${ms / 1000}s is out of range - setting to ${max / 1000}s`);
    return max;
  }
  if (ms % unit === 0) return ms;
  const used = Math.max(unit, Math.round(ms / unit) * unit);
  const what = version === 2 ? 'must be an integer' : 'must be in units of 10ms';
  cx.diags.warn('W_ADVERT_INT', loc, `(${b.name}) VRRPv${version} advertisement interval ${ms / 1000}s ${what} - rounding to ${used / 1000}s`);
  return used;
}

function checkStrict(inst: VrrpInstanceConfig, b: InstanceBuilder, cx: Ctx): void {
  if (!inst.strictMode) return;
  if ((inst.state === 'MASTER') !== (inst.priority === OWNER) && b.state !== undefined) {
    cx.diags.warn('W_STRICT_STATE', b.locs.state ?? b.loc, `(${b.name}) State MASTER must match being address owner`);
    inst.state = inst.priority === OWNER ? 'MASTER' : 'BACKUP';
  }
  if (inst.unicastPeer.length > 0) {
    cx.diags.warn('W_STRICT_UNICAST', b.locs.unicast_peer ?? b.loc, `(${b.name}) Unicast peers are not supported in strict mode`);
  }
}

function checkAuthentication(inst: VrrpInstanceConfig, b: InstanceBuilder, cx: Ctx): void {
  if (!b.authType && b.authPass === undefined) return;
  const loc = b.locs.authentication ?? b.loc;
  const ignore = (code: string, why: string): void => cx.diags.warn(code, loc, `(${b.name}) ${why} Ignoring.`);
  if (!b.authType) return ignore('W_AUTH_NO_TYPE', 'auth_pass given without auth_type.');
  if (inst.strictMode) return ignore('W_AUTH_STRICT', 'Strict mode does not support authentication.');
  if (inst.version === 3) return ignore('W_AUTH_V3', 'VRRP version 3 does not support authentication.');
  if (!b.authPass) return ignore('W_AUTH_NO_PASS', 'Authentication specified but no password given.');
  if (inst.family === 6 && b.authType === 'AH') return ignore('W_AUTH_AH_IPV6', 'Cannot use AH authentication with IPv6.');
  inst.authentication = { type: b.authType, password: b.authPass };
  if (b.authType === 'AH' && inst.state === 'MASTER' && inst.priority !== OWNER) {
    cx.diags.warn('W_AUTH_AH_MASTER', b.locs.state ?? loc,
      `(${b.name}) Initial state master is incompatible with AH authentication - using state BACKUP`);
    inst.state = 'BACKUP';
  }
}

function checkPreempt(inst: VrrpInstanceConfig, b: InstanceBuilder, cx: Ctx): void {
  const loc = (k: string): Loc => b.locs[k] ?? b.loc;
  if (inst.nopreempt && inst.priority === OWNER) {
    cx.diags.warn('W_NOPREEMPT_OWNER', loc('nopreempt'), `(${b.name}) nopreempt is incompatible with priority 255 - resetting nopreempt`);
    inst.nopreempt = false;
  }
  if (inst.state === 'MASTER' && inst.nopreempt) {
    cx.diags.warn('W_NOPREEMPT_MASTER', loc('nopreempt'), `(${b.name}) Warning - nopreempt will not work with initial state MASTER - clearing`);
    inst.nopreempt = false;
  }
  if (inst.state === 'MASTER' && inst.preemptDelayMs) {
    cx.diags.warn('W_PREEMPT_DELAY_MASTER', loc('preempt_delay'), `(${b.name}) Warning - preempt delay will not work with initial state MASTER - clearing`);
    inst.preemptDelayMs = 0;
  }
  if (inst.preemptDelayMs && (inst.strictMode || inst.nopreempt)) {
    const why = inst.strictMode ? 'strict mode' : 'nopreempt mode';
    cx.diags.warn('W_PREEMPT_DELAY', loc('preempt_delay'), `(${b.name}) preempt_delay is incompatible with ${why} - resetting`);
    inst.preemptDelayMs = 0;
  }
}

function checkUnicast(inst: VrrpInstanceConfig, b: InstanceBuilder, cx: Ctx): void {
  if (b.unicastTtl !== undefined && inst.unicastPeer.length === 0) {
    cx.diags.warn('W_UNICAST_TTL', b.endLoc ?? b.loc, `(${b.name}): Cannot use unicast_ttl without unicast peers - resetting`);
    inst.unicastTtl = 255;
  }
  if (b.unicastLoc && inst.unicastPeer.length === 0) {
    cx.diags.warn('W_DEPRECATED', b.unicastLoc, `(${b.name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`);
  }
  if (b.mcastDstIp && inst.unicastPeer.length > 0) {
    cx.diags.warn('W_MCAST_WITH_UNICAST', b.locs.mcast_dst_ip ?? b.loc, `(${b.name}) multicast destination specified with unicast - ignoring`);
  }
}

/**
 * RFC 5798: a VRID identifies one virtual router per LAN. keepalived 2.2.7
 * check_vrid_conflicts(): two instances conflict when they have the same VRID
 * and family and both multicast on the same (base) interface to the same
 * group - use_vmac does not make them distinct - or both unicast from the
 * same interface and source address to a common peer. Unicast and multicast
 * are separate VRID spaces.
 */
function checkDuplicateVrids(instances: VrrpInstanceConfig[], vridLocs: Map<VrrpInstanceConfig, Loc>, cx: Ctx): void {
  // Only instances with the same interface, family and VRID can conflict: bucket them first.
  const buckets = new Map<string, VrrpInstanceConfig[]>();
  for (const b of instances) {
    const key = `${b.interface}|${b.family}|${b.virtualRouterId}`;
    const same = buckets.get(key);
    if (same) same.push(b);
    else buckets.set(key, [b]);
  }
  const conflicts: Array<[VrrpInstanceConfig, VrrpInstanceConfig]> = [];
  for (const same of buckets.values()) {
    // Each instance's first conflict is the earliest instance sharing one of its keys (a multicast
    // group, or a unicast source and peer), found through an index instead of all earlier pairs.
    const firstWith = new Map<string, number>();
    for (let j = 0; j < same.length; j++) {
      const keys = conflictKeys(same[j]);
      let first = Infinity;
      for (const k of keys) first = Math.min(first, firstWith.get(k) ?? Infinity);
      if (first !== Infinity) conflicts.push([same[first], same[j]]);
      for (const k of keys) if (!firstWith.has(k)) firstWith.set(k, j);
    }
  }
  // Report in configuration order.
  const order = new Map(instances.map((x, i) => [x, i]));
  conflicts.sort((x, y) => (order.get(x[1]) ?? 0) - (order.get(y[1]) ?? 0));
  // Located at the second instance's virtual_router_id line, naming where the first one set it.
  for (const [a, b] of conflicts) {
    const first = vridLocs.get(a) ?? a.loc;
    cx.diags.error('E_DUPLICATE_VRID', vridLocs.get(b) ?? b.loc,
      `${a.name} and ${b.name} both use VRID ${b.virtualRouterId} with IPv${b.family} on interface ${b.interface}`
      + ` (already used by ${a.name} at ${first.file}:${first.line})`);
  }
}

/**
 * What two instances of one VRID bucket must share to conflict: the multicast
 * group, or (unicast) the source address and a peer.
 */
function conflictKeys(b: VrrpInstanceConfig): string[] {
  if (b.unicastPeer.length === 0) return [`m|${b.mcastDstIp ?? ''}`];
  return b.unicastPeer.map((p) => `u|${b.unicastSrcIp ?? ''}|${p.address}`);
}

/**
 * keepalived 2.2.7 vrrp_complete_instance(): a member of a sync group without
 * `sync_group_tracking_weight`, and an address owner (priority 255), cannot
 * float its priority: weighted track_interface entries get weight 0 (an
 * owner stops tracking them), weighted track_script entries are dropped,
 * a track_file with the default weight 1 gets weight 0 and one with another
 * weight is dropped. vrrp_complete_init(): a sync group with an owner member
 * clears the weights of its own track entries.
 */
function trackingWeightRules(
  instances: VrrpInstanceConfig[], groups: SyncGroupConfig[], scripts: VrrpScriptConfig[], files: TrackFileConfig[], cx: Ctx,
): void {
  const scriptWeight = new Map(scripts.map((x) => [x.name, x.weight]));
  const fileWeight = new Map(files.map((x) => [x.name, x.weight]));
  const groupByName = new Map(groups.map((g) => [g.name, g]));
  const priorityOf = new Map(instances.map((i) => [i.name, i.priority]));
  for (const inst of instances) {
    const g = inst.syncGroup ? groupByName.get(inst.syncGroup) : undefined;
    const sync = g !== undefined && !g.syncGroupTrackingWeight;
    if (!sync && inst.priority !== OWNER) continue;
    const why = sync ? 'SYNC group' : 'address owner';
    const why2 = sync ? 'SYNC group' : 'address_owner';
    const warn = (loc: Loc, msg: string) => cx.diags.warn('W_TRACK_WEIGHT_IGNORED', loc, `(${inst.name}) ${msg}`);
    inst.trackInterface = inst.trackInterface.flatMap((t) => {
      if (!t.weight) return [t];
      warn(t.loc, `ignoring ${t.name} tracked interface ${sync ? 'weight ' : ''}due to ${why}`);
      return sync ? [{ ...t, weight: 0 }] : [];
    });
    inst.trackScript = inst.trackScript.filter((t) => {
      if (!(t.weight ?? scriptWeight.get(t.name) ?? 0)) return true;
      warn(t.loc, `ignoring tracked script ${t.name} with weights due to ${why2}`);
      return false;
    });
    inst.trackFile = inst.trackFile.flatMap((t) => {
      const w = t.weight ?? fileWeight.get(t.name) ?? 1;
      if (w === 1) {
        warn(t.loc, `ignoring weight from tracked file ${t.name} due to ${why2}. specify weight 0`);
        return [{ ...t, weight: 0 }];
      }
      if (w === 0) return [t];
      warn(t.loc, `ignoring tracked file ${t.name} with weight ${w} due to ${why2}`);
      return [];
    });
  }
  for (const g of groups) {
    if (!g.group.some((m) => priorityOf.get(m) === OWNER)) continue;
    const clear = (refs: TrackRef[], what: string, weightOf: (t: TrackRef) => number, verb: string): TrackRef[] =>
      refs.map((t) => {
        if (!weightOf(t)) return t;
        cx.diags.warn('W_TRACK_WEIGHT_IGNORED', t.loc, `(${g.name}) Cannot have weighted track ${what} '${t.name}' with member having priority 255 - ${verb}`);
        return { ...t, weight: 0 };
      });
    g.trackScript = clear(g.trackScript, 'script', (t) => t.weight ?? scriptWeight.get(t.name) ?? 0, 'clearing weight');
    g.trackFile = clear(g.trackFile, 'file', (t) => t.weight ?? fileWeight.get(t.name) ?? 1, 'setting weight 0');
    g.trackInterface = clear(g.trackInterface, 'interface', (t) => t.weight ?? 0, 'clearing weight');
  }
}

function finishSyncGroups(builders: SyncGroupBuilder[], instances: VrrpInstanceConfig[], names: Names, g: GlobalConfig, cx: Ctx): SyncGroupConfig[] {
  const byName = new Map(instances.map((i) => [i.name, i]));
  const out: SyncGroupConfig[] = [];
  for (const b of builders) {
    const members: string[] = [];
    for (const m of b.group) {
      const inst = byName.get(m.name);
      if (!inst) {
        cx.diags.warn('W_UNRESOLVED_REFERENCE', m.loc, `Virtual router ${m.name} specified in sync group ${b.name} doesn't exist - ignoring`);
      } else if (inst.election) {
        cx.diags.error('E_ELECTION_SYNC_GROUP', m.loc,
          `Virtual router ${m.name} is elected through etcd_election ${inst.election.name}: it cannot be in sync group ${b.name} (a VRRP member could take it to MASTER without a grant) - put its VIPs into one elected instance instead; ignoring it here`);
      } else if (inst.routeAnnounce?.mode === 'anycast') {
        cx.diags.error('E_ANNOUNCE_SYNC_GROUP', m.loc,
          `Virtual router ${m.name} is announced by anycast (every healthy node, no VRRP): it cannot be in sync group ${b.name}; ignoring it here`);
      } else if (inst.syncGroup) {
        cx.diags.error('E_SYNC_GROUP_MEMBER', m.loc, `Virtual router ${m.name} cannot exist in more than one sync group; ignoring ${b.name}`);
      } else {
        inst.syncGroup = b.name;
        members.push(m.name);
      }
    }
    if (members.length === 0) {
      cx.diags.warn('W_EMPTY_SYNC_GROUP', b.loc, `Sync group ${b.name} has no virtual router(s) - removing`);
      continue;
    }
    if (members.length === 1) {
      cx.diags.warn('W_SYNC_GROUP_ONE', b.loc, `Sync group ${b.name} has only 1 virtual router(s) - this probably isn't what you want`);
    }
    out.push({
      name: b.name, loc: b.loc, group: members, trackInterface: b.trackInterface,
      trackScript: resolveRefs(b.trackScript, names.scripts, b.name, 'track script', cx),
      trackFile: resolveRefs(b.trackFile, names.files, b.name, 'track file', cx),
      trackProcess: resolveRefs(b.trackProcess, names.processes, b.name, 'track process', cx),
      notify: b.notify, smtpAlert: b.smtpAlert ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false, globalTracking: b.globalTracking,
      syncGroupTrackingWeight: b.syncGroupTrackingWeight,
    });
  }
  return out;
}
