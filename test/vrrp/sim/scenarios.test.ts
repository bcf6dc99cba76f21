/**
 * keepalived's timings and election rules reproduced on the fake LAN with
 * real instances and the real codec. Link delay is 1 ms unless said.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VrrpSim } from '../../../src/net/fake/sim';
import { SyncGroup, type GroupTransitionEvent } from '../../../src/vrrp/sync-group';

const DELAY = 1;

/** Time the last advert from `router` reached the LAN (its last send + link delay). */
function lastHeardFrom(sim: VrrpSim, router: string): number {
  const sent = sim.lan.sent.filter((s) => s.from === router);
  return sent[sent.length - 1].at + DELAY;
}

describe('failover timing (keepalived.conf(5) preempt_delay example: advert_int 1, priority 128)', () => {
  it('a priority 128 backup takes over 3.5 s after the master goes silent', () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 200 } }, { name: 'b', host: 2, instance: { priority: 128 } }] });
    sim.advance(10_000);
    assert.deepEqual(sim.masters(), ['a']);
    sim.crash('a');
    const silentFrom = lastHeardFrom(sim, 'a');
    sim.advance(10_000);
    const t = sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER');
    assert.equal(t?.at, silentFrom + 3500);
    assert.equal(t?.reason, 'master_down_timer');
  });

  it('preempt_delay 2: a starting priority 128 backup preempts a lower master about 5.5 s after start (3.5 s without)', () => {
    for (const preemptDelayMs of [0, 2000]) {
      const sim = new VrrpSim({
        routers: [{ name: 'low', host: 1, instance: { priority: 100 } }, { name: 'b', host: 2, instance: { priority: 128, preemptDelayMs } }],
        autostart: false,
      });
      sim.start('low');
      sim.advance(10_300);
      assert.deepEqual(sim.masters(), ['low']);
      const t0 = sim.clock.now();
      sim.start('b');
      sim.advance(10_000);
      const t = sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER');
      assert.ok(t);
      const took = t.at - t0;
      if (preemptDelayMs === 0) assert.equal(took, 3500);
      // The delay starts at the first lower-priority advert (within one interval of
      // start); adverts are accepted until it ends, then the down timer runs out.
      else assert.ok(took > 4500 && took <= 5500 + DELAY, `took ${took}`);
      assert.equal(t.reason, 'preempted');
      assert.deepEqual(sim.masters(), ['b']);
    }
  });

  it('v3 skew: priority 200 at 1 s takes over 3218.75 ms after the master goes silent (no truncation)', () => {
    const sim = new VrrpSim({
      routers: [{ name: 'a', host: 1, instance: { priority: 250 } }, { name: 'b', host: 2, instance: { priority: 200 } }],
      defaults: { version: 3 },
    });
    sim.advance(5000);
    sim.crash('a');
    const silentFrom = lastHeardFrom(sim, 'a');
    sim.advance(5000);
    assert.equal(sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER')?.at, silentFrom + 3218.75);
  });

  it('priority 0 release: the backup takes over after its skew time', async () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 200 } }, { name: 'b', host: 2, instance: { priority: 128 } }] });
    sim.advance(5000);
    const t0 = sim.clock.now();
    await sim.stop('a');
    assert.equal(sim.lan.sent.at(-1)?.from, 'a');
    sim.advance(2000);
    const t = sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER');
    assert.equal(t?.at, t0 + DELAY + 500);
    assert.equal(t?.reason, 'priority_zero');
    assert.equal(sim.instance('b').status().counters.pri_zero_rcvd, 1);
  });

  it('v3 100 ms adverts: takeover 3 x 100 ms + skew; a 1 s backup learns the master interval', () => {
    const sim = new VrrpSim({
      routers: [
        { name: 'a', host: 1, instance: { priority: 200, advertIntervalMs: 100 } },
        { name: 'b', host: 2, instance: { priority: 100, advertIntervalMs: 1000 } },
      ],
      defaults: { version: 3 },
    });
    sim.advance(5000);
    assert.deepEqual(sim.masters(), ['a']);
    assert.equal(sim.instance('b').status().masterAdverIntervalMs, 100);
    assert.equal(sim.instance('b').status().masterDownIntervalMs, 300 + 60.937);
    sim.crash('a');
    const silentFrom = lastHeardFrom(sim, 'a');
    sim.advance(2000);
    assert.equal(sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER')?.at, silentFrom + 360.937);
  });
});

describe('election rules', () => {
  it('equal priority: started together the higher address wins; a running master is not preempted', () => {
    const both = new VrrpSim({ routers: [{ name: 'a', host: 10, instance: { priority: 100 } }, { name: 'b', host: 9, instance: { priority: 100 } }] });
    both.advance(20_000);
    assert.deepEqual(both.masters(), ['a']);
    // Both time out at the same instant; b sees a's equal-priority advert from a higher address.
    assert.equal(both.firstTransition((x) => x.router === 'b' && x.from === 'MASTER')?.reason, 'equal_priority_higher_address');
    const later = new VrrpSim({ routers: [{ name: 'a', host: 10, instance: { priority: 100 } }, { name: 'b', host: 9, instance: { priority: 100 } }], autostart: false });
    later.start('b');
    later.advance(1000);
    later.start('a');
    later.advance(20_000);
    // RFC 5798 §6.4.2: a backup accepts an advert with priority >= its own - no preemption on a tie.
    assert.deepEqual(later.masters(), ['b']);
  });

  it('owner (255) is MASTER at once and preempts a running master', () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 100 } }, { name: 'owner', host: 2, instance: { priority: 255 } }], autostart: false });
    sim.start('a');
    sim.advance(10_000);
    sim.start('owner');
    assert.deepEqual(sim.masters().sort(), ['a', 'owner']);
    sim.advance(DELAY);
    assert.deepEqual(sim.masters(), ['owner']);
    const t = sim.firstTransition((x) => x.router === 'owner' && x.to === 'MASTER');
    assert.equal(t?.reason, 'owner');
    assert.equal(t?.at, 10_000);
  });

  it('nopreempt: a restarted higher priority router stays BACKUP', () => {
    const sim = new VrrpSim({
      routers: [{ name: 'hi', host: 1, instance: { priority: 200, nopreempt: true } }, { name: 'lo', host: 2, instance: { priority: 100 } }],
    });
    sim.advance(5000);
    assert.deepEqual(sim.masters(), ['hi']);
    sim.crash('hi');
    sim.advance(5000);
    assert.deepEqual(sim.masters(), ['lo']);
    sim.start('hi');
    sim.advance(30_000);
    assert.deepEqual(sim.masters(), ['lo']);
  });

  it('a master with a lower priority than a preempting backup logs keepalived words and gets the notify event', () => {
    const sim = new VrrpSim({
      routers: [{ name: 'hi', host: 1, instance: { priority: 200 } }, { name: 'lo', host: 2, instance: { priority: 100 } }],
      keepLogs: true,
      autostart: false,
    });
    sim.start('lo');
    sim.advance(5000);
    const lowerEvents: unknown[] = [];
    sim.instance('lo').onNotify((e) => lowerEvents.push(e));
    sim.start('hi'); // hi starts BACKUP, discards lo's adverts, times out, becomes MASTER
    sim.advance(10_000);
    assert.deepEqual(sim.masters(), ['hi']);
    const msgs = sim.logs.map((r) => r.msg);
    assert.ok(msgs.includes('(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding'));
    assert.ok(msgs.includes('(VI_1) Master received advert from 192.0.2.1 with higher priority 200, ours 100'));
    assert.equal(lowerEvents.length, 0);
    // lo stops hearing hi (one-way loss) and becomes MASTER: hi hears a lower
    // priority master and forces a new election at once.
    sim.lan.setLink('hi', 'lo', { loss: 1 }, true);
    sim.advance(10_000);
    assert.deepEqual(sim.masters().sort(), ['hi', 'lo']);
    sim.instance('hi').onNotify((e) => lowerEvents.push(e));
    sim.advance(1000);
    sim.lan.setLink('hi', 'lo', { loss: 0 }, true);
    sim.advance(2000);
    assert.deepEqual(sim.masters(), ['hi']);
    assert.ok(sim.logs.some((r) => r.msg === '(VI_1) Received advert from 192.0.2.2 with lower priority 100, ours 200, forcing new election'));
    assert.ok(lowerEvents.some((e) => (e as { event: string }).event === 'master_rx_lower_pri'));
  });

  it('tracker weight lowers the master below the backup: the backup preempts', () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 150 } }, { name: 'b', host: 2, instance: { priority: 120 } }] });
    sim.advance(5000);
    sim.instance('a').setTracker('chk_http', { weight: -50, failed: true });
    assert.equal(sim.instance('a').status().effectivePriority, 100);
    sim.advance(5000);
    assert.deepEqual(sim.masters(), ['b']);
    sim.instance('a').setTracker('chk_http', { weight: -50, failed: false });
    sim.advance(5000);
    assert.deepEqual(sim.masters(), ['a']);
  });
});

describe('VIPs and announcements', () => {
  it('the master holds the VIP, announces 5 at once and 5 more after 5 s; demotion releases it', async () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 100 } }, { name: 'b', host: 2, instance: { priority: 200 } }], autostart: false });
    sim.start('a');
    await sim.settle(4000);
    assert.deepEqual(sim.lan.holders('198.51.100.1'), ['a']);
    const becameAt = sim.firstTransition((x) => x.to === 'MASTER')!.at;
    const burst = (at: number) => sim.lan.announcements.filter((x) => x.at === at && x.node === 'a').length;
    assert.equal(burst(becameAt), 5);
    await sim.settle(6000);
    assert.equal(burst(becameAt + 5000), 5);
    sim.start('b');
    await sim.settle(5000);
    assert.deepEqual(sim.masters(), ['b']);
    assert.deepEqual(sim.lan.holders('198.51.100.1'), ['b']);
    assert.equal(sim.lan.arpOwner('198.51.100.1'), 'b');
  });

  it('a VIP removed by someone else while MASTER is re-added and announced', async () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 255 } }] });
    await sim.settle(100);
    const node = sim.lan.node('a');
    assert.equal(node.addresses.removeExternally('198.51.100.1'), true);
    assert.deepEqual(sim.lan.holders('198.51.100.1'), []);
    const before = sim.lan.announcements.length;
    sim.instance('a').addressRemoved('198.51.100.1');
    await sim.settle(0);
    assert.deepEqual(sim.lan.holders('198.51.100.1'), ['a']);
    assert.equal(sim.lan.announcements.length - before, 5);
  });

  it('fault (link down) on the master: priority 0, VIPs removed, backup takes over after skew', async () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 200 } }, { name: 'b', host: 2, instance: { priority: 100 } }] });
    await sim.settle(5000);
    const t0 = sim.clock.now();
    sim.instance('a').fault(true, 'link');
    await sim.settle(0);
    assert.equal(sim.instance('a').state, 'FAULT');
    assert.deepEqual(sim.instance('a').status().faults, ['link']);
    assert.deepEqual(sim.lan.holders('198.51.100.1'), []);
    await sim.settle(1000);
    assert.equal(sim.firstTransition((x) => x.router === 'b' && x.to === 'MASTER')?.at, t0 + DELAY + (156 * 1000) / 256);
    sim.instance('a').fault(false, 'link');
    await sim.settle(10_000);
    assert.deepEqual(sim.masters(), ['a']);
  });
});

describe('sync groups', () => {
  it('members fail over together; one member fault takes the group to FAULT', () => {
    const sim = new VrrpSim({
      routers: [{ name: 'r1', host: 1, instance: { priority: 200 } }, { name: 'r2', host: 2, instance: { priority: 100 } }],
      vrids: [1, 2],
      autostart: false,
    });
    const events: GroupTransitionEvent[] = [];
    sim.start('r1');
    sim.start('r2');
    const g1 = new SyncGroup('G', [sim.instance('r1', 1), sim.instance('r1', 2)], undefined, () => sim.clock.now());
    const g2 = new SyncGroup('G', [sim.instance('r2', 1), sim.instance('r2', 2)]);
    g1.onTransition((e) => events.push(e));
    sim.advance(5000);
    assert.deepEqual([sim.masters(1), sim.masters(2)], [['r1'], ['r1']]);
    assert.equal(g1.state, 'MASTER');
    assert.equal(g2.state, 'BACKUP');
    sim.instance('r1', 1).setTracker('chk', { weight: 0, failed: true });
    assert.equal(sim.instance('r1', 1).state, 'FAULT');
    assert.equal(sim.instance('r1', 2).state, 'FAULT');
    assert.equal(g1.state, 'FAULT');
    sim.advance(2000);
    assert.deepEqual([sim.masters(1), sim.masters(2)], [['r2'], ['r2']]);
    assert.equal(g2.state, 'MASTER');
    sim.instance('r1', 1).setTracker('chk', { weight: 0, failed: false });
    assert.equal(sim.instance('r1', 2).state, 'BACKUP');
    sim.advance(10_000);
    assert.deepEqual([sim.masters(1), sim.masters(2)], [['r1'], ['r1']]);
    assert.deepEqual(events.map((e) => e.to), ['MASTER', 'FAULT', 'BACKUP', 'MASTER']);
  });

  it('a member pulled to BACKUP takes its group along; the group prefers BACKUP to thrashing', () => {
    // r2 runs only VRID 1, with a higher priority: r1's VI_1 yields, VI_2 follows
    // to BACKUP and, since VI_1 does not want MASTER, VI_2 is held in BACKUP.
    const sim = new VrrpSim({
      routers: [{ name: 'r1', host: 1, instance: { priority: 100 } }, { name: 'r2', host: 2, instance: { priority: 150 } }],
      vrids: [1, 2],
      autostart: false,
    });
    sim.start('r1');
    const g = new SyncGroup('G', [sim.instance('r1', 1), sim.instance('r1', 2)]);
    sim.advance(10_000);
    assert.deepEqual([sim.masters(1), sim.masters(2)], [['r1'], ['r1']]);
    assert.equal(g.state, 'MASTER');
    sim.start('r2');
    void sim.instance('r2', 2).stop(); // r2 does not run VRID 2
    sim.advance(30_000);
    assert.deepEqual(sim.masters(1), ['r2']);
    assert.deepEqual(sim.masters(2), []);
    assert.equal(sim.instance('r1', 2).state, 'BACKUP');
    assert.equal(sim.instance('r1', 2).wantMaster, true);
    assert.equal(g.state, 'BACKUP');
    const r1v2 = sim.transitions.filter((t) => t.router === 'r1' && t.vrid === 2).map((t) => `${t.to}:${t.reason}`);
    assert.deepEqual(r1v2, ['BACKUP:startup', 'MASTER:master_down_timer', 'BACKUP:sync_group']);
  });
});

describe('instance status and counters', () => {
  it('counts adverts, transitions and priority-0 adverts', async () => {
    const sim = new VrrpSim({ routers: [{ name: 'a', host: 1, instance: { priority: 200 } }, { name: 'b', host: 2, instance: { priority: 100 } }] });
    sim.advance(10_000);
    const a = sim.instance('a').status();
    const b = sim.instance('b').status();
    assert.equal(a.state, 'MASTER');
    assert.equal(a.counters.become_master, 1);
    assert.equal(b.masterAddress, '192.0.2.1');
    assert.equal(b.masterPriority, 200);
    assert.equal(b.counters.advert_rcvd, a.counters.advert_sent);
    await sim.stop('a');
    assert.equal(sim.instance('b').status().counters.pri_zero_rcvd, 0); // in flight
    sim.advance(DELAY);
    assert.equal(sim.instance('b').status().counters.pri_zero_rcvd, 1);
    await sim.stop('b');
    await sim.stop('b'); // idempotent
  });
});
