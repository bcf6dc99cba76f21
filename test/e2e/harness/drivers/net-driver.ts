/**
 * A small driver run inside a lab namespace (`lab.node(host, netDriverPath)`):
 * exposes the Linux adapters over JSON lines. Requests on stdin:
 *   {"id": 1, "op": "transport.open", "args": {...}}
 * answers on stdout: {"id": 1, "ok": true, "result": ...} or {"id": 1, "ok": false, "error": {code, message}};
 * events on stdout: {"event": "packet" | "link" | "addrRemoved" | "addrAdded" | "transportError", ...}.
 * Buffers travel as hex strings.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { loadNative } from '../../../../src/native';
import {
  LinuxAnnouncer,
  MacvlanManager,
  NetlinkAddressManager,
  NetlinkLinkWatcher,
  RawVrrpTransport,
} from '../../../../src/net/linux';
import type { VipSpec } from '../../../../src/net/ports';

type Args = Record<string, unknown>;

const out = (o: unknown): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};

const transports = new Map<number, RawVrrpTransport>();
let nextT = 1;
let addrs: NetlinkAddressManager | undefined;
let watcher: NetlinkLinkWatcher | undefined;
let vmacs: MacvlanManager | undefined;
let announcer: LinuxAnnouncer | undefined;

const ops: Record<string, (a: Args) => unknown> = {
  'native.status': () => {
    const r = loadNative();
    return r.ok ? { ok: true, path: r.path } : { ok: false, reason: r.reason };
  },
  'transport.open': async (a) => {
    const t = await RawVrrpTransport.open(a as never);
    const id = nextT++;
    transports.set(id, t);
    t.onPacket((p) => out({ event: 'packet', t: id, data: p.data.toString('hex'), src: p.src, dst: p.dst, ttl: p.ttl, ifindex: p.ifindex }));
    t.onError((e) => out({ event: 'transportError', t: id, message: e.message }));
    return { t: id, sourceAddress: t.sourceAddress, ifindex: t.ifindex, group: t.group ?? null, sourceBound: t.sourceBound };
  },
  'transport.send': (a) => {
    const t = transports.get(a.t as number);
    if (!t) throw new Error('no such transport');
    t.send(Buffer.from(a.hex as string, 'hex'), a.dst as string);
    return t.counters;
  },
  'transport.close': (a) => {
    // Kept in the map so a later send shows the closed transport's behaviour.
    transports.get(a.t as number)?.close();
    return true;
  },
  'addr.add': (a) => (addrs ??= new NetlinkAddressManager()).add(a as unknown as VipSpec),
  'addr.remove': (a) => (addrs ??= new NetlinkAddressManager()).remove(a as unknown as VipSpec),
  'addr.has': (a) => (addrs ??= new NetlinkAddressManager()).has(a as unknown as VipSpec),
  /** n add+remove round trips; returns per-operation microseconds (median, p99). */
  'addr.bench': async (a) => {
    const m = (addrs ??= new NetlinkAddressManager());
    const vip = a.vip as VipSpec;
    const n = (a.n as number) ?? 200;
    const add: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < n; i++) {
      let t0 = process.hrtime.bigint();
      await m.add(vip);
      add.push(Number(process.hrtime.bigint() - t0) / 1000);
      t0 = process.hrtime.bigint();
      await m.remove(vip);
      del.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    const q = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
    return { n, addMedianUs: q(add, 0.5), addP99Us: q(add, 0.99), removeMedianUs: q(del, 0.5), removeP99Us: q(del, 0.99) };
  },
  'watcher.open': async () => {
    if (!watcher) {
      watcher = await NetlinkLinkWatcher.open();
      watcher.onLink((s) => out({ event: 'link', ...s }));
      watcher.onAddressRemoved((ifname, address, family) => out({ event: 'addrRemoved', ifname, address, family }));
      watcher.onAddressAdded((ifname, address, family) => out({ event: 'addrAdded', ifname, address, family }));
    }
    return watcher.allLinks().map((l) => ({ ifname: l.ifname, ifindex: l.ifindex, up: l.up }));
  },
  'watcher.state': (a) => watcher?.linkState(a.ifname as string) ?? null,
  'watcher.addresses': (a) => watcher?.addresses(a.ifname as string, a.family as 4 | 6 | undefined) ?? [],
  'watcher.primary': (a) => watcher?.primaryAddress(a.ifname as string, a.family as 4 | 6) ?? null,
  announce: (a) => {
    announcer ??= new LinuxAnnouncer();
    announcer.announce(a.ifname as string, a.address as string, a.family as 4 | 6, a.mac ? Buffer.from(a.mac as string, 'hex') : undefined);
    return announcer.counters;
  },
  /** This process's open AF_PACKET sockets (inodes from /proc/self/fd that /proc/net/packet lists). */
  'packetSockets': () => {
    const mine = new Set<string>();
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
        if (m) mine.add(m[1]);
      } catch {
        /* closed meanwhile */
      }
    }
    const rows = fs.readFileSync('/proc/net/packet', 'utf8').trim().split('\n').slice(1);
    return rows.map((r) => r.trim().split(/\s+/).at(-1)!).filter((inode) => mine.has(inode)).length;
  },
  'vmac.create': async (a) => {
    const r = await (vmacs ??= new MacvlanManager()).create(a as never);
    return { changed: r.changed, ifindex: r.ifindex, mac: r.mac.toString('hex') };
  },
  'vmac.remove': (a) => (vmacs ??= new MacvlanManager()).remove(a.name as string),
  exit: () => {
    for (const t of transports.values()) t.close();
    addrs?.close();
    watcher?.close();
    vmacs?.close();
    setImmediate(() => process.exit(0));
    return true;
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req: { id: number; op: string; args?: Args };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    out({ id: -1, ok: false, error: { code: 'BAD_JSON', message: line } });
    return;
  }
  const fn = ops[req.op];
  Promise.resolve()
    .then(() => {
      if (!fn) throw Object.assign(new Error(`unknown op ${req.op}`), { code: 'UNKNOWN_OP' });
      return fn(req.args ?? {});
    })
    .then(
      (result) => out({ id: req.id, ok: true, result }),
      (e: Error & { code?: string }) => out({ id: req.id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message } }),
    );
});
rl.on('close', () => process.exit(0));
out({ event: 'ready', pid: process.pid });
