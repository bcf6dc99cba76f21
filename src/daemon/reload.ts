/**
 * Reload planning (SIGHUP): which running objects to keep, update, create or
 * release. Pure. Objects are matched by name, as keepalived matches VRRP
 * instances across a reload; "unchanged" is structural equality of the
 * validated configuration (source locations ignored), so an instance whose
 * configuration did not change keeps its state, VIPs and timers untouched.
 */

export interface ReloadPlan<T> {
  unchanged: T[];
  /** [old, new] pairs with the same name and a different configuration. */
  changed: [T, T][];
  added: T[];
  removed: T[];
}

export function planReload<T>(before: readonly T[], after: readonly T[], nameOf: (x: T) => string): ReloadPlan<T> {
  const old = new Map(before.map((x) => [nameOf(x), x]));
  const plan: ReloadPlan<T> = { unchanged: [], changed: [], added: [], removed: [] };
  const seen = new Set<string>();
  for (const x of after) {
    const name = nameOf(x);
    seen.add(name);
    const prev = old.get(name);
    if (prev === undefined) plan.added.push(x);
    else if (sameConfig(prev, x)) plan.unchanged.push(x);
    else plan.changed.push([prev, x]);
  }
  for (const [name, x] of old) if (!seen.has(name)) plan.removed.push(x);
  return plan;
}

/** Keys that say where a value came from, not what it is. */
const LOCATION_KEYS = new Set(['loc', 'location', 'line', 'col', 'file', 'source', 'span']);

/** Structural equality ignoring source locations; Maps/Sets/Buffers compared by content. */
export function sameConfig(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(normalise(v));
}

function normalise(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return { $buf: v.toString('hex') };
  if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [k, normalise(x)]) };
  if (v instanceof Set) return { $set: [...v].map(normalise) };
  if (Array.isArray(v)) return v.map(normalise);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as object).sort()) {
    if (LOCATION_KEYS.has(k)) continue;
    out[k] = normalise((v as Record<string, unknown>)[k]);
  }
  return out;
}
