/**
 * Issue 13, with BIRD 2 on the keepalived-ts hosts (`protocol direct` on the
 * announce device): the same scenarios as bgp-frr.test.ts.
 */
import { activeStandbySuite, type Move } from './harness/bgp';

const moves: Move[] = [];
activeStandbySuite('bird', moves);
process.on('exit', () => {
  if (moves.length) console.log(`route moves (BIRD hosts): ${JSON.stringify(moves)}`);
});
