/**
 * `midonet-cluster dev add-host`: registers a host the way an agent does, so the API's alive /
 * not-alive behaviour (rest-api-core.md §6.10) can be tried without an agent:
 *   - writes the `Host` object (plain write, owner none, as agents do) unless it exists,
 *   - with --alive, holds the host's `alive` state key — `state/<hostId>/Host/<hostId>/alive`,
 *     an ephemeral node in the host's own namespace with data `alive` (storage.md §8) — and runs
 *     in the foreground until SIGINT/SIGTERM, like a running agent. Stopping closes the ZooKeeper
 *     session, and ZooKeeper deletes the node with it: the host is no longer alive. If the
 *     process dies without closing (SIGKILL), the node goes when the session expires.
 *
 * The id is printed on stdout once the host is in place (with --alive: once it is alive), so
 * scripts can wait for that line.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadBootstrap } from '../../lib/conf/bootstrap.js';
import { isUuid } from '../../lib/nsdb/codec/uuid.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { retry } from '../../lib/retry.js';
import { ZkClient } from '../../lib/zk/client.js';
import { isBadVersion, isNodeExists, isNoNode } from '../../lib/zk/errors.js';

export const DEV_USAGE = `usage: midonet-cluster dev add-host [--id UUID] [--name NAME] [--alive] [--conf FILE]
  --id UUID     the host id (default: a random one); an existing host is left as it is
  --name NAME   the host name for a new host (default: dev-host-<first 8 hex digits of the id>)
  --alive       hold the host's alive key and stay in the foreground until SIGINT/SIGTERM
  --conf FILE   bootstrap INI as for the node (MIDO_ZOOKEEPER_HOSTS / MIDO_ZOOKEEPER_ROOT_KEY apply)`;

class UsageError extends Error {}

interface AddHostArgs {
  id: string;
  name?: string;
  alive: boolean;
  conf?: string;
}

function parseAddHost(args: string[]): AddHostArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        alive: { type: 'boolean', default: false },
        conf: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const id = (values.id ?? randomUUID()).toLowerCase();
  if (!isUuid(id)) throw new UsageError(`--id must be a UUID, got '${values.id}'`);
  return { id, name: values.name, alive: values.alive ?? false, conf: values.conf };
}

/**
 * The alive key as a SingleLastWriteWins key (storage.md §8): created if absent; a node left by
 * another session (an earlier agent run whose session has not expired yet) is replaced.
 */
async function holdAliveKey(zk: ZkClient, dir: string): Promise<string> {
  const path = `${dir}/alive`;
  await zk.mkdirp(dir);
  const contended = new Error(`could not take over ${path}: it keeps changing owner`);
  await retry(
    async () => {
      try {
        await zk.create(path, Buffer.from('alive'), 'ephemeral');
        return;
      } catch (e) {
        if (!isNodeExists(e)) throw e;
      }
      const stat = await zk.exists(path);
      if (stat?.ephemeralOwner === zk.sessionId) return;
      if (stat) {
        try {
          await zk.remove(path, stat.version);
        } catch (e) {
          // gone or changed meanwhile: look again
          if (!isNoNode(e) && !isBadVersion(e)) throw e;
        }
      }
      throw contended;
    },
    { baseMs: 0, maxAttempts: 5, isFinal: (e) => e !== contended },
  );
  return path;
}

async function addHost(args: AddHostArgs): Promise<number> {
  // Installed before anything is written, so a signal at any point ends in a clean close.
  let stop!: (why: string) => void;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onSigint = (): void => stop('SIGINT');
  const onSigterm = (): void => stop('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  const bootstrap = loadBootstrap({ file: args.conf });
  let zk: ZkClient | undefined;
  try {
    zk = await ZkClient.connect({
      connectString: bootstrap.zookeeperHosts ?? '127.0.0.1:2181',
      retry: { baseMs: 200, maxRetries: 3 },
    });
    zk.once('expired', () => stop('expired'));
    const storage = new NsdbStorage({ zk, rootKey: bootstrap.rootKey });
    await storage.build();
    const id = args.id;
    let existed = false;
    await storage.tryTransaction(ChangeOwner.none, async (tx) => {
      existed = await tx.exists('Host', id);
      if (!existed) await tx.create('Host', { id, name: args.name ?? `dev-host-${id.slice(0, 8)}` });
    });
    if (existed) process.stderr.write(`host ${id} exists; left as it is\n`);
    if (!args.alive) {
      process.stdout.write(`${id}\n`);
      return 0;
    }
    const path = await holdAliveKey(zk, storage.layout.state(id, 'Host', id));
    process.stdout.write(`${id}\n`);
    process.stderr.write(`host ${id} is alive (${path}) until this command stops (Ctrl-C or SIGTERM)\n`);
    const why = await stopped;
    if (why === 'expired') {
      process.stderr.write(`the ZooKeeper session expired: host ${id} is no longer alive\n`);
      return 1;
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
    await zk?.close();
  }
}

export async function devCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(`${DEV_USAGE}\n`);
    return 0;
  }
  if (sub !== 'add-host') {
    process.stderr.write(`midonet-cluster dev: unknown command '${sub ?? ''}'\n${DEV_USAGE}\n`);
    return 2;
  }
  let args: AddHostArgs | 'help';
  try {
    args = parseAddHost(rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`midonet-cluster dev add-host: ${e.message}\n${DEV_USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${DEV_USAGE}\n`);
    return 0;
  }
  return addHost(args);
}
