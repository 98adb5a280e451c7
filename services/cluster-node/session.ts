/**
 * The node's NSDB session: one ZooKeeper session at a time, kept for the node's whole life.
 *
 * - Opening retries for ever (until close), with exponential backoff and jitter between
 *   attempts (lib/retry.ts), so a node started while ZooKeeper is down waits for it (its /readyz says so) instead
 *   of exiting.
 * - A ZkClient is one session and dies with it (lib/zk/client.ts): after an expiry (reported by
 *   the server, or by the client-side timer when disconnected longer than the session timeout)
 *   a NEW session is opened the same way, and 'client' hands it to everything that lives on the
 *   session (the NSDB store, service discovery, leader latches), which start over on it;
 *   'expired' comes first (the node's services that restart with the session stop then).
 * - 'state' reports every change of the current session's state, for readiness.
 *
 * Clients made here belong to the NodeSession and are closed by close().
 */
import { EventEmitter } from 'node:events';
import { isRetryAborted, retry } from '../../lib/retry.js';
import type { SessionEventHandlers, ZkClient, ZkLogger, ZkSessionState } from '../../lib/zk/client.js';

export interface NodeSessionOptions {
  /** one connection attempt (a ZkClient.connect without retries of its own) */
  connect: () => Promise<ZkClient>;
  logger: ZkLogger;
  /** ceiling of the first wait between attempts, doubled up to maxRetryMs, full jitter (lib/retry.ts); default 1000 / 10000 */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface NodeSessionEvents {
  /** a new session (the first one, or one after an expiry) */
  client: [client: ZkClient];
  /** the current session's state changed ('connecting' while there is none) */
  state: [state: ZkSessionState];
  /** the current session is gone for good; a new one is being opened ('client' follows) */
  expired: [];
}

export type NodeSessionState = ZkSessionState;

export class NodeSession extends EventEmitter<NodeSessionEvents> {
  private current?: ZkClient;
  private closed = false;
  private opening?: Promise<ZkClient | undefined>;
  /** aborted by close(): ends the connection attempts */
  private readonly closing = new AbortController();
  private attempts = 0;
  private sessions = 0;

  constructor(private readonly opts: NodeSessionOptions) {
    super();
  }

  /** The current session's client, if there is one (it may be disconnected or expired). */
  get client(): ZkClient | undefined {
    return this.current;
  }

  /** 'connecting' while no session is established yet (or a new one is being opened). */
  get state(): NodeSessionState {
    if (this.closed) return 'closed';
    const c = this.current;
    if (!c || c.state === 'expired' || c.state === 'closed') return this.opening ? 'connecting' : (c?.state ?? 'connecting');
    return c.state;
  }

  /** Sessions opened so far (1 after the first, +1 after every expiry). */
  get sessionCount(): number {
    return this.sessions;
  }

  /** Failed connection attempts since the last success. */
  get failedAttempts(): number {
    return this.attempts;
  }

  /**
   * Resolves with the first session's client once it is established (retrying until then), or
   * with undefined if the session is closed first.
   */
  open(): Promise<ZkClient | undefined> {
    if (this.current && this.current.state !== 'expired' && this.current.state !== 'closed') return Promise.resolve(this.current);
    this.opening ??= this.connectLoop().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Closes the current session (ephemeral nodes go at once) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    const c = this.current;
    if (c) {
      this.unfollow?.();
      await c.close().catch(() => undefined);
    }
    await this.opening?.catch(() => undefined);
    this.emit('state', 'closed');
  }

  private async connectLoop(): Promise<ZkClient | undefined> {
    const log = this.opts.logger;
    this.emit('state', 'connecting');
    try {
      return await retry(
        async () => {
          const zk = await this.opts.connect();
          if (this.closed) {
            await zk.close().catch(() => undefined);
            return undefined;
          }
          this.attempts = 0;
          this.sessions++;
          const prev = this.current;
          if (prev) {
            this.unfollow?.();
            void prev.close().catch(() => undefined); // expired: only its transport is left
          }
          this.current = zk;
          this.unfollow = zk.followSession(this.handlers);
          log.info('ZooKeeper session established', {
            sessionId: `0x${zk.sessionId.toString(16)}`,
            sessionTimeoutMs: zk.sessionTimeoutMs,
            sessions: this.sessions,
          });
          this.emit('client', zk);
          this.emit('state', zk.state);
          return zk;
        },
        {
          baseMs: this.opts.retryMs ?? 1000,
          maxDelayMs: this.opts.maxRetryMs ?? 10_000,
          signal: this.closing.signal,
          onRetry: ({ attempt, error, delayMs }) => {
            this.attempts = attempt;
            log.warn('cannot open a ZooKeeper session, retrying', { attempt, error: (error as Error).message, retryInMs: delayMs });
          },
        },
      );
    } catch (e) {
      if (isRetryAborted(e)) return undefined;
      throw e;
    }
  }

  private readonly handlers: SessionEventHandlers = {
    disconnected: () => this.emit('state', 'disconnected'),
    reconnected: () => this.emit('state', 'connected'),
    expired: () => {
      if (this.closed) return;
      this.opts.logger.warn('ZooKeeper session lost: opening a new one');
      this.emit('expired');
      void this.open();
    },
  };
  /** Stops following the current client's session events. */
  private unfollow?: () => void;
}
