/**
 * The log lines people grep for, keepalived-ts next to keepalived 2.2.7 in
 * the same scenario (a master and a backup; SIGTERM on the master; the
 * backup takes over; stop): the same `(VI_1) ...` lines in the same order.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startPeer, waitHolders, type Peer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const instanceLines = (p: Peer): string[] =>
  p.log.map((l) => l.line.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: /, '')).filter((l) => l.startsWith('(VI_1) '));

describe(`e2e: log lines in keepalived's words${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2, v6: false });
  const seen = new Map<PeerKind, { master: string[]; backup: string[] }>();

  for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
    test(`${kind}: election, SIGTERM handover, stop`, async () => {
      const lab = suite.lab;
      const a = suite.track(startPeer(kind, lab, 1, conf([], instance({ priority: 150, vips: ['192.0.2.100/24'] }))));
      const b = suite.track(startPeer(kind, lab, 2, conf([], instance({ priority: 100, vips: ['192.0.2.100/24'] }))));
      await a.waitState('MASTER', 'VI_1', 10_000);
      await b.waitState('BACKUP');
      await waitHolders(lab, '192.0.2.100', [1]);
      await sleep(1500);
      a.signal('SIGTERM');
      await a.waitExit();
      await b.waitState('MASTER', 'VI_1', 5000);
      await waitHolders(lab, '192.0.2.100', [2]);
      await sleep(1000);
      await b.stop();
      seen.set(kind, { master: instanceLines(a), backup: instanceLines(b) });
      assert.ok(instanceLines(a).some((l) => l === '(VI_1) Sending/queueing gratuitous ARPs on eth0 for 192.0.2.100'));
    });
  }

  test('the same lines in the same order', () => {
    const ka = seen.get('keepalived')!;
    const ts = seen.get('kts')!;
    assert.deepEqual(ka.master, [
      '(VI_1) removing VIPs.',
      '(VI_1) Entering BACKUP STATE (init)',
      '(VI_1) Receive advertisement timeout',
      '(VI_1) Entering MASTER STATE',
      '(VI_1) setting VIPs.',
      '(VI_1) Sending/queueing gratuitous ARPs on eth0 for 192.0.2.100',
      '(VI_1) sent 0 priority',
      '(VI_1) removing VIPs.',
    ], 'keepalived 2.2.7 itself (the reference)');
    assert.deepEqual(ts.master, ka.master);
    assert.deepEqual(ts.backup, ka.backup);
  });
});
