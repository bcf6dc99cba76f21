/**
 * A lab of network namespaces for end-to-end tests (root only).
 *
 *   <prefix>sw   "switch" namespace holding bridge br0 (multicast snooping off, STP off)
 *   <prefix>h1.. host namespaces, each with `eth0` (a veth whose peer <prefix>p<i> is a br0 port),
 *                lo up, 192.0.2.(10+i)/24 and 2001:db8::(10+i)/64 (nodad; the same digits, so host 1
 *                is 192.0.2.11 and 2001:db8::11), MAC 02:00:00:00:00:(10+i) (same digits),
 *                IPv6 DAD off (so link-locals are usable at once).
 *
 * Nothing is created in the machine's own namespace. The prefix is unique per
 * lab (`kt` + 4 random hex digits). destroy() is idempotent; process exit and
 * SIGINT/SIGTERM/SIGHUP also tear every live lab down, killing only the PIDs
 * the lab spawned.
 *
 * Hosts are numbered from 1.
 */
import { type ChildProcess, execFile, execFileSync, spawn as spawnChild, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LabOptions {
  hosts: number;
  /** Give hosts their 2001:db8::(10+i)/64 addresses (default true). */
  v6?: boolean;
  /** Name prefix (default `kt` + 4 random hex digits); at most 8 characters. */
  prefix?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Kill the command after this long (default 30 000 ms). */
  timeoutMs?: number;
  /** Reject when the exit code is not 0 (default false). */
  check?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface AddressEntry {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  scope: string;
  label?: string;
  flags: string[];
}

export interface CaptureOptions {
  /** Namespace to capture in: a host number, or 'switch' (default). */
  host?: number | 'switch';
  /** Interface (default br0 in the switch, eth0 in a host). */
  ifname?: string;
  /** tcpdump filter expression words, e.g. ['arp'] or ['icmp6']. */
  filter?: string[];
  /**
   * Run tcpdump at realtime priority with a 32 MB buffer: on a saturated
   * machine a normal-priority tcpdump loses frames, which would read as
   * gaps in what was sent.
   */
  realtime?: boolean;
}

export interface CaptureResult {
  /** The pcap file bytes. */
  pcap: Buffer;
  /** Each captured frame (link layer included), in order. */
  frames: Buffer[];
  /** The same frames with their capture time (epoch ms). */
  timed: { t: number; frame: Buffer }[];
  /** `tcpdump -nn -e -v -r` of the capture. */
  text: string;
}

export interface Capture {
  stop(): Promise<CaptureResult>;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the timeout error. */
  what?: string;
}

const live = new Set<Lab>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of [...live]) lab.destroySync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      for (const lab of [...live]) lab.destroySync();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/**
 * Stops a child process the test started: SIGCONT (it may be frozen by the
 * test), SIGTERM, SIGKILL after `graceMs`; resolves when it has exited.
 */
export function stopProcess(p: ChildProcess, graceMs = 3000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return resolve(); // never started, or gone
    const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGCONT');
    p.kill('SIGTERM');
  });
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Whether namespace tests can run here, and if not why (for test names / skip messages). */
export function labUnavailableReason(): string | undefined {
  if (!isRoot()) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'tcpdump']) {
    if (!['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => fs.existsSync(path.join(d, tool)))) return `needs ${tool}`;
  }
  return undefined;
}

function run(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20, env: opts.env, cwd: opts.cwd, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const r = { code, stdout, stderr };
        if (opts.check && code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
        else resolve(r);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Polls `predicate` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (last: ${last instanceof Error ? last.message : String(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class Lab {
  readonly prefix: string;
  readonly hosts: number;
  readonly v6: boolean;
  /** The switch namespace name. */
  readonly switchNs: string;
  private readonly children = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private readonly tmp: string;
  private destroyed = false;

  private constructor(opts: LabOptions) {
    this.prefix = opts.prefix ?? `kt${randomBytes(2).toString('hex')}`;
    if (!/^[a-z][a-z0-9]{1,7}$/.test(this.prefix)) throw new Error(`lab prefix must be 2-8 lowercase letters/digits: ${this.prefix}`);
    this.hosts = opts.hosts;
    this.v6 = opts.v6 ?? true;
    this.switchNs = `${this.prefix}sw`;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-`));
  }

  /** Builds the lab; on any failure tears down what was built and rethrows. */
  static async create(opts: LabOptions): Promise<Lab> {
    const why = labUnavailableReason();
    if (why) throw new Error(`Lab.create: ${why}`);
    if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > 89) throw new Error('hosts must be 1..89');
    installExitHooks();
    const lab = new Lab(opts);
    live.add(lab);
    try {
      await lab.build();
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** A scratch directory of this lab (removed by destroy()). */
  get dir(): string {
    return this.tmp;
  }

  /** Namespace name of host i (1-based). */
  ns(host: number): string {
    if (!Number.isInteger(host) || host < 1 || host > this.hosts) throw new Error(`no host ${host} in lab ${this.prefix}`);
    return `${this.prefix}h${host}`;
  }

  /** Host i's addresses and MAC. */
  ipv4(host: number): string {
    this.ns(host);
    return `192.0.2.${10 + host}`;
  }
  ipv6(host: number): string {
    this.ns(host);
    return `2001:db8::${10 + host}`;
  }
  mac(host: number): string {
    this.ns(host);
    return `02:00:00:00:00:${10 + host}`;
  }
  /** The switch-side veth of host i (a br0 port in the switch namespace). */
  port(host: number): string {
    this.ns(host);
    return `${this.prefix}p${host}`;
  }

  private async ip(args: string[]): Promise<void> {
    await run('ip', args, { check: true });
  }

  private async build(): Promise<void> {
    const sw = this.switchNs;
    await this.ip(['netns', 'add', sw]);
    this.namespaces.push(sw);
    await this.ip(['-n', sw, 'link', 'set', 'lo', 'up']);
    await this.ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    await this.ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    for (let i = 1; i <= this.hosts; i++) {
      const h = this.ns(i);
      await this.ip(['netns', 'add', h]);
      this.namespaces.push(h);
      await run('ip', ['netns', 'exec', h, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'], {
        check: true,
      });
      await this.ip(['-n', sw, 'link', 'add', this.port(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h]);
      await this.ip(['-n', sw, 'link', 'set', this.port(i), 'master', 'br0', 'up']);
      await run('ip', ['netns', 'exec', h, 'sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=0'], { check: true });
      await this.ip(['-n', h, 'link', 'set', 'eth0', 'address', this.mac(i)]);
      await this.ip(['-n', h, 'link', 'set', 'lo', 'up']);
      await this.ip(['-n', h, 'addr', 'add', `${this.ipv4(i)}/24`, 'dev', 'eth0']);
      if (this.v6) await this.ip(['-n', h, 'addr', 'add', `${this.ipv6(i)}/64`, 'dev', 'eth0', 'nodad']);
      await this.ip(['-n', h, 'link', 'set', 'eth0', 'up']);
    }
    // Link-locals appear once eth0 is up (no DAD); wait so tests can bind them.
    if (this.v6) {
      for (let i = 1; i <= this.hosts; i++) {
        await waitFor(async () => (await this.addresses(i, 'eth0')).some((a) => a.startsWith('fe80:')), {
          what: `link-local on ${this.ns(i)}`,
        });
      }
    }
  }

  /** Runs `cmd` inside host i's namespace (`ip netns exec`). */
  exec(host: number | 'switch', cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.alive();
    const ns = host === 'switch' ? this.switchNs : this.ns(host);
    return run('ip', ['netns', 'exec', ns, ...cmd], opts);
  }

  /** Starts `cmd` inside host i's namespace; tracked and killed (by PID) in destroy(). */
  spawn(host: number | 'switch', cmd: string[], opts: SpawnOptions = {}): ChildProcess {
    this.alive();
    const ns = host === 'switch' ? this.switchNs : this.ns(host);
    // `ip netns exec` execs the command, so the child's PID is the command's.
    const child = spawnChild('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a Node script inside host i's namespace (tracked like spawn()). */
  node(host: number, scriptPath: string, args: string[] = [], opts: SpawnOptions = {}): ChildProcess {
    return this.spawn(host, [process.execPath, scriptPath, ...args], opts);
  }

  /** Addresses on `ifname` in host i, text form without prefix, in `ip -j addr` order. */
  async addresses(host: number, ifname = 'eth0'): Promise<string[]> {
    return (await this.addressInfo(host, ifname)).map((a) => a.address);
  }

  /** Addresses on `ifname` with prefix length, scope, label and flags (parsed `ip -j addr`). */
  async addressInfo(host: number, ifname = 'eth0'): Promise<AddressEntry[]> {
    const r = await this.exec(host, ['ip', '-j', 'addr', 'show', 'dev', ifname], { check: true });
    const links = JSON.parse(r.stdout) as {
      addr_info?: { family: string; local: string; prefixlen: number; scope: string; label?: string; [k: string]: unknown }[];
    }[];
    const out: AddressEntry[] = [];
    for (const l of links) {
      for (const a of l.addr_info ?? []) {
        const flags = Object.entries(a)
          .filter(([, v]) => v === true)
          .map(([k]) => k);
        const e: AddressEntry = { family: a.family === 'inet6' ? 6 : 4, address: a.local, prefixLength: a.prefixlen, scope: a.scope, flags };
        if (a.label !== undefined) e.label = a.label;
        out.push(e);
      }
    }
    return out;
  }

  /** `ip link set <ifname> up|down` in host i. */
  async linkSet(host: number, state: 'up' | 'down', ifname = 'eth0'): Promise<void> {
    await this.exec(host, ['ip', 'link', 'set', ifname, state], { check: true });
  }

  /**
   * Starts tcpdump (default: on br0 in the switch namespace, which sees every
   * frame since tcpdump makes it promiscuous). Resolves once tcpdump listens.
   */
  async capture(opts: CaptureOptions = {}): Promise<Capture> {
    const where = opts.host ?? 'switch';
    const ifname = opts.ifname ?? (where === 'switch' ? 'br0' : 'eth0');
    const file = path.join(this.tmp, `cap-${randomBytes(3).toString('hex')}.pcap`);
    const rt = opts.realtime ? ['chrt', '-r', '50'] : [];
    const buf = opts.realtime ? ['-B', '32768'] : [];
    const child = this.spawn(where, [...rt, 'tcpdump', '--immediate-mode', ...buf, '-Z', 'root', '-i', ifname, '-U', '-nn', '-s', '0', '-w', file, ...(opts.filter ?? [])]);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/listening on/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump exited ${code}: ${stderr}`));
      });
    });
    return {
      stop: async (): Promise<CaptureResult> => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGINT');
          await exited;
        }
        const pcap = fs.readFileSync(file);
        const text = (await this.exec(where, ['tcpdump', '-nn', '-e', '-v', '-r', file])).stdout;
        const timed = parsePcapTimed(pcap);
        return { pcap, frames: timed.map((f) => f.frame), timed, text };
      },
    };
  }

  /** Polls `predicate` until truthy (see waitFor). */
  waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
    return waitFor(predicate, opts);
  }

  /** Stops tracked processes (stopProcess with 1 s of grace) and deletes the namespaces. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.children].map((c) => stopProcess(c, 1000)));
    for (const ns of [...this.namespaces].reverse()) await run('ip', ['netns', 'del', ns]);
    this.namespaces.length = 0;
    fs.rmSync(this.tmp, { recursive: true, force: true });
    live.delete(this);
  }

  /** Synchronous teardown for process exit / signals. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    this.namespaces.length = 0;
    fs.rmSync(this.tmp, { recursive: true, force: true });
    live.delete(this);
  }

  /** Names of the namespaces this lab holds (for leak checks). */
  namespaceNames(): string[] {
    return [...this.namespaces];
  }

  private alive(): void {
    if (this.destroyed) throw new Error(`lab ${this.prefix} is destroyed`);
  }
}

/** Frames of a classic pcap file (either byte order, µs or ns). */
export function parsePcap(buf: Buffer): Buffer[] {
  return parsePcapTimed(buf).map((f) => f.frame);
}

/** Frames of a classic pcap file with their capture time (epoch ms, fractional). */
export function parsePcapTimed(buf: Buffer): { t: number; frame: Buffer }[] {
  if (buf.length < 24) return [];
  const magicLe = buf.readUInt32LE(0);
  const magicBe = buf.readUInt32BE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  if (!le && magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) throw new Error('not a pcap file');
  const nano = (le ? magicLe : magicBe) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: { t: number; frame: Buffer }[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    if (off + 16 + incl > buf.length) break;
    out.push({ t: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), frame: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return out;
}
