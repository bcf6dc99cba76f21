/**
 * Hostile input on the wire: a running keepalived-ts MASTER receives
 * thousands of malformed, truncated, mis-authenticated and wrong-TTL VRRP
 * packets from another host. It must keep its state and its advert period,
 * count every drop by reason, log each reason at most once a minute, and
 * never crash.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { NetDriver } from './harness/driver';
import { startKts } from './harness/peers';
import { conf, instance } from './harness/conf';
import { advertsFrom, maxGap, vrrpFrames } from './harness/frames';
import { encodeAdvert } from '../../src/vrrp/codec';

const why = labUnavailableReason();

describe(`e2e: hostile packets${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 2, v6: false });

  test('malformed adverts are counted by reason and logged rate-limited; the master keeps state and timing', async () => {
    const lab = suite.lab;
    const a = suite.track(startKts(lab, 1, conf([], instance({ priority: 150, pass: 'secret12', vips: ['192.0.2.100/24'] }))));
    await a.waitState('MASTER', 'VI_1', 10_000);
    const drv = await NetDriver.start(lab, 2);
    try {
      const t = (await drv.call<{ t: number }>('transport.open', { family: 4, ifname: 'eth0' })).t;
      const good = encodeAdvert(
        { version: 2, type: 1, vrid: 51, priority: 200, authType: 1, authData: Buffer.from('secret12'), adverIntervalMs: 1000, addresses: ['192.0.2.100'] },
        { family: 4, src: lab.ipv4(2), dst: '224.0.0.18' },
      );
      const wrongPass = encodeAdvert(
        { version: 2, type: 1, vrid: 51, priority: 200, authType: 1, authData: Buffer.from('wrongpw!'), adverIntervalMs: 1000, addresses: ['192.0.2.100'] },
        { family: 4, src: lab.ipv4(2), dst: '224.0.0.18' },
      );
      const cap = await lab.capture({ filter: ['vrrp'] });
      let seed = 12345;
      const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const garbage: string[] = [];
      for (let i = 0; i < 600; i++) {
        const b = Buffer.from(good);
        const kind = i % 4;
        if (kind === 0) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8); // bit flip
        if (kind === 1) garbage.push(b.subarray(0, Math.floor(rnd() * b.length)).toString('hex')); // truncated
        else if (kind === 2) garbage.push(Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => Math.floor(rnd() * 256))).toString('hex'));
        else if (kind === 3) garbage.push(wrongPass.toString('hex'));
        if (kind === 0) garbage.push(b.toString('hex'));
      }
      for (const hex of garbage) await drv.call('transport.send', { t, hex, dst: '224.0.0.18' });
      await new Promise((r) => setTimeout(r, 2500));
      const frames = vrrpFrames((await cap.stop()).timed);
      const mine = advertsFrom(frames, lab.ipv4(1), 51).map((f) => f.t);
      assert.ok(maxGap(mine) <= 1050, `advert period kept under the flood (largest gap ${maxGap(mine).toFixed(1)} ms)`);
      const st = (await a.status()).instances[0];
      assert.equal(st.state, 'MASTER', 'a forged higher priority never took over: every one failed a check');
      const drops = Object.entries(st.counters).filter(([k]) => !/^(advert_rcvd|advert_sent|become_master|release_master|pri_zero_rcvd|pri_zero_sent)$/.test(k));
      const total = drops.reduce((n, [, v]) => n + v, 0);
      // Packets whose VRID byte is not 51 never reach the instance (the shared socket demultiplexes by VRID).
      const forUs = garbage.filter((h) => h.length >= 4 && parseInt(h.slice(2, 4), 16) === 51).length;
      assert.equal(total, forUs, `every packet for VRID 51 counted once: ${JSON.stringify(Object.fromEntries(drops))}`);
      assert.ok(st.counters.auth_failure >= 150, 'wrong passwords counted as auth_failure');
      assert.ok(st.counters.packet_len_err > 0);
      const dropLines = a.lines(/dropping advert: auth_failure/);
      assert.equal(dropLines.length, 1, 'one log line per reason per minute');
      assert.equal(a.exit, undefined, 'still running');
    } finally {
      await drv.close();
    }
  });
});
