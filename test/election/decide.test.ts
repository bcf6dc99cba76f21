import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type ElectionView } from '../../src/election/decide';

const base: ElectionView = { me: 'b', mine: { priority: 120, fault: false }, others: [], leader: null, myLease: 'L2', leading: null, leaderlessMs: 0, ttlMs: 2000 };
const v = (o: Partial<ElectionView>): ElectionView => ({ ...base, ...o });
const c = (id: string, priority: number, o: { fault?: boolean; preempt?: boolean } = {}) => ({ id, priority, fault: o.fault ?? false, preempt: o.preempt ?? true });
const mine = { id: 'b', lease: 'L2', createRevision: 7 };

test('decide: who campaigns, who holds, who resigns', () => {
  const rows: [string, ElectionView, string][] = [
    ['no leader, best healthy', v({ others: [c('a', 100), c('c', 150, { fault: true })] }), 'campaign'],
    ['no leader, someone better', v({ others: [c('a', 150)] }), 'follow'],
    ['no leader, someone better for a TTL', v({ others: [c('a', 150)], leaderlessMs: 2000 }), 'campaign'],
    ['equal priority: the greater id', v({ others: [c('a', 120)] }), 'campaign'],
    ['equal priority, greater id elsewhere', v({ others: [c('c', 120)] }), 'follow'],
    ['not reported yet', v({ mine: undefined }), 'follow'],
    ['in FAULT', v({ mine: { priority: 200, fault: true } }), 'follow'],
    ['someone leads', v({ leader: { id: 'a', lease: 'L1', createRevision: 3 } }), 'follow'],
    ['we lead', v({ leader: mine, leading: 7, others: [c('a', 150, { preempt: false })] }), 'hold'],
    ['we lead, equal priority wants in', v({ leader: mine, leading: 7, others: [c('a', 120)] }), 'hold'],
    ['we lead, higher priority preempts', v({ leader: mine, leading: 7, others: [c('a', 150)] }), 'resign'],
    ['we lead, higher priority in FAULT', v({ leader: mine, leading: 7, others: [c('a', 150, { fault: true })] }), 'hold'],
    ['we lead but FAULT', v({ leader: mine, leading: 7, mine: { priority: 120, fault: true } }), 'resign'],
    ['the key we won is gone', v({ leading: 7 }), 'resign'],
    ['the key is someone else\'s now', v({ leading: 7, leader: { id: 'a', lease: 'L1', createRevision: 9 } }), 'resign'],
    ['a new key of ours with another revision', v({ leading: 7, leader: { ...mine, createRevision: 9 } }), 'resign'],
    ['a key of ours we did not win here', v({ leader: mine }), 'resign'],
    ['our id on another lease (an earlier run)', v({ leader: { ...mine, lease: 'L0' } }), 'follow'],
  ];
  for (const [what, view, want] of rows) assert.equal(decide(view).action, want, what);
});
