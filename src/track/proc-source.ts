/**
 * The Linux ProcessSource: one pass over /proc. Reads comm and the state
 * letter from /proc/PID/stat for every process, and /proc/PID/cmdline only
 * when some track_process needs the full command line (as keepalived avoids
 * touching a possibly swapped-out process's memory otherwise).
 */
import { promises as fsp } from 'node:fs';
import type { ProcessInfo, ProcessSource } from './process';

export class ProcSource implements ProcessSource {
  constructor(
    private readonly wantCmdline: boolean,
    private readonly root = '/proc',
  ) {}

  async list(): Promise<ProcessInfo[]> {
    const names = await fsp.readdir(this.root);
    const out: ProcessInfo[] = [];
    await Promise.all(
      names.map(async (n) => {
        if (!/^[1-9][0-9]*$/.test(n)) return;
        try {
          const stat = await fsp.readFile(`${this.root}/${n}/stat`, 'latin1');
          // pid (comm) state ... ; comm may contain spaces and parentheses: take the last ')'.
          const open = stat.indexOf('(');
          const close = stat.lastIndexOf(')');
          if (open < 0 || close < open) return;
          const comm = stat.slice(open + 1, close);
          const state = stat.charAt(close + 2);
          let argv: string[] = [];
          if (this.wantCmdline) {
            const raw = await fsp.readFile(`${this.root}/${n}/cmdline`, 'utf8');
            argv = raw.length ? raw.replace(/\0$/, '').split('\0') : [];
          }
          out.push({ pid: Number(n), comm, argv, zombie: state === 'Z' });
        } catch {
          /* the process ended while we looked */
        }
      }),
    );
    return out;
  }
}
