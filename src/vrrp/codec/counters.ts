/**
 * One counter per reason a packet is dropped (OpenBSD carp style), named after
 * keepalived's per-instance statistics, plus keepalived's advert_rcvd and
 * pri_zero_rcvd. Plain data: the instance owns one, status/metrics read
 * snapshot().
 */
import type { Advert, DropReason } from './types';

/** Every DropReason, in ladder order. The type check below keeps it complete. */
export const DROP_REASONS = [
  'packet_len_err',
  'ip_ttl_err',
  'version_err',
  'invalid_type_rcvd',
  'vrid_err',
  'addr_family_err',
  'checksum_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'addr_list_err',
  'advert_interval_err',
] as const satisfies readonly DropReason[];

// Compile-time: a DropReason missing from DROP_REASONS makes this `never`-assignment fail.
type Missing = Exclude<DropReason, (typeof DROP_REASONS)[number]>;
const _complete: [Missing] extends [never] ? true : Missing = true;
void _complete;

export type CounterName = DropReason | 'advert_rcvd' | 'pri_zero_rcvd';

export type CounterSnapshot = Record<CounterName, number>;

export function isDropReason(name: string): name is DropReason {
  return (DROP_REASONS as readonly string[]).includes(name);
}

function zeroed(): CounterSnapshot {
  const c = { advert_rcvd: 0, pri_zero_rcvd: 0 } as CounterSnapshot;
  for (const r of DROP_REASONS) c[r] = 0;
  return c;
}

export class DropCounters {
  /** Live counters; read them freely, change them only through the methods. */
  readonly counts: CounterSnapshot = zeroed();

  /** Counts one dropped packet (or one warning such as a tolerated addr_list_err). */
  increment(reason: DropReason): void {
    this.counts[reason]++;
  }

  /**
   * Counts an accepted advertisement: advert_rcvd, and pri_zero_rcvd when the
   * master is leaving (priority 0), like keepalived.
   */
  advertReceived(advert: Pick<Advert, 'priority'>): void {
    this.counts.advert_rcvd++;
    if (advert.priority === 0) this.counts.pri_zero_rcvd++;
  }

  /** Total number of drops (excludes advert_rcvd / pri_zero_rcvd). */
  dropped(): number {
    let n = 0;
    for (const r of DROP_REASONS) n += this.counts[r];
    return n;
  }

  /** A copy, safe to hand out. */
  snapshot(): CounterSnapshot {
    return { ...this.counts };
  }

  reset(): void {
    Object.assign(this.counts, zeroed());
  }
}
