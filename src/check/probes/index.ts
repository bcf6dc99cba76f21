/**
 * The real probe port: dispatch a ProbeSpec to its probe. The daemon passes
 * probePort({ pinger }) to CheckRunner (PING_CHECK needs the process's ICMP
 * sockets); tests pass scripted ports instead.
 */
import type { ProbePort, ProbeResult, ProbeRunOptions, ProbeSpec } from '../types';
import { dnsProbe } from './dns';
import { fileProbe } from './file';
import { httpProbe } from './http';
import { miscProbe } from './misc';
import { pingProbe, type Pinger } from './ping';
import { smtpProbe } from './smtp';
import { tcpProbe } from './tcp';
import { udpProbe } from './udp';

/** What some probes need from the process: PING_CHECK its ICMP echo sockets. */
export interface ProbeDeps {
  pinger?: Pinger;
}

export function runProbe(spec: ProbeSpec, opts: ProbeRunOptions, deps: ProbeDeps = {}): Promise<ProbeResult> {
  switch (spec.type) {
    case 'TCP_CHECK':
      return tcpProbe(spec.target, opts);
    case 'HTTP_GET':
    case 'SSL_GET':
      return httpProbe(spec, opts);
    case 'SMTP_CHECK':
      return smtpProbe(spec.target, spec.heloName, opts);
    case 'MISC_CHECK':
      return miscProbe(spec, opts);
    case 'DNS_CHECK':
      return dnsProbe(spec.target, spec, opts);
    case 'PING_CHECK':
      return pingProbe(spec.target, deps.pinger, opts);
    case 'UDP_CHECK':
      return udpProbe(spec, opts);
    case 'FILE_CHECK':
      return fileProbe(spec);
  }
}

/** runProbe with the process's dependencies bound: the daemon's probe port. */
export function probePort(deps: ProbeDeps): ProbePort {
  return (spec, opts) => runProbe(spec, opts, deps);
}

export { tcpProbe, httpProbe, smtpProbe, miscProbe, dnsProbe, pingProbe, udpProbe, fileProbe };
