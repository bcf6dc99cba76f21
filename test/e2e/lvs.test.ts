/**
 * keepalived's LVS job without IPVS: a director (host 1) holds the VIP with
 * VRRP and balances virtual_server 192.0.2.100:80 (NAT, wrr) over two real
 * servers on host 2 behind it (198.51.100.0/24, routed through the
 * director), checked by TCP_CHECK and HTTP_GET. A client (host 3) sees the
 * 3:1 weights, a failed server taken out of the pool by its checker, and the
 * sorry server when the quorum is gone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { labUnavailableReason } from './harness/netns';
import { labSuite } from './harness/suite';
import { startKts } from './harness/peers';
import { conf, instance } from './harness/conf';

const why = labUnavailableReason();

const SERVER = (id: string, ip: string, port: number) =>
  `require('http').createServer((q,s)=>{s.end('${id}')}).listen(${port},'${ip}',()=>console.log('up'))`;
const CLIENT = (n: number) =>
  `(async()=>{const c={};for(let i=0;i<${n};i++){const b=await new Promise((res)=>{const r=require('http').get({host:'192.0.2.100',port:80,agent:false,timeout:2000},(s)=>{let d='';s.on('data',(x)=>d+=x);s.on('end',()=>res(d))});r.on('error',(e)=>res('ERR:'+e.code));r.on('timeout',()=>{r.destroy();res('TIMEOUT')})});c[b]=(c[b]||0)+1}console.log(JSON.stringify(c))})()`;

describe(`e2e: virtual_server balanced with nftables${why ? ` (SKIPPED: ${why})` : ''}`, { skip: why }, () => {
  const suite = labSuite({ hosts: 3, v6: false }, async (lab) => {
    // Host 2 is only reachable through the director: real servers answer via their gateway, as IPVS NAT needs.
    await lab.linkSet(2, 'down');
    await lab.exec(1, ['ip', 'link', 'add', 'lv1', 'type', 'veth', 'peer', 'name', 'lv2', 'netns', lab.ns(2)], { check: true });
    await lab.exec(1, ['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'lv1'], { check: true });
    await lab.exec(1, ['ip', 'link', 'set', 'lv1', 'up'], { check: true });
    await lab.exec(1, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'], { check: true });
    for (const a of ['198.51.100.2/24', '198.51.100.3/24']) await lab.exec(2, ['ip', 'addr', 'add', a, 'dev', 'lv2'], { check: true });
    await lab.exec(2, ['ip', 'link', 'set', 'lv2', 'up'], { check: true });
    await lab.exec(2, ['ip', 'route', 'add', 'default', 'via', '198.51.100.1'], { check: true });
  });

  const servers = new Map<string, ChildProcess>();
  const serve = async (id: string, ip: string, port: number) => {
    const p = suite.lab.spawn(2, [process.execPath, '-e', SERVER(id, ip, port)]);
    await new Promise<void>((res, rej) => {
      p.stdout!.once('data', () => res());
      p.once('exit', (c) => rej(new Error(`server ${id} exited ${c}`)));
    });
    servers.set(id, p);
  };
  const kill = async (id: string) => {
    const p = servers.get(id)!;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  const requests = async (n: number): Promise<Record<string, number>> => {
    const r = await suite.lab.exec(3, [process.execPath, '-e', CLIENT(n)], { check: true, timeoutMs: 60_000 });
    return JSON.parse(r.stdout) as Record<string, number>;
  };

  test('weights, a failed server removed by its checker, the sorry server when the quorum is lost', async () => {
    const lab = suite.lab;
    await serve('A', '198.51.100.2', 8081);
    await serve('B', '198.51.100.3', 8082);
    await serve('SORRY', '198.51.100.2', 8089);
    const text = conf(
      [],
      instance({ priority: 150, vips: ['192.0.2.100/24'] }),
      [
        'virtual_server 192.0.2.100 80 {',
        '    delay_loop 1',
        '    lb_algo wrr',
        '    lb_kind NAT',
        '    protocol TCP',
        '    quorum 1',
        '    sorry_server 198.51.100.2 8089',
        '    real_server 198.51.100.2 8081 {',
        '        weight 3',
        '        TCP_CHECK {',
        '            connect_timeout 1',
        '        }',
        '    }',
        '    real_server 198.51.100.3 8082 {',
        '        weight 1',
        '        HTTP_GET {',
        '            url {',
        '                path /',
        '                status_code 200',
        '            }',
        '            connect_timeout 1',
        '            delay_before_retry 1',
        '        }',
        '    }',
        '}',
      ].join('\n') + '\n',
    );
    const kts = suite.track(startKts(lab, 1, text));
    await kts.waitState('MASTER', 'VI_1', 10_000);
    await kts.waitLog(/IPVS not available: balancing virtual servers with nftables/, 5000);
    await lab.waitFor(async () => (await requests(4)).A === 3, { what: 'both real servers in the pool', timeoutMs: 15_000 });
    const forty = await requests(40);
    assert.deepEqual(forty, { A: 30, B: 10 }, 'wrr 3:1, connection by connection');

    await kill('B');
    await lab.waitFor(async () => JSON.stringify(await requests(8)) === JSON.stringify({ A: 8 }), { what: 'B out of the pool', timeoutMs: 15_000 });

    await kill('A');
    await lab.waitFor(async () => JSON.stringify(await requests(4)) === JSON.stringify({ SORRY: 4 }), { what: 'the sorry server', timeoutMs: 15_000 });
    const table = (await lab.exec(1, ['nft', 'list', 'table', 'ip', 'kts_lvs'], { check: true })).stdout;
    assert.match(table, /198\.51\.100\.2 \. 8089/);

    await serve('A', '198.51.100.2', 8081);
    await lab.waitFor(async () => JSON.stringify(await requests(4)) === JSON.stringify({ A: 4 }), { what: 'A back, sorry server out', timeoutMs: 15_000 });
    await kts.stop();
    assert.equal((await lab.exec(1, ['nft', 'list', 'tables'])).stdout.includes('kts_lvs'), false, 'the table goes at stop');
    for (const id of [...servers.keys()]) await kill(id);
  });
});
