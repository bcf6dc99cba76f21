import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, config } from '../helpers';
import { encodeAdvert } from '../../../src/vrrp/codec';

const CONF = `
vrrp_script chk {
    script "/bin/true"
    interval 1
    weight -60
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
@a    priority 150
@b    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
    }
    track_script {
        chk
    }
    track_interface {
        eth1 weight -20
    }
}
`;

function twoHosts(text = CONF): Cluster {
  const c = new Cluster();
  c.add('a', '192.0.2.10', text);
  c.add('b', '192.0.2.11', text);
  for (const h of c.hosts.values()) h.daemon.start();
  return c;
}

test('two daemons from one conditional config elect the higher priority; the VIP is on it alone', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'MASTER');
  assert.equal(c.state('b'), 'BACKUP');
  assert.deepEqual(await c.holders('192.0.2.100'), ['a']);
  assert.deepEqual(c.host('a').notified.map((t) => `${t.kind} ${t.name} ${t.state} ${t.priority}`), ['INSTANCE VI_1 BACKUP 130', 'INSTANCE VI_1 MASTER 130'], 'effective priority, as keepalived passes it: eth1 is missing, so -20');
  const st = c.host('a').daemon.status();
  assert.equal(st.instances[0].state, 'MASTER');
  assert.equal(st.instances[0].vips[0], '192.0.2.100/24 dev eth0 scope global');
});

test('a failing tracked script with weight -60 hands the VIP to the other host', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  c.host('a').scripts.get('chk')!.set(false);
  c.clock.advance(5000);
  assert.equal(c.host('a').daemon.instance('VI_1')!.effectivePriority, 70, '150 - 60 (script) - 20 (eth1 down)');
  assert.equal(c.state('b'), 'MASTER');
  assert.deepEqual(await c.holders('192.0.2.100'), ['b']);
  c.host('a').scripts.get('chk')!.set(true);
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'MASTER', 'preempts back when the script recovers');
});

test('losing the instance interface puts the master in FAULT and the backup takes over', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  c.host('a').links.set('eth0', false);
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'FAULT');
  assert.equal(c.state('b'), 'MASTER');
  assert.deepEqual(await c.holders('192.0.2.100'), ['b']);
  c.host('a').links.set('eth0', true);
  c.clock.advance(6000);
  assert.equal(c.state('a'), 'MASTER');
});

test('a tracked interface with a weight lowers the priority while down', async () => {
  const c = twoHosts();
  c.clock.advance(1000);
  assert.equal(c.host('a').daemon.instance('VI_1')!.effectivePriority, 130, 'eth1 does not exist: counted as down');
  c.host('a').links.set('eth1', true);
  assert.equal(c.host('a').daemon.instance('VI_1')!.effectivePriority, 150);
});

test('a VIP removed by someone else on the master is put back', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  const a = c.host('a');
  assert.deepEqual(await c.holders('192.0.2.100'), ['a']);
  assert.ok(a.node.addresses.removeExternally('192.0.2.100'));
  assert.deepEqual(await c.holders('192.0.2.100'), []);
  a.links.removed('eth0', '192.0.2.100', 4);
  c.clock.advance(100);
  assert.deepEqual(await c.holders('192.0.2.100'), ['a']);
});

test('reload with the same file changes no state and leaves no advert gap; a priority change takes effect in place', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  const a = c.host('a');
  const before = a.notified.length;
  const sentBefore = c.lan.sent.filter((s) => s.from === 'a').length;
  const r = await a.daemon.reload(config(CONF, 'a'));
  assert.deepEqual(r, { unchanged: 1, changed: 0, added: 0, removed: 0 });
  c.clock.advance(3000);
  assert.equal(a.notified.length, before, 'no transition');
  const sends = c.lan.sent.filter((s) => s.from === 'a').map((s) => s.at);
  assert.ok(sends.length - sentBefore >= 3);
  for (let i = 1; i < sends.length; i++) assert.ok(sends[i] - sends[i - 1] <= 1000, `gap ${sends[i] - sends[i - 1]}`);
  const lower = CONF.replace('@a    priority 150', '@a    priority 50');
  const r2 = await a.daemon.reload(config(lower, 'a'));
  assert.deepEqual(r2, { unchanged: 0, changed: 1, added: 0, removed: 0 });
  c.clock.advance(5000);
  assert.equal(c.state('b'), 'MASTER');
  assert.deepEqual(await c.holders('192.0.2.100'), ['b']);
  assert.equal(a.daemon.instance('VI_1')!.state, 'BACKUP', 'same instance object kept its identity');
});

test('reload removing an instance releases its VIP; adding one starts it', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  const a = c.host('a');
  const other = CONF.replace(/VI_1/g, 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52').replace('192.0.2.100', '192.0.2.101');
  const r = await a.daemon.reload(config(other, 'a'));
  assert.deepEqual(r, { unchanged: 0, changed: 0, added: 1, removed: 1 });
  const gone = a.notified.filter((t) => t.name === 'VI_1').at(-1);
  assert.equal(gone?.state, 'DELETED', 'a removed instance is reported DELETED (the notifier turns it into FAULT without notify_deleted)');
  c.clock.advance(5000);
  assert.deepEqual(await c.holders('192.0.2.100'), ['b']);
  assert.deepEqual(await c.holders('192.0.2.101'), ['a']);
});

test('stop sends priority 0 and the backup takes over after skew time, not the down interval', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  const t0 = c.clock.now();
  await c.host('a').daemon.stop();
  assert.deepEqual(await c.holders('192.0.2.100'), []);
  c.clock.advance(2000);
  const t = c.host('b').notified.find((x) => x.state === 'MASTER');
  assert.ok(t);
  assert.equal(c.state('b'), 'MASTER');
  // skew for priority 100 (v2): (256-100)/256 s = 609.375 ms
  const took = c.clock.now() - t0;
  assert.ok(took >= 609, String(took));
  assert.deepEqual(c.host('a').notified.map((x) => x.state).slice(-1), ['STOP']);
});

test('a weight-0 script holds the instance in INIT until its first result, as keepalived', async () => {
  const c = new Cluster();
  const conf = CONF.replace('weight -60', 'weight 0');
  const a = c.add('a', '192.0.2.10', conf);
  a.daemon.start();
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'INIT');
  a.scripts.get('chk')!.set(false);
  c.clock.advance(100);
  assert.equal(c.state('a'), 'FAULT');
  a.scripts.get('chk')!.set(true);
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'MASTER');
});

test('an instance on a missing interface is reported in FAULT with the reason, the others run', async () => {
  const c = new Cluster();
  const conf = CONF + CONF.replace(/VI_1/g, 'VI_9').replace('interface eth0', 'interface eth9').replace('virtual_router_id 51', 'virtual_router_id 59');
  const a = c.add('a', '192.0.2.10', conf);
  a.daemon.start();
  c.clock.advance(5000);
  const st = a.daemon.status();
  const broken = st.instances.find((i) => i.name === 'VI_9');
  assert.equal(broken?.state, 'FAULT');
  assert.match(broken!.faults[0], /eth9/);
  assert.equal(c.state('a'), 'MASTER');
});

test('reload with a changed VIP list keeps the MASTER state: the old VIP goes, the new one comes, adverts carry the new list', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  const a = c.host('a');
  const before = a.notified.length;
  const moved = CONF.replace('192.0.2.100/24', '192.0.2.100/24\n        192.0.2.110/24');
  const r = await a.daemon.reload(config(moved, 'a'));
  assert.deepEqual(r, { unchanged: 0, changed: 1, added: 0, removed: 0 });
  c.clock.advance(100);
  assert.deepEqual(await c.holders('192.0.2.110'), ['a']);
  assert.deepEqual(await c.holders('192.0.2.100'), ['a']);
  const dropped = CONF.replace('192.0.2.100/24', '192.0.2.110/24');
  await a.daemon.reload(config(dropped, 'a'));
  c.clock.advance(2000);
  assert.deepEqual(await c.holders('192.0.2.100'), []);
  assert.deepEqual(await c.holders('192.0.2.110'), ['a']);
  assert.equal(a.notified.length, before, 'no state change');
  assert.equal(c.state('a'), 'MASTER');
  assert.deepEqual(a.daemon.instance('VI_1')!.settings.vips.map((v) => v.address), ['192.0.2.110']);
});

test('track_process with weight 0: the instance waits for the first scan, then a lost quorum is FAULT and the VIP moves', async () => {
  const c = new Cluster();
  const conf = `vrrp_track_process haproxy {\n    process haproxy\n}\n` + CONF.replace('    track_script {\n        chk\n    }\n', '    track_process {\n        haproxy\n    }\n');
  const a = c.add('a', '192.0.2.10', conf);
  const b = c.add('b', '192.0.2.11', conf);
  a.daemon.start();
  b.daemon.start();
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'INIT', 'no scan yet: held in INIT as keepalived holds weight-0 trackers');
  a.processes.get('haproxy')!.set(true);
  b.processes.get('haproxy')!.set(true);
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'MASTER');
  a.processes.get('haproxy')!.set(false);
  c.clock.advance(2000);
  assert.equal(c.state('a'), 'FAULT');
  assert.equal(c.state('b'), 'MASTER');
  assert.deepEqual(await c.holders('192.0.2.100'), ['b']);
  assert.ok(a.daemon.status().instances[0].faults.includes('process haproxy'));
});

test('a MASTER hearing a lower priority reports MASTER_RX_LOWER_PRI with its own effective priority (keepalived send_event_notify)', async () => {
  const c = twoHosts();
  c.clock.advance(5000);
  const a = c.host('a');
  const data = encodeAdvert({ version: 2, type: 1, vrid: 51, priority: 90, authType: 0, adverIntervalMs: 1000, addresses: ['192.0.2.100'] }, { family: 4, src: '192.0.2.11', dst: '224.0.0.18' });
  a.daemon.instance('VI_1')!.receive({ data, src: '192.0.2.11', dst: '224.0.0.18', ttl: 255, ifindex: 2 });
  assert.deepEqual(a.events, [{ name: 'VI_1', event: 'MASTER_RX_LOWER_PRI', priority: 130 }]);
});

test('stop reports STOP for every instance, then every sync group (keepalived notify_shutdown)', async () => {
  const c = new Cluster();
  const sg = `vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n` + CONF + CONF.replace(/VI_1/g, 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52').replace('192.0.2.100', '192.0.2.101');
  const a = c.add('a', '192.0.2.10', sg);
  a.daemon.start();
  c.clock.advance(5000);
  await a.daemon.stop();
  assert.deepEqual(a.notified.slice(-3).map((t) => `${t.kind} ${t.name} ${t.state}`), ['INSTANCE VI_1 STOP', 'INSTANCE VI_2 STOP', 'GROUP G1 STOP']);
});

test('dynamic_interfaces: an instance whose interface is missing starts when the interface appears', async () => {
  const c = new Cluster();
  const conf = 'global_defs {\n    dynamic_interfaces\n}\n' + CONF.replace('interface eth0', 'interface eth9');
  const a = c.add('a', '192.0.2.10', conf);
  a.daemon.start();
  a.scripts.get('chk')!.set(true);
  c.clock.advance(5000);
  assert.equal(a.daemon.status().instances[0].state, 'FAULT', 'waiting for eth9');
  a.links.appear('eth9');
  c.clock.advance(5000);
  assert.equal(c.state('a'), 'MASTER');
  assert.ok(a.logs.some((l) => l.msg === '(VI_1) interface eth9 is here: starting'));
});
