/**
 * What the children report becomes notifications here: the VRRP child says
 * which instance or group changed state; the scripts to run are looked up
 * in the configuration (the current one, or for an instance a reload just
 * removed, the one before), with their users resolved. The checker child's
 * changes carry their scripts already.
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Notifier, NotifyScripts } from '../../notify';
import { notifyScripts, type IdLookup } from '../notify-wiring';
import type { FromChild } from '../protocol';

export type Notification = Extract<FromChild, { t: 'transition' | 'event' | 'realServer' | 'virtualServer' }>;

export class NotifyRouter {
  constructor(
    private readonly notifier: Pick<Notifier, 'vrrpTransition' | 'vrrpEvent' | 'realServer' | 'virtualServer'>,
    private readonly configs: () => readonly KeepalivedConfig[],
    private readonly ids: IdLookup,
    private readonly scriptUser: () => { uid: number; gid: number } | undefined,
  ) {}

  route(m: Notification): void {
    switch (m.t) {
      case 'transition':
        void this.notifier.vrrpTransition({ ...m.note, scripts: this.scriptsOf(m.note.kind, m.note.name) });
        return;
      case 'event':
        void this.notifier.vrrpEvent({
          ...m.note,
          script: m.note.event === 'MASTER_RX_LOWER_PRI' ? this.scriptsOf('INSTANCE', m.note.name)?.masterRxLowerPri : undefined,
        });
        return;
      case 'realServer':
        void this.notifier.realServer(m.change);
        return;
      case 'virtualServer':
        void this.notifier.virtualServer(m.change);
        return;
    }
  }

  private scriptsOf(kind: 'INSTANCE' | 'GROUP', name: string): NotifyScripts | undefined {
    for (const c of this.configs()) {
      const owner = kind === 'INSTANCE' ? c.instances.find((i) => i.name === name) : c.syncGroups.find((g) => g.name === name);
      if (owner) return notifyScripts(owner.notify, this.ids, this.scriptUser());
    }
    return undefined;
  }
}
