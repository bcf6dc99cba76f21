/**
 * The soak (issue 10): three keepalived-ts hosts (./soak-scenario.ts) under a
 * seeded schedule of faults, one at a time, each followed by a check that the
 * world healed within the protocol's bound and a quiet period. Shared by
 * bench/soak.ts (an hour) and test/e2e/soak.test.ts (two minutes).
 *
 * Fault kinds (each an injection, a hold, a heal):
 *   crash            kill -9 of the whole daemon tree (Peer.crash), later a fresh start
 *   vrrp-kill        kill -9 of the VRRP process only; main respawns it (the heal)
 *   sigstop          SIGSTOP of every process of a daemon, later SIGCONT
 *   link-flap        `ip link set eth0 down`, later up
 *   partition        the host's bridge port disabled (`bridge link set ... state 0`), later forwarding
 *   reload-priority  SIGHUP with one instance's priority raised to 200 or lowered to 50, later back
 *   reload-vip       SIGHUP on every host with a VIP added to VI_SLOW, later removed
 *   script-flip      chk_app fails (exit 1), later succeeds
 *   file-flip        tf_slow becomes 1 (VI_SLOW FAULT), later 0
 *   flood            hostile packets at `floodRate`/s from host 4 (drivers/flood.ts)
 *
 * What is measured:
 *   - after the injection (when the plan waits for it) and after the heal:
 *     the time until every VIP is on exactly the expected hosts (one master per
 *     island) and every instance reports the expected state, from the address
 *     monitor's event times; each against its bound (soak-scenario healBoundMs);
 *   - every VIP add/delete of the whole run (./addr-monitor.ts), for the
 *     split-brain analysis (./soak-analysis.ts);
 *   - each process's resources (status() every `sampleMs`);
 *   - at the end of each quiet period: nftables, stray processes in the
 *     namespaces, a settled resources snapshot, the VRRP processes' CPU;
 *   - floods: every packet accounted in the daemons' drop counters (or the
 *     kernel's raw-socket drops), VRRP CPU during the flood.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyPct, cpuNs, cpuTotals } from '../../../bench/lib';
import type { ProcessResources } from '../../../src/daemon/resources';
import { prng as rng } from '../../../src/net/fake/lan';
import { AddressMonitor } from './addr-monitor';
import { dropBook, expectedFor, rawDrops, startFlood, type FloodTarget } from './flood';
import { Lab } from './netns';
import { startKts, type Peer } from './peers';
import { descendants, killTree } from './proctree';
import {
  allVips, bare, baseModel, cloneModel, DAEMON_HOSTS, expectedHolders, expectedState, healBoundMs, hostFiles, INSTANCES, judged,
  OUTSIDE_HOST, REAL_SERVER_PORT, soakConf, vipsOf, whole, writeHostFiles, type HostFiles, type InstanceState, type SoakInstance, type Topology, type WorldModel,
} from './soak-scenario';

export const FAULT_KINDS = [
  'crash', 'vrrp-kill', 'sigstop', 'link-flap', 'partition', 'reload-priority', 'reload-vip', 'script-flip', 'file-flip', 'flood',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultPlan {
  kind: FaultKind;
  host: number;
  /** How long the fault stays after its effect (ms). */
  holdMs: number;
  /** Wait for (and measure) the reaction to the injection before holding. */
  waitReaction: boolean;
  /** Quiet time after the heal converged (ms). */
  quietMs: number;
  /** reload-priority: which instance and its new priority. */
  instance?: string;
  priority?: number;
  /** flood: seconds and the sender's seed. */
  floodS?: number;
  floodSeed?: number;
}

export interface SoakOptions {
  seed: number;
  /** Generate plans until this much time has passed (bench), or run `plans` (test). */
  durationMs?: number;
  plans?: FaultPlan[];
  /** Period of the resources sampling (ms). */
  sampleMs: number;
  /** Added to every protocol bound (see README): scheduling and observation on a loaded 2-core machine. */
  slackMs: number;
  floodRate: number;
  log: (msg: string) => void;
  /** A host never killed by the generated schedule (its processes' memory is followed over the whole run). */
  longLived?: number;
}

/** Allowances for the part of a heal that is not VRRP, each stated where it is used. */
export const ALLOWANCE = {
  /** A track_file write reaches the VRRP process: inotify in main, one message to the child. */
  fileMs: 500,
};

/** What status() says a process holds (src/daemon/resources.ts). */
export type ProcessSample = ProcessResources;

export type Role = 'main' | 'vrrp' | 'checker';
export const ROLES: Role[] = ['main', 'vrrp', 'checker'];

export interface ResourceSample extends ProcessSample {
  t: number;
  host: number;
  role: Role;
  /** Cumulative on-CPU ns of the process (/proc schedstat), for CPU over any window. */
  cpuNs: number;
}

export interface ConvergeResult {
  phase: 'reaction' | 'heal';
  /** The action (epoch ms). */
  t0: number;
  /** Non-VRRP time before the bound starts (reload finished, script result seen, daemon ready...). */
  startMs: number;
  /** Per instance: time from t0 + startMs until converged (null: never within the wait), and its bound. */
  instances: { name: string; ms: number | null; boundMs: number; ok: boolean }[];
  /** Every instance converged within its bound and every state matched. */
  ok: boolean;
  detail?: string;
  /** When the check finished (epoch ms). */
  doneAt: number;
}

export interface QuietCheck {
  at: number;
  nftProblems: string[];
  strayProcesses: string[];
  unexpectedRestarts: string[];
  /** Settled resources per host and role (element-wise minimum of a few samples). */
  resources: Record<number, Partial<Record<Role, ProcessSample>>>;
  /** VRRP process CPU % of one core per host over the quiet period. */
  vrrpCpuPct: Record<number, number>;
  quietMs: number;
}

export interface FloodRecord {
  rate: number;
  seconds: number;
  sent: number;
  errors: number;
  byCategory: Record<string, number>;
  hosts: { host: number; expected: number; counted: number; kernelDrops: number; mismatches: { key: string; expected: number; got: number }[] }[];
  vrrpCpuPct: Record<number, number>;
  senderCpuPct: number;
  machineBusyPct: number;
  /** become_master + release_master during the flood, all hosts (must be 0). */
  transitions: number;
}

export interface EpisodeRecord {
  n: number;
  plan: FaultPlan;
  injectAt: number;
  healAt: number;
  reaction?: ConvergeResult;
  heal: ConvergeResult;
  quiet?: QuietCheck;
  flood?: FloodRecord;
  /** crash: fresh start to ready (ms); vrrp-kill: kill to respawned VRRP process answering. */
  restartMs?: number;
  /** reloads: SIGHUP to "Reload finished" (ms, the slowest host). */
  reloadMs?: number[];
  /** script-flip: write to "VRRP_Script(chk_app) failed/succeeded" (ms). */
  detectMs?: number[];
  errors: string[];
  /** The windows (per instance) in which two holders or none are not a failure: [from, to]. */
  windows: Record<string, [number, number][]>;
}

export interface SoakResult {
  seed: number;
  startedAt: number;
  /** The last episode's end: the daemons are stopped after it (analyses end here). */
  runEndedAt: number;
  endedAt: number;
  slackMs: number;
  bounds: Record<string, number>;
  episodes: EpisodeRecord[];
  startup: ConvergeResult;
  /** Settled resources of every process after the start-up: the leak baseline. */
  baseline: QuietCheck['resources'];
  samples: ResourceSample[];
  addrEvents: { t: number; host: number; address: string; added: boolean }[];
  monitorMissed: number;
  /** After every daemon stopped (SIGTERM): what was left. */
  final: { vipsLeft: string[]; nftLeft: string[]; processesLeft: string[]; stopExit: Record<number, string> };
  /** Why the run stopped before its schedule ended, if it did. */
  aborted?: string;
  /** Other test or bench processes seen on the machine during the run. */
  neighbours: { t: number; cmd: string }[];
  machineBusyPct: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface SoakStatus {
  instances: { name: string; vrid: number; family: number; state: string; counters: Record<string, number> }[];
  unknownVridRcvd?: number;
  processes: { main: number; vrrp?: number; checker?: number; vrrpRestarts: number; checkerRestarts: number };
  resources: Partial<Record<Role, ProcessSample>>;
}

// ---------------------------------------------------------------- schedule

/** The host that is master of `name` when no fault is on (the highest base priority). */
export function baseMaster(name: string): number {
  const i = INSTANCES.find((x) => x.name === name)!;
  return i.priority.indexOf(Math.max(...i.priority)) + 1;
}

/**
 * One fault with seeded parameters. 70 % of the faults (all of them in the
 * short schedule) hit the master of an instance (a fault on a backup often
 * changes nothing visible): the trackers the master of the instance that tracks them, the
 * others the master of a random instance. `longLived`: a host that is never
 * killed (crash, vrrp-kill go to another), so its processes live the whole
 * run and their memory slopes cover it.
 */
export function planFault(rnd: () => number, kind: FaultKind, short: boolean, longLived?: number): FaultPlan {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const tracked = kind === 'script-flip' ? 'VI_FAST' : kind === 'file-flip' ? 'VI_SLOW' : INSTANCES[int(0, INSTANCES.length - 1)].name;
  let host = rnd() < (short ? 1 : 0.7) ? baseMaster(tracked) : int(1, 3);
  if (host === longLived && (kind === 'crash' || kind === 'vrrp-kill')) host = DAEMON_HOSTS.filter((h) => h !== longLived)[int(0, 1)];
  const p: FaultPlan = {
    kind,
    host,
    holdMs: short ? int(300, 1000) : int(500, 10_000),
    waitReaction: short || rnd() < 0.6,
    quietMs: short ? int(800, 1500) : int(3000, 12_000),
  };
  if (kind === 'reload-priority') {
    const inst = INSTANCES[int(0, INSTANCES.length - 1)];
    p.instance = inst.name;
    // The master lowered below the others, or a backup raised above the master.
    p.priority = baseMaster(inst.name) === host ? 50 : 200;
  }
  if (kind === 'flood') {
    p.floodS = short ? 3 : int(5, 20);
    p.floodSeed = int(1, 2 ** 30);
  }
  return p;
}

/** Every kind once, in a seeded order (the test). */
export function coveringSchedule(seed: number): FaultPlan[] {
  const rnd = rng(seed);
  const kinds = [...FAULT_KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  return kinds.map((k) => planFault(rnd, k, true));
}

// ---------------------------------------------------------------- the world

/** Waits for the reaction to an injection (when the plan says so), then holds the fault. */
type React = (startMs?: number) => Promise<void>;

/** Every daemon host but `h` in one island: `h` is dead, frozen or being restarted. */
const without = (h: number): Topology => ({ islands: [DAEMON_HOSTS.filter((x) => x !== h)], linkDown: new Set() });

export class Soak {
  readonly peers = new Map<number, Peer>();
  readonly files = new Map<number, HostFiles>();
  model: WorldModel = baseModel();
  topology: Topology = whole();
  readonly samples: ResourceSample[] = [];
  readonly episodes: EpisodeRecord[] = [];
  readonly neighbours: { t: number; cmd: string }[] = [];
  /** Hosts not to ask for status (stopped or crashed). */
  private readonly unreachable = new Set<number>();
  /** Our own processes in the hosts' namespaces (monitors, the real server). */
  private readonly ours = new Set<number>();
  /** VRRP respawns we caused per host since its daemon started. */
  private readonly vrrpKills = new Map<number, number>();
  private monitor!: AddressMonitor;
  private samplerStop = false;
  private sampler?: Promise<void>;
  private neighbourTimer?: NodeJS.Timeout;
  private startup!: ConvergeResult;
  private aborted?: string;
  /** Settled resources after the start-up (the leak baseline). */
  private baseline: QuietCheck['resources'] = {};
  private startedAt = 0;
  private cpu0 = cpuTotals();

  private constructor(readonly lab: Lab, readonly o: SoakOptions) {}

  /** Builds the lab (3 daemon hosts and the outside host) and starts everything; resolves once the baseline holds. */
  static async create(o: SoakOptions): Promise<Soak> {
    const lab = await Lab.create({ hosts: 4, v6: true });
    const s = new Soak(lab, o);
    try {
      await s.start();
    } catch (e) {
      await s.teardown();
      throw e;
    }
    return s;
  }

  private async start(): Promise<void> {
    const { lab } = this;
    this.startedAt = Date.now();
    const web = lab.node(OUTSIDE_HOST, path.join(__dirname, 'drivers', 'web-pages.js'), [lab.ipv4(OUTSIDE_HOST), String(REAL_SERVER_PORT), '1', '64']);
    this.ours.add(web.pid!);
    this.monitor = await AddressMonitor.start(lab, [...DAEMON_HOSTS]);
    for (const p of this.monitor.pids()) this.ours.add(p);
    for (const h of DAEMON_HOSTS) {
      const f = hostFiles(lab.dir, h);
      writeHostFiles(f);
      this.files.set(h, f);
    }
    const t0 = Date.now();
    for (const h of DAEMON_HOSTS) this.launch(h);
    const readyAt = Math.max(...(await Promise.all(DAEMON_HOSTS.map((h) => this.waitReady(h)))));
    const formed = await this.converge('heal', t0, readyAt - t0, 60_000);
    if (!formed.ok) throw new Error(`the baseline did not form: ${formed.detail}`);
    this.startup = await this.prime();
    this.baseline = {};
    for (const h of DAEMON_HOSTS) this.baseline[h] = await this.settledResources(h);
    this.sampler = this.sampleLoop();
    this.watchNeighbours();
  }

  /**
   * Makes every host master of VI_FAST once (chk_app failing on host 1, then
   * on 1 and 2, then on none), so each VRRP process has started what it
   * starts on first use (the command thread that runs nft for no_accept)
   * before the leak baseline is taken. Part of the start-up window.
   */
  private async prime(): Promise<ConvergeResult> {
    let last: ConvergeResult | undefined;
    for (const failing of [[1], [1, 2], []]) {
      const t = Date.now();
      for (const h of DAEMON_HOSTS) this.setScript(h, failing.includes(h));
      last = await this.converge('heal', t, 1500, 30_000);
      if (!last.ok) throw new Error(`priming (chk_app failing on [${failing}]) did not converge: ${last.detail}`);
    }
    return last!;
  }

  private setScript(h: number, fail: boolean): void {
    fs.writeFileSync(this.files.get(h)!.scriptState, fail ? '1\n' : '0\n');
    if (fail) this.model.scriptFail.add(h);
    else this.model.scriptFail.delete(h);
  }

  private launch(h: number): Peer {
    const p = startKts(this.lab, h, soakConf(h, this.model, this.files.get(h)!, this.lab.ipv4(OUTSIDE_HOST)));
    this.peers.set(h, p);
    this.vrrpKills.set(h, 0);
    return p;
  }

  private peer(h: number): Peer {
    return this.peers.get(h)!;
  }

  async status(h: number): Promise<SoakStatus> {
    return (await this.peer(h).status()) as unknown as SoakStatus;
  }

  /** Resolves (epoch ms) once host h's daemon answers with every instance and both children. */
  private async waitReady(h: number, notVrrpPid?: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.peer(h);
      if (p.exit) throw new Error(`host ${h}: daemon exited ${JSON.stringify(p.exit)}:\n${p.text().slice(-2000)}`);
      try {
        const st = await this.status(h);
        if (st.instances.length === INSTANCES.length && st.processes.vrrp && st.processes.checker && st.processes.vrrp !== notVrrpPid) return Date.now();
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`host ${h}: daemon not ready within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  // ------------------------------------------------------------ convergence

  /**
   * Waits until every VIP is held by exactly the expected hosts (among the
   * judged ones) and every judged host reports the expected states, stable
   * for `stableMs`. Each instance's time is from t0 + startMs to the last
   * address change of its VIPs (exact, from the monitor), or 0 when nothing
   * had to move.
   */
  async converge(phase: 'reaction' | 'heal', t0: number, startMs: number, waitMs?: number): Promise<ConvergeResult> {
    const m = this.model;
    const topo = this.topology;
    const hosts = judged(topo);
    const start = t0 + startMs;
    const bounds = INSTANCES.map((i) => healBoundMs(i, m, hosts, this.o.slackMs));
    const deadline = start + (waitMs ?? Math.max(...bounds) + 20_000);
    const want = INSTANCES.map((i) => ({ i, vips: vipsNow(i, m), holders: expectedHolders(i, m, topo).join(',') }));
    const retired = allVips().filter((v) => !want.some((w) => w.vips.includes(v)));
    const vipOk = (): boolean =>
      want.every((w) => w.vips.every((v) => this.heldBy(v, hosts) === w.holders)) && retired.every((v) => this.heldBy(v, hosts) === '');
    let detail = '';
    const statesOk = async (): Promise<boolean> => {
      for (const h of hosts) {
        let st: SoakStatus;
        try {
          st = await this.status(h);
        } catch (e) {
          detail = `host ${h}: status: ${(e as Error).message}`;
          return false;
        }
        for (const i of INSTANCES) {
          const got = st.instances.find((x) => x.name === i.name)?.state;
          const exp: InstanceState = expectedState(i, h, m, topo);
          if (got !== exp) {
            detail = `host ${h} ${i.name} is ${got}, expected ${exp}`;
            return false;
          }
        }
      }
      return true;
    };
    const stableMs = 300;
    for (;;) {
      if (vipOk()) {
        const mark = this.monitor.events.length;
        if ((await statesOk()) && (await sleep(stableMs), vipOk() && this.monitor.events.length === mark && (await statesOk()))) break;
      } else {
        detail = want
          .flatMap((w) => w.vips.map((v) => `${v} on [${this.heldBy(v, hosts)}] want [${w.holders}]`))
          .concat(retired.map((v) => `${v} on [${this.heldBy(v, hosts)}] want []`))
          .join('; ');
      }
      if (Date.now() > deadline) {
        return {
          phase, t0, startMs, ok: false, detail: `not converged after ${Date.now() - t0} ms: ${detail}`, doneAt: Date.now(),
          instances: INSTANCES.map((i, k) => ({ name: i.name, ms: null, boundMs: bounds[k], ok: false })),
        };
      }
      await sleep(50);
    }
    const instances = want.map((w, k) => {
      const last = this.monitor.lastChange(w.vips.concat(retired), hosts);
      const ms = last !== undefined && last > start ? last - start : 0;
      return { name: w.i.name, ms: Math.round(ms * 10) / 10, boundMs: bounds[k], ok: ms <= bounds[k] };
    });
    return { phase, t0, startMs, instances, ok: instances.every((x) => x.ok), doneAt: Date.now() };
  }

  private heldBy(vip: string, hosts: readonly number[]): string {
    return this.monitor.holders(vip).filter((h) => hosts.includes(h)).join(',');
  }

  // ------------------------------------------------------------ sampling

  private async sampleLoop(): Promise<void> {
    while (!this.samplerStop) {
      await this.sampleOnce();
      const until = Date.now() + this.o.sampleMs;
      while (!this.samplerStop && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
    }
  }

  private async sampleOnce(): Promise<void> {
    const t = Date.now();
    for (const h of DAEMON_HOSTS) {
      if (this.unreachable.has(h)) continue;
      try {
        const st = await this.status(h);
        for (const role of ROLES) {
          const r = st.resources[role];
          if (r) this.samples.push({ t, host: h, role, ...r, cpuNs: cpuNs(r.pid) });
        }
      } catch {
        /* crashed or paused meanwhile */
      }
    }
  }

  private watchNeighbours(): void {
    const seen = new Set<string>();
    const look = () =>
      execFile('pgrep', ['-fa', 'node --test|dist/bench/|keepalived '], (_e, out) => {
        for (const l of String(out).split('\n')) {
          const cmd = l.replace(/^\d+\s+/, '').trim();
          if (!cmd || cmd.includes('soak') || seen.has(cmd) || /keepalived-ts/.test(cmd)) continue;
          seen.add(cmd);
          this.neighbours.push({ t: Date.now(), cmd: cmd.slice(0, 200) });
        }
      });
    look();
    this.neighbourTimer = setInterval(look, 30_000);
  }

  // ------------------------------------------------------------ quiet checks

  /** keepalived-ts's nftables in host h against what it should hold now. */
  private async nftProblems(h: number, masterOf: string[]): Promise<string[]> {
    const r = await this.lab.exec(h, ['nft', '-j', 'list', 'ruleset']);
    type Item = { table?: { family: string; name: string }; set?: { family: string; name: string; table: string; elem?: unknown[] } };
    const items = (JSON.parse(r.stdout || '{"nftables":[]}') as { nftables: Item[] }).nftables;
    const out: string[] = [];
    const tables = items.filter((x) => x.table).map((x) => `${x.table!.family} ${x.table!.name}`);
    for (const t of tables) if (!['ip keepalived', 'ip6 keepalived', 'ip kts_lvs', 'ip6 kts_lvs'].includes(t)) out.push(`host ${h}: unexpected table ${t}`);
    const wantBlocked = INSTANCES.filter((i) => i.noAccept && masterOf.includes(i.name)).flatMap((i) => vipsNow(i, this.model));
    for (const fam of ['ip', 'ip6']) {
      const set = items.find((x) => x.set && x.set.family === fam && x.set.table === 'keepalived' && x.set.name === 'vips')?.set;
      const elems = ((set?.elem ?? []) as string[]).map(String).sort();
      const want = wantBlocked.filter((v) => (fam === 'ip6') === v.includes(':')).sort();
      if (elems.join(',') !== want.join(',')) out.push(`host ${h}: ${fam} keepalived vips {${elems.join(', ')}}, expected {${want.join(', ')}}`);
    }
    if (!tables.includes('ip kts_lvs')) out.push(`host ${h}: no ip kts_lvs table (the virtual server)`);
    return out;
  }

  /** Processes in host h's namespace that belong neither to its daemon nor to us. */
  private async strays(h: number): Promise<string[]> {
    const pids = await nsPids(this.lab.ns(h));
    const daemon = new Set(descendants(this.peer(h).pid));
    const out: string[] = [];
    for (const p of pids) {
      if (daemon.has(p) || this.ours.has(p) || !fs.existsSync(`/proc/${p}`)) continue;
      // `ip netns exec` children of ours (nft, cat) finish on their own: only what is still there a moment later counts.
      const cmd = readCmd(p);
      if (!cmd || /^(nft|cat|ip|true) /.test(cmd + ' ')) continue;
      out.push(`host ${h}: pid ${p} ${cmd}`);
    }
    return out;
  }

  private async settledResources(h: number): Promise<Partial<Record<Role, ProcessSample>>> {
    const snaps: Partial<Record<Role, ProcessSample>>[] = [];
    for (let k = 0; k < 3; k++) {
      snaps.push((await this.status(h)).resources);
      await sleep(300);
    }
    const out: Partial<Record<Role, ProcessSample>> = {};
    for (const role of ROLES) {
      const xs = snaps.map((s) => s[role]).filter((x): x is ProcessSample => !!x && x.pid === snaps[0][role]?.pid);
      if (xs.length === 0) continue;
      const handles: Record<string, number> = {};
      for (const k of new Set(xs.flatMap((x) => Object.keys(x.handles)))) handles[k] = Math.min(...xs.map((x) => x.handles[k] ?? 0));
      out[role] = {
        pid: xs[0].pid,
        fds: Math.min(...xs.map((x) => x.fds)),
        children: Math.min(...xs.map((x) => x.children)),
        handles,
        rssKb: Math.min(...xs.map((x) => x.rssKb)),
        heapUsedKb: Math.min(...xs.map((x) => x.heapUsedKb)),
      };
    }
    return out;
  }

  private async quietCheck(quietMs: number): Promise<QuietCheck> {
    const vrrpPids = new Map<number, number>();
    for (const h of DAEMON_HOSTS) {
      const pid = (await this.status(h)).processes.vrrp;
      if (pid) vrrpPids.set(h, pid);
    }
    const cpu0 = new Map([...vrrpPids].map(([h, p]) => [h, cpuNs(p)]));
    const t0 = Date.now();
    await sleep(quietMs);
    const dt = (Date.now() - t0) / 1000;
    const vrrpCpuPct: Record<number, number> = {};
    for (const [h, p] of vrrpPids) vrrpCpuPct[h] = (100 * (cpuNs(p) - cpu0.get(h)!)) / 1e9 / dt;
    const q: QuietCheck = { at: Date.now(), nftProblems: [], strayProcesses: [], unexpectedRestarts: [], resources: {}, vrrpCpuPct, quietMs };
    await this.monitor.reconcile();
    for (const h of DAEMON_HOSTS) {
      const st = await this.status(h);
      const masterOf = st.instances.filter((i) => i.state === 'MASTER').map((i) => i.name);
      q.nftProblems.push(...(await this.nftProblems(h, masterOf)));
      q.strayProcesses.push(...(await this.strays(h)));
      if (st.processes.vrrpRestarts !== this.vrrpKills.get(h)) q.unexpectedRestarts.push(`host ${h}: VRRP process restarted ${st.processes.vrrpRestarts} times, ${this.vrrpKills.get(h)} by us`);
      if (st.processes.checkerRestarts !== 0) q.unexpectedRestarts.push(`host ${h}: checker process restarted ${st.processes.checkerRestarts} times`);
      q.resources[h] = await this.settledResources(h);
    }
    return q;
  }

  // ------------------------------------------------------------ faults

  private windowsFor(injectAt: number, heal: ConvergeResult | undefined, fallbackEnd: number): Record<string, [number, number][]> {
    const out: Record<string, [number, number][]> = {};
    for (const i of INSTANCES) {
      const x = heal?.instances.find((y) => y.name === i.name);
      const end = heal && x ? heal.t0 + heal.startMs + x.boundMs : fallbackEnd;
      out[i.name] = [[injectAt, end]];
    }
    return out;
  }

  /** Runs one episode: inject, (reaction), hold, heal, converge, quiet check. */
  async episode(plan: FaultPlan): Promise<EpisodeRecord> {
    const n = this.episodes.length + 1;
    const rec: EpisodeRecord = { n, plan, injectAt: Date.now(), healAt: 0, heal: undefined as unknown as ConvergeResult, errors: [], windows: {} };
    this.episodes.push(rec);
    const h = plan.host;
    const { log } = this.o;
    log(`#${n} ${plan.kind} host ${h}${plan.instance ? ` ${plan.instance}=${plan.priority}` : ''}${plan.floodS ? ` ${plan.floodS} s` : ''}`);
    try {
      await this.fault(plan, rec);
      if (plan.kind !== 'flood') rec.windows = this.windowsFor(rec.injectAt, rec.heal, Date.now());
      if (!rec.heal.ok) {
        rec.errors.push(`heal: ${rec.heal.detail ?? JSON.stringify(rec.heal.instances)}`);
        const again = await this.converge('heal', Date.now(), 0, 60_000);
        if (!again.ok) await this.reset(rec, `still not converged after 60 s more: ${again.detail}`);
      }
      if (rec.reaction && !rec.reaction.ok) rec.errors.push(`reaction: ${rec.reaction.detail ?? JSON.stringify(rec.reaction.instances)}`);
    } catch (e) {
      await this.reset(rec, `exception: ${(e as Error).stack ?? String(e)}`);
    }
    rec.quiet = await this.quietCheck(plan.quietMs);
    const q = rec.quiet;
    rec.errors.push(...q.nftProblems, ...q.strayProcesses, ...q.unexpectedRestarts);
    for (const [host, p] of this.peers) if (p.exit && !this.unreachable.has(host)) rec.errors.push(`host ${host}: daemon exited ${JSON.stringify(p.exit)}`);
    const times = [rec.reaction, rec.heal].filter((x) => x).map((c) => `${c!.phase} ${c!.instances.map((i) => `${i.name} ${i.ms ?? '-'}/${Math.round(i.boundMs)}`).join(' ')}`);
    log(`#${n} ${plan.kind}: ${times.join(' | ')}${rec.errors.length ? `  ERRORS: ${rec.errors.join('; ')}` : ''}`);
    return rec;
  }

  /** Injects, holds and heals one fault, measuring the reaction and the heal into `rec`. */
  private async fault(plan: FaultPlan, rec: EpisodeRecord): Promise<void> {
    const react = async (startMs = 0): Promise<void> => {
      if (plan.waitReaction) rec.reaction = await this.converge('reaction', rec.injectAt, startMs);
      await sleep(plan.holdMs);
    };
    switch (plan.kind) {
      case 'crash':
        return this.crashFault(plan.host, rec, react);
      case 'vrrp-kill':
        return this.vrrpKillFault(plan.host, rec);
      case 'sigstop':
        return this.stopFault(plan.host, rec, react);
      case 'link-flap':
      case 'partition':
        return this.cutFault(plan.host, plan.kind === 'link-flap', rec, react);
      case 'reload-priority':
      case 'reload-vip':
        return this.reloadFault(plan, rec, react);
      case 'script-flip':
        return this.scriptFlipFault(plan.host, rec, react);
      case 'file-flip':
        return this.fileFlipFault(plan.host, rec, react);
      case 'flood':
        rec.flood = await this.flood(plan, rec);
        rec.healAt = Date.now();
        // No window: a flood must not move anything.
        rec.heal = await this.converge('heal', rec.healAt, 0, 5000);
        return;
    }
  }

  /** kill -9 of the whole daemon tree; the heal is a fresh start. */
  private async crashFault(h: number, rec: EpisodeRecord, react: React): Promise<void> {
    this.unreachable.add(h);
    this.peer(h).crash();
    this.topology = without(h);
    await react();
    await this.peer(h).waitExit(10_000).catch((e: Error) => rec.errors.push(e.message));
    const t = Date.now();
    this.launch(h);
    this.topology = whole();
    rec.healAt = t;
    const ready = await this.waitReady(h);
    this.unreachable.delete(h);
    rec.restartMs = ready - t;
    rec.heal = await this.converge('heal', t, ready - t);
  }

  /** kill -9 of the VRRP process alone. The heal is main's respawn: no hold, the new VRRP process answering is the heal moment. */
  private async vrrpKillFault(h: number, rec: EpisodeRecord): Promise<void> {
    const pid = (await this.status(h)).processes.vrrp!;
    rec.injectAt = Date.now();
    process.kill(pid, 'SIGKILL');
    this.vrrpKills.set(h, this.vrrpKills.get(h)! + 1);
    this.topology = without(h);
    const ready = await this.waitReady(h, pid);
    this.topology = whole();
    rec.healAt = rec.injectAt;
    rec.restartMs = ready - rec.injectAt;
    rec.heal = await this.converge('heal', rec.injectAt, ready - rec.injectAt);
  }

  /** SIGSTOP of every process of the daemon, later SIGCONT (parents last in, first out). */
  private async stopFault(h: number, rec: EpisodeRecord, react: React): Promise<void> {
    const tree = descendants(this.peer(h).pid);
    this.unreachable.add(h);
    rec.injectAt = Date.now();
    for (const p of tree) signalQuietly(p, 'SIGSTOP');
    this.topology = without(h);
    await react();
    rec.healAt = Date.now();
    for (const p of [...tree].reverse()) signalQuietly(p, 'SIGCONT');
    this.unreachable.delete(h);
    this.topology = whole();
    rec.heal = await this.converge('heal', rec.healAt, 0);
  }

  /** The host's link down (`link`) or its bridge port disabled (a partition: carrier stays up), later back. */
  private async cutFault(h: number, link: boolean, rec: EpisodeRecord, react: React): Promise<void> {
    rec.injectAt = Date.now();
    if (link) await this.lab.linkSet(h, 'down');
    else await this.portState(h, 0);
    this.topology = { islands: [DAEMON_HOSTS.filter((x) => x !== h), [h]], linkDown: link ? new Set([h]) : new Set() };
    await react();
    rec.healAt = Date.now();
    if (link) await this.lab.linkSet(h, 'up');
    else await this.portState(h, 3);
    this.topology = whole();
    rec.heal = await this.converge('heal', rec.healAt, 0);
  }

  /** SIGHUP with a changed priority (one host) or an extra VIP (every host), later the base configuration again. */
  private async reloadFault(plan: FaultPlan, rec: EpisodeRecord, react: React): Promise<void> {
    const h = plan.host;
    const hosts = plan.kind === 'reload-vip' ? [...DAEMON_HOSTS] : [h];
    const before = cloneModel(this.model);
    if (plan.kind === 'reload-vip') this.model.extraVip = !this.model.extraVip;
    else this.model.priority[h][plan.instance!] = plan.priority!;
    rec.injectAt = Date.now();
    rec.reloadMs = await this.reload(hosts);
    await react(Math.max(...rec.reloadMs));
    this.model = before;
    rec.healAt = Date.now();
    const back = await this.reload(hosts);
    rec.reloadMs.push(...back);
    rec.heal = await this.converge('heal', rec.healAt, Math.max(...back));
  }

  /** chk_app fails, later succeeds; the bound starts when the daemon logged the result. */
  private async scriptFlipFault(h: number, rec: EpisodeRecord, react: React): Promise<void> {
    const flip = async (fail: boolean): Promise<number> => {
      const from = this.peer(h).log.length;
      const t = Date.now();
      this.setScript(h, fail);
      const line = await this.peer(h).waitLog(fail ? /VRRP_Script\(chk_app\) failed/ : /VRRP_Script\(chk_app\) succeeded/, 10_000, from);
      return line.at - t;
    };
    rec.injectAt = Date.now();
    rec.detectMs = [await flip(true)];
    await react(rec.detectMs[0]);
    rec.healAt = Date.now();
    rec.detectMs.push(await flip(false));
    rec.heal = await this.converge('heal', rec.healAt, rec.detectMs[1]);
  }

  /** tf_slow becomes 1 (VI_SLOW FAULT), later 0. */
  private async fileFlipFault(h: number, rec: EpisodeRecord, react: React): Promise<void> {
    const f = this.files.get(h)!;
    rec.injectAt = Date.now();
    fs.writeFileSync(f.trackFile, '1\n');
    this.model.fileFault.add(h);
    await react(ALLOWANCE.fileMs);
    rec.healAt = Date.now();
    fs.writeFileSync(f.trackFile, '0\n');
    this.model.fileFault.delete(h);
    rec.heal = await this.converge('heal', rec.healAt, ALLOWANCE.fileMs);
  }

  /**
   * After a failure (recorded in `rec` with `why`): every link up and port
   * forwarding, every process continued, the trackers and configuration at
   * their base, every daemon restarted (their state is the suspect). The
   * whole episode becomes a window, so the failure is counted once, here.
   */
  private async reset(rec: EpisodeRecord, why: string): Promise<void> {
    rec.errors.push(`${why}; resetting the world`);
    this.o.log(`#${rec.n}: ${why.split('\n')[0]}; resetting`);
    for (const h of DAEMON_HOSTS) {
      const p = this.peers.get(h);
      if (p && !p.exit) for (const pid of descendants(p.pid)) signalQuietly(pid, 'SIGCONT');
      await this.lab.linkSet(h, 'up').catch(() => undefined);
      await this.portState(h, 3).catch(() => undefined);
      writeHostFiles(this.files.get(h)!);
    }
    this.model = baseModel();
    this.topology = whole();
    for (const h of DAEMON_HOSTS) {
      await this.peer(h).stop().catch(() => undefined);
      this.launch(h);
    }
    this.unreachable.clear();
    const t = Date.now();
    const ready = Math.max(...(await Promise.all(DAEMON_HOSTS.map((h) => this.waitReady(h)))));
    const r = await this.converge('heal', t, ready - t, 60_000);
    rec.windows = this.windowsFor(rec.injectAt, r, Date.now());
    rec.heal ??= r;
    if (!r.ok) throw new Error(`the soak cannot recover: ${r.detail}`);
  }

  private async portState(h: number, state: 0 | 3): Promise<void> {
    await this.lab.exec('switch', ['bridge', 'link', 'set', 'dev', this.lab.port(h), 'state', String(state)], { check: true });
  }

  /** Writes each host's file from the model, SIGHUPs them, and returns each one's time to "Reload finished". */
  private async reload(hosts: number[]): Promise<number[]> {
    return Promise.all(
      hosts.map(async (x) => {
        const p = this.peer(x);
        fs.writeFileSync(p.confFile, soakConf(x, this.model, this.files.get(x)!, this.lab.ipv4(OUTSIDE_HOST)));
        const from = p.log.length;
        const t = Date.now();
        p.signal('SIGHUP');
        const line = await p.waitLog(/Reload finished/, 30_000, from);
        return line.at - t;
      }),
    );
  }

  private floodTargets(): FloodTarget[] {
    return INSTANCES.filter((i) => i.family === 4).map((i) => ({ vrid: i.vrid, version: i.version, pass: i.pass, intervalMs: i.intervalMs, vips: vipsNow(i, this.model) }));
  }

  private async flood(plan: FaultPlan, rec: EpisodeRecord): Promise<FloodRecord> {
    const { lab } = this;
    const before = new Map<number, { book: Record<string, number>; drops: number; trans: number; vrrp: number }>();
    for (const h of DAEMON_HOSTS) {
      const st = await this.status(h);
      before.set(h, { book: dropBook(st), drops: await rawDrops(lab, h), trans: transitions(st), vrrp: st.processes.vrrp! });
    }
    const cpu0 = new Map([...before].map(([h, b]) => [h, cpuNs(b.vrrp)]));
    const m0 = cpuTotals();
    const f = await startFlood(lab, OUTSIDE_HOST, {
      ifname: 'eth0', src: lab.ipv4(OUTSIDE_HOST), rate: this.o.floodRate, seconds: plan.floodS!, seed: plan.floodSeed!,
      targets: this.floodTargets(), hosts: DAEMON_HOSTS.map((h) => lab.ipv4(h)), irrelevantVrids: [100, 101, 150, 200, 254],
    });
    rec.injectAt = f.startedAt;
    const s0 = cpuNs(f.pid);
    let s1 = s0;
    const sp = setInterval(() => {
      const v = cpuNs(f.pid);
      if (Number.isFinite(v)) s1 = v;
    }, 200);
    const done = await f.done.finally(() => clearInterval(sp));
    const dt = done.seconds;
    const vrrpCpuPct: Record<number, number> = {};
    for (const [h, b] of before) vrrpCpuPct[h] = (100 * (cpuNs(b.vrrp) - cpu0.get(h)!)) / 1e9 / dt;
    const machineBusyPct = busyPct(m0, cpuTotals());
    await sleep(500); // the receivers drain their sockets
    const hosts: FloodRecord['hosts'] = [];
    let trans = 0;
    for (const h of DAEMON_HOSTS) {
      const st = await this.status(h);
      const b = before.get(h)!;
      const after = dropBook(st);
      const exp = expectedFor(done.expected, lab.ipv4(h));
      const kernelDrops = (await rawDrops(lab, h)) - b.drops;
      const mismatches: { key: string; expected: number; got: number }[] = [];
      let counted = 0;
      for (const k of new Set([...Object.keys(exp), ...Object.keys(after)])) {
        const got = (after[k] ?? 0) - (b.book[k] ?? 0);
        counted += got;
        if (got !== (exp[k] ?? 0)) mismatches.push({ key: k, expected: exp[k] ?? 0, got });
      }
      trans += transitions(st) - b.trans;
      if (st.processes.vrrp !== b.vrrp) rec.errors.push(`host ${h}: VRRP process changed during the flood (${b.vrrp} -> ${st.processes.vrrp})`);
      hosts.push({ host: h, expected: Object.values(exp).reduce((a, x) => a + x, 0), counted, kernelDrops, mismatches });
    }
    return {
      rate: this.o.floodRate, seconds: dt, sent: done.sent, errors: done.errors, byCategory: done.byCategory, hosts, vrrpCpuPct,
      senderCpuPct: (100 * (s1 - s0)) / 1e9 / dt, machineBusyPct, transitions: trans,
    };
  }

  // ------------------------------------------------------------ run

  /** Runs the plans (or generated ones until the duration is over), then stops everything and checks what is left. */
  async run(): Promise<SoakResult> {
    const rnd = rng(this.o.seed);
    const end = this.o.durationMs !== undefined ? this.startedAt + this.o.durationMs : Infinity;
    const plans = this.o.plans ? [...this.o.plans] : undefined;
    try {
      for (;;) {
        let plan: FaultPlan | undefined;
        if (plans) plan = plans.shift();
        else if (Date.now() < end) plan = planFault(rnd, FAULT_KINDS[Math.floor(rnd() * FAULT_KINDS.length)], false, this.o.longLived);
        if (!plan) break;
        await this.episode(plan);
      }
    } catch (e) {
      // Keep what was measured: the result says where and why the run stopped.
      this.aborted = (e as Error).stack ?? String(e);
      this.o.log(`soak aborted: ${this.aborted}`);
    }
    return this.finish();
  }

  private async finish(): Promise<SoakResult> {
    const runEndedAt = Date.now();
    this.samplerStop = true;
    await this.sampler;
    if (this.neighbourTimer) clearInterval(this.neighbourTimer);
    const stopExit: Record<number, string> = {};
    for (const h of DAEMON_HOSTS) {
      const p = this.peer(h);
      await p.stop();
      stopExit[h] = JSON.stringify(p.exit);
    }
    await sleep(500);
    await this.monitor.reconcile();
    const vipsLeft: string[] = [];
    const nftLeft: string[] = [];
    const processesLeft: string[] = [];
    for (const h of DAEMON_HOSTS) {
      for (const a of this.monitor.addresses(h)) if (allVips().includes(a)) vipsLeft.push(`host ${h}: ${a}`);
      const r = await this.lab.exec(h, ['nft', 'list', 'tables']);
      for (const l of r.stdout.split('\n').filter(Boolean)) nftLeft.push(`host ${h}: ${l}`);
      for (const p of await nsPids(this.lab.ns(h))) if (!this.ours.has(p) && fs.existsSync(`/proc/${p}`)) processesLeft.push(`host ${h}: pid ${p} ${readCmd(p)}`);
    }
    return {
      seed: this.o.seed,
      startedAt: this.startedAt,
      runEndedAt,
      endedAt: Date.now(),
      slackMs: this.o.slackMs,
      bounds: Object.fromEntries(INSTANCES.map((i) => [i.name, healBoundMs(i, baseModel(), [...DAEMON_HOSTS], this.o.slackMs)])),
      episodes: this.episodes,
      startup: this.startup,
      baseline: this.baseline,
      samples: this.samples,
      addrEvents: this.monitor.events.map((e) => ({ ...e, t: Math.round(e.t * 1000) / 1000 })),
      monitorMissed: this.monitor.missed.length,
      final: { vipsLeft, nftLeft, processesLeft, stopExit },
      aborted: this.aborted,
      neighbours: this.neighbours,
      machineBusyPct: busyPct(this.cpu0, cpuTotals()),
    };
  }

  /** Stops what is running and removes the lab (idempotent; also after a failure). */
  async teardown(): Promise<void> {
    this.samplerStop = true;
    if (this.neighbourTimer) clearInterval(this.neighbourTimer);
    for (const h of DAEMON_HOSTS) {
      const p = this.peers.get(h);
      if (!p) continue;
      for (const pid of descendants(p.pid)) signalQuietly(pid, 'SIGCONT');
      await p.stop().catch(() => killTree(p.pid));
    }
    await this.monitor?.stop().catch(() => undefined);
    await this.lab.destroy();
  }
}

function vipsNow(i: SoakInstance, m: WorldModel): string[] {
  return vipsOf(i, m).map(bare);
}

function transitions(st: SoakStatus): number {
  return st.instances.reduce((n, i) => n + (i.counters.become_master ?? 0) + (i.counters.release_master ?? 0), 0);
}

function signalQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

function readCmd(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

function nsPids(ns: string): Promise<number[]> {
  return new Promise((resolve) =>
    execFile('ip', ['netns', 'pids', ns], (_e, out) => resolve(String(out).split('\n').filter(Boolean).map(Number))),
  );
}
