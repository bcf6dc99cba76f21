/**
 * route_announce on the in-memory LAN (issue 13): where the VIPs go in each
 * mode, the order "withdraw, then release", anycast following FAULT, the
 * tracked quorum, reload and stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../daemon/helpers';
import { onDevice, onDeviceAlso } from '../../src/announce/devices';
import type { AddressManager, VipSpec } from '../../src/net/ports';

const conf = (ra: string, extra = '') => `
vrrp_script chk {
    script "/bin/true"
    interval 1
    weight 0
}
${extra}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
@a    priority 150
@b    priority 100
    advert_int 1
    virtual_ipaddress {
        198.51.100.10/24
    }
    track_script {
        chk
    }
    route_announce {
${ra}
    }
}
`;

const VS = `
virtual_server 198.51.100.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.21 80 {
        TCP_CHECK {
        }
    }
}
`;

function twoHosts(text: string): Cluster {
  const c = new Cluster();
  c.add('a', '192.0.2.10', text);
  c.add('b', '192.0.2.11', text);
  for (const h of c.hosts.values()) {
    h.daemon.start();
    h.scripts.get('chk')!.set(true);
  }
  return c;
}

/** Where each host holds 198.51.100.10: `host:ifname/len`. */
async function where(c: Cluster, address = '198.51.100.10'): Promise<string[]> {
  await c.holders(address);
  return [...c.hosts.values()].flatMap((h) => h.node.addresses.list().filter((v) => v.address === address).map((v) => `${h.name}:${v.ifname}/${v.prefixLength}`)).sort();
}

test('active_standby, by route only: the MASTER holds the VIP as a /32 on the device, nothing on eth0, no GARP', async () => {
  const c = twoHosts(conf('mode active_standby'));
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'MASTER');
  assert.deepEqual(await where(c), ['a:kts-vip/32']);
  assert.deepEqual(c.lan.announcements.filter((x) => x.address === '198.51.100.10'), []);
  // ... and keepalived's GARP line is not logged for a burst that is not sent.
  assert.deepEqual(c.host('a').logs.filter((l) => /gratuitous ARPs/.test(l.msg)).map((l) => l.msg), []);
  assert.ok(c.host('a').logs.some((l) => l.msg === '(VI_1) announcing 198.51.100.10 by route on kts-vip'));
  assert.equal(c.host('a').devices.get('kts-vip'), 1);
  // A tracker fault: FAULT withdraws, the other host takes over and announces.
  c.host('a').scripts.get('chk')!.set(false);
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'FAULT');
  assert.equal(c.state('b'), 'MASTER');
  assert.deepEqual(await where(c), ['b:kts-vip/32']);
  // Stop: nothing left, the device released.
  await c.host('b').daemon.stop();
  assert.deepEqual(await where(c), []);
  assert.equal(c.host('b').devices.get('kts-vip'), 0);
});

test('also_garp: the VIP on eth0 with GARP and its /32 on the device; the route goes first, the address after', async () => {
  const ops: string[] = [];
  const base: AddressManager = {
    add: async (v) => (ops.push(`add ${v.ifname}`), { changed: true }),
    remove: async (v) => (ops.push(`remove ${v.ifname}`), { changed: true }),
    has: async () => false,
  };
  const m = onDeviceAlso(base, 'kts-vip');
  const vip: VipSpec = { address: '198.51.100.10', family: 4, prefixLength: 24, ifname: 'eth0', label: 'eth0:1' };
  await m.add(vip);
  await m.remove(vip);
  assert.deepEqual(ops, ['add eth0', 'add kts-vip', 'remove kts-vip', 'remove eth0']);
  assert.deepEqual(onDevice({ address: '2001:db8::10', family: 6, prefixLength: 64, ifname: 'eth0', scope: 'global' }, 'kts-vip'),
    { address: '2001:db8::10', family: 6, prefixLength: 128, ifname: 'kts-vip' });

  const c = twoHosts(conf('also_garp'));
  c.clock.advance(5000);
  assert.deepEqual(await where(c), ['a:eth0/24', 'a:kts-vip/32']);
  assert.ok(c.lan.announcements.some((x) => x.node === 'a' && x.address === '198.51.100.10' && x.ifname === 'eth0'), 'GARP on eth0');
});

test('anycast: every healthy node announces, without adverts; FAULT withdraws only that node; recovery announces again at once', async () => {
  const c = twoHosts(conf('mode anycast'));
  c.clock.advance(10);
  assert.deepEqual(await where(c), ['a:kts-vip/32', 'b:kts-vip/32'], 'BACKUP is healthy: announced before any Master_Down_Interval');
  c.clock.advance(5000);
  assert.equal(c.lan.sent.length, 0, 'no VRRP adverts on the wire');
  c.host('b').scripts.get('chk')!.set(false);
  c.clock.advance(10);
  assert.equal(c.state('b'), 'FAULT');
  assert.deepEqual(await where(c), ['a:kts-vip/32']);
  c.host('b').scripts.get('chk')!.set(true);
  c.clock.advance(10);
  assert.deepEqual(await where(c), ['a:kts-vip/32', 'b:kts-vip/32']);
  await c.host('a').daemon.stop();
  assert.deepEqual(await where(c), ['b:kts-vip/32']);
});

test('track_virtual_server: FAULT until the checker reports quorum, and again when it is lost', async () => {
  const c = twoHosts(conf('mode anycast\n track_virtual_server 198.51.100.10 80', VS));
  c.clock.advance(10);
  assert.equal(c.state('a'), 'FAULT', 'not reported yet: no quorum');
  assert.deepEqual(await where(c), []);
  for (const h of c.hosts.values()) h.daemon.quorum({ VI_1: [] });
  c.clock.advance(10);
  assert.deepEqual(await where(c), ['a:kts-vip/32', 'b:kts-vip/32']);
  c.host('a').daemon.quorum({ VI_1: ['[198.51.100.10]:tcp:80'] });
  c.clock.advance(10);
  assert.equal(c.state('a'), 'FAULT');
  assert.ok(c.host('a').daemon.status().instances[0].faults?.includes('virtual_server [198.51.100.10]:tcp:80 quorum'));
  assert.deepEqual(await where(c), ['b:kts-vip/32']);
});

test('reload: a new VIP is announced in place; changing the mode restarts the instance through a withdrawal', async () => {
  const c = twoHosts(conf('mode anycast'));
  c.clock.advance(10);
  const next = conf('mode anycast').replace('198.51.100.10/24', '198.51.100.10/24\n        198.51.100.11');
  const { config } = await import('../daemon/helpers');
  await c.host('a').daemon.reload(config(next, 'a'));
  assert.deepEqual(await where(c, '198.51.100.11'), ['a:kts-vip/32']);
  await c.host('a').daemon.reload(config(conf('mode active_standby'), 'a'));
  c.clock.advance(10);
  assert.deepEqual(await where(c, '198.51.100.11'), []);
  assert.equal(c.state('a'), 'BACKUP', 'restarted: VRRP again');
  c.clock.advance(5000);
  assert.deepEqual(await where(c), ['a:kts-vip/32', 'b:kts-vip/32'], 'a is MASTER (active/standby), b still anycast');
  assert.equal(c.host('a').devices.get('kts-vip'), 1, 'released by the old instance, acquired by the new one');
});

test('sync group: active/standby members announce together as they become MASTER, and withdraw together on a member fault', async () => {
  const two = (ra: string) =>
    conf(ra).replace('vrrp_instance VI_1', 'vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\nvrrp_instance VI_1') +
    conf(ra)
      .replace(/vrrp_script chk \{[^}]*\}/, '')
      .replace('VI_1', 'VI_2')
      .replace('virtual_router_id 51', 'virtual_router_id 52')
      .replace('198.51.100.10/24', '198.51.100.20')
      .replace(/track_script \{\s*chk\s*\}/, '');
  const c = twoHosts(two(''));
  c.clock.advance(5000);
  assert.equal(c.state('a', 'VI_2'), 'MASTER');
  assert.deepEqual(await where(c), ['a:kts-vip/32']);
  assert.deepEqual(await where(c, '198.51.100.20'), ['a:kts-vip/32']);
  c.host('a').scripts.get('chk')!.set(false);
  c.clock.advance(5000);
  assert.equal(c.state('a', 'VI_2'), 'FAULT', 'the group follows VI_1 into FAULT');
  assert.deepEqual(await where(c), ['b:kts-vip/32']);
  assert.deepEqual(await where(c, '198.51.100.20'), ['b:kts-vip/32']);
  assert.equal(c.host('a').devices.get('kts-vip'), 2, 'one device, two users');
});
