/**
 * Every running checker of the service by id, and what creating one takes:
 * a CheckRunner of its own on the shared probe port (SMTP_CHECK's further
 * `host` blocks folded in, each run timed), reporting to the service's event
 * handler.
 */
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import { CheckRunner, type CheckerSnapshot, type CheckEvent } from '../../check/runner';
import type { ConnTarget, ProbePort, ProbeResult, ProbeRunOptions, ProbeSpec } from '../../check/types';
import { CheckDurations, timedProbe } from './check-durations';
import type { CheckerPlan } from './checker-plan';
import type { CheckerRt, RealServerRt } from './runtime';

export interface CheckerRegistryDeps {
  clock: Clock;
  probe: ProbePort;
  logger: Logger;
  /** Warmup scattering source (default Math.random). */
  random?: () => number;
  onEvent: (id: string, e: CheckEvent) => void;
}

/** SMTP_CHECK with several `host` blocks: each in turn, all must answer (check_smtp.c). */
function withSmtpHosts(base: ProbePort, hosts: WeakMap<ProbeSpec, ConnTarget[]>): ProbePort {
  return (spec: ProbeSpec, opts: ProbeRunOptions) => {
    const extra = hosts.get(spec);
    if (!extra || spec.type !== 'SMTP_CHECK') return base(spec, opts);
    return (async (): Promise<ProbeResult> => {
      let last: ProbeResult = { ok: false, detail: 'no host' };
      for (const target of [spec.target, ...extra]) {
        last = await base({ ...spec, target }, opts);
        if (!last.ok) return { ...last, detail: `${target.connectIp}:${target.connectPort}: ${last.detail}` };
      }
      return last;
    })();
  };
}

export class CheckerRegistry {
  private readonly byId = new Map<string, { rs: RealServerRt; ck: CheckerRt }>();
  private readonly smtpHosts = new WeakMap<ProbeSpec, ConnTarget[]>();
  private readonly probe: ProbePort;
  private seq = 0;

  constructor(private readonly deps: CheckerRegistryDeps) {
    this.probe = withSmtpHosts(deps.probe, this.smtpHosts);
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): { rs: RealServerRt; ck: CheckerRt } | undefined {
    return this.byId.get(id);
  }

  checkers(): CheckerRt[] {
    return [...this.byId.values()].map((x) => x.ck);
  }

  /** A new checker of `rs`, starting from `snap` (a reload) or its initial state. Not started. */
  create(rs: RealServerRt, cp: CheckerPlan, snap: CheckerSnapshot | undefined): CheckerRt {
    const id = `${cp.cfg.vs} ${cp.cfg.rs} ${cp.type}#${cp.index}.${++this.seq}`;
    const spec = { ...cp.cfg.spec } as ProbeSpec;
    if (cp.extraHosts) this.smtpHosts.set(spec, cp.extraHosts);
    const durations = new CheckDurations();
    const runner = new CheckRunner({
      clock: this.deps.clock,
      probe: timedProbe(this.probe, durations, () => this.deps.clock.now()),
      checkers: [{ ...cp.cfg, id, spec }],
      onEvent: (e) => this.deps.onEvent(id, e),
      random: this.deps.random,
      logger: this.deps.logger,
      restore: snap ? () => snap : undefined,
    });
    const ck: CheckerRt = { id, plan: cp, runner, started: false, durations };
    this.byId.set(id, { rs, ck });
    return ck;
  }

  /** An unchanged checker kept over a reload now belongs to the new real server. */
  adopt(rs: RealServerRt, ck: CheckerRt): void {
    this.byId.set(ck.id, { rs, ck });
  }

  drop(ck: CheckerRt): void {
    ck.runner.stop();
    this.byId.delete(ck.id);
  }

  start(ck: CheckerRt): void {
    if (ck.started) return;
    ck.started = true;
    ck.runner.start();
  }
}
