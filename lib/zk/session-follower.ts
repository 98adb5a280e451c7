/**
 * Follows the ZooKeeper session a long-lived recipe (leader latch, service registration) lives
 * on. A ZkClient is one session and dies with it (client.ts), so a recipe that must outlive a
 * session expiry needs its next client from somewhere: either its owner hands it over
 * (`setClient`, e.g. when the node re-creates its session), or the recipe was given a
 * `reconnect` factory and makes one itself, retrying with backoff until it succeeds or the
 * recipe is closed. Clients made by the factory belong to the follower and are closed with it;
 * a client handed in stays its owner's.
 *
 * The recipe sees four callbacks: disconnected (the session may live on: Curator's SUSPENDED),
 * reconnected (same session back), expired (the session is gone: Curator's LOST), and client
 * (a new session to start over on).
 */
import { isRetryAborted, retry } from '../retry.js';
import type { SessionEventHandlers, ZkClient, ZkLogger } from './client.js';

export interface SessionCallbacks {
  disconnected(): void;
  reconnected(): void;
  expired(): void;
  client(client: ZkClient): void;
}

export interface SessionFollowerOptions {
  /** makes a new session after the current one expired; without it, wait for setClient */
  reconnect?: () => Promise<ZkClient>;
  logger: ZkLogger;
  /** for log lines: which recipe this is */
  what: string;
  /** ceiling of the first wait between `reconnect` attempts, doubled up to maxRetryMs, full jitter (lib/retry.ts); default 1000 / 30000 */
  retryMs?: number;
  maxRetryMs?: number;
}

export class SessionFollower {
  private current: ZkClient;
  private owned = false;
  private closed = false;
  private reconnecting = false;
  /** aborted by close(): ends a reconnection in progress */
  private readonly closing = new AbortController();
  private readonly handlers: SessionEventHandlers = {
    disconnected: () => this.cb.disconnected(),
    reconnected: () => this.cb.reconnected(),
    expired: () => {
      this.cb.expired();
      void this.reconnect();
    },
  };
  private unfollow: () => void;

  constructor(
    client: ZkClient,
    private readonly cb: SessionCallbacks,
    private readonly opts: SessionFollowerOptions,
  ) {
    this.current = client;
    this.unfollow = client.followSession(this.handlers);
  }

  get client(): ZkClient {
    return this.current;
  }

  /** Whether the current session is gone for good (expired or closed) and a new one is needed. */
  get dead(): boolean {
    const s = this.current.state;
    return s === 'expired' || s === 'closed';
  }

  /**
   * Switches to another session's client (the caller keeps owning it unless `owned`). The recipe
   * gets `client(next)` and starts over on it. A client of ours being replaced is closed.
   */
  setClient(next: ZkClient, owned = false): void {
    if (this.closed) return;
    if (next === this.current) return;
    const prev = this.current;
    const prevOwned = this.owned;
    this.unfollow();
    this.current = next;
    this.owned = owned;
    this.unfollow = next.followSession(this.handlers);
    if (prevOwned) void prev.close().catch(() => undefined);
    this.cb.client(next);
  }

  /** Makes a new session with the factory if the current one is dead (no-op without a factory). */
  async reconnect(): Promise<void> {
    const make = this.opts.reconnect;
    if (!make || this.reconnecting || this.closed || !this.dead) return;
    this.reconnecting = true;
    const log = this.opts.logger;
    try {
      await retry(
        async () => {
          if (!this.dead) return; // handed a new session meanwhile
          const zk = await make();
          if (this.closed) {
            await zk.close().catch(() => undefined);
            return;
          }
          log.info(`${this.opts.what}: new ZooKeeper session`, { sessionId: `0x${zk.sessionId.toString(16)}` });
          this.setClient(zk, true);
        },
        {
          baseMs: this.opts.retryMs ?? 1000,
          maxDelayMs: this.opts.maxRetryMs ?? 30_000,
          signal: this.closing.signal,
          // a recipe's background reconnection must not keep the process alive
          unref: true,
          onRetry: ({ error, delayMs }) =>
            log.warn(`${this.opts.what}: could not open a new ZooKeeper session, retrying`, { error: (error as Error).message, retryInMs: delayMs }),
        },
      );
    } catch (e) {
      if (!isRetryAborted(e)) throw e;
    } finally {
      this.reconnecting = false;
    }
  }

  /** Stops following; closes the client if it is ours. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.unfollow();
    if (this.owned) await this.current.close().catch(() => undefined);
  }
}
