/**
 * vrrp_sync_group: member instances move together (keepalived vrrp_sync.c).
 *  - a member that becomes MASTER on its own takes the others to MASTER;
 *  - a member that leaves MASTER for BACKUP takes the others to BACKUP;
 *  - a member in FAULT (its own trackers / link) holds every other member in
 *    FAULT until no member is faulty any more.
 * Moves made on the group's behalf carry reason 'sync_group' and are not
 * propagated again, so there are no loops. The group's own state (for
 * notify "GROUP <name> <STATE>") is FAULT if any member is, MASTER if all are,
 * else BACKUP. A member whose Master_Down_Timer fires only becomes MASTER when
 * every other member wants to as well.
 */
import { Logger } from '../core/log';
import type { VrrpState } from './fsm';
import type { VrrpInstance } from './instance';

export type GroupState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

export interface GroupTransitionEvent {
  group: string;
  from: GroupState;
  to: GroupState;
  at: number;
}

export class SyncGroup {
  private current: GroupState = 'INIT';
  private readonly faulted = new Set<VrrpInstance>();
  private cbs: ((e: GroupTransitionEvent) => void)[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;

  constructor(
    readonly name: string,
    readonly members: readonly VrrpInstance[],
    logger?: Logger,
    private readonly now: () => number = () => 0,
  ) {
    this.log = (logger ?? new Logger(() => {}, {}, 'error')).child({ group: name });
    for (const m of members) {
      this.unsubscribe.push(
        m.onOwnFault((on) => this.memberFault(m, on)),
        m.onTransition((e) => this.memberTransition(m, e.from, e.to, e.reason)),
      );
      m.setSyncGate(() => this.canGoMaster(m));
      if (m.status().ownFault) this.faulted.add(m);
    }
    this.pushGroupFault();
    this.updateState();
  }

  /**
   * keepalived vrrp_sync_can_goto_master: "Only sync to master if everyone
   * wants to i.e. prefer backup state to avoid thrashing" - a member whose
   * Master_Down_Timer fired waits in BACKUP until every other member's has too.
   */
  canGoMaster(m: VrrpInstance): boolean {
    if (this.current === 'MASTER') return true;
    return this.members.every((o) => o === m || o.wantMaster || o.state === 'MASTER');
  }

  get state(): GroupState {
    return this.current;
  }

  onTransition(cb: (e: GroupTransitionEvent) => void): () => void {
    this.cbs.push(cb);
    return () => (this.cbs = this.cbs.filter((x) => x !== cb));
  }

  /** Detach from the members (reload / shutdown). */
  close(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    for (const m of this.members) m.setSyncGate(undefined);
  }

  private memberFault(m: VrrpInstance, on: boolean): void {
    if (on) this.faulted.add(m);
    else this.faulted.delete(m);
    this.pushGroupFault();
  }

  private pushGroupFault(): void {
    for (const m of this.members) {
      const othersFaulty = [...this.faulted].some((x) => x !== m);
      if (m.status().groupFault !== othersFaulty) m.setGroupFault(othersFaulty);
    }
  }

  private memberTransition(m: VrrpInstance, from: VrrpState, to: VrrpState, reason: string): void {
    if (reason !== 'sync_group') {
      if (to === 'MASTER') {
        this.log.info(`VRRP_Group(${this.name}) Syncing instances to MASTER state`);
        for (const o of this.members) if (o !== m) o.syncTo('MASTER');
      } else if (from === 'MASTER' && to === 'BACKUP') {
        this.log.info(`VRRP_Group(${this.name}) Syncing instances to BACKUP state`);
        for (const o of this.members) if (o !== m) o.syncTo('BACKUP');
      }
    }
    this.updateState();
  }

  private updateState(): void {
    const states = this.members.map((m) => m.state);
    let next: GroupState;
    if (states.some((s) => s === 'FAULT')) next = 'FAULT';
    else if (states.every((s) => s === 'MASTER')) next = 'MASTER';
    else if (states.some((s) => s === 'INIT' || s === 'STOP')) return;
    else next = 'BACKUP';
    if (next === this.current) return;
    const e: GroupTransitionEvent = { group: this.name, from: this.current, to: next, at: this.now() };
    this.current = next;
    this.log.info(`VRRP_Group(${this.name}) Entering ${next} STATE`);
    for (const cb of [...this.cbs]) cb(e);
  }
}
