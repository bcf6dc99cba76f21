/**
 * Operations end to end (issue 11): a backup's /metrics scraped from another
 * lab host and checked by Prometheus's own `promtool check metrics`, its
 * values through a failover (the state gauge flips, become_master counts);
 * the live status page in Debian's chromium, itself running in a lab host,
 * showing the new master within a second of the takeover without a reload;
 * `--status` as a table; and the PASS password nowhere in the page or the
 * metrics.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { KTS_BIN, startKts, type Peer } from './harness/peers';
import { conf, instance } from './harness/conf';

/** What the page functions below use of the browser's globals (this project compiles without the DOM types). */
interface PageGlobal {
  document: { querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): { length: number } };
  notReloaded?: boolean;
}

const why = labUnavailableReason();
const VIP = '192.0.2.100';
const SECRET = 'Pw8xQzK1';
const PORT = 9650;
/** KTS_SCREENSHOT=docs/status-page.png keeps the page's screenshot (the README's); otherwise it stays in the lab's scratch directory. */
const SCREENSHOT = process.env.KTS_SCREENSHOT;

/** A real server in host 3 for the page's checkers (one answers, one port nobody listens on). */
const virtualServer = (rsHost: string) => `virtual_server ${VIP} 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server ${rsHost} 8080 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server ${rsHost} 8081 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`;

describe(`e2e: metrics, the status page and --status${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 3, v6: false });
  const track = (p: Peer) => suite.track(p);
  const url = (p: string) => `http://${suite.lab.ipv4(2)}:${PORT}${p}`;

  /**
   * Host 1 the master (150), then host 2 the backup (100) with the HTTP listener on its own address only
   * (started once host 1 is master, so the backup never was master before the failover).
   */
  const startPair = async (backupExtra = '') => {
    const inst = (priority: number) => instance({ priority, vips: [`${VIP}/24`], pass: SECRET });
    const a = track(startKts(suite.lab, 1, conf([], inst(150))));
    await a.waitState('MASTER');
    const b = track(startKts(suite.lab, 2, conf(['router_id backup-h2', `http_listen ${suite.lab.ipv4(2)} ${PORT}`], inst(100)) + backupExtra));
    await b.waitState('BACKUP');
    await suite.lab.waitFor(async () => ((await b.status()).instances[0].counters.advert_rcvd ?? 0) > 0 || undefined, { what: 'an advert received by the backup' });
    return { a, b };
  };

  /** A request from host 3, as a scraper on the LAN would make it (status 0: nothing answered). */
  const get = async (p: string, method = 'GET', port = PORT): Promise<{ status: number; body: string }> => {
    const js = `fetch(process.argv[1], { method: process.argv[2] }).then(async (r) => ({ status: r.status, body: await r.text() }), () => ({ status: 0, body: '' }))
      .then((r) => process.stdout.write(JSON.stringify(r)))`;
    const r = await suite.lab.exec(3, [process.execPath, '-e', js, `http://${suite.lab.ipv4(2)}:${port}${p}`, method], { check: true });
    return JSON.parse(r.stdout) as { status: number; body: string };
  };

  const series = (text: string, name: string) => {
    const hit = text.split('\n').find((l) => l.startsWith(`${name} `));
    return hit === undefined ? undefined : Number(hit.slice(name.length + 1));
  };

  /** Prometheus's own checker (reads stdin, no network): '' when it has nothing to say; throws with its output otherwise. */
  const promtool = (text: string): string => execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });

  test('/metrics: promtool accepts it; the state gauge flips and become_master counts through a failover; read-only; no secret', async () => {
    const { a, b } = await startPair();
    const labels = `{iname="VI_1",intf="eth0",vrid="51"}`;
    const stateSeries = `keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="${VIP}/24"}`;
    const before = await get('/metrics');
    assert.equal(before.status, 200);
    assert.equal(promtool(before.body), '');
    assert.equal(series(before.body, 'keepalived_up'), 1);
    assert.equal(series(before.body, stateSeries), 1, 'BACKUP is 1');
    assert.equal(series(before.body, `keepalived_become_master_total${labels}`), 0);
    assert.ok((series(before.body, `keepalived_advertisements_received_total${labels}`) ?? 0) > 0);
    assert.equal(series(before.body, `keepalived_ts_vrrp_base_priority${labels}`), 100);
    assert.ok(!before.body.includes(SECRET));

    a.crash();
    await b.waitState('MASTER', 'VI_1', 10_000);
    const after = await get('/metrics');
    assert.equal(promtool(after.body), '');
    assert.equal(series(after.body, stateSeries), 2, 'MASTER is 2');
    assert.equal(series(after.body, `keepalived_become_master_total${labels}`), 1);
    assert.equal(series(after.body, `keepalived_ts_vrrp_last_transition_info{iname="VI_1",intf="eth0",vrid="51",from="BACKUP",state="MASTER",reason="master_down_timer"}`), 1);
    assert.equal(series(after.body, 'keepalived_ts_vrrp_transitions_total{kind="INSTANCE",name="VI_1",state="MASTER",reason="master_down_timer"}'), 1);
    assert.ok((series(after.body, 'keepalived_ts_event_loop_delay_seconds{process="vrrp",stat="max"}') ?? -1) >= 0);
    assert.ok(!after.body.includes(SECRET));

    // Read-only and only where configured: no other method, nothing on other addresses.
    assert.equal((await get('/metrics', 'POST')).status, 405);
    assert.equal((await get('/nothing-here')).status, 404);
    const listening = (await suite.lab.exec(2, ['ss', '-ltnH'], { check: true })).stdout;
    assert.match(listening, new RegExp(`${suite.lab.ipv4(2).replace(/\./g, '\\.')}:${PORT}`));
    assert.ok(!/(0\.0\.0\.0|\*|\[::\]):9650/.test(listening), listening);

    // The listener follows the configuration at reload (SIGHUP): the new port answers, the old one is closed.
    fs.writeFileSync(b.confFile, fs.readFileSync(b.confFile, 'utf8').replace(`http_listen ${suite.lab.ipv4(2)} ${PORT}`, `http_listen ${suite.lab.ipv4(2)} ${PORT + 1}`));
    b.signal('SIGHUP');
    await suite.lab.waitFor(async () => (await get('/metrics', 'GET', PORT + 1)).status === 200 || undefined, { what: `/metrics on port ${PORT + 1}` });
    assert.equal((await get('/metrics')).status, 0, 'nothing on the old port');
    await suite.stopAll();
  });

  test('the status page in chromium (inside host 3) shows the new master within 1 s of the takeover, without a reload; no secret', async () => {
    const rs = suite.lab.ipv4(3);
    const server = suite.lab.spawn(3, [process.execPath, '-e', `require('http').createServer((q, s) => s.end('ok')).listen(8080, '${rs}')`]);
    const { a, b } = await startPair(virtualServer(rs));
    // Chromium runs in host 3's namespace: playwright talks to it over a pipe, the page reaches host 2 over the lab's LAN.
    const wrapper = path.join(suite.lab.dir, 'chromium-in-ns');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${suite.lab.ns(3)} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: wrapper,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
        timeout: 60_000,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
      page.on('request', (r) => { if (!r.url().startsWith(url(''))) external.push(r.url()); });
      // A wait that fails says what the page said.
      const until = async (what: string, wait: () => Promise<unknown>) => {
        try {
          await wait();
        } catch (e) {
          throw new Error(`${what}: ${(e as Error).message}\npage errors: ${pageErrors.join('\n')}\npage text: ${await page.locator('body').innerText()}`);
        }
      };
      await page.goto(url('/'));
      const stateOf = (name: string) => page.locator(`[data-instance="${name}"] [data-field="state"]`);
      // Functions run in the page (as functions: the page's CSP forbids evaluating strings there).
      const VI1 = '[data-instance="VI_1"] [data-field="state"]';
      const textIs = ([sel, want]: string[]) => (globalThis as unknown as PageGlobal).document.querySelector(sel)?.textContent === want;
      await until('VI_1 BACKUP', () => page.waitForFunction(textIs, [VI1, 'BACKUP'], { timeout: 10_000 }));
      await until('two real servers', () => page.waitForFunction(() => (globalThis as unknown as PageGlobal).document.querySelectorAll('[data-rs]').length === 2, null, { timeout: 10_000 }));
      await page.evaluate(() => { (globalThis as unknown as PageGlobal).notReloaded = true; });

      a.crash();
      // When the page saw MASTER (its clock is this machine's), against when host 2 became master.
      const seenAt = await page.waitForFunction(
        (sel) => ((globalThis as unknown as PageGlobal).document.querySelector(sel)?.textContent === 'MASTER' ? Date.now() : false), VI1, { timeout: 10_000, polling: 'raf' });
      const seen = (await seenAt.jsonValue()) as number;
      const st = (await b.status()).instances[0];
      assert.equal(st.state, 'MASTER');
      const lag = seen - st.lastTransitionMs;
      assert.ok(lag >= 0 && lag < 1000, `the page showed MASTER ${lag} ms after the transition`);
      assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobal).notReloaded), true, 'no reload');
      assert.equal(await stateOf('VI_1').textContent(), 'MASTER');
      assert.match((await page.locator('[data-instance="VI_1"] [data-field="last-transition"]').textContent()) ?? '', /BACKUP \u2192 MASTER: master_down_timer/);
      assert.match((await page.locator('#timeline li').first().textContent()) ?? '', /VI_1.*BACKUP \u2192 MASTER.*master_down_timer/);
      // Checkers: 8080 answers, 8081 does not.
      await page.waitForFunction(textIs, ['[data-rs$=":8081"] [data-field="rs-state"]', 'DOWN'], { timeout: 10_000 });
      assert.equal(await page.locator('[data-rs$=":8080"] [data-field="rs-state"]').textContent(), 'UP');

      // No secret anywhere the page can read.
      const html = await page.content();
      const fetched = await page.evaluate(() => Promise.all(['/metrics', '/status.json', '/app.js'].map((p) => fetch(p).then((r) => r.text()))));
      for (const t of [html, ...fetched]) assert.ok(!t.includes(SECRET));
      assert.deepEqual(external, [], 'nothing fetched from elsewhere');
      assert.deepEqual(pageErrors, [], 'no error in the page');

      const shot = await page.screenshot({ path: SCREENSHOT ?? path.join(suite.lab.dir, 'status-page.png'), fullPage: true });
      assert.equal(shot.subarray(1, 4).toString(), 'PNG');

      // --status as a table, in host 2.
      const table = (await suite.lab.exec(2, [process.execPath, KTS_BIN, '--status', '--control-socket', b.controlSocket], { check: true })).stdout;
      if (process.env.KTS_SAVE_STATUS) fs.writeFileSync(process.env.KTS_SAVE_STATUS, table);
      assert.match(table, /^VI_1 +51 +eth0 +MASTER +100 +100 +this router +1$/m);
      assert.match(table, /Last transition +\S+ \S+ \(\d+s ago\) BACKUP -> MASTER: master_down_timer/);
      assert.match(table, /\[192\.0\.2\.13\]:tcp:8081 +DOWN/);
      assert.ok(!table.includes(SECRET));
    } finally {
      await browser?.close();
      server.kill('SIGKILL');
    }

    await suite.stopAll();
  });
});
