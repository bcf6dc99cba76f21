/**
 * virtual_ipaddress options on a real interface, keepalived-ts next to
 * keepalived 2.2.7 with the same file: prefix, brd, dev, scope, label,
 * virtual_ipaddress_excluded and IPv6 (nodad) land identically (`ip -j addr`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { addLocalLink, labSuite } from './harness/suite';
import { startPeer, type Peer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');

describe(`e2e: virtual_ipaddress options${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 1 }, (l) => addLocalLink(l, 1));

  const TEXT = conf([], instance({
    priority: 150,
    vips: [
      '192.0.2.100/24 brd 192.0.2.255 dev eth0 scope global label eth0:vip',
      '192.0.2.101',
      '198.51.100.1/24 dev eth1 scope link',
      '192.0.2.102/25 brd + dev eth0',
    ],
    extra: ['virtual_ipaddress_excluded {', '    203.0.113.5/24 dev eth1 label eth1:ex', '}'],
  }), instance({ name: 'VI_6', vrid: 61, version: 3, priority: 150, vips: ['2001:db8::100/64', '2001:db8:1::5/64 dev eth1'] }));

  const seen = new Map<PeerKind, string[]>();
  for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
    test(`${kind} as MASTER: the addresses with their options`, async () => {
      const p = startPeer(kind, suite.lab, 1, TEXT);
      suite.track(p);
      await p.waitState('MASTER', 'VI_1', 10_000);
      await p.waitState('MASTER', 'VI_6', 10_000);
      await suite.lab.waitFor(async () => (await suite.lab.addresses(1, 'eth1')).includes('2001:db8:1::5'), { what: 'IPv6 VIP on eth1' });
      await new Promise((r) => setTimeout(r, 300));
      const rows: string[] = [];
      for (const ifname of ['eth0', 'eth1']) {
        const r = await suite.lab.exec(1, ['ip', '-j', 'addr', 'show', 'dev', ifname], { check: true });
        for (const a of (JSON.parse(r.stdout) as { addr_info: Record<string, unknown>[] }[])[0].addr_info) {
          const local = String(a.local);
          if (local === suite.lab.ipv4(1) || local === suite.lab.ipv6(1) || local.startsWith('fe80:')) continue;
          const { valid_life_time: _v, preferred_life_time: _p, ...rest } = a;
          rows.push(`${ifname} ${JSON.stringify(rest)}`);
        }
      }
      seen.set(kind, rows.sort());
      await p.stop();
      for (const ifname of ['eth0', 'eth1']) {
        const left = (await suite.lab.addresses(1, ifname)).filter((x) => x !== suite.lab.ipv4(1) && x !== suite.lab.ipv6(1) && !x.startsWith('fe80:'));
        assert.deepEqual(left, [], `${kind} removed every VIP from ${ifname} at stop`);
      }
    });
  }
  test('the same addresses, prefixes, broadcasts, scopes, labels and flags as keepalived', () => {
    const ka = seen.get('keepalived');
    assert.ok(ka && ka.length === 7, JSON.stringify(ka));
    assert.deepEqual(seen.get('kts'), ka);
    assert.ok(ka.some((r) => r.includes('"label":"eth0:vip"') && r.includes('"broadcast":"192.0.2.255"')), ka.join('\n'));
    assert.ok(ka.some((r) => r.startsWith('eth1') && r.includes('"scope":"link"')));
  });
});
