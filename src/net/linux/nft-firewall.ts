/**
 * keepalived's `no_accept` firewall over nftables (the `nft` command), with
 * keepalived 2.2.7's own tables so operators see the same ruleset:
 *
 *   table ip keepalived  { set vips; chain in  (ip daddr @vips drop); chain out (ip saddr @vips drop) }
 *   table ip6 keepalived { set vips; set neighbor-discovery; neighbour solicitations and
 *                          advertisements and link-local traffic accepted first }
 *
 * A family's table is (re)created on first use, replacing a stale one left by
 * a crash, and deleted at close(). Operations run one at a time, off the
 * VRRP path (the instance queues them with its address changes).
 */
import { execFile } from 'node:child_process';
import { KtsError } from '../../core/errors';
import type { Family, Firewall, VipSpec } from '../ports';

export type NftRunner = (script: string) => Promise<void>;

/** Runs `nft -f -` with the script on stdin. */
export const nftCommand: NftRunner = (script) =>
  new Promise((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], { timeout: 10_000 }, (err, _out, stderr) => {
      if (err) reject(new KtsError('NFT_FAILED', `nft: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
    child.stdin?.end(script);
  });

export function tableScript(family: Family): string {
  if (family === 4) {
    return [
      'table ip keepalived {',
      '  set vips { type ipv4_addr; }',
      '  chain out { type filter hook output priority filter - 1; policy accept; ip saddr @vips drop; }',
      '  chain in { type filter hook input priority filter - 1; policy accept; ip daddr @vips drop; }',
      '}',
    ].join('\n');
  }
  return [
    'table ip6 keepalived {',
    '  set vips { type ipv6_addr; }',
    '  set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }',
    '  chain in_link_local { }',
    '  chain out_link_local { }',
    '  chain out { type filter hook output priority filter - 1; policy accept; icmpv6 type @neighbor-discovery accept; ip6 saddr fe80::/10 goto out_link_local; ip6 saddr @vips drop; }',
    '  chain in { type filter hook input priority filter - 1; policy accept; icmpv6 type @neighbor-discovery accept; ip6 daddr fe80::/10 goto in_link_local; ip6 daddr @vips drop; }',
    '}',
  ].join('\n');
}

const table = (f: Family) => (f === 4 ? 'ip keepalived' : 'ip6 keepalived');

export class NftFirewall implements Firewall {
  private readonly ready = new Set<Family>();
  private readonly blocked = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly nft: NftRunner = nftCommand) {}

  block(vip: VipSpec): Promise<{ changed: boolean }> {
    return this.serial(async () => {
      const key = `${vip.family}/${vip.address}`;
      if (this.blocked.has(key)) return { changed: false };
      if (!this.ready.has(vip.family)) {
        // `add table` then `delete table` clears a stale table without failing when there is none.
        await this.nft(`add table ${table(vip.family)}\ndelete table ${table(vip.family)}\n${tableScript(vip.family)}\n`);
        this.ready.add(vip.family);
      }
      await this.nft(`add element ${table(vip.family)} vips { ${vip.address} }\n`);
      this.blocked.add(key);
      return { changed: true };
    });
  }

  unblock(vip: VipSpec): Promise<{ changed: boolean }> {
    return this.serial(async () => {
      const key = `${vip.family}/${vip.address}`;
      if (!this.blocked.has(key)) return { changed: false };
      await this.nft(`delete element ${table(vip.family)} vips { ${vip.address} }\n`);
      this.blocked.delete(key);
      return { changed: true };
    });
  }

  /** The blocked addresses (`family/address`). */
  list(): string[] {
    return [...this.blocked];
  }

  close(): Promise<void> {
    return this.serial(async () => {
      for (const f of [...this.ready]) {
        await this.nft(`delete table ${table(f)}\n`).catch(() => undefined);
        this.ready.delete(f);
      }
      this.blocked.clear();
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(op, op);
    this.chain = p.catch(() => undefined);
    return p;
  }
}
