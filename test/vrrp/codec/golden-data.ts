/** Loads the golden packets captured by scripts/capture-golden.sh. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Advert, ChecksumVariant } from '../../../src/vrrp/codec';
import type { Family } from '../../../src/net/ports';

export interface GoldenCase {
  name: string;
  family: Family;
  src: string;
  dst: string;
  ttl: number;
  ipProto: number;
  payload: string;
  checksum: ChecksumVariant;
  expected: Omit<Advert, 'authData'> & { authData?: string };
}

export interface GoldenFile {
  keepalived: string;
  captured: string;
  cases: GoldenCase[];
}

/** The fixture lives next to the TypeScript source (tests run from dist/). */
function fixturePath(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const p = path.join(dir, 'test', 'vrrp', 'codec', 'fixtures', 'golden.json');
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  throw new Error('golden.json not found above ' + __dirname);
}

export function loadGolden(): GoldenFile {
  return JSON.parse(fs.readFileSync(fixturePath(), 'utf8')) as GoldenFile;
}

export function expectedAdvert(c: GoldenCase): Advert {
  const { authData, ...rest } = c.expected;
  return authData === undefined ? { ...rest } : { ...rest, authData: Buffer.from(authData, 'hex') };
}
