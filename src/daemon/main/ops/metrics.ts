/**
 * /metrics: the daemon's state in Prometheus's text format, built with
 * prom-client in a registry of its own for each scrape (every value is read
 * from one status answer, so counters are exact and nothing lingers from an
 * instance a reload removed).
 *
 * Two families:
 *  - the names, labels and value encodings of the most used keepalived
 *    exporter (mehdy/keepalived-exporter, whose Grafana dashboards read
 *    them): `keepalived_up`, `keepalived_vrrp_state{iname,intf,vrid,ip_address}`
 *    (one series per VIP; INIT 0, BACKUP 1, MASTER 2, FAULT 3),
 *    `keepalived_vrrp_excluded_state`, one counter per keepalived statistic
 *    (`keepalived_advertisements_received_total{iname,intf,vrid}` ...),
 *    `keepalived_gratuitous_arp_delay_total`, `keepalived_script_status{name}`
 *    (BAD 0, GOOD 1);
 *  - ours, `keepalived_ts_*`: priorities, the last transition and its
 *    reason, transitions by reason, our extra drop reasons, trackers, sync
 *    groups, notifications, real/virtual servers and check latency, event
 *    loop delay per process, children, build.
 *
 * Nothing from an authentication block is read here: labels come from
 * names, interfaces and addresses only.
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { describeVip } from '../../vrrp-process/settings';
import { KEEPALIVED_STATS, STATE_NUMBER, type InstanceStatusView } from '../../status';
import type { LoopDelayView } from '../../loop-delay';
import type { ScriptRunState } from '../../../track/script';
import { checkerStatus, isCheckerError, loopsOf, type OpsSnapshot } from './snapshot';

/** keepalived's statistics names → the exporter's metric names. */
export const EXPORTER_COUNTERS: Record<(typeof KEEPALIVED_STATS)[number], { name: string; help: string }> = {
  advert_rcvd: { name: 'keepalived_advertisements_received_total', help: 'Advertisements received' },
  advert_sent: { name: 'keepalived_advertisements_sent_total', help: 'Advertisements sent' },
  become_master: { name: 'keepalived_become_master_total', help: 'Became master' },
  release_master: { name: 'keepalived_release_master_total', help: 'Released master' },
  packet_len_err: { name: 'keepalived_packet_length_errors_total', help: 'Packet length errors' },
  advert_interval_err: { name: 'keepalived_advertisements_interval_errors_total', help: 'Advertisement interval errors' },
  ip_ttl_err: { name: 'keepalived_ip_ttl_errors_total', help: 'TTL errors' },
  invalid_type_rcvd: { name: 'keepalived_invalid_type_received_total', help: 'Invalid type errors' },
  addr_list_err: { name: 'keepalived_address_list_errors_total', help: 'Address list errors' },
  invalid_authtype: { name: 'keepalived_authentication_invalid_total', help: 'Authentication invalid' },
  authtype_mismatch: { name: 'keepalived_authentication_mismatch_total', help: 'Authentication mismatch' },
  auth_failure: { name: 'keepalived_authentication_failure_total', help: 'Authentication failure' },
  pri_zero_rcvd: { name: 'keepalived_priority_zero_received_total', help: 'Priority zero received' },
  pri_zero_sent: { name: 'keepalived_priority_zero_sent_total', help: 'Priority zero sent' },
};

/** The exporter's script state numbers (keepalived's words in its dump: idle 0, running 1, requested termination 2, forcing termination 3). */
const SCRIPT_STATE_NUMBER: Record<ScriptRunState, number> = { idle: 0, running: 1, 'requested termination': 2 };

const INSTANCE_LABELS = ['iname', 'intf', 'vrid'] as const;
const VIP_LABELS = ['iname', 'intf', 'vrid', 'ip_address'] as const;

/**
 * A VIP as keepalived's dump writes it ("192.0.2.1/24 dev eth0 scope global",
 * a host address without its /32 or /128), split as the exporter does:
 * the first word is ip_address, the third the interface.
 */
export function vipLabels(desc: string): { ip: string; intf: string } | undefined {
  const w = desc.split(' ');
  if (w.length < 3) return undefined;
  return { ip: w[0].replace(/\/(32|128)$/, ''), intf: w[2] };
}

/** A histogram whose buckets were counted elsewhere (the checker process): prom-client's shape, our numbers. */
class CountedHistogram {
  readonly type = 'histogram';
  private readonly values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];

  constructor(readonly name: string, readonly help: string) {}

  add(labels: Record<string, string>, bucketsS: readonly number[], cumulative: readonly number[], count: number, sumS: number): void {
    bucketsS.forEach((le, i) => this.values.push({ labels: { ...labels, le }, value: cumulative[i] ?? 0, metricName: `${this.name}_bucket` }));
    this.values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` });
    this.values.push({ labels, value: sumS, metricName: `${this.name}_sum` });
    this.values.push({ labels, value: count, metricName: `${this.name}_count` });
  }

  get(): { name: string; help: string; type: string; values: CountedHistogram['values']; aggregator: string } {
    return { name: this.name, help: this.help, type: this.type, values: this.values, aggregator: 'sum' };
  }
}

/** Gauges and counters of one scrape, registered on first use. */
class Scrape {
  readonly registry = new Registry();
  private readonly made = new Map<string, Gauge | Counter | CountedHistogram>();

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.get(name, () => new Gauge({ name, help, labelNames, registers: [this.registry] })) as Gauge;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.get(name, () => new Counter({ name, help, labelNames, registers: [this.registry] })) as Counter;
  }

  histogram(name: string, help: string): CountedHistogram {
    return this.get(name, () => {
      const h = new CountedHistogram(name, help);
      this.registry.registerMetric(h as unknown as Metric);
      return h;
    }) as CountedHistogram;
  }

  private get(name: string, make: () => Gauge | Counter | CountedHistogram): Gauge | Counter | CountedHistogram {
    let m = this.made.get(name);
    if (!m) this.made.set(name, (m = make()));
    return m;
  }
}

/** Counters are set once per scrape: `inc` on a fresh counter is a set. */
function setCounter(c: Counter, labels: Record<string, string>, v: number): void {
  c.inc(labels, Math.max(0, v));
}

/** The whole /metrics page. */
export async function metricsText(snap: OpsSnapshot): Promise<string> {
  const sc = new Scrape();
  sc.gauge('keepalived_up', 'Status').set(snap.status ? 1 : 0);
  sc.gauge('keepalived_ts_build_info', 'keepalived-ts build: version, Node.js version and git commit', ['version', 'node_version', 'commit'])
    .set({ version: snap.build.version, node_version: snap.build.node, commit: snap.build.commit }, 1);
  loopMetrics(sc, loopsOf(snap));
  const s = snap.status;
  if (!s) return sc.registry.metrics();
  for (const i of s.instances) instanceMetrics(sc, snap, i);
  transitionMetrics(sc, snap);
  trackerMetrics(sc, s.trackerStates);
  for (const r of s.scriptRuns ?? []) sc.gauge('keepalived_script_state', 'Tracker Script State', ['name']).set({ name: r.name }, SCRIPT_STATE_NUMBER[r.state]);
  for (const g of s.syncGroups) {
    sc.gauge('keepalived_ts_sync_group_state', 'Sync group state (INIT 0, BACKUP 1, MASTER 2, FAULT 3)', ['group']).set({ group: g.name }, STATE_NUMBER[g.state] ?? -1);
  }
  notifyMetrics(sc, s.notify);
  processMetrics(sc, s.processes);
  resourceMetrics(sc, s.resources);
  checkerMetrics(sc, snap);
  return sc.registry.metrics();
}

function instanceMetrics(sc: Scrape, snap: OpsSnapshot, i: InstanceStatusView): void {
  const il = { iname: i.name, intf: i.ifname, vrid: String(i.vrid) };
  const state = STATE_NUMBER[i.state] ?? -1;
  // The exporter's state: one series per VIP (labels from keepalived's VIP line), or one with ip_address="".
  const vs = sc.gauge('keepalived_vrrp_state', 'State of vrrp', VIP_LABELS);
  const vips = i.vips.map(vipLabels).filter((v) => v !== undefined);
  for (const v of vips) vs.set({ ...il, intf: v.intf, ip_address: v.ip }, state);
  if (vips.length === 0) vs.set({ ...il, ip_address: '' }, state);
  const cfg = snap.config.instances.find((c) => c.name === i.name);
  const excluded = (cfg?.virtualIpaddressExcluded ?? []).map((v) => vipLabels(describeVip(v))).filter((v) => v !== undefined);
  const ex = excluded.length ? sc.gauge('keepalived_vrrp_excluded_state', 'State of vrrp with excluded VIP', VIP_LABELS) : undefined;
  for (const v of excluded) ex!.set({ ...il, intf: v.intf, ip_address: v.ip }, state);
  setCounter(sc.counter('keepalived_gratuitous_arp_delay_total', 'Gratuitous ARP delay', INSTANCE_LABELS), il, Math.floor(i.garp.delayMs / 1000));
  for (const k of KEEPALIVED_STATS) setCounter(sc.counter(EXPORTER_COUNTERS[k].name, EXPORTER_COUNTERS[k].help, INSTANCE_LABELS), il, i.counters[k] ?? 0);
  // Ours: every other drop reason the instance counts, by reason.
  const drops = sc.counter('keepalived_ts_vrrp_dropped_total', 'Adverts dropped for a reason keepalived has no statistic for', [...INSTANCE_LABELS, 'reason']);
  for (const [k, v] of Object.entries(i.counters)) if (!(k in EXPORTER_COUNTERS)) setCounter(drops, { ...il, reason: k }, v);
  sc.gauge('keepalived_ts_vrrp_base_priority', 'Configured priority', INSTANCE_LABELS).set(il, i.basePriority);
  sc.gauge('keepalived_ts_vrrp_effective_priority', 'Priority after trackers (the one advertised)', INSTANCE_LABELS).set(il, i.effectivePriority);
  sc.gauge('keepalived_ts_vrrp_master_priority', 'Priority of the master last heard (0: none, or this router is master)', INSTANCE_LABELS).set(il, i.masterPriority);
  sc.gauge('keepalived_ts_vrrp_advert_interval_seconds', 'Advertisement interval in use (the master\'s, for a backup)', INSTANCE_LABELS).set(il, i.masterAdverIntervalMs / 1000);
  sc.gauge('keepalived_ts_vrrp_faults', 'Fault sources and failing trackers holding the instance', INSTANCE_LABELS).set(il, i.faults.length);
  if (i.lastTransitionMs > 0) {
    sc.gauge('keepalived_ts_vrrp_last_transition_timestamp_seconds', 'When the instance last changed state (Unix time)', INSTANCE_LABELS).set(il, i.lastTransitionMs / 1000);
  }
  sc.gauge('keepalived_ts_vrrp_last_transition_info', 'The last transition: states and reason (value 1)', [...INSTANCE_LABELS, 'from', 'state', 'reason'])
    .set({ ...il, from: i.lastTransitionFrom ?? '', state: i.state, reason: i.lastTransitionReason ?? '' }, 1);
  for (const t of i.trackers ?? []) {
    sc.gauge('keepalived_ts_vrrp_tracker_up', 'A tracker of the instance: 1 up, 0 failed', [...INSTANCE_LABELS, 'kind', 'name']).set({ ...il, kind: t.kind, name: t.name }, t.ok ? 1 : 0);
    sc.gauge('keepalived_ts_vrrp_tracker_weight', 'A tracker\'s weight on the instance (0: failure means FAULT)', [...INSTANCE_LABELS, 'kind', 'name']).set({ ...il, kind: t.kind, name: t.name }, t.weight);
  }
}

/** The trackers as main runs them: the exporter's script status (keepalived's "Status = GOOD/BAD"; not yet run: none), ours for the others. */
function trackerMetrics(sc: Scrape, states: OpsSnapshotStatus['trackerStates'] | undefined): void {
  for (const t of states ?? []) {
    if (t.kind === 'file') sc.gauge('keepalived_ts_track_file_value', 'The number in a vrrp_track_file', ['name']).set({ name: t.name }, t.value);
    else if (t.status === 'unknown') continue;
    else if (t.kind === 'script') sc.gauge('keepalived_script_status', 'Tracker Script Status', ['name']).set({ name: t.name }, t.status === 'ok' ? 1 : 0);
    else sc.gauge('keepalived_ts_track_process_up', 'A vrrp_track_process: 1 running as required, 0 not', ['name']).set({ name: t.name }, t.status === 'ok' ? 1 : 0);
  }
}

function transitionMetrics(sc: Scrape, snap: OpsSnapshot): void {
  const c = sc.counter('keepalived_ts_vrrp_transitions_total', 'State changes seen by the main process since it started, by reason', ['kind', 'name', 'state', 'reason']);
  for (const t of snap.transitionTotals) setCounter(c, { kind: t.kind, name: t.name, state: t.state, reason: t.reason }, t.count);
}

function notifyMetrics(sc: Scrape, n: OpsSnapshotStatus['notify']): void {
  setCounter(sc.counter('keepalived_ts_notify_scripts_started_total', 'Notify scripts started'), {}, n.scriptsStarted);
  const done = sc.counter('keepalived_ts_notify_scripts_finished_total', 'Notify scripts finished, by result', ['result']);
  const bad = n.scriptsFailed + n.scriptsTimedOut + n.scriptsNotStarted;
  setCounter(done, { result: 'ok' }, n.scriptsRun - bad);
  setCounter(done, { result: 'failed' }, n.scriptsFailed);
  setCounter(done, { result: 'timed_out' }, n.scriptsTimedOut);
  setCounter(done, { result: 'not_started' }, n.scriptsNotStarted);
  sc.gauge('keepalived_ts_notify_scripts_running', 'Notify scripts started and not finished').set(Math.max(0, n.scriptsStarted - n.scriptsRun));
  sc.gauge('keepalived_ts_notify_queue_depth', 'Notify jobs (scripts, mails) queued or running').set(n.pending ?? 0);
  const fifo = sc.counter('keepalived_ts_notify_fifo_lines_total', 'Lines for the notify FIFOs, by result', ['result']);
  setCounter(fifo, { result: 'written' }, n.fifoLines);
  setCounter(fifo, { result: 'dropped' }, n.fifoDropped);
  const mail = sc.counter('keepalived_ts_notify_mails_total', 'Notification mails, by result', ['result']);
  setCounter(mail, { result: 'sent' }, n.mailsSent);
  setCounter(mail, { result: 'failed' }, n.mailsFailed);
}

type OpsSnapshotStatus = NonNullable<OpsSnapshot['status']>;

function processMetrics(sc: Scrape, p: OpsSnapshotStatus['processes']): void {
  const up = sc.gauge('keepalived_ts_process_up', 'A process of the daemon runs (1) or not (0)', ['process']);
  up.set({ process: 'main' }, 1);
  up.set({ process: 'vrrp' }, p.vrrp ? 1 : 0);
  up.set({ process: 'checker' }, p.checker ? 1 : 0);
  const r = sc.counter('keepalived_ts_process_restarts_total', 'Children started again after they died', ['process']);
  setCounter(r, { process: 'vrrp' }, p.vrrpRestarts);
  setCounter(r, { process: 'checker' }, p.checkerRestarts);
}

function resourceMetrics(sc: Scrape, r: OpsSnapshotStatus['resources'] | undefined): void {
  for (const [process, res] of Object.entries(r ?? {})) {
    if (!res) continue;
    sc.gauge('keepalived_ts_process_resident_memory_bytes', 'Resident memory of each process', ['process']).set({ process }, res.rssKb * 1024);
    if (res.fds >= 0) sc.gauge('keepalived_ts_process_open_fds', 'Open file descriptors of each process', ['process']).set({ process }, res.fds);
  }
}

function loopMetrics(sc: Scrape, loops: readonly LoopDelayView[]): void {
  const g = sc.gauge('keepalived_ts_event_loop_delay_seconds', 'How late each process\'s event loop ran over the last 30-60 s', ['process', 'stat']);
  for (const l of loops) {
    for (const [stat, v] of [['mean', l.meanMs], ['p50', l.p50Ms], ['p99', l.p99Ms], ['max', l.maxMs]] as const) g.set({ process: l.process, stat }, v / 1000);
  }
}

function checkerMetrics(sc: Scrape, snap: OpsSnapshot): void {
  const c = checkerStatus(snap.status);
  if (!c) return;
  sc.gauge('keepalived_ts_checker_status_up', 'The checker process answered the status request (1) or not (0)').set(isCheckerError(c) ? 0 : 1);
  if (isCheckerError(c)) return;
  for (const vs of c.virtualServers) {
    const vl = { virtual_server: vs.name };
    sc.gauge('keepalived_ts_virtual_server_quorum_up', 'Virtual server quorum: 1 up, 0 down', ['virtual_server']).set(vl, vs.quorum.up ? 1 : 0);
    sc.gauge('keepalived_ts_virtual_server_quorum', 'Configured quorum (weight needed)', ['virtual_server']).set(vl, vs.quorum.quorum);
    sc.gauge('keepalived_ts_virtual_server_live_weight', 'Sum of the weights of the live real servers', ['virtual_server']).set(vl, vs.quorum.liveWeight);
    for (const rs of vs.realServers) {
      const rl = { ...vl, real_server: rs.name };
      sc.gauge('keepalived_ts_real_server_up', 'Real server: 1 alive (all its checkers up), 0 failed', ['virtual_server', 'real_server']).set(rl, rs.alive ? 1 : 0);
      sc.gauge('keepalived_ts_real_server_weight', 'Real server effective weight', ['virtual_server', 'real_server']).set(rl, rs.weight);
      for (const ck of rs.checkers) {
        const cl = { ...rl, checker: ck.type, index: String(ck.index) };
        sc.gauge('keepalived_ts_checker_up', 'A health checker of a real server: 1 up, 0 down', ['virtual_server', 'real_server', 'checker', 'index']).set(cl, ck.up ? 1 : 0);
        setCounter(sc.counter('keepalived_ts_checker_runs_total', 'Probes run by a health checker', ['virtual_server', 'real_server', 'checker', 'index']), cl, ck.runs);
        const d = ck.durations;
        if (d) {
          sc.histogram('keepalived_ts_check_duration_seconds', 'How long health check probes took')
            .add(cl, d.bucketsMs.map((b) => b / 1000), d.counts, d.count, d.sumMs / 1000);
        }
      }
    }
  }
}
