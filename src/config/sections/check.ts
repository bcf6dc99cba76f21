/**
 * `virtual_server_group`, `virtual_server`, `real_server` and the checker
 * blocks (keepalived/check/check_parser.c and check_*.c). Timing settings are
 * inherited checker → real_server → virtual_server → keepalived default.
 */
import { parseIp } from '../address';
import type { Loc } from '../diagnostics';
import type {
  CheckerConfig, CheckerType, Family, HttpUrl, RealServerConfig, ScriptCommand, SmtpHost, VirtualServerConfig,
  VirtualServerGroupConfig, VirtualServerGroupEntry,
} from '../model';
import {
  arg, block, flagField, intField, msField, parseIntStrict, readInt, readScript, runSection, strField,
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
}

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

const commonCheckerKeywords: Record<string, Handler<Checker>> = {
  ...timingKeywords<Checker>(),
  connect_ip: (n, b, cx) => {
    const t = arg(n, 0, cx, 'address');
    if (t && parseIp(t.text)) b.connectIp = t.text;
    else if (t) cx.diags.warn('W_BAD_ADDRESS', t.loc, `connect_ip '${t.text}' is not a valid IP address - ignored`);
  },
  connect_port: intField<Checker>('connectPort', 0, 65535),
  bindto: setK('bindTo'),
  bind_port: intField<Checker>('bindPort', 0, 65535),
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
    cx.diags.warn('W_URL_NO_PATH', n.loc, 'url block has no path - ignored');
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
    keywords: { track_file: setK('trackFile'), weight: intField<Checker>('weight', -254, 254) },
    init: () => ({}),
  },
};

function httpSpec(): { keywords: Record<string, Handler<Checker>>; init: () => Record<string, unknown>; known: string[] } {
  return {
    keywords: {
      url: urlHandler,
      nb_get_retry: intField<Checker>('retry', 0, 0x7fffffff, 1),
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
    if (type === 'MISC_CHECK' && !c.miscPath) cx.diags.warn('W_MISSING_PARAMETER', n.loc, 'MISC_CHECK has no misc_path - ignored');
    else if ((type === 'HTTP_GET' || type === 'SSL_GET') && (c.url as HttpUrl[]).length === 0) {
      cx.diags.warn('W_NO_URL', n.loc, `${type} has no url - ignored`);
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
    weight: rsInt('weight', 0, 65535),
    uthreshold: rsInt('uthreshold', 0, 0x7fffffff),
    lthreshold: rsInt('lthreshold', 0, 0x7fffffff),
    lvs_method: (n, b, cx) => { b.rs.lvsMethod = arg(n, 0, cx)?.text.toUpperCase() ?? b.rs.lvsMethod; },
    inhibit_on_failure: (n, b) => { b.rs.inhibitOnFailure = n.args[0]?.text !== 'false'; },
    notify_up: scriptTo('notifyUp'),
    notify_down: scriptTo('notifyDown'),
    alpha: (_n, b) => { b.rs.alpha = true; },
    smtp_alert: (n, b) => { b.rs.smtpAlert = n.args[0]?.text !== 'false'; },
    virtualhost: (n, b, cx) => { b.rs.virtualhost = arg(n, 0, cx)?.text ?? b.rs.virtualhost; },
    ...Object.fromEntries((Object.keys(CHECKER_SPECIFIC) as CheckerType[]).map((t) => [t, checkerHandler(t)])),
  },
  known: ['snmp_name'],
};

function finishChecker(c: Checker, rs: RsBuilder, vs: VsBuilder): CheckerConfig {
  const pick = <K extends keyof Timing>(k: K): Timing[K] => c[k] ?? rs[k] ?? vs[k];
  const out = { ...c } as Checker;
  out.connectTimeoutMs = pick('connectTimeoutMs') ?? TIMING_DEFAULTS.connectTimeoutMs;
  out.retry = pick('retry') ?? TIMING_DEFAULTS.retry;
  out.delayBeforeRetryMs = pick('delayBeforeRetryMs') ?? TIMING_DEFAULTS.delayBeforeRetryMs;
  out.delayLoopMs = pick('delayLoopMs') ?? TIMING_DEFAULTS.delayLoopMs;
  const warm = pick('warmupMs');
  if (warm !== undefined) out.warmupMs = warm;
  return out as unknown as CheckerConfig;
}

/* ------------------------------ virtual_server ----------------------------- */

const LB_ALGOS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'mh', 'dh', 'fo', 'ovf', 'sed', 'nq', 'twos'];
const LB_KINDS = ['NAT', 'DR', 'TUN'];

function vsStr(field: 'lbAlgo' | 'lbKind' | 'protocol', values: string[]): Handler<VsBuilder> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx);
    if (!t) return;
    const v = field === 'lbAlgo' ? t.text : t.text.toUpperCase();
    if (values.includes(v)) b.vs[field] = v;
    else cx.diags.warn('W_BAD_VALUE', t.loc, `${n.key.text} '${t.text}' is not one of ${values.join(', ')} - using ${b.vs[field]}`);
  };
}

function vsFlag(field: 'alpha' | 'omega' | 'haSuspend' | 'inhibitOnFailure' | 'sorryServerInhibit'): Handler<VsBuilder> {
  return (n, b) => { b.vs[field] = n.args[0]?.text !== 'false'; };
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
    lb_algo: vsStr('lbAlgo', LB_ALGOS),
    lvs_sched: vsStr('lbAlgo', LB_ALGOS),
    lb_kind: vsStr('lbKind', LB_KINDS),
    lvs_method: vsStr('lbKind', LB_KINDS),
    protocol: vsStr('protocol', ['TCP', 'UDP', 'SCTP']),
    persistence_timeout: vsInt('persistenceTimeoutS', 1, 0x7fffffff),
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
    virtualhost: (n, b, cx) => { b.vs.virtualhost = arg(n, 0, cx)?.text ?? b.vs.virtualhost; },
    smtp_alert: (n, b) => { b.vs.smtpAlert = n.args[0]?.text !== 'false'; },
    sorry_server: (n, b, cx) => {
      const t = arg(n, 0, cx, 'address');
      if (!t) return;
      if (!parseIp(t.text)) { cx.diags.warn('W_BAD_ADDRESS', t.loc, `sorry_server '${t.text}' is not a valid IP address - ignored`); return; }
      const port = portOf(n, 1, cx);
      b.vs.sorryServer = port === undefined ? { address: t.text } : { address: t.text, port };
    },
    ip_family: (n, b, cx) => {
      const t = arg(n, 0, cx);
      if (t?.text === 'inet') b.vs.family = 4;
      else if (t?.text === 'inet6') b.vs.family = 6;
      else if (t) cx.diags.warn('W_BAD_VALUE', t.loc, `ip_family '${t.text}' must be inet or inet6 - ignored`);
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
  const b: VsBuilder = { vs, rsBuilders: [], other: vs.other };
  runSection(vsSection, n.children ?? [], b, cx);
  if (b.delayLoopMs !== undefined) vs.delayLoopMs = b.delayLoopMs;
  if (vs.kind === 'fwmark' && n.children?.some((c) => c.key.text === 'protocol')) {
    cx.diags.warn('W_FWMARK_PROTOCOL', n.loc, `Virtual server FWM ${vs.fwmark}: protocol specified for fwmark - protocol will be ignored`);
  }
  for (const rb of b.rsBuilders) {
    rb.rs.checkers = rb.checkers.map((c) => finishChecker(c, rb, b));
    vs.realServers.push(rb.rs);
  }
  return vs;
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
  if (c.args[0] && (port === undefined || port < 0 || port > 65535)) {
    cx.diags.warn('W_OUT_OF_RANGE', c.args[0].loc, `port '${c.args[0].text}' outside range [0, 65535] - skipping`);
    return undefined;
  }
  if (port !== undefined) e.port = port;
  return e;
}
