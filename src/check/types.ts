/**
 * Health checker option types, close to keepalived.conf(5) keywords
 * (camelCase, durations in integer ms). The lead maps the config model onto
 * these; nothing here depends on src/config.
 *
 * Defaults below were checked against keepalived 2.2.7 sources
 * (keepalived/check/check_api.c queue_checker(), check_data.c alloc_vs() /
 * validate_check_config(), check_http.c, check_dns.c, check_misc.c) and
 * keepalived.conf(5).
 */

export type CheckerType =
  | 'TCP_CHECK'
  | 'HTTP_GET'
  | 'SSL_GET'
  | 'SMTP_CHECK'
  | 'MISC_CHECK'
  | 'DNS_CHECK'
  | 'PING_CHECK'
  | 'UDP_CHECK'
  | 'FILE_CHECK';

/** keepalived KEEPALIVED_DEFAULT_DELAY: `delay_loop` default, 60 s. */
export const DEFAULT_DELAY_LOOP_MS = 60_000;
/** alloc_vs(): `connect_timeout` default 5 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** lib/scheduler.h BOOTSTRAP_DELAY (TIMER_HZ): every checker first runs 1 s + random(warmup) after start. */
export const BOOTSTRAP_DELAY_MS = 1_000;
/** check_smtp.h SMTP_DEFAULT_HELO. */
export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';

/**
 * Per-type defaults for `retry` and `delay_before_retry` (queue_checker() sets
 * 1 / 1 s; check_http.c: delay_before_retry 3 s; check_dns.c: retry 3 and
 * delay_before_retry = delay_loop (encoded as `null`); check_misc.c: retry 0).
 */
export function typeDefaults(type: CheckerType): { retry: number; delayBeforeRetryMs: number | null } {
  switch (type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return { retry: 1, delayBeforeRetryMs: 3_000 };
    case 'DNS_CHECK':
      return { retry: 3, delayBeforeRetryMs: null };
    case 'MISC_CHECK':
      return { retry: 0, delayBeforeRetryMs: 1_000 };
    case 'FILE_CHECK':
      // keepalived's FILE_CHECK is inotify driven and never retried.
      return { retry: 0, delayBeforeRetryMs: 1_000 };
    default:
      return { retry: 1, delayBeforeRetryMs: 1_000 };
  }
}

/** Timing keywords that can be set on a virtual_server, real_server or checker. */
export interface TimingOptions {
  delayLoopMs?: number;
  warmupMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  connectTimeoutMs?: number;
  alpha?: boolean;
}

/** Where a network probe connects (`connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if`). */
export interface ConnTarget {
  /** `connect_ip`, default the real server address. */
  connectIp: string;
  /** `connect_port`, default the real server port. */
  connectPort: number;
  /** `bindto`: source address. */
  bindto?: string;
  /** `bind_port`: source port. */
  bindPort?: number;
  /** `bind_if`: the interface to send through (PING_CHECK; needed for link-local addresses). */
  bindIf?: string;
}

export interface UrlSpec {
  path: string;
  /** `digest`: MD5 of the body, 32 lowercase hex digits. */
  digest?: string;
  /**
   * `status_code`: accepted codes as inclusive ranges. Empty/absent means
   * keepalived's default 200-299 (check_http.h HTTP_DEFAULT_STATUS_CODE_MIN/MAX).
   */
  statusCodes?: Array<[number, number]>;
  /** `virtualhost` of this url (overrides checker/real/virtual server). */
  virtualhost?: string;
  /** `regex` (JavaScript RegExp syntax here, keepalived uses PCRE2) and `regex_no_match`. */
  regex?: string;
  regexNoMatch?: boolean;
}

/** `http_protocol`: 1.0 (default), 1.0C (1.0 + Connection: close), 1.1 (sends Connection: close). */
export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface SslOptions {
  /** `ca` file. When set, the peer certificate is verified against it (keepalived never verifies). */
  ca?: string;
  certificate?: string;
  key?: string;
  password?: string;
  /** Verify the peer certificate (keepalived-ts extension; default false as keepalived). */
  verify?: boolean;
}

export type DnsType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';

export type ProbeSpec =
  | { type: 'TCP_CHECK'; target: ConnTarget }
  | {
      type: 'HTTP_GET' | 'SSL_GET';
      target: ConnTarget;
      urls: UrlSpec[];
      httpProtocol?: HttpProtocol;
      /** Checker-level `virtualhost` (already resolved from real/virtual server by the caller). */
      virtualhost?: string;
      /** SSL_GET `enable_sni`. */
      enableSni?: boolean;
      ssl?: SslOptions;
    }
  | { type: 'SMTP_CHECK'; target: ConnTarget; heloName?: string }
  | {
      type: 'MISC_CHECK';
      /** `misc_path`: command line, split into argv like keepalived (quotes honoured). */
      miscPath: string;
      /** `misc_dynamic`. */
      miscDynamic?: boolean;
      /** `user`: numeric ids (resolve names with resolveUser()). */
      uid?: number;
      gid?: number;
    }
  | { type: 'DNS_CHECK'; target: ConnTarget; dnsType?: DnsType; name?: string }
  | { type: 'PING_CHECK'; target: ConnTarget }
  | {
      type: 'UDP_CHECK';
      target: ConnTarget;
      /** `payload`, already decoded from HEX_STR (random bytes if absent, as keepalived). */
      payload?: Buffer;
      /** `require_reply`: true = any reply; a pattern = reply must match it (mask bits set = ignore). */
      requireReply?: boolean | { data: Buffer; mask?: Buffer };
      /** `min_reply_length` default 0, `max_reply_length` default 255. */
      minReplyLength?: number;
      maxReplyLength?: number;
    }
  | {
      type: 'FILE_CHECK';
      /** The tracked file's path (`track_file` resolves to a vrrp_track_file/track_file block). */
      path: string;
      /** `weight` multiplier; 0 = any non-zero value is a failure. */
      weight?: number;
      reverse?: boolean;
    };

/**
 * What one probe run says. `weight` is MISC_CHECK misc_dynamic's absolute
 * weight (exit status - 2); `weightDelta` is FILE_CHECK's value x weight,
 * added to the real server's weight.
 */
export interface ProbeResult {
  ok: boolean;
  detail: string;
  weight?: number;
  weightDelta?: number;
}

export interface ProbeRunOptions {
  /** Aborted when the runner gives up on this probe (timeout or stop). */
  signal: AbortSignal;
  /** The probe's own deadline: connect_timeout (misc_timeout for MISC_CHECK). */
  timeoutMs: number;
}

/**
 * The probe port. May return synchronously (tests with a virtual clock) or a
 * promise (real probes).
 */
export type ProbePort = (spec: ProbeSpec, opts: ProbeRunOptions) => ProbeResult | Promise<ProbeResult>;
