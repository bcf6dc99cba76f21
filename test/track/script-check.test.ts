/**
 * checkConfigScripts: every command keepalived would run, resolved to its
 * user and checked for existence, executability and (root-run) safety.
 *
 * The expected keepalived behaviour was checked by running Debian's keepalived
 * 2.2.7 `-t` (in a throw-away network namespace) on equivalent configurations:
 *  - notify_master /bin/true, no enable_script_security: "SECURITY VIOLATION -
 *    scripts are being executed but script_security not enabled.", exit 6;
 *  - the same with a world-writable script: "... There are insecure scripts.";
 *  - a missing notify script and no security: nothing reported;
 *  - a non-executable one: the SECURITY VIOLATION line (the file was found);
 *  - enable_script_security without script_user or keepalived_script: "Unable
 *    to set default user keepalived_script for script";
 *  - a `</etc/hostname` vrrp_script: nothing;
 *  - MISC_CHECK / startup_script / notify_fifo_script used by both processes:
 *    "SECURITY VIOLATION - check scripts ...", "... - start/shutdown scripts
 *    ...", and both the check and the VRRP line.
 *
 * Files created by the tests belong to the user running them: as root they
 * are made unsafe with chmod; as another user they already are unsafe for a
 * root-run script (not owned by root), which the expectations account for.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configTestExitCode, parseConfigText } from '../../src/config';
import type { Diagnostic } from '../../src/config/diagnostics';
import type { UserDb } from '../../src/notify/security';
import { checkConfigScripts, checkConfigScriptsReport, listConfigScripts } from '../../src/track';

const isRoot = process.geteuid?.() === 0;
const CONF = '/etc/keepalived/keepalived.conf';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-script-check-'));
fs.chmodSync(root, 0o755);
after(() => fs.rmSync(root, { recursive: true, force: true }));
/** A root-owned executable in root-owned, non-writable directories, whoever runs the tests. */
const SYSTEM_TRUE = fs.realpathSync('/bin/true');

let n = 0;
function script(mode = 0o755, dirMode?: number): { file: string; dir: string } {
  const dir = path.join(root, `s${n++}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'run.sh');
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(file, mode);
  if (dirMode !== undefined) fs.chmodSync(dir, dirMode);
  return { file, dir };
}

function fakeDb(users: Record<string, [number, number]> = {}, groups: Record<string, number> = {}): UserDb {
  const u: Record<string, [number, number]> = { root: [0, 0], nobody: [65534, 65534], alice: [4242, 4242], ...users };
  const g: Record<string, number> = { root: 0, nogroup: 65534, ...groups };
  return {
    user: (name) => (u[name] ? { name, uid: u[name]![0], gid: u[name]![1] } : undefined),
    group: (name) => (g[name] !== undefined ? { name, gid: g[name]! } : undefined),
  };
}

interface Conf {
  globals?: string;
  instance?: string;
  more?: string;
  /** Leave the vrrp_instance out. */
  noInstance?: boolean;
}

function conf(c: Conf): string {
  const inst = c.noInstance
    ? ''
    : `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
${c.instance ?? ''}
}
`;
  return `global_defs {
${c.globals ?? ''}
}
${c.more ?? ''}
${inst}`;
}

/** 1-based line/col of the first occurrence of `token` in `text`. */
function locOf(text: string, token: string): { file: string; line: number; col: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(token));
  assert.ok(i >= 0, `token ${token} in config`);
  return { file: CONF, line: i + 1, col: lines[i]!.indexOf(token) + 1 };
}

function run(text: string, opts: Parameters<typeof checkConfigScripts>[1] = {}): Diagnostic[] {
  const { config } = parseConfigText(text, CONF);
  return checkConfigScripts(config, { uid: 0, gid: 0, userDb: fakeDb(), ...opts });
}

const brief = (ds: Diagnostic[]) => ds.map((d) => [d.severity, d.code]);
const VIOLATION = 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.';
const VIOLATION_INSECURE = `${VIOLATION} There are insecure scripts.`;

describe('checkConfigScripts: script security (root-run scripts)', () => {
  it('a secure root-run script: nothing with enable_script_security; keepalived\'s SECURITY VIOLATION line without it', () => {
    const text = (sec: boolean) => conf({ globals: `script_user root\n${sec ? 'enable_script_security' : ''}`, instance: `notify_master ${SYSTEM_TRUE}` });
    assert.deepEqual(run(text(true)), []);
    const ds = run(text(false));
    assert.deepEqual(ds, [{ severity: 'warning', code: 'W_SCRIPT_SECURITY_DISABLED', message: VIOLATION, file: CONF, line: 0, col: 0 }]);
    assert.equal(configTestExitCode(ds), 6); // as keepalived -t
  });

  it('our own script in a root-owned 0755 directory is secure when we are root (else: unsafe, not owned by root)', () => {
    const { file } = script();
    const text = conf({ globals: 'script_user root\nenable_script_security', instance: `notify_master ${file}` });
    const ds = run(text);
    if (isRoot) assert.deepEqual(ds, []);
    else {
      assert.deepEqual(brief(ds), [['error', 'W_SCRIPT_SECURITY_UNSAFE']]);
      assert.ok(ds[0]!.message.includes(`'${root}' is owned by uid ${process.geteuid?.()}`), ds[0]!.message);
    }
  });

  const unsafe = [
    { name: 'a directory on the path writable by everyone (no sticky bit)', make: () => script(0o755, 0o777), at: (s: { dir: string }) => s.dir },
    { name: 'a world-writable script', make: () => script(0o757), at: (s: { file: string }) => s.file },
  ];
  for (const u of unsafe) {
    it(`enable_script_security refuses ${u.name}, naming the component`, () => {
      const s = u.make();
      // Not root: everything we create is owned by us, so the first unsafe component is our temp directory.
      const offending = isRoot ? u.at(s) : root;
      const text = conf({ globals: 'script_user root\nenable_script_security', instance: `notify_master "${s.file} arg"` });
      const ds = run(text);
      assert.deepEqual(brief(ds), [['error', 'W_SCRIPT_SECURITY_UNSAFE']]);
      const d = ds[0]!;
      assert.deepEqual({ file: d.file, line: d.line, col: d.col }, locOf(text, `"${s.file} arg"`));
      assert.ok(d.message.startsWith(`vrrp_instance VI_1 notify_master: Unsafe permissions found for script '${s.file}': '${offending}' is `), d.message);
      assert.ok(d.message.endsWith(' - disabling.'), d.message);
      assert.equal(configTestExitCode(ds), 6);
    });

    it(`without enable_script_security ${u.name} is a warning and the closing line says so`, () => {
      const s = u.make();
      const offending = isRoot ? u.at(s) : root;
      const text = conf({ globals: 'script_user root', instance: `notify_master ${s.file}` });
      const ds = run(text);
      assert.deepEqual(brief(ds), [['warning', 'W_SCRIPT_SECURITY_UNSAFE'], ['warning', 'W_SCRIPT_SECURITY_DISABLED']]);
      assert.ok(ds[0]!.message.includes(`Unsafe permissions found for script '${s.file}': '${offending}'`), ds[0]!.message);
      assert.ok(!ds[0]!.message.includes('disabling'));
      assert.equal(ds[1]!.message, VIOLATION_INSECURE);
      assert.equal(configTestExitCode(ds), 6);
    });
  }

  it('a world-writable directory with the sticky bit (like /tmp) is fine for root', () => {
    const s = script(0o755, 0o1777);
    const ds = run(conf({ globals: 'script_user root\nenable_script_security', instance: `notify_master ${s.file}` }));
    if (isRoot) assert.deepEqual(ds, []);
    else assert.deepEqual(brief(ds), [['error', 'W_SCRIPT_SECURITY_UNSAFE']]);
  });

  it('a symlink from a safe place into an unsafe directory: the real path is checked too', () => {
    const s = script(0o755, 0o777);
    const link = path.join(root, `link${n++}.sh`);
    fs.symlinkSync(s.file, link);
    const ds = run(conf({ globals: 'script_user root\nenable_script_security', instance: `notify_master ${link}` }));
    assert.deepEqual(brief(ds), [['error', 'W_SCRIPT_SECURITY_UNSAFE']]);
    assert.ok(ds[0]!.message.includes(`'${isRoot ? s.dir : root}'`), ds[0]!.message);
  });

  it('a script run as a non-root user needs no protection', () => {
    const s = script(0o755, 0o777);
    // own user
    assert.deepEqual(run(conf({ globals: 'enable_script_security\nscript_user root', instance: `notify_master ${s.file} nobody` })), []);
    // script_user
    assert.deepEqual(run(conf({ globals: 'enable_script_security\nscript_user nobody', instance: `notify_master ${s.file}` })), []);
    // keepalived_script exists
    const db = fakeDb({ keepalived_script: [998, 998] });
    assert.deepEqual(run(conf({ globals: 'enable_script_security', instance: `notify_master ${s.file}` }), { userDb: db }), []);
    // no script user at all, the daemon itself is not root: scripts run as the daemon
    const ds = run(conf({ instance: `notify_master ${s.file}` }), { uid: 1000, gid: 1000 });
    assert.deepEqual(ds.map((d) => d.message), [VIOLATION]);
    // ... but as root they run as root
    assert.deepEqual(brief(run(conf({ instance: `notify_master ${s.file}` }))), [
      ['warning', 'W_SCRIPT_SECURITY_UNSAFE'],
      ['warning', 'W_SCRIPT_SECURITY_DISABLED'],
    ]);
  });

  it('the words after a vrrp_script `script` are not a user (keepalived ignores them); its `user` keyword is', () => {
    const s = script(0o755, 0o777);
    const block = (extra: string) => `vrrp_script chk {\n  script "${s.file}" ${extra}\n}\n`;
    const notUser = run(conf({ globals: 'script_user root\nenable_script_security', more: block('nobody'), instance: 'track_script {\n chk\n}' }));
    assert.deepEqual(brief(notUser), [['error', 'W_SCRIPT_SECURITY_UNSAFE']]);
    assert.ok(notUser[0]!.message.startsWith('vrrp_script chk: Unsafe permissions'));
    const withUser = run(
      conf({ globals: 'script_user root\nenable_script_security', more: `vrrp_script chk {\n  script "${s.file}"\n  user nobody nogroup\n}\n` }),
    );
    assert.deepEqual(withUser, []);
  });
});

describe('checkConfigScripts: missing, not executable, wrong type', () => {
  it('a missing script: a warning at the command naming the path; no SECURITY VIOLATION line (nothing found)', () => {
    const missing = path.join(root, 'missing', 'notify.sh');
    const text = conf({ globals: 'script_user root', instance: `notify_backup "${missing} BACKUP"` });
    const ds = run(text);
    assert.deepEqual(ds, [
      {
        severity: 'warning',
        code: 'W_SCRIPT_NOT_FOUND',
        message: `vrrp_instance VI_1 notify_backup: Script ${missing} cannot be accessed - No such file or directory`,
        ...locOf(text, `"${missing} BACKUP"`),
      },
    ]);
    assert.equal(configTestExitCode(ds), 5);
  });

  it('a non-executable script: a warning naming the path and the user; the file counts as a script', () => {
    const { file } = script(0o644);
    const ds = run(conf({ globals: 'script_user root', instance: `notify_fault ${file}` }));
    assert.deepEqual(brief(ds), [['warning', 'W_SCRIPT_NOT_EXECUTABLE'], ['warning', 'W_SCRIPT_SECURITY_DISABLED']]);
    assert.equal(ds[0]!.message, `vrrp_instance VI_1 notify_fault: WARNING - script '${file}' is not executable for uid:gid 0:0 - disabling.`);
    assert.equal(ds[1]!.message, VIOLATION);
    // executable by its owner (whoever runs the tests) only: not for another user
    const own = script(0o700);
    const asAlice = run(conf({ globals: 'script_user alice\nenable_script_security', instance: `notify_fault ${own.file}` }));
    assert.deepEqual(asAlice.map((d) => d.message), [
      `vrrp_instance VI_1 notify_fault: WARNING - script '${own.file}' is not executable for uid:gid 4242:4242 - disabling.`,
    ]);
  });

  it('a directory is the wrong type', () => {
    const d = path.join(root, `dir${n++}`);
    fs.mkdirSync(d);
    const ds = run(conf({ globals: 'script_user root\nenable_script_security', instance: `notify_stop ${d}` }));
    assert.deepEqual(brief(ds), [['warning', 'W_SCRIPT_WRONG_TYPE']]);
    assert.ok(ds[0]!.message.includes(`'${d}'`));
  });

  it('a bare command name is searched in $PATH, with keepalived\'s warning; not found there is a diagnostic', () => {
    const found = run(conf({ globals: 'script_user root\nenable_script_security', instance: 'notify true' }), { pathEnv: `/nonexistent:${path.dirname(SYSTEM_TRUE)}` });
    assert.deepEqual(found.map((d) => [d.code, d.message]), [
      ['W_SCRIPT_PATH_SEARCH', `vrrp_instance VI_1 notify: WARNING - script \`true\` resolved by path search to \`${SYSTEM_TRUE}\`. Please specify full path.`],
    ]);
    const nf = run(conf({ globals: 'script_user root\nenable_script_security', instance: 'notify nosuchcmd-kts' }), { pathEnv: '/nonexistent' });
    assert.deepEqual(nf.map((d) => [d.code, d.message]), [['W_SCRIPT_NOT_FOUND', 'vrrp_instance VI_1 notify: Cannot find script nosuchcmd-kts in path - disabling']]);
  });

  it('a "</file" check opens a file and executes nothing: no diagnostics, not counted as a script', () => {
    const more = 'vrrp_script chk {\n  script "</etc/hostname"\n}\n';
    assert.deepEqual(run(conf({ globals: 'script_user root', more, instance: 'track_script {\n chk\n}' })), []);
  });
});

describe('checkConfigScripts: users', () => {
  it('an unknown user or group of a script', () => {
    const text = conf({ globals: 'script_user root', instance: `notify_master ${SYSTEM_TRUE} ghost\nnotify_backup ${SYSTEM_TRUE} nobody ghosts` });
    const ds = run(text);
    assert.deepEqual(ds.map((d) => [d.code, d.message, d.line]), [
      ['W_SCRIPT_USER', `vrrp_instance VI_1 notify_master: Script user 'ghost' does not exist - ignoring script ${SYSTEM_TRUE}`, locOf(text, 'notify_master').line],
      ['W_SCRIPT_USER', `vrrp_instance VI_1 notify_backup: Script group 'ghosts' does not exist - ignoring script ${SYSTEM_TRUE}`, locOf(text, 'notify_backup').line],
    ]);
  });

  it('enable_script_security with neither script_user nor keepalived_script: scripts without their own user are dropped', () => {
    const text = conf({ globals: 'enable_script_security', instance: `notify_master ${SYSTEM_TRUE}\nnotify_backup ${SYSTEM_TRUE} nobody` });
    const ds = run(text);
    assert.deepEqual(ds.map((d) => [d.code, d.message]), [
      ['W_SCRIPT_USER', `vrrp_instance VI_1 notify_master: Unable to set default user keepalived_script for script - ignoring script ${SYSTEM_TRUE}`],
    ]);
  });

  it('an unknown script_user drops every script without its own user', () => {
    const ds = run(conf({ globals: 'script_user ghost', instance: `notify_master ${SYSTEM_TRUE}\nnotify_stop ${SYSTEM_TRUE}` }));
    assert.deepEqual(ds.map((d) => d.code), ['W_SCRIPT_USER', 'W_SCRIPT_USER']);
    assert.match(ds[0]!.message, /Script user 'ghost' does not exist - Error setting global script uid\/gid/);
  });

  it('MISC_CHECK: the block\'s `user` applies to misc_path', () => {
    const s = script(0o755, 0o777);
    const vs = (user: string) => `virtual_server 192.0.2.1 80 {
  real_server 192.0.2.2 80 {
    MISC_CHECK {
      misc_path "${s.file} -v"
      ${user}
    }
  }
}
`;
    const asRoot = run(conf({ globals: 'script_user root\nenable_script_security', more: vs(''), noInstance: true }));
    assert.deepEqual(asRoot.map((d) => d.code), ['W_SCRIPT_SECURITY_UNSAFE']);
    assert.ok(asRoot[0]!.message.startsWith('virtual_server 192.0.2.1 80 real_server 192.0.2.2 80 MISC_CHECK misc_path: Unsafe permissions'));
    assert.deepEqual(run(conf({ globals: 'script_user root\nenable_script_security', more: vs('user nobody'), noInstance: true })), []);
  });
});

describe('checkConfigScripts: what is visited', () => {
  const m = (name: string) => path.join(root, 'absent', name);
  const everything = `global_defs {
  script_user root
  enable_script_security
  startup_script ${m('startup')}
  shutdown_script ${m('shutdown')}
  notify_fifo /run/kts-test.fifo
  notify_fifo_script ${m('fifo')}
  vrrp_notify_fifo /run/kts-test-vrrp.fifo
  vrrp_notify_fifo_script ${m('vrrp-fifo')}
  lvs_notify_fifo /run/kts-test-lvs.fifo
  lvs_notify_fifo_script ${m('lvs-fifo')}
}
vrrp_script chk {
  script "${m('chk')} --quiet"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
  track_script {
    chk
  }
  notify_master ${m('master')}
  notify_backup ${m('backup')}
  notify_fault ${m('fault')}
  notify_stop ${m('stop')}
  notify_deleted ${m('deleted')}
  notify_master_rx_lower_pri ${m('rx-lower')}
  notify ${m('generic')}
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    192.0.2.11/24
  }
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  notify_master ${m('sg-master')}
  notify ${m('sg-generic')}
}
virtual_server 192.0.2.1 80 {
  quorum_up ${m('quorum-up')}
  quorum_down ${m('quorum-down')}
  real_server 192.0.2.2 80 {
    notify_up ${m('rs-up')}
    notify_down ${m('rs-down')}
    MISC_CHECK {
      misc_path ${m('misc')}
    }
  }
}
`;

  it('every command keepalived would run gets its diagnostic, at its own location, once', () => {
    const { config, diagnostics } = parseConfigText(everything, CONF);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    const ds = checkConfigScripts(config, { uid: 0, gid: 0, userDb: fakeDb() });
    const expected: [string, string][] = [
      ['global_defs startup_script', 'startup'],
      ['global_defs shutdown_script', 'shutdown'],
      ['global_defs notify_fifo_script', 'fifo'],
      ['global_defs vrrp_notify_fifo_script', 'vrrp-fifo'],
      ['global_defs lvs_notify_fifo_script', 'lvs-fifo'],
      ['vrrp_script chk', 'chk'],
      ['vrrp_instance VI_1 notify_master', 'master'],
      ['vrrp_instance VI_1 notify_backup', 'backup'],
      ['vrrp_instance VI_1 notify_fault', 'fault'],
      ['vrrp_instance VI_1 notify_stop', 'stop'],
      ['vrrp_instance VI_1 notify_deleted', 'deleted'],
      ['vrrp_instance VI_1 notify_master_rx_lower_pri', 'rx-lower'],
      ['vrrp_instance VI_1 notify', 'generic'],
      ['vrrp_sync_group G notify_master', 'sg-master'],
      ['vrrp_sync_group G notify', 'sg-generic'],
      ['virtual_server 192.0.2.1 80 quorum_up', 'quorum-up'],
      ['virtual_server 192.0.2.1 80 quorum_down', 'quorum-down'],
      ['virtual_server 192.0.2.1 80 real_server 192.0.2.2 80 notify_up', 'rs-up'],
      ['virtual_server 192.0.2.1 80 real_server 192.0.2.2 80 notify_down', 'rs-down'],
      ['virtual_server 192.0.2.1 80 real_server 192.0.2.2 80 MISC_CHECK misc_path', 'misc'],
    ];
    assert.deepEqual(
      ds.map((d) => [d.severity, d.code, d.message, d.line, d.col]),
      expected.map(([what, name]) => {
        const token = name === 'chk' ? `"${m(name)} --quiet"` : m(name);
        const loc = locOf(everything, token);
        return ['warning', 'W_SCRIPT_NOT_FOUND', `${what}: Script ${m(name)} cannot be accessed - No such file or directory`, loc.line, loc.col];
      }),
    );
  });

  it('VRRP scripts are checked only with a vrrp_instance, checker scripts only with a virtual_server (as each keepalived process)', () => {
    const noVs = everything.slice(0, everything.indexOf('virtual_server 192.0.2.1 80 {'));
    const names = (text: string) =>
      checkConfigScripts(parseConfigText(text, CONF).config, { uid: 0, gid: 0, userDb: fakeDb() }).map((d) => d.message.split(':')[0]);
    assert.deepEqual(names(noVs), [
      'global_defs startup_script',
      'global_defs shutdown_script',
      'global_defs notify_fifo_script',
      'global_defs vrrp_notify_fifo_script',
      'vrrp_script chk',
      'vrrp_instance VI_1 notify_master',
      'vrrp_instance VI_1 notify_backup',
      'vrrp_instance VI_1 notify_fault',
      'vrrp_instance VI_1 notify_stop',
      'vrrp_instance VI_1 notify_deleted',
      'vrrp_instance VI_1 notify_master_rx_lower_pri',
      'vrrp_instance VI_1 notify',
      'vrrp_sync_group G notify_master',
      'vrrp_sync_group G notify',
    ]);
    const globalsOnly = everything.slice(0, everything.indexOf('vrrp_script chk {'));
    assert.deepEqual(names(globalsOnly), ['global_defs startup_script', 'global_defs shutdown_script']);
  });

  it('listConfigScripts: users and processes', () => {
    const text = conf({
      globals: `notify_fifo /run/f\nnotify_fifo_script "${SYSTEM_TRUE} x" nobody nogroup`,
      more: `vrrp_script chk {\n  script ${SYSTEM_TRUE}\n  user nobody\n}\nvirtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n    }\n  }\n}\n`,
      instance: `notify_master ${SYSTEM_TRUE} root`,
    });
    const uses = listConfigScripts(parseConfigText(text, CONF).config);
    assert.deepEqual(
      uses.map((u) => [u.what, u.sides, u.user, u.vrrpScript]),
      [
        ['global_defs notify_fifo_script', ['vrrp', 'checker'], { user: 'nobody', group: 'nogroup' }, undefined],
        ['vrrp_script chk', ['vrrp'], { user: 'nobody' }, 'chk'],
        ['vrrp_instance VI_1 notify_master', ['vrrp'], { user: 'root' }, undefined],
      ],
    );
  });

  it('one SECURITY VIOLATION line per keepalived process that runs scripts, in keepalived\'s order', () => {
    const s = script(0o757);
    const text = conf({
      globals: `script_user root\nstartup_script ${SYSTEM_TRUE}\nnotify_fifo /run/f\nnotify_fifo_script ${SYSTEM_TRUE}`,
      more: `virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 {\n    notify_up ${s.file}\n    TCP_CHECK {\n    }\n  }\n}\n`,
      instance: `notify_master ${SYSTEM_TRUE}\nnotify_backup ${SYSTEM_TRUE}`,
    });
    const ds = run(text).filter((d) => d.code === 'W_SCRIPT_SECURITY_DISABLED');
    assert.deepEqual(ds.map((d) => d.message), [
      'SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.',
      'SECURITY VIOLATION - check scripts are being executed but script_security not enabled. There are insecure scripts.',
      VIOLATION,
    ]);
  });
});

describe('checkConfigScriptsReport', () => {
  it('says which scripts keepalived would disable', () => {
    const bad = script(0o755, 0o777);
    const missing = path.join(root, 'absent', 'x');
    const more = `vrrp_script good {\n  script ${SYSTEM_TRUE}\n}\nvrrp_script gone {\n  script ${missing}\n}\nvrrp_script unsafe {\n  script ${bad.file}\n}\n`;
    const strict = checkConfigScriptsReport(parseConfigText(conf({ globals: 'script_user root\nenable_script_security', more }), CONF).config, {
      uid: 0,
      gid: 0,
      userDb: fakeDb(),
    });
    assert.deepEqual(
      strict.scripts.map((s) => [s.use.vrrpScript, s.disabled, s.found, s.insecure, s.uid]),
      [
        ['good', false, true, false, 0],
        ['gone', true, false, false, 0],
        ['unsafe', true, true, true, 0],
      ],
    );
    const lax = checkConfigScriptsReport(parseConfigText(conf({ globals: 'script_user root', more }), CONF).config, { uid: 0, gid: 0, userDb: fakeDb() });
    assert.deepEqual(lax.scripts.map((s) => [s.use.vrrpScript, s.disabled, s.insecure]), [
      ['good', false, false],
      ['gone', true, false],
      ['unsafe', false, true], // runs anyway, insecure
    ]);
    assert.equal(lax.diagnostics[lax.diagnostics.length - 1]!.message, VIOLATION_INSECURE);
  });
});
