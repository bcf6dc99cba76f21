/**
 * VRRP advertisement encode / decode / encodingLength (contract: ./types.ts).
 *
 * Wire format (RFC 3768 §5.1 for v2, RFC 5798 / RFC 9568 §5.1 for v3); the
 * kernel writes the IP header (raw socket, protocol 112), so these bytes are
 * the IP payload:
 *
 *   0                   1                   2                   3
 *   |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
 *   v2: |  Auth Type    |   Adver Int (s)   |          Checksum         |
 *   v3: |(rsvd)| Max Adver Int (cs, 12 bits)|          Checksum         |
 *   |                 IPvX address(es): 4 or 16 bytes each             |
 *   v2 only: | Authentication Data (8 bytes)                           |
 *
 * decodeAdvert() only answers "is this a well-formed VRRP advertisement" in a
 * fixed ladder of checks (RFC order); what the local instance expects (auth,
 * interval, addresses) is checkAgainstInstance() in ./check.ts, and VRID demux
 * and priority decisions belong to the caller.
 */
import { KtsError } from '../../core/errors';
import type { Family } from '../../net/ports';
import type {
  Advert,
  AuthType,
  ChecksumVariant,
  DecodeOptions,
  DecodeResult,
  DropReason,
  EncodeOptions,
} from './types';
import { finishChecksum, onesSum, pseudoSum, verifiesWith } from './checksum';
import { addressLength, ipv4ToText, ipv6ToText, writeIp } from './ip';

/** Fixed header: version/type, VRID, priority, count, auth/interval, checksum. */
export const VRRP_HEADER_LEN = 8;
/** VRRPv2 authentication data after the addresses (RFC 3768 §5.3.10). */
export const VRRP_AUTH_DATA_LEN = 8;
/** Required TTL / hop limit (RFC 3768 §5.2.3, RFC 5798 §5.1.1.3 / §5.1.2.3). */
export const VRRP_TTL = 255;
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** v3 Max Adver Int is 12 bits of centiseconds: 40.95 s. */
export const V3_MAX_ADVER_INT_CS = 0x0fff;
/** v2 Adver Int is one byte of seconds. */
export const V2_MAX_ADVER_INT_S = 255;

/** Stable codes for encode-side programming errors (decode never throws). */
export const CodecError = {
  VERSION: 'ERR_VRRP_VERSION',
  TYPE: 'ERR_VRRP_TYPE',
  FAMILY: 'ERR_VRRP_FAMILY',
  VRID: 'ERR_VRRP_VRID',
  PRIORITY: 'ERR_VRRP_PRIORITY',
  AUTH_TYPE: 'ERR_VRRP_AUTH_TYPE',
  ADVER_INT: 'ERR_VRRP_ADVER_INT',
  ADDRESS: 'ERR_VRRP_ADDRESS',
  ADDRESS_COUNT: 'ERR_VRRP_ADDRESS_COUNT',
  CHECKSUM_VARIANT: 'ERR_VRRP_CHECKSUM_VARIANT',
  BUFFER: 'ERR_VRRP_BUFFER',
} as const;

const DEFAULT_ACCEPT: readonly ChecksumVariant[] = ['pseudo', 'plain'];

/** Bytes the VRRP message of `advert` takes for `family` (default: 6 if v3 and the first address is IPv6, else 4). */
export function encodingLength(advert: Advert, family?: Family): number {
  const fam = family ?? guessFamily(advert);
  const n = advert.addresses.length;
  return VRRP_HEADER_LEN + n * addressLength(fam) + (advert.version === 2 ? VRRP_AUTH_DATA_LEN : 0);
}

function guessFamily(advert: Advert): Family {
  const a = advert.addresses[0];
  return typeof a === 'string' && a.indexOf(':') >= 0 ? 6 : 4;
}

function fail(code: string, message: string): never {
  throw new KtsError(code, message);
}

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Which checksum encode uses for this version/family/option. */
function encodeVariant(advert: Advert, opts: EncodeOptions): ChecksumVariant {
  if (advert.version === 2) return 'plain';
  if (opts.family === 6) return 'pseudo';
  const v = opts.checksum ?? 'pseudo';
  if (v !== 'pseudo' && v !== 'plain' && v !== 'pseudo-mcast') {
    fail(CodecError.CHECKSUM_VARIANT, `unknown checksum variant ${String(v)}`);
  }
  return v;
}

/**
 * Encodes into buf at offset; returns the number of bytes written. Throws
 * KtsError (CodecError codes) for values that cannot be put on the wire:
 * these are programming errors, configuration validation catches them first.
 */
export function encodeAdvertInto(advert: Advert, opts: EncodeOptions, buf: Uint8Array, offset = 0): number {
  const family = opts.family;
  if (family !== 4 && family !== 6) fail(CodecError.FAMILY, `family must be 4 or 6, got ${String(family)}`);
  const { version } = advert;
  if (version !== 2 && version !== 3) fail(CodecError.VERSION, `version must be 2 or 3, got ${String(version)}`);
  if (version === 2 && family === 6) fail(CodecError.FAMILY, 'VRRPv2 is IPv4 only (RFC 3768); IPv6 needs version 3');
  if (advert.type !== VRRP_TYPE_ADVERTISEMENT) fail(CodecError.TYPE, `type must be 1, got ${String(advert.type)}`);
  if (!isInt(advert.vrid, 1, 255)) fail(CodecError.VRID, `vrid must be 1..255, got ${String(advert.vrid)}`);
  if (!isInt(advert.priority, 0, 255)) fail(CodecError.PRIORITY, `priority must be 0..255, got ${String(advert.priority)}`);
  const authType = advert.authType;
  if (version === 3 ? authType !== 0 : authType !== 0 && authType !== 1 && authType !== 2) {
    fail(CodecError.AUTH_TYPE, `auth type ${String(authType)} is not valid for VRRPv${version}`);
  }
  const ms = advert.adverIntervalMs;
  let wireInterval: number;
  if (version === 2) {
    // RFC 3768 §5.3.7: Advertisement Interval in seconds, one byte.
    if (!isInt(ms, 1000, V2_MAX_ADVER_INT_S * 1000) || ms % 1000 !== 0) {
      fail(CodecError.ADVER_INT, `VRRPv2 advert interval must be whole seconds 1..255, got ${String(ms)} ms`);
    }
    wireInterval = ms / 1000;
  } else {
    // RFC 5798 §5.2.7: Max Adver Int in centiseconds, 12 bits.
    if (!isInt(ms, 10, V3_MAX_ADVER_INT_CS * 10) || ms % 10 !== 0) {
      fail(CodecError.ADVER_INT, `VRRPv3 advert interval must be 10..40950 ms in steps of 10, got ${String(ms)} ms`);
    }
    wireInterval = ms / 10;
  }
  const addrs = advert.addresses;
  if (!Array.isArray(addrs) || addrs.length > 255) {
    fail(CodecError.ADDRESS_COUNT, 'addresses must be an array of at most 255 entries');
  }
  const variant = encodeVariant(advert, opts);
  const alen = addressLength(family);
  const len = VRRP_HEADER_LEN + addrs.length * alen + (version === 2 ? VRRP_AUTH_DATA_LEN : 0);
  if (!isInt(offset, 0, Number.MAX_SAFE_INTEGER) || offset + len > buf.length) {
    fail(CodecError.BUFFER, `need ${len} bytes at offset ${offset}, buffer has ${buf.length}`);
  }

  const o = offset;
  buf[o] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  buf[o + 1] = advert.vrid;
  buf[o + 2] = advert.priority;
  buf[o + 3] = addrs.length;
  if (version === 2) {
    buf[o + 4] = authType;
    buf[o + 5] = wireInterval;
  } else {
    // 4 reserved bits zero (RFC 5798 §5.2.7 "MUST be set to zero on transmission").
    buf[o + 4] = wireInterval >> 8;
    buf[o + 5] = wireInterval & 0xff;
  }
  buf[o + 6] = 0;
  buf[o + 7] = 0;
  let p = o + VRRP_HEADER_LEN;
  for (let i = 0; i < addrs.length; i++, p += alen) {
    if (!writeIp(addrs[i], family, buf, p)) {
      fail(CodecError.ADDRESS, `address ${String(addrs[i])} is not an IPv${family} address`);
    }
  }
  if (version === 2) {
    // RFC 3768 §5.3.10 / RFC 2338 §5.3.10: up to 8 bytes of password, zero padded
    // (keepalived truncates longer passwords to 8). Zero unless auth type 1 carries data.
    buf.fill(0, p, p + VRRP_AUTH_DATA_LEN);
    const data = advert.authData;
    if (authType !== 0 && data !== undefined) {
      const n = Math.min(data.length, VRRP_AUTH_DATA_LEN);
      for (let i = 0; i < n; i++) buf[p + i] = data[i];
    }
  }
  const pseudo = pseudoSum(variant, family, opts.src, opts.dst, len);
  if (pseudo < 0) fail(CodecError.ADDRESS, `src ${String(opts.src)} / dst ${String(opts.dst)} are not IPv${family} addresses`);
  const sum = finishChecksum(onesSum(buf, o, o + len, pseudo));
  buf[o + 6] = sum >> 8;
  buf[o + 7] = sum & 0xff;
  return len;
}

/** Encodes the VRRP payload (checksum included) into a new Buffer. */
export function encodeAdvert(advert: Advert, opts: EncodeOptions): Buffer {
  const family = opts.family === 6 ? 6 : 4;
  const out = Buffer.allocUnsafe(encodingLength(advert, family));
  encodeAdvertInto(advert, opts, out, 0);
  return out;
}

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/**
 * Decodes and validates one received VRRP payload. Never throws: every
 * malformed input maps to a DropReason with a human detail.
 *
 * The ladder, in the order of RFC 3768 §7.1 / RFC 5798 §7.1 (RFC 9568 §7.1),
 * with the structural checks (type, VRID, length) where they must come before
 * the checksum can be computed:
 *   packet_len_err (header) -> ip_ttl_err -> version_err -> invalid_type_rcvd ->
 *   vrid_err -> addr_family_err -> packet_len_err (addresses) -> checksum_err ->
 *   invalid_authtype -> advert_interval_err (zero interval).
 */
export function decodeAdvert(buf: Buffer, opts: DecodeOptions): DecodeResult {
  if (!(buf instanceof Uint8Array)) return drop('packet_len_err', 'not a buffer');
  const len = buf.length;
  if (len < VRRP_HEADER_LEN) {
    return drop('packet_len_err', `${len} bytes is shorter than the ${VRRP_HEADER_LEN}-byte VRRP header`);
  }
  if (opts === null || typeof opts !== 'object') return drop('addr_family_err', 'no packet context');
  const family = opts.family;
  if (family !== 4 && family !== 6) return drop('addr_family_err', `unknown address family ${String(family)}`);

  // RFC 3768 §7.1 / RFC 5798 §7.1: "MUST verify that the IP TTL is 255" /
  // "MUST verify that the IPv4 TTL is 255 (if IPv4) or the IPv6 Hop Limit is 255 (if IPv6)."
  if (opts.checkTtl !== false && opts.ttl !== VRRP_TTL) {
    return drop('ip_ttl_err', `${family === 4 ? 'TTL' : 'hop limit'} ${String(opts.ttl)}, expected ${VRRP_TTL}`);
  }

  // RFC 3768 §7.1: "MUST verify the VRRP version is 2."
  // RFC 5798 §7.1: "MUST verify that the VRRP version is 3."
  const b0 = buf[0];
  const version = b0 >> 4;
  if (version !== 2 && version !== 3) return drop('version_err', `version ${version}, expected 2 or 3`);

  // RFC 3768 §5.3.2 / RFC 5798 §5.2.2: "A packet with unknown type MUST be discarded."
  const type = b0 & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT) return drop('invalid_type_rcvd', `type ${type}, expected 1 (ADVERTISEMENT)`);

  // RFC 3768 §5.3.3 / RFC 5798 §5.2.3: the VRID is 1..255.
  const vrid = buf[1];
  if (vrid === 0) return drop('vrid_err', 'VRID 0 is not a valid virtual router');

  // RFC 3768 §5.1 is IPv4 only; keepalived never sends VRRPv2 over IPv6.
  if (version === 2 && family === 6) return drop('addr_family_err', 'VRRPv2 over IPv6: VRRPv2 carries IPv4 addresses only');

  // RFC 3768 §7.1: "MUST verify that the received packet contains the complete VRRP
  // packet (including fixed fields, IP Address(es), and Authentication Data)."
  // RFC 5798 §7.1: "MUST verify that the received packet contains the complete VRRP
  // packet (including fixed fields, and IPvX address(es))."
  // Like keepalived (buflen != expected_len), trailing bytes are an error too.
  const count = buf[3];
  const alen = family === 4 ? 4 : 16;
  const expected = VRRP_HEADER_LEN + count * alen + (version === 2 ? VRRP_AUTH_DATA_LEN : 0);
  if (len !== expected) {
    return drop(
      'packet_len_err',
      `${len} bytes for ${count} IPv${family} address(es)${version === 2 ? ' + auth data' : ''}: expected ${expected}`,
    );
  }

  // RFC 3768 §7.1 / RFC 5798 §7.1: "MUST verify the VRRP checksum."
  let variant: ChecksumVariant;
  if (version === 2 || family === 6) {
    variant = version === 2 ? 'plain' : 'pseudo';
    const pseudo = pseudoSum(variant, family, opts.src, opts.dst, len);
    if (pseudo < 0) return drop('checksum_err', `cannot build the IPv6 pseudo-header from src ${String(opts.src)} dst ${String(opts.dst)}`);
    if (!verifiesWith(buf, 0, len, pseudo)) return drop('checksum_err', `checksum 0x${hex4(buf)} does not verify (${variant})`);
  } else {
    const accept = Array.isArray(opts.acceptChecksum) ? opts.acceptChecksum : DEFAULT_ACCEPT;
    let matched: ChecksumVariant | null = null;
    let unparsable = false;
    for (let i = 0; i < accept.length; i++) {
      const v = accept[i];
      if (v !== 'pseudo' && v !== 'plain' && v !== 'pseudo-mcast') continue;
      const pseudo = pseudoSum(v, 4, opts.src, opts.dst, len);
      if (pseudo < 0) {
        unparsable = true;
        continue;
      }
      if (verifiesWith(buf, 0, len, pseudo)) {
        matched = v;
        break;
      }
    }
    if (matched === null) {
      return drop(
        'checksum_err',
        `checksum 0x${hex4(buf)} matches none of ${accept.join(', ') || '(no variant accepted)'}` +
          (unparsable ? ` (src ${String(opts.src)} / dst ${String(opts.dst)} not IPv4)` : ''),
      );
    }
    variant = matched;
  }

  let authType: AuthType = 0;
  let intervalMs: number;
  if (version === 2) {
    // RFC 3768 §7.1: "MUST perform authentication specified by Auth Type" — the type
    // must be one we know (RFC 2338 §5.3.6: 0 none, 1 simple password, 2 IP AH);
    // whether it is the one configured is checkAgainstInstance()'s job.
    const at = buf[4];
    if (at > 2) return drop('invalid_authtype', `auth type ${at}, expected 0, 1 or 2`);
    authType = at as AuthType;
    intervalMs = buf[5] * 1000;
  } else {
    // RFC 5798 §5.2.7: the 4 reserved bits "MUST be set to zero on transmission and
    // ignored on reception".
    intervalMs = (((buf[4] & 0x0f) << 8) | buf[5]) * 10;
  }
  if (intervalMs === 0) return drop('advert_interval_err', 'advertisement interval 0');

  const addresses: string[] = new Array(count);
  let p = VRRP_HEADER_LEN;
  if (family === 4) {
    for (let i = 0; i < count; i++, p += 4) addresses[i] = ipv4ToText(buf, p);
  } else {
    for (let i = 0; i < count; i++, p += 16) addresses[i] = ipv6ToText(buf, p);
  }
  const advert: Advert = {
    version,
    type: VRRP_TYPE_ADVERTISEMENT,
    vrid,
    priority: buf[2],
    authType,
    adverIntervalMs: intervalMs,
    addresses,
  };
  if (authType === 1) advert.authData = Buffer.from(buf.subarray(p, p + VRRP_AUTH_DATA_LEN));
  return { ok: true, advert, checksum: variant, checksumValue: (buf[6] << 8) | buf[7] };
}

function hex4(buf: Uint8Array): string {
  return ((buf[6] << 8) | buf[7]).toString(16).padStart(4, '0');
}
