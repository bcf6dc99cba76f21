/**
 * The names operators' scripts use (issue 8): the daemon's process is called
 * `keepalived` (comm and argv[0]), so `pkill keepalived`, `killall
 * keepalived`, `pgrep` and `pidof` find it, while `ps` still shows the
 * keepalived-ts program. A kill by name is a normal stop: the master sends
 * priority 0 and the backup takes over after its skew time.
 *
 * Each host that is killed by name runs in a PID namespace of its own, so the
 * name can never reach another host or the machine.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { holders, startKts, waitHolders, type Peer } from './harness/peers';
import { conf, instance } from './harness/conf';
import { advertsFrom, vrrpFrames } from './harness/frames';

const why = labUnavailableReason();
const VIP = '192.0.2.100';

describe(`e2e: the daemon answers to keepalived's name${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2, v6: false });
  const track = (p: Peer) => suite.track(p);
  const inst = (priority: number) => conf([], instance({ priority, vips: [`${VIP}/24`], advert: '0.1', version: 3 }));

  test('comm and argv[0] are keepalived; ps shows keepalived-ts; pgrep and pidof find it', async () => {
    const a = track(startKts(suite.lab, 1, inst(150)));
    await a.waitState('MASTER');
    assert.equal(fs.readFileSync(`/proc/${a.pid}/comm`, 'utf8').trim(), 'keepalived');
    const argv = fs.readFileSync(`/proc/${a.pid}/cmdline`, 'utf8').split('\0');
    assert.equal(argv[0], 'keepalived', 'argv[0]');
    const ps = (await suite.lab.exec(1, ['ps', '-o', 'args=', '-p', String(a.pid)], { check: true })).stdout;
    assert.match(ps, /^keepalived \S*bin\/keepalived-ts -n /, `ps shows the program: ${ps}`);
    const pgrep = (await suite.lab.exec(1, ['pgrep', '-x', 'keepalived'])).stdout.split(/\s+/).map(Number);
    assert.ok(pgrep.includes(a.pid), `pgrep -x keepalived lists ${a.pid}: ${pgrep.join(' ')}`);
    const pidof = (await suite.lab.exec(1, ['pidof', 'keepalived'])).stdout.split(/\s+/).map(Number);
    assert.ok(pidof.includes(a.pid), `pidof keepalived lists ${a.pid}: ${pidof.join(' ')}`);
    await suite.stopAll();
  });

  for (const kill of [['killall', 'keepalived'], ['pkill', 'keepalived']]) {
    test(`\`${kill.join(' ')}\` in the master's PID namespace stops it like SIGTERM: priority 0 sent, the backup takes over`, async () => {
      const a = track(startKts(suite.lab, 1, inst(150), { pidNamespace: true }));
      const b = track(startKts(suite.lab, 2, inst(100)));
      await a.waitState('MASTER');
      await b.waitState('BACKUP');
      await waitHolders(suite.lab, VIP, [1]);
      const cap = await suite.lab.capture({ filter: ['vrrp'] });
      const r = await a.execInPidNs(kill);
      assert.equal(r.code, 0, `${kill.join(' ')} found a process: ${r.stderr}`);
      await a.waitLog(/Stopped/, 10_000);
      const exit = await a.waitExit(5000);
      assert.equal(exit.code, 0, 'the PID namespace ended with the daemon, which exited 0');
      await b.waitState('MASTER', 'VI_1', 3000);
      await waitHolders(suite.lab, VIP, [2]);
      const frames = vrrpFrames((await cap.stop()).timed);
      assert.ok(advertsFrom(frames, suite.lab.ipv4(1), 51).some((f) => f.advert!.priority === 0), 'the stopped master sent priority 0');
      assert.deepEqual(await holders(suite.lab, VIP), [2]);
      assert.equal(b.exit, undefined, 'the other host (another PID namespace) was not reached');
      await suite.stopAll();
    });
  }
});

describe(`e2e: keepalived's process_names${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 1, v6: false });
  test('process_names: keepalived, keepalived_vrrp (and keepalived_ipvs); vrrp_process_name overrides', async () => {
    const inst = instance({ priority: 150, vips: ['192.0.2.100/24'] });
    const a = suite.track(startKts(suite.lab, 1, conf(['process_names'], inst)));
    await a.waitState('MASTER');
    const comm = (pid: number) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    assert.equal(comm(a.pid), 'keepalived');
    await suite.lab.waitFor(async () => comm(await a.childPid('vrrp')) === 'keepalived_vrrp', { what: 'the VRRP child named keepalived_vrrp' });
    await suite.stopAll();
    const b = suite.track(startKts(suite.lab, 1, conf(['process_names', 'vrrp_process_name vrrp-east'], inst)));
    await b.waitState('MASTER');
    await suite.lab.waitFor(async () => comm(await b.childPid('vrrp')) === 'vrrp-east', { what: 'the VRRP child named vrrp-east' });
    await suite.stopAll();
  });
});
