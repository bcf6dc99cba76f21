/**
 * An in-memory etcd on a virtual clock, with the semantics the election
 * relies on: revisions, leases that expire TTL after the last keepalive the
 * server received (checked every 500 ms, as etcd's lessor does), the
 * campaign transaction, fenced writes, watches; and the failures the
 * end-to-end tests make for real: a client cut off (its requests time out,
 * nothing reaches the server) and the whole cluster without quorum.
 */
import type { VirtualClock } from '../../src/core/clock';
import { StoreError, type CampaignResult, type ElectionStore, type Kv } from '../../src/election/store';

interface Entry {
  value: string;
  createRevision: number;
  modRevision: number;
  lease: string;
}

export class FakeEtcd {
  revision = 1;
  readonly kv = new Map<string, Entry>();
  readonly leases = new Map<string, { ttlS: number; expiresAt: number }>();
  /** false: no quorum, every request times out. */
  quorum = true;
  private nextLease = 0x1000;
  private readonly watchers = new Set<{ prefix: string; cb: () => void; client: FakeClient }>();

  constructor(readonly clock: VirtualClock, readonly latencyMs = 2, readonly timeoutMs = 300) {
    const sweep = () => {
      this.expire();
      this.clock.setTimer(500, sweep);
    };
    this.clock.setTimer(500, sweep);
  }

  client(name: string): FakeClient {
    return new FakeClient(this, name);
  }

  /** The lessor's loop: expired leases are revoked (and their keys deleted). */
  expire(): void {
    if (!this.quorum) return;
    for (const [id, l] of this.leases) if (this.clock.now() >= l.expiresAt) this.revokeLease(id);
  }

  revokeLease(id: string): void {
    if (!this.leases.delete(id)) return;
    const dead = [...this.kv].filter(([, e]) => e.lease === id).map(([k]) => k);
    if (dead.length) this.revision++;
    for (const k of dead) this.kv.delete(k);
    for (const k of dead) this.notify(k);
  }

  /** A new etcd leader refreshes every lease (etcd's lessor Promote): what quorum coming back does. */
  restoreQuorum(): void {
    this.quorum = true;
    for (const l of this.leases.values()) l.expiresAt = this.clock.now() + l.ttlS * 1000;
  }

  put(key: string, value: string, lease: string): void {
    this.revision++;
    const old = this.kv.get(key);
    this.kv.set(key, { value, lease, createRevision: old?.createRevision ?? this.revision, modRevision: this.revision });
    this.notify(key);
  }

  del(key: string): boolean {
    if (!this.kv.delete(key)) return false;
    this.revision++;
    this.notify(key);
    return true;
  }

  notify(key: string): void {
    for (const w of this.watchers) if (key.startsWith(w.prefix) && w.client.reachable()) this.clock.setTimer(this.latencyMs, w.cb);
  }

  addWatcher(w: { prefix: string; cb: () => void; client: FakeClient }): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  newLeaseId(): string {
    return (this.nextLease++).toString();
  }
}

export class FakeClient implements ElectionStore {
  partitioned = false;
  closed = false;
  requests = 0;

  constructor(readonly etcd: FakeEtcd, readonly name: string) {}

  reachable(): boolean {
    return !this.partitioned && this.etcd.quorum && !this.closed;
  }

  /** A request: applied at the server half-way, answered after the latency; or a timeout. */
  private call<T>(fn: () => T): Promise<T> {
    this.requests++;
    const { clock, latencyMs, timeoutMs } = this.etcd;
    return new Promise<T>((resolve, reject) => {
      if (!this.reachable()) {
        clock.setTimer(timeoutMs, () => reject(new StoreError('E_ETCD_TIMEOUT', `${this.name}: request timed out`)));
        return;
      }
      clock.setTimer(latencyMs / 2, () => {
        if (!this.reachable()) {
          clock.setTimer(timeoutMs, () => reject(new StoreError('E_ETCD_TIMEOUT', `${this.name}: request timed out`)));
          return;
        }
        this.etcd.expire();
        let r: T;
        try {
          r = fn();
        } catch (e) {
          clock.setTimer(latencyMs / 2, () => reject(e as Error));
          return;
        }
        clock.setTimer(latencyMs / 2, () => (this.reachable() ? resolve(r) : clock.setTimer(timeoutMs, () => reject(new StoreError('E_ETCD_TIMEOUT', 'lost answer')))));
      });
    });
  }

  grantLease(ttlS: number): Promise<{ id: string; ttlS: number }> {
    return this.call(() => {
      const id = this.etcd.newLeaseId();
      this.etcd.leases.set(id, { ttlS, expiresAt: this.etcd.clock.now() + ttlS * 1000 });
      return { id, ttlS };
    });
  }

  keepAlive(id: string): Promise<number> {
    return this.call(() => {
      const l = this.etcd.leases.get(id);
      if (!l) return 0;
      l.expiresAt = this.etcd.clock.now() + l.ttlS * 1000;
      return l.ttlS;
    });
  }

  revoke(id: string): Promise<void> {
    return this.call(() => this.etcd.revokeLease(id));
  }

  leaseTimeToLive(id: string): Promise<number> {
    return this.call(() => {
      const l = this.etcd.leases.get(id);
      return l ? Math.max(0, Math.ceil((l.expiresAt - this.etcd.clock.now()) / 1000)) : -1;
    });
  }

  range(prefix: string): Promise<{ revision: number; kvs: Kv[] }> {
    return this.call(() => ({
      revision: this.etcd.revision,
      kvs: [...this.etcd.kv].filter(([k]) => k.startsWith(prefix)).map(([key, e]) => ({ key, ...e })),
    }));
  }

  put(key: string, value: string, lease: string): Promise<void> {
    return this.call(() => {
      if (lease !== '0' && !this.etcd.leases.has(lease)) throw new StoreError('E_ETCD_REJECTED', 'etcdserver: requested lease not found');
      this.etcd.put(key, value, lease);
    });
  }

  campaign(key: string, value: string, lease: string, fenceKey: string, fenceValue: string): Promise<CampaignResult> {
    return this.call(() => {
      if (this.etcd.kv.has(key)) return { won: false };
      if (!this.etcd.leases.has(lease)) throw new StoreError('E_ETCD_REJECTED', 'etcdserver: requested lease not found');
      const prevFence = this.etcd.kv.get(fenceKey)?.value;
      this.etcd.revision++;
      const rev = this.etcd.revision;
      this.etcd.kv.set(key, { value, lease, createRevision: rev, modRevision: rev });
      const oldFence = this.etcd.kv.get(fenceKey);
      this.etcd.kv.set(fenceKey, { value: fenceValue, lease: '0', createRevision: oldFence?.createRevision ?? rev, modRevision: rev });
      this.etcd.notify(key);
      return { won: true, revision: rev, prevFence };
    });
  }

  fencedDelete(leaderKey: string, revision: number, key: string): Promise<boolean> {
    return this.call(() => (this.etcd.kv.get(leaderKey)?.createRevision === revision ? this.etcd.del(key) : false));
  }

  fencedPut(leaderKey: string, revision: number, key: string, value: string, lease: string): Promise<boolean> {
    return this.call(() => {
      if (this.etcd.kv.get(leaderKey)?.createRevision !== revision) return false;
      this.etcd.put(key, value, lease);
      return true;
    });
  }

  watch(prefix: string, onChange: () => void): { close(): void } {
    const off = this.etcd.addWatcher({ prefix, cb: onChange, client: this });
    return { close: off };
  }

  close(): void {
    this.closed = true;
  }
}
