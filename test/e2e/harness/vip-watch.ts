/**
 * Samples which lab hosts hold a VIP, every intervalMs, for as long as it
 * runs: the evidence for "the VIP moved within X" and "never on two hosts at
 * once". Each sample reads `ip -j -4 addr show dev eth0` of every watched
 * host in parallel (`ip -n <netns>`, read only); its time is when the reads
 * were issued, and the reads of one sample lie within a few ms of each other.
 */
import { execFile } from 'node:child_process';
import type { Lab } from './netns';

export interface VipSample {
  at: number;
  holders: number[];
}

function addressesOf(ns: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('ip', ['-n', ns, '-j', '-4', 'addr', 'show', 'dev', 'eth0'], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve([]);
      try {
        const links = JSON.parse(stdout) as { addr_info?: { local: string }[] }[];
        resolve(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local)));
      } catch {
        resolve([]);
      }
    });
  });
}

export class VipWatch {
  readonly samples: VipSample[] = [];
  private running = true;
  private readonly done: Promise<void>;

  private constructor(
    private readonly lab: Lab,
    readonly vip: string,
    readonly hosts: number[],
    readonly intervalMs: number,
  ) {
    this.done = this.loop();
  }

  static start(lab: Lab, vip: string, hosts: number[], intervalMs = 50): VipWatch {
    return new VipWatch(lab, vip, hosts, intervalMs);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const at = Date.now();
      const held = await Promise.all(this.hosts.map(async (h) => ((await addressesOf(this.lab.ns(h))).includes(this.vip) ? h : 0)));
      this.samples.push({ at, holders: held.filter((h) => h !== 0) });
      const wait = at + this.intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** The first sample at or after `since` whose holders are exactly `hosts`. */
  firstHeldBy(hosts: number[], since = 0): VipSample | undefined {
    const want = [...hosts].sort().join(',');
    return this.samples.find((s) => s.at >= since && s.holders.join(',') === want);
  }

  /** Waits for firstHeldBy(hosts, since). */
  async waitHeldBy(hosts: number[], since = 0, timeoutMs = 30_000): Promise<VipSample> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.firstHeldBy(hosts, since);
      if (s) return s;
      if (Date.now() > deadline) throw new Error(`${this.vip} not held by [${hosts.join(',')}] within ${timeoutMs} ms (last: [${this.samples.at(-1)?.holders.join(',') ?? ''}])`);
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  /** Samples (from `since`) where more than one host held the VIP. */
  overlaps(since = 0): VipSample[] {
    return this.samples.filter((s) => s.at >= since && s.holders.length > 1);
  }

  /** Samples from `since` whose holders are not exactly `hosts`. */
  notHeldBy(hosts: number[], since = 0): VipSample[] {
    const want = [...hosts].sort().join(',');
    return this.samples.filter((s) => s.at >= since && s.holders.join(',') !== want);
  }

  /** The largest time between two samples (the sampling's own resolution). */
  maxInterval(since = 0): number {
    const s = this.samples.filter((x) => x.at >= since);
    let max = 0;
    for (let i = 1; i < s.length; i++) max = Math.max(max, s[i].at - s[i - 1].at);
    return max;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
