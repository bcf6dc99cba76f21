/**
 * IPv4 / IPv6 address text <-> bytes, shared by the codec and its callers
 * (the tie-break "higher primary IP address wins", address managers, config).
 *
 * Text out is canonical: IPv4 dotted quad without leading zeros, IPv6 in the
 * RFC 5952 recommended form (lower case, no leading zeros in a group, the
 * longest run of two or more zero groups shortened to "::", the first such run
 * on a tie, IPv4-mapped addresses as ::ffff:a.b.c.d).
 *
 * Text in accepts what inet_pton(3) accepts, plus an optional "%zone" suffix
 * on IPv6 text, which is ignored (VRRP carries no zones).
 *
 * Pure, no allocation on the write / read paths beyond the result string.
 */
import { KtsError } from '../../core/errors';
import type { Family } from '../../net/ports';

export const IPV4_LEN = 4;
export const IPV6_LEN = 16;

/** Stable error codes for address helpers (programming errors only). */
export const IP_ERR_INVALID = 'ERR_INVALID_IP';
export const IP_ERR_FAMILY = 'ERR_IP_FAMILY';

/** Size in bytes of one address of `family`. */
export function addressLength(family: Family): 4 | 16 {
  return family === 4 ? IPV4_LEN : IPV6_LEN;
}

/**
 * Parses dotted IPv4 text into buf[off..off+4). Returns false (buf unchanged
 * or partly written) when the text is not a valid address.
 */
export function writeIpv4(text: string, buf: Uint8Array, off: number): boolean {
  const n = text.length;
  if (n < 7 || n > 15 || off < 0 || off + 4 > buf.length) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 46; /* '.' terminator */
    if (c >= 48 && c <= 57) {
      // inet_pton rejects leading zeros ("01") for IPv4.
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return false;
      buf[off + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else return false;
  }
  return part === 4;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2 forms, including "::" and a trailing dotted
 * IPv4 part) into buf[off..off+16). Returns false when the text is invalid.
 */
export function writeIpv6(text: string, buf: Uint8Array, off: number): boolean {
  let end = text.indexOf('%');
  if (end === 0) return false;
  if (end < 0) end = text.length;
  if (end < 2 || end > 45 || off < 0 || off + 16 > buf.length) return false;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let g = 0; // groups written
  let gap = -1; // group index where "::" is
  let i = 0;
  if (text.charCodeAt(0) === 58 /* : */) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === end) {
      buf.fill(0, off, off + 16);
      return true;
    }
  }
  while (i < end) {
    if (g >= 8) return false;
    // Find the end of this group.
    let j = i;
    let value = 0;
    let isV4 = false;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) {
        isV4 = true;
        break;
      }
      const h = hexVal(c);
      if (h < 0 || j - i >= 4) return false;
      value = (value << 4) | h;
      j++;
    }
    if (isV4) {
      // Dotted IPv4 tail: takes two groups and must end the text.
      if (g > 6) return false;
      const tmp = SCRATCH4;
      if (!writeIpv4(text.slice(i, end), tmp, 0)) return false;
      groups[g++] = (tmp[0] << 8) | tmp[1];
      groups[g++] = (tmp[2] << 8) | tmp[3];
      i = end;
      break;
    }
    if (j === i) return false; // empty group
    groups[g++] = value;
    if (j === end) {
      i = end;
      break;
    }
    // j at ':'
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false; // second "::"
      gap = g;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false; // trailing single ':'
    }
  }
  if (gap < 0) {
    if (g !== 8) return false;
  } else if (g > 7) return false;
  // Expand: groups[0..gap) stay, groups[gap..g) move to the end.
  const tail = g - (gap < 0 ? g : gap);
  for (let k = 0; k < 8; k++) {
    let v: number;
    if (gap < 0 || k < gap) v = groups[k];
    else if (k >= 8 - tail) v = groups[gap + (k - (8 - tail))];
    else v = 0;
    buf[off + 2 * k] = v >> 8;
    buf[off + 2 * k + 1] = v & 0xff;
  }
  return true;
}

const SCRATCH4 = new Uint8Array(4);

/**
 * Writes address text of the given family into buf at off. Returns false when
 * the text is not a valid address of that family.
 */
export function writeIp(text: string, family: Family, buf: Uint8Array, off: number): boolean {
  return family === 4 ? writeIpv4(text, buf, off) : writeIpv6(text, buf, off);
}

/** 4 for IPv4 text, 6 for IPv6 text, null for anything else. */
export function ipFamily(text: string): Family | null {
  if (typeof text !== 'string') return null;
  const scratch = SCRATCH16;
  if (text.indexOf(':') >= 0) return writeIpv6(text, scratch, 0) ? 6 : null;
  return writeIpv4(text, scratch, 0) ? 4 : null;
}

const SCRATCH16 = new Uint8Array(16);

export function isIpv4(text: string): boolean {
  return ipFamily(text) === 4;
}

export function isIpv6(text: string): boolean {
  return ipFamily(text) === 6;
}

/** Parses address text; null when invalid. Length 4 for IPv4, 16 for IPv6. */
export function parseIp(text: string): Buffer | null {
  const fam = ipFamily(text);
  if (fam === null) return null;
  const out = Buffer.alloc(addressLength(fam));
  writeIp(text, fam, out, 0);
  return out;
}

/**
 * Address text to bytes (4 or 16). Throws KtsError ERR_INVALID_IP on bad text,
 * and ERR_IP_FAMILY when `family` is given and does not match.
 */
export function ipToBytes(text: string, family?: Family): Buffer {
  const out = parseIp(text);
  if (out === null) throw new KtsError(IP_ERR_INVALID, `invalid IP address: ${String(text)}`);
  if (family !== undefined && addressLength(family) !== out.length) {
    throw new KtsError(IP_ERR_FAMILY, `${text} is not an IPv${family} address`);
  }
  return out;
}

/** Dotted text of the 4 bytes at off (caller checks bounds). */
export function ipv4ToText(buf: Uint8Array, off: number): string {
  return buf[off] + '.' + buf[off + 1] + '.' + buf[off + 2] + '.' + buf[off + 3];
}

/** RFC 5952 text of the 16 bytes at off (caller checks bounds). */
export function ipv6ToText(buf: Uint8Array, off: number): string {
  // Longest run of >= 2 zero groups; the first one wins a tie (RFC 5952 §4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    const zero = buf[off + 2 * k] === 0 && buf[off + 2 * k + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = k;
      const len = k - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  // IPv4-mapped (::ffff:0:0/96): RFC 5952 §5 recommends the dotted tail.
  if (bestStart === 0 && bestLen === 5 && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return '::ffff:' + ipv4ToText(buf, off + 12);
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    s += ((buf[off + 2 * k] << 8) | buf[off + 2 * k + 1]).toString(16);
    if (k < 7) s += ':';
  }
  return s;
}

/**
 * Bytes to canonical text. Without `family`, bytes.length - offset must be
 * 4 or 16. Throws KtsError ERR_IP_FAMILY when there are not enough bytes.
 */
export function bytesToIp(bytes: Uint8Array, offset = 0, family?: Family): string {
  const avail = bytes.length - offset;
  const fam: Family | null = family ?? (avail === 4 ? 4 : avail === 16 ? 6 : null);
  if (fam === null || offset < 0 || avail < addressLength(fam)) {
    throw new KtsError(IP_ERR_FAMILY, `cannot read an IP address from ${avail} bytes`);
  }
  return fam === 4 ? ipv4ToText(bytes, offset) : ipv6ToText(bytes, offset);
}

/** Canonical text of address text; throws KtsError ERR_INVALID_IP on bad text. */
export function canonicalIp(text: string): string {
  return bytesToIp(ipToBytes(text));
}

/** Canonical text, or null when the text is not an address. */
export function tryCanonicalIp(text: string): string | null {
  const b = parseIp(text);
  return b === null ? null : bytesToIp(b);
}

/**
 * Numeric order of two addresses (network byte order, unsigned): negative if
 * a < b, 0 if equal (same address, whatever its spelling), positive if a > b.
 * An IPv4 address sorts before any IPv6 address. Used for the VRRP tie-break
 * (RFC 5798 §6.4.3: "the primary IPvX address of the sender is greater than
 * the local primary IPvX address" wins). Throws KtsError ERR_INVALID_IP on bad text.
 */
export function compareIp(a: string, b: string): number {
  const fa = ipFamily(a);
  const fb = ipFamily(b);
  if (fa === null) throw new KtsError(IP_ERR_INVALID, `invalid IP address: ${String(a)}`);
  if (fb === null) throw new KtsError(IP_ERR_INVALID, `invalid IP address: ${String(b)}`);
  if (fa !== fb) return fa - fb;
  const ba = CMP_A;
  const bb = CMP_B;
  writeIp(a, fa, ba, 0);
  writeIp(b, fb, bb, 0);
  const n = addressLength(fa);
  for (let i = 0; i < n; i++) {
    if (ba[i] !== bb[i]) return ba[i] - bb[i];
  }
  return 0;
}

const CMP_A = new Uint8Array(16);
const CMP_B = new Uint8Array(16);

/** Whether address text is multicast (224.0.0.0/4, ff00::/8). False for invalid text. */
export function isMulticastIp(text: string): boolean {
  const fam = ipFamily(text);
  if (fam === null) return false;
  const b = SCRATCH16;
  writeIp(text, fam, b, 0);
  return fam === 4 ? (b[0] & 0xf0) === 0xe0 : b[0] === 0xff;
}

/** VRRP multicast groups (RFC 3768 §5.2.2, RFC 5798 §5.1.2.2). */
export const VRRP_GROUP_V4 = '224.0.0.18';
export const VRRP_GROUP_V6 = 'ff02::12';
