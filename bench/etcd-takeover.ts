/**
 * Takeover time of an etcd-elected VIP against the lease TTL (issue 12).
 *
 * For each TTL (default 2, 3 and 5 s; safety margin default max(0.3 s, TTL/10)):
 * a 3-member etcd 3.4 cluster (lab hosts 3-5) and two keepalived-ts hosts
 * (1 and 2, equal priority, so a restarted host does not preempt), the VIP
 * sampled every 10 ms on both. Each round, after a random wait within one
 * keepalive period (the phase of the failure against the keepalives varies):
 *  - kill -9 of the holder (the whole daemon tree; the host stays up, its VIP
 *    ends by the kernel lifetime the grant gave it): kill -> the other host holds;
 *  - SIGTERM of the holder: signal -> the other host holds;
 *  - the holder cut off from every etcd member (nftables in that host):
 *    cut -> the holder drops (bound: TTL - margin), cut -> the other holds.
 * Two holders at any sample is reported (and must be 0).
 *
 *   sudo node dist/bench/etcd-takeover.js [--ttl 2,3,5] [--rounds N] [--out FILE]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lab, labUnavailableReason } from '../test/e2e/harness/netns';
import { startKts, type Peer } from '../test/e2e/harness/peers';
import { cutOff, EtcdCluster, etcdUnavailable, reconnect, VipTimeline } from '../test/e2e/harness/etcd';
import { defaultMarginMs } from '../src/config/sections/election';
import { gitCommit, log, mdTable, REPO, sleep, stats, fmt } from './lib';

const VIP = '192.0.2.100';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

interface TtlResult {
  ttlMs: number;
  marginMs: number;
  crash: number[];
  sigterm: number[];
  cutDrop: number[];
  cutTakeover: number[];
  overlaps: number;
}

async function runTtl(ttlMs: number, rounds: number): Promise<TtlResult> {
  const lab = await Lab.create({ hosts: 5, v6: false });
  const peers = new Map<number, Peer>();
  let etcd: EtcdCluster | undefined;
  let tl: VipTimeline | undefined;
  const res: TtlResult = { ttlMs, marginMs: defaultMarginMs(ttlMs), crash: [], sigterm: [], cutDrop: [], cutTakeover: [], overlaps: 0 };
  try {
    etcd = await EtcdCluster.start(lab, [3, 4, 5]);
    tl = new VipTimeline(lab, VIP, [1, 2], 10);
    const text = (h: number) => `global_defs {\n  router_id host${h}\n}\netcd_election E {\n  endpoints ${etcd!.endpoints().join(' ')}\n  key_prefix /bench\n  lease_ttl ${ttlMs / 1000}\n}\n` +
      `vrrp_instance VI_1 {\n  interface eth0\n  election E\n  priority 100\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
    const start = (h: number) => peers.set(h, startKts(lab, h, text(h)));
    start(1);
    await tl.waitHeldBy([1], 0, 20_000);
    start(2);
    await peers.get(2)!.waitState('BACKUP');
    const holder = () => tl!.holdersAt(Date.now() - 15)[0];
    /** Host h, stopped or killed, runs again (a follower: equal priority never preempts). */
    const restart = async (h: number) => {
      await peers.get(h)!.waitExit().catch(() => undefined);
      start(h);
      await peers.get(h)!.waitState('BACKUP', 'VI_1', 15_000);
    };
    const phase = () => sleep(500 + Math.random() * (ttlMs / 3));
    for (let r = 0; r < rounds; r++) {
      // kill -9
      let h = holder();
      let o = h === 1 ? 2 : 1;
      await phase();
      let t0 = Date.now();
      peers.get(h)!.crash(); // the host stays up: its VIP ends by its kernel lifetime
      res.crash.push((await tl.waitHeldBy([o], t0, 4 * ttlMs)) - t0);
      await restart(h);
      // SIGTERM
      [h, o] = [o, h];
      await phase();
      t0 = Date.now();
      peers.get(h)!.signal('SIGTERM');
      res.sigterm.push((await tl.waitHeldBy([o], t0, 4 * ttlMs)) - t0);
      await restart(h);
      // cut off from etcd
      [h, o] = [o, h];
      await phase();
      t0 = Date.now();
      await cutOff(lab, h, [3, 4, 5].map((x) => lab.ipv4(x)));
      const took = await tl.waitHeldBy([o], t0, 4 * ttlMs);
      res.cutTakeover.push(took - t0);
      res.cutDrop.push((tl.droppedAt(h, t0) ?? NaN) - t0);
      await reconnect(lab, h);
      await peers.get(h)!.waitState('BACKUP', 'VI_1', 15_000);
      log(`TTL ${ttlMs / 1000} s round ${r + 1}: kill -9 ${fmt(res.crash.at(-1)!, 0)} ms, SIGTERM ${fmt(res.sigterm.at(-1)!, 0)} ms, cut: drop ${fmt(res.cutDrop.at(-1)!, 0)} / takeover ${fmt(took - t0, 0)} ms`);
    }
    res.overlaps = tl.overlaps().length;
  } finally {
    for (const p of peers.values()) await p.stop().catch(() => undefined);
    tl?.stop();
    await etcd?.stop();
    await lab.destroy();
  }
  return res;
}

async function main(): Promise<void> {
  const why = labUnavailableReason() ?? etcdUnavailable();
  if (why) throw new Error(why);
  const ttls = arg('ttl', '2,3,5').split(',').map((s) => Number(s) * 1000);
  const rounds = Number(arg('rounds', '5'));
  const out = arg('out', path.join(REPO, 'bench', 'results', 'etcd-takeover.json'));
  const results: TtlResult[] = [];
  for (const t of ttls) results.push(await runTtl(t, rounds));
  const s = (xs: number[]) => {
    const st = stats(xs);
    return `${fmt(st.median, 0)} (${fmt(st.min, 0)}-${fmt(st.max, 0)})`;
  };
  const rows = [['lease_ttl (margin)', 'kill -9 takeover ms', 'bound TTL + 1 s', 'cut off: holder drops ms', 'bound TTL - margin', 'cut off: takeover ms', 'SIGTERM handover ms', 'two holders']];
  for (const r of results) {
    rows.push([`${r.ttlMs / 1000} s (${r.marginMs / 1000} s)`, s(r.crash), String(r.ttlMs + 1000), s(r.cutDrop), String(r.ttlMs - r.marginMs), s(r.cutTakeover), s(r.sigterm), String(r.overlaps)]);
  }
  const md = mdTable(rows);
  console.log(`\nmedian (min-max) of ${rounds} rounds each, commit ${gitCommit()}\n\n${md}\n`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ commit: gitCommit(), rounds, results, table: md }, null, 2) + '\n');
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
