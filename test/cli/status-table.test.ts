/** `keepalived-ts --status`: the table (a pure function of the status and the time), and the flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseHttpListen } from '../../src/cli/args';
import { runCli, type CliIo } from '../../src/cli/main';
import { age, formatStatusTable, utc } from '../../src/cli/status-table';
import { NOW, status } from '../daemon/main/ops/fixtures';

test('--status table: summary, one block per instance, sync groups, virtual and real servers', () => {
  const text = formatStatusTable(status(), NOW);
  assert.equal(text, [
    'keepalived-ts: router_id lb1, pid 4242, 2026-12-04 10:20:00Z',
    '',
    'Instance  VRID  Interface  State   Prio  Eff  Master       VIPs',
    'VI_1      51    eth0       MASTER  150   130  this router  2',
    'VI_6      52    eth1       BACKUP  100   100  fe80::2      1',
    '',
    'VRRP instance VI_1: VRID 51 on eth0, VRRPv2 IPv4',
    '  State              MASTER',
    '  Priority           150 base, 130 effective',
    '  Master             192.0.2.1 (this router)',
    '  Advert interval    1 s',
    '  Last transition    2026-12-04 10:16:48Z (3m12s ago) BACKUP -> MASTER: master_down_timer',
    '  Virtual IPs (set)  192.0.2.100/24 dev eth0 scope global',
    '                     192.0.2.101/32 dev eth0 scope global',
    '  Trackers           script chk_web DOWN weight -20',
    '',
    'VRRP instance VI_6: VRID 52 on eth1, VRRPv3 IPv6',
    '  State              BACKUP',
    '  Priority           100',
    '  Master             fe80::2 (priority 200)',
    '  Advert interval    0.1 s',
    '  Last transition    2026-12-04 09:20:01Z (59m59s ago) INIT -> BACKUP: startup',
    '  Virtual IPs        2001:db8::100/64 dev eth1 scope global',
    '  Trackers           -',
    '',
    'Sync group  State   Members',
    'G1          MASTER  VI_1',
    '',
    'Virtual server       Real server               State  Weight  Checks',
    '[192.0.2.10]:tcp:80                            UP     3       quorum 1 up',
    '                     [198.51.100.11]:tcp:8080  UP     3       HTTP_GET up (status 200, 12.5 ms)',
    '                     [198.51.100.12]:tcp:8080  DOWN   1       TCP_CHECK DOWN (connect ECONNREFUSED Zq9sEcrT, 0.8 ms)',
    '',
  ].join('\n'));
});

test('--status table: faults, a tracker whose failure means FAULT, no instance, a checker process that did not answer', () => {
  const s = status();
  s.instances = [{ ...s.instances[0], state: 'FAULT', wantState: 'BACKUP', faults: ['eth0 down'], trackers: [{ kind: 'interface', name: 'eth0', ok: false, weight: 0 }] }];
  s.checkers = { error: 'status: no answer within 3000 ms' };
  const text = formatStatusTable(s, NOW);
  assert.match(text, /\n {2}State {14}FAULT \(wants BACKUP\)\n/);
  assert.match(text, /\n {2}Trackers {11}interface eth0 DOWN \(failure: FAULT\)\n {2}Faults {13}eth0 down\n/);
  assert.match(text, /\nChecker process: no answer \(status: no answer within 3000 ms\)\n/);
  assert.match(formatStatusTable({ ...s, instances: [], syncGroups: [], checkers: undefined }, NOW), /\nNo VRRP instance\.\n/);
});

test('times: UTC and a short age', () => {
  assert.equal(utc(Date.UTC(2026, 0, 2, 3, 4, 5)), '2026-01-02 03:04:05Z');
  assert.deepEqual([0, 4_400, 192_000, 7_500_000, 3 * 86_400_000 + 4 * 3_600_000].map(age), ['0s', '4s', '3m12s', '2h05m', '3d4h']);
});

test('--status prints the table, --status --json the JSON (the io says which)', () => {
  const calls: Array<[string, boolean]> = [];
  const io = { status: (socket: string, json: boolean) => void calls.push([socket, json]) } as unknown as CliIo;
  assert.equal(runCli(['--status'], io), undefined);
  assert.equal(runCli(['--status', '--json', '--control-socket', '/run/x.sock'], io), undefined);
  assert.deepEqual(calls, [['/run/keepalived-ts.sock', false], ['/run/x.sock', true]]);
});

test('--http-listen ADDRESS[:PORT]: IP literals only, IPv6 in brackets with a port, repeatable, port 9650 by default', () => {
  assert.deepEqual(parseHttpListen('127.0.0.1'), { address: '127.0.0.1', port: 9650 });
  assert.deepEqual(parseHttpListen('192.0.2.1:9100'), { address: '192.0.2.1', port: 9100 });
  assert.deepEqual(parseHttpListen('::1'), { address: '::1', port: 9650 });
  assert.deepEqual(parseHttpListen('[2001:db8::1]:80'), { address: '2001:db8::1', port: 80 });
  for (const bad of ['localhost:9650', '192.0.2.1:0', '192.0.2.1:65536', '[::1]:x', '2001:db8::1:80:', '']) {
    assert.equal(typeof parseHttpListen(bad), 'string', bad);
  }
  const r = parseArgs(['--http-listen=127.0.0.1:9100', '--http-listen', '[::1]:9101']);
  assert.ok(r.ok);
  assert.deepEqual(r.options.httpListen, [{ address: '127.0.0.1', port: 9100 }, { address: '::1', port: 9101 }]);
  const none = parseArgs([]);
  assert.ok(none.ok);
  assert.equal(none.options.httpListen, undefined, 'none unless given: the configuration decides');
  const bad = parseArgs(['--http-listen=example.com']);
  assert.ok(!bad.ok && /--http-listen needs ADDRESS\[:PORT\]/.test(bad.error));
});
