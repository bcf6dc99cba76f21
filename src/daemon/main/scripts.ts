/**
 * What keepalived does with the scripts it refuses to run (missing, not
 * executable, or insecure under enable_script_security): they are dropped,
 * and a disabled vrrp_script disappears from every track_script, so an
 * instance behaves as if it had never tracked it. Pure: the verdicts come
 * from track/script-check.
 */
import type { KeepalivedConfig, NotifyScripts, ScriptCommand, TrackRef } from '../../config/model';
import type { ScriptCheckReport } from '../../track/script-check';

export interface ScriptFilterResult {
  config: KeepalivedConfig;
  /** Log lines in keepalived's words. */
  messages: string[];
}

export function withoutDisabledScripts(cfg: KeepalivedConfig, report: ScriptCheckReport): ScriptFilterResult {
  const off = new Set<ScriptCommand>(report.scripts.filter((v) => v.disabled).map((v) => v.use.command));
  if (off.size === 0) return { config: cfg, messages: [] };
  const messages: string[] = [];
  const deadScripts = new Set(cfg.vrrpScripts.filter((s) => off.has(s.script)).map((s) => s.name));
  for (const name of deadScripts) messages.push(`Disabling track script ${name} since not found/accessible`);
  const keep = (refs: TrackRef[]) => refs.filter((r) => !deadScripts.has(r.name));
  const notify = (n: NotifyScripts): NotifyScripts => {
    const out: NotifyScripts = {};
    for (const [k, v] of Object.entries(n) as [keyof NotifyScripts, ScriptCommand | undefined][]) if (v && !off.has(v)) out[k] = v;
    return out;
  };
  const g = cfg.global;
  const fifo = <F extends { script?: ScriptCommand }>(f: F | undefined): F | undefined =>
    f && f.script && off.has(f.script) ? { ...f, script: undefined } : f;
  return {
    messages,
    config: {
      ...cfg,
      global: {
        ...g,
        notifyFifo: fifo(g.notifyFifo),
        vrrpNotifyFifo: fifo(g.vrrpNotifyFifo),
        lvsNotifyFifo: fifo(g.lvsNotifyFifo),
        startupScript: g.startupScript && off.has(g.startupScript) ? undefined : g.startupScript,
        shutdownScript: g.shutdownScript && off.has(g.shutdownScript) ? undefined : g.shutdownScript,
      },
      vrrpScripts: cfg.vrrpScripts.filter((s) => !deadScripts.has(s.name)),
      instances: cfg.instances.map((i) => ({ ...i, trackScript: keep(i.trackScript), notify: notify(i.notify) })),
      syncGroups: cfg.syncGroups.map((s) => ({ ...s, trackScript: keep(s.trackScript), notify: notify(s.notify) })),
    },
  };
}
