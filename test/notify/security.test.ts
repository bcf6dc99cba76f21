import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkScriptPath,
  checkScriptSecurity,
  resolveDefaultScriptUser,
  resolveUserGroup,
  securityViolationMessage,
  UserDb,
} from '../../src/notify/security';

const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;
let root: string;

function script(p: string, mode = 0o755): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(p, mode);
  return p;
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sec-'));
  fs.chmodSync(root, 0o755);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const asRoot = { uid: 0, gid: 0 };

test('a root-owned script in root-owned, non-writable directories is secure', () => {
  const p = script(path.join(root, 'ok', 'run.sh'));
  for (const scriptSecurity of [true, false]) {
    const r = checkScriptSecurity(p, { ...asRoot, scriptSecurity });
    assert.ok(r.ok);
    assert.equal(r.insecure, false);
    assert.equal(r.path, p);
  }
});

test('script security table: what a non-root user could modify is refused when run as root', () => {
  const cases: { name: string; setup: () => { file: string; offending: string }; insecure: boolean }[] = [
    {
      name: 'world-writable file (chmod o+w)',
      setup: () => {
        const f = script(path.join(root, 'c1', 's.sh'), 0o757);
        return { file: f, offending: f };
      },
      insecure: true,
    },
    {
      name: 'world-writable parent directory without sticky bit',
      setup: () => {
        const d = path.join(root, 'c2', 'open');
        const f = script(path.join(d, 's.sh'));
        fs.chmodSync(d, 0o777);
        return { file: f, offending: d };
      },
      insecure: true,
    },
    {
      name: 'world-writable directory with the sticky bit (like /tmp) is fine',
      setup: () => {
        const d = path.join(root, 'c3', 'sticky');
        const f = script(path.join(d, 's.sh'));
        fs.chmodSync(d, 0o1777);
        return { file: f, offending: '' };
      },
      insecure: false,
    },
    {
      name: 'file owned by nobody',
      setup: () => {
        const f = script(path.join(root, 'c4', 's.sh'));
        fs.chownSync(f, NOBODY, 0);
        return { file: f, offending: f };
      },
      insecure: true,
    },
    {
      name: 'directory owned by nobody',
      setup: () => {
        const d = path.join(root, 'c5', 'nob');
        const f = script(path.join(d, 's.sh'));
        fs.chownSync(d, NOBODY, NOBODY);
        return { file: f, offending: d };
      },
      insecure: true,
    },
    {
      name: 'group-writable file, group root: fine',
      setup: () => {
        const f = script(path.join(root, 'c6', 's.sh'), 0o775);
        return { file: f, offending: '' };
      },
      insecure: false,
    },
    {
      name: 'group-writable file, non-root group',
      setup: () => {
        const f = script(path.join(root, 'c7', 's.sh'), 0o775);
        fs.chownSync(f, 0, NOBODY);
        return { file: f, offending: f };
      },
      insecure: true,
    },
    {
      name: 'symlink in a safe directory to a script in an unsafe one',
      setup: () => {
        const d = path.join(root, 'c8', 'unsafe');
        const target = script(path.join(d, 'real.sh'));
        fs.chmodSync(d, 0o777);
        const link = path.join(root, 'c8', 'link.sh');
        fs.symlinkSync(target, link);
        return { file: link, offending: d };
      },
      insecure: true,
    },
  ];
  // Files we create are root-owned only when we are root (the test suite runs as root).
  if (!isRoot) return;
  for (const c of cases) {
    const { file, offending } = c.setup();
    const strict = checkScriptSecurity(file, { ...asRoot, scriptSecurity: true });
    const lax = checkScriptSecurity(file, { ...asRoot, scriptSecurity: false });
    if (c.insecure) {
      assert.equal(strict.ok, false, c.name);
      assert.ok(!strict.ok);
      assert.equal(strict.code, 'KTS_SCRIPT_INSECURE', c.name);
      assert.equal(strict.path, offending, c.name);
      assert.match(strict.message, /Unsafe permissions found for script/);
      assert.ok(strict.message.includes(offending), `${c.name}: message names ${offending}`);
      // Without enable_script_security the script still runs, flagged insecure.
      assert.ok(lax.ok, c.name);
      assert.equal(lax.insecure, true, c.name);
      assert.equal(lax.offendingPath, offending, c.name);
      // Run as a non-root user, nothing needs protecting.
      const asNobody = checkScriptSecurity(file, { uid: NOBODY, gid: NOBODY, scriptSecurity: true });
      assert.ok(asNobody.ok, `${c.name} as nobody`);
      assert.equal(asNobody.insecure, false);
    } else {
      assert.ok(strict.ok, c.name);
      assert.equal(strict.insecure, false, c.name);
    }
  }
});

test('setuid-root script run by a non-root user still needs protection', () => {
  if (!isRoot) return; // a setuid-root file can only be made by root
  const d = path.join(root, 'suid', 'open');
  const f = script(path.join(d, 's.sh'), 0o4755);
  fs.chmodSync(d, 0o777);
  const r = checkScriptSecurity(f, { uid: NOBODY, gid: NOBODY, scriptSecurity: true });
  assert.equal(!r.ok && r.code, 'KTS_SCRIPT_INSECURE');
  assert.equal(!r.ok && r.path, d);
});

test('missing, non-executable and wrong-type scripts', () => {
  const missing = checkScriptSecurity(path.join(root, 'nope.sh'), { ...asRoot, scriptSecurity: false });
  assert.equal(!missing.ok && missing.code, 'KTS_SCRIPT_NOT_FOUND');
  const plain = script(path.join(root, 'plain', 'p.sh'), 0o644);
  const ne = checkScriptSecurity(plain, { ...asRoot, scriptSecurity: false });
  assert.equal(!ne.ok && ne.code, 'KTS_SCRIPT_NOT_EXECUTABLE');
  assert.equal(!ne.ok && ne.path, plain);
  const dir = path.join(root, 'plain');
  const wt = checkScriptSecurity(dir, { ...asRoot, scriptSecurity: false });
  assert.equal(!wt.ok && wt.code, 'KTS_SCRIPT_WRONG_TYPE');
  // executable by owner only: not for another user
  const own = script(path.join(root, 'own', 'o.sh'), 0o700);
  const r = checkScriptSecurity(own, { uid: NOBODY, gid: NOBODY, scriptSecurity: false });
  assert.equal(!r.ok && r.code, 'KTS_SCRIPT_NOT_EXECUTABLE');
});

test('a bare command name is resolved through PATH, with keepalived\'s warning', () => {
  const d = path.join(root, 'bin');
  const f = script(path.join(d, 'mycheck'));
  const r = checkScriptSecurity('mycheck', { ...asRoot, scriptSecurity: true, pathEnv: `/nonexistent:${d}` });
  assert.ok(r.ok);
  assert.equal(r.path, f);
  assert.deepEqual(r.warnings, [`WARNING - script \`mycheck\` resolved by path search to \`${f}\`. Please specify full path.`]);
  const nf = checkScriptSecurity('nosuchcmd', { ...asRoot, scriptSecurity: true, pathEnv: d });
  assert.equal(!nf.ok && nf.code, 'KTS_SCRIPT_NOT_FOUND');
  assert.equal(!nf.ok && nf.message, 'Cannot find script nosuchcmd in path - disabling');
});

test('checkScriptPath: diagnostic for -t, null when runnable', () => {
  const f = script(path.join(root, 'cp', 'ok.sh'));
  assert.equal(checkScriptPath(`${f} arg1 'arg 2'`), null);
  assert.equal(checkScriptPath([f, 'x']), null);
  const d = checkScriptPath(`${path.join(root, 'cp', 'missing.sh')} arg`);
  assert.ok(d);
  assert.equal(d.code, 'KTS_SCRIPT_NOT_FOUND');
  assert.equal(d.severity, 'error');
  assert.equal(d.path, path.join(root, 'cp', 'missing.sh'));
  const ne = checkScriptPath(script(path.join(root, 'cp', 'ne.sh'), 0o600));
  assert.equal(ne?.code, 'KTS_SCRIPT_NOT_EXECUTABLE');
});

function fakeDb(users: Record<string, [number, number]>, groups: Record<string, number> = {}): UserDb {
  return {
    user: (n) => (users[n] ? { name: n, uid: users[n]![0], gid: users[n]![1] } : undefined),
    group: (n) => (groups[n] !== undefined ? { name: n, gid: groups[n]! } : undefined),
  };
}

test('default script user: script_user, else keepalived_script, else root with a warning', () => {
  const db = fakeDb({ alice: [1000, 1000], keepalived_script: [998, 997] }, { staff: 50 });
  assert.deepEqual(resolveDefaultScriptUser({ scriptUser: { user: 'alice', group: 'staff' }, scriptSecurity: true, db }), {
    ok: true,
    uid: 1000,
    gid: 50,
    user: 'alice',
  });
  assert.deepEqual(resolveDefaultScriptUser({ scriptSecurity: true, db }), { ok: true, uid: 998, gid: 997, user: 'keepalived_script' });
  const none = fakeDb({});
  const strict = resolveDefaultScriptUser({ scriptSecurity: true, db: none });
  assert.equal(!strict.ok && strict.code, 'KTS_SCRIPT_DEFAULT_USER');
  assert.equal(!strict.ok && strict.message, 'Unable to set default user keepalived_script for script');
  const lax = resolveDefaultScriptUser({ scriptSecurity: false, db: none, self: { uid: 0, gid: 0, name: 'root' } });
  assert.ok(lax.ok);
  assert.equal(lax.uid, 0);
  assert.match(lax.warning ?? '', /run as root/);
  const bad = resolveDefaultScriptUser({ scriptUser: { user: 'bob' }, scriptSecurity: false, db });
  assert.equal(!bad.ok && bad.code, 'KTS_SCRIPT_USER_UNKNOWN');
  assert.equal(resolveUserGroup('alice', 'nogroup-here', db).ok, false);
  assert.equal(
    securityViolationMessage(true),
    'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.',
  );
});

test('system user db resolves root and nobody through getent', () => {
  const r = resolveUserGroup('root', undefined);
  assert.deepEqual(r, { ok: true, uid: 0, gid: 0, user: 'root' });
  const n = resolveUserGroup('nobody', 'nogroup');
  assert.deepEqual(n, { ok: true, uid: NOBODY, gid: NOBODY, user: 'nobody' });
});
