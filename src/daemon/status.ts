/**
 * Status dumps in keepalived's formats, so existing tooling keeps working:
 *  - SIGUSR1 → /tmp/keepalived.data (text, "------< VRRP Topology >------")
 *  - SIGUSR2 → /tmp/keepalived.stats (per-instance counters)
 *  - SIGRTMIN+2 (signal 36) → /tmp/keepalived.json ([{data, stats}] per instance)
 * Formats copied from keepalived 2.2.7's output (docs/reference/). Our extra
 * counters (every drop reason) are added to the JSON "stats" object under
 * their own names; keepalived's consumers ignore unknown keys.
 */
import type { LoopDelayView } from './loop-delay';

export type StateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** keepalived's numeric states (vrrp.h: VRRP_STATE_INIT 0, BACKUP 1, MASTER 2, FAULT 3). */
export const STATE_NUMBER: Record<StateName, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** keepalived's own statistics names, in its order. */
export const KEEPALIVED_STATS = [
  'advert_rcvd',
  'advert_sent',
  'become_master',
  'release_master',
  'packet_len_err',
  'advert_interval_err',
  'ip_ttl_err',
  'invalid_type_rcvd',
  'addr_list_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'pri_zero_rcvd',
  'pri_zero_sent',
] as const;

export interface InstanceStatusView {
  name: string;
  version: 2 | 3;
  family: 4 | 6;
  state: StateName;
  wantState?: StateName;
  ifname: string;
  vrid: number;
  basePriority: number;
  effectivePriority: number;
  /** The priority of the current master as last heard (0 if none / we are master). */
  masterPriority: number;
  masterAddress?: string;
  sourceAddress: string;
  mcastGroup?: string;
  unicastPeers: string[];
  adverIntervalMs: number;
  masterAdverIntervalMs: number;
  masterDownIntervalMs: number;
  lastTransitionMs: number; // epoch ms
  /** The state left at the last transition, and why (the FSM's TransitionReason, e.g. master_down_timer). */
  lastTransitionFrom?: StateName;
  lastTransitionReason?: string;
  accept: boolean;
  nopreempt: boolean;
  preemptDelayMs: number;
  authType: 0 | 1 | 2;
  vips: string[]; // "192.0.2.100/24 dev eth0 scope global"
  vipsSet: boolean;
  garp: { delayMs: number; repeat: number; refreshMs: number; refreshRepeat: number; lowerPrioDelayMs: number; lowerPrioRepeat: number };
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  downTimerAdverts: number;
  smtpAlert: boolean;
  faults: string[]; // names of failing trackers / reasons
  counters: Record<string, number>;
  trackers?: { kind: string; name: string; ok: boolean; weight: number }[];
}

export interface DaemonStatusView {
  routerId: string;
  pid: number;
  startedAtMs: number;
  instances: InstanceStatusView[];
  syncGroups: { name: string; state: StateName; members: string[] }[];
  /** The VRRP process's event-loop delay (added by the child to each status answer). */
  eventLoop?: LoopDelayView;
}

function secs(ms: number): string {
  return Number.isInteger(ms / 1000) ? `${ms / 1000}` : `${(ms / 1000).toFixed(2)}`;
}

function when(epochMs: number): string {
  const d = new Date(epochMs);
  const usec = String(Math.round((epochMs % 1000) * 1000)).padStart(6, '0');
  return `${(epochMs / 1000).toFixed(6)} (${d.toUTCString()} .${usec})`;
}

/** The text dump (SIGUSR1), keepalived's layout for the parts we implement. */
export function formatData(s: DaemonStatusView): string {
  const out: string[] = [];
  out.push('------< Global definitions >------');
  out.push(` Router ID = ${s.routerId}`);
  out.push(` keepalived-ts pid = ${s.pid}`);
  out.push('------< VRRP Topology >------');
  for (const i of s.instances) {
    out.push(` VRRP Instance = ${i.name}`);
    out.push(`   VRRP Version = ${i.version}`);
    out.push(`   State = ${i.state}`);
    out.push(`   Wantstate = ${i.wantState ?? i.state}`);
    out.push(`   Number of interface and track script faults = ${i.faults.length}`);
    if (i.faults.length) out.push(`   Faults = ${i.faults.join(', ')}`);
    out.push(`   Last transition = ${when(i.lastTransitionMs)}`);
    out.push(`   Master down timer = ${i.masterDownIntervalMs * 1000} usecs`);
    out.push(`   Interface = ${i.ifname}`);
    out.push(`   Using src_ip = ${i.sourceAddress}`);
    if (i.unicastPeers.length) {
      out.push('   Unicast Peers :');
      for (const p of i.unicastPeers) out.push(`     ${p}`);
    } else if (i.mcastGroup) out.push(`   Multicast address ${i.mcastGroup}`);
    out.push(`   Gratuitous ARP delay = ${secs(i.garp.delayMs)}`);
    out.push(`   Gratuitous ARP repeat = ${i.garp.repeat}`);
    out.push(`   Gratuitous ARP refresh = ${secs(i.garp.refreshMs)}`);
    out.push(`   Gratuitous ARP refresh repeat = ${i.garp.refreshRepeat}`);
    out.push(`   Down timer adverts = ${i.downTimerAdverts}`);
    out.push(`   Send advert after receive lower priority advert = ${!i.lowerPrioNoAdvert}`);
    out.push(`   Send advert after receive higher priority advert = ${i.higherPrioSendAdvert}`);
    out.push(`   Virtual Router ID = ${i.vrid}`);
    out.push(`   Priority = ${i.basePriority}`);
    out.push(`   Effective priority = ${i.effectivePriority}`);
    if (i.masterAddress) out.push(`   Master router = ${i.masterAddress}`);
    out.push(`   Master priority = ${i.masterPriority}`);
    out.push(`   Advert interval = ${i.version === 2 ? `${secs(i.adverIntervalMs)} sec` : `${i.adverIntervalMs} milli-sec`}`);
    out.push(`   Accept = ${i.accept ? 'enabled' : 'disabled'}`);
    out.push(`   Preempt = ${i.nopreempt ? 'disabled' : 'enabled'}`);
    if (i.preemptDelayMs) out.push(`   Preempt delay = ${secs(i.preemptDelayMs)} secs`);
    out.push(`   Authentication type = ${['none', 'SIMPLE_PASSWORD', 'IPSEC_AH'][i.authType]}`);
    for (const t of i.trackers ?? []) out.push(`   Tracked ${t.kind} = ${t.name} ${t.ok ? 'UP' : 'DOWN'} weight ${t.weight}`);
    out.push(`   Virtual IP (${i.vips.length}):`);
    for (const v of i.vips) out.push(`     ${v}${i.vipsSet ? ' set' : ''}`);
    out.push(`   Using smtp notification = ${i.smtpAlert ? 'yes' : 'no'}`);
  }
  if (s.syncGroups.length) {
    out.push('------< VRRP Sync groups >------');
    for (const g of s.syncGroups) {
      out.push(` VRRP Sync Group = ${g.name}, ${g.state}`);
      for (const m of g.members) out.push(`   monitor = ${m}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The stats dump (SIGUSR2), keepalived's exact layout. */
export function formatStats(s: DaemonStatusView): string {
  const out: string[] = [];
  for (const i of s.instances) {
    const c = (k: string) => i.counters[k] ?? 0;
    out.push(`VRRP Instance: ${i.name}`);
    out.push('  Advertisements:');
    out.push(`    Received: ${c('advert_rcvd')}`);
    out.push(`    Sent: ${c('advert_sent')}`);
    out.push(`  Became master: ${c('become_master')}`);
    out.push(`  Released master: ${c('release_master')}`);
    out.push('  Packet Errors:');
    out.push(`    Length: ${c('packet_len_err')}`);
    out.push(`    TTL: ${c('ip_ttl_err')}`);
    out.push(`    Invalid Type: ${c('invalid_type_rcvd')}`);
    out.push(`    Advertisement Interval: ${c('advert_interval_err')}`);
    out.push(`    Address List: ${c('addr_list_err')}`);
    out.push('  Authentication Errors:');
    out.push(`    Invalid Type: ${c('invalid_authtype')}`);
    out.push(`    Type Mismatch: ${c('authtype_mismatch')}`);
    out.push(`    Failure: ${c('auth_failure')}`);
    out.push('  Priority Zero:');
    out.push(`    Received: ${c('pri_zero_rcvd')}`);
    out.push(`    Sent: ${c('pri_zero_sent')}`);
    const extra = Object.keys(i.counters).filter((k) => !(KEEPALIVED_STATS as readonly string[]).includes(k) && i.counters[k]);
    if (extra.length) {
      out.push('  Other drops (keepalived-ts):');
      for (const k of extra.sort()) out.push(`    ${k}: ${i.counters[k]}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The JSON dump (SIGRTMIN+2): keepalived's [{data, stats}] with its key names. */
export function formatJson(s: DaemonStatusView): string {
  const arr = s.instances.map((i) => {
    const stats: Record<string, number> = {};
    for (const k of KEEPALIVED_STATS) stats[k] = i.counters[k] ?? 0;
    for (const [k, v] of Object.entries(i.counters)) if (!(k in stats)) stats[k] = v;
    return {
      data: {
        iname: i.name,
        ifp_ifname: i.ifname,
        master_priority: i.masterPriority,
        last_transition: i.lastTransitionMs / 1000,
        garp_delay: i.garp.delayMs / 1000,
        garp_refresh: i.garp.refreshMs / 1000,
        garp_rep: i.garp.repeat,
        garp_refresh_rep: i.garp.refreshRepeat,
        garp_lower_prio_delay: i.garp.lowerPrioDelayMs / 1000,
        garp_lower_prio_rep: i.garp.lowerPrioRepeat,
        lower_prio_no_advert: i.lowerPrioNoAdvert ? 1 : 0,
        higher_prio_send_advert: i.higherPrioSendAdvert ? 1 : 0,
        vrid: i.vrid,
        base_priority: i.basePriority,
        effective_priority: i.effectivePriority,
        vipset: i.vipsSet,
        adver_int: i.adverIntervalMs / 1000,
        master_adver_int: i.masterAdverIntervalMs / 1000,
        accept: i.accept ? 1 : 0,
        nopreempt: i.nopreempt,
        preempt_delay: i.preemptDelayMs / 1000,
        state: STATE_NUMBER[i.state],
        wantstate: STATE_NUMBER[i.wantState ?? i.state],
        version: i.version,
        smtp_alert: i.smtpAlert,
        vips: i.vips.map((v) => (i.vipsSet ? `${v} set` : v)),
        auth_type: i.authType,
        // keepalived-ts additions
        state_name: i.state,
        family: i.family,
        master_address: i.masterAddress ?? null,
        src_ip: i.sourceAddress,
        faults: i.faults,
      },
      stats,
    };
  });
  return JSON.stringify(arr);
}
