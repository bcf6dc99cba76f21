/**
 * Lexing as keepalived 2.2.7 (lib/parser.c decomment(), alloc_strvec_r(),
 * read_line() brace splitting, alloc_strvec_quoted_escaped()): comments,
 * quoting, escapes, and `{ }` on the same or the following line. Expected
 * words were checked against `keepalived -t` (2.2.7) where noted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitQuotedEscaped } from '../../src/config';
import { decomment, splitPieces, tokenize, type SrcLine } from '../../src/config/lexer';
import { assertClean, codes, emitted, inGlobal, parse } from './helpers';

const line = (text: string): SrcLine => ({ text, file: 'f.conf', line: 7, cols: 1 });

test('decomment: ! and # start a comment anywhere outside double quotes, even mid-word', () => {
  assert.equal(decomment(line('router_id r1  # trailing')).line.text, 'router_id r1');
  assert.equal(decomment(line('router_id r1 ! bang')).line.text, 'router_id r1');
  assert.equal(decomment(line('k1#notcomment')).line.text, 'k1');
  assert.equal(decomment(line('k2!bang')).line.text, 'k2');
  assert.equal(decomment(line('"a # b" c # d')).line.text, '"a # b" c');
  // Single quotes do not protect a comment character in keepalived.conf.
  assert.equal(decomment(line("x 'a#b'")).line.text, "x 'a");
  assert.equal(decomment(line('   # only a comment')).line.text, '');
});

test('decomment: \\# and \\! outside quotes are the literal characters; inside quotes they stay escaped', () => {
  assert.equal(decomment(line('k4\\#esc')).line.text, 'k4#esc');
  assert.equal(decomment(line('k5\\!esc # c')).line.text, 'k5!esc');
  assert.equal(decomment(line('"q\\#x"')).line.text, '"q\\#x"');
});

test('decomment: a trailing backslash marks a continuation and blanks before it are dropped', () => {
  const d = decomment(line('  value one   \\'));
  assert.equal(d.cont, true);
  assert.equal(d.line.text, 'value one\\');
  assert.equal(decomment(line('no continuation')).cont, false);
});

test('decomment: an unterminated double quote is reported', () => {
  assert.equal(decomment(line('router_id "abc')).unterminatedQuote, true);
  assert.equal(decomment(line('router_id "abc"')).unterminatedQuote, false);
});

test('decomment keeps source columns through removed escapes', () => {
  const d = decomment(line('  a\\#b c'));
  assert.equal(d.line.text, 'a#b c');
  const t = tokenize(d.line).tokens;
  assert.deepEqual(t.map((x) => [x.text, x.loc.col]), [['a#b', 3], ['c', 8]]);
});

test('tokenize: words split on blanks, a "quoted string" is one word without its quotes', () => {
  const t = tokenize(line('notify  "/bin/echo a b"\tx')).tokens;
  assert.deepEqual(t.map((x) => x.text), ['notify', '/bin/echo a b', 'x']);
  assert.deepEqual(t.map((x) => x.quoted), [false, true, false]);
  assert.deepEqual(t.map((x) => x.loc.col), [1, 9, 25]);
  // A quote ends a bare word and starts a new one (alloc_strvec_r strcspn on WHITE_SPACE + '"').
  assert.deepEqual(tokenize(line('k5 "a"b')).tokens.map((x) => x.text), ['k5', 'a', 'b']);
  assert.deepEqual(tokenize(line('a"b c"')).tokens.map((x) => x.text), ['a', 'b c']);
});

test('tokenize: an unmatched quote is located at the quote and ends the line', () => {
  const r = tokenize(line('x "abc'));
  assert.deepEqual(r.tokens.map((t) => t.text), ['x']);
  assert.deepEqual(r.unmatchedQuote, { file: 'f.conf', line: 7, col: 3 });
});

test('splitPieces: { and } outside quotes become pieces of their own', () => {
  const p = (s: string): string[] => splitPieces(line(s)).map((x) => x.text);
  assert.deepEqual(p('vrrp_instance VI_1 {'), ['vrrp_instance VI_1', '{']);
  assert.deepEqual(p('virtual_ipaddress { 192.0.2.1/24 }'), ['virtual_ipaddress', '{', '192.0.2.1/24', '}']);
  assert.deepEqual(p('}}'), ['}', '}']);
  assert.deepEqual(p('script "echo {x}" {'), ['script "echo {x}"', '{']);
  assert.deepEqual(p('no braces here'), ['no braces here']);
});

test('splitQuotedEscaped (script commands): quotes group words, escapes as keepalived', () => {
  assert.deepEqual(splitQuotedEscaped(`/usr/bin/logger -t 'my tag' "two words"`).words, ['/usr/bin/logger', '-t', 'my tag', 'two words']);
  assert.deepEqual(splitQuotedEscaped('a\\ b c').words, ['a b', 'c']);
  assert.deepEqual(splitQuotedEscaped(`x"y z"w`).words, ['xy zw']);
  assert.deepEqual(splitQuotedEscaped('\\x41\\101\\n\\t\\cA\\\\').words, ['AA\n\t\x01\\']);
  assert.deepEqual(splitQuotedEscaped(`'a\\'b'`).words, ["a'b"]);
  assert.match(splitQuotedEscaped('echo "unterminated').error ?? '', /missing terminating "/);
  assert.match(splitQuotedEscaped('echo trailing\\').error ?? '', /Missing escape char at end/);
});

/* ------------------------------ through the parser ----------------------------- */

test('comments in a configuration: whole-line, trailing, mid-word; checked against keepalived -t', () => {
  // keepalived 2.2.7 reports: Unknown keyword 'k1', 'k2', 'k3 # q', 'k4#esc', 'k5' at lines 2..6.
  const r = parse(inGlobal('  # comment', ' k1#notcomment', ' k2!bang', ' "k3 # q" x', ' k4\\#esc', ' k5 "a"b', '! end'));
  assert.deepEqual(emitted(r), ['k1', 'k2', 'k3 # q', 'k4#esc', 'k5']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@3', 'W_UNKNOWN_KEYWORD@4', 'W_UNKNOWN_KEYWORD@5', 'W_UNKNOWN_KEYWORD@6', 'W_UNKNOWN_KEYWORD@7']);
});

test('quoted values keep blanks and comment characters; single quotes are plain characters', () => {
  const r = parse(inGlobal(' router_id "my # router"', ' notification_email_from \'a#b\''));
  assertClean(r);
  assert.equal(r.config.global.routerId, 'my # router');
  assert.equal(r.config.global.notificationEmailFrom, "'a");
});

test('CRLF line endings and blank lines are accepted', () => {
  const r = parse('global_defs {\r\n\r\n   router_id crlf\r\n}\r\n');
  assertClean(r);
  assert.equal(r.config.global.routerId, 'crlf');
});

test('blocks: "{" on the same line, on the next line, and content after "{" or before "}" on one line', () => {
  const r = parse([
    'global_defs',
    '{',
    ' router_id r1',
    '}',
    'vrrp_script chk { script "/usr/local/bin/chk.sh"',
    ' interval 2 }',
    'vrrp_instance VI_1 { interface eth0',
    ' virtual_router_id 7',
    ' virtual_ipaddress { 192.0.2.7/24 } }',
  ].join('\n'));
  assertClean(r);
  assert.equal(r.config.global.routerId, 'r1');
  assert.equal(r.config.vrrpScripts[0].intervalMs, 2000);
  assert.deepEqual(r.config.vrrpScripts[0].script.argv, ['/usr/local/bin/chk.sh']);
  const i = r.config.instances[0];
  assert.equal(i.virtualRouterId, 7);
  assert.deepEqual(i.virtualIpaddress.map((v) => `${v.address}/${v.prefixLength}`), ['192.0.2.7/24']);
});

test('script commands: quotes, escapes and user/group words (notify_script_init)', () => {
  // The line is split with quotes/escapes, then the command word is split again into argv,
  // so a blank that must survive into one argument needs a doubled backslash ("\\ ") in the file.
  const r = parse([
    'vrrp_instance VI_1 {',
    ' virtual_router_id 1',
    ' virtual_ipaddress { 192.0.2.1 }',
    ` notify_master "/usr/bin/logger -t 'ka tag' became\\\\ master" nobody nogroup`,
    ' notify /etc/keepalived/notify.sh',
    '}',
  ].join('\n'));
  assertClean(r);
  const n = r.config.instances[0].notify;
  assert.deepEqual(n.master?.argv, ['/usr/bin/logger', '-t', 'ka tag', 'became master']);
  assert.equal(n.master?.user, 'nobody');
  assert.equal(n.master?.group, 'nogroup');
  assert.deepEqual(n.generic?.argv, ['/etc/keepalived/notify.sh']);
  assert.equal(n.generic?.user, undefined);
  assert.deepEqual([n.master?.loc.line, n.master?.loc.col], [4, 16]);
});
