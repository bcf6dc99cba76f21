/**
 * Which lab hosts hold which addresses, continuously and to the microsecond:
 * one `ip -o -ts monitor address` per watched host (in its namespace, at
 * realtime priority so its timestamps are the kernel's order of events, not
 * a loaded machine's), seeded with an `ip -j addr` dump. Every add and
 * delete is kept with the time `ip` received it, so "who held X at time t"
 * and "when did the holders of X last change" are exact, at no polling cost
 * to the daemons under test (test/e2e/harness/vip-watch.ts samples instead,
 * which costs a process per host per sample).
 *
 * reconcile() compares the event-built picture with a fresh dump (a missed
 * event would show there) and adopts the dump.
 */
import type { ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { Lab } from './netns';

export interface AddrEvent {
  /** Epoch ms (fractional) when `ip monitor` received the change. */
  t: number;
  host: number;
  /** Address without prefix length, as `ip` prints it. */
  address: string;
  added: boolean;
}

const LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\] (Deleted )?\d+: (\S+)\s+inet6? (\S+?)\/\d+ .*?scope (\w+)/;

/** `[2026-12-03T12:56:06.214474]` (local time, as `ip -ts` prints it) in epoch ms. */
function stamp(date: string, frac: string): number {
  return new Date(date).getTime() + Number(`0.${frac}`) * 1000;
}

export class AddressMonitor {
  readonly events: AddrEvent[] = [];
  /** Differences reconcile() found between the events and a dump (a missed event each). */
  readonly missed: { t: number; host: number; address: string; held: boolean }[] = [];
  private readonly held = new Map<number, Set<string>>();
  private readonly procs = new Map<number, ChildProcess>();
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly lab: Lab, readonly hosts: number[], readonly ifname: string) {
    for (const h of hosts) this.held.set(h, new Set());
  }

  /** Starts watching `hosts` (global-scope addresses on `ifname`); resolves once the monitors run and the dump is in. */
  static async start(lab: Lab, hosts: number[], ifname = 'eth0'): Promise<AddressMonitor> {
    const m = new AddressMonitor(lab, hosts, ifname);
    for (const h of hosts) m.procs.set(h, m.spawnMonitor(h));
    // `ip monitor` has no "listening" line: give it a moment to subscribe before the dump.
    await new Promise((r) => setTimeout(r, 200));
    await m.reconcile();
    m.missed.length = 0;
    return m;
  }

  /** The pids of the monitors (they live in the hosts' namespaces). */
  pids(): number[] {
    return [...this.procs.values()].map((p) => p.pid!).filter((p) => p !== undefined);
  }

  private spawnMonitor(host: number): ChildProcess {
    const p = this.lab.spawn(host, ['chrt', '-r', '50', 'ip', '-o', '-ts', 'monitor', 'address', 'dev', this.ifname]);
    readline.createInterface({ input: p.stdout! }).on('line', (line) => this.onLine(host, line));
    return p;
  }

  private onLine(host: number, line: string): void {
    const m = LINE.exec(line);
    if (!m || m[6] !== 'global' || m[4] !== this.ifname) return;
    this.apply({ t: stamp(m[1], m[2]), host, address: m[5], added: !m[3] });
  }

  private apply(e: AddrEvent): void {
    const set = this.held.get(e.host)!;
    if (e.added === set.has(e.address)) return; // no change (e.g. a replace, or the dump saw it first)
    if (e.added) set.add(e.address);
    else set.delete(e.address);
    this.events.push(e);
    for (const l of [...this.listeners]) l();
  }

  /** Global addresses host `h` holds now. */
  addresses(h: number): string[] {
    return [...(this.held.get(h) ?? [])];
  }

  /** Hosts holding `address` now. */
  holders(address: string): number[] {
    return this.hosts.filter((h) => this.held.get(h)!.has(address));
  }

  /** Hosts holding `address` at time `t` (replaying the events). */
  holdersAt(address: string, t: number): number[] {
    const on = new Set<number>();
    for (const e of this.events) {
      if (e.t > t) break;
      if (e.address !== address) continue;
      if (e.added) on.add(e.host);
      else on.delete(e.host);
    }
    return [...on].sort();
  }

  /** The time of the last change to any of `addresses` on any of `hosts` (undefined: none recorded). */
  lastChange(addresses: readonly string[], hosts: readonly number[] = this.hosts): number | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (addresses.includes(e.address) && hosts.includes(e.host)) return e.t;
    }
    return undefined;
  }

  /** Changes to any of `addresses` in [from, to]. */
  changes(addresses: readonly string[], from: number, to = Infinity): AddrEvent[] {
    return this.events.filter((e) => e.t >= from && e.t <= to && addresses.includes(e.address));
  }

  /** Called after each change. */
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Dumps every host's addresses and adopts them; a difference from the events is counted as missed. */
  async reconcile(): Promise<number> {
    let n = 0;
    for (const h of this.hosts) {
      const t = Date.now();
      const now = new Set(
        (await this.lab.addressInfo(h, this.ifname).catch(() => [])).filter((a) => a.scope === 'global').map((a) => a.address),
      );
      const set = this.held.get(h)!;
      // An event may be on its way from the monitor: only a difference that persists counts.
      await new Promise((r) => setTimeout(r, 100));
      for (const a of new Set([...now, ...set])) {
        if (now.has(a) === set.has(a)) continue;
        const again = new Set((await this.lab.addressInfo(h, this.ifname).catch(() => [])).map((x) => x.address));
        if (again.has(a) === set.has(a)) continue;
        this.missed.push({ t, host: h, address: a, held: again.has(a) });
        this.apply({ t, host: h, address: a, added: again.has(a) });
        n++;
      }
    }
    return n;
  }

  async stop(): Promise<void> {
    for (const p of this.procs.values()) {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await gone;
      }
    }
    this.procs.clear();
  }
}
