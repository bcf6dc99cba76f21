/**
 * Health checkers in the real daemon (root; network namespaces only).
 *
 * Host 2 (192.0.2.12) runs two small services: a TCP listener on 8081 and an
 * HTTP server on 8082 whose /health answers 200, or 503 while a "fail" file
 * exists, plus an SMTP sink on 2525. Host 1 runs keepalived-ts with a
 * vrrp_instance holding 192.0.2.100 and `virtual_server 192.0.2.100 80`
 * whose real servers are host 2's services, one TCP_CHECK and one HTTP_GET
 * (status_code 200), delay_loop 1. notify_up/notify_down and quorum_up/
 * quorum_down scripts append their argv to files; the global notify FIFO is
 * read by a notify_fifo_script.
 *
 * Killing the TCP service must give notify_down (argv as configured), the
 * FIFO line and the mail within delay_loop + retry x delay_before_retry, and
 * not before the retries; restarting it gives notify_up. The HTTP server
 * answering 503 takes its server down (the status code is checked), and with
 * both down the quorum goes. Meanwhile host 1's VRRP adverts must stay on
 * time: the largest gap between two adverts is at most 1.05 x advert_int.
 * Then keepalived's daemon modes: -P runs no checkers, -C no VRRP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Lab, labUnavailableReason, waitFor, type Capture } from './harness/netns';
import { startKts, type Peer } from './harness/peers';
import { conf, instance } from './harness/conf';
import { advertsFrom, maxGap, vrrpFrames } from './harness/frames';
import type { CheckerServiceStatus } from '../../src/daemon/checker-process/checkers';
import { NFT_LVS_MESSAGE } from '../../src/daemon/run';

const why = labUnavailableReason();
const VIP = '192.0.2.100';
const SRV = 2;
const TCP_PORT = 8081;
const HTTP_PORT = 8082;
const SMTP_PORT = 2525;
const VS = `[${VIP}]:tcp:80`;
const RS_TCP = `[192.0.2.12]:tcp:${TCP_PORT}`;
const RS_HTTP = `[192.0.2.12]:tcp:${HTTP_PORT}`;
// Timing in the configuration (ms).
const DELAY_LOOP = 1000;
const TCP_RETRY = 2;
const HTTP_RETRY = 1;
const DBR = 1000;
const SLACK = 1000;

const SERVER_JS = `
const [kind, host, port, failFile] = process.argv.slice(2);
const ready = () => console.log('listening');
if (kind === 'tcp') require('net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(Number(port), host, ready);
else require('http').createServer((req, res) => {
  const bad = require('fs').existsSync(failFile);
  res.writeHead(bad ? 503 : req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(bad ? 'failing\\n' : 'ok\\n');
}).listen(Number(port), host, ready);
`;

interface Mail {
  subject: string;
  body: string;
  at: number;
}

const lines = (f: string): string[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

describe(`e2e: health checkers in the daemon${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  let dir: string;
  let kts: Peer;
  let cap: Capture;
  let smtp: ChildProcess;
  const mails: Mail[] = [];
  const services = new Map<string, ChildProcess>();

  const startService = async (kind: 'tcp' | 'http') => {
    const port = kind === 'tcp' ? TCP_PORT : HTTP_PORT;
    const p = lab.node(SRV, path.join(dir, 'server.js'), [kind, lab.ipv4(SRV), String(port), path.join(dir, 'fail')]);
    await new Promise<void>((resolve, reject) => {
      p.stdout!.once('data', () => resolve());
      p.once('exit', (c) => reject(new Error(`${kind} service exited ${c}`)));
    });
    services.set(kind, p);
  };
  const stopService = async (kind: 'tcp' | 'http') => {
    const p = services.get(kind);
    services.delete(kind);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  const file = (name: string) => path.join(dir, name);
  const status = async (): Promise<CheckerServiceStatus> =>
    ((await kts.status()) as unknown as { checkers: CheckerServiceStatus }).checkers;
  const rsAlive = async (name: string): Promise<boolean | undefined> =>
    (await status()).virtualServers[0]?.realServers.find((r) => r.name === name)?.alive;
  /** Wait for `line` to be in `f`; returns when it appeared (ms epoch). */
  const waitLine = async (f: string, line: string, from: number, timeoutMs: number): Promise<number> => {
    await waitFor(() => lines(file(f)).slice(from).includes(line), { timeoutMs, intervalMs: 20, what: `${line} in ${f}` });
    return Date.now();
  };

  before(async () => {
    lab = await Lab.create({ hosts: 2, v6: false });
    dir = path.join(lab.dir, 'checkers');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file('server.js'), SERVER_JS);
    fs.writeFileSync(file('notify.sh'), '#!/bin/sh\nout="$1"; shift\n{ printf "%s" "$1"; shift; for a in "$@"; do printf "|%s" "$a"; done; echo; } >> "$out"\n', { mode: 0o755 });
    fs.writeFileSync(file('fifo-reader.sh'), '#!/bin/sh\n# the FIFO path comes last\nwhile read -r line; do echo "$line" >> "$1"; done < "$2"\n', { mode: 0o755 });
    smtp = lab.node(SRV, path.join(__dirname, 'harness', 'drivers', 'smtp-sink.js'), [lab.ipv4(SRV), String(SMTP_PORT)]);
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: smtp.stdout! }).on('line', (l) => {
        const m = JSON.parse(l) as { event?: string } & Mail;
        if (m.event === 'ready') resolve();
        else mails.push(m);
      });
      smtp.once('exit', (c) => reject(new Error(`smtp sink exited ${c}`)));
    });
    await startService('tcp');
    await startService('http');
  });
  after(async () => {
    await kts?.stop().catch(() => undefined);
    await cap?.stop().catch(() => undefined);
    for (const k of [...services.keys()]) await stopService(k as 'tcp' | 'http');
    await lab?.destroy();
  });

  const configText = (): string =>
    conf(
      [
        'router_id lb1',
        'notification_email {',
        '    ops@example.com',
        '}',
        'notification_email_from lb1@example.com',
        `smtp_server ${lab.ipv4(SRV)} ${SMTP_PORT}`,
        `notify_fifo ${dir}/notify.fifo`,
        `notify_fifo_script "${dir}/fifo-reader.sh ${dir}/fifo.log"`,
      ],
      instance({ priority: 150, vips: [`${VIP}/24`] }),
      [
        `virtual_server ${VIP} 80 {`,
        `    delay_loop ${DELAY_LOOP / 1000}`,
        '    lb_algo rr',
        '    lb_kind NAT',
        '    protocol TCP',
        '    smtp_alert',
        `    quorum_up "${dir}/notify.sh ${dir}/quorum.log UP"`,
        `    quorum_down "${dir}/notify.sh ${dir}/quorum.log DOWN"`,
        `    real_server ${lab.ipv4(SRV)} ${TCP_PORT} {`,
        `        notify_up "${dir}/notify.sh ${dir}/rs.log UP tcp"`,
        `        notify_down "${dir}/notify.sh ${dir}/rs.log DOWN 'tcp service'"`,
        '        TCP_CHECK {',
        '            connect_timeout 1',
        `            retry ${TCP_RETRY}`,
        `            delay_before_retry ${DBR / 1000}`,
        '        }',
        '    }',
        `    real_server ${lab.ipv4(SRV)} ${HTTP_PORT} {`,
        `        notify_up "${dir}/notify.sh ${dir}/rs.log UP http"`,
        `        notify_down "${dir}/notify.sh ${dir}/rs.log DOWN http"`,
        '        HTTP_GET {',
        '            url {',
        '                path /health',
        '                status_code 200',
        '            }',
        '            connect_timeout 1',
        `            retry ${HTTP_RETRY}`,
        `            delay_before_retry ${DBR / 1000}`,
        '        }',
        '    }',
        '}',
      ].join('\n') + '\n',
    );

  test('TCP_CHECK and HTTP_GET: notify_down/up argv, FIFO lines and mails on time; quorum; VRRP adverts unaffected', async (t) => {
    const text = configText();
    cap = await lab.capture({ filter: ['ip', 'proto', '112'] });
    kts = startKts(lab, 1, text);
    await kts.waitState('MASTER', 'VI_1', 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${kts.text()}`);
    });
    await waitFor(async () => {
      const rs = (await status()).virtualServers[0]?.realServers ?? [];
      return rs.length === 2 && rs.every((r) => r.alive && r.checkers[0].hasRun);
    }, { timeoutMs: 10_000, what: 'both real servers checked and alive' });
    assert.ok(kts.lines(new RegExp(NFT_LVS_MESSAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).length === 1, 'the data plane message is logged once');
    // keepalived: starting with the servers alive reports quorum up.
    await waitLine('fifo.log', `VS ${VS} UP`, 0, 5000);
    assert.deepEqual(lines(file('quorum.log')), ['UP']);
    assert.deepEqual(lines(file('rs.log')), [], 'no real server notification at start');

    // 1. The TCP service dies: down only after `retry` retries, delay_before_retry apart.
    const rsFrom = lines(file('rs.log')).length;
    const fifoFrom = lines(file('fifo.log')).length;
    const t0 = Date.now();
    await stopService('tcp');
    const downAt = await waitLine('rs.log', 'DOWN|tcp service', rsFrom, DELAY_LOOP + TCP_RETRY * DBR + SLACK + 2000);
    const tookDown = downAt - t0;
    assert.ok(tookDown >= TCP_RETRY * DBR - 100, `notify_down after ${tookDown} ms: the ${TCP_RETRY} retries must come first\n${kts.text()}`);
    assert.ok(tookDown <= DELAY_LOOP + TCP_RETRY * DBR + SLACK, `notify_down after ${tookDown} ms (bound ${DELAY_LOOP + TCP_RETRY * DBR + SLACK})`);
    await waitLine('fifo.log', `RS ${RS_TCP} ${VS} DOWN`, fifoFrom, 2000);
    assert.equal(await rsAlive(RS_TCP), false);
    assert.equal((await status()).virtualServers[0].state, 'UP', 'the HTTP server keeps the quorum');
    await waitFor(() => mails.some((m) => m.subject === `[lb1] Realserver ${RS_TCP} of virtual server ${VS} - DOWN`), { timeoutMs: 5000, what: 'DOWN mail' });
    assert.equal(mails.find((m) => m.subject.endsWith(`${RS_TCP} of virtual server ${VS} - DOWN`))!.body.trim(), '=> TCP CHECK failed on service <=');
    assert.ok(kts.lines(new RegExp(`Removing service \\[192\\.0\\.2\\.12\\]:tcp:${TCP_PORT} from VS`)).length === 1);

    // 2. It comes back: notify_up at the next run.
    const t1 = Date.now();
    await startService('tcp');
    const upAt = await waitLine('rs.log', 'UP|tcp', rsFrom, DELAY_LOOP + SLACK + 2000);
    assert.ok(upAt - t1 <= DELAY_LOOP + SLACK, `notify_up after ${upAt - t1} ms`);
    await waitLine('fifo.log', `RS ${RS_TCP} ${VS} UP`, fifoFrom, 2000);
    await waitFor(() => mails.some((m) => m.subject === `[lb1] Realserver ${RS_TCP} of virtual server ${VS} - UP`), { timeoutMs: 5000, what: 'UP mail' });

    // 3. The HTTP server answers 503 (the status code is checked), then the TCP one dies too: quorum lost.
    const t2 = Date.now();
    fs.writeFileSync(file('fail'), '');
    const httpDown = await waitLine('rs.log', 'DOWN|http', rsFrom, DELAY_LOOP + HTTP_RETRY * DBR + SLACK + 2000);
    assert.ok(httpDown - t2 >= HTTP_RETRY * DBR - 100 && httpDown - t2 <= DELAY_LOOP + HTTP_RETRY * DBR + SLACK, `HTTP down after ${httpDown - t2} ms`);
    assert.match((await status()).virtualServers[0].realServers[1].checkers[0].lastResult ?? '', /503/);
    await waitFor(() => mails.some((m) => m.subject === `[lb1] Realserver ${RS_HTTP} of virtual server ${VS} - DOWN` && m.body.trim() === '=> CHECK failed on service : HTTP request failed <='), { timeoutMs: 5000, what: 'HTTP DOWN mail' });
    await stopService('tcp');
    await waitLine('quorum.log', 'DOWN', 0, DELAY_LOOP + TCP_RETRY * DBR + SLACK + 2000);
    await waitLine('fifo.log', `VS ${VS} DOWN`, fifoFrom, 2000);
    await waitFor(() => mails.some((m) => m.subject === `[lb1] Virtualserver ${VS} - DOWN` && m.body.trim() === '=> Lost quorum 1+0=1 <= 0 <='), { timeoutMs: 5000, what: 'quorum DOWN mail' });
    assert.equal((await status()).virtualServers[0].state, 'DOWN');

    // 4. Both back: quorum regained.
    fs.rmSync(file('fail'));
    await startService('tcp');
    await waitLine('quorum.log', 'UP', 1, DELAY_LOOP + SLACK + 2000);
    await waitLine('rs.log', 'UP|http', 4, DELAY_LOOP + SLACK + 2000);
    await waitLine('rs.log', 'UP|tcp', 4, DELAY_LOOP + SLACK + 2000);

    // The scripts got exactly their configured argv, in order; the FIFO got keepalived's lines.
    assert.deepEqual(lines(file('rs.log')), ['DOWN|tcp service', 'UP|tcp', 'DOWN|http', 'DOWN|tcp service', ...lines(file('rs.log')).slice(4)]);
    assert.deepEqual(lines(file('rs.log')).slice(4).sort(), ['UP|http', 'UP|tcp']);
    assert.deepEqual(lines(file('quorum.log')), ['UP', 'DOWN', 'UP']);
    const lvsLines = lines(file('fifo.log')).filter((l) => l.startsWith('RS ') || l.startsWith('VS '));
    assert.deepEqual(lvsLines.slice(0, 6), [
      `VS ${VS} UP`,
      `RS ${RS_TCP} ${VS} DOWN`,
      `RS ${RS_TCP} ${VS} UP`,
      `RS ${RS_HTTP} ${VS} DOWN`,
      `RS ${RS_TCP} ${VS} DOWN`,
      `VS ${VS} DOWN`,
    ]);
    assert.deepEqual(lvsLines.slice(6).sort(), [`RS ${RS_HTTP} ${VS} UP`, `RS ${RS_TCP} ${VS} UP`, `VS ${VS} UP`].sort());
    assert.ok(lines(file('fifo.log')).includes('INSTANCE "VI_1" MASTER 150'), 'the same FIFO carries the VRRP lines');

    // VRRP adverts stayed on time through all of it.
    const frames = vrrpFrames((await cap.stop()).timed);
    const adverts = advertsFrom(frames, lab.ipv4(1), 51);
    assert.ok(adverts.length >= 6, `${adverts.length} adverts captured`);
    const gap = maxGap(adverts.map((f) => f.t));
    assert.ok(gap <= 1.05 * 1000, `largest advert gap ${gap.toFixed(1)} ms with checkers running (advert_int 1 s)`);
    t.diagnostic(`TCP down after ${tookDown} ms, up after ${upAt - t1} ms, HTTP down after ${httpDown - t2} ms; ${adverts.length} adverts, largest gap ${gap.toFixed(1)} ms`);

    // Stop: without omega keepalived reports nothing for the real servers, and logs each one.
    const rsBefore = lines(file('rs.log')).length;
    await kts.stop();
    assert.equal(kts.exit?.code, 0);
    assert.equal(lines(file('rs.log')).length, rsBefore);
    assert.equal(kts.lines(/Shutting down service \[192\.0\.2\.12\]:tcp:808[12] from VS/).length, 2);
  });

  test('keepalived daemon modes: -P runs VRRP only, -C checkers only', async () => {
    const vrrpOnly = startKts(lab, 1, configText(), { args: ['-P'] });
    try {
      await vrrpOnly.waitState('MASTER', 'VI_1', 15_000);
      await new Promise((r) => setTimeout(r, 2500)); // checkers would have run by now
      const st = (await vrrpOnly.status()) as unknown as { checkers?: unknown };
      assert.equal(st.checkers, undefined, 'no checker service with -P');
      assert.equal(vrrpOnly.lines(/IPVS not available|Activating healthchecker/).length, 0);
    } finally {
      await vrrpOnly.stop();
    }
    const checkOnly = startKts(lab, 1, configText(), { args: ['-C'] });
    try {
      await waitFor(async () => {
        const c = ((await checkOnly.status().catch(() => undefined)) as unknown as { checkers?: CheckerServiceStatus } | undefined)?.checkers;
        return c?.virtualServers[0]?.realServers.every((r) => r.alive && r.checkers[0].hasRun);
      }, { timeoutMs: 10_000, what: 'checkers running with -C' });
      await new Promise((r) => setTimeout(r, 4000)); // longer than the master down interval
      const st = await checkOnly.status();
      assert.deepEqual(st.instances, [], 'no VRRP instance with -C');
      assert.ok(!(await lab.addresses(1)).includes(VIP), 'no VIP with -C');
    } finally {
      await checkOnly.stop();
    }
  });
});
