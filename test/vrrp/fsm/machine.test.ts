import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareAddresses,
  type Effect,
  type FsmConfig,
  type FsmData,
  type FsmEvent,
  initialData,
  masterDownIntervalMs,
  skewTimeMs,
  step,
} from '../../../src/vrrp/fsm';

function cfg(over: Partial<FsmConfig> = {}): FsmConfig {
  return {
    name: 'VI_1',
    version: 3,
    sourceAddress: '192.0.2.10',
    advertIntervalMs: 1000,
    nopreempt: false,
    preemptDelayMs: 0,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    downTimerAdverts: 3,
    ...over,
  };
}

/** Run events in order; returns the final data and all effects. */
function run(c: FsmConfig, prio: number, events: [number, FsmEvent][], start?: FsmData): { d: FsmData; fx: Effect[]; last: Effect[] } {
  let d = start ?? initialData(c, prio);
  const fx: Effect[] = [];
  let last: Effect[] = [];
  for (const [t, ev] of events) {
    const r = step(c, d, ev, t);
    d = r.data;
    last = r.effects;
    fx.push(...r.effects);
  }
  return { d, fx, last };
}

const types = (fx: Effect[]) => fx.filter((e) => e.type !== 'log').map((e) => e.type);
const logs = (fx: Effect[]) => fx.flatMap((e) => (e.type === 'log' ? [e.msg] : []));
const adv = (src: string, priority: number, adverIntervalMs = 1000): FsmEvent => ({ type: 'advert', src, priority, adverIntervalMs });

describe('timers (RFC 3768/5798 §6.1, keepalived VRRP_TIMER_SKEW)', () => {
  it('skew time v3 prio 200 at 1 s is 218.75 ms, not truncated', () => {
    assert.equal(skewTimeMs(3, 200, 1000), 218.75);
  });
  it('skew time v2 is (256-prio)/256 s', () => {
    assert.equal(skewTimeMs(2, 128, 1000), 500);
    assert.equal(skewTimeMs(2, 100, 1000), 609.375);
    assert.equal(skewTimeMs(2, 254, 3000), 7.812);
  });
  it('skew time v3 scales with the master advert interval', () => {
    assert.equal(skewTimeMs(3, 128, 100), 50);
    assert.equal(skewTimeMs(3, 100, 100), 60.937);
  });
  it('master down interval = down_timer_adverts x interval + skew', () => {
    assert.equal(masterDownIntervalMs(2, 128, 1000), 3500);
    assert.equal(masterDownIntervalMs(3, 200, 1000), 3218.75);
    assert.equal(masterDownIntervalMs(3, 128, 1000, 5), 5500);
  });
  it('compares addresses numerically', () => {
    assert.equal(compareAddresses('192.0.2.9', '192.0.2.10'), -1);
    assert.equal(compareAddresses('192.0.2.10', '192.0.2.9'), 1);
    assert.equal(compareAddresses('2001:db8::2', '2001:db8::1:0'), -1);
    assert.equal(compareAddresses('fe80::1', 'fe80:0::1'), 0);
  });
});

describe('startup', () => {
  it('a non-owner removes stale VIPs, enters BACKUP and arms the master down timer', () => {
    const { d, fx } = run(cfg({ version: 2 }), 128, [[0, { type: 'startup' }]]);
    assert.equal(d.state, 'BACKUP');
    assert.equal(d.masterDownAt, 3500);
    assert.deepEqual(types(fx), ['removeVips', 'transition', 'armTimer']);
    assert.deepEqual(fx.find((e) => e.type === 'transition'), { type: 'transition', from: 'INIT', to: 'BACKUP', priority: 128, reason: 'startup' });
    assert.deepEqual(logs(fx), ['(VI_1) removing VIPs.', '(VI_1) Entering BACKUP STATE (init)']);
  });
  it('the address owner (255) goes straight to MASTER: advert, VIPs, announcements', () => {
    const { d, fx } = run(cfg(), 255, [[0, { type: 'startup' }]]);
    assert.equal(d.state, 'MASTER');
    assert.deepEqual(types(fx), ['sendAdvert', 'addVips', 'startAnnounce', 'transition', 'armTimer']);
    assert.deepEqual(fx[0], { type: 'sendAdvert', priority: 255 });
    assert.deepEqual(fx.at(-1), { type: 'armTimer', timer: 'advert', at: 1000 });
  });
  it('a faulty instance starts in FAULT', () => {
    const c = cfg();
    let d = initialData(c, 100);
    d = step(c, d, { type: 'fault', on: true }, 0).data;
    const r = step(c, d, { type: 'startup' }, 0);
    assert.equal(r.data.state, 'FAULT');
    assert.equal(r.data.masterDownAt, null);
    assert.ok(r.effects.some((e) => e.type === 'removeVips'), 'stale VIPs removed coming up in FAULT');
  });
});

describe('backup', () => {
  const c = cfg();
  it('times out to MASTER after the master down interval', () => {
    const { d, fx } = run(c, 200, [
      [0, { type: 'startup' }],
      [3218.75, { type: 'masterDownTimer' }],
    ]);
    assert.equal(d.state, 'MASTER');
    assert.ok(logs(fx).includes('(VI_1) Entering MASTER STATE'));
    const tr = fx.filter((e) => e.type === 'transition').at(-1);
    assert.deepEqual(tr, { type: 'transition', from: 'BACKUP', to: 'MASTER', priority: 200, reason: 'master_down_timer' });
  });
  it('an equal or higher priority advert resets the down timer', () => {
    const { d } = run(c, 100, [
      [0, { type: 'startup' }],
      [1000, adv('192.0.2.1', 100)],
    ]);
    assert.equal(d.masterDownAt, 1000 + 3000 + 609.375);
    assert.equal(d.masterAddress, '192.0.2.1');
  });
  it('v3: learns the master advert interval from its adverts', () => {
    const { d } = run(c, 100, [
      [0, { type: 'startup' }],
      [500, adv('192.0.2.1', 150, 100)],
    ]);
    assert.equal(d.masterAdverIntervalMs, 100);
    assert.equal(d.masterDownAt, 500 + 300 + 60.937);
  });
  it('v2: keeps its own interval', () => {
    const { d } = run(cfg({ version: 2 }), 100, [
      [0, { type: 'startup' }],
      [500, adv('192.0.2.1', 150, 2000)],
    ]);
    assert.equal(d.masterAdverIntervalMs, 1000);
  });
  it('priority 0 from the master sets the down timer to skew time', () => {
    const { d, fx } = run(c, 128, [
      [0, { type: 'startup' }],
      [1000, adv('192.0.2.1', 200)],
      [1500, adv('192.0.2.1', 0)],
      [2000, { type: 'masterDownTimer' }],
    ]);
    assert.equal(d.state, 'MASTER');
    // skew time of priority 128 at 1 s: 500 ms after the priority-0 advert.
    const arms = fx.filter((e) => e.type === 'armTimer' && e.timer === 'masterDown');
    assert.deepEqual(arms.at(-1), { type: 'armTimer', timer: 'masterDown', at: 2000 });
    const tr = fx.filter((e) => e.type === 'transition').at(-1);
    assert.equal(tr?.type === 'transition' ? tr.reason : '', 'priority_zero');
  });
  it('discards a lower priority advert (preempt): the timer keeps running', () => {
    const { d, last } = run(c, 150, [
      [0, { type: 'startup' }],
      [1000, adv('192.0.2.1', 100)],
    ]);
    assert.equal(d.masterDownAt, 3414.062);
    assert.deepEqual(logs(last), ['(VI_1) received lower priority (100) advert from 192.0.2.1 - discarding']);
    assert.equal(d.nextMasterReason, 'preempted');
  });
  it('nopreempt accepts a lower priority master', () => {
    const { d } = run(cfg({ nopreempt: true }), 150, [
      [0, { type: 'startup' }],
      [1000, adv('192.0.2.1', 100)],
    ]);
    assert.equal(d.masterDownAt, 4414.062);
  });
  it('an equal priority advert from a lower address is accepted (no preemption on ties)', () => {
    const { d } = run(c, 100, [
      [0, { type: 'startup' }],
      [1000, adv('192.0.2.1', 100)],
    ]);
    assert.equal(d.state, 'BACKUP');
    assert.equal(d.masterDownAt, 4000 + 609.375);
  });
  it('preempt_delay: accepts lower priority adverts until the delay has passed since the first one', () => {
    const c2 = cfg({ version: 2, preemptDelayMs: 2000 });
    const { d } = run(c2, 128, [
      [0, { type: 'startup' }],
      [1000, adv('192.0.2.1', 100)], // starts the preempt delay: until 3000
      [2000, adv('192.0.2.1', 100)], // accepted: down timer 2000 + 3500
      [3000, adv('192.0.2.1', 100)], // delay over: discarded
      [4000, adv('192.0.2.1', 100)],
    ]);
    assert.equal(d.preemptAt, 3000);
    assert.equal(d.masterDownAt, 5500);
  });
  it('a priority change moves the running down timer by the change in skew', () => {
    const { d } = run(cfg({ version: 2 }), 128, [
      [0, { type: 'startup' }],
      [100, { type: 'priority', priority: 192 }],
    ]);
    assert.equal(d.effectivePriority, 192);
    assert.equal(d.masterDownAt, 3250);
  });
});

describe('master', () => {
  const c = cfg();
  const master = (prio: number, cc = c) =>
    run(cc, prio, [
      [0, { type: 'startup' }],
      [3500, { type: 'masterDownTimer' }],
    ]).d;

  it('sends an advert on each advert timer', () => {
    const r = step(c, master(100), { type: 'advertTimer' }, 4500);
    assert.deepEqual(types(r.effects), ['sendAdvert', 'armTimer']);
    assert.deepEqual(r.effects.at(-1), { type: 'armTimer', timer: 'advert', at: 5500 });
  });
  it('yields to a higher priority advert without sending priority 0', () => {
    const r = step(c, master(100), adv('192.0.2.1', 150, 100), 4000);
    assert.equal(r.data.state, 'BACKUP');
    assert.ok(!r.effects.some((e) => e.type === 'sendAdvert'));
    assert.deepEqual(types(r.effects), ['stopAnnounce', 'removeVips', 'transition', 'cancelTimer', 'armTimer']);
    assert.deepEqual(logs(r.effects), ['(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100', '(VI_1) Entering BACKUP STATE', '(VI_1) removing VIPs.']);
    // v3: Master_Adver_Interval learnt from the new master.
    assert.equal(r.data.masterDownAt, 4000 + 300 + 60.937);
  });
  it('higher_prio_send_advert: sends one advert before yielding', () => {
    const c2 = cfg({ higherPrioSendAdvert: true });
    const r = step(c2, master(100, c2), adv('192.0.2.1', 150), 4000);
    assert.equal(r.data.state, 'BACKUP');
    assert.deepEqual(r.effects[0], { type: 'sendAdvert', priority: 100 });
  });
  it('equal priority from a higher address: becomes BACKUP', () => {
    const r = step(c, master(100), adv('192.0.2.200', 100), 4000);
    assert.equal(r.data.state, 'BACKUP');
    assert.ok(logs(r.effects).includes('(VI_1) Master received advert from 192.0.2.200 with same priority 100 but higher IP address than ours'));
  });
  it('equal priority from a lower address: stays MASTER and forces a new election', () => {
    const r = step(c, master(100), adv('192.0.2.3', 100), 4000);
    assert.equal(r.data.state, 'MASTER');
    assert.deepEqual(types(r.effects), ['sendAdvert', 'masterRxLowerPri']);
  });
  it('lower priority: advert at once and the notify_master_rx_lower_pri event', () => {
    const r = step(c, master(100), adv('192.0.2.99', 50), 4000);
    assert.equal(r.data.state, 'MASTER');
    assert.deepEqual(r.effects.filter((e) => e.type !== 'log'), [
      { type: 'sendAdvert', priority: 100 },
      { type: 'masterRxLowerPri', src: '192.0.2.99', priority: 50 },
    ]);
    assert.deepEqual(logs(r.effects), ['(VI_1) Received advert from 192.0.2.99 with lower priority 50, ours 100, forcing new election']);
  });
  it('lower_prio_no_advert: no advert, still the notify event', () => {
    const c2 = cfg({ lowerPrioNoAdvert: true });
    const r = step(c2, master(100, c2), adv('192.0.2.99', 50), 4000);
    assert.deepEqual(types(r.effects), ['masterRxLowerPri']);
    assert.deepEqual(logs(r.effects), ['(VI_1) Received advert from 192.0.2.99 with lower priority 50, ours 100']);
  });
  it('priority 0 from another router: answers with an advert and resets the advert timer', () => {
    const r = step(c, master(100), adv('192.0.2.99', 0), 4000);
    assert.equal(r.data.state, 'MASTER');
    assert.deepEqual(types(r.effects), ['sendAdvert', 'armTimer']);
  });
  it('two owners: the local one lowers itself to 254', () => {
    const d = run(c, 255, [[0, { type: 'startup' }]]).d;
    const r = step(c, d, adv('192.0.2.200', 255), 10);
    assert.equal(r.data.effectivePriority, 254);
    assert.equal(r.data.state, 'BACKUP');
  });
  it('fault: sends priority 0, removes VIPs, cancels the advert timer', () => {
    const r = step(c, master(100), { type: 'fault', on: true }, 4000);
    assert.equal(r.data.state, 'FAULT');
    assert.deepEqual(types(r.effects), ['sendAdvert', 'stopAnnounce', 'removeVips', 'transition', 'cancelTimer']);
    assert.deepEqual(r.effects.find((e) => e.type === 'sendAdvert'), { type: 'sendAdvert', priority: 0 });
  });
  it('fault cleared: back to BACKUP with a fresh down timer; an owner back to MASTER', () => {
    const f = step(c, master(100), { type: 'fault', on: true }, 4000).data;
    const r = step(c, f, { type: 'fault', on: false }, 5000);
    assert.equal(r.data.state, 'BACKUP');
    assert.equal(r.data.masterDownAt, 5000 + 3609.375);
    const o = run(c, 255, [[0, { type: 'startup' }], [1, { type: 'fault', on: true }], [2, { type: 'fault', on: false }]]).d;
    assert.equal(o.state, 'MASTER');
  });
  it('the owner keeps 255 whatever the trackers say', () => {
    const d = run(c, 255, [[0, { type: 'startup' }], [5, { type: 'priority', priority: 100 }]]).d;
    assert.equal(d.effectivePriority, 255);
  });
});

describe('shutdown and impossible events', () => {
  const c = cfg();
  it('shutdown from MASTER sends priority 0 and releases; a second shutdown does nothing', () => {
    const d = run(c, 255, [[0, { type: 'startup' }]]).d;
    const r = step(c, d, { type: 'shutdown' }, 10);
    assert.equal(r.data.state, 'STOP');
    assert.deepEqual(types(r.effects), ['sendAdvert', 'stopAnnounce', 'removeVips', 'transition', 'cancelTimer']);
    assert.deepEqual(r.effects[0], { type: 'sendAdvert', priority: 0 });
    const again = step(c, r.data, { type: 'shutdown' }, 11);
    assert.deepEqual(again.effects, []);
    assert.equal(again.data.state, 'STOP');
  });
  it('shutdown from BACKUP sends nothing', () => {
    const d = run(c, 100, [[0, { type: 'startup' }]]).d;
    const r = step(c, d, { type: 'shutdown' }, 10);
    assert.ok(!r.effects.some((e) => e.type === 'sendAdvert'));
    assert.deepEqual(r.effects.filter((e) => e.type === 'cancelTimer'), [{ type: 'cancelTimer', timer: 'masterDown' }]);
  });
  it('a master down timer in MASTER is logged as a bug, not thrown', () => {
    const d = run(c, 255, [[0, { type: 'startup' }]]).d;
    const r = step(c, d, { type: 'masterDownTimer' }, 10);
    assert.equal(r.data.state, 'MASTER');
    assert.deepEqual(r.effects, [{ type: 'log', level: 'error', msg: '(VI_1) BUG: master down timer fired in MASTER state' }]);
  });
  it('adverts in FAULT/INIT are ignored', () => {
    const r = step(c, initialData(c, 100), adv('192.0.2.1', 200), 0);
    assert.equal(r.data.state, 'INIT');
    assert.deepEqual(types(r.effects), []);
  });
});

describe('vrrp_startup_delay', () => {
  it('BACKUP at once; the first Master_Down_Timer runs after the delay', () => {
    const { d } = run(cfg({ version: 2 }), 128, [[0, { type: 'startup', delayMs: 2000 }]]);
    assert.equal(d.state, 'BACKUP');
    assert.equal(d.masterDownAt, 2000 + 3500);
  });
});
