/**
 * The VRRP process's side of route_announce (issue 13): which ports an
 * instance with a route_announce block runs on, its anycast announcement,
 * its announce device, and the quorum of the virtual servers it tracks.
 *
 *  - active_standby: the VIPs go on the announce device instead of the
 *    interface (onDeviceOnly; no GARP/NA), or on both with also_garp
 *    (onDeviceAlso: added after, withdrawn before the interface's copy); VRRP
 *    or an etcd grant decides MASTER as usual, and taking/releasing the VIPs
 *    is announcing/withdrawing them, in the instance's own address order;
 *  - anycast: no adverts (a silent transport) and no VIPs through the
 *    instance; an AnycastAnnouncement puts them on the device while the
 *    instance is BACKUP or MASTER, takes them off on FAULT and STOP.
 * A tracked virtual server without quorum (lost, or not reported yet by the
 * checker process) is a fault of the instance: FAULT withdraws in both modes.
 */
import type { VrrpInstanceConfig } from '../../config/model';
import type { Logger } from '../../core/log';
import type { AddressManager, Announcer, VipSpec } from '../../net/ports';
import type { VrrpInstance } from '../../vrrp/instance';
import { AnycastAnnouncement } from '../../announce/anycast';
import { NO_ADDRESSES, onDeviceAlso, onDeviceOnly, type AnnounceDevices } from '../../announce/devices';
import type { QuorumFaults } from '../protocol';

/** An announcer that sends nothing: VIPs announced by route are on no shared link. */
const SILENT_ANNOUNCER: Announcer = { announce: () => undefined, silent: true };

/** The fault source while the checker process has not said anything yet. */
const QUORUM_UNKNOWN = 'virtual_server quorum (not reported yet)';

interface Attached {
  cfg: VrrpInstanceConfig;
  inst: VrrpInstance;
  anycast?: AnycastAnnouncement;
  /** The quorum fault sources currently set on the instance. */
  faults: Set<string>;
}

export class RouteAnnounce {
  private readonly attached = new Map<string, Attached>();
  private quorum: QuorumFaults | undefined;

  constructor(
    private readonly devices: AnnounceDevices | undefined,
    private readonly addresses: AddressManager,
    private readonly announcer: Announcer,
    private readonly log: Logger,
  ) {}

  /** The ports an instance runs on; an instance without route_announce gets the daemon's own. */
  ports(cfg: VrrpInstanceConfig): { addresses: AddressManager; announcer: Announcer; silent: boolean } {
    const ra = cfg.routeAnnounce;
    if (!ra) return { addresses: this.addresses, announcer: this.announcer, silent: false };
    if (!this.devices) throw new Error(`route_announce needs an announce device (${ra.device}), and none can be made here`);
    this.devices.acquire(ra.device);
    if (ra.mode === 'anycast') return { addresses: NO_ADDRESSES, announcer: SILENT_ANNOUNCER, silent: true };
    const say = (on: boolean) => (v: VipSpec) => this.log.info(`(${cfg.name}) ${on ? 'announcing' : 'withdrawing'} ${v.address} by route on ${ra.device}`);
    if (ra.alsoGarp) return { addresses: logged(onDeviceAlso(this.addresses, ra.device), say), announcer: this.announcer, silent: false };
    return { addresses: logged(onDeviceOnly(this.addresses, ra.device), say), announcer: SILENT_ANNOUNCER, silent: false };
  }

  /** The instance could not be built after ports(): give its device back. */
  abandon(cfg: VrrpInstanceConfig): void {
    if (cfg.routeAnnounce) this.devices?.release(cfg.routeAnnounce.device);
  }

  /** After the instance is built (before it starts): its anycast announcement and quorum faults. */
  attach(cfg: VrrpInstanceConfig, inst: VrrpInstance): void {
    const ra = cfg.routeAnnounce;
    if (!ra) return;
    const a: Attached = { cfg, inst, faults: new Set() };
    if (ra.mode === 'anycast') a.anycast = new AnycastAnnouncement(inst, vipsOf(cfg), ra.device, this.addresses, this.log);
    this.attached.set(cfg.name, a);
    this.applyQuorum(a);
  }

  /** Reload changed the VIPs in place (the instance was told already). */
  updateVips(cfg: VrrpInstanceConfig): Promise<void> {
    const a = this.attached.get(cfg.name);
    if (!a) return Promise.resolve();
    a.cfg = cfg;
    return a.anycast?.update(vipsOf(cfg)) ?? Promise.resolve();
  }

  /** The instance stopped (its own VIPs are off): withdraw an anycast announcement, release the device. */
  async detach(name: string): Promise<void> {
    const a = this.attached.get(name);
    if (!a) return;
    this.attached.delete(name);
    await a.anycast?.stop();
    const ra = a.cfg.routeAnnounce;
    if (ra) this.devices?.release(ra.device);
  }

  /** The main process's view of the tracked virtual servers' quorum (per instance, those without). */
  setQuorum(q: QuorumFaults): void {
    this.quorum = q;
    for (const a of this.attached.values()) this.applyQuorum(a);
  }

  private applyQuorum(a: Attached): void {
    if (!a.cfg.routeAnnounce?.trackVirtualServer.length) return;
    const want = new Set(this.quorum ? (this.quorum[a.cfg.name] ?? []).map((k) => `virtual_server ${k} quorum`) : [QUORUM_UNKNOWN]);
    for (const f of a.faults) if (!want.has(f)) a.inst.fault(false, f);
    for (const f of want) if (!a.faults.has(f)) a.inst.fault(true, f);
    a.faults = want;
  }
}

/** Says each announcement and withdrawal that changed something. */
function logged(m: AddressManager, say: (on: boolean) => (v: VipSpec) => void): AddressManager {
  const tell = (on: boolean, v: VipSpec) => (r: { changed: boolean }) => {
    if (r.changed) say(on)(v);
    return r;
  };
  return { ...m, add: (v) => m.add(v).then(tell(true, v)), remove: (v) => m.remove(v).then(tell(false, v)) };
}

function vipsOf(cfg: VrrpInstanceConfig) {
  return [...cfg.virtualIpaddress, ...cfg.virtualIpaddressExcluded];
}
