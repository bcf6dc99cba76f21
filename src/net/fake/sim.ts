/**
 * A VRRP simulation on the fake LAN: routers running real VrrpInstances (real
 * codec, real FSM) on a VirtualClock. Used by the scenario/property tests and
 * bench/fsm-sim.ts. Crashing a router silences it first (no priority-0 advert
 * escapes), restarting builds a fresh instance as a restarted daemon would.
 */
import { VirtualClock } from '../../core/clock';
import { Logger, type LogRecord } from '../../core/log';
import type { Family, VipSpec } from '../ports';
import { makeInstanceSettings, type InstanceSettings, type TransitionEvent, VrrpInstance } from '../../vrrp/instance';
import { FakeLan, type LinkProps } from './lan';

export interface SimRouterSpec {
  name: string;
  /** Last octet / last group of the router's address (192.0.2.<n> or fe80::<n>). */
  host: number;
  /** Per-VRID instance settings overrides (priority etc.), or one for all VRIDs. */
  instance?: Partial<InstanceSettings> | ((vrid: number) => Partial<InstanceSettings>);
}

export interface SimOptions {
  routers: SimRouterSpec[];
  vrids?: number[];
  family?: Family;
  /** Defaults for every instance (version, advertIntervalMs, ...). */
  defaults?: Partial<InstanceSettings>;
  link?: Partial<LinkProps>;
  seed?: number;
  /** Keep log records (with virtual time in ctx.t). */
  keepLogs?: boolean;
  /** Start every router at t = 0 (default true). */
  autostart?: boolean;
  /** The steady-state fast path on every transport (default false). */
  fastPath?: boolean;
}

export interface SimTransition extends TransitionEvent {
  router: string;
  vrid: number;
}

export function vipFor(vrid: number, family: Family, ifname = 'eth0'): VipSpec {
  return family === 4
    ? { address: `198.51.100.${vrid}`, family, prefixLength: 32, ifname }
    : { address: `2001:db8::${vrid.toString(16)}`, family, prefixLength: 128, ifname };
}

export class SimRouter {
  readonly instances = new Map<number, VrrpInstance>();
  constructor(
    readonly spec: SimRouterSpec,
    readonly address: string,
  ) {}
}

export class VrrpSim {
  readonly clock = new VirtualClock(0);
  readonly lan: FakeLan;
  readonly routers = new Map<string, SimRouter>();
  readonly transitions: SimTransition[] = [];
  readonly logs: LogRecord[] = [];
  readonly vrids: number[];
  readonly family: Family;
  private readonly logger: Logger;

  constructor(readonly opts: SimOptions) {
    this.lan = new FakeLan(this.clock, { link: opts.link, seed: opts.seed, fastPath: opts.fastPath });
    this.vrids = opts.vrids ?? [1];
    this.family = opts.family ?? 4;
    this.logger = new Logger(
      (r) => {
        if (opts.keepLogs) this.logs.push({ ...r, ctx: { ...r.ctx, t: this.clock.now() } });
      },
      {},
      opts.keepLogs ? 'debug' : 'error',
    );
    for (const spec of opts.routers) {
      const address = this.family === 4 ? `192.0.2.${spec.host}` : `fe80::${spec.host.toString(16)}`;
      this.lan.addNode(spec.name, { [this.family]: address });
      this.routers.set(spec.name, new SimRouter(spec, address));
    }
    if (opts.autostart !== false) for (const name of this.routers.keys()) this.start(name);
  }

  settingsFor(router: string, vrid: number): InstanceSettings {
    const r = this.router(router);
    const over = typeof r.spec.instance === 'function' ? r.spec.instance(vrid) : r.spec.instance;
    return makeInstanceSettings({
      name: `VI_${vrid}`,
      vrid,
      ifname: 'eth0',
      family: this.family,
      vips: [vipFor(vrid, this.family)],
      ...this.opts.defaults,
      ...over,
    });
  }

  router(name: string): SimRouter {
    const r = this.routers.get(name);
    if (!r) throw new Error(`no router ${name}`);
    return r;
  }

  instance(router: string, vrid = this.vrids[0]): VrrpInstance {
    const i = this.router(router).instances.get(vrid);
    if (!i) throw new Error(`${router} runs no VRID ${vrid}`);
    return i;
  }

  /** Start (or restart after a crash) every VRID on `name`. */
  start(name: string): void {
    const r = this.router(name);
    const node = this.lan.node(name);
    node.up = true;
    for (const vrid of this.vrids) {
      const inst = new VrrpInstance({
        settings: this.settingsFor(name, vrid),
        clock: this.clock,
        transport: node.transport(this.family),
        addresses: node.addresses,
        announcer: node.announcer,
        logger: this.logger.child({ router: name }),
      });
      inst.onTransition((e) => this.transitions.push({ ...e, router: name, vrid }));
      r.instances.set(vrid, inst);
      inst.start();
    }
  }

  /** The router dies silently: nothing it sends escapes, its VIPs vanish with it. */
  crash(name: string): void {
    const r = this.router(name);
    const node = this.lan.node(name);
    node.up = false;
    for (const inst of r.instances.values()) void inst.stop();
    r.instances.clear();
    for (const v of node.addresses.list()) void node.addresses.remove(v);
  }

  /** Graceful stop (SIGTERM): a master sends priority 0. */
  async stop(name: string): Promise<void> {
    const r = this.router(name);
    await Promise.all([...r.instances.values()].map((i) => i.stop()));
    r.instances.clear();
  }

  isUp(name: string): boolean {
    return this.lan.node(name).up && this.router(name).instances.size > 0;
  }

  /** Routers whose instance for `vrid` is MASTER. */
  masters(vrid = this.vrids[0]): string[] {
    const out: string[] = [];
    for (const [name, r] of this.routers) if (r.instances.get(vrid)?.state === 'MASTER') out.push(name);
    return out;
  }

  states(vrid = this.vrids[0]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, r] of this.routers) out[name] = r.instances.get(vrid)?.state ?? 'DOWN';
    return out;
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Advance time and let address operations (promises) settle. */
  async settle(ms = 0): Promise<void> {
    this.clock.advance(ms);
    for (let i = 0; i < 5; i++) await new Promise<void>((res) => setImmediate(res));
  }

  /** First transition matching, at or after `since`. */
  firstTransition(pred: (t: SimTransition) => boolean, since = 0): SimTransition | undefined {
    return this.transitions.find((t) => t.at >= since && pred(t));
  }
}
