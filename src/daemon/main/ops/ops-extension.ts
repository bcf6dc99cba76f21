/**
 * Operations on an HTTP listener of the main process, off unless
 * `http_listen` (global_defs) or `--http-listen` names an address:
 *
 *   GET /             the live status page (./page.ts)
 *   GET /app.js, /app.css
 *   GET /events       server-sent events: a `status` event (./page-view.ts)
 *                     at once, on every transition, and every second
 *   GET /status.json  the same view, once
 *   GET /metrics      Prometheus text format (./metrics.ts)
 *
 * Read-only: any other method is 405, any other path 404. The listeners
 * follow the configuration at reload. Transitions are kept here (the last
 * 500 for the page's timeline, and a count of each kind since start).
 */
import * as http from 'node:http';
import type { HttpListen } from '../../../config/model';
import { gitCommit, packageVersion } from '../../../core/package-info';
import { LoopDelayMonitor } from '../../loop-delay';
import type { MainContext, MainExtension } from '../extensions';
import { metricsText } from './metrics';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page';
import { pageView } from './page-view';
import { TransitionLog, type BuildInfo, type OpsSnapshot } from './snapshot';

const KEEP_TRANSITIONS = 500;
const PUSH_EVERY_MS = 1000;
/** Transitions often come in bursts (a sync group, several instances): one push for a burst. */
const PUSH_DEBOUNCE_MS = 20;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const STATIC: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: PAGE_JS },
  '/app.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
};

/** Where to listen: --http-listen replaces the configuration's http_listen lines. */
export function listenersOf(ctx: Pick<MainContext, 'options' | 'config'>): Pick<HttpListen, 'address' | 'port'>[] {
  return ctx.options.httpListen ?? ctx.config().global.httpListen;
}

const key = (ls: readonly Pick<HttpListen, 'address' | 'port'>[]) => ls.map((l) => `[${l.address}]:${l.port}`).sort().join(' ');

/** The package version and, when the daemon runs from a git checkout, its commit. */
export function buildInfo(): BuildInfo {
  return { version: packageVersion(), node: process.version, commit: gitCommit() };
}

export class OpsExtension implements MainExtension {
  readonly name = 'http (metrics, status page)';
  private ctx?: MainContext;
  private servers: http.Server[] = [];
  private bound = '';
  private readonly clients = new Set<http.ServerResponse>();
  private readonly transitions = new TransitionLog(KEEP_TRANSITIONS);
  private readonly loop = new LoopDelayMonitor('main');
  private readonly build = buildInfo();
  private ticker?: NodeJS.Timeout;
  private pushTimer?: NodeJS.Timeout;
  private stopped = false;

  async start(ctx: MainContext): Promise<void> {
    this.ctx = ctx;
    ctx.events.on('transition', (n) => {
      this.transitions.record({ atMs: n.atMs, kind: n.kind, name: n.name, from: n.from, state: n.state, reason: n.reason, priority: n.priority });
      this.pushSoon();
    });
    ctx.events.on('reloaded', (r) => {
      if (r.ok) void this.bind();
    });
    ctx.events.on('childDied', () => this.pushSoon());
    ctx.events.on('stopping', () => this.pushSoon());
    await this.bind();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.close();
  }

  /** What every view is made from. */
  async snapshot(): Promise<OpsSnapshot> {
    const ctx = this.ctx!;
    const base = { config: ctx.config(), transitions: this.transitions.recent, transitionTotals: this.transitions.totals, mainLoop: this.loop.view(), build: this.build };
    try {
      const status = await ctx.status();
      return { ...base, nowMs: Date.now(), status };
    } catch (e) {
      return { ...base, nowMs: Date.now(), error: (e as Error).message };
    }
  }

  /** Listen where the configuration (or --http-listen) says; again after a reload that changed it. */
  private async bind(): Promise<void> {
    const ctx = this.ctx!;
    const want = listenersOf(ctx);
    if (key(want) === this.bound || this.stopped) return;
    await this.close();
    this.bound = key(want);
    if (want.length === 0) return;
    this.loop.start();
    for (const l of want) {
      const server = http.createServer((req, res) => void this.serve(req, res));
      server.keepAliveTimeout = 5000;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: l.address, port: l.port, ipv6Only: l.address.includes(':') }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.servers.push(server);
        ctx.log.info(`HTTP status page and /metrics on http://${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}/`);
      } catch (e) {
        ctx.log.error(`http_listen ${l.address} ${l.port}: ${(e as Error).message} - not listening there`);
      }
    }
    if (this.servers.length && !this.ticker) {
      this.ticker = setInterval(() => { if (this.clients.size) void this.push(); }, PUSH_EVERY_MS);
      this.ticker.unref();
    }
  }

  private async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.ticker = this.pushTimer = undefined;
    for (const c of this.clients) c.end();
    this.clients.clear();
    const servers = this.servers;
    this.servers = [];
    this.bound = '';
    this.loop.stop();
    await Promise.all(servers.map((s) => new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    })));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('read-only: GET only\n');
      return;
    }
    try {
      const page = STATIC[url];
      if (page) return void this.send(req, res, page.type, page.body);
      if (url === '/metrics') {
        return void this.send(req, res, 'text/plain; version=0.0.4; charset=utf-8', await metricsText(await this.snapshot()));
      }
      if (url === '/status.json') return void this.send(req, res, 'application/json', JSON.stringify(pageView(await this.snapshot())));
      if (url === '/events') return this.subscribe(req, res);
      // Browsers ask for it on their own: no icon, and no 404 in their console.
      if (url === '/favicon.ico') return void res.writeHead(204, SECURITY_HEADERS).end();
      res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    } catch (e) {
      this.ctx?.log.error(`http ${url}: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    }
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, type: string, body: string): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async subscribe(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    if (req.method === 'HEAD') return void res.end();
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
    res.write(event(pageView(await this.snapshot())));
  }

  private pushSoon(): void {
    if (this.pushTimer || this.clients.size === 0) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      void this.push();
    }, PUSH_DEBOUNCE_MS);
  }

  private async push(): Promise<void> {
    const text = event(pageView(await this.snapshot()));
    for (const c of this.clients) c.write(text);
  }
}

function event(data: unknown): string {
  return `event: status\ndata: ${JSON.stringify(data)}\n\n`;
}
