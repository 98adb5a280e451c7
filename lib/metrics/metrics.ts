/**
 * Prometheus metrics of one cluster node (prom-client). Each node has a registry of its own (not
 * prom-client's global one), so several nodes in one process, as in the tests, never collide.
 * The libraries that are measured (lib/zk, lib/nsdb, the REST app) do not depend on prom-client:
 * they call plain observer objects, which this module builds.
 *
 * Names and labels are listed in docs/observability.md; keep that table in step.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CassandraErrorKind } from '../cassandra/errors.js';
import type { CassandraObserver } from '../cassandra/session.js';
import type { StorageObserver } from '../nsdb/storage.js';
import type { MissReason, TopologyCacheObserver } from '../nsdb/cache/topology-cache.js';
import type { ZkObserver, ZkOperation, ZkSessionState } from '../zk/client.js';

export const METRIC_PREFIX = 'midonet_cluster_';

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const ZK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];
const TX_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CASSANDRA_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const ZK_STATES: readonly ZkSessionState[] = ['connecting', 'connected', 'disconnected', 'expired', 'closed'];
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

export interface NodeMetricsOptions {
  /** Labels of the `midonet_cluster_node_info` series. */
  hostId?: string;
  version?: string;
  /** prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

export interface HttpObservation {
  method: string;
  /** the route TEMPLATE (`/bridges/:id`), never a raw path */
  route: string;
  status: number;
  seconds: number;
}

export class NodeMetrics {
  readonly registry: Registry;

  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly httpInFlight: Gauge;
  private readonly zkDuration: Histogram<'op'>;
  private readonly zkErrors: Counter<'op' | 'code'>;
  private readonly zkState: Gauge<'state'>;
  private readonly zkSessionEvents: Counter<'state'>;
  private readonly txStarted: Counter;
  private readonly txCommits: Counter;
  private readonly txConflicts: Counter;
  private readonly txRetries: Counter;
  private readonly txExhausted: Counter;
  private readonly txDuration: Histogram;
  private readonly cacheHits: Counter<'class'>;
  private readonly cacheMisses: Counter<'class' | 'reason'>;
  private readonly cacheRebuilds: Counter<'class'>;
  private readonly cacheWatchEvents: Counter<'type'>;
  private readonly cacheObjects: Gauge;
  private readonly cacheBytes: Gauge;
  private readonly cassandraDuration: Histogram<'op'>;
  private readonly cassandraErrors: Counter<'op' | 'kind'>;
  private readonly cassandraConnections: Counter<'outcome'>;
  private readonly authCacheHits: Counter;
  private readonly authCacheMisses: Counter;
  private readonly serviceLeader: Gauge<'service'>;
  private readonly heartbeatBeats: Counter;

  constructor(opts: NodeMetricsOptions = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: `${p}node_info`,
      help: 'Always 1; labels identify the node (host id from the host id file) and the software version.',
      labelNames: ['host_id', 'version'],
      registers,
    }).set({ host_id: opts.hostId ?? '', version: opts.version ?? '' }, 1);

    // REST API
    this.httpRequests = new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests answered by the REST API, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'Time from receiving an HTTP request to the end of its response, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.httpInFlight = new Gauge({
      name: `${p}http_requests_in_flight`,
      help: 'HTTP requests being processed now.',
      registers,
    });

    // ZooKeeper
    this.zkDuration = new Histogram({
      name: `${p}zookeeper_operation_duration_seconds`,
      help: 'Time of ZooKeeper operations from the call to the answer (waiting for a connection included), failed ones too, by operation.',
      labelNames: ['op'],
      buckets: ZK_BUCKETS,
      registers,
    });
    this.zkErrors = new Counter({
      name: `${p}zookeeper_operation_errors_total`,
      help: 'ZooKeeper operations that failed, by operation and error code (NONODE and NODEEXISTS are often expected outcomes).',
      labelNames: ['op', 'code'],
      registers,
    });
    this.zkState = new Gauge({
      name: `${p}zookeeper_session_state`,
      help: 'The ZooKeeper session state: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
    });
    for (const s of ZK_STATES) this.zkState.set({ state: s }, 0);
    this.zkSessionEvents = new Counter({
      name: `${p}zookeeper_session_transitions_total`,
      help: 'ZooKeeper session state changes, by the state entered.',
      labelNames: ['state'],
      registers,
    });

    // NSDB transactions
    this.txStarted = new Counter({ name: `${p}nsdb_transactions_total`, help: 'NSDB transaction attempts started (each retry counts).', registers });
    this.txCommits = new Counter({ name: `${p}nsdb_transaction_commits_total`, help: 'NSDB transactions committed.', registers });
    this.txConflicts = new Counter({
      name: `${p}nsdb_transaction_conflicts_total`,
      help: 'NSDB transaction attempts that failed on a concurrent modification (optimistic concurrency conflict).',
      registers,
    });
    this.txRetries = new Counter({ name: `${p}nsdb_transaction_retries_total`, help: 'NSDB transactions re-run after a conflict.', registers });
    this.txExhausted = new Counter({
      name: `${p}nsdb_transaction_retries_exhausted_total`,
      help: 'NSDB transactions given up after the last attempt conflicted (zookeeper.transaction_max_attempts).',
      registers,
    });
    this.txDuration = new Histogram({
      name: `${p}nsdb_transaction_duration_seconds`,
      help: 'Time of committed NSDB transactions, retries included.',
      buckets: TX_BUCKETS,
      registers,
    });

    // the topology cache (lib/nsdb/cache)
    this.cacheHits = new Counter({
      name: `${p}topology_cache_hits_total`,
      help: 'Reads of a class (one object, or a list) answered from the topology cache, by class.',
      labelNames: ['class'],
      registers,
    });
    this.cacheMisses = new Counter({
      name: `${p}topology_cache_misses_total`,
      help: 'Reads of a class that went to ZooKeeper although the topology cache is on, by class and reason (disconnected, sync_failed, too_big, fill_failed, dropped, filling: a read of one object while its class is being filled).',
      labelNames: ['class', 'reason'],
      registers,
    });
    this.cacheRebuilds = new Counter({
      name: `${p}topology_cache_rebuilds_total`,
      help: 'Classes filled from ZooKeeper into the topology cache (first use, or again after a drop), by class.',
      labelNames: ['class'],
      registers,
    });
    this.cacheWatchEvents = new Counter({
      name: `${p}topology_cache_watch_events_total`,
      help: 'ZooKeeper watch events received by the topology cache, by type.',
      labelNames: ['type'],
      registers,
    });
    this.cacheObjects = new Gauge({ name: `${p}topology_cache_objects`, help: 'Objects kept in the topology cache.', registers });
    this.cacheBytes = new Gauge({
      name: `${p}topology_cache_bytes`,
      help: 'Bytes counted against cluster.rest_api.cache.max_bytes: stored text, an estimate of its parse, rendered JSON.',
      registers,
    });

    // Cassandra (flow traces, lib/cassandra)
    this.cassandraDuration = new Histogram({
      name: `${p}cassandra_operation_duration_seconds`,
      help: 'Time of Cassandra reads (flow traces) from the call to the answer, connecting included, failed ones too, by operation.',
      labelNames: ['op'],
      buckets: CASSANDRA_BUCKETS,
      registers,
    });
    this.cassandraErrors = new Counter({
      name: `${p}cassandra_operation_errors_total`,
      help: 'Cassandra reads that failed, by operation and kind: not_configured (cassandra.servers empty or malformed), unavailable (no server answered, timeouts), failed (Cassandra refused the read).',
      labelNames: ['op', 'kind'],
      registers,
    });
    this.cassandraConnections = new Counter({
      name: `${p}cassandra_connections_total`,
      help: 'Attempts to connect to Cassandra, by outcome (connected, failed).',
      labelNames: ['outcome'],
      registers,
    });

    // Placeholders: registered now so dashboards and alerts can be written; they move once the
    // Keystone token cache and the singleton services (leader election) exist.
    this.authCacheHits = new Counter({ name: `${p}auth_token_cache_hits_total`, help: 'Token validations answered from the auth token cache.', registers });
    this.authCacheMisses = new Counter({
      name: `${p}auth_token_cache_misses_total`,
      help: 'Token validations that had to ask the identity service.',
      registers,
    });
    this.serviceLeader = new Gauge({
      name: `${p}service_leader`,
      help: 'For each singleton service hosted by this node: 1 if this node is its leader, 0 if not.',
      labelNames: ['service'],
      registers,
    });
    // The original's heartbeat minion counts its beats in `heartbeat.beats` (services.md §4).
    this.heartbeatBeats = new Counter({
      name: `${p}heartbeat_beats_total`,
      help: 'Beats of the heartbeat service (cluster.heartbeat.*), one per period while it is enabled.',
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  expose(): Promise<string> {
    return this.registry.metrics();
  }

  // ---- REST API -------------------------------------------------------------------------

  requestStarted(): void {
    this.httpInFlight.inc();
  }

  requestFinished(o: HttpObservation): void {
    this.httpInFlight.dec();
    const labels = { method: HTTP_METHODS.has(o.method) ? o.method : 'OTHER', route: o.route, status: String(o.status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, o.seconds);
  }

  // ---- ZooKeeper -------------------------------------------------------------------------

  /** The hooks to pass to ZkClient.connect({ observer }). */
  zookeeperObserver(): ZkObserver {
    return {
      operation: (op: ZkOperation, seconds: number, errorCode?: string) => {
        this.zkDuration.observe({ op }, seconds);
        if (errorCode) this.zkErrors.inc({ op, code: errorCode });
      },
      sessionState: (state: ZkSessionState) => {
        for (const s of ZK_STATES) this.zkState.set({ state: s }, s === state ? 1 : 0);
        this.zkSessionEvents.inc({ state });
      },
    };
  }

  // ---- NSDB ------------------------------------------------------------------------------

  /** The hooks to pass to new NsdbStorage({ observer }). */
  storageObserver(): StorageObserver {
    return {
      transactionStarted: () => this.txStarted.inc(),
      transactionCommitted: (_attempts: number, seconds: number) => {
        this.txCommits.inc();
        this.txDuration.observe(seconds);
      },
      transactionConflict: () => this.txConflicts.inc(),
      transactionRetry: () => this.txRetries.inc(),
      transactionExhausted: () => this.txExhausted.inc(),
    };
  }

  /** The hooks to pass to new NsdbStorage({ cache: { observer } }). */
  topologyCacheObserver(): TopologyCacheObserver {
    return {
      hit: (clazz: string) => this.cacheHits.inc({ class: clazz }),
      miss: (clazz: string, reason: MissReason) => this.cacheMisses.inc({ class: clazz, reason }),
      rebuild: (clazz: string) => this.cacheRebuilds.inc({ class: clazz }),
      watchEvent: (type: string) => this.cacheWatchEvents.inc({ type }),
      size: (objects: number, bytes: number) => {
        this.cacheObjects.set(objects);
        this.cacheBytes.set(bytes);
      },
    };
  }

  // ---- Cassandra -------------------------------------------------------------------------

  /** The hooks to pass to the Cassandra readers (new FlowTraceReader({ observer })). */
  cassandraObserver(): CassandraObserver {
    return {
      operation: (op: string, seconds: number, error?: CassandraErrorKind) => {
        this.cassandraDuration.observe({ op }, seconds);
        if (error) this.cassandraErrors.inc({ op, kind: error });
      },
      connection: (outcome: 'connected' | 'failed') => this.cassandraConnections.inc({ outcome }),
    };
  }

  // ---- placeholders ------------------------------------------------------------------------

  /** For the auth provider's token cache (Keystone), once it exists. */
  authCache(hit: boolean): void {
    (hit ? this.authCacheHits : this.authCacheMisses).inc();
  }

  /** Singleton services (leader election, services/cluster-node/leader-services.ts): 1 while this node leads. */
  setLeader(service: string, leader: boolean): void {
    this.serviceLeader.set({ service }, leader ? 1 : 0);
  }

  /** One beat of the heartbeat service. */
  heartbeat(): void {
    this.heartbeatBeats.inc();
  }
}
