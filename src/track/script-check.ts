/**
 * The load-time check of every command keepalived would run, as keepalived
 * 2.2.7 does it before starting (keepalived/vrrp/vrrp.c
 * check_vrrp_script_security; keepalived/check/check_data.c
 * check_check_script_security, check_misc.c check_misc_script_security;
 * keepalived/core/main.c check_start_stop_script_secure; lib/notify.c
 * check_script_secure, check_security, get_default_script_user).
 *
 * For each script: the user it runs as (its own `user [group]`, else
 * global_defs `script_user`, else `keepalived_script` if that user exists,
 * else the daemon's own ids), then checkScriptSecurity (src/notify/security.ts):
 * found, executable by that user, and, when it runs as root, not modifiable by
 * a non-root user anywhere along its path.
 *
 * keepalived facts this follows (checked with `keepalived -t` 2.2.7):
 *  - Each keepalived process checks its own scripts, and only if it has
 *    something to do: the VRRP process (vrrp_script, instance and sync group
 *    notifies, notify_fifo_script, vrrp_notify_fifo_script) only with at
 *    least one vrrp_instance, the checker (MISC_CHECK misc_path, real_server
 *    notify_up/down, virtual_server quorum_up/down, notify_fifo_script,
 *    lvs_notify_fifo_script) only with at least one virtual_server, the
 *    parent the startup/shutdown scripts.
 *  - Without `enable_script_security`, each of those processes that found any
 *    script file (even a secure or a non-executable one; not a missing one,
 *    not a `</file` test) reports "SECURITY VIOLATION - [check |start/shutdown
 *    ]scripts are being executed but script_security not enabled.", adding
 *    " There are insecure scripts." when one is; `-t` then exits 6.
 *  - An insecure root-run script is disabled with enable_script_security, and
 *    runs anyway (with the warning) without it. A missing / non-executable /
 *    wrong-type script is disabled.
 *  - vrrp_script `script` and MISC_CHECK `misc_path` take no user after the
 *    command (keepalived ignores extra words there): their user comes from
 *    the block's `user` keyword. The other script keywords take
 *    `COMMAND [USER [GROUP]]`.
 *
 * Differences, on purpose: keepalived only logs (outside `-t` output) that a
 * notify script is missing, not executable, insecure or resolved through
 * $PATH; here each is a located diagnostic. Insecure scripts refused under
 * enable_script_security are errors (keepalived: "Disabling track script %s
 * due to insecure" for track scripts, a log line for the others).
 *
 * Diagnostic codes:
 *  - W_SCRIPT_SECURITY_UNSAFE    root-run script a non-root user could modify
 *                                (error with enable_script_security: disabled;
 *                                warning without it: it still runs)
 *  - W_SCRIPT_SECURITY_DISABLED  keepalived's closing "SECURITY VIOLATION ..."
 *  - W_SCRIPT_NOT_FOUND          missing (path or $PATH search)
 *  - W_SCRIPT_NOT_EXECUTABLE     not executable by the user it runs as
 *  - W_SCRIPT_WRONG_TYPE         not a regular file / a non-directory in the path
 *  - W_SCRIPT_USER               unknown `user`/`group`, or no default user
 *  - W_SCRIPT_PATH_SEARCH        bare command name resolved through $PATH
 * (configTestExitCode maps every W_SCRIPT_SECURITY* code to exit status 6.)
 *
 * Pure apart from the file-system look-ups in checkScriptSecurity and, unless
 * a UserDb is given, the user database look-ups.
 */
import type { Diagnostic, Loc } from '../config/diagnostics';
import type { KeepalivedConfig, NotifyScripts, ScriptCommand, VirtualServerConfig } from '../config/model';
import {
  checkScriptSecurity,
  resolveDefaultScriptUser,
  resolveUserGroup,
  systemUserDb,
  type ScriptSecurityResult,
  type UserDb,
  type UserResult,
} from '../notify/security';

/** The keepalived process that checks and runs a script. */
export type ScriptSide = 'main' | 'vrrp' | 'checker';

/** One configured command keepalived would run. */
export interface ScriptUse {
  /** Where it is configured, for messages: "vrrp_instance VI_1 notify_master". */
  what: string;
  command: ScriptCommand;
  /** The `user [group]` configured for this script itself, if any. */
  user?: { user: string; group?: string };
  /** The processes that use it (notify_fifo_script: both VRRP and checker). */
  sides: readonly ScriptSide[];
  /** Set for a vrrp_script's `script`. */
  vrrpScript?: string;
}

export interface ScriptCheckOptions {
  /**
   * The daemon's own uid/gid (keepalived's our_uid/our_gid): what scripts run
   * as when neither their own user, `script_user` nor `keepalived_script`
   * applies. Default: process.geteuid() / process.getegid().
   */
  uid?: number;
  gid?: number;
  /** $PATH for bare command names (default process.env.PATH, else /bin:/usr/bin). */
  pathEnv?: string;
  /** getpwnam/getgrnam (default: the system's, through getent). */
  userDb?: UserDb;
}

export interface ScriptVerdict {
  use: ScriptUse;
  /** The ids it runs as, when they could be resolved. */
  uid?: number;
  gid?: number;
  /** checkScriptSecurity's answer (absent when the user could not be resolved). */
  result?: ScriptSecurityResult;
  /** keepalived's SC_ISSCRIPT: a script file was found (counts for "SECURITY VIOLATION"). */
  found: boolean;
  /** Root-run and modifiable by a non-root user (SC_INSECURE). */
  insecure: boolean;
  /** keepalived would not run it (and drops a vrrp_script from every track_script). */
  disabled: boolean;
}

export interface ScriptCheckReport {
  diagnostics: Diagnostic[];
  scripts: ScriptVerdict[];
}

const NOTIFY_KEYWORDS: readonly [keyof NotifyScripts, string][] = [
  ['master', 'notify_master'],
  ['backup', 'notify_backup'],
  ['fault', 'notify_fault'],
  ['stop', 'notify_stop'],
  ['deleted', 'notify_deleted'],
  ['masterRxLowerPri', 'notify_master_rx_lower_pri'],
  ['generic', 'notify'],
];

function ownUser(c: { user?: string; group?: string }): { user: string; group?: string } | undefined {
  if (c.user === undefined) return undefined;
  return c.group === undefined ? { user: c.user } : { user: c.user, group: c.group };
}

function vsName(vs: VirtualServerConfig): string {
  if (vs.kind === 'fwmark') return `fwmark ${vs.fwmark}`;
  if (vs.kind === 'group') return `group ${vs.group}`;
  return vs.port === undefined ? `${vs.address}` : `${vs.address} ${vs.port}`;
}

/**
 * Every command keepalived would run for this configuration, in the order of
 * the configuration's sections. A script used by several processes (the
 * notify_fifo_script) appears once, with all of them in `sides`.
 */
export function listConfigScripts(cfg: KeepalivedConfig): ScriptUse[] {
  const out: ScriptUse[] = [];
  const vrrp = cfg.instances.length > 0;
  const checker = cfg.virtualServers.length > 0;
  const g = cfg.global;
  const add = (what: string, command: ScriptCommand | undefined, sides: ScriptSide[], user?: ScriptUse['user'], vrrpScript?: string): void => {
    if (!command || sides.length === 0) return;
    const u: ScriptUse = { what, command, sides };
    if (user) u.user = user;
    if (vrrpScript !== undefined) u.vrrpScript = vrrpScript;
    out.push(u);
  };
  const notifies = (owner: string, n: NotifyScripts): void => {
    for (const [field, keyword] of NOTIFY_KEYWORDS) {
      const s = n[field];
      if (s) add(`${owner} ${keyword}`, s, ['vrrp'], ownUser(s));
    }
  };

  add('global_defs startup_script', g.startupScript, ['main'], g.startupScript && ownUser(g.startupScript));
  add('global_defs shutdown_script', g.shutdownScript, ['main'], g.shutdownScript && ownUser(g.shutdownScript));
  const fifoScripts: [string, ScriptCommand | undefined, ScriptSide[]][] = [
    ['notify_fifo_script', g.notifyFifo?.script, [...(vrrp ? ['vrrp' as const] : []), ...(checker ? ['checker' as const] : [])]],
    ['vrrp_notify_fifo_script', g.vrrpNotifyFifo?.script, vrrp ? ['vrrp'] : []],
    ['lvs_notify_fifo_script', g.lvsNotifyFifo?.script, checker ? ['checker'] : []],
  ];
  for (const [keyword, s, sides] of fifoScripts) add(`global_defs ${keyword}`, s, sides, s && ownUser(s));

  if (vrrp) {
    for (const vs of cfg.vrrpScripts) add(`vrrp_script ${vs.name}`, vs.script, ['vrrp'], ownUser(vs), vs.name);
    for (const inst of cfg.instances) notifies(`vrrp_instance ${inst.name}`, inst.notify);
    for (const sg of cfg.syncGroups) notifies(`vrrp_sync_group ${sg.name}`, sg.notify);
  }

  if (checker) {
    for (const vs of cfg.virtualServers) {
      const v = `virtual_server ${vsName(vs)}`;
      add(`${v} quorum_up`, vs.quorumUp, ['checker'], vs.quorumUp && ownUser(vs.quorumUp));
      add(`${v} quorum_down`, vs.quorumDown, ['checker'], vs.quorumDown && ownUser(vs.quorumDown));
      for (const rs of vs.realServers) {
        const r = `${v} real_server ${rs.address}${rs.port === undefined ? '' : ` ${rs.port}`}`;
        add(`${r} notify_up`, rs.notifyUp, ['checker'], rs.notifyUp && ownUser(rs.notifyUp));
        add(`${r} notify_down`, rs.notifyDown, ['checker'], rs.notifyDown && ownUser(rs.notifyDown));
        for (const c of rs.checkers) {
          if (c.type === 'MISC_CHECK') add(`${r} MISC_CHECK misc_path`, c.miscPath, ['checker'], ownUser(c));
        }
      }
    }
  }
  return out;
}

/** keepalived's "</file" form: only tests that a file can be opened; nothing is executed. */
function isOpenTest(argv0: string): boolean {
  return /^<[ \t]*\//.test(argv0);
}

const CODE_FOR: Record<Exclude<ScriptSecurityResult, { ok: true }>['code'], string> = {
  KTS_SCRIPT_NOT_FOUND: 'W_SCRIPT_NOT_FOUND',
  KTS_SCRIPT_NOT_EXECUTABLE: 'W_SCRIPT_NOT_EXECUTABLE',
  KTS_SCRIPT_WRONG_TYPE: 'W_SCRIPT_WRONG_TYPE',
  KTS_SCRIPT_INSECURE: 'W_SCRIPT_SECURITY_UNSAFE',
};

const SIDE_WORDS: Record<ScriptSide, string> = { main: 'start/shutdown scripts', checker: 'check scripts', vrrp: 'scripts' };

/** keepalived's closing line for one process, e.g. "SECURITY VIOLATION - check scripts are being executed ...". */
function violationMessage(side: ScriptSide, anyInsecure: boolean): string {
  return `SECURITY VIOLATION - ${SIDE_WORDS[side]} are being executed but script_security not enabled.${anyInsecure ? ' There are insecure scripts.' : ''}`;
}

/** checkConfigScripts with the per-script verdicts (for the daemon: which scripts to disable). */
export function checkConfigScriptsReport(cfg: KeepalivedConfig, opts: ScriptCheckOptions = {}): ScriptCheckReport {
  const db = opts.userDb ?? systemUserDb;
  const self = { uid: opts.uid ?? process.geteuid?.() ?? 0, gid: opts.gid ?? process.getegid?.() ?? 0 };
  const scriptSecurity = cfg.global.enableScriptSecurity;
  const diagnostics: Diagnostic[] = [];
  const scripts: ScriptVerdict[] = [];
  const diag = (severity: Diagnostic['severity'], code: string, loc: Loc, message: string): void => {
    diagnostics.push({ severity, code, message, file: loc.file, line: loc.line, col: loc.col });
  };
  let defaultUser: UserResult | undefined;

  for (const use of listConfigScripts(cfg)) {
    const { command, what } = use;
    const argv0 = command.argv[0] ?? '';
    const verdict: ScriptVerdict = { use, found: false, insecure: false, disabled: true };
    scripts.push(verdict);

    let who: UserResult;
    if (use.user) who = resolveUserGroup(use.user.user, use.user.group, db);
    else who = defaultUser ??= resolveDefaultScriptUser({ scriptUser: cfg.global.scriptUser, scriptSecurity, db, self });
    if (!who.ok) {
      diag('warning', 'W_SCRIPT_USER', command.loc, `${what}: ${who.message} - ignoring script ${argv0}`);
      continue;
    }
    verdict.uid = who.uid;
    verdict.gid = who.gid;

    const r = checkScriptSecurity(command.argv, { uid: who.uid, gid: who.gid, scriptSecurity, pathEnv: opts.pathEnv });
    verdict.result = r;
    for (const w of r.warnings) {
      if (w.startsWith('Unsafe permissions')) diag('warning', 'W_SCRIPT_SECURITY_UNSAFE', command.loc, `${what}: ${w}`);
      else diag('warning', 'W_SCRIPT_PATH_SEARCH', command.loc, `${what}: ${w}`);
    }
    if (r.ok) {
      verdict.found = !isOpenTest(argv0);
      verdict.insecure = r.insecure;
      verdict.disabled = false;
    } else {
      verdict.found = r.code !== 'KTS_SCRIPT_NOT_FOUND';
      verdict.insecure = r.code === 'KTS_SCRIPT_INSECURE';
      diag(verdict.insecure ? 'error' : 'warning', CODE_FOR[r.code], command.loc, `${what}: ${r.message}`);
    }
  }

  if (!scriptSecurity) {
    // Reported by keepalived's parent first, then the checker, then the VRRP process.
    for (const side of ['main', 'checker', 'vrrp'] as const) {
      const found = scripts.filter((s) => s.found && s.use.sides.includes(side));
      if (found.length === 0) continue;
      const insecure = found.some((s) => s.insecure);
      diag('warning', 'W_SCRIPT_SECURITY_DISABLED', { file: found[0]!.use.command.loc.file, line: 0, col: 0 }, violationMessage(side, insecure));
    }
  }
  return { diagnostics, scripts };
}

/**
 * Located diagnostics for every command keepalived would run (see the file
 * comment for the codes). Never throws for a user mistake.
 */
export function checkConfigScripts(
  cfg: KeepalivedConfig,
  opts: { uid?: number; gid?: number; pathEnv?: string; userDb?: UserDb } = {},
): Diagnostic[] {
  return checkConfigScriptsReport(cfg, opts).diagnostics;
}
