/**
 * NetlinkLinkWatcher: link up/down and address events from rtnetlink
 * (RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR), after an initial
 * dump of links and addresses. Keeps the interfaces' addresses so callers can
 * pick an interface's primary address (keepalived's rules: pickPrimary()).
 *
 * Several listeners may register (one per VRRP instance); each onX() adds one.
 */
import { requireNative, type KtsNative } from '../../native';
import type { Family, LinkState, LinkWatcher } from '../ports';
import {
  type AddressInfo,
  type LinkInfo,
  type NlMessage,
  NetlinkSocket,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_IPV6_IFADDR,
  RTMGRP_LINK,
  decodeAddress,
  decodeLink,
  dumpAddresses,
  dumpLinks,
  pickPrimary,
} from './netlink';

export type { AddressInfo, LinkInfo } from './netlink';

export class NetlinkLinkWatcher implements LinkWatcher {
  private readonly events: NetlinkSocket;
  private readonly queries: NetlinkSocket;
  private readonly links = new Map<number, LinkInfo>();
  private readonly addrs = new Map<number, AddressInfo[]>();
  private readonly linkCbs: ((s: LinkState) => void)[] = [];
  private readonly removedCbs: ((ifname: string, address: string, family: Family) => void)[] = [];
  private readonly addedCbs: ((ifname: string, address: string, family: Family) => void)[] = [];
  private closed = false;

  /** Opens the sockets and loads the initial state. */
  static async open(native: KtsNative = requireNative(), opts: { keepAlive?: boolean } = {}): Promise<NetlinkLinkWatcher> {
    const w = new NetlinkLinkWatcher(native, opts);
    try {
      await w.resync();
    } catch (e) {
      w.close();
      throw e;
    }
    return w;
  }

  private constructor(native: KtsNative, opts: { keepAlive?: boolean }) {
    // Subscribe before dumping so no change falls between the dump and the first event.
    this.events = new NetlinkSocket(native, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, {
      keepAlive: opts.keepAlive ?? false,
    });
    this.events.onNotification((m) => this.onMessage(m));
    // ENOBUFS: the kernel dropped notifications; reload the whole state.
    this.events.onError(() => {
      if (!this.closed) this.resync().catch(() => undefined);
    });
    this.queries = new NetlinkSocket(native);
  }

  onLink(cb: (s: LinkState) => void): void {
    this.linkCbs.push(cb);
  }
  onAddressRemoved(cb: (ifname: string, address: string, family: Family) => void): void {
    this.removedCbs.push(cb);
  }
  onAddressAdded(cb: (ifname: string, address: string, family: Family) => void): void {
    this.addedCbs.push(cb);
  }

  linkState(ifname: string): LinkState | undefined {
    const l = this.byName(ifname);
    return l ? { ifname: l.ifname, ifindex: l.ifindex, up: l.up } : undefined;
  }

  /** Every known link. */
  allLinks(): LinkInfo[] {
    return [...this.links.values()];
  }

  /** The interface's addresses of a family (or both), in kernel order. */
  addresses(ifname: string, family?: Family): AddressInfo[] {
    const l = this.byName(ifname);
    if (!l) return [];
    return (this.addrs.get(l.ifindex) ?? []).filter((a) => family === undefined || a.family === family);
  }

  /** Primary IPv4 (first non-secondary) or link-local IPv6 address of the interface. */
  primaryAddress(ifname: string, family: Family): string | undefined {
    return pickPrimary(this.addresses(ifname, family), family);
  }

  /** Reloads links and addresses; emits events for what changed meanwhile. */
  async resync(): Promise<void> {
    const [links, addrs] = await Promise.all([dumpLinks(this.queries), dumpAddresses(this.queries)]);
    const seen = new Set<number>();
    for (const l of links) {
      seen.add(l.ifindex);
      this.applyLink(l);
    }
    for (const [idx, l] of [...this.links]) if (!seen.has(idx)) this.dropLink(l);
    const fresh = new Map<number, AddressInfo[]>();
    for (const a of addrs) fresh.set(a.ifindex, [...(fresh.get(a.ifindex) ?? []), a]);
    for (const [idx, old] of this.addrs) {
      const now = fresh.get(idx) ?? [];
      for (const a of old) if (!now.some((x) => x.address === a.address)) this.emitRemoved(a);
    }
    this.addrs.clear();
    for (const [idx, list] of fresh) this.addrs.set(idx, list);
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.close();
    this.queries.close();
  }

  private byName(ifname: string): LinkInfo | undefined {
    for (const l of this.links.values()) if (l.ifname === ifname) return l;
    return undefined;
  }

  private onMessage(m: NlMessage): void {
    if (m.type === RTM_NEWLINK) {
      const l = decodeLink(m);
      if (l) this.applyLink(l);
    } else if (m.type === RTM_DELLINK) {
      const l = decodeLink(m);
      const known = l ? this.links.get(l.ifindex) : undefined;
      if (known) this.dropLink(known);
    } else if (m.type === RTM_NEWADDR) {
      const a = decodeAddress(m);
      if (!a) return;
      const list = this.addrs.get(a.ifindex) ?? [];
      const i = list.findIndex((x) => x.address === a.address);
      if (i >= 0) list[i] = a;
      else {
        list.push(a);
        const l = this.links.get(a.ifindex);
        if (l) for (const cb of this.addedCbs) cb(l.ifname, a.address, a.family);
      }
      this.addrs.set(a.ifindex, list);
    } else if (m.type === RTM_DELADDR) {
      const a = decodeAddress(m);
      if (!a) return;
      const list = this.addrs.get(a.ifindex) ?? [];
      this.addrs.set(a.ifindex, list.filter((x) => x.address !== a.address));
      this.emitRemoved(a);
    }
  }

  private applyLink(l: LinkInfo): void {
    const old = this.links.get(l.ifindex);
    this.links.set(l.ifindex, l);
    if (!old || old.up !== l.up || old.ifname !== l.ifname) {
      const s: LinkState = { ifname: l.ifname, ifindex: l.ifindex, up: l.up };
      for (const cb of this.linkCbs) cb(s);
    }
  }

  private dropLink(l: LinkInfo): void {
    this.links.delete(l.ifindex);
    this.addrs.delete(l.ifindex);
    const s: LinkState = { ifname: l.ifname, ifindex: l.ifindex, up: false };
    for (const cb of this.linkCbs) cb(s);
  }

  private emitRemoved(a: AddressInfo): void {
    const l = this.links.get(a.ifindex);
    if (l) for (const cb of this.removedCbs) cb(l.ifname, a.address, a.family);
  }
}
