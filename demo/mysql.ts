/**
 * `npm run demo:mysql` (as root): the article's MySQL dual-master hot
 * standby, as printed (examples/mysql-article), in network namespaces:
 *
 *   db1 192.0.2.11   MariaDB + keepalived-ts (priority 100)   } each in a PID
 *   db2 192.0.2.12   MariaDB + keepalived-ts (priority 90)    } namespace of its own
 *   app 192.0.2.13   an application writing a row every 20 ms through the VIP 192.0.2.100
 *   mail 192.0.2.14  an SMTP server (the article's smtp_server)
 *
 * MariaDB on the master is stopped; the article's TCP_CHECK fails after its
 * retries, notify_down runs `pkill keepalived`, the VIP moves to db2, the
 * writes resume there. Then db1 comes back: replication catches up, and
 * nopreempt keeps the VIP on db2. A live view shows it; a summary follows.
 * Everything is torn down at the end, on error, and on Ctrl-C.
 */
import * as fs from 'node:fs';
import { Lab, labUnavailableReason } from '../test/e2e/harness/netns';
import { AppWriter, waitCaughtUp } from '../test/e2e/harness/mariadb';
import { VipWatch } from '../test/e2e/harness/vip-watch';
import { APP_HOST, ARTICLE, DB_HOSTS, HOSTS, MAIL_HOST, MysqlArticle, SURVIVOR_SKEW_MS, VIP } from '../test/e2e/harness/mysql-article';
import { LiveView, sleep } from './live';

const FORM = 'notify_down';
const KILL = 'pkill';
const BOUND_MS = ARTICLE.delayLoopMs + ARTICLE.nbGetRetry * (ARTICLE.connectTimeoutMs + ARTICLE.delayBeforeRetryMs) + SURVIVOR_SKEW_MS;

async function table(lab: Lab, m: MysqlArticle | undefined, writer: AppWriter | undefined, watch: VipWatch | undefined): Promise<string[]> {
  const out = [
    `keepalived-ts demo — the article's MySQL dual master, VIP ${VIP}:3306   (${new Date().toLocaleTimeString()})`,
    '',
    '  host  address      MariaDB        keepalived-ts  prio  holds VIP',
    '  ----  -----------  -------------  -------------  ----  -----------',
  ];
  const held = watch?.samples.at(-1)?.holders ?? [];
  for (const h of DB_HOSTS) {
    const db = m?.dbs[h];
    const p = m?.daemon(h);
    let state = p ? 'starting' : '-';
    let prio = '';
    if (p?.exit) state = `stopped (${p.exit.code ?? p.exit.signal})`;
    else if (p) {
      const i = (await p.status().catch(() => undefined))?.instances[0];
      if (i) [state, prio] = [i.state, String(i.effectivePriority)];
    }
    const maria = db?.running ? `up (server ${h})` : db ? 'stopped' : '-';
    out.push(`  db${h}   ${lab.ipv4(h)}   ${maria.padEnd(13)}  ${state.padEnd(13)}  ${prio.padEnd(4)}  ${held.includes(h) ? VIP : ''}`);
  }
  const last = writer?.acks.at(-1);
  const app = writer
    ? `${writer.acks.length} writes acknowledged, last by server ${last?.server ?? '-'} ${last ? `${Date.now() - last.at} ms ago` : ''}`
    : '-';
  out.push(`  app   ${lab.ipv4(APP_HOST)}   ${app}`);
  out.push(`  mail  ${lab.ipv4(MAIL_HOST)}   ${m ? `${m.smtp.mails.length} mails received` : '-'}`);
  return out;
}

async function main(): Promise<void> {
  const why = labUnavailableReason() ?? (fs.existsSync('/usr/sbin/mariadbd') ? undefined : 'needs mariadb-server (scripts/install-system-deps.sh)');
  if (why) throw new Error(`the demo ${why}: run it as root, e.g. sudo npm run demo:mysql`);
  const view = new LiveView(12);
  const say = (e: string): void => view.say(e);
  const lab = await Lab.create({ hosts: HOSTS, v6: false });
  let m: MysqlArticle | undefined;
  let writer: AppWriter | undefined;
  let watch: VipWatch | undefined;
  const summary: string[] = [];
  const timer = setInterval(() => {
    table(lab, m, writer, watch).then((t) => view.render(t), () => undefined);
  }, 300);
  try {
    view.title = 'building: 4 hosts, 2 MariaDB servers replicating each other';
    say(`built 4 hosts in network namespaces (${lab.prefix}h1..4) on a bridge; db1 and db2 each get a PID namespace`);
    m = await MysqlArticle.build(lab);
    say(`MariaDB pair up in ${m.setup.totalMs} ms (mariadb-install-db ${m.setup.installMs.join(' / ')} ms): master-master, GTID`);
    say('replication is semi-synchronous (the article\'s is asynchronous): a write is acknowledged once db2 has it');

    view.title = "starting keepalived-ts with the article's keepalived.conf (-i db1 / -i db2)";
    const files = await m.startPair(FORM, KILL, say);
    watch = VipWatch.start(lab, VIP, [...DB_HOSTS]);
    writer = await AppWriter.start(lab, APP_HOST, VIP, m.firstId());
    view.title = 'the application writes a row every 20 ms through the VIP';
    say(`app: writing through ${VIP}:3306 (mysql2, reconnects after 50 ms on errors)`);
    await sleep(3000);

    view.title = `MariaDB on db1 stops; TCP_CHECK retries ${ARTICLE.nbGetRetry} times, ${ARTICLE.delayBeforeRetryMs / 1000} s apart, then notify_down`;
    const r = await m.failover(files, writer, watch, FORM, KILL, BOUND_MS + 10_000, say);
    const call = r.killCalls[0];
    say(`db1 kill_keepalived.sh was run by ${call?.parent ?? '?'} with ${call ? call.argv.length : '?'} arguments (notify_down: none)`);
    for (const l of m.notifyLines(files[2])) say(`db2 notify.sh ${l.args.split('|').join(' ')}`);
    for (const mail of m.smtp.mails.filter((x) => x.at >= r.t0)) say(`mail: ${mail.subject}`);
    say(`writes resumed on db2 ${r.resumedMs} ms after MariaDB stopped; largest gap ${r.writeGapMs} ms`);
    await sleep(2000);

    view.title = 'db1 comes back: MariaDB first, then keepalived-ts';
    const t1 = Date.now();
    await m.dbs[1].start();
    await waitCaughtUp(m.dbs[2], m.dbs[1]);
    const meanwhile = writer.acks.filter((a) => a.server === 2).length;
    say(`db1: MariaDB back and caught up with db2 in ${Date.now() - t1} ms (${meanwhile} rows written to db2 meanwhile)`);
    const again = m.startDaemon(1, files[1]);
    await again.waitState('BACKUP', 'VI_1', 15_000);
    say('db1: keepalived-ts is BACKUP; nopreempt: it does not take the VIP back');
    await sleep(5000);
    const moves = watch.notHeldBy([2], t1).length;
    say(moves === 0 ? `the VIP stayed on db2 all along (${watch.samples.filter((s) => s.at >= t1).length} samples)` : `the VIP moved ${moves} samples: unexpected`);

    view.title = 'checking every acknowledged write on both servers';
    await writer.stop();
    await waitCaughtUp(m.dbs[2], m.dbs[1]);
    const rows = await m.checkRows(m.dbs[2], writer);
    const back = await m.checkRows(m.dbs[1], writer);
    say(`${rows.acked} writes acknowledged: ${rows.lost.length} lost on db2, ${back.lost.length} missing on db1, ${rows.inDoubt} in doubt (failed in flight, never acknowledged)`);
    view.title = 'done';
    summary.push(
      `VIP moved to db2 ${r.movedMs} ms after MariaDB stopped (article's timing: delay_loop ${ARTICLE.delayLoopMs} + ${ARTICLE.nbGetRetry} × (connect_timeout ${ARTICLE.connectTimeoutMs} + delay_before_retry ${ARTICLE.delayBeforeRetryMs}) + skew ${SURVIVOR_SKEW_MS.toFixed(0)} = ${BOUND_MS.toFixed(0)} ms at most)`,
      `  db1 released it at ${r.releasedMs} ms, db2 took it ${r.movedMs - r.releasedMs} ms later (its skew time), never on both: ${r.overlaps.length === 0 ? 'yes' : 'NO'}`,
      `scripts: db1's notify_down ran kill_keepalived.sh (${KILL} keepalived) with ${call ? call.argv.length : '?'} arguments; db2's notify.sh got ${m.notifyLines(files[2]).map((l) => `"${l.args.split('|').join(' ')}"`).join(', ')}`,
      `mails: ${m.smtp.mails.filter((x) => x.at >= r.t0).map((x) => x.subject).join('; ')}`,
      `writes: resumed on db2 at ${r.resumedMs} ms, largest gap ${r.writeGapMs} ms`,
      `rows: ${rows.acked} acknowledged, ${rows.lost.length} lost (semi-synchronous replication)`,
    );
  } finally {
    clearInterval(timer);
    view.render(await table(lab, m, writer, watch).catch(() => []));
    await writer?.stop().catch(() => undefined);
    await watch?.stop().catch(() => undefined);
    await m?.stopDaemons().catch(() => undefined);
    await lab.destroy();
    if (summary.length) console.log(`\n${summary.join('\n')}`);
    console.log(`\ntorn down: namespaces ${lab.prefix}* removed`);
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
