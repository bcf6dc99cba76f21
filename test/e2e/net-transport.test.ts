/**
 * RawVrrpTransport between two network namespaces: multicast and unicast,
 * IPv4 and IPv6, with the ancillary data the VRRP validation ladder needs
 * (src, dst, TTL/hop limit 255, arrival ifindex).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason } from './harness/netns';
import { NetDriver, type DriverEvent } from './harness/driver';

const why = labUnavailableReason();

interface Opened {
  t: number;
  sourceAddress: string;
  ifindex: number;
  group: string | null;
  sourceBound: boolean;
}

describe(`net: raw VRRP transport in namespaces${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  let a: NetDriver;
  let b: NetDriver;

  before(async () => {
    lab = await Lab.create({ hosts: 2 });
    a = await NetDriver.start(lab, 1);
    b = await NetDriver.start(lab, 2);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await lab?.destroy();
  });

  const packet = (d: NetDriver, t: number, hex: string): Promise<DriverEvent> =>
    d.waitEvent((e) => e.event === 'packet' && e.t === t && e.data === hex, 5000);

  test('IPv4 multicast to 224.0.0.18: payload without IP header, src = primary address, TTL 255, ifindex', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 4, ifname: 'eth0' });
    const tb = await b.call<Opened>('transport.open', { family: 4, ifname: 'eth0' });
    assert.equal(ta.sourceAddress, lab.ipv4(1));
    assert.equal(ta.group, '224.0.0.18');
    const payload = '2133640101000000c0000264'; // VRRP-looking bytes; any bytes are fine at this layer
    await a.call('transport.send', { t: ta.t, hex: payload, dst: '224.0.0.18' });
    const got = await packet(b, tb.t, payload);
    assert.deepEqual(
      { src: got.src, dst: got.dst, ttl: got.ttl, ifindex: got.ifindex },
      { src: lab.ipv4(1), dst: '224.0.0.18', ttl: 255, ifindex: tb.ifindex },
    );
    // Multicast loopback is off: the sender does not hear itself.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.events.filter((e) => e.event === 'packet' && e.t === ta.t).length, 0);
  });

  test('IPv4 unicast to a peer: dst is the peer address, TTL 255', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 4, ifname: 'eth0', unicast: true });
    const tb = await b.call<Opened>('transport.open', { family: 4, ifname: 'eth0', unicast: true });
    assert.equal(tb.group, null);
    await a.call('transport.send', { t: ta.t, hex: 'a1a2a3', dst: lab.ipv4(2) });
    const got = await packet(b, tb.t, 'a1a2a3');
    assert.deepEqual({ src: got.src, dst: got.dst, ttl: got.ttl }, { src: lab.ipv4(1), dst: lab.ipv4(2), ttl: 255 });
  });

  test('IPv4 unicast_src_ip: the IP source is the configured address, not the primary', async () => {
    await lab.exec(1, ['ip', 'addr', 'add', '192.0.2.111/24', 'dev', 'eth0'], { check: true });
    const ta = await a.call<Opened>('transport.open', { family: 4, ifname: 'eth0', unicast: true, sourceAddress: '192.0.2.111' });
    const tb = await b.call<Opened>('transport.open', { family: 4, ifname: 'eth0', unicast: true });
    assert.equal(ta.sourceAddress, '192.0.2.111');
    await a.call('transport.send', { t: ta.t, hex: 'b1b2', dst: lab.ipv4(2) });
    const got = await packet(b, tb.t, 'b1b2');
    assert.equal(got.src, '192.0.2.111');
  });

  test('a group we did not join is not delivered (IP_MULTICAST_ALL = 0)', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 4, ifname: 'eth0', group: '224.0.0.19' });
    const tb18 = await b.call<Opened>('transport.open', { family: 4, ifname: 'eth0' });
    const tb19 = await b.call<Opened>('transport.open', { family: 4, ifname: 'eth0', group: '224.0.0.19' });
    await a.call('transport.send', { t: ta.t, hex: 'c0ffee', dst: '224.0.0.19' });
    const got = await packet(b, tb19.t, 'c0ffee');
    assert.equal(got.dst, '224.0.0.19');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.events.filter((e) => e.event === 'packet' && e.t === tb18.t && e.data === 'c0ffee').length, 0);
  });

  test('IPv6 multicast to ff02::12: src = link-local, hop limit 255, ifindex', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 6, ifname: 'eth0' });
    const tb = await b.call<Opened>('transport.open', { family: 6, ifname: 'eth0' });
    assert.match(ta.sourceAddress, /^fe80::/);
    assert.equal(ta.sourceBound, true);
    assert.equal(ta.group, 'ff02::12');
    await a.call('transport.send', { t: ta.t, hex: '31336401006400000000', dst: 'ff02::12' });
    const got = await packet(b, tb.t, '31336401006400000000');
    assert.deepEqual(
      { src: got.src, dst: got.dst, ttl: got.ttl, ifindex: got.ifindex },
      { src: ta.sourceAddress, dst: 'ff02::12', ttl: 255, ifindex: tb.ifindex },
    );
  });

  test('IPv6 payload bytes reach the peer untouched (the kernel does not write a checksum)', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 6, ifname: 'eth0' });
    const tb = await b.call<Opened>('transport.open', { family: 6, ifname: 'eth0' });
    const payload = '3133640100640000' + '20010db8000000000000000000000100';
    await a.call('transport.send', { t: ta.t, hex: payload, dst: 'ff02::12' });
    assert.equal((await packet(b, tb.t, payload)).data, payload);
  });

  test('IPv6 unicast with unicast_src_ip 2001:db8::(10+i) to a global peer address', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 6, ifname: 'eth0', unicast: true, sourceAddress: lab.ipv6(1) });
    const tb = await b.call<Opened>('transport.open', { family: 6, ifname: 'eth0', unicast: true });
    await a.call('transport.send', { t: ta.t, hex: 'd1d2', dst: lab.ipv6(2) });
    const got = await packet(b, tb.t, 'd1d2');
    assert.deepEqual({ src: got.src, dst: got.dst, ttl: got.ttl }, { src: lab.ipv6(1), dst: lab.ipv6(2), ttl: 255 });
  });

  test('send after close throws TRANSPORT_CLOSED; a missing interface is NO_SUCH_INTERFACE', async () => {
    const ta = await a.call<Opened>('transport.open', { family: 4, ifname: 'eth0' });
    await a.call('transport.close', { t: ta.t });
    await assert.rejects(a.call('transport.send', { t: ta.t, hex: '00', dst: '224.0.0.18' }), { code: 'TRANSPORT_CLOSED' });
    await assert.rejects(a.call('transport.open', { family: 4, ifname: 'nosuch0' }), { code: 'NO_SUCH_INTERFACE' });
  });

  // Regression (bench/failover): a socket opened and closed per gratuitous ARP made every close
  // wait for synchronize_net() (~13 ms) on the event loop: 100 takeovers blocked it for seconds.
  test('gratuitous ARPs go out through one AF_PACKET socket that stays open, not one per ARP', async () => {
    const before = await a.call<number>('packetSockets');
    await a.call('announce', { ifname: 'eth0', address: '192.0.2.200', family: 4 });
    const afterOne = await a.call<number>('packetSockets');
    for (let i = 0; i < 20; i++) await a.call('announce', { ifname: 'eth0', address: '192.0.2.200', family: 4 });
    const afterMany = await a.call<number>('packetSockets');
    assert.equal(afterOne - before, 1, 'one socket opened by the first ARP');
    assert.equal(afterMany, afterOne, 'and reused by the next twenty');
    const counters = await a.call<{ garp: number; errors: number }>('announce', { ifname: 'eth0', address: '192.0.2.200', family: 4 });
    assert.equal(counters.errors, 0);
    assert.ok(counters.garp >= 22);
  });
});
