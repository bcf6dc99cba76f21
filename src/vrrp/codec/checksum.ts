/**
 * The Internet checksum (RFC 1071) and the pseudo-headers VRRP uses.
 *
 *  - VRRPv2 (RFC 3768 §5.3.8): over the VRRP message only, authentication
 *    data included ('plain').
 *  - VRRPv3 IPv6 (RFC 5798 / RFC 9568 §5.2.8): VRRP message plus the IPv6
 *    pseudo-header of RFC 8200 §8.1: src (16), dst (16), upper-layer packet
 *    length (32 bits), 3 zero bytes, next header 112.
 *  - VRRPv3 IPv4: keepalived (and FRR) add an IPv4 pseudo-header
 *    (src, dst, zero, protocol 112, 16-bit length) like UDP's ('pseudo');
 *    RFC 9568 and Cisco/Juniper/Arista use the VRRP message only ('plain').
 *    keepalived's man page: "Some manufacturers (e.g. Cisco and Juniper)
 *    interpret RFC5798 5.2.8 as applying only to IPv6 ... For compliance with
 *    RFC9568, this option [v3_checksum_as_v2] should be set." That option
 *    exists from keepalived 2.2.8: 2.2.7 always sends 'pseudo' and accepts
 *    only 'pseudo' (plus the fallback below). keepalived built with
 *    OLD_CHKSUM_COMPAT and `old_unicast_checksum` puts the multicast group
 *    224.0.0.18 in the pseudo-header even when it sends to a unicast peer
 *    ('pseudo-mcast').
 *
 * Sums are kept as a 32-bit accumulator of 16-bit big-endian words and folded
 * at the end, so pseudo-header and message sums can be added up in any order.
 */
import type { Family } from '../../net/ports';
import type { ChecksumVariant } from './types';
import { VRRP_GROUP_V4, writeIp } from './ip';

export const IPPROTO_VRRP = 112;

/**
 * Adds the bytes buf[start..end) as big-endian 16-bit words to `acc`
 * (an odd trailing byte is padded with zero, RFC 1071 §4.1). Returns the
 * new, unfolded accumulator.
 */
export function onesSum(buf: Uint8Array, start: number, end: number, acc = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  if (i < end) acc += buf[i] << 8;
  // Fold early so the accumulator never leaves the safe integer range.
  return (acc & 0xffff) + Math.floor(acc / 0x10000);
}

/** Folds an accumulator to 16 bits and complements it: the checksum field value. */
export function finishChecksum(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** RFC 1071 checksum of buf[start..end). */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return finishChecksum(onesSum(buf, start, end, 0));
}

/** Sum of the IPv4 pseudo-header (src, dst as 4 bytes each at their offsets). */
export function pseudoHeaderSum4(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, length: number): number {
  let acc = onesSum(src, srcOff, srcOff + 4, 0);
  acc = onesSum(dst, dstOff, dstOff + 4, acc);
  return acc + IPPROTO_VRRP + (length & 0xffff);
}

/** Sum of the IPv6 pseudo-header (RFC 8200 §8.1) for next header 112. */
export function pseudoHeaderSum6(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, length: number): number {
  let acc = onesSum(src, srcOff, srcOff + 16, 0);
  acc = onesSum(dst, dstOff, dstOff + 16, acc);
  return acc + Math.floor(length / 0x10000) + (length & 0xffff) + IPPROTO_VRRP;
}

// Scratch for parsed addresses: [0..16) src, [16..32) dst, [32..36) group.
const ADDR = new Uint8Array(36);
writeIp(VRRP_GROUP_V4, 4, ADDR, 32);
let lastSrc = '';
let lastDst = '';
let lastFamily: Family = 4;
let lastValid = false;

/** Parses src/dst text into the scratch area, memoised on the last pair. */
function loadAddresses(family: Family, src: string, dst: string): boolean {
  if (src === lastSrc && dst === lastDst && family === lastFamily) return lastValid;
  lastSrc = src;
  lastDst = dst;
  lastFamily = family;
  lastValid =
    typeof src === 'string' && typeof dst === 'string' && writeIp(src, family, ADDR, 0) && writeIp(dst, family, ADDR, 16);
  return lastValid;
}

/**
 * The pseudo-header sum a checksum variant needs for a message of `length`
 * bytes, or -1 when src/dst are not addresses of `family`. 'plain' is 0.
 */
export function pseudoSum(variant: ChecksumVariant, family: Family, src: string, dst: string, length: number): number {
  if (variant === 'plain') return 0;
  if (!loadAddresses(family, src, dst)) return -1;
  if (family === 6) return pseudoHeaderSum6(ADDR, 0, ADDR, 16, length);
  return variant === 'pseudo-mcast'
    ? pseudoHeaderSum4(ADDR, 0, ADDR, 32, length)
    : pseudoHeaderSum4(ADDR, 0, ADDR, 16, length);
}

/**
 * Whether msg[start..end), checksum field included, sums to all ones with the
 * given pseudo-header sum (i.e. the checksum verifies).
 */
export function verifiesWith(msg: Uint8Array, start: number, end: number, pseudo: number): boolean {
  return finishChecksum(onesSum(msg, start, end, pseudo)) === 0;
}
