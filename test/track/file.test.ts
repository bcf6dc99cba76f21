/**
 * track_file against keepalived 2.2.7 (keepalived/trackers/track_file.c
 * process_track_file, track_file_init_handler, track_file_end_handler,
 * init_track_files, process_inotify).
 *
 * The parseTrackFileValue table was checked against glibc: a C program doing
 * keepalived's `strtol(buf, NULL, 0)` on the first 127 bytes plus its range
 * test `errno || v < INT32_MIN || v > INT32_MAX + 1`.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualClock } from '../../src/core/clock';
import { KtsError } from '../../src/core/errors';
import { Logger, memorySink, type LogRecord } from '../../src/core/log';
import {
  initTrackFile,
  parseInitFileArgs,
  parseTrackFileValue,
  resolveTrackFilePath,
  TrackFileWatcher,
  type TrackFileChange,
} from '../../src/track/file';
import { applyContributions, fileContribution } from '../../src/track/priority';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-track-file-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let seq = 0;
function freshDir(): string {
  const d = path.join(root, `d${seq++}`);
  fs.mkdirSync(d);
  return d;
}

describe('parseTrackFileValue (strtol(buf, NULL, 0) + keepalived range check)', () => {
  const table: [string, number | null][] = [
    ['', 0],
    ['42', 42],
    ['  42\n', 42],
    ['\t\v\f\r 9', 9],
    ['+7', 7],
    ['-5', -5],
    ['-0', 0],
    ['0', 0],
    ['00', 0],
    // base 0: 0x = hex, leading 0 = octal
    ['0x1f', 31],
    ['0X1F', 31],
    ['-0x10', -16],
    ['010', 8],
    ['017777777777', 2147483647],
    ['020000000000', 2147483648],
    ['08', 0],
    ['0x', 0],
    ['0xg', 0],
    ['0x-1', 0],
    // trailing junk ignored, no digits = 0
    ['12abc', 12],
    ['1 2', 1],
    ['1e3', 1],
    ['3.7', 3],
    ['abc', 0],
    ['- 5', 0],
    ['+-5', 0],
    ['\u00a05', 0], // NBSP is not C-locale white space
    ['12\u00003', 12], // strtol stops at NUL
    // range [-2^31, 2^31] (sic: INT32_MAX + 1 is allowed), else ignored
    ['2147483647', 2147483647],
    ['2147483648', 2147483648],
    ['0x80000000', 2147483648],
    ['-2147483648', -2147483648],
    ['2147483649', null],
    ['0x80000001', null],
    ['-2147483649', null],
    ['9223372036854775807', null],
    ['99999999999999999999', null],
    ['-99999999999999999999', null],
  ];
  for (const [text, want] of table) {
    it(`${JSON.stringify(text)} -> ${want === null ? 'ignored' : want}`, () => {
      const r = parseTrackFileValue(text);
      if (want === null) assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: want });
    });
  }

  it('only the first 127 bytes are read', () => {
    assert.deepEqual(parseTrackFileValue(`${' '.repeat(126)}5`), { ok: true, value: 5 });
    assert.deepEqual(parseTrackFileValue(`${' '.repeat(127)}5`), { ok: true, value: 0 });
    assert.deepEqual(parseTrackFileValue(`${' '.repeat(126)}12`), { ok: true, value: 1 });
  });

  it('an ignored value is logged with the number strtol returned, as keepalived', () => {
    assert.deepEqual(parseTrackFileValue('2147483649'), { ok: false, reason: 'Invalid number 2147483649' });
    // strtol saturates at LONG_MAX / LONG_MIN with ERANGE
    assert.deepEqual(parseTrackFileValue('99999999999999999999'), { ok: false, reason: 'Invalid number 9223372036854775807' });
    assert.deepEqual(parseTrackFileValue('-99999999999999999999'), { ok: false, reason: 'Invalid number -9223372036854775808' });
  });
});

describe('parseInitFileArgs (track_file_init_handler)', () => {
  it('no words: create with 0', () => {
    assert.deepEqual(parseInitFileArgs([], 'tf'), { initFile: { value: 0, overwrite: false }, diagnostics: [] });
  });

  it('a value, overwrite, in either order', () => {
    assert.deepEqual(parseInitFileArgs(['5'], 'tf').initFile, { value: 5, overwrite: false });
    assert.deepEqual(parseInitFileArgs(['-7', 'overwrite'], 'tf').initFile, { value: -7, overwrite: true });
    assert.deepEqual(parseInitFileArgs(['overwrite', '12'], 'tf').initFile, { value: 12, overwrite: true });
    assert.deepEqual(parseInitFileArgs(['overwrite'], 'tf').initFile, { value: 0, overwrite: true });
    assert.deepEqual(parseInitFileArgs(['007'], 'tf').initFile, { value: 7, overwrite: false });
  });

  it('outside [-254, 254]: kept, with a warning', () => {
    const r = parseInitFileArgs(['300'], 'tf');
    assert.deepEqual(r.initFile, { value: 300, overwrite: false });
    assert.deepEqual(r.diagnostics, ['Track file tf init value 300 is outside sensible range [-254, 254]']);
    assert.equal(parseInitFileArgs(['-254'], 'tf').diagnostics.length, 0);
    assert.equal(parseInitFileArgs(['-255'], 'tf').diagnostics.length, 1);
  });

  it('not a base-10 int (read_int_strvec): 0 with "is invalid"', () => {
    for (const w of ['-', '1.5', '0x10', '12abc', '2147483648', '-2147483649']) {
      const r = parseInitFileArgs([w], 'tf');
      assert.deepEqual(r.initFile, { value: 0, overwrite: false }, w);
      assert.deepEqual(r.diagnostics, [`Track file tf init value ${w} is invalid`], w);
    }
    assert.deepEqual(parseInitFileArgs(['2147483647'], 'tf').initFile.value, 2147483647);
  });

  it('other words (including "+5": only a digit or "-" starts a number) are unknown options', () => {
    assert.deepEqual(parseInitFileArgs(['+5'], 'tf').diagnostics, ['Unknown track file init option +5']);
    assert.deepEqual(parseInitFileArgs(['force'], 'tf').diagnostics, ['Unknown track file init option force']);
  });
});

describe('initTrackFile (track_file_end_handler)', () => {
  const read = (p: string): string => fs.readFileSync(p, 'utf8');

  it('without init_file nothing is written', () => {
    const f = path.join(freshDir(), 'v');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f }), { written: false });
    assert.equal(fs.existsSync(f), false);
  });

  it('a missing file is created with "VALUE\\n"', () => {
    const f = path.join(freshDir(), 'v');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f, initFile: { value: 5 } }), { written: true });
    assert.equal(read(f), '5\n');
    const g = path.join(freshDir(), 'v');
    assert.deepEqual(initTrackFile({ name: 'tf', file: g, initFile: {} }), { written: true });
    assert.equal(read(g), '0\n');
  });

  it('an existing file is kept without overwrite, rewritten with it', () => {
    const f = path.join(freshDir(), 'v');
    fs.writeFileSync(f, '42\n');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f, initFile: { value: 5, overwrite: false } }), { written: false });
    assert.equal(read(f), '42\n');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f, initFile: { value: -3, overwrite: true } }), { written: true });
    assert.equal(read(f), '-3\n');
  });

  it('on reload an existing file is never overwritten, a missing one is still created', () => {
    const f = path.join(freshDir(), 'v');
    fs.writeFileSync(f, '42\n');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f, initFile: { value: 5, overwrite: true } }, { reload: true }), { written: false });
    assert.equal(read(f), '42\n');
    const g = path.join(freshDir(), 'v');
    assert.deepEqual(initTrackFile({ name: 'tf', file: g, initFile: { value: 5, overwrite: true } }, { reload: true }), { written: true });
    assert.equal(read(g), '5\n');
  });

  it('in config-test mode nothing is written', () => {
    const f = path.join(freshDir(), 'v');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f, initFile: { value: 5 } }, { configTest: true }), { written: false });
    assert.equal(fs.existsSync(f), false);
  });

  it('overwrite of something that is not a regular file is refused', () => {
    const d = path.join(freshDir(), 'sub');
    fs.mkdirSync(d);
    assert.deepEqual(initTrackFile({ name: 'tf', file: d, initFile: { value: 1, overwrite: true } }), {
      written: false,
      error: 'Cannot initialise track file tf - it is not a regular file',
    });
    // without overwrite an existing path of any type is simply left alone
    assert.deepEqual(initTrackFile({ name: 'tf', file: d, initFile: { value: 1 } }), { written: false });
  });

  it('an unwritable location is reported', () => {
    const f = path.join(root, 'no-such-dir', 'v');
    assert.deepEqual(initTrackFile({ name: 'tf', file: f, initFile: { value: 1 } }), { written: false, error: 'Unable to initialise track file tf' });
  });
});

describe('resolveTrackFilePath (init_track_files)', () => {
  it('an existing file: its realpath', () => {
    const d = freshDir();
    const f = path.join(d, 'v');
    fs.writeFileSync(f, '1');
    fs.symlinkSync(f, path.join(d, 'link'));
    assert.equal(resolveTrackFilePath(path.join(d, 'link'), 'tf'), fs.realpathSync(f));
    assert.equal(resolveTrackFilePath(path.join(d, '.', 'v'), 'tf'), fs.realpathSync(f));
  });

  it('a missing file in an existing directory: the directory\'s realpath + the name', () => {
    const d = freshDir();
    fs.symlinkSync(d, path.join(root, `dirlink${seq}`));
    assert.equal(resolveTrackFilePath(path.join(root, `dirlink${seq}`, 'absent'), 'tf'), path.join(fs.realpathSync(d), 'absent'));
  });

  it('a missing directory: "Track file directory for NAME does not exist - removing"', () => {
    assert.throws(
      () => resolveTrackFilePath(path.join(root, 'nope', 'v'), 'tf'),
      (e: unknown) => e instanceof KtsError && e.code === 'KTS_TRACK_FILE_DIR' && e.message === 'Track file directory for tf does not exist - removing',
    );
  });
});

describe('TrackFileWatcher on a real file (fs.watch / inotify, no polling)', () => {
  const watchers: TrackFileWatcher[] = [];
  afterEach(() => {
    for (const w of watchers.splice(0)) w.stop();
  });

  /** A watcher whose debounce runs on a VirtualClock: no timer exists unless a file event armed one. */
  function watch(file: string, weight = 1) {
    const clock = new VirtualClock();
    const logs: LogRecord[] = [];
    const w = new TrackFileWatcher({ name: 'tf', file, weight }, { clock, logger: new Logger(memorySink(logs)), debounceMs: 10 });
    watchers.push(w);
    const changes: TrackFileChange[] = [];
    w.on('value', (c: TrackFileChange) => changes.push(c));
    return { w, clock, logs, changes };
  }

  async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Wait for the inotify event to arm the debounce timer, fire it, wait for the read. */
  async function settle(h: ReturnType<typeof watch>, nChanges: number): Promise<void> {
    await until(() => h.clock.pending() > 0, 'a file system event');
    h.clock.advance(10);
    await until(() => h.changes.length >= nChanges, `${nChanges} value event(s)`);
  }

  it('reads the value at start (no event), then fires "value" when the file is rewritten', async () => {
    const f = path.join(freshDir(), 'prio');
    fs.writeFileSync(f, '5\n');
    const h = watch(f);
    h.w.start();
    assert.equal(h.w.value, 5);
    assert.equal(h.w.path, fs.realpathSync(f));
    assert.deepEqual(h.changes, []);
    assert.equal(h.clock.pending(), 0, 'nothing is polled');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.clock.pending(), 0, 'still nothing armed without a change');
    fs.writeFileSync(f, '7\n');
    await settle(h, 1);
    assert.deepEqual(h.changes, [{ name: 'tf', value: 7, previous: 5 }]);
    assert.equal(h.w.value, 7);
  });

  it('value x weight drives the effective priority; <= -254 is FAULT', async () => {
    const f = path.join(freshDir(), 'prio');
    fs.writeFileSync(f, '7');
    const h = watch(f, 3);
    h.w.start();
    const prio = () => applyContributions(100, [fileContribution({ weight: 3 }, h.w.value)]);
    assert.deepEqual(prio(), { fault: false, pending: false, priority: 121 });
    fs.writeFileSync(f, '-10');
    await settle(h, 1);
    assert.deepEqual(prio(), { fault: false, pending: false, priority: 70 });
    fs.writeFileSync(f, '-85');
    await settle(h, 2);
    assert.deepEqual(prio(), { fault: true, pending: false, priority: 100 });
  });

  it('a missing file is 0; creating it is seen; deleting it is 0 again', async () => {
    const d = freshDir();
    const f = path.join(d, 'later');
    const h = watch(f);
    h.w.start();
    assert.equal(h.w.value, 0);
    assert.equal(h.w.path, path.join(fs.realpathSync(d), 'later'));
    fs.writeFileSync(f, '12\n');
    await settle(h, 1);
    assert.deepEqual(h.changes[0], { name: 'tf', value: 12, previous: 0 });
    fs.unlinkSync(f);
    await settle(h, 2);
    assert.deepEqual(h.changes[1], { name: 'tf', value: 0, previous: 12 });
  });

  it('an atomic replace (write elsewhere, rename over) and a move away are seen', async () => {
    const d = freshDir();
    const f = path.join(d, 'prio');
    fs.writeFileSync(f, '1');
    const h = watch(f);
    h.w.start();
    const tmp = path.join(d, '.prio.tmp');
    fs.writeFileSync(tmp, '30');
    fs.renameSync(tmp, f);
    await settle(h, 1);
    assert.deepEqual(h.changes[0], { name: 'tf', value: 30, previous: 1 });
    fs.renameSync(f, path.join(d, 'moved-away'));
    await settle(h, 2);
    assert.deepEqual(h.changes[1], { name: 'tf', value: 0, previous: 30 });
  });

  it('other files in the directory are ignored', async () => {
    const d = freshDir();
    const f = path.join(d, 'prio');
    fs.writeFileSync(f, '1');
    const h = watch(f);
    h.w.start();
    fs.writeFileSync(path.join(d, 'other'), '99');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.clock.pending(), 0);
    assert.deepEqual(h.changes, []);
  });

  it('an invalid number keeps the previous value, logged as keepalived', async () => {
    const f = path.join(freshDir(), 'prio');
    fs.writeFileSync(f, '4');
    const h = watch(f);
    h.w.start();
    fs.writeFileSync(f, '2147483649');
    await until(() => h.clock.pending() > 0, 'a file system event');
    h.clock.advance(10);
    const real = fs.realpathSync(f);
    await until(() => h.logs.some((l) => l.msg.startsWith('Invalid number')), 'the log line');
    assert.deepEqual(h.logs.map((l) => l.msg), [`Invalid number 2147483649 read from ${real} - ignoring`]);
    assert.equal(h.w.value, 4);
    assert.deepEqual(h.changes, []);
    // garbage is not invalid: it reads as 0
    fs.writeFileSync(f, 'garbage');
    await settle(h, 1);
    assert.deepEqual(h.changes, [{ name: 'tf', value: 0, previous: 4 }]);
  });

  it('an invalid number at start leaves the value at 0', () => {
    const f = path.join(freshDir(), 'prio');
    fs.writeFileSync(f, '-2147483649');
    const h = watch(f);
    h.w.start();
    assert.equal(h.w.value, 0);
    assert.equal(h.logs.length, 1);
  });

  it('the same value written again gives no event', async () => {
    const f = path.join(freshDir(), 'prio');
    fs.writeFileSync(f, '8');
    const h = watch(f);
    h.w.start();
    fs.writeFileSync(f, '  8\n');
    await until(() => h.clock.pending() > 0, 'a file system event');
    h.clock.advance(10);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(h.changes, []);
  });

  it('stop() ends watching and is idempotent; start() on a missing directory throws', async () => {
    const f = path.join(freshDir(), 'prio');
    fs.writeFileSync(f, '1');
    const h = watch(f);
    h.w.start();
    h.w.stop();
    h.w.stop();
    fs.writeFileSync(f, '2');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.clock.pending(), 0);
    assert.deepEqual(h.changes, []);
    const bad = watch(path.join(root, 'missing-dir', 'prio'));
    assert.throws(() => bad.w.start(), (e: unknown) => e instanceof KtsError && e.code === 'KTS_TRACK_FILE_DIR');
  });

  it('init_file then watch: the initial value is read at start', () => {
    const f = path.join(freshDir(), 'prio');
    assert.equal(initTrackFile({ name: 'tf', file: f, initFile: { value: 9 } }).written, true);
    const h = watch(f, 2);
    h.w.start();
    assert.equal(h.w.value, 9);
    assert.deepEqual(fileContribution({ weight: 2 }, h.w.value), { fault: false, delta: 18 });
  });
});
