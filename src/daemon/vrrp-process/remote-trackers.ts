/**
 * Trackers as the VRRP process sees them: their results arrive by message
 * from the main process, which runs the scripts, watches the files and reads
 * /proc (src/daemon/main/tracker-feed.ts). The VRRP side's TrackerHub gets
 * these stand-ins from its factories, so nothing on the VRRP loop ever spawns
 * a check script.
 *
 * A result that arrives before its tracker exists (the init message carries
 * every known result) is kept and used when the tracker is created.
 */
import { EventEmitter } from 'node:events';
import type { ScriptStatus } from '../../track/priority';
import type { TrackerState } from '../protocol';
import type { FileWatcher, ScriptRunner, TrackerFactories } from '../trackers';

class RemoteScript extends EventEmitter implements ScriptRunner {
  constructor(public status: ScriptStatus, private readonly forget: () => void) {
    super();
  }
  start(): void {}
  stop(): void {
    this.forget();
  }
}

class RemoteFile extends EventEmitter implements FileWatcher {
  constructor(public value: number, private readonly forget: () => void) {
    super();
  }
  start(): void {}
  stop(): void {
    this.forget();
  }
}

const key = (kind: TrackerState['kind'], name: string) => `${kind} ${name}`;

export class RemoteTrackers {
  private readonly known = new Map<string, TrackerState>();
  private readonly scripts = new Map<string, RemoteScript>();
  private readonly files = new Map<string, RemoteFile>();

  readonly factories: TrackerFactories = {
    script: (c) => this.script('script', c.name),
    process: (c) => this.script('process', c.name),
    file: (c) => {
      const k = key('file', c.name);
      const s = this.known.get(k);
      const f = new RemoteFile(s?.kind === 'file' ? s.value : 0, () => this.files.get(k) === f && this.files.delete(k));
      this.files.set(k, f);
      return f;
    },
  };

  /** New results from the main process: each changed tracker tells its listeners. */
  apply(states: readonly TrackerState[]): void {
    for (const s of states) {
      const k = key(s.kind, s.name);
      this.known.set(k, s);
      if (s.kind === 'file') {
        const f = this.files.get(k);
        if (f && f.value !== s.value) {
          f.value = s.value;
          f.emit('value', s.value);
        }
        continue;
      }
      const r = this.scripts.get(k);
      if (r && r.status !== s.status) {
        r.status = s.status;
        r.emit('status', s.status);
      }
    }
  }

  private script(kind: 'script' | 'process', name: string): RemoteScript {
    const k = key(kind, name);
    const s = this.known.get(k);
    const r = new RemoteScript(s && s.kind !== 'file' ? s.status : 'unknown', () => this.scripts.get(k) === r && this.scripts.delete(k));
    this.scripts.set(k, r);
    return r;
  }
}
