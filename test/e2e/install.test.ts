/**
 * Installing on a host (issue 11): `npm pack` of this checkout, then
 * `npm install -g` of the tarball into a temporary prefix with --offline and
 * an empty npm cache (the tarball carries its runtime dependencies; the
 * native addon is built by the package's install script). The installed
 * `keepalived-ts` checks the demo configuration with -t, runs it in a lab
 * host until MASTER, and `keepalived-ts-install-systemd` writes units that
 * name it and that `systemd-analyze verify` finds clean.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { Peer } from './harness/peers';

const why = labUnavailableReason();
const ROOT = path.join(__dirname, '..', '..', '..');
const DEMO = path.join(ROOT, 'examples', 'demo', 'keepalived.conf');
const VIP = '192.0.2.100';
const run = promisify(execFile);

describe(`e2e: npm pack, npm install -g of the tarball, the installed daemon${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why, timeout: 180_000 }, () => {
  const suite = labSuite({ hosts: 1, v6: false });
  let tmp = '';
  let tarball = '';
  let prefix = '';
  const bin = (name: string) => path.join(prefix, 'bin', name);
  const pkg = () => path.join(prefix, 'lib', 'node_modules', 'keepalived-ts');

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-install-'));
    prefix = path.join(tmp, 'prefix');
    const packed = await run('npm', ['pack', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 16 << 20 });
    tarball = path.join(tmp, packed.stdout.trim().split('\n').pop()!);
    await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--cache', path.join(tmp, 'empty-cache'), '--no-audit', '--no-fund', tarball], { maxBuffer: 16 << 20 });
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the tarball holds the build, the addon source, the units and its runtime dependencies; not the tests', () => {
    const files = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
    for (const f of ['bin/keepalived-ts', 'dist/src/cli/main.js', 'dist/src/daemon/main/systemd.js', 'src/native/kts_native.c', 'binding.gyp',
      'scripts/build-native.js', 'scripts/install-systemd.js', 'packaging/systemd/keepalived-ts.service', 'packaging/systemd/keepalived.service',
      'examples/demo/keepalived.conf', 'node_modules/nodemailer/package.json', 'node_modules/prom-client/package.json']) {
      assert.ok(files.includes(`package/${f}`), f);
    }
    assert.deepEqual(files.filter((f) => /^package\/(dist\/(test|bench|demo)\/|build\/|dist\/src\/.*\.map$)/.test(f)), []);
  });

  test('installed offline: the addon built at install, both commands on the prefix\'s PATH', () => {
    assert.ok(fs.existsSync(path.join(pkg(), 'build', 'Release', 'kts_native.node')), 'npm ran the package\'s install script (node-gyp)');
    assert.equal(fs.realpathSync(bin('keepalived-ts')), path.join(fs.realpathSync(pkg()), 'bin', 'keepalived-ts'));
    assert.ok(fs.existsSync(bin('keepalived-ts-install-systemd')));
    const v = spawnSync(bin('keepalived-ts'), ['-v'], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.match(v.stderr, /^Keepalived-ts v0\.1\.0 /);
  });

  test('the installed keepalived-ts -t accepts the demo configuration (in a lab host, which has its eth0)', async () => {
    for (const id of [[], ['-i', 'node1']]) {
      const r = await suite.lab.exec(1, [bin('keepalived-ts'), '-t', '-f', DEMO, ...id]);
      assert.equal(r.code, 0, `-t ${id.join(' ')}: ${r.stderr}`);
    }
    const broken = path.join(tmp, 'broken.conf');
    fs.writeFileSync(broken, 'vrrp_instance VI_1 {\n    interface eth0\n    priority 100\n}\n');
    assert.notEqual((await suite.lab.exec(1, [bin('keepalived-ts'), '-t', '-f', broken])).code, 0, 'and refuses a broken one');
  });

  test('the installed daemon runs the demo as node1 in a lab host: MASTER with the VIP, then a clean stop', async () => {
    const dir = path.join(suite.lab.dir, 'installed');
    fs.mkdirSync(dir, { recursive: true });
    const proc = suite.lab.spawn(1, [
      bin('keepalived-ts'), '-n', '-l', '-G', '-f', DEMO, '-i', 'node1',
      '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), '-c', path.join(dir, 'checkers.pid'),
      '--control-socket', path.join(dir, 'control.sock'), '--dump-dir', dir,
    ]);
    const p = suite.track(new Peer(suite.lab, 1, 'kts', dir, DEMO, proc));
    await p.waitState('MASTER', 'VI_1', 15_000);
    assert.ok((await suite.lab.addresses(1)).includes(VIP));
    assert.equal((await p.status()).routerId, 'node1');
    const script = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').find((a) => a.endsWith('/keepalived-ts'));
    assert.equal(script && fs.realpathSync(script), fs.realpathSync(path.join(pkg(), 'bin', 'keepalived-ts')), 'the installed copy runs');
    await p.stop();
    assert.equal(p.exit?.code, 0);
    assert.ok(!(await suite.lab.addresses(1)).includes(VIP), 'VIP released');
  });

  test('keepalived-ts-install-systemd from the prefix writes units naming the installed command; systemd-analyze verify is clean', () => {
    const units = path.join(tmp, 'units');
    for (const extra of [[], ['--as-keepalived']]) {
      const r = spawnSync(bin('keepalived-ts-install-systemd'), [...extra, '--unit-dir', units, '--no-reload'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const files = ['keepalived-ts.service', 'keepalived.service'].map((f) => path.join(units, f));
    for (const f of files) assert.match(fs.readFileSync(f, 'utf8'), new RegExp(`\nExecStart=${bin('keepalived-ts')} --dont-fork \\$DAEMON_ARGS\n`));
    const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((x) => fs.existsSync(x));
    if (!analyze) return;
    const v = spawnSync(analyze, ['verify', '--man=no', ...files], { encoding: 'utf8', cwd: units });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '');
  });

  test('the one command from a checkout, scripts/install.sh: packs, installs (offline, npm_config_prefix here) and writes the unit', async () => {
    const prefix2 = path.join(tmp, 'prefix2');
    const units = path.join(tmp, 'units2');
    const env = { ...process.env, npm_config_prefix: prefix2, npm_config_offline: 'true', npm_config_cache: path.join(tmp, 'empty-cache2') };
    const r = await run('bash', [path.join(ROOT, 'scripts', 'install.sh'), '--no-reload', '--unit-dir', units], { env, maxBuffer: 16 << 20 });
    assert.match(r.stdout, /install\.sh: Keepalived-ts v0\.1\.0 .* at .*prefix2\/bin\/keepalived-ts/);
    assert.ok(fs.existsSync(path.join(prefix2, 'lib', 'node_modules', 'keepalived-ts', 'build', 'Release', 'kts_native.node')));
    assert.match(fs.readFileSync(path.join(units, 'keepalived-ts.service'), 'utf8'), new RegExp(`\nExecStart=${prefix2}/bin/keepalived-ts --dont-fork `));
  });
});
