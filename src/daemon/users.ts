/**
 * Script users as keepalived resolves them: `script_user`, the
 * `keepalived_script` default, `user [group]` on a script. Used by the main
 * process (notify and tracker scripts) and the checker process (MISC_CHECK,
 * notify_up/down); never by the VRRP process (a lookup may spawn getent).
 */
import type { KeepalivedConfig } from '../config/model';
import type { Logger } from '../core/log';
import { resolveDefaultScriptUser, resolveUserGroup } from '../notify';
import type { IdLookup } from './notify-wiring';

export function idLookup(log: Logger): IdLookup {
  return (user, group) => {
    const r = resolveUserGroup(user, group);
    if (r.ok) return { uid: r.uid, gid: r.gid };
    log.error(r.message);
    return undefined;
  };
}

export function defaultScriptUser(config: KeepalivedConfig, log: Logger): { uid: number; gid: number } | undefined {
  const r = resolveDefaultScriptUser({ scriptUser: config.global.scriptUser, scriptSecurity: config.global.enableScriptSecurity });
  if (!r.ok) {
    log.error(r.message);
    return undefined;
  }
  if (r.warning) log.warn(r.warning);
  return { uid: r.uid, gid: r.gid };
}
