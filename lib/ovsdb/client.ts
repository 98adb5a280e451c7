/**
 * An OVSDB client (RFC 7047) for one server, kept connected for its whole life:
 *
 * - Connects over TCP and, when the connection is lost (the server restarted, the peer stopped
 *   answering echoes, the network dropped it), connects again after a backoff (ReconnectPolicy: by
 *   default exponential steps with jitter, for ever). The retry count starts again once a
 *   connection has stayed up for a while, so a server that accepts and drops at once is not
 *   hammered.
 * - Requests made while disconnected wait for the next connection within their own timeout;
 *   requests in flight when the connection drops fail with OvsdbDisconnectedError (a transact may
 *   or may not have committed: read back before retrying a write that is not idempotent).
 * - Monitors outlive connections: after a reconnect each is sent again with the same id and its
 *   handler gets the full current contents (`initial` with reconnect: true) to replace what it
 *   had, then the changes as usual. TableReplica (replica.ts) turns that into row changes.
 *
 * States: connecting → connected → (lost) waiting → connecting ...; `failed` when the retry
 * policy gives up, `closed` after close(). Both end states reject every waiting request.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { getLogger, type Logger } from '../log/logger.js';
import { exponentialBackoff, type ReconnectPolicy } from './backoff.js';
import {
  checkTransactResult,
  OvsdbClosedError,
  OvsdbDisconnectedError,
  OvsdbProtocolError,
  OvsdbTimeoutError,
  type DatabaseSchema,
  type MonitorRequests,
  type Operation,
  type OperationResult,
  type TableUpdates,
} from './protocol.js';
import { RpcConnection } from './rpc.js';

export type OvsdbClientState = 'connecting' | 'connected' | 'waiting' | 'failed' | 'closed';

export interface OvsdbClientOptions {
  host: string;
  port: number;
  /** bound on one TCP connect; default 5000 */
  connectTimeoutMs?: number;
  /** default bound on a request, time spent waiting for a connection included; default 10000 */
  requestTimeoutMs?: number;
  /** idle time before the client's own echo, and how long that echo may go unanswered; default 5000, 0 = off */
  probeIntervalMs?: number;
  /** delays between connection attempts; default exponentialBackoff() (250 ms doubling to 10 s, for ever) */
  retry?: ReconnectPolicy;
  /** a connection that stayed up this long resets the retry count; default 2000 */
  stableAfterMs?: number;
  /** bound on one incoming message */
  maxFrameBytes?: number;
  log?: Logger;
}

export interface MonitorHandler {
  /**
   * The monitored tables' full contents (as inserts): once when the monitor starts, and again
   * after every reconnect (`reconnect: true`), when it replaces whatever the handler had.
   */
  initial(updates: TableUpdates, info: { reconnect: boolean }): void;
  /** Changes after that, in the order the server committed them. */
  update(updates: TableUpdates): void;
  /** The monitor could not be re-established after a reconnect (it is dropped). */
  failed?(err: Error): void;
}

export interface MonitorHandle {
  readonly id: string;
  /** Stops the monitor (monitor_cancel when connected); no handler call after this resolves. */
  cancel(): Promise<void>;
}

export interface OvsdbClientEvents {
  state: [state: OvsdbClientState, cause: Error | undefined];
  /** the peer sent something odd that the connection survived */
  protocolError: [err: OvsdbProtocolError];
  /** a monitor handler threw; the client carries on */
  handlerError: [err: Error, monitorId: string];
  /** a notification other than `update` (`locked`, `stolen`) */
  notification: [method: string, params: unknown];
}

interface MonitorEntry {
  id: string;
  db: string;
  requests: MonitorRequests;
  handler: MonitorHandler;
  /** updates that arrived before the initial contents were handed over */
  held: TableUpdates[] | undefined;
}

interface Waiter {
  resolve(conn: RpcConnection): void;
  reject(e: Error): void;
}

export class OvsdbClient extends EventEmitter<OvsdbClientEvents> {
  readonly host: string;
  readonly port: number;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly retry: ReconnectPolicy;
  private readonly stableAfterMs: number;
  private readonly maxFrameBytes: number | undefined;
  private readonly log: Logger;

  private stateValue: OvsdbClientState = 'connecting';
  private conn: RpcConnection | undefined;
  private connecting: RpcConnection | undefined;
  private socket: Socket | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly monitors = new Map<string, MonitorEntry>();
  private monitorSeq = 0;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;

  constructor(opts: OvsdbClientOptions) {
    super();
    this.host = opts.host;
    this.port = opts.port;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 5000;
    this.retry = opts.retry ?? exponentialBackoff();
    this.stableAfterMs = opts.stableAfterMs ?? 2000;
    this.maxFrameBytes = opts.maxFrameBytes;
    this.log = opts.log ?? getLogger('org.midonet.cluster.services.vxgw.vtep').child('ovsdb');
  }

  /**
   * A started client, connected once: rejects (and closes the client) when no connection is
   * made within `timeoutMs` (default: the request timeout).
   */
  static async connect(opts: OvsdbClientOptions & { timeoutMs?: number }): Promise<OvsdbClient> {
    const client = new OvsdbClient(opts);
    client.start();
    try {
      await client.whenConnected(opts.timeoutMs ?? client.requestTimeoutMs);
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  get state(): OvsdbClientState {
    return this.stateValue;
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  /** Starts connecting (and reconnecting) in the background; idempotent. */
  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Resolves when connected (at once if connected now); rejects after timeoutMs or when the client ends. */
  async whenConnected(timeoutMs = this.requestTimeoutMs): Promise<void> {
    await this.connection(timeoutMs, 'connect');
  }

  /** Stops for good: closes the connection, rejects every waiting request; idempotent. */
  async close(): Promise<void> {
    if (this.stateValue !== 'closed') {
      this.setState('closed', undefined);
      this.rejectWaiters(new OvsdbClosedError(`OVSDB client for ${this.endpoint} closed`));
      this.monitors.clear();
      this.connecting?.close();
      this.conn?.close();
      this.socket?.destroy();
      this.wake?.();
    }
    await this.loopDone;
  }

  listDbs(timeoutMs?: number): Promise<string[]> {
    return this.call('list_dbs', [], timeoutMs).then((r) => {
      if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) throw new OvsdbProtocolError('list_dbs: expected an array of names');
      return r;
    });
  }

  getSchema(db: string, timeoutMs?: number): Promise<DatabaseSchema> {
    return this.call('get_schema', [db], timeoutMs).then((r) => {
      const s = r as Partial<DatabaseSchema> | null;
      if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || typeof s.tables !== 'object' || s.tables === null) {
        throw new OvsdbProtocolError(`get_schema ${db}: not a schema`);
      }
      return s as DatabaseSchema;
    });
  }

  /**
   * Runs the operations as one transaction; resolves with each operation's result, or rejects
   * with OvsdbTransactionError naming the operation that failed (nothing was committed then).
   */
  async transact(db: string, ops: readonly Operation[], timeoutMs?: number): Promise<OperationResult[]> {
    const result = await this.call('transact', [db, ...ops], timeoutMs);
    return checkTransactResult(ops, result);
  }

  /** The server echoes `params` back. */
  echo(params: unknown[] = [], timeoutMs?: number): Promise<unknown> {
    return this.call('echo', params, timeoutMs);
  }

  /**
   * Starts a monitor; resolves once the handler has had the initial contents. It is re-sent on
   * every reconnect until cancelled or the client ends. Rejects (and is gone) when the connection
   * drops before the server answered: call again.
   */
  async monitor(db: string, requests: MonitorRequests, handler: MonitorHandler, timeoutMs?: number): Promise<MonitorHandle> {
    const id = `mon-${++this.monitorSeq}`;
    const entry: MonitorEntry = { id, db, requests, handler, held: [] };
    const conn = await this.connection(timeoutMs ?? this.requestTimeoutMs, 'monitor');
    // Registered only now, on a live connection: a reconnect in between cannot send it twice.
    this.monitors.set(id, entry);
    try {
      await this.startMonitor(conn, entry, false, timeoutMs ?? this.requestTimeoutMs);
    } catch (e) {
      this.monitors.delete(id);
      throw e;
    }
    return { id, cancel: () => this.cancelMonitor(id) };
  }

  private async cancelMonitor(id: string): Promise<void> {
    if (!this.monitors.delete(id)) return;
    const conn = this.conn;
    if (!conn) return; // a monitor dies with its connection
    try {
      await conn.request('monitor_cancel', [id], this.requestTimeoutMs);
    } catch (e) {
      // Lost connection or no such monitor: either way the server sends no more updates for it.
      this.log.debug('monitor_cancel failed', { endpoint: this.endpoint, monitor: id, error: (e as Error).message });
    }
  }

  private async call(method: string, params: unknown[], timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    const conn = await this.connection(timeoutMs, method);
    return conn.request(method, params, Math.max(1, deadline - Date.now()));
  }

  /** The live connection, waiting up to timeoutMs for one. */
  private connection(timeoutMs: number, what: string): Promise<RpcConnection> {
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    if (this.stateValue === 'closed' || this.stateValue === 'failed') {
      return Promise.reject(new OvsdbClosedError(`${what}: OVSDB client for ${this.endpoint} is ${this.stateValue}`));
    }
    this.start();
    return new Promise<RpcConnection>((resolve, reject) => {
      const w: Waiter = {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new OvsdbTimeoutError(`${what}: not connected to OVSDB at ${this.endpoint} within ${timeoutMs} ms (${this.stateValue})`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.isClosed()) {
      this.setState('connecting', undefined);
      let cause: Error | undefined;
      let upSince: number | undefined;
      try {
        const { conn, closed } = await this.open();
        this.connecting = conn;
        await this.restoreMonitors(conn);
        this.connecting = undefined;
        if (this.isClosed()) {
          conn.close();
          break;
        }
        if (conn.closed) throw (await closed) ?? new OvsdbDisconnectedError('connection lost');
        upSince = Date.now();
        this.conn = conn;
        this.setState('connected', undefined);
        this.log.info('connected to OVSDB', { endpoint: this.endpoint });
        for (const w of [...this.waiters]) {
          this.waiters.delete(w);
          w.resolve(conn);
        }
        cause = (await closed) ?? new OvsdbDisconnectedError('connection closed');
        this.conn = undefined;
      } catch (e) {
        // A monitor that could not be restored in time leaves a connection that may still be open.
        this.connecting?.close();
        this.connecting = undefined;
        cause = e as Error;
      }
      if (this.isClosed()) break;
      if (upSince !== undefined && Date.now() - upSince >= this.stableAfterMs) attempt = 0;
      attempt++;
      const delay = this.retry.delayMs(attempt);
      if (delay === undefined) {
        this.log.warn('giving up on OVSDB', { endpoint: this.endpoint, attempts: attempt, error: cause.message });
        this.setState('failed', cause);
        this.rejectWaiters(new OvsdbClosedError(`gave up connecting to OVSDB at ${this.endpoint}: ${cause.message}`));
        return;
      }
      this.log.warn(upSince !== undefined ? 'OVSDB connection lost, reconnecting' : 'cannot connect to OVSDB, retrying', {
        endpoint: this.endpoint,
        attempt,
        retryInMs: delay,
        error: cause.message,
      });
      this.setState('waiting', cause);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One TCP connection wrapped in an RpcConnection; `closed` resolves with why it ended. */
  private open(): Promise<{ conn: RpcConnection; closed: Promise<Error | undefined> }> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: this.host, port: this.port });
      this.socket = socket;
      const timer = setTimeout(() => {
        socket.destroy(new OvsdbTimeoutError(`TCP connect to ${this.endpoint} took over ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      const failed = (e: Error): void => {
        clearTimeout(timer);
        this.socket = undefined;
        reject(e);
      };
      // close() destroys a socket still connecting without an error: that must end the attempt too.
      const closedEarly = (): void => failed(new OvsdbClosedError(`connect to ${this.endpoint} abandoned`));
      socket.once('error', failed);
      socket.once('close', closedEarly);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        socket.off('close', closedEarly);
        this.socket = undefined;
        let closedWith: (e: Error | undefined) => void = () => {};
        const closed = new Promise<Error | undefined>((r) => (closedWith = r));
        const conn = new RpcConnection(socket, {
          maxFrameBytes: this.maxFrameBytes,
          probeIntervalMs: this.probeIntervalMs,
          onNotification: (method, params) => this.onNotification(method, params),
          onProtocolError: (err) => {
            this.log.debug('OVSDB protocol oddity', { endpoint: this.endpoint, error: err.message });
            this.emit('protocolError', err);
          },
          onClose: (err) => closedWith(err),
        });
        resolve({ conn, closed });
      });
    });
  }

  private async restoreMonitors(conn: RpcConnection): Promise<void> {
    for (const entry of [...this.monitors.values()]) {
      if (!this.monitors.has(entry.id)) continue;
      entry.held = [];
      try {
        await this.startMonitor(conn, entry, true, this.requestTimeoutMs);
      } catch (e) {
        if (conn.closed || e instanceof OvsdbDisconnectedError || e instanceof OvsdbTimeoutError) throw e;
        // The server refused it (say, the schema changed): that will not get better by retrying.
        this.monitors.delete(entry.id);
        this.log.error('cannot re-establish an OVSDB monitor', { endpoint: this.endpoint, monitor: entry.id, error: (e as Error).message });
        this.safely(entry, () => entry.handler.failed?.(e as Error));
      }
    }
  }

  private async startMonitor(conn: RpcConnection, entry: MonitorEntry, reconnect: boolean, timeoutMs: number): Promise<void> {
    const result = await conn.request('monitor', [entry.db, entry.id, entry.requests], timeoutMs);
    if (!isTableUpdates(result)) throw new OvsdbProtocolError(`monitor ${entry.id}: the initial contents are not table-updates`);
    if (!this.monitors.has(entry.id)) return;
    this.safely(entry, () => entry.handler.initial(result, { reconnect }));
    // Updates can follow the reply in the same read, before this continuation ran: hand them over now, in order.
    const held = entry.held ?? [];
    entry.held = undefined;
    for (const u of held) {
      if (!this.monitors.has(entry.id)) return;
      this.safely(entry, () => entry.handler.update(u));
    }
  }

  private onNotification(method: string, params: unknown): void {
    if (method !== 'update') {
      this.emit('notification', method, params);
      return;
    }
    if (!Array.isArray(params) || params.length !== 2 || !isTableUpdates(params[1])) {
      this.emit('protocolError', new OvsdbProtocolError('a malformed update notification'));
      return;
    }
    const entry = typeof params[0] === 'string' ? this.monitors.get(params[0]) : undefined;
    if (!entry) return; // cancelled a moment ago
    if (entry.held) entry.held.push(params[1]);
    else this.safely(entry, () => entry.handler.update(params[1] as TableUpdates));
  }

  private safely(entry: MonitorEntry, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.log.error('OVSDB monitor handler failed', { endpoint: this.endpoint, monitor: entry.id, error: err.message });
      this.emit('handlerError', err, entry.id);
    }
  }

  /** A method, not a property test, so that the compiler does not narrow it across awaits. */
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private setState(s: OvsdbClientState, cause: Error | undefined): void {
    if (this.stateValue === s && s !== 'waiting') return;
    this.stateValue = s;
    this.emit('state', s, cause);
  }

  private rejectWaiters(e: Error): void {
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.reject(e);
    }
  }
}

function isTableUpdates(v: unknown): v is TableUpdates {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const rows of Object.values(v as Record<string, unknown>)) {
    if (typeof rows !== 'object' || rows === null || Array.isArray(rows)) return false;
    for (const u of Object.values(rows as Record<string, unknown>)) {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return false;
    }
  }
  return true;
}
