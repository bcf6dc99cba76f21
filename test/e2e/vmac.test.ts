/**
 * use_vmac on the wire, keepalived-ts next to keepalived 2.2.7, IPv4 and
 * IPv6: the master runs on a macvlan vrrp.51 with the RFC 5798 virtual MAC
 * (00:00:5e:00:01:33 / 00:00:5e:00:02:33), holds the VIP there, sends its
 * adverts and gratuitous ARPs / unsolicited NAs from the virtual MAC (IPv6:
 * from the interface's link-local, copied onto the macvlan); a handover
 * moves the virtual MAC with the VIP; the macvlan goes at stop.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startPeer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';
import { advertsFrom, arpFrames, naFrames, vrrpFrames } from './harness/frames';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');

const FAMILIES = {
  4: { vip: '192.0.2.100', prefix: 24, vmac: '00:00:5e:00:01:33', version: 2 as const, filter: ['vrrp', 'or', 'arp'] },
  6: { vip: '2001:db8::100', prefix: 64, vmac: '00:00:5e:00:02:33', version: 3 as const, filter: ['ip6'] },
};

describe(`e2e: use_vmac${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2 });

  const link = async (h: number) => {
    const r = await suite.lab.exec(h, ['ip', '-j', '-d', 'link', 'show', 'vrrp.51']);
    if (r.code !== 0) return undefined;
    const l = (JSON.parse(r.stdout) as { address: string; link: string; linkinfo: { info_kind: string; info_data: { mode: string } } }[])[0];
    return { mac: l.address, parent: l.link, kind: l.linkinfo.info_kind, mode: l.linkinfo.info_data.mode };
  };

  for (const family of [4, 6] as const) {
    const F = FAMILIES[family];
    const vipOn = async (h: number, ifname: string) => (await suite.lab.addresses(h, ifname).catch(() => [] as string[])).includes(F.vip);
    for (const [k1, k2] of [['kts', 'keepalived'], ['keepalived', 'kts']] as [PeerKind, PeerKind][]) {
      test(`IPv${family}: ${k1} MASTER, ${k2} BACKUP, both with use_vmac: VIP and virtual MAC on vrrp.51, handover moves them`, async () => {
        const lab = suite.lab;
        const text = (prio: number) => conf([], instance({ priority: prio, version: F.version, vips: [`${F.vip}/${F.prefix}`], extra: ['use_vmac'] }));
        const cap = await lab.capture({ filter: F.filter });
        const a = suite.track(startPeer(k1, lab, 1, text(150)));
        const b = suite.track(startPeer(k2, lab, 2, text(100)));
        await a.waitState('MASTER', 'VI_1', 15_000);
        await b.waitState('BACKUP');
        await lab.waitFor(() => vipOn(1, 'vrrp.51'), { what: 'VIP on vrrp.51 of host 1' });
        assert.equal(await vipOn(1, 'eth0'), false, 'not on eth0');
        for (const h of [1, 2]) assert.deepEqual(await link(h), { mac: F.vmac, parent: 'eth0', kind: 'macvlan', mode: 'private' }, `host ${h} vrrp.51`);
        if (family === 6) {
          const ll = (await lab.addressInfo(1, 'vrrp.51')).filter((x) => x.address.startsWith('fe80:'));
          assert.deepEqual(ll.map((x) => x.address), [(await lab.addresses(1, 'eth0')).find((x) => x.startsWith('fe80:'))], 'only the interface link-local on the VMAC');
          assert.ok(ll[0].flags.includes('deprecated') && ll[0].flags.includes('nodad'), `flags ${ll[0].flags.join(',')}: never chosen as a source, no DAD`);
        }
        assert.equal(await vipOn(2, 'vrrp.51'), false);
        await new Promise((r) => setTimeout(r, 1200));

        a.signal('SIGTERM');
        await a.waitExit();
        await b.waitState('MASTER', 'VI_1', 5000);
        await lab.waitFor(() => vipOn(2, 'vrrp.51'), { what: 'VIP on vrrp.51 of host 2' });
        assert.equal(await link(1), undefined, 'the stopped master removed vrrp.51');
        await new Promise((r) => setTimeout(r, 500));
        await b.stop();
        assert.equal(await link(2), undefined);
        const res = await cap.stop();
        const adverts = vrrpFrames(res.timed).filter((f) => f.advert?.vrid === 51);
        for (const h of [1, 2]) {
          const src = family === 4 ? lab.ipv4(h) : `fe80::ff:fe00:${10 + h}`;
          const mine = advertsFrom(adverts, src, 51);
          assert.ok(mine.length > 0, `host ${h} advertised from ${src}`);
          assert.deepEqual([...new Set(mine.map((f) => f.srcMac))], [F.vmac], `host ${h} adverts from the virtual MAC`);
        }
        const ann = family === 4
          ? arpFrames(res.timed).filter((x) => x.senderIp === F.vip).map((x) => `${x.srcMac} ${x.senderMac}`)
          : naFrames(res.timed).filter((x) => x.target === F.vip).map((x) => x.srcMac);
        assert.ok(ann.length >= 10, `${ann.length} announcements (5 per master)`);
        assert.deepEqual([...new Set(ann)], [family === 4 ? `${F.vmac} ${F.vmac}` : F.vmac], 'announced from the virtual MAC');
      });
    }
  }
});
