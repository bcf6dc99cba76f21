/**
 * The soak (issue 10): three keepalived-ts hosts under a seeded random
 * schedule of faults for an hour (test/e2e/harness/soak.ts has the world, the
 * fault kinds and what is measured; soak-analysis.ts what it means):
 *
 *   - faults injected by kind, and the time from each heal (and, when the
 *     schedule waited for it, each injection) until every VIP is on exactly
 *     its expected host and every instance in its expected state: median,
 *     p99, max, against the protocol's bound;
 *   - moments a VIP was on two hosts (or none) beyond the bound: must be 0;
 *   - RSS and heap of every process: start, end and slope (KB/h) of the
 *     longest-lived main, VRRP and checker process of each host;
 *   - the VRRP processes' CPU during the floods against quiet periods;
 *   - leaks: fds, children and libuv handles (first against last quiet
 *     period), nftables rules, addresses and processes after the stop.
 *
 *   sudo node dist/bench/soak.js [--minutes 60] [--seed N] [--out FILE] [--sample S]
 *                                [--slack MS] [--rate PPS] [--covering]
 *   node dist/bench/soak.js --report bench/results/soak.json
 *
 * --covering runs the 2-minute test's schedule (every kind once) instead;
 * --report prints the tables of an earlier run's JSON.
 * Root only; everything runs inside the lab's namespaces and is torn down.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labUnavailableReason } from '../test/e2e/harness/netns';
import { coveringSchedule, Soak, type SoakResult } from '../test/e2e/harness/soak';
import {
  analyseVips, byKind, cpuSummary, dist, floodUnaccounted, leakRows, longestLived, resourceSlopes,
} from '../test/e2e/harness/soak-analysis';
import { INSTANCES } from '../test/e2e/harness/soak-scenario';
import { eachArg, fmt, gitCommit, log, mdTable, REPO, table } from './lib';

interface Options {
  minutes: number;
  seed: number;
  out: string;
  sampleS: number;
  slackMs: number;
  rate: number;
  covering: boolean;
  /** Print the tables of an earlier run's JSON instead of running. */
  report?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    minutes: 60,
    seed: Date.now() % 1_000_000,
    out: path.join(REPO, 'bench', 'results', 'soak.json'),
    sampleS: 10,
    slackMs: 300,
    rate: 10_000,
    covering: false,
  };
  eachArg(argv, (a, val) => {
    if (a === '--minutes') o.minutes = Number(val());
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--sample') o.sampleS = Number(val());
    else if (a === '--slack') o.slackMs = Number(val());
    else if (a === '--rate') o.rate = Number(val());
    else if (a === '--covering') o.covering = true;
    else if (a === '--report') o.report = path.resolve(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: sudo node dist/bench/soak.js [--minutes 60] [--seed N] [--out FILE] [--sample S] [--slack MS] [--rate PPS] [--covering]\n       node dist/bench/soak.js --report FILE\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  });
  if (!(o.minutes > 0) || !Number.isInteger(o.seed)) throw new Error('--minutes must be positive and --seed an integer');
  return o;
}

const ms = (x: number) => (Number.isFinite(x) ? fmt(x, 0) : x === Infinity ? 'never' : '-');
const kb = (x: number) => (Number.isFinite(x) ? fmt(x / 1024, 1) : '-');

interface Table {
  title: string;
  /** First row: the header. */
  rows: string[][];
}

/** The tables of a run. */
function tables(r: SoakResult): Table[] {
  return [faultTable(r), boundsTable(r), vipTable(r), memoryTable(r), floodTable(r), leakTable(r)];
}

function faultTable(r: SoakResult): Table {
  const kinds = byKind(r);
  return {
    title:
      'Faults and heals (ms, the slowest instance of each episode, over the episodes in which a VIP had to move (n); heal: from the fault ' +
      'healing, reaction: from the injection when the schedule waited for it; both from the start of the bound, see below)',
    rows: [
      ['fault', 'injected', 'heal median / p99 / max (n)', 'reaction median / p99 / max (n)', 'worst time / bound', 'beyond bound', 'restart / reload / detect median'],
      ...kinds.map((k) => {
        const moved = (xs: number[]) => {
          const d = dist(xs.filter((x) => x > 0));
          return d.n ? `${ms(d.median)} / ${ms(d.p99)} / ${ms(d.max)} (${d.n})` : '-';
        };
        const x = dist(k.extra);
        return [k.kind, String(k.count), moved(k.heal), moved(k.reaction), fmt(k.worstRatio, 2), String(k.violations), x.n ? ms(x.median) : '-'];
      }),
    ],
  };
}

function boundsTable(r: SoakResult): Table {
  return {
    title: 'Bounds (Master_Down_Interval at the lowest priority + one interval + slack), with every priority at its base',
    rows: [['instance', 'bound (ms)'], ...INSTANCES.map((i) => [`${i.name} (v${i.version}, ${i.advert} s)`, ms(r.bounds[i.name])])],
  };
}

function vipTable(r: SoakResult): Table {
  const v = analyseVips(r);
  return {
    title: 'VIP on two hosts or none (every VIP add/delete of the run)',
    rows: [
      ['what', 'moments', 'inside fault windows', 'beyond the bound', 'longest beyond (ms)'],
      ...(['split', 'none', 'stale'] as const).map((kind) => {
        const ms0 = v.moments.filter((m) => m.kind === kind);
        const b = ms0.filter((m) => m.beyondMs > 0);
        return [kind === 'split' ? 'on two or more hosts' : kind === 'none' ? 'on no host' : 'not configured but held', String(ms0.length), String(ms0.length - b.length), String(b.length), b.length ? ms(Math.max(...b.map((m) => m.beyondMs))) : '-'];
      }),
      ['VIP moves outside any fault', String(v.spuriousMoves.length), '-', String(v.spuriousMoves.length), '-'],
    ],
  };
}

function memoryTable(r: SoakResult): Table {
  const slopes = longestLived(resourceSlopes(r.samples, Math.min(300_000, (r.runEndedAt - r.startedAt) / 10)));
  return {
    title:
      'Memory of the longest-lived process of each host and role (after a warm-up; MB, slopes KB/h over the whole life and its second half; ' +
      'live heap: heapUsed just after each major collection, which is what a leak raises - heapUsed between collections also holds garbage)',
    rows: [
      ['host / process', 'lived (min)', 'RSS start', 'RSS end', 'RSS slope (2nd half)', 'live heap start / end', 'live heap slope (collections)'],
      ...slopes.map((s) => [
        `h${s.host} ${s.role}`, fmt((s.toMs - s.fromMs) / 60_000, 1), kb(s.rssStartKb), kb(s.rssEndKb), `${fmt(s.rssSlopeKbPerH, 0)} (${fmt(s.rssLateSlopeKbPerH, 0)})`,
        s.live ? `${kb(s.live.startKb)} / ${kb(s.live.endKb)}` : '-', s.live ? `${fmt(s.live.slopeKbPerH, 0)} (${s.live.collections})` : '-',
      ]),
    ],
  };
}

function floodTable(r: SoakResult): Table {
  const cpu = cpuSummary(r);
  const cf = dist(cpu.flood);
  const cq = dist(cpu.quiet);
  const floods = r.episodes.filter((e) => e.flood).map((e) => e.flood!);
  const sent = floods.reduce((a, f) => a + f.sent, 0);
  const counted = floods.reduce((a, f) => a + f.hosts.reduce((b, h) => b + h.counted, 0), 0);
  const kdrops = floods.reduce((a, f) => a + f.hosts.reduce((b, h) => b + h.kernelDrops, 0), 0);
  return {
    title: 'Floods (hostile packets from a fourth host; CPU in % of one core)',
    rows: [
      ['floods', 'packets sent', 'counted in drop counters (3 hosts)', 'kernel drops', 'unaccounted', 'transitions', 'VRRP CPU flood median / max', 'VRRP CPU quiet median / max', 'sender CPU median'],
      [
        String(floods.length), String(sent), String(counted), String(kdrops), String(floodUnaccounted(r).length), String(floods.reduce((a, f) => a + f.transitions, 0)),
        `${fmt(cf.median, 1)} / ${fmt(cf.max, 1)}`, `${fmt(cq.median, 1)} / ${fmt(cq.max, 1)}`, fmt(dist(cpu.sender).median, 1),
      ],
    ],
  };
}

function leakTable(r: SoakResult): Table {
  const leaks = leakRows(r);
  return {
    title: 'Leaks: after the start-up and at the last quiet period (each the minimum of 3 samples), and what the stop left',
    rows: [
      ['host / process', 'same pid', 'fds (most at a quiet check)', 'children', 'handles that differ'],
      ...leaks.map((l) => [
        `h${l.host} ${l.role}`, l.samePid ? 'yes' : 'no', `${l.fds[0]} -> ${l.fds[1]} (${l.fdsMax})`, `${l.children[0]} -> ${l.children[1]}`,
        Object.entries(l.handles).map(([k, [a, b]]) => `${k} ${a}->${b}`).join(', ') || 'none',
      ]),
      ['after the stop', '', '', '', `VIPs ${r.final.vipsLeft.length}, nft tables ${r.final.nftLeft.length}, processes ${r.final.processesLeft.length}`],
    ],
  };
}

/** Prints the tables, the Markdown, the errors and the neighbours; returns the exit status (1: a failure). */
function report(r: SoakResult): number {
  const ts = tables(r);
  for (const t of ts) process.stdout.write(`\n${t.title}\n${table(t.rows)}\n`);
  process.stdout.write('\nMarkdown:\n');
  for (const t of ts) process.stdout.write(`\n${t.title}:\n\n${mdTable(t.rows)}\n`);
  const errors = r.episodes.flatMap((e) => e.errors.map((x) => `#${e.n} ${e.plan.kind} h${e.plan.host}: ${x}`));
  if (r.aborted) process.stdout.write(`\nABORTED: ${r.aborted}\n`);
  if (errors.length) process.stdout.write(`\nErrors (${errors.length}):\n${errors.join('\n')}\n`);
  if (r.neighbours.length) process.stdout.write(`\nAlso running on the machine:\n${r.neighbours.map((n) => `  ${new Date(n.t).toISOString().slice(11, 19)} ${n.cmd}`).join('\n')}\n`);
  process.stdout.write(`\nmachine busy ${fmt(r.machineBusyPct, 1)} % over the run; ${r.episodes.length} episodes in ${fmt((r.runEndedAt - r.startedAt) / 60_000, 1)} min\n`);
  const v = analyseVips(r);
  return r.aborted || errors.length || v.beyond.length || v.spuriousMoves.length ? 1 : 0;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (o.report) return report((JSON.parse(fs.readFileSync(o.report, 'utf8')) as { result: SoakResult }).result);
  const why = labUnavailableReason();
  if (why) {
    process.stderr.write(`bench/soak: ${why}; run as root\n`);
    return 2;
  }
  log(`soak: ${o.covering ? 'every fault kind once' : `${o.minutes} min`}, seed ${o.seed}, slack ${o.slackMs} ms, flood ${o.rate}/s`);
  const soak = await Soak.create({
    seed: o.seed,
    durationMs: o.covering ? undefined : o.minutes * 60_000,
    plans: o.covering ? coveringSchedule(o.seed) : undefined,
    sampleMs: o.sampleS * 1000,
    slackMs: o.slackMs,
    floodRate: o.rate,
    // Host 3 is never killed, so its three processes live the whole hour and their memory slopes span it.
    longLived: 3,
    log,
  });
  let r: SoakResult;
  try {
    r = await soak.run();
  } finally {
    await soak.teardown();
  }
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify({ commit: gitCommit(), date: new Date(r.startedAt).toISOString(), options: o, analysis: { vips: analyseVips(r), kinds: byKind(r), leaks: leakRows(r) }, result: r }) + '\n');
  log(`raw data: ${o.out}`);
  return report(r);
}

main().then((c) => process.exit(c), (e: unknown) => {
  process.stderr.write(`bench/soak: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
