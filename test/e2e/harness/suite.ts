/**
 * The shared shape of an end-to-end suite: one Lab for the describe() block,
 * built in before() (with optional extra setup) and destroyed in after(),
 * with every daemon the tests start stopped first, also when a test failed.
 * Call inside describe().
 */
import { after, before } from 'node:test';
import { Lab, type LabOptions } from './netns';
import type { Peer } from './peers';

export interface LabSuite {
  /** The lab (valid from before() on). */
  readonly lab: Lab;
  /** Remember a started peer so the suite stops it. */
  track(p: Peer): Peer;
  /** Stop every tracked peer now (SIGTERM, then SIGKILL). */
  stopAll(): Promise<void>;
}

export function labSuite(opts: LabOptions, setup?: (lab: Lab) => Promise<void>): LabSuite {
  let lab: Lab | undefined;
  const running: Peer[] = [];
  const suite: LabSuite = {
    get lab(): Lab {
      if (!lab) throw new Error('the lab is built in before()');
      return lab;
    },
    track(p) {
      running.push(p);
      return p;
    },
    async stopAll() {
      for (const p of running.splice(0)) await p.stop().catch(() => undefined);
    },
  };
  before(async () => {
    lab = await Lab.create(opts);
    if (setup) await setup(lab);
  });
  after(async () => {
    await suite.stopAll();
    await lab?.destroy();
  });
  return suite;
}

/** A second link in a host: a veth pair `name` / `name`p, both up, inside that host. */
export async function addLocalLink(lab: Lab, host: number, name = 'eth1'): Promise<void> {
  await lab.exec(host, ['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`], { check: true });
  for (const i of [name, `${name}p`]) await lab.exec(host, ['ip', 'link', 'set', i, 'up'], { check: true });
}
