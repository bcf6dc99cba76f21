/**
 * route_announce track_virtual_server (issue 13): the quorum of each virtual
 * server, as the checker process reports it (quorum_up / quorum_down, and at
 * its start "Starting with quorum up/down" for every virtual server), turned
 * into what the VRRP process needs: per instance, the tracked virtual
 * servers without quorum. A virtual server the checker has not reported yet
 * counts as without quorum: nothing is announced on a guess.
 */
import type { KeepalivedConfig } from '../../config/model';
import { findVirtualServer } from '../../config/sections/announce';
import { serviceProtocol, virtualServerName } from '../checker-process/checker-plan';
import type { QuorumFaults } from '../protocol';

export class QuorumView {
  private readonly up = new Map<string, boolean>();

  constructor(private readonly config: () => KeepalivedConfig) {}

  /** A report from the checker process; true when it changes what some instance sees. */
  report(vs: string, up: boolean): boolean {
    const before = this.up.get(vs);
    this.up.set(vs, up);
    return before !== up && this.tracked().has(vs);
  }

  /** Per instance with tracked virtual servers, those without quorum (instances with none map to []). */
  faults(): QuorumFaults {
    const c = this.config();
    const out: QuorumFaults = {};
    for (const i of c.instances) {
      const refs = i.routeAnnounce?.trackVirtualServer ?? [];
      if (refs.length === 0) continue;
      out[i.name] = this.keysOf(refs).filter((k) => this.up.get(k) !== true);
    }
    return out;
  }

  private tracked(): Set<string> {
    return new Set(this.config().instances.flatMap((i) => this.keysOf(i.routeAnnounce?.trackVirtualServer ?? [])));
  }

  private keysOf(refs: NonNullable<KeepalivedConfig['instances'][number]['routeAnnounce']>['trackVirtualServer']): string[] {
    const c = this.config();
    return refs.flatMap((r) => {
      const vs = findVirtualServer(r, c.virtualServers);
      return vs ? [virtualServerName(vs, serviceProtocol(vs, c.virtualServerGroups))] : [];
    });
  }
}
