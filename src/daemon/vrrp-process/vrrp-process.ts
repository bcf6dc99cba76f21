/**
 * The VRRP process: keepalived's VRRP child. It owns the raw VRRP sockets,
 * the timers, the state machines, the VIPs and routes, GARP/NA, the
 * `use_vmac` macvlans and the `static_*` addresses and routes.
 *
 * It never spawns a process on its own event loop (routes and nftables
 * rules go through a worker thread), never parses a configuration (main
 * sends the validated model), never resolves a user name, never runs a
 * check, and never waits for the main process: tracker results arrive by
 * message, and transitions leave by message (main runs the notify scripts,
 * FIFOs and mail).
 */
import type { KeepalivedConfig } from '../../config/model';
import type { Clock } from '../../core/clock';
import {
  CommandThread, IpRouteManager, LinuxAnnouncer, MacvlanManager, NetlinkAddressManager, NetlinkLinkWatcher, NftFirewall, RawVrrpTransport,
  TunAnnounceDevices,
} from '../../net/linux';
import type { ChildContext, ChildSide } from '../child';
import type { TrackerState } from '../protocol';
import { processResources } from '../resources';
import { Daemon, type NotifierPort } from './daemon';
import { RemoteTrackers } from './remote-trackers';
import { NO_STATICS, syncStatic, VmacSet } from './system';

export async function buildVrrpSide(ctx: ChildContext, clock: Clock): Promise<ChildSide> {
  const { native, log, channel, options } = ctx;
  const links = await NetlinkLinkWatcher.open(native, { keepAlive: true });
  const addresses = new NetlinkAddressManager(native);
  const announcer = new LinuxAnnouncer(native, log);
  const commands = new CommandThread();
  const firewall = new NftFirewall(commands.nft);
  const routes = new IpRouteManager(commands.ip);
  const macvlans = new MacvlanManager(native);
  const vmacs = new VmacSet(macvlans, addresses, links, log);
  const announceDevices = new TunAnnounceDevices(log, native);
  const remote = new RemoteTrackers();
  if (ctx.init.trackers) remote.apply(ctx.init.trackers);

  // Transitions go to the main process, which knows the scripts; nothing here waits for it.
  const notifier: NotifierPort = {
    vrrpTransition: ({ scripts: _, ...note }) => channel.send({ t: 'transition', note: { ...note, atMs: Date.now() } }),
    vrrpEvent: (e) => channel.send({ t: 'event', note: { name: e.name, event: e.event, priority: e.priority } }),
  };

  let config = (await vmacs.prepare(ctx.init.config)).config;
  const daemon = new Daemon(config, {
    clock,
    logger: log,
    net: {
      openTransport: (key, src) =>
        new RawVrrpTransport(
          {
            family: key.family,
            ifname: key.ifname,
            unicast: key.mode === 'unicast',
            group: key.mode === 'unicast' ? undefined : key.mode,
            sourceAddress: src,
            unicastTtl: key.unicastTtl,
            logger: log,
          },
          native,
        ),
      addresses,
      announcer,
      firewall,
      routes,
      links,
      announceDevices,
    },
    notifier,
    trackers: remote.factories,
    election: { report: (instance, c) => void channel.send({ t: 'candidacy', instance, ...c }) },
  });

  // route_announce track_virtual_server: until main says otherwise, a tracked virtual server has no quorum.
  if (ctx.init.quorum) daemon.quorum(ctx.init.quorum);
  await syncStatic(NO_STATICS, config, addresses, routes, log);
  // vrrp_startup_delay: keepalived starts its dispatcher that much later; not again when restarted.
  const delay = ctx.init.restart ? 0 : options.startupDelayMs;
  if (delay > 0) log.info(`Delaying startup for ${delay / 1000} seconds`);
  daemon.start(delay);

  let stopping: Promise<void> | undefined;
  return {
    async reload(next: KeepalivedConfig, trackers?: readonly TrackerState[]) {
      if (trackers) remote.apply(trackers);
      const prepared = await vmacs.prepare(next);
      const counts = await daemon.reload(prepared.config);
      await vmacs.drop(prepared.vmacs);
      await syncStatic(config, prepared.config, addresses, routes, log);
      config = prepared.config;
      return counts;
    },
    status: () => ({ ...daemon.status(), unknownVridRcvd: daemon.unknownVridRcvd, resources: processResources() }),
    trackers: (states) => remote.apply(states),
    clearStats: () => daemon.clearStats(),
    quorum: (faults) => daemon.quorum(faults),
    grant: (instance, untilMs) => daemon.grant(instance, untilMs),
    resign: (instance) => daemon.resign(instance),
    stop() {
      stopping ??= (async () => {
        await daemon.stop();
        announceDevices.close();
        if (!options.dontReleaseVrrp) await syncStatic(config, NO_STATICS, addresses, routes, log);
        await firewall.close();
        await vmacs.drop(new Set());
        macvlans.close();
        await commands.close();
        links.close();
        addresses.close();
      })();
      return stopping;
    },
  };
}
