/**
 * VRRP timers, in milliseconds. keepalived computes in microseconds without
 * truncating to whole milliseconds (FRR truncates); we keep its microsecond
 * result, so a skew may be fractional (218.75 ms): the one place a duration is
 * not an integer number of ms.
 */
import type { VrrpVersion } from '../codec/types';

/**
 * Skew_Time.
 *  - RFC 3768 §6.1 (v2): ((256 − Priority) / 256) seconds.
 *  - RFC 5798 §6.1 / RFC 9568 §6.1 (v3): ((256 − Priority) × Master_Adver_Interval) / 256.
 * keepalived (vrrp.h VRRP_TIMER_SKEW_CALC): v2 (256−p)·10⁶/256 µs, v3
 * (256−p)·centis·625/16 µs, both integer µs.
 */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  const p = 256 - priority;
  const micros =
    version === 3 ? Math.floor((p * Math.round(masterAdverIntervalMs / 10) * 625) / 16) : Math.floor((p * 1_000_000) / 256);
  return micros / 1000;
}

/**
 * Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time
 * (RFC 3768 §6.1, RFC 5798 §6.1 with down_timer_adverts = 3; keepalived
 * VRRP_MS_DOWN_TIMER).
 */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntervalMs: number,
  downTimerAdverts = 3,
): number {
  return downTimerAdverts * masterAdverIntervalMs + skewTimeMs(version, priority, masterAdverIntervalMs);
}
