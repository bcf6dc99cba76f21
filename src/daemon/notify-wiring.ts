/**
 * Maps the configuration's notify settings onto the Notifier's options.
 * Pure apart from resolving user names to ids (an injected lookup).
 */
import type { FifoSpec, GlobalConfig, NotifyScripts as CfgScripts, ScriptCommand } from '../config/model';
import type { FifoConfig, NotifierOptions, NotifyScripts, ScriptSpec } from '../notify';

export type IdLookup = (user: string, group?: string) => { uid: number; gid: number } | undefined;

export function scriptSpec(cmd: ScriptCommand | undefined, ids: IdLookup, fallback?: { uid: number; gid: number }): ScriptSpec | undefined {
  if (!cmd) return undefined;
  const who = cmd.user !== undefined ? ids(cmd.user, cmd.group) : fallback;
  return { argv: cmd.argv, uid: who?.uid, gid: who?.gid };
}

export function notifyScripts(n: CfgScripts, ids: IdLookup, fallback?: { uid: number; gid: number }): NotifyScripts {
  return {
    master: scriptSpec(n.master, ids, fallback),
    backup: scriptSpec(n.backup, ids, fallback),
    fault: scriptSpec(n.fault, ids, fallback),
    stop: scriptSpec(n.stop, ids, fallback),
    deleted: scriptSpec(n.deleted, ids, fallback),
    masterRxLowerPri: scriptSpec(n.masterRxLowerPri, ids, fallback),
    notify: scriptSpec(n.generic, ids, fallback),
  };
}

function fifo(f: FifoSpec | undefined, ids: IdLookup, fallback?: { uid: number; gid: number }): FifoConfig | undefined {
  if (!f) return undefined;
  const who = f.user !== undefined ? ids(f.user, f.group) : undefined;
  return { path: f.path, uid: who?.uid, gid: who?.gid, script: scriptSpec(f.script, ids, fallback) };
}

export function notifierOptions(g: GlobalConfig, ids: IdLookup, fallback?: { uid: number; gid: number }): NotifierOptions {
  const mail = g.smtpServer
    ? {
        notificationEmail: g.notificationEmail,
        notificationEmailFrom: g.notificationEmailFrom,
        smtpServer: { host: g.smtpServer.host, port: g.smtpServer.port },
        smtpHeloName: g.smtpHeloName,
        smtpConnectTimeoutMs: g.smtpConnectTimeoutMs,
        routerId: g.routerId,
      }
    : undefined;
  return {
    notifyFifo: fifo(g.notifyFifo, ids, fallback),
    vrrpNotifyFifo: fifo(g.vrrpNotifyFifo, ids, fallback),
    lvsNotifyFifo: fifo(g.lvsNotifyFifo, ids, fallback),
    mail,
    noEmailFaults: g.noEmailFaults,
  };
}
