/**
 * Top level of the block tree: dispatches each root keyword to its section
 * and collects builders. validate.ts turns them into the final model.
 */
import type { VipConfig } from './address';
import type { Loc } from './diagnostics';
import type { RouteSpec, RuleSpec, VirtualServerConfig, VirtualServerGroupConfig } from './model';
import { arg, block, runSection, type Ctx, type Handler, type Section } from './schema';
import { parseVirtualServer, parseVsGroup } from './sections/check';
import { electionSection, newElection, type ElectionBuilder } from './sections/election';
import { globalSection, newGlobal, type GlobalBuilder } from './sections/global';
import {
  instanceSection, newInstance, readStaticAddresses, routesHandler, rulesHandler, scriptSection, syncGroupSection,
  trackFileSection, trackProcessSection, type InstanceBuilder, type ScriptBuilder, type SyncGroupBuilder,
  type TrackFileBuilder, type TrackProcessBuilder, type VrrpParseState,
} from './sections/vrrp';
import type { Node } from './tree';

export interface RootBuilder {
  global: GlobalBuilder;
  scripts: ScriptBuilder[];
  trackFiles: TrackFileBuilder[];
  trackProcesses: TrackProcessBuilder[];
  instances: InstanceBuilder[];
  syncGroups: SyncGroupBuilder[];
  elections: ElectionBuilder[];
  staticAddresses: VipConfig[];
  staticRoutes: RouteSpec[];
  staticRules: RuleSpec[];
  virtualServerGroups: VirtualServerGroupConfig[];
  virtualServers: VirtualServerConfig[];
  vrrp: VrrpParseState;
  other: Record<string, string[]>;
}

export function newRoot(hostname: string): RootBuilder {
  return {
    global: newGlobal(hostname), scripts: [], trackFiles: [], trackProcesses: [], instances: [], syncGroups: [], elections: [],
    staticAddresses: [], staticRoutes: [], staticRules: [], virtualServerGroups: [], virtualServers: [],
    vrrp: { nextRulePreference: { value: 16384 } }, other: {},
  };
}

/** Names already defined, per builder list (a set, so 10,000 instances stay linear). */
const namesOf = new WeakMap<object, Set<string>>();

/** A `keyword NAME { ... }` block: checks the name and uniqueness, then calls `make`. */
function named<T extends { name: string; seq?: number; endLoc?: Loc }>(
  list: (r: RootBuilder) => T[],
  make: (name: string, loc: Loc, r: RootBuilder) => T,
  section: Section<T>,
): Handler<RootBuilder> {
  return block<RootBuilder>((children, n, r, cx) => {
    const t = arg(n, 0, cx, 'name');
    if (!t) return;
    const items = list(r);
    let names = namesOf.get(items);
    if (!names) namesOf.set(items, (names = new Set(items.map((x) => x.name))));
    if (names.has(t.text)) {
      cx.diags.warn('W_DUPLICATE_NAME', t.loc, `${n.key.text} ${t.text} already defined - ignoring this one`);
      return;
    }
    const b = make(t.text, n.loc, r);
    b.seq = cx.seq;
    b.endLoc = n.endLoc ?? n.loc;
    runSection(section, children, b, cx);
    items.push(b);
    names.add(b.name);
  });
}

const vrrpScript = named<ScriptBuilder>((r) => r.scripts,
  (name, loc) => ({ name, loc, weight: 0, weightReverse: false, initFail: false }), scriptSection);

const trackFile = named<TrackFileBuilder>((r) => r.trackFiles,
  (name, loc) => ({ name, loc, weight: 1, weightReverse: false }), trackFileSection);

const trackProcess = named<TrackProcessBuilder>((r) => r.trackProcesses, (name, loc) => ({
  name, loc, weight: 0, weightReverse: false, quorum: 1, delayMs: 0, terminateDelayMs: 0, forkDelayMs: 0, fullCommand: false,
}), trackProcessSection);

const vrrpInstance = named<InstanceBuilder>((r) => r.instances, (name, loc, r) => newInstance(name, loc, r.vrrp), instanceSection);

const syncGroup = named<SyncGroupBuilder>((r) => r.syncGroups, (name, loc) => ({
  name, loc, group: [], trackInterface: [], trackScript: [], trackFile: [], trackProcess: [], notify: {},
  globalTracking: false, syncGroupTrackingWeight: false,
}), syncGroupSection);

const etcdElection = named<ElectionBuilder>((r) => r.elections, (name, loc) => newElection(name, loc), electionSection);

const virtualServer = block<RootBuilder>((_c, n, r, cx) => {
  const vs = parseVirtualServer(n, cx);
  if (vs) r.virtualServers.push(vs);
});

const vsGroup = block<RootBuilder>((_c, n, r, cx) => {
  const t = arg(n, 0, cx, 'name');
  if (t) r.virtualServerGroups.push(parseVsGroup(n, t.text, cx));
});

export const rootSection: Section<RootBuilder> = {
  name: 'configuration',
  keywords: {
    global_defs: block<RootBuilder>((children, _n, r, cx) => runSection(globalSection, children, r.global, cx)),
    vrrp_script: vrrpScript,
    vrrp_track_file: trackFile,
    track_file: trackFile,
    vrrp_track_process: trackProcess,
    vrrp_instance: vrrpInstance,
    vrrp_sync_group: syncGroup,
    etcd_election: etcdElection,
    static_ipaddress: block<RootBuilder>((children, _n, r, cx) => { r.staticAddresses.push(...readStaticAddresses(children, cx)); }),
    static_routes: routesHandler<RootBuilder>((r) => r.staticRoutes),
    static_rules: rulesHandler<RootBuilder>((r) => r.staticRules, (r) => r.vrrp),
    virtual_server_group: vsGroup,
    virtual_server: virtualServer,
  },
  known: [
    'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time',
    'linkbeat_use_polling', 'linkbeat_interfaces', 'track_group', 'garp_group', 'interface_up_down_delays', 'SSL',
    'bfd_instance', 'vrrp_track_bfd',
  ],
};

export function parseRoot(nodes: Node[], hostname: string, cx: Ctx): RootBuilder {
  const r = newRoot(hostname);
  runSection(rootSection, nodes, r, cx);
  return r;
}
