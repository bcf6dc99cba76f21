/**
 * Route move times of route_announce (issue 13), for the README.
 *
 * The e2e bed (test/e2e/harness/bgp.ts): an FRR 8.4 router (BFD 3 x 100 ms,
 * BGP timers 1/3, advertisement-interval 0) peering with two keepalived-ts
 * hosts (VRRPv3 every 0.1 s, priorities 150 / 100, the VIP announced by
 * route only) that run FRR 8.4 or BIRD 2, and a client behind the router
 * opening a TCP connection to the VIP every 20 ms. Each round, on the
 * master: kill -9 of its whole daemon tree, SIGTERM, a tracker fault
 * (track_file weight 0); measured on the router's FIB (ip monitor route):
 * event -> the old master's route withdrawn, event -> the route on the new
 * master only, and event -> the client's first answer from the new master.
 * The master comes back (preempts) between rounds.
 *
 *   sudo node dist/bench/bgp-takeover.js [--rounds N] [--routing frr,bird] [--out FILE]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lab, labUnavailableReason } from '../test/e2e/harness/netns';
import { frrMissing, wireBgpLab } from '../test/e2e/harness/frr';
import { birdMissing } from '../test/e2e/harness/bird';
import { BgpBed, type Move, type MoveEvent, type Routing } from '../test/e2e/harness/bgp';
import { eachArg, fmt, gitCommit, log, mdTable, REPO, sleep, stats } from './lib';

function parseArgs(argv: string[]): { rounds: number; kinds: Routing[]; out: string } {
  const o = { rounds: 10, kinds: ['frr', 'bird'] as Routing[], out: path.join(REPO, 'bench', 'results', 'bgp-takeover.json') };
  eachArg(argv, (a, val) => {
    if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--routing') o.kinds = val().split(',') as Routing[];
    else if (a === '--out') o.out = path.resolve(val());
    else throw new Error(`unknown argument ${a} (usage: --rounds N --routing frr,bird --out FILE)`);
  });
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error('--rounds must be a positive integer');
  return o;
}

const EVENTS: MoveEvent[] = ['kill -9 of the master', 'SIGTERM of the master', 'tracker fault on the master'];

async function runRouting(kind: Routing, rounds: number): Promise<Move[]> {
  const lab = await Lab.create({ hosts: 4 });
  let bed: BgpBed | undefined;
  const moves: Move[] = [];
  try {
    await wireBgpLab(lab);
    bed = await BgpBed.create(lab, kind);
    await bed.steady();
    for (let r = 0; r < rounds; r++) {
      for (const e of EVENTS) {
        await sleep(Math.random() * 100); // the failure's phase against the adverts varies
        const m = await bed.move(e);
        moves.push(m);
        log(`${kind} round ${r + 1}: ${e}: withdrawn ${fmt(m.withdrawMs, 0)} ms, moved ${fmt(m.moveMs, 0)} ms, client ${fmt(m.resumeMs, 0)} ms`);
        await sleep(300);
      }
    }
  } finally {
    await bed?.stop();
    await lab.destroy();
  }
  return moves;
}

async function main(): Promise<void> {
  const why = labUnavailableReason() ?? frrMissing() ?? birdMissing();
  if (why) throw new Error(why);
  const { rounds, kinds, out } = parseArgs(process.argv.slice(2));
  const all: Move[] = [];
  for (const k of kinds) all.push(...(await runRouting(k, rounds)));
  const cell = (xs: number[]) => {
    const st = stats(xs);
    return `${fmt(st.median, 0)} (${fmt(st.p90, 0)})`;
  };
  const rows = [['hosts run', 'event on the master', 'route withdrawn, ms', 'route on the new master, ms', 'client answered again, ms']];
  for (const k of kinds) {
    for (const e of EVENTS) {
      const ms = all.filter((m) => m.routing === k && m.event === e);
      rows.push([k === 'frr' ? 'FRR 8.4' : 'BIRD 2', e, cell(ms.map((m) => m.withdrawMs)), cell(ms.map((m) => m.moveMs)), cell(ms.map((m) => m.resumeMs))]);
    }
  }
  const md = mdTable(rows);
  console.log(`\nmedian (p90) of ${rounds} rounds each, commit ${gitCommit()}\n\n${md}\n`);
  fs.writeFileSync(out, JSON.stringify({ commit: gitCommit(), rounds, moves: all, table: md }, null, 2) + '\n');
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
