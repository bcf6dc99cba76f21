/**
 * A hostile-packet flood, run inside a lab host (the attacker):
 *   node flood.js '<FloodSpec JSON>'
 *
 * Sends `rate` VRRP datagrams per second for `seconds` through the native
 * addon's raw protocol-112 sockets: to 224.0.0.18 (TTL 255, every host
 * receives them) and, for the TTL category, unicast with TTL 64 to each
 * target host in turn. Every datagram is invalid or irrelevant for the
 * instances under attack; a valid advert with a higher priority would be a
 * legitimate takeover, not an attack, so each generated datagram is run
 * through the receiver's checks (the codec's decode ladder, then the
 * instance checks, in the order the VRRP process applies them) and dropped
 * from the pool if it would be accepted. The same classification says which
 * drop counter each datagram must land in, per destination host.
 *
 * Pacing: a 1 ms timer sends what is due (rate x elapsed - sent), so the
 * rate holds without a busy loop. Prints {"event":"ready"} once the sockets
 * are open and the pool built, then, when done, one line
 * {"event":"done", sent, seconds, byCategory, expected}.
 */
import { loadNative } from '../../../../src/native';
import { prng } from '../../../../src/net/fake/lan';
import { authDataFromPass, checkAgainstInstance, decodeAdvert, encodeAdvert, type Advert } from '../../../../src/vrrp/codec';

export interface FloodTarget {
  vrid: number;
  version: 2 | 3;
  /** v2 PASS password, if the instance uses one. */
  pass?: string;
  intervalMs: number;
  vips: string[];
}

export interface FloodSpec {
  ifname: string;
  /** The sender's own address (the sockets' source). */
  src: string;
  rate: number;
  seconds: number;
  seed: number;
  /** The IPv4 instances under attack (they share the hosts' multicast socket). */
  targets: FloodTarget[];
  /** The daemons' unicast addresses (TTL category). */
  hosts: string[];
  /** VRIDs no instance runs: valid adverts for them are the "irrelevant" category. */
  irrelevantVrids: number[];
}

/** Where a datagram must be counted: an instance drop reason, or the daemon's unknown-VRID counter. */
export type Expected = { vrid: number; reason: string } | { unknownVrid: true };

/** Counts per destination ('mcast' reaches every host; else a host's address), per counter key. */
export type ExpectedCounts = Record<string, Record<string, number>>;

export const UNKNOWN_VRID = 'unknown_vrid';
export const MCAST = 'mcast';
const GROUP = '224.0.0.18';

/** What the receiving VRRP process does with `data` (see TransportPool.acquire and VrrpInstance.receive). */
export function classify(data: Buffer, src: string, dst: string, ttl: number, targets: readonly FloodTarget[]): Expected | 'accepted' {
  const t = data.length >= 2 ? targets.find((x) => x.vrid === data[1]) : undefined;
  if (!t) return { unknownVrid: true };
  const r = decodeAdvert(data, { family: 4, src, dst, ttl, checkTtl: true });
  if (!r.ok) return { vrid: t.vrid, reason: r.reason };
  if (r.advert.version !== t.version) return { vrid: t.vrid, reason: 'version_err' };
  const chk = checkAgainstInstance(r.advert, {
    version: t.version,
    authType: t.pass ? 1 : 0,
    authPass: t.pass,
    adverIntervalMs: t.intervalMs,
    addresses: t.vips,
    strict: false,
  });
  return chk.ok ? 'accepted' : { vrid: t.vrid, reason: chk.reason };
}

export const counterKey = (e: Expected): string => ('unknownVrid' in e ? UNKNOWN_VRID : `${e.vrid}/${e.reason}`);

interface Packet {
  category: string;
  data: Buffer;
  /** GROUP, or a host's address (sent with TTL 64). */
  dst: string;
}

/** A pool entry: the datagram and the counter it must land in at its destination. */
export interface PoolPacket extends Packet {
  /** MCAST or the destination host's address. */
  where: string;
  counter: string;
}

/** The categories, each a generator of one datagram (weights: how often). */
function generators(spec: FloodSpec, rnd: () => number): { name: string; weight: number; make: () => Packet }[] {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const v3 = spec.targets.filter((t) => t.version === 3);
  const v2 = spec.targets.filter((t) => t.version === 2);
  const ctx = (dst = GROUP) => ({ family: 4 as const, src: spec.src, dst });
  /** A valid advert for `t` that would win (priority 254): the base of most categories. */
  const winning = (t: FloodTarget, over: Partial<Advert> = {}, dst = GROUP): Buffer =>
    encodeAdvert(
      {
        version: t.version,
        type: 1,
        vrid: t.vrid,
        priority: 254,
        authType: t.pass ? 1 : 0,
        ...(t.pass ? { authData: authDataFromPass(t.pass) } : {}),
        adverIntervalMs: t.intervalMs,
        addresses: t.vips,
        ...over,
      },
      ctx(dst),
    );
  const flip = (b: Buffer): Buffer => {
    const c = Buffer.from(b);
    c[int(c.length)] ^= 1 << int(8);
    return c;
  };
  const all = spec.targets;
  const gens: { name: string; weight: number; make: () => Packet }[] = [
    { name: 'bit-flip', weight: 3, make: () => ({ category: 'bit-flip', data: flip(winning(pick(all))), dst: GROUP }) },
    {
      name: 'truncated',
      weight: 2,
      make: () => {
        const b = winning(pick(all));
        return { category: 'truncated', data: b.subarray(0, 1 + int(b.length - 1)), dst: GROUP };
      },
    },
    {
      name: 'random-bytes',
      weight: 2,
      make: () => ({ category: 'random-bytes', data: Buffer.from(Array.from({ length: 1 + int(80) }, () => int(256))), dst: GROUP }),
    },
    {
      name: 'bad-checksum',
      weight: 1,
      make: () => {
        const b = Buffer.from(winning(pick(all)));
        b.writeUInt16BE(b.readUInt16BE(6) ^ (1 + int(0xfffe)), 6);
        return { category: 'bad-checksum', data: b, dst: GROUP };
      },
    },
    {
      name: 'bad-type',
      weight: 1,
      make: () => {
        const b = Buffer.from(winning(pick(all)));
        b[0] = (b[0] & 0xf0) | (2 + int(14));
        return { category: 'bad-type', data: b, dst: GROUP };
      },
    },
    {
      name: 'ttl-64',
      weight: 1,
      make: () => {
        const dst = pick(spec.hosts);
        return { category: 'ttl-64', data: winning(pick(all), {}, dst), dst };
      },
    },
    {
      name: 'unknown-vrid',
      weight: 1,
      make: () => ({ category: 'unknown-vrid', data: winning({ ...pick(all), vrid: pick(spec.irrelevantVrids) }), dst: GROUP }),
    },
  ];
  if (v3.length) {
    // A VRRPv2 advert (no auth, whole seconds) to an instance that runs v3.
    gens.push({ name: 'wrong-version', weight: 1, make: () => ({ category: 'wrong-version', data: winning({ ...pick(v3), version: 2, pass: undefined, intervalMs: 1000 }), dst: GROUP }) });
  }
  const v2pass = v2.filter((t) => t.pass);
  if (v2pass.length) {
    gens.push(
      { name: 'wrong-password', weight: 2, make: () => ({ category: 'wrong-password', data: winning(pick(v2pass), { authData: authDataFromPass('intruder') }), dst: GROUP }) },
      { name: 'no-auth', weight: 1, make: () => ({ category: 'no-auth', data: winning({ ...pick(v2pass), pass: undefined }), dst: GROUP }) },
      {
        name: 'wrong-interval',
        weight: 1,
        make: () => {
          const t = pick(v2pass);
          return { category: 'wrong-interval', data: winning(t, { adverIntervalMs: t.intervalMs + 1000 * (1 + int(5)) }), dst: GROUP };
        },
      },
    );
  }
  return gens;
}

/** `n` datagrams by weighted category, each checked to be one the receivers drop. */
export function buildPool(spec: FloodSpec, n: number): PoolPacket[] {
  const rnd = prng(spec.seed);
  const gens = generators(spec, rnd);
  const total = gens.reduce((s, g) => s + g.weight, 0);
  const out: PoolPacket[] = [];
  while (out.length < n) {
    let x = rnd() * total;
    const g = gens.find((c) => (x -= c.weight) < 0) ?? gens[gens.length - 1];
    const p = g.make();
    const e = classify(p.data, spec.src, p.dst, p.dst === GROUP ? 255 : 64, spec.targets);
    if (e === 'accepted') continue; // not hostile: never sent
    out.push({ ...p, where: p.dst === GROUP ? MCAST : p.dst, counter: counterKey(e) });
  }
  return out;
}

function main(): void {
  const spec = JSON.parse(process.argv[2]) as FloodSpec;
  const r = loadNative();
  if (!r.ok) throw new Error(r.reason);
  const n = r.native;
  const ifindex = n.ifNameToIndex(spec.ifname);
  const mcast = n.vrrpOpen(4, spec.ifname, spec.src, true);
  const ucast = n.vrrpOpen(4, spec.ifname, spec.src, true, 64);
  const pool = buildPool(spec, 4096);
  const byCategory: Record<string, number> = {};
  const expected: ExpectedCounts = {};
  const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
  out({ event: 'ready' });
  const t0 = process.hrtime.bigint();
  const endNs = BigInt(Math.round(spec.seconds * 1e9));
  let sent = 0;
  let errors = 0;
  const tick = (): void => {
    const el = process.hrtime.bigint() - t0;
    const due = Math.min(Number(el > endNs ? endNs : el) / 1e9 * spec.rate, spec.rate * spec.seconds);
    while (sent < due) {
      const p = pool[sent % pool.length];
      try {
        n.sendTo(p.dst === GROUP ? mcast : ucast, 4, p.dst, ifindex, p.data);
      } catch {
        errors++;
        sent++;
        continue;
      }
      sent++;
      byCategory[p.category] = (byCategory[p.category] ?? 0) + 1;
      const w = (expected[p.where] ??= {});
      w[p.counter] = (w[p.counter] ?? 0) + 1;
    }
    if (el >= endNs) {
      n.close(mcast);
      n.close(ucast);
      out({ event: 'done', sent: sent - errors, errors, seconds: Number(el) / 1e9, byCategory, expected });
      return;
    }
    setTimeout(tick, 1);
  };
  tick();
}

if (require.main === module) main();
