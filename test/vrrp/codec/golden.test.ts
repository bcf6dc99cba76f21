/**
 * Byte-exact goldens from real keepalived 2.2.7 (scripts/capture-golden.sh):
 * every capture decodes to the fields its config says, with the checksum
 * variant keepalived used, and re-encodes to the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstInstance, decodeAdvert, encodeAdvert, type ChecksumVariant } from '../../../src/vrrp/codec';
import { expectedAdvert, loadGolden } from './golden-data';

const golden = loadGolden();
const ALL: ChecksumVariant[] = ['pseudo', 'plain', 'pseudo-mcast'];

test('the fixture holds every captured case', () => {
  assert.match(golden.keepalived, /Keepalived v2\.2\.7/);
  const names = golden.cases.map((c) => c.name).sort();
  const want = [
    'v2-ipv4',
    'v2-ipv4-pass',
    'v2-ipv4-ah',
    'v3-ipv4',
    'v3-ipv6',
    'unicast-v2-ipv4',
    'unicast-v3-ipv4',
    'unicast-v3-ipv4-old-checksum',
    'unicast-v3-ipv6',
  ].flatMap((n) => [n, `${n}-prio0`]);
  assert.deepEqual(names, want.sort());
});

for (const c of golden.cases) {
  test(`golden ${c.name}: decodes to the configured fields and re-encodes byte-exact`, () => {
    const bytes = Buffer.from(c.payload, 'hex');
    // keepalived does not check TTL on unicast instances; its unicast IPv6 adverts
    // leave with the kernel's default hop limit (64).
    const unicast = c.name.startsWith('unicast-');
    const r = decodeAdvert(bytes, { family: c.family, src: c.src, dst: c.dst, ttl: c.ttl, checkTtl: !unicast, acceptChecksum: ALL });
    assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.detail}`);
    assert.deepEqual(r.advert, expectedAdvert(c));
    assert.equal(r.checksum, c.checksum);
    assert.equal(r.checksumValue, bytes.readUInt16BE(6));

    const again = encodeAdvert(r.advert, { family: c.family, src: c.src, dst: c.dst, checksum: c.checksum });
    assert.equal(again.toString('hex'), c.payload);
    // And from the expected fields alone, not from what we decoded.
    const fromConfig = encodeAdvert(expectedAdvert(c), { family: c.family, src: c.src, dst: c.dst, checksum: c.checksum });
    assert.equal(fromConfig.toString('hex'), c.payload);
  });
}

test('golden multicast cases carry TTL / hop limit 255; unicast IPv6 from keepalived 2.2.7 carries 64', () => {
  for (const c of golden.cases) {
    if (c.name.startsWith('unicast-v3-ipv6')) assert.equal(c.ttl, 64, c.name);
    else assert.equal(c.ttl, 255, c.name);
  }
  const u6 = golden.cases.find((c) => c.name === 'unicast-v3-ipv6')!;
  const r = decodeAdvert(Buffer.from(u6.payload, 'hex'), { family: 6, src: u6.src, dst: u6.dst, ttl: u6.ttl });
  assert.deepEqual(r.ok ? 'ok' : r.reason, 'ip_ttl_err');
});

test('golden v3 IPv4 multicast: keepalived puts the IPv4 pseudo-header in the checksum, so plain-only receivers drop it', () => {
  const c = golden.cases.find((k) => k.name === 'v3-ipv4')!;
  const bytes = Buffer.from(c.payload, 'hex');
  const plainOnly = decodeAdvert(bytes, { family: 4, src: c.src, dst: c.dst, ttl: 255, acceptChecksum: ['plain'] });
  assert.deepEqual(plainOnly.ok ? 'ok' : plainOnly.reason, 'checksum_err');
  const def = decodeAdvert(bytes, { family: 4, src: c.src, dst: c.dst, ttl: 255 });
  assert.ok(def.ok);
  assert.equal(def.checksum, 'pseudo');
});

test('golden unicast v3 with old_unicast_checksum needs pseudo-mcast (224.0.0.18 in the pseudo-header)', () => {
  const c = golden.cases.find((k) => k.name === 'unicast-v3-ipv4-old-checksum')!;
  const bytes = Buffer.from(c.payload, 'hex');
  const def = decodeAdvert(bytes, { family: 4, src: c.src, dst: c.dst, ttl: 255 });
  assert.deepEqual(def.ok ? 'ok' : def.reason, 'checksum_err');
  // The same advert without old_unicast_checksum uses the real unicast destination.
  const plainUnicast = golden.cases.find((k) => k.name === 'unicast-v3-ipv4')!;
  const r = decodeAdvert(Buffer.from(plainUnicast.payload, 'hex'), { family: 4, src: plainUnicast.src, dst: plainUnicast.dst, ttl: 255 });
  assert.ok(r.ok);
  assert.equal(r.checksum, 'pseudo');
});

test('golden v2 AH: keepalived sends auth type 2 with 8 zero bytes of auth data and a plain checksum', () => {
  const c = golden.cases.find((k) => k.name === 'v2-ipv4-ah')!;
  assert.equal(c.ipProto, 51);
  const bytes = Buffer.from(c.payload, 'hex');
  assert.equal(bytes[4], 2);
  assert.equal(bytes.subarray(bytes.length - 8).toString('hex'), '0000000000000000');
});

test('golden v3: keepalived leaves the 4 reserved bits zero', () => {
  for (const c of golden.cases.filter((k) => k.expected.version === 3)) {
    assert.equal(Buffer.from(c.payload, 'hex')[4] & 0xf0, 0, c.name);
  }
});

test('v3 IPv4 without pseudo-header (RFC 9568 / v3_checksum_as_v2), hand-computed', () => {
  // The v3-ipv4 golden advert (VRID 20, priority 200, 50 cs, 192.0.2.130-132) with the
  // checksum over the VRRP message only. 16-bit words, checksum field zero:
  //   3114 c803 0032 0000 c000 0282 c000 0283 c000 0284
  //   sum = 0x340d2 -> fold 0x40d2 + 0x3 = 0x40d5 -> checksum ~0x40d5 = 0xbf2a
  // (Cross-check, keepalived's pseudo variant: + c000 0201 e000 0012 0070 0014
  //  = 0x4e369 -> 0xe36d -> ~ = 0x1c92, which is what the golden carries.)
  const advert = {
    version: 3 as const,
    type: 1 as const,
    vrid: 20,
    priority: 200,
    authType: 0 as const,
    adverIntervalMs: 500,
    addresses: ['192.0.2.130', '192.0.2.131', '192.0.2.132'],
  };
  const ctx = { family: 4 as const, src: '192.0.2.1', dst: '224.0.0.18' };
  const bytes = encodeAdvert(advert, { ...ctx, checksum: 'plain' });
  assert.equal(bytes.toString('hex'), '3114c8030032bf2ac0000282c0000283c0000284');
  const r = decodeAdvert(bytes, { ...ctx, ttl: 255 });
  assert.ok(r.ok);
  assert.equal(r.checksum, 'plain');
  assert.equal(r.checksumValue, 0xbf2a);
  assert.deepEqual(r.advert, advert);
  // Only-pseudo receivers (keepalived without v3_checksum_as_v2) drop it.
  const strict = decodeAdvert(bytes, { ...ctx, ttl: 255, acceptChecksum: ['pseudo'] });
  assert.deepEqual(strict.ok ? 'ok' : strict.reason, 'checksum_err');
  // And the pseudo encoding is the golden.
  assert.equal(encodeAdvert(advert, ctx).toString('hex'), golden.cases.find((k) => k.name === 'v3-ipv4')!.payload);
});

test('goldens pass checkAgainstInstance with the config they were captured from', () => {
  // The instance configs in scripts/capture-golden.sh (addresses as spelled there).
  const config: Record<string, { authType: 0 | 1 | 2; authPass?: string; addresses: string[]; unicast: boolean }> = {
    'v2-ipv4': { authType: 0, addresses: ['192.0.2.100', '192.0.2.101'], unicast: false },
    'v2-ipv4-pass': { authType: 1, authPass: 'secretpassword', addresses: ['192.0.2.110'], unicast: false },
    'v2-ipv4-ah': { authType: 2, addresses: ['192.0.2.120'], unicast: false },
    'v3-ipv4': { authType: 0, addresses: ['192.0.2.130', '192.0.2.131', '192.0.2.132'], unicast: false },
    'v3-ipv6': { authType: 0, addresses: ['2001:db8::100', '2001:db8:0:0:1::101'], unicast: false },
    'unicast-v2-ipv4': { authType: 0, addresses: ['192.0.2.140'], unicast: true },
    'unicast-v3-ipv4': { authType: 0, addresses: ['192.0.2.141'], unicast: true },
    'unicast-v3-ipv4-old-checksum': { authType: 0, addresses: ['192.0.2.142'], unicast: true },
    'unicast-v3-ipv6': { authType: 0, addresses: ['2001:db8::143'], unicast: true },
  };
  for (const c of golden.cases) {
    const cfg = config[c.name.replace(/-prio0$/, '')];
    assert.ok(cfg, c.name);
    const r = decodeAdvert(Buffer.from(c.payload, 'hex'), { family: c.family, src: c.src, dst: c.dst, ttl: c.ttl, checkTtl: false, acceptChecksum: ALL });
    assert.ok(r.ok, c.name);
    const expect = { version: c.expected.version, adverIntervalMs: c.expected.adverIntervalMs, strict: true, ...cfg };
    assert.deepEqual(checkAgainstInstance(r.advert, expect, c), { ok: true, warnings: [], details: [] }, c.name);
  }
  // A PASS instance with another password rejects keepalived's advert.
  const pass = golden.cases.find((k) => k.name === 'v2-ipv4-pass')!;
  const r = decodeAdvert(Buffer.from(pass.payload, 'hex'), { family: 4, src: pass.src, dst: pass.dst, ttl: 255 });
  assert.ok(r.ok);
  const bad = checkAgainstInstance(r.advert, { version: 2, authType: 1, authPass: 'secretpX', adverIntervalMs: 1000, addresses: ['192.0.2.110'] });
  assert.deepEqual(bad.ok ? 'ok' : bad.reason, 'auth_failure');
});
