import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualClock } from '../../src/core/clock';
import { parseConfigText, type TrackProcessConfig } from '../../src/config';
import { matchesProcess, ProcessTracker, processQuorum, ProcSource, type ProcessInfo } from '../../src/track';

const proc = (comm: string, argv: string[], zombie = false, pid = 1): ProcessInfo => ({ pid, comm, argv, zombie });

function cfg(body: string): TrackProcessConfig {
  const r = parseConfigText(`vrrp_track_process tp {\n${body}\n}\n`, 'k.conf', { hostname: 'h' });
  assert.deepEqual(r.diagnostics.map((d) => d.message), []);
  return r.config.trackProcesses[0];
}

test('the model: parameters imply exact matching on the full command line; param_match implies full_command', () => {
  assert.deepEqual((({ process, params, paramMatch, fullCommand }) => ({ process, params, paramMatch, fullCommand }))(cfg(' process haproxy')),
    { process: 'haproxy', params: undefined, paramMatch: 'none', fullCommand: false });
  const p = cfg(' process /usr/sbin/haproxy -f "/etc/a b.cfg"');
  assert.deepEqual([p.process, p.params, p.paramMatch, p.fullCommand], ['/usr/sbin/haproxy', ['-f', '/etc/a b.cfg'], 'exact', true]);
  const m = cfg(' process /usr/sbin/nginx\n param_match initial');
  assert.deepEqual([m.paramMatch, m.fullCommand], ['initial', true]);
  assert.deepEqual([cfg(' process x\n param_match').paramMatch], ['exact']);
});

test('matching as keepalived: comm exactly (15 chars), argv[0] with full_command, parameter modes, zombies never', () => {
  const byName = cfg(' process haproxy');
  assert.equal(matchesProcess(byName, proc('haproxy', ['/usr/sbin/haproxy', '-f', 'x'])), true);
  assert.equal(matchesProcess(byName, proc('haproxy-old', ['/usr/sbin/haproxy-old'])), false, 'exact, not a prefix (unlike pgrep)');
  assert.equal(matchesProcess(byName, proc('haproxy', [], true)), false, 'a zombie does not count');
  assert.equal(matchesProcess(cfg(' process a_very_long_process_name'), proc('a_very_long_pro', ['x'])), false, 'longer than comm can hold: never matches');
  const full = cfg(' process /usr/sbin/haproxy\n full_command');
  assert.equal(matchesProcess(full, proc('haproxy', ['/usr/sbin/haproxy', '-f', 'x'])), true);
  assert.equal(matchesProcess(full, proc('haproxy', ['haproxy'])), false);
  const exact = cfg(' process /bin/app -c one');
  assert.equal(matchesProcess(exact, proc('app', ['/bin/app', '-c', 'one'])), true);
  assert.equal(matchesProcess(exact, proc('app', ['/bin/app', '-c', 'one', 'more'])), false);
  assert.equal(matchesProcess(exact, proc('app', ['/bin/app', '-c', 'on'])), false);
  const partial = cfg(' process /bin/app -c\n param_match partial');
  assert.equal(matchesProcess(partial, proc('app', ['/bin/app', '-c', 'one', 'more'])), true);
  assert.equal(matchesProcess(partial, proc('app', ['/bin/app', '-d'])), false);
  const initial = cfg(' process /bin/app -c /etc/app\n param_match initial');
  assert.equal(matchesProcess(initial, proc('app', ['/bin/app', '-c', '/etc/app.conf'])), true, 'the last parameter may be longer');
  assert.equal(matchesProcess(initial, proc('app', ['/bin/app', '-cx', '/etc/app.conf'])), false);
  const none = cfg(' process /bin/app\n param_match');
  assert.equal(matchesProcess(none, proc('app', ['/bin/app'])), true, 'param_match without parameters: no parameters allowed');
  assert.equal(matchesProcess(none, proc('app', ['/bin/app', '-v'])), false);
});

test('quorum and quorum_max', () => {
  const c = cfg(' process w\n quorum 2\n quorum_max 3');
  const ps = (n: number) => Array.from({ length: n }, (_, i) => proc('w', ['w'], false, i + 1));
  assert.deepEqual([1, 2, 3, 4].map((n) => processQuorum(c, ps(n)).ok), [false, true, true, false]);
  assert.equal(processQuorum(cfg(' process w\n quorum_max 0\n quorum 0'), []).ok, true, 'quorum_max 0: fails while any runs');
});

test('ProcessTracker: first scan counts at once; losing quorum waits terminate_delay, a quick restart does not flap; gaining waits fork_delay', async () => {
  const clock = new VirtualClock(0);
  let running = [proc('svc', ['svc'])];
  const t = new ProcessTracker(cfg(' process svc\n terminate_delay 2\n fork_delay 1'), { clock, source: { list: async () => running }, pollMs: 500 });
  const seen: boolean[] = [];
  t.on('status', (e: { ok: boolean }) => seen.push(e.ok));
  const tick = async (ms: number) => {
    for (let i = 0; i < ms; i += 100) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
  };
  assert.equal(t.status, 'unknown');
  t.start();
  await tick(100);
  assert.equal(t.status, 'ok');
  running = [];
  await tick(1000);
  assert.equal(t.status, 'ok', 'within terminate_delay');
  running = [proc('svc', ['svc'], false, 2)];
  await tick(3000);
  assert.equal(t.status, 'ok', 'restarted in time: no flap');
  running = [];
  await tick(3000);
  assert.equal(t.status, 'fail');
  running = [proc('svc', ['svc'], false, 3)];
  await tick(600);
  assert.equal(t.status, 'fail', 'within fork_delay');
  await tick(1000);
  assert.equal(t.status, 'ok');
  assert.deepEqual(seen, [true, false, true]);
  t.stop();
  assert.equal(clock.pending(), 0, 'stop leaves no timer');
});

test('ProcSource reads /proc: finds this process by comm and by argv[0]; a fake /proc with a zombie and a comm with spaces', async () => {
  const me = (await new ProcSource(true).list()).find((p) => p.pid === process.pid)!;
  assert.ok(me, 'this process is listed');
  assert.ok(me.argv.some((a) => a.endsWith('process.test.js')), `cmdline ${me.argv.join(' ')}`);
  assert.equal(me.comm, fs.readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim());
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ktsproc-'));
  try {
    fs.mkdirSync(path.join(root, '42'));
    fs.writeFileSync(path.join(root, '42', 'stat'), '42 (my (odd) app) S 1 42 42 0 -1');
    fs.writeFileSync(path.join(root, '42', 'cmdline'), '/opt/my app\0-x\0');
    fs.mkdirSync(path.join(root, '43'));
    fs.writeFileSync(path.join(root, '43', 'stat'), '43 (dead) Z 1 43 43 0 -1');
    fs.writeFileSync(path.join(root, '43', 'cmdline'), '');
    fs.mkdirSync(path.join(root, 'self'));
    const list = (await new ProcSource(true, root).list()).sort((a, b) => a.pid - b.pid);
    assert.deepEqual(list, [
      { pid: 42, comm: 'my (odd) app', argv: ['/opt/my app', '-x'], zombie: false },
      { pid: 43, comm: 'dead', argv: [], zombie: true },
    ]);
    const noCmd = await new ProcSource(false, root).list();
    assert.ok(noCmd.every((p) => p.argv.length === 0), 'cmdline not read unless needed');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
