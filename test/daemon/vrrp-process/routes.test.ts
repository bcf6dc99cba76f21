import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config';
import { routeArgs, ruleArgs } from '../../../src/daemon/vrrp-process/settings';
import { IpRouteManager } from '../../../src/net/linux/ip-routes';

test('keepalived route and rule lines become ip route / ip rule arguments', () => {
  const cfg = parseConfigText(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.100/24
    }
    virtual_routes {
        203.0.113.0/24 via 192.0.2.1 dev eth0 metric 5
        src 192.0.2.100 to 203.0.113.128/25 gw 192.0.2.2 dev eth0 table 100 no_track
        blackhole 198.51.100.128/25
    }
    virtual_rules {
        from 192.0.2.100 table 100 priority 100
        to 203.0.113.7 table 100
    }
}
`, 'k.conf', { hostname: 'h' }).config;
  const i = cfg.instances[0];
  assert.deepEqual(i.virtualRoutes.map((r) => routeArgs(r).args.join(' ')), [
    '203.0.113.0/24 via 192.0.2.1 dev eth0 metric 5',
    'src 192.0.2.100 to 203.0.113.128/25 via 192.0.2.2 dev eth0 table 100',
    'blackhole 198.51.100.128/25',
  ]);
  assert.deepEqual(i.virtualRules.map((r) => ruleArgs(r).args.join(' ')), ['from 192.0.2.100 table 100 priority 100', 'to 203.0.113.7 table 100 preference 16384']);
});

test('IpRouteManager: replace with proto 18, rules made idempotent, a missing one on removal is unchanged', async () => {
  const calls: string[] = [];
  let missing = false;
  const m = new IpRouteManager(async (args) => {
    calls.push(args.join(' '));
    if (args.includes('del') && (missing || args[1] === 'rule')) return { code: 2, stderr: 'RTNETLINK answers: No such file or directory' };
    return { code: 0, stderr: '' };
  });
  assert.deepEqual(await m.add({ kind: 'route', family: 4, args: ['203.0.113.0/24', 'via', '192.0.2.1'] }), { changed: true });
  assert.deepEqual(await m.add({ kind: 'rule', family: 6, args: ['from', '2001:db8::1', 'table', '7'] }), { changed: true });
  missing = true;
  assert.deepEqual(await m.remove({ kind: 'route', family: 4, args: ['203.0.113.0/24'] }), { changed: false });
  assert.deepEqual(calls, [
    '-4 route replace 203.0.113.0/24 via 192.0.2.1 proto 18',
    '-6 rule del from 2001:db8::1 table 7',
    '-6 rule add from 2001:db8::1 table 7 protocol 18',
    '-4 route del 203.0.113.0/24',
  ]);
  const failing = new IpRouteManager(async () => ({ code: 2, stderr: 'Error: Nexthop has invalid gateway.' }));
  await assert.rejects(failing.add({ kind: 'route', family: 4, args: ['x'] }), /invalid gateway/);
});
