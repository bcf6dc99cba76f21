/**
 * keepalived(8)'s command line, same options and meanings (getopt_long rules:
 * bundled short flags `-nlD`, `-fFILE` / `-f FILE`, `--opt=VAL` / `--opt VAL`,
 * unique prefixes of long names, optional arguments only attached: `-tFILE`,
 * `--config-test=FILE`). Pure: returns options or a usage error.
 */

import { isIP } from 'node:net';
import { DEFAULT_HTTP_PORT } from '../config/sections/global';

export interface CliOptions {
  /** -f/--use-file; default /etc/keepalived/keepalived.conf. */
  configFile: string;
  /** -n/--dont-fork. */
  dontFork: boolean;
  /** -l/--log-console. */
  logConsole: boolean;
  /** -D/--log-detail (given twice: extra detail). 0, 1 or 2. */
  logDetail: number;
  /** -S/--log-facility: 'daemon' (default), 'user' or 'local0'..'local7'. */
  logFacility: string;
  /** -G/--no-syslog. */
  noSyslog: boolean;
  /** -g/--log-file[=FILE]: log to a file (default /tmp/keepalived.log when given without FILE). */
  logFile?: string;
  /** -P/--vrrp: only the VRRP subsystem. */
  vrrpOnly: boolean;
  /** -C/--check: only the health-checker subsystem. */
  checkOnly: boolean;
  /** -B/--no_bfd. */
  noBfd: boolean;
  /** -p/--pid; default /run/keepalived.pid. */
  pidFile: string;
  /** -r/--vrrp_pid; default /run/vrrp.pid. */
  vrrpPidFile: string;
  /** -c/--checkers_pid; default /run/checkers.pid. */
  checkersPidFile: string;
  /** -i/--config-id; undefined: the first label of the host name. */
  configId?: string;
  /** -t/--config-test[=LOG_FILE]. */
  configTest: boolean;
  /** Where -t writes its report (default stderr). */
  configTestLogFile?: string;
  /** -d/--dump-conf. */
  dumpConf: boolean;
  /** --dump-json: print the validated model as JSON and exit. */
  dumpJson: boolean;
  /** -v/--version. */
  version: boolean;
  /** -h/--help. */
  help: boolean;
  /** -x/--snmp (accepted; not supported). */
  snmp: boolean;
  /** -X/--release-vips. */
  releaseVips: boolean;
  /** -V/--dont-release-vrrp. */
  dontReleaseVrrp: boolean;
  /** -I/--dont-release-ipvs. */
  dontReleaseIpvs: boolean;
  /** -R/--dont-respawn. */
  dontRespawn: boolean;
  /** -u/--umask (numeric). */
  umask?: number;
  /** -s/--namespace. */
  namespace?: string;
  /** -e/--all-config: a missing configuration file is an error. */
  allConfig: boolean;
  /** --control-socket=PATH (ours): the JSON status/reload socket; default /run/keepalived-ts.sock. */
  controlSocket: string;
  /** --dump-dir=DIR (ours): where SIGUSR1/SIGUSR2/SIGRTMIN+2 dumps go; default $TMPDIR if absolute, else /tmp. */
  dumpDir?: string;
  /** --status (ours): print the running daemon's status (from the control socket) as a table and exit. */
  status: boolean;
  /** --json (ours, with --status): print the status as JSON instead. */
  json: boolean;
  /** --http-listen=ADDRESS[:PORT] (ours, repeatable): replaces global_defs http_listen (/metrics, the status page). */
  httpListen?: { address: string; port: number }[];
  /** --signum=SIGFUNC: print the signal number of a function (STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON) and exit. */
  signum?: string;
  /** Notes about accepted but unsupported options (the CLI prints them). */
  warnings: string[];
}

export type ParseArgsResult = { ok: true; options: CliOptions } | { ok: false; error: string };

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
export const DEFAULT_CONTROL_SOCKET = '/run/keepalived-ts.sock';

export function defaultOptions(): CliOptions {
  return {
    configFile: DEFAULT_CONFIG_FILE, dontFork: false, logConsole: false, logDetail: 0, logFacility: 'daemon',
    noSyslog: false, vrrpOnly: false, checkOnly: false, noBfd: false, pidFile: '/run/keepalived.pid',
    vrrpPidFile: '/run/vrrp.pid', checkersPidFile: '/run/checkers.pid', configTest: false, dumpConf: false,
    dumpJson: false, version: false, help: false, snmp: false, releaseVips: false, dontReleaseVrrp: false,
    dontReleaseIpvs: false, dontRespawn: false, allConfig: false, controlSocket: DEFAULT_CONTROL_SOCKET, status: false, json: false, warnings: [],
  };
}

type ArgKind = 'none' | 'required' | 'optional';

interface OptSpec {
  short?: string;
  long: string;
  arg: ArgKind;
  apply: (o: CliOptions, value: string | undefined) => string | undefined;
}

const set = <K extends keyof CliOptions>(k: K, v: CliOptions[K]) => (o: CliOptions): undefined => {
  o[k] = v;
  return undefined;
};
const str = (k: 'configFile' | 'pidFile' | 'vrrpPidFile' | 'checkersPidFile' | 'configId' | 'namespace') =>
  (o: CliOptions, v: string | undefined): undefined => {
    o[k] = v ?? '';
    return undefined;
  };
const unsupported = (name: string) => (o: CliOptions): undefined => {
  o.warnings.push(`option ${name} is accepted but not supported by keepalived-ts`);
  return undefined;
};

function facility(o: CliOptions, v: string | undefined): string | undefined {
  const s = v ?? '';
  if (/^[0-7]$/.test(s)) o.logFacility = `local${s}`;
  else if (/^(local[0-7]|user|daemon)$/.test(s)) o.logFacility = s;
  else return `invalid log facility '${s}'`;
  return undefined;
}

function umask(o: CliOptions, v: string | undefined): string | undefined {
  const s = v ?? '';
  const n = /^0[0-7]*$/.test(s) ? parseInt(s, 8) : /^[1-9]\d*$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0o777) return `invalid umask '${s}'`;
  o.umask = n;
  return undefined;
}

/** `ADDRESS[:PORT]`, IPv6 as `[ADDRESS]:PORT` or bare; an IP literal, never a name. */
export function parseHttpListen(v: string): { address: string; port: number } | string {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(v) ?? (isIP(v) === 6 ? [v, v, undefined] : /^([^:]+)(?::(\d{1,5}))?$/.exec(v));
  const bad = `option --http-listen needs ADDRESS[:PORT] with an IP address (IPv6 in brackets with a port), got '${v}'`;
  if (!m || !isIP(m[1])) return bad;
  const port = m[2] === undefined ? DEFAULT_HTTP_PORT : Number(m[2]);
  if (port < 1 || port > 65535) return bad;
  return { address: m[1], port };
}

function httpListen(o: CliOptions, v: string | undefined): string | undefined {
  const l = parseHttpListen(v ?? '');
  if (typeof l === 'string') return l;
  (o.httpListen ??= []).push(l);
  return undefined;
}

const OPTIONS: OptSpec[] = [
  { short: 'f', long: 'use-file', arg: 'required', apply: str('configFile') },
  { short: 'P', long: 'vrrp', arg: 'none', apply: set('vrrpOnly', true) },
  { short: 'C', long: 'check', arg: 'none', apply: set('checkOnly', true) },
  { short: 'B', long: 'no_bfd', arg: 'none', apply: set('noBfd', true) },
  { long: 'all', arg: 'none', apply: () => undefined },
  { short: 'l', long: 'log-console', arg: 'none', apply: set('logConsole', true) },
  { short: 'D', long: 'log-detail', arg: 'none', apply: (o) => { o.logDetail = Math.min(2, o.logDetail + 1); return undefined; } },
  { short: 'S', long: 'log-facility', arg: 'required', apply: facility },
  { short: 'g', long: 'log-file', arg: 'optional', apply: (o, v) => { o.logFile = v ?? '/tmp/keepalived.log'; return undefined; } },
  { short: 'G', long: 'no-syslog', arg: 'none', apply: set('noSyslog', true) },
  { short: 'u', long: 'umask', arg: 'required', apply: umask },
  { short: 'X', long: 'release-vips', arg: 'none', apply: set('releaseVips', true) },
  { short: 'V', long: 'dont-release-vrrp', arg: 'none', apply: set('dontReleaseVrrp', true) },
  { short: 'I', long: 'dont-release-ipvs', arg: 'none', apply: set('dontReleaseIpvs', true) },
  { short: 'R', long: 'dont-respawn', arg: 'none', apply: set('dontRespawn', true) },
  { short: 'n', long: 'dont-fork', arg: 'none', apply: set('dontFork', true) },
  { short: 'd', long: 'dump-conf', arg: 'none', apply: set('dumpConf', true) },
  { short: 'p', long: 'pid', arg: 'required', apply: str('pidFile') },
  { short: 'r', long: 'vrrp_pid', arg: 'required', apply: str('vrrpPidFile') },
  { short: 'c', long: 'checkers_pid', arg: 'required', apply: str('checkersPidFile') },
  { short: 'a', long: 'address-monitoring', arg: 'none', apply: unsupported('--address-monitoring') },
  { short: 'b', long: 'bfd_pid', arg: 'required', apply: unsupported('--bfd_pid') },
  { short: 'x', long: 'snmp', arg: 'none', apply: (o) => { o.snmp = true; return unsupported('--snmp')(o); } },
  { short: 'A', long: 'snmp-agent-socket', arg: 'required', apply: unsupported('--snmp-agent-socket') },
  { short: 's', long: 'namespace', arg: 'required', apply: str('namespace') },
  { short: 'm', long: 'core-dump', arg: 'none', apply: unsupported('--core-dump') },
  { short: 'M', long: 'core-dump-pattern', arg: 'optional', apply: unsupported('--core-dump-pattern') },
  { short: 'e', long: 'all-config', arg: 'none', apply: set('allConfig', true) },
  { short: 'i', long: 'config-id', arg: 'required', apply: str('configId') },
  { short: 't', long: 'config-test', arg: 'optional', apply: (o, v) => { o.configTest = true; if (v) o.configTestLogFile = v; return undefined; } },
  { short: 'v', long: 'version', arg: 'none', apply: set('version', true) },
  { short: 'h', long: 'help', arg: 'none', apply: set('help', true) },
  { long: 'dump-json', arg: 'none', apply: set('dumpJson', true) },
  { long: 'control-socket', arg: 'required', apply: (o, v) => { o.controlSocket = v ?? ''; return v ? undefined : 'option --control-socket needs a path'; } },
  { long: 'dump-dir', arg: 'required', apply: (o, v) => { o.dumpDir = v; return v && v.startsWith('/') ? undefined : `option --dump-dir needs an absolute directory, got '${v ?? ''}'`; } },
  { long: 'status', arg: 'none', apply: set('status', true) },
  { long: 'json', arg: 'none', apply: set('json', true) },
  { long: 'http-listen', arg: 'required', apply: httpListen },
  { long: 'signum', arg: 'required', apply: (o, v) => { o.signum = v; return undefined; } },
];

/** Parse argv (without node and script). */
export function parseArgs(argv: readonly string[]): ParseArgsResult {
  const o = defaultOptions();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let r: { error?: string; consumed: number };
    if (a.startsWith('--') && a.length > 2) r = parseLong(a.slice(2), argv[i + 1], o);
    else if (a.startsWith('-') && a.length > 1) r = parseShort(a.slice(1), argv[i + 1], o);
    else return { ok: false, error: `Unexpected argument '${a}'` };
    if (r.error) return { ok: false, error: r.error };
    i += r.consumed;
  }
  return { ok: true, options: o };
}

function findLong(name: string): OptSpec | string {
  const exact = OPTIONS.find((s) => s.long === name);
  if (exact) return exact;
  const prefixed = OPTIONS.filter((s) => s.long.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  return prefixed.length > 1 ? `Option '--${name}' is ambiguous` : `Unknown option --${name}`;
}

function parseLong(body: string, next: string | undefined, o: CliOptions): { error?: string; consumed: number } {
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const spec = findLong(name);
  if (typeof spec === 'string') return { error: spec, consumed: 0 };
  let value = eq < 0 ? undefined : body.slice(eq + 1);
  let consumed = 0;
  if (spec.arg === 'none' && value !== undefined) return { error: `Option '--${spec.long}' doesn't allow an argument`, consumed: 0 };
  if (spec.arg === 'required' && value === undefined) {
    if (next === undefined) return { error: `Option '--${spec.long}' requires an argument`, consumed: 0 };
    value = next;
    consumed = 1;
  }
  if (spec.arg === 'required' && value === '') return { error: `Option '--${spec.long}' requires an argument`, consumed: 0 };
  return { error: spec.apply(o, value), consumed };
}

function parseShort(body: string, next: string | undefined, o: CliOptions): { error?: string; consumed: number } {
  for (let j = 0; j < body.length; j++) {
    const spec = OPTIONS.find((s) => s.short === body[j]);
    if (!spec) return { error: `Unknown option -${body[j]}`, consumed: 0 };
    if (spec.arg === 'none') {
      const err = spec.apply(o, undefined);
      if (err) return { error: err, consumed: 0 };
      continue;
    }
    const rest = body.slice(j + 1);
    if (spec.arg === 'optional') return { error: spec.apply(o, rest || undefined), consumed: 0 };
    if (rest) return { error: spec.apply(o, rest), consumed: 0 };
    if (next === undefined) return { error: `Option -${spec.short} requires an argument`, consumed: 0 };
    return { error: spec.apply(o, next), consumed: 1 };
  }
  return { consumed: 0 };
}

export const USAGE = `Usage: keepalived-ts [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '${DEFAULT_CONFIG_FILE}'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -g, --log-file=FILE          Also log to FILE (default /tmp/keepalived.log)
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -x, --snmp                   Enable SNMP subsystem (not supported)
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -e, --all-config             Error if any configuration file missing
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
      --dump-json              Print the validated configuration model as JSON
      --control-socket=PATH    JSON status/reload socket (default ${DEFAULT_CONTROL_SOCKET})
      --dump-dir=DIR           Directory for the signal dumps (default $TMPDIR or /tmp)
      --status                 Print the running daemon's status as a table and exit
      --json                   With --status: print it as JSON
      --http-listen=ADDR[:PORT] Serve /metrics and the status page there (replaces
                                global_defs http_listen; repeatable; port 9650)
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;
