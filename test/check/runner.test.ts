import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/core/clock';
import { CheckEvent, CheckRunner, CheckerConfig, resolveChecker } from '../../src/check/runner';
import type { ProbeResult, ProbeSpec, ProbeRunOptions } from '../../src/check/types';

const TCP: ProbeSpec = { type: 'TCP_CHECK', target: { connectIp: '198.51.100.2', connectPort: 80 } };

function ck(id: string, over: Partial<CheckerConfig> = {}): CheckerConfig {
  return {
    id,
    vs: 'VS',
    rs: 'RS1',
    spec: TCP,
    delayLoopMs: 10_000,
    warmupMs: 0,
    retry: 1,
    delayBeforeRetryMs: 1_000,
    timeoutMs: 5_000,
    alpha: false,
    rsWeight: 1,
    ...over,
  };
}

/** A scripted synchronous probe: answers come from `script[id]` in order (last one repeats). */
function scripted(script: Record<string, boolean[]>, clock: VirtualClock) {
  const calls: Array<{ id: string; at: number }> = [];
  const idx: Record<string, number> = {};
  const byType = new Map<ProbeSpec, string>();
  return {
    calls,
    bind(id: string, spec: ProbeSpec) {
      byType.set(spec, id);
    },
    probe(spec: ProbeSpec): ProbeResult {
      const id = byType.get(spec)!;
      calls.push({ id, at: clock.now() });
      const s = script[id];
      const i = Math.min(idx[id] ?? 0, s.length - 1);
      idx[id] = (idx[id] ?? 0) + 1;
      return { ok: s[i], detail: s[i] ? 'ok' : 'refused' };
    },
  };
}

function setup(checkers: CheckerConfig[], script: Record<string, boolean[]>) {
  const clock = new VirtualClock();
  const s = scripted(script, clock);
  const cs = checkers.map((c) => {
    const spec = { ...c.spec } as ProbeSpec;
    s.bind(c.id, spec);
    return { ...c, spec };
  });
  const events: CheckEvent[] = [];
  const runner = new CheckRunner({ clock, probe: (sp) => s.probe(sp), checkers: cs, onEvent: (e) => events.push(e) });
  return { clock, calls: s.calls, events, runner };
}

test('first run at BOOTSTRAP_DELAY (1 s); a server dead at start is removed after one failure (no retries)', () => {
  const { clock, calls, events, runner } = setup([ck('a')], { a: [false] });
  runner.start();
  assert.equal(runner.rsAlive('VS', 'RS1'), true);
  clock.advance(999);
  assert.equal(calls.length, 0);
  clock.advance(1);
  assert.deepEqual(calls.map((c) => c.at), [1000]);
  assert.deepEqual(events, [{ kind: 'rs', vs: 'VS', rs: 'RS1', up: false, reason: 'refused', checker: 'a' }]);
  // down: next run a full delay_loop later, no retries while down
  clock.advance(20_000);
  assert.deepEqual(calls.map((c) => c.at), [1000, 11_000, 21_000]);
  assert.equal(events.length, 1);
});

test('a failing up server is retried `retry` times delay_before_retry apart, then goes down', () => {
  const { clock, calls, events, runner } = setup([ck('a', { retry: 2 })], { a: [true, false, false, false, true] });
  runner.start();
  clock.advance(1000); // ok
  clock.advance(10_000); // 11000 fail -> retry 1
  clock.advance(1_000); // 12000 fail -> retry 2
  assert.equal(events.length, 0);
  clock.advance(1_000); // 13000 fail -> down
  assert.deepEqual(calls.map((c) => c.at), [1000, 11_000, 12_000, 13_000]);
  assert.deepEqual(events.map((e) => (e.kind === 'rs' ? e.up : null)), [false]);
  clock.advance(10_000); // 23000 ok -> up
  assert.deepEqual(calls.map((c) => c.at), [1000, 11_000, 12_000, 13_000, 23_000]);
  assert.deepEqual(events.map((e) => (e.kind === 'rs' ? e.up : null)), [false, true]);
  assert.equal(runner.rsAlive('VS', 'RS1'), true);
});

test('a success during retries resets the retry count', () => {
  const { clock, events, runner } = setup([ck('a', { retry: 1 })], { a: [true, false, true, false, true] });
  runner.start();
  clock.advance(1000); // ok
  clock.advance(10_000); // fail, retry 1
  clock.advance(1_000); // ok, reset
  clock.advance(10_000); // fail, retry 1 again (not down)
  assert.equal(runner.status('a')!.retryIt, 1);
  clock.advance(1_000); // ok
  assert.equal(events.length, 0);
});

test('warmup scatters the first run over [0, warmup) with the injected random source', () => {
  const clock = new VirtualClock();
  const at: number[] = [];
  const runner = new CheckRunner({
    clock,
    probe: () => {
      at.push(clock.now());
      return { ok: true, detail: 'ok' };
    },
    checkers: [ck('a', { warmupMs: 4000 })],
    onEvent: () => {},
    random: () => 0.5,
  });
  runner.start();
  clock.advance(20_000);
  assert.deepEqual(at, [3000, 13_000]);
});

test('alpha: the server starts down, comes up on the first success', () => {
  const { clock, events, runner } = setup([ck('a', { alpha: true })], { a: [true] });
  runner.start();
  assert.equal(runner.rsAlive('VS', 'RS1'), false);
  clock.advance(1000);
  assert.deepEqual(events, [{ kind: 'rs', vs: 'VS', rs: 'RS1', up: true, reason: 'ok', checker: 'a' }]);
  assert.equal(runner.rsAlive('VS', 'RS1'), true);
});

test('alpha: the first failure reports an initial down (keepalived runs notify_down) and nothing else', () => {
  const { clock, events, runner } = setup([ck('a', { alpha: true, retry: 3 })], { a: [false] });
  runner.start();
  clock.advance(1000);
  assert.deepEqual(events, [{ kind: 'rs', vs: 'VS', rs: 'RS1', up: false, reason: 'refused', checker: 'a', initial: true }]);
  clock.advance(30_000);
  assert.equal(events.length, 1);
});

test('a real server with several checkers is alive only when all are up', () => {
  const { clock, events, runner } = setup(
    [ck('a', { retry: 0 }), ck('b', { retry: 0, delayLoopMs: 10_000 })],
    { a: [true, false, false, true], b: [true, true, false, false, true] },
  );
  runner.start();
  clock.advance(1000); // both ok
  clock.advance(10_000); // a down -> rs down
  clock.advance(10_000); // a down, b down -> nothing new
  clock.advance(10_000); // a up (b still down) -> nothing; b down
  assert.deepEqual(events.map((e) => (e.kind === 'rs' ? `${e.checker}:${e.up}` : '')), ['a:false']);
  assert.equal(runner.rsAlive('VS', 'RS1'), false);
  clock.advance(10_000); // b up -> rs up
  assert.deepEqual(events.map((e) => (e.kind === 'rs' ? `${e.checker}:${e.up}` : '')), ['a:false', 'b:true']);
  assert.equal(runner.rsAlive('VS', 'RS1'), true);
});

test('misc_dynamic weights: weight = status - 2 reported as a delta to the configured weight', () => {
  const clock = new VirtualClock();
  const weights = [10, 10, 20, undefined];
  let i = 0;
  const events: CheckEvent[] = [];
  const spec: ProbeSpec = { type: 'MISC_CHECK', miscPath: '/bin/true', miscDynamic: true };
  const runner = new CheckRunner({
    clock,
    probe: () => {
      const w = weights[Math.min(i++, weights.length - 1)];
      return w === undefined ? { ok: false, detail: 'exited with status 1' } : { ok: true, detail: 'ok', weight: w };
    },
    checkers: [ck('m', { spec, rsWeight: 3, retry: 0 })],
    onEvent: (e) => events.push(e),
  });
  runner.start();
  clock.advance(1000);
  clock.advance(10_000);
  clock.advance(10_000);
  clock.advance(10_000);
  assert.deepEqual(events, [
    { kind: 'weight', vs: 'VS', rs: 'RS1', weightDelta: 7, checker: 'm' },
    { kind: 'weight', vs: 'VS', rs: 'RS1', weightDelta: 17, checker: 'm' },
    { kind: 'rs', vs: 'VS', rs: 'RS1', up: false, reason: 'exited with status 1', checker: 'm' },
    { kind: 'weight', vs: 'VS', rs: 'RS1', weightDelta: 0, checker: 'm' },
  ]);
});

test('a hung probe is cut at its timeout (+grace), aborted, counted as a failure; never two in flight', () => {
  const clock = new VirtualClock();
  const signals: AbortSignal[] = [];
  const at: number[] = [];
  const events: CheckEvent[] = [];
  const runner = new CheckRunner({
    clock,
    probe: (_s, o: ProbeRunOptions) => {
      signals.push(o.signal);
      at.push(clock.now());
      assert.equal(o.timeoutMs, 3000);
      return new Promise<ProbeResult>(() => {});
    },
    checkers: [ck('h', { timeoutMs: 3000, delayLoopMs: 2000 })],
    onEvent: (e) => events.push(e),
    graceMs: 0,
  });
  runner.start();
  clock.advance(1000);
  assert.equal(runner.status('h')!.inFlight, true);
  clock.advance(2999);
  assert.equal(signals[0].aborted, false);
  assert.equal(at.length, 1, 'delay_loop (2 s) < timeout: no second probe while one is in flight');
  clock.advance(1);
  assert.equal(signals[0].aborted, true);
  assert.equal((signals[0].reason as { code: string }).code, 'CHECK_TIMEOUT');
  assert.deepEqual(events, [{ kind: 'rs', vs: 'VS', rs: 'RS1', up: false, reason: 'timeout after 3000 ms', checker: 'h' }]);
  clock.advance(2000);
  assert.deepEqual(at, [1000, 6000]);
  runner.stop();
  assert.equal(signals[1].aborted, true);
  assert.equal(clock.pending(), 0);
});

test('a late answer of a probe already cut is ignored', async () => {
  const clock = new VirtualClock();
  let resolveIt: (r: ProbeResult) => void = () => {};
  const events: CheckEvent[] = [];
  const runner = new CheckRunner({
    clock,
    probe: () => new Promise<ProbeResult>((r) => (resolveIt = r)),
    checkers: [ck('h', { timeoutMs: 1000 })],
    onEvent: (e) => events.push(e),
    graceMs: 0,
  });
  runner.start();
  clock.advance(2000);
  assert.equal(events.length, 1);
  resolveIt({ ok: true, detail: 'late' });
  await new Promise((r) => setImmediate(r));
  assert.equal(events.length, 1);
  assert.equal(runner.status('h')!.isUp, false);
});

test('async probes: results are applied when the promise settles; rejections are failures', async () => {
  const clock = new VirtualClock();
  const events: CheckEvent[] = [];
  const runner = new CheckRunner({
    clock,
    probe: () => Promise.reject(new Error('ECONNREFUSED')),
    checkers: [ck('x')],
    onEvent: (e) => events.push(e),
  });
  runner.start();
  clock.advance(1000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, [{ kind: 'rs', vs: 'VS', rs: 'RS1', up: false, reason: 'probe error: ECONNREFUSED', checker: 'x' }]);
  runner.stop();
});

test('resolveChecker: keepalived 2.2.7 defaults and inheritance virtual_server -> real_server -> checker', () => {
  const base = { id: 'c', vs: 'VS', rs: 'RS' };
  const tcp = resolveChecker({ ...base, spec: TCP });
  assert.deepEqual(
    [tcp.delayLoopMs, tcp.warmupMs, tcp.retry, tcp.delayBeforeRetryMs, tcp.timeoutMs, tcp.alpha],
    [60_000, 60_000, 1, 1_000, 5_000, false],
  );
  const http = resolveChecker({ ...base, spec: { type: 'HTTP_GET', target: TCP.target, urls: [{ path: '/' }] } });
  assert.equal(http.delayBeforeRetryMs, 3_000);
  const dns = resolveChecker({ ...base, spec: { type: 'DNS_CHECK', target: TCP.target }, virtualServer: { delayLoopMs: 7_000 } });
  assert.deepEqual([dns.retry, dns.delayBeforeRetryMs], [3, 7_000]);
  const misc = resolveChecker({ ...base, spec: { type: 'MISC_CHECK', miscPath: '/bin/true' }, virtualServer: { delayLoopMs: 9_000 } });
  assert.deepEqual([misc.retry, misc.timeoutMs], [0, 9_000]);
  const misc2 = resolveChecker({ ...base, spec: { type: 'MISC_CHECK', miscPath: '/bin/true' }, miscTimeoutMs: 2_000 });
  assert.equal(misc2.timeoutMs, 2_000);
  const inh = resolveChecker({
    ...base,
    spec: TCP,
    virtualServer: { delayLoopMs: 6_000, retry: 4, alpha: true, connectTimeoutMs: 3_000 },
    realServer: { delayBeforeRetryMs: 2_000, retry: 2 },
    checker: { warmupMs: 0 },
  });
  assert.deepEqual(
    [inh.delayLoopMs, inh.warmupMs, inh.retry, inh.delayBeforeRetryMs, inh.timeoutMs, inh.alpha],
    [6_000, 0, 2, 2_000, 3_000, true],
  );
  const file = resolveChecker({ ...base, spec: { type: 'FILE_CHECK', path: '/tmp/x' }, virtualServer: { alpha: true } });
  assert.equal(file.alpha, false);
  assert.throws(
    () => resolveChecker({ ...base, spec: TCP, checker: { delayLoopMs: 0 } }),
    (e: { code?: string }) => e.code === 'CHECK_BAD_OPTION',
  );
});
