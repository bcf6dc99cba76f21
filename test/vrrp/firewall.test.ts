/**
 * no_accept: a MASTER without accept mode blocks traffic to its VIPs before
 * adding them and unblocks after removing them (keepalived: "setting firewall
 * drop rule" / "removing firewall drop rule"); with accept nothing is installed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../src/core/clock';
import { FakeLan } from '../../src/net/fake/lan';
import type { Firewall, VipSpec } from '../../src/net/ports';
import { NftFirewall, tableScript } from '../../src/net/linux/nft-firewall';
import { makeInstanceSettings, VrrpInstance } from '../../src/vrrp/instance';

const VIP: VipSpec = { address: '198.51.100.7', family: 4, prefixLength: 32, ifname: 'eth0' };
const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function setup(accept: boolean) {
  const clock = new VirtualClock(0);
  const lan = new FakeLan(clock);
  const me = lan.addNode('me', { 4: '192.0.2.10' });
  const ops: string[] = [];
  const addresses = {
    add: async (v: VipSpec) => (ops.push(`add ${v.address}`), me.addresses.add(v)),
    remove: async (v: VipSpec) => (ops.push(`remove ${v.address}`), me.addresses.remove(v)),
    has: (v: VipSpec) => me.addresses.has(v),
  };
  const firewall: Firewall = {
    block: async (v) => (ops.push(`block ${v.address}`), { changed: true }),
    unblock: async (v) => (ops.push(`unblock ${v.address}`), { changed: true }),
    close: async () => undefined,
  };
  const inst = new VrrpInstance({
    settings: makeInstanceSettings({ name: 'VI_1', vrid: 7, ifname: 'eth0', vips: [VIP], accept }),
    clock,
    transport: me.transport(4),
    addresses,
    announcer: me.announcer,
    firewall,
  });
  return { clock, inst, ops };
}

test('no_accept: block before the VIP is added, unblock after it is removed', async () => {
  const { clock, inst, ops } = setup(false);
  inst.start();
  await flush();
  assert.deepEqual(ops, ['remove 198.51.100.7', 'unblock 198.51.100.7'], 'coming up: stale VIP and rule removed');
  ops.length = 0;
  clock.advance(4000);
  assert.equal(inst.state, 'MASTER');
  await flush();
  assert.deepEqual(ops, ['block 198.51.100.7', 'add 198.51.100.7']);
  ops.length = 0;
  await inst.stop();
  await flush();
  assert.deepEqual(ops, ['remove 198.51.100.7', 'unblock 198.51.100.7']);
});

test('accept mode installs no firewall rule', async () => {
  const { clock, inst, ops } = setup(true);
  inst.start();
  clock.advance(4000);
  await inst.stop();
  await flush();
  assert.ok(ops.every((o) => !o.includes('block')), ops.join(', '));
});

test('NftFirewall: keepalived 2.2.7 tables, created once per family (stale ones replaced), idempotent elements, deleted at close', async () => {
  const scripts: string[] = [];
  const fw = new NftFirewall(async (s) => {
    scripts.push(s);
  });
  assert.deepEqual(await fw.block(VIP), { changed: true });
  assert.deepEqual(await fw.block(VIP), { changed: false });
  await fw.block({ address: '2001:db8::7', family: 6, prefixLength: 64, ifname: 'eth0' });
  assert.deepEqual(await fw.unblock(VIP), { changed: true });
  assert.deepEqual(await fw.unblock(VIP), { changed: false });
  await fw.close();
  assert.equal(scripts[0], `add table ip keepalived\ndelete table ip keepalived\n${tableScript(4)}\n`);
  assert.equal(scripts[1], 'add element ip keepalived vips { 198.51.100.7 }\n');
  assert.match(scripts[2], /^add table ip6 keepalived\ndelete table ip6 keepalived\ntable ip6 keepalived \{/);
  assert.match(scripts[2], /icmpv6 type @neighbor-discovery accept; ip6 daddr fe80::\/10 goto in_link_local; ip6 daddr @vips drop;/);
  assert.equal(scripts[3], 'add element ip6 keepalived vips { 2001:db8::7 }\n');
  assert.equal(scripts[4], 'delete element ip keepalived vips { 198.51.100.7 }\n');
  assert.deepEqual(scripts.slice(5), ['delete table ip keepalived\n', 'delete table ip6 keepalived\n']);
  assert.match(tableScript(4), /chain in \{ type filter hook input priority filter - 1; policy accept; ip daddr @vips drop; \}/);
  assert.match(tableScript(4), /chain out \{ type filter hook output priority filter - 1; policy accept; ip saddr @vips drop; \}/);
});

test('NftFirewall: a failing nft rejects that operation only; the next one runs', async () => {
  let fail = true;
  const fw = new NftFirewall(async () => {
    if (fail) throw new Error('nft: boom');
  });
  await assert.rejects(fw.block(VIP), /boom/);
  fail = false;
  assert.deepEqual(await fw.block(VIP), { changed: true });
});
