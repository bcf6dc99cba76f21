import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnerQueues } from '../../src/notify/queue';

function deferred(): { p: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const p = new Promise<void>((r) => (resolve = r));
  return { p, resolve };
}

test('jobs of one owner run in order, never concurrently; other owners are independent', async () => {
  const q = new OwnerQueues();
  const log: string[] = [];
  const gate = deferred();
  let running = 0;
  let maxRunning = 0;
  const job = (name: string, wait?: Promise<void>) => async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    log.push(`start ${name}`);
    if (wait) await wait;
    log.push(`end ${name}`);
    running--;
  };
  const a1 = q.enqueue('A', job('A1', gate.p));
  const a2 = q.enqueue('A', job('A2'));
  let bRunning = 0;
  const b1 = q.enqueue('B', async () => {
    bRunning++;
    log.push('B1');
  });
  await b1;
  assert.equal(bRunning, 1);
  assert.deepEqual(log, ['start A1', 'B1']); // B not delayed by A1
  assert.equal(q.pending('A'), 2);
  gate.resolve();
  await Promise.all([a1, a2]);
  assert.deepEqual(log, ['start A1', 'B1', 'end A1', 'start A2', 'end A2']);
  assert.equal(q.pending(), 0);
  assert.equal(maxRunning, 1);
});

test('a failing job does not stop the queue and is reported', async () => {
  const errors: string[] = [];
  const q = new OwnerQueues((owner, err) => errors.push(`${owner}: ${(err as Error).message}`));
  const ran: number[] = [];
  void q.enqueue('A', async () => {
    throw new Error('boom');
  });
  await q.enqueue('A', async () => {
    ran.push(2);
  });
  assert.deepEqual(ran, [2]);
  assert.deepEqual(errors, ['A: boom']);
  await q.idle();
});
