/**
 * The daemon's three processes (issue 9), as keepalived's: a main process, a
 * VRRP child and a checker child.
 *  - kill -9 of the VRRP child: main logs "VRRP child process(N) died:
 *    Respawning" and starts a new one (the main pid stays); the backup took
 *    over meanwhile, the new child removes the stale VIP, comes up and
 *    preempts back;
 *  - kill -9 of the checker child: the VRRP side does not notice (no
 *    transition, no gap in the adverts); main starts a new checker child;
 *  - kill -9 of the main process: the children stop as if sent SIGTERM
 *    (keepalived's children get SIGTERM when their parent dies): priority 0,
 *    VIPs released, nothing left running;
 *  - -R (--dont-respawn): a dead child stops the daemon ("died: Exiting").
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason, waitFor } from './harness/netns';
import { labSuite } from './harness/suite';
import { holders, startKts, waitHolders, type Peer } from './harness/peers';
import { conf, instance } from './harness/conf';
import { advertsFrom, maxGap, vrrpFrames } from './harness/frames';

const why = labUnavailableReason();
const VIP = '192.0.2.100';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));

describe(`e2e: the main, VRRP and checker processes${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 3, v6: false });
  const track = (p: Peer) => suite.track(p);
  const inst = (priority: number, advert = '0.1') => instance({ priority, vips: [`${VIP}/24`], advert, version: 3 });

  test('kill -9 of the VRRP child: respawned by main (same main pid), stale VIP removed, the master comes back', async () => {
    const a = track(startKts(suite.lab, 1, conf([], inst(150))));
    const b = track(startKts(suite.lab, 2, conf([], inst(100))));
    await a.waitState('MASTER');
    await b.waitState('BACKUP');
    const vrrp1 = await a.childPid('vrrp');
    const from = a.log.length;
    process.kill(vrrp1, 'SIGKILL');
    await a.waitLog(new RegExp(`VRRP child process\\(${vrrp1}\\) died: Respawning`), 5000, from);
    const vrrp2 = await a.childPid('vrrp', vrrp1);
    await a.waitLog(new RegExp(`Starting VRRP child process, pid=${vrrp2}`), 5000, from);
    await b.waitState('MASTER', 'VI_1', 5000); // adverts stopped: the backup took over
    await a.waitLog(/\(VI_1\) removing VIPs\./, 5000, from);
    await a.waitState('MASTER', 'VI_1', 10_000); // preempts back
    await b.waitState('BACKUP');
    await waitHolders(suite.lab, VIP, [1]);
    const st = (await a.status()) as unknown as { pid: number; processes: { vrrp: number; vrrpRestarts: number } };
    assert.equal(st.pid, a.pid, 'the main process kept running');
    assert.equal(st.processes.vrrp, vrrp2);
    assert.equal(st.processes.vrrpRestarts, 1);
    assert.ok(alive(a.pid));
    await suite.stopAll();
  });

  test('kill -9 of the checker child: VRRP does not notice (no transition, no advert gap); main starts a new checker', async () => {
    const vs = [
      'virtual_server 192.0.2.200 80 {',
      '    delay_loop 1',
      '    protocol TCP',
      `    real_server ${suite.lab.ipv4(3)} 80 {`,
      '        TCP_CHECK {',
      '            connect_timeout 1',
      '        }',
      '    }',
      '}',
    ].join('\n');
    const a = track(startKts(suite.lab, 1, conf([], inst(150, '0.05'), vs)));
    await a.waitState('MASTER');
    const checker1 = await a.childPid('checker');
    const before = (await a.status()).instances[0];
    const cap = await suite.lab.capture({ filter: ['vrrp'] });
    await sleep(500);
    const from = a.log.length;
    process.kill(checker1, 'SIGKILL');
    await a.waitLog(new RegExp(`Healthcheck child process\\(${checker1}\\) died: Respawning`), 5000, from);
    const checker2 = await a.childPid('checker', checker1);
    await a.waitLog(new RegExp(`Starting Healthcheck child process, pid=${checker2}`), 5000, from);
    await waitFor(async () => {
      const s = (await a.status()) as unknown as { checkers?: { virtualServers?: unknown[] } };
      return s.checkers?.virtualServers?.length === 1;
    }, { timeoutMs: 5000, what: 'the new checker child answering status' });
    await sleep(500);
    const frames = advertsFrom(vrrpFrames((await cap.stop()).timed), suite.lab.ipv4(1), 51);
    const gap = maxGap(frames.map((f) => f.t));
    assert.ok(frames.length > 20, `adverts captured: ${frames.length}`);
    assert.ok(gap < 75, `largest advert gap ${gap.toFixed(1)} ms at advert_int 0.05 while the checker died and restarted`);
    const after = (await a.status()).instances[0];
    assert.equal(after.state, 'MASTER');
    assert.equal(after.lastTransitionMs, before.lastTransitionMs, 'no transition');
    assert.equal(a.lines(/Entering|VRRP child process/, from).length, 0, 'the VRRP side logged nothing');
    await suite.stopAll();
  });

  test('kill -9 of the main process: the VRRP child stops as if sent SIGTERM (priority 0, VIP released) and nothing is left running', async () => {
    const a = track(startKts(suite.lab, 1, conf([], inst(150))));
    const b = track(startKts(suite.lab, 2, conf([], inst(100))));
    await a.waitState('MASTER');
    await b.waitState('BACKUP');
    const vrrp = await a.childPid('vrrp');
    const cap = await suite.lab.capture({ filter: ['vrrp'] });
    process.kill(a.pid, 'SIGKILL');
    await b.waitState('MASTER', 'VI_1', 3000);
    await waitFor(() => !alive(vrrp), { timeoutMs: 5000, what: 'the orphaned VRRP child to exit' });
    await waitHolders(suite.lab, VIP, [2]);
    const frames = advertsFrom(vrrpFrames((await cap.stop()).timed), suite.lab.ipv4(1), 51);
    assert.ok(frames.some((f) => f.advert!.priority === 0), 'the VRRP child sent priority 0 on its way out');
    await suite.stopAll();
  });

  test('-R (--dont-respawn): the VRRP child dying stops the daemon', async () => {
    const a = track(startKts(suite.lab, 1, conf([], inst(150)), { args: ['-R'] }));
    await a.waitState('MASTER');
    const vrrp = await a.childPid('vrrp');
    process.kill(vrrp, 'SIGKILL');
    await a.waitLog(new RegExp(`VRRP child process\\(${vrrp}\\) died: Exiting`), 5000);
    const exit = await a.waitExit(10_000);
    assert.equal(exit.code, 0);
    assert.deepEqual(await holders(suite.lab, VIP), [1], 'as keepalived, a VIP left by a killed VRRP child stays (nobody removes it)');
    await suite.lab.exec(1, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    await suite.stopAll();
  });
});
