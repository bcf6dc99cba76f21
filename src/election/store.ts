/**
 * What an election needs of etcd, as one small port: leases, a range read, a
 * few writes and a watch. The JSON-gateway client (./etcd-client.ts)
 * implements it against a real cluster; tests use an in-memory etcd on a
 * virtual clock. Keys and values are strings here; revisions are numbers
 * (etcd's int64 stays below 2^53 for any real cluster).
 */

export interface Kv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  /** The lease the key is attached to ('0': none). */
  lease: string;
}

export interface CampaignResult {
  won: boolean;
  /** (won) The revision of the write: the leader key's create revision, which fences the holder's writes. */
  revision?: number;
  /** (won) The fence key's value before this win: the previous holder and its lease. */
  prevFence?: string;
}

export interface ElectionStore {
  /** A new lease; etcd may round the TTL up (its minimum), the answer says what it gave. */
  grantLease(ttlS: number): Promise<{ id: string; ttlS: number }>;
  /** One keepalive: the lease's new TTL in seconds; 0 or less: the lease is gone. */
  keepAlive(id: string): Promise<number>;
  /** Revoke a lease: it and every key attached to it are deleted. */
  revoke(id: string): Promise<void>;
  /** Seconds the lease still has; -1: it does not exist (expired or revoked). */
  leaseTimeToLive(id: string): Promise<number>;
  /** Every key below `prefix` (which ends with '/'). */
  range(prefix: string): Promise<{ revision: number; kvs: Kv[] }>;
  put(key: string, value: string, lease: string): Promise<void>;
  /**
   * One transaction: if `key` does not exist, create it attached to `lease`,
   * read the fence key and overwrite it with `fenceValue` (no lease: it
   * outlives every holder, so a winner learns who held before it).
   */
  campaign(key: string, value: string, lease: string, fenceKey: string, fenceValue: string): Promise<CampaignResult>;
  /** Delete `key` only while `leaderKey` is the one created at `revision` (a fenced write); true if it applied. */
  fencedDelete(leaderKey: string, revision: number, key: string): Promise<boolean>;
  /** Put only while `leaderKey` is the one created at `revision`; true if it applied. */
  fencedPut(leaderKey: string, revision: number, key: string, value: string, lease: string): Promise<boolean>;
  /** Calls `onChange` on every change below `prefix` (and after a reconnect); reconnects with backoff by itself. */
  watch(prefix: string, onChange: () => void): { close(): void };
  close(): void;
}

/** Store errors carry a stable code. */
export class StoreError extends Error {
  constructor(readonly code: 'E_ETCD_UNREACHABLE' | 'E_ETCD_TIMEOUT' | 'E_ETCD_REJECTED' | 'E_ETCD_AUTH' | 'E_ETCD_CLOSED', message: string) {
    super(message);
  }
}
