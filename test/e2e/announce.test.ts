/**
 * Announcements of a new master on the wire, keepalived-ts next to
 * keepalived 2.2.7 with the same file: gratuitous ARPs (IPv4) and
 * unsolicited Neighbour Advertisements (IPv6), five at once and five more
 * after garp_master_delay (5 s), from the master's MAC.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startPeer, type Peer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';
import { arpFrames, naFrames, vrrpFrames } from './harness/frames';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Offsets (ms) of `times` from `t0`, grouped into bursts separated by > 1 s. */
function bursts(times: number[], t0: number): number[][] {
  const out: number[][] = [];
  for (const t of times) {
    const d = t - t0;
    const last = out.at(-1);
    if (last && d - last[last.length - 1] < 1000) last.push(d);
    else out.push([d]);
  }
  return out;
}

describe(`e2e: gratuitous ARP and unsolicited NA of a new master${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 1 });

  const shapes = new Map<string, number[]>();
  for (const family of [4, 6] as const) {
    for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
      test(`${kind}, IPv${family}: five ${family === 4 ? 'gratuitous ARPs' : 'unsolicited NAs'} at once, five more after 5 s`, async () => {
        const vip = family === 4 ? '192.0.2.100' : '2001:db8::100';
        const cfg = conf([], instance({ priority: 150, version: family === 4 ? 2 : 3, vips: [`${vip}/${family === 4 ? 24 : 64}`] }));
        const cap = await suite.lab.capture({ filter: family === 4 ? ['arp', 'or', 'vrrp'] : ['icmp6', 'or', 'ip6', 'proto', '112'] });
        const p = startPeer(kind, suite.lab, 1, cfg);
        suite.track(p);
        await p.waitState('MASTER', 'VI_1', 10_000);
        await sleep(6500);
        await p.stop();
        const res = await cap.stop();
        const firstAdvert = vrrpFrames(res.timed).find((f) => f.advert && f.advert.priority === 150)!;
        assert.ok(firstAdvert, 'the master advertised');
        let times: number[];
        if (family === 4) {
          const arps = arpFrames(res.timed).filter((a) => a.senderIp === vip);
          assert.ok(arps.every((a) => a.op === 1 && a.targetIp === vip && a.senderMac === suite.lab.mac(1) && a.srcMac === suite.lab.mac(1)), 'ARP requests, sender = target = VIP, from the master MAC');
          times = arps.map((a) => a.t);
        } else {
          const nas = naFrames(res.timed).filter((n) => n.target === vip);
          assert.ok(nas.every((n) => n.dst === 'ff02::1' && n.override && n.hopLimit === 255 && n.srcMac === suite.lab.mac(1)), 'NA to ff02::1, override flag, hop limit 255, from the master MAC');
          times = nas.map((n) => n.t);
        }
        const b = bursts(times, firstAdvert.t);
        assert.equal(b.length, 2, `two bursts: ${JSON.stringify(b.map((x) => x.map(Math.round)))}`);
        assert.equal(b[0].length, 5);
        assert.equal(b[1].length, 5);
        assert.ok(b[0][0] >= -5 && b[0][0] < 100, `first burst right after the first advert (${b[0][0].toFixed(1)} ms)`);
        assert.ok(Math.abs(b[1][0] - 5000) < 300, `second burst after garp_master_delay (${b[1][0].toFixed(1)} ms)`);
        shapes.set(`${kind}/${family}`, b.map((x) => x.length));
      });
    }
    test(`IPv${family}: the same announcement pattern as keepalived`, () => {
      assert.deepEqual(shapes.get(`kts/${family}`), shapes.get(`keepalived/${family}`));
    });
  }
});
