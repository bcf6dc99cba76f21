/**
 * The VRRP process's clock (src/net/linux/timerfd-clock.ts): a timerfd armed
 * at absolute CLOCK_MONOTONIC deadlines. Needs the native addon (no root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative } from '../../../src/native';
import { TimerfdClock } from '../../../src/net/linux/timerfd-clock';

const n = loadNative();
const skip = n.ok ? false : `native addon not loaded: ${n.ok ? '' : n.reason}`;

test('timers fire in deadline order, equal deadlines in arming order; cancelled ones never', { skip }, async () => {
  if (!n.ok) return;
  const clock = new TimerfdClock(n.native);
  const fired: string[] = [];
  await new Promise<void>((resolve) => {
    clock.setTimer(30, () => fired.push('c'));
    clock.setTimer(10, () => fired.push('a1'));
    clock.setTimer(10, () => fired.push('a2'));
    const x = clock.setTimer(20, () => fired.push('cancelled'));
    clock.setTimer(20, () => fired.push('b'));
    x.cancel();
    clock.setTimer(40, () => resolve());
  });
  assert.deepEqual(fired, ['a1', 'a2', 'b', 'c']);
  assert.equal(clock.pending(), 0);
  clock.close();
});

test('a timer armed from a firing timer runs later; now() is monotonic milliseconds', { skip }, async () => {
  if (!n.ok) return;
  const clock = new TimerfdClock(n.native);
  const t0 = clock.now();
  const at = await new Promise<number>((resolve) => clock.setTimer(5, () => clock.setTimer(5, () => resolve(clock.now()))));
  assert.ok(at - t0 >= 10, `two 5 ms timers in a row took ${at - t0} ms`);
  clock.close();
});

test('deadlines are kept to a fraction of a millisecond (Node timers: whole milliseconds), and a 10 ms period does not drift', { skip }, async () => {
  if (!n.ok) return;
  const clock = new TimerfdClock(n.native);
  const late: number[] = [];
  const start = clock.now();
  let due = start;
  await new Promise<void>((resolve) => {
    const tick = () => {
      late.push(clock.now() - due);
      if (late.length === 100) return resolve();
      due += 10;
      clock.setTimer(due - clock.now(), tick);
    };
    due += 10;
    clock.setTimer(10, tick);
  });
  clock.close();
  late.sort((a, b) => a - b);
  const median = late[50];
  assert.ok(median >= 0 && median < 0.5, `median lateness ${median.toFixed(3)} ms`);
  assert.ok(late.every((l) => l >= -0.001), 'never early');
});

test('onLate hears how late each firing was (the VRRP process loop delay): a blocked loop shows as lateness', { skip }, async () => {
  if (!n.ok) return;
  const clock = new TimerfdClock(n.native);
  const late: number[] = [];
  clock.onLate = (ms) => late.push(ms);
  await new Promise<void>((resolve) => clock.setTimer(5, () => resolve()));
  // Block the loop past the next deadline: the firing comes late by about the block.
  await new Promise<void>((resolve) => {
    clock.setTimer(5, () => resolve());
    const until = Date.now() + 30;
    while (Date.now() < until) {
      /* the loop is busy */
    }
  });
  clock.close();
  assert.equal(late.length, 2, 'one report per firing');
  assert.ok(late[0] >= 0 && late[0] < 20, `first on time: ${late[0]} ms`);
  assert.ok(late[1] >= 20, `second late by the block: ${late[1]} ms`);
});
