/**
 * Property tests: decode(encode(a)) == a for arbitrary valid adverts (v2/v3,
 * both families, every checksum variant), and a 50k-packet fuzz of random and
 * mutated packets through decodeAdvert (zero exceptions, every result well
 * formed). The 1M-packet fuzz is bench/fuzz-codec.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import {
  DROP_REASONS,
  bytesToIp,
  decodeAdvert,
  encodeAdvert,
  type Advert,
  type ChecksumVariant,
  type DecodeOptions,
} from '../../../src/vrrp/codec';
import type { Family } from '../../../src/net/ports';
import { loadGolden } from './golden-data';

const ip4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => bytesToIp(b));
const ip6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIp(b));

interface Case {
  advert: Advert;
  family: Family;
  src: string;
  dst: string;
  checksum: ChecksumVariant;
}

const arbCase: fc.Arbitrary<Case> = fc.oneof(
  // VRRPv2, IPv4
  fc.record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    seconds: fc.integer({ min: 1, max: 255 }),
    addresses: fc.array(ip4, { maxLength: 20 }),
    auth: fc.oneof(
      fc.constant({ authType: 0 as const }),
      fc.constant({ authType: 2 as const }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }).map((d) => ({ authType: 1 as const, authData: Buffer.from(d) })),
    ),
    src: ip4,
    dst: ip4,
  }).map(
    (r): Case => ({
      advert: { version: 2, type: 1, vrid: r.vrid, priority: r.priority, ...r.auth, adverIntervalMs: r.seconds * 1000, addresses: r.addresses },
      family: 4,
      src: r.src,
      dst: r.dst,
      checksum: 'plain',
    }),
  ),
  // VRRPv3, IPv4 or IPv6
  fc.record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    cs: fc.integer({ min: 1, max: 4095 }),
    six: fc.boolean(),
    n: fc.integer({ min: 0, max: 12 }),
    a4: fc.array(ip4, { minLength: 12, maxLength: 12 }),
    a6: fc.array(ip6, { minLength: 12, maxLength: 12 }),
    s4: fc.tuple(ip4, ip4),
    s6: fc.tuple(ip6, ip6),
    checksum: fc.constantFrom<ChecksumVariant>('pseudo', 'plain', 'pseudo-mcast'),
  }).map(
    (r): Case => ({
      advert: {
        version: 3,
        type: 1,
        vrid: r.vrid,
        priority: r.priority,
        authType: 0,
        adverIntervalMs: r.cs * 10,
        addresses: (r.six ? r.a6 : r.a4).slice(0, r.n),
      },
      family: r.six ? 6 : 4,
      src: r.six ? r.s6[0] : r.s4[0],
      dst: r.six ? r.s6[1] : r.s4[1],
      checksum: r.six ? 'pseudo' : r.checksum,
    }),
  ),
);

test('round trip: decode(encode(a)) == a, with the checksum variant reported', () => {
  fc.assert(
    fc.property(arbCase, (c) => {
      const bytes = encodeAdvert(c.advert, { family: c.family, src: c.src, dst: c.dst, checksum: c.checksum });
      const r = decodeAdvert(bytes, {
        family: c.family,
        src: c.src,
        dst: c.dst,
        ttl: 255,
        acceptChecksum: [c.checksum],
      });
      assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.detail}`);
      assert.deepEqual(r.advert, c.advert);
      // A multicast destination makes pseudo and pseudo-mcast the same bytes.
      assert.equal(r.checksum, c.checksum);
      assert.equal(r.checksumValue, bytes.readUInt16BE(6));
      // Re-encoding what we decoded gives the same bytes.
      assert.deepEqual(encodeAdvert(r.advert, { family: c.family, src: c.src, dst: c.dst, checksum: r.checksum }), bytes);
    }),
    { numRuns: 3000 },
  );
});

/** Deterministic xorshift PRNG so a failure is reproducible from the seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

test('fuzz: 50k random and mutated packets, decode never throws and results are well formed', () => {
  const golden = loadGolden().cases.map((c) => ({ bytes: Buffer.from(c.payload, 'hex'), opts: { family: c.family, src: c.src, dst: c.dst, ttl: c.ttl } as DecodeOptions }));
  const next = rng(0x5eed);
  const reasons = new Set<string>(DROP_REASONS);
  const seen = new Map<string, number>();
  let accepted = 0;
  for (let i = 0; i < 50_000; i++) {
    const g = golden[next() % golden.length];
    let buf: Buffer;
    const mode = next() % 5;
    if (mode === 0) {
      buf = Buffer.alloc(next() % 80);
      for (let k = 0; k < buf.length; k++) buf[k] = next() & 0xff;
      if (buf.length > 0 && next() % 2) buf[0] = (next() % 2 ? 0x21 : 0x31);
    } else if (mode === 1) {
      buf = Buffer.from(g.bytes);
      const flips = 1 + (next() % 4);
      for (let k = 0; k < flips; k++) {
        const bit = next() % (buf.length * 8);
        buf[bit >> 3] ^= 1 << (bit & 7);
      }
    } else if (mode === 2) {
      buf = Buffer.from(g.bytes.subarray(0, next() % (g.bytes.length + 1)));
    } else if (mode === 3) {
      const extra = Buffer.alloc(1 + (next() % 40));
      for (let k = 0; k < extra.length; k++) extra[k] = next() & 0xff;
      buf = Buffer.concat([g.bytes, extra]);
    } else {
      buf = Buffer.from(g.bytes);
      buf[3] = next() & 0xff; // address count lies
    }
    const opts: DecodeOptions = next() % 4 === 0 ? { ...g.opts, ttl: next() & 0xff, family: next() % 2 ? 4 : 6 } : g.opts;
    const r = decodeAdvert(buf, { ...opts, checkTtl: false });
    if (r.ok) {
      accepted++;
      assert.ok(r.advert.vrid >= 1 && r.advert.vrid <= 255);
      assert.ok(r.advert.adverIntervalMs > 0);
      assert.equal(r.advert.addresses.length, buf[3]);
    } else {
      assert.ok(reasons.has(r.reason), r.reason);
      assert.equal(typeof r.detail, 'string');
      seen.set(r.reason, (seen.get(r.reason) ?? 0) + 1);
    }
  }
  // The unmodified prefix / extension cases hit the length check; flips hit the checksum.
  assert.ok((seen.get('packet_len_err') ?? 0) > 1000);
  assert.ok((seen.get('checksum_err') ?? 0) > 1000);
  assert.ok(accepted > 0);
});

test('decode never throws on hostile option values', () => {
  const bytes = encodeAdvert({ version: 3, type: 1, vrid: 1, priority: 1, authType: 0, adverIntervalMs: 1000, addresses: [] }, {
    family: 4,
    src: '192.0.2.1',
    dst: '224.0.0.18',
  });
  const hostile: unknown[] = [
    { family: 4, src: undefined, dst: null, ttl: 255 },
    { family: 6, src: 1, dst: {}, ttl: 255 },
    { family: 4, src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, acceptChecksum: ['bogus'] },
    { family: 'x', ttl: 'y' },
    { family: 4, src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, acceptChecksum: ['plain'] },
    undefined,
    null,
  ];
  for (const o of hostile) {
    const r = decodeAdvert(bytes, o as DecodeOptions);
    assert.equal(r.ok, false);
  }
  // A non-array acceptChecksum falls back to the default list.
  const lenient = decodeAdvert(bytes, { family: 4, src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, acceptChecksum: 5 } as unknown as DecodeOptions);
  assert.equal(lenient.ok, true);
  assert.equal(decodeAdvert('not a buffer' as unknown as Buffer, { family: 4, src: '', dst: '', ttl: 255 }).ok, false);
});
