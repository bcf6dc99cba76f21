import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import * as dc from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHANNELS, Notifier, ScriptEvent } from '../../src/notify/notifier';
import { alive, readLines, shScript, tmpDir, waitFor } from './helpers';

const dir = tmpDir('kts-notify-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const uniq = (s: string): string => `${s}-${++n}`;

/** A script appending one line (its name and args) to `log`. */
function appender(log: string, name: string, delaySec = 0): string {
  return shScript(dir, uniq(name), `${delaySec ? `sleep ${delaySec}\n` : ''}echo "${name}${'$'}{1:+ $*}" >> ${log}`);
}

/** A reader process on a FIFO, collecting lines (`cat`). */
function fifoReader(fifo: string): { lines: () => string[]; stop: () => void; proc: ChildProcess } {
  const proc = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => (buf += d.toString()));
  return { lines: () => buf.split('\n').filter((l) => l !== ''), stop: () => proc.kill(), proc };
}

test('per transition: notify_<state> script, then generic notify with INSTANCE|GROUP name STATE prio; FIFO lines', async () => {
  const log = path.join(dir, uniq('order.log'));
  const fifo = path.join(dir, uniq('vrrp.fifo'));
  const notifier = new Notifier({ vrrpNotifyFifo: { path: fifo } });
  assert.deepEqual(notifier.open(), []);
  assert.ok(fs.statSync(fifo).isFIFO(), 'FIFO created');
  const reader = fifoReader(fifo);
  const scripts = {
    master: { argv: [appender(log, 'master'), 'm1'] },
    backup: { argv: [appender(log, 'backup')] },
    notify: { argv: [appender(log, 'notify'), 'extra arg'] },
  };
  const t0 = Date.now();
  const p1 = notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, scripts, smtpAlert: false });
  const p2 = notifier.vrrpTransition({ kind: 'GROUP', name: 'G1', state: 'BACKUP', priority: 77, scripts, smtpAlert: false });
  assert.ok(Date.now() - t0 < 50, 'vrrpTransition does not block');
  await Promise.all([p1, p2]);
  const lines = readLines(log);
  // Each owner's scripts are ordered: specific first, then generic (owners may interleave).
  const vi = lines.filter((l) => l.includes('VI_1') || l.startsWith('master'));
  assert.deepEqual(vi, ['master m1', 'notify extra arg INSTANCE VI_1 MASTER 100']);
  const g = lines.filter((l) => l.includes('G1') || l.startsWith('backup'));
  assert.deepEqual(g, ['backup', 'notify extra arg GROUP G1 BACKUP 0']);
  await waitFor(() => reader.lines().length >= 2, 2000, 'FIFO lines');
  assert.deepEqual(reader.lines(), ['INSTANCE "VI_1" MASTER 100', 'GROUP "G1" BACKUP 0']);
  assert.equal(notifier.stats.scriptsRun, 4);
  assert.equal(notifier.stats.fifoLines, 2);
  reader.stop();
  await notifier.close();
  assert.equal(fs.existsSync(fifo), false, 'a FIFO we created is unlinked at close');
});

test('DELETED is reported as FAULT unless notify_deleted; STOP and priority events', async () => {
  const log = path.join(dir, uniq('del.log'));
  const fifo = path.join(dir, uniq('del.fifo'));
  const notifier = new Notifier({ notifyFifo: { path: fifo } });
  notifier.open();
  const reader = fifoReader(fifo);
  const scripts = {
    fault: { argv: [appender(log, 'fault')] },
    deleted: { argv: [appender(log, 'deleted')] },
    stop: { argv: [appender(log, 'stop')] },
    notify: { argv: [appender(log, 'notify')] },
  };
  await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_1', state: 'DELETED', priority: 90, scripts, smtpAlert: false });
  await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_2', state: 'DELETED', priority: 90, scripts, notifyDeleted: true, smtpAlert: false });
  await notifier.vrrpTransition({ kind: 'INSTANCE', name: 'VI_3', state: 'STOP', priority: 90, scripts, smtpAlert: false });
  await notifier.vrrpEvent({ name: 'VI_1', event: 'MASTER_RX_LOWER_PRI', priority: 90, script: { argv: [appender(log, 'rxlower')] } });
  await notifier.vrrpEvent({ name: 'VI_1', event: 'BACKUP_PRIORITY', priority: 80 });
  assert.deepEqual(readLines(log), [
    'fault',
    'notify INSTANCE VI_1 FAULT 90',
    'deleted',
    'notify INSTANCE VI_2 DELETED 90',
    'stop',
    'notify INSTANCE VI_3 STOP 90',
    'rxlower',
  ]);
  await waitFor(() => reader.lines().length >= 5, 2000, 'FIFO lines');
  assert.deepEqual(reader.lines(), [
    'INSTANCE "VI_1" FAULT 90',
    'INSTANCE "VI_2" DELETED 90',
    'INSTANCE "VI_3" STOP 90',
    'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 90',
    'INSTANCE "VI_1" BACKUP_PRIORITY 80',
  ]);
  reader.stop();
  await notifier.close();
});

test('serialization: a slow script delays the next transition of the same instance, not another instance', async () => {
  const log = path.join(dir, uniq('serial.log'));
  const notifier = new Notifier();
  const slow = { master: { argv: [appender(log, 'A-master', 0.4)] }, backup: { argv: [appender(log, 'A-backup')] } };
  const other = { master: { argv: [appender(log, 'B-master')] } };
  const a1 = notifier.vrrpTransition({ kind: 'INSTANCE', name: 'A', state: 'MASTER', priority: 100, scripts: slow, smtpAlert: false });
  const a2 = notifier.vrrpTransition({ kind: 'INSTANCE', name: 'A', state: 'BACKUP', priority: 100, scripts: slow, smtpAlert: false });
  const b1 = notifier.vrrpTransition({ kind: 'INSTANCE', name: 'B', state: 'MASTER', priority: 100, scripts: other, smtpAlert: false });
  assert.equal(notifier.pendingScripts('INSTANCE A'), 2);
  await b1;
  assert.deepEqual(readLines(log), ['B-master'], 'B ran while A-master was still sleeping');
  await Promise.all([a1, a2]);
  assert.deepEqual(readLines(log), ['B-master', 'A-master', 'A-backup']);
  await notifier.close();
});

test('a hung notify script is killed at its timeout and the queue moves on', async () => {
  const log = path.join(dir, uniq('hang.log'));
  const pidFile = path.join(dir, uniq('hang.pid'));
  const hang = shScript(dir, uniq('hang'), `echo $$ > ${pidFile}\nexec sleep 60`);
  const notifier = new Notifier({ scriptTimeoutMs: 300, killGraceMs: 1000 });
  const events: ScriptEvent[] = [];
  notifier.on('script', (e: ScriptEvent) => events.push(e));
  const viaChannel: unknown[] = [];
  const sub = (m: unknown): void => {
    viaChannel.push(m);
  };
  dc.subscribe(CHANNELS.script, sub);
  const t0 = Date.now();
  await notifier.vrrpTransition({
    kind: 'INSTANCE',
    name: 'H',
    state: 'MASTER',
    priority: 100,
    scripts: { master: { argv: [hang] }, notify: { argv: [appender(log, 'notify')] } },
    smtpAlert: false,
  });
  const elapsed = Date.now() - t0;
  dc.unsubscribe(CHANNELS.script, sub);
  assert.ok(elapsed < 300 + 700, `elapsed ${elapsed} ms`);
  assert.equal(events[0]?.outcome.kind, 'timedOut');
  assert.equal(events[0]?.role, 'notify_master');
  assert.equal(events[1]?.outcome.kind, 'exited');
  assert.deepEqual(readLines(log), ['notify INSTANCE H MASTER 100']);
  assert.equal(notifier.stats.scriptsTimedOut, 1);
  assert.equal(viaChannel.length, 2, 'published on diagnostics_channel');
  const pid = Number(readLines(pidFile)[0]);
  await waitFor(() => !alive(pid), 2000, 'hung script gone');
  await notifier.close();
});

test('FIFO: no reader never blocks; lines wait in the pipe; notify_fifo_script reads the FIFO given as its last argument', async () => {
  const fifo = path.join(dir, uniq('buffered.fifo'));
  const notifier = new Notifier({ notifyFifo: { path: fifo } });
  notifier.open();
  for (let i = 0; i < 3; i++) {
    await notifier.vrrpTransition({ kind: 'INSTANCE', name: `VI_${i}`, state: 'BACKUP', priority: 50 + i, smtpAlert: false });
  }
  const reader = fifoReader(fifo);
  await waitFor(() => reader.lines().length >= 3, 2000, 'buffered lines');
  assert.deepEqual(reader.lines(), ['INSTANCE "VI_0" BACKUP 50', 'INSTANCE "VI_1" BACKUP 51', 'INSTANCE "VI_2" BACKUP 52']);
  reader.stop();
  await notifier.close();

  // With a reader script started by us.
  const fifo2 = path.join(dir, uniq('script.fifo'));
  const out = path.join(dir, uniq('script.out'));
  const n2 = new Notifier({ vrrpNotifyFifo: { path: fifo2, script: { argv: ['/bin/sh', '-c', `exec cat "$1" > ${out}`, 'sh'] } } });
  n2.open();
  await n2.vrrpTransition({ kind: 'GROUP', name: 'G1', state: 'MASTER', priority: 200, smtpAlert: false });
  await waitFor(() => readLines(out).length >= 1, 2000, 'reader script output');
  assert.deepEqual(readLines(out), ['GROUP "G1" MASTER 0']);
  await n2.close();
  assert.equal(fs.existsSync(fifo2), false);
});

test('an existing FIFO is used and kept; a regular file in its place is refused', async () => {
  const fifo = path.join(dir, uniq('existing.fifo'));
  spawn('mkfifo', [fifo]).once('exit', () => {});
  await waitFor(() => fs.existsSync(fifo), 2000, 'mkfifo');
  const a = new Notifier({ notifyFifo: { path: fifo } });
  assert.deepEqual(a.open(), []);
  await a.close();
  assert.ok(fs.statSync(fifo).isFIFO(), 'not unlinked: we did not create it');
  const file = path.join(dir, uniq('regular'));
  fs.writeFileSync(file, '');
  const b = new Notifier({ notifyFifo: { path: file } });
  const errs = b.open();
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.path, file);
  await b.vrrpTransition({ kind: 'INSTANCE', name: 'X', state: 'MASTER', priority: 1, smtpAlert: false });
  assert.equal(fs.readFileSync(file, 'utf8'), '');
  await b.close();
});
