/**
 * `virtual_server_group`, `virtual_server`, `real_server` and the checker
 * blocks (keepalived/check/check_parser.c and check_*.c). Timing settings are
 * inherited checker → real_server → virtual_server → keepalived default.
 */
import { typeDefaults } from '../../check/types';
import { parseIp } from '../address';
import type { Loc } from '../diagnostics';
import type {
  CheckerConfig, CheckerType, Family, HttpUrl, RealServerConfig, ScriptCommand, SmtpHost, VirtualServerConfig,
  VirtualServerGroupConfig, VirtualServerGroupEntry,
} from '../model';
import {
  arg, block, flagField, intField, msField, parseIntStrict, readBool, readInt, readScript, runSection, strField,
  type Ctx, type Handler, type Section,
} from '../schema';
import type { Node } from '../tree';

/** Timing settings that cascade down to checkers. */
interface Timing {
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  delayLoopMs?: number;
  warmupMs?: number;
}

const TIMING_DEFAULTS = { connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 60_000 };

type Checker = Record<string, unknown> & Timing & { type: CheckerType; loc: Loc };

export interface RsBuilder extends Timing {
  rs: RealServerConfig;
  checkers: Checker[];
  other: Record<string, string[]>;
}

export interface VsBuilder extends Timing {
  vs: VirtualServerConfig;
  rsBuilders: RsBuilder[];
  other: Record<string, string[]>;
  /** Keywords given (runSection records their line), to apply keepalived's "not set" defaults. */
  locs: Record<string, Loc>;
}

/** FILE_CHECK `track_file NAME`: the name, where, and its parse-order position (resolved by validate.ts). */
export interface FileCheckRef {
  name: string;
  loc: Loc;
  seq: number;
}
export const fileCheckRefs = new WeakMap<object, FileCheckRef>();

/** `virtual_server group NAME` blocks without `protocol` (the group's entries decide; validate.ts). */
export const groupVsWithoutProtocol = new WeakSet<VirtualServerConfig>();

const HOUR = 3_600_000;

function timingKeywords<B extends Timing>(): Record<string, Handler<B>> {
  return {
    connect_timeout: msField<B>('connectTimeoutMs', 1, HOUR, 5000),
    retry: intField<B>('retry', 0, 0x7fffffff, 1),
    delay_before_retry: msField<B>('delayBeforeRetryMs', 0, HOUR, 1000),
    delay_loop: msField<B>('delayLoopMs', 1, HOUR * 24, 60_000),
    warmup: msField<B>('warmupMs', 0, HOUR),
  };
}

function portOf(n: Node, i: number, cx: Ctx): number | undefined {
  return n.args[i] ? readInt(n, i, 0, 65535, cx) : undefined;
}

/* --------------------------------- checkers -------------------------------- */

function setK(field: string): Handler<Checker> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx);
    if (t) b[field] = t.text;
  };
}

function ipK(field: 'connectIp' | 'bindTo'): Handler<Checker> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx, 'address');
    if (t && parseIp(t.text)) b[field] = t.text;
    else if (t) cx.diags.warn('W_BAD_ADDRESS', t.loc, `${n.key.text} '${t.text}' is not a valid IP address - ignored`);
  };
}

/**
 * A legacy keyword read as its current name, with keepalived's deprecation
 * warning. keepalived 2.2.7 knows `nb_get_retry` (the old name of `retry`)
 * only in HTTP_GET / SSL_GET, warning "nb_get_retry is deprecated - please
 * use 'retry'" (check_http.c http_get_retry_handler()); configurations
 * written from the HTTP examples (the MySQL article's TCP_CHECK, for one) put
 * it in the other checkers too, where keepalived calls it an unknown keyword.
 * keepalived-ts accepts it in every checker, with the same warning.
 */
function legacyAlias(current: string, handler: Handler<Checker>): Handler<Checker> {
  return (n, b, cx) => {
    cx.diags.warn('W_DEPRECATED_KEYWORD', n.loc, `${n.key.text} is deprecated - please use '${current}'`);
    handler(n, b, cx);
  };
}

const checkerTiming = timingKeywords<Checker>();

const commonCheckerKeywords: Record<string, Handler<Checker>> = {
  ...checkerTiming,
  nb_get_retry: legacyAlias('retry', checkerTiming.retry),
  connect_ip: ipK('connectIp'),
  // check_api.c: ports are read in [1, 65535].
  connect_port: intField<Checker>('connectPort', 1, 65535),
  bindto: ipK('bindTo'),
  bind_port: intField<Checker>('bindPort', 1, 65535),
  bind_if: setK('bindIf'),
  fwmark: intField<Checker>('fwmark', 0, 0xffffffff),
  alpha: flagField<Checker>('alpha'),
  log_all_failures: flagField<Checker>('logAllFailures'),
};

function parseStatusCodes(n: Node, cx: Ctx): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const a of n.args) {
    for (const part of a.text.split(',').filter((s) => s)) {
      const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] ? Number(m[2]) : lo;
      if (!m || lo < 100 || hi > 599 || hi < lo) {
        cx.diags.warn('W_BAD_VALUE', a.loc, `status_code '${part}' is not a valid HTTP status (range 100-599) - ignored`);
        continue;
      }
      out.push([lo, hi]);
    }
  }
  return out;
}

type UrlB = Partial<HttpUrl> & { loc: Loc; statusCode: Array<[number, number]> };

const urlSection: Section<UrlB> = {
  name: 'url',
  keywords: {
    path: strField<UrlB>('path'),
    digest: (n, b, cx) => {
      const t = arg(n, 0, cx);
      if (t && /^[0-9a-fA-F]{32}$/.test(t.text)) b.digest = t.text.toLowerCase();
      else if (t) cx.diags.warn('W_BAD_VALUE', t.loc, `digest '${t.text}' is not a 32-digit MD5 hex string - ignored`);
    },
    status_code: (n, b, cx) => { b.statusCode.push(...parseStatusCodes(n, cx)); },
    virtualhost: strField<UrlB>('virtualhost'),
    regex: strField<UrlB>('regex'),
    regex_no_match: flagField<UrlB>('regexNoMatch'),
  },
  known: ['regex_options', 'regex_min_offset', 'regex_max_offset', 'regex_stack'],
};

const urlHandler = block<Checker>((children, n, b, cx) => {
  const u: UrlB = { loc: n.loc, statusCode: [] };
  runSection(urlSection, children, u, cx);
  if (!u.path) {
    cx.diags.warn('W_URL_NO_PATH', n.endLoc ?? n.loc, 'url block has no path - ignored');
    return;
  }
  if (u.statusCode.length === 0) u.statusCode = [[200, 299]];
  (b.url as HttpUrl[]).push(u as HttpUrl);
});

const smtpHostSection: Section<SmtpHost & Checker> = {
  name: 'host',
  keywords: {
    connect_ip: commonCheckerKeywords.connect_ip,
    connect_port: commonCheckerKeywords.connect_port,
    bindto: commonCheckerKeywords.bindto,
  },
  known: ['bind_port', 'bind_if', 'fwmark', 'connect_timeout', 'warmup'],
};

const smtpHostHandler = block<Checker>((children, n, b, cx) => {
  const h = { type: 'SMTP_CHECK', loc: n.loc } as SmtpHost & Checker;
  runSection(smtpHostSection, children, h, cx);
  const out: SmtpHost = { loc: n.loc };
  if (h.connectIp) out.connectIp = h.connectIp;
  if (h.connectPort !== undefined) out.connectPort = h.connectPort;
  if (h.bindTo) out.bindTo = h.bindTo;
  (b.host as SmtpHost[]).push(out);
});

const miscPath: Handler<Checker> = (n, b, cx) => {
  const s: ScriptCommand | undefined = readScript(n, cx);
  if (s) b.miscPath = s;
};

const CHECKER_SPECIFIC: Record<CheckerType, { keywords: Record<string, Handler<Checker>>; init: () => Record<string, unknown>; known?: string[] }> = {
  TCP_CHECK: { keywords: {}, init: () => ({}) },
  PING_CHECK: { keywords: {}, init: () => ({}) },
  BFD_CHECK: { keywords: { name: setK('name') }, init: () => ({}) },
  HTTP_GET: httpSpec(),
  SSL_GET: httpSpec(),
  SMTP_CHECK: {
    keywords: { helo_name: setK('heloName'), host: smtpHostHandler },
    init: () => ({ host: [] }),
  },
  MISC_CHECK: {
    keywords: {
      misc_path: miscPath,
      misc_timeout: msField<Checker>('miscTimeoutMs', 1, HOUR),
      misc_dynamic: flagField<Checker>('miscDynamic'),
      user: (n, b, cx) => {
        const t = arg(n, 0, cx, 'user name');
        if (t) b.user = t.text;
        if (n.args[1]) b.group = n.args[1].text;
      },
    },
    init: () => ({ miscDynamic: false }),
  },
  DNS_CHECK: {
    keywords: {
      type: (n, b, cx) => {
        const t = arg(n, 0, cx);
        const v = t?.text.toUpperCase();
        if (v && ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'].includes(v)) b.queryType = v;
        else if (t) cx.diags.warn('W_BAD_VALUE', t.loc, `DNS_CHECK type '${t.text}' unknown - using SOA`);
      },
      name: setK('name'),
    },
    init: () => ({ queryType: 'SOA', name: '.' }),
  },
  UDP_CHECK: {
    keywords: {
      payload: setK('payload'),
      require_reply: (n, b) => { b.requireReply = n.args.map((a) => a.text).join(' '); },
      min_reply_length: intField<Checker>('minReplyLength', 0, 65535),
      max_reply_length: intField<Checker>('maxReplyLength', 0, 65535),
    },
    init: () => ({}),
  },
  FILE_CHECK: {
    keywords: {
      track_file: (n, b, cx) => {
        const t = arg(n, 0, cx, 'track file name');
        if (!t) return;
        b.trackFile = t.text;
        fileCheckRefs.set(b, { name: t.text, loc: t.loc, seq: cx.seq ?? 0 });
      },
      weight: intField<Checker>('weight', -254, 254),
    },
    init: () => ({}),
  },
};

function httpSpec(): { keywords: Record<string, Handler<Checker>>; init: () => Record<string, unknown>; known: string[] } {
  return {
    keywords: {
      url: urlHandler,
      virtualhost: setK('virtualhost'),
      http_protocol: setK('httpProtocol'),
      enable_sni: flagField<Checker>('enableSni'),
      fast_recovery: flagField<Checker>('fastRecovery'),
    },
    init: () => ({ url: [], enableSni: false, fastRecovery: false }),
    known: [],
  };
}

const checkerSections = new Map<CheckerType, Section<Checker>>();
for (const [type, spec] of Object.entries(CHECKER_SPECIFIC) as Array<[CheckerType, (typeof CHECKER_SPECIFIC)[CheckerType]]>) {
  checkerSections.set(type, { name: type, keywords: { ...commonCheckerKeywords, ...spec.keywords }, known: spec.known });
}

function checkerHandler(type: CheckerType): Handler<RsBuilder> {
  return block<RsBuilder>((children, n, b, cx) => {
    const c: Checker = { type, loc: n.loc, ...CHECKER_SPECIFIC[type].init() };
    runSection(checkerSections.get(type)!, children, c, cx);
    // keepalived checks these in the block's end handler, reported at the closing '}'.
    const end = n.endLoc ?? n.loc;
    if (type === 'MISC_CHECK' && !c.miscPath) cx.diags.warn('W_NO_SCRIPT', end, 'No script path has been specified for MISC_CHECKER - skipping');
    else if (type === 'FILE_CHECK' && !c.trackFile) cx.diags.warn('W_NO_FILE', end, 'FILE_CHECK has no track_file specified - ignoring');
    else if ((type === 'HTTP_GET' || type === 'SSL_GET') && (c.url as HttpUrl[]).length === 0) {
      cx.diags.warn('W_NO_URL', end, `${type} has no url - ignored`);
    } else b.checkers.push(c);
  });
}

/* ------------------------------- real_server ------------------------------- */

function scriptTo(field: 'notifyUp' | 'notifyDown'): Handler<RsBuilder> {
  return (n, b, cx) => {
    const s = readScript(n, cx);
    if (s) b.rs[field] = s;
  };
}

function rsInt(field: 'weight' | 'uthreshold' | 'lthreshold', min: number, max: number): Handler<RsBuilder> {
  return (n, b, cx) => {
    const v = readInt(n, 0, min, max, cx, field === 'weight' ? 1 : undefined);
    if (v !== undefined) b.rs[field] = v;
  };
}

const rsSection: Section<RsBuilder> = {
  name: 'real_server',
  keywords: {
    ...timingKeywords<RsBuilder>(),
    // [0, IPVS_WEIGHT_LIMIT = INT32_MAX] (check_parser.c rs_weight_handler()).
    weight: rsInt('weight', 0, 0x7fffffff),
    uthreshold: rsInt('uthreshold', 0, 0x7fffffff),
    lthreshold: rsInt('lthreshold', 0, 0x7fffffff),
    lvs_method: (n, b, cx) => {
      const t = arg(n, 0, cx);
      if (t && LB_KINDS.includes(t.text)) b.rs.lvsMethod = t.text;
      else if (t) cx.diags.warn('W_BAD_VALUE', t.loc, `lvs_method '${t.text}' is not one of ${LB_KINDS.join(', ')} - ignored`);
    },
    inhibit_on_failure: (n, b, cx) => { b.rs.inhibitOnFailure = readBool(n, 0, cx) ?? b.rs.inhibitOnFailure; },
    notify_up: scriptTo('notifyUp'),
    notify_down: scriptTo('notifyDown'),
    alpha: (_n, b) => { b.rs.alpha = true; },
    smtp_alert: (n, b, cx) => { b.rs.smtpAlert = readBool(n, 0, cx) ?? b.rs.smtpAlert; },
    virtualhost: (n, b, cx) => { b.rs.virtualhost = arg(n, 0, cx)?.text ?? b.rs.virtualhost; },
    ...Object.fromEntries((Object.keys(CHECKER_SPECIFIC) as CheckerType[]).map((t) => [t, checkerHandler(t)])),
  },
  known: ['snmp_name'],
};

function finishChecker(c: Checker, rs: RsBuilder, vs: VsBuilder): CheckerConfig {
  const pick = <K extends keyof Timing>(k: K): Timing[K] => c[k] ?? rs[k] ?? vs[k];
  const out = { ...c } as Checker;
  const ref = fileCheckRefs.get(c);
  if (ref) fileCheckRefs.set(out, ref);
  out.connectTimeoutMs = pick('connectTimeoutMs') ?? TIMING_DEFAULTS.connectTimeoutMs;
  // Unset values come from the real server, then the virtual server, then the checker type's own
  // default (check_api.c default_retry / default_delay_before_retry: HTTP/SSL 3 s, DNS retry 3 and
  // delay_loop, MISC/FILE retry 0).
  const dflt = typeDefaults(c.type as Parameters<typeof typeDefaults>[0]);
  out.delayLoopMs = pick('delayLoopMs') ?? TIMING_DEFAULTS.delayLoopMs;
  out.retry = pick('retry') ?? dflt.retry;
  out.delayBeforeRetryMs = pick('delayBeforeRetryMs') ?? dflt.delayBeforeRetryMs ?? out.delayLoopMs;
  const warm = pick('warmupMs');
  if (warm !== undefined) out.warmupMs = warm;
  return out as unknown as CheckerConfig;
}

/* ------------------------------ virtual_server ----------------------------- */

const LB_ALGOS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'mh', 'dh', 'fo', 'ovf', 'sed', 'nq', 'twos'];
const LB_KINDS = ['NAT', 'DR', 'TUN'];

/** lb_algo/lb_kind are matched exactly (keepalived strcmp()), protocol case-insensitively. */
function vsStr(field: 'lbAlgo' | 'lbKind' | 'protocol', values: string[]): Handler<VsBuilder> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx);
    if (!t) return;
    const v = field === 'protocol' ? t.text.toUpperCase() : t.text;
    if (values.includes(v)) b.vs[field] = v;
    else cx.diags.warn('W_BAD_VALUE', t.loc, `${n.key.text} '${t.text}' is not one of ${values.join(', ')} - using ${b.vs[field]}`);
  };
}

function vsFlag(field: 'alpha' | 'omega' | 'haSuspend' | 'inhibitOnFailure' | 'sorryServerInhibit'): Handler<VsBuilder> {
  return (n, b, cx) => { b.vs[field] = readBool(n, 0, cx) ?? b.vs[field]; };
}

function vsInt(field: 'quorum' | 'hysteresis' | 'persistenceTimeoutS', min: number, max: number): Handler<VsBuilder> {
  return (n, b, cx) => {
    const v = n.args[0] || field !== 'persistenceTimeoutS' ? readInt(n, 0, min, max, cx) : 360;
    if (v !== undefined) b.vs[field] = v;
  };
}

const realServerHandler = block<VsBuilder>((children, n, b, cx) => {
  const t = arg(n, 0, cx, 'address');
  const ip = t ? parseIp(t.text) : undefined;
  if (!t || !ip) {
    if (t) cx.diags.warn('W_BAD_ADDRESS', t.loc, `real_server '${t.text}' is not a valid IP address - skipping`);
    return;
  }
  const rs: RealServerConfig = {
    address: ip.address, family: ip.family, loc: n.loc, weight: 1, inhibitOnFailure: b.vs.inhibitOnFailure,
    alpha: b.vs.alpha, checkers: [],
  };
  const port = portOf(n, 1, cx);
  if (port !== undefined) rs.port = port;
  const rb: RsBuilder = { rs, checkers: [], other: {} };
  runSection(rsSection, children, rb, cx);
  b.rsBuilders.push(rb);
});

const vsSection: Section<VsBuilder> = {
  name: 'virtual_server',
  keywords: {
    ...timingKeywords<VsBuilder>(),
    retry: intField<VsBuilder>('retry', 1, 0xffffffff, 1),
    lb_algo: vsStr('lbAlgo', LB_ALGOS),
    lvs_sched: vsStr('lbAlgo', LB_ALGOS),
    lb_kind: vsStr('lbKind', LB_KINDS),
    lvs_method: vsStr('lbKind', LB_KINDS),
    protocol: vsStr('protocol', ['TCP', 'UDP', 'SCTP']),
    // [1, 31 days] (check_parser.c pto_handler); without a value: 360 s.
    persistence_timeout: vsInt('persistenceTimeoutS', 1, 2_678_400),
    persistence_granularity: (n, b, cx) => { b.vs.persistenceGranularity = arg(n, 0, cx)?.text; },
    quorum: vsInt('quorum', 1, 0x7fffffff),
    hysteresis: vsInt('hysteresis', 0, 0x7fffffff),
    quorum_up: (n, b, cx) => { b.vs.quorumUp = readScript(n, cx) ?? b.vs.quorumUp; },
    quorum_down: (n, b, cx) => { b.vs.quorumDown = readScript(n, cx) ?? b.vs.quorumDown; },
    alpha: vsFlag('alpha'),
    omega: vsFlag('omega'),
    ha_suspend: vsFlag('haSuspend'),
    inhibit_on_failure: vsFlag('inhibitOnFailure'),
    sorry_server_inhibit: vsFlag('sorryServerInhibit'),
    virtualhost: (n, b, cx) => { b.vs.virtualhost = arg(n, 0, cx, 'value', true)?.text ?? b.vs.virtualhost; },
    smtp_alert: (n, b, cx) => { b.vs.smtpAlert = readBool(n, 0, cx) ?? b.vs.smtpAlert; },
    sorry_server: (n, b, cx) => {
      const t = arg(n, 0, cx, 'address');
      if (!t) return;
      if (!parseIp(t.text)) { cx.diags.warn('W_BAD_ADDRESS', t.loc, `sorry_server '${t.text}' is not a valid IP address - ignored`); return; }
      const port = portOf(n, 1, cx);
      b.vs.sorryServer = port === undefined ? { address: t.text } : { address: t.text, port };
    },
    ip_family: (n, b, cx) => {
      const t = arg(n, 0, cx);
      if (!t) return;
      const f = t.text === 'inet' ? 4 : t.text === 'inet6' ? 6 : undefined;
      if (f === undefined) cx.diags.warn('W_BAD_VALUE', t.loc, `ip_family '${t.text}' must be inet or inet6 - ignored`);
      else if (b.vs.kind === 'address' && f !== b.vs.family) {
        cx.diags.warn('W_FAMILY_MISMATCH', t.loc, `Virtual server specified family ${t.text} conflicts with server family - ignored`);
      } else b.vs.family = f;
    },
    real_server: realServerHandler,
  },
  known: ['hashed', 'ops', 'flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback',
    'persistence_engine', 'snmp_name', 'weight', 'sorry_server_lvs_method'],
};

function vsHeader(n: Node, cx: Ctx): VirtualServerConfig | undefined {
  const base = {
    loc: n.loc, family: 4 as Family, delayLoopMs: 60_000, lbAlgo: 'wlc', lbKind: 'NAT', protocol: 'TCP', quorum: 1,
    hysteresis: 0, alpha: false, omega: false, haSuspend: false, inhibitOnFailure: false, sorryServerInhibit: false,
    realServers: [], other: {},
  };
  const t = arg(n, 0, cx, 'address');
  if (!t) return undefined;
  if (t.text === 'fwmark') {
    const m = readInt(n, 1, 1, 0xffffffff, cx);
    return m === undefined ? undefined : { ...base, kind: 'fwmark', fwmark: m };
  }
  if (t.text === 'group') {
    const g = arg(n, 1, cx, 'group name');
    return g ? { ...base, kind: 'group', group: g.text } : undefined;
  }
  const ip = parseIp(t.text);
  if (!ip) {
    cx.diags.warn('W_BAD_ADDRESS', t.loc, `virtual_server '${t.text}' is not a valid IP address - skipping`);
    return undefined;
  }
  const port = portOf(n, 1, cx);
  return { ...base, kind: 'address', address: ip.address, family: ip.family, ...(port === undefined ? {} : { port }) };
}

export function parseVirtualServer(n: Node, cx: Ctx): VirtualServerConfig | undefined {
  const vs = vsHeader(n, cx);
  if (!vs) return undefined;
  const b: VsBuilder = { vs, rsBuilders: [], other: vs.other, locs: {} };
  runSection(vsSection, n.children ?? [], b, cx);
  if (b.delayLoopMs !== undefined) vs.delayLoopMs = b.delayLoopMs;
  const seen = new Set<string>();
  for (const rb of b.rsBuilders) {
    const key = `${rb.rs.address}|${rb.rs.port}`;
    if (seen.has(key)) {
      cx.diags.warn('W_DUPLICATE_NAME', rb.rs.loc, `VS ${vsName(vs)}: real server ${rb.rs.address}:${rb.rs.port ?? 0} is duplicated - removing second rs`);
      continue;
    }
    seen.add(key);
    rb.rs.checkers = rb.checkers.map((c) => finishChecker(c, rb, b));
    vs.realServers.push(rb.rs);
  }
  return completeVirtualServer(vs, b, n, cx) ? vs : undefined;
}

function vsName(vs: VirtualServerConfig): string {
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark}`;
  if (vs.kind === 'group') return `[${vs.group}]`;
  return `[${vs.address}]:${vs.port ?? 0}`;
}

/**
 * keepalived 2.2.7 check_data.c validate_check_config(), each fix-up reported
 * at the virtual_server line: a service without real servers is dropped; a
 * service by address without `protocol` is UDP (the kernel's default for 0);
 * a protocol is ignored for fwmark services; the scheduler and forwarding
 * method default to wlc and NAT, reported; quorum above the real servers'
 * total weight is reduced, hysteresis >= quorum becomes quorum - 1.
 */
function completeVirtualServer(vs: VirtualServerConfig, b: VsBuilder, n: Node, cx: Ctx): boolean {
  const name = vsName(vs);
  const warn = (code: string, msg: string): void => cx.diags.warn(code, n.loc, `Virtual server ${name}: ${msg}`);
  if (vs.realServers.length === 0) {
    cx.diags.warn('W_VS_NO_REAL_SERVERS', n.loc, `Virtual server ${name} has no real servers - ignoring`);
    return false;
  }
  if (vs.kind === 'address' && !b.locs.protocol) {
    warn('W_VS_NO_PROTOCOL', 'no protocol set - defaulting to UDP');
    vs.protocol = 'UDP';
  }
  if (vs.kind === 'group' && !b.locs.protocol) groupVsWithoutProtocol.add(vs);
  if (vs.kind === 'fwmark' && b.locs.protocol) {
    cx.diags.warn('W_FWMARK_PROTOCOL', b.locs.protocol, `Virtual server ${name}: protocol specified for fwmark - protocol will be ignored`);
  }
  if (!b.locs.lb_algo && !b.locs.lvs_sched) warn('W_VS_NO_SCHEDULER', `no scheduler set, setting default '${vs.lbAlgo}'`);
  if (!b.locs.lb_kind && !b.locs.lvs_method && vs.realServers.some((r) => r.lvsMethod === undefined)) {
    warn('W_VS_NO_FORWARDING', 'no forwarding method set, setting default NAT');
  }
  const total = vs.realServers.reduce((sum, r) => sum + r.weight, 0);
  if (vs.quorum > total) {
    cx.diags.warn('W_VS_QUORUM', b.locs.quorum ?? n.loc,
      `Warning - quorum ${vs.quorum} for ${name} exceeds total weight of real servers ${total}, reducing quorum to ${total}`);
    vs.quorum = total;
  }
  if (vs.hysteresis >= vs.quorum && (vs.hysteresis > 0 || vs.quorum > 0)) {
    const h = Math.max(0, vs.quorum - 1);
    cx.diags.warn('W_VS_HYSTERESIS', b.locs.hysteresis ?? n.loc, `Virtual server ${name}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`);
    vs.hysteresis = h;
  }
  return true;
}

/* --------------------------- virtual_server_group -------------------------- */

export function parseVsGroup(n: Node, name: string, cx: Ctx): VirtualServerGroupConfig {
  const g: VirtualServerGroupConfig = { name, loc: n.loc, entries: [] };
  for (const c of n.children ?? []) {
    const e = vsgEntry(c, cx);
    if (e) g.entries.push(e);
  }
  return g;
}

function vsgEntry(c: Node, cx: Ctx): VirtualServerGroupEntry | undefined {
  if (c.key.text === 'fwmark') {
    const m = readInt(c, 0, 1, 0xffffffff, cx);
    return m === undefined ? undefined : { fwmark: m, loc: c.loc };
  }
  const m = /^([^-]+)(?:-(\d+))?$/.exec(c.key.text);
  const ip = m ? parseIp(m[1]) : undefined;
  if (!m || !ip) {
    cx.diags.warn('W_BAD_ADDRESS', c.key.loc, `virtual_server_group entry '${c.key.text}' is not a valid address - skipping`);
    return undefined;
  }
  const e: VirtualServerGroupEntry = { address: ip.address, loc: c.loc };
  if (m[2]) e.rangeEnd = Number(m[2]);
  const port = c.args[0] ? parseIntStrict(c.args[0].text) : undefined;
  if (c.args[0] && (port === undefined || port < 1 || port > 65535)) {
    cx.diags.warn('W_OUT_OF_RANGE', c.args[0].loc, `port '${c.args[0].text}' outside range [1, 65535] - skipping`);
    return undefined;
  }
  if (port !== undefined) e.port = port;
  return e;
}
