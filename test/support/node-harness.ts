/**
 * Starts a real cluster node in-process for integration tests: a real ZooKeeper (test/support/zk.ts),
 * a root key of its own so tests never see each other's data, the REST API on a free loopback port.
 */
import { randomUUID } from 'node:crypto';
import { Settings } from '../../lib/conf/settings.js';
import { configureLogging } from '../../lib/log/logger.js';
import { startClusterNode, type ClusterNode } from '../../services/cluster-node/node.js';
import { getTestZooKeeper, uniqueRootKey } from './zk.js';

export interface TestNode {
  node: ClusterNode;
  /** e.g. http://127.0.0.1:40123/midonet-api */
  api: string;
  zkConnect: string;
  rootKey: string;
  stop(): Promise<void>;
}

let loggingConfigured = false;

export async function startTestNode(opts: { rootKey?: string; set?: Record<string, string> } = {}): Promise<TestNode> {
  if (!loggingConfigured) {
    configureLogging({ format: 'text', level: process.env['TEST_LOG'] ? 'debug' : 'error', silent: !process.env['TEST_LOG'] });
    loggingConfigured = true;
  }
  const { connectString } = await getTestZooKeeper();
  const rootKey = opts.rootKey ?? uniqueRootKey();
  const settings = new Settings({
    'cluster.rest_api.http_host': '127.0.0.1',
    'cluster.rest_api.http_port': '0',
    ...opts.set,
  });
  const node = await startClusterNode({ zookeeperHosts: connectString, rootKey, hostId: randomUUID(), settings });
  return { node, api: node.apiUrl, zkConnect: connectString, rootKey, stop: () => node.stop() };
}
