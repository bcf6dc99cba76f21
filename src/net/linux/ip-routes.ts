/**
 * Routes and policy rules through iproute2's `ip` command, with keepalived's
 * protocol number 18 ("keepalived" in /etc/iproute2/rt_protos), so
 * `ip route` shows them as keepalived's. keepalived's route and rule syntax is
 * `ip route` / `ip rule` syntax; the daemon maps its few own words first
 * (src/daemon/settings.ts routeArgs / ruleArgs).
 *
 *  - add route: `ip route replace ARGS proto 18` (idempotent);
 *  - add rule: delete any identical rule, then `ip rule add ARGS protocol 18`;
 *  - remove: `ip route|rule del ARGS`; "not found" means unchanged.
 * Runs off the VRRP path (the instance queues these with its address changes).
 */
import { execFile } from 'node:child_process';
import { KtsError } from '../../core/errors';
import type { IpRoute, RouteManager } from '../ports';

export const RTPROT_KEEPALIVED = '18';

export type IpRunner = (args: string[]) => Promise<{ code: number; stderr: string }>;

export const ipCommand: IpRunner = (args) =>
  new Promise((resolve) => {
    execFile('ip', args, { timeout: 10_000 }, (err, _out, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
    });
  });

const NOT_FOUND = /No such process|No such file or directory|Cannot find|not found/i;

export class IpRouteManager implements RouteManager {
  constructor(private readonly ip: IpRunner = ipCommand) {}

  async add(r: IpRoute): Promise<{ changed: boolean }> {
    const fam = r.family === 6 ? ['-6'] : ['-4'];
    if (r.kind === 'route') {
      await this.run([...fam, 'route', 'replace', ...r.args, 'proto', RTPROT_KEEPALIVED]);
      return { changed: true };
    }
    const had = await this.ip([...fam, 'rule', 'del', ...r.args]);
    await this.run([...fam, 'rule', 'add', ...r.args, 'protocol', RTPROT_KEEPALIVED]);
    return { changed: had.code !== 0 };
  }

  async remove(r: IpRoute): Promise<{ changed: boolean }> {
    const fam = r.family === 6 ? ['-6'] : ['-4'];
    const res = await this.ip([...fam, r.kind, 'del', ...r.args]);
    if (res.code === 0) return { changed: true };
    if (NOT_FOUND.test(res.stderr)) return { changed: false };
    throw new KtsError('IP_ROUTE_FAILED', `ip ${r.kind} del ${r.args.join(' ')}: ${res.stderr.trim()}`);
  }

  private async run(args: string[]): Promise<void> {
    const res = await this.ip(args);
    if (res.code !== 0) throw new KtsError('IP_ROUTE_FAILED', `ip ${args.join(' ')}: ${res.stderr.trim()}`);
  }
}
