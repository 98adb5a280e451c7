/**
 * One cluster node: a ZooKeeper session, the NSDB store built on it, and the enabled services
 * (for now the REST API). Stateless: everything it serves lives in ZooKeeper.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAuthProvider, MOCK_PROVIDER_CLASS } from '../../lib/auth/mock.js';
import type { AuthProvider } from '../../lib/auth/provider.js';
import type { Settings } from '../../lib/conf/settings.js';
import { getLogger, type Logger } from '../../lib/log/logger.js';
import { NodeMetrics } from '../../lib/metrics/metrics.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ZkClient } from '../../lib/zk/client.js';
import { createRestApi } from '../rest-api/app.js';

export interface ClusterNodeOptions {
  zookeeperHosts: string;
  rootKey: string;
  hostId: string;
  settings: Settings;
  log?: Logger;
}

export interface ClusterNode {
  readonly hostId: string;
  readonly storage: NsdbStorage;
  readonly zk: ZkClient;
  /** http://host:port of the REST API */
  readonly httpAddress: string;
  readonly apiUrl: string;
  /** this node's metrics registry; undefined when `cluster.rest_api.metrics_enabled` is false */
  readonly metrics?: NodeMetrics;
  stop(): Promise<void>;
}

/** The package version (node_info metric label). */
const PRODUCT_VERSION = ((): string => {
  try {
    return String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? '');
  } catch {
    return '';
  }
})();

export class StartupError extends Error {
  override name = 'StartupError';
}

const LEGACY_KEYSTONE = 'org.midonet.cluster.auth.keystone.v2_0.KeystoneService';
const KEYSTONE = 'org.midonet.cluster.auth.keystone.KeystoneService';

export function authProvider(className: string): AuthProvider {
  if (className === MOCK_PROVIDER_CLASS) return new MockAuthProvider();
  if (className === KEYSTONE || className === LEGACY_KEYSTONE) {
    throw new StartupError(`cluster.auth.provider_class: the Keystone provider (${className}) is not available in this build yet`);
  }
  throw new StartupError(
    `cluster.auth.provider_class: unknown provider '${className}' (expected ${MOCK_PROVIDER_CLASS}, ${KEYSTONE} or ${LEGACY_KEYSTONE})`,
  );
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startClusterNode(opts: ClusterNodeOptions): Promise<ClusterNode> {
  const log = opts.log ?? getLogger('org.midonet.cluster');
  const s = opts.settings;
  const auth = authProvider(s.string('cluster.auth.provider_class'));
  const metrics = s.bool('cluster.rest_api.metrics_enabled') ? new NodeMetrics({ hostId: opts.hostId, version: PRODUCT_VERSION }) : undefined;
  log.info('connecting to ZooKeeper', { hosts: opts.zookeeperHosts, rootKey: opts.rootKey, hostId: opts.hostId });
  const zk = await ZkClient.connect({
    observer: metrics?.zookeeperObserver(),
    connectString: opts.zookeeperHosts,
    sessionTimeoutMs: s.number('zookeeper.session_timeout'),
    retry: { baseMs: s.number('zookeeper.base_retry'), maxRetries: s.number('zookeeper.max_retries') },
    logger: log.child('zookeeper'),
  });
  const storage = new NsdbStorage({
    zk,
    rootKey: opts.rootKey,
    retry: { maxAttempts: s.number('zookeeper.transaction_max_attempts') },
    logger: getLogger('org.midonet.nsdb'),
    observer: metrics?.storageObserver(),
  });
  let server: Server | undefined;
  try {
    await storage.build();
    const restLog = getLogger('org.midonet.cluster.rest-api');
    const app = createRestApi({
      storage,
      auth,
      rootUri: s.string('cluster.rest_api.root_uri'),
      log: restLog,
      maxBodyBytes: s.number('cluster.rest_api.max_body_bytes'),
      metrics,
    });
    server = createServer(app);
    server.keepAliveTimeout = 65_000;
    const addr = await listen(server, s.number('cluster.rest_api.http_port'), s.string('cluster.rest_api.http_host'));
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const httpAddress = `http://${host}:${addr.port}`;
    const apiUrl = `${httpAddress}${s.string('cluster.rest_api.root_uri')}`;
    restLog.info(`REST API listening on ${apiUrl}`, { address: addr.address, port: addr.port });
    const srv = server;
    return {
      hostId: opts.hostId,
      storage,
      zk,
      httpAddress,
      apiUrl,
      metrics,
      async stop() {
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          srv.closeIdleConnections();
        });
        await zk.close();
        log.info('cluster node stopped');
      },
    };
  } catch (e) {
    server?.close();
    await zk.close();
    throw e;
  }
}
