/**
 * Ports: the small interfaces between the pure VRRP/track/check core and the
 * operating system. The daemon wires Linux adapters (src/net/linux) to them;
 * tests wire the in-memory LAN (src/net/fake). Adapters are idempotent and
 * report whether they changed anything.
 */
export type Family = 4 | 6;

/** A VRRP packet as delivered by the transport: the VRRP payload only (no IP header). */
export interface ReceivedPacket {
  data: Buffer;
  /** Source IP address (text form). */
  src: string;
  /** Destination IP address (text form): multicast group or our unicast address. */
  dst: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  /** Arrival interface index. */
  ifindex: number;
}

/** Sends and receives IP protocol 112 on one interface and family. */
export interface VrrpTransport {
  readonly family: Family;
  readonly ifname: string;
  /** Our source address on this link (primary IPv4 / link-local IPv6 unless unicast_src_ip). */
  readonly sourceAddress: string;
  /** Send a VRRP payload to `dst` (multicast group or unicast peer) with TTL/hop limit 255. */
  send(payload: Buffer, dst: string): void;
  /** Register the receiver; replaces any previous one. */
  onPacket(cb: (pkt: ReceivedPacket) => void): void;
  close(): void;
  /** The steady-state fast path, where the transport offers one (the Linux one does). */
  readonly fastPath?: AdvertFastPath;
}

/** What a fast-path handle did since it was started or last read. Times on the instance's clock. */
export interface FastPathState {
  count: number;
  /** When the last packet was absorbed / sent (0: none yet). */
  lastAt: number;
  /** The silence deadline (absorb) or the next send (repeat). */
  nextAt: number;
}

export interface FastPathHandle {
  /** Counts since the last read, and keeps running. (A callback's state is not a read: stop() still returns its count.) */
  peek(): FastPathState;
  /** Counts since the last read, and stops for good. Idempotent. */
  stop(): FastPathState;
}

/**
 * A VRRP instance in a steady state hands the repetitive part to the
 * transport, which does it without waking the state machine (see
 * src/native/kts_native.c, "the steady-state fast path"):
 *  - absorb: count packets byte-identical to `pkt` (same source, TTL,
 *    interface, payload); each one moves a silence deadline to its arrival
 *    plus `silenceMs`; `onSilence` is called once when the deadline passes.
 *    Other packets reach onPacket() as usual;
 *  - repeat: send `payload` to each of `dsts` at `firstAt` and every
 *    `intervalMs` after (absolute deadlines); `onError` when a send fails
 *    (the repeat then sends nothing more).
 * The clock is the instance's (CLOCK_MONOTONIC milliseconds on Linux).
 */
export interface AdvertFastPath {
  absorb(pkt: ReceivedPacket, firstDeadline: number, silenceMs: number, onSilence: (s: FastPathState) => void): FastPathHandle;
  repeat(payload: Buffer, dsts: readonly string[], firstAt: number, intervalMs: number, onError: (e: Error, s: FastPathState) => void): FastPathHandle;
}

/** A virtual address as keepalived's `virtual_ipaddress` line describes it. */
export interface VipSpec {
  address: string; // text form, no prefix
  family: Family;
  prefixLength: number; // default /32 or /128
  ifname: string;
  broadcast?: string;
  scope?: 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;
  label?: string;
  noPrefixRoute?: boolean;
  /** Preferred lifetime 0 ("deprecated"): never chosen as a source (keepalived's VMAC link-local). */
  deprecated?: boolean;
}

export interface AddressManager {
  /** Add the address if not present. */
  add(vip: VipSpec): Promise<{ changed: boolean }>;
  /** Remove the address if present. */
  remove(vip: VipSpec): Promise<{ changed: boolean }>;
  /** Is it currently on the interface? */
  has(vip: VipSpec): Promise<boolean>;
  /**
   * (etcd_election) Give the address a kernel lifetime of `seconds` (valid and
   * preferred; RTM_NEWADDR with NLM_F_REPLACE): the kernel deletes it then
   * unless it is renewed, even if this process is killed.
   */
  setLifetime?(vip: VipSpec, seconds: number): Promise<void>;
}

/** Gratuitous ARP (IPv4) and unsolicited Neighbour Advertisement (IPv6). */
export interface Announcer {
  announce(ifname: string, address: string, family: Family, mac?: Buffer): void;
  /** Sends nothing at all (VIPs announced by route are on no shared link): no bursts are scheduled or logged. */
  readonly silent?: boolean;
}

export interface LinkState {
  ifname: string;
  ifindex: number;
  up: boolean; // IFF_UP and IFF_RUNNING
}

/** Link and address events from the kernel. */
export interface LinkWatcher {
  onLink(cb: (s: LinkState) => void): void;
  onAddressRemoved(cb: (ifname: string, address: string, family: Family) => void): void;
  linkState(ifname: string): LinkState | undefined;
  close(): void;
}

/**
 * keepalived's `no_accept` (the default in strict mode): while MASTER, drop
 * traffic to and from the VIPs that is not VRRP itself (RFC 5798 §6.4.3:
 * a non-owner master "MUST NOT accept packets addressed to the IPvX
 * address(es) associated with the virtual router" unless Accept_Mode).
 */
export interface Firewall {
  block(vip: VipSpec): Promise<{ changed: boolean }>;
  unblock(vip: VipSpec): Promise<{ changed: boolean }>;
  /** Remove everything installed. */
  close(): Promise<void>;
}

/** A route or policy rule as `ip route` / `ip rule` arguments (virtual_routes, virtual_rules, static_*). */
export interface IpRoute {
  kind: 'route' | 'rule';
  family: Family;
  args: string[];
}

/** Installs routes and rules with keepalived's protocol (18, "keepalived"); idempotent. */
export interface RouteManager {
  add(r: IpRoute): Promise<{ changed: boolean }>;
  remove(r: IpRoute): Promise<{ changed: boolean }>;
}

/** An address a virtual service answers on: IP and port, or a firewall mark. */
export type LvsServiceAddress = { ip: string; port: number } | { fwmark: number; family?: 'inet' | 'inet6' };

/** A virtual service of the load balancer (keepalived's IPVS service). */
export interface LvsService {
  /** keepalived's name for it: `[192.0.2.100]:tcp:80`, `FWM 5`, `[group]:0`. */
  name: string;
  addresses: LvsServiceAddress[];
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** `lvs_sched` (rr, wlc, ...). */
  scheduler: string;
  /** `persistence_timeout`, seconds: a client sticks to one destination. */
  persistenceTimeoutS?: number;
  method: 'NAT' | 'DR' | 'TUN';
}

/** A real (or sorry) server behind a service; weight 0 = in the table, no new connections. */
export interface LvsDestination {
  ip: string;
  port: number;
  weight: number;
  method: 'NAT' | 'DR' | 'TUN';
}

/**
 * The load balancer's table (IPVS where the kernel has it). The checker
 * service keeps it equal to what the virtual server states call for; each
 * call is idempotent and reports whether it changed anything.
 */
export interface LvsDataPlane {
  /** What it is, for logs and status (e.g. "ipvs", "none"). */
  readonly kind: string;
  addService(s: LvsService): Promise<{ changed: boolean }>;
  /** Removes the service and its destinations. */
  removeService(s: LvsService): Promise<{ changed: boolean }>;
  addDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }>;
  /** Change weight / forwarding method of a present destination. */
  updateDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }>;
  removeDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }>;
}
