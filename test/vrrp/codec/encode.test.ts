import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KtsError } from '../../../src/core/errors';
import {
  CodecError,
  DropCounters,
  decodeAdvert,
  encodeAdvert,
  encodeAdvertInto,
  encodingLength,
  type Advert,
  type EncodeOptions,
} from '../../../src/vrrp/codec';

const V4: EncodeOptions = { family: 4, src: '192.0.2.1', dst: '224.0.0.18' };
const V6: EncodeOptions = { family: 6, src: 'fe80::1', dst: 'ff02::12' };
const base: Advert = { version: 2, type: 1, vrid: 7, priority: 100, authType: 0, adverIntervalMs: 1000, addresses: ['192.0.2.100'] };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KtsError, String(e));
    return e.code;
  }
  return 'no error';
}

test('encode: byte layout of a v2 PASS advert (password zero padded, longer truncated to 8)', () => {
  const a: Advert = { ...base, authType: 1, authData: Buffer.from('pw') };
  const b = encodeAdvert(a, V4);
  assert.equal(b.length, 8 + 4 + 8);
  assert.equal(b.subarray(0, 6).toString('hex'), '210764010101');
  assert.equal(b.subarray(8).toString('hex'), 'c0000264' + '7077000000000000');
  const long = encodeAdvert({ ...a, authData: Buffer.from('0123456789') }, V4);
  assert.equal(long.subarray(12).toString(), '01234567');
});

test('encode: v3 interval is 12-bit centiseconds; 40.95 s is the maximum', () => {
  const v3: Advert = { ...base, version: 3, adverIntervalMs: 40950 };
  const b = encodeAdvert(v3, V4);
  assert.equal(b.readUInt16BE(4), 0x0fff);
  assert.equal(encodeAdvert({ ...v3, adverIntervalMs: 10 }, V4).readUInt16BE(4), 1);
});

test('encodingLength matches the encoded size for v2, v3 IPv4 and v3 IPv6', () => {
  assert.equal(encodingLength(base), 20);
  assert.equal(encodingLength({ ...base, version: 3 }), 12);
  const six: Advert = { ...base, version: 3, addresses: ['2001:db8::1', '2001:db8::2'] };
  assert.equal(encodingLength(six), 40);
  assert.equal(encodingLength(six, 6), encodeAdvert(six, V6).length);
});

test('encodeAdvertInto writes at an offset and refuses a short buffer', () => {
  const buf = Buffer.alloc(30, 0xee);
  const n = encodeAdvertInto(base, V4, buf, 5);
  assert.equal(n, 20);
  assert.equal(buf[4], 0xee);
  assert.equal(buf[25], 0xee);
  assert.deepEqual(buf.subarray(5, 25), encodeAdvert(base, V4));
  assert.equal(code(() => encodeAdvertInto(base, V4, Buffer.alloc(19))), CodecError.BUFFER);
});

test('encode throws KtsError with stable codes for values that cannot go on the wire', () => {
  assert.equal(code(() => encodeAdvert({ ...base, vrid: 0 }, V4)), 'ERR_VRRP_VRID');
  assert.equal(code(() => encodeAdvert({ ...base, vrid: 256 }, V4)), 'ERR_VRRP_VRID');
  assert.equal(code(() => encodeAdvert({ ...base, vrid: 1.5 }, V4)), 'ERR_VRRP_VRID');
  assert.equal(code(() => encodeAdvert({ ...base, priority: -1 }, V4)), 'ERR_VRRP_PRIORITY');
  assert.equal(code(() => encodeAdvert({ ...base, version: 4 as 2 }, V4)), 'ERR_VRRP_VERSION');
  assert.equal(code(() => encodeAdvert({ ...base, type: 2 as 1 }, V4)), 'ERR_VRRP_TYPE');
  assert.equal(code(() => encodeAdvert({ ...base, authType: 3 as 0 }, V4)), 'ERR_VRRP_AUTH_TYPE');
  assert.equal(code(() => encodeAdvert({ ...base, version: 3, authType: 1 }, V4)), 'ERR_VRRP_AUTH_TYPE');
  assert.equal(code(() => encodeAdvert({ ...base, adverIntervalMs: 1500 }, V4)), 'ERR_VRRP_ADVER_INT');
  assert.equal(code(() => encodeAdvert({ ...base, adverIntervalMs: 256000 }, V4)), 'ERR_VRRP_ADVER_INT');
  assert.equal(code(() => encodeAdvert({ ...base, version: 3, adverIntervalMs: 40960 }, V4)), 'ERR_VRRP_ADVER_INT');
  assert.equal(code(() => encodeAdvert({ ...base, version: 3, adverIntervalMs: 15 }, V4)), 'ERR_VRRP_ADVER_INT');
  assert.equal(code(() => encodeAdvert({ ...base, addresses: ['2001:db8::1'] }, V4)), 'ERR_VRRP_ADDRESS');
  assert.equal(code(() => encodeAdvert({ ...base, addresses: Array(256).fill('192.0.2.1') }, V4)), 'ERR_VRRP_ADDRESS_COUNT');
  assert.equal(code(() => encodeAdvert(base, V6)), 'ERR_VRRP_FAMILY');
  assert.equal(code(() => encodeAdvert({ ...base, version: 3 }, { ...V4, src: 'nope' })), 'ERR_VRRP_ADDRESS');
  assert.equal(code(() => encodeAdvert({ ...base, version: 3 }, { ...V4, checksum: 'odd' as 'plain' })), 'ERR_VRRP_CHECKSUM_VARIANT');
});

test('DropCounters: one counter per reason, advert_rcvd and pri_zero_rcvd, snapshot is a copy', () => {
  const c = new DropCounters();
  c.increment('checksum_err');
  c.increment('checksum_err');
  c.increment('ip_ttl_err');
  const pkt = encodeAdvert({ ...base, priority: 0 }, V4);
  const r = decodeAdvert(pkt, { ...V4, ttl: 255 });
  assert.ok(r.ok);
  c.advertReceived(r.advert);
  c.advertReceived({ priority: 100 });
  const snap = c.snapshot();
  assert.equal(snap.checksum_err, 2);
  assert.equal(snap.ip_ttl_err, 1);
  assert.equal(snap.advert_rcvd, 2);
  assert.equal(snap.pri_zero_rcvd, 1);
  assert.equal(snap.auth_failure, 0);
  assert.equal(c.dropped(), 3);
  snap.checksum_err = 99;
  assert.equal(c.counts.checksum_err, 2);
  c.reset();
  assert.equal(c.dropped(), 0);
  assert.equal(c.counts.advert_rcvd, 0);
});
