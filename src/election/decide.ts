/**
 * The election rule, pure: given what one candidate knows (its own health and
 * priority from the VRRP process, the candidates and leader key it read from
 * etcd), what should it do now?
 *
 * keepalived's priorities carry over unchanged:
 *  - every candidate publishes its effective priority (trackers applied), its
 *    fault state, and whether it would preempt (not `nopreempt`, and its
 *    `preempt_delay` has run since it came up or last left MASTER);
 *  - with no leader, the highest-priority healthy candidate campaigns (ties:
 *    the greater candidate id), as the VRRP backup with the shortest skew
 *    time wins; anyone healthy campaigns once there has been no leader for a
 *    whole TTL (the best one may be unable to), and the winner is preempted
 *    later if it is not the best;
 *  - the holder resigns when a healthy candidate of strictly higher priority
 *    wants to preempt (VRRP: a higher-priority backup ignores a lower master's
 *    adverts and takes over; equal priority never preempts), when it is in
 *    FAULT itself, or when the leader key is not the one it won.
 */

export interface CandidateInfo {
  id: string;
  priority: number;
  fault: boolean;
  preempt: boolean;
}

export interface LeaderInfo {
  id: string;
  lease: string;
  createRevision: number;
}

export interface ElectionView {
  me: string;
  /** Our own candidacy as the VRRP process reports it (undefined: not reported yet). */
  mine: { priority: number; fault: boolean } | undefined;
  /** The other candidates (our own published value is left out). */
  others: CandidateInfo[];
  leader: LeaderInfo | null;
  myLease: string | null;
  /** The create revision of the leader key we won in this lease (null: we do not lead). */
  leading: number | null;
  /** How long we have seen no leader key (0 if there is one). */
  leaderlessMs: number;
  ttlMs: number;
}

export type Decision =
  | { action: 'campaign'; why: string }
  | { action: 'hold' }
  | { action: 'resign'; why: string }
  | { action: 'follow' };

/** Higher priority first, then the greater id: the order in which candidates deserve to hold. */
export function ranksAbove(a: { id: string; priority: number }, b: { id: string; priority: number }): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.id > b.id);
}

export function decide(v: ElectionView): Decision {
  const ours = v.leader !== null && v.leader.id === v.me && v.leader.lease === v.myLease;
  if (v.leading !== null && !(ours && v.leader?.createRevision === v.leading)) {
    return { action: 'resign', why: v.leader ? `the leader key is now ${v.leader.id}'s` : 'the leader key is gone' };
  }
  if (ours && v.leading === null) return { action: 'resign', why: 'a leader key of ours that this campaign did not win' };
  if (ours) {
    if (!v.mine) return { action: 'resign', why: 'the VRRP process has not reported' };
    if (v.mine.fault) return { action: 'resign', why: 'FAULT' };
    const mine = v.mine.priority;
    const by = v.others.find((c) => !c.fault && c.preempt && c.priority > mine);
    if (by) return { action: 'resign', why: `preempted by ${by.id} (priority ${by.priority}, ours ${mine})` };
    return { action: 'hold' };
  }
  if (v.leader || !v.mine || v.mine.fault) return { action: 'follow' };
  const me = { id: v.me, priority: v.mine.priority };
  if (!v.others.some((c) => !c.fault && ranksAbove(c, me))) return { action: 'campaign', why: 'highest priority among the healthy candidates' };
  if (v.leaderlessMs >= v.ttlMs) return { action: 'campaign', why: `no leader for ${v.leaderlessMs} ms` };
  return { action: 'follow' };
}
