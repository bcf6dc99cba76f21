/**
 * Test-side client of drivers/net-driver (run inside a lab namespace): call()
 * sends a JSON-line request and resolves with its answer; events are kept and
 * can be awaited with waitEvent().
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Lab } from './netns';

export const netDriverPath = path.join(__dirname, 'drivers', 'net-driver.js');

export interface DriverEvent {
  event: string;
  [k: string]: unknown;
}

export class DriverError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class NetDriver {
  readonly events: DriverEvent[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<() => void>();
  private stderr = '';

  private constructor(readonly host: number, private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    child.once('exit', (code, sig) => {
      const e = new Error(`driver on host ${host} exited (${code ?? sig}): ${this.stderr.trim()}`);
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    });
  }

  /** Starts the driver in host `host` and waits until it is ready. */
  static async start(lab: Lab, host: number): Promise<NetDriver> {
    const d = new NetDriver(host, lab.node(host, netDriverPath));
    await d.waitEvent((e) => e.event === 'ready', 10_000);
    return d;
  }

  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** Resolves with the first event (already received or future) matching `pred`. */
  waitEvent(pred: (e: DriverEvent) => boolean, timeoutMs = 5000): Promise<DriverEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find(pred);
        if (!e) return false;
        clearTimeout(t);
        this.listeners.delete(listener);
        resolve(e);
        return true;
      };
      const listener = (): void => void check();
      const t = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`driver on host ${this.host}: no matching event within ${timeoutMs} ms; stderr: ${this.stderr.trim()}`));
      }, timeoutMs);
      if (!check()) this.listeners.add(listener);
    });
  }

  /** Asks the driver to close everything and exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.call('exit').catch(() => undefined);
    await exited;
  }

  private onLine(line: string): void {
    let m: { id?: number; ok?: boolean; result?: unknown; error?: { code: string; message: string }; event?: string };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      this.stderr += `[stdout] ${line}\n`;
      return;
    }
    if (m.event !== undefined) {
      this.events.push(m as DriverEvent);
      for (const l of [...this.listeners]) l();
      return;
    }
    const w = m.id !== undefined ? this.waiting.get(m.id) : undefined;
    if (!w) return;
    this.waiting.delete(m.id!);
    if (m.ok) w.resolve(m.result);
    else w.reject(new DriverError(m.error?.code ?? 'ERROR', m.error?.message ?? 'error'));
  }
}
