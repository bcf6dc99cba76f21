/**
 * A status as the main process answers it (two instances, a sync group, a
 * virtual server with two real servers), for the metrics, page and --status
 * table tests. Times are fixed: NOW is 2026-12-04 10:20:00Z.
 */
import type { KeepalivedConfig } from '../../../../src/config/model';
import { parseConfigText } from '../../../../src/config';
import type { InstanceStatusView } from '../../../../src/daemon/status';
import type { MainStatus } from '../../../../src/daemon/main/main-process';
import { TransitionLog, type OpsSnapshot, type TransitionRecord, type TransitionTotal } from '../../../../src/daemon/main/ops/snapshot';
import { CHECK_DURATION_BUCKETS_MS } from '../../../../src/daemon/checker-process/check-durations';

export const NOW = Date.UTC(2026, 11, 4, 10, 20, 0);
export const SECRET = 'Zq9sEcrT';

export const CONFIG_TEXT = `global_defs {
  router_id lb1
  http_listen 127.0.0.1 9650
}
vrrp_script chk_web {
  script "/bin/true"
  weight -20
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  authentication {
    auth_type PASS
    auth_pass ${SECRET}
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101
  }
  virtual_ipaddress_excluded {
    198.51.100.50/32
  }
  track_script {
    chk_web
  }
}
vrrp_instance VI_6 {
  interface eth1
  virtual_router_id 52
  priority 100
  version 3
  virtual_ipaddress {
    2001:db8::100/64
  }
}
`;

export function config(): KeepalivedConfig {
  return parseConfigText(CONFIG_TEXT, '/etc/keepalived/keepalived.conf', { hostname: 'lb1' }).config;
}

const counters = (over: Record<string, number>): Record<string, number> => ({
  advert_rcvd: 0, advert_sent: 0, become_master: 0, release_master: 0, packet_len_err: 0, advert_interval_err: 0, ip_ttl_err: 0,
  invalid_type_rcvd: 0, addr_list_err: 0, invalid_authtype: 0, authtype_mismatch: 0, auth_failure: 0, pri_zero_rcvd: 0, pri_zero_sent: 0,
  checksum_err: 0, version_err: 0, vrid_err: 0, addr_family_err: 0, ...over,
});

function instance(over: Partial<InstanceStatusView>): InstanceStatusView {
  return {
    name: 'VI_1', version: 2, family: 4, state: 'MASTER', ifname: 'eth0', vrid: 51, basePriority: 150, effectivePriority: 130,
    masterPriority: 0, sourceAddress: '192.0.2.1', mcastGroup: '224.0.0.18', unicastPeers: [], adverIntervalMs: 1000,
    masterAdverIntervalMs: 1000, masterDownIntervalMs: 3414, lastTransitionMs: NOW - 192_000, lastTransitionFrom: 'BACKUP',
    lastTransitionReason: 'master_down_timer', accept: true, nopreempt: false, preemptDelayMs: 0, authType: 1,
    vips: ['192.0.2.100/24 dev eth0 scope global', '192.0.2.101/32 dev eth0 scope global'], vipsSet: true,
    garp: { delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1, lowerPrioDelayMs: 5000, lowerPrioRepeat: 5 },
    lowerPrioNoAdvert: false, higherPrioSendAdvert: false, downTimerAdverts: 3, smtpAlert: false, faults: [],
    counters: counters({ advert_rcvd: 12, advert_sent: 345, become_master: 2, release_master: 1, ip_ttl_err: 3, checksum_err: 4, pri_zero_rcvd: 1 }),
    trackers: [{ kind: 'script', name: 'chk_web', ok: false, weight: -20 }],
    ...over,
  };
}

export function status(): MainStatus {
  return {
    routerId: 'lb1',
    pid: 4242,
    startedAtMs: NOW - 3_600_000,
    instances: [
      instance({}),
      instance({
        name: 'VI_6', version: 3, family: 6, state: 'BACKUP', ifname: 'eth1', vrid: 52, basePriority: 100, effectivePriority: 100,
        masterPriority: 200, masterAddress: 'fe80::2', sourceAddress: 'fe80::1', mcastGroup: 'ff02::12', adverIntervalMs: 100,
        masterAdverIntervalMs: 100, lastTransitionMs: NOW - 3_599_000, lastTransitionFrom: 'INIT', lastTransitionReason: 'startup',
        authType: 0, vips: ['2001:db8::100/64 dev eth1 scope global'], vipsSet: false, counters: counters({ advert_rcvd: 36000 }),
        trackers: [],
      }),
    ],
    syncGroups: [{ name: 'G1', state: 'MASTER', members: ['VI_1'] }],
    eventLoop: { process: 'vrrp', pid: 4243, samples: 1500, meanMs: 0.3, p50Ms: 0.2, p99Ms: 1.5, maxMs: 4.25, windowMs: 30_000 },
    notify: { scriptsStarted: 7, scriptsRun: 6, scriptsFailed: 1, scriptsTimedOut: 1, scriptsNotStarted: 0, fifoLines: 9, fifoDropped: 0, mailsSent: 2, mailsFailed: 1, pending: 2 },
    trackerStates: [
      { kind: 'script', name: 'chk_web', status: 'fail' },
      { kind: 'script', name: 'chk_spare', status: 'ok' },
      { kind: 'script', name: 'chk_new', status: 'unknown' },
      { kind: 'process', name: 'nginx', status: 'ok' },
      { kind: 'file', name: 'weight_file', value: -7 },
    ],
    scriptRuns: [{ name: 'chk_web', state: 'running' }, { name: 'chk_spare', state: 'idle' }, { name: 'chk_new', state: 'requested termination' }],
    checkers: {
      dataPlane: 'nftables',
      running: true,
      eventLoop: { process: 'checker', pid: 4244, samples: 1500, meanMs: 1, p50Ms: 0.5, p99Ms: 12, maxMs: 30, windowMs: 30_000 },
      virtualServers: [{
        name: '[192.0.2.10]:tcp:80',
        state: 'UP',
        quorum: { quorum: 1, hysteresis: 0, up: true, liveWeight: 3 },
        realServers: [
          {
            name: '[198.51.100.11]:tcp:8080', address: '198.51.100.11', port: 8080, alive: true, weight: 3, configuredWeight: 3, inhibitOnFailure: false,
            checkers: [{
              type: 'HTTP_GET', index: 0, up: true, hasRun: true, runs: 4, retries: 0, inFlight: false, lastResult: 'status 200', lastDurationMs: 12.5,
              durations: { bucketsMs: CHECK_DURATION_BUCKETS_MS, counts: [0, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4], count: 4, sumMs: 50 },
            }],
          },
          {
            name: '[198.51.100.12]:tcp:8080', address: '198.51.100.12', port: 8080, alive: false, weight: 1, configuredWeight: 1, inhibitOnFailure: false,
            checkers: [{ type: 'TCP_CHECK', index: 0, up: false, hasRun: true, runs: 3, retries: 0, inFlight: false, lastResult: `connect ECONNREFUSED ${SECRET}`, lastDurationMs: 0.8 }],
          },
        ],
      }],
    },
    processes: { main: 4242, vrrp: 4243, checker: 4244, vrrpRestarts: 1, checkerRestarts: 0 },
    resources: {
      main: { pid: 4242, fds: 21, children: 0, handles: { Timeout: 2 }, rssKb: 51_200, heapUsedKb: 9_000 },
      vrrp: { pid: 4243, fds: 12, children: 0, handles: { Timeout: 1 }, rssKb: 40_960, heapUsedKb: 4_000 },
    },
  };
}

const TRANSITIONS: TransitionRecord[] = [
  { atMs: NOW - 3_599_000, kind: 'INSTANCE', name: 'VI_1', from: 'INIT', state: 'BACKUP', reason: 'startup', priority: 130 },
  { atMs: NOW - 3_599_000, kind: 'INSTANCE', name: 'VI_6', from: 'INIT', state: 'BACKUP', reason: 'startup', priority: 100 },
  { atMs: NOW - 192_000, kind: 'INSTANCE', name: 'VI_1', from: 'BACKUP', state: 'MASTER', reason: 'master_down_timer', priority: 130 },
  { atMs: NOW - 192_000, kind: 'GROUP', name: 'G1', from: 'BACKUP', state: 'MASTER', reason: 'sync_group', priority: 0 },
];

/** The counts a TransitionLog keeps for these records. */
export function totalsOf(ts: readonly TransitionRecord[]): TransitionTotal[] {
  const log = new TransitionLog(ts.length || 1);
  for (const t of ts) log.record(t);
  return [...log.totals];
}

export function snapshot(over: Partial<OpsSnapshot> = {}): OpsSnapshot {
  return {
    nowMs: NOW,
    status: status(),
    config: config(),
    transitions: TRANSITIONS,
    transitionTotals: totalsOf(TRANSITIONS),
    mainLoop: { process: 'main', pid: 4242, samples: 1500, meanMs: 0.5, p50Ms: 0.4, p99Ms: 3, maxMs: 8, windowMs: 30_000 },
    build: { version: '0.1.0', node: 'v20.20.2', commit: 'abc123' },
    ...over,
  };
}
