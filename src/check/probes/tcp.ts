/**
 * TCP_CHECK: success when a TCP connection to connect_ip:connect_port is
 * established within connect_timeout (check_tcp.c: the socket is closed at
 * once, nothing is sent).
 */
import net from 'node:net';
import type { ConnTarget, ProbeResult, ProbeRunOptions } from '../types';
import { describe, hostPort, settleOnce } from './common';

export function tcpProbe(target: ConnTarget, opts: ProbeRunOptions): Promise<ProbeResult> {
  const where = hostPort(target.connectIp, target.connectPort);
  return settleOnce(
    opts.signal,
    opts.timeoutMs,
    () => ({ ok: false, detail: `TCP connection to ${where} timeout` }),
    (finish) => {
      const sock = net.connect({
        host: target.connectIp,
        port: target.connectPort,
        localAddress: target.bindto,
        localPort: target.bindPort,
      });
      sock.once('connect', () => finish({ ok: true, detail: `TCP connection to ${where} success` }));
      sock.once('error', (err) => finish({ ok: false, detail: `TCP connection to ${where} failed: ${describe(err)}` }));
      return () => sock.destroy();
    },
  );
}
