/** `global_defs { ... }` (keepalived/core/global_parser.c). */
import { parseIp } from '../address';
import type { FifoSpec, GlobalConfig, HttpListen } from '../model';
import {
  arg, block, flagField, intField, msField, readInt, readScript, repeatField, secField, strField,
  type Ctx, type Handler, type Section,
} from '../schema';
import type { Node } from '../tree';

/** Builder: lower-priority GARP settings default to the master ones at the end. */
export type GlobalBuilder = Omit<GlobalConfig, 'vrrpGarpLowerPrioDelayMs' | 'vrrpGarpLowerPrioRepeat'> & {
  vrrpGarpLowerPrioDelayMs?: number;
  vrrpGarpLowerPrioRepeat?: number;
};

export function newGlobal(hostname: string): GlobalBuilder {
  return {
    routerId: hostname,
    notificationEmail: [],
    smtpConnectTimeoutMs: 30_000,
    noEmailFaults: false,
    enableScriptSecurity: false,
    vrrpVersion: 2,
    vrrpStrict: false,
    vrrpCheckUnicastSrc: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpGarpMasterDelayMs: 5_000,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefreshMs: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpIntervalMs: 0,
    vrrpGnaIntervalMs: 0,
    vrrpLowerPrioNoAdvert: false,
    vrrpHigherPrioSendAdvert: false,
    vrrpDownTimerAdverts: 3,
    vrrpStartupDelayMs: 0,
    vrrpNotifyPriorityChanges: false,
    defaultInterface: 'eth0',
    dynamicInterfaces: false,
    httpListen: [],
    other: {},
  };
}

export function finishGlobal(b: GlobalBuilder): GlobalConfig {
  return {
    ...b,
    vrrpGarpLowerPrioDelayMs: b.vrrpGarpLowerPrioDelayMs ?? b.vrrpGarpMasterDelayMs,
    vrrpGarpLowerPrioRepeat: b.vrrpGarpLowerPrioRepeat ?? b.vrrpGarpMasterRepeat,
  };
}

const BIG = 0x7fffffff;
const UINT_MAX = 0xffffffff;
/** UINT_MAX / TIMER_HZ: keepalived's maximum for whole-second settings. */
const UINT_MAX_S = Math.floor(UINT_MAX / 1_000_000);
/** UINT_MAX microseconds, in ms: the maximum of keepalived's decimal-second settings. */
const UINT_MAX_US_MS = Math.floor(UINT_MAX / 1000);

function mcastGroup(field: 'vrrpMcastGroup4' | 'vrrpMcastGroup6', family: 4 | 6): Handler<GlobalBuilder> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx);
    if (!t) return;
    const ip = parseIp(t.text);
    const multicast = ip && (family === 4 ? /^2(2[4-9]|3\d)\./.test(ip.address) : /^ff/i.test(ip.address));
    if (!ip || ip.family !== family || !multicast) {
      cx.diags.warn('W_BAD_ADDRESS', t.loc, `${n.key.text}: '${t.text}' is not an IPv${family} multicast address - using ${family === 4 ? '224.0.0.18' : 'ff02::12'}`);
      return;
    }
    b[field] = ip.address;
  };
}

function fifo(field: 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo'): Handler<GlobalBuilder> {
  return (n, b, cx) => {
    const t = arg(n, 0, cx, 'FIFO path', true);
    if (!t) return;
    const f: FifoSpec = { path: t.text, loc: n.loc, script: b[field]?.script };
    if (n.args[1]) f.user = n.args[1].text;
    if (n.args[2]) f.group = n.args[2].text;
    b[field] = f;
  };
}

function fifoScript(field: 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo'): Handler<GlobalBuilder> {
  return (n, b, cx) => {
    const s = readScript(n, cx);
    if (!s) return;
    b[field] = { ...(b[field] ?? { path: '', loc: n.loc }), script: s };
  };
}

function smtpServer(n: Node, b: GlobalBuilder, cx: Ctx): void {
  const t = arg(n, 0, cx, 'host');
  if (!t) return;
  let port = 25;
  if (n.args[1]) {
    const p = readInt(n, 1, 1, 65535, cx, 25);
    if (p !== undefined) port = p;
  }
  b.smtpServer = { host: t.text, port };
}

function scriptUser(n: Node, b: GlobalBuilder, cx: Ctx): void {
  const t = arg(n, 0, cx, 'user name');
  if (!t) return;
  b.scriptUser = n.args[1] ? { user: t.text, group: n.args[1].text } : { user: t.text };
}

function vrrpIptables(n: Node, b: GlobalBuilder): void {
  b.vrrpIptables = {};
  if (n.args[0]) b.vrrpIptables.inChain = n.args[0].text;
  if (n.args[1]) b.vrrpIptables.outChain = n.args[1].text;
}

/** The default port of `http_listen` (keepalived_exporter's, so existing scrape targets keep working). */
export const DEFAULT_HTTP_PORT = 9650;

/**
 * `http_listen ADDRESS [PORT]` (ours): serve /metrics and the status page on
 * ADDRESS:PORT. An address or port that cannot be used is an error at its
 * word (a listener on the wrong address is worse than none).
 */
function httpListen(n: Node, b: GlobalBuilder, cx: Ctx): void {
  const t = arg(n, 0, cx, 'address');
  if (!t) return;
  const ip = parseIp(t.text);
  if (!ip) {
    cx.diags.error('E_HTTP_LISTEN', t.loc, `http_listen: '${t.text}' is not an IPv4 or IPv6 address - no listener`);
    return;
  }
  let port = DEFAULT_HTTP_PORT;
  const p = n.args[1];
  if (p) {
    const v = /^\d{1,5}$/.test(p.text) ? Number(p.text) : NaN;
    if (!(v >= 1 && v <= 65535)) {
      cx.diags.error('E_HTTP_LISTEN', p.loc, `http_listen: port '${p.text}' is not in 1..65535 - no listener`);
      return;
    }
    port = v;
  }
  if (n.args[2]) cx.diags.warn('W_BAD_VALUE', n.args[2].loc, `http_listen: unexpected '${n.args[2].text}' after the port - ignored`);
  const l: HttpListen = { address: ip.address, port, loc: n.loc };
  if (b.httpListen.some((o) => o.address === l.address && o.port === l.port)) {
    cx.diags.warn('W_DUPLICATE_NAME', n.loc, `http_listen ${l.address} ${l.port} given twice - once is enough`);
    return;
  }
  b.httpListen.push(l);
}

const notificationEmail = block<GlobalBuilder>((children, _n, b) => {
  for (const c of children) b.notificationEmail.push(c.key.text, ...c.args.map((a) => a.text));
});

export const globalSection: Section<GlobalBuilder> = {
  name: 'global_defs',
  keywords: {
    // global_parser.c checks the word count of these (a missing value is only ignored).
    router_id: strField('routerId', true),
    notification_email: notificationEmail,
    notification_email_from: strField('notificationEmailFrom', true),
    smtp_server: smtpServer,
    smtp_helo_name: strField('smtpHeloName', true),
    // Whole seconds, 0 read as 1 (smtpto_handler).
    smtp_connect_timeout: secField('smtpConnectTimeoutMs', 0, UINT_MAX_S, 30_000, true),
    smtp_alert: flagField('smtpAlert'),
    smtp_alert_vrrp: flagField('smtpAlertVrrp'),
    smtp_alert_checker: flagField('smtpAlertChecker'),
    no_email_faults: flagField('noEmailFaults'),
    script_user: scriptUser,
    // script_security_handler() takes no argument.
    enable_script_security: (_n, b) => { b.enableScriptSecurity = true; },
    vrrp_version: intField('vrrpVersion', 2, 3, 2),
    vrrp_strict: flagField('vrrpStrict'),
    vrrp_check_unicast_src: flagField('vrrpCheckUnicastSrc'),
    vrrp_skip_check_adv_addr: flagField('vrrpSkipCheckAdvAddr'),
    vrrp_mcast_group4: mcastGroup('vrrpMcastGroup4', 4),
    vrrp_mcast_group6: mcastGroup('vrrpMcastGroup6', 6),
    // GARP delays/refresh in whole seconds, repeats 0 read as 1 (vrrp_garp_*_handler).
    vrrp_garp_master_delay: secField('vrrpGarpMasterDelayMs', 0, UINT_MAX_S, 5000),
    vrrp_garp_master_repeat: repeatField('vrrpGarpMasterRepeat', UINT_MAX, 5),
    vrrp_garp_master_refresh: secField('vrrpGarpMasterRefreshMs', 0, UINT_MAX, 0),
    vrrp_garp_master_refresh_repeat: repeatField('vrrpGarpMasterRefreshRepeat', UINT_MAX, 1),
    vrrp_garp_lower_prio_delay: secField('vrrpGarpLowerPrioDelayMs', 0, UINT_MAX_S),
    vrrp_garp_lower_prio_repeat: intField('vrrpGarpLowerPrioRepeat', 0, BIG),
    // Decimal seconds > 0 (1 us in keepalived; 1 ms here, the model's unit).
    vrrp_garp_interval: msField('vrrpGarpIntervalMs', 1, UINT_MAX_US_MS, 0),
    vrrp_gna_interval: msField('vrrpGnaIntervalMs', 1, UINT_MAX_US_MS, 0),
    vrrp_lower_prio_no_advert: flagField('vrrpLowerPrioNoAdvert'),
    vrrp_higher_prio_send_advert: flagField('vrrpHigherPrioSendAdvert'),
    vrrp_down_timer_adverts: intField('vrrpDownTimerAdverts', 1, 100, 3),
    vrrp_startup_delay: msField('vrrpStartupDelayMs', 1, UINT_MAX_US_MS, 0),
    vrrp_notify_priority_changes: flagField('vrrpNotifyPriorityChanges'),
    vrrp_iptables: vrrpIptables,
    notify_fifo: fifo('notifyFifo'),
    notify_fifo_script: fifoScript('notifyFifo'),
    vrrp_notify_fifo: fifo('vrrpNotifyFifo'),
    vrrp_notify_fifo_script: fifoScript('vrrpNotifyFifo'),
    lvs_notify_fifo: fifo('lvsNotifyFifo'),
    lvs_notify_fifo_script: fifoScript('lvsNotifyFifo'),
    default_interface: strField('defaultInterface', true),
    dynamic_interfaces: (_n, b, cx) => { b.dynamicInterfaces = true; cx.dynamicInterfaces = true; },
    startup_script: (n, b, cx) => { b.startupScript = readScript(n, cx) ?? b.startupScript; },
    shutdown_script: (n, b, cx) => { b.shutdownScript = readScript(n, cx) ?? b.shutdownScript; },
    http_listen: httpListen,
  },
  known: [
    'process_names', 'process_name', 'vrrp_process_name', 'checker_process_name', 'lvs_process_name', 'bfd_process_name',
    'startup_script_timeout', 'shutdown_script_timeout', 'max_auto_priority', 'min_auto_priority_delay',
    'checker_log_all_failures', 'disable_local_igmp', 'lvs_timeouts', 'lvs_flush', 'lvs_flush_on_stop',
    'lvs_flush_onstop', 'lvs_sync_daemon', 'vrrp_min_garp', 'vrrp_garp_extra_if', 'vrrp_vmac_garp_intvl',
    'vrrp_ipsets', 'nftables', 'nftables_priority', 'nftables_ifindex', 'nftables_ipvs', 'nftables_ipvs_priority',
    'nftables_ipvs_start_fwmark', 'nftables_counters', 'vrrp_priority', 'vrrp_no_swap', 'vrrp_rt_priority',
    'vrrp_cpu_affinity', 'vrrp_rlimit_rttime', 'vrrp_rlimit_rtime', 'fifo_write_vrrp_states_on_reload',
    'checker_priority', 'checker_no_swap', 'checker_rt_priority', 'checker_cpu_affinity', 'checker_rlimit_rttime',
    'checker_rlimit_rtime', 'bfd_priority', 'bfd_no_swap', 'bfd_rt_priority', 'bfd_cpu_affinity', 'bfd_rlimit_rttime',
    'bfd_rlimit_rtime', 'snmp_socket', 'enable_traps', 'enable_snmp_vrrp', 'enable_snmp_keepalived',
    'enable_snmp_rfc', 'enable_snmp_rfcv2', 'enable_snmp_rfcv3', 'enable_snmp_checker', 'enable_dbus',
    'dbus_service_name', 'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force',
    'vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force', 'process_monitor_rcv_bufs',
    'process_monitor_rcv_bufs_force', 'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force',
    'lvs_netlink_monitor_rcv_bufs', 'lvs_netlink_monitor_rcv_bufs_force', 'rs_init_notifies', 'no_checker_emails',
    'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier', 'log_unknown_vrids', 'vmac_prefix', 'vmac_addr_prefix', 'umask',
    'random_seed', 'reload_check_config', 'reload_time_file', 'reload_repeat', 'reload_file', 'include_check',
    'config_save_dir', 'tmp_config_directory', 'data_use_instance', 'linkbeat_use_polling',
  ],
};
