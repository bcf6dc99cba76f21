/**
 * Hostile input (issue 10): one test per way the mutation fuzzer broke
 * `keepalived-ts -t` (100,000 inputs, 8 distinct failures), plus one per
 * resource budget. Each asserts the diagnostic (code, file, line), that the
 * front end answered within 1 s of CPU time, and that it grew the process by
 * less than 256 MB. Include globs and fan-out use real files in a temporary directory;
 * the rest an in-memory file system.
 */
import { threadCpuMs } from '../../bench/lib';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BUDGET_CODES, DEFAULT_LIMITS, configTestExitCode, loadConfig, memoryConfigFs, type Diagnostic, type LoadOptions,
  type LoadResult,
} from '../../src/config';
import { emitted, inGlobal, parse, parseFiles } from './helpers';

const ROOT = '/etc/keepalived/keepalived.conf';
const MS = 1000;
const MB = 256;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-hostile-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write files into a fresh directory under the temporary one; returns the path of the first. */
function files(tree: Record<string, string>): string {
  const sub = fs.mkdtempSync(path.join(dir, 't'));
  for (const [name, text] of Object.entries(tree)) {
    fs.mkdirSync(path.dirname(path.join(sub, name)), { recursive: true });
    fs.writeFileSync(path.join(sub, name), text);
  }
  return path.join(sub, Object.keys(tree)[0]);
}

/** The line that shows the rest of the configuration was still read. */
const AFTER = 'global_defs {\n router_id after\n}';
const readOn = (r: LoadResult): boolean => r.config.global.routerId === 'after';

/**
 * Run the front end, asserting it took under 1 s and grew RSS (now and at its
 * peak) by under 256 MB. The time is CPU time (user + system, all threads):
 * the machine is shared with other suites, which stretch wall time but not
 * the work done; wall time only has to stay under 3 s.
 */
function bounded(what: string, run: () => LoadResult): LoadResult {
  const rss0 = process.memoryUsage().rss;
  const peak0 = process.resourceUsage().maxRSS * 1024;
  // This thread's CPU time: the garbage collector's helper threads are left out, since on a loaded
  // machine they stretch with everything else that runs (the fuzzer measures it the same way).
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  const r = run();
  const wall = performance.now() - t0;
  const cpu1 = threadCpuMs();
  const ms = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : wall;
  const grew = Math.max(process.memoryUsage().rss - rss0, process.resourceUsage().maxRSS * 1024 - peak0) / 2 ** 20;
  assert.ok(ms < MS, `${what}: ${ms.toFixed(0)} ms CPU (${wall.toFixed(0)} ms wall)`);
  assert.ok(wall < 3 * MS, `${what}: ${wall.toFixed(0)} ms wall`);
  assert.ok(grew < MB, `${what}: grew ${grew.toFixed(0)} MB`);
  return r;
}

/** `CODE@file:line` of the diagnostics with this code (file relative to the temp dir or /etc/keepalived). */
function at(r: LoadResult | Diagnostic[], code: string): string[] {
  const ds = Array.isArray(r) ? r : r.diagnostics;
  return ds.filter((d) => d.code === code).map((d) => `${path.basename(d.file)}:${d.line}`);
}

function load(root: string, opts: LoadOptions = {}): LoadResult {
  return loadConfig(root, { hostname: 'lb1.example.net', ...opts });
}

/* ------------------------------------ globs ------------------------------------ */

test('include glob: a character class that is no valid regexp matches as glob(3) does, without throwing', () => {
  const root = files({ 'cls.conf': 'include [z-a]*.conf\ninclude [[:nosuch:]]x\ninclude [^z-a].conf\ninclude [\\]x', 'b.conf': inGlobal(' from_b') });
  const r = bounded('classes', () => load(root));
  assert.deepEqual(at(r, 'W_INCLUDE_NOT_FOUND'), ['cls.conf:1', 'cls.conf:2', 'cls.conf:4']);
  assert.deepEqual(emitted(r), ['from_b']);
});

test('include glob: a pattern longer than PATH_MAX is E_BUDGET_GLOB at the include line', () => {
  const root = files({ 'long.conf': `global_defs {\n}\ninclude ${'a'.repeat(60_000)}.conf\n${AFTER}` });
  const r = bounded('long pattern', () => load(root));
  assert.deepEqual(at(r, 'E_BUDGET_GLOB'), ['long.conf:3']);
  assert.match(r.diagnostics[0].message, /longer than 4096/);
  assert.ok(r.diagnostics[0].message.length < 400, 'the quoted pattern is cut short');
  assert.ok(readOn(r));
});

test('include glob: runs of * do not backtrack (40 stars, and *a*a*...b against long names)', () => {
  const name = 'a'.repeat(200);
  const root = files({ 'stars.conf': `include ${'*'.repeat(40)}x\ninclude ${'*a'.repeat(1000)}b\ninclude ${'*'.repeat(40)}.conf`, [name]: '' });
  const r = bounded('stars', () => load(root));
  assert.deepEqual(at(r, 'W_INCLUDE_NOT_FOUND'), ['stars.conf:1', 'stars.conf:2']);
  assert.deepEqual(at(r, 'E_INCLUDE_CYCLE'), ['stars.conf:3'], 'the third matches only the file itself');
});

test('include glob: tens of thousands of path segments neither recurse nor copy quadratically', () => {
  const root = files({ 'segs.conf': `include ${'*/'.repeat(30_000)}x\ninclude ${'d/'.repeat(2000)}x\ninclude ${'*/'.repeat(2000)}x` });
  const r = bounded('segments', () => load(root));
  assert.deepEqual(at(r, 'E_BUDGET_GLOB'), ['segs.conf:1']);
  assert.deepEqual(at(r, 'W_INCLUDE_NOT_FOUND'), ['segs.conf:2', 'segs.conf:3']);
});

test('include glob: a megabyte of [ is a line over the length budget; 4,000 of them are a literal name', () => {
  const root = files({ 'brk.conf': `include ${'['.repeat(1_000_000)}\ninclude ${'['.repeat(4000)}` });
  const r = bounded('brackets', () => load(root));
  assert.deepEqual(at(r, 'E_BUDGET_LINE_LENGTH'), ['brk.conf:1']);
  assert.deepEqual(at(r, 'W_INCLUDE_NOT_FOUND'), ['brk.conf:2']);
});

test('include glob: braces expanding to more than 1,024 patterns are E_BUDGET_GLOB', () => {
  const root = files({ 'braces.conf': `include ${'{a,b}'.repeat(11)}.conf\ninclude {b,nosuch}.conf`, 'b.conf': inGlobal(' from_b') });
  const r = bounded('braces', () => load(root));
  assert.deepEqual(at(r, 'E_BUDGET_GLOB'), ['braces.conf:1']);
  assert.match(r.diagnostics[0].message, /more than 1024 patterns/);
  assert.deepEqual(emitted(r), ['from_b']);
});

/* ---------------------------------- fan-out ---------------------------------- */

test('include fan-out: 8 files including each other through a glob are each included once per include line', () => {
  const tree: Record<string, string> = { 'fan/main.conf': 'include parts/*.conf' };
  for (let i = 0; i < 8; i++) tree[`fan/parts/p${i}.conf`] = `include *.conf\nglobal_defs {\n kw_${i}\n}`;
  const root = files(tree);
  const r = bounded('fan-out', () => load(root));
  // Each of the 9 include lines includes each of the 8 files at most once: 8 x 8 openings, not 8! paths.
  assert.equal(emitted(r).length, 64);
  assert.equal(r.diagnostics.length, 64 + at(r, 'E_INCLUDE_CYCLE').length + at(r, 'W_INCLUDE_REPEATED').length);
  // The first cycle: p0 includes p0 itself.
  assert.equal(at(r, 'E_INCLUDE_CYCLE')[0], 'p0.conf:1');
  assert.ok(at(r, 'W_INCLUDE_REPEATED').every((s) => /^p\d\.conf:1$/.test(s)));
});

/* --------------------------------- parameters --------------------------------- */

test('$PARAM defined through itself: $A=$A loops until the round limit, $A=${A}x${A} until the line length', () => {
  const r = bounded('self', () => parse(['$A=$A', '$B=${B}x${B}', inGlobal(' $A', ' $B', ' after')].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_EXPANSION_DEPTH'), ['keepalived.conf:4']);
  assert.deepEqual(at(r, 'E_BUDGET_LINE_LENGTH'), ['keepalived.conf:5']);
  assert.deepEqual(emitted(r), ['after']);
});

test('$PARAM: 20,000 uses of a parameter that doubles to just over the line length stop at E_BUDGET_EXPANDED_SIZE (found by fuzz-config)', () => {
  const defs = ['$D0=xy'];
  for (let i = 1; i <= 14; i++) defs.push(`$D${i}=\${D${i - 1}}\${D${i - 1}}`);
  const r = bounded('near the limit', () => parse([...defs, inGlobal(...Array(20_000).fill(' router_id $D14')), AFTER].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_LINE_LENGTH')[0], 'keepalived.conf:17');
  // Once spent, every later line that needs expanding is refused (and reported, up to the file's 200).
  const spent = r.diagnostics.filter((d) => d.code === 'E_BUDGET_EXPANDED_SIZE');
  assert.match(spent[0].message, /expanded to more than 16777216 characters/);
  assert.match(spent[1].message, /budget spent - line ignored/);
  assert.ok(readOn(r));
});

test('$PARAM: a chain of 40 parameters that each double stops at the line length budget', () => {
  const defs = ['$P0=xx'];
  for (let i = 1; i <= 40; i++) defs.push(`$P${i}=\${P${i - 1}}\${P${i - 1}}`);
  const r = bounded('chain', () => parse([...defs, inGlobal(' $P40', ' router_id $P10')].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_LINE_LENGTH'), ['keepalived.conf:43']);
  assert.equal(r.config.global.routerId, 'x'.repeat(2048));
});

test('$PARAM: a multi-line parameter that refers to itself stops at the expansion depth', () => {
  const r = bounded('multi-line self', () => parse(['$M=one \\', ' $M \\', ' $M', '', inGlobal(' $M', ' after')].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_EXPANSION_DEPTH'), ['keepalived.conf:6']);
  assert.equal(emitted(r).at(-1), 'after');
  assert.equal(emitted(r).filter((w) => w === 'one').length, DEFAULT_LIMITS.expansionDepth);
});

test('$PARAM with ~SEQ: a parameter whose value generates itself stops at the expansion depth', () => {
  const r = bounded('param + seq', () => parse(['$X=~SEQ(i, 1, 2) $X', inGlobal(' $X', ' after')].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_EXPANSION_DEPTH'), ['keepalived.conf:3']);
  assert.deepEqual(emitted(r), ['after']);
});

test('$PARAM: nested multi-line parameters (9 lines of the level below, 8 levels: 43 million lines) stop at E_BUDGET_EXPANDED_LINES', () => {
  const text = ['$L0=leaf'];
  for (let i = 1; i <= 8; i++) text.push(`$L${i}=\\`, ...Array(8).fill(` $L${i - 1} \\`), ` $L${i - 1}`, '');
  const r = bounded('laughs', () => parse([...text, inGlobal(' $L8'), AFTER].join('\n')));
  const use = text.length + 2;
  assert.deepEqual(at(r, 'E_BUDGET_EXPANDED_LINES'), [`keepalived.conf:${use}`]);
  assert.ok(readOn(r));
});

test('$PARAM: lines that expand to more than 16 MiB in total stop at E_BUDGET_EXPANDED_SIZE', () => {
  const r = bounded('size', () => parse([`$A=${'x'.repeat(60_000)}`, 'global_defs {', '~SEQ(i, 1, 1000) $A', '}', AFTER].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_EXPANDED_SIZE'), ['keepalived.conf:3']);
  assert.ok(readOn(r));
});

/* --------------------------------- generators --------------------------------- */

test('~SEQ: nested sequences whose template emits nothing still stop at the generator budget', () => {
  const r = bounded('empty seq', () => parse(inGlobal('~SEQ(a, 1, 1000) ~SEQ(b, 1, 1000) ~SEQ(c, 1, 1000) @other_host x', ' after')));
  assert.deepEqual(at(r, 'E_BUDGET_GENERATOR'), ['keepalived.conf:2']);
  assert.deepEqual(emitted(r), ['after']);
});

test('~SEQ: a million instances from one line is refused; 99,999 stop at the expanded-lines budget', () => {
  const million = bounded('1M', () => parse('~SEQ(i, 1, 1000000) vrrp_instance VI_$i { virtual_router_id 1 }'));
  assert.deepEqual(at(million, 'W_BAD_GENERATOR'), ['keepalived.conf:1']);
  assert.match(million.diagnostics[0].message, /too many values \(more than 100000\)/);
  const many = bounded('99,999', () => parse('~SEQ(i, 1, 99999) vrrp_instance VI_$i { virtual_router_id 1 }'));
  assert.deepEqual(at(many, 'E_BUDGET_EXPANDED_LINES'), ['keepalived.conf:1']);
  assert.equal(many.config.instances.length, DEFAULT_LIMITS.expandedLines / 4);
});

/* -------------------------------- diagnostics -------------------------------- */

test('cost per diagnostic: 20,000 unknown keywords take well under a second; the first 200 are shown, then one summary', () => {
  const words = Array.from({ length: 20_000 }, (_, i) => ` unknown_keyword_${i}`);
  const r = bounded('20k unknown', () => parse(inGlobal(...words)));
  assert.equal(at(r, 'W_UNKNOWN_KEYWORD').length, 200);
  assert.deepEqual(at(r, 'W_DIAGNOSTICS_SUPPRESSED'), ['keepalived.conf:202']);
  assert.match(r.diagnostics.at(-1)!.message, /^19800 more diagnostics in \/etc\/keepalived\/keepalived\.conf suppressed/);
  assert.equal(configTestExitCode(r.diagnostics), 5);
});

test('cost per diagnostic: 20,000 "did you mean" suggestions, none suppressed, still well under a second', () => {
  const words = Array.from({ length: 20_000 }, (_, i) => ` ${['router_idd', 'notification_emial', 'vrrp_garp_master_dealy', 'x'.repeat(60)][i % 4]}${i}`);
  const r = bounded('20k suggestions', () => parse(inGlobal(...words), { limits: { diagnosticsPerFile: Infinity, diagnosticsTotal: Infinity } }));
  assert.equal(at(r, 'W_UNKNOWN_KEYWORD').length, 20_000);
  assert.match(r.diagnostics[0].message, /did you mean 'router_id'\?/);
});

test('suppression keeps the exit status: a code first seen after the limit is still shown', () => {
  const r = parse(inGlobal(...Array.from({ length: 300 }, (_, i) => ` unknown_${i}`), ' vrrp_garp_master_delay'));
  assert.deepEqual(at(r, 'E_MISSING_PARAMETER'), ['keepalived.conf:302']);
  assert.equal(configTestExitCode(r.diagnostics), 2);
});

test('NUL: a line ends at its first NUL byte, as keepalived reads it', () => {
  const r = bounded('nul', () => parse('global_defs {\n x\0y\n router_id r1\0ignored words\n}'));
  assert.deepEqual(emitted(r), ['x']);
  assert.deepEqual(at(r, 'W_UNKNOWN_KEYWORD'), ['keepalived.conf:2']);
  assert.equal(r.config.global.routerId, 'r1');
});

test('NUL: a 64 MB file of zeros included is 64 MB of empty lines, not one 64 MB warning', () => {
  const r = bounded('zeros', () => parseFiles({ [ROOT]: 'include zeros.conf\nglobal_defs {\n after\n}', '/etc/keepalived/zeros.conf': '\0'.repeat(64_000_000) }, ROOT));
  assert.deepEqual(emitted(r), ['after']);
  assert.equal(r.diagnostics.length, 1);
});

test('a diagnostic quotes at most 200 characters of the input', () => {
  const r = parse(inGlobal(` ${'k'.repeat(10_000)}`));
  const m = r.diagnostics[0].message;
  assert.ok(m.length < 300, `${m.length} characters`);
  assert.match(m, /^Unknown keyword 'k{200}\.\.\.' in global_defs$/);
});

/* --------------------------------- duplicate VRID --------------------------------- */

test('duplicate VRID: at the second instance\'s virtual_router_id line, naming the first one\'s file and line', () => {
  const vi = (name: string, extra = ''): string =>
    `vrrp_instance ${name} {\n interface eth0\n${extra} virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.1\n }\n}`;
  const r = parseFiles({ [ROOT]: `include vi1.conf\n${vi('VI_2', ' priority 50\n')}`, '/etc/keepalived/vi1.conf': vi('VI_1') }, ROOT);
  assert.deepEqual(at(r, 'E_DUPLICATE_VRID'), ['keepalived.conf:5']);
  assert.match(r.diagnostics[0].message, /already used by VI_1 at \/etc\/keepalived\/vi1\.conf:3\)$/);
});

/* ------------------------------ the other budgets ------------------------------ */

test('block nesting deeper than 64 is E_BUDGET_BLOCK_DEPTH at the 65th "{", the rest of that block is skipped', () => {
  const r = bounded('deep blocks', () => parse(`${'x {\n'.repeat(100_000)}${'}\n'.repeat(100_000)}global_defs {\n after\n}`));
  assert.deepEqual(at(r, BUDGET_CODES.blockDepth), ['keepalived.conf:65']);
  assert.deepEqual(emitted(r), ['x', 'after']);
});

test('a physical line longer than 64 KiB is E_BUDGET_LINE_LENGTH and ignored; the next line is read', () => {
  const r = bounded('long line', () => parse(inGlobal(` ${'a'.repeat(100_000)}`, ' after')));
  assert.deepEqual(at(r, 'E_BUDGET_LINE_LENGTH'), ['keepalived.conf:2']);
  assert.deepEqual(emitted(r), ['after']);
});

test('include depth: a chain of 40 files stops at 32 with E_BUDGET_INCLUDE_DEPTH', () => {
  const tree: Record<string, string> = {};
  for (let i = 0; i < 40; i++) tree[`/c/f${i}.conf`] = `include f${i + 1}.conf\nglobal_defs {\n in_${i}\n}`;
  const r = bounded('include depth', () => parseFiles(tree, '/c/f0.conf'));
  assert.deepEqual(at(r, 'E_BUDGET_INCLUDE_DEPTH'), ['f31.conf:1']);
  assert.equal(emitted(r).length, 32);
});

test('include opens: more than 4,096 files is E_BUDGET_INCLUDES, at the include line', () => {
  const tree: Record<string, string> = { [ROOT]: 'include d/*\nglobal_defs {\n after\n}' };
  for (let i = 0; i < 5000; i++) tree[`/etc/keepalived/d/${String(i).padStart(4, '0')}`] = '';
  const r = bounded('include opens', () => parseFiles(tree, ROOT));
  assert.deepEqual(at(r, 'E_BUDGET_INCLUDES'), ['keepalived.conf:1']);
  assert.deepEqual(emitted(r), ['after']);
});

test('input size: a file that would take the total over the budget is E_BUDGET_INPUT_SIZE at its include line, not read', () => {
  const r = bounded('input size', () => loadConfig(ROOT, {
    fs: memoryConfigFs({ [ROOT]: 'include big.conf\ninclude small.conf', '/etc/keepalived/big.conf': 'x'.repeat(2000), '/etc/keepalived/small.conf': inGlobal(' small') }),
    limits: { inputSize: 1000 },
  }));
  assert.deepEqual(at(r, 'E_BUDGET_INPUT_SIZE'), ['keepalived.conf:1']);
  assert.deepEqual(emitted(r), ['small']);
});

test('input lines: a file read once per include line still stops at 1,000,000 lines read, with E_BUDGET_INPUT_LINES', () => {
  const tree: Record<string, string> = { [ROOT]: 'include m/*.conf' };
  // 4 files including each other: each is read once per include line (5 times), 5 x 4 x 100,000 lines.
  for (let k = 0; k < 4; k++) tree[`/etc/keepalived/m/f${k}.conf`] = `include *.conf\n${'x\n'.repeat(100_000)}`;
  const r = bounded('input lines', () => parseFiles(tree, ROOT));
  assert.equal(at(r, 'E_BUDGET_INPUT_LINES').length, 1);
  assert.match(r.diagnostics.find((d) => d.code === 'E_BUDGET_INPUT_LINES')!.message, /More than 1000000 lines read/);
});

test('words: 2,000,000 words in all, expanded or read, then E_BUDGET_WORDS and reading stops', () => {
  // A ~SEQ of a 30,000-word template (found by fuzz-config: 6 s, nearly all garbage collection).
  const r = bounded('words', () => parse(['global_defs {', `~SEQ(i, 1, 99999) ${'x '.repeat(30_000)}`, '}', AFTER].join('\n')));
  assert.deepEqual(at(r, 'E_BUDGET_WORDS'), ['keepalived.conf:2']);
  assert.notEqual(r.config.global.routerId, 'after', 'reading stopped');
  // Without a generator the template's length is paid per run: a long line without $ is no way around the budget.
  const spaces = bounded('long template', () => parse(['global_defs {', `~SEQ(i, 1, 99999) protocol${' '.repeat(60_000)}x`, '}', AFTER].join('\n')));
  assert.deepEqual(at(spaces, 'E_BUDGET_EXPANDED_SIZE'), ['keepalived.conf:2']);
  assert.ok(readOn(spaces));
});

test('every budget has its own E_BUDGET_ code (the diagnostics summary is a warning)', () => {
  const codes = new Set(Object.values(BUDGET_CODES));
  assert.deepEqual([...codes].sort(), [
    'E_BUDGET_BLOCK_DEPTH', 'E_BUDGET_EXPANDED_LINES', 'E_BUDGET_EXPANDED_SIZE', 'E_BUDGET_EXPANSION_DEPTH', 'E_BUDGET_GENERATOR',
    'E_BUDGET_GLOB', 'E_BUDGET_INCLUDES', 'E_BUDGET_INCLUDE_DEPTH', 'E_BUDGET_INPUT_LINES', 'E_BUDGET_INPUT_SIZE', 'E_BUDGET_LINE_LENGTH',
    'E_BUDGET_WORDS', 'W_DIAGNOSTICS_SUPPRESSED',
  ]);
});
