/**
 * `etcd_election NAME { ... }` (ours) and the instance keyword `election NAME
 * [key KEY]`: a vrrp_instance that takes its mastership from an etcd v3
 * election instead of VRRP adverts (src/election, src/daemon/main/election.ts).
 *
 *     etcd_election ETCD {
 *         endpoints https://198.51.100.1:2379 https://198.51.100.2:2379
 *         cacert /etc/keepalived/etcd-ca.pem      # TLS: CA, and a client certificate and key
 *         cert /etc/keepalived/etcd-client.pem
 *         key /etc/keepalived/etcd-client.key
 *         user keepalived                         # etcd authentication
 *         password secret
 *         key_prefix /keepalived-ts               # default /keepalived-ts
 *         lease_ttl 5                             # whole seconds, 2..3600, default 5
 *         safety_margin 0.5                       # seconds, default max(0.3, lease_ttl / 10)
 *         candidate_id lb1                        # default router_id
 *     }
 *
 * Everything that decides safety is validated here, as an error at its word:
 * a daemon that would hold a VIP on a guessed setting is worse than one that
 * does not start the instance.
 */
import type { ElectionConfig, ElectionRef, Loc } from '../model';
import { arg, readSecondsMs, readWholeSecondsMs, type Ctx, type Handler, type Section } from '../schema';
import type { Node } from '../tree';

export const DEFAULT_KEY_PREFIX = '/keepalived-ts';
export const DEFAULT_LEASE_TTL_MS = 5000;
/** etcd rounds a lease TTL up to its minimum (1.5 s with its default timing, so 2 s): below that we would misjudge expiry. */
export const MIN_LEASE_TTL_S = 2;
export const MAX_LEASE_TTL_S = 3600;

/** The default margin: 10 % of the TTL, at least 300 ms. */
export function defaultMarginMs(ttlMs: number): number {
  return Math.max(300, Math.round(ttlMs / 10));
}

export interface ElectionBuilder {
  name: string;
  loc: Loc;
  locs: Record<string, Loc>;
  endpoints: { url: string; loc: Loc }[];
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
  keyPrefix?: string;
  leaseTtlMs?: number;
  marginMs?: number;
  candidateId?: string;
  endLoc?: Loc;
  seq?: number;
}

export function newElection(name: string, loc: Loc): ElectionBuilder {
  return { name, loc, locs: {}, endpoints: [] };
}

/** `endpoints URL...` (or `endpoint URL`, repeatable): http:// or https://, host and port, nothing after. */
const endpointsHandler: Handler<ElectionBuilder> = (n, b, cx) => {
  if (!arg(n, 0, cx, 'endpoint URL')) return;
  for (const t of n.args) {
    let u: URL | undefined;
    try {
      u = new URL(t.text);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || (u.pathname !== '/' && u.pathname !== '') || u.search || u.username) {
      cx.diags.error('E_ELECTION_ENDPOINT', t.loc, `etcd_election ${b.name}: '${t.text}' is not an etcd client URL (http[s]://HOST:PORT) - ignored`);
      continue;
    }
    const url = `${u.protocol}//${u.host}`;
    if (!b.endpoints.some((e) => e.url === url)) b.endpoints.push({ url, loc: t.loc });
  }
};

const pathField = (field: 'cacert' | 'cert' | 'key'): Handler<ElectionBuilder> => (n, b, cx) => {
  const t = arg(n, 0, cx, 'file name');
  if (!t) return;
  if (!t.text.startsWith('/')) cx.diags.warn('W_RELATIVE_PATH', t.loc, `etcd_election ${b.name}: ${n.key.text} '${t.text}' is relative to the daemon's working directory`);
  b[field] = t.text;
};

const wordField = (field: 'user' | 'password' | 'keyPrefix' | 'candidateId'): Handler<ElectionBuilder> => (n, b, cx) => {
  const t = arg(n, 0, cx);
  if (!t) return;
  if (field === 'keyPrefix' && (t.text.includes('\0') || t.text.length > 512)) {
    cx.diags.error('E_ELECTION_VALUE', t.loc, `etcd_election ${b.name}: key_prefix must be at most 512 characters without NUL - ignored`);
    return;
  }
  b[field] = t.text;
};

export const electionSection: Section<ElectionBuilder> = {
  name: 'etcd_election',
  keywords: {
    endpoints: endpointsHandler,
    endpoint: endpointsHandler,
    cacert: pathField('cacert'),
    cert: pathField('cert'),
    key: pathField('key'),
    user: wordField('user'),
    password: wordField('password'),
    key_prefix: wordField('keyPrefix'),
    candidate_id: wordField('candidateId'),
    lease_ttl: (n, b, cx) => {
      const v = readWholeSecondsMs(n, 0, MIN_LEASE_TTL_S, MAX_LEASE_TTL_S, cx);
      if (v === undefined) cx.diags.error('E_ELECTION_VALUE', n.args[0]?.loc ?? n.loc, `etcd_election ${b.name}: lease_ttl must be whole seconds in [${MIN_LEASE_TTL_S}, ${MAX_LEASE_TTL_S}]`);
      else b.leaseTtlMs = v;
    },
    safety_margin: (n, b, cx) => {
      const v = readSecondsMs(n, 0, 10, MAX_LEASE_TTL_S * 1000, cx);
      if (v === undefined) cx.diags.error('E_ELECTION_VALUE', n.args[0]?.loc ?? n.loc, `etcd_election ${b.name}: safety_margin must be a time in seconds (at least 0.01)`);
      else b.marginMs = v;
    },
  },
};

/** A block to the model, with its cross-checks; undefined (and an error) when it cannot be used. */
export function finishElection(b: ElectionBuilder, routerId: string, cx: Ctx): ElectionConfig | undefined {
  const err = (code: string, loc: Loc | undefined, msg: string) => cx.diags.error(code, loc ?? b.loc, `etcd_election ${b.name}: ${msg}`);
  let ok = true;
  if (b.endpoints.length === 0) {
    err('E_ELECTION_NO_ENDPOINT', b.endLoc, 'no usable endpoint - the instances using it are not started');
    ok = false;
  }
  const schemes = new Set(b.endpoints.map((e) => e.url.split(':')[0]));
  if (schemes.size > 1) {
    err('E_ELECTION_ENDPOINT', b.endpoints[0].loc, 'endpoints mix http:// and https://');
    ok = false;
  }
  const tls = schemes.has('https');
  if ((b.cert === undefined) !== (b.key === undefined)) {
    err('E_ELECTION_TLS', b.locs.cert ?? b.locs.key, 'cert and key go together (a client certificate needs its key)');
    ok = false;
  }
  if (!tls && (b.cacert ?? b.cert) !== undefined) {
    err('E_ELECTION_TLS', b.locs.cacert ?? b.locs.cert, 'TLS files given for http:// endpoints (use https://)');
    ok = false;
  }
  if ((b.user === undefined) !== (b.password === undefined)) {
    err('E_ELECTION_AUTH', b.locs.user ?? b.locs.password, 'user and password go together');
    ok = false;
  }
  if (b.cert !== undefined && b.user !== undefined) {
    // etcd (3.4, 3.5) answers a gateway request that carries a client certificate with HTTP 400 once
    // authentication is enabled ("CommonName of client sending a request against gateway will be ignored").
    err('E_ELECTION_TLS_AUTH', b.locs.user, 'a client certificate (cert/key) and user/password cannot be used together: etcd refuses JSON-gateway requests with a client certificate once authentication is on - authenticate with one of them');
    ok = false;
  }
  const ttl = b.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const margin = b.marginMs ?? defaultMarginMs(ttl);
  if (margin * 2 > ttl) {
    err('E_ELECTION_VALUE', b.locs.safety_margin ?? b.locs.lease_ttl, `safety_margin ${margin / 1000}s must be at most half of lease_ttl ${ttl / 1000}s`);
    ok = false;
  }
  if (!ok) return undefined;
  const out: ElectionConfig = {
    name: b.name, loc: b.loc, endpoints: b.endpoints.map((e) => e.url), keyPrefix: (b.keyPrefix ?? DEFAULT_KEY_PREFIX).replace(/\/+$/, ''),
    leaseTtlMs: ttl, marginMs: margin, candidateId: b.candidateId ?? routerId,
  };
  for (const k of ['cacert', 'cert', 'key', 'user', 'password'] as const) if (b[k] !== undefined) out[k] = b[k];
  return out;
}

/** What `election NAME [key KEY]` in a vrrp_instance leaves in its builder. */
export interface ElectionRefBuilder {
  name: string;
  key?: string;
  loc: Loc;
  /** Parse-order position (the block must be defined before, as track scripts are). */
  seq: number;
  /** The line had an error (reported): the instance must not run, not even as a VRRP instance. */
  invalid?: boolean;
}

/** `election NAME [key KEY]` inside vrrp_instance. */
export function electionRefHandler<B extends { name: string; election?: ElectionRefBuilder }>(): Handler<B> {
  return (n: Node, b, cx) => {
    const t = arg(n, 0, cx, 'etcd_election name');
    if (!t) return;
    const ref: ElectionRefBuilder = { name: t.text, loc: t.loc, seq: cx.seq ?? 0 };
    b.election = ref;
    const [k, v, extra] = n.args.slice(1);
    if (k) {
      if (k.text !== 'key' || !v) {
        cx.diags.error('E_ELECTION_VALUE', k.loc, `(${b.name}) election: expected 'key NAME' after ${t.text}, not '${k.text}'`);
        ref.invalid = true;
        return;
      }
      if (v.text.includes('/') || v.text.includes('\0')) {
        cx.diags.error('E_ELECTION_VALUE', v.loc, `(${b.name}) election key '${v.text}' must be one path segment (no '/')`);
        ref.invalid = true;
        return;
      }
      ref.key = v.text;
      if (extra) cx.diags.warn('W_BAD_VALUE', extra.loc, `(${b.name}) election: unexpected '${extra.text}' - ignored`);
    }
  };
}

/** VRRP-only keywords that have no effect on an election instance (warned at their line). */
const VRRP_ONLY = [
  'advert_int', 'authentication', 'unicast_peer', 'unicast_src_ip', 'unicast_ttl', 'mcast_src_ip', 'mcast_dst_ip', 'use_vmac',
  'vmac_xmit_base', 'lower_prio_no_advert', 'higher_prio_send_advert', 'down_timer_adverts', 'check_unicast_src', 'version',
  'garp_lower_prio_delay', 'garp_lower_prio_repeat', 'notify_master_rx_lower_pri', 'strict_mode', 'v3_checksum_as_v2',
];

/**
 * An instance's `election` reference, resolved against the blocks defined
 * before it: the model's ElectionRef, or undefined after an error (the
 * instance then does not run: running it as a VRRP instance instead could
 * make a second holder where VRRP adverts do not reach).
 */
export function resolveElectionRef(
  inst: { name: string; election?: ElectionRefBuilder; locs: Record<string, Loc> },
  blocks: Map<string, { config?: ElectionConfig; seq: number; loc: Loc }>,
  cx: Ctx,
): ElectionRef | undefined | 'error' {
  const ref = inst.election;
  if (!ref) return undefined;
  if (ref.invalid) return 'error';
  const d = blocks.get(ref.name);
  if (!d || d.seq > ref.seq) {
    const later = d ? ` (it is defined later, at ${d.loc.file}:${d.loc.line}; define it before the instance)` : '';
    cx.diags.error('E_ELECTION_UNKNOWN', ref.loc, `(${inst.name}) etcd_election ${ref.name} not found - instance not started${later}`);
    return 'error';
  }
  if (!d.config) {
    cx.diags.error('E_ELECTION_UNKNOWN', ref.loc, `(${inst.name}) etcd_election ${ref.name} has errors (above) - instance not started`);
    return 'error';
  }
  for (const k of VRRP_ONLY) {
    const at = inst.locs[k];
    if (at) cx.diags.warn('W_ELECTION_IGNORED', at, `(${inst.name}) ${k} has no effect on an instance elected through etcd_election ${ref.name} - ignored`);
  }
  return { name: ref.name, key: ref.key ?? inst.name, loc: ref.loc };
}
