/**
 * The preprocessor, against keepalived.conf(5) (2.2.7) and keepalived's
 * read_line(): include (globs relative to the including file, nested,
 * cycles, missing files), conditional lines `@id` / `@^id`, parameters
 * `$NAME=value` (multi-line with `\`), `$NAME` / `${NAME}`, the built-ins,
 * and the `~SEQ` / `~LST` generators. Lines the preprocessor produces are
 * observed as unknown keywords inside `global_defs`; every expectation marked
 * "keepalived:" was checked with `keepalived -t` 2.2.7.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode, loadConfig, type ConfigFs } from '../../src/config';
import { assertClean, codes, emitted, inGlobal, parse, parseFiles, withCode } from './helpers';

const ROOT = '/etc/keepalived/keepalived.conf';

/* ---------------------------------- include ---------------------------------- */

test('include: a glob relative to the including file, files in sorted order, diagnostics in the included file', () => {
  const r = parseFiles({
    [ROOT]: 'include conf.d/*.conf\nglobal_defs {\n root_kw\n}',
    '/etc/keepalived/conf.d/b.conf': 'global_defs {\n b_kw\n}',
    '/etc/keepalived/conf.d/a.conf': '\nglobal_defs {\n a_kw\n}',
    '/etc/keepalived/conf.d/c.txt': 'global_defs {\n not_included\n}',
    '/etc/conf.d/a.conf': 'global_defs {\n wrong_dir\n}',
  }, ROOT);
  assert.deepEqual(emitted(r), ['a_kw', 'b_kw', 'root_kw']);
  assert.deepEqual(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}`), [
    '/etc/keepalived/conf.d/a.conf:3:2', '/etc/keepalived/conf.d/b.conf:2:2', `${ROOT}:3:2`,
  ]);
});

test('include: nested includes resolve relative to each including file (keepalived chdir()s per file)', () => {
  // keepalived: (inc/a.conf: Line 2) a_kw, (sub/b.conf: Line 2) b_kw, (Line 3) root_kw.
  const r = parseFiles({
    '/cfg/main.conf': 'include inc/a.conf\nglobal_defs {\n root_kw\n}',
    '/cfg/inc/a.conf': 'global_defs {\n a_kw\n}\ninclude sub/b.conf',
    '/cfg/inc/sub/b.conf': 'global_defs {\n b_kw\n}\ninclude /cfg/abs.conf',
    '/cfg/abs.conf': 'global_defs {\n abs_kw\n}',
  }, '/cfg/main.conf');
  assert.deepEqual(emitted(r), ['a_kw', 'b_kw', 'abs_kw', 'root_kw']);
  assert.deepEqual(r.diagnostics.map((d) => `${d.file}:${d.line}`), [
    '/cfg/inc/a.conf:2', '/cfg/inc/sub/b.conf:2', '/cfg/abs.conf:2', '/cfg/main.conf:3',
  ]);
});

test('include: ".." in a relative include path', () => {
  const r = parseFiles({
    '/cfg/main.conf': 'include inc/a.conf',
    '/cfg/inc/a.conf': 'include ../common/*.conf',
    '/cfg/common/x.conf': 'global_defs {\n x_kw\n}',
  }, '/cfg/main.conf');
  assert.deepEqual(emitted(r), ['x_kw']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@2']);
});

test('include: a block may span files; the included text is spliced in place', () => {
  const r = parseFiles({
    [ROOT]: 'vrrp_instance VI_1 {\n include vi1-body.conf\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}',
    '/etc/keepalived/vi1-body.conf': 'interface eth0\nvirtual_router_id 42\npriority 150',
  }, ROOT);
  assertClean(r);
  assert.equal(r.config.instances[0].virtualRouterId, 42);
  assert.equal(r.config.instances[0].priority, 150);
});

test('include: includer/includem/... variants are include lines too', () => {
  const r = parseFiles({
    [ROOT]: 'includer a.conf\nincludea b.conf\ninclude_not_an_include x',
    '/etc/keepalived/a.conf': 'global_defs {\n from_a\n}',
    '/etc/keepalived/b.conf': 'global_defs {\n from_b\n}',
  }, ROOT);
  assert.deepEqual(emitted(r), ['from_a', 'from_b', 'include_not_an_include']);
});

test('include: a missing file is a warning at the include line that does not change -t (keepalived reports it at CONFIG_OK)', () => {
  // keepalived: "(Line 1) Config files missing 'nonexistent.conf'." and exit 0.
  const r = parseFiles({ [ROOT]: 'include nonexistent.conf\n' + 'global_defs {\n router_id r1\n}' }, ROOT);
  assert.deepEqual(withCode(r, 'W_INCLUDE_NOT_FOUND').map((d) => `${d.file}:${d.line}:${d.col}`), [`${ROOT}:1:1`]);
  assert.equal(r.config.global.routerId, 'r1');
  assert.equal(configTestExitCode(r.diagnostics), 0);
});

test('include: an unmatched glob is a warning too, exit status unchanged', () => {
  const r = parseFiles({ [ROOT]: 'include conf.d/*.conf' }, ROOT);
  assert.deepEqual(codes(r), ['W_INCLUDE_NOT_FOUND@1']);
  assert.match(r.diagnostics[0].message, /conf\.d\/\*\.conf/);
  assert.equal(configTestExitCode(r.diagnostics), 0);
});

test('include: a file that matches but cannot be read is reported at the include line', () => {
  const fs: ConfigFs = {
    readFile: (p) => (p === ROOT ? 'include locked.conf\n' : { error: 'EACCES' }),
    glob: (p) => (p === '/etc/keepalived/locked.conf' ? [p] : []),
    realpath: (p) => p,
  };
  const r = loadConfig(ROOT, { fs, hostname: 'h' });
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.line, d.severity]), [['W_INCLUDE_UNREADABLE', ROOT, 1, 'warning']]);
  assert.match(r.diagnostics[0].message, /locked\.conf.*EACCES/);
});

test('include: cycles are cut at the include line that would loop (including a file including itself)', () => {
  const r = parseFiles({
    '/c/a.conf': 'global_defs {\n in_a\n}\ninclude b.conf',
    '/c/b.conf': 'include a.conf\ninclude b.conf\nglobal_defs {\n in_b\n}',
  }, '/c/a.conf');
  assert.deepEqual(emitted(r), ['in_a', 'in_b']);
  assert.deepEqual(r.diagnostics.filter((d) => d.code === 'E_INCLUDE_CYCLE').map((d) => [d.file, d.line, d.severity]), [
    ['/c/b.conf', 1, 'error'], ['/c/b.conf', 2, 'error'],
  ]);
});

test('include: the same file may be included twice when it is not a cycle', () => {
  const r = parseFiles({
    '/c/main.conf': 'include common.conf\ninclude common.conf',
    '/c/common.conf': 'global_defs {\n common_kw\n}',
  }, '/c/main.conf');
  assert.deepEqual(emitted(r), ['common_kw', 'common_kw']);
  assert.equal(withCode(r, 'E_INCLUDE_CYCLE').length, 0);
});

test('the configuration file itself missing: E_FILE_NOT_FOUND, -t exits 4 (keepalived CONFIG_FILE_NOT_FOUND)', () => {
  const r = parseFiles({}, '/etc/keepalived/missing.conf');
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.severity]), [['E_FILE_NOT_FOUND', '/etc/keepalived/missing.conf', 'error']]);
  assert.equal(configTestExitCode(r.diagnostics), 4);
});

test('parameters defined in an included file are visible after the include', () => {
  const r = parseFiles({
    [ROOT]: 'include defs.conf\n' + inGlobal(' $FROMINC'),
    '/etc/keepalived/defs.conf': '$FROMINC=from_include',
  }, ROOT);
  assert.deepEqual(emitted(r), ['from_include']);
});

/* -------------------------------- conditionals -------------------------------- */

test('@id keeps the line only for that config id; @^id only for the others', () => {
  const text = ['@lb1 kw_lb1', '@lb2 kw_lb2', '@^lb1 kw_not_lb1', '@^lb2 kw_not_lb2', '@lb1', '@^lb2'];
  assert.deepEqual(emitted(parse(inGlobal(...text), { configId: 'lb1' })), ['kw_lb1', 'kw_not_lb2']);
  assert.deepEqual(emitted(parse(inGlobal(...text), { configId: 'lb2' })), ['kw_lb2', 'kw_not_lb1']);
});

test('the config id defaults to the first label of the host name', () => {
  const r = parse(inGlobal('@lb1 router_id from_lb1', '@lb1.example.net router_id full_name'), { hostname: 'lb1.example.net' });
  assertClean(r);
  assert.equal(r.config.global.routerId, 'from_lb1');
});

test('conditionals apply to blocks, definitions and includes (sample keepalived.conf.conditional_conf pattern)', () => {
  const text = [
    '@high $PRIO=170',
    '@low $PRIO=85',
    '@high include high.conf',
    'vrrp_instance VI_0 {',
    ' virtual_router_id 1',
    ' priority $PRIO',
    '@low state MASTER',
    ' virtual_ipaddress { 192.0.2.1 }',
    '}',
  ].join('\n');
  const files = { [ROOT]: text, '/etc/keepalived/high.conf': inGlobal(' router_id high_router') };
  const high = parseFiles(files, ROOT, { configId: 'high' });
  assertClean(high);
  assert.deepEqual([high.config.instances[0].priority, high.config.instances[0].state, high.config.global.routerId], [170, 'BACKUP', 'high_router']);
  const low = parseFiles(files, ROOT, { configId: 'low' });
  assertClean(low);
  assert.deepEqual([low.config.instances[0].priority, low.config.instances[0].state, low.config.global.routerId], [85, 'MASTER', 'lb1.example.net']);
});

test('a parameter whose value is @id makes the line conditional (keepalived.conf(5) example)', () => {
  // keepalived: only "kept_vm" comes out with -i vm.
  const r = parse(['$IF_MAIN=@vm', '$IF_OTHER=@other', inGlobal('$IF_MAIN kept_vm', '$IF_OTHER dropped_other')].join('\n'), { configId: 'vm' });
  assert.deepEqual(emitted(r), ['kept_vm']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@4']);
});

/* --------------------------------- parameters --------------------------------- */

test('$NAME and ${NAME}; $NAME must be followed by a blank, "," or ")" (keepalived find_definition)', () => {
  // keepalived: 'a_$V/24', 'b_val/24', 'c_val,x', 'd_valx', 'e_$Vx'.
  const r = parse(['$V=val', inGlobal(' a_$V/24', ' b_${V}/24', ' c_$V,x', ' d_${V}x', ' e_$Vx', ' f_$V')].join('\n'));
  assert.deepEqual(emitted(r), ['a_$V/24', 'b_val/24', 'c_val,x', 'd_valx', 'e_$Vx', 'f_val']);
});

test('a definition needs "=" right after the name: "$NAME = v" is not a definition (keepalived.conf(5))', () => {
  // keepalived: Unknown keyword '$NAME' (line 1, root) and '$NAME' (line 4); 'v2' (line 5).
  const r = parse(['$NAME = v1', '$OK= v2', inGlobal(' $NAME', ' $OK')].join('\n'));
  assert.deepEqual(emitted(r), ['$NAME', '$NAME', 'v2']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@1', 'W_UNKNOWN_KEYWORD@4', 'W_UNKNOWN_KEYWORD@5']);
});

test('empty values are allowed', () => {
  const r = parse(['$E=', inGlobal(' x${E}y', ' $E', ' z')].join('\n'));
  assert.deepEqual(emitted(r), ['xy', 'z']);
});

test('substitution is recursive and done at use time, not definition time (keepalived.conf(5) example)', () => {
  const r = parse([
    '$ADDRESS_BASE=10_2_${ADDRESS_BASE_SUB}',
    '$ADDRESS_BASE_SUB=0',
    inGlobal(' ${ADDRESS_BASE}_100', '$ADDRESS_BASE_SUB=10', ' ${ADDRESS_BASE}_100'),
  ].join('\n'));
  assert.deepEqual(emitted(r), ['10_2_0_100', '10_2_10_100']);
});

test('a later definition replaces an earlier one for the lines after it', () => {
  const r = parse(['$P=first', inGlobal(' a_$P', '$P=second', ' b_$P')].join('\n'));
  assert.deepEqual(emitted(r), ['a_first', 'b_second']);
});

test('undefined parameters are left as written', () => {
  const r = parse(inGlobal(' "${UNDEF}_x"', ' $UNDEF', ' $_UNDEF_BUILTIN'));
  assert.deepEqual(emitted(r), ['${UNDEF}_x', '$UNDEF', '$_UNDEF_BUILTIN']);
});

test('${NAME n} on a parameter that takes no arguments is not replaced, the rest of the line still is', () => {
  // keepalived: replace_param() skips the reference (find_definition() returns NULL) and goes on: 'x_aa'.
  const r = parse(['$A=aa', '$B=bb', inGlobal(' x_$A ${B 1}')].join('\n'));
  assert.deepEqual(emitted(r), ['x_aa']);
});

test('multi-line definitions: each line but the last ends with "\\"; the use expands to several lines at the use line', () => {
  // keepalived: line_a, line_b, line_c all at line 5, then after.
  const r = parse(['$ML=line_a \\', '  line_b \\', '  line_c', 'global_defs {', ' $ML', ' after', '}'].join('\n'));
  assert.deepEqual(emitted(r), ['line_a', 'line_b', 'line_c', 'after']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@5', 'W_UNKNOWN_KEYWORD@5', 'W_UNKNOWN_KEYWORD@5', 'W_UNKNOWN_KEYWORD@6']);
});

test('multi-line definitions: a comment line continues the definition, an empty line ends it', () => {
  // keepalived: 'three' is a root keyword at line 5; one and two come out at line 7.
  const r = parse(['$ML=one \\', '! a comment line', ' two \\', '', ' three', 'global_defs {', ' $ML', '}'].join('\n'));
  assert.deepEqual(emitted(r), ['three', 'one', 'two']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@5', 'W_UNKNOWN_KEYWORD@7', 'W_UNKNOWN_KEYWORD@7']);
});

test('multi-line definitions are only expanded when nothing follows the reference', () => {
  // keepalived: 'x' then 'l2' at line 4; 'y' at line 5 ($ML mid-line stays as written).
  const r = parse(['$ML=l1 \\', ' l2', inGlobal(' x $ML', ' y $ML z')].join('\n'));
  assert.deepEqual(emitted(r), ['x', 'l2', 'y']);
  assert.deepEqual(codes(r), ['W_UNKNOWN_KEYWORD@4', 'W_UNKNOWN_KEYWORD@4', 'W_UNKNOWN_KEYWORD@5']);
});

test('multi-line definitions nest, and may contain definitions (keepalived.conf(5) example, checked with keepalived -t)', () => {
  const r = parse([
    '$RS= \\',
    ' rs_${VS_NUM}_${RS_NUM} \\',
    ' rs_end_${RS_NUM}',
    '',
    '$VS= \\',
    ' vs_${VS_NUM} \\',
    ' $RS_NUM=1 \\',
    ' $RS \\',
    ' $RS_NUM=2 \\',
    ' $RS \\',
    ' vs_end',
    '',
    'global_defs {',
    '$VS_NUM=0',
    '$VS',
    '$VS_NUM=1',
    '$VS',
    '}',
  ].join('\n'));
  assert.deepEqual(emitted(r), [
    'vs_0', 'rs_0_1', 'rs_end_1', 'rs_0_2', 'rs_end_2', 'vs_end',
    'vs_1', 'rs_1_1', 'rs_end_1', 'rs_1_2', 'rs_end_2', 'vs_end',
  ]);
  assert.deepEqual(r.diagnostics.map((d) => d.line), [15, 15, 15, 15, 15, 15, 17, 17, 17, 17, 17, 17]);
});

test('a multi-line parameter can hold a whole vrrp_instance (keepalived.conf(5) example)', () => {
  const r = parse([
    '$INSTANCE= \\',
    'vrrp_instance VI_${NUM} { \\',
    '    interface eth0 \\',
    '    virtual_router_id 1${NUM} \\',
    '    @high priority 130 \\',
    '    @low priority 120 \\',
    '    virtual_ipaddress { \\',
    '        192.0.2.1${NUM}/24 \\',
    '    } \\',
    '}',
    '',
    '$NUM=0',
    '$INSTANCE',
    '',
    '$NUM=1',
    '$INSTANCE',
  ].join('\n'), { configId: 'low' });
  assertClean(r);
  assert.deepEqual(r.config.instances.map((i) => [i.name, i.virtualRouterId, i.priority, i.virtualIpaddress[0].address, i.loc.line]), [
    ['VI_0', 10, 120, '192.0.2.10', 13], ['VI_1', 11, 120, '192.0.2.11', 16],
  ]);
});

test('conditional definitions (keepalived.conf(5): "@main $PRIORITY=240")', () => {
  const text = ['@main $PRIORITY=240', '@backup $PRIORITY=200', inGlobal(' p_$PRIORITY')].join('\n');
  assert.deepEqual(emitted(parse(text, { configId: 'main' })), ['p_240']);
  assert.deepEqual(emitted(parse(text, { configId: 'backup' })), ['p_200']);
});

test('built-in parameters: _INSTANCE, _PWD, _HASH, _BANG, _RANDOM', () => {
  const r = parseFiles({
    [ROOT]: 'include sub/inc.conf\n' + inGlobal(' i_${_INSTANCE}', ' w_${_PWD}', ' "q_${_HASH}_${_BANG}_y"', ' h_${_HASH}_x'),
    '/etc/keepalived/sub/inc.conf': inGlobal(' w_${_PWD}'),
  }, ROOT, { configId: 'node7' });
  // keepalived: '#' from ${_HASH} outside quotes still starts a comment after substitution ('h_').
  assert.deepEqual(emitted(r), ['w_/etc/keepalived/sub', 'i_node7', 'w_/etc/keepalived', 'q_#_!_y', 'h_']);
  let n = 0;
  const seq = [0, 0.5, 0.999];
  const rr = parse(inGlobal(' r_${_RANDOM}', ' r_${_RANDOM 5 9}', ' r_${_RANDOM 5 9}'), { random: () => seq[n++] });
  assert.deepEqual(emitted(rr), ['r_0', 'r_7', 'r_9']);
});

test('a parameter defined by the caller (LoadOptions.env) is predefined', () => {
  const r = parse(inGlobal(' router_id $SITE'), { env: { SITE: 'site-a' } });
  assertClean(r);
  assert.equal(r.config.global.routerId, 'site-a');
});

/* --------------------------------- generators --------------------------------- */

test('~SEQ(var, [start,] [step,] end): defaults and directions as keepalived add_seq()', () => {
  const r = parse(inGlobal(
    '~SEQ(i, 3) k_$i', '~SEQ(j, 5, 3) m_$j', '~SEQ(k, 0) n_$k', '~SEQ(q, -2) q_$q', '~SEQ(s, 1, 3, 8) s_$s',
    '~SEQx(x, 9, 3, 15) x_$x', '~SEQx(y, 0x90, 0x10, 0xc0) y_${y}',
  ));
  // keepalived: k_1..3, m_5 m_4 m_3, n_1 n_0, q_-1 q_-2, s_1 s_4 s_7, x_9 x_c x_f.
  assert.deepEqual(emitted(r), [
    'k_1', 'k_2', 'k_3', 'm_5', 'm_4', 'm_3', 'n_1', 'n_0', 'q_-1', 'q_-2', 's_1', 's_4', 's_7',
    'x_9', 'x_c', 'x_f', 'y_90', 'y_a0', 'y_b0', 'y_c0',
  ]);
  assert.deepEqual([...new Set(codes(r))], ['W_UNKNOWN_KEYWORD@2', 'W_UNKNOWN_KEYWORD@3', 'W_UNKNOWN_KEYWORD@4',
    'W_UNKNOWN_KEYWORD@5', 'W_UNKNOWN_KEYWORD@6', 'W_UNKNOWN_KEYWORD@7', 'W_UNKNOWN_KEYWORD@8']);
});

test('~SEQ bounds may be parameters', () => {
  assert.deepEqual(emitted(parse(['$N=3', inGlobal('~SEQ(i, $N) s_$i', '~SEQ(j, ${N}, 1) t_$j')].join('\n'))), ['s_1', 's_2', 's_3', 't_3', 't_2', 't_1']);
});

test('~LST(var, v1, v2...) and ~LST({a, b}, {1, 2}, ...) with missing values blank', () => {
  const r = parse(inGlobal('~LST(v, alpha, beta) l_$v', '~LST({a, b}, {1, 2}, {3}) p_${a}_${b}_e'));
  // keepalived: l_alpha l_beta p_1_2_e p_3__e
  assert.deepEqual(emitted(r), ['l_alpha', 'l_beta', 'p_1_2_e', 'p_3__e']);
});

test('generators nest and combine with multi-line parameters (several ~SEQ on one line)', () => {
  const r = parse('~SEQ(i, 2) ~LST(c, x, y) g_${i}_$c');
  assert.deepEqual(emitted(r), ['g_1_x', 'g_1_y', 'g_2_x', 'g_2_y']);
  const m = parse(['$VI= \\', ' v_${A}_${B} \\', ' w_${A}_${B}', '', inGlobal('~SEQ(A,1,2) ~SEQ(B,0,1) $VI', 'after')].join('\n'));
  // keepalived: v_1_0 w_1_0 v_1_1 w_1_1 v_2_0 w_2_0 v_2_1 w_2_1 (all line 6), after (line 7).
  assert.deepEqual(emitted(m), ['v_1_0', 'w_1_0', 'v_1_1', 'w_1_1', 'v_2_0', 'w_2_0', 'v_2_1', 'w_2_1', 'after']);
  assert.deepEqual(m.diagnostics.map((d) => d.line), [6, 6, 6, 6, 6, 6, 6, 6, 7]);
});

test('a generator can produce whole blocks from a multi-line parameter', () => {
  const r = parse([
    '$VI= \\',
    'vrrp_instance VI_$n { \\',
    ' virtual_router_id $n \\',
    ' virtual_ipaddress { 192.0.2.$n } \\',
    '}',
    '',
    '~SEQ(n, 1, 3) $VI',
  ].join('\n'));
  assertClean(r);
  assert.deepEqual(r.config.instances.map((i) => [i.name, i.virtualRouterId, i.virtualIpaddress[0].address, i.loc.line]), [
    ['VI_1', 1, '192.0.2.1', 7], ['VI_2', 2, '192.0.2.2', 7], ['VI_3', 3, '192.0.2.3', 7],
  ]);
});

test('invalid generators are located warnings and produce nothing', () => {
  const r = parse(inGlobal(
    '~SEQ(j, 1, 0, 3) bad_$j', '~SEQ(k, 1, -1, 3) bad2_$k', '~SEQ(m, a) bad3_$m', '~LST(v) bad4_$v',
    '~LST({a,b},{1,2,3}) bad5_$a', '~SEQx(h, -3) bad6_$h', '~SEQ i 3',
  ));
  // keepalived: lines 2..6 "Invalid ~SEQ values", "Invalid ~SEQ definition", "Invalid ~LST specification",
  // "~LST specification has too many values"; ~SEQx with negatives "only valid for positive numbers".
  assert.deepEqual(codes(r), ['W_BAD_GENERATOR@2', 'W_BAD_GENERATOR@3', 'W_BAD_GENERATOR@4', 'W_BAD_GENERATOR@5',
    'W_BAD_GENERATOR@6', 'W_BAD_GENERATOR@7', 'W_BAD_GENERATOR@8']);
  assert.match(r.diagnostics[0].message, /Invalid ~SEQ values/);
  assert.match(r.diagnostics[2].message, /Invalid ~SEQ definition/);
  assert.match(r.diagnostics[3].message, /Invalid ~LST specification/);
  assert.match(r.diagnostics[4].message, /too many values/);
  assert.match(r.diagnostics[5].message, /only valid for positive/);
});

test('a huge generator is refused instead of exhausting memory', () => {
  const r = parse(inGlobal('~SEQ(i, 1, 1, 100000000) x_$i'));
  assert.deepEqual(codes(r), ['W_BAD_GENERATOR@2']);
  assert.match(r.diagnostics[0].message, /too many values/);
});

test('the benchmark configuration generator produces a clean configuration', async () => {
  const { generateConfig } = await import('../../bench/parse-config');
  const r = parse(generateConfig(300));
  assertClean(r);
  assert.deepEqual([r.config.instances.length, r.config.syncGroups.length, r.config.vrrpScripts.length], [300, 150, 100]);
  assert.deepEqual(r.config.instances[299].trackScript.map((t) => t.name), ['chk_99', 'chk_0']);
  assert.deepEqual([r.config.instances[299].interface, r.config.instances[299].virtualRouterId], ['eth1', 50]);
});
