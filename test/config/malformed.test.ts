/**
 * One table of malformed inputs. Each row is a small file tree (the root is
 * /etc/keepalived/keepalived.conf, includes live next to it) and the exact
 * list of diagnostics it must produce: code, file, line and severity, in
 * order. Rows marked "keepalived:" quote what keepalived 2.2.7 -t printed for
 * the same input (where it prints a line, ours is the same line).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode } from '../../src/config';
import { parseFiles } from './helpers';

const ROOT = '/etc/keepalived/keepalived.conf';
const INC = '/etc/keepalived/inc.conf';
const R = 'root';
const I = 'inc';

type Sev = 'E' | 'W';
interface Row {
  name: string;
  /** Root file text, or a file tree. */
  input: string | Record<string, string>;
  /** [code, file (R root, I inc.conf), line, severity]. */
  expect: Array<[string, typeof R | typeof I, number, Sev]>;
  /** keepalived -t exit status, when it is worth pinning. */
  exit?: number;
}

const VI = (...body: string[]): string =>
  ['vrrp_instance VI_1 {', ' interface eth0', ' virtual_router_id 51', ...body.map((l) => ' ' + l), ' virtual_ipaddress {', '  192.0.2.1/24', ' }', '}'].join('\n');

const ROWS: Row[] = [
  /* ------------------------------ lexing / blocks ------------------------------ */
  { name: 'unknown top-level keyword', input: 'vrrp_instanse VI_1 {\n}', expect: [['W_UNKNOWN_KEYWORD', R, 1, 'W']], exit: 5 },
  { name: 'unknown keyword inside a block (keepalived: "Unknown keyword \'priorty\'")', input: VI('priorty 100'), expect: [['W_UNKNOWN_KEYWORD', R, 4, 'W']], exit: 5 },
  { name: "extra '}' (keepalived: \"(Line 4) Extra '}' found\")", input: 'global_defs {\n router_id r1\n}\n}', expect: [['W_UNEXPECTED_EOB', R, 4, 'W']], exit: 5 },
  { name: "missing '}' at end of file, located at the '{'", input: 'global_defs {\n router_id r1\n', expect: [['W_MISSING_EOB', R, 1, 'W']], exit: 5 },
  { name: "'{' with no keyword before it", input: '{\n}\nglobal_defs {\n}', expect: [['W_UNEXPECTED_BOB', R, 1, 'W']] },
  { name: 'block keyword without a block', input: 'vrrp_instance VI_1\nglobal_defs {\n}', expect: [['W_MISSING_BLOCK', R, 1, 'W']] },
  { name: 'value keyword given a block', input: 'global_defs {\n router_id r1 {\n }\n}', expect: [['W_UNEXPECTED_BLOCK', R, 2, 'W']] },
  { name: 'unterminated double quote', input: 'global_defs {\n router_id "abc\n}', expect: [['W_UNTERMINATED_QUOTE', R, 2, 'W'], ['W_UNMATCHED_QUOTE', R, 2, 'W'], ['W_MISSING_PARAMETER', R, 2, 'W']] },
  { name: 'block named twice (keepalived: "vrrp instance VI_1 already defined")', input: `${VI()}\n${VI()}`, expect: [['W_DUPLICATE_NAME', R, 8, 'W']], exit: 5 },
  { name: 'block name missing', input: 'vrrp_script {\n script /bin/true\n}', expect: [['E_MISSING_PARAMETER', R, 1, 'E']], exit: 2 },

  /* ------------------------------- preprocessing ------------------------------- */
  { name: 'include without match: warning at the include line, exit 0 (keepalived CONFIG_OK)', input: 'include missing/*.conf', expect: [['W_INCLUDE_NOT_FOUND', R, 1, 'W']], exit: 0 },
  { name: 'include cycle', input: { [ROOT]: 'include inc.conf', [INC]: '\ninclude keepalived.conf' }, expect: [['E_INCLUDE_CYCLE', I, 2, 'E']] },
  { name: 'problem inside an included file names that file', input: { [ROOT]: 'include inc.conf', [INC]: 'global_defs {\n\n vrrp_version 9\n}' }, expect: [['W_OUT_OF_RANGE', I, 3, 'W']] },
  { name: 'bad ~SEQ (keepalived: "Invalid ~SEQ values")', input: 'global_defs {\n~SEQ(i, 1, 0, 3) x_$i\n}', expect: [['W_BAD_GENERATOR', R, 2, 'W']], exit: 5 },
  { name: 'bad ~LST', input: '~LST(v) x', expect: [['W_BAD_GENERATOR', R, 1, 'W']] },
  { name: 'error in a generated line is located at the generator line', input: 'global_defs {\n router_id r\n~SEQ(v, 2, 4) vrrp_version $v\n}', expect: [['W_OUT_OF_RANGE', R, 3, 'W']] },
  { name: 'error in a multi-line parameter expansion is located at the use', input: '$P=vrrp_version 7 \\\n router_id x\n\nglobal_defs {\n$P\n}', expect: [['W_OUT_OF_RANGE', R, 5, 'W']] },

  /* ------------------------------- values / types ------------------------------ */
  { name: 'missing value: keepalived exits 2 ("missing a parameter after keyword `priority`")', input: VI('priority'), expect: [['E_MISSING_PARAMETER', R, 4, 'E']], exit: 2 },
  { name: 'priority out of range (keepalived: "number \'256\' outside range [1, 255]")', input: VI('priority 256'), expect: [['W_OUT_OF_RANGE', R, 4, 'W']], exit: 5 },
  { name: 'priority not a number', input: VI('priority high'), expect: [['W_INVALID_NUMBER', R, 4, 'W']], exit: 5 },
  { name: 'virtual_router_id out of range: instance has no VRID', input: VI('virtual_router_id 0'), expect: [['W_OUT_OF_RANGE', R, 4, 'W']] },
  { name: 'no virtual_router_id (keepalived: "the virtual router id must be set")', input: 'vrrp_instance VI_1 {\n virtual_ipaddress {\n  192.0.2.1\n }\n}', expect: [['E_NO_VRID', R, 1, 'E']], exit: 5 },
  { name: 'advert_int 0 (keepalived: "Advert interval (0) not valid! Must be > 0")', input: VI('advert_int 0'), expect: [['W_OUT_OF_RANGE', R, 4, 'W']], exit: 5 },
  { name: 'garp_master_delay in fractions (keepalived: "invalid number \'0.5\'")', input: VI('garp_master_delay 0.5'), expect: [['W_INVALID_NUMBER', R, 4, 'W']], exit: 5 },
  { name: 'state in lower case (keepalived: "unknown state \'master\', defaulting to BACKUP")', input: VI('state master'), expect: [['W_BAD_VALUE', R, 4, 'W']], exit: 5 },
  { name: 'boolean in upper case (keepalived: "invalid strict_mode Yes specified")', input: VI('strict_mode Yes'), expect: [['W_INVALID_BOOLEAN', R, 4, 'W']], exit: 5 },
  { name: 'bad VIP (keepalived: "VRRP parsed invalid IP 192.0.2.300/24. skipping IP...")', input: VI().replace('192.0.2.1/24', '192.0.2.1/24\n  192.0.2.300/24'), expect: [['W_BAD_ADDRESS', R, 6, 'W']], exit: 5 },
  { name: 'unknown VIP option (keepalived: "Unknown configuration entry \'foo\' for ip address")', input: VI().replace('192.0.2.1/24', '192.0.2.1/24 foo'), expect: [['W_UNKNOWN_OPTION', R, 5, 'W']], exit: 5 },
  { name: 'auth_pass longer than 8 (keepalived: "Truncating auth_pass to 8 characters")', input: VI('authentication {', ' auth_type PASS', ' auth_pass 123456789', '}'), expect: [['W_AUTH_PASS_TRUNCATED', R, 6, 'W']], exit: 5 },
  { name: 'vrrp_script weight out of range', input: 'vrrp_script s {\n script /bin/true\n weight 300\n}', expect: [['W_OUT_OF_RANGE', R, 3, 'W']], exit: 5 },
  { name: 'bad unicast peer (keepalived: "malformed unicast peer address[192.0.2.999]")', input: VI('unicast_peer {', ' 192.0.2.999', '}'), expect: [['W_BAD_ADDRESS', R, 5, 'W'], ['W_DEPRECATED', R, 4, 'W']] },
  { name: 'bad lb_algo (keepalived: "Invalid lvs_scheduler \'foo\' - ignoring")', input: 'virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_kind NAT\n lb_algo foo\n real_server 192.0.2.20 80 {\n }\n}', expect: [['W_BAD_VALUE', R, 4, 'W']], exit: 5 },
  { name: 'bad digest (keepalived: "digest \'zz\' character length should be 32")', input: 'virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 192.0.2.20 80 {\n  HTTP_GET {\n   url {\n    path /\n    digest zz\n   }\n  }\n }\n}', expect: [['W_BAD_VALUE', R, 9, 'W']], exit: 5 },
  { name: 'bad status_code (keepalived: "Invalid HTTP_GET status code \'99\'")', input: 'virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 192.0.2.20 80 {\n  HTTP_GET {\n   url {\n    path /\n    status_code 99\n   }\n  }\n }\n}', expect: [['W_BAD_VALUE', R, 9, 'W']], exit: 5 },
  { name: 'bad virtual_server address (keepalived: "Invalid virtual server IP address/port")', input: 'virtual_server 192.0.2.300 80 {\n}', expect: [['W_BAD_ADDRESS', R, 1, 'W']], exit: 5 },

  /* ------------------------------ semantic checks ------------------------------ */
  { name: 'track_script to an undefined script (keepalived: "track script nosuch not found, ignoring...")', input: VI('track_script {', ' nosuch', '}'), expect: [['W_UNRESOLVED_REFERENCE', R, 5, 'W']], exit: 5 },
  { name: 'track_script to a script defined later (keepalived does not find it)', input: `${VI('track_script {', ' later', '}')}\nvrrp_script later {\n script /nonexistent/later.sh\n}`, expect: [['W_UNRESOLVED_REFERENCE', R, 5, 'W']], exit: 5 },
  { name: 'vrrp_script without script, at its "}" (keepalived: "(Line 4) No script set for vrrp_script s")', input: 'vrrp_script s {\n interval 1\n\n}', expect: [['W_NO_SCRIPT', R, 4, 'W']], exit: 5 },
  { name: 'track_file without file, at its "}"', input: 'vrrp_track_file tf {\n weight 1\n}', expect: [['W_NO_FILE', R, 3, 'W']], exit: 5 },
  { name: 'nopreempt with state MASTER (keepalived: "nopreempt will not work with initial state MASTER - clearing")', input: VI('state MASTER', 'priority 100', 'nopreempt'), expect: [['W_NOPREEMPT_MASTER', R, 6, 'W']], exit: 5 },
  { name: 'duplicate VRID, at the second virtual_router_id line (keepalived, unlocated: "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0")', input: `${VI()}\n${VI().replace('VI_1', 'VI_2')}`, expect: [['E_DUPLICATE_VRID', R, 10, 'E']], exit: 5 },
  { name: 'no VIP for VRRPv3 (keepalived: "No VIP specified; at least one is required")', input: 'vrrp_instance VI_1 {\n version 3\n virtual_router_id 1\n}', expect: [['E_NO_VIP', R, 1, 'E']], exit: 5 },
  { name: 'other-family VIP (keepalived: "(Line 6) address family must match VRRP instance")', input: VI().replace('192.0.2.1/24', '192.0.2.1/24\n  2001:db8::1/64'), expect: [['W_FAMILY_MISMATCH', R, 6, 'W']], exit: 5 },
  { name: 'unicast_ttl without peers, at the "}" (keepalived: "(Line 8) Cannot use unicast_ttl without unicast peers")', input: VI('unicast_ttl 10'), expect: [['W_UNICAST_TTL', R, 8, 'W']], exit: 5 },
  { name: 'sync group member that does not exist', input: `${VI()}\nvrrp_sync_group G {\n group {\n  VI_1\n  VI_X\n }\n}`, expect: [['W_UNRESOLVED_REFERENCE', R, 11, 'W'], ['W_SYNC_GROUP_ONE', R, 8, 'W']], exit: 5 },
  { name: 'strict mode with authentication', input: `global_defs {\n vrrp_strict\n}\n${VI('authentication {', ' auth_type PASS', ' auth_pass x', '}')}`, expect: [['W_AUTH_STRICT', R, 7, 'W']], exit: 5 },
  { name: 'track_interface on a missing interface is an environment warning', input: VI('track_interface {', ' eth9', '}'), expect: [['W_NO_INTERFACE', R, 5, 'W']], exit: 5 },
];

for (const row of ROWS) {
  test(`malformed: ${row.name}`, () => {
    const files = typeof row.input === 'string' ? { [ROOT]: row.input } : row.input;
    const r = parseFiles(files, ROOT, { interfaceExists: (n) => n === 'lo' || n === 'eth0' });
    const got = r.diagnostics.map((d) => [d.code, d.file === ROOT ? R : d.file === INC ? I : d.file, d.line, d.severity === 'error' ? 'E' : 'W']);
    assert.deepEqual(got, row.expect, r.diagnostics.map((d) => `${d.code}@${d.line} ${d.message}`).join('\n'));
    for (const d of r.diagnostics) {
      assert.ok(d.message.length > 10, 'every diagnostic says what was expected');
      assert.ok(d.col >= 1, 'every diagnostic has a column');
    }
    if (row.exit !== undefined) assert.equal(configTestExitCode(r.diagnostics), row.exit);
  });
}
