/**
 * One instance's candidacy in an etcd election, as the main process runs it.
 * It keeps a lease alive, publishes the candidacy, reads the election, acts
 * on ./decide.ts, and gives the VRRP process time-bounded grants.
 *
 * Keys, below `<key_prefix>/<key>/`:
 *   leader            {id, priority}, attached to the holder's lease; its create revision fences the holder
 *   fence             {id, lease} of the last winner, no lease (it outlives every holder)
 *   candidates/<id>   {priority, fault, preempt}, attached to each candidate's lease
 *
 * Safety (never two holders), on CLOCK_MONOTONIC alone:
 *  1. A grant says "MASTER until T" with T = S + TTL - margin, where S is
 *     when the last keepalive that succeeded was *sent*. etcd received it
 *     after S and expires the lease no earlier than that + TTL, so the
 *     holder's VIPs are gone (its own timer in the VRRP process) before the
 *     lease can expire - without hearing from etcd or from this process.
 *  2. The leader key lives on the holder's lease: it disappears only when
 *     the lease expires (after T) or when the holder deletes it, which it
 *     does only after its VIPs are off (resign() waits for the VRRP process).
 *  3. A winner reads the fence in the winning transaction: the previous
 *     holder's lease. It grants nothing until that lease is provably gone
 *     (LeaseTimeToLive says -1), which covers a leader key deleted by hand
 *     while its holder lives. A holder that leaves for any reason revokes its
 *     lease once its VIPs are down, so after a clean handover the proof is
 *     immediate, and after a crash it comes with the lease's expiry.
 *  4. Every write the holder makes afterwards is fenced by the leader key's
 *     create revision.
 * No busy loop: one timer, at the next keepalive (TTL / 3) or after a
 * failure's backoff (100 ms doubling, up to TTL / 3), plus the watch's kicks.
 */
import type { Clock, TimerHandle } from '../core/clock';
import type { Logger } from '../core/log';
import { decide, type CandidateInfo, type LeaderInfo } from './decide';
import type { ElectionStore, Kv } from './store';

/** The VRRP process's side of one elected instance. */
export interface HolderPort {
  /** The instance may be MASTER until clock time `until` (fenced by `revision`). */
  grant(until: number, revision: number): void;
  /** Give the grant back; resolves once the VIPs are off (or the VRRP process is gone). */
  resign(): Promise<void>;
}

export interface CampaignOptions {
  /** This host's candidate id (router_id by default). */
  id: string;
  /** `<key_prefix>/<key>`. */
  path: string;
  ttlMs: number;
  marginMs: number;
  nopreempt: boolean;
  preemptDelayMs: number;
}

export interface CampaignStatus {
  id: string;
  path: string;
  lease: string | null;
  leaseValidMs: number | null;
  leader: string | null;
  /** The leader key's create revision while we hold it. */
  revision: number | null;
  /** Whether the previous holder is proven gone (grants flow). */
  granted: boolean;
  grantUntilMs: number | null;
  candidates: CandidateInfo[];
  failures: number;
  lastError: string | null;
}

interface Lease {
  id: string;
  /** The lease is ours at least until then (send time of the last keepalive that succeeded + TTL). */
  validUntil: number;
  nextKeepAlive: number;
}

const BACKOFF_START_MS = 100;

export class Campaign {
  private lease: Lease | null = null;
  private leading: number | null = null;
  /** The previous holder's lease, read when we won; null once proven gone. */
  private waitingFor: string | null = null;
  private granted = false;
  private lastGrantUntil: number | null = null;
  private mine: { priority: number; fault: boolean } | undefined;
  /** When we last came up healthy or left MASTER (preempt_delay counts from there). */
  private healthySince: number | null = null;
  private published: string | null = null;
  private noLeaderSince: number | null = null;
  private view: { leader: LeaderInfo | null; others: CandidateInfo[] } = { leader: null, others: [] };
  private timer: TimerHandle | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private failures = 0;
  private lastError: string | null = null;
  private readonly watch: { close(): void };
  private readonly log: Logger;

  constructor(
    private readonly o: CampaignOptions,
    private readonly store: ElectionStore,
    private readonly holder: HolderPort,
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.log = log;
    this.watch = store.watch(`${o.path}/`, () => this.kick());
    this.kick();
  }

  private key(k: 'leader' | 'fence'): string {
    return `${this.o.path}/${k}`;
  }

  private get candidateKey(): string {
    return `${this.o.path}/candidates/${this.o.id}`;
  }

  /** The VRRP process reports our effective priority and fault state. */
  candidacy(c: { priority: number; fault: boolean }): void {
    const healthyNow = !c.fault;
    if (healthyNow && (this.mine === undefined || this.mine.fault)) this.healthySince = this.clock.now();
    if (!healthyNow) this.healthySince = null;
    const changed = this.mine?.priority !== c.priority || this.mine?.fault !== c.fault;
    this.mine = { ...c };
    if (changed) this.kick();
    else if (this.granted && this.leading !== null) this.sendGrant(); // e.g. a restarted VRRP process
  }

  status(): CampaignStatus {
    const now = this.clock.now();
    return {
      id: this.o.id,
      path: this.o.path,
      lease: this.lease?.id ?? null,
      leaseValidMs: this.lease ? Math.round(this.lease.validUntil - now) : null,
      leader: this.view.leader?.id ?? null,
      revision: this.leading,
      granted: this.granted,
      grantUntilMs: this.lastGrantUntil !== null && this.lastGrantUntil > now ? Math.round(this.lastGrantUntil - now) : null,
      candidates: this.view.others,
      failures: this.failures,
      lastError: this.lastError,
    };
  }

  /** Stop: resign if we hold (VIPs first, then the leader key), revoke the lease. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.watch.close();
    await this.leave('stopping');
  }

  /** Run a step now (or right after the running one). */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    if (this.stopped) return;
    this.timer = this.clock.setTimer(Math.max(0, ms), () => void this.run());
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.again = false;
    let next: number;
    try {
      await this.step();
      this.failures = 0;
      next = this.lease ? this.lease.nextKeepAlive - this.clock.now() : 0;
      if (this.waitingFor !== null) next = Math.min(next, this.o.ttlMs / 10);
    } catch (e) {
      this.failures++;
      const msg = (e as Error).message;
      if (msg !== this.lastError || this.failures === 1) this.log.warn(`election ${this.o.path}: ${msg}`);
      this.lastError = msg;
      // Reconnects back off: 100 ms doubling, at most a third of the TTL, with jitter.
      const cap = this.o.ttlMs / 3;
      next = Math.min(cap, BACKOFF_START_MS * 2 ** Math.min(this.failures - 1, 16)) * (0.75 + Math.random() / 2);
    } finally {
      this.running = false;
    }
    if (this.again) next = 0;
    this.schedule(next);
  }

  private async step(): Promise<void> {
    await this.keepLease();
    if (this.stopped || !this.lease) return;
    await this.publish();
    await this.read();
    if (this.stopped) return;
    const now = this.clock.now();
    const d = decide({
      me: this.o.id, mine: this.mine, others: this.view.others, leader: this.view.leader, myLease: this.lease.id,
      leading: this.leading, leaderlessMs: this.noLeaderSince === null ? 0 : now - this.noLeaderSince, ttlMs: this.o.ttlMs,
    });
    if (d.action === 'resign') {
      this.log.info(`election ${this.o.path}: resigning: ${d.why}`);
      await this.leave(d.why);
      return;
    }
    if (d.action === 'campaign') await this.campaign(d.why);
    if (this.leading !== null) await this.hold();
  }

  /** A lease that is ours for sure: keep it alive, or start a new one. */
  private async keepLease(): Promise<void> {
    const now = this.clock.now();
    if (this.lease && now >= this.lease.validUntil) {
      this.log.warn(`election ${this.o.path}: no keepalive answered for a TTL - the lease may be gone`);
      await this.leave('lease expired');
    }
    if (!this.lease) {
      const sent = this.clock.now();
      const g = await this.store.grantLease(Math.round(this.o.ttlMs / 1000));
      if (this.stopped) {
        await this.store.revoke(g.id).catch(() => undefined);
        return;
      }
      this.lease = { id: g.id, validUntil: sent + Math.min(g.ttlS * 1000, this.o.ttlMs), nextKeepAlive: sent + this.o.ttlMs / 3 };
      this.published = null;
      this.log.info(`election ${this.o.path}: lease ${g.id} (${g.ttlS} s)`);
      return;
    }
    if (now < this.lease.nextKeepAlive) return;
    const sent = this.clock.now();
    const ttlS = await this.store.keepAlive(this.lease.id);
    if (ttlS <= 0) {
      this.log.warn(`election ${this.o.path}: etcd says lease ${this.lease.id} is gone`);
      await this.leave('lease gone');
      return;
    }
    this.lease.validUntil = Math.max(this.lease.validUntil, sent + Math.min(ttlS * 1000, this.o.ttlMs));
    this.lease.nextKeepAlive = sent + this.o.ttlMs / 3;
  }

  /** Our candidate key, rewritten when what it says changes. */
  private async publish(): Promise<void> {
    if (!this.mine || !this.lease) return;
    const now = this.clock.now();
    const preempt = !this.o.nopreempt && !this.mine.fault && this.healthySince !== null && now - this.healthySince >= this.o.preemptDelayMs;
    const value = JSON.stringify({ priority: this.mine.priority, fault: this.mine.fault, preempt });
    if (value === this.published) return;
    await this.store.put(this.candidateKey, value, this.lease.id);
    this.published = value;
    // preempt_delay runs out later: look again then.
    if (!preempt && !this.o.nopreempt && this.healthySince !== null) {
      const due = this.healthySince + this.o.preemptDelayMs;
      if (this.lease.nextKeepAlive > due) this.lease.nextKeepAlive = due;
    }
  }

  private async read(): Promise<void> {
    const r = await this.store.range(`${this.o.path}/`);
    const others: CandidateInfo[] = [];
    let leader: LeaderInfo | null = null;
    const prefix = `${this.o.path}/candidates/`;
    for (const kv of r.kvs) {
      if (kv.key === this.key('leader')) leader = { id: String(parseJson(kv).id ?? '?'), lease: kv.lease, createRevision: kv.createRevision };
      else if (kv.key.startsWith(prefix) && kv.key !== this.candidateKey) {
        const v = parseJson(kv);
        others.push({ id: kv.key.slice(prefix.length), priority: Number(v.priority) || 0, fault: v.fault !== false, preempt: v.preempt === true });
      }
    }
    const now = this.clock.now();
    if (leader) this.noLeaderSince = null;
    else this.noLeaderSince ??= now;
    this.view = { leader, others };
  }

  private async campaign(why: string): Promise<void> {
    if (!this.lease || !this.mine) return;
    const lease = this.lease.id;
    const value = JSON.stringify({ id: this.o.id, priority: this.mine.priority });
    const r = await this.store.campaign(this.key('leader'), value, lease, this.key('fence'), JSON.stringify({ id: this.o.id, lease }));
    if (!r.won || r.revision === undefined || this.stopped) return;
    this.leading = r.revision;
    this.granted = false;
    const prev = r.prevFence ? parseJsonText(r.prevFence) : {};
    this.waitingFor = typeof prev.lease === 'string' && prev.lease !== lease ? prev.lease : null;
    this.view = { ...this.view, leader: { id: this.o.id, lease, createRevision: r.revision } };
    this.noLeaderSince = null;
    this.log.info(`election ${this.o.path}: won (${why}) at revision ${r.revision}` +
      (this.waitingFor ? `; waiting until the previous holder's lease ${this.waitingFor} (${String(prev.id)}) is gone` : ''));
  }

  /** We lead: once the previous holder is provably gone, grant until the lease could expire, less the margin. */
  private async hold(): Promise<void> {
    if (this.leading === null) return;
    if (!this.granted && this.waitingFor !== null) {
      const ttl = await this.store.leaseTimeToLive(this.waitingFor);
      if (this.stopped || this.leading === null) return;
      if (ttl >= 0) return; // still there: look again soon
      this.log.info(`election ${this.o.path}: the previous holder's lease ${this.waitingFor} is gone`);
      this.waitingFor = null;
    }
    this.granted = true;
    this.sendGrant();
  }

  private sendGrant(): void {
    if (this.stopped || this.leading === null || !this.lease) return;
    const until = this.lease.validUntil - this.o.marginMs;
    if (until <= this.clock.now()) return;
    this.lastGrantUntil = until;
    this.holder.grant(until, this.leading);
  }

  /**
   * Leave the election for now (resign, lease lost, stop): VIPs first (the
   * VRRP process confirms, or its last grant has run out), then the leader
   * key (fenced) and the lease. A new lease is taken at the next step.
   */
  private async leave(why: string): Promise<void> {
    const wasLeading = this.leading;
    const lease = this.lease;
    const grantUntil = this.lastGrantUntil;
    this.leading = null;
    this.granted = false;
    this.waitingFor = null;
    this.lastGrantUntil = null;
    this.lease = null;
    this.published = null;
    if (wasLeading !== null || (grantUntil !== null && grantUntil > this.clock.now())) {
      await this.holderReleased(grantUntil);
      if (!this.stopped || why === 'stopping') this.healthySince = this.mine && !this.mine.fault ? this.clock.now() : null;
    }
    if (!lease) return;
    try {
      if (wasLeading !== null) await this.store.fencedDelete(this.key('leader'), wasLeading, this.key('leader'));
      await this.store.revoke(lease.id);
    } catch (e) {
      // Unreachable: the lease expires by itself; the next holder waits for that.
      this.log.warn(`election ${this.o.path}: cannot revoke lease ${lease.id} (${(e as Error).message}) - it expires by itself`);
    }
  }

  /** The VRRP process's confirmation, or the end of the last grant, whichever comes first. */
  private holderReleased(grantUntil: number | null): Promise<void> {
    const ack = this.holder.resign().catch(() => undefined);
    if (grantUntil === null) return ack;
    return new Promise<void>((resolve) => {
      const t = this.clock.setTimer(Math.max(0, grantUntil - this.clock.now()), resolve);
      void ack.then(() => {
        t.cancel();
        resolve();
      });
    });
  }
}

function parseJson(kv: Kv): Record<string, unknown> {
  return parseJsonText(kv.value);
}

function parseJsonText(s: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
