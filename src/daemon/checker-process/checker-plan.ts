/**
 * Maps the configuration's virtual_server / real_server / checker blocks onto
 * what the checker service runs: keepalived's names for services and servers,
 * the LVS model's inputs (src/lvs/model.ts), and one resolved CheckRunner
 * input per checker (src/check/runner.ts resolveChecker()). Pure apart from
 * the injected user lookup.
 *
 * Names, as keepalived 2.2.7 prints them (check_data.c format_vs() /
 * format_rs(), lib/utils.c inet_sockaddrtotrio()):
 *   virtual_server IP PORT  -> `[192.0.2.100]:tcp:80`
 *   virtual_server fwmark N -> `FWM 5` (its real servers `[198.51.100.2]:none:0`)
 *   virtual_server group G  -> `[G]:0` (the group's own address is never set)
 * Real server ports are fixed up as validate_check_config() does: a service
 * by address gives its port to real servers without one (and to every non-NAT
 * real server); under a fwmark only NAT real servers keep a port.
 */
import type {
  CheckerConfig as ModelChecker,
  GlobalConfig,
  KeepalivedConfig,
  RealServerConfig as ModelRs,
  VirtualServerConfig as ModelVs,
  VirtualServerGroupConfig,
} from '../../config/model';
import { resolveChecker, type CheckerConfig } from '../../check/runner';
import { parseHexStr } from '../../check/probes/udp';
import type { ConnTarget, DnsType, HttpProtocol, ProbeSpec } from '../../check/types';
import type { LvsMethod, LvsProtocol, RealServerConfig as LvsRs, ServiceAddr, VirtualServerConfig as LvsVs } from '../../lvs/model';
import { formatFwmark, formatServiceAddress, formatVsGroup, type ServiceProtocol } from '../../notify/fifo';
import type { ScriptSpec } from '../../notify';
import { scriptSpec, type IdLookup } from '../notify-wiring';

export interface CheckerPlan {
  /** Runner input with every timing resolved; `id` is assigned by the service. */
  cfg: Omit<CheckerConfig, 'id'>;
  type: ModelChecker['type'];
  /** Position among the real server's checkers (for status). */
  index: number;
  /** keepalived's checker compare(): same type and connection/probe settings. */
  identity: string;
  /** Everything else that shapes a run (delay_loop, retry, ...). */
  timing: string;
  /** SMTP_CHECK `host` blocks after the first: checked in turn, all must answer. */
  extraHosts?: ConnTarget[];
}

export interface RealServerPlan {
  /** format_rs(): `[198.51.100.2]:tcp:8080`. */
  key: string;
  address: string;
  port: number;
  weight: number;
  inhibit: boolean;
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  /** Resolved smtp_alert (keepalived: on unless smtp_alert_checker / smtp_alert say otherwise). */
  smtpAlert: boolean;
  checkers: CheckerPlan[];
  lvs: LvsRs;
}

export interface VirtualServerPlan {
  /** format_vs(). */
  key: string;
  kind: ModelVs['kind'];
  /** `virtual_server group NAME`: the group's name. */
  group?: string;
  quorum: number;
  hysteresis: number;
  omega: boolean;
  quorumUp?: ScriptSpec;
  quorumDown?: ScriptSpec;
  /** Resolved smtp_alert (keepalived: off unless smtp_alert_checker / smtp_alert). */
  smtpAlert: boolean;
  /** format_rs() of the sorry server. */
  sorry?: { key: string; inhibit: boolean };
  realServers: RealServerPlan[];
  lvs: LvsVs;
}

export interface CheckerPlanSet {
  virtualServers: VirtualServerPlan[];
  /** What was left out, in keepalived-like words (logged by the service). */
  warnings: string[];
  /** global_defs rs_init_notifies: notify_up for the servers alive at start. */
  rsInitNotifies: boolean;
  /** global_defs lvs_flush_on_stop: 'full' / 'VS' skip the real server notifications at stop. */
  lvsFlushOnStop?: 'full' | 'VS';
}

export interface PlanOptions {
  ids?: IdLookup;
  /** The default script user (script_user, else keepalived_script / root). */
  scriptUser?: { uid: number; gid: number };
}

const METHODS: readonly string[] = ['NAT', 'DR', 'TUN'];

function method(s: string | undefined): LvsMethod | undefined {
  return s && METHODS.includes(s) ? (s as LvsMethod) : undefined;
}

/** inet_sockaddrtotrio()'s protocol word: the service's protocol, `none` for fwmark services. */
export function serviceProtocol(vs: ModelVs, groups: readonly VirtualServerGroupConfig[]): ServiceProtocol {
  if (vs.kind === 'fwmark') return 'none';
  if (vs.kind === 'group') {
    const g = groups.find((x) => x.name === vs.group);
    // check_data.c: a protocol given for fwmark-only groups is reset to 0.
    if (!g || !g.entries.some((e) => e.address !== undefined)) return 'none';
  }
  return vs.protocol.toLowerCase() as ServiceProtocol;
}

/** format_vs(). */
export function virtualServerName(vs: ModelVs, proto: ServiceProtocol): string {
  if (vs.kind === 'fwmark') return formatFwmark(vs.fwmark ?? 0);
  if (vs.kind === 'group') return formatVsGroup(vs.group ?? '', 0);
  return formatServiceAddress(vs.address ?? '', proto, vs.port ?? 0);
}

/** The real server's port after validate_check_config()'s fix-ups. */
export function realServerPort(vs: ModelVs, rs: ModelRs): number {
  const nat = (rs.lvsMethod ?? vs.lbKind) === 'NAT';
  if (vs.kind === 'group') return rs.port ?? 0;
  if (vs.kind === 'fwmark') return nat ? rs.port ?? 0 : 0;
  return nat ? rs.port || vs.port || 0 : vs.port ?? 0;
}

function flag(g: GlobalConfig, key: string): boolean {
  const v = g.other[key];
  if (!v) return false;
  if (v.length === 0) return true;
  return ['true', 'on', 'yes'].includes(v[0].toLowerCase());
}

function groupServices(g: VirtualServerGroupConfig, family: 4 | 6): ServiceAddr[] {
  const out: ServiceAddr[] = [];
  for (const e of g.entries) {
    if (e.fwmark !== undefined) {
      out.push({ fwmark: e.fwmark, family: family === 6 ? 'inet6' : 'inet' });
      continue;
    }
    if (e.address === undefined) continue;
    const port = e.port ?? 0;
    const m = /^(\d+\.\d+\.\d+\.)(\d+)$/.exec(e.address);
    if (m && e.rangeEnd !== undefined) {
      // `192.0.2.10-20 80`: the last byte runs to the range end (keepalived's IPv4 ranges).
      for (let b = Number(m[2]); b <= Math.min(e.rangeEnd, 255); b++) out.push({ ip: `${m[1]}${b}`, port });
    } else out.push({ ip: e.address, port });
  }
  return out;
}

function httpProtocol(s: string | undefined): HttpProtocol {
  if (s === '1.1') return '1.1';
  if (s === '1.0C' || s === '1.0c') return '1.0C';
  return '1.0';
}

/** The probe a checker block describes, or why it cannot run. */
function probeSpec(
  ck: ModelChecker,
  rs: ModelRs,
  vs: ModelVs,
  port: number,
  cfg: KeepalivedConfig,
  o: PlanOptions,
): { spec: ProbeSpec; extraHosts?: ConnTarget[] } | { skip: string } {
  const target = (ip?: string, p?: number, bindto?: string): ConnTarget => {
    const t: ConnTarget = { connectIp: ip ?? rs.address, connectPort: p ?? rs.port ?? port };
    const b = bindto ?? ck.bindTo;
    if (b) t.bindto = b;
    if (ck.bindPort !== undefined) t.bindPort = ck.bindPort;
    return t;
  };
  switch (ck.type) {
    case 'TCP_CHECK':
      return { spec: { type: 'TCP_CHECK', target: target(ck.connectIp, ck.connectPort) } };
    case 'PING_CHECK': {
      const t = target(ck.connectIp, ck.connectPort);
      if (ck.bindIf) t.bindIf = ck.bindIf;
      return { spec: { type: 'PING_CHECK', target: t } };
    }
    case 'HTTP_GET':
    case 'SSL_GET': {
      const spec: ProbeSpec = {
        type: ck.type,
        target: target(ck.connectIp, ck.connectPort),
        urls: ck.url.map((u) => {
          const url: { path: string; digest?: string; statusCodes: Array<[number, number]>; virtualhost?: string; regex?: string; regexNoMatch?: boolean } = {
            path: u.path,
            statusCodes: u.statusCode,
          };
          if (u.digest) url.digest = u.digest;
          if (u.virtualhost) url.virtualhost = u.virtualhost;
          if (u.regex) url.regex = u.regex;
          if (u.regexNoMatch) url.regexNoMatch = true;
          return url;
        }),
        httpProtocol: httpProtocol(ck.httpProtocol),
        enableSni: ck.enableSni,
      };
      const vhost = ck.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
      if (vhost) spec.virtualhost = vhost;
      return { spec };
    }
    case 'SMTP_CHECK': {
      const hosts = ck.host.map((h) => target(h.connectIp ?? ck.connectIp, h.connectPort ?? ck.connectPort, h.bindTo));
      const first = hosts[0] ?? target(ck.connectIp, ck.connectPort);
      const spec: ProbeSpec = { type: 'SMTP_CHECK', target: first };
      if (ck.heloName) spec.heloName = ck.heloName;
      return hosts.length > 1 ? { spec, extraHosts: hosts.slice(1) } : { spec };
    }
    case 'MISC_CHECK': {
      if (!ck.miscPath) return { skip: 'MISC_CHECK without misc_path' };
      const who = ck.user !== undefined ? o.ids?.(ck.user, ck.group) : o.scriptUser;
      const spec: ProbeSpec = { type: 'MISC_CHECK', miscPath: ck.miscPath.raw, miscDynamic: ck.miscDynamic };
      if (who) {
        spec.uid = who.uid;
        spec.gid = who.gid;
      }
      return { spec };
    }
    case 'DNS_CHECK':
      return { spec: { type: 'DNS_CHECK', target: target(ck.connectIp, ck.connectPort), dnsType: ck.queryType as DnsType, name: ck.name } };
    case 'UDP_CHECK': {
      const spec: ProbeSpec = { type: 'UDP_CHECK', target: target(ck.connectIp, ck.connectPort) };
      try {
        if (ck.payload) spec.payload = parseHexStr(ck.payload).data;
        if (ck.requireReply !== undefined) {
          const pat = ck.requireReply.trim();
          spec.requireReply = pat ? parseHexStr(pat) : true;
        }
      } catch (e) {
        return { skip: `UDP_CHECK: ${(e as Error).message}` };
      }
      if (ck.minReplyLength !== undefined) spec.minReplyLength = ck.minReplyLength;
      if (ck.maxReplyLength !== undefined) spec.maxReplyLength = ck.maxReplyLength;
      return { spec };
    }
    case 'FILE_CHECK': {
      const tf = cfg.trackFiles.find((t) => t.name === ck.trackFile);
      if (!tf) return { skip: `FILE_CHECK track_file ${ck.trackFile ?? ''} is not defined` };
      return { spec: { type: 'FILE_CHECK', path: tf.file, weight: ck.weight ?? tf.weight, reverse: tf.weightReverse } };
    }
    case 'BFD_CHECK':
      return { skip: 'BFD_CHECK is not supported (no BFD)' };
  }
}

function checkerPlan(
  ck: ModelChecker,
  index: number,
  rs: ModelRs,
  rsKey: string,
  vs: ModelVs,
  vsKey: string,
  port: number,
  cfg: KeepalivedConfig,
  o: PlanOptions,
): CheckerPlan | { skip: string } {
  const p = probeSpec(ck, rs, vs, port, cfg, o);
  if ('skip' in p) return p;
  // The front end has already cascaded checker -> real_server -> virtual_server -> default.
  const resolved = resolveChecker({
    id: `${vsKey} ${rsKey} ${ck.type}#${index}`,
    vs: vsKey,
    rs: rsKey,
    spec: p.spec,
    rsWeight: rs.weight,
    miscTimeoutMs: ck.type === 'MISC_CHECK' ? ck.miscTimeoutMs : undefined,
    checker: {
      delayLoopMs: ck.delayLoopMs,
      warmupMs: ck.warmupMs,
      retry: ck.retry,
      delayBeforeRetryMs: ck.delayBeforeRetryMs,
      connectTimeoutMs: ck.connectTimeoutMs,
      alpha: ck.alpha ?? rs.alpha,
    },
    virtualServer: { delayLoopMs: vs.delayLoopMs },
  });
  const { id: _id, ...rest } = resolved;
  void _id;
  const plan: CheckerPlan = {
    cfg: rest,
    type: ck.type,
    index,
    identity: JSON.stringify([ck.type, p.spec, p.extraHosts ?? [], resolved.timeoutMs]),
    timing: JSON.stringify([resolved.delayLoopMs, resolved.warmupMs, resolved.retry, resolved.delayBeforeRetryMs, resolved.alpha, resolved.rsWeight]),
  };
  if (p.extraHosts) plan.extraHosts = p.extraHosts;
  return plan;
}

/** Everything the checker service runs for a configuration. */
export function planCheckers(cfg: KeepalivedConfig, o: PlanOptions = {}): CheckerPlanSet {
  const g = cfg.global;
  const warnings: string[] = [];
  const ids: IdLookup = o.ids ?? (() => undefined);
  const script = (c: Parameters<typeof scriptSpec>[0]): ScriptSpec | undefined => scriptSpec(c, ids, o.scriptUser);
  const out: VirtualServerPlan[] = [];
  const seen = new Set<string>();
  for (const vs of cfg.virtualServers) {
    const proto = serviceProtocol(vs, cfg.virtualServerGroups);
    const key = virtualServerName(vs, proto);
    if (seen.has(key)) {
      warnings.push(`Virtual server ${key} is defined twice - ignoring the second one`);
      continue;
    }
    let services: ServiceAddr[];
    if (vs.kind === 'address') services = [{ ip: vs.address ?? '', port: vs.port ?? 0 }];
    else if (vs.kind === 'fwmark') services = [{ fwmark: vs.fwmark ?? 0, family: vs.family === 6 ? 'inet6' : 'inet' }];
    else {
      const grp = cfg.virtualServerGroups.find((x) => x.name === vs.group);
      services = grp ? groupServices(grp, vs.family) : [];
    }
    if (services.length === 0) {
      warnings.push(`Virtual server group ${vs.group ?? ''} has no entries - ignoring virtual server ${key}`);
      continue;
    }
    seen.add(key);
    const vsMethod = method(vs.lbKind) ?? 'NAT';
    const realServers: RealServerPlan[] = [];
    for (const rs of vs.realServers) {
      const port = realServerPort(vs, rs);
      const rsKey = formatServiceAddress(rs.address, proto, port);
      if (realServers.some((r) => r.key === rsKey)) {
        warnings.push(`VS ${key}: real server ${rsKey} is duplicated - removing second rs`);
        continue;
      }
      const checkers: CheckerPlan[] = [];
      rs.checkers.forEach((ck, i) => {
        let p: CheckerPlan | { skip: string };
        try {
          p = checkerPlan(ck, i, rs, rsKey, vs, key, port, cfg, o);
        } catch (e) {
          p = { skip: `${ck.type}: ${(e as Error).message}` };
        }
        if ('skip' in p) warnings.push(`${p.skip} on service ${rsKey} of VS ${key} - checker not run`);
        else checkers.push(p);
      });
      const lvs: LvsRs = { key: rsKey, ip: rs.address, port, weight: rs.weight, inhibitOnFailure: rs.inhibitOnFailure };
      const m = method(rs.lvsMethod);
      if (m) lvs.lvsMethod = m;
      realServers.push({
        key: rsKey,
        address: rs.address,
        port,
        weight: rs.weight,
        inhibit: rs.inhibitOnFailure,
        notifyUp: script(rs.notifyUp),
        notifyDown: script(rs.notifyDown),
        smtpAlert: rs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? true,
        checkers,
        lvs,
      });
    }
    // The front end reduces quorum to the total weight, which is 0 when every weight is 0.
    const quorum = Math.max(1, vs.quorum);
    if (quorum !== vs.quorum) warnings.push(`Virtual server ${key}: quorum ${vs.quorum} - using 1`);
    const hysteresis = Math.min(vs.hysteresis, quorum - 1);
    const lvs: LvsVs = {
      key,
      services,
      protocol: (['TCP', 'UDP', 'SCTP'].includes(vs.protocol) ? vs.protocol : 'TCP') as LvsProtocol,
      lvsSched: vs.lbAlgo,
      persistenceTimeoutS: vs.persistenceTimeoutS,
      lvsMethod: vsMethod,
      quorum,
      hysteresis,
      inhibitOnFailure: vs.inhibitOnFailure,
      realServers: realServers.map((r) => r.lvs),
    };
    let sorry: VirtualServerPlan['sorry'];
    if (vs.sorryServer) {
      const sPort = vs.kind === 'fwmark' ? 0 : vs.sorryServer.port || vs.port || 0;
      lvs.sorryServer = { ip: vs.sorryServer.address, port: sPort, inhibit: vs.sorryServerInhibit };
      sorry = { key: formatServiceAddress(vs.sorryServer.address, proto, sPort), inhibit: vs.sorryServerInhibit };
    }
    const plan: VirtualServerPlan = {
      key,
      kind: vs.kind,
      quorum,
      hysteresis,
      omega: vs.omega,
      quorumUp: script(vs.quorumUp),
      quorumDown: script(vs.quorumDown),
      smtpAlert: vs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? false,
      realServers,
      lvs,
    };
    if (vs.group) plan.group = vs.group;
    if (sorry) plan.sorry = sorry;
    out.push(plan);
  }
  const flush = g.other['lvs_flush_on_stop'] ?? g.other['lvs_flush_onstop'];
  const set: CheckerPlanSet = { virtualServers: out, warnings, rsInitNotifies: flag(g, 'rs_init_notifies') };
  if (flush?.[0] === 'full' || flush?.[0] === 'VS') set.lvsFlushOnStop = flush[0];
  return set;
}
