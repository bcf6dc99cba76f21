/**
 * FILE_CHECK (check_file.c, trackers/track_file.c). The file holds an integer
 * (a missing or unreadable file counts as 0). With weight 0 the checker fails
 * when the value is non-zero (zero with `reverse`). With a weight, the value x
 * weight (negated with `reverse`) is added to the real server's weight, and
 * the checker fails only at IPVS_WEIGHT_FAULT (-2^31) or below.
 * keepalived watches the file with inotify; here the runner polls it every
 * delay_loop.
 */
import fs from 'node:fs/promises';
import type { ProbeResult } from '../types';

export const IPVS_WEIGHT_FAULT = -2147483648;
const IPVS_WEIGHT_LIMIT = 2147483647;

/** strtol-like: leading whitespace, optional sign, decimal (or 0x hex) digits; anything else 0. */
export function parseTrackValue(text: string): number {
  const m = /^\s*([+-]?)(0x[0-9a-fA-F]+|\d+)/.exec(text);
  if (!m) return 0;
  const v = m[2].startsWith('0x') ? parseInt(m[2], 16) : parseInt(m[2], 10);
  return m[1] === '-' ? -v : v;
}

export function judgeFileValue(value: number, weight: number, reverse: boolean): ProbeResult {
  if (weight === 0) {
    const fault = reverse ? value === 0 : value !== 0;
    return fault ? { ok: false, detail: `tracked file value ${value}: FAULT` } : { ok: true, detail: `tracked file value ${value}`, weightDelta: 0 };
  }
  let w = value * weight * (reverse ? -1 : 1);
  w = Math.max(IPVS_WEIGHT_FAULT, Math.min(IPVS_WEIGHT_LIMIT, w));
  if (w <= IPVS_WEIGHT_FAULT) return { ok: false, detail: `tracked file value ${value}: FAULT` };
  return { ok: true, detail: `tracked file value ${value}, weight ${w >= 0 ? '+' : ''}${w}`, weightDelta: w };
}

export async function fileProbe(spec: { path: string; weight?: number; reverse?: boolean }): Promise<ProbeResult> {
  let value = 0;
  try {
    value = parseTrackValue((await fs.readFile(spec.path, 'latin1')).slice(0, 127));
  } catch {
    value = 0;
  }
  return judgeFileValue(value, spec.weight ?? 0, Boolean(spec.reverse));
}
