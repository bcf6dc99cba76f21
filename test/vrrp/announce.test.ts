import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/core/clock';
import type { VipSpec } from '../../src/net/ports';
import { AnnounceSchedule, DEFAULT_GARP, type GarpSettings, planSchedule } from '../../src/vrrp/announce';

const v4: VipSpec = { address: '198.51.100.1', family: 4, prefixLength: 32, ifname: 'eth0' };
const v6: VipSpec = { address: '2001:db8::1', family: 6, prefixLength: 128, ifname: 'eth0' };

function harness(settings: Partial<GarpSettings>, vips: VipSpec[] = [v4]) {
  const clock = new VirtualClock(0);
  const sent: { at: number; address: string }[] = [];
  let owner = true;
  const s = new AnnounceSchedule({
    clock,
    announcer: { announce: (_if, address) => sent.push({ at: clock.now(), address }) },
    settings: { ...DEFAULT_GARP, ...settings },
    vips: () => vips,
    owns: () => owner,
  });
  return { clock, sent, s, lose: () => (owner = false) };
}

describe('AnnounceSchedule (garp_master_delay/repeat/refresh, vrrp_garp_interval)', () => {
  it('a silent announcer (VIPs announced by route only): nothing is started, scheduled or sent', () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const s = new AnnounceSchedule({
      clock,
      announcer: { announce: () => calls++, silent: true },
      settings: { ...DEFAULT_GARP, masterRefreshMs: 1000 },
      vips: () => [v4],
      owns: () => true,
    });
    assert.equal(s.enabled, false);
    s.start();
    s.burstNow(5);
    clock.advance(60_000);
    assert.equal(s.active, false);
    assert.equal(calls, 0);
    assert.equal(s.sent, 0);
  });

  it("keepalived's default: 5 at once, 5 more after 5 s, no refresh", () => {
    const h = harness({});
    h.s.start();
    h.clock.advance(60_000);
    assert.deepEqual(
      h.sent.map((x) => x.at),
      [0, 0, 0, 0, 0, 5000, 5000, 5000, 5000, 5000],
    );
    assert.equal(h.clock.pending(), 0);
  });

  it('spaces messages by the GARP / NA interval per family', () => {
    const h = harness({ masterRepeat: 2, masterDelayMs: 0, garpIntervalMs: 10, gnaIntervalMs: 3 }, [v4, v6]);
    h.s.start();
    h.clock.advance(100);
    assert.deepEqual(h.sent, [
      { at: 0, address: '198.51.100.1' },
      { at: 0, address: '2001:db8::1' },
      { at: 3, address: '2001:db8::1' },
      { at: 10, address: '198.51.100.1' },
    ]);
  });

  it('refresh: every garp_master_refresh, garp_master_refresh_repeat messages', () => {
    const h = harness({ masterRepeat: 1, masterDelayMs: 0, masterRefreshMs: 60_000, refreshRepeat: 2 });
    h.s.start();
    h.clock.advance(180_000);
    assert.deepEqual(
      h.sent.map((x) => x.at),
      [0, 60_000, 60_000, 120_000, 120_000, 180_000, 180_000],
    );
  });

  it('stop() (demotion) cancels the delayed burst and the refresh', () => {
    const h = harness({ masterRefreshMs: 1000 });
    h.s.start();
    h.clock.advance(100);
    h.s.stop();
    h.clock.advance(60_000);
    assert.equal(h.sent.length, 5);
    assert.equal(h.clock.pending(), 0);
  });

  it('re-checks ownership before every send', () => {
    const h = harness({ masterRepeat: 3, masterDelayMs: 0, garpIntervalMs: 100 });
    h.s.start();
    h.clock.advance(150);
    h.lose();
    h.clock.advance(1000);
    assert.equal(h.sent.length, 2);
    assert.equal(h.s.skipped, 1);
  });

  it('planSchedule describes the same schedule as data', () => {
    const plan = planSchedule([v4], { ...DEFAULT_GARP, masterRefreshMs: 20_000, refreshRepeat: 1 }, 40_000);
    assert.deepEqual(
      plan.map((p) => [p.atMs, p.burst]),
      [
        [0, 'master'], [0, 'master'], [0, 'master'], [0, 'master'], [0, 'master'],
        [5000, 'delayed'], [5000, 'delayed'], [5000, 'delayed'], [5000, 'delayed'], [5000, 'delayed'],
        [20_000, 'refresh'], [40_000, 'refresh'],
      ],
    );
  });
});
