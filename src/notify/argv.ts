/**
 * Script command lines as keepalived reads them.
 *
 * keepalived (lib/parser.c alloc_strvec_quoted_escaped, lib/notify.c
 * notify_script_init / set_script_params_array) parses a script keyword twice:
 *
 *   1. the whole line is split into words, honouring "..." and '...' quoting
 *      and backslash escapes: `notify_master "/bin/x a 'b c'" user group`
 *      gives [notify_master, /bin/x a 'b c', user, group];
 *   2. the command word (slot 1) is split again with the same rules, which
 *      gives the argv: [/bin/x, a, b c].
 *
 * Rules of one pass (keepalived.conf(5) "Quoted strings"):
 *  - words are separated by white space " \t\f\n\r\v";
 *  - a " or ' opens a quote that runs to the same character; the quote
 *    characters are removed and the quoted text is glued to its neighbours
 *    (`ab"c d"e` is the one word `abc de`); inside "..." a ' is literal and
 *    vice versa;
 *  - backslash escapes are processed everywhere, also inside '...' (unlike a
 *    shell): \a \b \E \f \n \r \t \v, \nnn (1-3 octal digits), \xXX... (any
 *    number of hex digits, the low 8 bits are kept), \cC (control character
 *    C & 0x1f), and \C for any other C is C itself;
 *  - an unterminated quote, or a backslash at the very end, is an error.
 *
 * keepalived execs argv[0] directly (execve, no shell, keepalived's own
 * environment), unless libmagic says the file is not an executable (no #!),
 * in which case it runs `system(cmd_str(argv))`. We always exec directly.
 */

export type SplitResult =
  | { ok: true; words: string[] }
  | { ok: false; code: 'KTS_NOTIFY_UNMATCHED_QUOTE' | 'KTS_NOTIFY_TRAILING_ESCAPE' | 'KTS_NOTIFY_EMPTY_COMMAND'; message: string };

const WHITE = ' \t\f\n\r\v';

function isWhite(c: string): boolean {
  return WHITE.includes(c);
}
function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}
function isOct(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

/**
 * One pass of keepalived's alloc_strvec_quoted_escaped(). Byte values from
 * \x / octal escapes become the code points U+0000..U+00FF.
 */
export function splitQuotedEscaped(src: string): SplitResult {
  const words: string[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    while (i < n && isWhite(src[i]!)) i++;
    if (i >= n) break;
    let word = '';
    let quote: '"' | "'" | '' = '';
    while (i < n) {
      const c = src[i]!;
      if (c === '\\') {
        i++;
        if (i >= n) return { ok: false, code: 'KTS_NOTIFY_TRAILING_ESCAPE', message: `Missing escape char at end: '${src}'` };
        const e = src[i]!;
        if (e === 'x' && isHex(src[i + 1])) {
          let v = 0;
          i++;
          while (i < n && isHex(src[i])) {
            v = ((v << 4) | parseInt(src[i]!, 16)) & 0xff;
            i++;
          }
          word += String.fromCharCode(v);
        } else if (e === 'c' && i + 1 < n) {
          word += String.fromCharCode(src.charCodeAt(i + 1) & 0x1f);
          i += 2;
        } else if (isOct(e)) {
          let v = e.charCodeAt(0) - 48;
          i++;
          for (let k = 0; k < 2 && isOct(src[i]); k++) {
            v = (v << 3) + (src.charCodeAt(i) - 48);
            i++;
          }
          word += String.fromCharCode(v & 0xff);
        } else {
          const map: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
          word += map[e] ?? e;
          i++;
        }
        continue;
      }
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (isWhite(c)) break;
      word += c;
      i++;
    }
    if (quote) return { ok: false, code: 'KTS_NOTIFY_UNMATCHED_QUOTE', message: `String '${src}': missing terminating ${quote}` };
    words.push(word);
  }
  return { ok: true, words };
}

/** A script to run: its argv and, if given, the user/group to run it as. */
export interface ScriptCommand {
  argv: string[];
  user?: string;
  group?: string;
}

export type ScriptCommandResult = ({ ok: true } & ScriptCommand) | Extract<SplitResult, { ok: false }>;

/**
 * Parse the text after a script keyword (`notify_master`, `notify`,
 * `notify_fifo_script`, a vrrp_script's `script`, ...), e.g.
 * `"/usr/local/bin/notify.sh 'a b'" alice staff`, exactly as keepalived:
 * first word = the command (split again into argv), then optional user and
 * group. For a vrrp_script's `script` keyword keepalived ignores words after
 * the command (the user comes from the `user` keyword).
 */
export function parseScriptCommand(text: string): ScriptCommandResult {
  const outer = splitQuotedEscaped(text);
  if (!outer.ok) return outer;
  if (outer.words.length === 0) return { ok: false, code: 'KTS_NOTIFY_EMPTY_COMMAND', message: 'No script specified' };
  const inner = splitQuotedEscaped(outer.words[0]!);
  if (!inner.ok) return inner;
  if (inner.words.length === 0) return { ok: false, code: 'KTS_NOTIFY_EMPTY_COMMAND', message: `Unable to parse script '${outer.words[0]}' - ignoring` };
  const r: { ok: true } & ScriptCommand = { ok: true, argv: inner.words };
  if (outer.words.length > 1) r.user = outer.words[1];
  if (outer.words.length > 2) r.group = outer.words[2];
  return r;
}

/**
 * Split an already de-quoted command word (slot 1 after the config front end
 * did pass 1) into argv: pass 2 only.
 */
export function commandWordToArgv(word: string): SplitResult {
  const r = splitQuotedEscaped(word);
  if (r.ok && r.words.length === 0) return { ok: false, code: 'KTS_NOTIFY_EMPTY_COMMAND', message: `Unable to parse script '${word}' - ignoring` };
  return r;
}

/**
 * keepalived's cmd_str(): every word in single quotes, separated by spaces
 * (argv[0] unquoted if it starts with < or >). Used in log lines so they read
 * like keepalived's.
 */
export function cmdStr(argv: readonly string[]): string {
  return argv
    .map((w, i) => (i === 0 && (w.startsWith('<') || w.startsWith('>')) ? w : `'${w}'`))
    .join(' ');
}
