/** What a process reports of itself for leak checks: fds, children, handles, and the heap after major collections. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { processResources } from '../../src/daemon/resources';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

test('fds and handles are counted; the heap after a major collection appears once one happened', async () => {
  const before = processResources();
  assert.equal(before.pid, process.pid);
  assert.ok(before.fds >= 3);
  const fd = fs.openSync('/dev/null', 'r');
  const timer = setInterval(() => {}, 60_000);
  try {
    const now = processResources();
    assert.equal(now.fds, before.fds + 1, 'one more fd');
    assert.equal(now.handles.Timeout, (before.handles.Timeout ?? 0) + 1, 'one more timer');
  } finally {
    fs.closeSync(fd);
    clearInterval(timer);
  }
  const majors = processResources().majorGcs ?? 0;
  // Garbage of ~20 MB, then a full collection: what is left is about what is live.
  let junk: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: 'x'.repeat(64) }));
  assert.ok(junk.length);
  junk = undefined;
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const after = processResources();
  assert.ok((after.majorGcs ?? 0) > majors, `a major collection was seen: ${majors} -> ${after.majorGcs}`);
  assert.ok(after.heapAfterMajorGcKb !== undefined && after.heapAfterMajorGcKb > 0);
  assert.ok(after.heapAfterMajorGcKb < 20_000, `the garbage is not counted: ${after.heapAfterMajorGcKb} KB`);
});
