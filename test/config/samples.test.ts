/**
 * Every sample configuration shipped with keepalived (Debian 2.2.7:
 * /usr/share/doc/keepalived/samples; copies in fixtures/samples) through our
 * front end, against what keepalived 2.2.7 itself printed for it.
 *
 * Recorded by running `keepalived -t -l -f FILE` in a network namespace made
 * for the purpose (never on the host): once with only lo and eth0 (the exit
 * status below), once with eth1..eth3 as well (keepalived stops before its
 * vrrp_complete_init() checks when an interface is missing, so some messages
 * only appear then). `lines` are the lines keepalived named in either run;
 * `unlocated` are its messages that name no line, each with the code of our
 * diagnostic for it (ours is located).
 *
 * Asserted per file: the -t exit status for a host with lo and eth0; every
 * diagnostic of ours is either at a line keepalived reported, or is the
 * counterpart of one of keepalived's unlocated messages; every line
 * keepalived reported has a diagnostic of ours; environment warnings
 * (W_NO_INTERFACE) are only at lines keepalived reported too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configTestExitCode, loadConfig, type HttpCheck, type SmtpCheck } from '../../src/config';

const DIR = path.join(__dirname, '..', '..', '..', 'test', 'config', 'fixtures', 'samples');

interface Expect {
  exit: number;
  lines: number[];
  unlocated?: Record<string, string>;
}

const EXPECTED: Record<string, Expect> = {
  'HTTP_GET.port': { exit: 0, lines: [] },
  'IPv6': { exit: 0, lines: [] },
  'PING_CHECK': { exit: 0, lines: [] },
  'SMTP_CHECK': { exit: 0, lines: [] },
  'SSL_GET': { exit: 5, lines: [], unlocated: { W_AUTH_AH_MASTER: '(VI_1) Initial state master is incompatible with AH authentication - clearing' } },
  'UDP_CHECK': { exit: 0, lines: [] },
  'conditional_conf': { exit: 5, lines: [13, 25, 28, 29] },
  'fwmark': { exit: 5, lines: [], unlocated: { W_FWMARK_PROTOCOL: 'Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored' } },
  'inhibit': { exit: 0, lines: [] },
  'misc_check': { exit: 0, lines: [] },
  'misc_check_arg': { exit: 0, lines: [] },
  'quorum': { exit: 0, lines: [] },
  'sample': { exit: 0, lines: [] },
  'status_code': { exit: 0, lines: [] },
  'track_interface': { exit: 5, lines: [10, 11, 16, 19, 25, 26, 29, 30, 31] },
  'virtual_server_group': { exit: 0, lines: [] },
  'virtualhost': { exit: 0, lines: [] },
  'vrrp': { exit: 5, lines: [51, 68] },
  'vrrp.localcheck': { exit: 5, lines: [51, 52, 53, 65, 74, 75, 95] },
  'vrrp.lvs_syncd': { exit: 5, lines: [4, 5, 11, 39], unlocated: { W_EMPTY_SYNC_GROUP: 'Sync group VG1 has no virtual router(s). removing' } },
  'vrrp.routes': { exit: 5, lines: [11, 12, 22, 23, 26, 27, 28, 29, 30, 31, 32] },
  'vrrp.rules': { exit: 5, lines: [10, 11, 21, 22, 25, 26] },
  'vrrp.scripts': { exit: 0, lines: [] },
  'vrrp.static_ipaddress': { exit: 5, lines: [9, 10, 22, 23, 24, 25] },
  'vrrp.sync': { exit: 5, lines: [36, 55] },
};

const ENVIRONMENT = new Set(['W_NO_INTERFACE']);
const onlyLoEth0 = (n: string): boolean => n === 'lo' || n === 'eth0';

test('the fixture directory holds exactly the 25 shipped samples', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.startsWith('keepalived.conf.')).map((f) => f.slice('keepalived.conf.'.length)).sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const [name, exp] of Object.entries(EXPECTED)) {
  test(`sample keepalived.conf.${name}: keepalived -t exit ${exp.exit} on a host with lo and eth0, same lines`, () => {
    const file = path.join(DIR, `keepalived.conf.${name}`);
    const r = loadConfig(file, { interfaceExists: onlyLoEth0, hostname: 'lb1.example.net' });
    const show = r.diagnostics.map((d) => `${d.code}@${d.line} ${d.message}`).join('\n');
    assert.equal(configTestExitCode(r.diagnostics), exp.exit, show);
    for (const d of r.diagnostics) {
      assert.equal(d.file, file);
      if (exp.lines.includes(d.line)) continue;
      assert.ok(!ENVIRONMENT.has(d.code), `environment warning at a line keepalived did not report: ${d.code}@${d.line}`);
      assert.ok(exp.unlocated && d.code in exp.unlocated, `not a message keepalived prints for this file: ${d.code}@${d.line} ${d.message}`);
    }
    for (const line of exp.lines) {
      assert.ok(r.diagnostics.some((d) => d.line === line), `keepalived reports line ${line}; we do not\n${show}`);
    }
    for (const code of Object.keys(exp.unlocated ?? {})) {
      assert.ok(r.diagnostics.some((d) => d.code === code), `no ${code} for keepalived's "${exp.unlocated?.[code]}"`);
    }
  });
}

test('with every interface present, only keepalived\'s own messages remain (no environment warnings)', () => {
  for (const [name, exp] of Object.entries(EXPECTED)) {
    const file = path.join(DIR, `keepalived.conf.${name}`);
    // keepalived's second run had eth0..eth3 but no eth0.1 (keepalived.conf.track_interface line 16).
    const r = loadConfig(file, { interfaceExists: (n) => n !== 'eth0.1', hostname: 'lb1.example.net' });
    for (const d of r.diagnostics) {
      if (d.code === 'W_NO_INTERFACE') assert.deepEqual([name, d.line], ['track_interface', 16]);
      else assert.ok(exp.lines.includes(d.line) || (exp.unlocated && d.code in exp.unlocated), `${name}: ${d.code}@${d.line} ${d.message}`);
    }
  }
});

test('the shipped samples parse into the model their text describes (spot checks)', () => {
  const load = (n: string) => loadConfig(path.join(DIR, `keepalived.conf.${n}`), { hostname: 'lb1.example.net' }).config;
  const s = load('sample');
  assert.deepEqual([s.global.routerId, s.global.notificationEmail, s.global.notificationEmailFrom], ['LVS_DEVEL', ['acassen'], 'Alexandre.Cassen@firewall.loc']);
  assert.deepEqual([s.global.smtpServer, s.global.smtpConnectTimeoutMs], [{ host: '192.168.200.1', port: 25 }, 30_000]);
  const vi = s.instances[0];
  assert.deepEqual([vi.name, vi.state, vi.interface, vi.virtualRouterId, vi.priority, vi.advertIntMs, vi.nopreempt],
    ['VI_1', 'BACKUP', 'eth0', 50, 100, 1000, true]);
  assert.deepEqual(vi.virtualIpaddress.map((v) => `${v.address}/${v.prefixLength}`), ['192.168.200.11/32', '192.168.200.12/32', '192.168.200.13/32']);
  const v = s.virtualServers[0];
  assert.deepEqual([v.address, v.port, v.delayLoopMs, v.lbAlgo, v.lbKind, v.persistenceTimeoutS, v.protocol, v.sorryServer],
    ['10.10.10.2', 1358, 6000, 'rr', 'NAT', 50, 'TCP', { address: '192.168.200.200', port: 1358 }]);
  const rs = v.realServers[0];
  const http = rs.checkers[0] as HttpCheck;
  assert.deepEqual([rs.address, rs.port, rs.weight, http.type, http.url[0].path, http.url[0].digest, http.connectTimeoutMs, http.retry, http.delayBeforeRetryMs],
    ['192.168.200.2', 1358, 1, 'HTTP_GET', '/testurl3/test.jsp', '640205b7b0fc66c1ea91c463fac6334d', 3000, 3, 3000]);
  const six = load('IPv6');
  assert.deepEqual(six.virtualServerGroups[0].entries.map((e) => [e.address, e.rangeEnd, e.port]), [['ae00::2', 9, 80], ['ae00::1', undefined, 80]]);
  const smtp = six.virtualServers[0].realServers[0].checkers[0] as SmtpCheck;
  assert.deepEqual([six.virtualServers[0].family, six.virtualServers[0].realServers[0].port, smtp.type, smtp.heloName, smtp.retry], [6, 25, 'SMTP_CHECK', 'foo.bar.com', 3]);
  const sync = load('vrrp.sync');
  assert.deepEqual(sync.syncGroups.map((g) => [g.name, g.group, g.notify.master?.argv]), [
    ['G1', ['VI_1', 'VI_2', 'VI_5', 'VI_6', 'VI_7', 'VI_8', 'VI_9'], ['/usr/local/bin/vrrp.mast', 'arg1', 'arg2']], ['G2', ['VI_3', 'VI_4'], undefined],
  ]);
});
