/** The VRRP state machine in election mode: MASTER only while a grant runs. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initialData, step, type Effect, type FsmConfig, type FsmData, type FsmEvent } from '../../src/vrrp/fsm';

const C: FsmConfig = {
  name: 'VI_1', version: 2, sourceAddress: '192.0.2.11', advertIntervalMs: 1000, nopreempt: false, preemptDelayMs: 0,
  lowerPrioNoAdvert: false, higherPrioSendAdvert: false, downTimerAdverts: 3, election: true,
};

function run(events: [number, FsmEvent][], d: FsmData = initialData(C, 100)): { d: FsmData; fx: Effect[] } {
  const fx: Effect[] = [];
  for (const [t, ev] of events) {
    const r = step(C, d, ev, t);
    d = r.data;
    fx.push(...r.effects);
  }
  return { d, fx };
}

const kinds = (fx: Effect[]) => fx.filter((e) => e.type !== 'log').map((e) => (e.type === 'armTimer' || e.type === 'cancelTimer' ? `${e.type}:${e.timer}` : e.type === 'transition' ? `${e.from}>${e.to}:${e.reason}` : e.type));

describe('election mode of the state machine', () => {
  test('BACKUP waits for a grant: no Master_Down_Timer, no advert, ever', () => {
    const { d, fx } = run([[0, { type: 'startup' }]]);
    assert.equal(d.state, 'BACKUP');
    assert.equal(d.masterDownAt, null);
    assert.ok(!fx.some((e) => e.type === 'sendAdvert' || e.type === 'armTimer'));
  });

  test('a grant takes BACKUP to MASTER (VIPs, announcements) with the grant timer at its end, and no adverts', () => {
    const { d, fx } = run([[10, { type: 'grant', until: 2000 }]], run([[0, { type: 'startup' }]]).d);
    assert.equal(d.state, 'MASTER');
    assert.equal(d.grantUntil, 2000);
    assert.equal(d.advertAt, null);
    assert.deepEqual(kinds(fx), ['addVips', 'startAnnounce', 'BACKUP>MASTER:election_won', 'armTimer:grant']);
    assert.ok(!fx.some((e) => e.type === 'sendAdvert'));
  });

  test('a renewal moves the end; the end drops the VIPs by itself; a stale end timer does nothing', () => {
    let r = run([[0, { type: 'startup' }], [10, { type: 'grant', until: 2000 }], [600, { type: 'grant', until: 2600 }]]);
    assert.equal(r.d.grantUntil, 2600);
    r = run([[2000, { type: 'grantEnd' }]], r.d);
    assert.equal(r.d.state, 'MASTER', 'the superseded end changes nothing');
    r = run([[2600, { type: 'grantEnd' }]], r.d);
    assert.equal(r.d.state, 'BACKUP');
    assert.deepEqual(kinds(r.fx), ['stopAnnounce', 'removeVips', 'MASTER>BACKUP:election_lost', 'cancelTimer:grant']);
  });

  test('a grant already run out is no grant; resign drops at once', () => {
    let r = run([[0, { type: 'startup' }], [3000, { type: 'grant', until: 2000 }]]);
    assert.equal(r.d.state, 'BACKUP');
    r = run([[3001, { type: 'grant', until: 9000 }], [3002, { type: 'resign' }]], r.d);
    assert.equal(r.d.state, 'BACKUP');
    assert.equal(r.d.grantUntil, null);
  });

  test('FAULT: VIPs go without a priority 0 advert, and no grant is taken until the fault clears', () => {
    let r = run([[0, { type: 'startup' }], [10, { type: 'grant', until: 5000 }], [20, { type: 'fault', on: true }]]);
    assert.equal(r.d.state, 'FAULT');
    assert.ok(!r.fx.some((e) => e.type === 'sendAdvert'));
    r = run([[30, { type: 'grant', until: 5000 }]], r.d);
    assert.equal(r.d.state, 'FAULT');
    r = run([[40, { type: 'fault', on: false }], [50, { type: 'grant', until: 5000 }]], r.d);
    assert.equal(r.d.state, 'MASTER');
  });

  test('shutdown of an elected MASTER: VIPs go, no advert', () => {
    const r = run([[0, { type: 'startup' }], [10, { type: 'grant', until: 5000 }], [20, { type: 'shutdown' }]]);
    assert.equal(r.d.state, 'STOP');
    assert.ok(!r.fx.some((e) => e.type === 'sendAdvert'));
    assert.ok(r.fx.some((e) => e.type === 'removeVips'));
  });

  test('a non-elected instance refuses grants (logged as a bug)', () => {
    const c = { ...C, election: false };
    const r = step(c, step(c, initialData(c, 100), { type: 'startup' }, 0).data, { type: 'grant', until: 5000 }, 1);
    assert.equal(r.data.state, 'BACKUP');
    assert.ok(r.effects.some((e) => e.type === 'log' && /BUG/.test(e.msg)));
  });
});
