/**
 * global_defs that change how the daemon starts and stops, keepalived-ts next
 * to keepalived 2.2.7 with the same file: startup_script before the
 * instances, vrrp_startup_delay, vrrp_notify_priority_changes (FIFO lines on
 * a tracked priority change), shutdown_script after the instances stopped.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startPeer, type PeerKind } from './harness/peers';
import { conf, instance } from './harness/conf';

const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/keepalived') ? undefined : 'needs Debian keepalived');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`e2e: startup/shutdown scripts, vrrp_startup_delay, priority-change notifications${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 1, v6: false });
  const fifo = new Map<PeerKind, string[]>();

  for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
    test(`${kind}`, async () => {
      const lab = suite.lab;
      const dir = path.join(lab.dir, `global-${kind}`);
      fs.mkdirSync(dir, { recursive: true });
      const sh = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      sh('start.sh', `date +%s%N > ${dir}/started`);
      sh('stop.sh', `date +%s%N > ${dir}/stopped`);
      sh('reader.sh', `while read -r l; do echo "$l" >> ${dir}/fifo.log; done < "$1"`);
      fs.writeFileSync(path.join(dir, 'ok'), '');
      const text = conf(
        ['vrrp_startup_delay 2', `startup_script ${dir}/start.sh`, `shutdown_script ${dir}/stop.sh`, `notify_fifo ${dir}/fifo`, `notify_fifo_script ${dir}/reader.sh`, 'vrrp_notify_priority_changes'],
        `vrrp_script chk {\n    script "/bin/test -e ${dir}/ok"\n    interval 1\n    weight -20\n}\n`,
        instance({ priority: 150, vips: ['192.0.2.100/24'], trackScript: ['chk'] }),
      );
      const t0 = Date.now();
      const p = suite.track(startPeer(kind, lab, 1, text));
      const first = await p.waitLog(/\(VI_1\) Entering BACKUP STATE/, 10_000);
      assert.ok(p.lines(/Delaying startup for 2 seconds/).length === 1, 'logs the delay');
      await p.waitState('MASTER', 'VI_1', 15_000);
      const master = p.lines(/\(VI_1\) Entering MASTER STATE/)[0];
      // keepalived: BACKUP (init) at once, the first Master_Down_Timer (3 x 1 s + skew 0.41 s) after the delay.
      assert.ok(master.at - first.at >= 2000 + 3400, `MASTER ${master.at - first.at} ms after BACKUP (vrrp_startup_delay 2 + Master_Down_Interval)`);
      const started = Number(fs.readFileSync(path.join(dir, 'started'), 'utf8')) / 1e6;
      assert.ok(started < first.at, 'startup_script ran before the instances');
      await sleep(1500);
      fs.rmSync(path.join(dir, 'ok'));
      await p.waitLog(/Changing effective priority from 150 to 130|effective priority/i, 5000);
      await sleep(1500);
      await p.stop();
      await lab.waitFor(() => fs.existsSync(path.join(dir, 'stopped')), { what: 'shutdown_script ran', timeoutMs: 5000 });
      const lines = fs.existsSync(path.join(dir, 'fifo.log')) ? fs.readFileSync(path.join(dir, 'fifo.log'), 'utf8').split('\n').filter(Boolean) : [];
      fifo.set(kind, lines);
      assert.ok(lines.includes('INSTANCE "VI_1" MASTER_PRIORITY 130'), `FIFO: ${lines.join(' / ')}`);
    });
  }
  test('the same FIFO lines as keepalived (its own reader loses the STOP line at shutdown)', () => {
    const ka = fifo.get('keepalived')!;
    assert.deepEqual(fifo.get('kts')!.filter((l) => !/ STOP /.test(l)), ka.filter((l) => !/ STOP /.test(l)));
  });

  for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
    test(`${kind}: an interface that does not exist stops the start (exit 2); with dynamic_interfaces the instance waits for it`, async () => {
      const lab = suite.lab;
      const text = (g: string[]) => conf(g, instance({ priority: 150, interface: 'dyn0', vips: ['192.0.2.100/24'] }));
      const p = suite.track(startPeer(kind, lab, 1, text([])));
      const exit = await p.waitExit(10_000);
      assert.equal(exit.code, 2, 'keepalived\'s KEEPALIVED_EXIT_CONFIG');
      assert.ok(p.lines(/Non-existent interface specified in configuration/).length >= 1);

      const q = suite.track(startPeer(kind, lab, 1, text(['dynamic_interfaces'])));
      await sleep(1500);
      assert.equal(q.exit, undefined, 'runs');
      assert.notEqual(await q.state(), 'MASTER');
      await lab.exec(1, ['ip', 'link', 'add', 'dyn0', 'type', 'veth', 'peer', 'name', 'dyn0p'], { check: true });
      await lab.exec(1, ['ip', 'addr', 'add', '192.0.2.61/24', 'dev', 'dyn0'], { check: true });
      for (const i of ['dyn0', 'dyn0p']) await lab.exec(1, ['ip', 'link', 'set', i, 'up'], { check: true });
      await q.waitState('MASTER', 'VI_1', 10_000);
      assert.ok((await lab.addresses(1, 'dyn0')).includes('192.0.2.100'));
      await q.stop();
      await lab.exec(1, ['ip', 'link', 'del', 'dyn0'], { check: true });
    });
  }
});
