/**
 * `http_listen ADDRESS [PORT]` (ours): the listeners of /metrics and the
 * status page. Off unless written; an address or port that cannot be used
 * is an error at its word, so `-t` fails at that line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode } from '../../src/config';
import { assertClean, parse } from './helpers';

const glob = (...lines: string[]) => `global_defs {\n${lines.map((l) => ` ${l}\n`).join('')}}\n`;

test('http_listen: none by default', () => {
  const r = parse(glob('router_id r1'));
  assertClean(r);
  assert.deepEqual(r.config.global.httpListen, []);
});

test('http_listen: IPv4 and IPv6 literals, the port defaults to 9650, repeatable', () => {
  const r = parse(glob('http_listen 127.0.0.1', 'http_listen ::1 9100', 'http_listen 192.0.2.1 80'));
  assertClean(r);
  assert.deepEqual(r.config.global.httpListen.map((l) => [l.address, l.port, l.loc.line]), [
    ['127.0.0.1', 9650, 2], ['::1', 9100, 3], ['192.0.2.1', 80, 4],
  ]);
});

test('http_listen: a bad address or port is an error at its word; -t exits 5; nothing listens', () => {
  const cases: Array<[string, number, string]> = [
    ['http_listen localhost 9650', 14, "'localhost' is not an IPv4 or IPv6 address"],
    ['http_listen 192.0.2.300', 14, "'192.0.2.300' is not an IPv4 or IPv6 address"],
    ['http_listen 192.0.2.0/24 9650', 14, "'192.0.2.0/24' is not an IPv4 or IPv6 address"],
    ['http_listen 127.0.0.1 0', 24, "port '0' is not in 1..65535"],
    ['http_listen 127.0.0.1 65536', 24, "port '65536' is not in 1..65535"],
    ['http_listen ::1 http', 18, "port 'http' is not in 1..65535"],
  ];
  for (const [line, col, msg] of cases) {
    const r = parse(glob('router_id r1', line));
    const d = r.diagnostics.map((x) => [x.code, x.severity, x.line, x.col]);
    assert.deepEqual(d, [['E_HTTP_LISTEN', 'error', 3, col]], line);
    assert.ok(r.diagnostics[0].message.includes(msg), r.diagnostics[0].message);
    assert.equal(configTestExitCode(r.diagnostics), 5, line);
    assert.deepEqual(r.config.global.httpListen, [], line);
  }
});

test('http_listen: a missing address stops keepalived reading (exit 2); a duplicate and extra words are warnings', () => {
  const missing = parse(glob('http_listen'));
  assert.deepEqual(missing.diagnostics.map((x) => [x.code, x.line]), [['E_MISSING_PARAMETER', 2]]);
  assert.equal(configTestExitCode(missing.diagnostics), 2);
  const dup = parse(glob('http_listen 127.0.0.1 9650', 'http_listen 127.0.0.1', 'http_listen ::1 9650 extra'));
  assert.deepEqual(dup.diagnostics.map((x) => [x.code, x.line]), [['W_DUPLICATE_NAME', 3], ['W_BAD_VALUE', 4]]);
  assert.deepEqual(dup.config.global.httpListen.map((l) => `${l.address} ${l.port}`), ['127.0.0.1 9650', '::1 9650']);
});
