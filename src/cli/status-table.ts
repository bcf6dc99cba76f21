/**
 * `keepalived-ts --status`: the control socket's status as text for people,
 * in the spirit of FRR's `show vrrp`: a summary line per instance, then per
 * instance its details (state, base and effective priority, master, VIPs,
 * advert interval, last transition with its time and reason, trackers),
 * sync groups, and the virtual and real servers with their checks.
 * Pure: the status and the time in, text out.
 */
import type { InstanceStatusView } from '../daemon/status';

/** What the table reads of the status (the control socket's JSON; older daemons may lack the newer fields). */
export interface StatusForTable {
  routerId: string;
  pid: number;
  instances: InstanceStatusView[];
  syncGroups: { name: string; state: string; members: string[] }[];
  checkers?: unknown;
}

interface CheckerForTable {
  virtualServers: {
    name: string;
    state: string;
    quorum: { quorum: number; hysteresis: number; up: boolean; liveWeight: number };
    sorryServer?: { name: string; inPool: boolean };
    realServers: {
      name: string;
      alive: boolean;
      weight: number;
      checkers: { type: string; up: boolean; lastResult: string | null; lastDurationMs?: number }[];
    }[];
  }[];
}

/** Columns padded to their widest cell (or `minWidths`); the last one is not padded. */
export function columns(rows: readonly (readonly string[])[], indent = '', minWidths: readonly number[] = []): string[] {
  const widths: number[] = [...minWidths];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-12-04 10:15:02Z` (UTC: logs and peers agree on it). */
export function utc(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}Z`;
}

/** `4s`, `3m12s`, `2h05m`, `3d4h`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

function master(i: InstanceStatusView): string {
  if (i.state === 'MASTER') return `${i.sourceAddress || 'this router'} (this router)`;
  return i.masterAddress ? `${i.masterAddress} (priority ${i.masterPriority})` : '-';
}

function lastTransition(i: InstanceStatusView, nowMs: number): string {
  if (!i.lastTransitionMs) return '-';
  const what = i.lastTransitionFrom ? `${i.lastTransitionFrom} -> ${i.state}` : i.state;
  return `${utc(i.lastTransitionMs)} (${age(nowMs - i.lastTransitionMs)} ago) ${what}${i.lastTransitionReason ? `: ${i.lastTransitionReason}` : ''}`;
}

/** The label column of every instance block, so blocks line up. */
const LABEL_WIDTH = 'Virtual IPs (set)'.length;

function instanceBlock(i: InstanceStatusView, nowMs: number): string[] {
  const rows: string[][] = [
    ['State', i.state + (i.wantState && i.wantState !== i.state ? ` (wants ${i.wantState})` : '')],
    ['Priority', i.effectivePriority === i.basePriority ? `${i.basePriority}` : `${i.basePriority} base, ${i.effectivePriority} effective`],
    ['Master', master(i)],
    ['Advert interval', i.masterAdverIntervalMs !== i.adverIntervalMs ? `${seconds(i.adverIntervalMs)} (master's ${seconds(i.masterAdverIntervalMs)})` : seconds(i.adverIntervalMs)],
    ['Last transition', lastTransition(i, nowMs)],
  ];
  const vips = i.vips.length ? i.vips : ['-'];
  vips.forEach((v, n) => rows.push([n === 0 ? `Virtual IPs${i.vipsSet ? ' (set)' : ''}` : '', v]));
  const trackers = i.trackers ?? [];
  if (trackers.length === 0) rows.push(['Trackers', '-']);
  trackers.forEach((t, n) => rows.push([n === 0 ? 'Trackers' : '', `${t.kind} ${t.name} ${t.ok ? 'UP' : 'DOWN'}${t.weight ? ` weight ${t.weight}` : ' (failure: FAULT)'}`]));
  if (i.faults.length) rows.push(['Faults', i.faults.join(', ')]);
  return [`VRRP instance ${i.name}: VRID ${i.vrid} on ${i.ifname}, VRRPv${i.version} IPv${i.family}`, ...columns(rows, '  ', [LABEL_WIDTH])];
}

function serversBlock(c: CheckerForTable): string[] {
  const rows: string[][] = [['Virtual server', 'Real server', 'State', 'Weight', 'Checks']];
  for (const vs of c.virtualServers) {
    const q = vs.quorum;
    const sorry = vs.sorryServer ? `, sorry server ${vs.sorryServer.name}${vs.sorryServer.inPool ? ' in pool' : ''}` : '';
    rows.push([vs.name, '', vs.state, `${q.liveWeight}`, `quorum ${q.quorum}${q.hysteresis ? `+-${q.hysteresis}` : ''} ${q.up ? 'up' : 'DOWN'}${sorry}`]);
    for (const rs of vs.realServers) {
      const checks = rs.checkers.map((k) => `${k.type} ${k.up ? 'up' : 'DOWN'}${k.lastResult ? ` (${k.lastResult}${k.lastDurationMs !== undefined ? `, ${k.lastDurationMs} ms` : ''})` : ''}`);
      rows.push(['', rs.name, rs.alive ? 'UP' : 'DOWN', `${rs.weight}`, checks.join('; ') || '-']);
    }
  }
  return columns(rows);
}

/** The whole text of `--status`. */
export function formatStatusTable(s: StatusForTable, nowMs: number): string {
  const out: string[] = [`keepalived-ts: router_id ${s.routerId}, pid ${s.pid}, ${utc(nowMs)}`, ''];
  if (s.instances.length === 0) out.push('No VRRP instance.', '');
  else {
    out.push(...columns([
      ['Instance', 'VRID', 'Interface', 'State', 'Prio', 'Eff', 'Master', 'VIPs'],
      ...s.instances.map((i) => [i.name, `${i.vrid}`, i.ifname, i.state, `${i.basePriority}`, `${i.effectivePriority}`,
        i.state === 'MASTER' ? 'this router' : i.masterAddress ?? '-', `${i.vips.length}`]),
    ]), '');
    for (const i of s.instances) out.push(...instanceBlock(i, nowMs), '');
  }
  if (s.syncGroups.length) {
    out.push(...columns([['Sync group', 'State', 'Members'], ...s.syncGroups.map((g) => [g.name, g.state, g.members.join(', ')])]), '');
  }
  const c = s.checkers as CheckerForTable | { error: string } | undefined;
  if (c && 'error' in c) out.push(`Checker process: no answer (${c.error})`, '');
  else if (c && c.virtualServers.length) out.push(...serversBlock(c), '');
  return out.join('\n');
}
