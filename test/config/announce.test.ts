/**
 * route_announce { } (issue 13): defaults, every keyword, and the errors that
 * keep an instance from running rather than announce on a guess.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode } from '../../src/config';
import { assertClean, codes, parse } from './helpers';

const inst = (...lines: string[]) =>
  ['vrrp_instance VI_1 {', ' interface eth0', ' virtual_router_id 51', ' virtual_ipaddress {', '  198.51.100.10/24', ' }', ...lines, '}'].join('\n');

const vs = ['virtual_server 198.51.100.10 80 {', ' protocol TCP', ' lb_algo rr', ' lb_kind NAT', ' real_server 192.0.2.21 80 {', '  TCP_CHECK {', '  }', ' }', '}'].join('\n');

test('route_announce defaults: active/standby on kts-vip, by route only', () => {
  const r = parse(inst(' route_announce {', ' }'));
  assertClean(r);
  const ra = r.config.instances[0].routeAnnounce;
  assert.deepEqual({ ...ra, loc: undefined }, { loc: undefined, mode: 'active_standby', device: 'kts-vip', alsoGarp: false, trackVirtualServer: [] });
  assert.equal(r.config.instances[0].routeAnnounce?.loc.line, 7);
});

test('route_announce keywords map to their fields; a virtual server is tracked by its own line', () => {
  const r = parse(vs + '\n' + inst(' route_announce {', '  mode active_standby', '  device bgp-vip0', '  also_garp', '  track_virtual_server 198.51.100.10 80', ' }'));
  assertClean(r);
  const ra = r.config.instances[0].routeAnnounce!;
  assert.equal(ra.device, 'bgp-vip0');
  assert.equal(ra.alsoGarp, true);
  assert.deepEqual(ra.trackVirtualServer.map((t) => [t.kind, t.address, t.port]), [['address', '198.51.100.10', 80]]);
});

test('anycast: no VRID conflict (no adverts), also_garp ignored with a warning', () => {
  const r = parse(
    inst(' route_announce {', '  mode anycast', '  also_garp', ' }') +
      '\n' +
      ['vrrp_instance VI_2 {', ' interface eth0', ' virtual_router_id 51', ' virtual_ipaddress {', '  192.0.2.1', ' }', '}'].join('\n'),
  );
  assert.deepEqual(codes(r), ['W_ANNOUNCE_ANYCAST_GARP@9']);
  assert.equal(r.config.instances[0].routeAnnounce?.mode, 'anycast');
  assert.equal(r.config.instances[0].routeAnnounce?.alsoGarp, false);
});

test('a bad mode or device name is an error and the instance does not run', () => {
  for (const [line, code] of [
    ['  mode hot_standby', 'E_ANNOUNCE_VALUE@8'],
    ['  device a/b', 'E_ANNOUNCE_VALUE@8'],
    ['  device this-name-is-too-long', 'E_ANNOUNCE_VALUE@8'],
    ['  device eth0', 'E_ANNOUNCE_DEVICE@8'],
  ] as const) {
    const r = parse(inst(' route_announce {', line, ' }'));
    assert.deepEqual(codes(r), [code], line);
    assert.equal(r.config.instances.length, 0, line);
    assert.notEqual(configTestExitCode(r.diagnostics), 0);
  }
});

test('an unknown virtual server is a located warning; vrrp_strict warns that no_accept drops the routed traffic', () => {
  const r = parse(['global_defs {', ' vrrp_strict', '}', inst(' route_announce {', '  track_virtual_server 198.51.100.10 443', ' }')].join('\n'));
  assert.deepEqual(codes(r), ['W_ANNOUNCE_NO_ACCEPT@10', 'W_UNRESOLVED_REFERENCE@11']);
  assert.deepEqual(r.config.instances[0].routeAnnounce?.trackVirtualServer, []);
  const ok = parse(['global_defs {', ' vrrp_strict', '}', inst(' accept', ' route_announce {', ' }')].join('\n'));
  assertClean(ok);
});

test('an anycast instance cannot be in a sync group', () => {
  const r = parse(inst(' route_announce {', '  mode anycast', ' }') + '\nvrrp_sync_group G {\n group {\n  VI_1\n }\n}');
  assert.deepEqual(codes(r).filter((c) => c.startsWith('E_')), ['E_ANNOUNCE_SYNC_GROUP@13']);
  assert.equal(r.config.instances[0].syncGroup, undefined);
});

test('IPv6 instance: route_announce is accepted (announced as /128)', () => {
  const r = parse(['vrrp_instance V6 {', ' interface eth0', ' virtual_router_id 52', ' virtual_ipaddress {', '  2001:db8::10/64', ' }', ' route_announce {', ' }', '}'].join('\n'));
  assertClean(r);
  assert.equal(r.config.instances[0].family, 6);
});

test('examples/bgp/keepalived.conf is clean for -t, both modes and both families', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const file = path.join(__dirname, '..', '..', '..', 'examples', 'bgp', 'keepalived.conf');
  const r = parse(fs.readFileSync(file, 'utf8'), { configId: 'host1' });
  assertClean(r);
  assert.deepEqual(r.config.instances.map((i) => [i.name, i.priority, i.routeAnnounce?.mode, i.family]), [
    ['WEB', 150, 'active_standby', 4], ['DNS4', 100, 'anycast', 4], ['DNS6', 100, 'anycast', 6],
  ]);
  assert.equal(r.config.instances[1].routeAnnounce?.trackVirtualServer.length, 1);
});
