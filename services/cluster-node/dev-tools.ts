/**
 * `midonet-cluster dev add-host`: registers a host the way an agent does, so alive / not-alive
 * behaviour of the API can be tried without an agent:
 *   - writes the `Host` object (unless it exists),
 *   - with --alive, holds the host's `alive` state key as an ephemeral node in the host's own
 *     namespace (storage.md §8) until the command is stopped, exactly like a running agent.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadBootstrap } from '../../lib/conf/bootstrap.js';
import { isUuid } from '../../lib/nsdb/codec/uuid.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ZkClient } from '../../lib/zk/client.js';
import { ZkError } from '../../lib/zk/errors.js';

export const DEV_USAGE = `usage: midonet-cluster dev add-host [--id UUID] [--name NAME] [--alive] [--conf FILE]`;

export async function devCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add-host') {
    process.stderr.write(`${DEV_USAGE}\n`);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      alive: { type: 'boolean', default: false },
      conf: { type: 'string' },
    },
    strict: true,
  });
  const id = (values.id ?? randomUUID()).toLowerCase();
  if (!isUuid(id)) throw new Error(`--id must be a UUID, got '${values.id}'`);
  const bootstrap = loadBootstrap({ file: values.conf });
  const zk = await ZkClient.connect({ connectString: bootstrap.zookeeperHosts ?? '127.0.0.1:2181', retry: { baseMs: 200, maxRetries: 3 } });
  try {
    const storage = new NsdbStorage({ zk, rootKey: bootstrap.rootKey });
    await storage.build();
    await storage.tryTransaction(ChangeOwner.none, async (tx) => {
      if (await tx.exists('Host', id)) return;
      await tx.create('Host', { id, name: values.name ?? `dev-host-${id.slice(0, 8)}` });
    });
    process.stdout.write(`${id}\n`);
    if (!values.alive) return 0;
    const alive = `${storage.layout.state(id, 'Host', id)}/alive`;
    await zk.mkdirp(storage.layout.state(id, 'Host', id));
    try {
      await zk.create(alive, Buffer.from('alive'), 'ephemeral');
    } catch (e) {
      if (!(e instanceof ZkError && e.codeName === 'NODEEXISTS')) throw e;
      throw new Error(`host ${id} is already alive (another process holds ${alive})`);
    }
    process.stderr.write(`host ${id} is alive until this command stops (Ctrl-C or SIGTERM)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await zk.close();
  }
}
