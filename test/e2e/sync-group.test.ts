/**
 * A vrrp_sync_group on two hosts, keepalived-ts next to keepalived 2.2.7 with
 * the same files: VI_1 and VI_2 move together; a tracked link going down on
 * the master puts its group in FAULT and both VIPs move to the other host;
 * the link coming back brings them home. The generic notify argv (INSTANCE
 * and GROUP lines) and the FIFO lines must be the same for both.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labUnavailableReason } from './harness/netns';
import { addLocalLink, labSuite } from './harness/suite';
import { startPeer, waitHolders, type Peer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function text(dir: string, h: number): string {
  const prio = h === 1 ? 150 : 100;
  const notify = [`notify "${dir}/notify.sh"`];
  return conf(
    [`router_id h${h}`, `notify_fifo ${dir}/fifo`, `notify_fifo_script "${dir}/reader.sh"`],
    `vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n    ${notify[0]}\n}\n`,
    instance({ name: 'VI_1', vrid: 51, priority: prio, vips: ['192.0.2.100/24'], extra: notify }),
    instance({ name: 'VI_2', vrid: 52, priority: prio, vips: ['192.0.2.101/24'], trackInterface: h === 1 ? ['eth1'] : undefined, extra: notify }),
  );
}

describe(`e2e: sync groups${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2, v6: false }, (l) => addLocalLink(l, 1));

  const outcome = new Map<PeerKind, Record<number, { notify: string[]; fifo: string[] }>>();
  for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
    test(`${kind}: the group moves as one, FAULT on a tracked link, back when it returns`, async () => {
      const dirs: Record<number, string> = {};
      const peers: Record<number, Peer> = {};
      for (const h of [1, 2]) {
        dirs[h] = path.join(suite.lab.dir, `sg-${kind}-${h}`);
        fs.mkdirSync(dirs[h], { recursive: true });
        fs.writeFileSync(path.join(dirs[h], 'notify.sh'), `#!/bin/sh\necho "$*" >> ${dirs[h]}/notify.log\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dirs[h], 'reader.sh'), `#!/bin/sh\nwhile read -r l; do echo "$l" >> ${dirs[h]}/fifo.log; done < "$1"\n`, { mode: 0o755 });
      }
      for (const h of [1, 2]) {
        peers[h] = startPeer(kind, suite.lab, h, text(dirs[h], h));
        suite.track(peers[h]);
      }
      for (const inst of ['VI_1', 'VI_2']) {
        await peers[1].waitState('MASTER', inst, 15_000);
        await peers[2].waitState('BACKUP', inst);
      }
      await waitHolders(suite.lab, '192.0.2.100', [1]);
      await waitHolders(suite.lab, '192.0.2.101', [1]);
      await sleep(1500);
      await suite.lab.exec(1, ['ip', 'link', 'set', 'eth1', 'down'], { check: true });
      await waitHolders(suite.lab, '192.0.2.100', [2], 10_000);
      await waitHolders(suite.lab, '192.0.2.101', [2], 10_000);
      await sleep(1500);
      await suite.lab.exec(1, ['ip', 'link', 'set', 'eth1', 'up'], { check: true });
      await waitHolders(suite.lab, '192.0.2.100', [1], 15_000);
      await waitHolders(suite.lab, '192.0.2.101', [1], 15_000);
      await sleep(1500);
      for (const h of [2, 1]) {
        peers[h].signal('SIGTERM');
        await peers[h].waitExit();
      }
      await sleep(500);
      const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
      const o: Record<number, { notify: string[]; fifo: string[] }> = {};
      for (const h of [1, 2]) o[h] = { notify: read(path.join(dirs[h], 'notify.log')), fifo: read(path.join(dirs[h], 'fifo.log')) };
      outcome.set(kind, o);
      assert.ok(o[1].notify.some((l) => l === 'GROUP G1 FAULT 0'), `host 1 group FAULT: ${o[1].notify.join(' / ')}`);
      assert.ok(o[2].notify.some((l) => l === 'GROUP G1 MASTER 0'));
    });
  }

  test('keepalived-ts notifies the same INSTANCE and GROUP transitions as keepalived, in an order keepalived could produce', () => {
    const ka = outcome.get('keepalived')!;
    const ts = outcome.get('kts')!;
    assert.ok(ka && ts);
    for (const h of [1, 2]) {
      // keepalived forks every notify script at once: lines of one transition may interleave.
      // The multiset of lines, and the order of each owner's own lines, must match.
      assert.deepEqual([...ts[h].notify].sort(), [...ka[h].notify].sort(), `host ${h} notify lines`);
      for (const owner of ['INSTANCE VI_1', 'INSTANCE VI_2', 'GROUP G1']) {
        const of = (ls: string[]) => ls.filter((l) => l.startsWith(`${owner} `));
        assert.deepEqual(of(ts[h].notify), of(ka[h].notify), `host ${h} ${owner} order`);
      }
      // MASTER_RX_LOWER_PRI lines depend on whether the old master's last advert crossed the new
      // master's first one: a race in both implementations.
      const fifoOf = (ls: string[], owner: string) => ls.filter((l) => l.startsWith(owner) && !l.includes('MASTER_RX_LOWER_PRI'));
      for (const owner of ['INSTANCE "VI_1"', 'INSTANCE "VI_2"', 'GROUP "G1"']) {
        // keepalived's own FIFO reader loses the STOP lines at shutdown (see notify.test.ts).
        assert.deepEqual(fifoOf(ts[h].fifo, owner).filter((l) => !/ STOP /.test(l)), fifoOf(ka[h].fifo, owner).filter((l) => !/ STOP /.test(l)), `host ${h} ${owner} FIFO`);
      }
    }
  });
});
