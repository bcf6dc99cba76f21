/**
 * The "VRRP under load" scenario of issue 9, shared by the benchmark
 * (bench/timing-under-load.ts) and its short end-to-end version
 * (test/e2e/timing-under-load.test.ts).
 *
 *   host 1: the master under test, priority 150, VI_1 (VRID 51) at the
 *           interval under test, plus its load:
 *             - `scripts` vrrp_scripts running /bin/true every second,
 *               tracked by VI_1;
 *             - `flappers` other instances (VRIDs 101..) that flap: a
 *               track_file (weight 0) toggled every second puts them in
 *               FAULT and back, and each transition runs notify_* and
 *               notify scripts;
 *             - keepalived-ts only (keepalived cannot run checkers without
 *               IPVS): one virtual_server whose `realServers` real servers
 *               on host 3 are checked by HTTP_GET with an MD5 digest of a
 *               `pageKb` page, delay_loop 1;
 *             - keepalived-ts only: KTS_BENCH_HEAP_CHURN_MB of allocation
 *               churn in the main process.
 *   host 2: an idle keepalived-ts backup, priority 100, VI_1 only: each of
 *           its takeovers is a false failover.
 *   host 3: the web servers, and (busy machine) CPU burners at nice 10.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Lab } from './netns';
import { startPeer, type Peer, type PeerKind } from './peers';
import { conf, instance } from './conf';
import { advertsFrom, vrrpFrames } from './frames';

export interface LoadOptions {
  /** advert_int of VI_1, as written ('0.01', '0.05', '0.1'). */
  advert: string;
  scripts: number;
  flappers: number;
  realServers: number;
  pageKb: number;
  churnMb: number;
}

export const FULL_LOAD: Omit<LoadOptions, 'advert'> = { scripts: 50, flappers: 20, realServers: 200, pageKb: 256, churnMb: 150 };

export const VIP = '192.0.2.100';
const WEB_HOST = 3;
const FIRST_PORT = 8001;

/** The master's configuration (keepalived gets the same without the virtual_server). */
export function masterConf(o: LoadOptions, kind: PeerKind, flapFile: string, md5: string, webAddress: string): string {
  const scripts = Array.from({ length: o.scripts }, (_, i) => `vrrp_script chk_${i + 1} {\n    script "/bin/true"\n    interval 1\n}`);
  const vi1 = instance({
    priority: 150,
    vips: [`${VIP}/24`],
    advert: o.advert,
    version: 3,
    trackScript: Array.from({ length: o.scripts }, (_, i) => `chk_${i + 1}`),
  });
  const flappers = Array.from({ length: o.flappers }, (_, i) =>
    instance({
      name: `FLAP_${i + 1}`,
      vrid: 101 + i,
      priority: 100,
      vips: [`198.51.100.${i + 1}/32`],
      advert: '0.1',
      version: 3,
      extra: [
        'track_file {', '    flap weight 0', '}',
        'notify_master "/bin/true master"', 'notify_backup "/bin/true backup"', 'notify_fault "/bin/true fault"', 'notify "/bin/true"',
      ],
    }),
  );
  const blocks = [...scripts, vi1, ...flappers];
  if (o.flappers > 0) blocks.unshift(`vrrp_track_file flap {\n    file ${flapFile}\n}`);
  if (kind === 'kts' && o.realServers > 0) {
    const rs = Array.from({ length: o.realServers }, (_, i) =>
      [
        `    real_server ${webAddress} ${FIRST_PORT + i} {`,
        '        HTTP_GET {',
        `            url {\n                path /\n                digest ${md5}\n            }`,
        '            connect_timeout 3',
        '        }',
        '    }',
      ].join('\n'),
    );
    blocks.push(['virtual_server 203.0.113.1 80 {', '    delay_loop 1', '    lb_algo rr', '    protocol TCP', ...rs, '}'].join('\n'));
  }
  return conf(['router_id load-master', 'script_user root'], ...blocks);
}

export function backupConf(o: LoadOptions): string {
  return conf(['router_id load-backup'], instance({ priority: 100, vips: [`${VIP}/24`], advert: o.advert, version: 3 }));
}

/** Host 3's HTTP servers; resolves with the page's MD5 once they listen. */
export async function startWebServers(lab: Lab, count: number, pageKb: number): Promise<{ proc: ChildProcess; md5: string }> {
  const proc = lab.node(WEB_HOST, path.join(__dirname, 'drivers', 'web-pages.js'), [lab.ipv4(WEB_HOST), String(FIRST_PORT), String(count), String(pageKb * 1024)]);
  const md5 = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('web servers did not start')), 15_000);
    readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as { event: string; md5: string };
      if (m.event === 'ready') {
        clearTimeout(t);
        resolve(m.md5);
      }
    });
    proc.once('exit', (c) => reject(new Error(`web servers exited ${c}`)));
  });
  return { proc, md5 };
}

/** Other work on the machine at a lower priority (a database host's batch jobs): one busy loop per core at nice 10. */
export function startBurners(lab: Lab, n: number): ChildProcess[] {
  return Array.from({ length: n }, () => lab.spawn(WEB_HOST, ['nice', '-n', '10', process.execPath, '-e', 'for(;;){}']));
}

/** Toggles the flappers' track file every second until stopped. */
export function startFlapping(file: string): () => void {
  let v = 0;
  fs.writeFileSync(file, '0\n');
  const t = setInterval(() => fs.writeFileSync(file, `${(v ^= 1)}\n`), 1000);
  return () => clearInterval(t);
}

export interface LoadRun {
  master: Peer;
  backup: Peer;
  /** Backup log index once settled: takeovers are counted from here. */
  from: number;
}

/** Start backup then master on a lab built for this scenario; resolves once VI_1 is MASTER on 1 and BACKUP on 2. */
export async function startPair(lab: Lab, kind: PeerKind, o: LoadOptions, md5: string, flapFile: string): Promise<LoadRun> {
  const backup = startPeer('kts', lab, 2, backupConf(o));
  const env = kind === 'kts' && o.churnMb > 0 ? { KTS_BENCH_HEAP_CHURN_MB: String(o.churnMb) } : undefined;
  const master = startPeer(kind, lab, 1, masterConf(o, kind, flapFile, md5, lab.ipv4(WEB_HOST)), { env });
  await master.waitState('MASTER', 'VI_1', 30_000);
  await backup.waitState('BACKUP', 'VI_1', 30_000);
  return { master, backup, from: backup.log.length };
}

/** Times the backup took VI_1 over since `from` (each is a false failover: the master never stopped). */
export function falseTakeovers(run: LoadRun): number {
  return run.backup.lines(/\(VI_1\) Entering MASTER STATE/, run.from).length;
}

/** The master's VI_1 advert times (ms) in a capture. */
export function masterAdvertTimes(lab: Lab, timed: { t: number; frame: Buffer }[]): number[] {
  return advertsFrom(vrrpFrames(timed), lab.ipv4(1), 51).map((f) => f.t);
}

/** Gaps between consecutive times. */
export function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}
