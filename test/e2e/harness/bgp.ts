/**
 * The pieces of the route_announce end-to-end tests (issue 13) that do not
 * depend on the hosts' routing daemon: keepalived-ts configurations, a TCP
 * service on each host, a client behind the router that keeps asking it,
 * and the checks on the router's route timeline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { after, describe, test } from 'node:test';
import { labUnavailableReason, waitFor, type Lab } from './netns';
import { startKts, type Peer } from './peers';
import { descendants } from './proctree';
import { labSuite } from './suite';
import { birdMissing, BirdNode, hostBirdConfig } from './bird';
import { CLIENT, FrrNode, frrMissing, hostFrrConfig, ROUTER, routerConfig, RouteWatch, wireBgpLab, type RouteChange } from './frr';

export const VIP = '198.51.100.10';
export const VIP6 = '2001:db8:100::10';
export const PORT = 8080;
export const PRIO: Record<number, number> = { 2: 150, 3: 100 };

/**
 * A host's keepalived.conf: one instance, VRRPv3 every 0.1 s (so a takeover
 * is Master_Down_Interval ~ 0.36 s), the VIP announced by route, a track_file
 * that faults it when the file says non-zero.
 */
export function ktsConf(lab: Lab, host: number, o: { mode?: 'active_standby' | 'anycast'; trackFile: string; extra?: string[]; v6?: boolean }): string {
  const inst = (name: string, vrid: number, vip: string, extra: string[]) => [
    `vrrp_instance ${name} {`,
    '    interface eth0',
    `    virtual_router_id ${vrid}`,
    '    version 3',
    `    priority ${PRIO[host] ?? 100}`,
    '    advert_int 0.1',
    `    virtual_ipaddress {\n        ${vip}\n    }`,
    '    track_file {\n        trk\n    }',
    '    route_announce {',
    `        mode ${o.mode ?? 'active_standby'}`,
    ...extra.map((l) => `        ${l}`),
    '    }',
    '}',
  ];
  void lab;
  return [
    `global_defs {\n    router_id host${host}\n}`,
    `vrrp_track_file trk {\n    file ${o.trackFile}\n    weight 0\n}`,
    ...inst('VI_1', 51, VIP, o.extra ?? []),
    ...(o.v6 ? inst('VI_6', 52, `${VIP6}/64`, []) : []),
    '',
  ].join('\n');
}

/** A TCP service on every address of the host: answers with the host number and closes. */
export function startService(lab: Lab, host: number): ChildProcess {
  // A client that gives up resets the connection: that error must not end the service.
  const js = `require('net').createServer((s) => { s.on('error', () => {}); s.end('h${host}'); }).listen(${PORT}, '::')`;
  return lab.spawn(host, [process.execPath, '-e', js]);
}

export interface Answer {
  t: number;
  who: string | null;
}

/**
 * The client behind the router: a new TCP connection to the VIP every
 * `everyMs` (each given 300 ms), and what answered, with the time it was
 * asked. Bounded: it stops by itself after `maxMs`.
 */
export class Client {
  readonly answers: Answer[] = [];
  private readonly proc: ChildProcess;

  constructor(lab: Lab, address = VIP, everyMs = 20, maxMs = 600_000) {
    const js = `
      const net = require('net');
      const end = Date.now() + ${maxMs};
      const ask = () => {
        if (Date.now() > end) process.exit(0);
        const t = Date.now();
        let data = '', done = false;
        const s = net.connect({ host: '${address}', port: ${PORT} });
        const finish = (who) => { if (done) return; done = true; s.destroy(); console.log(JSON.stringify({ t, who })); };
        s.setTimeout(300, () => finish(null));
        s.on('data', (d) => (data += d));
        s.on('end', () => finish(data || null));
        s.on('error', () => finish(null));
      };
      setInterval(ask, ${everyMs});`;
    this.proc = lab.spawn(CLIENT, [process.execPath, '-e', js]);
    readline.createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      try {
        this.answers.push(JSON.parse(l) as Answer);
      } catch {
        /* not ours */
      }
    });
  }

  /** Resolves with the first answer asked at or after `since` that came from `who`. */
  async answered(who: string, since: number, timeoutMs = 15_000): Promise<Answer> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const a = this.answers.find((x) => x.t >= since && x.who === who);
      if (a) return a;
      if (Date.now() > end) throw new Error(`client: no answer from ${who} since ${new Date(since).toISOString()}; last ${JSON.stringify(this.answers.slice(-5))}`);
      await sleep(20);
    }
  }

  /** Time from `since` to the first answer from `who` after it, and the longest run of unanswered requests in between. */
  gap(since: number, who: string): { resumeMs: number; failed: number } {
    const after = this.answers.filter((a) => a.t >= since);
    const first = after.find((a) => a.who === who);
    return { resumeMs: first ? first.t - since : NaN, failed: after.filter((a) => first && a.t < first.t && a.who === null).length };
  }

  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

/** The state a keepalived-ts peer last logged for VI_1 at or before epoch ms `t` (its log lines carry their read time). */
export function stateAt(p: Peer, t: number, instance = 'VI_1'): string {
  let state = 'INIT';
  for (const l of p.log) {
    if (l.at > t) break;
    const m = new RegExp(`\\(${instance}\\) Entering (MASTER|BACKUP|FAULT) STATE`).exec(l.line);
    if (m) state = m[1];
    if (/Stopped|Stopping/.test(l.line)) state = 'STOP';
  }
  return state;
}

/**
 * "Nothing is announced by a BACKUP": every change of the router's route
 * that adds a host as a next hop comes while that host is MASTER (anycast:
 * BACKUP or MASTER), as its own log says; in active/standby there is never
 * more than one next hop.
 */
export function checkTimeline(changes: readonly RouteChange[], peers: Map<string, Peer[]>, o: { single: boolean; healthy?: string[] }): string[] {
  const healthy = o.healthy ?? ['MASTER'];
  const problems: string[] = [];
  let before: string[] = [];
  for (const c of changes) {
    if (o.single && c.via.length > 1) problems.push(`${new Date(c.t).toISOString()}: ${c.via.length} next hops ${c.via.join(' ')}`);
    for (const via of c.via.filter((v) => !before.includes(v))) {
      const runs = peers.get(via) ?? [];
      if (!runs.some((p) => healthy.includes(stateAt(p, c.t)))) {
        problems.push(`${new Date(c.t).toISOString()}: the router took ${via} while its daemon was ${runs.map((p) => stateAt(p, c.t)).join('/') || 'not running'}`);
      }
    }
    before = c.via;
  }
  return problems;
}

export type Routing = 'frr' | 'bird';

/** A host's routing daemon, whichever it is. */
export interface HostRouting {
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** One measured move of the router's route (README table, bench). */
export interface Move {
  routing: Routing;
  event: string;
  /** From the event to the router's route pointing at the new host only. */
  moveMs: number;
  /** From the event to the router's route no longer pointing at the old host. */
  withdrawMs: number;
  /** From the event to the client's first answer from the new host. */
  resumeMs: number;
}

/** Starts the routing daemon of a keepalived-ts host. */
export async function startHostRouting(routing: Routing, lab: Lab, host: number, o: { v6?: boolean } = {}): Promise<HostRouting> {
  if (routing === 'frr') return FrrNode.start(lab, host, hostFrrConfig(lab, host, o));
  return BirdNode.start(lab, host, hostBirdConfig(lab, host, o));
}

/** Waits until the router has `n` established BGP sessions. */
export async function sessionsUp(router: FrrNode, n: number): Promise<void> {
  await waitFor(async () => (await router.established()).length >= n, { timeoutMs: 30_000, intervalMs: 200, what: `${n} BGP sessions on the router` });
}

/** A failure the route must move away from, and how the host comes back from it. */
export type MoveEvent = 'kill -9 of the master' | 'SIGTERM of the master' | 'tracker fault on the master';

/**
 * The active/standby bed: the lab, the FRR router, the hosts' routing
 * daemons and TCP services, the router's route watch and the client;
 * keepalived-ts on hosts 2 (priority 150) and 3 (100). Used by the e2e
 * suite and by bench/bgp-takeover.ts.
 */
export class BgpBed {
  readonly routing = new Map<number, HostRouting>();
  /** Every keepalived-ts run, by host address (the timeline check reads their logs). */
  readonly runs = new Map<string, Peer[]>();
  readonly current = new Map<number, Peer>();
  router!: FrrNode;
  watch!: RouteWatch;
  client!: Client;

  private constructor(readonly lab: Lab, readonly kind: Routing) {}

  /** Builds it on `lab` (wired with wireBgpLab). */
  static async create(lab: Lab, kind: Routing): Promise<BgpBed> {
    const b = new BgpBed(lab, kind);
    for (const h of [2, 3]) fs.writeFileSync(b.trk(h), '0\n');
    b.router = await FrrNode.start(lab, ROUTER, routerConfig(lab, [2, 3]));
    for (const h of [2, 3]) {
      b.routing.set(h, await startHostRouting(kind, lab, h));
      startService(lab, h);
    }
    await sessionsUp(b.router, 2);
    b.watch = await RouteWatch.start(lab, `${VIP}/32`);
    b.client = new Client(lab);
    return b;
  }

  ip(h: number): string {
    return this.lab.ipv4(h);
  }

  trk(h: number): string {
    return path.join(this.lab.dir, `trk${h}`);
  }

  start(h: number): Peer {
    const p = startKts(this.lab, h, ktsConf(this.lab, h, { trackFile: this.trk(h) }));
    this.runs.set(this.ip(h), [...(this.runs.get(this.ip(h)) ?? []), p]);
    this.current.set(h, p);
    return p;
  }

  /** Host 2 MASTER (announcing, answering the client), host 3 BACKUP. */
  async steady(): Promise<void> {
    if (!this.current.has(2) || this.current.get(2)!.proc.exitCode !== null || this.current.get(2)!.proc.signalCode !== null) this.start(2);
    await this.watch.until([this.ip(2)]);
    if (!this.current.has(3)) this.start(3);
    await waitFor(() => this.current.get(3)!.log.some((l) => /\(VI_1\) Entering BACKUP STATE/.test(l.line)), { what: 'host 3 BACKUP' });
    await this.client.answered('h2', Date.now());
  }

  /** `event` on the master (host 2): measured until the router routes to host 3 and the client is answered by it; then host 2 is back. */
  async move(event: MoveEvent): Promise<Move> {
    const t0 = Date.now();
    if (event === 'kill -9 of the master') this.current.get(2)!.crash();
    else if (event === 'SIGTERM of the master') this.current.get(2)!.signal('SIGTERM');
    else fs.writeFileSync(this.trk(2), '1\n');
    const moved = await this.watch.until([this.ip(3)]);
    const gone = this.watch.since(t0).find((c) => !c.via.includes(this.ip(2)))!;
    await this.client.answered('h3', moved.t).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${await this.diagnose()}`);
    });
    const m: Move = { routing: this.kind, event, moveMs: moved.t - t0, withdrawMs: gone.t - t0, resumeMs: this.client.gap(t0, 'h3').resumeMs };
    if (event === 'tracker fault on the master') fs.writeFileSync(this.trk(2), '0\n');
    else {
      await this.current.get(2)!.waitExit().catch(() => undefined);
      this.start(2);
    }
    await this.watch.until([this.ip(2)]);
    await this.client.answered('h2', Date.now());
    return m;
  }

  /** What the hosts and the router hold, for a failure message. */
  async diagnose(): Promise<string> {
    const out: string[] = [];
    const run = async (h: number, cmd: string[]) => out.push(`h${h}$ ${cmd.join(' ')}\n${(await this.lab.exec(h, cmd)).stdout}`);
    await run(ROUTER, ['ip', 'route', 'get', VIP]);
    await run(ROUTER, ['ip', 'neigh']);
    for (const h of [2, 3]) {
      await run(h, ['ip', '-br', 'addr']);
      await run(h, ['ss', '-ltn']);
      await run(h, ['ip', 'route']);
    }
    for (const [h, p] of this.current) out.push(`h${h} log:\n${p.log.slice(-15).map((l) => l.line).join('\n')}`);
    return out.join('\n');
  }

  async stop(): Promise<void> {
    this.client?.stop();
    this.watch?.stop();
    for (const p of this.current.values()) await p.stop().catch(() => undefined);
    for (const r of this.routing.values()) await r.stop();
    await this.router?.stop();
  }
}

/**
 * The active/standby scenarios of issue 13 through `routing` on the hosts:
 * the MASTER alone announces and the client reaches the VIP through the
 * router; kill -9 of the master's whole daemon tree, SIGTERM, a tracker
 * fault, and a hung host (keepalived-ts and the routing daemon stopped:
 * only BFD notices) each move the route to the other host, measured on the
 * router's FIB; stopped daemons leave nothing; the whole timeline never has
 * a BACKUP announced nor (but for the hung host, bounded by BFD) two paths.
 */
export function activeStandbySuite(routing: Routing, moves: Move[]): void {
  const why = labUnavailableReason() ?? frrMissing() ?? (routing === 'bird' ? birdMissing() : undefined);
  describe(`e2e: route_announce active/standby, FRR router, ${routing === 'frr' ? 'FRR 8.4' : 'BIRD 2'} on the hosts${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
    let bed: BgpBed;
    // Before the lab's own after(): the daemons stop while their namespaces are still there.
    after(async () => {
      await bed?.stop();
    });
    labSuite({ hosts: 4 }, async (lab) => {
      await wireBgpLab(lab);
      bed = await BgpBed.create(lab, routing);
    });
    let hangWindow: [number, number] = [0, 0];

    test('the MASTER alone announces: the router routes the VIP to it and the client reaches it', async () => {
      await bed.steady();
      await sleep(1500);
      assert.deepEqual(bed.watch.via, [bed.ip(2)], 'the backup announces nothing');
      assert.deepEqual(await bed.watch.dump(), [bed.ip(2)]);
    });

    for (const event of ['kill -9 of the master', 'SIGTERM of the master', 'tracker fault on the master'] as const) {
      test(`${event}: the route moves to the backup (withdrawn first), the client's requests resume, and back`, async () => {
        const m = await bed.move(event);
        moves.push(m);
        assert.ok(m.withdrawMs < 1000, `the old master's route withdrawn in ${m.withdrawMs} ms`);
      });
    }

    test('kill -9 of the master\'s VRRP process alone: the device goes with it (withdrawn at once); the respawned process makes it again', async () => {
      const peer = bed.current.get(2)!;
      const vrrp = await peer.childPid('vrrp');
      const t0 = Date.now();
      process.kill(vrrp, 'SIGKILL');
      const gone = await waitFor(() => bed.watch.since(t0).find((c) => !c.via.includes(bed.ip(2))), { timeoutMs: 5000, intervalMs: 10, what: 'withdrawal' });
      moves.push({ routing, event: 'kill -9 of the VRRP process (respawned)', moveMs: NaN, withdrawMs: gone.t - t0, resumeMs: NaN });
      assert.ok(gone.t - t0 < 1000, `withdrawn ${gone.t - t0} ms after the VRRP process died`);
      await peer.childPid('vrrp', vrrp);
      await bed.watch.until([bed.ip(2)], 20_000);
      await bed.client.answered('h2', Date.now());
    });

    test('a hung master host (keepalived-ts and its routing daemon stopped): BFD withdraws within its bound', async () => {
      const { watch, client } = bed;
      const ip = (h: number) => bed.ip(h);
      const tree = [bed.current.get(2)!.pid, ...descendants(bed.current.get(2)!.pid)];
      const t0 = Date.now();
      for (const p of tree) process.kill(p, 'SIGSTOP');
      bed.routing.get(2)!.signal('SIGSTOP');
      try {
        const gone = await waitFor(() => watch.since(t0).find((c) => !c.via.includes(ip(2))), { timeoutMs: 10_000, intervalMs: 10, what: 'withdrawal of the hung host' });
        await watch.until([ip(3)]);
        const m: Move = { routing, event: 'hung master host (BFD 3 x 100 ms)', moveMs: watch.since(t0).find((c) => c.via.join() === ip(3))!.t - t0, withdrawMs: gone.t - t0, resumeMs: NaN };
        await client.answered('h3', t0);
        m.resumeMs = client.gap(t0, 'h3').resumeMs;
        moves.push(m);
        // BFD: 3 x 100 ms without a control packet, then bgpd drops the session and the router its paths.
        assert.ok(m.withdrawMs < 1000, `withdrawn ${m.withdrawMs} ms after the hang (bound: BFD detection 300 ms + processing)`);
      } finally {
        hangWindow = [t0, Date.now()];
        bed.routing.get(2)!.signal('SIGCONT');
        for (const p of tree) process.kill(p, 'SIGCONT');
      }
      await sessionsUp(bed.router, 2);
      await watch.until([ip(2)], 20_000);
    });

    test('stopped daemons leave nothing announced; the timeline never had a BACKUP announced', async () => {
      const { watch } = bed;
      await bed.current.get(3)!.stop();
      await bed.current.get(2)!.stop();
      const t = Date.now();
      await watch.until([]);
      await sleep(2000);
      assert.deepEqual(watch.since(t).filter((c) => c.via.length > 0), [], 'nothing announced after the stop');
      assert.deepEqual(await watch.dump(), []);
      const outside = watch.changes.filter((c) => c.t < hangWindow[0] || c.t > hangWindow[1]);
      assert.deepEqual(checkTimeline(outside, bed.runs, { single: true }), []);
    });
  });
}
