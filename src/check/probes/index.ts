/**
 * The real probe port: dispatch a ProbeSpec to its probe. The daemon passes
 * runProbe to CheckRunner; tests pass scripted ports instead.
 */
import type { ProbeResult, ProbeRunOptions, ProbeSpec } from '../types';
import { dnsProbe } from './dns';
import { fileProbe } from './file';
import { httpProbe } from './http';
import { miscProbe } from './misc';
import { pingProbe } from './ping';
import { smtpProbe } from './smtp';
import { tcpProbe } from './tcp';
import { udpProbe } from './udp';

export function runProbe(spec: ProbeSpec, opts: ProbeRunOptions): Promise<ProbeResult> {
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
      return pingProbe(spec.target, spec.pingPath, opts);
    case 'UDP_CHECK':
      return udpProbe(spec, opts);
    case 'FILE_CHECK':
      return fileProbe(spec);
  }
}

export { tcpProbe, httpProbe, smtpProbe, miscProbe, dnsProbe, pingProbe, udpProbe, fileProbe };
