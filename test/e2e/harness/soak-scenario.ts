/**
 * The soak's world (bench/soak.ts, test/e2e/soak.test.ts): three
 * keepalived-ts hosts, each master of one instance, and what the protocol
 * says must hold in any state of the faults.
 *
 *   VI_FAST  VRRPv3 IPv4, advert_int 0.1, VRID 10, 192.0.2.100/24, priorities 150/120/100,
 *            tracks the vrrp_script chk_app (weight -60), no_accept (nftables drop rules)
 *   VI_SLOW  VRRPv2, advert_int 1, PASS auth, VRID 20, 192.0.2.200/24, priorities 100/150/120,
 *            tracks the track_file tf_slow with weight 0 (non-zero: FAULT)
 *   VI_V6    VRRPv3 IPv6, advert_int 0.5, VRID 30, 2001:db8::100/64, priorities 120/100/150
 *   a virtual_server with a TCP_CHECK of host 4, so every daemon runs its checker process.
 *
 * Host 4 is the outside world: the real server, and the hostile-packet sender.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conf, instance, masterDownMs } from './conf';

export const DAEMON_HOSTS = [1, 2, 3] as const;
export const OUTSIDE_HOST = 4;
export const REAL_SERVER_PORT = 8080;

export interface SoakInstance {
  name: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  advert: string;
  intervalMs: number;
  /** VIPs with prefix, as configured; the first one is always there. */
  vips: string[];
  /** Base priority on hosts 1, 2, 3. */
  priority: [number, number, number];
  pass?: string;
  trackScript?: boolean;
  trackFile?: boolean;
  noAccept?: boolean;
}

export const SCRIPT_WEIGHT = -60;

export const INSTANCES: SoakInstance[] = [
  { name: 'VI_FAST', vrid: 10, version: 3, family: 4, advert: '0.1', intervalMs: 100, vips: ['192.0.2.100/24'], priority: [150, 120, 100], trackScript: true, noAccept: true },
  { name: 'VI_SLOW', vrid: 20, version: 2, family: 4, advert: '1', intervalMs: 1000, vips: ['192.0.2.200/24'], priority: [100, 150, 120], pass: 'soak1234', trackFile: true },
  { name: 'VI_V6', vrid: 30, version: 3, family: 6, advert: '0.5', intervalMs: 500, vips: ['2001:db8::100/64'], priority: [120, 100, 150] },
];

/** The VIP a reload adds to VI_SLOW (and a later one removes). */
export const EXTRA_VIP = '192.0.2.201/24';

export const bare = (vip: string): string => vip.split('/')[0];

/** The state the faults change; the configuration and the expected election follow from it. */
export interface WorldModel {
  /** Base priority per host, per instance name (reloads change it). */
  priority: Record<number, Record<string, number>>;
  /** Hosts whose chk_app fails. */
  scriptFail: Set<number>;
  /** Hosts whose tf_slow holds a non-zero value. */
  fileFault: Set<number>;
  /** VI_SLOW carries EXTRA_VIP too. */
  extraVip: boolean;
}

export function baseModel(): WorldModel {
  const priority: WorldModel['priority'] = {};
  for (const h of DAEMON_HOSTS) priority[h] = Object.fromEntries(INSTANCES.map((i) => [i.name, i.priority[h - 1]]));
  return { priority, scriptFail: new Set(), fileFault: new Set(), extraVip: false };
}

export function cloneModel(m: WorldModel): WorldModel {
  return {
    priority: Object.fromEntries(Object.entries(m.priority).map(([h, p]) => [h, { ...p }])),
    scriptFail: new Set(m.scriptFail),
    fileFault: new Set(m.fileFault),
    extraVip: m.extraVip,
  };
}

export function vipsOf(i: SoakInstance, m: WorldModel): string[] {
  return i.name === 'VI_SLOW' && m.extraVip ? [...i.vips, EXTRA_VIP] : i.vips;
}

/** Every VIP the soak may configure (a VIP not configured now must be on no host). */
export function allVips(): string[] {
  return [...INSTANCES.flatMap((i) => i.vips), EXTRA_VIP].map(bare);
}

/** The files a host's trackers read: stable across daemon restarts. */
export interface HostFiles {
  dir: string;
  script: string;
  scriptState: string;
  trackFile: string;
}

export function hostFiles(labDir: string, host: number): HostFiles {
  const dir = path.join(labDir, `soak-h${host}`);
  return { dir, script: path.join(dir, 'chk_app.sh'), scriptState: path.join(dir, 'chk_app.state'), trackFile: path.join(dir, 'tf_slow') };
}

export function writeHostFiles(f: HostFiles): void {
  fs.mkdirSync(f.dir, { recursive: true });
  fs.writeFileSync(f.scriptState, '0\n');
  fs.writeFileSync(f.script, `#!/bin/sh\nexit $(cat ${f.scriptState})\n`, { mode: 0o755 });
  fs.writeFileSync(f.trackFile, '0\n');
}

/** keepalived.conf of `host` in model `m`. */
export function soakConf(host: number, m: WorldModel, f: HostFiles, realServer: string): string {
  const blocks = [
    ['vrrp_script chk_app {', `    script "${f.script}"`, '    interval 1', '    fall 1', '    rise 1', `    weight ${SCRIPT_WEIGHT}`, '}'].join('\n'),
    ['vrrp_track_file tf_slow {', `    file ${f.trackFile}`, '}'].join('\n'),
    ...INSTANCES.map((i) =>
      instance({
        name: i.name,
        vrid: i.vrid,
        priority: m.priority[host][i.name],
        advert: i.advert,
        version: i.version,
        pass: i.pass,
        vips: vipsOf(i, m),
        trackScript: i.trackScript ? ['chk_app'] : undefined,
        extra: [...(i.trackFile ? ['track_file {', '    tf_slow weight 0', '}'] : []), ...(i.noAccept ? ['no_accept'] : [])],
      }),
    ),
    [
      'virtual_server 203.0.113.1 80 {',
      '    delay_loop 2',
      '    lb_algo rr',
      '    lb_kind NAT',
      '    protocol TCP',
      `    real_server ${realServer} ${REAL_SERVER_PORT} {`,
      '        TCP_CHECK {',
      '            connect_timeout 1',
      '        }',
      '    }',
      '}',
    ].join('\n'),
  ];
  return conf([`router_id soak-h${host}`, 'script_user root'], ...blocks);
}

export type InstanceState = 'MASTER' | 'BACKUP' | 'FAULT';

/**
 * Hosts that hear each other. Every host in some island takes part in its
 * island's election; `linkDown` hosts are in an island of their own with
 * every instance in FAULT. Hosts in no island (crashed, stopped, VRRP
 * process dead) are not judged.
 */
export interface Topology {
  islands: number[][];
  linkDown: Set<number>;
}

export const whole = (): Topology => ({ islands: [[...DAEMON_HOSTS]], linkDown: new Set() });

export function judged(t: Topology): number[] {
  return t.islands.flat().sort();
}

/** Effective priority of `i` on `host` (RFC 5798 §6.1 / keepalived: weight added, clamped 1..254). */
export function effectivePriority(i: SoakInstance, host: number, m: WorldModel): number {
  const base = m.priority[host][i.name];
  if (base === 255) return 255;
  const w = i.trackScript && m.scriptFail.has(host) ? SCRIPT_WEIGHT : 0;
  return Math.min(254, Math.max(1, base + w));
}

export function expectedState(i: SoakInstance, host: number, m: WorldModel, t: Topology): InstanceState {
  if (t.linkDown.has(host) || (i.trackFile && m.fileFault.has(host))) return 'FAULT';
  const island = t.islands.find((x) => x.includes(host)) ?? [host];
  return expectedMaster(i, island, m, t) === host ? 'MASTER' : 'BACKUP';
}

/** The master of `i` among `island`: highest effective priority, ties to the higher address (RFC 5798 §6.4.3). */
export function expectedMaster(i: SoakInstance, island: readonly number[], m: WorldModel, t: Topology): number | undefined {
  let best: number | undefined;
  for (const h of island) {
    if (t.linkDown.has(h) || (i.trackFile && m.fileFault.has(h))) continue;
    if (best === undefined) best = h;
    else {
      const a = effectivePriority(i, h, m);
      const b = effectivePriority(i, best, m);
      if (a > b || (a === b && h > best)) best = h; // hosts' addresses grow with their number
    }
  }
  return best;
}

/** Hosts that must hold `i`'s VIPs: one master per island. */
export function expectedHolders(i: SoakInstance, m: WorldModel, t: Topology): number[] {
  return t.islands.map((isl) => expectedMaster(i, isl, m, t)).filter((h): h is number => h !== undefined).sort();
}

/**
 * The protocol's bound for `i` to have its one master after a change among
 * `hosts`: Master_Down_Interval of the lowest-priority backup there (3 x
 * Advertisement_Interval + Skew_Time, RFC 5798 §6.1 / RFC 3768 §6.1, at the
 * lowest effective priority any of them has now), plus one
 * Advertisement_Interval (the old master hears the new one's first advert
 * and steps down), plus `slackMs`.
 */
export function healBoundMs(i: SoakInstance, m: WorldModel, hosts: readonly number[], slackMs: number): number {
  const lowest = Math.min(...hosts.map((h) => effectivePriority(i, h, m)));
  return masterDownMs(lowest, i.intervalMs, i.version) + i.intervalMs + slackMs;
}
