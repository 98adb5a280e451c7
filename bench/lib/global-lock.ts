/**
 * The original's write path, kept only as a benchmark baseline: every transaction runs under one
 * cluster-wide ZooKeeper lock (a Curator-style mutex: ephemeral-sequential children, the lowest
 * holds it, each waiter watches its predecessor) at `zoom/0/locks/zoom-topology`.
 */
import type { ZkClient } from '../../lib/zk/client.js';
import { ZkError } from '../../lib/zk/errors.js';

export class GlobalLock {
  constructor(
    private readonly zk: ZkClient,
    private readonly dir: string,
  ) {}

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.zk.mkdirp(this.dir);
    const mine = await this.zk.create(`${this.dir}/lock-`, Buffer.alloc(0), 'ephemeral_sequential');
    const name = mine.slice(mine.lastIndexOf('/') + 1);
    try {
      for (;;) {
        const children = (await this.zk.getChildren(this.dir)).children.filter((c) => c.startsWith('lock-')).sort();
        const at = children.indexOf(name);
        if (at === 0) break;
        const predecessor = `${this.dir}/${children[at - 1]}`;
        const gone = new Promise<void>((resolve) => {
          void this.zk
            .exists(predecessor, () => resolve())
            .then((stat) => {
              if (!stat) resolve();
            });
        });
        await gone;
      }
      return await fn();
    } finally {
      await this.zk.remove(mine).catch((e: unknown) => {
        if (!(e instanceof ZkError && e.codeName === 'NONODE')) throw e;
      });
    }
  }
}
