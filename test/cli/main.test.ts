/**
 * runCli with a fake CliIo: -t exit statuses and report, the -t log file,
 * the script-check hook, --dump-json, -d, -v, -h, usage errors and run mode.
 * Configuration files are real files in a temporary directory.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliIo, type ScriptFindings } from '../../src/cli/main';
import type { CliOptions } from '../../src/cli/args';
import type { KeepalivedConfig, LoadResult } from '../../src/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-cli-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

interface FakeIo extends CliIo {
  out: string;
  err: string;
  files: Map<string, string>;
  started: Array<{ options: CliOptions; loaded: LoadResult }>;
  scriptCalls: KeepalivedConfig[];
  status(socket: string, json: boolean): void;
}

function fakeIo(over: Partial<CliIo> = {}): FakeIo {
  const io: FakeIo = {
    out: '',
    err: '',
    files: new Map(),
    started: [],
    scriptCalls: [],
    stdout: (t) => { io.out += t; },
    stderr: (t) => { io.err += t; },
    hostname: () => 'lb1.example.net',
    interfaceExists: (n) => n === 'lo' || n === 'eth0',
    writeFile: (f, t) => { io.files.set(f, (io.files.get(f) ?? '') + t); },
    startDaemon: (options, loaded) => { io.started.push({ options, loaded }); },
    status: () => { throw new Error('not used'); },
    ...over,
  };
  return io;
}

const VALID = file('valid.conf', [
  'global_defs {',
  ' router_id r1',
  '}',
  'vrrp_instance VI_1 {',
  ' interface eth0',
  ' virtual_router_id 51',
  ' priority 150',
  ' virtual_ipaddress {',
  '  192.0.2.1/24',
  ' }',
  '}',
].join('\n'));
const WARN = file('warn.conf', 'vrrp_instance VI_1 {\n interface eth9\n virtual_router_id 51\n priorty 100\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n');
const MISSING_VALUE = file('missing-value.conf', 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id\n}\n');
const ERRORS = file('errors.conf', 'vrrp_instance VI_1 {\n version 3\n virtual_router_id 1\n}\n');

test('-t on a valid configuration: exit 0, nothing printed, daemon not started', () => {
  const io = fakeIo();
  assert.equal(runCli(['-t', '-f', VALID], io), 0);
  assert.deepEqual([io.err, io.out, io.started.length], ['', '', 0]);
});

test('-t prints each diagnostic as FILE:LINE:COL and exits 5 like keepalived for warnings', () => {
  const io = fakeIo();
  assert.equal(runCli(['-t', '-f', WARN], io), 5);
  assert.deepEqual(io.err.trimEnd().split('\n'), [
    `${WARN}:2:12: warning: interface eth9 for vrrp_instance VI_1 doesn't exist [W_NO_INTERFACE]`,
    `${WARN}:4:2: warning: Unknown keyword 'priorty' in vrrp_instance - did you mean 'priority'? [W_UNKNOWN_KEYWORD]`,
  ]);
});

test('-t exit statuses: 4 missing file, 2 a keyword without its value, 5 errors keepalived survives', () => {
  const io = fakeIo();
  assert.equal(runCli(['-t', '-f', path.join(dir, 'nope.conf')], io), 4);
  assert.match(io.err, /nope\.conf: error: Configuration file .* could not be read: ENOENT \[E_FILE_NOT_FOUND\]/);
  assert.equal(runCli(['-t', '-f', MISSING_VALUE], fakeIo()), 2);
  assert.equal(runCli(['-t', '-f', ERRORS], fakeIo()), 5);
});

test('-tFILE / --config-test=FILE append the report to FILE instead of stderr', () => {
  const log = path.join(dir, 't.log');
  const io = fakeIo();
  assert.equal(runCli([`-t${log}`, '-f', WARN], io), 5);
  assert.equal(runCli([`--config-test=${log}`, `--use-file=${WARN}`], io), 5);
  assert.equal(io.err, '');
  const lines = (io.files.get(log) ?? '').trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /warn\.conf:2:12: warning: .*W_NO_INTERFACE/);
  assert.deepEqual(lines.slice(2), lines.slice(0, 2));
});

test('-t with a log file that cannot be written exits 1 (keepalived: "Unable to open config-test log file")', () => {
  const io = fakeIo({ writeFile: () => { throw new Error('EACCES'); } });
  assert.equal(runCli(['-t/root/forbidden.log', '-f', VALID], io), 1);
  assert.match(io.err, /Unable to open config-test log file \/root\/forbidden\.log - EACCES/);
});

test('-t runs the script checks: SECURITY VIOLATION is exit 6; a disabled vrrp_script is reported (exit 5)', () => {
  const security: ScriptFindings = {
    diagnostics: [{ severity: 'warning', code: 'W_SCRIPT_SECURITY_DISABLED', message: 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.', file: VALID, line: 0, col: 0 }],
    disabledVrrpScripts: [],
  };
  const io = fakeIo({ checkScripts: () => security });
  assert.equal(runCli(['-t', '-f', VALID], io), 6);
  assert.match(io.err, /SECURITY VIOLATION/);
  const gone: ScriptFindings = {
    diagnostics: [{ severity: 'warning', code: 'W_SCRIPT_NOT_FOUND', message: 'vrrp_script chk: Script /x cannot be accessed', file: VALID, line: 2, col: 9 }],
    disabledVrrpScripts: [{ name: 'chk', loc: { file: VALID, line: 2, col: 9 } }],
  };
  const io2 = fakeIo({ checkScripts: () => gone });
  assert.equal(runCli(['-t', '-f', VALID], io2), 5);
  assert.match(io2.err, /:2:9: warning: Disabling track script chk since not found\/accessible \[W_TRACK_SCRIPT_DISABLED\]/);
  // A missing notify script is only logged by keepalived: printed, status unchanged.
  const notify: ScriptFindings = { diagnostics: [{ ...gone.diagnostics[0], message: 'vrrp_instance VI_1 notify_master: missing' }], disabledVrrpScripts: [] };
  const io3 = fakeIo({ checkScripts: () => notify });
  assert.equal(runCli(['-t', '-f', VALID], io3), 0);
  assert.match(io3.err, /W_SCRIPT_NOT_FOUND/);
});

test('-t skips the VRRP scripts when an interface is missing (keepalived stops before checking them)', () => {
  const io = fakeIo();
  io.checkScripts = (cfg) => { io.scriptCalls.push(cfg); return { diagnostics: [], disabledVrrpScripts: [] }; };
  runCli(['-t', '-f', WARN], io);
  runCli(['-t', '-f', VALID], io);
  assert.deepEqual(io.scriptCalls.map((c) => c.instances.map((i) => i.name)), [[], ['VI_1']]);
});

test('-i / --config-id and the host name select @id lines', () => {
  const cond = file('cond.conf', [
    'vrrp_instance VI_1 {',
    ' interface eth0',
    ' virtual_router_id 51',
    '@lb1 priority 200',
    '@lb2 priority 100',
    ' virtual_ipaddress {',
    '  192.0.2.1/24',
    ' }',
    '}',
  ].join('\n'));
  const prio = (argv: string[]): number => {
    const io = fakeIo();
    assert.equal(runCli([...argv, '--dump-json', '-f', cond], io), 0);
    return (JSON.parse(io.out) as KeepalivedConfig).instances[0].priority;
  };
  assert.equal(prio([]), 200); // host lb1.example.net -> config id lb1
  assert.equal(prio(['-i', 'lb2']), 100);
  assert.equal(prio(['--config-id=lb2']), 100);
});

test('--dump-json prints the validated model as JSON (exit 0; 1 with errors)', () => {
  const io = fakeIo();
  assert.equal(runCli(['--dump-json', '-f', VALID], io), 0);
  const c = JSON.parse(io.out) as KeepalivedConfig;
  assert.equal(c.global.routerId, 'r1');
  assert.deepEqual(c.instances.map((i) => [i.name, i.interface, i.virtualRouterId, i.priority, i.advertIntMs, i.virtualIpaddress[0].address]),
    [['VI_1', 'eth0', 51, 150, 1000, '192.0.2.1']]);
  assert.deepEqual(c.instances[0].loc, { file: VALID, line: 4, col: 1 });
  assert.equal(io.started.length, 0);
  const bad = fakeIo();
  assert.equal(runCli(['--dump-json', '-f', ERRORS], bad), 1);
  assert.deepEqual((JSON.parse(bad.out) as KeepalivedConfig).instances, []);
});

test('-d dumps the configuration to stderr', () => {
  const io = fakeIo();
  assert.equal(runCli(['-d', '-t', '-f', VALID], io), 0);
  assert.match(io.err, /------< Global definitions >------/);
  assert.match(io.err, /Router Id = r1/);
  assert.match(io.err, /------< VRRP instances >------\n VRRP instance #1 = VI_1\n/);
  assert.match(io.err, /  Virtual Router Id = 51/);
});

test('-v and -h print to stderr and exit 0 without reading the configuration', () => {
  const v = fakeIo();
  assert.equal(runCli(['-v', '-f', '/nonexistent.conf'], v), 0);
  assert.match(v.err, /^Keepalived-ts v\d+\.\d+\.\d+ \(keepalived v2\.2\.7 compatible/);
  const h = fakeIo();
  assert.equal(runCli(['--help'], h), 0);
  for (const opt of ['-f, --use-file', '-n, --dont-fork', '-l, --log-console', '-D, --log-detail', '-S, --log-facility', '-P, --vrrp',
    '-C, --check', '-p, --pid', '-r, --vrrp_pid', '-c, --checkers_pid', '-i, --config-id', '-t, --config-test', '-d, --dump-conf',
    '-v, --version', '-h, --help', '--dump-json']) {
    assert.ok(h.err.includes(opt), opt);
  }
  assert.equal(h.out, '');
});

test('an unknown option or stray argument exits 1 with the error and the usage', () => {
  for (const argv of [['-Z'], ['--nope'], ['extra'], ['-f']]) {
    const io = fakeIo();
    assert.equal(runCli(argv, io), 1, argv.join(' '));
    assert.match(io.err, /^(Unknown option|Unexpected argument|Option -f requires)/);
    assert.match(io.err, /Usage: keepalived-ts \[OPTION\.\.\.\]/);
    assert.equal(io.started.length, 0);
  }
});

test('run mode: diagnostics to stderr, the daemon started with the options and the loaded model', () => {
  const io = fakeIo();
  assert.equal(runCli(['-n', '-P', '-f', WARN], io), undefined);
  assert.equal(io.started.length, 1);
  const { options, loaded } = io.started[0];
  assert.deepEqual([options.dontFork, options.vrrpOnly, options.configFile], [true, true, WARN]);
  assert.deepEqual(loaded.config.instances.map((i) => i.name), ['VI_1']);
  assert.match(io.err, /W_NO_INTERFACE/);
  // With -l the daemon logs them itself.
  const quiet = fakeIo();
  runCli(['-l', '-f', WARN], quiet);
  assert.equal(quiet.err, '');
});

test('run mode with a missing configuration file exits 1 and does not start', () => {
  const io = fakeIo();
  assert.equal(runCli(['-f', path.join(dir, 'absent.conf')], io), 1);
  assert.equal(io.started.length, 0);
  assert.match(io.err, /E_FILE_NOT_FOUND/);
});

test('unsupported options are announced as warnings', () => {
  const io = fakeIo();
  assert.equal(runCli(['-x', '-t', '-f', VALID], io), 0);
  assert.match(io.err, /^Warning: option --snmp is accepted but not supported by keepalived-ts\n/);
});

test("--signum prints keepalived 2.2.7's signal numbers; an unknown function is its error and exit 1", () => {
  const want: Record<string, string> = { STOP: '15', RELOAD: '1', DATA: '10', STATS: '12', STATS_CLEAR: '63', JSON: '36' };
  for (const [f, n] of Object.entries(want)) {
    const io = fakeIo();
    assert.equal(runCli([`--signum=${f}`], io), 0);
    assert.equal(io.out, `${n}\n`);
  }
  const io = fakeIo();
  assert.equal(runCli(['--signum', 'TDATA'], io), 1);
  assert.equal(io.err, 'Unknown sigfunc TDATA\n');
});
