/**
 * `npm run demo` (as root): three hosts in network namespaces on one bridge,
 * keepalived-ts on each with examples/demo/keepalived.conf (`-i nodeN`
 * selects each host's priority), a live table of who is MASTER and who holds
 * the VIP, while the master is killed (kill -9, host lost) and brought back.
 * Everything is torn down at the end, on error, and on Ctrl-C.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lab, labUnavailableReason } from '../test/e2e/harness/netns';
import { holders, startKts, type Peer } from '../test/e2e/harness/peers';

const CONF = path.join(__dirname, '..', '..', 'examples', 'demo', 'keepalived.conf');
const VIP = '192.0.2.100';
const tty = process.stdout.isTTY;

interface Row {
  host: string;
  address: string;
  state: string;
  priority: string;
  vip: string;
}

/** Hosts whose link is down (a crashed, unplugged host keeps its addresses, but nobody can reach them). */
const unplugged = new Set<number>();

async function rows(lab: Lab, peers: Map<number, Peer | undefined>): Promise<Row[]> {
  const hold = await holders(lab, VIP);
  const out: Row[] = [];
  for (const [h, p] of peers) {
    let state = 'down';
    let priority = '-';
    if (p && !p.exit) {
      try {
        const i = (await p.status()).instances[0];
        state = i.state;
        priority = String(i.effectivePriority);
      } catch {
        state = 'starting';
      }
    }
    const vip = hold.includes(h) ? (unplugged.has(h) ? `(${VIP}, unplugged)` : VIP) : '';
    out.push({ host: `node${h}`, address: lab.ipv4(h), state: unplugged.has(h) ? 'crashed' : state, priority, vip });
  }
  return out;
}

function render(title: string, events: string[], table: Row[]): void {
  const lines = [
    `keepalived-ts demo — VRRP group VRID 51, VIP ${VIP}   (${new Date().toLocaleTimeString()})`,
    '',
    '  host    address       state     priority  holds VIP',
    '  ------  ------------  --------  --------  -------------',
    ...table.map((r) => `  ${r.host.padEnd(6)}  ${r.address.padEnd(12)}  ${r.state.padEnd(8)}  ${r.priority.padEnd(8)}  ${r.vip}`),
    '',
    `  now: ${title}`,
    '',
    ...events.slice(-8).map((e) => `  ${e}`),
  ];
  if (tty) process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const why = labUnavailableReason();
  if (why) throw new Error(`the demo ${why}: run it as root, e.g. sudo npm run demo`);
  const text = fs.readFileSync(CONF, 'utf8');
  const t0 = Date.now();
  const events: string[] = [];
  const say = (e: string) => {
    const line = `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${e}`;
    events.push(line);
    if (!tty) console.log(line);
  };
  const lab = await Lab.create({ hosts: 3, v6: false });
  const peers = new Map<number, Peer | undefined>();
  let title = 'starting';
  const timer = setInterval(() => {
    rows(lab, peers).then((t) => render(title, events, t), () => undefined);
  }, 300);
  const start = (h: number) => {
    const p = startKts(lab, h, text, { args: ['-i', `node${h}`] });
    peers.set(h, p);
    return p;
  };
  try {
    say(`built 3 hosts in network namespaces (${lab.prefix}h1..3) on a bridge`);
    title = 'electing a master';
    for (const h of [1, 2, 3]) start(h);
    say('started keepalived-ts on node1 (priority 150), node2 (100), node3 (50)');
    await peers.get(1)!.waitState('MASTER', 'VI_1', 15_000);
    say(`node1 is MASTER and holds ${VIP}`);
    title = 'steady state: node1 advertises once a second';
    await new Promise((r) => setTimeout(r, 3000));

    title = 'failover: node1 crashes';
    const killedAt = Date.now();
    peers.get(1)!.crash();
    await lab.linkSet(1, 'down');
    unplugged.add(1);
    peers.set(1, undefined);
    say('kill -9 keepalived-ts on node1 and unplug it');
    await peers.get(2)!.waitState('MASTER', 'VI_1', 10_000);
    say(`node2 took over ${((Date.now() - killedAt) / 1000).toFixed(2)} s later (Master_Down_Interval = 3 x 1 s + skew 0.61 s)`);
    await new Promise((r) => setTimeout(r, 3000));

    title = 'node1 comes back and preempts';
    await lab.linkSet(1, 'up');
    unplugged.delete(1);
    start(1);
    say('node1 is back: keepalived-ts starts in BACKUP, removes its stale VIP');
    await peers.get(1)!.waitState('MASTER', 'VI_1', 15_000);
    await peers.get(2)!.waitState('BACKUP');
    say('node1 has the higher priority: it preempted, node2 is BACKUP again');
    await new Promise((r) => setTimeout(r, 2000));

    title = 'graceful handover: SIGTERM on node1';
    const termAt = Date.now();
    peers.get(1)!.signal('SIGTERM');
    await peers.get(2)!.waitState('MASTER', 'VI_1', 5000);
    say(`SIGTERM: node1 sent priority 0, node2 took over ${((Date.now() - termAt) / 1000).toFixed(2)} s later (skew time only)`);
    peers.set(1, undefined);
    await new Promise((r) => setTimeout(r, 2500));
    title = 'done';
  } finally {
    clearInterval(timer);
    const final = await rows(lab, peers).catch(() => []);
    render(title, events, final);
    for (const p of peers.values()) await p?.stop().catch(() => undefined);
    await lab.destroy();
    console.log(`\ntorn down: namespaces ${lab.prefix}* removed`);
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
