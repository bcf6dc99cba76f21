/** keepalived.conf text for end-to-end tests (the same file feeds both implementations). */

export interface InstanceOptions {
  name?: string;
  vrid?: number;
  priority: number;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  /** `advert_int` as written, e.g. '1' or '0.1'. */
  advert?: string;
  version?: 2 | 3;
  /** v2 PASS password. */
  pass?: string;
  vips: string[];
  unicastSrc?: string;
  unicastPeers?: string[];
  nopreempt?: boolean;
  preemptDelay?: number;
  trackInterface?: string[];
  trackScript?: string[];
  /** Any further lines inside the block. */
  extra?: string[];
}

export function instance(o: InstanceOptions): string {
  const l: string[] = [];
  l.push(`vrrp_instance ${o.name ?? 'VI_1'} {`);
  l.push(`    state ${o.state ?? 'BACKUP'}`);
  l.push(`    interface ${o.interface ?? 'eth0'}`);
  l.push(`    virtual_router_id ${o.vrid ?? 51}`);
  l.push(`    priority ${o.priority}`);
  l.push(`    advert_int ${o.advert ?? '1'}`);
  if (o.version) l.push(`    version ${o.version}`);
  if (o.nopreempt) l.push('    nopreempt');
  if (o.preemptDelay !== undefined) l.push(`    preempt_delay ${o.preemptDelay}`);
  if (o.pass) l.push('    authentication {', '        auth_type PASS', `        auth_pass ${o.pass}`, '    }');
  if (o.unicastSrc) l.push(`    unicast_src_ip ${o.unicastSrc}`);
  if (o.unicastPeers) l.push('    unicast_peer {', ...o.unicastPeers.map((p) => `        ${p}`), '    }');
  l.push('    virtual_ipaddress {', ...o.vips.map((v) => `        ${v}`), '    }');
  if (o.trackInterface) l.push('    track_interface {', ...o.trackInterface.map((t) => `        ${t}`), '    }');
  if (o.trackScript) l.push('    track_script {', ...o.trackScript.map((t) => `        ${t}`), '    }');
  for (const e of o.extra ?? []) l.push(`    ${e}`);
  l.push('}');
  return l.join('\n') + '\n';
}

/** A whole file: global_defs lines, then blocks. */
export function conf(globals: string[], ...blocks: string[]): string {
  const g = globals.length ? `global_defs {\n${globals.map((x) => `    ${x}`).join('\n')}\n}\n` : '';
  return g + blocks.join('\n');
}

/** RFC 3768 / 5798 skew time in ms for a priority and master advert interval (keepalived does not truncate). */
export function skewMs(priority: number, intervalMs: number, version: 2 | 3): number {
  return version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * intervalMs) / 256;
}

/** Master_Down_Interval = 3 × interval + skew. */
export function masterDownMs(priority: number, intervalMs: number, version: 2 | 3): number {
  return 3 * intervalMs + skewMs(priority, intervalMs, version);
}
