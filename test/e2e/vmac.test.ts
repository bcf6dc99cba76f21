/**
 * use_vmac on the wire, keepalived-ts next to keepalived 2.2.7: the master
 * runs on a macvlan vrrp.51 with the RFC 5798 virtual MAC 00:00:5e:00:01:33,
 * holds the VIP there, sends adverts and gratuitous ARPs from the virtual
 * MAC; a failover moves the virtual MAC with the VIP; the macvlan goes at
 * stop.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startPeer, waitHolders, type Peer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';
import { advertsFrom, arpFrames, vrrpFrames } from './harness/frames';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');
const VIP = '192.0.2.100';
const VMAC = '00:00:5e:00:01:33';

describe(`e2e: use_vmac${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2, v6: false });

  const link = async (h: number) => {
    const r = await suite.lab.exec(h, ['ip', '-j', '-d', 'link', 'show', 'vrrp.51']);
    if (r.code !== 0) return undefined;
    const l = (JSON.parse(r.stdout) as { address: string; link: string; linkinfo: { info_kind: string; info_data: { mode: string } } }[])[0];
    return { mac: l.address, parent: l.link, kind: l.linkinfo.info_kind, mode: l.linkinfo.info_data.mode };
  };
  const vipOn = async (h: number, ifname: string) => (await suite.lab.addresses(h, ifname).catch(() => [] as string[])).includes(VIP);

  for (const [k1, k2] of [['kts', 'keepalived'], ['keepalived', 'kts']] as [PeerKind, PeerKind][]) {
    test(`${k1} MASTER, ${k2} BACKUP, both with use_vmac: VIP and virtual MAC on vrrp.51, failover moves them`, async () => {
      const text = (prio: number) => conf([], instance({ priority: prio, vips: [`${VIP}/24`], extra: ['use_vmac'] }));
      const cap = await suite.lab.capture({ filter: ['vrrp', 'or', 'arp'] });
      const a = startPeer(k1, suite.lab, 1, text(150));
      const b = startPeer(k2, suite.lab, 2, text(100));
      suite.track(a); suite.track(b);
      await a.waitState('MASTER', 'VI_1', 15_000);
      await b.waitState('BACKUP');
      await waitHolders(suite.lab, VIP, []); // not on eth0 ...
      await suite.lab.waitFor(() => vipOn(1, 'vrrp.51'), { what: 'VIP on vrrp.51 of host 1' });
      for (const h of [1, 2]) assert.deepEqual(await link(h), { mac: VMAC, parent: 'eth0', kind: 'macvlan', mode: 'private' }, `host ${h} vrrp.51`);
      assert.equal(await vipOn(2, 'vrrp.51'), false);
      await new Promise((r) => setTimeout(r, 1200));

      a.signal('SIGTERM');
      await a.waitExit();
      await b.waitState('MASTER', 'VI_1', 5000);
      await suite.lab.waitFor(() => vipOn(2, 'vrrp.51'), { what: 'VIP on vrrp.51 of host 2' });
      assert.equal(await link(1), undefined, 'the stopped master removed vrrp.51');
      await new Promise((r) => setTimeout(r, 500));
      await b.stop();
      assert.equal(await link(2), undefined);
      const res = await cap.stop();
      const adverts = vrrpFrames(res.timed).filter((f) => f.advert?.vrid === 51);
      for (const h of [1, 2]) {
        const mine = advertsFrom(adverts, suite.lab.ipv4(h), 51).filter((f) => f.advert!.priority > 0 || h === 1);
        assert.ok(mine.length > 0, `host ${h} advertised`);
        assert.deepEqual([...new Set(mine.map((f) => f.srcMac))], [VMAC], `host ${h} adverts from the virtual MAC, source ${suite.lab.ipv4(h)}`);
      }
      const garps = arpFrames(res.timed).filter((x) => x.senderIp === VIP);
      assert.ok(garps.length >= 10, `${garps.length} gratuitous ARPs (5 per master)`);
      assert.deepEqual([...new Set(garps.map((x) => `${x.srcMac} ${x.senderMac}`))], [`${VMAC} ${VMAC}`], 'gratuitous ARPs from the virtual MAC');
    });
  }
});
