/**
 * Several candidates of one election on the in-memory etcd and a virtual
 * clock, each with a model of its VRRP process (it holds the VIP while a
 * grant runs, and drops it at the grant's end by itself), sampled every
 * virtual millisecond: two holders at any moment is a failure.
 */
import { VirtualClock } from '../../src/core/clock';
import { Logger } from '../../src/core/log';
import { Campaign, type CampaignOptions, type HolderPort } from '../../src/election/campaign';
import { FakeEtcd, type FakeClient } from './fake-etcd';

/** The VRRP process's side, reduced to what matters here. */
export class HolderModel implements HolderPort {
  until: number | null = null;
  revision: number | null = null;
  /** Powered off: holds nothing, takes no grant. */
  dead = false;
  grants = 0;
  constructor(private readonly clock: VirtualClock) {}
  grant(until: number, revision: number): void {
    if (this.dead) return;
    this.until = until;
    this.revision = revision;
    this.grants++;
  }
  resign(): Promise<void> {
    this.until = null;
    return Promise.resolve();
  }
  held(): boolean {
    return !this.dead && this.until !== null && this.clock.now() < this.until;
  }
}

export interface SimHost {
  id: string;
  client: FakeClient;
  holder: HolderModel;
  campaign: Campaign;
  priority: number;
  fault: boolean;
}

export const TTL = 2000;
export const MARGIN = 300;

export class Sim {
  readonly clock = new VirtualClock(1_000_000);
  readonly etcd = new FakeEtcd(this.clock);
  readonly hosts = new Map<string, SimHost>();
  /** Times at which more than one host held. */
  readonly overlaps: { at: number; holders: string[] }[] = [];
  /** The holder history: [time, holder ids] at each change. */
  readonly history: { at: number; holders: string[] }[] = [];
  readonly logs: string[] = [];
  private readonly log = new Logger((r) => this.logs.push(`${this.clock.now()} ${r.msg}`), {}, 'debug');

  add(id: string, priority: number, o: Partial<CampaignOptions> = {}): SimHost {
    const client = this.etcd.client(id);
    const holder = new HolderModel(this.clock);
    const opts: CampaignOptions = { id, path: '/kts/VI_1', ttlMs: TTL, marginMs: MARGIN, nopreempt: false, preemptDelayMs: 0, ...o };
    const campaign = new Campaign(opts, client, holder, this.clock, this.log.child({ host: id }));
    const h: SimHost = { id, client, holder, campaign, priority, fault: false };
    campaign.candidacy({ priority, fault: false });
    this.hosts.set(id, h);
    return h;
  }

  set(id: string, c: { priority?: number; fault?: boolean }): void {
    const h = this.hosts.get(id)!;
    h.priority = c.priority ?? h.priority;
    h.fault = c.fault ?? h.fault;
    h.campaign.candidacy({ priority: h.priority, fault: h.fault });
  }

  /** Power loss: the VIP is gone with the host, nothing more is sent. */
  crash(id: string): void {
    const h = this.hosts.get(id)!;
    h.holder.dead = true;
    h.client.partitioned = true;
    void h.campaign.stop(); // its requests never arrive: partitioned
    this.hosts.delete(id);
  }

  holders(): string[] {
    return [...this.hosts.values()].filter((h) => h.holder.held()).map((h) => h.id).sort();
  }

  /** Run `ms` of virtual time, checking the holders every millisecond. */
  async run(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      this.clock.advance(1);
      const hs = this.holders();
      const last = this.history.at(-1);
      if (!last || last.holders.join() !== hs.join()) this.history.push({ at: this.clock.now(), holders: hs });
      if (hs.length > 1) this.overlaps.push({ at: this.clock.now(), holders: hs });
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Run until exactly `ids` hold (or `ms` passed); returns when, or undefined. */
  async until(ids: string[], ms: number): Promise<number | undefined> {
    const want = [...ids].sort().join();
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      await this.run(1);
      if (this.holders().join() === want) return this.clock.now();
    }
    return undefined;
  }

  /** Run the clock until `p` settles (at most `ms`). */
  async settle<T>(p: Promise<T>, ms = 10_000): Promise<T> {
    let done = false;
    const q = p.finally(() => (done = true));
    const end = this.clock.now() + ms;
    while (!done && this.clock.now() < end) await this.run(1);
    return q;
  }

  /** SIGTERM of one host: its campaign stops (resign, revoke); returns when that is done. */
  async stop(id: string): Promise<void> {
    const h = this.hosts.get(id)!;
    await this.settle(h.campaign.stop());
    this.hosts.delete(id);
  }

  async stopAll(): Promise<void> {
    await this.settle(Promise.all([...this.hosts.values()].map((h) => h.campaign.stop())));
  }
}
