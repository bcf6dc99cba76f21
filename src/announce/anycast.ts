/**
 * Anycast (route_announce mode anycast): every node whose instance is
 * healthy announces the VIPs; the routers spread the traffic over them
 * (ECMP). "Healthy" is the instance's own state: BACKUP or MASTER (it sends
 * no adverts, so it becomes MASTER after Master_Down_Interval, which changes
 * nothing here). FAULT - a failed track_script, track_interface, a lost
 * quorum of a tracked virtual server - and STOP withdraw. The VIPs go on the
 * announce device only, never on the instance's interface.
 */
import type { AddressManager, VipSpec } from '../net/ports';
import type { Logger } from '../core/log';
import { onDevice } from './devices';

/** What the announcement reads of the instance. */
export interface AnycastSubject {
  readonly name: string;
  readonly state: string;
  onTransition(cb: (e: { to: string }) => void): () => void;
}

const HEALTHY = new Set(['BACKUP', 'MASTER']);

export class AnycastAnnouncement {
  private vips: VipSpec[];
  private announced = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly unsub: () => void;
  private stopped = false;

  constructor(
    private readonly subject: AnycastSubject,
    vips: readonly VipSpec[],
    private readonly device: string,
    private readonly addresses: AddressManager,
    private readonly log: Logger,
  ) {
    this.vips = vips.map((v) => onDevice(v, device));
    this.unsub = subject.onTransition(() => this.follow());
    this.follow();
  }

  /** Is it announcing now (or about to: the address operations are queued)? */
  get announcing(): boolean {
    return this.announced;
  }

  /** Reload with a changed VIP list: withdraw the ones gone, announce the new ones if healthy. */
  update(vips: readonly VipSpec[]): Promise<void> {
    const next = vips.map((v) => onDevice(v, this.device));
    const key = (v: VipSpec) => `${v.family}|${v.address}`;
    const now = new Set(next.map(key));
    const had = new Set(this.vips.map(key));
    const gone = this.vips.filter((v) => !now.has(key(v)));
    const added = next.filter((v) => !had.has(key(v)));
    this.vips = next;
    if (this.announced) {
      this.ops(gone, false);
      this.ops(added, true);
    }
    return this.chain;
  }

  /** Withdraw everything; resolves once the addresses are off the device. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.unsub();
      this.set(false);
    }
    return this.chain;
  }

  private follow(): void {
    if (!this.stopped) this.set(HEALTHY.has(this.subject.state));
  }

  private set(on: boolean): void {
    if (on === this.announced) return;
    this.announced = on;
    this.log.info(`(${this.subject.name}) ${on ? 'announcing' : 'withdrawing'} ${this.vips.map((v) => v.address).join(' ')} (anycast) on ${this.device}`);
    this.ops(this.vips, on);
  }

  private ops(vips: readonly VipSpec[], on: boolean): void {
    for (const v of vips)
      this.chain = this.chain
        .then(() => (on ? this.addresses.add(v) : this.addresses.remove(v)))
        .then(
          () => undefined,
          (e: unknown) => this.log.error(`(${this.subject.name}) ${on ? 'announcing' : 'withdrawing'} ${v.address}: ${(e as Error).message}`),
        );
  }
}
