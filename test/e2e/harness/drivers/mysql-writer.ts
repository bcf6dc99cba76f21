/**
 * The application of the MySQL scenario, run inside a lab host:
 *   node mysql-writer.js '<WriterOptions as JSON>'
 *
 * Inserts one row every intervalMs (absolute deadlines; a late tick is not
 * made up with a burst) through `host` (the VIP), ids generated here:
 * firstId, firstId + 1, ... On any error it drops the connection, waits
 * backoffMs and reconnects; the id whose INSERT failed is "in doubt" (the
 * server may have committed it without answering) and the next row gets a
 * new id, so an id is never written twice.
 *
 * stdout, one JSON line per event (`at` is epoch ms when it happened):
 *   {"event":"ready"}
 *   {"event":"connected","server":1,"at":...}      @@server_id of the new connection
 *   {"ack":17,"server":1,"at":...}                 the server said OK
 *   {"doubt":18,"error":"...","at":...}            the INSERT failed (not acknowledged)
 *   {"error":"...","at":...}                       a connection attempt failed
 *   {"event":"stopped","next":19}                  after SIGTERM, then exit 0
 */
import * as mysql from 'mysql2/promise';

export interface WriterOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  table: string;
  firstId: number;
  intervalMs: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  backoffMs: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as WriterOptions;
const out = (e: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(e) + '\n');
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown): string => (e instanceof Error ? (e as { code?: string }).code ?? e.message : String(e));

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

async function connect(): Promise<{ conn: mysql.Connection; server: number }> {
  const conn = await mysql.createConnection({
    host: o.host,
    port: o.port,
    user: o.user,
    password: o.password,
    database: o.database,
    connectTimeout: o.connectTimeoutMs,
  });
  // A server that goes away between queries reports here; the next query fails and reconnects.
  conn.on('error', () => undefined);
  const [rows] = await conn.query({ sql: 'SELECT @@server_id AS id', timeout: o.queryTimeoutMs });
  return { conn, server: Number((rows as { id: number }[])[0].id) };
}

async function main(): Promise<void> {
  out({ event: 'ready' });
  let id = o.firstId;
  let link: { conn: mysql.Connection; server: number } | undefined;
  let next = Date.now();
  while (!stopping) {
    if (!link) {
      try {
        link = await connect();
        out({ event: 'connected', server: link.server, at: Date.now() });
      } catch (e) {
        out({ error: message(e), at: Date.now() });
        await sleep(o.backoffMs);
        continue;
      }
    }
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    next = Math.max(next + o.intervalMs, Date.now());
    if (stopping) break;
    try {
      await link.conn.query({ sql: `INSERT INTO ${o.table} (id, at_ms) VALUES (?, ?)`, values: [id, Date.now()], timeout: o.queryTimeoutMs });
      out({ ack: id, server: link.server, at: Date.now() });
    } catch (e) {
      out({ doubt: id, error: message(e), at: Date.now() });
      link.conn.destroy();
      link = undefined;
      await sleep(o.backoffMs);
    }
    id++;
  }
  link?.conn.destroy();
  out({ event: 'stopped', next: id });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    out({ event: 'crashed', error: message(e) });
    process.exit(1);
  },
);
