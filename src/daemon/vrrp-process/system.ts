/**
 * What the VRRP process does to the host besides its instances, as
 * keepalived's VRRP child: the macvlans of `use_vmac` instances (created
 * before the instances start, removed when no longer configured) and
 * `static_ipaddress` / `static_routes` / `static_rules` (set at start,
 * brought in line at reload, removed at stop).
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Logger } from '../../core/log';
import type { AddressManager, Family, IpRoute, RouteManager } from '../../net/ports';
import type { VmacSpec } from '../../net/linux';
import { routeArgs, ruleArgs } from './settings';
import { planVmacs } from './vmac';

export interface VmacPort {
  create(v: VmacSpec): Promise<unknown>;
  remove(name: string): Promise<unknown>;
}

export class VmacSet {
  private readonly live = new Set<string>();

  constructor(
    private readonly port: VmacPort,
    private readonly addresses: AddressManager,
    private readonly links: { primaryAddress(ifname: string, family: Family): string | undefined; resync(): Promise<void> },
    private readonly log: Logger,
  ) {}

  /** keepalived's load-time step: the configuration the instances run with, after creating the macvlans it needs. */
  async prepare(c: KeepalivedConfig): Promise<{ config: KeepalivedConfig; vmacs: Set<string> }> {
    const plan = planVmacs(c, (i, f) => this.links.primaryAddress(i, f));
    for (const w of plan.warnings) this.log.warn(w);
    for (const v of plan.vmacs) {
      try {
        await this.port.create(v);
        this.live.add(v.name);
        if (v.linkLocal) await this.addresses.add({ address: v.linkLocal, family: 6, prefixLength: 64, ifname: v.name, deprecated: true });
        this.log.info(`(${v.instance}): Success creating VMAC interface ${v.name}`);
      } catch (e) {
        this.log.error(`cannot create VMAC interface ${v.name} on ${v.parent}: ${(e as Error).message}`);
      }
    }
    if (plan.vmacs.length) await this.links.resync();
    return { config: plan.config, vmacs: new Set(plan.vmacs.map((v) => v.name)) };
  }

  /** Remove the macvlans not in `keep`. */
  async drop(keep: Set<string>): Promise<void> {
    for (const name of [...this.live]) {
      if (keep.has(name)) continue;
      this.live.delete(name);
      try {
        await this.port.remove(name);
        this.log.info(`Success removing VMAC interface ${name}`);
      } catch (e) {
        this.log.error(`cannot remove VMAC interface ${name}: ${(e as Error).message}`);
      }
    }
  }
}

export type Statics = Pick<KeepalivedConfig, 'staticAddresses' | 'staticRoutes' | 'staticRules'>;
export const NO_STATICS: Statics = { staticAddresses: [], staticRoutes: [], staticRules: [] };

/**
 * static_ipaddress / static_routes / static_rules, whatever the VRRP state:
 * from `before` to `after` (at start from none, at reload keepalived's
 * clear_diff_static_*, at stop to none). Routes go before the addresses they
 * may use and come after them.
 */
export async function syncStatic(before: Statics, after: Statics, addresses: AddressManager, routes: RouteManager, log: Logger): Promise<void> {
  const addrKey = (a: { address: string; prefixLength: number; ifname: string }) => `${a.address}/${a.prefixLength}%${a.ifname}`;
  const rKey = (r: IpRoute) => `${r.kind} ${r.family} ${r.args.join(' ')}`;
  const routesOf = (c: Statics) => new Map([...c.staticRoutes.map(routeArgs), ...c.staticRules.map(ruleArgs)].map((r) => [rKey(r), r]));
  const oldA = new Map(before.staticAddresses.map((a) => [addrKey(a), a]));
  const newA = new Map(after.staticAddresses.map((a) => [addrKey(a), a]));
  const oldR = routesOf(before);
  const newR = routesOf(after);
  const report = (what: string) => (e: Error) => log.error(`static ${what}: ${e.message}`);
  for (const [k, r] of oldR) if (!newR.has(k)) await routes.remove(r).then(() => undefined, report(k));
  for (const [k, a] of oldA) if (!newA.has(k)) await addresses.remove(a).then(() => undefined, report(k));
  for (const [k, a] of newA) if (!oldA.has(k)) await addresses.add(a).then(() => undefined, report(k));
  for (const [k, r] of newR) if (!oldR.has(k)) await routes.add(r).then(() => undefined, report(k));
}
