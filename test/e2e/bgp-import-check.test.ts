/**
 * Issue 13, FRR's other way of announcing: `network 198.51.100.10/32` under
 * `bgp network import-check` (FRR's default), instead of redistribute
 * connected. The /32 keepalived-ts puts on its TUN device is a connected
 * route in zebra's RIB, so bgpd announces the network while it is there and
 * withdraws it when it goes - also when the device itself goes with a
 * killed daemon.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { labUnavailableReason } from './harness/netns';
import { startKts, type Peer } from './harness/peers';
import { labSuite } from './harness/suite';
import { FrrNode, frrMissing, HOST_ASN, ROUTER, ROUTER_ASN, routerConfig, RouteWatch, wireBgpLab } from './harness/frr';
import { ktsConf, sessionsUp, VIP } from './harness/bgp';

const why = labUnavailableReason() ?? frrMissing();

describe(`e2e: route_announce with FRR's network + import-check${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let router: FrrNode | undefined;
  let host: FrrNode | undefined;
  let watch: RouteWatch | undefined;
  let peer: Peer | undefined;
  after(async () => {
    watch?.stop();
    await peer?.stop();
    await host?.stop();
    await router?.stop();
  });
  const s = labSuite({ hosts: 4 }, wireBgpLab);

  test('announced while the VIP is on the device, withdrawn when the daemon is killed, back when it returns', async () => {
    const lab = s.lab;
    router = await FrrNode.start(lab, ROUTER, routerConfig(lab, [2], { bfd: false }));
    host = await FrrNode.start(lab, 2, {
      bgpd: [
        `router bgp ${HOST_ASN}`,
        ` bgp router-id ${lab.ipv4(2)}`,
        ' bgp network import-check',
        ' no bgp ebgp-requires-policy',
        ` neighbor ${lab.ipv4(ROUTER)} remote-as ${ROUTER_ASN}`,
        ` neighbor ${lab.ipv4(ROUTER)} timers 1 3`,
        ` neighbor ${lab.ipv4(ROUTER)} advertisement-interval 0`,
        ' address-family ipv4 unicast',
        `  network ${VIP}/32`,
        ' exit-address-family',
        'exit',
        '',
      ].join('\n'),
    });
    await sessionsUp(router, 1);
    watch = await RouteWatch.start(lab, `${VIP}/32`);
    assert.deepEqual(watch.via, [], 'import-check: nothing announced before the VIP exists');
    const conf = () => ktsConf(lab, 2, { trackFile: path.join(lab.dir, 'none') });
    peer = startKts(lab, 2, conf());
    await watch.until([lab.ipv4(2)]);
    const t0 = Date.now();
    peer.crash();
    const gone = await watch.until([]);
    console.log(`network + import-check: withdrawn ${Math.round(gone.t - t0)} ms after kill -9`);
    assert.ok(gone.t - t0 < 1000);
    peer = startKts(lab, 2, conf());
    await watch.until([lab.ipv4(2)]);
  });
});
