/** global_defs keywords, defaults and values mapped into the model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, codes, parse } from './helpers';

test('global_defs defaults (keepalived 2.2.7): router_id = host name, GARP 5 s x5, 224.0.0.18 / ff02::12, SMTP 30 s', () => {
  const r = parse('', { hostname: 'lb7.example.net' });
  assertClean(r);
  const g = r.config.global;
  assert.deepEqual({
    routerId: g.routerId, notificationEmail: g.notificationEmail, smtpServer: g.smtpServer, smtpConnectTimeoutMs: g.smtpConnectTimeoutMs,
    enableScriptSecurity: g.enableScriptSecurity, vrrpVersion: g.vrrpVersion, vrrpStrict: g.vrrpStrict,
    vrrpMcastGroup4: g.vrrpMcastGroup4, vrrpMcastGroup6: g.vrrpMcastGroup6, vrrpGarpMasterDelayMs: g.vrrpGarpMasterDelayMs,
    vrrpGarpMasterRepeat: g.vrrpGarpMasterRepeat, vrrpGarpMasterRefreshMs: g.vrrpGarpMasterRefreshMs,
    vrrpGarpMasterRefreshRepeat: g.vrrpGarpMasterRefreshRepeat, vrrpGarpLowerPrioDelayMs: g.vrrpGarpLowerPrioDelayMs,
    vrrpGarpLowerPrioRepeat: g.vrrpGarpLowerPrioRepeat, vrrpGarpIntervalMs: g.vrrpGarpIntervalMs, vrrpGnaIntervalMs: g.vrrpGnaIntervalMs,
    vrrpDownTimerAdverts: g.vrrpDownTimerAdverts, vrrpStartupDelayMs: g.vrrpStartupDelayMs, defaultInterface: g.defaultInterface,
    dynamicInterfaces: g.dynamicInterfaces,
  }, {
    routerId: 'lb7.example.net', notificationEmail: [], smtpServer: undefined, smtpConnectTimeoutMs: 30_000,
    enableScriptSecurity: false, vrrpVersion: 2, vrrpStrict: false, vrrpMcastGroup4: '224.0.0.18', vrrpMcastGroup6: 'ff02::12',
    vrrpGarpMasterDelayMs: 5000, vrrpGarpMasterRepeat: 5, vrrpGarpMasterRefreshMs: 0, vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpLowerPrioDelayMs: 5000, vrrpGarpLowerPrioRepeat: 5, vrrpGarpIntervalMs: 0, vrrpGnaIntervalMs: 0,
    vrrpDownTimerAdverts: 3, vrrpStartupDelayMs: 0, defaultInterface: 'eth0', dynamicInterfaces: false,
  });
});

test('global_defs keywords map to their fields', () => {
  const r = parse([
    'global_defs {',
    ' router_id LVS_DEVEL',
    ' notification_email {',
    '  admin@example.com',
    '  ops@example.com noc@example.com',
    ' }',
    ' notification_email_from keepalived@example.com',
    ' smtp_server 192.0.2.25 2525',
    ' smtp_helo_name lb.example.com',
    ' smtp_connect_timeout 10',
    ' smtp_alert',
    ' smtp_alert_checker off',
    ' no_email_faults',
    ' script_user keepalived_script kagroup',
    ' enable_script_security',
    ' vrrp_version 3',
    ' vrrp_strict',
    ' vrrp_mcast_group4 224.0.0.19',
    ' vrrp_mcast_group6 ff02::13',
    ' vrrp_garp_master_delay 1',
    ' vrrp_garp_master_repeat 2',
    ' vrrp_garp_master_refresh 30',
    ' vrrp_garp_master_refresh_repeat 3',
    ' vrrp_garp_lower_prio_delay 4',
    ' vrrp_garp_lower_prio_repeat 6',
    ' vrrp_garp_interval 0.001',
    ' vrrp_gna_interval 0.5',
    ' vrrp_lower_prio_no_advert',
    ' vrrp_higher_prio_send_advert',
    ' vrrp_down_timer_adverts 5',
    ' vrrp_startup_delay 2.5',
    ' vrrp_iptables KA_IN KA_OUT',
    ' notify_fifo /run/keepalived.fifo root root',
    ' notify_fifo_script /etc/keepalived/fifo.sh',
    ' vrrp_notify_fifo /run/vrrp.fifo',
    ' default_interface eth1',
    ' dynamic_interfaces',
    ' startup_script "/etc/keepalived/start.sh now"',
    ' max_auto_priority 50',
    '}',
  ].join('\n'));
  assertClean(r);
  const g = r.config.global;
  assert.equal(g.routerId, 'LVS_DEVEL');
  assert.deepEqual(g.notificationEmail, ['admin@example.com', 'ops@example.com', 'noc@example.com']);
  assert.deepEqual([g.notificationEmailFrom, g.smtpServer, g.smtpHeloName, g.smtpConnectTimeoutMs], ['keepalived@example.com', { host: '192.0.2.25', port: 2525 }, 'lb.example.com', 10_000]);
  assert.deepEqual([g.smtpAlert, g.smtpAlertChecker, g.noEmailFaults, g.scriptUser, g.enableScriptSecurity], [true, false, true, { user: 'keepalived_script', group: 'kagroup' }, true]);
  assert.deepEqual([g.vrrpVersion, g.vrrpStrict, g.vrrpMcastGroup4, g.vrrpMcastGroup6], [3, true, '224.0.0.19', 'ff02::13']);
  assert.deepEqual([g.vrrpGarpMasterDelayMs, g.vrrpGarpMasterRepeat, g.vrrpGarpMasterRefreshMs, g.vrrpGarpMasterRefreshRepeat, g.vrrpGarpLowerPrioDelayMs, g.vrrpGarpLowerPrioRepeat],
    [1000, 2, 30_000, 3, 4000, 6]);
  assert.deepEqual([g.vrrpGarpIntervalMs, g.vrrpGnaIntervalMs, g.vrrpLowerPrioNoAdvert, g.vrrpHigherPrioSendAdvert, g.vrrpDownTimerAdverts, g.vrrpStartupDelayMs],
    [1, 500, true, true, 5, 2500]);
  assert.deepEqual(g.vrrpIptables, { inChain: 'KA_IN', outChain: 'KA_OUT' });
  assert.deepEqual([g.notifyFifo?.path, g.notifyFifo?.user, g.notifyFifo?.group, g.notifyFifo?.script?.argv], ['/run/keepalived.fifo', 'root', 'root', ['/etc/keepalived/fifo.sh']]);
  assert.equal(g.vrrpNotifyFifo?.path, '/run/vrrp.fifo');
  assert.deepEqual([g.defaultInterface, g.dynamicInterfaces, g.startupScript?.argv], ['eth1', true, ['/etc/keepalived/start.sh', 'now']]);
  // A keyword keepalived knows but the model keeps raw.
  assert.deepEqual(g.other.max_auto_priority, ['50']);
  assert.deepEqual(r.config.unmodelled.map((u) => [u.section, u.keyword, u.loc.line]), [['global_defs', 'max_auto_priority', 39]]);
});

test('default_interface is the interface of instances without one', () => {
  const r = parse('global_defs {\n default_interface eth1\n}\nvrrp_instance VI_1 {\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n}');
  assertClean(r);
  assert.deepEqual([r.config.instances[0].interface, r.config.instances[0].virtualIpaddress[0].ifname], ['eth1', 'eth1']);
});

test('bad global values are warnings that name the value used; the default stays', () => {
  const r = parse([
    'global_defs {',
    ' vrrp_version 4',
    ' vrrp_mcast_group4 192.0.2.1',
    ' vrrp_garp_master_delay 0.5',
    ' vrrp_garp_master_repeat 0',
    ' smtp_connect_timeout abc',
    ' smtp_server 192.0.2.25 99999',
    ' router_id',
    ' vrrp_strict TRUE',
    '}',
  ].join('\n'));
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.severity]), [
    ['W_OUT_OF_RANGE', 2, 'warning'], ['W_BAD_ADDRESS', 3, 'warning'], ['W_INVALID_NUMBER', 4, 'warning'], ['W_OUT_OF_RANGE', 5, 'warning'],
    ['W_INVALID_NUMBER', 6, 'warning'], ['W_OUT_OF_RANGE', 7, 'warning'], ['W_MISSING_PARAMETER', 8, 'warning'], ['W_INVALID_BOOLEAN', 9, 'warning'],
  ]);
  assert.match(r.diagnostics[0].message, /vrrp_version: number '4' outside range \[2, 3\] - using 2/);
  assert.match(r.diagnostics[1].message, /not an IPv4 multicast address - using 224\.0\.0\.18/);
  assert.match(r.diagnostics[2].message, /'0\.5' is not a whole number of seconds - using 5s/);
  assert.match(r.diagnostics[3].message, /must be greater than 0, setting to 1/);
  const g = r.config.global;
  assert.deepEqual([g.vrrpVersion, g.vrrpMcastGroup4, g.vrrpGarpMasterDelayMs, g.vrrpGarpMasterRepeat, g.smtpConnectTimeoutMs, g.smtpServer, g.routerId, g.vrrpStrict],
    [2, '224.0.0.18', 5000, 1, 30_000, { host: '192.0.2.25', port: 25 }, 'lb1.example.net', false]);
});

test('unknown keywords in global_defs are warnings at their line with a suggestion', () => {
  const r = parse('global_defs {\n router_idd r1\n vrrp_garp_master_dealy 3\n}');
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@2', 'W_UNKNOWN_KEYWORD@3']);
  assert.match(r.diagnostics[0].message, /Unknown keyword 'router_idd' in global_defs - did you mean 'router_id'\?/);
  assert.match(r.diagnostics[1].message, /did you mean 'vrrp_garp_master_delay'\?/);
});
