/**
 * The control socket: a Unix stream socket (default /run/keepalived-ts.sock,
 * `--control-socket PATH`) answering one JSON request per line with one JSON
 * response per line. keepalived has only signals and dump files; this gives
 * operators and tests a race-free way to read state:
 *   {"cmd":"status"}  → the DaemonStatusView
 *   {"cmd":"reload"}  → same as SIGHUP, answers when the reload is done
 * `keepalived-ts --status [--control-socket PATH]` prints it.
 */
import net from 'node:net';
import fs from 'node:fs';

export type ControlHandler = (req: { cmd: string; [k: string]: unknown }) => Promise<unknown> | unknown;

export class ControlServer {
  private server?: net.Server;
  constructor(private readonly path: string, private readonly handler: ControlHandler) {}

  async listen(): Promise<void> {
    try {
      fs.unlinkSync(this.path);
    } catch {
      /* not there */
    }
    const server = net.createServer((sock) => this.serve(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.path, 0o600);
  }

  private serve(sock: net.Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 65536) return sock.destroy();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.answer(line).then((out) => sock.write(out + '\n'));
      }
    });
  }

  private async answer(line: string): Promise<string> {
    try {
      const req = JSON.parse(line) as { cmd?: unknown };
      if (typeof req !== 'object' || req === null || typeof req.cmd !== 'string') return JSON.stringify({ ok: false, error: 'expected {"cmd": "..."}' });
      const result = await this.handler(req as { cmd: string });
      return JSON.stringify({ ok: true, result });
    } catch (e) {
      return JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    try {
      fs.unlinkSync(this.path);
    } catch {
      /* gone */
    }
  }
}

/** One request to a control socket; rejects after `timeoutMs`. */
export function controlRequest(path: string, req: { cmd: string; [k: string]: unknown }, timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`control socket ${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        const res = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string };
        if (res.ok) resolve(res.result);
        else reject(new Error(res.error ?? 'control request failed'));
      } catch (e) {
        reject(e);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
