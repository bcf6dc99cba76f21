import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codes, parse } from '../config/helpers';

const ELECTION = `
etcd_election ETCD {
    endpoints http://192.0.2.21:2379 http://192.0.2.22:2379
    endpoint http://192.0.2.23:2379
    key_prefix /ha/
    lease_ttl 3
    user kts
    password secret
}
`;
const inst = (extra = '') => `
vrrp_instance VI_1 {
    interface eth0
    election ETCD
    priority 150
    virtual_ipaddress {
        192.0.2.100/24
    }
${extra}
}
`;

test('config: etcd_election and election NAME make an elected instance, fully defaulted', () => {
  const r = parse(`global_defs {\n  router_id lb1\n}\n${ELECTION}${inst()}`);
  assert.deepEqual(codes(r), []);
  const e = r.config.elections[0];
  assert.deepEqual(
    { ...e, loc: undefined },
    { name: 'ETCD', loc: undefined, endpoints: ['http://192.0.2.21:2379', 'http://192.0.2.22:2379', 'http://192.0.2.23:2379'], keyPrefix: '/ha', leaseTtlMs: 3000, marginMs: 300, candidateId: 'lb1', user: 'kts', password: 'secret' },
  );
  const i = r.config.instances[0];
  assert.deepEqual({ ...i.election, loc: undefined }, { name: 'ETCD', key: 'VI_1', loc: undefined });
  assert.equal(i.virtualRouterId, 0, 'no VRID needed');
});

test('config: misuse is refused with located diagnostics', () => {
  const cases: [string, string, string[]][] = [
    ['unknown election', inst(), ['E_ELECTION_UNKNOWN@4']],
    ['defined after the instance', `${inst()}${ELECTION}`, ['E_ELECTION_UNKNOWN@4']],
    ['bad endpoint', `etcd_election E {\n  endpoints ftp://x:1 http://192.0.2.1:2379/v3\n}\n`, ['E_ELECTION_ENDPOINT@2', 'E_ELECTION_ENDPOINT@2', 'E_ELECTION_NO_ENDPOINT@3']],
    ['mixed schemes', `etcd_election E {\n  endpoints http://a:1 https://b:1\n}\n`, ['E_ELECTION_ENDPOINT@2']],
    ['TLS files for http', `etcd_election E {\n  endpoints http://a:1\n  cacert /ca.pem\n}\n`, ['E_ELECTION_TLS@3']],
    ['cert without key', `etcd_election E {\n  endpoints https://a:1\n  cert /c.pem\n}\n`, ['E_ELECTION_TLS@3']],
    ['user without password', `etcd_election E {\n  endpoints http://a:1\n  user u\n}\n`, ['E_ELECTION_AUTH@3']],
    ['client certificate and password', `etcd_election E {\n  endpoints https://a:1\n  cert /c.pem\n  key /k.pem\n  user u\n  password p\n}\n`, ['E_ELECTION_TLS_AUTH@5']],
    ['TTL too short', `etcd_election E {\n  endpoints http://a:1\n  lease_ttl 1\n}\n`, ['W_OUT_OF_RANGE@3', 'E_ELECTION_VALUE@3']],
    ['margin too large', `etcd_election E {\n  endpoints http://a:1\n  lease_ttl 2\n  safety_margin 1.5\n}\n`, ['E_ELECTION_VALUE@4']],
    ['in a sync group', `${ELECTION}${inst()}vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n`, ['E_ELECTION_SYNC_GROUP@22', 'W_EMPTY_SYNC_GROUP@20']],
    ['two instances, one key', `${ELECTION}${inst()}${inst().replace('VI_1', 'VI_2').replace('election ETCD', 'election ETCD key VI_1')}`, ['E_ELECTION_DUPLICATE_KEY@23']],
    ['a key with a slash', `${ELECTION}${inst().replace('election ETCD', 'election ETCD key a/b')}`, ['E_ELECTION_VALUE@13']],
    ['priority 255', `${ELECTION}${inst().replace('priority 150', 'priority 255')}`, ['W_ELECTION_OWNER@14']],
    ['VRRP-only keywords', `${ELECTION}${inst('    advert_int 1\n    unicast_peer {\n      192.0.2.12\n    }')}`, ['W_ELECTION_IGNORED@18', 'W_ELECTION_IGNORED@19']],
  ];
  for (const [what, text, want] of cases) assert.deepEqual(codes(parse(text)), want, what);
  // An instance whose election cannot be used does not run at all (not as a VRRP instance either).
  assert.equal(parse(inst()).config.instances.length, 0);
});

test('config: the worked example (examples/etcd/keepalived.conf) is clean', async () => {
  const { loadConfig } = await import('../../src/config');
  const path = await import('node:path');
  const r = loadConfig(path.join(__dirname, '..', '..', '..', 'examples', 'etcd', 'keepalived.conf'), { hostname: 'lb1' });
  assert.deepEqual(r.diagnostics.map((d) => d.code), []);
  const i = r.config.instances[0];
  assert.equal(i.election?.key, 'VI_WEB');
  assert.equal(r.config.elections[0].leaseTtlMs, 3000);
  assert.equal(r.config.elections[0].marginMs, 300);
});
