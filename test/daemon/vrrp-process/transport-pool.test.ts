import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransportPool, type PoolKey } from '../../../src/daemon/vrrp-process/transport-pool';
import type { ReceivedPacket, VrrpTransport } from '../../../src/net/ports';

function fakeFactory() {
  const made: { key: PoolKey; sent: [Buffer, string][]; deliver: (p: ReceivedPacket) => void; closed: boolean }[] = [];
  const factory = (key: PoolKey): VrrpTransport => {
    const rec = { key, sent: [] as [Buffer, string][], deliver: (_p: ReceivedPacket) => {}, closed: false };
    made.push(rec);
    return {
      family: key.family,
      ifname: key.ifname,
      sourceAddress: '192.0.2.1',
      send: (b, d) => rec.sent.push([b, d]),
      onPacket: (cb) => (rec.deliver = cb),
      close: () => (rec.closed = true),
    };
  };
  return { made, factory };
}

const pkt = (vrid: number): ReceivedPacket => ({ data: Buffer.from([0x21, vrid, 100, 1]), src: '192.0.2.2', dst: '224.0.0.18', ttl: 255, ifindex: 2 });

test('instances on one link share one socket and only see their VRID', () => {
  const { made, factory } = fakeFactory();
  const pool = new TransportPool(factory);
  const key: PoolKey = { ifname: 'eth0', family: 4, mode: '224.0.0.18', src: '192.0.2.1' };
  const a = pool.acquire(key, 51);
  const b = pool.acquire(key, 52);
  assert.equal(made.length, 1);
  const gotA: number[] = [];
  const gotB: number[] = [];
  a.onPacket((p) => gotA.push(p.data[1]));
  b.onPacket((p) => gotB.push(p.data[1]));
  made[0].deliver(pkt(51));
  made[0].deliver(pkt(52));
  made[0].deliver(pkt(53));
  made[0].deliver({ ...pkt(1), data: Buffer.alloc(1) });
  assert.deepEqual(gotA, [51]);
  assert.deepEqual(gotB, [52]);
  assert.equal(pool.unknownVrid, 2);
});

test('the shared socket closes with its last view; a closed view sends nothing', () => {
  const { made, factory } = fakeFactory();
  const pool = new TransportPool(factory);
  const key: PoolKey = { ifname: 'eth0', family: 6, mode: 'ff02::12', src: 'fe80::1' };
  const a = pool.acquire(key, 1);
  const b = pool.acquire(key, 2);
  a.close();
  a.close();
  a.send(Buffer.from([1]), 'ff02::12');
  assert.equal(made[0].sent.length, 0);
  assert.equal(made[0].closed, false);
  b.close();
  assert.equal(made[0].closed, true);
  assert.equal(pool.size(), 0);
  pool.acquire(key, 1);
  assert.equal(made.length, 2, 'a new socket after the old one closed');
});

test('different families or modes get different sockets', () => {
  const { made, factory } = fakeFactory();
  const pool = new TransportPool(factory);
  pool.acquire({ ifname: 'eth0', family: 4, mode: '224.0.0.18', src: '192.0.2.1' }, 1);
  pool.acquire({ ifname: 'eth0', family: 6, mode: 'ff02::12', src: 'fe80::1' }, 1);
  pool.acquire({ ifname: 'eth0', family: 4, mode: 'unicast', src: '192.0.2.1' }, 1);
  assert.equal(made.length, 3);
});
