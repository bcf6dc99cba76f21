/**
 * /metrics from a status snapshot: the exporter's names, labels and value
 * encodings (mehdy/keepalived-exporter), ours on top, and no secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPORTER_COUNTERS, metricsText, vipLabels } from '../../../../src/daemon/main/ops/metrics';
import { KEEPALIVED_STATS } from '../../../../src/daemon/status';
import { TransitionLog } from '../../../../src/daemon/main/ops/snapshot';
import { NOW, SECRET, snapshot, status } from './fixtures';

/** `name{labels}` → value, and the TYPE of each family. */
export function parseMetrics(text: string): { series: Map<string, number>; types: Map<string, string> } {
  const series = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1], t[2]);
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    assert.ok(!series.has(line.slice(0, i)), `duplicate series ${line}`);
    series.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return { series, types };
}

test("the exporter's keepalived_vrrp_state: one series per VIP, keepalived's address form, state numbers", async () => {
  const { series, types } = parseMetrics(await metricsText(snapshot()));
  assert.equal(types.get('keepalived_vrrp_state'), 'gauge');
  const state = [...series].filter(([k]) => k.startsWith('keepalived_vrrp_state{'));
  assert.deepEqual(state, [
    ['keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="192.0.2.100/24"}', 2],
    ['keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="192.0.2.101"}', 2],
    ['keepalived_vrrp_state{iname="VI_6",intf="eth1",vrid="52",ip_address="2001:db8::100/64"}', 1],
  ]);
  assert.equal(series.get('keepalived_vrrp_excluded_state{iname="VI_1",intf="eth0",vrid="51",ip_address="198.51.100.50"}'), 2);
  assert.equal(series.get('keepalived_up'), 1);
});

test('state numbers are keepalived\'s (INIT 0, BACKUP 1, MASTER 2, FAULT 3); an instance without VIPs has ip_address=""', async () => {
  for (const [st, n] of [['INIT', 0], ['BACKUP', 1], ['MASTER', 2], ['FAULT', 3]] as const) {
    const s = status();
    s.instances = [{ ...s.instances[0], state: st, vips: [] }];
    const { series } = parseMetrics(await metricsText(snapshot({ status: s })));
    assert.equal(series.get('keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address=""}'), n, st);
  }
});

test("every keepalived statistic is a counter under the exporter's name with {iname,intf,vrid}", async () => {
  const { series, types } = parseMetrics(await metricsText(snapshot()));
  assert.deepEqual(Object.keys(EXPORTER_COUNTERS), [...KEEPALIVED_STATS]);
  const s = status();
  for (const k of KEEPALIVED_STATS) {
    const name = EXPORTER_COUNTERS[k].name;
    assert.equal(types.get(name), 'counter', name);
    assert.equal(series.get(`${name}{iname="VI_1",intf="eth0",vrid="51"}`), s.instances[0].counters[k], name);
    assert.equal(series.get(`${name}{iname="VI_6",intf="eth1",vrid="52"}`), s.instances[1].counters[k], name);
  }
  assert.equal(series.get('keepalived_become_master_total{iname="VI_1",intf="eth0",vrid="51"}'), 2);
  assert.equal(series.get('keepalived_ip_ttl_errors_total{iname="VI_1",intf="eth0",vrid="51"}'), 3);
  assert.equal(series.get('keepalived_priority_zero_received_total{iname="VI_1",intf="eth0",vrid="51"}'), 1);
  assert.equal(series.get('keepalived_gratuitous_arp_delay_total{iname="VI_1",intf="eth0",vrid="51"}'), 5);
  assert.equal(series.get('keepalived_script_status{name="chk_web"}'), 0, 'BAD is 0');
  assert.equal(series.get('keepalived_script_status{name="chk_spare"}'), 1, 'GOOD is 1 (tracked by no instance: still a vrrp_script)');
  assert.ok(!series.has('keepalived_script_status{name="chk_new"}'), 'not run yet: neither GOOD nor BAD');
  assert.deepEqual(['chk_web', 'chk_spare', 'chk_new'].map((n) => series.get(`keepalived_script_state{name="${n}"}`)), [1, 0, 2], 'running 1, idle 0, requested termination 2');
  assert.equal(series.get('keepalived_ts_track_process_up{name="nginx"}'), 1);
  assert.equal(series.get('keepalived_ts_track_file_value{name="weight_file"}'), -7);
  // Our extra drop reasons, by reason.
  assert.equal(series.get('keepalived_ts_vrrp_dropped_total{iname="VI_1",intf="eth0",vrid="51",reason="checksum_err"}'), 4);
});

test('ours: priorities, last transition and reason, transitions, notify, servers, check latency, loops, build', async () => {
  const { series, types } = parseMetrics(await metricsText(snapshot()));
  const il = 'iname="VI_1",intf="eth0",vrid="51"';
  assert.equal(series.get(`keepalived_ts_vrrp_base_priority{${il}}`), 150);
  assert.equal(series.get(`keepalived_ts_vrrp_effective_priority{${il}}`), 130);
  assert.equal(series.get(`keepalived_ts_vrrp_last_transition_timestamp_seconds{${il}}`), (NOW - 192_000) / 1000);
  assert.equal(series.get(`keepalived_ts_vrrp_last_transition_info{${il},from="BACKUP",state="MASTER",reason="master_down_timer"}`), 1);
  assert.equal(series.get('keepalived_ts_vrrp_transitions_total{kind="INSTANCE",name="VI_1",state="MASTER",reason="master_down_timer"}'), 1);
  assert.equal(series.get(`keepalived_ts_vrrp_tracker_up{${il},kind="script",name="chk_web"}`), 0);
  assert.equal(series.get('keepalived_ts_sync_group_state{group="G1"}'), 2);
  assert.equal(series.get('keepalived_ts_notify_scripts_finished_total{result="ok"}'), 4);
  assert.equal(series.get('keepalived_ts_notify_scripts_finished_total{result="timed_out"}'), 1);
  assert.equal(series.get('keepalived_ts_notify_scripts_running'), 1);
  assert.equal(series.get('keepalived_ts_notify_queue_depth'), 2);
  assert.equal(series.get('keepalived_ts_notify_mails_total{result="failed"}'), 1);
  const vs = 'virtual_server="[192.0.2.10]:tcp:80"';
  assert.equal(series.get(`keepalived_ts_virtual_server_quorum_up{${vs}}`), 1);
  assert.equal(series.get(`keepalived_ts_real_server_up{${vs},real_server="[198.51.100.12]:tcp:8080"}`), 0);
  const ck = `${vs},real_server="[198.51.100.11]:tcp:8080",checker="HTTP_GET",index="0"`;
  assert.equal(types.get('keepalived_ts_check_duration_seconds'), 'histogram');
  assert.equal(series.get(`keepalived_ts_check_duration_seconds_bucket{${ck},le="0.005"}`), 0);
  assert.equal(series.get(`keepalived_ts_check_duration_seconds_bucket{${ck},le="0.01"}`), 1);
  assert.equal(series.get(`keepalived_ts_check_duration_seconds_bucket{${ck},le="+Inf"}`), 4);
  assert.equal(series.get(`keepalived_ts_check_duration_seconds_sum{${ck}}`), 0.05);
  assert.equal(series.get(`keepalived_ts_check_duration_seconds_count{${ck}}`), 4);
  assert.equal(series.get('keepalived_ts_event_loop_delay_seconds{process="vrrp",stat="max"}'), 0.00425);
  assert.equal(series.get('keepalived_ts_event_loop_delay_seconds{process="checker",stat="p99"}'), 0.012);
  assert.equal(series.get('keepalived_ts_event_loop_delay_seconds{process="main",stat="p50"}'), 0.0004);
  assert.equal(series.get('keepalived_ts_process_restarts_total{process="vrrp"}'), 1);
  assert.equal(series.get('keepalived_ts_build_info{version="0.1.0",node_version="v20.20.2",commit="abc123"}'), 1);
});

test('keepalived_up is 0 when the VRRP process does not answer, and only what main knows is exported', async () => {
  const { series } = parseMetrics(await metricsText(snapshot({ status: undefined, error: 'status: no answer within 3000 ms' })));
  assert.equal(series.get('keepalived_up'), 0);
  assert.ok(![...series.keys()].some((k) => k.startsWith('keepalived_vrrp_state')));
  assert.equal(series.get('keepalived_ts_event_loop_delay_seconds{process="main",stat="max"}'), 0.008);
});

test('a checker process that does not answer shows as keepalived_ts_checker_status_up 0, the rest stays', async () => {
  const s = status();
  s.checkers = { error: 'status: no answer within 3000 ms' };
  const { series } = parseMetrics(await metricsText(snapshot({ status: s })));
  assert.equal(series.get('keepalived_ts_checker_status_up'), 0);
  assert.equal(series.get('keepalived_up'), 1);
});

test('no secret in /metrics: the auth_pass of the configuration never appears, even when a checker result carries it', async () => {
  const text = await metricsText(snapshot());
  assert.ok(snapshot().config.instances[0].authentication?.password === SECRET, 'the fixture has the secret');
  assert.ok(!text.includes(SECRET));
  assert.ok(!/auth_pass|password/i.test(text));
});

test("vipLabels splits keepalived's VIP line as the exporter does; host addresses lose /32 and /128", () => {
  assert.deepEqual(vipLabels('192.0.2.1/24 dev eth0 scope global'), { ip: '192.0.2.1/24', intf: 'eth0' });
  assert.deepEqual(vipLabels('192.0.2.1/32 dev eth0 scope global'), { ip: '192.0.2.1', intf: 'eth0' });
  assert.deepEqual(vipLabels('2001:db8::1/128 dev eth1 scope global'), { ip: '2001:db8::1', intf: 'eth1' });
  assert.equal(vipLabels('192.0.2.1/24'), undefined);
});

test('the transitions counter counts every transition since start, not only the ones the timeline keeps', async () => {
  const log = new TransitionLog(500);
  for (let i = 0; i < 1200; i++) {
    log.record({ atMs: NOW + i, kind: 'INSTANCE', name: 'VI_1', from: i % 2 ? 'FAULT' : 'BACKUP', state: i % 2 ? 'BACKUP' : 'FAULT', reason: i % 2 ? 'fault_cleared' : 'fault', priority: 100 });
  }
  assert.equal(log.recent.length, 500, 'the timeline is bounded');
  assert.equal(log.recent[0]?.atMs, NOW + 700, 'oldest first, the newest 500');
  const { series } = parseMetrics(await metricsText(snapshot({ transitions: log.recent, transitionTotals: log.totals })));
  assert.equal(series.get('keepalived_ts_vrrp_transitions_total{kind="INSTANCE",name="VI_1",state="FAULT",reason="fault"}'), 600);
  assert.equal(series.get('keepalived_ts_vrrp_transitions_total{kind="INSTANCE",name="VI_1",state="BACKUP",reason="fault_cleared"}'), 600);
});
