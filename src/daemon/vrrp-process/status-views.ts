/**
 * What the VRRP process's status says of an instance: its configuration
 * (./settings), overlaid with its running state, or the reason it could
 * not start.
 */
import type { VrrpInstanceConfig } from '../../config/model';
import type { InstanceStatus } from '../../vrrp/instance';
import type { InstanceStatusView } from '../status';
import { describeVip } from './settings';

/** A running instance's view; `toWall` maps clock times to wall-clock ms. */
export function instanceView(cfg: VrrpInstanceConfig, s: InstanceStatus, toWall: (t: number | null) => number): InstanceStatusView {
  return {
    ...configView(cfg),
    state: s.state,
    basePriority: s.basePriority,
    effectivePriority: s.effectivePriority,
    masterPriority: s.masterPriority,
    masterAddress: s.masterAddress ?? undefined,
    sourceAddress: s.sourceAddress,
    masterAdverIntervalMs: s.masterAdverIntervalMs,
    masterDownIntervalMs: s.masterDownIntervalMs,
    lastTransitionMs: toWall(s.lastTransitionAt),
    lastTransitionFrom: s.lastTransition?.from,
    lastTransitionReason: s.lastTransition?.reason,
    vipsSet: s.vipsSet,
    faults: s.faults,
    counters: s.counters,
    trackers: s.trackers.map((t) => ({
      kind: t.name.split(' ')[0],
      name: t.name.split(' ').slice(1).join(' '),
      ok: !('failed' in t.input) || !t.input.failed,
      weight: t.input.weight,
    })),
  };
}

/** An instance that could not start (its interface or address is missing). */
export function brokenView(c: VrrpInstanceConfig, why: string, at: number): InstanceStatusView {
  return { ...configView(c), lastTransitionMs: at, faults: [why], counters: {} };
}

/** What the status says of an instance from its configuration alone (a running one overlays its state). */
function configView(c: VrrpInstanceConfig): Omit<InstanceStatusView, 'lastTransitionMs' | 'faults' | 'counters'> {
  return {
    name: c.name, version: c.version, family: c.family, state: 'FAULT', ifname: c.interface, vrid: c.virtualRouterId,
    basePriority: c.priority, effectivePriority: c.priority, masterPriority: 0, sourceAddress: '',
    mcastGroup: c.unicastPeer.length ? undefined : c.mcastDstIp, unicastPeers: c.unicastPeer.map((p) => p.address),
    adverIntervalMs: c.advertIntMs, masterAdverIntervalMs: c.advertIntMs, masterDownIntervalMs: 0,
    accept: c.accept, nopreempt: c.nopreempt, preemptDelayMs: c.preemptDelayMs,
    authType: c.authentication === undefined ? 0 : c.authentication.type === 'PASS' ? 1 : 2,
    vips: c.virtualIpaddress.map(describeVip), vipsSet: false,
    garp: {
      delayMs: c.garpMasterDelayMs, repeat: c.garpMasterRepeat, refreshMs: c.garpMasterRefreshMs,
      refreshRepeat: c.garpMasterRefreshRepeat, lowerPrioDelayMs: c.garpLowerPrioDelayMs, lowerPrioRepeat: c.garpLowerPrioRepeat,
    },
    lowerPrioNoAdvert: c.lowerPrioNoAdvert, higherPrioSendAdvert: c.higherPrioSendAdvert, downTimerAdverts: c.downTimerAdverts,
    smtpAlert: c.smtpAlert,
  };
}

