#!/usr/bin/env node
// keepalived-ts-install-systemd: puts keepalived-ts's systemd unit in place
// (after `npm install -g`; scripts/install.sh runs it from a checkout).
//
//   keepalived-ts-install-systemd [--as-keepalived] [--unit-dir DIR] [--no-reload] [--force]
//   keepalived-ts-install-systemd --uninstall [--unit-dir DIR] [--no-reload]
//
//  - builds the native addon if the install left it unbuilt (npm run with
//    --ignore-scripts, or a future npm that skips the package's install script);
//  - writes packaging/systemd/keepalived-ts.service (or, --as-keepalived,
//    keepalived.service, which hides Debian's keepalived unit) into
//    /etc/systemd/system with ExecStart naming the command npm installed;
//  - runs `systemctl daemon-reload` when systemd runs. It enables and starts
//    nothing: that is the operator's `systemctl enable --now <unit>`.
// A unit file there that this script did not write is left alone unless --force.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const UNITS = path.join(ROOT, 'packaging', 'systemd');
const MARK = '# Written by keepalived-ts-install-systemd';
const SHIPPED_EXEC = '/usr/local/bin/keepalived-ts';
/** Where systemd looks for commands of system services (its default PATH). */
const SYSTEMD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const USAGE = 'usage: keepalived-ts-install-systemd [--as-keepalived] [--unit-dir DIR] [--no-reload] [--force] | --uninstall [--unit-dir DIR] [--no-reload]\n';

function parse(argv) {
  const o = { unitDir: '/etc/systemd/system', asKeepalived: false, reload: true, force: false, uninstall: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--as-keepalived') o.asKeepalived = true;
    else if (a === '--no-reload') o.reload = false;
    else if (a === '--force') o.force = true;
    else if (a === '--uninstall') o.uninstall = true;
    else if (a === '--unit-dir' && argv[i + 1]) o.unitDir = argv[++i];
    else if (a === '-h' || a === '--help') o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/**
 * The ExecStart command for this package: the `keepalived-ts` npm linked next
 * to this script's own command, else the package's bin; prefixed with node
 * when systemd's PATH would not find node for the `#!/usr/bin/env node` line.
 */
function execCommand(invokedAs = process.argv[1], nodePath = process.execPath) {
  const own = path.join(ROOT, 'bin', 'keepalived-ts');
  const linked = path.join(path.dirname(invokedAs), 'keepalived-ts');
  let bin = own;
  try {
    if (fs.realpathSync(linked) === fs.realpathSync(own)) bin = linked;
  } catch {
    /* not linked there: run from a checkout */
  }
  const nodeFound = SYSTEMD_PATH.some((d) => {
    try {
      return fs.realpathSync(path.join(d, 'node')) === fs.realpathSync(nodePath);
    } catch {
      return false;
    }
  });
  return nodeFound ? bin : `${nodePath} ${bin}`;
}

/** A shipped unit with ExecStart naming `exec`, marked as ours. */
function renderUnit(text, exec) {
  if (!text.includes(`ExecStart=${SHIPPED_EXEC} `)) throw new Error(`no ExecStart=${SHIPPED_EXEC} in the unit`);
  return `${MARK} from ${ROOT}\n` + text.replace(`ExecStart=${SHIPPED_EXEC} `, `ExecStart=${exec} `);
}

function unitName(o) {
  return o.asKeepalived ? 'keepalived.service' : 'keepalived-ts.service';
}

function ours(file) {
  try {
    return fs.readFileSync(file, 'utf8').startsWith(MARK);
  } catch {
    return undefined; // absent
  }
}

function ensureAddon(log) {
  if (fs.existsSync(path.join(ROOT, 'build', 'Release', 'kts_native.node'))) return;
  log('the native addon is not built: building it');
  execFileSync(process.execPath, [path.join(__dirname, 'build-native.js')], { stdio: 'inherit' });
}

function daemonReload(o, log) {
  if (!o.reload) return;
  if (!fs.existsSync('/run/systemd/system')) {
    log('systemd is not running here: no daemon-reload');
    return;
  }
  execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' });
}

function install(o, log) {
  ensureAddon(log);
  const name = unitName(o);
  const file = path.join(o.unitDir, name);
  if (ours(file) === false && !o.force) throw new Error(`${file} exists and was not written by keepalived-ts-install-systemd (--force replaces it)`);
  const exec = execCommand();
  fs.mkdirSync(o.unitDir, { recursive: true });
  fs.writeFileSync(file, renderUnit(fs.readFileSync(path.join(UNITS, name), 'utf8'), exec), { mode: 0o644 });
  log(`installed ${file} (ExecStart=${exec} --dont-fork $DAEMON_ARGS)`);
  daemonReload(o, log);
  const unit = name.replace(/\.service$/, '');
  log(`next: put your configuration in /etc/keepalived/keepalived.conf (options in /etc/default/keepalived, DAEMON_ARGS), then: systemctl enable --now ${unit}`);
}

function uninstall(o, log) {
  let removed = 0;
  for (const name of ['keepalived-ts.service', 'keepalived.service']) {
    const file = path.join(o.unitDir, name);
    if (ours(file)) {
      fs.rmSync(file);
      log(`removed ${file}`);
      removed++;
    }
  }
  if (removed) daemonReload(o, log);
  else log(`no unit written by keepalived-ts-install-systemd in ${o.unitDir}`);
}

function main(argv) {
  const log = (m) => process.stdout.write(`keepalived-ts-install-systemd: ${m}\n`);
  let o;
  try {
    o = parse(argv);
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}`);
    return 1;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (o.uninstall) uninstall(o, log);
    else install(o, log);
    return 0;
  } catch (e) {
    process.stderr.write(`keepalived-ts-install-systemd: ${e.message}\n`);
    return 1;
  }
}

module.exports = { renderUnit, execCommand, SHIPPED_EXEC, MARK };
if (require.main === module) process.exitCode = main(process.argv.slice(2));
