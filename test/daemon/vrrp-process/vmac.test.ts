import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config';
import { planVmacs } from '../../../src/daemon/vrrp-process/vmac';

const conf = (extra: string) => parseConfigText(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    use_vmac
${extra}
    virtual_ipaddress {
        192.0.2.100/24
        192.0.2.101/24 dev eth1
    }
}
`, 'k.conf', { hostname: 'h' }).config;

test('use_vmac: the instance runs on vrrp.<VRID>, its VIPs on the interface move there, adverts keep the interface address as source', () => {
  const p = planVmacs(conf(''), (i, f) => (i === 'eth0' && f === 4 ? '192.0.2.11' : undefined));
  assert.deepEqual(p.vmacs, [{ instance: 'VI_1', name: 'vrrp.51', parent: 'eth0', vrid: 51, family: 4 }]);
  const i = p.config.instances[0];
  assert.equal(i.interface, 'vrrp.51');
  assert.equal(i.mcastSrcIp, '192.0.2.11');
  assert.deepEqual(i.virtualIpaddress.map((v) => `${v.address} ${v.ifname}`), ['192.0.2.100 vrrp.51', '192.0.2.101 eth1']);
  assert.deepEqual(p.warnings, []);
});

test('vmac_xmit_base: adverts stay on the interface, VIPs still on the VMAC', () => {
  const p = planVmacs(conf('    vmac_xmit_base'), () => '192.0.2.11');
  const i = p.config.instances[0];
  assert.equal(i.interface, 'eth0');
  assert.equal(i.mcastSrcIp, undefined);
  assert.equal(i.virtualIpaddress[0].ifname, 'vrrp.51');
});

test('IPv6: the VMAC gets the interface link-local to advertise from', () => {
  const v6 = parseConfigText('vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 61\n version 3\n use_vmac\n virtual_ipaddress {\n  2001:db8::100/64\n }\n}', 'k.conf', { hostname: 'h' }).config;
  const p = planVmacs(v6, (i, f) => (i === 'eth0' && f === 6 ? 'fe80::ff:fe00:11' : undefined));
  assert.deepEqual(p.vmacs, [{ instance: 'VI_6', name: 'vrrp.61', parent: 'eth0', vrid: 61, family: 6, linkLocal: 'fe80::ff:fe00:11' }]);
  assert.equal(p.config.instances[0].interface, 'vrrp.61');
  assert.equal(p.config.instances[0].mcastSrcIp, 'fe80::ff:fe00:11');
  assert.equal(p.config.instances[0].virtualIpaddress[0].ifname, 'vrrp.61');
  assert.deepEqual(p.warnings, []);
});

test('a named VMAC, and the unsupported unicast case kept on the interface with a warning', () => {
  const text = 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n use_vmac vmac7\n virtual_ipaddress {\n  192.0.2.7\n }\n}';
  const named = planVmacs(parseConfigText(text, 'k.conf', { hostname: 'h' }).config, () => '192.0.2.11');
  assert.equal(named.vmacs[0].name, 'vmac7');
  const uni = planVmacs(conf('    unicast_peer {\n        192.0.2.12\n    }'), () => '192.0.2.11');
  assert.deepEqual(uni.vmacs, []);
  assert.equal(uni.config.instances[0].interface, 'eth0');
  assert.match(uni.warnings[0], /use_vmac with unicast peers is not supported/);
});
