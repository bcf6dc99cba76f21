/**
 * Instance-level checks: does a well-formed advert (from decodeAdvert) agree
 * with what the local virtual router is configured for? Pure; the caller has
 * already demultiplexed on VRID and makes the priority / preemption decisions.
 *
 * keepalived 2.2.7 (vrrp.c vrrp_check_packet) for comparison, in its order:
 * version (no counter), auth type mismatch (authtype_mismatch), password
 * (auth_failure), v2 interval (dropped, no counter), address count and every
 * configured VIP present (addr_list_err, packet DROPPED in 2.2.7 unless
 * skip_check_adv_addr and the same master), priority 0 (pri_zero_rcvd).
 * keepalived >= 2.3.3 (commit 90555872, 2025) only logs and counts the
 * address mismatch and accepts the packet, as RFC 5798 §7.1 allows; that is
 * our default, `strict: true` gives 2.2.7's (and RFC 3768's) drop.
 */
import type { Advert, AuthType, DropReason, PacketContext, VrrpVersion } from './types';
import { VRRP_AUTH_DATA_LEN } from './advert';
import { addressLength, ipFamily, isMulticastIp, writeIp } from './ip';

export interface InstanceExpectation {
  version: VrrpVersion;
  authType: AuthType;
  /** v2 PASS password as configured; compared on its first 8 bytes, zero padded. */
  authPass?: Buffer | string;
  /** Our configured advertisement interval (ms). */
  adverIntervalMs: number;
  /** Our virtual addresses (any valid spelling). */
  addresses: readonly string[];
  /**
   * Drop (instead of warn) when the address list differs, unless the sender is the
   * address owner (priority 255), as RFC 3768 §7.1 says. Default false.
   */
  strict?: boolean;
  /**
   * Whether the instance uses unicast peers. When given together with the packet
   * context, a multicast packet for a unicast instance (or the reverse) is dropped
   * as addr_list_err, like keepalived ("Expected unicast packet but received multicast").
   */
  unicast?: boolean;
}

export type InstanceCheckResult =
  | { ok: true; warnings: DropReason[]; details: string[] }
  | { ok: false; reason: DropReason; detail: string };

function reject(reason: DropReason, detail: string): InstanceCheckResult {
  return { ok: false, reason, detail };
}

/** The 8 password bytes as they go on the wire: truncated / zero padded. */
export function authDataFromPass(pass: Buffer | string | undefined): Buffer {
  const out = Buffer.alloc(VRRP_AUTH_DATA_LEN);
  if (pass === undefined) return out;
  const src = typeof pass === 'string' ? Buffer.from(pass, 'utf8') : pass;
  src.copy(out, 0, 0, Math.min(src.length, VRRP_AUTH_DATA_LEN));
  return out;
}

/** Compares 8-byte auth data without an early exit on the first difference. */
function sameAuthData(a: Uint8Array | undefined, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < VRRP_AUTH_DATA_LEN; i++) diff |= ((a !== undefined && i < a.length ? a[i] : 0) ^ b[i]);
  return diff === 0;
}

const A = new Uint8Array(16);
const B = new Uint8Array(16);

/** Whether two address lists hold the same addresses (as sets, any spelling). */
function sameAddressSet(got: readonly string[], want: readonly string[]): { same: boolean; missing: string[]; extra: string[] } {
  const missing: string[] = [];
  const extra: string[] = [];
  const contains = (list: readonly string[], text: string): boolean => {
    const fam = ipFamily(text);
    if (fam === null) return list.includes(text);
    writeIp(text, fam, A, 0);
    const n = addressLength(fam);
    for (const other of list) {
      if (ipFamily(other) !== fam) continue;
      writeIp(other, fam, B, 0);
      let eq = true;
      for (let i = 0; i < n; i++) if (A[i] !== B[i]) { eq = false; break; }
      if (eq) return true;
    }
    return false;
  };
  for (const w of want) if (!contains(got, w)) missing.push(w);
  for (const g of got) if (!contains(want, g)) extra.push(g);
  return { same: missing.length === 0 && extra.length === 0 && got.length === want.length, missing, extra };
}

/**
 * Checks a decoded advert against the local instance. Returns ok with
 * warnings (non-fatal reasons to count and log), or the drop reason.
 */
export function checkAgainstInstance(advert: Advert, expect: InstanceExpectation, ctx?: PacketContext): InstanceCheckResult {
  // RFC 3768 §7.1 "MUST verify the VRRP version is 2" / RFC 5798 §7.1 "... is 3":
  // the version the instance runs.
  if (advert.version !== expect.version) {
    return reject('version_err', `received VRRPv${advert.version}, instance runs VRRPv${expect.version}`);
  }

  if (advert.version === 2) {
    // RFC 3768 §7.1: "MUST perform authentication specified by Auth Type. If any one
    // of the above checks fails, the receiver MUST discard the packet".
    if (advert.authType !== expect.authType) {
      return reject('authtype_mismatch', `received auth type ${advert.authType}, expecting ${expect.authType}`);
    }
    if (expect.authType === 1 && !sameAuthData(advert.authData, authDataFromPass(expect.authPass))) {
      return reject('auth_failure', 'received an invalid password');
    }
  }

  // keepalived vrrp_check_packet: "check that destination address is multicast if
  // don't have any unicast peers and vice versa" (counted as addr_list_err).
  if (expect.unicast !== undefined && ctx !== undefined && isMulticastIp(ctx.dst) === expect.unicast) {
    return reject(
      'addr_list_err',
      `expected ${expect.unicast ? 'unicast' : 'multicast'} packet but received ${expect.unicast ? 'multicast' : 'unicast'} (to ${ctx.dst})`,
    );
  }

  const warnings: DropReason[] = [];
  const details: string[] = [];

  // RFC 3768 §7.1: "MAY verify that the IP Address(es) associated with the VRID are
  // valid. If the above check fails, the receiver SHOULD log the event and MAY
  // indicate via network management that a misconfiguration was detected. If the
  // packet was not generated by the address owner (Priority does not equal 255
  // (decimal)), the receiver MUST drop the packet, otherwise continue processing."
  // RFC 5798 §7.1 keeps only the log: "MAY verify that the IPvX Address(es)
  // associated with the VRID are valid ... SHOULD log the event".
  const cmp = sameAddressSet(advert.addresses, expect.addresses);
  if (!cmp.same) {
    const detail =
      `address list differs: received ${advert.addresses.length}, expected ${expect.addresses.length}` +
      (cmp.missing.length ? `; missing ${cmp.missing.join(' ')}` : '') +
      (cmp.extra.length ? `; unexpected ${cmp.extra.join(' ')}` : '');
    if (expect.strict === true && advert.priority !== 255) return reject('addr_list_err', detail);
    warnings.push('addr_list_err');
    details.push(detail);
  }

  // RFC 3768 §7.1: "MUST verify that the Advertisement Interval in the packet is the
  // same as the locally configured for this virtual router. If the above check
  // fails, the receiver MUST discard the packet".
  // VRRPv3 has no such check: a Backup learns the Master's interval
  // (RFC 5798 §6.4.2, Master_Adver_Interval), so a difference is not a drop.
  if (advert.version === 2 && advert.adverIntervalMs !== expect.adverIntervalMs) {
    return reject(
      'advert_interval_err',
      `advertisement interval mismatch: mine ${expect.adverIntervalMs} ms, received ${advert.adverIntervalMs} ms`,
    );
  }

  return { ok: true, warnings, details };
}
