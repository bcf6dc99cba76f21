/**
 * FRR 8.4 (Debian's frr) in lab namespaces, and the BGP lab of issue 13.
 *
 * Each FrrNode runs zebra, bfdd and bgpd in the foreground inside one host's
 * namespace (tracked by the lab, killed by PID), with their own config files,
 * pid files, zserv socket, bfdd control socket and vty sockets in a
 * directory of their own - never /etc/frr or /var/run/frr, never the
 * machine's own namespace. FRR refuses to run as root unless root is in its
 * vty group, so the daemons run as frr (their directory is frr's) and
 * vtysh talks to them through `--vty_socket`.
 *
 * The lab (bgpLab): host 1 is the router (FRR, AS 64512), hosts 2 and 3 run
 * keepalived-ts and a routing daemon each (AS 64513), all on the lab's
 * 192.0.2.0/24 bridge; host 4 is a client behind the router, on its own link
 * (203.0.113.0/24) with its eth0 down, so it reaches the VIP only through
 * the router's BGP route.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { stopProcess, waitFor, type Lab } from './netns';

export const FRR_DIR = '/usr/lib/frr';
export const ROUTER = 1;
export const CLIENT = 4;
export const CLIENT_IP = '203.0.113.2';
export const ROUTER_ASN = 64512;
export const HOST_ASN = 64513;

/** Whether FRR can run here (the e2e tests need it). */
export function frrMissing(): string | undefined {
  for (const d of ['zebra', 'bgpd', 'bfdd']) if (!fs.existsSync(path.join(FRR_DIR, d))) return `FRR not installed (${FRR_DIR}/${d}); scripts/install-system-deps.sh installs it`;
  return undefined;
}

export interface FrrConfig {
  /** bgpd's configuration (route-maps, router bgp, ...). */
  bgpd: string;
  /** bfdd's configuration (profiles); default none. */
  bfdd?: string;
}

export class FrrNode {
  private readonly procs: ChildProcess[] = [];
  readonly log: string[] = [];

  private constructor(readonly lab: Lab, readonly host: number, readonly dir: string) {}

  /** Starts zebra, bfdd and bgpd in `host`; resolves once bgpd's vty answers. */
  static async start(lab: Lab, host: number, c: FrrConfig): Promise<FrrNode> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${lab.prefix}-frr${host}-`));
    const n = new FrrNode(lab, host, dir);
    fs.writeFileSync(path.join(dir, 'zebra.conf'), `hostname h${host}\n`);
    fs.writeFileSync(path.join(dir, 'bfdd.conf'), c.bfdd ?? '');
    fs.writeFileSync(path.join(dir, 'bgpd.conf'), c.bgpd);
    const ids = (k: '-u' | '-g') => Number(execFileSync('id', [k, 'frr'], { encoding: 'utf8' }).trim());
    fs.chmodSync(dir, 0o755);
    for (const f of ['', 'zebra.conf', 'bfdd.conf', 'bgpd.conf']) fs.chownSync(path.join(dir, f), ids('-u'), ids('-g'));
    const common = (d: string) => ['-f', path.join(dir, `${d}.conf`), '-i', path.join(dir, `${d}.pid`), '-z', path.join(dir, 'zserv.api'),
      '--vty_socket', dir, '-P', '0', '--log', 'stdout', '--log-level', 'notifications'];
    n.spawn('zebra', common('zebra'));
    await waitFor(() => fs.existsSync(path.join(dir, 'zserv.api')), { timeoutMs: 10_000, what: `zebra in host ${host}` });
    n.spawn('bfdd', [...common('bfdd'), '--bfdctl', path.join(dir, 'bfdd.sock')]);
    n.spawn('bgpd', common('bgpd'));
    await waitFor(async () => (await n.vtysh('show bgp summary').catch(() => '')).length > 0, { timeoutMs: 10_000, what: `bgpd in host ${host}` });
    return n;
  }

  private spawn(daemon: string, args: string[]): void {
    const p = this.lab.spawn(this.host, [path.join(FRR_DIR, daemon), ...args]);
    for (const s of [p.stdout, p.stderr]) if (s) readline.createInterface({ input: s }).on('line', (l) => this.log.push(`${daemon}: ${l}`));
    this.procs.push(p);
  }

  /** One vtysh command against this node's daemons. */
  async vtysh(cmd: string): Promise<string> {
    const r = await this.lab.exec(this.host, ['vtysh', '--vty_socket', this.dir, '-c', cmd], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`vtysh ${cmd}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Established BGP sessions (IPv4 and IPv6 address families' peers). */
  async established(): Promise<string[]> {
    const j = JSON.parse(await this.vtysh('show bgp neighbors json')) as Record<string, { bgpState?: string }>;
    return Object.entries(j).filter(([, v]) => v.bgpState === 'Established').map(([k]) => k);
  }

  pids(): number[] {
    return this.procs.map((p) => p.pid!).filter((p) => p !== undefined);
  }

  /** Signal every daemon of this node (SIGSTOP / SIGCONT: a hung host). */
  signal(sig: NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  }

  /** Stops the daemons (SIGTERM, then SIGKILL) and removes the directory. Idempotent. */
  async stop(): Promise<void> {
    this.signal('SIGCONT');
    await Promise.all(this.procs.map((p) => stopProcess(p)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The router's configuration: eBGP to both hosts, BFD 100 ms x 3, short timers, ECMP. */
export function routerConfig(lab: Lab, hosts: number[], o: { bfd?: boolean; v6?: boolean } = {}): FrrConfig {
  const bfd = o.bfd ?? true;
  const n = (h: number) => [lab.ipv4(h), ...(o.v6 ? [lab.ipv6(h)] : [])];
  return {
    bfdd: bfd ? 'bfd\n profile fast\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n exit\nexit\n' : '',
    bgpd: [
      `router bgp ${ROUTER_ASN}`,
      ` bgp router-id ${lab.ipv4(ROUTER)}`,
      ' no bgp ebgp-requires-policy',
      ' no bgp network import-check',
      ' neighbor HOSTS peer-group',
      ` neighbor HOSTS remote-as ${HOST_ASN}`,
      ' neighbor HOSTS timers 1 3',
      ' neighbor HOSTS timers connect 1',
      ' neighbor HOSTS advertisement-interval 0',
      ...(bfd ? [' neighbor HOSTS bfd profile fast'] : []),
      ...hosts.flatMap((h) => n(h).map((a) => ` neighbor ${a} peer-group HOSTS`)),
      ' address-family ipv4 unicast',
      '  maximum-paths 4',
      ...(o.v6 ? hosts.map((h) => `  no neighbor ${lab.ipv6(h)} activate`) : []),
      ' exit-address-family',
      ...(o.v6
        ? [' address-family ipv6 unicast', '  maximum-paths 4', ...hosts.map((h) => `  neighbor ${lab.ipv6(h)} activate`), ' exit-address-family']
        : []),
      'exit',
      '',
    ].join('\n'),
  };
}

/**
 * What a keepalived-ts host adds to FRR (the README's snippet): announce
 * what is on the announce device (`redistribute connected` through a
 * route-map matching it), to the router only.
 */
export function hostFrrConfig(lab: Lab, host: number, o: { device?: string; bfd?: boolean; v6?: boolean } = {}): FrrConfig {
  const dev = o.device ?? 'kts-vip';
  const bfd = o.bfd ?? true;
  const r4 = lab.ipv4(ROUTER);
  const r6 = lab.ipv6(ROUTER);
  const nb = (a: string) => [
    ` neighbor ${a} remote-as ${ROUTER_ASN}`,
    ` neighbor ${a} timers 1 3`,
    ` neighbor ${a} timers connect 1`,
    ` neighbor ${a} advertisement-interval 0`,
    ...(bfd ? [` neighbor ${a} bfd profile fast`] : []),
  ];
  return {
    bfdd: bfd ? 'bfd\n profile fast\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n exit\nexit\n' : '',
    bgpd: [
      'route-map KTS-VIP permit 10',
      ` match interface ${dev}`,
      'exit',
      `router bgp ${HOST_ASN}`,
      ` bgp router-id ${lab.ipv4(host)}`,
      ...nb(r4),
      ...(o.v6 ? nb(r6) : []),
      ' address-family ipv4 unicast',
      '  redistribute connected route-map KTS-VIP',
      `  neighbor ${r4} route-map KTS-VIP out`,
      ...(o.v6 ? [`  no neighbor ${r6} activate`] : []),
      ' exit-address-family',
      ...(o.v6
        ? [' address-family ipv6 unicast', '  redistribute connected route-map KTS-VIP', `  neighbor ${r6} activate`, `  neighbor ${r6} route-map KTS-VIP out`, ' exit-address-family']
        : []),
      'exit',
      '',
    ].join('\n'),
  };
}

/**
 * The lab's routing: the router forwards, the keepalived-ts hosts route
 * through it, the client sits on its own link behind it.
 */
export async function wireBgpLab(lab: Lab): Promise<void> {
  const x = (h: number, cmd: string[]) => lab.exec(h, cmd, { check: true });
  await x(ROUTER, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  await x(ROUTER, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', lab.ns(CLIENT)]);
  await x(ROUTER, ['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'eth1']);
  await x(ROUTER, ['ip', 'link', 'set', 'eth1', 'up']);
  await x(CLIENT, ['ip', 'link', 'set', 'eth0', 'down']);
  await x(CLIENT, ['ip', 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth1']);
  await x(CLIENT, ['ip', 'link', 'set', 'eth1', 'up']);
  await x(CLIENT, ['ip', 'route', 'add', 'default', 'via', '203.0.113.1']);
  for (const h of [2, 3]) {
    await x(h, ['ip', 'route', 'add', 'default', 'via', lab.ipv4(ROUTER)]);
    await x(h, ['ip', '-6', 'route', 'add', 'default', 'via', lab.ipv6(ROUTER)]);
  }
}

export interface RouteChange {
  /** Epoch ms when `ip monitor` in the router saw it. */
  t: number;
  /** The router's next hops for the prefix after the change ([] = no route). */
  via: string[];
}

/**
 * The router's FIB entry for one prefix, continuously: `ip -ts monitor
 * route` in the router's namespace (zebra installs every BGP best path or
 * ECMP set there), at realtime priority, seeded with `ip -j route`. Every
 * change is kept with its time.
 */
export class RouteWatch {
  readonly changes: RouteChange[] = [];
  private current: string[] = [];
  private proc: ChildProcess | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly lab: Lab, readonly prefix: string) {}

  static async start(lab: Lab, prefix: string): Promise<RouteWatch> {
    const w = new RouteWatch(lab, prefix);
    const fam = prefix.includes(':') ? '-6' : '-4';
    w.proc = lab.spawn(ROUTER, ['chrt', '-r', '50', 'ip', fam, '-ts', 'monitor', 'route']);
    let pending: { t: number; deleted: boolean; lines: string[] } | undefined;
    const flush = () => {
      if (!pending) return;
      const text = pending.lines.join(' ');
      const via = [...text.matchAll(/via (?:inet6 )?(\S+)/g)].map((m) => m[1]).sort();
      w.set(pending.t, pending.deleted ? [] : via);
      pending = undefined;
    };
    // A multipath route comes as a header line and one `nexthop via` line per path, in one read.
    readline.createInterface({ input: w.proc.stdout! }).on('line', (line) => {
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\] (Deleted )?(\S+)/.exec(line);
      if (m) {
        flush();
        if (m[4] !== prefix && m[4] !== prefix.replace(/\/(32|128)$/, '')) return;
        pending = { t: new Date(m[1]).getTime() + Number(`0.${m[2]}`) * 1000, deleted: m[3] !== undefined, lines: [line] };
        setImmediate(flush);
        return;
      }
      if (pending && /^\s/.test(line)) pending.lines.push(line);
    });
    await sleep(200);
    w.set(Date.now(), await w.dump());
    return w;
  }

  /** The next hops now, from a fresh `ip -j route` (not the events). */
  async dump(): Promise<string[]> {
    const fam = this.prefix.includes(':') ? '-6' : '-4';
    const r = await this.lab.exec(ROUTER, ['ip', fam, '-j', 'route', 'show', this.prefix], { check: true });
    const routes = JSON.parse(r.stdout || '[]') as { gateway?: string; nexthops?: { gateway: string }[] }[];
    return routes.flatMap((x) => (x.nexthops ? x.nexthops.map((n) => n.gateway) : x.gateway ? [x.gateway] : [])).sort();
  }

  private set(t: number, via: string[]): void {
    if (via.join() === this.current.join()) return;
    this.current = via;
    this.changes.push({ t, via });
    for (const w of [...this.waiters]) w();
  }

  get via(): string[] {
    return this.current;
  }

  /** Resolves with the change when the next hops become `via` (sorted), or rejects after timeoutMs. */
  until(via: string[], timeoutMs = 15_000): Promise<RouteChange> {
    const want = [...via].sort().join();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.current.join() !== want) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this.changes[this.changes.length - 1]);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`router route for ${this.prefix}: wanted via [${want}], have [${this.current.join()}] after ${timeoutMs} ms; changes ${JSON.stringify(this.changes.slice(-6))}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** The changes since epoch ms `t`. */
  since(t: number): RouteChange[] {
    return this.changes.filter((c) => c.t >= t);
  }

  stop(): void {
    this.proc?.kill('SIGTERM');
  }
}
