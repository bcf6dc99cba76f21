/**
 * The main process's side of etcd elections (issue 12): one etcd client per
 * `etcd_election` block, one Campaign (src/election/campaign.ts) per elected
 * instance. Grants go to the VRRP process as messages; its candidacy
 * reports come back. Only this process talks to etcd: the VRRP process
 * never waits on a network peer, and a main process that stops or dies
 * sends no more grants, so every VIP goes at its grant's end.
 */
import * as fs from 'node:fs';
import type { ElectionConfig, KeepalivedConfig, VrrpInstanceConfig } from '../../config/model';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import { Campaign, type CampaignStatus } from '../../election/campaign';
import { EtcdJsonClient } from '../../election/etcd-client';

/** The VRRP process as the elections see it. */
export interface ElectionVrrpPort {
  grant(instance: string, untilMs: number, revision: number): void;
  /** Resolves once the instance's VIPs are off (or the VRRP process is not running). */
  resign(instance: string): Promise<void>;
}

export interface ElectionDeps {
  log: Logger;
  /** CLOCK_MONOTONIC, the VRRP process's clock (grants are deadlines on it). */
  clock: Clock;
  vrrp: ElectionVrrpPort;
  /** Notify scripts queued or running for an instance (its notify_master may still be moving a cloud address). */
  pendingScripts?(instance: string): number;
}

/** How long a resignation waits for the instance's notify scripts before it gives the key up anyway. */
export const NOTIFY_WAIT_MS = 10_000;

interface Running {
  /** What the campaign was started from: a change restarts it. */
  signature: string;
  client: string;
  campaign: Campaign;
}

/** A request's deadline: a quarter of the TTL, within 200 ms .. 2 s. */
function requestTimeout(e: ElectionConfig): number {
  return Math.max(200, Math.min(2000, Math.round(e.leaseTtlMs / 4)));
}

export class ElectionService {
  private readonly clients = new Map<string, { signature: string; client: EtcdJsonClient }>();
  private readonly campaigns = new Map<string, Running>();
  /** The last candidacy each instance reported (it may come before its campaign starts, e.g. on reload). */
  private readonly reported = new Map<string, { priority: number; fault: boolean }>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: ElectionDeps) {}

  /** Start, keep or restart campaigns to match the configuration (start and reload). */
  async sync(config: KeepalivedConfig): Promise<void> {
    if (this.stopping) return;
    const blocks = new Map(config.elections.map((e) => [e.name, e]));
    const wanted = new Map<string, { inst: VrrpInstanceConfig; e: ElectionConfig }>();
    for (const inst of config.instances) {
      const e = inst.election && blocks.get(inst.election.name);
      if (inst.election && e) wanted.set(inst.name, { inst, e });
    }
    const sigOf = (inst: VrrpInstanceConfig, e: ElectionConfig) =>
      JSON.stringify([e, inst.election?.key, inst.nopreempt, inst.preemptDelayMs]);
    const stops: Promise<void>[] = [];
    for (const [name, r] of this.campaigns) {
      const w = wanted.get(name);
      if (w && sigOf(w.inst, w.e) === r.signature) continue;
      this.campaigns.delete(name);
      this.deps.log.info(`(${name}) election ${w ? 'changed' : 'removed'}: leaving it`);
      stops.push(r.campaign.stop());
    }
    await Promise.all(stops);
    for (const [name, { inst, e }] of wanted) {
      if (this.campaigns.has(name)) continue;
      const client = this.client(e);
      if (!client) continue;
      const campaign = new Campaign(
        {
          id: e.candidateId, path: `${e.keyPrefix}/${inst.election!.key}`, ttlMs: e.leaseTtlMs, marginMs: e.marginMs,
          nopreempt: inst.nopreempt, preemptDelayMs: inst.preemptDelayMs,
        },
        client,
        { grant: (until, rev) => this.deps.vrrp.grant(name, until, rev), resign: () => this.resign(name) },
        this.deps.clock,
        this.deps.log.child({ instance: name }),
      );
      this.campaigns.set(name, { signature: sigOf(inst, e), client: e.name, campaign });
      const c = this.reported.get(name);
      if (c) campaign.candidacy(c);
      this.deps.log.info(`(${name}) taking mastership from etcd_election ${e.name} (${e.endpoints.join(' ')}) as ${e.candidateId}`);
    }
    // Clients no campaign uses any more.
    const used = new Set([...this.campaigns.values()].map((r) => r.client));
    for (const [name, c] of this.clients) {
      if (used.has(name)) continue;
      c.client.close();
      this.clients.delete(name);
    }
  }

  /** The VRRP process reports an elected instance's candidacy. */
  candidacy(m: { instance: string; priority: number; fault: boolean }): void {
    this.reported.set(m.instance, { priority: m.priority, fault: m.fault });
    this.campaigns.get(m.instance)?.campaign.candidacy({ priority: m.priority, fault: m.fault });
  }

  status(): Record<string, CampaignStatus> {
    return Object.fromEntries([...this.campaigns].map(([n, r]) => [n, r.campaign.status()]));
  }

  /** Resign everywhere (the VRRP process has dropped the VIPs already when the daemon stops), revoke, close. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.campaigns.values()].map((r) => r.campaign.stop()));
      this.campaigns.clear();
      for (const c of this.clients.values()) c.client.close();
      this.clients.clear();
    })();
    return this.stopping;
  }

  /**
   * The VRRP process drops the VIPs; then the instance's notify scripts
   * finish (bounded): an old holder's notify_master that moves a cloud
   * address must not land after the next holder's, so the leader key is
   * given up only once it has run.
   */
  private async resign(name: string): Promise<void> {
    await this.deps.vrrp.resign(name);
    const pending = this.deps.pendingScripts;
    if (!pending || pending(name) === 0 || this.stopping) return;
    const until = this.deps.clock.now() + NOTIFY_WAIT_MS;
    while (pending(name) > 0 && this.deps.clock.now() < until) await new Promise<void>((r) => this.deps.clock.setTimer(25, r));
    if (pending(name) > 0) this.deps.log.warn(`(${name}) notify scripts still running after ${NOTIFY_WAIT_MS} ms - resigning anyway`);
  }

  /** The client of a block (one per block, shared by its instances); undefined if its files cannot be read. */
  private client(e: ElectionConfig): EtcdJsonClient | undefined {
    const signature = JSON.stringify(e);
    const have = this.clients.get(e.name);
    if (have && have.signature === signature) return have.client;
    have?.client.close();
    this.clients.delete(e.name);
    let tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
    try {
      const read = (f: string | undefined) => (f === undefined ? undefined : fs.readFileSync(f));
      if (e.cacert ?? e.cert) tls = { ca: read(e.cacert), cert: read(e.cert), key: read(e.key) };
    } catch (err) {
      this.deps.log.error(`etcd_election ${e.name}: ${(err as Error).message} - its instances stay BACKUP`);
      return undefined;
    }
    const client = new EtcdJsonClient({
      endpoints: e.endpoints, tls, timeoutMs: requestTimeout(e), log: this.deps.log,
      auth: e.user !== undefined && e.password !== undefined ? { user: e.user, password: e.password } : undefined,
    });
    this.clients.set(e.name, { signature, client });
    return client;
  }
}
