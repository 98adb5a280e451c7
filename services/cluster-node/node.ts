/**
 * One cluster node: a ZooKeeper session, the NSDB store built on it, and the enabled services
 * (for now the REST API). Stateless: everything it serves lives in ZooKeeper, its configuration
 * too when started with `central` (mn-conf; lib/conf/runtime.ts): then the node deploys the
 * bundled schemas, reads its configuration from ZooKeeper, and watches it. Logger levels
 * (`cluster.loggers.*`) change at once; any other change is logged as taking effect after a restart.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthConfigError, createAuthProvider, type AuthProviderOptions } from '../../lib/auth/factory.js';
import type { AuthProvider } from '../../lib/auth/provider.js';
import type { HObject } from '../../lib/conf/hocon.js';
import { RuntimeConfig } from '../../lib/conf/runtime.js';
import { Settings, type SettingValue } from '../../lib/conf/settings.js';
import { applyLoggerLevels, getLogger, type Logger } from '../../lib/log/logger.js';
import { NodeMetrics } from '../../lib/metrics/metrics.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { ZkClient } from '../../lib/zk/client.js';
import { DEFAULT_KEYSTORE_PATH } from '../../lib/tls/env-file.js';
import { startHttps, type HttpsOutcome } from '../../lib/tls/https.js';
import { createRestApi } from '../rest-api/app.js';

export interface ClusterNodeOptions {
  zookeeperHosts: string;
  rootKey: string;
  hostId: string;
  /** the settings when there is no central configuration (ignored with `central`) */
  settings?: Settings;
  /** read the configuration from ZooKeeper (mn-conf) and follow its changes */
  central?: CentralConfigOptions;
  log?: Logger;
  /**
   * The HTTPS key store and its password (main.ts reads them from the env file's JVM_OPTS and
   * MIDONET_KEYSTORE_*); default: /etc/midonet-cluster/ssl/midonet.jks, no password.
   */
  keystore?: { path: string; password?: string };
}

export interface CentralConfigOptions {
  /** `--set KEY=VALUE` overrides: the highest layer */
  overrides?: Record<string, string>;
  /** the legacy INI layer (lib/conf/legacy.ts) */
  legacy?: HObject;
  /** apply `cluster.loggers.*` to this process's loggers, at start and on change (default true) */
  loggers?: boolean;
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
  /** the settings the node started with */
  readonly settings: Settings;
  /** the central configuration, with `central` */
  readonly config?: RuntimeConfig;
  /** https://host:port of the REST API when HTTPS is on */
  readonly httpsAddress?: string;
  /** whether HTTPS is on, and why not */
  readonly https: { state: HttpsOutcome['state']; reason?: string; format?: string };
  /** the auth provider the REST API uses */
  readonly auth: AuthProvider;
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

/** The provider named by `cluster.auth.provider_class` (lib/auth/factory.ts); a bad setting is a StartupError. */
export function authProvider(className: string, settings?: Settings, opts?: AuthProviderOptions): AuthProvider {
  try {
    return createAuthProvider(className, settings, opts);
  } catch (e) {
    if (e instanceof AuthConfigError) throw new StartupError(e.message);
    throw e;
  }
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

const SECRET_KEY = /password|token|secret/i;

function shown(key: string, v: SettingValue | undefined): string {
  if (v === undefined) return '(none)';
  return SECRET_KEY.test(key) ? '[REDACTED]' : JSON.stringify(v);
}

/** Loggers follow `cluster.loggers`; other changes are only announced (they need a restart). */
function followChanges(config: RuntimeConfig, loggers: boolean): void {
  const confLog = getLogger('org.midonet.cluster.conf');
  config.on('change', (next, prev, keys) => {
    const loggerKeys = keys.filter((k) => k.startsWith('cluster.loggers.'));
    if (loggerKeys.length > 0 && loggers) {
      applyLoggerLevels(next.section('cluster.loggers'));
      confLog.info('logger levels changed', { keys: loggerKeys, levels: Object.fromEntries(loggerKeys.map((k) => [k, next.get(k) ?? null])) });
    }
    for (const key of keys) {
      if (key.startsWith('cluster.loggers.') || key.endsWith('.schemaVersion')) continue;
      const relevant = key.startsWith('cluster.') || key.startsWith('zookeeper.');
      const line = `configuration ${key} changed from ${shown(key, prev.get(key))} to ${shown(key, next.get(key))}: takes effect after restart`;
      const meta = { key, origin: next.origin(key) };
      if (relevant) confLog.warn(line, meta);
      else confLog.debug(line, meta);
    }
  });
}

/** Connects the configuration session and reads the central configuration (mn-conf). */
async function startCentralConfig(opts: ClusterNodeOptions, central: CentralConfigOptions, log: Logger): Promise<RuntimeConfig> {
  const local = new Settings(central.overrides ?? {});
  const confLog = getLogger('org.midonet.cluster.conf');
  const config = await RuntimeConfig.start({
    connect: () =>
      ZkClient.connect({
        connectString: opts.zookeeperHosts,
        sessionTimeoutMs: local.number('zookeeper.session_timeout'),
        retry: { baseMs: local.number('zookeeper.base_retry'), maxRetries: local.number('zookeeper.max_retries') },
        logger: log.child('zookeeper'),
      }),
    rootKey: opts.rootKey,
    hostId: opts.hostId,
    overrides: central.overrides,
    legacy: central.legacy,
    log: confLog,
  });
  if (central.loggers !== false) applyLoggerLevels(config.settings.section('cluster.loggers'));
  confLog.info('configuration loaded from ZooKeeper', { template: config.templateName, hostId: opts.hostId });
  followChanges(config, central.loggers !== false);
  return config;
}

export async function startClusterNode(opts: ClusterNodeOptions): Promise<ClusterNode> {
  const log = opts.log ?? getLogger('org.midonet.cluster');
  const config = opts.central ? await startCentralConfig(opts, opts.central, log) : undefined;
  try {
    return await startServices(opts, config?.settings ?? opts.settings ?? new Settings(), log, config);
  } catch (e) {
    await config?.stop();
    throw e;
  }
}

async function startServices(opts: ClusterNodeOptions, s: Settings, log: Logger, config: RuntimeConfig | undefined): Promise<ClusterNode> {
  const metrics = s.bool('cluster.rest_api.metrics_enabled') ? new NodeMetrics({ hostId: opts.hostId, version: PRODUCT_VERSION }) : undefined;
  const auth = authProvider(s.string('cluster.auth.provider_class'), s, {
    log: getLogger('org.midonet.cluster.auth.keystone'),
    onCacheLookup: metrics ? (hit) => metrics.authCache(hit) : undefined,
  });
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
  let https: HttpsOutcome | undefined;
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
      tenantScoping: s.bool('cluster.auth.tenant_scoping'),
    });
    server = createServer(app);
    server.keepAliveTimeout = 65_000;
    const addr = await listen(server, s.number('cluster.rest_api.http_port'), s.string('cluster.rest_api.http_host'));
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const httpAddress = `http://${host}:${addr.port}`;
    const apiUrl = `${httpAddress}${s.string('cluster.rest_api.root_uri')}`;
    restLog.info(`REST API listening on ${apiUrl}`, { address: addr.address, port: addr.port });
    // HTTPS: off for port ≤ 0 or a missing key store; a key store that cannot be used is logged
    // as an error and leaves HTTP serving (lib/tls/https.ts, docs/security.md)
    https = await startHttps({
      handler: app,
      port: s.number('cluster.rest_api.https_port'),
      host: s.string('cluster.rest_api.https_host'),
      keystorePath: opts.keystore?.path ?? DEFAULT_KEYSTORE_PATH,
      keystorePassword: opts.keystore?.password,
      idleTimeoutMs: s.has('cluster.rest_api.https_idle_timeout') ? s.number('cluster.rest_api.https_idle_timeout') : undefined,
      log: restLog,
    });
    if (https.state === 'on') {
      restLog.info(`REST API listening on ${https.url}${s.string('cluster.rest_api.root_uri')}`, {
        address: https.address.address,
        port: https.address.port,
        keystoreFormat: https.format,
      });
    }
    const srv = server;
    const tls = https.state === 'on' ? https.server : undefined;
    return {
      hostId: opts.hostId,
      storage,
      zk,
      httpAddress,
      apiUrl,
      metrics,
      settings: s,
      config,
      auth,
      httpsAddress: https.state === 'on' ? https.url : undefined,
      https: https.state === 'on' ? { state: 'on', format: https.format } : { state: https.state, reason: https.reason },
      async stop() {
        await Promise.all(
          [srv, tls].map(
            (x) =>
              x &&
              new Promise<void>((resolve) => {
                x.close(() => resolve());
                x.closeIdleConnections();
              }),
          ),
        );
        auth.close?.();
        await config?.stop();
        await zk.close();
        log.info('cluster node stopped');
      },
    };
  } catch (e) {
    server?.close();
    if (https?.state === 'on') https.server.close();
    auth.close?.();
    await zk.close();
    throw e;
  }
}
