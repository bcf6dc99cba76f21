/**
 * Script users and script security, as keepalived 2.2.7 (lib/notify.c:
 * get_default_script_user, set_uid_gid, find_path, check_script_secure,
 * check_security; keepalived/vrrp/vrrp.c check_vrrp_script_security).
 *
 * - The default script user is `script_user` (global_defs) if set, else the
 *   user `keepalived_script` if it exists, else the daemon's own uid/gid
 *   (root). With `enable_script_security` and neither, keepalived reports
 *   "Unable to set default user keepalived_script for script" and drops every
 *   script without its own user.
 * - A bare command name (no '/') is searched in $PATH (default /bin:/usr/bin)
 *   for a regular file executable by the run-as user, with the warning
 *   "WARNING - script `x` resolved by path search to `/p/x`. Please specify
 *   full path.".
 * - The file must exist and be executable by the run-as uid/gid, else it is
 *   disabled.
 * - Only if the script runs as root (uid 0 or gid 0), or is setuid/setgid
 *   root, every component of its path ("/", "/usr", ..., the file itself;
 *   and of its realpath if that differs) is lstat()ed: it is unsafe if it is
 *   not owned by root, or if it is a directory without the sticky bit or a
 *   regular file, that is world-writable or group-writable by a non-root
 *   group. Unsafe + enable_script_security => the script is disabled; unsafe
 *   without it => it still runs, keepalived logs "Unsafe permissions found
 *   for script '...'" and, at the end, "SECURITY VIOLATION - scripts are
 *   being executed but script_security not enabled. There are insecure
 *   scripts." (for -t, a CONFIG_SECURITY_ERROR).
 *
 * These functions do synchronous file-system look-ups: they are for load time
 * and `-t`, never for the event loop's hot path.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitQuotedEscaped } from './argv';

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
}
export interface GroupEntry {
  name: string;
  gid: number;
}
/** Name service look-ups (getpwnam/getgrnam). Injectable for tests. */
export interface UserDb {
  user(name: string): UserEntry | undefined;
  group(name: string): GroupEntry | undefined;
}

function getent(db: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    const out = execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const line = out.split('\n')[0];
    return line ? line.split(':') : undefined;
  } catch {
    // getent exits 2 for "not found"; if getent itself is missing, read the files.
    try {
      const file = db === 'passwd' ? '/etc/passwd' : '/etc/group';
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const f = line.split(':');
        if (f[0] === name) return f;
      }
    } catch {
      /* no such file */
    }
    return undefined;
  }
}

/** getpwnam/getgrnam through `getent` (so NSS sources count), else /etc files. */
export const systemUserDb: UserDb = {
  user(name) {
    const f = getent('passwd', name);
    if (!f || f.length < 4) return undefined;
    return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) };
  },
  group(name) {
    const f = getent('group', name);
    if (!f || f.length < 3) return undefined;
    return { name: f[0]!, gid: Number(f[2]) };
  },
};

export type UserResult =
  | { ok: true; uid: number; gid: number; user: string; warning?: string }
  | { ok: false; code: 'KTS_SCRIPT_USER_UNKNOWN' | 'KTS_SCRIPT_GROUP_UNKNOWN' | 'KTS_SCRIPT_DEFAULT_USER'; message: string };

/** `user [group]` of a script keyword: the group defaults to the user's. */
export function resolveUserGroup(user: string, group: string | undefined, db: UserDb = systemUserDb): UserResult {
  const u = db.user(user);
  if (!u) return { ok: false, code: 'KTS_SCRIPT_USER_UNKNOWN', message: `Script user '${user}' does not exist` };
  let gid = u.gid;
  if (group !== undefined) {
    const g = db.group(group);
    if (!g) return { ok: false, code: 'KTS_SCRIPT_GROUP_UNKNOWN', message: `Script group '${group}' does not exist` };
    gid = g.gid;
  }
  return { ok: true, uid: u.uid, gid, user };
}

export interface DefaultUserOptions {
  /** global_defs `script_user username [groupname]`. */
  scriptUser?: { user: string; group?: string };
  /** global_defs `enable_script_security`. */
  scriptSecurity: boolean;
  db?: UserDb;
  /** The daemon's own ids (default: process.geteuid()/getegid()). */
  self?: { uid: number; gid: number; name?: string };
}

export const DEFAULT_SCRIPT_USER = 'keepalived_script';

/** The user scripts run as when their keyword names none. */
export function resolveDefaultScriptUser(opts: DefaultUserOptions): UserResult {
  const db = opts.db ?? systemUserDb;
  if (opts.scriptUser) {
    const r = resolveUserGroup(opts.scriptUser.user, opts.scriptUser.group, db);
    if (!r.ok) return { ...r, message: `${r.message} - Error setting global script uid/gid` };
    return r;
  }
  const ks = db.user(DEFAULT_SCRIPT_USER);
  if (ks) return { ok: true, uid: ks.uid, gid: ks.gid, user: ks.name };
  if (opts.scriptSecurity) {
    return { ok: false, code: 'KTS_SCRIPT_DEFAULT_USER', message: `Unable to set default user ${DEFAULT_SCRIPT_USER} for script` };
  }
  const self = opts.self ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  const r: UserResult = { ok: true, uid: self.uid, gid: self.gid, user: self.name ?? String(self.uid) };
  if (self.uid === 0) {
    r.warning = `No script_user set and user ${DEFAULT_SCRIPT_USER} does not exist - scripts will be run as root`;
  }
  return r;
}

export type ScriptCheckCode =
  | 'KTS_SCRIPT_NOT_FOUND'
  | 'KTS_SCRIPT_NOT_EXECUTABLE'
  | 'KTS_SCRIPT_WRONG_TYPE'
  | 'KTS_SCRIPT_INSECURE';

export type ScriptSecurityResult =
  | {
      ok: true;
      /** argv[0] to exec: the full path (after $PATH search / realpath). */
      path: string;
      /** Non-root-modifiable script run as root, allowed because script security is off. */
      insecure: boolean;
      /** The path component that made it insecure. */
      offendingPath?: string;
      warnings: string[];
    }
  | { ok: false; code: ScriptCheckCode; message: string; path: string; warnings: string[] };

export interface ScriptSecurityOptions {
  /** uid/gid the script runs as. */
  uid: number;
  gid: number;
  /** enable_script_security. */
  scriptSecurity: boolean;
  /** $PATH for bare command names (default process.env.PATH, else "/bin:/usr/bin"). */
  pathEnv?: string;
}

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** keepalived's is_executable(). */
function isExecutable(st: fs.Stats, uid: number, gid: number): boolean {
  const m = st.mode;
  return (
    (uid === 0 && (m & 0o111) !== 0) ||
    (uid === st.uid && (m & 0o100) !== 0) ||
    (uid !== st.uid && ((gid === st.gid && (m & 0o010) !== 0) || (gid !== st.gid && (m & 0o001) !== 0)))
  );
}

function statOrUndefined(p: string, lstat = false): fs.Stats | undefined {
  try {
    return lstat ? fs.lstatSync(p) : fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** keepalived's find_path(): execvp-like $PATH search. */
function findInPath(file: string, opts: ScriptSecurityOptions): { found?: string; eacces: boolean } {
  const p = opts.pathEnv ?? process.env.PATH ?? '/bin:/usr/bin';
  let eacces = false;
  for (const dir of p.split(':')) {
    const cand = dir === '' ? file : `${dir}/${file}`;
    const st = statOrUndefined(cand);
    if (!st) continue;
    if (st.isFile() && isExecutable(st, opts.uid, opts.gid)) return { found: cand, eacces: false };
    eacces = true;
  }
  return { eacces };
}

/**
 * keepalived's check_security(): the first unsafe component of `file`'s path,
 * or a wrong-type component. `undefined` if every component is safe.
 */
function firstUnsafeComponent(file: string): { kind: 'insecure' | 'type' | 'missing'; at: string; why: string } | undefined {
  const parts = file.split('/').filter((x) => x !== '');
  const prefixes = ['/'];
  let acc = '';
  for (const part of parts) {
    acc += `/${part}`;
    prefixes.push(acc);
  }
  for (let i = 0; i < prefixes.length; i++) {
    const at = prefixes[i]!;
    const last = i === prefixes.length - 1;
    const st = statOrUndefined(at, true);
    if (!st) return { kind: 'missing', at, why: 'cannot be accessed' };
    if ((!last && !st.isDirectory()) || (last && !st.isFile() && !st.isSymbolicLink())) {
      return { kind: 'type', at, why: 'wrong file type' };
    }
    if (st.uid !== 0) return { kind: 'insecure', at, why: `owned by uid ${st.uid}, not root` };
    const checkPerm = (st.isDirectory() && (st.mode & S_ISVTX) === 0) || st.isFile();
    if (checkPerm) {
      if (st.gid !== 0 && (st.mode & 0o020) !== 0) return { kind: 'insecure', at, why: `writable by group ${st.gid}` };
      if ((st.mode & 0o002) !== 0) return { kind: 'insecure', at, why: 'world-writable' };
    }
  }
  return undefined;
}

/**
 * Can this script run, and safely? `command` is argv[0] (or the argv).
 * Mirrors check_script_secure(); diagnostics name the offending path.
 */
export function checkScriptSecurity(command: string | readonly string[], opts: ScriptSecurityOptions): ScriptSecurityResult {
  const argv0 = typeof command === 'string' ? command : command[0] ?? '';
  const warnings: string[] = [];
  let file = argv0;
  if (file === '') return { ok: false, code: 'KTS_SCRIPT_NOT_FOUND', message: 'No script specified', path: '', warnings };

  // "</file" (optionally "< /file") only tests that a file can be opened: nothing is executed.
  if (/^<[ \t]*\//.test(argv0)) return { ok: true, path: argv0, insecure: false, warnings };

  if (!file.includes('/')) {
    const r = findInPath(file, opts);
    if (!r.found) {
      const message = r.eacces
        ? `Permissions failure for script ${file} in path - disabling`
        : `Cannot find script ${file} in path - disabling`;
      return { ok: false, code: r.eacces ? 'KTS_SCRIPT_NOT_EXECUTABLE' : 'KTS_SCRIPT_NOT_FOUND', message, path: file, warnings };
    }
    warnings.push(`WARNING - script \`${file}\` resolved by path search to \`${r.found}\`. Please specify full path.`);
    file = r.found;
  }

  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
    return { ok: false, code: 'KTS_SCRIPT_NOT_FOUND', message: `Script ${file} cannot be accessed - ${msg}`, path: file, warnings };
  }

  // Keep the name the user gave (some programs care what they are called)
  // when it is the same file in the resolved directory; otherwise use the realpath.
  let execPath = real;
  let realFile: string | undefined;
  if (path.basename(real) !== path.basename(file)) {
    const cand = path.join(path.dirname(real), path.basename(file));
    const a = statOrUndefined(real);
    const b = statOrUndefined(cand);
    if (a && b && a.dev === b.dev && a.ino === b.ino) {
      execPath = cand;
      realFile = real;
    }
  }

  const st = statOrUndefined(realFile ?? execPath);
  if (!st) return { ok: false, code: 'KTS_SCRIPT_NOT_FOUND', message: `Unable to access script \`${execPath}\` - disabling`, path: execPath, warnings };
  if (!st.isFile()) {
    return { ok: false, code: 'KTS_SCRIPT_WRONG_TYPE', message: `Wrong file type found in script path '${execPath}'.`, path: execPath, warnings };
  }
  if (!isExecutable(st, opts.uid, opts.gid)) {
    return {
      ok: false,
      code: 'KTS_SCRIPT_NOT_EXECUTABLE',
      message: `WARNING - script '${execPath}' is not executable for uid:gid ${opts.uid}:${opts.gid} - disabling.`,
      path: execPath,
      warnings,
    };
  }

  const needProtection =
    opts.uid === 0 ||
    opts.gid === 0 ||
    (st.uid === 0 && (st.mode & 0o100) !== 0 && (st.mode & S_ISUID) !== 0) ||
    (st.gid === 0 && (st.mode & 0o010) !== 0 && (st.mode & S_ISGID) !== 0);
  if (!needProtection) return { ok: true, path: execPath, insecure: false, warnings };

  for (const p of realFile ? [execPath, realFile] : [execPath]) {
    const bad = firstUnsafeComponent(p);
    if (!bad) continue;
    if (bad.kind === 'type') {
      return { ok: false, code: 'KTS_SCRIPT_WRONG_TYPE', message: `Wrong file type found in script path '${p}' at '${bad.at}'.`, path: bad.at, warnings };
    }
    if (bad.kind === 'missing') {
      return { ok: false, code: 'KTS_SCRIPT_NOT_FOUND', message: `check_script_secure could not find script '${p}' - disabling`, path: bad.at, warnings };
    }
    const message = `Unsafe permissions found for script '${p}': '${bad.at}' is ${bad.why}${opts.scriptSecurity ? ' - disabling' : ''}.`;
    if (opts.scriptSecurity) return { ok: false, code: 'KTS_SCRIPT_INSECURE', message, path: bad.at, warnings };
    warnings.push(message);
    return { ok: true, path: execPath, insecure: true, offendingPath: bad.at, warnings };
  }
  return { ok: true, path: execPath, insecure: false, warnings };
}

/** keepalived's closing summary when scripts run but script security is off. */
export function securityViolationMessage(anyInsecure: boolean): string {
  return `SECURITY VIOLATION - scripts are being executed but script_security not enabled.${anyInsecure ? ' There are insecure scripts.' : ''}`;
}

export interface ScriptPathDiagnostic {
  severity: 'error';
  code: Exclude<ScriptCheckCode, 'KTS_SCRIPT_INSECURE'>;
  message: string;
  path: string;
}

/**
 * For `-t`: does the script named by this command exist and is it executable
 * (by `uid`/`gid`, default root)? `null` when it is; a diagnostic the config
 * front end can place at the keyword's line otherwise.
 */
export function checkScriptPath(
  command: string | readonly string[],
  opts: { uid?: number; gid?: number; pathEnv?: string } = {},
): ScriptPathDiagnostic | null {
  let argv0: string;
  if (typeof command === 'string') {
    // A command string (the de-quoted command word): argv[0] is its first word.
    const r = splitQuotedEscaped(command);
    argv0 = r.ok ? r.words[0] ?? '' : '';
  } else argv0 = command[0] ?? '';
  const r = checkScriptSecurity(argv0, { uid: opts.uid ?? 0, gid: opts.gid ?? 0, scriptSecurity: false, pathEnv: opts.pathEnv });
  if (r.ok) return null;
  if (r.code === 'KTS_SCRIPT_INSECURE') return null;
  return { severity: 'error', code: r.code, message: r.message, path: r.path };
}
