/**
 * A load balancer for keepalived's virtual servers over nftables, where the
 * kernel has no IPVS (as here). NAT forwarding (`lb_kind NAT`) only: a
 * connection to a service address is DNATed to one of its destinations;
 * conntrack keeps each connection on its destination and undoes the NAT on
 * the replies, which must come back through this host (the real servers'
 * route), as with IPVS NAT. IPv4 and IPv6, TCP/UDP/SCTP, IP:port and fwmark
 * services.
 *
 * Scheduling (IPVS's are connection-count based; nftables sees packets):
 *  - rr, wrr: round robin over the destinations, each repeated in proportion
 *    to its weight (`numgen inc`);
 *  - sh, and any service with `persistence_timeout`: by source address hash
 *    (`jhash saddr`), so a client sticks to a destination while the set of
 *    destinations is unchanged;
 *  - dh: by destination address hash;
 *  - lc, wlc and the others: weighted random (`numgen random`), logged once.
 * Weight 0 (inhibit_on_failure, or a server being drained) takes no new
 * connections; existing ones continue (conntrack). DR and TUN need IPVS:
 * such a service is not balanced, with an error logged.
 *
 * The whole table (`table ip kts_lvs` / `table ip6 kts_lvs`) is rewritten in
 * one nft transaction on every change; rewrites are serialised and
 * coalesced, and run off the VRRP path.
 */
import { type Logger, nullLogger } from '../../core/log';
import type { LvsDataPlane, LvsDestination, LvsService, LvsServiceAddress } from '../ports';
import { nftCommand, type NftRunner } from './nft-firewall';

const TABLE = 'kts_lvs';
/** Most entries one service's map gets when weights are expanded. */
const MAX_SLOTS = 256;

interface Entry {
  svc: LvsService;
  dests: Map<string, LvsDestination>;
}

const destKey = (d: { ip: string; port: number }) => `${d.ip}|${d.port}`;
const isV6 = (ip: string) => ip.includes(':');

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Each destination repeated in proportion to its weight (at most MAX_SLOTS slots, at least one each). */
export function weightedSlots<T extends { weight: number }>(dests: readonly T[]): T[] {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return [];
  const g = live.reduce((x, d) => gcd(x, d.weight), 0);
  let units = live.map((d) => d.weight / g);
  const total = units.reduce((a, b) => a + b, 0);
  if (total > MAX_SLOTS) units = live.map((d) => Math.max(1, Math.round((d.weight * MAX_SLOTS) / total / g)));
  const out: T[] = [];
  // Interleave, so a round robin alternates rather than sending runs to one destination.
  const left = [...units];
  for (let more = true; more; ) {
    more = false;
    live.forEach((d, i) => {
      if (left[i] > 0) {
        out.push(d);
        left[i]--;
        more ||= left[i] > 0;
      }
    });
  }
  return out;
}

export type Selector = 'inc' | 'random' | 'saddr' | 'daddr';

export function selectorFor(scheduler: string, persistent: boolean): Selector {
  if (persistent || scheduler === 'sh') return 'saddr';
  if (scheduler === 'dh') return 'daddr';
  if (scheduler === 'rr' || scheduler === 'wrr') return 'inc';
  return 'random';
}

const PROTO: Record<LvsService['protocol'], string> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** The nft rules for one family's table, from the current services. Pure (tests read it). */
export function lvsTableScript(family: 4 | 6, entries: readonly { svc: LvsService; dests: readonly LvsDestination[]; persistent?: boolean }[]): string {
  const fam = family === 4 ? 'ip' : 'ip6';
  const lines = [
    `table ${fam} ${TABLE} {`,
    '  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }',
    '  chain output { type nat hook output priority -100; policy accept; }',
  ];
  const jumps: string[] = [];
  entries.forEach((e, i) => {
    const chain = `svc${i}`;
    const proto = PROTO[e.svc.protocol];
    const addrs = e.svc.addresses.filter((a) => ('ip' in a ? isV6(a.ip) === (family === 6) : (a.family === 'inet6') === (family === 6)));
    if (addrs.length === 0) return;
    const dests = e.dests.filter((d) => isV6(d.ip) === (family === 6));
    const slots = weightedSlots(dests);
    const body: string[] = [];
    if (slots.length) {
      const sel = selectorFor(e.svc.scheduler, e.persistent ?? false);
      const n = slots.length;
      const expr =
        sel === 'inc' ? `numgen inc mod ${n}` : sel === 'random' ? `numgen random mod ${n}` : `jhash ${fam} ${sel} mod ${n}`;
      // Port 0 (fwmark services, real servers without a port): keep the port of the connection.
      const withPort = slots.every((d) => d.port > 0);
      const target = (d: LvsDestination) => (withPort ? `${d.ip} . ${d.port}` : d.ip);
      body.push(`meta l4proto ${proto} dnat ${fam} to ${expr} map { ${slots.map((d, k) => `${k} : ${target(d)}`).join(', ')} }`);
    }
    lines.push(`  chain ${chain} {${body.length ? ` ${body.join('; ')}; ` : ' '}}`);
    for (const a of addrs) jumps.push(matchOf(fam, proto, a) + ` jump ${chain}`);
  });
  lines.push('}');
  for (const j of jumps) for (const hook of ['prerouting', 'output']) lines.push(`add rule ${fam} ${TABLE} ${hook} ${j}`);
  return lines.join('\n') + '\n';
}

function matchOf(fam: 'ip' | 'ip6', proto: string, a: LvsServiceAddress): string {
  if ('fwmark' in a) return `meta mark ${a.fwmark} meta l4proto ${proto}`;
  return a.port > 0 ? `${fam} daddr ${a.ip} ${proto} dport ${a.port}` : `${fam} daddr ${a.ip} meta l4proto ${proto}`;
}

export class NftLvsDataPlane implements LvsDataPlane {
  readonly kind = 'nftables';
  private readonly entries = new Map<string, Entry>();
  private readonly warned = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private dirty = false;
  private installed = new Set<4 | 6>();

  constructor(
    private readonly nft: NftRunner = nftCommand,
    private readonly log: Logger = nullLogger,
  ) {}

  private persistent(s: LvsService): boolean {
    return (s.persistenceTimeoutS ?? 0) > 0;
  }

  async addService(s: LvsService): Promise<{ changed: boolean }> {
    if (s.method !== 'NAT') {
      this.warnOnce(`method:${s.name}`, `${s.name}: lb_kind ${s.method} needs IPVS, which this kernel lacks - service not balanced (nftables does NAT only)`, 'error');
      return { changed: false };
    }
    if (this.entries.has(s.name)) return { changed: false };
    if (!['rr', 'wrr', 'sh', 'dh'].includes(s.scheduler) && !this.persistent(s)) {
      this.warnOnce(`sched:${s.scheduler}`, `lvs_sched ${s.scheduler} is approximated by weighted random selection (nftables sees packets, not connection counts)`, 'info');
    }
    this.entries.set(s.name, { svc: s, dests: new Map() });
    await this.sync();
    return { changed: true };
  }

  async removeService(s: LvsService): Promise<{ changed: boolean }> {
    if (!this.entries.delete(s.name)) return { changed: false };
    await this.sync();
    return { changed: true };
  }

  async addDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    const e = this.entries.get(s.name);
    if (!e || e.dests.has(destKey(d))) return { changed: false };
    e.dests.set(destKey(d), { ...d });
    await this.sync();
    return { changed: true };
  }

  async updateDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    const e = this.entries.get(s.name);
    const cur = e?.dests.get(destKey(d));
    if (!e || !cur || (cur.weight === d.weight && cur.method === d.method)) return { changed: false };
    e.dests.set(destKey(d), { ...d });
    await this.sync();
    return { changed: true };
  }

  async removeDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    const e = this.entries.get(s.name);
    if (!e || !e.dests.delete(destKey(d))) return { changed: false };
    await this.sync();
    return { changed: true };
  }

  /** The current table text per family (status, tests). */
  script(family: 4 | 6): string {
    return lvsTableScript(family, this.view());
  }

  /** Remove both tables. */
  close(): Promise<void> {
    this.entries.clear();
    return this.sync();
  }

  private view(): { svc: LvsService; dests: LvsDestination[]; persistent: boolean }[] {
    return [...this.entries.values()].map((e) => ({ svc: e.svc, dests: [...e.dests.values()], persistent: this.persistent(e.svc) }));
  }

  /** Rewrite the tables; calls that arrive while a rewrite runs are folded into one more. */
  private sync(): Promise<void> {
    this.dirty = true;
    const next = this.chain.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const view = this.view();
      let script = '';
      for (const f of [4, 6] as const) {
        const fam = f === 4 ? 'ip' : 'ip6';
        const wanted = view.some((e) => e.svc.addresses.some((a) => ('ip' in a ? isV6(a.ip) === (f === 6) : (a.family === 'inet6') === (f === 6))));
        // `add` then `delete` clears an old table without failing when there is none; one transaction.
        if (wanted || this.installed.has(f)) script += `add table ${fam} ${TABLE}\ndelete table ${fam} ${TABLE}\n`;
        if (wanted) script += lvsTableScript(f, view);
        if (wanted) this.installed.add(f);
        else this.installed.delete(f);
      }
      if (script) await this.nft(script);
    });
    this.chain = next.catch((e: Error) => this.log.error(`LVS nftables update failed: ${e.message}`));
    return this.chain;
  }

  private warnOnce(key: string, msg: string, level: 'info' | 'error'): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.log(level, msg);
  }
}
