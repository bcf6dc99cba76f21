/**
 * Optional parts of the main process (operations: metrics and the status
 * page, systemd notification, ...) plug in here instead of into the main
 * process's code: each gets the main process's events and its status, and
 * is started after the children and stopped last.
 */
import { EventEmitter } from 'node:events';
import type { KeepalivedConfig } from '../../config/model';
import type { Logger } from '../../core/log';
import type { CliOptions } from '../../cli/args';
import type { KtsNative } from '../../native';
import type { TransitionNote } from '../protocol';
import type { MainStatus, ReloadResult } from './main-process';
import { systemdExtension } from './systemd';
import { OpsExtension } from './ops/ops-extension';

/** What happens in the main process, as events. */
export interface MainEventMap {
  /** Every child started has said it runs (after start, and after a reload that started one). */
  ready: [];
  reloading: [];
  reloaded: [ReloadResult];
  stopping: [];
  /** A VRRP instance or sync group changed state. */
  transition: [TransitionNote];
  /** A child process died (it is respawned unless -R). */
  childDied: [{ role: 'vrrp' | 'checker'; pid: number; how: string }];
}

export class MainEvents extends EventEmitter<MainEventMap> {}

export interface MainContext {
  events: MainEvents;
  status(): Promise<MainStatus>;
  config(): KeepalivedConfig;
  options: CliOptions;
  log: Logger;
  native: KtsNative;
}

export interface MainExtension {
  readonly name: string;
  start(ctx: MainContext): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** The extensions a main process runs (each decides from the options and configuration whether it has work). */
export function mainExtensions(): MainExtension[] {
  return [systemdExtension(), new OpsExtension()];
}
