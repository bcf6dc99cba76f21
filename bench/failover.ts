/**
 * keepalived-ts vs keepalived 2.2.7, in one run, on the same topology:
 *
 *  1. Takeover on the wire: kill -9 failover (host lost) and SIGTERM handover
 *     (priority 0 advert), at VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1,
 *     each repeated --rounds times (default 10) with the implementations
 *     alternating round by round (A, B, A, B ...) so machine noise hits both.
 *  2. RSS and CPU of each daemon process, with 1 and 100 instances, master
 *     and backup, sampled over a quiet window.
 *
 * Topology: two identical labs (test/e2e/harness/netns.ts), one per
 * implementation, each two hosts on a bridge: host 1 (192.0.2.11) runs the
 * implementation as master (priority 150), host 2 (192.0.2.12) as backup
 * (priority 100), a homogeneous pair, so the number measures the
 * implementation's own backup. Both pairs stay up for the whole takeover
 * phase; only the one being measured is touched.
 *
 * Measurement (as test/e2e/failover.test.ts, from the bridge capture):
 *   kill -9:  old master's last advert -> new master's first advert.
 *             Expected: Master_Down_Interval = 3 x interval + skew (RFC 5798 §6.1).
 *             "kill -9" kills the whole daemon tree (deepest first) and then
 *             takes host 1's link down: keepalived's VRRP child gets SIGTERM
 *             when its parent dies (parent-death signal) and would otherwise
 *             send a priority 0 advert, turning the failover into a handover.
 *   SIGTERM:  old master's priority 0 advert -> new master's first advert.
 *             Expected: Skew_Time = (256 - priority) / 256 s (v2),
 *             (256 - priority) x interval / 256 (v3).
 *
 *   sudo node dist/bench/failover.js [--rounds N] [--quick] [--sample S] [--out FILE]
 *                                    [--skip-takeover] [--skip-resources]
 *
 * Root only; everything runs inside the labs' namespaces and is torn down.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lab, labUnavailableReason, waitFor, type Capture } from '../test/e2e/harness/netns';
import { startPeer, type Peer, type PeerKind } from '../test/e2e/harness/peers';
import { conf, instance, masterDownMs, skewMs } from '../test/e2e/harness/conf';
import { advertsFrom, vrrpFrames, type VrrpFrame } from '../test/e2e/harness/frames';
import { descendants as processTree, killTree } from '../test/e2e/harness/proctree';
import {
  busyPct, CLK_TCK, cpuNs, eachArg, cpuTicks, cpuTotals, fmt, gitCommit, keepalivedVersion, log, mb, mdTable, percentile, pssKb, r1, r3, readFileOr, REPO, sleep, stats, statusKb, table, type Stats,
} from './lib';

// ---------------------------------------------------------------- options

interface Options {
  rounds: number;
  quick: boolean;
  sampleS: number;
  out: string;
  takeover: boolean;
  resources: boolean;
  /** Takeover modes to run (default all). */
  modes?: string[];
}


function parseArgs(argv: string[]): Options {
  const o: Options = {
    rounds: 10,
    quick: false,
    sampleS: 20,
    out: path.join(REPO, 'bench', 'results', 'failover.json'),
    takeover: true,
    resources: true,
  };
  let roundsSet = false;
  let sampleSet = false;
  eachArg(argv, (a, val) => {
    if (a === '--rounds') {
      o.rounds = Number(val());
      roundsSet = true;
    } else if (a === '--quick') o.quick = true;
    else if (a === '--sample') {
      o.sampleS = Number(val());
      sampleSet = true;
    } else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--skip-takeover') o.takeover = false;
    else if (a === '--skip-resources') o.resources = false;
    else if (a === '--modes') o.modes = val().split(',');
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: sudo node dist/bench/failover.js [--rounds N] [--quick] [--sample S] [--out FILE] [--skip-takeover] [--skip-resources] [--modes v2-1s,v3-0.1s,v3-0.01s]\n' +
          '  --rounds N   takeovers per (implementation, event, mode) (default 10; --quick 3)\n' +
          '  --sample S   resource sampling window in seconds (default 20; --quick 8)\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  });
  if (o.quick) {
    if (!roundsSet) o.rounds = 3;
    if (!sampleSet) o.sampleS = 8;
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!(o.sampleS > 0)) throw new Error('--sample must be positive');
  return o;
}

// ---------------------------------------------------------------- model

interface Mode {
  key: 'v2-1s' | 'v3-0.1s' | 'v3-0.01s';
  version: 2 | 3;
  advert: string;
  intervalMs: number;
}

const MODES: Mode[] = [
  { key: 'v2-1s', version: 2, advert: '1', intervalMs: 1000 },
  { key: 'v3-0.1s', version: 3, advert: '0.1', intervalMs: 100 },
  { key: 'v3-0.01s', version: 3, advert: '0.01', intervalMs: 10 },
];
type Event = 'kill9' | 'sigterm';
const EVENTS: Event[] = ['kill9', 'sigterm'];
const KINDS: PeerKind[] = ['kts', 'keepalived'];
const LABEL: Record<PeerKind, string> = { kts: 'keepalived-ts', keepalived: 'keepalived' };
const PRIO_MASTER = 150;
const PRIO_BACKUP = 100;
const VIP1 = '192.0.2.100/24';

/** Protocol value the backup (priority 100) should take over after. */
function expectedMs(event: Event, m: Mode): number {
  return event === 'kill9' ? masterDownMs(PRIO_BACKUP, m.intervalMs, m.version) : skewMs(PRIO_BACKUP, m.intervalMs, m.version);
}

function instanceNames(n: number): string[] {
  return n === 1 ? ['VI_1'] : Array.from({ length: n }, (_, i) => `VI_${i + 1}`);
}

/** keepalived.conf for host 1 (master) or 2 (backup) with n instances; the same text feeds both implementations. */
function pairConf(host: 1 | 2, m: Mode, n: number): string {
  const priority = host === 1 ? PRIO_MASTER : PRIO_BACKUP;
  const state = host === 1 ? 'MASTER' : 'BACKUP';
  const blocks =
    n === 1
      ? [instance({ name: 'VI_1', vrid: 51, state, priority, advert: m.advert, version: m.version, vips: [VIP1] })]
      : Array.from({ length: n }, (_, i) =>
          instance({ name: `VI_${i + 1}`, vrid: i + 1, state, priority, advert: m.advert, version: m.version, vips: [`198.51.100.${i + 1}/24`] }),
        );
  return conf([`router_id bench-h${host}`], ...blocks);
}

// ---------------------------------------------------------------- helpers


const STATE_RE = /\((\S+?)\) Entering (\w+) STATE/;

/** Instance states from the log ("(VI_1) Entering MASTER STATE"), the same source for both implementations. */
function logStates(peer: Peer, from = 0): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = from; i < peer.log.length; i++) {
    const r = STATE_RE.exec(peer.log[i].line);
    if (r) m.set(r[1], r[2]);
  }
  return m;
}

/**
 * Waits until every instance's last logged state (from log index `from`) is
 * `state`. Reads the log only: polling keepalived-ts's control socket would
 * load the daemon being measured.
 */
async function waitStates(peer: Peer, names: string[], state: string, from = 0, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    () => {
      if (peer.exit) throw new Error(`${peer.kind} on host ${peer.host} exited ${JSON.stringify(peer.exit)}:\n${peer.text().slice(-3000)}`);
      const s = logStates(peer, from);
      return names.every((n) => s.get(n) === state);
    },
    { timeoutMs, intervalMs: 10, what: `${peer.kind} host ${peer.host}: ${names.length} instance(s) in ${state}` },
  );
}




// ---------------------------------------------------------------- pair

/** One implementation's master (host 1) and backup (host 2) in one lab. */
class Pair {
  master!: Peer;
  backup!: Peer;
  linkDown = false;

  constructor(
    readonly lab: Lab,
    readonly kind: PeerKind,
    readonly mode: Mode,
    readonly n: number,
  ) {}

  get names(): string[] {
    return instanceNames(this.n);
  }

  /** Starts both daemons at once; resolves when the master is MASTER and the backup BACKUP everywhere. */
  async start(): Promise<void> {
    this.backup = startPeer(this.kind, this.lab, 2, pairConf(2, this.mode, this.n));
    this.master = startPeer(this.kind, this.lab, 1, pairConf(1, this.mode, this.n));
    await this.settled(0);
  }

  private async settled(backupFrom: number): Promise<void> {
    await waitStates(this.master, this.names, 'MASTER', 0);
    // The backup may have won the start race for a moment; the master then preempts it.
    await waitStates(this.backup, this.names, 'BACKUP', backupFrom);
  }

  /** After a takeover: link up, a fresh master on host 1, wait until it preempted the backup again. */
  async restore(): Promise<void> {
    if (this.linkDown) {
      await this.lab.linkSet(1, 'up');
      this.linkDown = false;
    }
    const from = this.backup.log.length;
    this.master = startPeer(this.kind, this.lab, 1, pairConf(1, this.mode, this.n));
    await this.settled(from);
  }

  /** True when the last logged states are still master MASTER / backup BACKUP. */
  healthy(): boolean {
    const m = logStates(this.master);
    const b = logStates(this.backup);
    return !this.master.exit && !this.backup.exit && this.names.every((x) => m.get(x) === 'MASTER' && b.get(x) === 'BACKUP');
  }

  async stop(): Promise<void> {
    await this.backup?.stop().catch(() => undefined);
    await this.master?.stop().catch(() => undefined);
    if (this.linkDown) {
      await this.lab.linkSet(1, 'up').catch(() => undefined);
      this.linkDown = false;
    }
  }
}

// ---------------------------------------------------------------- takeover

interface TakeoverSample {
  kind: PeerKind;
  event: Event;
  mode: Mode['key'];
  round: number;
  /** The measured takeover (ms): see the file comment. */
  takeoverMs: number;
  expectedMs: number;
  /** Wall-clock (epoch ms) of the signal, the old master's last / priority 0 advert, the new master's first advert. */
  signalAt: number;
  fromAdvertAt: number;
  firstNewAdvertAt: number;
  /** SIGTERM: signal -> priority 0 advert on the wire (shutdown latency; Date.now() resolution). */
  signalToZeroMs?: number;
  /** Old master's advert gaps (ms) in the capture before the event. */
  masterGapsMs: number[];
  /** Backup log line "Entering MASTER STATE" arrival minus the new master's first advert (ms; pipe latency included). */
  logLagMs: number;
  /** PIDs SIGKILLed (kill -9: the daemon tree). */
  killed?: number[];
  /** Whole-machine CPU busy % from the signal to the end of the capture (2 cores). */
  machineBusyPct: number;
  loadavg1: number;
}

async function takeoverRound(pair: Pair, event: Event, round: number): Promise<TakeoverSample> {
  const m = pair.mode;
  const { lab } = pair;
  if (!pair.healthy()) throw new Error(`${pair.kind} pair not settled before round ${round}`);
  const cap: Capture = await lab.capture({ filter: ['vrrp'] });
  let killed: number[] | undefined;
  let signalAt = 0;
  let cpu0 = cpuTotals();
  let cpu1 = cpu0;
  const backupFrom = pair.backup.log.length;
  let res;
  try {
    // At least two master adverts captured, at a random phase of the advert schedule.
    await sleep(2 * m.intervalMs + 100 + Math.random() * m.intervalMs);
    if (!pair.healthy()) throw new Error(`${pair.kind} pair changed state before the ${event} in round ${round}`);
    cpu0 = cpuTotals();
    signalAt = Date.now();
    if (event === 'kill9') {
      killed = killTree(pair.master.pid);
      await lab.linkSet(1, 'down'); // the host is gone from the LAN
      pair.linkDown = true;
    } else pair.master.signal('SIGTERM');
    await waitStates(pair.backup, ['VI_1'], 'MASTER', backupFrom, 20_000);
    if (event === 'sigterm') {
      const e = await pair.master.waitExit(10_000);
      if (e.code !== 0) throw new Error(`${pair.kind} master exited ${JSON.stringify(e)} on SIGTERM`);
    } else await pair.master.waitExit(10_000);
    // The new master's first advert goes out with the transition; leave room for the next one.
    await sleep(m.intervalMs + 200);
    cpu1 = cpuTotals();
  } finally {
    res = await cap.stop();
  }
  const frames = vrrpFrames(res.timed);
  const vrid = pair.n === 1 ? 51 : 1;
  const old = advertsFrom(frames, lab.ipv4(1), vrid);
  let from: VrrpFrame | undefined;
  if (event === 'kill9') {
    from = old.at(-1);
    if (from && from.advert!.priority === 0) throw new Error(`${pair.kind}: a priority 0 advert escaped the kill -9 (round ${round})`);
  } else {
    from = old.find((f) => f.advert!.priority === 0);
  }
  if (!from) throw new Error(`${pair.kind}: no ${event === 'kill9' ? 'advert' : 'priority 0 advert'} from the master captured (round ${round})`);
  const first = advertsFrom(frames, lab.ipv4(2), vrid).find((f) => f.t > from!.t);
  if (!first) throw new Error(`${pair.kind}: no advert from the new master captured (round ${round})`);
  if (first.advert!.priority !== PRIO_BACKUP) throw new Error(`${pair.kind}: new master advertised priority ${first.advert!.priority}`);
  const before = old.filter((f) => f.t <= from!.t && f.advert!.priority !== 0).map((f) => f.t);
  const gaps = before.slice(1).map((t, i) => r3(t - before[i]));
  const becameMaster = pair.backup.lines(/\(VI_1\) Entering MASTER STATE/, backupFrom)[0];
  const s: TakeoverSample = {
    kind: pair.kind,
    event,
    mode: m.key,
    round,
    takeoverMs: r3(first.t - from.t),
    expectedMs: r3(expectedMs(event, m)),
    signalAt,
    fromAdvertAt: r3(from.t),
    firstNewAdvertAt: r3(first.t),
    masterGapsMs: gaps,
    logLagMs: becameMaster ? r3(becameMaster.at - first.t) : NaN,
    machineBusyPct: r1(busyPct(cpu0, cpu1)),
    loadavg1: r3(os.loadavg()[0]),
  };
  if (event === 'sigterm') s.signalToZeroMs = r3(from.t - signalAt);
  if (killed) s.killed = killed;
  return s;
}

interface TakeoverSummary {
  event: Event;
  mode: Mode['key'];
  expectedMs: number;
  kts: Stats;
  keepalived: Stats;
  /** keepalived-ts / keepalived. */
  ratioMedian: number;
  ratioP90: number;
  /** keepalived-ts minus keepalived (ms). */
  deltaMedianMs: number;
  deltaP90Ms: number;
  /** Median minus the protocol's value (ms). */
  ktsExcessMedianMs: number;
  keepalivedExcessMedianMs: number;
}

async function runTakeovers(o: Options, labs: Record<PeerKind, Lab>, samples: TakeoverSample[], failures: unknown[]): Promise<void> {
  for (const m of MODES.filter((x) => !o.modes || o.modes.includes(x.key))) {
    const pairs = {} as Record<PeerKind, Pair>;
    try {
      for (const k of KINDS) {
        pairs[k] = new Pair(labs[k], k, m, 1);
        log(`${m.key}: starting the ${LABEL[k]} pair`);
        await pairs[k].start();
      }
      await sleep(1000);
      for (const ev of EVENTS) {
        for (let round = 1; round <= o.rounds; round++) {
          for (const k of KINDS) {
            const pair = pairs[k];
            let done = false;
            for (let attempt = 1; attempt <= 3 && !done; attempt++) {
              try {
                const s = await takeoverRound(pair, ev, round);
                samples.push(s);
                done = true;
                log(
                  `${m.key} ${ev.padEnd(7)} round ${String(round).padStart(2)} ${LABEL[k].padEnd(13)} ${s.takeoverMs.toFixed(1).padStart(7)} ms` +
                    ` (expected ${s.expectedMs.toFixed(1)}; machine ${s.machineBusyPct}% busy)`,
                );
              } catch (e) {
                const msg = e instanceof Error ? e.message : String(e);
                failures.push({ kind: k, event: ev, mode: m.key, round, attempt, error: msg.slice(0, 4000) });
                log(`${m.key} ${ev} round ${round} ${LABEL[k]} attempt ${attempt} failed: ${msg.split('\n')[0]}`);
              }
              // Back to master on host 1, backup on host 2 (after a failure: start over).
              try {
                if (!pair.healthy()) {
                  if (pair.master.exit || pair.linkDown) await pair.restore();
                  if (!pair.healthy()) {
                    await pair.stop();
                    await pair.start();
                  }
                }
              } catch (e) {
                log(`${LABEL[k]} pair did not recover (${e instanceof Error ? e.message.split('\n')[0] : e}); restarting it`);
                await pair.stop();
                await pair.start();
              }
            }
            if (!done) throw new Error(`${LABEL[k]} ${m.key} ${ev} round ${round}: three attempts failed`);
          }
        }
      }
    } finally {
      for (const k of KINDS) await pairs[k]?.stop();
    }
  }
}

function summarizeTakeovers(samples: TakeoverSample[]): TakeoverSummary[] {
  const out: TakeoverSummary[] = [];
  for (const m of MODES.filter((x) => samples.some((s) => s.mode === x.key))) {
    for (const ev of EVENTS) {
      const pick = (k: PeerKind) => samples.filter((s) => s.kind === k && s.event === ev && s.mode === m.key).map((s) => s.takeoverMs);
      const a = stats(pick('kts'));
      const b = stats(pick('keepalived'));
      if (a.n === 0 && b.n === 0) continue;
      const exp = expectedMs(ev, m);
      out.push({
        event: ev,
        mode: m.key,
        expectedMs: r3(exp),
        kts: a,
        keepalived: b,
        ratioMedian: r3(a.median / b.median),
        ratioP90: r3(a.p90 / b.p90),
        deltaMedianMs: r3(a.median - b.median),
        deltaP90Ms: r3(a.p90 - b.p90),
        ktsExcessMedianMs: r3(a.median - exp),
        keepalivedExcessMedianMs: r3(b.median - exp),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- resources

interface ProcSample {
  pid: number;
  /** 'main' (keepalived-ts), 'parent' / 'vrrp' (keepalived). */
  role: string;
  comm: string;
  threads: number;
  /** VmRSS samples (kB), one per second. */
  rssKb: number[];
  /** Pss from smaps_rollup (kB), one per second: shared pages split between sharers (depends on what else runs). */
  pssKb: number[];
  /** RssAnon (kB), one per second: the process's own heap and stacks, independent of other processes. */
  anonKb: number[];
  rssMedianKb: number;
  rssMaxKb: number;
  pssMedianKb: number;
  anonMedianKb: number;
  /** CPU time over the window, % of one core: on-CPU ns summed over the threads (/proc/<pid>/task/<tid>/schedstat). */
  cpuPct: number;
  cpuNs: number;
  /** The same from utime+stime in clock ticks (10 ms resolution), as a cross-check. */
  cpuPctTicks: number;
  cpuTicks: number;
}

interface Totals {
  rssKb: number;
  pssKb: number;
  anonKb: number;
  cpuPct: number;
}

interface ResourceRun {
  kind: PeerKind;
  mode: Mode['key'];
  instances: number;
  windowS: number;
  master: ProcSample[];
  backup: ProcSample[];
  masterTotal: Totals;
  backupTotal: Totals;
  /** n = 1: master advert periods over the window (ms). */
  advertPeriod?: Stats & { p99: number; count: number };
  machineBusyPct: number;
  startToSettledMs: number;
}


function roleOf(peer: Peer, pid: number): string {
  if (peer.kind === 'kts') return pid === peer.pid ? 'main' : 'child';
  if (pid === peer.pid) return 'parent';
  const vrrp = Number(readFileOr(path.join(peer.dir, 'vrrp.pid')).trim());
  return pid === vrrp ? 'vrrp' : 'child';
}

async function sampleProcesses(peers: Peer[], windowMs: number): Promise<ProcSample[][]> {
  const sets = peers.map((p) => processTree(p.pid).map((pid) => ({ peer: p, pid })));
  const all = sets.flat();
  const rss = new Map<number, number[]>(all.map((x) => [x.pid, []]));
  const pss = new Map<number, number[]>(all.map((x) => [x.pid, []]));
  const anon = new Map<number, number[]>(all.map((x) => [x.pid, []]));
  const t0 = process.hrtime.bigint();
  const c0 = new Map(all.map((x) => [x.pid, cpuTicks(x.pid)]));
  const n0 = new Map(all.map((x) => [x.pid, cpuNs(x.pid)]));
  const end = Date.now() + windowMs;
  for (;;) {
    for (const x of all) {
      rss.get(x.pid)!.push(statusKb(x.pid, 'VmRSS'));
      pss.get(x.pid)!.push(pssKb(x.pid));
      anon.get(x.pid)!.push(statusKb(x.pid, 'RssAnon'));
    }
    const left = end - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(1000, left));
  }
  const c1 = new Map(all.map((x) => [x.pid, cpuTicks(x.pid)]));
  const n1 = new Map(all.map((x) => [x.pid, cpuNs(x.pid)]));
  const dtS = Number(process.hrtime.bigint() - t0) / 1e9;
  return sets.map((set) =>
    set.map(({ peer, pid }) => {
      const ticks = c1.get(pid)! - c0.get(pid)!;
      const ns = n1.get(pid)! - n0.get(pid)!;
      const rs = rss.get(pid)!;
      const ps = pss.get(pid)!;
      const an = anon.get(pid)!;
      return {
        pid,
        role: roleOf(peer, pid),
        comm: readFileOr(`/proc/${pid}/comm`).trim(),
        threads: statusKb(pid, 'Threads'),
        rssKb: rs,
        pssKb: ps,
        anonKb: an,
        rssMedianKb: stats(rs).median,
        rssMaxKb: stats(rs).max,
        pssMedianKb: stats(ps).median,
        anonMedianKb: stats(an).median,
        cpuPct: r3((100 * ns) / 1e9 / dtS),
        cpuNs: ns,
        cpuPctTicks: r3((100 * ticks) / CLK_TCK / dtS),
        cpuTicks: ticks,
      };
    }),
  );
}

function total(ps: ProcSample[]): Totals {
  return {
    rssKb: ps.reduce((a, p) => a + p.rssMedianKb, 0),
    pssKb: ps.reduce((a, p) => a + p.pssMedianKb, 0),
    anonKb: ps.reduce((a, p) => a + p.anonMedianKb, 0),
    cpuPct: r3(ps.reduce((a, p) => a + p.cpuPct, 0)),
  };
}

async function resourceRun(lab: Lab, kind: PeerKind, m: Mode, n: number, o: Options): Promise<ResourceRun> {
  const pair = new Pair(lab, kind, m, n);
  try {
    const t0 = Date.now();
    await pair.start();
    const settledMs = Date.now() - t0;
    // Past the second gratuitous ARP burst (garp_master_delay 5 s) and start-up garbage.
    await sleep(6500);
    if (!pair.healthy()) throw new Error(`${kind} ${n}x${m.key} pair not settled`);
    const cap = n === 1 ? await lab.capture({ filter: ['vrrp'] }) : undefined;
    const cpu0 = cpuTotals();
    let sampled: ProcSample[][];
    let res: Awaited<ReturnType<Capture['stop']>> | undefined;
    try {
      sampled = await sampleProcesses([pair.master, pair.backup], o.sampleS * 1000);
    } finally {
      res = await cap?.stop();
    }
    const cpu1 = cpuTotals();
    if (!pair.healthy()) throw new Error(`${kind} ${n}x${m.key} pair changed state while sampled`);
    const [master, backup] = sampled;
    const run: ResourceRun = {
      kind,
      mode: m.key,
      instances: n,
      windowS: o.sampleS,
      master,
      backup,
      masterTotal: total(master),
      backupTotal: total(backup),
      machineBusyPct: r1(busyPct(cpu0, cpu1)),
      startToSettledMs: settledMs,
    };
    if (res) {
      const ts = advertsFrom(vrrpFrames(res.timed), lab.ipv4(1), 51).map((f) => f.t);
      const periods = ts.slice(1).map((t, i) => t - ts[i]);
      const st = stats(periods);
      run.advertPeriod = { ...st, p99: percentile([...periods].sort((a, b) => a - b), 99), count: periods.length };
      for (const k of ['median', 'p90', 'min', 'max', 'mean', 'p99'] as const) run.advertPeriod[k] = r3(run.advertPeriod[k]);
    }
    return run;
  } finally {
    await pair.stop();
  }
}

interface ResourceCase {
  mode: Mode;
  instances: number;
}

const RESOURCE_CASES: ResourceCase[] = [
  { mode: MODES[0], instances: 1 },
  { mode: MODES[1], instances: 1 },
  { mode: MODES[0], instances: 100 },
  { mode: MODES[1], instances: 100 },
];

// ---------------------------------------------------------------- report


const EVENT_LABEL: Record<Event, string> = { kill9: 'kill -9 failover', sigterm: 'SIGTERM handover' };
const MODE_LABEL: Record<Mode['key'], string> = { 'v2-1s': 'VRRPv2 1 s', 'v3-0.1s': 'VRRPv3 0.1 s', 'v3-0.01s': 'VRRPv3 0.01 s' };

function takeoverRows(sum: TakeoverSummary[]): string[][] {
  const rows = [
    ['case', 'expected ms', 'kts median', 'kts p90', 'kts min-max', 'ka median', 'ka p90', 'ka min-max', 'ratio median', 'ratio p90', 'delta median ms'],
  ];
  for (const s of sum) {
    rows.push([
      `${EVENT_LABEL[s.event]}, ${MODE_LABEL[s.mode]}`,
      fmt(s.expectedMs),
      fmt(s.kts.median),
      fmt(s.kts.p90),
      `${fmt(s.kts.min)}-${fmt(s.kts.max)}`,
      fmt(s.keepalived.median),
      fmt(s.keepalived.p90),
      `${fmt(s.keepalived.min)}-${fmt(s.keepalived.max)}`,
      fmt(s.ratioMedian, 3),
      fmt(s.ratioP90, 3),
      fmt(s.deltaMedianMs),
    ]);
  }
  return rows;
}

function resourceRows(runs: ResourceRun[]): string[][] {
  const rows = [['case', 'implementation', 'role', 'processes (RSS, CPU)', 'RSS MB', 'anon MB', 'PSS MB', 'CPU % of a core', 'advert period p50/p99/max ms']];
  for (const r of runs) {
    for (const role of ['master', 'backup'] as const) {
      const ps = r[role];
      const t = role === 'master' ? r.masterTotal : r.backupTotal;
      rows.push([
        `${r.instances} x ${MODE_LABEL[r.mode]}`,
        LABEL[r.kind],
        role,
        ps.map((p) => `${p.role}:${mb(p.rssMedianKb)}MB/${fmt(p.cpuPct, 2)}%`).join(' '),
        mb(t.rssKb),
        mb(t.anonKb),
        mb(t.pssKb),
        fmt(t.cpuPct, 2),
        role === 'master' && r.advertPeriod ? `${fmt(r.advertPeriod.median)}/${fmt(r.advertPeriod.p99)}/${fmt(r.advertPeriod.max)}` : '',
      ]);
    }
  }
  return rows;
}

interface ResourceRatio {
  mode: Mode['key'];
  instances: number;
  role: 'master' | 'backup';
  rssRatio: number;
  anonRatio: number;
  pssRatio: number;
  cpuRatio: number;
}

function resourceRatios(runs: ResourceRun[]): ResourceRatio[] {
  const out: ResourceRatio[] = [];
  for (const c of RESOURCE_CASES) {
    const a = runs.find((r) => r.kind === 'kts' && r.mode === c.mode.key && r.instances === c.instances);
    const b = runs.find((r) => r.kind === 'keepalived' && r.mode === c.mode.key && r.instances === c.instances);
    if (!a || !b) continue;
    for (const role of ['master', 'backup'] as const) {
      const ta = role === 'master' ? a.masterTotal : a.backupTotal;
      const tb = role === 'master' ? b.masterTotal : b.backupTotal;
      out.push({
        mode: c.mode.key,
        instances: c.instances,
        role,
        rssRatio: r3(ta.rssKb / tb.rssKb),
        anonRatio: r3(ta.anonKb / tb.anonKb),
        pssRatio: r3(ta.pssKb / tb.pssKb),
        cpuRatio: r3(tb.cpuPct > 0 ? ta.cpuPct / tb.cpuPct : NaN),
      });
    }
  }
  return out;
}

function ratioRows(rr: ResourceRatio[], runs: ResourceRun[]): string[][] {
  const rows = [['case', 'role', 'kts RSS MB', 'ka RSS MB', 'RSS ratio', 'kts anon MB', 'ka anon MB', 'anon ratio', 'kts CPU %', 'ka CPU %', 'CPU ratio']];
  for (const r of rr) {
    const a = runs.find((x) => x.kind === 'kts' && x.mode === r.mode && x.instances === r.instances)!;
    const b = runs.find((x) => x.kind === 'keepalived' && x.mode === r.mode && x.instances === r.instances)!;
    const ta = r.role === 'master' ? a.masterTotal : a.backupTotal;
    const tb = r.role === 'master' ? b.masterTotal : b.backupTotal;
    rows.push([
      `${r.instances} x ${MODE_LABEL[r.mode]}`,
      r.role,
      mb(ta.rssKb),
      mb(tb.rssKb),
      fmt(r.rssRatio, 2),
      mb(ta.anonKb),
      mb(tb.anonKb),
      fmt(r.anonRatio, 2),
      fmt(ta.cpuPct, 2),
      fmt(tb.cpuPct, 2),
      fmt(r.cpuRatio, 1),
    ]);
  }
  return rows;
}


// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const why = labUnavailableReason();
  if (why) {
    process.stderr.write(`bench/failover: ${why}; run as root: sudo node dist/bench/failover.js\n`);
    return 2;
  }
  const started = Date.now();
  const samples: TakeoverSample[] = [];
  const failures: unknown[] = [];
  const runs: ResourceRun[] = [];
  const labs = {} as Record<PeerKind, Lab>;
  const machine = {
    hostname: os.hostname(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    kernel: os.release(),
    node: process.version,
    keepalived: keepalivedVersion(),
    keepalivedTs: gitCommit(),
    loadavgStart: os.loadavg().map(r3),
    clkTck: CLK_TCK,
  };
  log(`bench/failover: rounds ${o.rounds}, sample ${o.sampleS} s; ${machine.cpus} cores, load ${machine.loadavgStart.join(' ')}`);
  try {
    // Two identical labs, one per implementation, built the same way.
    for (const k of KINDS) labs[k] = await Lab.create({ hosts: 2, v6: false });
    if (o.takeover) await runTakeovers(o, labs, samples, failures);
    if (o.resources) {
      for (const c of RESOURCE_CASES) {
        // Alternate which implementation goes first.
        const order = runs.length % 4 === 0 ? KINDS : [...KINDS].reverse();
        for (const k of order) {
          log(`resources: ${LABEL[k]} ${c.instances} x ${c.mode.key}, ${o.sampleS} s window`);
          const r = await resourceRun(labs.kts, k, c.mode, c.instances, o);
          runs.push(r);
          log(
            `  master ${mb(r.masterTotal.rssKb)} MB RSS ${fmt(r.masterTotal.cpuPct, 2)}% CPU; backup ${mb(r.backupTotal.rssKb)} MB RSS ${fmt(r.backupTotal.cpuPct, 2)}% CPU (machine ${r.machineBusyPct}% busy)`,
          );
        }
      }
    }
  } finally {
    for (const k of KINDS) await labs[k]?.destroy();
  }
  const elapsedS = Math.round((Date.now() - started) / 1000);
  const sum = summarizeTakeovers(samples);
  const rr = resourceRatios(runs);
  const result = {
    bench: 'failover',
    date: new Date(started).toISOString(),
    elapsedS,
    options: { rounds: o.rounds, quick: o.quick, sampleS: o.sampleS },
    machine: { ...machine, loadavgEnd: os.loadavg().map(r3) },
    method: {
      topology: 'two identical labs (one per implementation): 2 hosts on a bridge; host 1 master priority 150, host 2 backup priority 100, same config text for both implementations',
      takeover: 'bridge capture (tcpdump); kill -9: old master last advert -> new master first advert (daemon tree SIGKILLed, then host 1 link down); SIGTERM: priority 0 advert -> new master first advert',
      order: 'implementations alternate round by round (kts, keepalived, kts, ...), per mode and event',
      percentiles: 'linear interpolation between closest ranks',
      resources: 'VmRSS, RssAnon and Pss (smaps_rollup) sampled each second, medians; CPU = on-CPU ns over the window summed over threads (schedstat), % of one core (cpuPctTicks: utime+stime / CLK_TCK); keepalived: parent + VRRP child (-P), summed',
    },
    takeover: { summary: sum, samples, failures },
    resources: { runs, ratios: rr },
  };
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(result, null, 1) + '\n');

  const outLines: string[] = [];
  outLines.push(`bench/failover — keepalived-ts ${machine.keepalivedTs} vs ${machine.keepalived}; ${machine.cpus} cores, ${machine.cpuModel}; node ${machine.node}`);
  outLines.push(`${o.rounds} rounds per case, alternating; ${elapsedS} s total; failed attempts: ${failures.length}`);
  if (sum.length) {
    outLines.push('', 'Takeover on the wire (ms); ratio = keepalived-ts / keepalived; delta = keepalived-ts - keepalived', table(takeoverRows(sum)));
  }
  if (runs.length) {
    outLines.push('', `Resources over a ${o.sampleS} s window after settling (RSS/PSS medians; CPU % of one core)`, table(resourceRows(runs)));
    outLines.push('', 'Resource ratios (keepalived-ts / keepalived, per host)', table(ratioRows(rr, runs)));
  }
  outLines.push('', '--- Markdown (README) ---', '');
  if (sum.length) {
    const md = takeoverRows(sum).map((r) => [r[0], r[1], r[2], r[3], r[5], r[6], r[8], r[9]]);
    md[0] = ['Takeover (ms, on the wire)', 'protocol', 'keepalived-ts median', 'p90', 'keepalived median', 'p90', 'ratio median', 'ratio p90'];
    outLines.push(mdTable(md), '');
  }
  if (runs.length) {
    const md = ratioRows(rr, runs);
    md[0] = ['Per host', 'role', 'keepalived-ts RSS MB', 'keepalived RSS MB', 'ratio', 'keepalived-ts anon MB', 'keepalived anon MB', 'ratio', 'keepalived-ts CPU %', 'keepalived CPU %', 'ratio'];
    outLines.push(mdTable(md), '');
  }
  outLines.push(`Raw samples: ${path.relative(process.cwd(), o.out) || o.out}`);
  process.stdout.write(outLines.join('\n') + '\n');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench/failover: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
