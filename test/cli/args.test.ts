/**
 * keepalived(8)'s command line as getopt_long reads it (keepalived 2.2.7
 * core/main.c parse_cmdline()): every option, bundled short flags,
 * attached/detached arguments, --opt=VAL, unique long prefixes, optional
 * arguments only when attached, and usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG_FILE, defaultOptions, parseArgs, type CliOptions } from '../../src/cli/args';

function ok(argv: string[]): CliOptions {
  const r = parseArgs(argv);
  if (!r.ok) assert.fail(`${argv.join(' ')}: ${r.error}`);
  return r.options;
}

function err(argv: string[]): string {
  const r = parseArgs(argv);
  assert.equal(r.ok, false, `${argv.join(' ')} should be refused`);
  return r.ok ? '' : r.error;
}

/** Only the fields that differ from the defaults. */
function changed(o: CliOptions): Partial<CliOptions> {
  const d = defaultOptions() as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(d[k]))) as Partial<CliOptions>;
}

test('defaults: keepalived.conf in /etc/keepalived, pid files in /run, facility daemon', () => {
  const o = ok([]);
  assert.deepEqual([o.configFile, o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.logFacility, o.logDetail, o.configId, o.configTest],
    [DEFAULT_CONFIG_FILE, '/run/keepalived.pid', '/run/vrrp.pid', '/run/checkers.pid', 'daemon', 0, undefined, false]);
  assert.equal(DEFAULT_CONFIG_FILE, '/etc/keepalived/keepalived.conf');
});

test('every short option and its long form set the same field', () => {
  const pairs: Array<[string[], string[], Partial<CliOptions>]> = [
    [['-f', '/tmp/k.conf'], ['--use-file', '/tmp/k.conf'], { configFile: '/tmp/k.conf' }],
    [['-n'], ['--dont-fork'], { dontFork: true }],
    [['-l'], ['--log-console'], { logConsole: true }],
    [['-D'], ['--log-detail'], { logDetail: 1 }],
    [['-S', 'local3'], ['--log-facility', 'local3'], { logFacility: 'local3' }],
    [['-P'], ['--vrrp'], { vrrpOnly: true }],
    [['-C'], ['--check'], { checkOnly: true }],
    [['-p', '/run/a.pid'], ['--pid', '/run/a.pid'], { pidFile: '/run/a.pid' }],
    [['-r', '/run/v.pid'], ['--vrrp_pid', '/run/v.pid'], { vrrpPidFile: '/run/v.pid' }],
    [['-c', '/run/c.pid'], ['--checkers_pid', '/run/c.pid'], { checkersPidFile: '/run/c.pid' }],
    [['-i', 'lb2'], ['--config-id', 'lb2'], { configId: 'lb2' }],
    [['-t'], ['--config-test'], { configTest: true }],
    [['-d'], ['--dump-conf'], { dumpConf: true }],
    [['-v'], ['--version'], { version: true }],
    [['-h'], ['--help'], { help: true }],
    [['-G'], ['--no-syslog'], { noSyslog: true }],
    [['-X'], ['--release-vips'], { releaseVips: true }],
    [['-V'], ['--dont-release-vrrp'], { dontReleaseVrrp: true }],
    [['-I'], ['--dont-release-ipvs'], { dontReleaseIpvs: true }],
    [['-R'], ['--dont-respawn'], { dontRespawn: true }],
    [['-B'], ['--no_bfd'], { noBfd: true }],
    [['-e'], ['--all-config'], { allConfig: true }],
    [['-s', 'ns1'], ['--namespace', 'ns1'], { namespace: 'ns1' }],
    [['-u', '022'], ['--umask', '022'], { umask: 0o22 }],
  ];
  for (const [short, long, want] of pairs) {
    assert.deepEqual(changed(ok(short)), want, short.join(' '));
    assert.deepEqual(changed(ok(long)), want, long.join(' '));
  }
  assert.deepEqual(changed(ok(['--dump-json'])), { dumpJson: true });
});

test('bundled short flags, with the last one taking the rest or the next word as its argument', () => {
  assert.deepEqual(changed(ok(['-nlD'])), { dontFork: true, logConsole: true, logDetail: 1 });
  assert.deepEqual(changed(ok(['-DD'])), { logDetail: 2 });
  assert.deepEqual(changed(ok(['-DDD'])), { logDetail: 2 });
  assert.deepEqual(changed(ok(['-nf/etc/k.conf'])), { dontFork: true, configFile: '/etc/k.conf' });
  assert.deepEqual(changed(ok(['-nlf', '/etc/k.conf', '-P'])), { dontFork: true, logConsole: true, configFile: '/etc/k.conf', vrrpOnly: true });
  assert.deepEqual(changed(ok(['-fFILE'])), { configFile: 'FILE' });
  assert.deepEqual(changed(ok(['-ilb3'])), { configId: 'lb3' });
});

test('--opt=VAL and --opt VAL; unique prefixes of long names; ambiguous and exact matches', () => {
  assert.equal(ok(['--use-file=/a.conf']).configFile, '/a.conf');
  assert.equal(ok(['--use-file', '/a.conf']).configFile, '/a.conf');
  assert.equal(ok(['--use=/b.conf']).configFile, '/b.conf');
  assert.equal(ok(['--config-i', 'x']).configId, 'x');
  assert.equal(ok(['--log-fa=local7']).logFacility, 'local7');
  assert.match(err(['--log-f=x']), /ambiguous/);
  assert.equal(ok(['--dump-j']).dumpJson, true);
  // "--vrrp" is exact even though "--vrrp_pid" starts with it.
  assert.deepEqual(changed(ok(['--vrrp'])), { vrrpOnly: true });
  assert.match(err(['--d']), /ambiguous/);
  assert.match(err(['--dont']), /ambiguous/);
});

test('optional arguments are taken only when attached: -tFILE, --config-test=FILE, -g/--log-file', () => {
  assert.deepEqual(changed(ok(['-t/tmp/t.log'])), { configTest: true, configTestLogFile: '/tmp/t.log' });
  assert.deepEqual(changed(ok(['--config-test=/tmp/t.log'])), { configTest: true, configTestLogFile: '/tmp/t.log' });
  // As getopt: "-t=FILE" is the optional argument "=FILE".
  assert.deepEqual(changed(ok(['-t=/tmp/t.log'])), { configTest: true, configTestLogFile: '=/tmp/t.log' });
  assert.deepEqual(changed(ok(['-t', '-f', '/k.conf'])), { configTest: true, configFile: '/k.conf' });
  // A detached word after -t is not its argument.
  assert.match(err(['-t', '/tmp/t.log']), /Unexpected argument '\/tmp\/t\.log'/);
  assert.equal(ok(['-g']).logFile, '/tmp/keepalived.log');
  assert.equal(ok(['-g/var/log/k.log']).logFile, '/var/log/k.log');
  assert.equal(ok(['--log-file=/var/log/k.log']).logFile, '/var/log/k.log');
});

test('log facilities: 0-7, local0-local7, user, daemon', () => {
  assert.equal(ok(['-S', '0']).logFacility, 'local0');
  assert.equal(ok(['-S7']).logFacility, 'local7');
  assert.equal(ok(['-S', 'user']).logFacility, 'user');
  assert.equal(ok(['--log-facility=daemon']).logFacility, 'daemon');
  assert.match(err(['-S', '8']), /invalid log facility '8'/);
  assert.match(err(['-S', 'local8']), /invalid log facility/);
});

test('usage errors: unknown options, missing or unexpected arguments, empty --opt=', () => {
  assert.match(err(['-Z']), /Unknown option -Z/);
  assert.match(err(['-nZ']), /Unknown option -Z/);
  assert.match(err(['--bogus']), /Unknown option --bogus/);
  assert.match(err(['-f']), /Option -f requires an argument/);
  assert.match(err(['--use-file']), /requires an argument/);
  assert.match(err(['--use-file=']), /requires an argument/);
  assert.match(err(['-i']), /requires an argument/);
  assert.match(err(['--dont-fork=yes']), /doesn't allow an argument/);
  assert.match(err(['keepalived.conf']), /Unexpected argument 'keepalived\.conf'/);
  assert.match(err(['-u', '999']), /invalid umask/);
});

test('accepted but unsupported options leave a warning for the CLI to print', () => {
  const o = ok(['-x', '-a', '-m']);
  assert.equal(o.snmp, true);
  assert.deepEqual(o.warnings.map((w) => /option (\S+)/.exec(w)?.[1]), ['--snmp', '--address-monitoring', '--core-dump']);
});

test('a lone "-" is not an option', () => {
  assert.match(err(['-']), /Unexpected argument '-'/);
});
