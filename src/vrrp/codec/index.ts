/** VRRP advertisement codec: the public surface. Contract in ./types.ts. */
export type {
  VrrpVersion,
  AuthType,
  ChecksumVariant,
  Advert,
  PacketContext,
  EncodeOptions,
  DropReason,
  DecodeResult,
  DecodeOptions,
} from './types';
export {
  encodeAdvert,
  encodeAdvertInto,
  encodingLength,
  decodeAdvert,
  CodecError,
  VRRP_HEADER_LEN,
  VRRP_AUTH_DATA_LEN,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  V2_MAX_ADVER_INT_S,
  V3_MAX_ADVER_INT_CS,
} from './advert';
export { checkAgainstInstance, authDataFromPass } from './check';
export type { InstanceExpectation, InstanceCheckResult } from './check';
export { DropCounters, DROP_REASONS, isDropReason } from './counters';
export type { CounterName, CounterSnapshot } from './counters';
export {
  IPPROTO_VRRP,
  onesSum,
  finishChecksum,
  internetChecksum,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  pseudoSum,
  verifiesWith,
} from './checksum';
export {
  IPV4_LEN,
  IPV6_LEN,
  IP_ERR_INVALID,
  IP_ERR_FAMILY,
  VRRP_GROUP_V4,
  VRRP_GROUP_V6,
  addressLength,
  writeIpv4,
  writeIpv6,
  writeIp,
  ipFamily,
  isIpv4,
  isIpv6,
  parseIp,
  ipToBytes,
  ipv4ToText,
  ipv6ToText,
  bytesToIp,
  canonicalIp,
  tryCanonicalIp,
  compareIp,
  isMulticastIp,
} from './ip';
