/**
 * etcd v3 through its JSON gateway (served at every client URL since 3.3 under
 * /v3/...; keys and values base64, int64 as strings), on node:http/https.
 *
 * Why not a library: the maintained Node client (`etcd3`) brings gRPC and
 * protobuf, and its Lease reports a lost lease only once 2 x TTL has passed
 * since the last keepalive *answer* by the wall clock (Date.now()), retrying
 * every 100 ms meanwhile. An election must know its lease is gone within the
 * TTL, counted from when a keepalive was *sent*, on a monotonic clock (see
 * ./campaign.ts): the keepalive schedule, the request deadlines and the
 * backoff are ours, so one request per call with its own deadline is all we
 * need from the wire, and the gateway gives exactly that without a dependency.
 *
 * One request at a time goes to the current endpoint; a failed or timed-out
 * request moves to the next endpoint for the following one (the caller backs
 * off). Authentication: a token from /v3/auth/authenticate, renewed once when
 * etcd refuses it.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from '../core/log';
import { StoreError, type CampaignResult, type ElectionStore, type Kv } from './store';

export interface EtcdClientOptions {
  endpoints: string[];
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { user: string; password: string };
  /** Deadline of one request. */
  timeoutMs: number;
  log?: Logger;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

/** The end of a prefix range: the prefix with its last byte plus one. */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i]++;
      return out.toString('base64');
    }
  }
  return b64('\0');
}

interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}

function toKv(r: RawKv): Kv {
  return { key: unb64(r.key), value: unb64(r.value), createRevision: Number(r.create_revision ?? 0), modRevision: Number(r.mod_revision ?? 0), lease: r.lease ?? '0' };
}

type Json = Record<string, unknown>;

const WATCH_BACKOFF_MAX_MS = 5000;

export class EtcdJsonClient implements ElectionStore {
  private current = 0;
  private token: string | undefined;
  private readonly agent: http.Agent;
  private closed = false;
  private readonly watches = new Set<{ close(): void }>();

  constructor(private readonly o: EtcdClientOptions) {
    if (o.endpoints.length === 0) throw new StoreError('E_ETCD_UNREACHABLE', 'no etcd endpoint');
    const tls = o.endpoints[0].startsWith('https:');
    this.agent = tls ? new https.Agent({ keepAlive: true, maxSockets: 4, ...o.tls }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  get endpoint(): string {
    return this.o.endpoints[this.current % this.o.endpoints.length];
  }

  async grantLease(ttlS: number): Promise<{ id: string; ttlS: number }> {
    const r = await this.call('/v3/lease/grant', { TTL: String(ttlS) });
    if (typeof r.ID !== 'string') throw new StoreError('E_ETCD_REJECTED', `lease grant: ${String(r.error ?? 'no ID')}`);
    return { id: r.ID, ttlS: Number(r.TTL ?? ttlS) };
  }

  async keepAlive(id: string): Promise<number> {
    // A stream in gRPC; one request and one answer through the gateway.
    const r = await this.call('/v3/lease/keepalive', { ID: id });
    const res = (r.result ?? {}) as Json;
    return Number(res.TTL ?? 0);
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
    } catch (e) {
      if (!/lease not found/.test((e as Error).message)) throw e;
    }
  }

  async leaseTimeToLive(id: string): Promise<number> {
    const r = await this.call('/v3/lease/timetolive', { ID: id });
    return Number(r.TTL ?? -1);
  }

  async range(prefix: string): Promise<{ revision: number; kvs: Kv[] }> {
    const r = await this.call('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
    return { revision: Number((r.header as Json | undefined)?.revision ?? 0), kvs: ((r.kvs as RawKv[] | undefined) ?? []).map(toKv) };
  }

  async put(key: string, value: string, lease: string): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value), lease });
  }

  async campaign(key: string, value: string, lease: string, fenceKey: string, fenceValue: string): Promise<CampaignResult> {
    const r = await this.call('/v3/kv/txn', {
      compare: [{ key: b64(key), target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
      success: [
        { request_range: { key: b64(fenceKey) } },
        { request_put: { key: b64(key), value: b64(value), lease } },
        { request_put: { key: b64(fenceKey), value: b64(fenceValue) } },
      ],
      failure: [],
    });
    if (r.succeeded !== true) return { won: false };
    const first = ((r.responses as Json[] | undefined) ?? [])[0]?.response_range as { kvs?: RawKv[] } | undefined;
    const prev = first?.kvs?.[0];
    return { won: true, revision: Number((r.header as Json | undefined)?.revision ?? 0), prevFence: prev ? unb64(prev.value) : undefined };
  }

  async fencedDelete(leaderKey: string, revision: number, key: string): Promise<boolean> {
    return this.fenced(leaderKey, revision, { request_delete_range: { key: b64(key) } });
  }

  async fencedPut(leaderKey: string, revision: number, key: string, value: string, lease: string): Promise<boolean> {
    return this.fenced(leaderKey, revision, { request_put: { key: b64(key), value: b64(value), lease } });
  }

  private async fenced(leaderKey: string, revision: number, op: Json): Promise<boolean> {
    const r = await this.call('/v3/kv/txn', {
      compare: [{ key: b64(leaderKey), target: 'CREATE', result: 'EQUAL', create_revision: String(revision) }],
      success: [op],
      failure: [],
    });
    return r.succeeded === true;
  }

  /**
   * A watch stream on the prefix (POST /v3/watch, newline-delimited JSON
   * answers). Any event, and every (re)connection, calls onChange: the
   * caller reads the state afresh, so a missed event costs nothing. It
   * reconnects after 100 ms, doubling up to 5 s while it keeps failing.
   */
  watch(prefix: string, onChange: () => void): { close(): void } {
    let req: http.ClientRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    let failures = 0;
    const again = () => {
      if (closed || this.closed) return;
      const ms = Math.min(WATCH_BACKOFF_MAX_MS, 100 * 2 ** Math.min(failures++, 10));
      timer = setTimeout(open, ms);
      timer.unref();
    };
    const open = () => {
      if (closed || this.closed) return;
      const body = JSON.stringify({ create_request: { key: b64(prefix), range_end: prefixEnd(prefix) } });
      req = this.request('/v3/watch', body, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          this.rotate();
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            try {
              const m = JSON.parse(line) as { result?: { created?: boolean; events?: unknown[]; canceled?: boolean } };
              if (m.result?.created) failures = 0;
              if (m.result?.created || m.result?.events?.length) onChange();
            } catch {
              /* a line we do not understand: the next read sorts it out */
            }
          }
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => {
        req = undefined;
        again();
      });
    };
    open();
    const w = {
      close: () => {
        closed = true;
        clearTimeout(timer);
        req?.destroy();
        this.watches.delete(w);
      },
    };
    this.watches.add(w);
    return w;
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.agent.destroy();
  }

  private rotate(): void {
    this.current = (this.current + 1) % this.o.endpoints.length;
  }

  private request(path: string, body: string, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const url = new URL(path, this.endpoint);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (this.token) headers.authorization = this.token; // '' : authentication is off on the server
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'POST', agent: this.agent, headers }, onResponse);
    req.end(body);
    return req;
  }

  /** One POST with a deadline; the answer's JSON, or a StoreError. */
  private async call(path: string, body: Json, retryAuth = true): Promise<Json> {
    if (this.closed) throw new StoreError('E_ETCD_CLOSED', 'client closed');
    if (this.o.auth && this.token === undefined && path !== '/v3/auth/authenticate') await this.authenticate();
    const text = JSON.stringify(body);
    const endpoint = this.endpoint;
    const r = await new Promise<{ status: number; json: Json }>((resolve, reject) => {
      const req = this.request(path, text, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => {
          clearTimeout(t);
          try {
            resolve({ status: res.statusCode ?? 0, json: data ? (JSON.parse(data) as Json) : {} });
          } catch {
            reject(new StoreError('E_ETCD_REJECTED', `${endpoint}${path}: answer is not JSON (HTTP ${res.statusCode})`));
          }
        });
        res.on('error', (e) => reject(new StoreError('E_ETCD_UNREACHABLE', `${endpoint}: ${e.message}`)));
      });
      const t = setTimeout(() => {
        req.destroy();
        reject(new StoreError('E_ETCD_TIMEOUT', `${endpoint}${path}: no answer within ${this.o.timeoutMs} ms`));
      }, this.o.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(t);
        reject(new StoreError('E_ETCD_UNREACHABLE', `${endpoint}: ${e.message}`));
      });
    }).catch((e: unknown) => {
      this.rotate();
      throw e;
    });
    if (r.status === 200) return r.json;
    const msg = String(r.json.error ?? r.json.message ?? `HTTP ${r.status}`);
    if (this.o.auth && retryAuth && (r.status === 401 || /auth token|permission denied/.test(msg))) {
      this.token = undefined;
      return this.call(path, body, false);
    }
    if (r.status >= 500) this.rotate();
    throw new StoreError(r.status === 401 ? 'E_ETCD_AUTH' : 'E_ETCD_REJECTED', `${endpoint}${path}: ${msg}`);
  }

  private async authenticate(): Promise<void> {
    const a = this.o.auth;
    if (!a) return;
    let r: Json;
    try {
      r = await this.call('/v3/auth/authenticate', { name: a.user, password: a.password }, false);
    } catch (e) {
      if (!/authentication is not enabled/.test((e as Error).message)) throw e;
      this.o.log?.warn(`etcd: authentication is not enabled on ${this.endpoint} - going on without a token`);
      this.token = '';
      return;
    }
    if (typeof r.token !== 'string') throw new StoreError('E_ETCD_AUTH', 'authentication gave no token');
    this.token = r.token;
  }
}
