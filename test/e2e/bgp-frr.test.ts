/**
 * Issue 13, with FRR 8.4 on the keepalived-ts hosts: the VIP announced by
 * route (route_announce, active/standby) to an FRR router, a client behind
 * it. See test/e2e/harness/bgp.ts for the scenarios.
 */
import { activeStandbySuite, type Move } from './harness/bgp';

const moves: Move[] = [];
activeStandbySuite('frr', moves);
process.on('exit', () => {
  if (moves.length) console.log(`route moves (FRR hosts): ${JSON.stringify(moves)}`);
});
