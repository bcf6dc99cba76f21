import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AF_INET,
  AF_INET6,
  IFA_ADDRESS,
  IFA_F_SECONDARY,
  IFA_F_TENTATIVE,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  NLM_F_ACK,
  NLM_F_REQUEST,
  RTM_NEWADDR,
  RTM_NEWLINK,
  type AddressInfo,
  attr,
  attrNest,
  attrStr,
  attrU32,
  canonicalIp,
  decodeAddress,
  decodeLink,
  encodeMessage,
  ifaddrmsg,
  ifinfomsg,
  ipToBytes,
  ipToText,
  parseAttrs,
  parseMessages,
  pickPrimary,
} from '../../../src/net/linux/netlink';
import { vrrpMac } from '../../../src/net/linux/vmac';
import { loadNativeFrom } from '../../../src/native';

test('rtattr encoding pads to 4 bytes and records the unpadded length', () => {
  const a = attrStr(IFA_LABEL, 'eth0:1'); // 6 chars + NUL = 7 → len 11, padded 12
  assert.deepEqual([...a], [11, 0, IFA_LABEL, 0, ...Buffer.from('eth0:1\0'), 0]);
  assert.deepEqual([...attrU32(IFA_FLAGS, 0x202)], [8, 0, IFA_FLAGS, 0, 0x02, 0x02, 0, 0]);
});

test('nested attributes parse back, with NLA_F_NESTED stripped from the type', () => {
  const n = attrNest(IFLA_LINKINFO, attrStr(IFLA_INFO_KIND, 'macvlan'));
  n.writeUInt16LE(IFLA_LINKINFO | 0x8000, 2);
  const outer = parseAttrs(n, 0);
  const kind = parseAttrs(outer.get(IFLA_LINKINFO)!, 0).get(IFLA_INFO_KIND)!;
  assert.equal(kind.toString(), 'macvlan\0');
});

test('parseAttrs stops at a truncated attribute instead of reading past the end', () => {
  const good = attrU32(1, 7);
  const bad = Buffer.from([40, 0, 2, 0, 1, 2]); // claims 40 bytes, has 6
  const m = parseAttrs(Buffer.concat([good, bad]), 0);
  assert.deepEqual([...m.keys()], [1]);
});

test('encodeMessage writes nlmsghdr (len, type, flags, seq) and parseMessages splits a datagram', () => {
  const m1 = encodeMessage(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 42, ifaddrmsg(AF_INET, 24, 0, 0, 3), attr(IFA_LOCAL, ipToBytes('192.0.2.100', 4)));
  assert.equal(m1.readUInt32LE(0), 16 + 8 + 8);
  assert.equal(m1.readUInt16LE(4), RTM_NEWADDR);
  assert.equal(m1.readUInt16LE(6), NLM_F_REQUEST | NLM_F_ACK);
  assert.equal(m1.readUInt32LE(8), 42);
  const m2 = encodeMessage(RTM_NEWLINK, 0, 43, ifinfomsg(5, 1, 1), attrStr(IFLA_IFNAME, 'eth0'));
  const ms = parseMessages(Buffer.concat([m1, m2, Buffer.from([1, 2, 3])]));
  assert.deepEqual(ms.map((m) => [m.type, m.seq, m.body.length]), [[RTM_NEWADDR, 42, 16], [RTM_NEWLINK, 43, 28]]);
});

test('decodeAddress prefers IFA_LOCAL, reads 32-bit IFA_FLAGS and the label', () => {
  const body = Buffer.concat([
    ifaddrmsg(AF_INET, 24, IFA_F_SECONDARY, 0, 7),
    attr(IFA_ADDRESS, ipToBytes('198.51.100.1', 4)),
    attr(IFA_LOCAL, ipToBytes('192.0.2.100', 4)),
    attrStr(IFA_LABEL, 'eth0:vip'),
    attrU32(IFA_FLAGS, 0x201),
  ]);
  const a = decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, body });
  assert.deepEqual(a, { ifindex: 7, family: 4, address: '192.0.2.100', prefixLength: 24, flags: 0x201, scope: 0, label: 'eth0:vip' });
  const v6 = decodeAddress({
    type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0,
    body: Buffer.concat([ifaddrmsg(AF_INET6, 64, 0x80, 253, 2), attr(IFA_ADDRESS, ipToBytes('fe80::1', 6))]),
  });
  assert.deepEqual(v6, { ifindex: 2, family: 6, address: 'fe80::1', prefixLength: 64, flags: 0x80, scope: 253 });
  assert.equal(decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, body: Buffer.alloc(3) }), undefined);
});

test('decodeLink reads name, IFF_UP|IFF_RUNNING and the link kind', () => {
  const body = Buffer.concat([ifinfomsg(9, 0x1 | 0x40), attrStr(IFLA_IFNAME, 'vrrp.51'), attrNest(IFLA_LINKINFO, attrStr(IFLA_INFO_KIND, 'macvlan'))]);
  const l = decodeLink({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0, body });
  assert.deepEqual(l, { ifindex: 9, ifname: 'vrrp.51', flags: 0x41, up: true, kind: 'macvlan' });
  const down = decodeLink({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0, body: Buffer.concat([ifinfomsg(9, 0x1), attrStr(IFLA_IFNAME, 'x')]) });
  assert.equal(down?.up, false, 'IFF_UP without IFF_RUNNING (no carrier) is down');
});

test('IPv6 text round-trips to RFC 5952 canonical form', () => {
  const cases: [string, string][] = [
    ['2001:db8::100', '2001:db8::100'],
    ['2001:0DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['ff02::12', 'ff02::12'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::ff:fe00:11%eth0', 'fe80::ff:fe00:11'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [inp, out] of cases) assert.equal(canonicalIp(inp, 6), out, inp);
  assert.equal(ipToText(Buffer.from([192, 0, 2, 7])), '192.0.2.7');
});

test('malformed addresses throw KtsError BAD_ADDRESS', () => {
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7']) {
    assert.throws(() => ipToBytes(bad, 6), { code: 'BAD_ADDRESS' }, bad);
  }
  for (const bad of ['192.0.2', '192.0.2.256', '1.2.3.4.5', 'a.b.c.d']) {
    assert.throws(() => ipToBytes(bad, 4), { code: 'BAD_ADDRESS' }, bad);
  }
});

test('pickPrimary: first non-secondary IPv4; first non-tentative link-local IPv6', () => {
  const a = (address: string, family: 4 | 6, flags = 0): AddressInfo => ({ ifindex: 2, family, address, prefixLength: 24, flags, scope: 0 });
  assert.equal(pickPrimary([a('192.0.2.100', 4, IFA_F_SECONDARY), a('192.0.2.11', 4)], 4), '192.0.2.11');
  assert.equal(pickPrimary([a('2001:db8::11', 6), a('fe80::1', 6, IFA_F_TENTATIVE), a('fe80::2', 6)], 6), 'fe80::2');
  assert.equal(pickPrimary([a('2001:db8::11', 6)], 6), undefined);
  assert.equal(pickPrimary([], 4), undefined);
});

test('vrrpMac is 00:00:5e:00:01:VRID for IPv4 and 00:00:5e:00:02:VRID for IPv6 (RFC 5798 §7.3)', () => {
  assert.equal(vrrpMac(51, 4).toString('hex'), '00005e000133');
  assert.equal(vrrpMac(255, 6).toString('hex'), '00005e0002ff');
  assert.throws(() => vrrpMac(0, 4), { code: 'BAD_VRID' });
});

test('loadNativeFrom says why it cannot load: not built, not a shared object', () => {
  const missing = loadNativeFrom('/nonexistent/kts_native.node');
  assert.equal(missing.ok, false);
  assert.match((missing as { reason: string }).reason, /not built.*npm install/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-native-'));
  try {
    const junk = path.join(dir, 'kts_native.node');
    fs.writeFileSync(junk, 'not an ELF file');
    const r = loadNativeFrom(junk);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /not loadable|failed to load/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
