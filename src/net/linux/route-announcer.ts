/**
 * The announce devices of route_announce on Linux (src/announce/devices.ts):
 * TUN devices the VRRP process opens itself (kts_native.c tunOpen: IFF_TUN,
 * IFF_NO_PI, O_CLOEXEC, never persistent) and brings up over rtnetlink.
 *
 * Why a TUN device: an address or a route the daemon puts anywhere else
 * (lo, a dummy device, a kernel route with protocol keepalived) survives a
 * SIGKILL of the daemon, and FRR or BIRD would go on announcing it. A TUN
 * device lives exactly as long as its file descriptor: when the VRRP
 * process dies - however - the kernel unregisters the device, deletes its
 * addresses and connected routes and tells zebra / BIRD over netlink, which
 * withdraw at once. The respawned VRRP process makes it again.
 */
import type { Logger } from '../../core/log';
import { requireNative, type KtsNative } from '../../native';
import type { AnnounceDevices } from '../../announce/devices';
import { IFF_UP, NetlinkSocket, RTM_NEWLINK, ifinfomsg } from './netlink';

export class TunAnnounceDevices implements AnnounceDevices {
  private readonly open = new Map<string, { fd: number; users: number }>();
  private nl: NetlinkSocket | undefined;

  constructor(private readonly log: Logger, private readonly native: KtsNative = requireNative()) {}

  acquire(name: string): void {
    const d = this.open.get(name);
    if (d) {
      d.users++;
      return;
    }
    const { fd, ifname } = this.native.tunOpen(name);
    try {
      const ifindex = this.native.ifNameToIndex(ifname);
      this.nl ??= new NetlinkSocket(this.native);
      // Sent now (rtnetlink handles it inside sendmsg): addresses added after this land on an up device.
      this.nl.request(RTM_NEWLINK, 0, `set ${ifname} up`, ifinfomsg(ifindex, IFF_UP, IFF_UP)).catch((e: unknown) => {
        this.log.error(`route_announce: cannot bring ${ifname} up: ${(e as Error).message}`);
      });
    } catch (e) {
      this.native.close(fd);
      throw e;
    }
    this.open.set(name, { fd, users: 1 });
    this.log.info(`route_announce: announce device ${ifname} created (it goes with this process)`);
  }

  release(name: string): void {
    const d = this.open.get(name);
    if (!d || --d.users > 0) return;
    this.open.delete(name);
    this.native.close(d.fd);
    this.log.info(`route_announce: announce device ${name} removed`);
  }

  /** Close every device (the kernel removes them with what is left on them). Idempotent. */
  close(): void {
    for (const [name, d] of this.open) {
      this.native.close(d.fd);
      this.log.info(`route_announce: announce device ${name} removed`);
    }
    this.open.clear();
    this.nl?.close();
    this.nl = undefined;
  }
}
