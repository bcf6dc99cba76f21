/**
 * VrrpInstance on its ports: packet validation counters, unicast, auth,
 * transitions events and stop().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/core/clock';
import { Logger, type LogRecord } from '../../src/core/log';
import { FakeLan } from '../../src/net/fake/lan';
import { encodeAdvert } from '../../src/vrrp/codec';
import type { Advert } from '../../src/vrrp/codec/types';
import { makeInstanceSettings, type InstanceSettings, type TransitionEvent, VrrpInstance } from '../../src/vrrp/instance';

const VIP = { address: '198.51.100.7', family: 4 as const, prefixLength: 32, ifname: 'eth0' };

function setup(over: Partial<InstanceSettings> = {}) {
  const clock = new VirtualClock(0);
  const lan = new FakeLan(clock);
  const me = lan.addNode('me', { 4: '192.0.2.10' });
  lan.addNode('peer', { 4: '192.0.2.20' });
  const logs: LogRecord[] = [];
  const inst = new VrrpInstance({
    settings: makeInstanceSettings({ name: 'VI_1', vrid: 7, ifname: 'eth0', vips: [VIP], ...over }),
    clock,
    transport: me.transport(4),
    addresses: me.addresses,
    announcer: me.announcer,
    logger: new Logger((r) => logs.push(r), {}, 'debug'),
  });
  const transitions: TransitionEvent[] = [];
  inst.onTransition((e) => transitions.push(e));
  const advert = (a: Partial<Advert> = {}): Advert => ({
    version: 2,
    type: 1,
    vrid: 7,
    priority: 200,
    authType: 0,
    adverIntervalMs: 1000,
    addresses: [VIP.address],
    ...a,
  });
  const feed = (a: Partial<Advert>, opts: { ttl?: number; src?: string; dst?: string } = {}) => {
    const src = opts.src ?? '192.0.2.20';
    const dst = opts.dst ?? '224.0.0.18';
    inst.receive({ data: encodeAdvert(advert(a), { family: 4, src, dst }), src, dst, ttl: opts.ttl ?? 255, ifindex: 2 });
  };
  return { clock, lan, inst, logs, transitions, feed };
}

describe('VrrpInstance', () => {
  it('starts in BACKUP with a transition event, then MASTER with VIPs and adverts on the wire', async () => {
    const { clock, lan, inst, transitions } = setup({ priority: 100 });
    inst.start();
    assert.deepEqual(transitions, [{ instance: 'VI_1', from: 'INIT', to: 'BACKUP', priority: 100, reason: 'startup', at: 0 }]);
    clock.advance(3609.375);
    assert.equal(inst.state, 'MASTER');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lan.holders(VIP.address), ['me']);
    assert.deepEqual(lan.sent.map((s) => [s.from, s.dst, s.bytes]), [['me', '224.0.0.18', 20]]);
    const st = inst.status();
    assert.equal(st.counters.advert_sent, 1);
    assert.equal(st.counters.become_master, 1);
    assert.equal(st.masterAddress, '192.0.2.10');
    assert.equal(st.vipsSet, true);
  });

  it('counts drops per reason and rate-limits their logs', () => {
    const { inst, logs, feed } = setup();
    inst.start();
    feed({}, { ttl: 64 });
    feed({}, { ttl: 64 });
    feed({ adverIntervalMs: 2000 });
    feed({ authType: 1, authData: Buffer.from('secret\0\0') });
    feed({ version: 3 });
    feed({ vrid: 8 });
    const c = inst.status().counters;
    assert.equal(c.ip_ttl_err, 2);
    assert.equal(c.advert_interval_err, 1);
    assert.equal(c.authtype_mismatch, 1);
    assert.equal(c.version_err, 1);
    assert.equal(c.vrid_mismatch, 1);
    assert.equal(inst.status().masterAddress, null);
    assert.equal(logs.filter((r) => r.msg.includes('ip_ttl_err')).length, 1);
  });

  it('PASS authentication: the right password is accepted, a wrong one counted as auth_failure', () => {
    const { inst, feed } = setup({ auth: { type: 1, pass: 'secret' } });
    inst.start();
    feed({ authType: 1, authData: Buffer.from('wrong\0\0\0') });
    assert.equal(inst.status().counters.auth_failure, 1);
    feed({ authType: 1, authData: Buffer.from('secret\0\0') });
    assert.equal(inst.status().masterAddress, '192.0.2.20');
    assert.equal(inst.status().counters.advert_rcvd, 2);
  });

  it('a different address list is counted (addr_list_err) but accepted unless strict', () => {
    const lax = setup();
    lax.inst.start();
    lax.feed({ addresses: ['198.51.100.99'] });
    assert.equal(lax.inst.status().counters.addr_list_err, 1);
    assert.equal(lax.inst.status().masterPriority, 200);
    const strict = setup({ strict: true });
    strict.inst.start();
    strict.feed({ addresses: ['198.51.100.99'] });
    assert.equal(strict.inst.status().counters.addr_list_err, 1);
    assert.equal(strict.inst.status().masterPriority, 0);
  });

  it('unicast: one advert per peer, counted once; unicast TTL is not checked', () => {
    const { clock, lan, inst, feed } = setup({ priority: 255, unicastPeers: ['192.0.2.20', '192.0.2.30'] });
    inst.start();
    clock.advance(1000);
    assert.deepEqual(lan.sent.map((s) => s.dst), ['192.0.2.20', '192.0.2.30', '192.0.2.20', '192.0.2.30']);
    assert.equal(inst.status().counters.advert_sent, 2);
    feed({ priority: 100 }, { ttl: 62, dst: '192.0.2.10' });
    assert.equal(inst.status().counters.ip_ttl_err, 0);
    assert.equal(inst.status().counters.advert_rcvd, 1);
  });

  it('stop(): priority 0 from MASTER, VIPs removed, idempotent, nothing after', async () => {
    const { clock, lan, inst, transitions } = setup({ priority: 255 });
    inst.start();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lan.holders(VIP.address), ['me']);
    await inst.stop();
    await inst.stop();
    assert.deepEqual(lan.holders(VIP.address), []);
    assert.equal(inst.status().counters.pri_zero_sent, 1);
    assert.equal(inst.state, 'STOP');
    assert.deepEqual(transitions.map((t) => t.to), ['MASTER', 'STOP']);
    const n = lan.sent.length;
    clock.advance(10_000);
    assert.equal(lan.sent.length, n);
    assert.equal(clock.pending(), 0);
  });

  it('trackers: weight changes the advertised priority; weight 0 failure is FAULT', () => {
    const { clock, inst } = setup({ priority: 100 });
    inst.start();
    clock.advance(4000);
    inst.setTracker('chk', { weight: 20, failed: false });
    assert.equal(inst.effectivePriority, 120);
    inst.setTracker('iface', { weight: 0, failed: true });
    assert.equal(inst.state, 'FAULT');
    assert.deepEqual(inst.status().faults, ['iface']);
    inst.removeTracker('iface');
    assert.equal(inst.state, 'BACKUP');
    inst.setPriority(50);
    assert.equal(inst.status().basePriority, 50);
    assert.equal(inst.effectivePriority, 70);
  });
});

describe('check_unicast_src', () => {
  it('drops adverts from outside unicast_peer, and from a peer outside its min_ttl/max_ttl (keepalived vrrp_check_packet)', () => {
    const { inst, feed } = setup({
      unicastPeers: ['192.0.2.20'],
      checkUnicastSrc: true,
      peerTtl: { '192.0.2.20': { min: 250, max: 255 } },
    });
    inst.start();
    feed({}, { src: '192.0.2.99', dst: '192.0.2.10', ttl: 255 });
    feed({}, { src: '192.0.2.20', dst: '192.0.2.10', ttl: 64 });
    feed({}, { src: '192.0.2.20', dst: '192.0.2.10', ttl: 254 });
    const c = inst.status().counters;
    assert.equal(c.unicast_src_err, 1);
    assert.equal(c.ip_ttl_err, 1);
    assert.equal(inst.status().masterAddress, '192.0.2.20', 'the one in range is heard');
  });
  it('without check_unicast_src any source is heard (keepalived default)', () => {
    const { inst, feed } = setup({ unicastPeers: ['192.0.2.20'] });
    inst.start();
    feed({}, { src: '192.0.2.99', dst: '192.0.2.10', ttl: 64 });
    assert.equal(inst.status().counters.unicast_src_err, 0);
    assert.equal(inst.status().masterAddress, '192.0.2.99');
  });
});
