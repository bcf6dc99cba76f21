/**
 * Fuzz the configuration front end the way `keepalived-ts -t` uses it
 * (loadConfig, the -t exit status, every diagnostic formatted) with N
 * (default 100,000) mutated configurations.
 *
 * Corpus: every sample configuration in the repository (test/config/fixtures,
 * examples/) plus a generated file tree with every preprocessor construct
 * (include with globs, @id, $PARAM and multi-line parameters, ~SEQ, ~LST,
 * nested blocks). Each input is a corpus tree with 1-4 (sometimes 8-16)
 * mutations at byte, line, token and construct level: flipped and inserted
 * characters, long runs, NULs, duplicated and deleted lines, replaced tokens,
 * include lines with glob metacharacters, self-referencing and doubling
 * parameters, generators, conditionals, deep nesting, duplicated blocks,
 * files including each other.
 *
 * Inputs run in a worker thread with a 256 MB heap limit and a watchdog:
 * an exception, an input over 2 s, no answer within 10 s, and a worker that
 * runs out of memory are failures. "Over 2 s" is the worker thread's own CPU
 * time (/proc/thread-self/stat; wall time where that cannot be read), twice:
 * a slow input is timed once more. On a shared machine wall time stretches
 * with everyone else's load; the CPU an input costs does not. Failures are
 * each saved with its seed and index to a JSON file (replay one with
 * --replay FILE). Input i of seed S is always the same input.
 *
 *   npx tsc -p . && node dist/bench/fuzz-config.js [N] [seed] [--workers W] [--out DIR]
 *   node dist/bench/fuzz-config.js --replay FILE
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { configTestExitCode, formatDiagnostic, loadConfig, memoryConfigFs, type LoadResult } from '../src/config';
import { threadCpuMs } from './lib';

export const ROOT = '/etc/keepalived/keepalived.conf';
const DIR = '/etc/keepalived';
/** An input: absolute path → text; the configuration file is ROOT. */
export type Tree = Record<string, string>;

export interface FuzzOptions {
  inputs: number;
  seed: number;
  /** Worker threads run in parallel (default 1). */
  workers?: number;
  /** Longest an input may take (default 2,000 ms). */
  timeoutMs?: number;
  /** Heap a worker may use (default 256 MB). */
  memoryMb?: number;
  /** Where failing inputs are saved (default: <tmpdir>/keepalived-ts-fuzz). */
  outDir?: string;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

export type FailureKind = 'exception' | 'hang' | 'memory';

export interface Failure {
  kind: FailureKind;
  index: number;
  detail: string;
  file: string;
}

export interface FuzzSummary {
  inputs: number;
  seed: number;
  exceptions: number;
  hangs: number;
  blowups: number;
  seconds: number;
  inputsPerSecond: number;
  /** CPU time of the slowest input (see Reply.ms), and its wall time. */
  slowestMs: number;
  slowestWallMs: number;
  slowestIndex: number;
  /** The longest wall time any input took. */
  maxWallMs: number;
  maxHeapMb: number;
  exitStatuses: Record<string, number>;
  codes: Record<string, number>;
  failures: Failure[];
}

/* ---------------------------------- random ---------------------------------- */

/** xorshift32 with helpers; one per input, seeded from (seed, index). */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }

  static forInput(seed: number, index: number): Rng {
    // splitmix-style scramble so neighbouring indexes are unrelated.
    let z = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return new Rng((z ^ (z >>> 16)) >>> 0);
  }

  next(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }

  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
}

/* ---------------------------------- corpus ---------------------------------- */

function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'test', 'config', 'fixtures'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('repository root (test/config/fixtures) not found');
}

/** Configuration files under a directory (keepalived.conf*, *.conf), recursively, sorted. */
function configFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const todo = [dir];
  while (todo.length > 0) {
    const d = todo.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) todo.push(p);
      else if (e.isFile() && (e.name.startsWith('keepalived.conf') || e.name.endsWith('.conf'))) out.push(p);
    }
  }
  return out.sort();
}

/** A tree with every preprocessor construct, valid for config id lb1. */
export function constructsTree(): Tree {
  return {
    [ROOT]: [
      '! generated by bench/fuzz-config.ts: every preprocessor construct',
      '@lb1 $PRIO=150',
      '@^lb1 $PRIO=100',
      '$IF=eth0',
      '$VI=\\',
      'vrrp_instance VI_${N} { \\',
      '    interface $IF \\',
      '    virtual_router_id ${N} \\',
      '    priority $PRIO \\',
      '    virtual_ipaddress { \\',
      '        192.0.2.${N}/24 \\',
      '    } \\',
      '}',
      '',
      'global_defs {',
      '    router_id ${_INSTANCE}_r',
      '    include conf.d/*.conf',
      '}',
      '~SEQ(N, 1, 3) $VI',
      'include inc/{a,b}[0-9].conf',
      'vrrp_sync_group G1 {',
      '    group {',
      '~LST(v, VI_1, VI_2) $v',
      '    }',
      '}',
      'virtual_server 192.0.2.100 80 {',
      '    delay_loop 6',
      '    lb_algo rr',
      '    lb_kind NAT',
      '    protocol TCP',
      '~LST({h, w}, {192.0.2.11, 1}, {192.0.2.12, 2}) real_server $h 80 { weight $w TCP_CHECK { connect_timeout 3 } }',
      '    real_server 192.0.2.13 80 {',
      '        HTTP_GET {',
      '            url {',
      '                path /${_HASH}x',
      '                status_code 200',
      '            }',
      '        }',
      '    }',
      '}',
    ].join('\n'),
    [`${DIR}/conf.d/a.conf`]: 'vrrp_garp_master_delay 2\n@lb1 vrrp_garp_master_repeat 3',
    [`${DIR}/conf.d/b.conf`]: 'enable_script_security\nscript_user nobody',
    [`${DIR}/inc/a1.conf`]: 'vrrp_script chk {\n    script "/bin/true"\n    ~SEQx(i, 9, 3, 15) weight -$i\n}',
    [`${DIR}/inc/b2.conf`]: 'static_ipaddress {\n    ~SEQ(k, 1, 2) 198.51.100.$k/24 dev eth0\n}',
  };
}

export interface Corpus {
  trees: Tree[];
  /** Texts of every corpus file (lines and blocks to copy from). */
  texts: string[];
  /** First words of the corpus lines: keywords to put where they do not belong. */
  words: string[];
}

export function loadCorpus(): Corpus {
  const root = repoRoot();
  const files = [...configFiles(path.join(root, 'test', 'config', 'fixtures')), ...configFiles(path.join(root, 'examples'))];
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  const trees: Tree[] = texts.map((t) => ({ [ROOT]: t }));
  trees.push(constructsTree());
  // Two samples joined by an include (a tree across files).
  for (let i = 0; i + 1 < texts.length; i += 5) trees.push({ [ROOT]: `${texts[i]}\ninclude conf.d/*.conf\n`, [`${DIR}/conf.d/x.conf`]: texts[i + 1] });
  const gen = constructsTree();
  texts.push(...Object.values(gen));
  const words = new Set<string>();
  for (const t of texts) {
    for (const line of t.split('\n')) {
      const w = line.trim().split(/[ \t]+/)[0];
      if (w && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w)) words.add(w);
    }
  }
  return { trees, texts, words: [...words].sort() };
}

/* --------------------------------- mutations --------------------------------- */

const SPECIAL = ['{', '}', '"', '!', '#', '$', '@', '~', '\\', '\0', '\r', '\n', '*', '?', '[', ']', ' ', '\t', ',', '(', ')', '/', '=', '.', '-', '^', ':', 'x', '0', '9', '\u00e9'];
const RUN_CHARS = ['[', '*', '{', '}', '$', 'a', '\0', '/', '"', '\\', '(', ' ', '9', '!', '@', '~', '\n', '*/'];
const RUN_LENGTHS = [16, 100, 1000, 10_000, 70_000];
const NUMBERS = ['0', '1', '-1', '255', '256', '65535', '65536', '4294967295', '4294967296', '99999999999999999999', '0x10', '1.5', '-0', '+3', '1e3', ''];
const GLOBS = [
  'conf.d/*.conf', '*', '*.conf', '../*', '../*/*', `${DIR}/*`, `${DIR}/*/*.conf`, '{a,b}.conf', 'conf.d/{a,b}.conf', 'inc/[ab]?.conf',
  '[z-a]', '[[:alpha:]]*', '[!a]*', '[^a]*', '[]]', '[\\]', '**/*', '.*', 'keepalived.conf', './keepalived.conf', '', '{', '}', '{,}',
  '{{a,b},{c,d}}*', '\\*', 'conf.d/', '/', '*/*/*/*/*',
];
const DEFINITIONS = [
  ['$A=$A', '$A'], ['$A=${A}${A}', '$A'], ['$A=${A}x${A}', 'router_id $A'], ['$M=a \\', ' $M', '', '$M'], ['$M=$M \\', ' $M', '', '$M'],
  ['$X=~SEQ(i, 1, 2) $X', '$X'], ['$P=value', 'router_id $P'], ['$E=', '$E'], ['$R=${_RANDOM 1 9}', 'priority $R'],
  ['$L=@lb1 priority 1', '$L'], ['$I=include *', '$I'], ['$T=~LST(v, a, b) ~SEQ(j, 1, 3) $v$j', '$T'],
];

function linesOf(t: string): string[] {
  return t.split('\n');
}

/**
 * `ls` with `items` inserted at `i`, as many of them as keep the text under
 * MAX_INPUT (no spread into arguments: items may be 100,000 lines).
 */
function inserted(ls: string[], i: number, items: string[]): string[] {
  let room = MAX_INPUT;
  for (const l of ls) room -= l.length + 1;
  let n = 0;
  while (n < items.length && room - (items[n].length + 1) >= 0) room -= items[n++].length + 1;
  return ls.slice(0, i).concat(items.slice(0, n), ls.slice(i));
}

/** A chain of n parameters, each twice the previous one. */
function doublingChain(n: number): string[] {
  const out = ['$D0=xy'];
  for (let i = 1; i <= n; i++) out.push(`$D${i}=\${D${i - 1}}\${D${i - 1}}`);
  out.push(`router_id $D${n}`);
  return out;
}

function randomGlob(rng: Rng): string {
  if (rng.chance(0.6)) return rng.pick(GLOBS);
  let g = '';
  const n = 1 + rng.int(12);
  for (let i = 0; i < n; i++) g += rng.pick(['*', '?', '[', ']', '!', '^', '-', '{', '}', ',', '\\', '.', 'a', 'b', 'conf', '/', '..', 'd', '[:alpha:]']);
  return g;
}

function randomLine(c: Corpus, rng: Rng): string {
  const ls = linesOf(rng.pick(c.texts));
  return ls[rng.int(ls.length)];
}

/** The lines of a `{ ... }` block starting at a line that opens one, if any. */
function blockAt(ls: string[], start: number): string[] | undefined {
  let depth = 0;
  for (let i = start; i < ls.length && i < start + 2000; i++) {
    for (const ch of ls[i]) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth <= 0) return i > start || ls[start].includes('}') ? ls.slice(start, i + 1) : undefined;
  }
  return undefined;
}

function constructLines(c: Corpus, rng: Rng, ls: string[]): string[] {
  switch (rng.int(9)) {
    case 0: return [`${rng.pick(['include', 'includer', 'includea', '@lb1 include'])} ${randomGlob(rng)}`];
    case 1: return rng.pick(DEFINITIONS).slice();
    case 2: return doublingChain(1 + rng.int(40));
    case 3: {
      const nums = Array.from({ length: 1 + rng.int(3) }, () => (rng.chance(0.5) ? String(rng.int(10)) : rng.pick(NUMBERS)));
      const inner = rng.chance(0.3) ? `~SEQ(j, ${rng.pick(NUMBERS)}) ` : '';
      return [`~SEQ${rng.chance(0.2) ? 'x' : ''}(i, ${nums.join(', ')}) ${inner}${rng.chance(0.5) ? randomLine(c, rng).trim() : 'kw_$i'}`];
    }
    case 4: return [`~LST(${rng.chance(0.5) ? 'v' : '{a, b}'}, ${Array.from({ length: 1 + rng.int(5) }, () => rng.pick(['x', '{1, 2}', '{3}', '', '$v'])).join(', ')}) ${randomLine(c, rng).trim()}`];
    case 5: {
      const n = rng.pick([10, 70, 1000, 50_000]);
      return [...Array(n).fill(`${rng.pick(['x', 'vrrp_instance V', 'global_defs', ''])} {`), ...(rng.chance(0.5) ? Array(n).fill('}') : [])];
    }
    case 6: {
      const i = rng.int(ls.length);
      const b = blockAt(ls, i) ?? [ls[i] ?? ''];
      const k = rng.pick([1, 2, 10, 200]);
      return Array.from({ length: k }, () => b).flat();
    }
    case 7: return [`${rng.pick(['@lb1', '@^lb1', '@other', '@', '@^'])} ${randomLine(c, rng).trim()}`];
    default: {
      // A block of another sample, or the whole of one.
      const other = linesOf(rng.pick(c.texts));
      const s = rng.int(other.length);
      return blockAt(other, s) ?? other.slice(s, s + 1 + rng.int(40));
    }
  }
}

function mutateText(t: string, c: Corpus, rng: Rng): string {
  const pos = rng.int(t.length + 1);
  switch (rng.int(4)) {
    case 0: { // byte level
      switch (rng.int(6)) {
        case 0: return t.slice(0, pos) + rng.pick(SPECIAL) + t.slice(pos + 1);
        case 1: return t.slice(0, pos) + Array.from({ length: 1 + rng.int(4) }, () => rng.pick(SPECIAL)).join('') + t.slice(pos);
        case 2: return t.slice(0, pos) + t.slice(pos + 1 + rng.int(64));
        case 3: { const n = 1 + rng.int(256); return t.slice(0, pos) + t.slice(pos, pos + n) + t.slice(pos); }
        case 4: return t.slice(0, pos) + rng.pick(RUN_CHARS).repeat(rng.pick(RUN_LENGTHS)) + t.slice(pos);
        default: return t.slice(0, pos) + '\0' + t.slice(pos);
      }
    }
    case 1: { // line level
      const ls = linesOf(t);
      const i = rng.int(ls.length);
      switch (rng.int(6)) {
        case 0: ls.splice(i, 1); break;
        case 1: return inserted(ls, i, Array<string>(rng.chance(0.1) ? rng.pick([100, 1000, 20_000]) : 1 + rng.int(3)).fill(ls[i])).join('\n');
        case 2: { const j = rng.int(ls.length); [ls[i], ls[j]] = [ls[j], ls[i]]; break; }
        case 3: ls.splice(i, 0, randomLine(c, rng)); break;
        case 4: ls.splice(i, 0, ''); break;
        default: ls.length = i; break;
      }
      return ls.join('\n');
    }
    case 2: { // token level
      const ls = linesOf(t);
      const i = rng.int(ls.length);
      const words = ls[i].split(/([ \t]+)/);
      const w = rng.int(words.length);
      const repl = [
        () => rng.pick(c.words), () => rng.pick(NUMBERS), () => `$${rng.pick(['A', 'M', 'P', 'X', 'IF', 'VI', 'NOPE'])}`,
        () => `\${${rng.pick(['A', '_RANDOM', '_RANDOM 5', '_RANDOM 9 1', '_PWD', '_INSTANCE', '_HASH', '_BANG', 'N 1'])}}`,
        () => randomGlob(rng), () => 'x'.repeat(rng.pick(RUN_LENGTHS)), () => `"${rng.pick(c.words)}`, () => '', () => `${words[w]} ${words[w]}`,
      ];
      words[w] = rng.pick(repl)();
      ls[i] = words.join('');
      return ls.join('\n');
    }
    default: { // construct level
      const ls = linesOf(t);
      return inserted(ls, rng.int(ls.length + 1), constructLines(c, rng, ls)).join('\n');
    }
  }
}

/** Tree-level mutations: files that include each other, files of zeros, copies. */
function mutateTree(tree: Tree, c: Corpus, rng: Rng): void {
  const names = Object.keys(tree);
  switch (rng.int(4)) {
    case 0: {
      // Several files including each other through a glob (fan-out).
      const n = 2 + rng.int(7);
      for (let k = 0; k < n; k++) tree[`${DIR}/m/f${k}.conf`] = `include ${rng.pick(['*.conf', `${DIR}/m/*`, 'f*.conf', '../m/*.conf'])}\nglobal_defs {\n kw_${k}\n}`;
      tree[ROOT] += '\ninclude m/*.conf';
      break;
    }
    case 1: tree[`${DIR}/zeros.conf`] = '\0'.repeat(rng.pick([1, 1000, 1_000_000])); tree[ROOT] += '\ninclude zeros.conf'; break;
    case 2: tree[`${DIR}/conf.d/c${rng.int(10)}.conf`] = rng.pick(c.texts); break;
    default: tree[rng.pick(names)] += `\ninclude ${rng.pick(['keepalived.conf', '*', '*.conf', 'conf.d/*', '../keepalived/keepalived.conf'])}`;
  }
}

const MAX_INPUT = 4 * 1024 * 1024;

function size(tree: Tree): number {
  let n = 0;
  for (const t of Object.values(tree)) n += t.length;
  return n;
}

/** Input `index` of `seed`: a corpus tree with stacked mutations. */
export function makeInput(c: Corpus, seed: number, index: number): Tree {
  const rng = Rng.forInput(seed, index);
  const tree: Tree = { ...rng.pick(c.trees) };
  const n = rng.chance(0.1) ? 8 + rng.int(9) : 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    if (rng.chance(0.1)) {
      const before = { ...tree };
      mutateTree(tree, c, rng);
      if (size(tree) > MAX_INPUT) { for (const key of Object.keys(tree)) delete tree[key]; Object.assign(tree, before); }
      continue;
    }
    const names = Object.keys(tree);
    const f = rng.chance(0.7) ? ROOT : rng.pick(names);
    const old = tree[f] ?? '';
    const next = mutateText(old, c, rng);
    if (size(tree) - old.length + next.length <= MAX_INPUT) tree[f] = next;
  }
  return tree;
}

/* ---------------------------------- running ---------------------------------- */

/** What `keepalived-ts -t` does with a configuration: load, format every diagnostic, the exit status. */
export function configTest(tree: Tree, seed: number): { result: LoadResult; exit: number; report: string } {
  const rng = new Rng(seed);
  const result = loadConfig(ROOT, {
    fs: memoryConfigFs(tree), hostname: 'lb1.example.net', configId: 'lb1', interfaceExists: (n) => n === 'lo' || n === 'eth0',
    random: () => rng.next() / 0x1_0000_0000,
  });
  const report = result.diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
  const exit = configTestExitCode(result.diagnostics);
  for (const d of result.diagnostics) {
    // The promises -t makes about every diagnostic.
    if (!/^[EW]_[A-Z0-9_]+$/.test(d.code)) throw new Error(`bad diagnostic code ${JSON.stringify(d.code)}`);
    if (!Number.isInteger(d.line) || !Number.isInteger(d.col) || typeof d.file !== 'string') throw new Error(`unlocated diagnostic ${d.code}`);
    if (d.message.length > 1100) throw new Error(`${d.code} message of ${d.message.length} characters`);
  }
  return { result, exit, report };
}

interface Reply {
  id: number;
  /** CPU time of the worker thread for the input (wall time where it cannot be read). */
  ms: number;
  wallMs: number;
  heapMb: number;
  exit: number;
  codes: string[];
  error?: string;
}

function workerMain(): void {
  const port = parentPort!;
  port.on('message', (m: { id: number; tree: Tree; seed: number }) => {
    const t0 = performance.now();
    const c0 = threadCpuMs();
    const spent = (): { ms: number; wallMs: number } => {
      const wallMs = performance.now() - t0;
      const c1 = threadCpuMs();
      return { ms: c0 !== undefined && c1 !== undefined ? c1 - c0 : wallMs, wallMs };
    };
    try {
      const { result, exit } = configTest(m.tree, m.seed);
      const codes = [...new Set(result.diagnostics.map((d) => d.code))];
      port.postMessage({ id: m.id, ...spent(), heapMb: getHeapStatistics().used_heap_size / 2 ** 20, exit, codes } satisfies Reply);
    } catch (e) {
      port.postMessage({ id: m.id, ...spent(), heapMb: 0, exit: -1, codes: [], error: (e as Error).stack ?? String(e) } satisfies Reply);
    }
  });
}

/** One worker and its watchdog; replaced when it hangs or runs out of memory. */
class Slot {
  private worker!: Worker;
  private pending: { id: number; resolve: (r: Reply | FailureKind) => void; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly memoryMb: number, private readonly watchdogMs: number) {
    this.spawn();
  }

  private spawn(): void {
    this.worker = new Worker(__filename, {
      workerData: { role: 'fuzz-config-worker' },
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb, maxYoungGenerationSizeMb: 32 },
      stderr: true,
    });
    this.worker.on('message', (r: Reply) => this.settle(r.id, r));
    this.worker.on('error', (e: NodeJS.ErrnoException) => {
      if (this.pending) this.settle(this.pending.id, e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'exception');
    });
    this.worker.unref();
  }

  private settle(id: number, r: Reply | FailureKind): void {
    const p = this.pending;
    if (!p || p.id !== id) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    if (typeof r === 'string') {
      void this.worker.terminate();
      this.spawn();
    }
    p.resolve(r);
  }

  run(id: number, tree: Tree, seed: number): Promise<Reply | FailureKind> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, 'hang'), this.watchdogMs);
      this.pending = { id, resolve, timer };
      this.worker.postMessage({ id, tree, seed });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function save(dir: string, seed: number, index: number, kind: FailureKind, detail: string, tree: Tree): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fuzz-config-${seed}-${index}-${kind}.json`);
  fs.writeFileSync(file, JSON.stringify({ seed, index, kind, detail, tree }, null, 1));
  return file;
}

/** Run the fuzzer; failures are saved and listed in the summary. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const corpus = loadCorpus();
  const timeoutMs = o.timeoutMs ?? 2000;
  const outDir = o.outDir ?? path.join(os.tmpdir(), 'keepalived-ts-fuzz');
  const watchdogMs = timeoutMs + 8000;
  const slots = Array.from({ length: Math.max(1, o.workers ?? 1) }, () => new Slot(o.memoryMb ?? 256, watchdogMs));
  const s: FuzzSummary = {
    inputs: 0, seed: o.seed, exceptions: 0, hangs: 0, blowups: 0, seconds: 0, inputsPerSecond: 0, slowestMs: 0, slowestWallMs: 0,
    slowestIndex: -1, maxWallMs: 0, maxHeapMb: 0, exitStatuses: {}, codes: {}, failures: [],
  };
  const fail = (kind: FailureKind, index: number, detail: string, tree: Tree): void => {
    if (kind === 'exception') s.exceptions++;
    else if (kind === 'hang') s.hangs++;
    else s.blowups++;
    const file = save(outDir, o.seed, index, kind, detail, tree);
    s.failures.push({ kind, index, detail: detail.split('\n')[0], file });
    o.progress?.(`FAIL ${kind} input ${index} (seed ${o.seed}): ${detail.split('\n')[0]} -> ${file}`);
  };
  const t0 = performance.now();
  let next = 0;
  const step = Math.max(1000, Math.floor(o.inputs / 20));
  await Promise.all(slots.map(async (slot) => {
    while (next < o.inputs) {
      const index = next++;
      const tree = makeInput(corpus, o.seed, index);
      let r = await slot.run(index, tree, o.seed ^ index);
      // A slow input is timed once more, the faster run counts.
      if (typeof r !== 'string' && !r.error && r.ms > timeoutMs) {
        const again = await slot.run(index, tree, o.seed ^ index);
        if (typeof again === 'string' || again.error || again.ms < r.ms) r = again;
      }
      s.inputs++;
      if (s.inputs % step === 0) o.progress?.(`${s.inputs} inputs, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      if (typeof r === 'string') {
        fail(r, index, r === 'hang' ? `no answer within ${watchdogMs} ms` : `worker ran out of its ${o.memoryMb ?? 256} MB heap`, tree);
        continue;
      }
      if (r.error) { fail('exception', index, r.error, tree); continue; }
      if (r.ms > s.slowestMs) { s.slowestMs = r.ms; s.slowestWallMs = r.wallMs; s.slowestIndex = index; }
      s.maxWallMs = Math.max(s.maxWallMs, r.wallMs);
      s.maxHeapMb = Math.max(s.maxHeapMb, r.heapMb);
      if (r.ms > timeoutMs) fail('hang', index, `took ${r.ms.toFixed(0)} ms of CPU (${r.wallMs.toFixed(0)} ms wall)`, tree);
      else if (r.heapMb > (o.memoryMb ?? 256)) fail('memory', index, `heap ${r.heapMb.toFixed(0)} MB after the input`, tree);
      s.exitStatuses[r.exit] = (s.exitStatuses[r.exit] ?? 0) + 1;
      for (const code of r.codes) s.codes[code] = (s.codes[code] ?? 0) + 1;
    }
  }));
  await Promise.all(slots.map((x) => x.close()));
  s.seconds = (performance.now() - t0) / 1000;
  s.inputsPerSecond = s.inputs / s.seconds;
  return s;
}

function report(s: FuzzSummary, workers: number): string {
  const top = Object.entries(s.codes).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k}=${v}`).join(' ');
  const budgets = Object.entries(s.codes).filter(([k]) => k.startsWith('E_BUDGET') || k === 'W_DIAGNOSTICS_SUPPRESSED' || k === 'W_INCLUDE_REPEATED')
    .sort().map(([k, v]) => `${k}=${v}`).join(' ');
  return [
    `fuzz-config: ${s.inputs} inputs in ${s.seconds.toFixed(1)} s = ${Math.round(s.inputsPerSecond).toLocaleString('en-US')} inputs/s, seed ${s.seed}, ${workers} worker(s)`,
    `exceptions: ${s.exceptions}, hangs (> 2 s): ${s.hangs}, memory blow-ups (> 256 MB): ${s.blowups}`,
    `slowest input: ${s.slowestMs.toFixed(0)} ms CPU, ${s.slowestWallMs.toFixed(0)} ms wall (index ${s.slowestIndex}); longest wall time: ${s.maxWallMs.toFixed(0)} ms; largest heap after an input: ${s.maxHeapMb.toFixed(0)} MB`,
    `-t exit statuses: ${Object.entries(s.exitStatuses).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `inputs per code (top 12): ${top}`,
    `inputs that hit a budget: ${budgets || 'none'}`,
    ...s.failures.slice(0, 20).map((f) => `  ${f.kind} at input ${f.index}: ${f.detail} (${f.file})`),
  ].join('\n');
}

function replay(file: string): void {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { seed: number; index: number; tree: Tree };
  const t0 = performance.now();
  const { result, exit } = configTest(j.tree, j.seed ^ j.index);
  console.log(`replay ${file}: ${(performance.now() - t0).toFixed(0)} ms, exit ${exit}, ${result.diagnostics.length} diagnostics`);
  for (const d of result.diagnostics.slice(0, 20)) console.log('  ' + formatDiagnostic(d).slice(0, 300));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const replayFile = opt('--replay');
  if (replayFile) { replay(replayFile); return; }
  const workers = Number(opt('--workers') ?? 1);
  const outDir = opt('--out');
  const inputs = Number(args[0] ?? 100_000);
  const seed = Number(args[1] ?? 0xc0ff1);
  if (!Number.isInteger(inputs) || inputs <= 0 || !Number.isInteger(seed) || !(workers >= 1)) {
    throw new Error('usage: fuzz-config [N] [seed] [--workers W] [--out DIR] | --replay FILE');
  }
  const s = await runFuzz({ inputs, seed, workers, outDir, progress: (l) => console.error(l) });
  console.log(report(s, workers));
  if (s.exceptions + s.hangs + s.blowups > 0) process.exitCode = 1;
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === 'fuzz-config-worker') workerMain();
else if (require.main === module) void main();
