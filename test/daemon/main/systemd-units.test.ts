/**
 * The shipped systemd units (packaging/systemd) and their installer
 * (scripts/install-systemd.js): Debian's keepalived.service conventions,
 * the two variants kept in step, ExecStart rewritten to the installed
 * command, foreign unit files left alone, and `systemd-analyze verify`
 * clean on what the installer writes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const UNITS = path.join(ROOT, 'packaging', 'systemd');
const INSTALLER = path.join(ROOT, 'scripts', 'install-systemd.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const installer = require(INSTALLER) as {
  renderUnit(text: string, exec: string): string;
  execCommand(invokedAs?: string, nodePath?: string): string;
  SHIPPED_EXEC: string;
  MARK: string;
};

const read = (name: string) => fs.readFileSync(path.join(UNITS, name), 'utf8');

/** `key=value` lines of one section, comments dropped. */
function section(text: string, name: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inside = line === `[${name}]`;
    else if (inside && line && !line.startsWith('#')) out.push(line);
  }
  return out;
}

function runInstaller(args: string[]) {
  return spawnSync(process.execPath, [INSTALLER, ...args], { encoding: 'utf8' });
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kts-units-'));
}

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));

test('both units: Type=notify and Debian keepalived.service\'s EnvironmentFile, DAEMON_ARGS, ExecReload; one [Service] section for both', () => {
  const ts = read('keepalived-ts.service');
  const ka = read('keepalived.service');
  const service = section(ts, 'Service');
  assert.deepEqual(service, [
    'Type=notify',
    'EnvironmentFile=-/etc/default/keepalived',
    `ExecStart=${installer.SHIPPED_EXEC} --dont-fork $DAEMON_ARGS`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'KillMode=control-group',
  ]);
  assert.deepEqual(section(ka, 'Service'), service, 'the keepalived.service variant runs the same daemon the same way');
  assert.ok(section(ts, 'Unit').includes('Conflicts=keepalived.service'));
  assert.ok(section(ka, 'Unit').includes('Conflicts=keepalived-ts.service'));
  for (const t of [ts, ka]) {
    assert.ok(section(t, 'Unit').includes('ConditionFileNotEmpty=/etc/keepalived/keepalived.conf'));
    assert.deepEqual(section(t, 'Install'), ['WantedBy=multi-user.target']);
  }
});

test('the units keep what Debian\'s keepalived.service says (when keepalived is installed here)', { skip: !fs.existsSync('/lib/systemd/system/keepalived.service') && 'no /lib/systemd/system/keepalived.service' }, () => {
  const debian = fs.readFileSync('/lib/systemd/system/keepalived.service', 'utf8');
  const ours = read('keepalived.service');
  const strip = (lines: string[]) => lines.filter((l) => !/^(ExecStart|KillMode)=/.test(l));
  assert.deepEqual(strip(section(ours, 'Service')), strip(section(debian, 'Service')));
  assert.deepEqual(section(ours, 'Install'), section(debian, 'Install'));
  for (const l of section(debian, 'Unit').filter((x) => /^(After|Wants|ConditionFileNotEmpty)=/.test(x))) assert.ok(section(ours, 'Unit').includes(l), l);
  assert.match(section(debian, 'Service').find((l) => l.startsWith('ExecStart='))!, / --dont-fork \$DAEMON_ARGS$/);
});

test('renderUnit names the installed command in ExecStart and marks the file as the installer\'s', () => {
  const out = installer.renderUnit(read('keepalived-ts.service'), '/usr/bin/keepalived-ts');
  assert.ok(out.startsWith(installer.MARK));
  assert.deepEqual(section(out, 'Service').filter((l) => l.startsWith('ExecStart=')), ['ExecStart=/usr/bin/keepalived-ts --dont-fork $DAEMON_ARGS']);
  assert.throws(() => installer.renderUnit('[Service]\nExecStart=/bin/true\n', '/x'), /no ExecStart=/);
});

test('execCommand: the command npm linked beside the installer; node named when systemd\'s PATH would not find it', () => {
  const dir = tmpDir();
  fs.symlinkSync(path.join(ROOT, 'bin', 'keepalived-ts'), path.join(dir, 'keepalived-ts'));
  const invoked = path.join(dir, 'keepalived-ts-install-systemd');
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => fs.existsSync(p));
  if (systemNode) assert.equal(installer.execCommand(invoked, systemNode), path.join(dir, 'keepalived-ts'));
  const elsewhere = path.join(dir, 'node');
  fs.copyFileSync(process.execPath, elsewhere);
  assert.equal(installer.execCommand(invoked, elsewhere), `${elsewhere} ${path.join(dir, 'keepalived-ts')}`);
  assert.equal(installer.execCommand('/nowhere/x', elsewhere), `${elsewhere} ${path.join(ROOT, 'bin', 'keepalived-ts')}`, 'from a checkout: its bin');
  fs.rmSync(dir, { recursive: true });
});

test('the installer writes the unit, leaves a foreign one alone unless --force, and --uninstall removes only its own', () => {
  const dir = tmpDir();
  let r = runInstaller(['--unit-dir', dir, '--no-reload']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.readFileSync(path.join(dir, 'keepalived-ts.service'), 'utf8').startsWith(installer.MARK));
  assert.ok(!fs.existsSync(path.join(dir, 'keepalived.service')));
  fs.writeFileSync(path.join(dir, 'keepalived.service'), '[Service]\nExecStart=/usr/sbin/keepalived --dont-fork\n');
  r = runInstaller(['--as-keepalived', '--unit-dir', dir, '--no-reload']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /keepalived\.service exists and was not written by keepalived-ts-install-systemd \(--force replaces it\)/);
  r = runInstaller(['--uninstall', '--unit-dir', dir, '--no-reload']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(dir), ['keepalived.service'], 'the foreign unit stays');
  r = runInstaller(['--as-keepalived', '--force', '--unit-dir', dir, '--no-reload']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'keepalived.service'), 'utf8'), /ExecStart=\S*keepalived-ts --dont-fork \$DAEMON_ARGS/);
  assert.equal(runInstaller(['--bogus']).status, 1);
  fs.rmSync(dir, { recursive: true });
});

test('systemd-analyze verify: both installed units are clean', { skip: !analyze && 'no systemd-analyze (Debian package systemd)' }, () => {
  const dir = tmpDir();
  for (const extra of [[], ['--as-keepalived']]) assert.equal(runInstaller([...extra, '--unit-dir', dir, '--no-reload']).status, 0);
  const files = ['keepalived-ts.service', 'keepalived.service'].map((f) => path.join(dir, f));
  const r = spawnSync(analyze!, ['verify', '--man=no', ...files], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warnings (systemd-analyze exits 0 on a line it ignores)');
  // The check has teeth: a misspelt setting is reported.
  fs.writeFileSync(files[0], fs.readFileSync(files[0], 'utf8').replace('Type=notify', 'Type=notfy'));
  const bad = spawnSync(analyze!, ['verify', '--man=no', files[0]], { encoding: 'utf8', cwd: dir });
  assert.match(bad.stderr, /Failed to parse service type, ignoring: notfy/);
  fs.rmSync(dir, { recursive: true });
});
