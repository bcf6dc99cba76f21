/**
 * Shared helpers for the keepalived.conf front-end tests: parse text or an
 * in-memory file tree, and summarise diagnostics as `CODE@file:line` strings
 * so assertions name the code, the file and the line of every diagnostic.
 */
import assert from 'node:assert/strict';
import {
  loadConfig, memoryConfigFs, parseConfigText, type Diagnostic, type LoadOptions, type LoadResult,
} from '../../src/config';

/** Interfaces that exist on the (virtual) test host. */
export const TEST_IFACES = new Set(['lo', 'eth0', 'eth1']);
export const ifExists = (n: string): boolean => TEST_IFACES.has(n);

/** Parse text as `/etc/keepalived/keepalived.conf`. */
export function parse(text: string, opts: LoadOptions = {}): LoadResult {
  return parseConfigText(text, '/etc/keepalived/keepalived.conf', { hostname: 'lb1.example.net', ...opts });
}

/** Parse the file `root` of an in-memory tree (absolute paths). */
export function parseFiles(files: Record<string, string>, root: string, opts: LoadOptions = {}): LoadResult {
  return loadConfig(root, { hostname: 'lb1.example.net', fs: memoryConfigFs(files), ...opts });
}

/** `CODE@line` for every diagnostic (file omitted). */
export function codes(r: LoadResult | Diagnostic[]): string[] {
  const ds = Array.isArray(r) ? r : r.diagnostics;
  return ds.map((d) => `${d.code}@${d.line}`);
}

/** Diagnostics with the given code. */
export function withCode(r: LoadResult, code: string): Diagnostic[] {
  return r.diagnostics.filter((d) => d.code === code);
}

/** Assert that there are no diagnostics at all (showing them if there are). */
export function assertClean(r: LoadResult): void {
  assert.deepEqual(r.diagnostics.map((d) => `${d.code}@${d.file}:${d.line} ${d.message}`), []);
}

/**
 * The words a config produces: each `WORD` line inside `global_defs` is an
 * unknown keyword, reported with its text. Lets preprocessing tests observe
 * exactly which lines came out, in order, with their lines.
 */
export function emitted(r: LoadResult): string[] {
  return r.diagnostics
    .filter((d) => d.code === 'W_UNKNOWN_KEYWORD')
    .map((d) => /Unknown keyword '(.*)' in /.exec(d.message)?.[1] ?? '?');
}

/** Wrap lines in `global_defs { ... }` (one line each). */
export function inGlobal(...lines: string[]): string {
  return ['global_defs {', ...lines, '}'].join('\n');
}

/** A minimal valid instance with the given extra lines. */
export function instance(name: string, vrid: number, ...lines: string[]): string {
  return [
    `vrrp_instance ${name} {`,
    ' interface eth0',
    ` virtual_router_id ${vrid}`,
    ...lines.map((l) => ' ' + l),
    ' virtual_ipaddress {',
    '  192.0.2.1/24',
    ' }',
    '}',
  ].join('\n');
}
