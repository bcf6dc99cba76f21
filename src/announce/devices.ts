/**
 * Route announcement (issue 13): the VIPs an instance announces by route are
 * put, as /32 (IPv4) or /128 (IPv6) addresses, on a device the VRRP process
 * owns. The routing daemon of the host announces what is on that device
 * (FRR: `redistribute connected` with a route-map matching the interface, or
 * `network X/32` with `bgp network import-check`; BIRD: `protocol direct`
 * on the interface). On Linux the device is a TUN device that only lives as
 * long as the VRRP process holds its file descriptor
 * (src/net/linux/route-announcer.ts): a VRRP process that dies, even by
 * SIGKILL, takes its addresses and connected routes with it, and zebra or
 * BIRD withdraw them at once.
 */
import type { AddressManager, VipSpec } from '../net/ports';

/** The devices announced VIPs live on. */
export interface AnnounceDevices {
  /**
   * Make sure the device exists and is up; counted per user. Synchronous:
   * the kernel has it, and the request to bring it up, when this returns,
   * so addresses added next go onto it.
   */
  acquire(name: string): void;
  /** One user less; the device (and whatever is still on it) goes with the last. */
  release(name: string): void;
}

/** The announced form of a VIP: the address alone, /32 or /128, on the device (no label, broadcast or scope). */
export function onDevice(vip: VipSpec, device: string): VipSpec {
  return { address: vip.address, family: vip.family, prefixLength: vip.family === 4 ? 32 : 128, ifname: device };
}

/**
 * route_announce without also_garp: each VIP goes on the device instead of
 * its interface. Taking it is announcing it, releasing it withdraws it.
 */
export function onDeviceOnly(base: AddressManager, device: string): AddressManager {
  return {
    add: (vip) => base.add(onDevice(vip, device)),
    remove: (vip) => base.remove(onDevice(vip, device)),
    has: (vip) => base.has(onDevice(vip, device)),
    ...(base.setLifetime ? { setLifetime: (vip: VipSpec, s: number) => base.setLifetime!(onDevice(vip, device), s) } : {}),
  };
}

/**
 * route_announce with also_garp: each VIP on its interface as configured
 * and on the device; per VIP, the route is announced after the address is
 * up on the interface and withdrawn before it is taken off.
 */
export function onDeviceAlso(base: AddressManager, device: string): AddressManager {
  return {
    add: async (vip) => {
      const r = await base.add(vip);
      await base.add(onDevice(vip, device));
      return r;
    },
    remove: async (vip) => {
      await base.remove(onDevice(vip, device));
      return base.remove(vip);
    },
    has: (vip) => base.has(vip),
    ...(base.setLifetime
      ? {
          setLifetime: async (vip: VipSpec, s: number) => {
            await base.setLifetime!(vip, s);
            await base.setLifetime!(onDevice(vip, device), s);
          },
        }
      : {}),
  };
}

/** Holds nothing: an anycast instance's VIPs are put on the device by its AnycastAnnouncement, not by VRRP mastership. */
export const NO_ADDRESSES: AddressManager = {
  add: () => Promise.resolve({ changed: false }),
  remove: () => Promise.resolve({ changed: false }),
  has: () => Promise.resolve(false),
};
