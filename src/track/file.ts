/**
 * track_file: a number in a file, re-read whenever the file changes.
 *
 * keepalived 2.2.7 facts (keepalived.conf(5) "Track files";
 * keepalived/trackers/track_file.c):
 *  - `file` path; `weight` default 1 (range -254..254, optional `reverse`);
 *    `init_file [VALUE] [overwrite]` writes "VALUE\n" (default 0) at start
 *    if the file does not exist, or always with `overwrite` (not on reload,
 *    not for a non-regular file, not in config-test mode).
 *  - The file's directory must exist ("Track file directory for %s does not
 *    exist - removing"); the file itself need not (value 0).
 *  - The directory is watched with inotify (IN_CLOSE_WRITE | IN_DELETE |
 *    IN_MOVE). A written or moved-in file is re-read; a deleted or moved-away
 *    file counts as 0.
 *  - Reading: up to 127 bytes, strtol(buf, NULL, 0): leading white space,
 *    optional sign, 0x = hex, leading 0 = octal, trailing junk ignored, no
 *    digits = 0, empty file = 0. A value that overflows, or is outside
 *    [-2^31, 2^31], is logged ("Invalid number ... - ignoring") and the
 *    previous value is kept.
 *  - Contribution: see priority.ts fileContribution (value x weight; weight 0:
 *    non-zero means FAULT).
 *
 * Here: fs.watch() on the directory (inotify underneath, no polling). Node
 * reports IN_MODIFY rather than IN_CLOSE_WRITE, so a change is re-read after
 * a short quiet period (debounceMs) to avoid reading half-written values.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Clock, SystemClock, TimerHandle } from '../core/clock';
import { KtsError } from '../core/errors';
import { Logger, nullLogger } from '../core/log';

export type TrackFileValue = { ok: true; value: number } | { ok: false; reason: string };

const INT32_MIN = -(2n ** 31n);
const INT32_MAX_PLUS_1 = 2n ** 31n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** keepalived's reading of a track file's contents (strtol base 0 + range check). */
export function parseTrackFileValue(text: string): TrackFileValue {
  const s = text.slice(0, 127);
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') base = 8;
  const digitRe = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  let v = 0n;
  let any = false;
  while (i < s.length && digitRe.test(s[i]!)) {
    v = v * BigInt(base) + BigInt(parseInt(s[i]!, 16));
    any = true;
    i++;
  }
  if (!any) return { ok: true, value: 0 };
  if (neg) v = -v;
  if (v < LONG_MIN || v > LONG_MAX) return { ok: false, reason: `Invalid number ${neg ? LONG_MIN : LONG_MAX}` }; // strtol saturates (ERANGE)
  if (v < INT32_MIN || v > INT32_MAX_PLUS_1) return { ok: false, reason: `Invalid number ${v}` };
  return { ok: true, value: Number(v) };
}

export interface InitFile {
  /** Default 0. */
  value?: number;
  overwrite?: boolean;
}

export interface TrackFileOptions {
  name: string;
  /** `file` */
  file: string;
  /** `weight` (default 1) and `reverse`: carried for the caller (see fileContribution). */
  weight?: number;
  reverse?: boolean;
  /** `init_file [VALUE] [overwrite]` */
  initFile?: InitFile;
}

export interface InitFileArgsResult {
  initFile: InitFile;
  diagnostics: string[];
}

/** The words after `init_file`, as keepalived's track_file_init_handler. */
export function parseInitFileArgs(words: readonly string[], name: string): InitFileArgsResult {
  const initFile: InitFile = { value: 0, overwrite: false };
  const diagnostics: string[] = [];
  for (const raw of words) {
    const word = raw.trimStart();
    if (/^[0-9-]/.test(word)) {
      if (!/^-?[0-9]+$/.test(word) || !Number.isSafeInteger(Number(word)) || Number(word) < -(2 ** 31) || Number(word) > 2 ** 31 - 1) {
        diagnostics.push(`Track file ${name} init value ${word} is invalid`);
        initFile.value = 0;
        continue;
      }
      const v = Number(word);
      if (v < -254 || v > 254) diagnostics.push(`Track file ${name} init value ${v} is outside sensible range [-254, 254]`);
      initFile.value = v;
    } else if (word === 'overwrite') initFile.overwrite = true;
    else diagnostics.push(`Unknown track file init option ${word}`);
  }
  return { initFile, diagnostics };
}

/**
 * Apply `init_file` at start-up. Returns whether the file was written, or a
 * diagnostic. `reload`: never overwrite an existing file; `configTest`: write nothing.
 */
export function initTrackFile(
  opts: TrackFileOptions,
  mode: { reload?: boolean; configTest?: boolean } = {},
): { written: boolean; error?: string } {
  if (!opts.initFile) return { written: false };
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(opts.file);
  } catch {
    st = undefined;
  }
  if (st) {
    if (!opts.initFile.overwrite) return { written: false };
    if (!st.isFile()) return { written: false, error: `Cannot initialise track file ${opts.name} - it is not a regular file` };
    if (mode.reload) return { written: false };
  }
  if (mode.configTest) return { written: false };
  try {
    fs.writeFileSync(opts.file, `${opts.initFile.value ?? 0}\n`);
    return { written: true };
  } catch {
    return { written: false, error: `Unable to initialise track file ${opts.name}` };
  }
}

/** Resolve the path as keepalived: realpath of the file, else of its directory (which must exist). */
export function resolveTrackFilePath(file: string, name: string): string {
  try {
    return fs.realpathSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KtsError('KTS_TRACK_FILE_ACCESS', `track file ${name} is not accessible - ignoring`, { cause: e });
    }
  }
  let dir: string;
  try {
    dir = fs.realpathSync(path.dirname(file));
    if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new KtsError('KTS_TRACK_FILE_DIR', `Track file directory for ${name} does not exist - removing`, { cause: e });
  }
  return path.join(dir, path.basename(file));
}

function readValueSync(p: string): TrackFileValue {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(127);
    const n = fs.readSync(fd, buf, 0, 127, null);
    return parseTrackFileValue(buf.subarray(0, n).toString('latin1'));
  } catch {
    return { ok: true, value: 0 };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function readValue(p: string): Promise<TrackFileValue> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(127);
    const { bytesRead } = await fh.read(buf, 0, 127, null);
    return parseTrackFileValue(buf.subarray(0, bytesRead).toString('latin1'));
  } catch {
    return { ok: true, value: 0 }; // missing (deleted / moved away) or unreadable: 0
  } finally {
    await fh?.close();
  }
}

export interface TrackFileChange {
  name: string;
  value: number;
  previous: number;
}

/** Watches one track file. Events: 'value' (TrackFileChange) when the value changes. */
export class TrackFileWatcher extends EventEmitter {
  readonly name: string;
  private resolved: string | undefined;
  private current = 0;
  private watcher: fs.FSWatcher | undefined;
  private debounce: TimerHandle | undefined;
  private reading = false;
  private again = false;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly debounceMs: number;

  constructor(
    private readonly opts: TrackFileOptions,
    deps: { clock?: Clock; logger?: Logger; debounceMs?: number } = {},
  ) {
    super();
    this.name = opts.name;
    this.clock = deps.clock ?? new SystemClock();
    this.log = (deps.logger ?? nullLogger).child({ trackFile: opts.name });
    this.debounceMs = deps.debounceMs ?? 10;
  }

  /** The last value read (0 if the file is missing). */
  get value(): number {
    return this.current;
  }

  /** The resolved path being watched. */
  get path(): string | undefined {
    return this.resolved;
  }

  /** Resolve the path, read the initial value (no event), start watching. Throws KtsError. */
  start(): void {
    if (this.watcher) return;
    const p = resolveTrackFilePath(this.opts.file, this.opts.name);
    this.resolved = p;
    const v = readValueSync(p);
    if (v.ok) this.current = v.value;
    else this.log.info(`${v.reason} read from ${p} - ignoring`);
    const base = path.basename(p);
    this.watcher = fs.watch(path.dirname(p), { persistent: true }, (_event, filename) => {
      if (filename === null || filename.toString() === base) this.schedule();
    });
    this.watcher.on('error', (e) => this.log.error(`Unable to monitor track file ${p}: ${e.message}`));
  }

  /** Stop watching. Idempotent. */
  stop(): void {
    this.debounce?.cancel();
    this.debounce = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Re-read now (also used by tests and by reload). */
  async refresh(): Promise<void> {
    if (!this.resolved) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        const v = await readValue(this.resolved);
        if (!v.ok) {
          this.log.info(`${v.reason} read from ${this.resolved} - ignoring`);
          continue;
        }
        if (v.value !== this.current) {
          const previous = this.current;
          this.current = v.value;
          this.emit('value', { name: this.name, value: v.value, previous } satisfies TrackFileChange);
        }
      } while (this.again && this.watcher);
    } finally {
      this.reading = false;
    }
  }

  private schedule(): void {
    this.debounce?.cancel();
    this.debounce = this.clock.setTimer(this.debounceMs, () => {
      this.debounce = undefined;
      void this.refresh();
    });
  }
}
