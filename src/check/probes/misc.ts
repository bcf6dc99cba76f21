/**
 * MISC_CHECK (check_misc.c): run `misc_path` (split into argv, quotes
 * honoured) as its own process group, optionally as `user`. Exit 0 is a
 * success; with `misc_dynamic`, exit 2..255 is a success whose weight is
 * status - 2; anything else fails. At misc_timeout the group gets SIGTERM,
 * then SIGKILL 2 s later (keepalived's SCRIPT_STATE_REQUESTING_TERMINATION),
 * and the run is "timed out".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { ProbeResult, ProbeRunOptions } from '../types';
import { describe, settleOnce } from './common';

export interface MiscProbeSpec {
  miscPath: string;
  miscDynamic?: boolean;
  uid?: number;
  gid?: number;
}

/** Split a command line into argv: whitespace separated, '…' and "…" quoting, backslash escapes. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      have = true;
    } else if (ch === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      have = true;
    } else if (/\s/.test(ch)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

/** Resolve `user USERNAME [GROUPNAME]` to numeric ids from /etc/passwd and /etc/group. */
export function resolveUser(user: string, group?: string, files = { passwd: '/etc/passwd', group: '/etc/group' }): { uid: number; gid: number } | undefined {
  const pw = fs.readFileSync(files.passwd, 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === user);
  if (!pw || pw.length < 4) return undefined;
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const gr = fs.readFileSync(files.group, 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === group);
    if (!gr || gr.length < 3) return undefined;
    gid = Number(gr[2]);
  }
  return { uid: Number(pw[2]), gid };
}

/** Interpret an exit as keepalived does. */
export function judgeExit(code: number | null, signal: string | null, dynamic: boolean): ProbeResult {
  if (code === null) return { ok: false, detail: `failed (due to signal ${signal})` };
  if (code === 0) return { ok: true, detail: 'succeeded' };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, detail: `succeeded (exit status ${code})`, weight: code - 2 };
  return { ok: false, detail: `failed (exited with status ${code})` };
}

const KILL_GRACE_MS = 2_000;

export function miscProbe(spec: MiscProbeSpec, opts: ProbeRunOptions): Promise<ProbeResult> {
  const argv = splitCommand(spec.miscPath);
  if (argv.length === 0) return Promise.resolve({ ok: false, detail: 'empty misc_path' });
  let child: ReturnType<typeof spawn> | undefined;
  let exited = false;
  const killGroup = (): void => {
    if (!child || exited || child.pid === undefined) return;
    const pid = child.pid;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      if (exited) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, KILL_GRACE_MS);
    t.unref();
  };
  return settleOnce(
    opts.signal,
    opts.timeoutMs,
    () => {
      killGroup();
      return { ok: false, detail: `timed out after ${opts.timeoutMs} ms` };
    },
    (finish) => {
      child = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: 'ignore',
        uid: spec.uid,
        gid: spec.gid,
      });
      child.once('error', (err) => {
        exited = true;
        finish({ ok: false, detail: `failed to run ${argv[0]}: ${describe(err)}` });
      });
      child.once('exit', (code, sig) => {
        exited = true;
        finish(judgeExit(code, sig, Boolean(spec.miscDynamic)));
      });
      return () => killGroup();
    },
  );
}
