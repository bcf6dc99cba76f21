/**
 * A benchmark knob, off unless the environment asks for it:
 * KTS_BENCH_HEAP_CHURN_MB=150 makes the main process keep that many MB of
 * short-lived JavaScript objects alive and replace a tenth of them every
 * 100 ms, so its garbage collector runs full collections as a loaded
 * daemon's would (bench/timing-under-load: the VRRP process must not
 * notice). Never set in production.
 */
export function startHeapChurn(env: NodeJS.ProcessEnv = process.env): (() => void) | undefined {
  const mb = Number(env.KTS_BENCH_HEAP_CHURN_MB);
  if (!Number.isFinite(mb) || mb <= 0) return undefined;
  // About 1 MB of heap per chunk: 8192 small objects with a string each.
  const chunk = (seed: number) => Array.from({ length: 8192 }, (_, i) => ({ i, seed, s: `churn-${seed}-${i}-xxxxxxxxxxxxxxxxxxxxxxxx` }));
  const live: unknown[] = Array.from({ length: Math.round(mb) }, (_, k) => chunk(k));
  let k = 0;
  const timer = setInterval(() => {
    for (let n = 0; n < Math.max(1, Math.round(live.length / 10)); n++) live[k++ % live.length] = chunk(k);
  }, 100);
  timer.unref();
  return () => clearInterval(timer);
}
