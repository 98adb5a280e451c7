/**
 * `midonet-cluster nodes`: the live cluster nodes, as registered in ZooKeeper service discovery
 * (`<root>/service-discovery/midonet-cluster/<host id>`, ephemeral: a node is listed while its
 * session lives), the health of each node's services (published in its registration's payload,
 * ./health-publisher.ts), and who leads each leader-only service's latch (housekeeping always).
 * Same ZooKeeper settings as the node (`--conf`, MIDO_ZOOKEEPER_HOSTS, MIDO_ZOOKEEPER_ROOT_KEY),
 * or --zookeeper-hosts / --root-key.
 *
 *   ID         ADDRESS    PORT   SSL   REGISTERED (UTC)      LEADS         SERVICES
 *   0b7c…      10.0.0.11  8181   8443  2026-11-29 04:10:12   housekeeping  housekeeping:running heartbeat:disabled
 *
 * followed by the detail of every failed service. --json prints
 * `{ nodes: [ServiceInstance… + uri, services], leaders: { housekeeping: id|null, ... } }`.
 */
import { parseArgs } from 'node:util';
import { loadBootstrap } from '../../lib/conf/bootstrap.js';
import { ZkClient } from '../../lib/zk/client.js';
import { LeaderLatch } from '../../lib/zk/leader-latch.js';
import { normalizeRootKey } from '../../lib/zk/paths.js';
import { buildUri, CLUSTER_SERVICE_NAME, discoveryBasePath, ServiceDiscovery, type ServiceInstance } from '../../lib/zk/service-discovery.js';
import { servicesOf } from './health-publisher.js';
import { HOUSEKEEPING_SLOT, housekeepingLatchPath } from './leader-services.js';

export const NODES_USAGE = `usage: midonet-cluster nodes [--json] [--conf FILE] [--zookeeper-hosts HOSTS] [--root-key KEY]`;

export interface NodesIo {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

export function formatNodes(nodes: readonly ServiceInstance[], leaders: Readonly<Record<string, string | null>>): string {
  if (nodes.length === 0) return 'no live cluster nodes\n';
  const cols = [38, 18, 7, 7, 22, 14];
  const lines = [['ID', 'ADDRESS', 'PORT', 'SSL', 'REGISTERED (UTC)', 'LEADS', 'SERVICES'].map((h, i) => (i < cols.length ? pad(h, cols[i]) : h)).join('')];
  const failures: string[] = [];
  for (const n of nodes) {
    const leads = Object.entries(leaders)
      .filter(([, id]) => id === n.id)
      .map(([slot]) => slot)
      .join(',');
    const when = n.registrationTimeUTC ? new Date(n.registrationTimeUTC).toISOString().replace('T', ' ').slice(0, 19) : '-';
    const health = servicesOf(n);
    const services = health
      ? Object.entries(health)
          .map(([name, h]) => `${name}:${h.state}`)
          .join(' ')
      : '-';
    for (const [name, h] of Object.entries(health ?? {})) {
      if (h.state === 'failed') failures.push(`  ${n.id} ${name}: ${h.detail ?? 'no detail'}`);
    }
    const row = [n.id, n.address ?? '-', n.port === null ? '-' : String(n.port), n.sslPort === null ? '-' : String(n.sslPort), when, leads || '-'];
    lines.push(row.map((c, i) => pad(c, cols[i])).join('') + services);
  }
  if (failures.length > 0) lines.push('', 'failed services:', ...failures);
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/** The latches to read: housekeeping's, and every leader-only service's a node published. */
export function leaderLatches(rootKey: string, nodes: readonly ServiceInstance[]): Map<string, string> {
  const latches = new Map<string, string>([[HOUSEKEEPING_SLOT, housekeepingLatchPath(rootKey)]]);
  for (const n of nodes) {
    for (const [name, h] of Object.entries(servicesOf(n) ?? {})) {
      if (h.runsOn === 'leader' && h.latch && !latches.has(name)) latches.set(name, h.latch);
    }
  }
  return latches;
}

export async function nodesCommand(argv: string[], io: NodesIo = {}): Promise<number> {
  const out = io.stdout ?? ((s: string) => process.stdout.write(s));
  const err = io.stderr ?? ((s: string) => process.stderr.write(s));
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        conf: { type: 'string' },
        'zookeeper-hosts': { type: 'string' },
        'root-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n${NODES_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(`${NODES_USAGE}\n`);
    return 0;
  }
  let zk: ZkClient | undefined;
  try {
    const boot = values['zookeeper-hosts'] ? undefined : loadBootstrap({ file: values.conf });
    const hosts = values['zookeeper-hosts'] ?? boot?.zookeeperHosts ?? '127.0.0.1:2181';
    const rootKey = normalizeRootKey(values['root-key'] ?? boot?.rootKey);
    zk = await ZkClient.connect({ connectString: hosts, connectTimeoutMs: 5000, retry: { baseMs: 200, maxRetries: 2 }, operationTimeoutMs: 5000 });
    const discovery = new ServiceDiscovery(zk, { basePath: discoveryBasePath(rootKey) });
    const nodes = await discovery.listInstances(CLUSTER_SERVICE_NAME);
    const leaders: Record<string, string | null> = {};
    for (const [name, path] of leaderLatches(rootKey, nodes)) {
      const latch = new LeaderLatch(zk, path); // only read, never started
      leaders[name] = (await latch.getLeader())?.id || null;
      await latch.close();
    }
    await discovery.close();
    if (values.json)
      out(`${JSON.stringify({ nodes: nodes.map((n) => ({ ...n, uri: buildUri(n) || null, services: servicesOf(n) ?? null })), leaders }, null, 2)}\n`);
    else out(formatNodes(nodes, leaders));
    return 0;
  } catch (e) {
    err(`midonet-cluster nodes: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await zk?.close();
  }
}
