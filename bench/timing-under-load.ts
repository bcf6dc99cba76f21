/**
 * VRRP timing under load (issue 9): does anything the daemon does besides
 * VRRP delay an advert enough to cause a false failover?
 *
 * Scenario (test/e2e/harness/load.ts): host 1 is the master of VI_1 at the
 * interval under test and carries the load - 50 vrrp_scripts per second, 20
 * other instances flapping with notify scripts on every transition, and
 * (keepalived-ts only: keepalived needs IPVS for checkers) 200 HTTP_GET
 * checks of a 256 KB page with digest every second plus 150 MB of heap
 * churn in the main process. Host 2 is an idle keepalived-ts backup: each of
 * its takeovers is a false failover. On a busy machine (default) host 3 also
 * runs one busy loop per core at nice 10, as a database host's batch work.
 *
 * For each advert_int and implementation (keepalived-ts, then keepalived
 * 2.2.7 as master with the load it can carry) it measures, over --seconds:
 *  - the master's advert gaps on the wire (bridge capture): p50, p99, max,
 *    and the period (median gap) against the configured interval;
 *  - false takeovers (the backup entering MASTER);
 *  - the CPU of the master's VRRP process, and of all its processes.
 * Then, with no load, the CPU per advert sent (master) and received
 * (backup) of each implementation's VRRP process at advert_int 0.01.
 *
 *   sudo node dist/bench/timing-under-load.js [--seconds S] [--adverts 0.01,0.05,0.1]
 *       [--impl kts,keepalived] [--quiet-machine] [--skip-cpu] [--out FILE]
 *
 * Root only; everything runs inside the lab's namespaces and is torn down.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lab, labUnavailableReason } from '../test/e2e/harness/netns';
import { startPeer, type Peer, type PeerKind } from '../test/e2e/harness/peers';
import { conf, instance } from '../test/e2e/harness/conf';
import {
  falseTakeovers, FULL_LOAD, gaps, masterAdvertTimes, startBurners, startFlapping, startPair, startWebServers, type LoadOptions,
} from '../test/e2e/harness/load';
import { descendants } from '../test/e2e/harness/proctree';
import { cpuNs, fmt, gitCommit, keepalivedVersion, log, mdTable, percentile, REPO, sleep, table } from './lib';

interface Options {
  seconds: number;
  adverts: string[];
  impls: PeerKind[];
  busy: boolean;
  cpu: boolean;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 180,
    adverts: ['0.01', '0.05', '0.1'],
    impls: ['kts', 'keepalived'],
    busy: true,
    cpu: true,
    out: path.join(REPO, 'bench', 'results', 'timing-under-load.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--adverts') o.adverts = argv[++i].split(',');
    else if (a === '--impl') o.impls = argv[++i].split(',') as PeerKind[];
    else if (a === '--quiet-machine') o.busy = false;
    else if (a === '--skip-cpu') o.cpu = false;
    else if (a === '--out') o.out = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const LABEL: Record<PeerKind, string> = { kts: 'keepalived-ts', keepalived: 'keepalived 2.2.7' };

interface LoadResult {
  impl: PeerKind;
  advert: string;
  seconds: number;
  adverts: number;
  advertsPerS: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
  /** Median gap over the configured interval, minus 1, in %. */
  periodErrPct: number;
  falseTakeovers: number;
  vrrpCpuPct: number;
  totalCpuPct: number;
  load: string;
}

/** CPU % of one core used by `pids` between two readings. */
function cpuOf(pids: number[], ns0: Map<number, number>, dtS: number): number {
  let sum = 0;
  for (const p of pids) {
    const a = ns0.get(p);
    const b = cpuNs(p);
    if (a !== undefined && Number.isFinite(a) && Number.isFinite(b)) sum += b - a;
  }
  return (100 * sum) / 1e9 / dtS;
}

async function vrrpPid(p: Peer): Promise<number> {
  if (p.kind === 'kts') return p.childPid('vrrp');
  return Number(fs.readFileSync(path.join(p.dir, 'vrrp.pid'), 'utf8').trim());
}

async function loadRun(lab: Lab, impl: PeerKind, advert: string, o: Options, md5: string): Promise<LoadResult> {
  const lo: LoadOptions = { advert, ...FULL_LOAD, realServers: impl === 'kts' ? FULL_LOAD.realServers : 0, churnMb: impl === 'kts' ? FULL_LOAD.churnMb : 0 };
  const flapFile = path.join(lab.dir, 'flap');
  const stopFlap = startFlapping(flapFile);
  const run = await startPair(lab, impl, lo, md5, flapFile);
  try {
    await sleep(3000); // past the first checks and the start-up bursts
    const vpid = await vrrpPid(run.master);
    const all = descendants(run.master.pid);
    const ns0 = new Map(all.map((p) => [p, cpuNs(p)]));
    const t0 = process.hrtime.bigint();
    const from = run.backup.log.length;
    const cap = await lab.capture({ filter: ['vrrp'], realtime: true });
    await sleep(o.seconds * 1000);
    const timed = (await cap.stop()).timed;
    const dtS = Number(process.hrtime.bigint() - t0) / 1e9;
    const times = masterAdvertTimes(lab, timed);
    const g = gaps(times).sort((a, b) => a - b);
    const intervalMs = Number(advert) * 1000;
    return {
      impl,
      advert,
      seconds: o.seconds,
      adverts: times.length,
      advertsPerS: times.length / dtS,
      gapP50: percentile(g, 50),
      gapP99: percentile(g, 99),
      gapMax: g[g.length - 1] ?? NaN,
      periodErrPct: (100 * (percentile(g, 50) - intervalMs)) / intervalMs,
      falseTakeovers: falseTakeovers({ ...run, from }),
      vrrpCpuPct: cpuOf([vpid], ns0, dtS),
      totalCpuPct: cpuOf(all, ns0, dtS),
      load: impl === 'kts'
        ? `${lo.scripts} scripts/s, ${lo.flappers} flapping instances, ${lo.realServers} HTTP_GET of ${lo.pageKb} KB, ${lo.churnMb} MB churn`
        : `${lo.scripts} scripts/s, ${lo.flappers} flapping instances`,
    };
  } finally {
    stopFlap();
    await run.master.stop();
    await run.backup.stop();
  }
}

interface CpuResult {
  impl: PeerKind;
  role: 'master' | 'backup';
  advertsPerS: number;
  vrrpCpuPct: number;
  /** µs of CPU per advert sent (master) or received (backup), VRRP process only. */
  usPerAdvert: number;
}

/** No load: the VRRP process's CPU per advert, at advert_int 0.01. */
async function cpuRun(lab: Lab, impl: PeerKind, seconds: number): Promise<CpuResult[]> {
  const c = (prio: number) => conf([], instance({ priority: prio, vips: ['192.0.2.100/24'], advert: '0.01', version: 3 }));
  const backup = startPeer(impl, lab, 2, c(100));
  const master = startPeer(impl, lab, 1, c(150));
  try {
    await master.waitState('MASTER', 'VI_1', 20_000);
    await backup.waitState('BACKUP', 'VI_1', 20_000);
    await sleep(7000); // past the delayed GARP burst
    const pids = { master: await vrrpPid(master), backup: await vrrpPid(backup) };
    const ns0 = new Map([pids.master, pids.backup].map((p) => [p, cpuNs(p)]));
    const t0 = process.hrtime.bigint();
    const cap = await lab.capture({ filter: ['vrrp'] });
    await sleep(seconds * 1000);
    const times = masterAdvertTimes(lab, (await cap.stop()).timed);
    const dtS = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = times.length / dtS;
    return (['master', 'backup'] as const).map((role) => {
      const pct = cpuOf([pids[role]], ns0, dtS);
      return { impl, role, advertsPerS: rate, vrrpCpuPct: pct, usPerAdvert: (pct / 100) * 1e6 / rate };
    });
  } finally {
    await master.stop();
    await backup.stop();
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const why = labUnavailableReason();
  if (why) {
    process.stderr.write(`bench/timing-under-load: ${why}; run as root\n`);
    return 2;
  }
  const lab = await Lab.create({ hosts: 3, v6: false });
  const results: LoadResult[] = [];
  const cpu: CpuResult[] = [];
  try {
    const web = await startWebServers(lab, FULL_LOAD.realServers, FULL_LOAD.pageKb);
    if (o.busy) startBurners(lab, os.cpus().length);
    for (const advert of o.adverts) {
      for (const impl of o.impls) {
        log(`${LABEL[impl]} at advert_int ${advert}, ${o.seconds} s under load${o.busy ? ', busy machine' : ''}`);
        const r = await loadRun(lab, impl, advert, o, web.md5);
        log(`  gaps p50/p99/max ${fmt(r.gapP50, 2)}/${fmt(r.gapP99, 2)}/${fmt(r.gapMax, 2)} ms, period ${fmt(r.periodErrPct, 2)} %, false takeovers ${r.falseTakeovers}, VRRP CPU ${fmt(r.vrrpCpuPct, 2)} %`);
        results.push(r);
      }
    }
    if (o.cpu) {
      web.proc.kill();
      await lab.destroy();
    }
  } finally {
    await lab.destroy();
  }
  if (o.cpu) {
    const quiet = await Lab.create({ hosts: 2, v6: false });
    try {
      for (const impl of o.impls) {
        log(`${LABEL[impl]}: CPU per advert, no load, advert_int 0.01`);
        cpu.push(...(await cpuRun(quiet, impl, Math.min(60, Math.max(20, o.seconds / 3)))));
      }
    } finally {
      await quiet.destroy();
    }
  }

  const rows = [
    ['implementation', 'advert_int', 'load', 'adverts/s', 'gap p50 / p99 / max (ms)', 'period', 'false takeovers', 'VRRP process CPU %', 'all processes CPU %'],
    ...results.map((r) => [
      LABEL[r.impl], `${r.advert} s`, r.load, fmt(r.advertsPerS, 1),
      `${fmt(r.gapP50, 2)} / ${fmt(r.gapP99, 2)} / ${fmt(r.gapMax, 2)}`,
      `${r.periodErrPct >= 0 ? '+' : ''}${fmt(r.periodErrPct, 2)} %`, String(r.falseTakeovers), fmt(r.vrrpCpuPct, 2), fmt(r.totalCpuPct, 1),
    ]),
  ];
  const cpuRows = [
    ['implementation', 'role', 'adverts/s', 'VRRP process CPU %', 'µs CPU per advert'],
    ...cpu.map((c) => [LABEL[c.impl], c.role === 'master' ? 'master (sent)' : 'backup (received)', fmt(c.advertsPerS, 1), fmt(c.vrrpCpuPct, 2), fmt(c.usPerAdvert, 1)]),
  ];
  process.stdout.write(`\n${table(rows)}\n\n${cpu.length ? table(cpuRows) + '\n\n' : ''}`);
  process.stdout.write(`Markdown:\n\n${mdTable(rows)}\n\n${cpu.length ? mdTable(cpuRows) + '\n' : ''}`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify({ commit: gitCommit(), keepalived: keepalivedVersion(), date: new Date().toISOString(), options: o, results, cpu }, null, 2) + '\n');
  return results.some((r) => r.impl === 'kts' && r.falseTakeovers > 0) ? 1 : 0;
}

main().then((c) => process.exit(c), (e: unknown) => {
  process.stderr.write(`bench/timing-under-load: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
