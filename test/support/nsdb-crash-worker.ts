/**
 * Child process of test/integration/nsdb-crash.test.ts, run with `node --import tsx`: creates
 * routers, each with 5 ports and 5 routes, ONE transaction per router, as fast as it can, until
 * it is killed (SIGKILL) or a safety bound is reached. Every router also references a shared
 * chain (NSDB_CRASH_CHAIN), so that concurrent workers conflict on it.
 *
 * Environment: NSDB_CRASH_ZK (connect string), NSDB_CRASH_ROOT (root key), NSDB_CRASH_CHAIN (chain id),
 * NSDB_CRASH_TAG (a label for the objects), optionally NSDB_CRASH_TORN_AT (negative control, see
 * below). Prints `ready` once the store is built, then `committed <router-id>` after each commit.
 */
import { ZkClient } from '../../lib/zk/client.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';

const PORTS_PER_ROUTER = 5;
const MAX_ROUTERS = 5000;
const MAX_RUN_MS = 30_000;

function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`nsdb-crash-worker: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const connectString = env('NSDB_CRASH_ZK');
  const rootKey = env('NSDB_CRASH_ROOT');
  const chain = env('NSDB_CRASH_CHAIN');
  const tag = process.env['NSDB_CRASH_TAG'] ?? 'crash';
  const zk = await ZkClient.connect({ connectString, sessionTimeoutMs: 4000, retry: { baseMs: 100, maxRetries: 3 } });
  const storage = new NsdbStorage({ zk, rootKey });
  await storage.build();
  process.stdout.write('ready\n');
  // Negative control for the test's checker: NSDB_CRASH_TORN_AT=n makes router n a torn write
  // (the router committed alone, its ports never), then the worker waits to be killed.
  const tornAt = Number(process.env['NSDB_CRASH_TORN_AT'] ?? '-1');
  const deadline = Date.now() + MAX_RUN_MS;
  for (let i = 0; i < MAX_ROUTERS && Date.now() < deadline; i++) {
    const router = randomUuid();
    if (i === tornAt) {
      await storage.tryTransaction(ChangeOwner.clusterApi, (tx) => tx.create('Router', { id: router, name: `${tag}-${i}`, inbound_filter_id: chain }));
      process.stdout.write(`torn ${router}\n`);
      while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      break;
    }
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      await tx.create('Router', { id: router, name: `${tag}-${i}`, inbound_filter_id: chain });
      for (let k = 0; k < PORTS_PER_ROUTER; k++) {
        const port = randomUuid();
        await tx.create('Port', { id: port, router_id: router, interface_name: `${tag}-${i}-${k}` });
        await tx.create('Route', { id: randomUuid(), router_id: router, next_hop_port_id: port, weight: k });
      }
    });
    process.stdout.write(`committed ${router}\n`);
  }
  await zk.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`nsdb-crash-worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
