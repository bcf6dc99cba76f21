/**
 * One raw socket per (interface, family, destination mode), shared by every
 * VRRP instance on that link, as keepalived's socket pool does. Packets are
 * demultiplexed by VRID (byte 1 of the VRRP header) to per-instance views,
 * so an instance never sees another VRID's adverts. Packets for a VRID no
 * instance runs are counted, not logged per packet.
 */
import type { Family, ReceivedPacket, VrrpTransport } from '../../net/ports';

export interface PoolKey {
  ifname: string;
  family: Family;
  /** Multicast group, or 'unicast' for unicast instances. */
  mode: string;
  /** Source address the socket sends from (primary address, mcast_src_ip or unicast_src_ip). */
  src: string;
  /** unicast_ttl (unicast sockets only). */
  unicastTtl?: number;
}

export type TransportFactory = (key: PoolKey) => VrrpTransport;

interface Entry {
  transport: VrrpTransport;
  byVrid: Map<number, (pkt: ReceivedPacket) => void>;
  views: number;
}

export class TransportPool {
  private readonly entries = new Map<string, Entry>();
  /** Adverts received for a VRID that no local instance runs. */
  unknownVrid = 0;

  constructor(private readonly factory: TransportFactory) {}

  /** A view of the shared socket that only delivers `vrid`'s packets. */
  acquire(key: PoolKey, vrid: number): VrrpTransport {
    const id = `${key.ifname}|${key.family}|${key.mode}|${key.src}|${key.unicastTtl ?? ''}`;
    let entry = this.entries.get(id);
    if (!entry) {
      const transport = this.factory(key);
      const byVrid = new Map<number, (pkt: ReceivedPacket) => void>();
      entry = { transport, byVrid, views: 0 };
      transport.onPacket((pkt) => {
        const cb = pkt.data.length >= 2 ? byVrid.get(pkt.data[1]) : undefined;
        if (cb) cb(pkt);
        else this.unknownVrid++;
      });
      this.entries.set(id, entry);
    }
    const e = entry;
    e.views++;
    let closed = false;
    return {
      family: e.transport.family,
      ifname: e.transport.ifname,
      sourceAddress: e.transport.sourceAddress,
      send: (payload, dst) => {
        if (!closed) e.transport.send(payload, dst);
      },
      onPacket: (cb) => {
        e.byVrid.set(vrid, cb);
      },
      fastPath: e.transport.fastPath,
      close: () => {
        if (closed) return;
        closed = true;
        e.byVrid.delete(vrid);
        if (--e.views === 0) {
          e.transport.close();
          this.entries.delete(id);
        }
      },
    };
  }

  /** Number of open shared sockets (tests, status). */
  size(): number {
    return this.entries.size;
  }
}
