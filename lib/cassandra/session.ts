/**
 * A lazily connected `cassandra-driver` client for the node's Cassandra readers.
 *
 * Nothing connects until the first read, so a node starts, and answers /readyz, whether or not
 * Cassandra is configured or up. The configuration is read again at every call, so a change of
 * `cassandra.servers` in mn-conf is followed by the next call. Every call is bounded: connecting
 * (TCP, STARTUP, the driver's system and schema queries) by `connectTimeoutMs` in all, whatever
 * the number of servers (see attemptTimeout), and the reads of one call together by
 * `readTimeoutMs`. A call that finds Cassandra unavailable throws away its client, and the next
 * call connects afresh: the driver's own reconnection schedule never decides when a read may
 * succeed again.
 */
import { Client, policies, types } from 'cassandra-driver';
import type { Logger } from '../log/logger.js';
import type { CassandraConfig } from './config.js';
import { CassandraUnavailableError, classifyCassandraError, type CassandraError, type CassandraErrorKind } from './errors.js';

/** The original's socket connect timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
export const DEFAULT_READ_TIMEOUT_MS = 5000;

/** Hooks for metrics (lib/metrics wires them to prom-client); the session does not depend on prom-client. */
export interface CassandraObserver {
  /** One call: its operation name, its duration, and the kind of error if it failed. */
  operation?(op: string, seconds: number, error?: CassandraErrorKind): void;
  /** A connection attempt ended. */
  connection?(outcome: 'connected' | 'failed'): void;
}

export interface CassandraSessionOptions {
  /** The configuration now (e.g. `() => cassandraConfig(runtime.settings)`); may throw CassandraNotConfiguredError. */
  config: () => CassandraConfig;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  observer?: CassandraObserver;
  log?: Logger;
}

export interface CassandraStatus {
  /** the hosts and port of the client in use (`h1,h2:9042`), if one is connected */
  connectedTo?: string;
  lastError?: { kind: CassandraErrorKind; message: string; at: Date };
}

/** What a call may ask of Cassandra. */
export interface CqlRunner {
  /** Runs a statement, prepared (once per client), within the read timeout. */
  execute(cql: string, params: unknown[], opts?: { fetchSize?: number }): Promise<types.ResultSet>;
  /** Whether a keyspace exists: the driver's schema metadata, refreshed once if it has none. */
  hasKeyspace(name: string): Promise<boolean>;
}

interface Connecting {
  servers: string;
  promise: Promise<Client>;
}

export class CassandraSession {
  private client?: Client;
  private clientServers?: string;
  private connecting?: Connecting;
  private closed = false;
  private failing = false;
  private lastError?: CassandraStatus['lastError'];
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;

  constructor(private readonly opts: CassandraSessionOptions) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.readTimeoutMs = opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  }

  /**
   * Runs `fn` with a connected client (connecting first if needed). Every error comes out as a
   * CassandraError; the operation is reported to the observer either way.
   */
  async run<T>(op: string, fn: (cql: CqlRunner, config: CassandraConfig) => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let servers = '';
    let client: Client | undefined;
    try {
      const config = this.opts.config();
      servers = config.servers;
      client = await this.connected(config);
      const result = await withDeadline(
        fn(this.runner(client), config),
        this.readTimeoutMs,
        () => new CassandraUnavailableError(`Cassandra did not answer within ${this.readTimeoutMs} ms`, servers),
      );
      this.recovered(servers);
      this.report(op, started);
      return result;
    } catch (e) {
      const err = classifyCassandraError(e, servers);
      if (err.kind === 'unavailable' && client) this.discard(client);
      if (err.kind === 'not_configured' && this.client) this.discard(this.client);
      this.failed(err);
      this.report(op, started, err.kind);
      throw err;
    }
  }

  private runner(client: Client): CqlRunner {
    const readTimeout = this.readTimeoutMs;
    return {
      execute: (cql, params, opts = {}) => client.execute(cql, params, { prepare: true, readTimeout, ...opts }),
      hasKeyspace: async (name) => {
        if (client.metadata.keyspaces[name]) return true;
        await client.metadata.refreshKeyspace(name);
        return client.metadata.keyspaces[name] !== undefined;
      },
    };
  }

  status(): CassandraStatus {
    return { connectedTo: this.client ? this.clientServers : undefined, lastError: this.lastError };
  }

  /** Shuts the client down; later calls fail as unavailable. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    const connecting = this.connecting?.promise;
    this.client = undefined;
    if (client) await client.shutdown().catch(() => undefined);
    if (connecting) await connecting.then((c) => c.shutdown()).catch(() => undefined);
  }

  private async connected(config: CassandraConfig): Promise<Client> {
    if (this.closed) throw new CassandraUnavailableError('The Cassandra reader is closed', config.servers);
    const key = serversKey(config);
    if (this.client && this.clientServers === key) return this.client;
    if (this.client) {
      this.opts.log?.info('cassandra.servers changed: reconnecting', { servers: config.servers });
      this.discard(this.client);
    }
    if (!this.connecting || this.connecting.servers !== key) {
      const promise = this.connect(config, key);
      this.connecting = { servers: key, promise };
      // a caller that gave up (deadline) must not leave the rejection unhandled
      promise.catch(() => undefined);
    }
    return this.connecting.promise;
  }

  private async connect(config: CassandraConfig, key: string): Promise<Client> {
    const client = new Client({
      contactPoints: config.hosts,
      protocolOptions: { port: config.port, maxVersion: types.protocolVersion.v4 },
      policies: {
        // no data-center name in mn-conf: round robin over every node, as the agents do
        loadBalancing: new policies.loadBalancing.RoundRobinPolicy(),
        // the agents' reconnection schedule, for a client that stays connected
        reconnection: new policies.reconnection.ExponentialReconnectionPolicy(100, 5000, false),
      },
      // the socket options bound each step of connecting to one server (the TCP connect, STARTUP,
      // the system queries); statements get readTimeout of their own
      socketOptions: {
        connectTimeout: attemptTimeout(this.connectTimeoutMs, config.hosts.length),
        readTimeout: attemptTimeout(this.connectTimeoutMs, config.hosts.length),
      },
      queryOptions: { consistency: types.consistencies.one, prepare: true },
    });
    const log = this.opts.log;
    if (log) {
      client.on('log', (level: string, className: string, message: string) => {
        if (level === 'warning' || level === 'error') log.debug(`cassandra-driver ${className}: ${message}`);
      });
    }
    const connecting = client.connect();
    connecting.catch(() => undefined);
    try {
      await withDeadline(
        connecting,
        this.connectTimeoutMs,
        () => new CassandraUnavailableError(`Cassandra could not be connected within ${this.connectTimeoutMs} ms`, config.servers),
      );
    } catch (e) {
      if (this.connecting?.servers === key) this.connecting = undefined;
      void client.shutdown().catch(() => undefined);
      this.opts.observer?.connection?.('failed');
      throw e;
    }
    if (this.connecting?.servers === key) this.connecting = undefined;
    if (this.closed) {
      void client.shutdown().catch(() => undefined);
      throw new CassandraUnavailableError('The Cassandra reader is closed', config.servers);
    }
    this.client = client;
    this.clientServers = key;
    this.opts.observer?.connection?.('connected');
    log?.info('Connected to Cassandra', { servers: config.servers, cluster: config.cluster });
    return client;
  }

  private discard(client: Client): void {
    if (this.client === client) this.client = undefined;
    void client.shutdown().catch(() => undefined);
  }

  private failed(err: CassandraError): void {
    this.lastError = { kind: err.kind, message: err.message, at: new Date() };
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    const meta = { kind: err.kind, servers: err.servers, cause };
    // one warning when reads start failing, not one per request while they keep failing
    if (this.failing) this.opts.log?.debug(err.message, meta);
    else this.opts.log?.warn(err.message, meta);
    this.failing = true;
  }

  private recovered(servers: string): void {
    if (this.failing) this.opts.log?.info('Cassandra answers again', { servers });
    this.failing = false;
  }

  private report(op: string, started: bigint, error?: CassandraErrorKind): void {
    this.opts.observer?.operation?.(op, Number(process.hrtime.bigint() - started) / 1e9, error);
  }
}

/**
 * The driver tries the contact points one after the other, in random order, each for up to its
 * socket connect timeout (a server that does not accept) or its read timeout (a server that
 * accepts and does not answer STARTUP): that must leave room within the whole connect's deadline
 * for a server that answers after some that hang.
 */
export function attemptTimeout(connectTimeoutMs: number, hosts: number): number {
  return Math.max(250, Math.floor(connectTimeoutMs / (hosts + 1)));
}

function serversKey(c: CassandraConfig): string {
  return `${c.hosts.join(',')}:${c.port}`;
}

/** `p`, or the error of `onTimeout()` if `p` has not settled after `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
