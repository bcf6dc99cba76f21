import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import * as net from 'node:net';
import {
  bytesToIp,
  canonicalIp,
  compareIp,
  ipFamily,
  ipToBytes,
  isMulticastIp,
  parseIp,
  tryCanonicalIp,
} from '../../../src/vrrp/codec';
import { KtsError } from '../../../src/core/errors';

test('IPv4 text <-> bytes', () => {
  assert.deepEqual([...ipToBytes('192.0.2.1')], [192, 0, 2, 1]);
  assert.equal(bytesToIp(Buffer.from([198, 51, 100, 255])), '198.51.100.255');
  assert.equal(bytesToIp(Buffer.from([0, 0, 0, 0])), '0.0.0.0');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '1.2.3.-4']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('IPv6 text is RFC 5952 canonical', () => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // tie: first run (§4.2.3)
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // longest run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single 0 is not shortened (§4.2.2)
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['ff02:0:0:0:0:0:0:12', 'ff02::12'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::192.0.2.1', '::c000:201'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
  for (const bad of ['', ':', ':::', '1:::2', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1::2:3:4:5:6:7:8', '::ffff:1.2.3', '1:', ':1', '%eth0']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('IPv6 canonical text agrees with node:net parsing for arbitrary addresses', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const text = bytesToIp(bytes);
      assert.equal(net.isIPv6(text), true);
      assert.deepEqual([...ipToBytes(text)], [...bytes]);
      assert.equal(canonicalIp(text), text);
    }),
    { numRuns: 2000 },
  );
});

test('ipFamily / isMulticastIp', () => {
  assert.equal(ipFamily('192.0.2.1'), 4);
  assert.equal(ipFamily('2001:db8::1'), 6);
  assert.equal(ipFamily('example.org'), null);
  assert.equal(isMulticastIp('224.0.0.18'), true);
  assert.equal(isMulticastIp('ff02::12'), true);
  assert.equal(isMulticastIp('192.0.2.2'), false);
  assert.equal(isMulticastIp('nonsense'), false);
  assert.equal(tryCanonicalIp('nonsense'), null);
});

test('compareIp: numeric order, spelling-independent, IPv4 before IPv6', () => {
  assert.ok(compareIp('192.0.2.10', '192.0.2.9') > 0); // not string order
  assert.ok(compareIp('192.0.2.9', '192.0.2.10') < 0);
  assert.equal(compareIp('2001:db8::1', '2001:0DB8:0:0::0001'), 0);
  assert.ok(compareIp('2001:db8::1:0', '2001:db8::ffff') > 0);
  assert.ok(compareIp('192.0.2.1', '::1') < 0);
  assert.throws(() => compareIp('x', '192.0.2.1'), (e: unknown) => e instanceof KtsError && e.code === 'ERR_INVALID_IP');
});

test('ipToBytes / bytesToIp errors carry stable codes', () => {
  assert.throws(() => ipToBytes('300.1.1.1'), (e: unknown) => e instanceof KtsError && e.code === 'ERR_INVALID_IP');
  assert.throws(() => ipToBytes('192.0.2.1', 6), (e: unknown) => e instanceof KtsError && e.code === 'ERR_IP_FAMILY');
  assert.throws(() => bytesToIp(Buffer.alloc(5)), (e: unknown) => e instanceof KtsError && e.code === 'ERR_IP_FAMILY');
  assert.equal(bytesToIp(Buffer.from([9, 192, 0, 2, 7]), 1, 4), '192.0.2.7');
});
