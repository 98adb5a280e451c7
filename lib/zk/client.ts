/**
 * Promise API over node-zookeeper-client 1.1.3 (pure JS, CommonJS, no types): one ZooKeeper
 * session per ZkClient instance. Once the session is gone (expired, or closed) the instance is
 * dead; the owner makes a new one (storage.md §12: the node restarts stateless on session loss).
 *
 * What this layer adds to the library, and why:
 * - Bounded operations. The library parks requests issued while disconnected in its queue until
 *   some later reconnect, i.e. possibly forever, and then sends them. Here an operation waits for
 *   the connection itself and gives up with CONNECTION_LOSS when `operationTimeoutMs` (default
 *   15 s, Curator's connection timeout) has passed since it was issued, whether it was still
 *   waiting for a connection or already sent. As with any CONNECTION_LOSS, a write that timed
 *   out in flight may still have been applied. A read (getData, getChildren, exists, sync) cut off
 *   by a dropped connection is sent again once the session is back, within the same bounds.
 * - Dead-connection detection. The library sends pings but never notices that they go
 *   unanswered, so on a silent partition it would stay "connected" for ever. Like the Java client,
 *   the socket is dropped when nothing was read for 2/3 of the negotiated session timeout, and a
 *   handshake that has not completed within the library's per-server connect timeout is aborted.
 * - Client-side expiry. The library only learns of expiry when a server tells it, i.e. after the
 *   partition heals. Being disconnected for longer than the negotiated session timeout means the
 *   servers have expired the session (they count from the last contact, which was earlier), so
 *   'expired' is emitted then and the instance shuts down.
 * - Correct versions in multi: the library's Transaction builder turns version 0 into -1
 *   (`version || -1`), so ops are put into the transaction record directly.
 * - Initial connect with exponential backoff and jitter (lib/retry.ts), each attempt bounded.
 * - `sync`, which the library lacks (`syncZxid`: a hand-made SYNC request; its reply's zxid is
 *   what a transaction starts at).
 * - Fewer syscalls and copies (docs/performance.md): requests queued in one event-loop turn leave
 *   in one socket write; incoming data is cut into whole packets before the library parses it
 *   (it re-copies the rest of a chunk after each packet). While connected, a request is queued
 *   before the call returns, so requests reach the server in call order.
 *
 * Events: 'connected' (sessionId) once the session is established; 'disconnected' when the
 * connection drops (the session may live on); 'reconnected' (sessionId) when the same session is
 * resumed; 'expired' ({ reason: 'server' | 'client-timeout' }) when the session is lost for good.
 * No 'error' event is ever emitted.
 *
 * The library internals used (ConnectionManager fields and methods, its packet queue,
 * Transaction.ops, jute Stat and request records) are those of the pinned 1.1.3; they are typed
 * below so a version bump fails loudly in review rather than silently.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { retry } from '../retry.js';
import { ZK_CODES, ZkError, ZkMultiError, isNoNode, isNodeExists, isNotEmpty } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface ZkStat {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** session id of the owner of an ephemeral node, 0n otherwise (same representation as sessionId) */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential';

export type ZkOp =
  | { op: 'create'; path: string; data?: Buffer; mode?: CreateMode }
  | { op: 'setData'; path: string; data: Buffer; version: number }
  | { op: 'remove'; path: string; version: number }
  | { op: 'check'; path: string; version: number };

/**
 * One per op of a multi, in order. On success: code 0; `path` is the created path for creates
 * (with any sequence suffix) and the op's path otherwise; `stat` for setData. On failure (inside
 * ZkMultiError.results): ops before the failing one have code 0 (OK, rolled back), the failing
 * op has its error, the ops after it RUNTIMEINCONSISTENCY (-2); `path` is the op's path.
 */
export interface MultiOpResult {
  op: ZkOp['op'];
  code: number;
  path?: string;
  stat?: ZkStat;
}

export interface WatchEvent {
  /** NODE_CREATED | NODE_DELETED | NODE_DATA_CHANGED | NODE_CHILDREN_CHANGED */
  type: string;
  path: string;
}
export type Watcher = (ev: WatchEvent) => void;

export interface ZkLogger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

/** The operations reported to a ZkObserver. */
export type ZkOperation = 'getData' | 'getChildren' | 'exists' | 'create' | 'setData' | 'remove' | 'multi' | 'sync';

/** Where the session is: 'connecting' until first established, 'closed' after close(). */
export type ZkSessionState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed';

/**
 * Instrumentation hooks (metrics), all optional and called synchronously; whatever they throw is
 * ignored. `operation`: one finished server operation, with its time from the call (waiting for
 * a connection included) and, if it failed, the error's code name (NONODE, BADVERSION,
 * CONNECTION_LOSS, ...; for a refused multi the failing op's). `sessionState`: every change.
 */
export interface ZkObserver {
  operation?(op: ZkOperation, seconds: number, errorCode?: string): void;
  sessionState?(state: ZkSessionState): void;
}

export interface ZkClientOptions {
  /** 'h1:2181,h2:2181', optionally followed by a chroot path ('h1:2181/chroot') */
  connectString: string;
  /** requested session timeout, default 30000; the server clamps it to 2..20 ticks */
  sessionTimeoutMs?: number;
  /** bound of each initial connect attempt (until the session is established), default 15000 */
  connectTimeoutMs?: number;
  /**
   * Initial connect: at most maxRetries retries after the first attempt, waiting between them
   * as lib/retry.ts does (exponential from baseMs, full jitter, at most maxDelayMs, default
   * 10000). Default 1000 ms / 10 retries, Curator's ExponentialBackoffRetry(1000, 10).
   */
  retry?: { baseMs: number; maxRetries: number; maxDelayMs?: number };
  /**
   * Longest time an operation may take from the call, including waiting for a (re)connection;
   * after it the operation fails with CONNECTION_LOSS. Default 15000.
   */
  operationTimeoutMs?: number;
  /**
   * Fail fast while the connection is lost: an operation waits at most this long (from the
   * moment the connection was lost) for it to come back, and one issued when the connection has
   * been lost for longer fails at once with CONNECTION_LOSS instead of waiting for
   * operationTimeoutMs. Default: no limit but operationTimeoutMs. The cluster node sets it so
   * that API requests answer 503 quickly while ZooKeeper is away (services/cluster-node/node.ts).
   */
  connectionWaitMs?: number;
  /** How long close() waits for the server to confirm the session close, default 3000. */
  closeTimeoutMs?: number;
  logger?: ZkLogger;
  observer?: ZkObserver;
}

// ---------------------------------------------------------------------------------------------
// node-zookeeper-client 1.1.3, the parts used here

type Long = Buffer; // the library's 8-byte big-endian representation of a Java long

interface RawStat {
  czxid: Long;
  mzxid: Long;
  ctime: Long;
  mtime: Long;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: Long;
  dataLength: number;
  numChildren: number;
  pzxid: Long;
}

interface RawException extends Error {
  getCode(): number;
  code: number;
  path?: string;
}

interface RawEvent {
  getName(): string;
  getPath(): string;
}

type RawWatcher = (ev: RawEvent) => void;
type Callback<A extends unknown[]> = (error: RawException | Error | null, ...results: A) => void;

interface RawAcl {
  toRecord(): unknown;
}

interface RawTxOp {
  type: number;
  path: string;
  data?: Buffer;
  acls?: RawAcl[];
  mode?: number;
  version?: number;
}

/** Entries of the multi response: `type` is the op code, or -1 (ERROR) carrying `err` */
interface RawTxResult {
  type: number;
  err?: number;
  path?: string;
  stat?: RawStat;
}

interface RawTransaction {
  ops: RawTxOp[];
  commit(cb: Callback<[RawTxResult[] | undefined]>): void;
}

interface RawRecord {
  byteLength(): number;
  serialize(buffer: Buffer, offset: number): number;
}

interface RawRequestHeader extends RawRecord {
  xid: number;
  type: number;
}

interface RawRequest {
  header: RawRequestHeader;
  payload: RawRecord;
  toBuffer(): Buffer;
}

/** What the connection manager hands a queued request's callback. */
interface RawResponse {
  header: { xid: number; zxid: Long; err: number };
}

interface RawJute {
  OP_CODES: { SYNC: number; DELETE: number };
  protocol: {
    RequestHeader: new () => RawRequestHeader;
    /** `{ ustring path }`: the same wire form as SyncRequest, which the library lacks */
    GetACLRequest: new () => RawRecord & { path: string };
  };
  Request: new (header: RawRequestHeader, payload: RawRecord) => RawRequest;
}

interface RawConnectionManager extends EventEmitter {
  state: number;
  socket?: Socket;
  packetQueue: EventEmitter;
  onPacketQueueReadable(): void;
  queue(request: RawRequest, callback: (error: RawException | null, response: RawResponse) => void): void;
  connectTimeout: number;
  connectTimeoutHandler: NodeJS.Timeout | null;
  getSessionId(): Buffer;
  getSessionTimeout(): number;
  setState(state: number): void;
  onSocketData(buffer: Buffer): void;
  onSocketConnected(): void;
  onSocketError(error: Error): void;
  /** the library's watch table: per path, an emitter whose 'notification' listeners are the watchers */
  watcherManager: Record<'dataWatchers' | 'childWatchers' | 'existenceWatchers', Record<string, EventEmitter>>;
}

interface RawClient extends EventEmitter {
  connectionManager: RawConnectionManager;
  connect(): void;
  close(): void;
  create(path: string, data: Buffer, acls: RawAcl[], mode: number, cb: Callback<[string]>): void;
  remove(path: string, version: number, cb: Callback<[]>): void;
  setData(path: string, data: Buffer, version: number, cb: Callback<[RawStat]>): void;
  getData(path: string, watcher: RawWatcher | undefined, cb: Callback<[Buffer | undefined, RawStat]>): void;
  exists(path: string, watcher: RawWatcher | undefined, cb: Callback<[RawStat | null]>): void;
  getChildren(path: string, watcher: RawWatcher | undefined, cb: Callback<[string[], RawStat]>): void;
  transaction(): RawTransaction;
}

interface RawLib {
  createClient(connectString: string, options: { sessionTimeout: number; spinDelay?: number; retries?: number }): RawClient;
  ACL: { OPEN_ACL_UNSAFE: RawAcl[] };
}

const zookeeper = createRequire(import.meta.url)('node-zookeeper-client') as RawLib;
const jute = createRequire(import.meta.url)('node-zookeeper-client/lib/jute/index.js') as RawJute;

/** ConnectionManager.STATES */
const CM = {
  DISCONNECTED: 0,
  CONNECTING: 1,
  CONNECTED: 2,
  CONNECTED_READ_ONLY: 3,
  CLOSING: -1,
  CLOSED: -2,
  SESSION_EXPIRED: -3,
  AUTHENTICATION_FAILED: -4,
} as const;
/** jute OP_CODES */
const OP = { CREATE: 1, DELETE: 2, SET_DATA: 5, CHECK: 13, ERROR: -1 } as const;
const CREATE_MODES: Record<CreateMode, number> = { persistent: 0, ephemeral: 1, persistent_sequential: 2, ephemeral_sequential: 3 };

// ---------------------------------------------------------------------------------------------

const DEFAULTS = {
  sessionTimeoutMs: 30_000,
  connectTimeoutMs: 15_000,
  retry: { baseMs: 1000, maxRetries: 10, maxDelayMs: 10_000 },
  operationTimeoutMs: 15_000,
  closeTimeoutMs: 3000,
};
/** Concurrent requests per removeRecursive level; ZooKeeper pipelines them on the one socket. */
const REMOVE_CONCURRENCY = 32;
const SILENT: ZkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

type Phase = ZkSessionState;

export interface ZkClientEvents {
  connected: [sessionId: bigint];
  disconnected: [];
  reconnected: [sessionId: bigint];
  expired: [info: { reason: 'server' | 'client-timeout' }];
}

/** What a session's owner or follower reacts to (ZkClient.followSession). */
export interface SessionEventHandlers {
  disconnected(): void;
  reconnected(): void;
  expired(): void;
}

export class ZkClient extends EventEmitter<ZkClientEvents> {
  private readonly opts: Required<Omit<ZkClientOptions, 'logger' | 'retry' | 'observer'>> & { retry: Required<NonNullable<ZkClientOptions['retry']>> };
  private readonly log: ZkLogger;
  private readonly observer?: ZkObserver;
  private raw?: RawClient;
  private currentPhase: Phase = 'connecting';
  private sid = 0n;
  private negotiatedTimeoutMs = 0;
  private expiryTimer?: NodeJS.Timeout;
  /** when the connection was last lost (Date.now() ms) */
  private disconnectedAt = 0;
  private watchdog?: NodeJS.Timeout;
  private readonly socketSeenAt = new WeakMap<Socket, number>();
  /** operations waiting for a connection */
  private readonly waiters = new Set<{ settle(code?: number, detail?: string): void }>();
  private readonly watcherWrappers = new WeakMap<Watcher, RawWatcher>();
  private closing?: Promise<void>;

  private constructor(opts: ZkClientOptions) {
    super();
    this.opts = {
      connectString: opts.connectString,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      retry: {
        baseMs: opts.retry?.baseMs ?? DEFAULTS.retry.baseMs,
        maxRetries: opts.retry?.maxRetries ?? DEFAULTS.retry.maxRetries,
        maxDelayMs: opts.retry?.maxDelayMs ?? DEFAULTS.retry.maxDelayMs,
      },
      operationTimeoutMs: opts.operationTimeoutMs ?? DEFAULTS.operationTimeoutMs,
      connectionWaitMs: opts.connectionWaitMs ?? Number.POSITIVE_INFINITY,
      closeTimeoutMs: opts.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
    };
    this.log = opts.logger ?? SILENT;
    this.observer = opts.observer;
    this.notify((o) => o.sessionState?.('connecting'));
  }

  private get phase(): Phase {
    return this.currentPhase;
  }

  private set phase(p: Phase) {
    if (p === this.currentPhase) return;
    this.currentPhase = p;
    this.notify((o) => o.sessionState?.(p));
  }

  private notify(fn: (o: ZkObserver) => void): void {
    if (!this.observer) return;
    try {
      fn(this.observer);
    } catch {
      // instrumentation must never break the client
    }
  }

  private observe(op: ZkOperation, started: number, error?: unknown): void {
    if (!this.observer?.operation) return;
    const seconds = (performance.now() - started) / 1000;
    const code = error === undefined ? undefined : error instanceof ZkError ? error.codeName : 'CLIENT_ERROR';
    this.notify((o) => o.operation?.(op, seconds, code));
  }

  /**
   * Resolves once a session is established. Each attempt is bounded by connectTimeoutMs; after
   * maxRetries failed retries it rejects with a CONNECTION_LOSS ZkError naming the connect string.
   */
  static async connect(opts: ZkClientOptions): Promise<ZkClient> {
    if (!opts.connectString || opts.connectString.trim() === '') {
      throw new ZkError(ZK_CODES.BAD_ARGUMENTS, undefined, 'empty ZooKeeper connect string');
    }
    const client = new ZkClient(opts);
    await client.open();
    return client;
  }

  /** The session id (0n before the first connection); unsigned, like Java's Long.toHexString. */
  get sessionId(): bigint {
    return this.sid;
  }

  get connected(): boolean {
    return this.phase === 'connected';
  }

  /** Where the session is now. */
  get state(): ZkSessionState {
    return this.phase;
  }

  /** The session timeout the server granted, in ms (0 before the first connection). */
  get sessionTimeoutMs(): number {
    return this.negotiatedTimeoutMs;
  }

  /**
   * When anything was last read from the server (Date.now() ms; 0 before the first connection).
   * The server answers pings every third of the session timeout, so a value older than that
   * means the session may be expiring unnoticed (process paused, silent partition): the leader
   * latch uses it to step down before the library reports anything.
   */
  get lastHeardAt(): number {
    const cm = this.raw?.connectionManager;
    return cm ? (lastRead.get(cm) ?? 0) : 0;
  }

  // -------------------------------------------------------------------------------------------
  // Connection lifecycle

  private async open(): Promise<void> {
    const { connectString, connectTimeoutMs, retry: policy } = this.opts;
    const started = Date.now();
    let lastProblem = '';
    let attempts = 0;
    try {
      await retry(
        async (n) => {
          attempts = n;
          const outcome = await this.attemptConnect();
          if (!outcome.ok) {
            lastProblem = outcome.problem;
            throw new AttemptFailed(outcome.problem);
          }
        },
        {
          isFinal: (e) => !(e instanceof AttemptFailed),
          baseMs: policy.baseMs,
          maxDelayMs: policy.maxDelayMs,
          maxAttempts: policy.maxRetries + 1,
          onRetry: ({ attempt, delayMs }) =>
            this.log.warn('ZooKeeper connect attempt failed, retrying', { connectString, attempt, problem: lastProblem, retryInMs: delayMs }),
        },
      );
    } catch (e) {
      this.phase = 'closed';
      if (!(e instanceof AttemptFailed)) throw e;
      throw new ZkError(
        ZK_CODES.CONNECTION_LOSS,
        undefined,
        `could not connect to ZooKeeper at '${connectString}': ${attempts} attempts of up to ${connectTimeoutMs} ms failed ` +
          `in ${Date.now() - started} ms (last: ${lastProblem})`,
      );
    }
    this.log.info('connected to ZooKeeper', {
      connectString,
      sessionId: `0x${this.sid.toString(16)}`,
      sessionTimeoutMs: this.negotiatedTimeoutMs,
      attempts,
    });
    this.emit('connected', this.sid);
  }

  /** One library client, given connectTimeoutMs to establish a session; torn down on failure. */
  private attemptConnect(): Promise<{ ok: true } | { ok: false; problem: string }> {
    const raw = zookeeper.createClient(this.opts.connectString, {
      sessionTimeout: this.opts.sessionTimeoutMs,
      // The library's own per-request retry would bypass the bounds above.
      retries: 0,
    });
    const cm = raw.connectionManager;
    let lastSocketError = '';
    this.instrument(raw, (e) => (lastSocketError = e.message));
    return new Promise((resolve) => {
      const done = (result: { ok: true } | { ok: false; problem: string }): void => {
        clearTimeout(timer);
        cm.off('state', onState);
        if (!result.ok) destroyTransport(raw);
        resolve(result);
      };
      const timer = setTimeout(
        () => done({ ok: false, problem: lastSocketError ? `${lastSocketError}` : `no session within ${this.opts.connectTimeoutMs} ms` }),
        this.opts.connectTimeoutMs,
      );
      const onState = (state: number): void => {
        if (state === CM.CONNECTED) {
          this.raw = raw;
          this.adopt(raw);
          done({ ok: true });
        } else if (state === CM.AUTHENTICATION_FAILED || state === CM.SESSION_EXPIRED) {
          done({ ok: false, problem: state === CM.SESSION_EXPIRED ? 'session expired during connect' : 'authentication failed' });
        }
      };
      cm.on('state', onState);
      try {
        raw.connect();
      } catch (e) {
        done({ ok: false, problem: (e as Error).message });
      }
    });
  }

  /**
   * Hooks into the connection manager (see the module comment): records reads for the watchdog,
   * keeps a throwing watcher or a parse error from escaping a socket callback, stops a shut-down
   * transport from completing a reconnect, and reports socket errors.
   */
  private instrument(raw: RawClient, onSocketError: (e: Error) => void): void {
    const cm = raw.connectionManager;
    const onData = cm.onSocketData;
    const onConnected = cm.onSocketConnected;
    const onError = cm.onSocketError;
    const log = this.log;
    // The library handles a chunk holding many packets by re-concatenating the rest of the chunk
    // after each packet (quadratic copying: a list's thousand pipelined answers arrive in a few
    // 64 KiB chunks). Cut here into whole packets (ZooKeeper frames each with its int32 length),
    // handed over one at a time: the library never keeps a partial packet, and copies nothing.
    let chunks: Buffer[] = [];
    let buffered = 0;
    cm.onSocketData = function (this: RawConnectionManager, chunk: Buffer): void {
      lastRead.set(cm, Date.now());
      try {
        chunks.push(chunk);
        buffered += chunk.length;
        while (buffered >= 4) {
          if (chunks[0].length < 4) chunks = [Buffer.concat(chunks, buffered)];
          const size = chunks[0].readInt32BE(0);
          if (size < 0) {
            // not a frame: let the library judge what it got
            const all = Buffer.concat(chunks, buffered);
            chunks = [];
            buffered = 0;
            onData.call(this, all);
            return;
          }
          if (buffered < size + 4) break;
          if (chunks[0].length < size + 4) chunks = [Buffer.concat(chunks, buffered)];
          const first = chunks[0];
          const packet = first.subarray(0, size + 4);
          if (first.length > size + 4) chunks[0] = first.subarray(size + 4);
          else chunks.shift();
          buffered -= size + 4;
          onData.call(this, packet);
        }
      } catch (e) {
        log.error('ZooKeeper client failed to process a server packet; dropping the connection', { error: (e as Error).message });
        chunks = [];
        buffered = 0;
        this.socket?.destroy();
      }
    };
    cm.onSocketConnected = function (this: RawConnectionManager): void {
      // a new connection starts with no partial packet
      chunks = [];
      buffered = 0;
      if (shutDown.has(cm)) {
        if (this.connectTimeoutHandler) clearTimeout(this.connectTimeoutHandler);
        this.socket?.destroy();
        return;
      }
      onConnected.call(this);
    };
    cm.onSocketError = function (this: RawConnectionManager, error: Error): void {
      onSocketError(error);
      onError.call(this, error);
    };
    // The library writes each request to the socket as it is queued: one syscall per request.
    // Corked until the end of this event-loop turn (setImmediate runs right after the I/O
    // callbacks), the requests issued together (a list's reads, the reads of the HTTP requests
    // that arrived together) leave in one write; the order is unchanged.
    cm.packetQueue.removeAllListeners('readable');
    cm.packetQueue.on('readable', () => {
      const socket = cm.socket;
      if (socket && !corked.has(socket) && (cm.state === CM.CONNECTED || cm.state === CM.CONNECTED_READ_ONLY)) {
        corked.add(socket);
        socket.cork();
        setImmediate(() => {
          corked.delete(socket);
          socket.uncork();
        });
      }
      cm.onPacketQueueReadable();
    });
  }

  /** Takes over a library client whose session was just established. */
  private adopt(raw: RawClient): void {
    const cm = raw.connectionManager;
    this.phase = 'connected';
    this.sid = cm.getSessionId().readBigUInt64BE(0);
    this.negotiatedTimeoutMs = cm.getSessionTimeout();
    lastRead.set(cm, Date.now());
    cm.on('state', (state: number) => this.onState(state));
    const tick = Math.max(100, Math.min(1000, Math.floor(this.negotiatedTimeoutMs / 10)));
    this.watchdog = setInterval(() => this.checkLiveness(), tick);
    this.watchdog.unref();
  }

  private onState(state: number): void {
    if (this.phase === 'closed' || this.phase === 'expired' || this.closing) return;
    const cm = this.raw?.connectionManager;
    switch (state) {
      case CM.CONNECTED:
      case CM.CONNECTED_READ_ONLY: {
        const sid = cm ? cm.getSessionId().readBigUInt64BE(0) : this.sid;
        this.negotiatedTimeoutMs = cm?.getSessionTimeout() ?? this.negotiatedTimeoutMs;
        clearTimeout(this.expiryTimer);
        this.expiryTimer = undefined;
        if (this.phase === 'connected') return;
        this.phase = 'connected';
        if (cm) lastRead.set(cm, Date.now());
        this.log.info('reconnected to ZooKeeper', { sessionId: `0x${sid.toString(16)}` });
        // The library resumes the same session or reports expiry, so sid cannot change here.
        this.sid = sid;
        this.emit('reconnected', sid);
        this.releaseWaiters();
        return;
      }
      case CM.DISCONNECTED:
      case CM.CONNECTING:
        if (this.phase !== 'connected') return;
        this.phase = 'disconnected';
        this.disconnectedAt = Date.now();
        this.log.warn('disconnected from ZooKeeper', { sessionId: `0x${this.sid.toString(16)}`, expiresInMs: this.negotiatedTimeoutMs });
        this.expiryTimer = setTimeout(() => this.expire('client-timeout'), this.negotiatedTimeoutMs);
        this.expiryTimer.unref();
        this.emit('disconnected');
        return;
      case CM.SESSION_EXPIRED:
        this.expire('server');
        return;
      case CM.AUTHENTICATION_FAILED:
        this.log.error('ZooKeeper authentication failed');
        return;
      default:
        return;
    }
  }

  private checkLiveness(): void {
    const cm = this.raw?.connectionManager;
    const socket = cm?.socket;
    if (!cm || !socket || socket.destroyed) return;
    const now = Date.now();
    if (cm.state === CM.CONNECTED || cm.state === CM.CONNECTED_READ_ONLY) {
      const last = lastRead.get(cm) ?? now;
      const readTimeout = Math.floor((this.negotiatedTimeoutMs * 2) / 3);
      if (now - last > readTimeout) {
        this.log.warn('no data from ZooKeeper server, dropping the connection', { silentForMs: now - last, readTimeoutMs: readTimeout });
        socket.destroy();
      }
    } else if (cm.state === CM.CONNECTING) {
      const seen = this.socketSeenAt.get(socket);
      if (seen === undefined) this.socketSeenAt.set(socket, now);
      else if (now - seen > cm.connectTimeout) socket.destroy();
    }
  }

  private expire(reason: 'server' | 'client-timeout'): void {
    if (this.phase === 'expired' || this.phase === 'closed') return;
    this.phase = 'expired';
    this.log.error('ZooKeeper session expired', { sessionId: `0x${this.sid.toString(16)}`, reason });
    this.teardown();
    this.releaseWaiters(ZK_CODES.SESSION_EXPIRED, 'the session has expired');
    this.emit('expired', { reason });
  }

  private teardown(): void {
    clearTimeout(this.expiryTimer);
    clearInterval(this.watchdog);
    this.expiryTimer = undefined;
    this.watchdog = undefined;
    if (this.raw) destroyTransport(this.raw);
  }

  /**
   * Closes the session (the server deletes its ephemeral nodes at once) and the connection.
   * If not connected, only the connection is torn down; the servers expire the session later.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const wasConnected = this.phase === 'connected';
    const raw = this.raw;
    clearTimeout(this.expiryTimer);
    clearInterval(this.watchdog);
    if (this.phase !== 'expired') this.phase = 'closed';
    this.releaseWaiters(ZK_CODES.CONNECTION_LOSS, 'the client is closed');
    if (!raw) return;
    if (wasConnected) {
      const cm = raw.connectionManager;
      const closed = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.opts.closeTimeoutMs);
        cm.on('state', (s: number) => {
          if (s === CM.CLOSED) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      raw.close();
      if (!(await closed)) this.log.warn('ZooKeeper did not confirm the session close in time', { closeTimeoutMs: this.opts.closeTimeoutMs });
    }
    destroyTransport(raw);
    this.log.info('ZooKeeper client closed', { sessionId: `0x${this.sid.toString(16)}` });
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  /** Waits for a usable connection until the deadline; rejects with the reason otherwise. */
  private ready(deadline: number, path: string | undefined): Promise<void> {
    if (this.phase === 'connected') return Promise.resolve();
    if (this.phase === 'expired') return Promise.reject(new ZkError(ZK_CODES.SESSION_EXPIRED, path, 'the session has expired'));
    if (this.phase === 'closed' || this.closing) return Promise.reject(new ZkError(ZK_CODES.CONNECTION_LOSS, path, 'the client is closed'));
    let why = `not connected to ZooKeeper within ${this.opts.operationTimeoutMs} ms`;
    if (this.phase === 'disconnected' && Number.isFinite(this.opts.connectionWaitMs)) {
      // fail fast: the connection has been away for a while, do not park the request
      const giveUpAt = this.disconnectedAt + this.opts.connectionWaitMs;
      const lostFor = Date.now() - this.disconnectedAt;
      if (Date.now() >= giveUpAt) return Promise.reject(new ZkError(ZK_CODES.CONNECTION_LOSS, path, `disconnected from ZooKeeper for ${lostFor} ms`));
      if (giveUpAt < deadline) {
        deadline = giveUpAt;
        why = `the connection to ZooKeeper did not come back within ${this.opts.connectionWaitMs} ms`;
      }
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        settle: (code?: number, detail?: string): void => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (code === undefined) resolve();
          else reject(new ZkError(code, path, detail));
        },
      };
      const timer = setTimeout(() => waiter.settle(ZK_CODES.CONNECTION_LOSS, why), Math.max(0, deadline - Date.now()));
      this.waiters.add(waiter);
    });
  }

  private releaseWaiters(code?: number, detail?: string): void {
    for (const w of [...this.waiters]) w.settle(code, detail);
  }

  /**
   * Runs one library call within operationTimeoutMs: waits for the connection, then for the
   * answer. Library errors (and its synchronous argument assertions) become ZkErrors with the path.
   */
  private async call<A extends unknown[]>(
    op: ZkOperation | undefined,
    path: string | undefined,
    invoke: (raw: RawClient, cb: Callback<A>) => void,
  ): Promise<A> {
    const deadline = Date.now() + this.opts.operationTimeoutMs;
    if (!op) return this.rawCall(path, invoke, deadline);
    const started = performance.now();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await this.rawCall(path, invoke, deadline);
          this.observe(op, started);
          return result;
        } catch (e) {
          // A read cut off by a dropped connection is sent again once the session is back on a
          // new connection (reads and sync change nothing, so a second try is safe; a write's
          // outcome is unknown and stays the caller's problem). Bounded by the same deadline
          // and connection wait as the first try, and by a few attempts.
          const retry =
            READ_OPS.has(op) &&
            attempt < MAX_READ_ATTEMPTS &&
            e instanceof ZkError &&
            e.codeName === 'CONNECTION_LOSS' &&
            this.phase === 'disconnected' &&
            Date.now() < deadline;
          if (!retry) throw e;
        }
      }
    } catch (e) {
      this.observe(op, started, e);
      throw e;
    }
  }

  private async rawCall<A extends unknown[]>(path: string | undefined, invoke: (raw: RawClient, cb: Callback<A>) => void, deadline: number): Promise<A> {
    // connected: the request is queued before this returns, so requests are sent in call order
    if (this.phase !== 'connected') await this.ready(deadline, path);
    const raw = this.raw;
    if (!raw) throw new ZkError(ZK_CODES.CONNECTION_LOSS, path, 'not connected');
    return new Promise<A>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () => {
          settled = true;
          reject(new ZkError(ZK_CODES.CONNECTION_LOSS, path, `no answer from ZooKeeper within ${this.opts.operationTimeoutMs} ms; the outcome is unknown`));
        },
        Math.max(0, deadline - Date.now()),
      );
      const cb: Callback<A> = (err, ...results) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(toZkError(err, path));
        else resolve(results);
      };
      try {
        invoke(raw, cb);
      } catch (e) {
        cb(e as Error, ...([] as unknown as A));
      }
    });
  }

  private wrapWatcher(watch: Watcher | undefined): RawWatcher | undefined {
    if (!watch) return undefined;
    // The library de-duplicates watchers per path by function identity, like the Java client
    // does per (watcher, path); reusing the wrapper keeps that behaviour.
    let wrapped = this.watcherWrappers.get(watch);
    if (!wrapped) {
      wrapped = (ev: RawEvent) => {
        try {
          watch({ type: ev.getName(), path: ev.getPath() });
        } catch (e) {
          this.log.error('ZooKeeper watcher threw', { path: ev.getPath(), error: (e as Error).message });
        }
      };
      this.watcherWrappers.set(watch, wrapped);
    }
    return wrapped;
  }

  /**
   * Forgets `watch` on every path `matches` accepts where it is set, as if those watches had fired:
   * it is not called for them any more, and they are not set again on the server after a
   * reconnection. The library restores every watch of the session in ONE SetWatches request when
   * it reconnects; with tens of thousands of watched paths that request is larger than the
   * servers accept (`jute.maxbuffer`, 1 MiB: "Len error", the connection is closed, and every
   * reconnection fails the same way until the session expires). A watcher that rebuilds its
   * state after a disconnection anyway (lib/nsdb/cache) forgets its watches when disconnected.
   * Returns how many watches were forgotten.
   */
  forgetWatches(watch: Watcher, matches: (path: string) => boolean): number {
    const wrapped = this.watcherWrappers.get(watch);
    const table = this.raw?.connectionManager.watcherManager;
    if (!wrapped || !table) return 0;
    let forgotten = 0;
    for (const kind of ['dataWatchers', 'childWatchers', 'existenceWatchers'] as const) {
      const byPath = table[kind];
      for (const path in byPath) {
        if (!matches(path)) continue;
        const emitter = byPath[path];
        const before = emitter.listenerCount('notification');
        emitter.removeListener('notification', wrapped);
        if (emitter.listenerCount('notification') < before) forgotten++;
        if (emitter.listenerCount('notification') === 0) delete byPath[path];
      }
    }
    return forgotten;
  }

  /**
   * Calls the handlers on this session's disconnects, reconnects and expiry until the returned
   * function is called (a node's session owner and the services following it move from one
   * client to the next this way).
   */
  followSession(h: SessionEventHandlers): () => void {
    const disconnected = (): void => h.disconnected();
    const reconnected = (): void => h.reconnected();
    const expired = (): void => h.expired();
    this.on('disconnected', disconnected);
    this.on('reconnected', reconnected);
    this.on('expired', expired);
    return () => {
      this.off('disconnected', disconnected);
      this.off('reconnected', reconnected);
      this.off('expired', expired);
    };
  }

  async getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: ZkStat }> {
    const w = this.wrapWatcher(watch);
    const [data, stat] = await this.call<[Buffer | undefined, RawStat]>('getData', path, (raw, cb) => raw.getData(path, w, cb));
    return { data: data ?? Buffer.alloc(0), stat: toStat(stat) };
  }

  async getChildren(path: string, watch?: Watcher): Promise<{ children: string[]; stat: ZkStat }> {
    const w = this.wrapWatcher(watch);
    const [children, stat] = await this.call<[string[], RawStat]>('getChildren', path, (raw, cb) => raw.getChildren(path, w, cb));
    return { children: children ?? [], stat: toStat(stat) };
  }

  /** The node's stat, or null if it does not exist (a watch then fires on its creation). */
  async exists(path: string, watch?: Watcher): Promise<ZkStat | null> {
    const w = this.wrapWatcher(watch);
    const [stat] = await this.call<[RawStat | null]>('exists', path, (raw, cb) => raw.exists(path, w, cb));
    return stat ? toStat(stat) : null;
  }

  /** Creates a node and returns its actual path (with the sequence suffix for sequential modes). */
  async create(path: string, data: Buffer = Buffer.alloc(0), mode: CreateMode = 'persistent'): Promise<string> {
    const flags = createFlags(mode, path);
    const [created] = await this.call<[string]>('create', path, (raw, cb) => raw.create(path, data, zookeeper.ACL.OPEN_ACL_UNSAFE, flags, cb));
    return created;
  }

  /**
   * Creates the path and any missing ancestors as empty persistent nodes. Idempotent; concurrent
   * creators (here or elsewhere) are fine because NODEEXISTS on any level counts as done.
   */
  async mkdirp(path: string): Promise<void> {
    validatePath(path);
    if (path === '/') return;
    if (await this.exists(path)) return;
    const parts = path.split('/').slice(1);
    // A concurrent removeRecursive can delete an ancestor between two creates; one more pass
    // then rebuilds it.
    for (let pass = 0; ; pass++) {
      try {
        let current = '';
        for (const part of parts) {
          current += `/${part}`;
          try {
            await this.create(current);
          } catch (e) {
            if (!isNodeExists(e)) throw e;
          }
        }
        return;
      } catch (e) {
        if (!(isNoNode(e) && pass < 2)) throw e;
      }
    }
  }

  async setData(path: string, data: Buffer, version = -1): Promise<ZkStat> {
    const [stat] = await this.call<[RawStat]>('setData', path, (raw, cb) => raw.setData(path, data, version, cb));
    return toStat(stat);
  }

  async remove(path: string, version = -1): Promise<void> {
    await this.call<[]>('remove', path, (raw, cb) => raw.remove(path, version, cb));
  }

  /**
   * Deletes the node and its whole subtree, children first. Nodes that vanish meanwhile are fine;
   * if children appear meanwhile (NOTEMPTY) the level is listed again, a few times. A missing
   * path is not an error.
   */
  async removeRecursive(path: string): Promise<void> {
    validatePath(path);
    if (path === '/') throw new ZkError(ZK_CODES.BAD_ARGUMENTS, path, 'refusing to remove the root');
    // children created meanwhile (NOTEMPTY): list the level again at once, a few times
    await retry(
      async () => {
        let children: string[];
        try {
          children = (await this.getChildren(path)).children;
        } catch (e) {
          if (isNoNode(e)) return;
          throw e;
        }
        await forEachLimit(children, REMOVE_CONCURRENCY, (c) => this.removeRecursive(`${path}/${c}`));
        try {
          await this.remove(path, -1);
        } catch (e) {
          if (!isNoNode(e)) throw e;
        }
      },
      { baseMs: 0, maxAttempts: 6, isFinal: (e) => !isNotEmpty(e) },
    );
  }

  /**
   * Runs the ops as one atomic ZooKeeper multi. While connected, the request is queued before
   * this returns (a request made afterwards on this client reaches the server after it, and is
   * answered from a state that includes its outcome). Resolves with one result per op; if the server
   * refuses it, rejects with ZkMultiError (opIndex = the op that failed, per-op results). A
   * connection problem rejects with a plain ZkError (CONNECTION_LOSS etc.) naming no op.
   */
  async multi(ops: ZkOp[]): Promise<MultiOpResult[]> {
    if (ops.length === 0) return [];
    const rawOps = ops.map(toRawOp);
    const started = performance.now();
    let rawResults: RawTxResult[] | undefined;
    try {
      [rawResults] = await this.call<[RawTxResult[] | undefined]>(undefined, undefined, (raw, cb) => {
        const tx = raw.transaction();
        tx.ops.push(...rawOps);
        // A refused multi comes back as (error of the failing op, per-op results); the results are
        // what matters, so they are passed on as the answer and judged below.
        tx.commit((err, results) => (results && results.length > 0 ? cb(null, results) : cb(err, results)));
      });
    } catch (e) {
      this.observe('multi', started, e);
      throw e;
    }
    const results = ops.map((op, i) => toResult(op, rawResults?.[i]));
    if (results.some((r) => r.code !== ZK_CODES.OK)) {
      const refused = new ZkMultiError(results);
      this.observe('multi', started, refused);
      throw refused;
    }
    this.observe('multi', started);
    return results;
  }

  /**
   * Makes sure the server this session talks to has applied every write committed before the
   * call (ZooKeeper's `sync`), and returns the zxid it answered with: the last transaction that
   * server had applied, hence at least every write committed before the call. Reads issued after
   * this call on the same session see at least that state. `sync` is no write: no log append,
   * no fsync, nothing to clean up; a missing path is fine.
   *
   * The library has no SYNC request: it is queued here as a hand-made request (a SyncRequest has
   * the wire form of GetACLRequest, `{ path }`) whose header reads DELETE except while it is
   * serialised, so that the library parses the answer as an empty DELETE response and hands over
   * the reply header (which carries the zxid).
   */
  async syncZxid(path: string): Promise<bigint> {
    validatePath(path);
    const [response] = await this.call<[RawResponse]>('sync', path, (raw, cb) => {
      const header = new jute.protocol.RequestHeader();
      header.type = jute.OP_CODES.DELETE;
      const payload = new jute.protocol.GetACLRequest();
      payload.path = path;
      const request = new jute.Request(header, payload);
      const toBuffer = request.toBuffer.bind(request);
      request.toBuffer = () => {
        header.type = jute.OP_CODES.SYNC;
        try {
          return toBuffer();
        } finally {
          header.type = jute.OP_CODES.DELETE;
        }
      };
      raw.connectionManager.queue(request, (error, res) => cb(error, res));
    });
    return readLong(response.header.zxid);
  }

  /** `syncZxid` without the zxid (kept for callers that only need the catch-up). */
  async sync(path: string): Promise<void> {
    await this.syncZxid(path);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Operations that change nothing on the server: re-sent after a dropped connection (ZkClient.call). */
const READ_OPS: ReadonlySet<ZkOperation> = new Set<ZkOperation>(['getData', 'getChildren', 'exists', 'sync']);
const MAX_READ_ATTEMPTS = 3;

/** Sockets corked until the end of the current tick (see instrument). */
const corked = new WeakSet<Socket>();
/** ConnectionManagers whose transport was shut down on purpose (must not reconnect). */
const shutDown = new WeakSet<RawConnectionManager>();
/** Last time anything was read from the server, per connection manager. */
const lastRead = new WeakMap<RawConnectionManager, number>();

/**
 * Stops a library client for good without relying on its close(), which only works while
 * connected: CLOSING makes the socket-close handler give up instead of reconnecting, the
 * instrumented connect handler kills a connection that a pending reconnect timer may still
 * open, and the current socket is destroyed (pending requests fail with CONNECTION_LOSS).
 */
function destroyTransport(raw: RawClient): void {
  const cm = raw.connectionManager;
  shutDown.add(cm);
  if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
  if (cm.state !== CM.CLOSED) cm.state = CM.CLOSING;
  cm.socket?.destroy();
  raw.removeAllListeners();
}

function toZkError(err: RawException | Error, path: string | undefined): ZkError {
  if (err instanceof ZkError) return err;
  const code = (err as RawException).code;
  if (typeof code === 'number' && typeof (err as RawException).getCode === 'function') return new ZkError(code, path, undefined, { cause: err });
  // Synchronous argument checks of the library (AssertionError: bad path, data too large, ...).
  return new ZkError(ZK_CODES.BAD_ARGUMENTS, path, err.message, { cause: err });
}

function readLong(b: Long | undefined): bigint {
  return b && b.length === 8 ? b.readBigUInt64BE(0) : 0n;
}

function readTime(b: Long | undefined): number {
  return b && b.length === 8 ? Number(b.readBigInt64BE(0)) : 0;
}

export function toStat(s: RawStat): ZkStat {
  return {
    czxid: readLong(s.czxid),
    mzxid: readLong(s.mzxid),
    pzxid: readLong(s.pzxid),
    ctime: readTime(s.ctime),
    mtime: readTime(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: readLong(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

function createFlags(mode: CreateMode, path: string): number {
  const flags = CREATE_MODES[mode];
  if (flags === undefined) throw new ZkError(ZK_CODES.BAD_ARGUMENTS, path, `unknown create mode '${String(mode)}'`);
  return flags;
}

function validatePath(path: string): void {
  const ok = typeof path === 'string' && path.startsWith('/') && (path === '/' || (!path.endsWith('/') && !path.includes('//') && !/\/\.\.?(\/|$)/.test(path)));
  if (!ok) throw new ZkError(ZK_CODES.BAD_ARGUMENTS, String(path), 'invalid ZooKeeper path');
}

function toRawOp(op: ZkOp): RawTxOp {
  validatePath(op.path);
  switch (op.op) {
    case 'create':
      return {
        type: OP.CREATE,
        path: op.path,
        data: op.data ?? Buffer.alloc(0),
        acls: zookeeper.ACL.OPEN_ACL_UNSAFE,
        mode: createFlags(op.mode ?? 'persistent', op.path),
      };
    case 'setData':
      return { type: OP.SET_DATA, path: op.path, data: op.data, version: op.version };
    case 'remove':
      return { type: OP.DELETE, path: op.path, version: op.version };
    case 'check':
      return { type: OP.CHECK, path: op.path, version: op.version };
    default:
      throw new ZkError(ZK_CODES.BAD_ARGUMENTS, (op as { path?: string }).path, `unknown multi op '${String((op as { op?: unknown }).op)}'`);
  }
}

function toResult(op: ZkOp, r: RawTxResult | undefined): MultiOpResult {
  if (!r) return { op: op.op, code: ZK_CODES.SYSTEM_ERROR, path: op.path };
  if (r.type === OP.ERROR) return { op: op.op, code: r.err ?? ZK_CODES.SYSTEM_ERROR, path: op.path };
  const result: MultiOpResult = { op: op.op, code: ZK_CODES.OK, path: r.path ?? op.path };
  if (r.stat) result.stat = toStat(r.stat);
  return result;
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A connect attempt that did not establish a session (retried). */
class AttemptFailed extends Error {}
