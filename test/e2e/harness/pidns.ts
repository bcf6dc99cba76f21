/**
 * PID namespaces for lab hosts, so that a kill by name (`pkill keepalived`,
 * `killall keepalived`) run in one host reaches only that host's processes,
 * never another host's or the machine's.
 *
 *  - `PID_NS` wraps one program: `unshare --pid --fork --mount-proc
 *    --kill-child cmd...` (the program is the namespace's pid 1 and all dies
 *    with unshare).
 *  - `HostPidNamespace` is a namespace several programs share (a database and
 *    the daemon that watches it): a long-lived init (`sleep infinity` under
 *    unshare), and programs started into it with `nsenter -t <init> -p -m`,
 *    inside the host's network namespace (lab.spawn), tracked by the lab.
 *
 * nsenter forks (a PID namespace applies to children) and does not forward
 * signals: signal the program itself, its child (childPid()).
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { type ExecOptions, type ExecResult, type Lab, waitFor } from './netns';

/** A PID namespace of its own whose processes all die with it (unshare's child is its pid 1). */
export const PID_NS = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];

/** `nsenter` arguments that enter the PID and mount namespaces of `pid` (a process inside). */
export function nsenterArgs(pid: number): string[] {
  return ['nsenter', '-t', String(pid), '-p', '-m'];
}

/** The first child of `pid` now, if any (from /proc). */
export function childPidNow(pid: number): number | undefined {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids[0];
  } catch {
    return undefined;
  }
}

/** Waits for the first child of `pid` (the program under unshare --fork or nsenter). */
export function childPid(pid: number, what = `the child of ${pid}`): Promise<number> {
  return waitFor(() => childPidNow(pid), { timeoutMs: 5000, what });
}

/** A host's PID namespace that several programs share; destroyed with the lab (or close()). */
export class HostPidNamespace {
  private constructor(
    readonly lab: Lab,
    readonly host: number,
    private readonly unshare: ChildProcess,
    /** The namespace's pid 1 (sleep) as the machine sees it. */
    readonly initPid: number,
  ) {}

  static async start(lab: Lab, host: number): Promise<HostPidNamespace> {
    const unshare = lab.spawn(host, [...PID_NS, 'sleep', 'infinity']);
    const initPid = await childPid(unshare.pid!, `the PID namespace init of host ${host}`);
    return new HostPidNamespace(lab, host, unshare, initPid);
  }

  /** Starts `cmd` inside (host network namespace, this PID and mount namespace); the lab tracks it. */
  spawn(cmd: string[], opts: SpawnOptions = {}): ChildProcess {
    return this.lab.spawn(this.host, [...nsenterArgs(this.initPid), ...cmd], opts);
  }

  /** Runs `cmd` inside and waits for it. */
  exec(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.lab.exec(this.host, [...nsenterArgs(this.initPid), ...cmd], opts);
  }

  /** Ends the namespace: every process in it is killed (SIGKILL, by the kernel). Idempotent. */
  async close(): Promise<void> {
    if (this.unshare.exitCode !== null || this.unshare.signalCode !== null) return;
    const gone = new Promise((r) => this.unshare.once('exit', r));
    this.unshare.kill('SIGTERM');
    await gone;
  }
}
