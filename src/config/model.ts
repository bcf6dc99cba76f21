/**
 * The validated configuration model. Names follow keepalived's keywords in
 * camelCase; every duration is integer milliseconds (suffix `Ms`). All fields
 * of instances, scripts and groups are fully defaulted (global settings
 * applied), so consumers never re-apply defaults.
 */
import type { Loc } from './diagnostics';
import type { Family, VipSpec } from '../net/ports';

export type { Loc, VipSpec, Family };

/** A command run by keepalived (notify_*, vrrp_script script, misc_path ...). */
export interface ScriptCommand {
  /** The command string as written (after preprocessing; outer quotes removed). */
  raw: string;
  /** argv, split as keepalived does: `"` / `'` group words, backslash escapes. */
  argv: string[];
  /** `username [groupname]` after the command, when given. */
  user?: string;
  group?: string;
  loc: Loc;
}

/** A FIFO that receives state lines (`notify_fifo`, `vrrp_notify_fifo` ...). */
export interface FifoSpec {
  path: string;
  user?: string;
  group?: string;
  /** The `*_fifo_script` reading the FIFO, if configured. */
  script?: ScriptCommand;
  loc: Loc;
}

export interface SmtpServer {
  host: string;
  /** Default 25. */
  port: number;
}

export interface GlobalConfig {
  /** Default: the host name. */
  routerId: string;
  notificationEmail: string[];
  /** Default `keepalived@<hostname>` is left to the mailer: undefined here when unset. */
  notificationEmailFrom?: string;
  smtpServer?: SmtpServer;
  smtpHeloName?: string;
  /** Default 30 s. */
  smtpConnectTimeoutMs: number;
  /** Global default for `smtp_alert` (undefined: not set). */
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  noEmailFaults: boolean;
  scriptUser?: { user: string; group?: string };
  enableScriptSecurity: boolean;
  /** Default 2. */
  vrrpVersion: 2 | 3;
  vrrpStrict: boolean;
  vrrpCheckUnicastSrc: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  /** Default 224.0.0.18. */
  vrrpMcastGroup4: string;
  /** Default ff02::12. */
  vrrpMcastGroup6: string;
  /** Defaults: delay 5 s, repeat 5, refresh 0 (off), refresh repeat 1. */
  vrrpGarpMasterDelayMs: number;
  vrrpGarpMasterRepeat: number;
  vrrpGarpMasterRefreshMs: number;
  vrrpGarpMasterRefreshRepeat: number;
  /** Defaults: the master delay / repeat values. */
  vrrpGarpLowerPrioDelayMs: number;
  vrrpGarpLowerPrioRepeat: number;
  /** Delay between gratuitous ARPs (default 0). */
  vrrpGarpIntervalMs: number;
  /** Delay between unsolicited NAs (default 0). */
  vrrpGnaIntervalMs: number;
  vrrpLowerPrioNoAdvert: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  /** Default 3. */
  vrrpDownTimerAdverts: number;
  vrrpStartupDelayMs: number;
  vrrpNotifyPriorityChanges: boolean;
  /** `vrrp_iptables [in-chain [out-chain]]`; undefined when not given. */
  vrrpIptables?: { inChain?: string; outChain?: string };
  notifyFifo?: FifoSpec;
  vrrpNotifyFifo?: FifoSpec;
  lvsNotifyFifo?: FifoSpec;
  /** Default 'eth0' (keepalived's DFLT_INTERFACE): used by instances without `interface`. */
  defaultInterface: string;
  dynamicInterfaces: boolean;
  startupScript?: ScriptCommand;
  shutdownScript?: ScriptCommand;
  /** `http_listen ADDRESS [PORT]` (ours, repeatable): where /metrics and the status page listen; none by default. */
  httpListen: HttpListen[];
  /** global_defs keywords keepalived knows that this model keeps raw. */
  other: Record<string, string[]>;
}

/** An HTTP listener of the main process (/metrics, the read-only status page). */
export interface HttpListen {
  /** An IPv4 or IPv6 literal: there is no default address (never 0.0.0.0 unless written). */
  address: string;
  /** Default 9650. */
  port: number;
  loc: Loc;
}

export interface TrackRef {
  name: string;
  /** Weight override (track_script/track_file/track_process) or weight (track_interface, default 0). */
  weight?: number;
  /** `weight N reverse`. */
  reverse?: boolean;
  loc: Loc;
}

export interface UnicastPeer {
  address: string;
  family: Family;
  minTtl?: number;
  maxTtl?: number;
  loc: Loc;
}

export interface RouteSpec {
  /** Destination (`0.0.0.0/0` form kept as written); undefined for `blackhole` etc. without prefix. */
  to: string;
  family: Family;
  /** Route type when given first (blackhole, unreachable, prohibit, ...). */
  type?: string;
  via?: string;
  src?: string;
  dev?: string;
  table?: string;
  metric?: number;
  scope?: string;
  /** All option words after the destination, verbatim. */
  options: string[];
  loc: Loc;
}

export interface RuleSpec {
  from?: string;
  to?: string;
  table?: string;
  preference?: number;
  family: Family;
  options: string[];
  loc: Loc;
}

export interface NotifyScripts {
  master?: ScriptCommand;
  backup?: ScriptCommand;
  fault?: ScriptCommand;
  stop?: ScriptCommand;
  deleted?: ScriptCommand;
  masterRxLowerPri?: ScriptCommand;
  /** The generic `notify` script (args: TYPE NAME STATE PRIORITY). */
  generic?: ScriptCommand;
}

export interface VrrpInstanceConfig {
  name: string;
  loc: Loc;
  /**
   * Initial wanted state. keepalived 2.2.7 derives it from the priority when
   * `state` is absent (255 → MASTER, else BACKUP); it still starts every
   * non-owner instance in BACKUP.
   */
  state: 'MASTER' | 'BACKUP';
  interface: string;
  virtualRouterId: number;
  /** 1..255. Default 100, or 255 when `state MASTER` is given without a priority (keepalived 2.2.7). */
  priority: number;
  /** Advertisement interval; v2: whole seconds, v3: multiple of 10 ms (validated). Default 1 s. */
  advertIntMs: number;
  version: 2 | 3;
  family: Family;
  authentication?: { type: 'PASS' | 'AH'; password: string };
  virtualIpaddress: VipSpec[];
  virtualIpaddressExcluded: VipSpec[];
  virtualRoutes: RouteSpec[];
  virtualRules: RuleSpec[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  nopreempt: boolean;
  preemptDelayMs: number;
  /** Default: true unless strict mode (then only for the owner). */
  accept: boolean;
  garpMasterDelayMs: number;
  garpMasterRepeat: number;
  garpMasterRefreshMs: number;
  garpMasterRefreshRepeat: number;
  garpLowerPrioDelayMs: number;
  garpLowerPrioRepeat: number;
  garpIntervalMs: number;
  gnaIntervalMs: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  unicastSrcIp?: string;
  unicastPeer: UnicastPeer[];
  /** `unicast_ttl` (default 255). */
  unicastTtl: number;
  mcastSrcIp?: string;
  /** Multicast destination: `mcast_dst_ip` or the global group for the family. */
  mcastDstIp: string;
  /** `use_vmac [name]`: name defaults to `vrrp.<vrid>`. */
  useVmac?: { name: string; mac?: string };
  vmacXmitBase: boolean;
  dontTrackPrimary: boolean;
  skipCheckAdvAddr: boolean;
  checkUnicastSrc: boolean;
  strictMode: boolean;
  smtpAlert: boolean;
  notify: NotifyScripts;
  notifyPriorityChanges: boolean;
  debug: number;
  nativeIpv6: boolean;
  /** Default 3. */
  downTimerAdverts: number;
  kernelRxBufSize?: number;
  /** VRRPv3 IPv4 checksum without pseudo-header (`old_unicast_checksum` / v3_checksum_as_v2). */
  v3ChecksumAsV2: boolean;
  /** The sync group this instance belongs to (set by validation). */
  syncGroup?: string;
  /** `election NAME [key KEY]` (ours): mastership from an etcd election instead of VRRP adverts. */
  election?: ElectionRef;
  /** `route_announce { }` (ours, issue 13): the VIPs announced as /32 or /128 routes through FRR or BIRD (src/announce). */
  routeAnnounce?: RouteAnnounceConfig;
  /** keepalived keywords accepted but not modelled: keyword → argument words. */
  other: Record<string, string[]>;
}

/** `route_announce { }` of an instance (src/config/sections/announce.ts). */
export interface RouteAnnounceConfig {
  loc: Loc;
  /** active_standby: only the MASTER announces; anycast: every node whose instance is not in FAULT. */
  mode: 'active_standby' | 'anycast';
  /** The TUN device the VRRP process owns and puts the announced VIPs on (default kts-vip). */
  device: string;
  /** active_standby: the VIPs also go on `interface` with GARP/NA (default: by route only). */
  alsoGarp: boolean;
  /** Virtual servers whose lost quorum puts the instance in FAULT. */
  trackVirtualServer: VirtualServerRef[];
}

/** A virtual_server named as on its own line: `IP PORT`, `fwmark N` or `group NAME`. */
export type VirtualServerRef = Pick<VirtualServerConfig, 'loc' | 'kind' | 'address' | 'port' | 'fwmark' | 'group'>;

/** An instance's `election NAME [key KEY]`: the etcd_election block, and its key below the block's prefix. */
export interface ElectionRef {
  name: string;
  /** Default: the instance name (the same on every host). */
  key: string;
  loc: Loc;
}

/** `etcd_election NAME { ... }` (ours): an etcd v3 cluster instances can take their mastership from. */
export interface ElectionConfig {
  name: string;
  loc: Loc;
  /** Client URLs, all http:// or all https://. */
  endpoints: string[];
  /** TLS files (PEM): CA, client certificate and key. */
  cacert?: string;
  cert?: string;
  key?: string;
  /** etcd authentication. */
  user?: string;
  password?: string;
  /** Default `/keepalived-ts`, without a trailing slash. */
  keyPrefix: string;
  /** Lease TTL, whole seconds in ms (2..3600 s, default 5 s). */
  leaseTtlMs: number;
  /** The holder gives its VIPs up this long before its lease could expire (default max(300 ms, TTL / 10)). */
  marginMs: number;
  /** This host's name in the election (default: router_id). */
  candidateId: string;
}

export interface VrrpScriptConfig {
  name: string;
  loc: Loc;
  script: ScriptCommand;
  /** Default 1 s. */
  intervalMs: number;
  /** Default: the interval. */
  timeoutMs: number;
  /** -253..253, default 0 (failure ⇒ FAULT). */
  weight: number;
  weightReverse: boolean;
  /** Default 1. */
  rise: number;
  /** Default 1. */
  fall: number;
  user?: string;
  group?: string;
  initFail: boolean;
}

export interface TrackFileConfig {
  name: string;
  loc: Loc;
  file: string;
  /** Default 1. */
  weight: number;
  weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`. */
  initFile?: { value: number; overwrite: boolean };
}

export interface TrackProcessConfig {
  name: string;
  loc: Loc;
  /** The process name (or path with full_command), as written. */
  process: string;
  /** Parameters after the name: they must match /proc/PID/cmdline (keepalived sets param_match exact and full_command). */
  params?: string[];
  /** none: no parameter check; exact: the same parameters; partial: these first; initial: the last one may be longer. */
  paramMatch: 'none' | 'exact' | 'partial' | 'initial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  quorumMax?: number;
  delayMs: number;
  terminateDelayMs: number;
  forkDelayMs: number;
  /** Match argv[0] of /proc/PID/cmdline instead of /proc/PID/comm (set by params and param_match too). */
  fullCommand: boolean;
}

export interface SyncGroupConfig {
  name: string;
  loc: Loc;
  /** Member instance names (resolved by validation). */
  group: string[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  notify: NotifyScripts;
  smtpAlert: boolean;
  globalTracking: boolean;
  syncGroupTrackingWeight: boolean;
}

/* ------------------------------- LVS side -------------------------------- */

export type CheckerType =
  | 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'SMTP_CHECK' | 'MISC_CHECK'
  | 'DNS_CHECK' | 'PING_CHECK' | 'UDP_CHECK' | 'FILE_CHECK' | 'BFD_CHECK';

/** Connection settings shared by checkers (check_api.c). */
export interface CheckerCommon {
  type: CheckerType;
  loc: Loc;
  connectIp?: string;
  /** Default: the real server's port. */
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  fwmark?: number;
  /** Default: the real/virtual server's connect_timeout, else 5 s. */
  connectTimeoutMs: number;
  /** Default 1 (HTTP/SSL: `nb_get_retry` alias). */
  retry: number;
  /** Default 1 s. */
  delayBeforeRetryMs: number;
  /** Default: real/virtual server's delay_loop (60 s). */
  delayLoopMs: number;
  warmupMs?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
}

export interface HttpUrl {
  path: string;
  digest?: string;
  /** Accepted status codes (ranges expanded to [lo, hi]); default 200-299. */
  statusCode: Array<[number, number]>;
  virtualhost?: string;
  regex?: string;
  regexNoMatch?: boolean;
  loc: Loc;
}

export interface HttpCheck extends CheckerCommon {
  type: 'HTTP_GET' | 'SSL_GET';
  url: HttpUrl[];
  virtualhost?: string;
  httpProtocol?: string;
  enableSni: boolean;
  fastRecovery: boolean;
}

export interface SmtpHost {
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  loc: Loc;
}

export interface SmtpCheck extends CheckerCommon {
  type: 'SMTP_CHECK';
  heloName?: string;
  host: SmtpHost[];
}

export interface MiscCheck extends CheckerCommon {
  type: 'MISC_CHECK';
  miscPath?: ScriptCommand;
  miscTimeoutMs?: number;
  miscDynamic: boolean;
  user?: string;
  group?: string;
}

export interface DnsCheck extends CheckerCommon {
  type: 'DNS_CHECK';
  /** Default 'SOA'. */
  queryType: string;
  /** Default '.'. */
  name: string;
}

export interface UdpCheck extends CheckerCommon {
  type: 'UDP_CHECK';
  payload?: string;
  requireReply?: string;
  minReplyLength?: number;
  maxReplyLength?: number;
}

export interface FileCheck extends CheckerCommon {
  type: 'FILE_CHECK';
  trackFile?: string;
  weight?: number;
}

export interface SimpleCheck extends CheckerCommon {
  type: 'TCP_CHECK' | 'PING_CHECK' | 'BFD_CHECK';
  name?: string;
}

export type CheckerConfig = HttpCheck | SmtpCheck | MiscCheck | DnsCheck | UdpCheck | FileCheck | SimpleCheck;

export interface RealServerConfig {
  address: string;
  family: Family;
  port?: number;
  loc: Loc;
  /** Default 1. */
  weight: number;
  inhibitOnFailure: boolean;
  notifyUp?: ScriptCommand;
  notifyDown?: ScriptCommand;
  uthreshold?: number;
  lthreshold?: number;
  lvsMethod?: string;
  alpha: boolean;
  smtpAlert?: boolean;
  virtualhost?: string;
  checkers: CheckerConfig[];
}

export interface VirtualServerConfig {
  loc: Loc;
  /** How the service is addressed: `IP PORT`, `fwmark N`, or `group NAME`. */
  kind: 'address' | 'fwmark' | 'group';
  address?: string;
  port?: number;
  fwmark?: number;
  group?: string;
  family: Family;
  /** Default 60 s. */
  delayLoopMs: number;
  /** `lb_algo`/`lvs_sched`, default 'wlc'. */
  lbAlgo: string;
  /** `lb_kind`/`lvs_method`, default 'NAT'. */
  lbKind: string;
  persistenceTimeoutS?: number;
  persistenceGranularity?: string;
  /** Default 'TCP'. */
  protocol: string;
  quorum: number;
  hysteresis: number;
  quorumUp?: ScriptCommand;
  quorumDown?: ScriptCommand;
  alpha: boolean;
  omega: boolean;
  haSuspend: boolean;
  inhibitOnFailure: boolean;
  virtualhost?: string;
  sorryServer?: { address: string; port?: number };
  sorryServerInhibit: boolean;
  smtpAlert?: boolean;
  realServers: RealServerConfig[];
  other: Record<string, string[]>;
}

export interface VirtualServerGroupEntry {
  /** `IP PORT`, `IP-RANGE_END PORT` (range kept as written), or `fwmark N`. */
  address?: string;
  rangeEnd?: number;
  port?: number;
  fwmark?: number;
  loc: Loc;
}

export interface VirtualServerGroupConfig {
  name: string;
  loc: Loc;
  entries: VirtualServerGroupEntry[];
}

/** A keyword keepalived knows and we parsed but do not model. */
export interface UnmodelledKeyword {
  section: string;
  keyword: string;
  loc: Loc;
}

export interface KeepalivedConfig {
  global: GlobalConfig;
  vrrpScripts: VrrpScriptConfig[];
  trackFiles: TrackFileConfig[];
  trackProcesses: TrackProcessConfig[];
  instances: VrrpInstanceConfig[];
  syncGroups: SyncGroupConfig[];
  /** `etcd_election` blocks (ours). */
  elections: ElectionConfig[];
  staticAddresses: VipSpec[];
  staticRoutes: RouteSpec[];
  staticRules: RuleSpec[];
  virtualServerGroups: VirtualServerGroupConfig[];
  virtualServers: VirtualServerConfig[];
  /** Keywords accepted for compatibility but not acted upon (the daemon may log them). */
  unmodelled: UnmodelledKeyword[];
}
