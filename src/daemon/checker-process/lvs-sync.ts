/**
 * The checker service's data plane side: what the LVS model wants
 * (VirtualServerTable.desired()) applied to the data plane, one change at a
 * time, coalesced (a burst of checker events gives one pass), remembering
 * what was applied so each pass only adds, updates and removes differences.
 * A failed call is logged and the pass goes on.
 */
import type { Logger } from '../../core/log';
import type { DesiredService } from '../../lvs/model';
import type { LvsDataPlane, LvsDestination, LvsService } from '../../net/ports';

export const NO_IPVS_MESSAGE = 'IPVS not available: checkers run, notifications are sent, no traffic is balanced';

/** A data plane that balances nothing (no IPVS here) and says what it would do, at debug level. */
export class NoLvsDataPlane implements LvsDataPlane {
  readonly kind = 'none';
  constructor(private readonly log: Logger) {}
  private say(what: string): Promise<{ changed: boolean }> {
    this.log.debug(`IPVS not available - not done: ${what}`);
    return Promise.resolve({ changed: false });
  }
  addService(s: LvsService): Promise<{ changed: boolean }> {
    return this.say(`add service ${s.name} (${s.scheduler}, ${s.method})`);
  }
  removeService(s: LvsService): Promise<{ changed: boolean }> {
    return this.say(`remove service ${s.name}`);
  }
  addDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    return this.say(`add destination ${d.ip}:${d.port} weight ${d.weight} to ${s.name}`);
  }
  updateDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    return this.say(`set destination ${d.ip}:${d.port} of ${s.name} to weight ${d.weight}`);
  }
  removeDestination(s: LvsService, d: LvsDestination): Promise<{ changed: boolean }> {
    return this.say(`remove destination ${d.ip}:${d.port} from ${s.name}`);
  }
}

export class LvsSync {
  private readonly applied = new Map<string, { svc: LvsService; dests: Map<string, LvsDestination> }>();
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(
    readonly dataPlane: LvsDataPlane,
    private readonly desired: () => DesiredService[],
    private readonly log: Logger,
  ) {}

  /** Bring the data plane in line with the model (coalesced, one change at a time); `clear` empties it. */
  schedule(clear = false): void {
    if (this.queued && !clear) return;
    this.queued = true;
    this.chain = this.chain
      .then(async () => {
        this.queued = false;
        await this.syncOnce(clear ? [] : this.desired());
      })
      .catch((err: unknown) => this.log.error(`LVS data plane: ${(err as Error).message}`));
  }

  /** Resolves when the passes scheduled so far are done. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Resolves when the data plane has caught up, including passes scheduled meanwhile. */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen;
    }
  }

  private async syncOnce(desired: DesiredService[]): Promise<void> {
    const want = new Map(desired.map((d) => [d.vs, d]));
    for (const [key, a] of [...this.applied]) {
      const d = want.get(key);
      if (d && JSON.stringify(toService(d)) === JSON.stringify(a.svc)) continue;
      await this.call(`remove service ${a.svc.name}`, () => this.dataPlane.removeService(a.svc));
      this.applied.delete(key);
    }
    for (const d of want.values()) await this.syncService(d);
  }

  /** One wanted service: added if new, then its destinations removed, added or updated. */
  private async syncService(d: DesiredService): Promise<void> {
    const dp = this.dataPlane;
    const svc = toService(d);
    let a = this.applied.get(d.vs);
    if (!a) {
      await this.call(`add service ${svc.name}`, () => dp.addService(svc));
      a = { svc, dests: new Map() };
      this.applied.set(d.vs, a);
    }
    const dests = new Map(d.dests.map((x) => [`${x.ip}:${x.port}`, { ip: x.ip, port: x.port, weight: x.weight, method: x.method }]));
    for (const [k, old] of [...a.dests]) {
      if (dests.has(k)) continue;
      await this.call(`remove destination ${k}`, () => dp.removeDestination(svc, old));
      a.dests.delete(k);
    }
    for (const [k, nd] of dests) {
      const old = a.dests.get(k);
      if (!old) await this.call(`add destination ${k}`, () => dp.addDestination(svc, nd));
      else if (old.weight !== nd.weight || old.method !== nd.method) await this.call(`update destination ${k}`, () => dp.updateDestination(svc, nd));
      a.dests.set(k, nd);
    }
  }

  private async call(what: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (err) {
      this.log.error(`LVS data plane: ${what}: ${(err as Error).message}`);
    }
  }
}

function toService(d: DesiredService): LvsService {
  const s: LvsService = { name: d.vs, addresses: d.services, protocol: d.protocol, scheduler: d.sched, method: d.method };
  if (d.persistenceTimeoutS) s.persistenceTimeoutS = d.persistenceTimeoutS;
  return s;
}
