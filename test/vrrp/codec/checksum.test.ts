import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { finishChecksum, internetChecksum, onesSum, pseudoHeaderSum6, verifiesWith } from '../../../src/vrrp/codec';

test('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d', () => {
  const b = Buffer.from('0001f203f4f5f6f7', 'hex');
  assert.equal(onesSum(b, 0, b.length) % 0xffff, 0xddf2);
  assert.equal(internetChecksum(b), 0x220d);
});

test('odd length pads a trailing zero byte', () => {
  assert.equal(internetChecksum(Buffer.from([0x01])), ~0x0100 & 0xffff);
});

test('a buffer with its checksum in place verifies, and any single bit flip breaks it', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 200 }), fc.nat(), (arr, flip) => {
      const b = Buffer.from(arr);
      b[6] = 0;
      b[7] = 0;
      const c = internetChecksum(b);
      b.writeUInt16BE(c, 6);
      assert.equal(verifiesWith(b, 0, b.length, 0), true);
      const bit = flip % (b.length * 8);
      b[bit >> 3] ^= 1 << (bit & 7);
      assert.equal(verifiesWith(b, 0, b.length, 0), false);
    }),
    { numRuns: 500 },
  );
});

test('IPv6 pseudo-header sum counts the 32-bit length and next header 112', () => {
  const zero = Buffer.alloc(16);
  assert.equal(finishChecksum(pseudoHeaderSum6(zero, 0, zero, 0, 0x10008)), ~(1 + 8 + 112) & 0xffff);
});
