/**
 * Mixed VRRP groups: keepalived-ts and Debian's keepalived 2.2.7 in one
 * group, both directions, for each wire variant keepalived users run:
 * VRRPv2 with PASS authentication, VRRPv3 IPv4 (keepalived's pseudo-header
 * checksum), VRRPv3 IPv6, unicast peers with v2 and v3.
 *
 * Each case: the priority-150 host becomes MASTER and alone holds the VIP;
 * SIGTERM hands over to the priority-100 host; the first host comes back and
 * preempts. Afterwards keepalived's log has no complaint about a packet and
 * our drop counters are all zero.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labUnavailableReason, type Lab } from './harness/netns';
import { labSuite } from './harness/suite';
import { KEEPALIVED_PACKET_COMPLAINTS, startPeer, waitHolders, type Peer, type PeerKind } from './harness/peers';
import { conf, instance, type InstanceOptions } from './harness/conf';
import { vrrpFrames } from './harness/frames';

const why = labUnavailableReason() ?? (require('node:fs').existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');

interface Variant {
  name: string;
  vip: string;
  /** Instance options for host h (1 or 2) other than priority and VIP. */
  opts: (lab: Lab, h: number) => Partial<InstanceOptions>;
  family: 4 | 6;
}

const VARIANTS: Variant[] = [
  { name: 'VRRPv2 PASS auth', vip: '192.0.2.101', family: 4, opts: () => ({ version: 2, pass: 'secret12' }) },
  { name: 'VRRPv3 IPv4 (pseudo-header checksum)', vip: '192.0.2.102', family: 4, opts: () => ({ version: 3, advert: '1' }) },
  { name: 'VRRPv3 IPv6', vip: '2001:db8::102', family: 6, opts: () => ({ version: 3, advert: '1' }) },
  {
    name: 'VRRPv2 unicast',
    vip: '192.0.2.103',
    family: 4,
    opts: (lab, h) => ({ version: 2, unicastSrc: lab.ipv4(h), unicastPeers: [lab.ipv4(3 - h)] }),
  },
  {
    name: 'VRRPv3 unicast',
    vip: '192.0.2.104',
    family: 4,
    opts: (lab, h) => ({ version: 3, unicastSrc: lab.ipv4(h), unicastPeers: [lab.ipv4(3 - h)] }),
  },
];

const ORDERS: [PeerKind, PeerKind][] = [
  ['kts', 'keepalived'],
  ['keepalived', 'kts'],
];

describe(`e2e: interop with keepalived 2.2.7${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2 });
  let vrid = 60;

  for (const v of VARIANTS) {
    for (const [k1, k2] of ORDERS) {
      test(`${v.name}: ${k1} MASTER (150) + ${k2} BACKUP (100); handover on SIGTERM and preemption back`, async () => {
        const id = vrid++;
        const prefix = v.family === 4 ? 24 : 64;
        const text = (h: number) =>
          conf([`router_id h${h}`], instance({ vrid: id, priority: h === 1 ? 150 : 100, vips: [`${v.vip}/${prefix}`], ...v.opts(suite.lab, h) }));
        const cap = await suite.lab.capture({ filter: [v.family === 4 ? 'ip proto 112' : 'ip6 proto 112'] });
        const start = (h: number, kind: PeerKind) => {
          const p = startPeer(kind, suite.lab, h, text(h));
          suite.track(p);
          return p;
        };
        const a = start(1, k1);
        const b = start(2, k2);
        await a.waitState('MASTER', 'VI_1', 15_000);
        await b.waitState('BACKUP');
        await waitHolders(suite.lab, v.vip, [1]);

        a.signal('SIGTERM');
        await a.waitExit();
        await b.waitState('MASTER', 'VI_1', 5000);
        await waitHolders(suite.lab, v.vip, [2]);

        const a2 = start(1, k1);
        await a2.waitState('MASTER', 'VI_1', 15_000);
        await b.waitState('BACKUP');
        await waitHolders(suite.lab, v.vip, [1]);

        const ours = [a2, b].find((p) => p.kind === 'kts')!;
        const st = (await ours.status()).instances.find((i) => i.name === 'VI_1')!;
        const drops = Object.entries(st.counters).filter(([k, n]) => !/^(advert_rcvd|advert_sent|become_master|release_master|pri_zero_rcvd|pri_zero_sent)$/.test(k) && n !== 0);
        assert.deepEqual(drops, [], 'keepalived-ts dropped none of keepalived\'s adverts');
        assert.ok(st.counters.advert_rcvd > 0);

        await a2.stop();
        await b.stop();
        const frames = vrrpFrames((await cap.stop()).timed).filter((f) => f.advert?.vrid === id || f.drop);
        assert.deepEqual(frames.filter((f) => f.drop).map((f) => `${f.src}: ${f.drop}`), [], 'every advert on the wire decodes');
        assert.ok(frames.every((f) => f.ttl === 255), 'TTL / hop limit 255');
        // keepalived sets precedence "internetwork control" and no DF; so do we.
        assert.deepEqual([...new Set(frames.map((f) => `tos 0x${f.tos.toString(16)} df ${f.df}`))], ['tos 0xc0 df false']);
        if (v.opts(suite.lab, 1).unicastPeers) assert.ok(frames.every((f) => f.dst === suite.lab.ipv4(1) || f.dst === suite.lab.ipv4(2)), 'unicast destinations');
        const versions = new Set(frames.map((f) => f.advert!.version));
        assert.deepEqual([...versions], [v.opts(suite.lab, 1).version ?? 2]);
        const ka = [a, a2, b].filter((p) => p.kind === 'keepalived');
        for (const p of ka) {
          const bad = p.log.filter((l) => KEEPALIVED_PACKET_COMPLAINTS.test(l.line)).map((l) => l.line);
          assert.deepEqual(bad, [], `keepalived on host ${p.host} complained`);
        }
      });
    }
  }

  test('unicast_ttl 64 from keepalived-ts is accepted by keepalived with check_unicast_src and min_ttl 60 max_ttl 70, and the reverse', async () => {
    const lab = suite.lab;
    const id = vrid++;
    const text = (h: number, checks: boolean) =>
      conf([], instance({
        vrid: id, priority: h === 1 ? 150 : 100, vips: ['192.0.2.105/24'], unicastSrc: lab.ipv4(h),
        unicastPeers: [`${lab.ipv4(3 - h)}${checks ? ' min_ttl 60 max_ttl 70' : ''}`],
        extra: checks ? ['check_unicast_src', 'unicast_ttl 64'] : ['unicast_ttl 64'],
      }));
    for (const [k1, k2] of ORDERS) {
      const cap = await lab.capture({ filter: ['ip proto 112'] });
      const a = suite.track(startPeer(k1, lab, 1, text(1, true)));
      const b = suite.track(startPeer(k2, lab, 2, text(2, true)));
      await a.waitState('MASTER', 'VI_1', 15_000);
      await b.waitState('BACKUP');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await b.state(), 'BACKUP', `${k2} keeps hearing ${k1}'s TTL-64 adverts`);
      await a.stop();
      await b.waitState('MASTER', 'VI_1', 5000);
      await b.stop();
      const frames = vrrpFrames((await cap.stop()).timed).filter((f) => f.advert?.vrid === id);
      assert.deepEqual([...new Set(frames.map((f) => f.ttl))], [64], `${k1}/${k2}: unicast adverts leave with TTL 64`);
      await suite.stopAll();
    }
  });
});
