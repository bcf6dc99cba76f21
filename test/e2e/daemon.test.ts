/**
 * The running daemon in namespaces: track_interface and link loss, reload
 * (SIGHUP) without a flap or a gap in adverts, an invalid reload keeping the
 * running configuration, keepalived's dump signals and pid files, and a VIP
 * removed by someone else being put back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labUnavailableReason } from './harness/netns';
import { addLocalLink, labSuite } from './harness/suite';
import { holders, KTS_BIN, startKeepalived, startKts, startPeer, waitHolders, type Peer, type PeerKind } from './harness/peers';
import { conf, instance, type InstanceOptions } from './harness/conf';
import { advertsFrom, arpFrames, maxGap, vrrpFrames } from './harness/frames';

const why = labUnavailableReason();
const VIP = '192.0.2.100';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`e2e: the keepalived-ts daemon${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2, v6: false }, (l) => addLocalLink(l, 1));
  const track = (p: Peer) => suite.track(p);
  const stopAll = () => suite.stopAll();

  const inst = (o: Partial<InstanceOptions> & { priority: number }) => conf([], instance({ vips: [`${VIP}/24`], ...o }));

  test('track_interface: the tracked link going down puts the master in FAULT (priority 0 sent), keepalived takes over; link up brings it back', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150, trackInterface: ['eth1'] })));
    const b = track(startKeepalived(suite.lab, 2, inst({ priority: 100 })));
    await a.waitState('MASTER');
    await b.waitState('BACKUP');
    const cap = await suite.lab.capture({ filter: ['vrrp'] });
    await suite.lab.exec(1, ['ip', 'link', 'set', 'eth1', 'down'], { check: true });
    await a.waitState('FAULT', 'VI_1', 5000);
    await b.waitState('MASTER', 'VI_1', 5000);
    await waitHolders(suite.lab, VIP, [2]);
    const st = (await a.status()).instances[0];
    assert.ok(st.faults.some((f) => /eth1/.test(f)), `fault names eth1: ${st.faults.join(', ')}`);
    const frames = vrrpFrames((await cap.stop()).timed);
    assert.ok(advertsFrom(frames, suite.lab.ipv4(1), 51).some((f) => f.advert!.priority === 0), 'a master entering FAULT sends priority 0');
    await suite.lab.exec(1, ['ip', 'link', 'set', 'eth1', 'up'], { check: true });
    await a.waitState('MASTER', 'VI_1', 10_000);
    await b.waitState('BACKUP');
    await waitHolders(suite.lab, VIP, [1]);
    await stopAll();
  });

  test('the instance interface going down: FAULT, the backup takes over after Master_Down_Interval; link up: MASTER again', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    const b = track(startKts(suite.lab, 2, inst({ priority: 100 })));
    await a.waitState('MASTER');
    await b.waitState('BACKUP');
    await suite.lab.linkSet(1, 'down');
    await a.waitState('FAULT', 'VI_1', 3000);
    await b.waitState('MASTER', 'VI_1', 6000);
    assert.deepEqual(await holders(suite.lab, VIP), [2], 'host 1 released the VIP in FAULT');
    await suite.lab.linkSet(1, 'up');
    await a.waitState('MASTER', 'VI_1', 10_000);
    await b.waitState('BACKUP');
    await waitHolders(suite.lab, VIP, [1]);
    await stopAll();
  });

  test('SIGHUP with the same file: no state change and no advert gap longer than one interval; a changed priority takes effect', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    const b = track(startKts(suite.lab, 2, inst({ priority: 100 })));
    await a.waitState('MASTER');
    await b.waitState('BACKUP');
    const cap = await suite.lab.capture({ filter: ['vrrp'] });
    const before = (await a.status()).instances[0];
    const logFrom = a.log.length;
    await sleep(1200);
    a.signal('SIGHUP');
    await a.waitLog(/Reload finished: 1 unchanged, 0 changed/, 5000, logFrom);
    await sleep(2500);
    const frames = vrrpFrames((await cap.stop()).timed);
    const times = advertsFrom(frames, suite.lab.ipv4(1), 51).map((f) => f.t);
    assert.ok(times.length >= 3, `${times.length} adverts`);
    assert.ok(maxGap(times) <= 1050, `largest gap between adverts ${maxGap(times).toFixed(1)} ms`);
    const after = (await a.status()).instances[0];
    assert.equal(after.state, 'MASTER');
    assert.equal(after.lastTransitionMs, before.lastTransitionMs, 'no transition');
    assert.deepEqual(a.lines(/Entering/, logFrom), []);
    assert.deepEqual(await holders(suite.lab, VIP), [1]);

    // Raise the backup above the master: it preempts after the reload.
    fs.writeFileSync(b.confFile, inst({ priority: 200 }));
    b.signal('SIGHUP');
    await b.waitLog(/Reload finished: 0 unchanged, 1 changed/, 5000);
    await b.waitState('MASTER', 'VI_1', 6000);
    await a.waitState('BACKUP');
    await waitHolders(suite.lab, VIP, [2]);
    assert.equal((await b.status()).instances[0].effectivePriority, 200);
    await stopAll();
  });

  test('SIGHUP with one more VIP on the MASTER: no transition, the new VIP is added and announced, adverts carry both', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    await a.waitState('MASTER', 'VI_1', 10_000);
    const from = a.log.length;
    const cap = await suite.lab.capture({ filter: ['vrrp', 'or', 'arp'] });
    fs.writeFileSync(a.confFile, conf([], instance({ priority: 150, vips: [`${VIP}/24`, '192.0.2.101/24'] })));
    a.signal('SIGHUP');
    await a.waitLog(/Reload finished: 0 unchanged, 1 changed/, 5000, from);
    await waitHolders(suite.lab, '192.0.2.101', [1], 3000);
    await sleep(1300);
    const res = await cap.stop();
    assert.deepEqual(a.lines(/Entering/, from), [], 'no state change');
    const last = advertsFrom(vrrpFrames(res.timed), suite.lab.ipv4(1), 51).at(-1)!;
    assert.deepEqual(last.advert!.addresses, [VIP, '192.0.2.101']);
    assert.ok(arpFrames(res.timed).some((x) => x.senderIp === '192.0.2.101'), 'the new VIP is announced');
    assert.deepEqual(await holders(suite.lab, VIP), [1]);
    await stopAll();
  });

  test('a reload with an invalid file keeps the running configuration and logs the diagnostic with file and line', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    await a.waitState('MASTER', 'VI_1', 10_000);
    // VRID 0: keepalived drops the instance ("the virtual router id must be set"); a reload must not.
    fs.writeFileSync(a.confFile, inst({ priority: 150 }).replace('virtual_router_id 51', 'virtual_router_id 0'));
    const from = a.log.length;
    a.signal('SIGHUP');
    const line = await a.waitLog(/keeping the running configuration/, 5000, from);
    assert.ok(line);
    const diag = a.lines(/E_NO_VRID|W_OUT_OF_RANGE/, from).map((l) => l.line).join('\n');
    assert.match(diag, new RegExp(`${a.confFile}:4:\\d+: warning: virtual_router_id`), 'names file:line of the bad value');
    assert.match(diag, new RegExp(`${a.confFile}:1:\\d+: error: \\(VI_1\\) the virtual router id must be set`));
    assert.equal(await a.state(), 'MASTER');
    assert.equal((await a.status()).instances[0].basePriority, 150);
    await stopAll();
  });

  test('SIGUSR1, SIGUSR2 and SIGRTMIN+2 write keepalived.data, keepalived.stats and keepalived.json; pid files live with the process', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    await a.waitState('MASTER', 'VI_1', 10_000);
    // As keepalived: -p holds the main process, -r the VRRP child; no virtual servers, so no checker child (-c).
    assert.equal(fs.readFileSync(path.join(a.dir, 'keepalived.pid'), 'utf8').trim(), String(a.pid));
    const vrrpPid = await a.childPid('vrrp');
    assert.notEqual(vrrpPid, a.pid);
    assert.equal(fs.readFileSync(`/proc/${vrrpPid}/comm`, 'utf8').trim(), 'keepalived');
    assert.match(fs.readFileSync(`/proc/${vrrpPid}/cmdline`, 'utf8').split('\0').join(' '), /^keepalived (--\S+ )*\S*keepalived-ts --child vrrp/);
    assert.equal(Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${vrrpPid}/status`, 'utf8'))![1]), a.pid, 'the VRRP process is a child of the main one');
    assert.equal(fs.existsSync(path.join(a.dir, 'checkers.pid')), false, 'no checker process without virtual servers');
    // `keepalived-ts --status --json` reads the same state over the control socket.
    const cli = await suite.lab.exec(1, [process.execPath, KTS_BIN, '--status', '--json', '--control-socket', a.controlSocket], { check: true });
    const st = JSON.parse(cli.stdout) as { pid: number; instances: { name: string; state: string }[] };
    assert.equal(st.pid, a.pid);
    assert.deepEqual(st.instances.map((i) => [i.name, i.state]), [['VI_1', 'MASTER']]);
    const file = (n: string) => path.join(a.dir, n);
    process.kill(vrrpPid, 'SIGUSR1'); // to the VRRP child, as `kill -USR1 $(cat /run/vrrp.pid)`
    await suite.lab.waitFor(() => fs.existsSync(file('keepalived.data')), { what: 'keepalived.data' });
    const data = fs.readFileSync(file('keepalived.data'), 'utf8');
    assert.match(data, /------< VRRP Topology >------/);
    assert.match(data, / VRRP Instance = VI_1\n/);
    assert.match(data, /   State = MASTER\n/);
    assert.match(data, new RegExp(`     ${VIP.replace(/\./g, '\\.')}/24 dev eth0 scope global set`));
    a.signal('SIGUSR2');
    await suite.lab.waitFor(() => fs.existsSync(file('keepalived.stats')), { what: 'keepalived.stats' });
    assert.match(fs.readFileSync(file('keepalived.stats'), 'utf8'), /VRRP Instance: VI_1\n  Advertisements:\n    Received: \d+\n    Sent: \d+/);
    process.kill(a.pid, 34 + 2); // SIGRTMIN+2 (glibc SIGRTMIN is 34)
    await suite.lab.waitFor(() => fs.existsSync(file('keepalived.json')), { what: 'keepalived.json' });
    const json = JSON.parse(fs.readFileSync(file('keepalived.json'), 'utf8')) as { data: { iname: string; state: number; vrid: number }; stats: { advert_sent: number } }[];
    assert.equal(json[0].data.iname, 'VI_1');
    assert.equal(json[0].data.state, 2, 'keepalived numbers MASTER as 2');
    assert.equal(json[0].data.vrid, 51);
    assert.ok(json[0].stats.advert_sent > 0);
    // keepalived's STATS_CLEAR (`keepalived --signum=STATS_CLEAR`: 63): the stats file is written, then the counters start again from 0.
    const sentBefore = (await a.status()).instances[0].counters.advert_sent;
    fs.rmSync(file('keepalived.stats'));
    process.kill(a.pid, 63);
    await suite.lab.waitFor(() => fs.existsSync(file('keepalived.stats')), { what: 'keepalived.stats after STATS_CLEAR' });
    await suite.lab.waitFor(async () => (await a.status()).instances[0].counters.advert_sent < sentBefore, { what: 'counters cleared' });
    await a.stop();
    for (const f of ['keepalived.pid', 'vrrp.pid']) assert.equal(fs.existsSync(path.join(a.dir, f)), false, `${f} removed at exit`);
    assert.deepEqual(await holders(suite.lab, VIP), [], 'VIP removed at shutdown');
    await stopAll();
  });

  test('a VIP deleted by someone else on the master is put back at once and announced', async () => {
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    await a.waitState('MASTER', 'VI_1', 10_000);
    await waitHolders(suite.lab, VIP, [1]);
    await sleep(200);
    const cap = await suite.lab.capture({ filter: ['arp'] });
    const t0 = Date.now();
    await suite.lab.exec(1, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0'], { check: true });
    await waitHolders(suite.lab, VIP, [1], 2000);
    const took = Date.now() - t0;
    await sleep(300);
    const capRes = await cap.stop();
    const arps = arpFrames(capRes.timed).filter((x) => x.senderIp === VIP);
    assert.ok(took < 1000, `re-added after ${took} ms`);
    assert.ok(arps.length >= 1, 'gratuitous ARP after re-adding');
    await stopAll();
  });

  /** TCP connect from host `from` to VIP:80: 'refused' (RST: the VIP answers) or 'timeout' (dropped). */
  const probe = async (from: number): Promise<string> => {
    const js = `const s=require('net').connect(80,'${VIP}');s.setTimeout(1500);s.on('error',e=>{console.log(e.code==='ECONNREFUSED'?'refused':e.code);process.exit(0)});s.on('timeout',()=>{console.log('timeout');process.exit(0)});s.on('connect',()=>{console.log('open');process.exit(0)})`;
    return (await suite.lab.exec(from, [process.execPath, '-e', js])).stdout.trim();
  };

  test('vrrp_strict (no_accept): the MASTER drops traffic to its VIP with the same nftables rules as keepalived 2.2.7, removed at stop', async () => {
    const rules: Record<string, string> = {};
    for (const kind of ['keepalived', 'kts'] as PeerKind[]) {
      const a = track(startPeer(kind, suite.lab, 1, conf(['vrrp_strict'], instance({ priority: 150, vips: [`${VIP}/24`] }))));
      await a.waitState('MASTER', 'VI_1', 10_000);
      await waitHolders(suite.lab, VIP, [1]);
      await sleep(300);
      rules[kind] = (await suite.lab.exec(1, ['nft', 'list', 'table', 'ip', 'keepalived'], { check: true })).stdout;
      assert.equal(await probe(2), 'timeout', `${kind}: traffic to the VIP is dropped`);
      await a.stop();
      assert.equal((await suite.lab.exec(1, ['nft', 'list', 'tables'])).stdout.includes('keepalived'), false, `${kind}: table removed at stop`);
      await stopAll();
    }
    assert.equal(rules.kts, rules.keepalived);
    assert.match(rules.kts, /elements = \{ 192\.0\.2\.100 \}/);
    // Without strict mode the VIP answers (accept is the default).
    const a = track(startKts(suite.lab, 1, inst({ priority: 150 })));
    await a.waitState('MASTER', 'VI_1', 10_000);
    await waitHolders(suite.lab, VIP, [1]);
    assert.equal(await probe(2), 'refused', 'accept mode: the VIP answers (RST)');
    await stopAll();
  });

  test('vrrp_track_process (weight 0): the tracked process dying puts the master in FAULT, the backup takes over; it coming back restores the master', async () => {
    // A uniquely named process: /proc/PID/comm is the name of the file executed.
    const name = `kts${Math.random().toString(16).slice(2, 8)}`;
    const bin = `${suite.lab.dir}/${name}`;
    fs.symlinkSync('/bin/sleep', bin);
    const startSvc = () => suite.lab.spawn(1, [bin, '600']);
    let svc = startSvc();
    const text = `vrrp_track_process svc {\n    process ${name}\n}\n` + instance({ priority: 150, vips: [`${VIP}/24`], extra: ['track_process {', '    svc', '}'] });
    const a = track(startKts(suite.lab, 1, text));
    const b = track(startKts(suite.lab, 2, inst({ priority: 100 })));
    await a.waitState('MASTER', 'VI_1', 10_000);
    await b.waitState('BACKUP');
    const t0 = Date.now();
    svc.kill('SIGKILL');
    await a.waitState('FAULT', 'VI_1', 3000);
    assert.ok(Date.now() - t0 < 1500, `FAULT ${Date.now() - t0} ms after the process died (one /proc poll)`);
    await b.waitState('MASTER', 'VI_1', 3000);
    await waitHolders(suite.lab, VIP, [2]);
    assert.ok((await a.status()).instances[0].faults.includes('process svc'));
    svc = startSvc();
    await a.waitState('MASTER', 'VI_1', 10_000);
    await waitHolders(suite.lab, VIP, [1]);
    svc.kill('SIGKILL');
    await stopAll();
  });
});
