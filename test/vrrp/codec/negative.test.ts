/**
 * One negative test per DropReason (decodeAdvert and checkAgainstInstance),
 * each asserting the reason, plus the ladder order when several checks fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DROP_REASONS,
  checkAgainstInstance,
  decodeAdvert,
  encodeAdvert,
  internetChecksum,
  type Advert,
  type DecodeOptions,
  type DropReason,
} from '../../../src/vrrp/codec';

const V4: DecodeOptions = { family: 4, src: '192.0.2.1', dst: '224.0.0.18', ttl: 255 };
const V6: DecodeOptions = { family: 6, src: 'fe80::1', dst: 'ff02::12', ttl: 255 };

const v2: Advert = { version: 2, type: 1, vrid: 51, priority: 100, authType: 0, adverIntervalMs: 1000, addresses: ['192.0.2.100'] };
const v2pass: Advert = { ...v2, authType: 1, authData: Buffer.from('secret\0\0') };
const v3: Advert = { version: 3, type: 1, vrid: 51, priority: 100, authType: 0, adverIntervalMs: 1000, addresses: ['192.0.2.100'] };
const v3six: Advert = { ...v3, addresses: ['2001:db8::100'] };

/** A v2 packet with byte edits applied and its plain checksum recomputed. */
function v2With(edit: (b: Buffer) => void, base: Advert = v2): Buffer {
  const b = encodeAdvert(base, V4);
  edit(b);
  b.writeUInt16BE(0, 6);
  b.writeUInt16BE(internetChecksum(b), 6);
  return b;
}

function reasonOf(buf: Buffer, opts: DecodeOptions): string {
  const r = decodeAdvert(buf, opts);
  if (r.ok) return 'ok';
  assert.equal(typeof r.detail, 'string');
  assert.ok(r.detail.length > 0);
  return r.reason;
}

const covered = new Set<DropReason>();
function expectDrop(reason: DropReason, buf: Buffer, opts: DecodeOptions): void {
  assert.equal(reasonOf(buf, opts), reason);
  covered.add(reason);
}

test('baseline: the unmodified packets decode', () => {
  assert.equal(reasonOf(encodeAdvert(v2, V4), V4), 'ok');
  assert.equal(reasonOf(encodeAdvert(v3, V4), V4), 'ok');
  assert.equal(reasonOf(encodeAdvert(v3six, V6), V6), 'ok');
  assert.equal(reasonOf(v2With(() => {}), V4), 'ok');
});

test('packet_len_err: shorter than the header', () => {
  for (let n = 0; n < 8; n++) expectDrop('packet_len_err', encodeAdvert(v2, V4).subarray(0, n), V4);
});

test('packet_len_err: truncated address list / auth data, and trailing bytes', () => {
  const full = encodeAdvert(v2, V4);
  expectDrop('packet_len_err', full.subarray(0, full.length - 1), V4);
  expectDrop('packet_len_err', Buffer.concat([full, Buffer.alloc(1)]), V4);
  expectDrop('packet_len_err', v2With((b) => (b[3] = 2)), V4); // count says 2, room for 1
  const six = encodeAdvert(v3six, V6);
  expectDrop('packet_len_err', six.subarray(0, 8 + 4), V6);
});

test('ip_ttl_err: TTL / hop limit other than 255, unless checkTtl is off', () => {
  expectDrop('ip_ttl_err', encodeAdvert(v2, V4), { ...V4, ttl: 254 });
  expectDrop('ip_ttl_err', encodeAdvert(v3six, V6), { ...V6, ttl: 1 });
  assert.equal(reasonOf(encodeAdvert(v2, V4), { ...V4, ttl: 64, checkTtl: false }), 'ok');
});

test('version_err: version other than 2 and 3', () => {
  for (const ver of [0, 1, 4, 15]) expectDrop('version_err', v2With((b) => (b[0] = (ver << 4) | 1)), V4);
});

test('invalid_type_rcvd: type other than 1 (ADVERTISEMENT)', () => {
  for (const type of [0, 2, 15]) expectDrop('invalid_type_rcvd', v2With((b) => (b[0] = 0x20 | type)), V4);
});

test('vrid_err: VRID 0', () => {
  expectDrop('vrid_err', v2With((b) => (b[1] = 0)), V4);
});

test('addr_family_err: VRRPv2 over IPv6, unknown family', () => {
  const b = Buffer.alloc(8 + 16 + 8);
  b[0] = 0x21;
  b[1] = 1;
  b[3] = 1;
  b[5] = 1;
  expectDrop('addr_family_err', b, V6);
  expectDrop('addr_family_err', encodeAdvert(v2, V4), { ...V4, family: 5 as 4 });
});

test('checksum_err: corrupted v2, v3 IPv4, v3 IPv6, wrong pseudo-header addresses', () => {
  const a = encodeAdvert(v2, V4);
  a[7] ^= 1;
  expectDrop('checksum_err', a, V4);
  const b = encodeAdvert(v3, V4);
  b[2] ^= 0x80;
  expectDrop('checksum_err', b, V4);
  const c = encodeAdvert(v3six, V6);
  c[c.length - 1] ^= 1;
  expectDrop('checksum_err', c, V6);
  // The IPv6 and v3 IPv4 pseudo-headers include the addresses: a different source fails.
  expectDrop('checksum_err', encodeAdvert(v3six, V6), { ...V6, src: 'fe80::2' });
  expectDrop('checksum_err', encodeAdvert(v3, V4), { ...V4, src: '192.0.2.2', acceptChecksum: ['pseudo'] });
  // No accepted variant at all; src/dst that are not addresses.
  expectDrop('checksum_err', encodeAdvert(v3, V4), { ...V4, acceptChecksum: [] });
  expectDrop('checksum_err', encodeAdvert(v3six, V6), { ...V6, src: 'not-an-address' });
});

test('invalid_authtype: v2 auth type 3..255', () => {
  for (const at of [3, 7, 255]) expectDrop('invalid_authtype', v2With((b) => (b[4] = at)), V4);
});

test('advert_interval_err: zero interval in the packet (v2 and v3)', () => {
  expectDrop('advert_interval_err', v2With((b) => (b[5] = 0)), V4);
  const b = encodeAdvert(v3, V4);
  const patched = Buffer.from(b);
  patched[4] = 0xf0; // only reserved bits set: interval 0
  patched[5] = 0;
  // Re-encode checksum for the pseudo-header variant by round-tripping through plain.
  patched.writeUInt16BE(0, 6);
  patched.writeUInt16BE(internetChecksum(patched), 6);
  expectDrop('advert_interval_err', patched, { ...V4, acceptChecksum: ['plain'] });
});

test('ladder order: TTL before version before type before length before checksum', () => {
  const bad = Buffer.from([0x12, 0, 0, 9, 0, 0, 0xde, 0xad]); // v1, type 2, vrid 0, short, bad sum
  assert.equal(reasonOf(bad, { ...V4, ttl: 1 }), 'ip_ttl_err');
  assert.equal(reasonOf(bad, V4), 'version_err');
  bad[0] = 0x22;
  assert.equal(reasonOf(bad, V4), 'invalid_type_rcvd');
  bad[0] = 0x21;
  assert.equal(reasonOf(bad, V4), 'vrid_err');
  bad[1] = 1;
  assert.equal(reasonOf(bad, V4), 'packet_len_err');
  bad[3] = 0;
  const withAuth = Buffer.concat([bad, Buffer.alloc(8)]);
  assert.equal(reasonOf(withAuth, V4), 'checksum_err');
});

test('v3 reserved bits are ignored on reception (RFC 5798 §5.2.7)', () => {
  const b = encodeAdvert(v3, V4);
  b[4] |= 0xa0;
  b.writeUInt16BE(0, 6);
  b.writeUInt16BE(internetChecksum(b), 6);
  const r = decodeAdvert(b, { ...V4, acceptChecksum: ['plain'] });
  assert.ok(r.ok);
  assert.equal(r.advert.adverIntervalMs, 1000);
});

// ---- instance-level checks ----

const expectV2 = { version: 2 as const, authType: 0 as const, adverIntervalMs: 1000, addresses: ['192.0.2.100'] };

function instanceReason(a: Advert, e: Parameters<typeof checkAgainstInstance>[1], ctx?: Parameters<typeof checkAgainstInstance>[2]): string {
  const r = checkAgainstInstance(a, e, ctx);
  if (r.ok) return 'ok';
  assert.ok(r.detail.length > 0);
  covered.add(r.reason);
  return r.reason;
}

test('instance: matching adverts pass with no warnings', () => {
  assert.deepEqual(checkAgainstInstance(v2, expectV2), { ok: true, warnings: [], details: [] });
  assert.equal(instanceReason(v2pass, { ...expectV2, authType: 1, authPass: 'secret' }), 'ok');
  assert.equal(instanceReason(v3, { ...expectV2, version: 3 }), 'ok');
});

test('instance version_err: a v3 advert for a v2 instance', () => {
  assert.equal(instanceReason(v3, expectV2), 'version_err');
});

test('instance authtype_mismatch: PASS received, none configured, and the reverse', () => {
  assert.equal(instanceReason(v2pass, expectV2), 'authtype_mismatch');
  assert.equal(instanceReason(v2, { ...expectV2, authType: 1, authPass: 'secret' }), 'authtype_mismatch');
  assert.equal(instanceReason({ ...v2, authType: 2 }, expectV2), 'authtype_mismatch');
});

test('instance auth_failure: wrong password; passwords compare on their first 8 bytes', () => {
  assert.equal(instanceReason(v2pass, { ...expectV2, authType: 1, authPass: 'secreT' }), 'auth_failure');
  assert.equal(instanceReason(v2pass, { ...expectV2, authType: 1 }), 'auth_failure');
  const long = { ...v2, authType: 1 as const, authData: Buffer.from('secretpa') };
  assert.equal(instanceReason(long, { ...expectV2, authType: 1, authPass: 'secretpassword' }), 'ok');
  assert.equal(instanceReason(long, { ...expectV2, authType: 1, authPass: Buffer.from('secretpa') }), 'ok');
});

test('instance advert_interval_err: v2 interval differs (RFC 3768 MUST discard); v3 learns it', () => {
  assert.equal(instanceReason({ ...v2, adverIntervalMs: 2000 }, expectV2), 'advert_interval_err');
  assert.equal(instanceReason({ ...v3, adverIntervalMs: 2000 }, { ...expectV2, version: 3 }), 'ok');
});

test('instance addr_list_err: a warning by default, a drop when strict (unless from the owner)', () => {
  const other = { ...v2, addresses: ['192.0.2.100', '192.0.2.101'] };
  const r = checkAgainstInstance(other, expectV2);
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, ['addr_list_err']);
  assert.match(r.details[0], /unexpected 192\.0\.2\.101/);
  assert.equal(instanceReason(other, { ...expectV2, strict: true }), 'addr_list_err');
  assert.equal(instanceReason({ ...other, priority: 255 }, { ...expectV2, strict: true }), 'ok');
  // Same set in another order and spelling is not a mismatch.
  const six = { ...v3, addresses: ['2001:db8::1', '2001:db8::2'] };
  assert.deepEqual(checkAgainstInstance(six, { ...expectV2, version: 3, addresses: ['2001:DB8:0::2', '2001:db8::0:1'] }), {
    ok: true,
    warnings: [],
    details: [],
  });
});

test('instance addr_list_err: multicast packet for a unicast instance and the reverse (keepalived)', () => {
  const mc = { family: 4 as const, src: '192.0.2.1', dst: '224.0.0.18' };
  const uc = { family: 4 as const, src: '192.0.2.1', dst: '192.0.2.2' };
  assert.equal(instanceReason(v2, { ...expectV2, unicast: true }, mc), 'addr_list_err');
  assert.equal(instanceReason(v2, { ...expectV2, unicast: false }, uc), 'addr_list_err');
  assert.equal(instanceReason(v2, { ...expectV2, unicast: true }, uc), 'ok');
  assert.equal(instanceReason(v3six, { ...expectV2, version: 3, addresses: ['2001:db8::100'], unicast: false }, { family: 6, src: 'fe80::1', dst: 'ff02::12' }), 'ok');
  // Without a packet context the check is skipped.
  assert.equal(instanceReason(v2, { ...expectV2, unicast: true }), 'ok');
});

test('every DropReason has a negative test above', () => {
  assert.deepEqual([...covered].sort(), [...DROP_REASONS].sort());
});
