/** Linux adapters for the ports in ../ports.ts (the only importers of src/native). */
export { RawVrrpTransport, VRRP_GROUP_V4, VRRP_GROUP_V6 } from './transport';
export type { RawVrrpTransportOptions, TransportCounters } from './transport';
export { NetlinkAddressManager } from './address-manager';
export { NetlinkLinkWatcher } from './link-watcher';
export type { AddressInfo, LinkInfo } from './link-watcher';
export { LinuxAnnouncer } from './announcer';
export { MacvlanManager, vrrpMac } from './vmac';
export type { VmacSpec } from './vmac';
export { NetlinkError, NetlinkSocket, canonicalIp, pickPrimary } from './netlink';
export { NftFirewall, nftCommand, tableScript } from './nft-firewall';
export type { NftRunner } from './nft-firewall';
export { IpRouteManager, ipCommand, RTPROT_KEEPALIVED } from './ip-routes';
export type { IpRunner } from './ip-routes';
export { NftLvsDataPlane, lvsTableScript, weightedSlots, selectorFor } from './nft-lvs';
export { CommandThread } from './exec-thread';
export { TimerfdClock } from './timerfd-clock';
export { TunAnnounceDevices } from './route-announcer';
