/**
 * Gratuitous ARP / unsolicited NA schedule of a new master, as data the
 * announcer executes (keepalived vrrp_state_become_master,
 * vrrp_gratuitous_arp_thread, vrrp_state_master_tx):
 *  - at once: `masterRepeat` announcements per VIP (garp_master_repeat, default 5);
 *  - after `masterDelayMs` (garp_master_delay, default 5 s; 0 = none): another burst of `masterRepeat`;
 *  - every `masterRefreshMs` (garp_master_refresh, default 0 = never): a burst of `refreshRepeat`;
 *  - inside a burst, messages are spaced by `garpIntervalMs` (IPv4, vrrp_garp_interval)
 *    or `gnaIntervalMs` (IPv6, vrrp_gna_interval); 0 sends them back to back.
 * `stop()` (demotion) cancels everything pending; ownership is re-checked
 * before every single send.
 */
import type { Clock, TimerHandle } from '../core/clock';
import type { Announcer, VipSpec } from '../net/ports';

export interface GarpSettings {
  masterDelayMs: number;
  masterRepeat: number;
  masterRefreshMs: number;
  refreshRepeat: number;
  /** Spacing between GARPs (IPv4), ms. */
  garpIntervalMs: number;
  /** Spacing between unsolicited NAs (IPv6), ms. */
  gnaIntervalMs: number;
}

export const DEFAULT_GARP: GarpSettings = {
  masterDelayMs: 5000,
  masterRepeat: 5,
  masterRefreshMs: 0,
  refreshRepeat: 1,
  garpIntervalMs: 0,
  gnaIntervalMs: 0,
};

/** One planned announcement, relative to the start of the schedule. */
export interface PlannedAnnouncement {
  atMs: number;
  vip: VipSpec;
  burst: 'master' | 'delayed' | 'refresh';
}

/** One burst: `repeat` rounds over the VIPs, spaced per family. Offsets from the burst start. */
export function planBurst(vips: readonly VipSpec[], repeat: number, g: GarpSettings, burst: PlannedAnnouncement['burst']): PlannedAnnouncement[] {
  const out: PlannedAnnouncement[] = [];
  const next: Record<4 | 6, number> = { 4: 0, 6: 0 };
  for (let r = 0; r < repeat; r++) {
    for (const vip of vips) {
      const gap = vip.family === 4 ? g.garpIntervalMs : g.gnaIntervalMs;
      out.push({ atMs: next[vip.family], vip, burst });
      next[vip.family] += gap;
    }
  }
  return out;
}

/** The announcements up to `horizonMs` after becoming master (tests, documentation). */
export function planSchedule(vips: readonly VipSpec[], g: GarpSettings, horizonMs: number): PlannedAnnouncement[] {
  const out = planBurst(vips, g.masterRepeat, g, 'master');
  if (g.masterDelayMs > 0 && g.masterDelayMs <= horizonMs)
    for (const a of planBurst(vips, g.masterRepeat, g, 'delayed')) out.push({ ...a, atMs: a.atMs + g.masterDelayMs });
  if (g.masterRefreshMs > 0)
    for (let t = g.masterRefreshMs; t <= horizonMs; t += g.masterRefreshMs)
      for (const a of planBurst(vips, g.refreshRepeat, g, 'refresh')) out.push({ ...a, atMs: a.atMs + t });
  return out.filter((a) => a.atMs <= horizonMs).sort((a, b) => a.atMs - b.atMs);
}

export interface AnnounceScheduleOptions {
  clock: Clock;
  announcer: Announcer;
  settings: GarpSettings;
  /** The VIPs to announce (read at each burst). */
  vips: () => readonly VipSpec[];
  /** Still entitled to announce `vip`? Checked before every send (e.g. still MASTER). */
  owns: (vip: VipSpec) => boolean;
  mac?: Buffer;
  /** Told of each delayed or refresh burst as it starts (for the log). */
  onBurst?: (kind: PlannedAnnouncement['burst'], vips: readonly VipSpec[]) => void;
}

export class AnnounceSchedule {
  private timers = new Set<TimerHandle>();
  private running = false;
  /** Announcements sent / skipped because ownership was lost. */
  sent = 0;
  skipped = 0;

  /** False when the announcer sends nothing at all (VIPs announced by route only): start() and burstNow() do nothing. */
  readonly enabled: boolean;

  constructor(private readonly o: AnnounceScheduleOptions) {
    this.enabled = o.announcer.silent !== true;
  }

  get active(): boolean {
    return this.running;
  }

  /** Start (or restart) the schedule: burst now, delayed burst, refresh. */
  start(): void {
    this.stop();
    if (!this.enabled) return;
    this.running = true;
    const g = this.o.settings;
    this.burst(g.masterRepeat, 'master');
    if (g.masterDelayMs > 0) this.after(g.masterDelayMs, () => this.burst(g.masterRepeat, 'delayed'));
    if (g.masterRefreshMs > 0) this.scheduleRefresh();
  }

  /** Send one extra burst now (e.g. after re-adding a removed VIP); no-op when stopped. */
  burstNow(repeat: number, only?: (vip: VipSpec) => boolean): void {
    if (this.running) this.burst(repeat, 'master', only);
  }

  /** Cancel everything pending. Idempotent. */
  stop(): void {
    this.running = false;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  private scheduleRefresh(): void {
    const g = this.o.settings;
    this.after(g.masterRefreshMs, () => {
      this.burst(g.refreshRepeat, 'refresh');
      this.scheduleRefresh();
    });
  }

  private after(ms: number, fn: () => void): void {
    const h = this.o.clock.setTimer(ms, () => {
      this.timers.delete(h);
      if (this.running) fn();
    });
    this.timers.add(h);
  }

  private burst(repeat: number, kind: PlannedAnnouncement['burst'], only?: (vip: VipSpec) => boolean): void {
    const vips = this.o.vips().filter((v) => !only || only(v));
    if (kind !== 'master' && vips.length) this.o.onBurst?.(kind, vips);
    for (const a of planBurst(vips, repeat, this.o.settings, kind)) {
      if (a.atMs === 0) this.send(a.vip);
      else this.after(a.atMs, () => this.send(a.vip));
    }
  }

  private send(vip: VipSpec): void {
    if (!this.running || !this.o.owns(vip)) {
      this.skipped++;
      return;
    }
    this.sent++;
    this.o.announcer.announce(vip.ifname, vip.address, vip.family, this.o.mac);
  }
}
