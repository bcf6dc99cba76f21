/** Test wiring: Daemon instances on the in-memory LAN, fed by real config text. */
import { EventEmitter } from 'node:events';
import { parseConfigText, hasErrors, formatDiagnostic, type KeepalivedConfig } from '../../src/config';
import { VirtualClock } from '../../src/core/clock';
import { Logger, memorySink, type LogRecord } from '../../src/core/log';
import { FakeLan, type FakeNode } from '../../src/net/fake/lan';
import type { Family, LinkState } from '../../src/net/ports';
import { Daemon, type NotifierPort } from '../../src/daemon/vrrp-process/daemon';
import type { VrrpTransition } from '../../src/notify';
import type { ScriptRunner, FileWatcher, ScriptState } from '../../src/daemon/trackers';

export class FakeLinks {
  private readonly state = new Map<string, boolean>();
  private linkCbs: ((s: LinkState) => void)[] = [];
  private removedCbs: ((ifname: string, address: string, family: Family) => void)[] = [];
  constructor(private readonly node: FakeNode) {
    this.state.set(node.ifname, true);
  }
  onLink(cb: (s: LinkState) => void): void {
    this.linkCbs.push(cb);
  }
  onAddressRemoved(cb: (ifname: string, address: string, family: Family) => void): void {
    this.removedCbs.push(cb);
  }
  linkState(ifname: string): LinkState | undefined {
    const up = this.state.get(ifname);
    return up === undefined ? undefined : { ifname, ifindex: 2, up };
  }
  private readonly extra = new Set<string>();
  primaryAddress(ifname: string, family: Family): string | undefined {
    return ifname === this.node.ifname || this.extra.has(ifname) ? this.node.addrs[family] : undefined;
  }
  /** A new interface appears, up, with the node's address (dynamic_interfaces). */
  appear(ifname: string): void {
    this.extra.add(ifname);
    this.set(ifname, true);
  }
  set(ifname: string, up: boolean): void {
    this.state.set(ifname, up);
    for (const cb of this.linkCbs) cb({ ifname, ifindex: 2, up });
  }
  removed(ifname: string, address: string, family: Family): void {
    for (const cb of this.removedCbs) cb(ifname, address, family);
  }
  close(): void {}
}

/** A vrrp_script stand-in whose result the test sets. */
export class FakeScript extends EventEmitter implements ScriptRunner {
  status: ScriptState = 'unknown';
  running = false;
  start(): void {
    this.running = true;
  }
  stop(): void {
    this.running = false;
  }
  set(ok: boolean): void {
    this.status = ok ? 'ok' : 'fail';
    this.emit('status', { ok });
  }
}

export class FakeFile extends EventEmitter implements FileWatcher {
  value = 0;
  start(): void {}
  stop(): void {}
  set(v: number): void {
    this.value = v;
    this.emit('value', { value: v });
  }
}

export interface Host {
  name: string;
  node: FakeNode;
  links: FakeLinks;
  daemon: Daemon;
  config: KeepalivedConfig;
  notified: VrrpTransition[];
  logs: LogRecord[];
  scripts: Map<string, FakeScript>;
  files: Map<string, FakeFile>;
  processes: Map<string, FakeScript>;
  /** vrrpEvent calls (MASTER_RX_LOWER_PRI ...). */
  events: { name: string; event: string; priority: number }[];
  /** route_announce devices and their user counts (a device at 0 is gone). */
  devices: Map<string, number>;
}

export function config(text: string, id: string): KeepalivedConfig {
  const r = parseConfigText(text, 'keepalived.conf', { configId: id, hostname: id });
  if (hasErrors(r.diagnostics)) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.config;
}

export class Cluster {
  readonly clock = new VirtualClock(0);
  readonly lan = new FakeLan(this.clock, { link: { delayMs: 1 } });
  readonly hosts = new Map<string, Host>();

  add(name: string, v4: string, text: string, v6?: string): Host {
    const node = this.lan.addNode(name, { 4: v4, ...(v6 ? { 6: v6 } : {}) });
    const links = new FakeLinks(node);
    const logs: LogRecord[] = [];
    const notified: VrrpTransition[] = [];
    const scripts = new Map<string, FakeScript>();
    const files = new Map<string, FakeFile>();
    const processes = new Map<string, FakeScript>();
    const events: Host['events'] = [];
    const devices = new Map<string, number>();
    const notifier: NotifierPort = {
      vrrpTransition: async (t) => {
        notified.push(t);
      },
      vrrpEvent: async (e) => {
        events.push({ name: e.name, event: e.event, priority: e.priority });
      },
    };
    const cfg = config(text, name);
    const daemon = new Daemon(cfg, {
      clock: this.clock,
      logger: new Logger(memorySink(logs), { host: name }, 'info'),
      net: {
        openTransport: (key, src) => node.transport(key.family, src),
        addresses: node.addresses,
        announcer: node.announcer,
        links,
        announceDevices: {
          acquire: (d) => void devices.set(d, (devices.get(d) ?? 0) + 1),
          release: (d) => void devices.set(d, (devices.get(d) ?? 1) - 1),
        },
      },
      notifier,
      trackers: {
        script: (c) => {
          const s = new FakeScript();
          scripts.set(c.name, s);
          return s;
        },
        file: (c) => {
          const f = new FakeFile();
          files.set(c.name, f);
          return f;
        },
        process: (c) => {
          const p = new FakeScript();
          processes.set(c.name, p);
          return p;
        },
      },
      wallNow: () => this.clock.now(),
    });
    const host: Host = { name, node, links, daemon, config: cfg, notified, logs, scripts, files, processes, events, devices };
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(name);
    return h;
  }

  state(name: string, instance = 'VI_1'): string | undefined {
    return this.host(name).daemon.instance(instance)?.state;
  }

  /** Address changes are asynchronous (a promise chain per instance): let them land. */
  async holders(address: string): Promise<string[]> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    return this.lan.holders(address);
  }
}
