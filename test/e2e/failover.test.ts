/**
 * Election and failover among three keepalived-ts hosts on one bridge
 * (192.0.2.11-13, priorities 150/120/100, VRRPv2, 1 s adverts, VIP
 * 192.0.2.100/24). Times are measured on the wire (tcpdump on the bridge):
 * from the old master's last advert to the new master's first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, type Capture } from './harness/netns';
import { holders, startKts, waitHolders, type Peer } from './harness/peers';
import { conf, instance, masterDownMs, skewMs } from './harness/conf';
import { advertsFrom, arpFrames, vrrpFrames } from './harness/frames';

const why = labUnavailableReason();
const VIP = '192.0.2.100';
const PRIO: Record<number, number> = { 1: 150, 2: 120, 3: 100 };

/** `holders` stays exactly `want` for `ms` (polled every 100 ms). */
async function stableHolders(lab: Lab, want: number[], ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.deepEqual(await holders(lab, VIP), want, 'the VIP is on exactly one host once stable');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`e2e: failover among three keepalived-ts hosts${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  const peers = new Map<number, Peer>();
  const text = (h: number, extra: Partial<Parameters<typeof instance>[0]> = {}) =>
    conf([`router_id host${h}`], instance({ priority: PRIO[h], vips: [`${VIP}/24`], ...extra }));

  before(async () => {
    lab = await Lab.create({ hosts: 3, v6: false });
  });
  after(async () => {
    for (const p of peers.values()) await p.stop().catch(() => undefined);
    await lab?.destroy();
  });

  test('election: the highest priority becomes MASTER and alone holds the VIP', async () => {
    for (const h of [1, 2, 3]) peers.set(h, startKts(lab, h, text(h)));
    await peers.get(1)!.waitState('MASTER');
    await peers.get(2)!.waitState('BACKUP');
    await peers.get(3)!.waitState('BACKUP');
    await waitHolders(lab, VIP, [1]);
    await stableHolders(lab, [1]);
    assert.match(peers.get(1)!.text(), /\(VI_1\) Entering MASTER STATE/);
  });

  test('kill -9 of the master (host lost): the next-highest takes over within Master_Down_Interval + 10%, with gratuitous ARPs', async () => {
    const cap: Capture = await lab.capture({ filter: ['vrrp', 'or', 'arp'] });
    await new Promise((r) => setTimeout(r, 1500));
    peers.get(1)!.crash();
    await lab.linkSet(1, 'down'); // the host is gone from the LAN
    await peers.get(2)!.waitState('MASTER', 'VI_1', 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    const res = await cap.stop();
    const frames = vrrpFrames(res.timed);
    const last1 = advertsFrom(frames, lab.ipv4(1), 51).at(-1)!;
    const first2 = advertsFrom(frames, lab.ipv4(2), 51).find((f) => f.t > last1.t)!;
    assert.ok(last1 && first2, 'adverts of both masters captured');
    assert.equal(first2.advert!.priority, 120);
    const took = first2.t - last1.t;
    const mdi = masterDownMs(120, 1000, 2);
    assert.ok(took >= mdi - 50 && took <= mdi * 1.1, `takeover ${took.toFixed(1)} ms, Master_Down_Interval ${mdi} ms`);
    assert.equal(advertsFrom(frames, lab.ipv4(3), 51).length, 0, 'host 3 (priority 100) never advertised');
    const garps = arpFrames(res.timed).filter((a) => a.senderIp === VIP && a.targetIp === VIP && a.t >= first2.t - 5);
    assert.ok(garps.length >= 5, `${garps.length} gratuitous ARPs for ${VIP}`);
    assert.ok(garps.slice(0, 5).every((a) => a.senderMac === lab.mac(2) && a.t - first2.t < 1000), 'five at once from the new master');
    assert.deepEqual((await holders(lab, VIP)).filter((h) => h !== 1), [2], 'only host 2 among the live hosts');
  });

  test('the old master rejoins: it drops its stale VIP at start, then preempts', async () => {
    await lab.linkSet(1, 'up');
    const p = startKts(lab, 1, text(1));
    peers.set(1, p);
    await p.waitLog(/removing VIPs/);
    await p.waitState('MASTER', 'VI_1', 10_000);
    await peers.get(2)!.waitState('BACKUP');
    await waitHolders(lab, VIP, [1]);
    await stableHolders(lab, [1]);
  });

  test('SIGTERM of the master: priority 0 advert, the next-highest takes over after its skew time only', async () => {
    const cap = await lab.capture({ filter: ['vrrp'] });
    await new Promise((r) => setTimeout(r, 1200));
    const p1 = peers.get(1)!;
    p1.signal('SIGTERM');
    assert.deepEqual(await p1.waitExit(), { code: 0, signal: null }, 'exits 0');
    await peers.get(2)!.waitState('MASTER');
    await new Promise((r) => setTimeout(r, 500));
    const frames = vrrpFrames((await cap.stop()).timed);
    const zero = advertsFrom(frames, lab.ipv4(1), 51).find((f) => f.advert!.priority === 0)!;
    assert.ok(zero, 'priority 0 advert sent on SIGTERM');
    const first2 = advertsFrom(frames, lab.ipv4(2), 51).find((f) => f.t > zero.t)!;
    const took = first2.t - zero.t;
    const skew = skewMs(120, 1000, 2);
    assert.ok(took >= skew - 20 && took <= skew + 200, `takeover ${took.toFixed(1)} ms after priority 0, skew ${skew} ms`);
    await waitHolders(lab, VIP, [2]);
    await stableHolders(lab, [2], 1000);
  });

  test('with nopreempt the returning higher-priority host stays BACKUP', async () => {
    // Host 2 holds the VIP; host 1 comes back configured with nopreempt.
    const p = startKts(lab, 1, text(1, { nopreempt: true }));
    peers.set(1, p);
    await p.waitState('BACKUP');
    await new Promise((r) => setTimeout(r, masterDownMs(150, 1000, 2) + 1500));
    assert.equal(await p.state(), 'BACKUP', 'nopreempt: no takeover from a lower-priority master');
    assert.equal(await peers.get(2)!.state(), 'MASTER');
    await stableHolders(lab, [2], 1000);
  });
});
