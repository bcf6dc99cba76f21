import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { formatData, formatJson, formatStats, type DaemonStatusView, type InstanceStatusView } from '../../src/daemon/status';

const ref = (f: string) => fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'reference', f), 'utf8');

function instance(over: Partial<InstanceStatusView> = {}): InstanceStatusView {
  return {
    name: 'VI_1', version: 2, family: 4, state: 'MASTER', ifname: 'eth0', vrid: 51, basePriority: 150, effectivePriority: 150,
    masterPriority: 0, sourceAddress: '192.0.2.10', mcastGroup: '224.0.0.18', unicastPeers: [], adverIntervalMs: 1000,
    masterAdverIntervalMs: 1000, masterDownIntervalMs: 3414, lastTransitionMs: 1795607104148.277, accept: true, nopreempt: false,
    preemptDelayMs: 0, authType: 0, vips: ['192.0.2.100/24 dev eth0 scope global'], vipsSet: true,
    garp: { delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1, lowerPrioDelayMs: 5000, lowerPrioRepeat: 5 },
    lowerPrioNoAdvert: false, higherPrioSendAdvert: false, downTimerAdverts: 3, smtpAlert: false, faults: [],
    counters: { advert_rcvd: 0, advert_sent: 2, become_master: 1 },
    ...over,
  };
}
const view = (i: InstanceStatusView[]): DaemonStatusView => ({ routerId: 'r1', pid: 1, startedAtMs: 0, instances: i, syncGroups: [] });

test('the stats dump is byte-identical to keepalived 2.2.7 for the same counters', () => {
  assert.equal(formatStats(view([instance()])), ref('keepalived.stats'));
});

test('the stats dump lists our extra drop counters after keepalived\'s', () => {
  const s = formatStats(view([instance({ counters: { checksum_err: 3, version_err: 0 } })]));
  assert.match(s, /Other drops \(keepalived-ts\):\n {4}checksum_err: 3\n$/);
  assert.doesNotMatch(s, /version_err/);
});

test('the JSON dump has every key keepalived 2.2.7 writes for data we keep, with its types and values', () => {
  const ours = JSON.parse(formatJson(view([instance()])));
  const theirs = JSON.parse(ref('keepalived.json'));
  assert.deepEqual(Object.keys(ours[0].stats).slice(0, 14), Object.keys(theirs[0].stats));
  assert.deepEqual(ours[0].stats, theirs[0].stats);
  const shared = ['iname', 'ifp_ifname', 'master_priority', 'last_transition', 'garp_delay', 'garp_refresh', 'garp_rep', 'garp_refresh_rep',
    'garp_lower_prio_delay', 'garp_lower_prio_rep', 'lower_prio_no_advert', 'higher_prio_send_advert', 'vrid', 'base_priority',
    'effective_priority', 'vipset', 'adver_int', 'master_adver_int', 'accept', 'nopreempt', 'preempt_delay', 'state', 'wantstate',
    'version', 'smtp_alert', 'vips', 'auth_type'];
  for (const k of shared) assert.deepEqual(ours[0].data[k], theirs[0].data[k], k);
});

test('the text dump names state, priorities, VIPs and source address in keepalived\'s words', () => {
  const d = formatData(view([instance({ state: 'BACKUP', effectivePriority: 140, masterAddress: '192.0.2.11', masterPriority: 200, faults: [] })]));
  assert.match(d, /------< VRRP Topology >------/);
  assert.match(d, / VRRP Instance = VI_1\n/);
  assert.match(d, /   State = BACKUP\n/);
  assert.match(d, /   Effective priority = 140\n/);
  assert.match(d, /   Master router = 192.0.2.11\n/);
  assert.match(d, /     192.0.2.100\/24 dev eth0 scope global set\n/);
  assert.match(d, /   Using src_ip = 192.0.2.10\n/);
});
