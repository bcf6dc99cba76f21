/**
 * Issue 12, cloud hooks: the notify_master examples in examples/etcd move an
 * AWS Elastic IP and secondary private IP (the AWS CLI itself) and a Google
 * Cloud alias IP range (the Compute API over fetch) to the new holder of an
 * etcd election, against a fake cloud API in a lab host (no cloud is
 * reachable here). Hosts 1 and 2: keepalived-ts (priorities 150 / 120);
 * host 3: one etcd member; host 4: the fake API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Lab, labUnavailableReason, waitFor } from './harness/netns';
import { startKts, type Peer } from './harness/peers';
import { EtcdCluster, etcdUnavailable } from './harness/etcd';

const why = labUnavailableReason() ?? etcdUnavailable();
const EX = path.join(__dirname, '..', '..', '..', 'examples', 'etcd');
const FAKE = path.join(__dirname, 'harness', 'drivers', 'fake-cloud.js');
const RANGE = '10.128.0.50/32';

interface CloudState {
  eip: Record<string, string>;
  privateIp: Record<string, string>;
  aliases: Record<string, string[]>;
  calls: { at: number; api: string; what: string }[];
}

describe(`e2e: cloud notify hooks on an etcd election (fake EC2 and Compute APIs)${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  let etcd: EtcdCluster;
  const peers = new Map<number, Peer>();
  let api = '';

  const conf = (h: number) => {
    const other = h === 1 ? 2 : 1;
    const inst = (name: string, vip: string, hook: string) => `
vrrp_instance ${name} {
    interface eth0
    election ETCD
    priority ${h === 1 ? 150 : 120}
    virtual_ipaddress {
        ${vip}/24
    }
    notify_master "${hook}"
}`;
    return `
global_defs {
    router_id host${h}
}
etcd_election ETCD {
    endpoints ${etcd.endpoints().join(' ')}
    lease_ttl 2
}
${inst('VI_EIP', '192.0.2.100', `${EX}/notify-aws-eip.sh eip eipalloc-kts i-host${h}`)}
${inst('VI_ENI', '192.0.2.101', `${EX}/notify-aws-eip.sh private 192.0.2.101 eni-host${h}`)}
${inst('VI_GCP', '192.0.2.102', `${EX}/notify-gcp-alias-ip.js kts-project zone-a vm-host${h} ${RANGE} vm-host${other}`)}
`;
  };
  const env = () => ({
    AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_DEFAULT_REGION: 'us-east-1',
    // Never ask a real instance metadata service (169.254.169.254) for anything.
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_ENDPOINT: api, GCE_API: `${api}/compute/v1`, GCE_METADATA: `${api}/computeMetadata/v1`,
  });
  const state = async (): Promise<CloudState> => {
    const r = await lab.exec(1, [process.execPath, '-e', `fetch('${api}/_state').then((r) => r.text()).then((t) => process.stdout.write(t))`], { check: true });
    return JSON.parse(r.stdout) as CloudState;
  };
  const waitCloud = async (what: string, ok: (s: CloudState) => boolean) => {
    let last: CloudState | undefined;
    try {
      return await waitFor(async () => {
        last = await state();
        return ok(last) ? last : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200, what });
    } catch (e) {
      const logs = [...peers.values()].map((p) => `--- host ${p.host}\n${p.text()}`).join('\n');
      throw new Error(`${(e as Error).message}\ncloud: ${JSON.stringify(last)}\n${logs}`);
    }
  };

  before(async () => {
    lab = await Lab.create({ hosts: 4, v6: false });
    api = `http://${lab.ipv4(4)}:8080`;
    const fake = lab.node(4, FAKE, [lab.ipv4(4), '8080', 'vm-host1', 'vm-host2']);
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: fake.stdout! }).on('line', (l) => l.includes('ready') && resolve());
      fake.once('exit', (c) => reject(new Error(`fake cloud exited ${c}`)));
    });
    etcd = await EtcdCluster.start(lab, [3]);
  });
  after(async () => {
    for (const p of peers.values()) await p.stop().catch(() => undefined);
    await etcd?.stop();
    await lab?.destroy();
  });

  test('the holder of each instance takes the Elastic IP, the secondary private IP and the alias range', async () => {
    for (const h of [1, 2]) peers.set(h, startKts(lab, h, conf(h), { env: env() }));
    for (const i of ['VI_EIP', 'VI_ENI', 'VI_GCP']) await peers.get(1)!.waitState('MASTER', i, 15_000);
    const s = await waitCloud('host 1 holds everything in the cloud', (x) =>
      x.eip['eipalloc-kts'] === 'i-host1' && x.privateIp['192.0.2.101'] === 'eni-host1' && x.aliases['vm-host1']?.includes(RANGE));
    assert.deepEqual(s.aliases['vm-host2'], []);
    assert.ok(s.calls.some((c) => c.what === 'AssociateAddress eipalloc-kts i-host1 reassoc=true'), JSON.stringify(s.calls));
  });

  test('kill -9 of the holder: the new holder moves all three to itself (the alias range off the old VM first)', async () => {
    const t0 = Date.now();
    peers.get(1)!.crash(); // its VIPs end by their kernel lifetime
    for (const i of ['VI_EIP', 'VI_ENI', 'VI_GCP']) await peers.get(2)!.waitState('MASTER', i, 15_000);
    const s = await waitCloud('host 2 holds everything in the cloud', (x) =>
      x.eip['eipalloc-kts'] === 'i-host2' && x.privateIp['192.0.2.101'] === 'eni-host2' && x.aliases['vm-host2']?.includes(RANGE));
    assert.deepEqual(s.aliases['vm-host1'], [], 'the range left the old VM');
    const gce = s.calls.filter((c) => c.api === 'gce' && c.at >= t0).map((c) => c.what);
    assert.deepEqual(gce, ['updateNetworkInterface vm-host1 []', `updateNetworkInterface vm-host2 [${RANGE}]`]);
    const ec2 = s.calls.filter((c) => c.api === 'ec2' && c.at >= t0).map((c) => c.what).sort();
    assert.deepEqual(ec2, ['AssignPrivateIpAddresses eni-host2 192.0.2.101 reassign=true', 'AssociateAddress eipalloc-kts i-host2 reassoc=true']);
  });
});
