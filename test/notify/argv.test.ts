import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cmdStr, commandWordToArgv, parseScriptCommand, splitQuotedEscaped } from '../../src/notify/argv';

// One pass of keepalived's alloc_strvec_quoted_escaped() (lib/parser.c).
const table: [string, string[]][] = [
  ['/bin/x', ['/bin/x']],
  ['  /bin/x   a\tb  ', ['/bin/x', 'a', 'b']],
  ['abcd" efg h jkl "mnop', ['abcd efg h jkl mnop']], // keepalived.conf(5) example 1
  ['abcd "efg h jkl" mnop', ['abcd', 'efg h jkl', 'mnop']], // example 2
  [`a 'b "c" d' e`, ['a', 'b "c" d', 'e']], // " literal inside '...'
  [`a "b 'c' d" e`, ['a', "b 'c' d", 'e']], // ' literal inside "..."
  ['a\\ b', ['a b']], // escaped space joins
  ['a\\"b', ['a"b']], // escaped quote does not open a quote
  ['a\\\\b', ['a\\b']],
  ["'a\\tb'", ['a\tb']], // escapes are processed inside single quotes too (unlike sh)
  ['\\n\\r\\a\\b\\E\\f\\v', ['\n\r\x07\b\x1b\f\v']],
  ['\\101\\60x', ['A0x']], // octal, up to 3 digits
  ['\\x41\\x4a4b', ['AK']], // hex: any number of digits, low 8 bits kept (0x4a4b -> 0x4b)
  ['\\xg', ['xg']], // \x without hex digit is a plain x
  ['\\cA\\c[', ['\x01\x1b']], // control characters
  ['""', ['']], // an empty quoted word is a word
  ['a "" b', ['a', '', 'b']],
  ['', []],
  ['   ', []],
];

test('splitQuotedEscaped follows keepalived quoting table', () => {
  for (const [src, words] of table) {
    const r = splitQuotedEscaped(src);
    assert.ok(r.ok, `parse ${JSON.stringify(src)}`);
    assert.deepEqual(r.words, words, `words of ${JSON.stringify(src)}`);
  }
});

test('splitQuotedEscaped errors: unmatched quote, trailing backslash', () => {
  const a = splitQuotedEscaped('a "b c');
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.code, 'KTS_NOTIFY_UNMATCHED_QUOTE');
  const b = splitQuotedEscaped("a 'b");
  assert.equal(!b.ok && b.code, 'KTS_NOTIFY_UNMATCHED_QUOTE');
  const c = splitQuotedEscaped('a b\\');
  assert.equal(!c.ok && c.code, 'KTS_NOTIFY_TRAILING_ESCAPE');
});

test('parseScriptCommand: command word is split again into argv, then user and group', () => {
  // notify_fault "/path/fault.sh VG_1" [username [groupname]] (keepalived.conf(5))
  assert.deepEqual(parseScriptCommand('"/path/fault.sh VG_1"'), { ok: true, argv: ['/path/fault.sh', 'VG_1'] });
  assert.deepEqual(parseScriptCommand('/path/to_master.sh alice'), { ok: true, argv: ['/path/to_master.sh'], user: 'alice' });
  assert.deepEqual(parseScriptCommand(`"/bin/n.sh 'a b' c" alice staff`), {
    ok: true,
    argv: ['/bin/n.sh', 'a b', 'c'],
    user: 'alice',
    group: 'staff',
  });
  // escapes are processed in both passes: \\\\ -> \\ -> \
  assert.deepEqual(parseScriptCommand('"/bin/echo a\\\\\\\\b"'), { ok: true, argv: ['/bin/echo', 'a\\b'] });
  const empty = parseScriptCommand('""');
  assert.equal(!empty.ok && empty.code, 'KTS_NOTIFY_EMPTY_COMMAND');
  const none = parseScriptCommand('   ');
  assert.equal(!none.ok && none.code, 'KTS_NOTIFY_EMPTY_COMMAND');
});

test('commandWordToArgv and cmdStr', () => {
  assert.deepEqual(commandWordToArgv("/bin/x 'a b'"), { ok: true, words: ['/bin/x', 'a b'] });
  assert.equal(cmdStr(['/bin/x', 'a b', 'INSTANCE']), "'/bin/x' 'a b' 'INSTANCE'");
  assert.equal(cmdStr(['</etc/passwd']), '</etc/passwd');
});
