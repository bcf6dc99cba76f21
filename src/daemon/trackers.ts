/**
 * Tracker hub: runs each configured vrrp_script and track_file once, however
 * many instances and sync groups track it (as keepalived does), and feeds
 * their states into the instances as TrackerInputs. Link states for
 * track_interface come from the LinkWatcher.
 *
 * Scripts run as child processes (VrrpScriptTracker); nothing here waits on
 * them, so a slow or hung check never delays an advert.
 */
import type { EventEmitter } from 'node:events';
import type { TrackFileConfig, TrackProcessConfig, TrackRef, VrrpScriptConfig } from '../config/model';
import type { Logger } from '../core/log';
import { fileInput, scriptInput, type ScriptStatus } from '../track/priority';
import type { ScriptRunState } from '../track/script';
import type { TrackerInput } from '../vrrp/priority';
import { sameConfig } from './reload';
import type { TrackerState } from './protocol';

export type ScriptState = ScriptStatus;

function stateOf(kind: TrackerState['kind'], name: string, r: object): TrackerState {
  return kind === 'file' ? { kind, name, value: (r as FileWatcher).value } : { kind, name, status: (r as ScriptRunner).status };
}

/** What the hub needs of a script runner (VrrpScriptTracker). */
export interface ScriptRunner extends EventEmitter {
  readonly status: ScriptState;
  /** Where a run is (VrrpScriptTracker has it; others are always idle). */
  readonly runState?: ScriptRunState;
  start(): void;
  stop(): void;
}

/** What the hub needs of a track file watcher (TrackFileWatcher). */
export interface FileWatcher extends EventEmitter {
  readonly value: number;
  start(): void;
  stop(): void;
}

export interface TrackerFactories {
  script(cfg: VrrpScriptConfig): ScriptRunner;
  file(cfg: TrackFileConfig): FileWatcher;
  /** vrrp_track_process (a status tracker like a script); absent: track_process is ignored. */
  process?(cfg: TrackProcessConfig): ScriptRunner;
}

type Listener = () => void;

interface Entry<C, R> {
  cfg: C;
  runner: R;
  listeners: Set<Listener>;
}

export class TrackerHub {
  private readonly anyChange = new Set<(s: TrackerState) => void>();
  private readonly scripts = new Map<string, Entry<VrrpScriptConfig, ScriptRunner>>();
  private readonly files = new Map<string, Entry<TrackFileConfig, FileWatcher>>();
  private readonly processes = new Map<string, Entry<TrackProcessConfig, ScriptRunner>>();

  constructor(
    private readonly make: TrackerFactories,
    private readonly log: Logger,
  ) {}

  /**
   * Bring the set of running trackers in line with a configuration: unchanged
   * ones keep running (and keep their state across a reload), changed ones
   * restart, removed ones stop.
   */
  sync(scripts: readonly VrrpScriptConfig[], files: readonly TrackFileConfig[], processes: readonly TrackProcessConfig[] = []): void {
    this.syncKind(this.scripts, scripts, (c) => this.make.script(c), (r, l) => r.on('status', l), 'script');
    this.syncKind(this.files, files, (c) => this.make.file(c), (r, l) => r.on('value', l), 'file');
    const makeProcess = this.make.process;
    if (makeProcess) this.syncKind(this.processes, processes, (c) => makeProcess(c), (r, l) => r.on('status', l), 'process');
  }

  private syncKind<C extends { name: string }, R extends { start(): void; stop(): void }>(
    map: Map<string, Entry<C, R>>,
    configs: readonly C[],
    create: (c: C) => R,
    subscribe: (r: R, l: Listener) => void,
    kind: TrackerState['kind'],
  ): void {
    const wanted = new Map(configs.map((c) => [c.name, c]));
    for (const [name, e] of map) {
      const next = wanted.get(name);
      if (next && sameConfig(next, e.cfg)) continue;
      e.runner.stop();
      map.delete(name);
    }
    for (const [name, cfg] of wanted) {
      if (map.has(name)) continue;
      const runner = create(cfg);
      const entry: Entry<C, R> = { cfg, runner, listeners: new Set() };
      subscribe(runner, () => {
        for (const l of [...entry.listeners]) l();
        if (this.anyChange.size === 0) return;
        const st = stateOf(kind, name, runner);
        for (const l of this.anyChange) l(st);
      });
      map.set(name, entry);
      try {
        runner.start();
      } catch (e) {
        this.log.error(`tracker ${name}: ${(e as Error).message}`);
      }
    }
  }

  /** The TrackerInput for one `track_script` (or, kind 'process', `track_process`) reference (undefined: unknown). */
  scriptInput(ref: TrackRef, kind: 'script' | 'process' = 'script'): { input: TrackerInput; pending: boolean } | undefined {
    const e = kind === 'script' ? this.scripts.get(ref.name) : this.processes.get(ref.name);
    if (!e) return undefined;
    return scriptInput({ weight: ref.weight ?? e.cfg.weight, reverse: ref.reverse ?? e.cfg.weightReverse }, e.runner.status);
  }

  fileInput(ref: TrackRef): TrackerInput | undefined {
    const e = this.files.get(ref.name);
    if (!e) return undefined;
    return fileInput({ weight: ref.weight ?? e.cfg.weight, reverse: ref.reverse ?? e.cfg.weightReverse }, e.runner.value);
  }

  /** Call `l` whenever the named script (kind 'script') or file changes; returns the unsubscribe. */
  watch(kind: 'script' | 'file' | 'process', name: string, l: Listener): () => void {
    const e = kind === 'script' ? this.scripts.get(name) : kind === 'process' ? this.processes.get(name) : this.files.get(name);
    if (!e) return () => {};
    e.listeners.add(l);
    return () => e.listeners.delete(l);
  }

  /** Every tracker's current result (what the VRRP process is sent at start and reload). */
  states(): TrackerState[] {
    return [
      ...[...this.scripts].map(([n, e]) => stateOf('script', n, e.runner)),
      ...[...this.processes].map(([n, e]) => stateOf('process', n, e.runner)),
      ...[...this.files].map(([n, e]) => stateOf('file', n, e.runner)),
    ];
  }

  /** Where each vrrp_script's run is now (keepalived's "State = idle / running / ..."): status and metrics. */
  scriptRunStates(): { name: string; state: ScriptRunState }[] {
    return [...this.scripts].map(([name, e]) => ({ name, state: (e.runner as ScriptRunner).runState ?? 'idle' }));
  }

  /** Call `l` with the new result whenever any tracker's result changes; returns the unsubscribe. */
  onAnyChange(l: (s: TrackerState) => void): () => void {
    this.anyChange.add(l);
    return () => this.anyChange.delete(l);
  }

  stop(): void {
    for (const e of this.scripts.values()) e.runner.stop();
    for (const e of this.files.values()) e.runner.stop();
    for (const e of this.processes.values()) e.runner.stop();
    this.scripts.clear();
    this.files.clear();
    this.processes.clear();
  }
}
