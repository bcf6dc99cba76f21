/** An elected VrrpInstance on its ports: grants, kernel lifetimes for the VIPs, resign, and the candidacy report. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/core/clock';
import type { AddressManager, VipSpec } from '../../src/net/ports';
import { makeInstanceSettings, VrrpInstance } from '../../src/vrrp/instance';
import { reportCandidacy, silentTransport, type Candidacy } from '../../src/daemon/vrrp-process/election-instance';

const VIP: VipSpec = { address: '192.0.2.100', family: 4, prefixLength: 24, ifname: 'eth0' };

class RecordingAddresses implements AddressManager {
  readonly ops: string[] = [];
  readonly held = new Set<string>();
  async add(v: VipSpec) {
    this.ops.push(`add ${v.address}`);
    const changed = !this.held.has(v.address);
    this.held.add(v.address);
    return { changed };
  }
  async remove(v: VipSpec) {
    this.ops.push(`remove ${v.address}`);
    return { changed: this.held.delete(v.address) };
  }
  async has(v: VipSpec) {
    return this.held.has(v.address);
  }
  async setLifetime(v: VipSpec, s: number) {
    this.ops.push(`lifetime ${v.address} ${s}`);
  }
}

function setup() {
  const clock = new VirtualClock(10_000);
  const addresses = new RecordingAddresses();
  const inst = new VrrpInstance({
    settings: makeInstanceSettings({ name: 'VI_1', vrid: 0, ifname: 'eth0', vips: [VIP], election: true, priority: 150 }),
    clock,
    transport: silentTransport('eth0', 4, '192.0.2.11'),
    addresses,
    announcer: { announce: () => undefined },
  });
  const reports: Candidacy[] = [];
  reportCandidacy(inst, (c) => reports.push(c));
  return { clock, addresses, inst, reports };
}

const settle = () => new Promise((r) => setImmediate(r));

test('elected instance: a grant adds the VIP with a kernel lifetime ending before the grant; renewals extend it; the end drops it', async () => {
  const { clock, addresses, inst, reports } = setup();
  inst.start();
  assert.deepEqual(reports, [{ priority: 150, fault: false, state: 'BACKUP' }]);
  clock.advance(5000);
  assert.equal(inst.state, 'BACKUP', 'no Master_Down_Timer: BACKUP until a grant comes');
  inst.grant(clock.now() + 2700);
  await settle();
  assert.equal(inst.state, 'MASTER');
  assert.deepEqual(addresses.ops.slice(-2), ['add 192.0.2.100', 'lifetime 192.0.2.100 2'], '(2700 - 250) ms: 2 whole seconds');
  clock.advance(900);
  inst.grant(clock.now() + 1700);
  await settle();
  assert.deepEqual(addresses.ops.slice(-1), ['lifetime 192.0.2.100 1']);
  clock.advance(1699);
  assert.equal(inst.state, 'MASTER');
  clock.advance(1);
  await settle();
  assert.equal(inst.state, 'BACKUP', 'dropped at the grant end by its own timer');
  assert.deepEqual(addresses.ops.slice(-1), ['remove 192.0.2.100']);
  assert.deepEqual(reports.map((r) => r.state), ['BACKUP', 'MASTER', 'BACKUP']);
});

test('elected instance: resign resolves once the VIP is removed; a grant shorter than the kernel can express sets no lifetime', async () => {
  const { clock, addresses, inst } = setup();
  inst.start();
  inst.grant(clock.now() + 1100);
  await settle();
  assert.deepEqual(addresses.ops, ['remove 192.0.2.100', 'add 192.0.2.100'], 'a stale VIP removed at start, then added; no lifetime under 1 s');
  await inst.resign();
  assert.equal(inst.state, 'BACKUP');
  assert.equal(addresses.held.size, 0);
});

test('elected instance: a tracker failure is FAULT in the candidacy report, and the VIP goes at once', async () => {
  const { clock, addresses, inst, reports } = setup();
  inst.start();
  inst.grant(clock.now() + 5000);
  await settle();
  inst.setTracker('script chk', { kind: 'script', weight: 0, failed: true } as never);
  await settle();
  assert.equal(inst.state, 'FAULT');
  assert.equal(addresses.held.size, 0);
  assert.deepEqual(reports.at(-1), { priority: 150, fault: true, state: 'FAULT' });
});
