/**
 * virtual_routes / virtual_rules and static_routes / static_rules, keepalived-ts
 * next to keepalived 2.2.7 with the same file: the same routes and rules
 * (proto keepalived) while MASTER, none left after stop.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startKts, startPeer, type Peer, type PeerKind } from './harness/peers';
import { instance } from './harness/conf';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');

const TEXT =
  'static_routes {\n  198.51.100.0/24 via 192.0.2.1 dev eth0\n}\nstatic_rules {\n  from 198.51.100.7 table 101 priority 101\n}\n' +
  instance({
    priority: 150,
    vips: ['192.0.2.100/24'],
    extra: [
      'virtual_routes {',
      '  203.0.113.0/24 via 192.0.2.1 dev eth0 metric 5',
      '  src 192.0.2.100 to 203.0.113.128/25 via 192.0.2.2 dev eth0 table 100',
      '  blackhole 198.51.100.128/25',
      '}',
      'virtual_rules {',
      '  from 192.0.2.100 table 100 priority 100',
      '  to 203.0.113.7 table 100',
      '}',
    ],
  }) +
  instance({ name: 'VI_6', vrid: 61, version: 3, priority: 150, vips: ['2001:db8::100/64'], extra: ['virtual_routes {', '  2001:db8:5::/48 via 2001:db8::1 dev eth0', '}'] });

describe(`e2e: virtual and static routes and rules${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 1 });

  const snapshot = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const cmd of [['ip', '-4', 'route', 'show', 'table', 'all'], ['ip', '-6', 'route', 'show', 'table', 'all'], ['ip', '-4', 'rule'], ['ip', '-6', 'rule']]) {
      for (const l of (await suite.lab.exec(1, cmd, { check: true })).stdout.split('\n')) if (/proto (keepalived|18)\b/.test(l)) out.push(l.trim().replace(/proto 18\b/, 'proto keepalived'));
    }
    return out.sort();
  };

  const seen = new Map<PeerKind, string[]>();
  for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
    test(`${kind} as MASTER installs them; stop removes them`, async () => {
      const p = startPeer(kind, suite.lab, 1, TEXT);
      suite.track(p);
      await p.waitState('MASTER', 'VI_1', 10_000);
      await p.waitState('MASTER', 'VI_6', 10_000);
      await suite.lab.waitFor(async () => (await snapshot()).length >= 7, { what: 'routes and rules', timeoutMs: 5000 });
      seen.set(kind, await snapshot());
      await p.stop();
      assert.deepEqual(await snapshot(), [], `${kind} left routes or rules behind`);
    });
  }
  test('the same routes and rules as keepalived', () => {
    const ka = seen.get('keepalived')!;
    assert.equal(ka.length, 8, ka.join('\n'));
    assert.deepEqual(seen.get('kts'), ka);
  });

  test('SIGHUP: static_ipaddress and static_routes that left the file are removed, new ones added, the rest untouched', async () => {
    const lab = suite.lab;
    const vrrp = instance({ priority: 150, vips: ['192.0.2.100/24'] });
    const text = (addr: string, route: string) => `static_ipaddress {\n  ${addr} dev eth0\n}\nstatic_routes {\n  ${route} via 192.0.2.1 dev eth0\n}\n` + vrrp;
    const p = suite.track(startKts(lab, 1, text('198.51.100.50/24', '203.0.113.0/25')));
    await p.waitState('MASTER', 'VI_1', 10_000);
    await lab.waitFor(async () => (await lab.addresses(1)).includes('198.51.100.50'), { what: 'static address' });
    fs.writeFileSync(p.confFile, text('198.51.100.51/24', '203.0.113.128/25'));
    const from = p.log.length;
    p.signal('SIGHUP');
    await p.waitLog(/Reload finished/, 5000, from);
    const addrs = await lab.addresses(1);
    assert.ok(addrs.includes('198.51.100.51') && !addrs.includes('198.51.100.50'), addrs.join(' '));
    const rt = (await lab.exec(1, ['ip', 'route'], { check: true })).stdout;
    assert.match(rt, /203\.0\.113\.128\/25 via 192\.0\.2\.1/);
    assert.doesNotMatch(rt, /203\.0\.113\.0\/25/);
    assert.deepEqual(p.lines(/Entering/, from), [], 'no VRRP state change');
    await suite.stopAll();
    assert.equal((await lab.addresses(1)).includes('198.51.100.51'), false, 'removed at stop');
  });
});
