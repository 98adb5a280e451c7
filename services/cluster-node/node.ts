/**
 * One cluster node: a ZooKeeper session, the NSDB store built on it, and the enabled services
 * (the REST API, the heartbeat, leader-only slots). Stateless: everything it serves lives in
 * ZooKeeper, its configuration too when started with `central` (mn-conf; lib/conf/runtime.ts):
 * then the node deploys the bundled schemas, reads its configuration from ZooKeeper, and watches
 * it. Logger levels (`cluster.loggers.*`) change at once; any other change is logged as taking
 * effect after a restart.
 *
 * Lifecycle (docs/reliability.md): the health router (./health.ts) serves /healthz and /readyz; the
 * node registers in service discovery (`<root>/service-discovery/midonet-cluster/<host id>`) once
 * the REST API listens; the NSDB session (./session.ts) is reopened after an expiry and handed to
 * the store, discovery and the latches; requests fail fast with 503 while ZooKeeper is away
 * (`cluster.rest_api.zookeeper_wait`); drain() (SIGTERM, `cluster.drain.file`) takes the node out
 * of rotation before it stops.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AuthConfigError, createAuthProvider, type AuthProviderOptions } from '../../lib/auth/factory.js';
import type { AuthProvider } from '../../lib/auth/provider.js';
import { cassandraConfig } from '../../lib/cassandra/config.js';
import { FlowTraceReader } from '../../lib/cassandra/flow-trace-reader.js';
import type { HObject } from '../../lib/conf/hocon.js';
import { RuntimeConfig } from '../../lib/conf/runtime.js';
import { restApiLimits, Settings, SettingsError, type RestApiLimits, type SettingValue } from '../../lib/conf/settings.js';
import { applyLoggerLevels, getLogger, type Logger } from '../../lib/log/logger.js';
import { NodeMetrics } from '../../lib/metrics/metrics.js';
import { StorageError } from '../../lib/nsdb/errors.js';
import { NsdbStorage } from '../../lib/nsdb/storage.js';
import { isRetryAborted, retry } from '../../lib/retry.js';
import { ZkClient, type ZkSessionState } from '../../lib/zk/client.js';
import { ZkError } from '../../lib/zk/errors.js';
import { CLUSTER_SERVICE_NAME, InstanceTakenError, ServiceDiscovery, discoveryBasePath, literalUriSpec } from '../../lib/zk/service-discovery.js';
import { listenErrorMessage } from '../../lib/http/listen-error.js';
import { DEFAULT_KEYSTORE_PATH } from '../../lib/tls/env-file.js';
import { startHttps, type HttpsOutcome } from '../../lib/tls/https.js';
import { serveApp } from '../../lib/http/body.js';
import { applyListenerLimits, ConnectionCap, listenerServerOptions } from '../../lib/http/limits.js';
import { createRestApi, createRestApp, type RestApp } from '../rest-api/app.js';
import { DrainFileWatch } from './drain-file.js';
import { healthRouter, readinessReport, type ReadinessReport } from './health.js';
import { HealthPublisher, nodePayload } from './health-publisher.js';
import { HeartbeatService, type Heartbeat } from './heartbeat.js';
import { claimHostId, registrationRefused } from './host-claim.js';
import { LeaderServices } from './leader-services.js';
import type { ClusterService } from './service.js';
import { ServiceHost } from './service-host.js';
import { nodeServices } from './service-list.js';
import { NodeSession } from './session.js';

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
  /** aborts a start in progress (startClusterNode rejects with StartAborted) */
  signal?: AbortSignal;
  /** services hosted after the node's own (./service-list.ts), e.g. by tests */
  services?: ClusterService[];
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
  /** the current NSDB session's client (a new one after a session expiry) */
  readonly zk: ZkClient;
  /** the NSDB session: reopened after an expiry */
  readonly session: NodeSession;
  /** this node's registration (`midonet-cluster` service) and lookups */
  readonly discovery: ServiceDiscovery;
  /** the leader slots (one per leader-only service: housekeeping, ...) */
  readonly leaders: LeaderServices;
  /** the hosted services and their health (./service-host.ts) */
  readonly services: ServiceHost;
  /** the heartbeat service's beat, when `cluster.heartbeat.enabled` */
  readonly heartbeat?: Heartbeat;
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
  /** what GET /readyz answers */
  readiness(): Promise<ReadinessReport>;
  /**
   * Drains and stops (SIGTERM, the drain file): /readyz 503 and out of service discovery at once,
   * keeps serving for the drain delay, stops accepting connections, lets requests in flight finish
   * (bounded), stops the services and closes the ZooKeeper session. Idempotent.
   */
  drain(opts?: DrainOptions): Promise<void>;
  /** cuts a drain in progress short: no more waiting, busy connections closed */
  hurry(): void;
  /** resolves once the node has stopped (by stop(), drain() or the drain file) */
  readonly stopped: Promise<void>;
  /** stops at once (drain without delay, in-flight requests bounded to 5 s) */
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

/** The REST API's limits (lib/http/limits.ts); a bad setting is a StartupError. */
function listenerLimits(s: Settings): RestApiLimits {
  try {
    return restApiLimits(s);
  } catch (e) {
    if (e instanceof SettingsError) throw new StartupError(e.message);
    throw e;
  }
}

/** The limits of the listener that answers while ZooKeeper is awaited: the defaults where the local settings are bad (the start reports them). */
function earlyLimits(local: Settings): RestApiLimits {
  try {
    return restApiLimits(local);
  } catch {
    return restApiLimits(new Settings());
  }
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
async function startCentralConfig(
  opts: ClusterNodeOptions,
  central: CentralConfigOptions,
  local: Settings,
  log: Logger,
  signal?: AbortSignal,
): Promise<RuntimeConfig> {
  const confLog = getLogger('org.midonet.cluster.conf');
  const config = await RuntimeConfig.start({
    // retried until it works (or the start is interrupted): a node started while ZooKeeper is
    // down waits for it, its /readyz saying so
    connect: connectUntilDone(
      () =>
        ZkClient.connect({
          connectString: opts.zookeeperHosts,
          sessionTimeoutMs: local.number('zookeeper.session_timeout'),
          retry: { baseMs: local.number('zookeeper.base_retry'), maxRetries: 0 },
          logger: log.child('zookeeper'),
        }),
      local,
      confLog,
      'configuration session',
      signal,
    ),
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

/** A node whose start was interrupted (SIGTERM while starting): not an error, nothing was left running. */
export class StartAborted extends StartupError {
  override name = 'StartAborted';
}

/** How long a start may wait for ZooKeeper before the health endpoints answer on the local port. */
const EARLY_LISTEN_AFTER_MS = 1000;
/** Wildcard listen addresses: not something another machine can reach the node at. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]', '*']);

/**
 * The address registered in service discovery: `cluster.rest_api.advertised_host`, else the
 * listen address when it is a specific one, else the machine's first non-loopback IPv4 address
 * (what Curator's ServiceInstanceBuilder picks), else 127.0.0.1.
 */
export function advertisedHost(s: Settings): string {
  const configured = s.string('cluster.rest_api.advertised_host').trim();
  if (configured) return configured;
  const listen = s.string('cluster.rest_api.http_host').trim();
  if (!WILDCARD_HOSTS.has(listen)) return listen;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * One ZooKeeper connection attempt after another until one succeeds or `signal` aborts (then it
 * rejects with StartAborted): each attempt is a ZkClient.connect without retries of its own, the
 * waits between them (lib/retry.ts) grow from `zookeeper.base_retry` to 10 s. For the
 * configuration session (RuntimeConfig calls it again after an expiry).
 */
function connectUntilDone(make: () => Promise<ZkClient>, s: Settings, log: Logger, what: string, signal?: AbortSignal): () => Promise<ZkClient> {
  return () =>
    retry(make, {
      baseMs: s.number('zookeeper.base_retry'),
      maxDelayMs: 10_000,
      signal,
      onRetry: ({ attempt, error, delayMs }) =>
        log.warn(`${what}: cannot connect to ZooKeeper, retrying`, { attempt, error: (error as Error).message, retryInMs: delayMs }),
    }).catch((e: unknown) => {
      throw isRetryAborted(e) ? new StartAborted('stopped while connecting to ZooKeeper') : e;
    });
}

/** Rejects with StartAborted as soon as `signal` aborts (the promise itself runs on). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new StartAborted(`stopped while ${what}`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new StartAborted(`stopped while ${what}`));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export interface DrainOptions {
  /** why (logged, shown in /readyz) */
  reason?: string;
  /** how long to keep serving after /readyz turned 503 (default `cluster.drain.delay`) */
  delayMs?: number;
  /** bound of the in-flight requests once the listener is closed (default `cluster.drain.request_timeout`) */
  requestTimeoutMs?: number;
}

/**
 * Starts a node: configuration (central, from ZooKeeper, with `central`), the NSDB session, the
 * store, the REST API behind the health endpoints (one Express application), service discovery, the leader
 * slots and the heartbeat. ZooKeeper being down is waited out (retrying for ever); if that takes
 * more than a second, the application already listens on the locally known address (--set, else
 * the defaults) so /healthz and /readyz answer (503) meanwhile. `opts.signal` interrupts a start
 * (StartAborted, everything started so far is stopped).
 */
export async function startClusterNode(opts: ClusterNodeOptions): Promise<ClusterNode> {
  const log = opts.log ?? getLogger('org.midonet.cluster');
  const signal = opts.signal;
  const local = opts.central ? new Settings(opts.central.overrides ?? {}) : (opts.settings ?? new Settings());
  const state = new NodeState(opts.hostId);
  // The node's one Express application: the health endpoints now, the REST API once it exists.
  const front = createRestApp({ health: healthRouter({ hostId: opts.hostId, readiness: () => state.readiness() }) });
  // It listens early only if the start is slow (ZooKeeper away): otherwise the
  // configured address (possibly different, from ZooKeeper) is the only one ever bound.
  let early: { server: Server; host: string; port: number } | undefined;
  let earlyListening: Promise<void> | undefined;
  const earlyTimer = setTimeout(() => {
    const host = local.string('cluster.rest_api.http_host');
    const port = local.number('cluster.rest_api.http_port');
    const server = createServer({ ...front.serverOptions, ...listenerServerOptions() });
    serveApp(server, front.app);
    // the receive times from the local settings (the connection cap comes with the configuration)
    applyListenerLimits(server, earlyLimits(local), undefined);
    earlyListening = listen(server, port, host).then(
      (addr) => {
        early = { server, host, port };
        log.info(`waiting for ZooKeeper; meanwhile /readyz answers 503 on http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`, {
          address: addr.address,
          port: addr.port,
        });
      },
      (e: unknown) => log.warn('cannot listen on the local REST address while waiting for ZooKeeper', { host, port, error: (e as Error).message }),
    );
  }, EARLY_LISTEN_AFTER_MS);
  earlyTimer.unref();
  const closeEarly = async (): Promise<void> => {
    clearTimeout(earlyTimer);
    await earlyListening;
    if (early) await new Promise<void>((r) => early?.server.close(() => r()));
    early = undefined;
  };

  let config: RuntimeConfig | undefined;
  try {
    if (opts.central) {
      config = await unlessAborted(startCentralConfig(opts, opts.central, local, log, signal), signal, 'loading the configuration');
    }
    state.configLoaded = true;
    state.configSource = config ? 'zookeeper' : 'local';
    clearTimeout(earlyTimer);
    await earlyListening;
    const s = config?.settings ?? opts.settings ?? new Settings();
    const reuse =
      early && early.host === s.string('cluster.rest_api.http_host') && early.port === s.number('cluster.rest_api.http_port') ? early.server : undefined;
    if (!reuse) await closeEarly();
    return await startServices(opts, s, log, config, state, front, reuse);
  } catch (e) {
    await closeEarly();
    await config?.stop().catch(() => undefined);
    if (signal?.aborted && !(e instanceof StartAborted)) throw new StartAborted(`stopped while starting: ${(e as Error).message}`);
    throw e;
  }
}

/** What /readyz is computed from. */
class NodeState {
  configLoaded = false;
  configSource: 'zookeeper' | 'local' = 'local';
  restStarted = false;
  draining = false;
  drainReason?: string;
  registered = false;
  session?: NodeSession;
  leaders?: LeaderServices;
  services?: ServiceHost;

  constructor(readonly hostId: string) {}

  async readiness(): Promise<ReadinessReport> {
    const zk = this.session?.client;
    const state: ZkSessionState = this.session ? this.session.state : 'connecting';
    return readinessReport({
      hostId: this.hostId,
      zookeeper: {
        state,
        sessionId: zk && zk.sessionId !== 0n ? `0x${zk.sessionId.toString(16)}` : undefined,
        sessions: this.session?.sessionCount ?? 0,
        failedAttempts: this.session?.failedAttempts ?? 0,
      },
      configLoaded: this.configLoaded,
      configSource: this.configSource,
      restStarted: this.restStarted,
      draining: this.draining,
      drainReason: this.drainReason,
      registered: this.registered,
      // who leads is read from ZooKeeper; not while the session is away (it would only time out)
      leaders: this.leaders ? await this.leaders.leaders(state === 'connected' ? 1000 : 1) : {},
      services: this.services?.health() ?? {},
    });
  }
}

async function startServices(
  opts: ClusterNodeOptions,
  s: Settings,
  log: Logger,
  config: RuntimeConfig | undefined,
  state: NodeState,
  front: RestApp,
  reuse: Server | undefined,
): Promise<ClusterNode> {
  const signal = opts.signal;
  const metrics = s.bool('cluster.rest_api.metrics_enabled') ? new NodeMetrics({ hostId: opts.hostId, version: PRODUCT_VERSION }) : undefined;
  const auth = authProvider(s.string('cluster.auth.provider_class'), s, {
    log: getLogger('org.midonet.cluster.auth.keystone'),
    onCacheLookup: metrics ? (hit) => metrics.authCache(hit) : undefined,
  });
  log.info('connecting to ZooKeeper', { hosts: opts.zookeeperHosts, rootKey: opts.rootKey, hostId: opts.hostId });
  const zkLog = log.child('zookeeper');
  const session = new NodeSession({
    connect: () =>
      ZkClient.connect({
        observer: metrics?.zookeeperObserver(),
        connectString: opts.zookeeperHosts,
        sessionTimeoutMs: s.number('zookeeper.session_timeout'),
        // one attempt: NodeSession retries (for ever) with its own backoff
        retry: { baseMs: s.number('zookeeper.base_retry'), maxRetries: 0 },
        // API requests wait this long for a lost connection, then answer 503 at once
        connectionWaitMs: s.number('cluster.rest_api.zookeeper_wait'),
        logger: zkLog,
      }),
    logger: zkLog,
    retryMs: s.number('zookeeper.base_retry'),
  });
  state.session = session;
  // Connects on its first read only, from the cassandra.* keys as they are then (mn-conf): the
  // node starts, and /readyz answers, whatever state Cassandra is in.
  const flowTraces = new FlowTraceReader({
    config: () => cassandraConfig(config?.settings ?? s),
    observer: metrics?.cassandraObserver(),
    log: getLogger('org.midonet.cluster.cassandra'),
  });
  let server: Server | undefined = reuse;
  let https: HttpsOutcome | undefined;
  let discovery: ServiceDiscovery | undefined;
  let leaders: LeaderServices | undefined;
  let services: ServiceHost | undefined;
  try {
    const zk = await unlessAborted(session.open(), signal, 'connecting to ZooKeeper');
    if (!zk) throw new StartAborted('stopped while connecting to ZooKeeper');
    const storage = new NsdbStorage({
      zk,
      rootKey: opts.rootKey,
      retry: { maxAttempts: s.number('zookeeper.transaction_max_attempts') },
      logger: getLogger('org.midonet.nsdb'),
      observer: metrics?.storageObserver(),
      ...(s.bool('cluster.rest_api.cache.enabled')
        ? {
            cache: {
              maxObjects: s.number('cluster.rest_api.cache.max_objects'),
              maxBytes: s.number('cluster.rest_api.cache.max_bytes'),
              idleEvictionMs: s.number('cluster.rest_api.cache.idle_eviction'),
              observer: metrics?.topologyCacheObserver(),
              logger: getLogger('org.midonet.nsdb.cache'),
            },
          }
        : {}),
    });
    // A new session after an expiry: everything that lives on the session starts over on it.
    session.on('client', (next) => {
      storage.useClient(next);
      discovery?.setClient(next);
      leaders?.setClient(next);
    });
    // the class folders; ZooKeeper may blink meanwhile: try again
    await retry(() => unlessAborted(storage.build(), signal, 'building the NSDB'), {
      baseMs: 200,
      maxDelayMs: 5000,
      maxAttempts: 30,
      signal,
      isFinal: (e) => !(e instanceof StorageError || e instanceof ZkError),
      onRetry: ({ error }) => log.warn('cannot build the NSDB layout yet, retrying', { error: (error as Error).message }),
    }).catch((e: unknown) => {
      throw isRetryAborted(e) ? new StartAborted('stopped while building the NSDB') : e;
    });
    // exclusive: a host id is one node; another live node's entry is never taken over (./host-claim.ts)
    discovery = new ServiceDiscovery(session.client ?? zk, { basePath: discoveryBasePath(opts.rootKey), logger: log.child('discovery'), exclusive: true });
    discovery.on('reregistered', () => (state.registered = true));
    discovery.on('conflict', () => (state.registered = false));
    await unlessAborted(
      claimHostId(discovery, {
        hostId: opts.hostId,
        sessionTimeoutMs: (session.client ?? zk).sessionTimeoutMs || s.number('zookeeper.session_timeout'),
        log,
        signal,
      }),
      signal,
      'waiting for an earlier session of this host id to expire',
    );
    leaders = new LeaderServices({
      rootKey: opts.rootKey,
      hostId: opts.hostId,
      client: session.client ?? zk,
      logger: log.child('leader'),
      onLeadership: (slot, tasks, leader) => {
        for (const name of [slot, ...tasks]) metrics?.setLeader(name, leader);
      },
    });
    state.leaders = leaders;
    const disc = discovery;
    const lead = leaders;
    services = new ServiceHost({
      services: [...nodeServices(), ...(opts.services ?? [])],
      settings: s,
      hostId: opts.hostId,
      rootKey: opts.rootKey,
      storage,
      session,
      leaders,
      metrics,
      startTimeoutMs: s.number('cluster.services.start_timeout'),
      stopTimeoutMs: s.number('cluster.services.stop_timeout'),
    });
    state.services = services;
    const hosted = services;

    const restLog = getLogger('org.midonet.cluster.rest-api');
    if (!s.bool('cluster.rest_api.enabled'))
      restLog.warn("cluster.rest_api.enabled is false: ignored, the REST API is the node's front door (/healthz, /readyz, service discovery)");
    const rootUri = s.string('cluster.rest_api.root_uri');
    const limits = listenerLimits(s);
    // refusals are logged at most once a minute: a flood must not become a flood of log lines
    let warnedAt = 0;
    const cap: ConnectionCap = new ConnectionCap(limits.maxConnections, () => {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      restLog.warn(`connection refused: the node holds cluster.rest_api.max_connections (${limits.maxConnections}) connections`, {
        refusedSinceStart: cap.refused,
      });
    });
    const api = createRestApi({
      storage,
      auth,
      rootUri,
      log: restLog,
      maxBodyBytes: s.number('cluster.rest_api.max_body_bytes'),
      maxBodyBytesInFlight: limits.maxBodyBytesInFlight,
      bodyIdleTimeoutMs: limits.bodyIdleTimeoutMs,
      metrics,
      tenantScoping: s.bool('cluster.auth.tenant_scoping'),
      flowTraces,
    });
    front.attach(api);
    if (!server) {
      server = createServer({ ...front.serverOptions, ...listenerServerOptions() });
      serveApp(server, front.app);
      const [host, port] = [s.string('cluster.rest_api.http_host'), s.number('cluster.rest_api.http_port')];
      await listen(server, port, host).catch((e: unknown) => {
        throw new StartupError(listenErrorMessage(e, { host, port, hostKey: 'cluster.rest_api.http_host', portKey: 'cluster.rest_api.http_port' }));
      });
    }
    server.keepAliveTimeout = 65_000;
    applyListenerLimits(server, limits, cap);
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const httpAddress = `http://${host}:${addr.port}`;
    const apiUrl = `${httpAddress}${rootUri}`;
    restLog.info(`REST API listening on ${apiUrl}`, { address: addr.address, port: addr.port });
    // HTTPS: off for port ≤ 0 or a missing key store; a key store that cannot be used is logged
    // as an error and leaves HTTP serving (lib/tls/https.ts, docs/security.md)
    https = await startHttps({
      handler: front.app,
      serverOptions: front.serverOptions,
      port: s.number('cluster.rest_api.https_port'),
      host: s.string('cluster.rest_api.https_host'),
      keystorePath: opts.keystore?.path ?? DEFAULT_KEYSTORE_PATH,
      keystorePassword: opts.keystore?.password,
      idleTimeoutMs: s.has('cluster.rest_api.https_idle_timeout') ? s.number('cluster.rest_api.https_idle_timeout') : undefined,
      ciphers: s.has('cluster.rest_api.https_ciphers') ? s.string('cluster.rest_api.https_ciphers') : undefined,
      limits: { limits, cap },
      log: restLog,
    });
    if (https.state === 'on') {
      restLog.info(`REST API listening on ${https.url}${rootUri}`, {
        address: https.address.address,
        port: https.address.port,
        keystoreFormat: https.format,
      });
    }
    state.restStarted = true;

    // Service discovery: the node's REST API as a Curator x-discovery instance (services.md §0.3)
    const advertised = advertisedHost(s);
    const advertisedUrl = `http://${advertised.includes(':') ? `[${advertised}]` : advertised}:${addr.port}${rootUri}`;
    const instance = {
      name: CLUSTER_SERVICE_NAME,
      id: opts.hostId,
      address: advertised,
      port: addr.port,
      sslPort: https.state === 'on' ? https.address.port : null,
      uriSpec: literalUriSpec(advertisedUrl),
      registrationTimeUTC: Date.now(),
    };
    try {
      await discovery.register({ ...instance, payload: nodePayload(hosted.health()) });
      state.registered = true;
      log.info('registered in service discovery', { path: discovery.pathFor(CLUSTER_SERVICE_NAME, opts.hostId), address: advertised, port: addr.port });
    } catch (e) {
      if (e instanceof InstanceTakenError) throw registrationRefused(opts.hostId, e);
      // kept: registered again on the next reconnect or session
      log.warn('cannot register in service discovery yet', { error: (e as Error).message });
    }
    // the services' health rides on the registration (./health-publisher.ts)
    const publisher = new HealthPublisher({ discovery, instance, health: () => hosted.health(), log: log.child('discovery') });
    hosted.on('change', () => publisher.changed());
    leaders.start();
    await hosted.start();

    const srv = server;
    const tls = https.state === 'on' ? https.server : undefined;
    let stopping: Promise<void> | undefined;
    let hurry: (() => void) | undefined;
    let resolveStopped: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let drainWatch: DrainFileWatch | undefined;

    const shutdown = async (o: DrainOptions): Promise<void> => {
      const delayMs = o.delayMs ?? s.number('cluster.drain.delay');
      const requestTimeoutMs = o.requestTimeoutMs ?? s.number('cluster.drain.request_timeout');
      const hurried = new AbortController();
      hurry = () => hurried.abort();
      const startedAt = Date.now();
      state.draining = true;
      state.drainReason = o.reason;
      log.info('draining: /readyz answers 503 from now on', { reason: o.reason ?? 'stop', delayMs, requestTimeoutMs });
      drainWatch?.stop();
      publisher.close();
      // Out of service discovery first: an HAProxy following it (haproxy-config --watch) drops
      // the node at once; health checks (/readyz 503) cover the others within the delay.
      await Promise.race([disc.unregister(CLUSTER_SERVICE_NAME, opts.hostId).catch(() => undefined), sleep(2000)]);
      state.registered = false;
      if (delayMs > 0) await sleep(delayMs, hurried.signal);
      // Stop accepting connections; requests in flight finish (bounded), idle connections close.
      const servers = [srv, tls].filter((x): x is Server => x !== undefined);
      const closed = Promise.all(servers.map((x) => new Promise<void>((r) => x.close(() => r()))));
      let done = false;
      void closed.then(() => (done = true));
      const deadline = Date.now() + requestTimeoutMs;
      while (!done && Date.now() < deadline && !hurried.signal.aborted) {
        for (const x of servers) x.closeIdleConnections();
        await Promise.race([closed, sleep(50)]);
      }
      if (!done) {
        log.warn('draining: connections still busy, closing them', { afterMs: Date.now() - startedAt });
        for (const x of servers) x.closeAllConnections();
        await closed;
      }
      await hosted.stop();
      await flowTraces.close().catch(() => undefined);
      await lead.close().catch(() => undefined);
      await disc.close().catch(() => undefined);
      auth.close?.();
      await config?.stop().catch(() => undefined);
      storage.cache?.close();
      await session.close();
      log.info('cluster node stopped', { drainMs: Date.now() - startedAt, reason: o.reason ?? 'stop' });
      resolveStopped();
    };
    const drain = (o: DrainOptions = {}): Promise<void> => {
      stopping ??= shutdown(o);
      return stopping;
    };

    const drainFile = s.string('cluster.drain.file').trim();
    if (drainFile) {
      drainWatch = new DrainFileWatch(drainFile, () => void drain({ reason: `drain file ${drainFile}` }), log);
      drainWatch.start();
    }

    return {
      hostId: opts.hostId,
      storage,
      get zk() {
        return session.client ?? zk;
      },
      session,
      discovery,
      leaders,
      services: hosted,
      get heartbeat() {
        const svc = hosted.service('heartbeat');
        return svc instanceof HeartbeatService ? svc.current : undefined;
      },
      httpAddress,
      apiUrl,
      metrics,
      settings: s,
      config,
      auth,
      httpsAddress: https.state === 'on' ? https.url : undefined,
      https: https.state === 'on' ? { state: 'on', format: https.format } : { state: https.state, reason: https.reason },
      readiness: () => state.readiness(),
      drain,
      hurry: () => hurry?.(),
      stopped,
      stop: () => drain({ reason: 'stop', delayMs: 0, requestTimeoutMs: 5000 }),
    };
  } catch (e) {
    server?.close();
    if (https?.state === 'on') https.server.close();
    auth.close?.();
    await flowTraces.close().catch(() => undefined);
    await services?.stop();
    await leaders?.close().catch(() => undefined);
    await discovery?.close().catch(() => undefined);
    await session.close();
    throw e;
  }
}
