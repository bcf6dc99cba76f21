/**
 * Commands (`ip`, `nft`) run from a worker thread, so the VRRP process's own
 * event loop never forks: spawning is the costliest thing a Node process
 * does (libuv waits for the exec), and a VRRP loop keeping 10 ms deadlines
 * must not pay it. The worker is started at the first command and holds no
 * other state; results come back by message.
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { KtsError } from '../../core/errors';
import type { IpRunner } from './ip-routes';
import type { NftRunner } from './nft-firewall';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandThread {
  private worker?: Worker;
  private next = 1;
  private readonly waiting = new Map<number, (r: CommandResult) => void>();

  run(cmd: string, args: readonly string[], input?: string, timeoutMs = 10_000): Promise<CommandResult> {
    const w = this.start();
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      w.postMessage({ id, cmd, args, input, timeoutMs });
    });
  }

  /** `ip ARGS` as IpRouteManager runs it. */
  readonly ip: IpRunner = async (args) => {
    const r = await this.run('ip', args);
    return { code: r.code, stderr: r.stderr };
  };

  /** `nft -f -` with the script on stdin, as NftFirewall runs it. */
  readonly nft: NftRunner = async (script) => {
    const r = await this.run('nft', ['-f', '-'], script);
    if (r.code !== 0) throw new KtsError('NFT_FAILED', `nft: ${r.stderr.trim() || `exit ${r.code}`}`);
  };

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    for (const done of this.waiting.values()) done({ code: -1, stdout: '', stderr: 'command thread closed' });
    this.waiting.clear();
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(path.join(__dirname, 'exec-thread-worker.js'), { resourceLimits: { maxOldGenerationSizeMb: 32 } });
    w.unref();
    w.on('message', (m: CommandResult & { id: number }) => {
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.({ code: m.code, stdout: m.stdout, stderr: m.stderr });
    });
    w.on('error', (e) => this.fail(`command thread: ${e.message}`));
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      this.fail('command thread exited');
    });
    this.worker = w;
    return w;
  }

  private fail(why: string): void {
    for (const done of this.waiting.values()) done({ code: -1, stdout: '', stderr: why });
    this.waiting.clear();
  }
}
