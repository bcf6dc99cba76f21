/**
 * BIRD 2 (Debian's bird2) in a lab host: `bird -f -c CONF -s SOCK -P PID`
 * inside the host's namespace, tracked by the lab (killed by PID), with its
 * config, control socket and pid file in a directory of its own.
 *
 * hostBirdConfig() is what a keepalived-ts host adds to BIRD (the README's
 * snippet): `protocol direct` on the announce device, exported to the
 * router by BGP with a filter that lets only those routes out, BFD on.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { execFileSync } from 'node:child_process';
import { stopProcess, waitFor, type Lab } from './netns';
import { HOST_ASN, ROUTER, ROUTER_ASN } from './frr';

export function birdMissing(): string | undefined {
  try {
    execFileSync('bird', ['--version'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return 'BIRD 2 not installed (bird2); scripts/install-system-deps.sh installs it';
  }
}

export function hostBirdConfig(lab: Lab, host: number, o: { device?: string; bfd?: boolean; v6?: boolean } = {}): string {
  const dev = o.device ?? 'kts-vip';
  const bfd = o.bfd ?? true;
  const session = (name: string, local: string, neighbor: string, fam: 'ipv4' | 'ipv6') => [
    `protocol bgp ${name} {`,
    `    local ${local} as ${HOST_ASN};`,
    `    neighbor ${neighbor} as ${ROUTER_ASN};`,
    '    hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 5;',
    ...(bfd ? ['    bfd on;'] : []),
    `    ${fam} { import none; export where proto = "kts_vips"; };`,
    '}',
  ];
  return [
    `router id ${lab.ipv4(host)};`,
    'protocol device { scan time 10; }',
    '# The VIPs keepalived-ts announces: whatever is on its device, and nothing else.',
    'protocol direct kts_vips {',
    '    ipv4;',
    ...(o.v6 ? ['    ipv6;'] : []),
    `    interface "${dev}";`,
    '}',
    ...(bfd ? ['protocol bfd {', '    interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };', '}'] : []),
    ...session('uplink', lab.ipv4(host), lab.ipv4(ROUTER), 'ipv4'),
    ...(o.v6 ? session('uplink6', lab.ipv6(host), lab.ipv6(ROUTER), 'ipv6') : []),
    '',
  ].join('\n');
}

export class BirdNode {
  readonly log: string[] = [];
  private proc: ChildProcess | undefined;

  private constructor(readonly lab: Lab, readonly host: number, readonly dir: string) {}

  static async start(lab: Lab, host: number, conf: string): Promise<BirdNode> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${lab.prefix}-bird${host}-`));
    const n = new BirdNode(lab, host, dir);
    fs.writeFileSync(path.join(dir, 'bird.conf'), conf);
    n.proc = lab.spawn(host, ['bird', '-f', '-c', path.join(dir, 'bird.conf'), '-s', n.socket, '-P', path.join(dir, 'bird.pid')]);
    for (const s of [n.proc.stdout, n.proc.stderr]) if (s) readline.createInterface({ input: s }).on('line', (l) => n.log.push(l));
    await waitFor(async () => (await n.birdc('show status').catch(() => '')).includes('Daemon is up'), { timeoutMs: 10_000, what: `bird in host ${host}` });
    return n;
  }

  get socket(): string {
    return path.join(this.dir, 'bird.ctl');
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async birdc(cmd: string): Promise<string> {
    const r = await this.lab.exec(this.host, ['birdc', '-s', this.socket, ...cmd.split(' ')], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`birdc ${cmd}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.proc?.pid) {
      try {
        process.kill(this.proc.pid, sig);
      } catch {
        /* gone */
      }
    }
  }

  async stop(): Promise<void> {
    this.signal('SIGCONT');
    if (this.proc) await stopProcess(this.proc);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
