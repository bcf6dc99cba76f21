/**
 * virtual_server_group, virtual_server (IP+port, fwmark, group), real_server
 * and the checker blocks mapped into the model: keywords, legacy aliases,
 * keepalived's defaults and inheritance (checker → real_server →
 * virtual_server → default), and the fix-ups of keepalived 2.2.7
 * validate_check_config().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode, type DnsCheck, type FileCheck, type HttpCheck, type MiscCheck, type SimpleCheck, type SmtpCheck, type UdpCheck } from '../../src/config';
import { assertClean, codes, parse, withCode } from './helpers';

/** A virtual server with the three settings keepalived warns about when missing. */
function vs(head: string, ...body: string[]): string {
  return [`virtual_server ${head} {`, ' protocol TCP', ' lb_algo rr', ' lb_kind NAT', ...body.map((l) => ' ' + l), '}'].join('\n');
}

test('virtual_server IP PORT: defaults and every keyword', () => {
  const r = parse([
    'virtual_server 192.0.2.10 443 {',
    ' delay_loop 6',
    ' lb_algo wrr',
    ' lb_kind DR',
    ' protocol TCP',
    ' persistence_timeout 600',
    ' persistence_granularity 255.255.255.0',
    ' quorum 2',
    ' hysteresis 1',
    ' quorum_up "/etc/keepalived/quorum.sh UP"',
    ' quorum_down "/etc/keepalived/quorum.sh DOWN"',
    ' alpha',
    ' omega',
    ' ha_suspend',
    ' inhibit_on_failure',
    ' virtualhost www.example.com',
    ' sorry_server 192.0.2.99 8443',
    ' sorry_server_inhibit',
    ' smtp_alert',
    ' real_server 192.0.2.20 443 {',
    '  weight 3',
    '  TCP_CHECK {',
    '  }',
    ' }',
    '}',
  ].join('\n'));
  assertClean(r);
  const v = r.config.virtualServers[0];
  assert.deepEqual({
    kind: v.kind, address: v.address, port: v.port, family: v.family, delayLoopMs: v.delayLoopMs, lbAlgo: v.lbAlgo,
    lbKind: v.lbKind, protocol: v.protocol, persistenceTimeoutS: v.persistenceTimeoutS, persistenceGranularity: v.persistenceGranularity,
    quorum: v.quorum, hysteresis: v.hysteresis, alpha: v.alpha, omega: v.omega, haSuspend: v.haSuspend,
    inhibitOnFailure: v.inhibitOnFailure, virtualhost: v.virtualhost, sorryServer: v.sorryServer,
    sorryServerInhibit: v.sorryServerInhibit, smtpAlert: v.smtpAlert,
  }, {
    kind: 'address', address: '192.0.2.10', port: 443, family: 4, delayLoopMs: 6000, lbAlgo: 'wrr', lbKind: 'DR',
    protocol: 'TCP', persistenceTimeoutS: 600, persistenceGranularity: '255.255.255.0', quorum: 2, hysteresis: 1,
    alpha: true, omega: true, haSuspend: true, inhibitOnFailure: true, virtualhost: 'www.example.com',
    sorryServer: { address: '192.0.2.99', port: 8443 }, sorryServerInhibit: true, smtpAlert: true,
  });
  assert.deepEqual([v.quorumUp?.argv, v.quorumDown?.argv], [['/etc/keepalived/quorum.sh', 'UP'], ['/etc/keepalived/quorum.sh', 'DOWN']]);
  // The real server inherits alpha and inhibit_on_failure from its virtual server.
  assert.deepEqual([v.realServers[0].weight, v.realServers[0].alpha, v.realServers[0].inhibitOnFailure], [3, true, true]);
});

test('virtual_server defaults: delay_loop 60 s, quorum 1, hysteresis 0; missing protocol/lb_algo/lb_kind are reported like keepalived', () => {
  // keepalived: "no protocol set - defaulting to UDP", "no scheduler set, setting default 'wlc'",
  // "no forwarding method set, setting default NAT" (each makes -t exit 5).
  const r = parse('virtual_server 192.0.2.10 80 {\n real_server 192.0.2.20 80 {\n  TCP_CHECK {\n  }\n }\n}');
  const v = r.config.virtualServers[0];
  assert.deepEqual([v.delayLoopMs, v.quorum, v.hysteresis, v.protocol, v.lbAlgo, v.lbKind, v.persistenceTimeoutS], [60_000, 1, 0, 'UDP', 'wlc', 'NAT', undefined]);
  assert.deepEqual(codes(r), ['W_VS_NO_PROTOCOL@1', 'W_VS_NO_SCHEDULER@1', 'W_VS_NO_FORWARDING@1']);
});

test('legacy aliases: lvs_sched = lb_algo, lvs_method = lb_kind, nb_get_retry = retry (HTTP_GET/SSL_GET, with keepalived\'s deprecation warning)', () => {
  const r = parse([
    'virtual_server 192.0.2.10 80 {',
    ' protocol TCP',
    ' lvs_sched sh',
    ' lvs_method TUN',
    ' real_server 192.0.2.20 80 {',
    '  HTTP_GET {',
    '   url {',
    '    path /',
    '   }',
    '   nb_get_retry 4',
    '  }',
    ' }',
    '}',
  ].join('\n'));
  // keepalived 2.2.7 (check_http.c): "nb_get_retry is deprecated - please use 'retry'" (-t exit 5).
  assert.deepEqual(codes(r), ['W_DEPRECATED_KEYWORD@10']);
  assert.equal(r.diagnostics[0].message, "nb_get_retry is deprecated - please use 'retry'");
  const v = r.config.virtualServers[0];
  assert.deepEqual([v.lbAlgo, v.lbKind, v.realServers[0].checkers[0].retry], ['sh', 'TUN', 4]);
});

/* ------------------------- issue 8: legacy nb_get_retry ------------------------- */

test('issue 8: the MySQL article\'s TCP_CHECK with nb_get_retry gives retry 3 and one deprecation warning naming retry, at that line', () => {
  // keepalived 2.2.7 calls nb_get_retry an unknown keyword in TCP_CHECK; keepalived-ts reads it as retry,
  // with keepalived's own HTTP_GET warning (-t exit 5 either way).
  const r = parse(vs('192.0.2.100 3306',
    'real_server 192.0.2.11 3306 {',
    ' TCP_CHECK {',
    '  connect_timeout 10',
    '  nb_get_retry 3',
    '  delay_before_retry 3',
    '  connect_port 3306',
    ' }',
    '}'));
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line, d.col, d.severity]), [['W_DEPRECATED_KEYWORD', 8, 4, 'warning']]);
  assert.equal(r.diagnostics[0].message, "nb_get_retry is deprecated - please use 'retry'");
  assert.equal(configTestExitCode(r.diagnostics), 5);
  const c = r.config.virtualServers[0].realServers[0].checkers[0];
  assert.deepEqual([c.type, c.retry, c.connectTimeoutMs, c.delayBeforeRetryMs, (c as SimpleCheck).connectPort], ['TCP_CHECK', 3, 10_000, 3000, 3306]);
  // The model --dump-json prints has retry, and no trace of the legacy name.
  assert.doesNotMatch(JSON.stringify(r.config), /nb_get_retry/);
});

test('nb_get_retry is read as retry in every checker type, each with one warning at its line', () => {
  const body: Record<string, string[]> = {
    TCP_CHECK: [], HTTP_GET: ['url {', ' path /', '}'], SSL_GET: ['url {', ' path /', '}'], SMTP_CHECK: [],
    MISC_CHECK: ['misc_path /bin/true'], DNS_CHECK: [], UDP_CHECK: [], PING_CHECK: [], FILE_CHECK: ['track_file tf'],
  };
  for (const [type, lines] of Object.entries(body)) {
    const r = parse(['track_file tf {', ' file /run/tf', '}',
      vs('192.0.2.10 80', 'real_server 192.0.2.20 80 {', ` ${type} {`, ...lines.map((l) => `  ${l}`), '  nb_get_retry 7', ' }', '}')].join('\n'));
    const line = 10 + lines.length;
    assert.deepEqual(codes(r), [`W_DEPRECATED_KEYWORD@${line}`], type);
    assert.equal(r.config.virtualServers[0].realServers[0].checkers[0].retry, 7, type);
  }
});

test('a bad nb_get_retry value: the deprecation, then the value warning (keepalived: "Invalid nb_get_retry value")', () => {
  const r = parse(vs('192.0.2.10 80', 'real_server 192.0.2.20 80 {', ' TCP_CHECK {', '  nb_get_retry many', ' }', '}'));
  assert.deepEqual(codes(r), ['W_DEPRECATED_KEYWORD@7', 'W_INVALID_NUMBER@7']);
  assert.equal(r.config.virtualServers[0].realServers[0].checkers[0].retry, 1);
});

test('persistence_timeout without a value is 360 s', () => {
  const r = parse(vs('192.0.2.10 80', 'persistence_timeout', 'real_server 192.0.2.20 80 {', '}'));
  assertClean(r);
  assert.equal(r.config.virtualServers[0].persistenceTimeoutS, 360);
});

test('virtual_server fwmark N and group NAME; virtual_server_group entries', () => {
  const r = parse([
    'virtual_server_group G1 {',
    ' 192.0.2.1-10 80',
    ' 2001:db8::1 443',
    ' fwmark 5',
    '}',
    'virtual_server fwmark 7 {',
    ' lb_algo rr',
    ' lb_kind DR',
    ' real_server 192.0.2.20 {',
    ' }',
    '}',
    'virtual_server group G1 {',
    ' protocol TCP',
    ' lb_algo rr',
    ' lb_kind NAT',
    ' real_server 192.0.2.21 80 {',
    ' }',
    '}',
    'virtual_server 2001:db8::10 80 {',
    ' protocol UDP',
    ' lb_algo rr',
    ' lb_kind NAT',
    ' real_server 2001:db8::20 80 {',
    ' }',
    '}',
  ].join('\n'));
  assertClean(r);
  const [f, g, six] = r.config.virtualServers;
  assert.deepEqual([f.kind, f.fwmark, f.realServers[0].address, f.realServers[0].port], ['fwmark', 7, '192.0.2.20', undefined]);
  assert.deepEqual([g.kind, g.group, g.protocol], ['group', 'G1', 'TCP']);
  assert.deepEqual([six.family, six.address, six.realServers[0].family], [6, '2001:db8::10', 6]);
  assert.deepEqual(r.config.virtualServerGroups[0].entries.map((e) => [e.address, e.rangeEnd, e.port, e.fwmark]), [
    ['192.0.2.1', 10, 80, undefined], ['2001:db8::1', undefined, 443, undefined], [undefined, undefined, undefined, 5],
  ]);
});

test('a protocol on a fwmark service is ignored with a warning; a group of addresses without protocol is UDP', () => {
  const r = parse([
    'virtual_server fwmark 1 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 192.0.2.20 {\n }\n}',
    'virtual_server_group G {\n 192.0.2.1 80\n}',
    'virtual_server group G {\n lb_algo rr\n lb_kind NAT\n real_server 192.0.2.20 80 {\n }\n}',
  ].join('\n'));
  assert.deepEqual(codes(r), ['W_FWMARK_PROTOCOL@2', 'W_VS_NO_PROTOCOL@11']);
  assert.equal(r.config.virtualServers[1].protocol, 'UDP');
});

test('real_server: keywords, default weight 1, timing inherited by checkers', () => {
  const r = parse(vs('192.0.2.10 80',
    'delay_loop 20', 'connect_timeout 7', 'retry 2', 'delay_before_retry 4', 'warmup 9',
    'real_server 192.0.2.20 8080 {',
    ' weight 0',
    ' inhibit_on_failure false',
    ' uthreshold 100',
    ' lthreshold 10',
    ' lvs_method DR',
    ' notify_up "/etc/keepalived/rs.sh up"',
    ' notify_down /etc/keepalived/rs.sh',
    ' virtualhost rs.example.com',
    ' smtp_alert no',
    ' delay_loop 15',
    ' TCP_CHECK {',
    '  connect_timeout 3',
    ' }',
    ' TCP_CHECK {',
    '  connect_port 8081',
    '  retry 5',
    '  delay_before_retry 0.5',
    '  delay_loop 2',
    ' }',
    '}',
    'real_server 192.0.2.21 80 {',
    ' TCP_CHECK {',
    ' }',
    '}'));
  assertClean(r);
  const [a, b] = r.config.virtualServers[0].realServers;
  assert.deepEqual([a.address, a.port, a.weight, a.inhibitOnFailure, a.uthreshold, a.lthreshold, a.lvsMethod, a.virtualhost, a.smtpAlert],
    ['192.0.2.20', 8080, 0, false, 100, 10, 'DR', 'rs.example.com', false]);
  assert.deepEqual([a.notifyUp?.argv, a.notifyDown?.argv], [['/etc/keepalived/rs.sh', 'up'], ['/etc/keepalived/rs.sh']]);
  const t = (c: (typeof a.checkers)[number]): number[] => [c.connectTimeoutMs, c.retry, c.delayBeforeRetryMs, c.delayLoopMs, c.warmupMs ?? -1];
  // checker value, else real_server's, else virtual_server's.
  assert.deepEqual(a.checkers.map(t), [[3000, 2, 4000, 15_000, 9000], [7000, 5, 500, 2000, 9000]]);
  assert.equal(a.checkers[1].connectPort, 8081);
  assert.deepEqual([b.weight, b.checkers.map(t)], [1, [[7000, 2, 4000, 20_000, 9000]]]);
});

test('checker defaults without any timing settings: connect_timeout 5 s, retry 1, delay_before_retry 1 s, delay_loop 60 s', () => {
  const r = parse(vs('192.0.2.10 80', 'real_server 192.0.2.20 80 {', ' TCP_CHECK {', ' }', '}'));
  assertClean(r);
  const c = r.config.virtualServers[0].realServers[0].checkers[0];
  assert.deepEqual([c.type, c.connectTimeoutMs, c.retry, c.delayBeforeRetryMs, c.delayLoopMs, c.warmupMs, c.connectPort], ['TCP_CHECK', 5000, 1, 1000, 60_000, undefined, undefined]);
});

test('HTTP_GET / SSL_GET: url { path digest status_code virtualhost }, defaults 200-299', () => {
  const r = parse(vs('192.0.2.10 443', 'real_server 192.0.2.20 443 {',
    ' SSL_GET {',
    '  url {',
    '   path /health',
    '   digest 9B3A0C85A887A256D6939DA88AABD8CD',
    '   status_code 200 301-302,404',
    '   virtualhost app.example.com',
    '  }',
    '  url {',
    '   path /',
    '  }',
    '  virtualhost www.example.com',
    '  http_protocol 1.1',
    '  enable_sni',
    '  connect_ip 192.0.2.30',
    '  connect_port 8443',
    '  bindto 192.0.2.40',
    '  bind_port 4000',
    '  fwmark 9',
    ' }',
    ' HTTP_GET {',
    '  url {',
    '   path /x',
    '  }',
    ' }',
    '}'));
  assertClean(r);
  const [s, h] = r.config.virtualServers[0].realServers[0].checkers as HttpCheck[];
  assert.equal(s.type, 'SSL_GET');
  assert.deepEqual(s.url.map((u) => [u.path, u.digest, u.statusCode, u.virtualhost]), [
    ['/health', '9b3a0c85a887a256d6939da88aabd8cd', [[200, 200], [301, 302], [404, 404]], 'app.example.com'],
    ['/', undefined, [[200, 299]], undefined],
  ]);
  assert.deepEqual([s.virtualhost, s.httpProtocol, s.enableSni, s.connectIp, s.connectPort, s.bindTo, s.bindPort, s.fwmark],
    ['www.example.com', '1.1', true, '192.0.2.30', 8443, '192.0.2.40', 4000, 9]);
  assert.deepEqual([h.type, h.url[0].path, h.enableSni], ['HTTP_GET', '/x', false]);
});

test('SMTP_CHECK, MISC_CHECK, DNS_CHECK, PING_CHECK, UDP_CHECK, FILE_CHECK keywords', () => {
  const r = parse([
    'track_file tf {\n file /run/keepalived/rs_tf\n}',
    vs('192.0.2.10 25', 'real_server 192.0.2.20 25 {',
      ' SMTP_CHECK {', '  helo_name mx.example.com', '  host {', '   connect_ip 192.0.2.25', '   connect_port 2525', '  }', ' }',
      ' MISC_CHECK {', '  misc_path "/usr/local/bin/check.sh 192.0.2.20"', '  misc_timeout 10', '  misc_dynamic', '  user nobody', ' }',
      ' DNS_CHECK {', '  type aaaa', '  name www.example.com', ' }',
      ' PING_CHECK {', ' }',
      ' UDP_CHECK {', '  payload 00ff', '  require_reply ab cd', '  min_reply_length 2', '  max_reply_length 64', ' }',
      ' FILE_CHECK {', '  track_file tf', '  weight -10', ' }',
      '}'),
  ].join('\n'));
  assertClean(r);
  const [smtp, misc, dns, ping, udp, file] = r.config.virtualServers[0].realServers[0].checkers;
  const s = smtp as SmtpCheck;
  assert.deepEqual([s.type, s.heloName, s.host.map((h) => [h.connectIp, h.connectPort])], ['SMTP_CHECK', 'mx.example.com', [['192.0.2.25', 2525]]]);
  const m = misc as MiscCheck;
  assert.deepEqual([m.type, m.miscPath?.argv, m.miscTimeoutMs, m.miscDynamic, m.user], ['MISC_CHECK', ['/usr/local/bin/check.sh', '192.0.2.20'], 10_000, true, 'nobody']);
  const d = dns as DnsCheck;
  assert.deepEqual([d.type, d.queryType, d.name], ['DNS_CHECK', 'AAAA', 'www.example.com']);
  assert.equal(ping.type, 'PING_CHECK');
  const u = udp as UdpCheck;
  assert.deepEqual([u.type, u.payload, u.requireReply, u.minReplyLength, u.maxReplyLength], ['UDP_CHECK', '00ff', 'ab cd', 2, 64]);
  const f = file as FileCheck;
  assert.deepEqual([f.type, f.trackFile, f.weight], ['FILE_CHECK', 'tf', -10]);
});

test('DNS_CHECK defaults: type SOA, name "."', () => {
  const r = parse(vs('192.0.2.10 53', 'real_server 192.0.2.20 53 {', ' DNS_CHECK {', ' }', '}'));
  const d = r.config.virtualServers[0].realServers[0].checkers[0] as DnsCheck;
  assert.deepEqual([d.queryType, d.name], ['SOA', '.']);
});

test('incomplete checkers are dropped, reported at their closing "}" like keepalived end handlers', () => {
  // keepalived: "No script path has been specified for MISC_CHECKER - skipping",
  // "FILE_CHECK has no track_file specified - ignoring" at the "}" lines.
  const r = parse(vs('192.0.2.10 80', 'real_server 192.0.2.20 80 {',
    ' MISC_CHECK {', ' }',
    ' FILE_CHECK {', '  weight 1', ' }',
    ' HTTP_GET {', '  url {', '   digest 00000000000000000000000000000000', '  }', ' }',
    ' FILE_CHECK {', '  track_file undefined_tf', ' }',
    '}'));
  assert.deepEqual(r.config.virtualServers[0].realServers[0].checkers, []);
  assert.deepEqual(codes(r), ['W_NO_SCRIPT@7', 'W_NO_FILE@10', 'W_URL_NO_PATH@14', 'W_NO_URL@15', 'W_UNRESOLVED_REFERENCE@17']);
});

test('a virtual server without real servers is dropped; duplicated real servers are removed', () => {
  const r = parse([vs('192.0.2.10 80'), vs('192.0.2.11 80', 'real_server 192.0.2.20 80 {', '}', 'real_server 192.0.2.20 80 {', '}')].join('\n'));
  assert.deepEqual(r.config.virtualServers.map((v) => [v.address, v.realServers.length]), [['192.0.2.11', 1]]);
  assert.deepEqual(codes(r), ['W_VS_NO_REAL_SERVERS@1', 'W_DUPLICATE_NAME@12']);
});

test('quorum above the total weight is reduced; hysteresis >= quorum is reset (keepalived fix-ups)', () => {
  const r = parse(vs('192.0.2.10 80', 'quorum 5', 'hysteresis 5', 'real_server 192.0.2.20 80 {', ' weight 2', '}', 'real_server 192.0.2.21 80 {', '}'));
  const v = r.config.virtualServers[0];
  assert.deepEqual([v.quorum, v.hysteresis], [3, 2]);
  assert.deepEqual(codes(r), ['W_VS_QUORUM@5', 'W_VS_HYSTERESIS@6']);
  assert.match(withCode(r, 'W_VS_QUORUM')[0].message, /quorum 5 for \[192\.0\.2\.10\]:80 exceeds total weight of real servers 3, reducing quorum to 3/);
});

test('bad values are reported at their token and never silently replaced', () => {
  const r = parse(vs('192.0.2.10 80', 'lb_kind nat', 'persistence_timeout 2678401', 'real_server 192.0.2.20 80 {',
    ' inhibit_on_failure maybe', ' TCP_CHECK {', '  connect_port 0', '  bindto not-an-ip', ' }', '}'));
  const d = r.diagnostics.map((x) => [x.code, x.line, x.col]);
  assert.deepEqual(d, [['W_BAD_VALUE', 5, 10], ['W_OUT_OF_RANGE', 6, 22], ['W_INVALID_BOOLEAN', 8, 22], ['W_OUT_OF_RANGE', 10, 17], ['W_BAD_ADDRESS', 11, 11]]);
  assert.match(r.diagnostics[0].message, /lb_kind 'nat' is not one of NAT, DR, TUN - using NAT/);
  const v = r.config.virtualServers[0];
  assert.deepEqual([v.lbKind, v.persistenceTimeoutS, v.realServers[0].inhibitOnFailure, v.realServers[0].checkers[0].connectPort], ['NAT', undefined, false, undefined]);
});

test('checker retry defaults are per type (keepalived default_retry / default_delay_before_retry), after real and virtual server values', () => {
  const text = (rs: string) => `virtual_server 192.0.2.100 80 {\n delay_loop 6\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 192.0.2.12 80 {\n${rs} HTTP_GET {\n  url {\n   path /\n  }\n }\n DNS_CHECK {\n  name example.com\n }\n MISC_CHECK {\n  misc_path /bin/true\n }\n TCP_CHECK {\n }\n }\n}\n`;
  const r = parse(text(''));
  const got = r.config.virtualServers[0].realServers[0].checkers.map((c) => [c.type, c.retry, c.delayBeforeRetryMs]);
  assert.deepEqual(got, [['HTTP_GET', 1, 3000], ['DNS_CHECK', 3, 6000], ['MISC_CHECK', 0, 1000], ['TCP_CHECK', 1, 1000]]);
  const rsSet = parse(text(' retry 2\n delay_before_retry 4\n'));
  assert.deepEqual(rsSet.config.virtualServers[0].realServers[0].checkers.map((c) => [c.retry, c.delayBeforeRetryMs]), [[2, 4000], [2, 4000], [2, 4000], [2, 4000]]);
});
