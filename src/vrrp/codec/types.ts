/**
 * The VRRP advertisement codec's public contract (dns-packet style:
 * encode / decode / encodingLength). Implemented in ./advert.ts and
 * re-exported from ./index.ts. Pure: no I/O, never throws on any input
 * in decode().
 *
 * Durations are integer milliseconds here as everywhere: v2 carries whole
 * seconds on the wire, v3 centiseconds; only the codec converts.
 */
import type { Family } from '../../net/ports';

export type VrrpVersion = 2 | 3;

/** RFC 3768 §5.3.6: 0 = no authentication, 1 = simple text password, 2 = IP AH (obsolete). */
export type AuthType = 0 | 1 | 2;

/**
 * Which checksum a VRRPv3 IPv4 packet carries.
 *  - 'pseudo': with the IPv4 pseudo-header (RFC 5798 §5.2.8 as keepalived and FRR read it; keepalived's default);
 *  - 'plain': over the VRRP message only, like v2 (RFC 9568, `v3_checksum_as_v2`, Cisco/Juniper/Arista).
 *  - 'pseudo-mcast': IPv4 pseudo-header with the group 224.0.0.18 as destination even
 *    though the packet goes to a unicast peer (keepalived built with OLD_CHKSUM_COMPAT,
 *    as Debian's 2.2.7 is, with `old_unicast_checksum`; its receiver also falls back to
 *    this when a unicast v3 checksum fails). Same bytes as 'pseudo' for multicast.
 * VRRPv2 is always 'plain'; VRRPv3 IPv6 is always 'pseudo'.
 */
export type ChecksumVariant = 'pseudo' | 'plain' | 'pseudo-mcast';

export interface Advert {
  version: VrrpVersion;
  /** Always 1 (ADVERTISEMENT) for a valid packet. */
  type: 1;
  vrid: number; // 1..255
  priority: number; // 0..255
  /** v2 only; 0 for v3. */
  authType: AuthType;
  /** v2 with authType 1: the 8 password bytes as on the wire (zero padded). */
  authData?: Buffer;
  /** Advertisement interval in ms (v2: seconds*1000; v3: centiseconds*10). */
  adverIntervalMs: number;
  /** Virtual addresses, text form, in packet order. */
  addresses: string[];
}

/** Where the packet travels: needed for the pseudo-header checksum. */
export interface PacketContext {
  family: Family;
  /** IP source and destination addresses, text form. */
  src: string;
  dst: string;
}

export interface EncodeOptions extends PacketContext {
  /** v3 IPv4 only; default 'pseudo' (keepalived). */
  checksum?: ChecksumVariant;
}

/**
 * Reasons a packet is dropped, named after keepalived's per-instance
 * statistics where one exists (keepalived --json / SIGUSR2 stats).
 */
export type DropReason =
  | 'packet_len_err' // too short / length does not match the address count
  | 'ip_ttl_err' // multicast with TTL / hop limit != 255
  | 'version_err' // not 2 or 3, or not what the instance runs
  | 'invalid_type_rcvd' // type != 1
  | 'checksum_err' // no accepted checksum variant matches
  | 'vrid_err' // VRID 0
  | 'invalid_authtype' // v2 auth type not 0/1/2
  | 'authtype_mismatch' // auth type differs from the instance's
  | 'auth_failure' // PASS password differs
  | 'advert_interval_err' // v2: interval differs from ours (RFC 3768 §7.1 MUST); any version: interval 0 in the packet
  | 'addr_list_err' // address list differs from ours (logged, RFC says MAY accept); multicast vs unicast mismatch
  | 'addr_family_err'; // VRRPv2 over IPv6 (v2 carries IPv4 addresses only), unknown family

export type DecodeResult =
  | { ok: true; advert: Advert; checksum: ChecksumVariant; checksumValue: number }
  | { ok: false; reason: DropReason; detail: string };

export interface DecodeOptions extends PacketContext {
  /** TTL / hop limit as received. */
  ttl: number;
  /**
   * Which v3 IPv4 checksum variants to accept, tried in this order; default
   * ['pseudo','plain']. Add 'pseudo-mcast' for unicast peers running keepalived
   * with `old_unicast_checksum` (keepalived's own receiver falls back to it).
   */
  acceptChecksum?: readonly ChecksumVariant[];
  /**
   * Enforce TTL / hop limit == 255; default true (RFC MUST). keepalived skips the
   * check for unicast instances (2.2.7 sends unicast IPv6 adverts with hop limit 64,
   * the kernel default); pass false there.
   */
  checkTtl?: boolean;
}
