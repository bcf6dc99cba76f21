/** The live page's view: a whitelist of the status, newest transitions first, secrets scrubbed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageView } from '../../../../src/daemon/main/ops/page-view';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from '../../../../src/daemon/main/ops/page';
import { NOW, SECRET, snapshot } from './fixtures';

test('instances carry state, both priorities, master, VIPs (excluded ones marked apart), last transition and trackers', () => {
  const v = pageView(snapshot());
  assert.equal(v.up, true);
  assert.deepEqual(v.instances.map((i) => [i.name, i.state, i.basePriority, i.effectivePriority, i.masterAddress]), [
    ['VI_1', 'MASTER', 150, 130, null], ['VI_6', 'BACKUP', 100, 100, 'fe80::2'],
  ]);
  const vi1 = v.instances[0];
  assert.deepEqual(vi1.vips, ['192.0.2.100/24 dev eth0 scope global', '192.0.2.101/32 dev eth0 scope global']);
  assert.deepEqual(vi1.excludedVips, ['198.51.100.50/32 dev eth0 scope global']);
  assert.deepEqual([vi1.lastTransitionMs, vi1.lastTransitionFrom, vi1.lastTransitionReason], [NOW - 192_000, 'BACKUP', 'master_down_timer']);
  assert.deepEqual(vi1.trackers, [{ kind: 'script', name: 'chk_web', ok: false, weight: -20 }]);
  // keepalived's statistics in its order, then our non-zero drop counters.
  assert.deepEqual(vi1.counters.slice(0, 2), [['advert_rcvd', 12], ['advert_sent', 345]]);
  assert.deepEqual(vi1.counters.slice(14), [['checksum_err', 4]]);
});

test('timeline newest first; servers with their checks; processes with their loop delay', () => {
  const v = pageView(snapshot());
  assert.deepEqual(v.transitions.map((t) => `${t.name} ${t.from}->${t.state} ${t.reason}`), [
    'G1 BACKUP->MASTER sync_group', 'VI_1 BACKUP->MASTER master_down_timer', 'VI_6 INIT->BACKUP startup', 'VI_1 INIT->BACKUP startup',
  ]);
  assert.deepEqual(v.virtualServers[0].realServers.map((r) => [r.name, r.alive, r.checkers[0].type, r.checkers[0].lastDurationMs]), [
    ['[198.51.100.11]:tcp:8080', true, 'HTTP_GET', 12.5], ['[198.51.100.12]:tcp:8080', false, 'TCP_CHECK', 0.8],
  ]);
  assert.deepEqual(v.processes.map((p) => [p.process, p.pid, p.restarts, p.loopMaxMs]), [
    ['main', 4242, 0, 8], ['vrrp', 4243, 1, 4.25], ['checker', 4244, 0, 30],
  ]);
});

test('no secret reaches the page: free text is scrubbed and nothing from an authentication block is copied', () => {
  const json = JSON.stringify(pageView(snapshot()));
  assert.ok(!json.includes(SECRET));
  assert.ok(json.includes('connect ECONNREFUSED ********'), 'the checker result is kept, its secret masked');
  assert.ok(!/"auth_?type"|authentication|password|auth_pass/i.test(json), 'not even the authentication type');
  const down = JSON.stringify(pageView(snapshot({ status: undefined, error: `no answer ${SECRET}` })));
  assert.ok(!down.includes(SECRET));
});

test('the page fetches nothing from elsewhere: only same-origin URLs, and data only ever set as text', () => {
  for (const t of [PAGE_HTML, PAGE_CSS, PAGE_JS]) {
    assert.ok(!/https?:\/\//.test(t), 'no absolute URL');
    assert.ok(!/@import|url\(/.test(t), 'no CSS import or url()');
  }
  assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.test(PAGE_JS));
  assert.match(PAGE_JS, /new EventSource\('\/events'\)/);
});
