/**
 * The checker plan for PING_CHECK: what its probe is given (connect_ip,
 * bindto, bind_if), and that bind_if is part of the checker's identity
 * (keepalived's compare_conn_opts(): a reload that changes it is a new checker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, hasErrors, formatDiagnostic, type KeepalivedConfig } from '../../../src/config';
import { planCheckers } from '../../../src/daemon/checker-process/checker-plan';

function parse(text: string): KeepalivedConfig {
  const r = parseConfigText(text, 'keepalived.conf', { hostname: 'lb1' });
  if (hasErrors(r.diagnostics)) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.config;
}

const ping = (lines: string[]) =>
  [
    'virtual_server 2001:db8::100 80 {', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP',
    '  real_server 2001:db8::7 80 {', '    PING_CHECK {', ...lines.map((l) => `      ${l}`), '    }', '  }', '}',
  ].join('\n');

test('PING_CHECK: the probe gets connect_ip, bindto and bind_if; bind_if changes the identity', () => {
  const plain = planCheckers(parse(ping([]))).virtualServers[0].realServers[0].checkers[0];
  assert.deepEqual(plain.cfg.spec, { type: 'PING_CHECK', target: { connectIp: '2001:db8::7', connectPort: 80 } });
  const bound = planCheckers(parse(ping(['connect_ip fe80::7', 'bindto fe80::1', 'bind_if eth1']))).virtualServers[0].realServers[0].checkers[0];
  assert.deepEqual(bound.cfg.spec, {
    type: 'PING_CHECK',
    target: { connectIp: 'fe80::7', connectPort: 80, bindto: 'fe80::1', bindIf: 'eth1' },
  });
  const otherIf = planCheckers(parse(ping(['connect_ip fe80::7', 'bindto fe80::1', 'bind_if eth2']))).virtualServers[0].realServers[0].checkers[0];
  assert.notEqual(otherIf.identity, bound.identity);
});
