/**
 * PING_CHECK. keepalived sends one ICMP echo on an unprivileged ICMP ("ping")
 * socket. Node can open neither raw nor ping sockets, so this probe runs
 * iputils' `ping -n -c 1 -W <secs> [-I bindto] <addr>` (ping -6 for IPv6
 * targets) and succeeds on exit 0. When no `ping` binary is found the probe
 * fails with a detail saying so (install iputils-ping), never silently.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ConnTarget, ProbeResult, ProbeRunOptions } from '../types';
import { describe, settleOnce } from './common';

/** Find `ping` in PATH (or the given list of directories). */
export function findPing(dirs: string[] = (process.env.PATH ?? '/usr/bin:/bin:/usr/sbin:/sbin').split(':')): string | undefined {
  for (const d of [...dirs, '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const p = path.join(d, 'ping');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The argv run for one check (without the program). */
export function pingArgs(target: ConnTarget, timeoutMs: number): string[] {
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const a = ['-n', '-c', '1', '-W', String(secs)];
  if (net.isIPv6(target.connectIp)) a.unshift('-6');
  if (target.bindto) a.push('-I', target.bindto);
  a.push(target.connectIp);
  return a;
}

export function pingProbe(target: ConnTarget, pingPath: string | undefined, opts: ProbeRunOptions): Promise<ProbeResult> {
  const prog = pingPath ?? findPing();
  if (!prog) {
    return Promise.resolve({ ok: false, detail: 'PING_CHECK unavailable: no ping binary found (install iputils-ping)' });
  }
  return settleOnce(
    opts.signal,
    opts.timeoutMs + 1000,
    () => ({ ok: false, detail: `ping ${target.connectIp} timed out` }),
    (finish) => {
      const child = spawn(prog, pingArgs(target, opts.timeoutMs), { stdio: 'ignore' });
      let exited = false;
      child.once('error', (err) => {
        exited = true;
        finish({ ok: false, detail: `PING_CHECK: cannot run ${prog}: ${describe(err)}` });
      });
      child.once('exit', (code) => {
        exited = true;
        finish(code === 0 ? { ok: true, detail: `echo reply from ${target.connectIp}` } : { ok: false, detail: `no echo reply from ${target.connectIp} (ping exit ${code})` });
      });
      return () => {
        if (!exited) child.kill('SIGKILL');
      };
    },
  );
}
