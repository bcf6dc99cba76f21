/**
 * PING_CHECK in the real daemon (root; network namespaces only), on the
 * checker process's own ICMP sockets: no `ping` process is ever started.
 *
 * Host 1 runs keepalived-ts with two virtual servers, each with one
 * PING_CHECK real server: host 2 over IPv4 (bindto 192.0.2.21, a second
 * address of host 1) and host 3 over IPv6 (bindto 2001:db8::11, bind_if
 * eth0). notify_up / notify_down append their argv to a file.
 *
 *  - both come up, their status says "echo reply from ..."; the echo requests
 *    on the wire come from the bindto address, one identifier, rising sequence;
 *  - an nftables rule on host 2 dropping echo requests takes its server down
 *    (notify_down, "no echo reply ... within 1000 ms") after the retry; a
 *    reject rule answers host unreachable, which the checker reports as such;
 *    removing the rule brings it back (notify_up);
 *  - host 3's interface going down takes the IPv6 server down, up brings it back;
 *  - all along, no process named `ping` runs under the checker process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lab, labUnavailableReason, waitFor, type Capture } from './harness/netns';
import { startKts, type Peer } from './harness/peers';
import { conf, instance } from './harness/conf';
import { descendants } from './harness/proctree';
import type { CheckerServiceStatus, RealServerStatusView } from '../../src/daemon/checker-process/checkers';

const why = labUnavailableReason();
const V4 = 2;
const V6 = 3;
const BINDTO4 = '192.0.2.21';
const RS4 = '[192.0.2.12]:tcp:80';
const RS6 = '[2001:db8::13]:tcp:80';
// Timing in the configuration (ms): a failure is final after one retry.
const DELAY_LOOP = 1000;
const TIMEOUT = 1000;
const DBR = 1000;
/** Worst case from the change to notify_down: a run just started, its timeout, delay_before_retry, the retry's timeout. */
const DOWN_BOUND = DELAY_LOOP + TIMEOUT + DBR + TIMEOUT + 1500;
const UP_BOUND = DELAY_LOOP + TIMEOUT + 1500;

const lines = (f: string): string[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

/** IPv4 ICMP echo requests in captured Ethernet frames: source, destination, identifier, sequence. */
function echoRequests(frames: Buffer[]): { src: string; dst: string; id: number; seq: number }[] {
  const out: { src: string; dst: string; id: number; seq: number }[] = [];
  for (const f of frames) {
    if (f.length < 34 || f.readUInt16BE(12) !== 0x0800 || f[23] !== 1) continue;
    const icmp = 14 + (f[14] & 0x0f) * 4;
    if (f.length < icmp + 8 || f[icmp] !== 8) continue;
    out.push({ src: [...f.subarray(26, 30)].join('.'), dst: [...f.subarray(30, 34)].join('.'), id: f.readUInt16BE(icmp + 4), seq: f.readUInt16BE(icmp + 6) });
  }
  return out;
}

describe(`e2e: PING_CHECK on ICMP sockets${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  let lab: Lab;
  let dir: string;
  let kts: Peer | undefined;
  let cap: Capture | undefined;
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    lab = await Lab.create({ hosts: 3 });
    dir = path.join(lab.dir, 'ping');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file('notify.sh'), '#!/bin/sh\nout="$1"; shift\n{ printf "%s" "$1"; shift; for a in "$@"; do printf "|%s" "$a"; done; echo; } >> "$out"\n', { mode: 0o755 });
    await lab.exec(1, ['ip', 'addr', 'add', `${BINDTO4}/24`, 'dev', 'eth0'], { check: true });
    await lab.exec(V4, ['nft', 'add', 'table', 'inet', 'ktping'], { check: true });
    await lab.exec(V4, ['nft', 'add', 'chain', 'inet', 'ktping', 'input', '{ type filter hook input priority 0 ; }'], { check: true });
  });
  after(async () => {
    await kts?.stop().catch(() => undefined);
    await cap?.stop().catch(() => undefined);
    await lab?.destroy();
  });

  const realServer = (ip: string, tag: string, extra: string[]) => [
    `    real_server ${ip} 80 {`,
    `        notify_up "${file('notify.sh')} ${file('rs.log')} UP ${tag}"`,
    `        notify_down "${file('notify.sh')} ${file('rs.log')} DOWN ${tag}"`,
    '        PING_CHECK {',
    `            connect_timeout ${TIMEOUT / 1000}`,
    '            retry 1',
    `            delay_before_retry ${DBR / 1000}`,
    ...extra.map((l) => `            ${l}`),
    '        }',
    '    }',
  ];
  const virtualServer = (vip: string, rs: string[]) =>
    [`virtual_server ${vip} 80 {`, `    delay_loop ${DELAY_LOOP / 1000}`, '    lb_algo rr', '    lb_kind NAT', '    protocol TCP', ...rs, '}'].join('\n') + '\n';

  const status = async (): Promise<CheckerServiceStatus> => ((await kts!.status()) as unknown as { checkers: CheckerServiceStatus }).checkers;
  const server = async (name: string): Promise<RealServerStatusView | undefined> =>
    (await status()).virtualServers.flatMap((v) => v.realServers).find((r) => r.name === name);
  const waitLine = async (line: string, from: number, timeoutMs: number): Promise<number> => {
    await waitFor(() => lines(file('rs.log')).slice(from).includes(line), { timeoutMs, intervalMs: 20, what: `${line} in rs.log` });
    return Date.now();
  };
  const nft = (rule: string) => lab.exec(V4, ['nft', rule === 'flush' ? 'flush chain inet ktping input' : `add rule inet ktping input ${rule}`], { check: true });

  test('real servers go down and up with their echo replies; notify_down/up; bindto on the wire; never a ping process', async (t) => {
    cap = await lab.capture({ filter: ['icmp'] });
    kts = startKts(
      lab,
      1,
      conf(
        ['router_id lb1'],
        instance({ priority: 150, vips: ['192.0.2.100/24'] }),
        virtualServer('192.0.2.100', realServer(lab.ipv4(V4), 'v4', [`bindto ${BINDTO4}`])),
        virtualServer('2001:db8::100', realServer(lab.ipv6(V6), 'v6', [`bindto ${lab.ipv6(1)}`, 'bind_if eth0'])),
      ),
    );
    const checkerPid = await kts.childPid('checker');
    // Every 20 ms, the processes under the checker process (a spawned ping lives 1 ms to connect_timeout).
    const seen = new Map<string, number>();
    const sampler = setInterval(() => {
      for (const pid of descendants(checkerPid).slice(1)) {
        let comm = '?';
        try {
          comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          /* gone */
        }
        seen.set(comm, (seen.get(comm) ?? 0) + 1);
      }
    }, 20);
    try {
      await waitFor(async () => {
        const [a, b] = [await server(RS4), await server(RS6)];
        return a?.alive && b?.alive && a.checkers[0].hasRun && b.checkers[0].hasRun;
      }, { timeoutMs: 15_000, what: 'both PING_CHECK servers checked and alive' }).catch((e: Error) => {
        throw new Error(`${e.message}\n${kts!.text()}`);
      });
      assert.match((await server(RS4))!.checkers[0].lastResult ?? '', /^echo reply from 192\.0\.2\.12 \(seq \d+, [\d.]+ ms\)$/);
      assert.match((await server(RS6))!.checkers[0].lastResult ?? '', /^echo reply from 2001:db8::13 \(seq \d+, [\d.]+ ms\)$/);
      assert.deepEqual(lines(file('rs.log')), [], 'no notification at start');
      await new Promise((r) => setTimeout(r, 2 * DELAY_LOOP + 200));
      const requests = echoRequests((await cap.stop()).frames).filter((r) => r.dst === lab.ipv4(V4));
      cap = undefined;
      assert.ok(requests.length >= 3, `${requests.length} echo requests to ${lab.ipv4(V4)} captured`);
      assert.deepEqual([...new Set(requests.map((r) => r.src))], [BINDTO4], 'bindto is the source of every request');
      assert.equal(new Set(requests.map((r) => r.id)).size, 1, 'one identifier: one socket');
      assert.ok(requests.every((r, i) => i === 0 || r.seq === ((requests[i - 1].seq + 1) & 0xffff)), 'sequence numbers rise by one per request');

      // 1. Host 2 drops echo requests: down after the retry, notify_down with its argv.
      const t0 = Date.now();
      await nft('icmp type echo-request drop');
      const downAt = await waitLine('DOWN|v4', 0, DOWN_BOUND + 2000);
      assert.ok(downAt - t0 >= TIMEOUT + DBR - 100, `notify_down after ${downAt - t0} ms: the retry must come first`);
      assert.ok(downAt - t0 <= DOWN_BOUND, `notify_down after ${downAt - t0} ms (bound ${DOWN_BOUND})`);
      assert.equal((await server(RS4))!.alive, false);
      assert.equal((await server(RS4))!.checkers[0].lastResult, `no echo reply from 192.0.2.12 within ${TIMEOUT} ms`);
      assert.equal((await server(RS6))!.alive, true, 'the IPv6 server is not affected');

      // 2. Host 2 rejects them: the ICMP error is matched to the request and named.
      await nft('flush');
      await nft('icmp type echo-request reject with icmp type host-unreachable');
      await waitFor(async () => /^no echo reply from 192\.0\.2\.12: host unreachable \(ICMP type 3 code 1\) from 192\.0\.2\.12$/.test((await server(RS4))!.checkers[0].lastResult ?? ''), {
        timeoutMs: 2 * DELAY_LOOP + 2000,
        what: 'host unreachable in lastResult',
      });

      // 3. The rule goes: up at the next run.
      const t1 = Date.now();
      await nft('flush');
      const upAt = await waitLine('UP|v4', 1, UP_BOUND + 2000);
      assert.ok(upAt - t1 <= UP_BOUND, `notify_up after ${upAt - t1} ms (bound ${UP_BOUND})`);

      // 4. Host 3's interface goes down and comes back (with its address: a link down drops global IPv6 addresses).
      const t2 = Date.now();
      await lab.linkSet(V6, 'down');
      const down6 = await waitLine('DOWN|v6', 0, DOWN_BOUND + 2000);
      assert.ok(down6 - t2 <= DOWN_BOUND, `IPv6 notify_down after ${down6 - t2} ms`);
      assert.match((await server(RS6))!.checkers[0].lastResult ?? '', /^no echo reply from 2001:db8::13/);
      const t3 = Date.now();
      await lab.linkSet(V6, 'up');
      if (!(await lab.addresses(V6)).includes(lab.ipv6(V6))) {
        await lab.exec(V6, ['ip', '-6', 'addr', 'add', `${lab.ipv6(V6)}/64`, 'dev', 'eth0', 'nodad'], { check: true });
      }
      const up6 = await waitLine('UP|v6', 0, UP_BOUND + 3000);
      assert.ok(up6 - t3 <= UP_BOUND + 1000, `IPv6 notify_up after ${up6 - t3} ms`);

      assert.deepEqual(lines(file('rs.log')), ['DOWN|v4', 'UP|v4', 'DOWN|v6', 'UP|v6'], 'each change notified once, argv as configured');
      t.diagnostic(`v4 down after ${downAt - t0} ms, up after ${upAt - t1} ms; v6 down after ${down6 - t2} ms, up after ${up6 - t3} ms; ` +
        `processes seen under the checker: ${JSON.stringify(Object.fromEntries(seen))}`);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(seen.get('ping') ?? 0, 0, `no ping process under the checker process (seen: ${JSON.stringify(Object.fromEntries(seen))})`);
    assert.equal(kts.lines(/PING_CHECK unavailable|ICMP socket failed/).length, 0);
  });
});
