/**
 * The checker process: keepalived's healthcheck child. It runs every
 * virtual_server / real_server checker and keeps the virtual servers'
 * data plane (nftables here: this kernel has no IPVS) in line with them.
 * Changes go to the main process, which runs notify_up/notify_down and
 * quorum scripts, writes the FIFO lines and sends the mails. If this process
 * dies, the VRRP process does not notice; main starts it again.
 */
import type { KeepalivedConfig } from '../../config/model';
import { SystemClock } from '../../core/clock';
import { probePort } from '../../check/probes';
import { Pinger } from '../../check/probes/ping';
import { NftLvsDataPlane } from '../../net/linux';
import type { ChildContext, ChildSide } from '../child';
import { defaultScriptUser, idLookup } from '../users';
import { processResources } from '../resources';
import { CheckerService } from './checkers';
import { nativeIcmpOpener } from './icmp-socket';

/** Logged at start when virtual servers are configured (this kernel has no IPVS). */
export const NFT_LVS_MESSAGE = 'IPVS not available: balancing virtual servers with nftables (lb_kind NAT only)';

export async function buildCheckerSide(ctx: ChildContext): Promise<ChildSide> {
  const { log, channel, options } = ctx;
  const config = ctx.init.config;
  const lvs = new NftLvsDataPlane(undefined, log);
  log.info(NFT_LVS_MESSAGE);
  // PING_CHECK: one ICMP socket per family for every checker, opened on first use.
  const pinger = new Pinger({ open: nativeIcmpOpener(() => ctx.native) });
  const service = new CheckerService(config, {
    clock: new SystemClock(),
    logger: log,
    notifier: {
      realServer: (change) => channel.send({ t: 'realServer', change }),
      virtualServer: (change) => channel.send({ t: 'virtualServer', change }),
    },
    ids: idLookup(log),
    scriptUser: defaultScriptUser(config, log),
    dontReleaseIpvs: options.dontReleaseIpvs,
    dataPlane: lvs,
    probe: probePort({ pinger }),
  });
  service.start();
  return {
    reload: async (next: KeepalivedConfig) => service.reload(next),
    status: () => ({ ...service.status(), resources: processResources() }),
    stop: async () => {
      await service.stop();
      pinger.close();
    },
  };
}
