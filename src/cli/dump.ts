/**
 * `-d/--dump-conf`: a readable, indented dump of the validated model
 * (`Name = value` lines, one section per object, locations omitted).
 */
import type { KeepalivedConfig } from '../config';

const SKIP = new Set(['loc', 'locs']);

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function label(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

function dumpValue(key: string, v: unknown, indent: string, out: string[]): void {
  if (v === undefined || SKIP.has(key)) return;
  if (Array.isArray(v)) {
    if (v.length === 0) return;
    if (v.every((x) => typeof x !== 'object' || x === null)) {
      out.push(`${indent}${label(key)} = ${v.map(scalar).join(' ')}`);
      return;
    }
    v.forEach((x, i) => dumpValue(`${key} #${i + 1}`, x, indent, out));
    return;
  }
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).filter(([k, x]) => x !== undefined && !SKIP.has(k));
    if (entries.length === 0) return;
    const name = (v as { name?: unknown }).name;
    out.push(`${indent}${label(key)}${typeof name === 'string' ? ` = ${name}` : ''}`);
    for (const [k, x] of entries) if (k !== 'name') dumpValue(k, x, indent + '  ', out);
    return;
  }
  out.push(`${indent}${label(key)} = ${scalar(v)}`);
}

export function dumpConfig(c: KeepalivedConfig): string {
  const out: string[] = ['------< Global definitions >------'];
  dumpValue('global', c.global, ' ', out);
  const sections: Array<[string, unknown[]]> = [
    ['VRRP scripts', c.vrrpScripts], ['Track files', c.trackFiles], ['Track processes', c.trackProcesses],
    ['VRRP instances', c.instances], ['VRRP sync groups', c.syncGroups], ['Static addresses', c.staticAddresses],
    ['Static routes', c.staticRoutes], ['Static rules', c.staticRules],
    ['Virtual server groups', c.virtualServerGroups], ['Virtual servers', c.virtualServers],
  ];
  for (const [title, items] of sections) {
    if (items.length === 0) continue;
    out.push(`------< ${title} >------`);
    items.forEach((x, i) => dumpValue(`${title.replace(/s$/, '')} #${i + 1}`, x, ' ', out));
  }
  return out.join('\n') + '\n';
}
