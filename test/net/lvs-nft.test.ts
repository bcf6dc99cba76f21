import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lvsTableScript, NftLvsDataPlane, selectorFor, weightedSlots } from '../../src/net/linux/nft-lvs';
import type { LvsService } from '../../src/net/ports';

const svc = (o: Partial<LvsService> = {}): LvsService => ({
  name: '[192.0.2.100]:tcp:80', addresses: [{ ip: '192.0.2.100', port: 80 }], protocol: 'TCP', scheduler: 'wrr', method: 'NAT', ...o,
});
const d = (ip: string, port: number, weight: number) => ({ ip, port, weight, method: 'NAT' as const });

test('weights become interleaved slots, reduced by their gcd; weight 0 takes nothing', () => {
  assert.deepEqual(weightedSlots([d('a', 1, 3), d('b', 1, 1)]).map((x) => x.ip), ['a', 'b', 'a', 'a']);
  assert.deepEqual(weightedSlots([d('a', 1, 20), d('b', 1, 10)]).map((x) => x.ip), ['a', 'b', 'a']);
  assert.deepEqual(weightedSlots([d('a', 1, 0), d('b', 1, 5)]).map((x) => x.ip), ['b']);
  assert.deepEqual(weightedSlots([d('a', 1, 0)]), []);
  const big = weightedSlots([d('a', 1, 1000), d('b', 1, 1)]);
  assert.ok(big.length <= 257 && big.filter((x) => x.ip === 'b').length === 1, 'large weights are scaled, every live server keeps a slot');
});

test('schedulers: round robin for rr/wrr, source hash for sh and persistence, destination hash for dh, weighted random otherwise', () => {
  assert.deepEqual(['rr', 'wrr', 'sh', 'dh', 'wlc', 'lc'].map((s) => selectorFor(s, false)), ['inc', 'inc', 'saddr', 'daddr', 'random', 'random']);
  assert.equal(selectorFor('wlc', true), 'saddr');
});

test('the table: one chain per service, jumps from prerouting and output, DNAT by map; fwmark and port-0 destinations', () => {
  const s4 = lvsTableScript(4, [
    { svc: svc(), dests: [d('198.51.100.2', 8081, 3), d('198.51.100.2', 8082, 1)] },
    { svc: svc({ name: 'FWM 5', addresses: [{ fwmark: 5 }], scheduler: 'sh' }), dests: [d('198.51.100.3', 0, 1), d('198.51.100.4', 0, 1)] },
    { svc: svc({ name: 'empty' }), dests: [] },
  ]);
  assert.equal(s4, [
    'table ip kts_lvs {',
    '  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }',
    '  chain output { type nat hook output priority -100; policy accept; }',
    '  chain svc0 { meta l4proto tcp dnat ip to numgen inc mod 4 map { 0 : 198.51.100.2 . 8081, 1 : 198.51.100.2 . 8082, 2 : 198.51.100.2 . 8081, 3 : 198.51.100.2 . 8081 }; }',
    '  chain svc1 { meta l4proto tcp dnat ip to jhash ip saddr mod 2 map { 0 : 198.51.100.3, 1 : 198.51.100.4 }; }',
    '  chain svc2 { }',
    '}',
    'add rule ip kts_lvs prerouting ip daddr 192.0.2.100 tcp dport 80 jump svc0',
    'add rule ip kts_lvs output ip daddr 192.0.2.100 tcp dport 80 jump svc0',
    'add rule ip kts_lvs prerouting meta mark 5 meta l4proto tcp jump svc1',
    'add rule ip kts_lvs output meta mark 5 meta l4proto tcp jump svc1',
    'add rule ip kts_lvs prerouting ip daddr 192.0.2.100 tcp dport 80 jump svc2',
    'add rule ip kts_lvs output ip daddr 192.0.2.100 tcp dport 80 jump svc2',
    '',
  ].join('\n'));
  const s6 = lvsTableScript(6, [{ svc: svc({ addresses: [{ ip: '2001:db8::100', port: 53 }], protocol: 'UDP' }), dests: [d('2001:db8::2', 53, 1)] }]);
  assert.match(s6, /table ip6 kts_lvs/);
  assert.match(s6, /meta l4proto udp dnat ip6 to numgen inc mod 1 map \{ 0 : 2001:db8::2 \. 53 \}/);
  assert.match(s6, /ip6 daddr 2001:db8::100 udp dport 53 jump svc0/);
});

test('NftLvsDataPlane: every change rewrites the table in one transaction; DR is refused; close removes it', async () => {
  const scripts: string[] = [];
  const dp = new NftLvsDataPlane(async (s) => {
    scripts.push(s);
  });
  assert.deepEqual(await dp.addService(svc()), { changed: true });
  assert.deepEqual(await dp.addService(svc()), { changed: false });
  await dp.addDestination(svc(), d('198.51.100.2', 8081, 1));
  assert.deepEqual(await dp.updateDestination(svc(), d('198.51.100.2', 8081, 1)), { changed: false });
  await dp.updateDestination(svc(), d('198.51.100.2', 8081, 0));
  assert.deepEqual(await dp.addService(svc({ name: 'dr', method: 'DR' })), { changed: false });
  await dp.close();
  assert.equal(scripts.length, 4);
  assert.ok(scripts.every((s) => s.startsWith('add table ip kts_lvs\ndelete table ip kts_lvs\n')));
  assert.match(scripts[1], /map \{ 0 : 198\.51\.100\.2 \. 8081 \}/);
  assert.match(scripts[2], /chain svc0 \{ \}/, 'weight 0: no new connections');
  assert.equal(scripts[3], 'add table ip kts_lvs\ndelete table ip kts_lvs\n');
  assert.doesNotMatch(scripts.join(''), /ip6/);
});
