/**
 * The live status page: plain HTML, CSS and JavaScript served by the daemon
 * (no build step, nothing fetched from anywhere else: the Content-Security-
 * Policy only allows this origin). It reads /events (server-sent events,
 * one `status` event per change and every second) and redraws with DOM
 * calls and textContent only, so no value is ever parsed as HTML.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keepalived-ts</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>keepalived-ts <span id="router"></span></h1>
  <span id="meta"></span>
  <span id="live" class="badge off">connecting</span>
</header>
<main>
  <section><h2>VRRP instances</h2><div id="instances" class="cards"></div><div id="groups"></div></section>
  <section><h2>Transitions</h2><ol id="timeline"></ol></section>
  <section><h2>Virtual and real servers</h2><div id="servers"></div></section>
  <section><h2>Adverts received and dropped</h2><div id="counters"></div></section>
  <section><h2>Processes and notifications</h2><div id="processes"></div></section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `
:root { --bg:#f6f7f9; --fg:#1d2530; --muted:#6a7482; --card:#fff; --line:#dde2e8;
  --master:#1f8a4c; --backup:#2f6db5; --fault:#c0392b; --init:#8a8f98; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; align-items:baseline; gap:1em; padding:.8em 1.2em; background:#1d2530; color:#fff; flex-wrap:wrap; }
header h1 { font-size:1.2em; margin:0; }
#router { color:#9fb3c8; font-weight:normal; }
#meta { color:#9fb3c8; font-size:.9em; flex:1; }
main { padding:1em 1.2em; display:grid; gap:1.2em; }
h2 { font-size:1em; margin:0 0 .5em; color:var(--muted); text-transform:uppercase; letter-spacing:.05em; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(330px, 1fr)); gap:.8em; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8em 1em; }
.card h3 { margin:0 0 .4em; font-size:1.05em; display:flex; justify-content:space-between; align-items:center; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:.15em .9em; margin:0; }
dt { color:var(--muted); }
dd { margin:0; font-variant-numeric:tabular-nums; word-break:break-word; }
.badge { display:inline-block; padding:.1em .6em; border-radius:1em; font-size:.85em; font-weight:600; color:#fff; background:var(--init); }
.badge.MASTER, .badge.UP, .badge.on { background:var(--master); }
.badge.BACKUP { background:var(--backup); }
.badge.FAULT, .badge.DOWN, .badge.off { background:var(--fault); }
.badge.STOP, .badge.INIT { background:var(--init); }
.ok { color:var(--master); } .bad { color:var(--fault); font-weight:600; }
table { border-collapse:collapse; background:var(--card); border:1px solid var(--line); width:100%; }
th, td { text-align:left; padding:.3em .7em; border-bottom:1px solid var(--line); font-variant-numeric:tabular-nums; }
th { color:var(--muted); font-weight:600; background:#fafbfc; }
td.num, th.num { text-align:right; }
#timeline { list-style:none; margin:0; padding:0; max-height:16em; overflow:auto; background:var(--card); border:1px solid var(--line); border-radius:8px; }
#timeline li { padding:.3em .8em; border-bottom:1px solid var(--line); display:flex; gap:.8em; align-items:center; }
#timeline time { color:var(--muted); font-variant-numeric:tabular-nums; min-width:13em; }
.reason { color:var(--muted); }
.empty { color:var(--muted); font-style:italic; }
`;

export const PAGE_JS = `'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function badge(state, field) { return el('span', { 'class': 'badge ' + state, 'data-field': field || 'state', text: state }); }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function fmtTime(ms) {
    if (!ms) return '-';
    var d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z';
  }
  function ago(ms, now) {
    if (!ms) return '';
    var s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm' + pad(s % 60) + 's ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h' + pad(Math.floor(s % 3600 / 60)) + 'm ago';
    return Math.floor(s / 86400) + 'd' + Math.floor(s % 86400 / 3600) + 'h ago';
  }
  function replace(id, kids) { var n = $(id); while (n.firstChild) n.removeChild(n.firstChild); kids.forEach(function (k) { n.appendChild(k); }); }
  function kv(pairs) {
    var dl = el('dl');
    pairs.forEach(function (p) { dl.appendChild(el('dt', { text: p[0] })); var dd = el('dd', p[2] ? { 'data-field': p[2] } : null); if (typeof p[1] === 'string') dd.textContent = p[1]; else dd.appendChild(p[1]); dl.appendChild(dd); });
    return dl;
  }
  function table(head, rows, numeric) {
    return el('table', null, [el('thead', null, [el('tr', null, head.map(function (h, i) { return el('th', { 'class': numeric && numeric[i] ? 'num' : '', text: h }); }))]),
      el('tbody', null, rows.map(function (r) { return el('tr', r.attrs || null, r.cells.map(function (c, i) { return el('td', { 'class': numeric && numeric[i] ? 'num' : '' }, [c]); })); }))]);
  }

  function instanceCard(i, now) {
    var master = i.state === 'MASTER' ? 'this router' : (i.masterAddress ? i.masterAddress + ' (priority ' + i.masterPriority + ')' : 'none heard');
    var trackers = i.trackers.length ? el('span', null, i.trackers.map(function (t) {
      return el('span', { 'class': t.ok ? 'ok' : 'bad', text: t.kind + ' ' + t.name + (t.ok ? ' up' : ' DOWN') + (t.weight ? ' (weight ' + t.weight + ')' : '') + '  ' });
    })) : '-';
    var last = fmtTime(i.lastTransitionMs) + ' (' + ago(i.lastTransitionMs, now) + ')' +
      (i.lastTransitionFrom ? ' ' + i.lastTransitionFrom + ' \\u2192 ' + i.state : '') + (i.lastTransitionReason ? ': ' + i.lastTransitionReason : '');
    var vips = i.vips.concat(i.excludedVips.map(function (v) { return v + ' (excluded)'; }));
    return el('div', { 'class': 'card', 'data-instance': i.name }, [
      el('h3', null, [el('span', { text: i.name }), badge(i.state)]),
      kv([
        ['VRID', i.vrid + ' on ' + i.ifname + ' (VRRPv' + i.version + ', IPv' + i.family + ')'],
        ['Priority', i.basePriority + ' base, ' + i.effectivePriority + ' effective', 'priority'],
        ['Master', master, 'master'],
        ['VIPs', vips.length ? vips.join(', ') + (i.vipsSet ? ' (set here)' : '') : '-', 'vips'],
        ['Advert interval', (i.advertIntervalMs / 1000) + ' s'],
        ['Last transition', last, 'last-transition'],
        ['Trackers', trackers],
        ['Faults', i.faults.length ? i.faults.join(', ') : '-'],
      ]),
    ]);
  }

  function render(v) {
    $('router').textContent = v.routerId;
    $('meta').textContent = 'pid ' + v.pid + ' \\u00b7 v' + v.version + ' \\u00b7 ' + fmtTime(v.nowMs) + (v.error ? ' \\u00b7 ' + v.error : '');
    replace('instances', v.instances.length ? v.instances.map(function (i) { return instanceCard(i, v.nowMs); }) : [el('p', { 'class': 'empty', text: v.up ? 'No VRRP instance.' : 'No answer from the VRRP process.' })]);
    replace('groups', v.syncGroups.length ? [table(['Sync group', 'State', 'Members'], v.syncGroups.map(function (g) { return { cells: [g.name, badge(g.state), g.members.join(', ')] }; }))] : []);
    replace('timeline', v.transitions.length ? v.transitions.map(function (t) {
      return el('li', { 'data-transition': t.name }, [el('time', { text: fmtTime(t.atMs) }), el('strong', { text: t.name }),
        el('span', { text: (t.from || '?') + ' \\u2192 ' }), badge(t.state, 'to'), el('span', { 'class': 'reason', text: t.reason || '' })]);
    }) : [el('li', { 'class': 'empty', text: 'No transition since the daemon started.' })]);
    var rows = [];
    v.virtualServers.forEach(function (vs) {
      rows.push({ attrs: { 'data-vs': vs.name }, cells: [el('strong', { text: vs.name }), badge(vs.state), 'quorum ' + vs.quorum + ', live weight ' + vs.liveWeight + (vs.sorryServer ? ', sorry server ' + vs.sorryServer.name + (vs.sorryServer.inPool ? ' (in pool)' : '') : ''), ''] });
      vs.realServers.forEach(function (rs) {
        rows.push({ attrs: { 'data-rs': rs.name }, cells: ['\\u2003' + rs.name, badge(rs.alive ? 'UP' : 'DOWN', 'rs-state'), 'weight ' + rs.weight,
          rs.checkers.map(function (c) { return c.type + (c.up ? ' up' : ' DOWN') + (c.lastResult ? ': ' + c.lastResult : '') + (c.lastDurationMs !== null ? ' (' + c.lastDurationMs + ' ms)' : ''); }).join('; ')] });
      });
    });
    replace('servers', v.checkerError ? [el('p', { 'class': 'bad', text: 'checker process: ' + v.checkerError })] :
      rows.length ? [table(['Server', 'State', 'Weight / quorum', 'Checks'], rows)] : [el('p', { 'class': 'empty', text: 'No virtual server.' })]);
    var names = [];
    v.instances.forEach(function (i) { i.counters.forEach(function (c) { if (names.indexOf(c[0]) < 0) names.push(c[0]); }); });
    replace('counters', v.instances.length ? [table(['Counter'].concat(v.instances.map(function (i) { return i.name; })), names.map(function (n) {
      return { attrs: { 'data-counter': n }, cells: [n].concat(v.instances.map(function (i) { var c = i.counters.filter(function (x) { return x[0] === n; })[0]; return String(c ? c[1] : 0); })) };
    }), [false].concat(v.instances.map(function () { return true; })))] : []);
    var n = v.notify;
    replace('processes', [table(['Process', 'PID', 'Restarts', 'Loop delay p99 / max (ms)'], v.processes.map(function (p) {
      return { cells: [p.process, p.pid === null ? '-' : String(p.pid), String(p.restarts), p.loopP99Ms === null ? '-' : p.loopP99Ms + ' / ' + p.loopMaxMs] };
    }), [false, true, true, true]),
    el('p', { text: 'Notify scripts: ' + (n.pending || 0) + ' queued, ' + (n.scriptsRun || 0) + ' run, ' + (n.scriptsFailed || 0) + ' failed, ' + (n.scriptsTimedOut || 0) + ' timed out; FIFO lines ' + (n.fifoLines || 0) + ' (' + (n.fifoDropped || 0) + ' dropped); mails ' + (n.mailsSent || 0) + ' sent, ' + (n.mailsFailed || 0) + ' failed' })]);
    document.body.setAttribute('data-updated', String(v.nowMs));
  }

  function connect() {
    var es = new EventSource('/events');
    es.addEventListener('status', function (e) { render(JSON.parse(e.data)); });
    es.onopen = function () { var b = $('live'); b.textContent = 'live'; b.className = 'badge on'; };
    es.onerror = function () { var b = $('live'); b.textContent = 'reconnecting'; b.className = 'badge off'; };
  }
  connect();
})();
`;
