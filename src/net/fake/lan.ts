/**
 * An in-memory LAN for tests and simulations: N routers (nodes) on one
 * broadcast domain, driven by a Clock (normally a VirtualClock). It provides
 * the three OS ports per node - VrrpTransport, AddressManager, Announcer - and
 * models per-link loss and delay, partitions and dead nodes. Packets are the
 * encoded VRRP payloads, delivered with TTL 255 like a real link.
 */
import type { Clock } from '../../core/clock';
import type { TimerHandle } from '../../core/clock';
import type { AddressManager, AdvertFastPath, Announcer, Family, FastPathHandle, FastPathState, ReceivedPacket, VipSpec, VrrpTransport } from '../ports';

export const VRRP_GROUP_V4 = '224.0.0.18';
export const VRRP_GROUP_V6 = 'ff02::12';

export interface LinkProps {
  /** Probability in [0,1] that a packet on this link is lost. */
  loss: number;
  /** One-way delay, ms. */
  delayMs: number;
}

export interface FakeLanOptions {
  /** Default link properties (default: no loss, 1 ms delay). */
  link?: Partial<LinkProps>;
  /** PRNG seed for losses. */
  seed?: number;
  /** Offer the steady-state fast path on every transport, with the C code's semantics (default false). */
  fastPath?: boolean;
}

export interface SentRecord {
  at: number;
  from: string;
  dst: string;
  family: Family;
  bytes: number;
}

export interface AnnounceRecord {
  at: number;
  node: string;
  ifname: string;
  address: string;
  family: Family;
}

/** mulberry32: small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FakeLan {
  readonly nodes = new Map<string, FakeNode>();
  /** Every packet put on the wire (after the sender's checks, before loss). */
  readonly sent: SentRecord[] = [];
  /** Every GARP/NA sent, in order: the last one per address is who the LAN's ARP caches point at. */
  readonly announcements: AnnounceRecord[] = [];
  delivered = 0;
  lost = 0;
  /** Keep the `sent` log (off for long simulations). */
  record = true;
  private readonly links = new Map<string, LinkProps>();
  private readonly defaults: LinkProps;
  private readonly random: () => number;
  private readonly arpOwners = new Map<string, string>();
  readonly fastPath: boolean;

  constructor(
    readonly clock: Clock,
    opts: FakeLanOptions = {},
  ) {
    this.fastPath = opts.fastPath ?? false;
    this.defaults = { loss: 0, delayMs: 1, ...opts.link };
    this.random = prng(opts.seed ?? 1);
  }

  /** Add a router with its own addresses on the link, e.g. {4: '192.0.2.1', 6: 'fe80::1'}. */
  addNode(name: string, addrs: Partial<Record<Family, string>>, ifname = 'eth0'): FakeNode {
    if (this.nodes.has(name)) throw new Error(`node ${name} exists`);
    const n = new FakeNode(this, name, addrs, ifname);
    this.nodes.set(name, n);
    return n;
  }

  node(name: string): FakeNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Set properties of the link between a and b (both directions unless `oneWay`). */
  setLink(a: string, b: string, props: Partial<LinkProps>, oneWay = false): void {
    this.links.set(`${a}>${b}`, { ...this.linkProps(a, b), ...props });
    if (!oneWay) this.links.set(`${b}>${a}`, { ...this.linkProps(b, a), ...props });
  }

  /** Set default properties for every link without its own. */
  setDefaultLink(props: Partial<LinkProps>): void {
    Object.assign(this.defaults, props);
  }

  linkProps(from: string, to: string): LinkProps {
    return this.links.get(`${from}>${to}`) ?? this.defaults;
  }

  /** Split the LAN: nodes in different groups cannot reach each other; unlisted nodes form one more group. */
  partition(groups: string[][]): void {
    for (const n of this.nodes.values()) n.segment = groups.length;
    groups.forEach((g, i) => g.forEach((name) => (this.node(name).segment = i)));
  }

  /** Reconnect everyone. */
  heal(): void {
    for (const n of this.nodes.values()) n.segment = 0;
  }

  /** Which node's MAC the LAN's ARP/ND caches hold for `address` (last GARP/NA seen). */
  arpOwner(address: string): string | undefined {
    return this.arpOwners.get(address);
  }

  /** Nodes that currently have `address` configured. */
  holders(address: string): string[] {
    return [...this.nodes.values()].filter((n) => n.addresses.list().some((v) => v.address === address)).map((n) => n.name);
  }

  /** @internal */
  transmit(from: FakeNode, family: Family, payload: Buffer, dst: string): void {
    if (!from.up) return;
    const now = this.clock.now();
    if (this.record) this.sent.push({ at: now, from: from.name, dst, family, bytes: payload.length });
    const data = Buffer.from(payload);
    const multicast = dst === VRRP_GROUP_V4 || dst.toLowerCase().startsWith('ff');
    for (const to of this.nodes.values()) {
      if (to === from) continue; // IP_MULTICAST_LOOP 0
      if (!multicast && to.addrs[family] !== dst) continue;
      if (to.segment !== from.segment) continue;
      const link = this.linkProps(from.name, to.name);
      if (link.loss > 0 && this.random() < link.loss) {
        this.lost++;
        continue;
      }
      const src = from.addrs[family];
      if (src === undefined) continue;
      const segmentAtSend = from.segment;
      this.clock.setTimer(link.delayMs, () => {
        // A partition or crash while the packet is in flight drops it.
        if (!to.up || !from.up || to.segment !== segmentAtSend) {
          this.lost++;
          return;
        }
        this.delivered++;
        to.deliver(family, { data, src, dst, ttl: 255, ifindex: to.ifindex });
      });
    }
  }

  /** @internal */
  announced(from: FakeNode, ifname: string, address: string, family: Family): void {
    if (!from.up) return;
    this.announcements.push({ at: this.clock.now(), node: from.name, ifname, address, family });
    this.arpOwners.set(address, from.name);
  }
}

export class FakeNode {
  /** A crashed / unplugged node neither sends nor receives. */
  up = true;
  /** @internal partition segment */
  segment = 0;
  readonly ifindex = 2;
  readonly addresses: FakeAddressManager;
  readonly announcer: Announcer;
  private readonly transports = new Set<FakeTransport>();

  constructor(
    readonly lan: FakeLan,
    readonly name: string,
    readonly addrs: Partial<Record<Family, string>>,
    readonly ifname: string,
  ) {
    this.addresses = new FakeAddressManager(name);
    this.announcer = {
      announce: (ifn, address, family) => this.lan.announced(this, ifn, address, family),
    };
  }

  /** A new VRRP transport on this node (one per instance, like the daemon's pool views). */
  transport(family: Family, sourceAddress = this.addrs[family]): FakeTransport {
    if (sourceAddress === undefined) throw new Error(`${this.name} has no IPv${family} address`);
    const t = new FakeTransport(this, family, sourceAddress);
    this.transports.add(t);
    return t;
  }

  /** @internal */
  deliver(family: Family, pkt: ReceivedPacket): void {
    for (const t of [...this.transports]) if (t.family === family) t.receive(pkt);
  }

  /** @internal */
  detach(t: FakeTransport): void {
    this.transports.delete(t);
  }
}

export class FakeTransport implements VrrpTransport {
  readonly ifname: string;
  private cb: ((pkt: ReceivedPacket) => void) | undefined;
  private closed = false;
  sentCount = 0;
  /** Packets the fast path absorbed (never reached onPacket). */
  absorbedCount = 0;
  private readonly absorbs = new Set<FakeAbsorb>();
  readonly fastPath: AdvertFastPath | undefined;

  constructor(
    private readonly node: FakeNode,
    readonly family: Family,
    readonly sourceAddress: string,
  ) {
    this.ifname = node.ifname;
    this.fastPath = node.lan.fastPath ? this.makeFastPath() : undefined;
  }

  /** The fast path of src/native/kts_native.c, on the LAN's clock. */
  private makeFastPath(): AdvertFastPath {
    const clock = this.node.lan.clock;
    return {
      absorb: (pkt, firstDeadline, silenceMs, onSilence) => {
        const a = new FakeAbsorb(clock, pkt, firstDeadline, silenceMs, onSilence, () => this.absorbs.delete(a));
        this.absorbs.add(a);
        return a;
      },
      repeat: (payload, dsts, firstAt, intervalMs) => {
        const st: FastPathState = { count: 0, lastAt: 0, nextAt: firstAt };
        let timer: TimerHandle | undefined;
        let stopped = false;
        const tick = () => {
          if (stopped || this.closed) return;
          const now = clock.now();
          for (const dst of dsts) this.send(payload, dst);
          st.count++;
          st.lastAt = now;
          st.nextAt += intervalMs;
          if (st.nextAt <= now) st.nextAt = now + intervalMs;
          timer = clock.setTimer(st.nextAt - now, tick);
        };
        timer = clock.setTimer(Math.max(0, firstAt - clock.now()), tick);
        const read = (): FastPathState => {
          const out = { ...st };
          st.count = 0;
          return out;
        };
        return {
          peek: () => (stopped ? { count: 0, lastAt: st.lastAt, nextAt: st.nextAt } : read()),
          stop: () => {
            if (stopped) return { count: 0, lastAt: st.lastAt, nextAt: st.nextAt };
            stopped = true;
            timer?.cancel();
            return read();
          },
        };
      },
    };
  }

  send(payload: Buffer, dst: string): void {
    if (this.closed) return;
    this.sentCount++;
    this.node.lan.transmit(this.node, this.family, payload, dst);
  }

  onPacket(cb: (pkt: ReceivedPacket) => void): void {
    this.cb = cb;
  }

  /** @internal */
  receive(pkt: ReceivedPacket): void {
    if (this.closed) return;
    for (const a of this.absorbs) {
      if (a.take(pkt)) {
        this.absorbedCount++;
        return;
      }
    }
    if (this.cb) this.cb(pkt);
  }

  close(): void {
    this.closed = true;
    this.node.detach(this);
  }
}

/** One absorb of the fake fast path: identical packets restart the silence deadline. */
class FakeAbsorb implements FastPathHandle {
  private count = 0;
  private lastAt = 0;
  private deadline: number;
  private timer: TimerHandle;
  private fired = false;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly pkt: ReceivedPacket,
    firstDeadline: number,
    private readonly silenceMs: number,
    private readonly onSilence: (s: FastPathState) => void,
    private readonly forget: () => void,
  ) {
    this.deadline = firstDeadline;
    this.timer = this.arm();
  }

  take(p: ReceivedPacket): boolean {
    if (this.fired || this.stopped) return false;
    const q = this.pkt;
    if (p.src !== q.src || p.ttl !== q.ttl || p.ifindex !== q.ifindex || !p.data.equals(q.data)) return false;
    this.count++;
    this.lastAt = this.clock.now();
    this.deadline = this.lastAt + this.silenceMs;
    this.timer.cancel();
    this.timer = this.arm();
    return true;
  }

  private arm(): TimerHandle {
    return this.clock.setTimer(Math.max(0, this.deadline - this.clock.now()), () => {
      if (this.fired || this.stopped) return;
      this.fired = true;
      this.onSilence({ count: this.count, lastAt: this.lastAt, nextAt: this.deadline }); // stop() returns the same count
    });
  }

  peek(): FastPathState {
    const st = { count: this.count, lastAt: this.lastAt, nextAt: this.deadline };
    this.count = 0;
    return st;
  }

  stop(): FastPathState {
    if (this.stopped) return { count: 0, lastAt: this.lastAt, nextAt: this.deadline };
    this.stopped = true;
    this.timer.cancel();
    this.forget();
    return this.peek();
  }
}

function key(v: VipSpec): string {
  return `${v.ifname}|${v.address}`;
}

/** Addresses on one node; idempotent, reports `changed`. */
export class FakeAddressManager implements AddressManager {
  private readonly addrs = new Map<string, VipSpec>();
  private removedCbs: ((vip: VipSpec) => void)[] = [];
  adds = 0;
  removes = 0;

  constructor(readonly node: string) {}

  async add(vip: VipSpec): Promise<{ changed: boolean }> {
    if (this.addrs.has(key(vip))) return { changed: false };
    this.addrs.set(key(vip), vip);
    this.adds++;
    return { changed: true };
  }

  async remove(vip: VipSpec): Promise<{ changed: boolean }> {
    if (!this.addrs.delete(key(vip))) return { changed: false };
    this.removes++;
    return { changed: true };
  }

  async has(vip: VipSpec): Promise<boolean> {
    return this.addrs.has(key(vip));
  }

  list(): VipSpec[] {
    return [...this.addrs.values()];
  }

  /** Someone else (an admin, a link flap) removed the address: tell listeners like the kernel would. */
  removeExternally(address: string): boolean {
    for (const [k, v] of this.addrs) {
      if (v.address !== address) continue;
      this.addrs.delete(k);
      for (const cb of this.removedCbs) cb(v);
      return true;
    }
    return false;
  }

  onRemoved(cb: (vip: VipSpec) => void): void {
    this.removedCbs.push(cb);
  }
}
