/**
 * Issue 13, anycast (route_announce mode anycast): both keepalived-ts hosts
 * announce the VIP (IPv4 /32 and IPv6 /128) while healthy, and the FRR
 * router holds two ECMP paths; a failed health check on one host (its
 * virtual server's TCP_CHECK, so its quorum is lost: track_virtual_server)
 * withdraws that host's path only, and the client's requests keep being
 * answered by the other; a tracker fault does the same; a stopped daemon
 * leaves nothing. FRR on the hosts; the router spreads flows by L4 hash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labUnavailableReason, waitFor } from './harness/netns';
import { startKts, type Peer } from './harness/peers';
import { labSuite } from './harness/suite';
import { FrrNode, frrMissing, ROUTER, routerConfig, RouteWatch, wireBgpLab } from './harness/frr';
import { checkTimeline, Client, ktsConf, sessionsUp, startHostRouting, startService, VIP, VIP6, type HostRouting } from './harness/bgp';

const why = labUnavailableReason() ?? frrMissing();
const HEALTH_PORT = 8081;

/** The virtual server each host checks: its own health port, behind the VIP on another port (the client's 8080 is not balanced). */
const vs = (ip: string) => [
  `virtual_server ${VIP} ${HEALTH_PORT} {`,
  '    delay_loop 1',
  '    lb_algo rr',
  '    lb_kind NAT',
  '    protocol TCP',
  `    real_server ${ip} ${HEALTH_PORT} {`,
  '        TCP_CHECK {',
  '            connect_timeout 1',
  '            retry 0',
  '        }',
  '    }',
  '}',
].join('\n');

describe(`e2e: route_announce anycast, ECMP on an FRR router${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const s = labSuite({ hosts: 4 }, wireBgpLab);
  let router: FrrNode;
  const routing = new Map<number, HostRouting>();
  const health = new Map<number, ChildProcess>();
  const peers = new Map<number, Peer>();
  let watch: RouteWatch;
  let watch6: RouteWatch;
  let client: Client;
  const ip = (h: number) => s.lab.ipv4(h);
  const trk = (h: number) => path.join(s.lab.dir, `trk${h}`);
  const startHealth = (h: number) => {
    const js = `require('net').createServer((c) => { c.on('error', () => {}); c.end('ok'); }).listen(${HEALTH_PORT}, '${ip(h)}')`;
    health.set(h, s.lab.spawn(h, [process.execPath, '-e', js]));
  };

  before(async () => {
    await s.lab.exec(ROUTER, ['sysctl', '-qw', 'net.ipv4.fib_multipath_hash_policy=1', 'net.ipv6.fib_multipath_hash_policy=1'], { check: true });
    router = await FrrNode.start(s.lab, ROUTER, routerConfig(s.lab, [2, 3], { v6: true }));
    for (const h of [2, 3]) {
      fs.writeFileSync(trk(h), '0\n');
      routing.set(h, await startHostRouting('frr', s.lab, h, { v6: true }));
      startService(s.lab, h);
      startHealth(h);
    }
    await sessionsUp(router, 4);
    watch = await RouteWatch.start(s.lab, `${VIP}/32`);
    watch6 = await RouteWatch.start(s.lab, `${VIP6}/128`);
    client = new Client(s.lab);
  });
  after(async () => {
    client?.stop();
    watch?.stop();
    watch6?.stop();
    await s.stopAll();
    for (const r of routing.values()) await r.stop();
    await router?.stop();
  });

  test('both healthy: two ECMP paths (IPv4 and IPv6), and the client is answered by both hosts', async () => {
    for (const h of [2, 3]) {
      const conf = vs(ip(h)) + '\n' + ktsConf(s.lab, h, { mode: 'anycast', trackFile: trk(h), v6: true, extra: [`track_virtual_server ${VIP} ${HEALTH_PORT}`] });
      peers.set(h, s.track(startKts(s.lab, h, conf)));
    }
    await watch.until([ip(2), ip(3)]);
    await waitFor(() => watch6.via.length === 2, { timeoutMs: 15_000, what: 'two IPv6 paths' });
    const t = Date.now();
    await client.answered('h2', t);
    await client.answered('h3', t);
  });

  test('a failed health check on host 3 (quorum lost) withdraws its path only; the client stays answered', async () => {
    const t0 = Date.now();
    health.get(3)!.kill('SIGKILL');
    const c = await watch.until([ip(2)]);
    console.log(`anycast: host 3's path withdrawn ${Math.round(c.t - t0)} ms after its health service died (TCP_CHECK delay_loop 1 s)`);
    assert.ok(c.t - t0 < 5000);
    assert.equal(watch6.via.length, 2, 'VI_6 tracks no virtual server: both IPv6 paths stay');
    await sleep(500);
    const after = client.answers.filter((a) => a.t > c.t + 100);
    assert.ok(after.length > 10 && after.every((a) => a.who === 'h2'), `only host 2 answers now: ${JSON.stringify(after.slice(-5))}`);
    startHealth(3);
    await watch.until([ip(2), ip(3)]);
  });

  test('a tracker fault on host 2 withdraws its IPv4 and IPv6 paths; recovery announces them again', async () => {
    fs.writeFileSync(trk(2), '1\n');
    await watch.until([ip(3)]);
    await waitFor(() => watch6.via.length === 1, { timeoutMs: 10_000, what: 'one IPv6 path' });
    fs.writeFileSync(trk(2), '0\n');
    await watch.until([ip(2), ip(3)]);
    await waitFor(() => watch6.via.length === 2, { timeoutMs: 10_000, what: 'two IPv6 paths again' });
  });

  test('kill -9 of one daemon tree withdraws its paths at once; stopping both leaves nothing; never announced in FAULT', async () => {
    const t0 = Date.now();
    peers.get(3)!.crash();
    const c = await watch.until([ip(2)]);
    console.log(`anycast: kill -9 of host 3's daemons -> its path withdrawn in ${Math.round(c.t - t0)} ms`);
    assert.ok(c.t - t0 < 1000);
    await peers.get(2)!.stop();
    await watch.until([]);
    await waitFor(() => watch6.via.length === 0, { timeoutMs: 5000, what: 'no IPv6 path' });
    const runs = new Map([[ip(2), [peers.get(2)!]], [ip(3), [peers.get(3)!]]]);
    assert.deepEqual(checkTimeline(watch.changes, runs, { single: false, healthy: ['MASTER', 'BACKUP'] }), []);
  });
});
