/**
 * HTTP servers for checker load, run inside a lab host:
 *   node web-pages.js <address> <firstPort> <count> <bytes>
 * Listens on `count` ports from `firstPort` and answers every GET with the
 * same deterministic page of `bytes` bytes (so a checker can verify its MD5
 * digest). Prints {"event":"ready","md5":...} once every port listens.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';

const [address, first, count, bytes] = process.argv.slice(2);
const page = Buffer.alloc(Number(bytes));
for (let i = 0; i < page.length; i++) page[i] = 97 + ((i * 7) % 26);
const md5 = createHash('md5').update(page).digest('hex');
let listening = 0;
for (let p = Number(first); p < Number(first) + Number(count); p++) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': page.length });
    res.end(page);
  });
  server.listen(p, address, () => {
    if (++listening === Number(count)) process.stdout.write(JSON.stringify({ event: 'ready', md5 }) + '\n');
  });
}
