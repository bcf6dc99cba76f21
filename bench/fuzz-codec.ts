/**
 * Fuzz decodeAdvert with N (default 1,000,000) random and mutated packets:
 * bit flips, truncation, extension and lying address counts of the golden
 * keepalived captures, plus fully random bytes and random receive options.
 * Asserts zero exceptions and well-formed results; prints the rate, the
 * reasons seen, and a plain decode rate over valid goldens.
 *
 *   npx tsc -p . && node dist/bench/fuzz-codec.js [N] [seed]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DROP_REASONS, decodeAdvert, type DecodeOptions } from '../src/vrrp/codec';

interface Golden {
  bytes: Buffer;
  opts: DecodeOptions;
}

function loadGolden(): Golden[] {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'test', 'vrrp', 'codec', 'fixtures', 'golden.json');
    if (fs.existsSync(p)) {
      const j = JSON.parse(fs.readFileSync(p, 'utf8')) as {
        cases: Array<{ payload: string; family: 4 | 6; src: string; dst: string; ttl: number }>;
      };
      return j.cases.map((c) => ({
        bytes: Buffer.from(c.payload, 'hex'),
        opts: { family: c.family, src: c.src, dst: c.dst, ttl: c.ttl, checkTtl: false, acceptChecksum: ['pseudo', 'plain', 'pseudo-mcast'] },
      }));
    }
    dir = path.dirname(dir);
  }
  throw new Error('golden.json not found');
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function main(): void {
  const n = Number(process.argv[2] ?? 1_000_000);
  const seed = Number(process.argv[3] ?? 0xc0dec);
  if (!Number.isInteger(n) || n <= 0) throw new Error('usage: fuzz-codec [N] [seed]');
  const golden = loadGolden();
  const next = xorshift(seed);
  const reasons = new Set<string>(DROP_REASONS);
  const counts = new Map<string, number>();
  const modes = ['random', 'bitflip', 'truncate', 'extend', 'count', 'opts'];
  const pool = Buffer.alloc(256);
  let exceptions = 0;
  let accepted = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const g = golden[next() % golden.length];
    let buf: Buffer;
    let opts = g.opts;
    const mode = next() % modes.length;
    switch (mode) {
      case 0: {
        const len = next() % 120;
        for (let k = 0; k < len; k++) pool[k] = next() & 0xff;
        if (len > 0 && next() % 2) pool[0] = next() % 2 ? 0x21 : 0x31;
        buf = pool.subarray(0, len);
        break;
      }
      case 1: {
        g.bytes.copy(pool);
        buf = pool.subarray(0, g.bytes.length);
        const flips = 1 + (next() % 6);
        for (let k = 0; k < flips; k++) {
          const bit = next() % (buf.length * 8);
          buf[bit >> 3] ^= 1 << (bit & 7);
        }
        break;
      }
      case 2:
        buf = g.bytes.subarray(0, next() % (g.bytes.length + 1));
        break;
      case 3: {
        g.bytes.copy(pool);
        const extra = 1 + (next() % 64);
        for (let k = 0; k < extra; k++) pool[g.bytes.length + k] = next() & 0xff;
        buf = pool.subarray(0, g.bytes.length + extra);
        break;
      }
      case 4:
        g.bytes.copy(pool);
        buf = pool.subarray(0, g.bytes.length);
        buf[3] = next() & 0xff;
        break;
      default:
        buf = g.bytes;
        opts = { ...g.opts, ttl: next() & 0xff, checkTtl: next() % 2 === 0, family: next() % 2 ? 4 : 6 };
    }
    let reason: string;
    try {
      const r = decodeAdvert(buf, opts);
      if (r.ok) {
        accepted++;
        reason = 'ok';
        if (r.advert.addresses.length !== buf[3]) throw new Error('address count mismatch');
      } else {
        reason = r.reason;
        if (!reasons.has(reason)) throw new Error('unknown reason ' + reason);
      }
    } catch (e) {
      exceptions++;
      reason = 'EXCEPTION';
      if (exceptions <= 5) console.error(`exception on ${buf.toString('hex')} ${JSON.stringify(opts)}:`, e);
    }
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;

  // Plain decode rate over the valid goldens (the hot path: every received advert).
  const m = 1_000_000;
  const t1 = process.hrtime.bigint();
  let ok = 0;
  for (let i = 0; i < m; i++) {
    const g = golden[i % golden.length];
    if (decodeAdvert(g.bytes, g.opts).ok) ok++;
  }
  const secs2 = Number(process.hrtime.bigint() - t1) / 1e9;

  console.log(`fuzz: ${n} packets in ${secs.toFixed(2)} s = ${Math.round(n / secs).toLocaleString('en-US')} packets/s, seed ${seed}`);
  console.log(`exceptions: ${exceptions}, accepted: ${accepted}`);
  console.log('results: ' + [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' '));
  console.log(`valid golden decode: ${m} in ${secs2.toFixed(2)} s = ${Math.round(m / secs2).toLocaleString('en-US')} adverts/s (${ok} ok)`);
  if (exceptions > 0 || ok !== m) process.exitCode = 1;
}

main();
