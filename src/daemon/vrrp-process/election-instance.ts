/**
 * The VRRP process's part of an instance elected through etcd (issue 12):
 * the instance is a VrrpInstance in election mode (src/vrrp/fsm: MASTER only
 * while a grant runs, its own timer drops the VIPs at the grant's end), on a
 * transport that sends and receives nothing, and it tells the main process
 * its candidacy - effective priority (trackers applied) and fault state -
 * whenever that changes. The etcd client and the election itself run in the
 * main process (src/daemon/main/election.ts): nothing here waits on it.
 */
import type { Family, VrrpTransport } from '../../net/ports';
import type { VrrpInstance } from '../../vrrp/instance';

/** A transport for an instance that never advertises. */
export function silentTransport(ifname: string, family: Family, sourceAddress: string): VrrpTransport {
  return { family, ifname, sourceAddress, send: () => undefined, onPacket: () => undefined, close: () => undefined };
}

export interface Candidacy {
  priority: number;
  fault: boolean;
  state: string;
}

/** Report the instance's candidacy at each transition and priority change; returns the unsubscribers. */
export function reportCandidacy(inst: VrrpInstance, report: (c: Candidacy) => void): (() => void)[] {
  let last = '';
  const send = () => {
    const c: Candidacy = { priority: inst.effectivePriority, fault: inst.state === 'FAULT' || inst.status().ownFault, state: inst.state };
    const key = JSON.stringify(c);
    if (key === last || inst.state === 'INIT' || inst.state === 'STOP') return;
    last = key;
    report(c);
  };
  return [inst.onTransition(send), inst.onNotify((e) => e.event === 'priority_changed' && send()), inst.onOwnFault(send)];
}
