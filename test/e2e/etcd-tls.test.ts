/**
 * Issue 12: the election over TLS, against real etcd 3.4 members: host 3
 * serves TLS and has authentication on (user / password, a role limited to
 * the key prefix); host 4 requires a client certificate (mutual TLS, no
 * authentication). etcd refuses JSON-gateway requests that carry a client
 * certificate once authentication is on, so the two do not combine (-t says
 * so). Hosts 1 and 2 run keepalived-ts with one instance on each cluster.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason } from './harness/netns';
import { holders, startKts, waitHolders, type Peer } from './harness/peers';
import { EtcdCluster, etcdUnavailable, makeTestPki, type TestPki } from './harness/etcd';

const why = labUnavailableReason() ?? etcdUnavailable();
const VIP_PW = '192.0.2.100';
const VIP_MTLS = '192.0.2.101';

describe(`e2e: etcd election over TLS, with a password or a client certificate${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  let pw: EtcdCluster;
  let mtls: EtcdCluster;
  let pki: TestPki;
  const peers = new Map<number, Peer>();
  const conf = (h: number, password = 'kts-secret') => `
global_defs {
    router_id host${h}
}
etcd_election ETCD_PW {
    endpoints ${pw.endpoints().join(' ')}
    cacert ${pki.ca}
    user kts
    password ${password}
    key_prefix /kts-tls
    lease_ttl 2
}
etcd_election ETCD_MTLS {
    endpoints ${mtls.endpoints().join(' ')}
    cacert ${pki.ca}
    cert ${pki.clientCert}
    key ${pki.clientKey}
    lease_ttl 2
}
vrrp_instance VI_PW {
    interface eth0
    election ETCD_PW
    priority ${h === 1 ? 150 : 120}
    virtual_ipaddress {
        ${VIP_PW}/24
    }
}
vrrp_instance VI_MTLS {
    interface eth0
    election ETCD_MTLS
    priority ${h === 1 ? 150 : 120}
    virtual_ipaddress {
        ${VIP_MTLS}/24
    }
}
`;
  const withLog = <T>(h: number, p: Promise<T>) => p.catch((e: Error) => {
    throw new Error(`${e.message}\n${peers.get(h)?.text()}`);
  });

  before(async () => {
    lab = await Lab.create({ hosts: 4, v6: false });
    pki = makeTestPki(lab.dir, [lab.ipv4(3), lab.ipv4(4)]);
    pw = await EtcdCluster.start(lab, [3], pki, false);
    mtls = await EtcdCluster.start(lab, [4], pki, true);
    const ctl = async (...a: string[]) => {
      const r = await pw.etcdctl(3, a);
      assert.equal(r.code, 0, `etcdctl ${a.join(' ')}: ${r.stderr}`);
    };
    await ctl('user', 'add', 'root', '--new-user-password', 'root-secret');
    await ctl('user', 'grant-role', 'root', 'root');
    await ctl('user', 'add', 'kts', '--new-user-password', 'kts-secret');
    await ctl('role', 'add', 'kts');
    await ctl('role', 'grant-permission', 'kts', '--prefix=true', 'readwrite', '/kts-tls/');
    await ctl('user', 'grant-role', 'kts', 'kts');
    await ctl('auth', 'enable');
  });
  after(async () => {
    for (const p of peers.values()) await p.stop().catch(() => undefined);
    await pw?.stop();
    await mtls?.stop();
    await lab?.destroy();
  });

  test('TLS with a password, and mutual TLS: the highest priority holds both, SIGTERM hands both over', async () => {
    for (const h of [1, 2]) peers.set(h, startKts(lab, h, conf(h)));
    await withLog(1, peers.get(1)!.waitState('MASTER', 'VI_PW', 15_000));
    await withLog(1, peers.get(1)!.waitState('MASTER', 'VI_MTLS', 15_000));
    await waitHolders(lab, VIP_PW, [1]);
    await waitHolders(lab, VIP_MTLS, [1]);
    // What etcd holds, read as root: only below the prefix the role allows.
    const r = await pw.etcdctl(3, ['--user', 'root:root-secret', 'get', '--prefix', '--keys-only', '/kts-tls/']);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['/kts-tls/VI_PW/candidates/host1', '/kts-tls/VI_PW/candidates/host2', '/kts-tls/VI_PW/fence', '/kts-tls/VI_PW/leader']);
    const t0 = Date.now();
    await peers.get(1)!.stop();
    await waitHolders(lab, VIP_PW, [2], 5000);
    await waitHolders(lab, VIP_MTLS, [2], 5000);
    assert.ok(Date.now() - t0 < 2500, `handover in ${Date.now() - t0} ms`);
  });

  test('a wrong password: that instance never campaigns and says why; the holder keeps its VIP', async () => {
    const p = startKts(lab, 1, conf(1, 'wrong'));
    peers.set(1, p);
    await withLog(1, p.waitLog(/election \/kts-tls\/VI_PW: .*authentication failed/, 10_000));
    await withLog(1, p.waitState('MASTER', 'VI_MTLS', 15_000));
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await holders(lab, VIP_PW), [2]);
    assert.equal(await p.state('VI_PW'), 'BACKUP');
  });
});
