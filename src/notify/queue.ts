/**
 * Per-owner serial queues: the jobs of one owner (a VRRP instance, a sync
 * group, a real server) run one at a time in the order they were enqueued;
 * different owners run independently. enqueue() never blocks the caller.
 *
 * This differs from keepalived, which forks every notify script and forgets
 * it (lib/notify.c notify_exec): there, two quick transitions can run
 * notify_backup and notify_master concurrently and finish in either order.
 * Here a transition's scripts start only after the previous transition's
 * scripts of the same owner have finished (or been killed at their timeout).
 */
export class OwnerQueues {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly depth = new Map<string, number>();

  constructor(private readonly onError: (owner: string, err: unknown) => void = () => {}) {}

  /** Run `job` after every job already queued for `owner`. Resolves when it has run. */
  enqueue(owner: string, job: () => Promise<void>): Promise<void> {
    const prev = this.tails.get(owner) ?? Promise.resolve();
    this.depth.set(owner, (this.depth.get(owner) ?? 0) + 1);
    const next = prev
      .then(job)
      .catch((err: unknown) => this.onError(owner, err))
      .finally(() => {
        const d = (this.depth.get(owner) ?? 1) - 1;
        if (d === 0) {
          this.depth.delete(owner);
          this.tails.delete(owner);
        } else this.depth.set(owner, d);
      });
    this.tails.set(owner, next);
    return next;
  }

  /** Jobs queued or running for `owner` (all owners if omitted). */
  pending(owner?: string): number {
    if (owner !== undefined) return this.depth.get(owner) ?? 0;
    let n = 0;
    for (const d of this.depth.values()) n += d;
    return n;
  }

  /** Resolves when every job queued so far has run. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
