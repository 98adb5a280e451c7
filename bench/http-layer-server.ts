/**
 * Bench scenario 5's servers: the REST API with what the node builds for it (NSDB store, mock
 * auth, metrics, JSON access log on stdout), served either by the node's Express application
 * (services/rest-api/app.ts, as production runs it), by the same application on node:http's
 * stock request and response classes (`express-swapped`: Express swaps their prototypes on every
 * request), or by the same stages on bare node:http (bench/bare-http.ts). Only the HTTP layer
 * differs between them.
 *   usage: http-layer-server.ts express|express-swapped|bare PORT ZK_CONNECT ROOT_KEY
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { MockAuthProvider } from '../lib/auth/mock.js';
import { serveApp } from '../lib/http/body.js';
import { configureLogging, getLogger } from '../lib/log/logger.js';
import { NodeMetrics } from '../lib/metrics/metrics.js';
import { NsdbStorage } from '../lib/nsdb/storage.js';
import { ZkClient } from '../lib/zk/client.js';
import { healthRouter } from '../services/cluster-node/health.js';
import { createRestApi, createRestApp, type RestApiOptions } from '../services/rest-api/app.js';
import { bareListener } from './bare-http.js';

const [kind, portText, connectString, rootKey] = process.argv.slice(2);
if (kind !== 'express' && kind !== 'express-swapped' && kind !== 'bare')
  throw new Error(`usage: http-layer-server.ts express|express-swapped|bare PORT ZK_CONNECT ROOT_KEY (got ${kind})`);
configureLogging({ format: 'json' });
const hostId = randomUUID();
const metrics = new NodeMetrics({ hostId, version: 'bench' });
const zk = await ZkClient.connect({ connectString: connectString, sessionTimeoutMs: 30_000, observer: metrics.zookeeperObserver() });
const storage = new NsdbStorage({ zk, rootKey: rootKey, logger: getLogger('org.midonet.nsdb'), observer: metrics.storageObserver() });
await storage.build();
const opts: RestApiOptions = { storage, auth: new MockAuthProvider(), rootUri: '/midonet-api', log: getLogger('org.midonet.cluster.rest-api'), metrics };

let server = createServer();
if (kind === 'express' || kind === 'express-swapped') {
  // the health router in front, as in the node (the bench never asks for readiness)
  const front = createRestApp({ health: healthRouter({ hostId, readiness: () => Promise.reject(new Error('not measured')) }) });
  front.attach(createRestApi(opts));
  // express-swapped: node:http's own request and response classes, whose prototypes Express
  // swaps on every request (what the node did before its servers took front.serverOptions)
  if (kind === 'express') server = createServer(front.serverOptions);
  serveApp(server, front.app);
} else {
  server.on('request', bareListener(opts, hostId));
}
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
