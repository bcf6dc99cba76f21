/**
 * etcd for the election tests (issue 12): a cluster of Debian's etcd 3.4,
 * one member per lab host (namespace), started and stopped by the tests, and
 * tools around it: cutting one host off from every member (nftables in that
 * host only), and sampling a VIP on every keepalived-ts host every 10 ms.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { type Lab, stopProcess, waitFor } from './netns';

export const ETCD_CLIENT_PORT = 2379;

/** Debian's etcd binary, or undefined. */
export function etcdUnavailable(): string | undefined {
  const fs = require('node:fs') as typeof import('node:fs');
  return fs.existsSync('/usr/bin/etcd') && fs.existsSync('/usr/bin/etcdctl') ? undefined : 'needs etcd-server and etcd-client (scripts/install-system-deps.sh)';
}

/** A throw-away PKI for TLS tests: a CA, a server certificate for the members' addresses, a client certificate. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function makeTestPki(dir: string, serverIps: string[], clientCn = 'kts'): TestPki {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const fs = require('node:fs') as typeof import('node:fs');
  const f = (n: string) => path.join(dir, n);
  const ossl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=kts-test-ca');
  const leaf = (name: string, cn: string, ext: string) => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`));
  };
  leaf('server', 'etcd', `subjectAltName=${serverIps.map((ip) => `IP:${ip}`).join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  leaf('client', clientCn, 'extendedKeyUsage=clientAuth\n');
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

export class EtcdCluster {
  private readonly procs = new Map<number, ChildProcess>();
  readonly logs = new Map<number, string[]>();

  private constructor(readonly lab: Lab, readonly hosts: number[], readonly pki?: TestPki, readonly clientCertAuth = true) {}

  /**
   * Starts one member per host and waits until the cluster answers; with
   * `pki`, clients talk TLS, and (clientCertAuth) must present a certificate.
   */
  static async start(lab: Lab, hosts: number[], pki?: TestPki, clientCertAuth = true): Promise<EtcdCluster> {
    const c = new EtcdCluster(lab, hosts, pki, clientCertAuth);
    for (const h of hosts) c.startMember(h);
    await c.waitHealthy();
    return c;
  }

  endpoints(): string[] {
    return this.hosts.map((h) => `${this.pki ? 'https' : 'http'}://${this.lab.ipv4(h)}:${ETCD_CLIENT_PORT}`);
  }

  private startMember(h: number): void {
    const ip = this.lab.ipv4(h);
    const cluster = this.hosts.map((x) => `e${x}=http://${this.lab.ipv4(x)}:2380`).join(',');
    const url = `${this.pki ? 'https' : 'http'}://${ip}:${ETCD_CLIENT_PORT}`;
    const tls = this.pki
      ? ['--cert-file', this.pki.serverCert, '--key-file', this.pki.serverKey, ...(this.clientCertAuth ? ['--trusted-ca-file', this.pki.ca, '--client-cert-auth'] : [])]
      : [];
    const p = this.lab.spawn(h, [
      'etcd', '--name', `e${h}`, '--data-dir', path.join(this.lab.dir, `etcd-${h}`), ...tls,
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', `http://${ip}:2380`, '--initial-advertise-peer-urls', `http://${ip}:2380`,
      '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', this.lab.prefix,
      '--log-level', 'warn',
    ]);
    const lines: string[] = [];
    this.logs.set(h, lines);
    for (const s of [p.stdout, p.stderr]) if (s) readline.createInterface({ input: s }).on('line', (l) => lines.length < 2000 && lines.push(l));
    this.procs.set(h, p);
  }

  /** etcdctl run from `from` (a lab host that reaches the members). */
  etcdctl(from: number, args: string[], timeoutMs = 10_000) {
    const tls = this.pki ? [`--cacert=${this.pki.ca}`, `--cert=${this.pki.clientCert}`, `--key=${this.pki.clientKey}`] : [];
    return this.lab.exec(from, ['etcdctl', `--endpoints=${this.endpoints().join(',')}`, '--command-timeout=2s', ...tls, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' }, timeoutMs,
    });
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => (await this.etcdctl(this.hosts[0], ['endpoint', 'health'])).code === 0, {
      timeoutMs, intervalMs: 200, what: `etcd members ${this.hosts.join(',')} healthy`,
    });
  }

  /** Freeze members (SIGSTOP): two of three frozen is a cluster without quorum. */
  pause(hosts: number[]): void {
    for (const h of hosts) this.procs.get(h)?.kill('SIGSTOP');
  }

  resume(hosts: number[]): void {
    for (const h of hosts) this.procs.get(h)?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => stopProcess(p)));
    this.procs.clear();
  }
}

/** Cut host `host` off from `addresses` (both ways), with an nftables table of its own in that host. */
export async function cutOff(lab: Lab, host: number, addresses: string[]): Promise<void> {
  const set = `{ ${addresses.join(', ')} }`;
  const rules = [
    'table inet ktscut {',
    '  chain out { type filter hook output priority 0; policy accept;', `    ip daddr ${set} drop`, '  }',
    '  chain in { type filter hook input priority 0; policy accept;', `    ip saddr ${set} drop`, '  }',
    '}',
  ].join('\n');
  await lab.exec(host, ['nft', '-f', '-'], { input: rules, check: true });
}

export async function reconnect(lab: Lab, host: number): Promise<void> {
  await lab.exec(host, ['nft', 'delete', 'table', 'inet', 'ktscut'], { check: true });
}

export const vipSamplerPath = path.join(__dirname, 'drivers', 'vip-sampler.js');

/**
 * A VIP sampled every `intervalMs` on each host by a sampler inside it: the
 * change times of every host on one (wall) clock, so the holders at any
 * moment - and any moment with two - can be computed afterwards.
 */
export class VipTimeline {
  /** Per host: [time, holds] at each change. */
  readonly changes = new Map<number, { t: number; has: boolean }[]>();
  /** Per host: the largest gap between two samples seen. */
  readonly maxGap = new Map<number, number>();
  private readonly procs: ChildProcess[] = [];

  constructor(readonly lab: Lab, readonly vip: string, readonly hosts: number[], readonly intervalMs = 10) {
    for (const h of hosts) {
      this.changes.set(h, []);
      this.maxGap.set(h, 0);
      // At realtime priority: a 10 ms sampler at normal priority misses its ticks on a loaded machine.
      const p = lab.spawn(h, ['chrt', '-r', '40', process.execPath, vipSamplerPath, 'eth0', vip, String(intervalMs)]);
      readline.createInterface({ input: p.stdout! }).on('line', (l) => {
        const m = JSON.parse(l) as { t: number; has?: boolean; maxGap?: number };
        if (m.has !== undefined) this.changes.get(h)!.push({ t: m.t, has: m.has });
        if (m.maxGap !== undefined) this.maxGap.set(h, Math.max(this.maxGap.get(h)!, m.maxGap));
      });
      this.procs.push(p);
    }
  }

  /** Whether host `h` held the VIP at time `t` (its last change at or before t). */
  heldAt(h: number, t: number): boolean {
    let has = false;
    for (const c of this.changes.get(h)!) {
      if (c.t > t) break;
      has = c.has;
    }
    return has;
  }

  holdersAt(t: number): number[] {
    return this.hosts.filter((h) => this.heldAt(h, t));
  }

  /** Every stretch of time (from `since`) during which more than one host held the VIP. */
  overlaps(since = 0): { from: number; to: number; hosts: number[] }[] {
    const times = [...new Set([...this.changes.values()].flatMap((cs) => cs.map((c) => c.t)))].filter((t) => t >= since).sort((a, b) => a - b);
    const out: { from: number; to: number; hosts: number[] }[] = [];
    for (let i = 0; i < times.length; i++) {
      const hs = this.holdersAt(times[i]);
      if (hs.length > 1) out.push({ from: times[i], to: times[i + 1] ?? Infinity, hosts: hs });
    }
    return out;
  }

  /** The first time at or after `since` when exactly `hosts` held the VIP. */
  firstHeldBy(hosts: number[], since: number): number | undefined {
    const want = [...hosts].sort().join();
    const times = [since, ...[...this.changes.values()].flatMap((cs) => cs.map((c) => c.t)).filter((t) => t > since)].sort((a, b) => a - b);
    return times.find((t) => this.holdersAt(t).join() === want);
  }

  /** The last time host `h` stopped holding, at or after `since`. */
  droppedAt(h: number, since: number): number | undefined {
    return this.changes.get(h)!.find((c) => c.t >= since && !c.has)?.t;
  }

  async waitHeldBy(hosts: number[], since: number, timeoutMs: number): Promise<number> {
    return waitFor(() => this.firstHeldBy(hosts, since), { timeoutMs, intervalMs: 20, what: `${this.vip} held by [${hosts.join(',')}] only` });
  }

  stop(): void {
    for (const p of this.procs) p.kill('SIGTERM');
  }
}
