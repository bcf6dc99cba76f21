/**
 * Test-side client of drivers/flood (the hostile-packet sender, run in a lab
 * host), and the receiving side's books: each daemon's drop counters and its
 * namespace's raw-socket kernel drops, so a flood can be accounted packet by
 * packet.
 */
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Lab } from './netns';
import type { ExpectedCounts, FloodSpec } from './drivers/flood';

export { MCAST, UNKNOWN_VRID, type FloodSpec, type FloodTarget, type ExpectedCounts } from './drivers/flood';

export const floodDriverPath = path.join(__dirname, 'drivers', 'flood.js');

export interface FloodDone {
  sent: number;
  errors: number;
  seconds: number;
  byCategory: Record<string, number>;
  expected: ExpectedCounts;
}

export interface RunningFlood {
  pid: number;
  /** When the sockets were open and sending began (epoch ms). */
  startedAt: number;
  done: Promise<FloodDone>;
}

/** Starts the sender in `host`; resolves once it sends. */
export async function startFlood(lab: Lab, host: number, spec: FloodSpec): Promise<RunningFlood> {
  const proc = lab.node(host, floodDriverPath, [JSON.stringify(spec)]);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: proc.stdout! });
  let onReady: (t: number) => void = () => undefined;
  let onDone: (d: FloodDone) => void = () => undefined;
  const ready = new Promise<number>((r) => (onReady = r));
  const done = new Promise<FloodDone>((resolve, reject) => {
    onDone = resolve;
    proc.once('exit', (code) => reject(new Error(`flood sender exited ${code}: ${stderr.trim()}`)));
  });
  lines.on('line', (l) => {
    const m = JSON.parse(l) as { event: string } & FloodDone;
    if (m.event === 'ready') onReady(Date.now());
    else if (m.event === 'done') onDone(m);
  });
  const startedAt = await Promise.race([ready, done.then(() => Date.now())]);
  done.catch(() => undefined);
  return { pid: proc.pid!, startedAt, done };
}

/** Packets the kernel dropped on protocol-112 raw sockets in host `h`'s namespace (/proc/net/raw "drops"). */
export async function rawDrops(lab: Lab, h: number): Promise<number> {
  const r = await lab.exec(h, ['cat', '/proc/net/raw']);
  let n = 0;
  for (const row of r.stdout.trim().split('\n').slice(1)) {
    const f = row.trim().split(/\s+/);
    if (f[1]?.endsWith(':0070')) n += Number(f[f.length - 1]) || 0;
  }
  return n;
}

/** Counters that are not drops. */
const NOT_DROPS = new Set(['advert_rcvd', 'advert_sent', 'become_master', 'release_master', 'pri_zero_rcvd', 'pri_zero_sent']);

/** A daemon's drop counters keyed as the flood's expectations are (`VRID/reason`, UNKNOWN_VRID). */
export function dropBook(st: { instances: { vrid: number; family: number; counters: Record<string, number> }[]; unknownVridRcvd?: number }): Record<string, number> {
  const out: Record<string, number> = { unknown_vrid: st.unknownVridRcvd ?? 0 };
  for (const i of st.instances) {
    if (i.family !== 4) continue;
    for (const [k, v] of Object.entries(i.counters)) if (!NOT_DROPS.has(k) && v) out[`${i.vrid}/${k}`] = v;
  }
  return out;
}

/** What host address `addr` should have counted: the multicast share plus what was sent to it. */
export function expectedFor(e: ExpectedCounts, addr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const where of ['mcast', addr]) for (const [k, v] of Object.entries(e[where] ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}
