/**
 * vrrp_instance, vrrp_script, vrrp_track_file/track_file, vrrp_track_process,
 * vrrp_sync_group and static_* blocks mapped into the model: keepalived's
 * defaults, every keyword's field, references, and the semantic checks
 * (nopreempt, VRID conflicts, family, VIPs) as keepalived 2.2.7 applies them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode } from '../../src/config';
import { assertClean, codes, ifExists, instance, parse, withCode } from './helpers';

test('vrrp_instance defaults (keepalived 2.2.7 values, globals applied)', () => {
  const r = parse('vrrp_instance VI_1 {\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.1\n }\n}');
  assertClean(r);
  const i = r.config.instances[0];
  assert.deepEqual({
    state: i.state, interface: i.interface, priority: i.priority, advertIntMs: i.advertIntMs, version: i.version,
    family: i.family, nopreempt: i.nopreempt, preemptDelayMs: i.preemptDelayMs, accept: i.accept,
    garpMasterDelayMs: i.garpMasterDelayMs, garpMasterRepeat: i.garpMasterRepeat, garpMasterRefreshMs: i.garpMasterRefreshMs,
    garpMasterRefreshRepeat: i.garpMasterRefreshRepeat, garpLowerPrioDelayMs: i.garpLowerPrioDelayMs,
    garpLowerPrioRepeat: i.garpLowerPrioRepeat, unicastTtl: i.unicastTtl, mcastDstIp: i.mcastDstIp,
    downTimerAdverts: i.downTimerAdverts, strictMode: i.strictMode, smtpAlert: i.smtpAlert, debug: i.debug,
    authentication: i.authentication, useVmac: i.useVmac, syncGroup: i.syncGroup,
  }, {
    state: 'BACKUP', interface: 'eth0', priority: 100, advertIntMs: 1000, version: 2, family: 4, nopreempt: false,
    preemptDelayMs: 0, accept: true, garpMasterDelayMs: 5000, garpMasterRepeat: 5, garpMasterRefreshMs: 0,
    garpMasterRefreshRepeat: 1, garpLowerPrioDelayMs: 5000, garpLowerPrioRepeat: 5, unicastTtl: 255,
    mcastDstIp: '224.0.0.18', downTimerAdverts: 3, strictMode: false, smtpAlert: false, debug: 0,
    authentication: undefined, useVmac: undefined, syncGroup: undefined,
  });
  assert.deepEqual(i.virtualIpaddress.map((v) => [v.address, v.family, v.prefixLength, v.ifname, v.broadcast, v.scope, v.label]),
    [['192.0.2.1', 4, 32, 'eth0', undefined, undefined, undefined]]);
  assert.deepEqual(i.loc, { file: '/etc/keepalived/keepalived.conf', line: 1, col: 1 });
});

test('vrrp_instance keywords map to their fields', () => {
  const r = parse([
    'vrrp_instance VI_1 {',
    ' state MASTER',
    ' interface eth1',
    ' virtual_router_id 51',
    ' priority 150',
    ' advert_int 3',
    ' authentication {',
    '  auth_type PASS',
    '  auth_pass s3cret',
    ' }',
    ' preempt_delay 0',
    ' garp_master_delay 10',
    ' garp_master_repeat 3',
    ' garp_master_refresh 60',
    ' garp_master_refresh_repeat 2',
    ' garp_lower_prio_delay 7',
    ' garp_lower_prio_repeat 4',
    ' lower_prio_no_advert',
    ' higher_prio_send_advert true',
    ' unicast_src_ip 192.0.2.10',
    ' unicast_peer {',
    '  192.0.2.11',
    '  192.0.2.12 min_ttl 250 max_ttl 255',
    ' }',
    ' unicast_ttl 64',
    ' use_vmac vrrp51',
    ' vmac_xmit_base',
    ' dont_track_primary',
    ' skip_check_adv_addr',
    ' check_unicast_src',
    ' smtp_alert',
    ' notify_priority_changes',
    ' debug 2',
    ' down_timer_adverts 4',
    ' kernel_rx_buf_size 65536',
    ' no_accept',
    ' notify_master /etc/keepalived/master.sh',
    ' notify_backup "/etc/keepalived/state.sh BACKUP"',
    ' notify_fault /etc/keepalived/fault.sh',
    ' notify_stop /etc/keepalived/stop.sh',
    ' notify_deleted /etc/keepalived/deleted.sh',
    ' notify_master_rx_lower_pri /etc/keepalived/lower.sh',
    ' notify /etc/keepalived/notify.sh',
    ' virtual_ipaddress {',
    '  192.0.2.100/24 brd 192.0.2.255 dev eth1 scope global label eth1:vip',
    '  192.0.2.101/24 dev eth0 no_prefixroute',
    ' }',
    ' virtual_ipaddress_excluded {',
    '  2001:db8::100/64',
    ' }',
    '}',
  ].join('\n'), { interfaceExists: ifExists });
  assertClean(r);
  const i = r.config.instances[0];
  assert.equal(i.state, 'MASTER');
  assert.equal(i.interface, 'eth1');
  assert.equal(i.virtualRouterId, 51);
  assert.equal(i.priority, 150);
  assert.equal(i.advertIntMs, 3000);
  assert.deepEqual(i.authentication, { type: 'PASS', password: 's3cret' });
  assert.deepEqual([i.garpMasterDelayMs, i.garpMasterRepeat, i.garpMasterRefreshMs, i.garpMasterRefreshRepeat], [10_000, 3, 60_000, 2]);
  assert.deepEqual([i.garpLowerPrioDelayMs, i.garpLowerPrioRepeat], [7000, 4]);
  assert.deepEqual([i.lowerPrioNoAdvert, i.higherPrioSendAdvert], [true, true]);
  assert.equal(i.unicastSrcIp, '192.0.2.10');
  assert.deepEqual(i.unicastPeer.map((p) => [p.address, p.family, p.minTtl, p.maxTtl]), [
    ['192.0.2.11', 4, undefined, undefined], ['192.0.2.12', 4, 250, 255],
  ]);
  assert.equal(i.unicastTtl, 64);
  assert.deepEqual(i.useVmac, { name: 'vrrp51' });
  assert.deepEqual([i.vmacXmitBase, i.dontTrackPrimary, i.skipCheckAdvAddr, i.checkUnicastSrc, i.smtpAlert, i.notifyPriorityChanges], [true, true, true, true, true, true]);
  assert.deepEqual([i.debug, i.downTimerAdverts, i.kernelRxBufSize, i.accept], [2, 4, 65536, false]);
  assert.deepEqual(Object.fromEntries(Object.entries(i.notify).map(([k, v]) => [k, v?.argv])), {
    master: ['/etc/keepalived/master.sh'], backup: ['/etc/keepalived/state.sh', 'BACKUP'], fault: ['/etc/keepalived/fault.sh'],
    stop: ['/etc/keepalived/stop.sh'], deleted: ['/etc/keepalived/deleted.sh'], masterRxLowerPri: ['/etc/keepalived/lower.sh'],
    generic: ['/etc/keepalived/notify.sh'],
  });
  const [v1, v2] = i.virtualIpaddress;
  assert.deepEqual([v1.address, v1.prefixLength, v1.broadcast, v1.ifname, v1.scope, v1.label], ['192.0.2.100', 24, '192.0.2.255', 'eth1', 'global', 'eth1:vip']);
  assert.deepEqual([v2.address, v2.ifname, v2.noPrefixRoute], ['192.0.2.101', 'eth0', true]);
  assert.deepEqual(i.virtualIpaddressExcluded.map((v) => [v.address, v.family, v.prefixLength, v.ifname]), [['2001:db8::100', 6, 64, 'eth1']]);
});

test('priority: default 100; state MASTER without priority means the owner (255); priority 255 without state means MASTER', () => {
  const r = parse([instance('VI_A', 1), instance('VI_B', 2, 'state MASTER'), instance('VI_C', 3, 'priority 255')].join('\n'));
  assertClean(r);
  assert.deepEqual(r.config.instances.map((i) => [i.name, i.state, i.priority, i.accept]), [
    ['VI_A', 'BACKUP', 100, true], ['VI_B', 'MASTER', 255, true], ['VI_C', 'MASTER', 255, true],
  ]);
});

test('IPv6 instances are VRRPv3 with ff02::12, advert_int in 10 ms units', () => {
  const r = parse('vrrp_instance V6 {\n virtual_router_id 9\n advert_int 0.25\n virtual_ipaddress {\n  2001:db8::1/64\n }\n}');
  assertClean(r);
  const i = r.config.instances[0];
  assert.deepEqual([i.family, i.version, i.mcastDstIp, i.advertIntMs, i.virtualIpaddress[0].prefixLength], [6, 3, 'ff02::12', 250, 64]);
});

test('advert_int: v2 whole seconds (rounded with a warning), v3 10 ms units', () => {
  const r = parse([instance('V2', 1, 'advert_int 1.5'), instance('V3', 2, 'version 3', 'advert_int 0.125')].join('\n'));
  assert.deepEqual(r.config.instances.map((i) => i.advertIntMs), [2000, 130]);
  assert.deepEqual(codes(r), ['W_ADVERT_INT@4', 'W_ADVERT_INT@13']);
});

test('global vrrp_* settings are the defaults of every instance; instance keywords override them', () => {
  const r = parse([
    'global_defs {',
    ' vrrp_version 3',
    ' vrrp_garp_master_delay 2',
    ' vrrp_garp_master_repeat 9',
    ' vrrp_garp_lower_prio_repeat 1',
    ' vrrp_mcast_group4 224.0.0.100',
    ' vrrp_skip_check_adv_addr',
    ' vrrp_check_unicast_src',
    ' vrrp_down_timer_adverts 5',
    ' vrrp_notify_priority_changes',
    ' smtp_alert_vrrp',
    '}',
    instance('VI_1', 1),
    instance('VI_2', 2, 'version 2', 'garp_master_delay 1', 'mcast_dst_ip 224.0.0.101'),
  ].join('\n'));
  assertClean(r);
  const [a, b] = r.config.instances;
  assert.deepEqual([a.version, a.garpMasterDelayMs, a.garpMasterRepeat, a.garpLowerPrioDelayMs, a.garpLowerPrioRepeat, a.mcastDstIp],
    [3, 2000, 9, 2000, 1, '224.0.0.100']);
  assert.deepEqual([a.skipCheckAdvAddr, a.checkUnicastSrc, a.downTimerAdverts, a.notifyPriorityChanges, a.smtpAlert], [true, true, 5, true, true]);
  assert.deepEqual([b.version, b.garpMasterDelayMs, b.mcastDstIp], [2, 1000, '224.0.0.101']);
});

test('strict mode: accept defaults to false unless owner; state MASTER must match priority 255', () => {
  const r = parse(['global_defs {\n vrrp_strict\n}', instance('VI_1', 1, 'state MASTER', 'priority 200'), instance('VI_2', 2, 'priority 255')].join('\n'));
  const [a, b] = r.config.instances;
  assert.deepEqual([a.strictMode, a.state, a.accept], [true, 'BACKUP', false]);
  assert.deepEqual([b.state, b.accept], ['MASTER', true]);
  assert.deepEqual(codes(r), ['W_STRICT_STATE@7']);
});

test('authentication: AH, 8-character passwords, v3 and strict ignore it', () => {
  const r = parse([
    instance('VI_1', 1, 'authentication {', ' auth_type AH', ' auth_pass abcdefghij', '}'),
    instance('VI_2', 2, 'version 3', 'authentication {', ' auth_type PASS', ' auth_pass x', '}'),
  ].join('\n'));
  const [a, b] = r.config.instances;
  assert.deepEqual(a.authentication, { type: 'AH', password: 'abcdefgh' });
  assert.equal(b.authentication, undefined);
  assert.deepEqual(codes(r), ['W_AUTH_PASS_TRUNCATED@6', 'W_AUTH_V3@16']);
});

/* ------------------------------ nopreempt / preempt ---------------------------- */

test('nopreempt requires state BACKUP: with state MASTER it is cleared with a warning at its line', () => {
  // keepalived: "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing"
  const r = parse([instance('VI_1', 1, 'state MASTER', 'priority 100', 'nopreempt'), instance('VI_2', 2, 'state BACKUP', 'nopreempt')].join('\n'));
  assert.deepEqual(r.config.instances.map((i) => [i.name, i.state, i.nopreempt]), [['VI_1', 'MASTER', false], ['VI_2', 'BACKUP', true]]);
  assert.deepEqual(withCode(r, 'W_NOPREEMPT_MASTER').map((d) => [d.line, d.severity]), [[6, 'warning']]);
  assert.equal(r.diagnostics.length, 1);
});

test('nopreempt with priority 255 is reset; preempt undoes nopreempt; nopreempt ignores an argument', () => {
  const r = parse([
    instance('VI_1', 1, 'priority 255', 'nopreempt'),
    instance('VI_2', 2, 'nopreempt', 'preempt'),
    instance('VI_3', 3, 'nopreempt false'),
  ].join('\n'));
  assert.deepEqual(r.config.instances.map((i) => i.nopreempt), [false, false, true]);
  assert.deepEqual(codes(r), ['W_NOPREEMPT_OWNER@5']);
});

test('preempt_delay: cleared for state MASTER, with nopreempt and in strict mode', () => {
  const r = parse([
    instance('VI_1', 1, 'preempt_delay 30'),
    instance('VI_2', 2, 'state MASTER', 'priority 100', 'preempt_delay 30'),
    instance('VI_3', 3, 'nopreempt', 'preempt_delay 30'),
  ].join('\n'));
  assert.deepEqual(r.config.instances.map((i) => i.preemptDelayMs), [30_000, 0, 0]);
  assert.deepEqual(codes(r), ['W_PREEMPT_DELAY_MASTER@14', 'W_PREEMPT_DELAY@23']);
});

/* ------------------------------- VRID uniqueness ------------------------------ */

test('duplicate VRID on one interface and family is an error; other family, interface or group is not', () => {
  // keepalived: "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0"
  const r = parse([
    instance('VI_1', 51),
    instance('VI_2', 51),
    'vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  2001:db8::1/64\n }\n}',
    'vrrp_instance VI_E1 {\n interface eth1\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.5\n }\n}',
    instance('VI_G', 51, 'mcast_dst_ip 224.0.0.99'),
  ].join('\n'));
  // Located at VI_2's virtual_router_id line (10), naming VI_1's (3).
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.severity]), [['E_DUPLICATE_VRID', 10, 'error']]);
  assert.match(r.diagnostics[0].message, /VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0/);
  assert.match(r.diagnostics[0].message, /already used by VI_1 at \/etc\/keepalived\/keepalived\.conf:3\)$/);
  assert.equal(configTestExitCode(r.diagnostics), 5);
});

test('use_vmac does not make a VRID distinct on the same base interface (keepalived compares base interfaces)', () => {
  const r = parse([instance('VI_1', 7, 'use_vmac'), instance('VI_2', 7, 'use_vmac vrrp.7b')].join('\n'));
  assert.deepEqual(codes(r), ['E_DUPLICATE_VRID@11']);
  assert.deepEqual(r.config.instances.map((i) => i.useVmac?.name), ['vrrp.7', 'vrrp.7b']);
});

test('unicast and multicast are separate VRID spaces; unicast conflicts need a common peer', () => {
  const uc = (name: string, peer: string): string => instance(name, 5, 'unicast_peer {', ` ${peer}`, '}');
  const r = parse([instance('VI_M', 5), uc('VI_U1', '192.0.2.20'), uc('VI_U2', '192.0.2.21'), uc('VI_U3', '192.0.2.20')].join('\n'));
  assert.deepEqual(codes(r), ['E_DUPLICATE_VRID@30']);
  assert.match(r.diagnostics[0].message, /VI_U1 and VI_U3/);
});

/* --------------------------------- families ----------------------------------- */

test('the instance family is fixed by the first address keyword; other-family addresses are skipped', () => {
  // keepalived: "(VI_1): address family must match VRRP instance [2001:db8::1/64] - ignoring"
  const r = parse('vrrp_instance VI_1 {\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1/24\n  2001:db8::1/64\n  192.0.2.2/24\n }\n}');
  assert.deepEqual(r.config.instances[0].virtualIpaddress.map((v) => v.address), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(r.config.instances[0].virtualIpaddressExcluded, []);
  assert.deepEqual(codes(r), ['W_FAMILY_MISMATCH@5']);
  // A unicast peer before the VIPs makes the instance IPv6; the IPv4 VIP is skipped and v3 needs a VIP.
  const p = parse('vrrp_instance VI_1 {\n virtual_router_id 1\n unicast_peer {\n  2001:db8::7\n }\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}');
  assert.deepEqual(p.diagnostics.map((d) => [d.code, d.line, d.severity]), [['W_FAMILY_MISMATCH', 7, 'warning'], ['E_NO_VIP', 1, 'error']]);
  assert.deepEqual(p.config.instances, []);
});

test('virtual_ipaddress_excluded may hold either family', () => {
  const r = parse(instance('VI_1', 1, 'virtual_ipaddress_excluded {', ' 2001:db8::9/64', ' 198.51.100.9', '}'));
  assertClean(r);
  assert.deepEqual(r.config.instances[0].virtualIpaddressExcluded.map((v) => v.address), ['2001:db8::9', '198.51.100.9']);
});

test('no VIP: a warning for VRRPv2, an error (instance dropped) for v3 or strict mode', () => {
  const r = parse([
    'vrrp_instance V2 {\n virtual_router_id 1\n}',
    'vrrp_instance V3 {\n version 3\n virtual_router_id 2\n}',
  ].join('\n'));
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.severity]), [['W_NO_VIP', 1, 'warning'], ['E_NO_VIP', 4, 'error']]);
  assert.deepEqual(r.config.instances.map((i) => i.name), ['V2']);
});

test('a VIP with an invalid prefix length keeps the address with the full length', () => {
  // keepalived: "Invalid address prefix len 33 for address 192.0.2.1/33 - using 32"
  const r = parse(instance('VI_1', 1).replace('192.0.2.1/24', '192.0.2.1/33'));
  assert.deepEqual(r.config.instances[0].virtualIpaddress.map((v) => `${v.address}/${v.prefixLength}`), ['192.0.2.1/32']);
  assert.deepEqual(codes(r), ['W_BAD_PREFIX@5']);
});

/* -------------------------------- vrrp_script --------------------------------- */

test('vrrp_script: defaults (interval 1 s, timeout = interval, weight 0, rise/fall 1) and every keyword', () => {
  const r = parse([
    'vrrp_script plain {',
    ' script /usr/local/bin/check',
    '}',
    'vrrp_script full {',
    ' script "/usr/local/bin/check --port 80"',
    ' interval 2',
    ' timeout 5',
    ' weight -20 reverse',
    ' rise 3',
    ' fall 4',
    ' user nobody nogroup',
    ' init_fail',
    '}',
  ].join('\n'));
  assertClean(r);
  const [p, f] = r.config.vrrpScripts;
  assert.deepEqual([p.name, p.intervalMs, p.timeoutMs, p.weight, p.weightReverse, p.rise, p.fall, p.initFail, p.user],
    ['plain', 1000, 1000, 0, false, 1, 1, false, undefined]);
  assert.deepEqual([f.script.argv, f.intervalMs, f.timeoutMs, f.weight, f.weightReverse, f.rise, f.fall, f.user, f.group, f.initFail],
    [['/usr/local/bin/check', '--port', '80'], 2000, 5000, -20, true, 3, 4, 'nobody', 'nogroup', true]);
  assert.deepEqual([f.loc.line, f.script.loc.line], [4, 5]);
});

test('vrrp_script: interval and timeout are whole seconds; 0 is read as 1', () => {
  // keepalived: "(chk): vrrp script interval '0.5' must be between 1 and 4294 - ignoring",
  // "vrrp script interval must be greater than 0, setting to 1".
  const r = parse('vrrp_script a {\n script /bin/true\n interval 0.5\n}\nvrrp_script b {\n script /bin/true\n interval 0\n timeout 0\n}');
  assert.deepEqual(r.config.vrrpScripts.map((s) => [s.intervalMs, s.timeoutMs]), [[1000, 1000], [1000, 1000]]);
  assert.deepEqual(codes(r), ['W_INVALID_NUMBER@3', 'W_OUT_OF_RANGE@7', 'W_OUT_OF_RANGE@8']);
});

test('vrrp_script without a script is removed, reported at its closing "}" like keepalived', () => {
  const r = parse('vrrp_script empty {\n interval 2\n\n}\n' + instance('VI_1', 1, 'track_script {', ' empty', '}'));
  assert.deepEqual(r.config.vrrpScripts, []);
  assert.deepEqual(codes(r), ['W_NO_SCRIPT@4', 'W_UNRESOLVED_REFERENCE@9']);
});

/* ------------------------------ tracking references ---------------------------- */

test('track_script/track_file/track_process references resolve to earlier definitions, with weight overrides', () => {
  const r = parse([
    'vrrp_script chk { script /bin/true\n weight 10 }',
    'vrrp_track_file tf {\n file /run/keepalived/tf\n weight -5\n init_file 3 overwrite\n}',
    'track_file tf2 {\n file /run/keepalived/tf2\n}',
    'vrrp_track_process haproxy {\n process haproxy\n param_match initial\n weight 20\n quorum 2\n quorum_max 3\n delay 1.5\n full_command\n}',
    instance('VI_1', 1,
      'track_script {', ' chk', ' chk2 weight 5', '}',
      'track_file {', ' tf weight 7 reverse', ' tf2', '}',
      'track_process {', ' haproxy weight -30 noreverse', '}',
      'track_interface {', ' eth1 weight -50', '}'),
    'vrrp_script chk2 { script /bin/true }',
  ].join('\n'), { interfaceExists: ifExists });
  const i = r.config.instances[0];
  assert.deepEqual(i.trackScript.map((t) => [t.name, t.weight]), [['chk', undefined]]);
  assert.deepEqual(i.trackFile.map((t) => [t.name, t.weight, t.reverse]), [['tf', 7, true], ['tf2', undefined, undefined]]);
  assert.deepEqual(i.trackProcess.map((t) => [t.name, t.weight, t.reverse]), [['haproxy', -30, false]]);
  assert.deepEqual(i.trackInterface.map((t) => [t.name, t.weight]), [['eth1', -50]]);
  // chk2 is defined after its reference: keepalived 2.2.7 does not find it.
  const d = withCode(r, 'W_UNRESOLVED_REFERENCE');
  assert.deepEqual(d.map((x) => x.line), [25]);
  assert.match(d[0].message, /track script chk2 not found, ignoring\.\.\. \(it is defined later, at \/etc\/keepalived\/keepalived\.conf:41/);
  assert.equal(r.diagnostics.length, 1);
  const [tf, tf2] = r.config.trackFiles;
  assert.deepEqual([tf.name, tf.file, tf.weight, tf.initFile, tf2.name, tf2.weight], ['tf', '/run/keepalived/tf', -5, { value: 3, overwrite: true }, 'tf2', 1]);
  const p = r.config.trackProcesses[0];
  assert.deepEqual([p.process, p.paramMatch, p.weight, p.quorum, p.quorumMax, p.delayMs, p.fullCommand], ['haproxy', 'initial', 20, 2, 3, 1500, true]);
});

test('track lists follow keepalived alloc_track_*(): options, weight ranges, +/-254, duplicates, own interface', () => {
  const r = parse([
    'vrrp_script s1 {\n script /bin/true\n weight 10\n}',
    instance('VI_1', 1,
      'track_script {', ' s1 reverse', ' s1 weight 254', ' s1', '}',
      'track_interface {', ' eth1 weight 999', ' eth0 weight 5', '}'),
  ].join('\n'), { interfaceExists: ifExists });
  // keepalived: "unknown track script option reverse - ignoring", "weight for s1 cannot be +/-254. Setting to +/-253",
  // "duplicate track_script s1 - ignoring", "weight 999 for eth1 must be between [-253..253] inclusive. Ignoring...",
  // "Ignoring track_interface eth0 since own interface".
  const i = r.config.instances[0];
  assert.deepEqual(i.trackScript.map((t) => [t.name, t.weight]), [['s1', 253]]);
  assert.deepEqual(i.trackInterface.map((t) => [t.name, t.weight]), [['eth1', 0]]);
  assert.deepEqual(codes(r), ['W_UNKNOWN_OPTION@9', 'W_OUT_OF_RANGE@10', 'W_DUPLICATE_TRACK@11', 'W_OUT_OF_RANGE@14', 'W_TRACK_OWN_INTERFACE@15']);
});

test('track_file: an unknown weight option drops the entry; a bad weight keeps the file weight', () => {
  const r = parse(['vrrp_track_file tf {\n file /run/tf\n}', instance('VI_1', 1, 'track_file {', ' tf weight 5 bogus', '}'),
    instance('VI_2', 2, 'track_file {', ' tf weight 300', '}')].join('\n'));
  assert.deepEqual(r.config.instances.map((i) => i.trackFile.map((t) => [t.name, t.weight])), [[], [['tf', undefined]]]);
  assert.deepEqual(codes(r), ['W_UNKNOWN_OPTION@8', 'W_OUT_OF_RANGE@18']);
});

/* -------------------------------- sync groups ---------------------------------- */

test('vrrp_sync_group: members, tracking, notify; instances learn their group', () => {
  const r = parse([
    'vrrp_sync_group VG_1 {',
    ' group {',
    '  VI_1',
    '  VI_2',
    ' }',
    ' track_script {',
    '  chk weight -10',
    ' }',
    ' notify_master "/etc/keepalived/group.sh MASTER"',
    ' notify /etc/keepalived/group.sh',
    ' smtp_alert',
    ' global_tracking',
    '}',
  ].join('\n').replace('vrrp_sync_group', 'vrrp_script chk {\n script /bin/true\n}\nvrrp_sync_group') + '\n' + instance('VI_1', 1) + '\n' + instance('VI_2', 2));
  assertClean(r);
  const g = r.config.syncGroups[0];
  assert.deepEqual([g.name, g.group, g.trackScript.map((t) => [t.name, t.weight]), g.notify.master?.argv, g.notify.generic?.argv, g.smtpAlert, g.globalTracking],
    ['VG_1', ['VI_1', 'VI_2'], [['chk', -10]], ['/etc/keepalived/group.sh', 'MASTER'], ['/etc/keepalived/group.sh'], true, true]);
  assert.deepEqual(r.config.instances.map((i) => i.syncGroup), ['VG_1', 'VG_1']);
});

test('sync group members: unknown ones reported at their line, a member in two groups is an error, one member warns', () => {
  const r = parse([
    instance('VI_1', 1), instance('VI_2', 2),
    'vrrp_sync_group A {\n group {\n  VI_1\n  VI_X\n }\n}',
    'vrrp_sync_group B {\n group {\n  VI_1 VI_2\n }\n}',
  ].join('\n'));
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.severity]), [
    ['W_UNRESOLVED_REFERENCE', 18, 'warning'], ['W_SYNC_GROUP_ONE', 15, 'warning'], ['E_SYNC_GROUP_MEMBER', 23, 'error'], ['W_SYNC_GROUP_ONE', 21, 'warning'],
  ]);
  assert.deepEqual(r.config.syncGroups.map((g) => [g.name, g.group]), [['A', ['VI_1']], ['B', ['VI_2']]]);
});

/* ------------------------------- static_* blocks -------------------------------- */

test('static_ipaddress, static_routes and static_rules', () => {
  const r = parse([
    'static_ipaddress {',
    ' 192.0.2.50/24 dev eth0 scope link',
    ' 2001:db8::50/64 dev eth1',
    ' 192.0.2.51/24',
    '}',
    'static_routes {',
    ' 198.51.100.0/24 via 192.0.2.1 dev eth0 table 100 metric 5',
    ' blackhole 203.0.113.0/24',
    ' default via 192.0.2.254 dev eth0',
    '}',
    'static_rules {',
    ' from 192.0.2.0/24 table 100 preference 100',
    ' to 198.51.100.0/24 lookup 200',
    '}',
  ].join('\n'), { interfaceExists: ifExists });
  assert.deepEqual(r.config.staticAddresses.map((v) => [v.address, v.prefixLength, v.ifname, v.scope]), [
    ['192.0.2.50', 24, 'eth0', 'link'], ['2001:db8::50', 64, 'eth1', undefined],
  ]);
  assert.deepEqual(r.config.staticRoutes.map((x) => [x.to, x.type, x.via, x.dev, x.table, x.metric, x.family]), [
    ['198.51.100.0/24', undefined, '192.0.2.1', 'eth0', '100', 5, 4],
    ['203.0.113.0/24', 'blackhole', undefined, undefined, undefined, undefined, 4],
    ['default', undefined, '192.0.2.254', 'eth0', undefined, undefined, 4],
  ]);
  assert.deepEqual(r.config.staticRules.map((x) => [x.from, x.to, x.table, x.preference]), [
    ['192.0.2.0/24', undefined, '100', 100], [undefined, '198.51.100.0/24', '200', 16384],
  ]);
  // keepalived: a static address needs dev; an untracked route (no dev) and a rule without preference warn.
  assert.deepEqual(codes(r), ['W_NO_DEV@4', 'W_ROUTE_NO_INTERFACE@8', 'W_RULE_NO_PREFERENCE@13']);
});

test('interfaces named in the configuration are checked only when the environment says which exist', () => {
  const text = instance('VI_1', 1).replace('interface eth0', 'interface eth9');
  assertClean(parse(text));
  const r = parse(text, { interfaceExists: ifExists });
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.col]), [['W_NO_INTERFACE', 2, 12]]);
  assert.equal(configTestExitCode(r.diagnostics), 5);
});

test('track_interface naming a missing interface is dropped (keepalived alloc_track_if), unless dynamic_interfaces', () => {
  const text = (g: string) => `${g}vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.1\n }\n track_interface {\n  eth1 weight -10\n  eth9 weight -20\n }\n}`;
  const r = parse(text(''), { interfaceExists: ifExists });
  assert.deepEqual(r.config.instances[0].trackInterface.map((t) => [t.name, t.weight]), [['eth1', -10]]);
  assert.deepEqual(codes(r), ['W_NO_INTERFACE@9']);
  const d = parse(text('global_defs {\n dynamic_interfaces\n}\n'), { interfaceExists: ifExists });
  assert.deepEqual(d.config.instances[0].trackInterface.map((t) => t.name), ['eth1', 'eth9']);
});

test('sync group members (without sync_group_tracking_weight) and address owners cannot float their priority (keepalived vrrp_complete_instance)', () => {
  const text = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', '..', 'test', 'config', 'fixtures', 'tracking-weights.conf'), 'utf8') as string;
  const r = parse(text, { interfaceExists: ifExists });
  const by = (n: string) => r.config.instances.find((i) => i.name === n)!;
  // VI_1 (sync group member): interface weight 0, weighted script dropped, default-weight file set to 0.
  assert.deepEqual(by('VI_1').trackInterface.map((t) => [t.name, t.weight]), [['eth1', 0]]);
  assert.deepEqual(by('VI_1').trackScript.map((t) => t.name), ['chk0']);
  assert.deepEqual(by('VI_1').trackFile.map((t) => [t.name, t.weight]), [['tf', 0]]);
  // VI_3 (owner): the weighted interface, script and file are no longer tracked.
  assert.deepEqual(by('VI_3').trackInterface, []);
  assert.deepEqual(by('VI_3').trackScript, []);
  assert.deepEqual(by('VI_3').trackFile, []);
  assert.deepEqual(withCode(r, 'W_TRACK_WEIGHT_IGNORED').map((d) => `${d.line} ${d.message}`), [
    '25 (VI_1) ignoring eth1 tracked interface weight due to SYNC group',
    '28 (VI_1) ignoring tracked script chk with weights due to SYNC group',
    '32 (VI_1) ignoring weight from tracked file tf due to SYNC group. specify weight 0',
    '51 (VI_3) ignoring eth1 tracked interface due to address owner',
    '54 (VI_3) ignoring tracked script chk with weights due to address_owner',
    '57 (VI_3) ignoring tracked file tf with weight 5 due to address_owner',
  ]);
  const weighted = parse(text.replace('vrrp_sync_group G1 {', 'vrrp_sync_group G1 {\n    sync_group_tracking_weight'), { interfaceExists: ifExists });
  assert.deepEqual(weighted.config.instances[0].trackScript.map((t) => t.name), ['chk', 'chk0'], 'sync_group_tracking_weight keeps the weights');
});

test('smtp_alert: an explicit instance or group value wins over the global one; unset ones inherit smtp_alert_vrrp, then smtp_alert', () => {
  const text = (inst: string, grp: string, glob: string) => `global_defs {\n${glob}}\nvrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n${grp}}\n` +
    [1, 2].map((i) => `vrrp_instance VI_${i} {\n interface eth0\n virtual_router_id ${50 + i}\n virtual_ipaddress {\n  192.0.2.${i}\n }\n${i === 1 ? inst : ''}}\n`).join('');
  const r = parse(text(' smtp_alert false\n', ' smtp_alert false\n', ' smtp_alert\n'));
  assert.deepEqual(r.config.instances.map((i) => i.smtpAlert), [false, true]);
  assert.equal(r.config.syncGroups[0].smtpAlert, false);
  const v = parse(text('', '', ' smtp_alert\n smtp_alert_vrrp false\n'));
  assert.deepEqual(v.config.instances.map((i) => i.smtpAlert), [false, false]);
  assert.equal(v.config.syncGroups[0].smtpAlert, false);
  const none = parse(text('', ' smtp_alert\n', ''));
  assert.deepEqual(none.config.instances.map((i) => i.smtpAlert), [false, false]);
  assert.equal(none.config.syncGroups[0].smtpAlert, true);
});
