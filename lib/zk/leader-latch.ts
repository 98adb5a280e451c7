/**
 * A leader latch that takes part in the same election as Apache Curator's `LeaderLatch`
 * (services.md §0.2), so TypeScript and Java cluster nodes can share a latch path:
 *
 * - join: an EPHEMERAL_SEQUENTIAL child of the latch path named `_c_<uuid>-latch-<10-digit seq>`
 *   (Curator's protected mode), data = the participant id in UTF-8; missing parents are created
 *   persistent (what Curator 2.x does against ZooKeeper 3.4).
 * - evaluate: children sorted by the text after the last `latch-`; the first is the leader.
 *   Anyone else watches only its immediate predecessor (getData, as Curator does, so no watch is
 *   left behind on a node that is already gone) and evaluates again when it goes.
 * - own node missing from the list: join again (Curator's reset).
 * - disconnected (Curator's SUSPENDED) or expired (LOST): leadership is dropped at once.
 *   Reconnected with the same session: evaluate again; the node is still there, so a leader that
 *   only blipped gets leadership back without losing its place (Curator ≥ 3 behaviour; Curator 2.x
 *   re-joined at the end of the queue, which turns every blip into a failover). A new session (the
 *   old one expired): join with a fresh node, after removing any node of ours left over.
 * - protected mode: the uuid is fixed for the latch's life, so nodes of ours are recognisable by
 *   prefix. A create whose answer was lost (CONNECTION_LOSS after the server applied it) leaves a
 *   node of our session that the next join adopts; a node of an earlier session of ours (not yet
 *   expired on the server) is deleted so the election does not wait for its expiry.
 * - close: leadership dropped (notLeader), own node deleted; the next in line becomes leader.
 *
 * Pauses: the library learns of an expired session only when a server says so. After a long
 * stop (SIGSTOP, a stalled event loop) the process may run a timer before it reads its socket,
 * so `isLeader` also requires that the server was heard from within 2/3 of the session timeout
 * (the server answers pings every 1/3), and a periodic check steps down (notLeader) when that is
 * no longer true.
 *
 * Fencing: being told "you are the leader" is not proof at the moment of acting. `fence()` gives a
 * `check` op on our latch node; put it in the same multi as the leader's writes
 * (`fencedMulti`). The node exists only while our session lives, and while it exists it is the
 * first child (sequence numbers only grow), so at the multi's zxid nobody else can be leader. A
 * stale leader's multi fails (NONODE on the check, or SESSION_EXPIRED on its dead session).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Backoff } from '../retry.js';
import type { MultiOpResult, Watcher, ZkClient, ZkLogger, ZkOp } from './client.js';
import { ZkMultiError, isNoNode } from './errors.js';
import { joinPath } from './paths.js';
import { SessionFollower } from './session-follower.js';

/** Curator's LeaderLatch LOCK_NAME. */
export const LATCH_LOCK_NAME = 'latch-';
/** Curator's CreateBuilderImpl.PROTECTED_PREFIX. */
export const PROTECTED_PREFIX = '_c_';

/** The sort key Curator uses (LockInternals.standardFixForSorting): the text after the last `latch-`. */
export function latchSortKey(child: string, lockName = LATCH_LOCK_NAME): string {
  const i = child.lastIndexOf(lockName);
  return i >= 0 ? child.slice(i + lockName.length) : child;
}

/** Children in election order (a copy); string order of the 10-digit sequences, like Java's compareTo. */
export function sortLatchChildren(children: readonly string[]): string[] {
  return [...children].sort((a, b) => {
    const ka = latchSortKey(a);
    const kb = latchSortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
}

export type LatchState = 'latent' | 'started' | 'closed';

export interface LeaderLatchOptions {
  /** participant id, stored as the node's data (Curator: "" for most latches, the node UUID for C3PO) */
  id?: string;
  logger?: ZkLogger;
  /** makes a new session when the current one expired; without it, the owner calls setClient */
  reconnect?: () => Promise<ZkClient>;
  /** ceiling of the first wait before retrying a failed join/evaluation while connected, doubled up to 30 s, full jitter (lib/retry.ts); default 1000 */
  retryDelayMs?: number;
}

export interface LeaderLatchEvents {
  isLeader: [];
  notLeader: [];
}

export interface LatchParticipant {
  id: string;
  /** full path of its latch node */
  path: string;
  isLeader: boolean;
}

interface OwnNode {
  path: string;
  name: string;
  version: number;
  sessionId: bigint;
}

const SILENT: ZkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MAX_RETRY_MS = 30_000;

export class LeaderLatch extends EventEmitter<LeaderLatchEvents> {
  readonly path: string;
  readonly id: string;
  /** the uuid of our protected-mode names, `_c_<protectedId>-latch-…` */
  readonly protectedId = randomUUID();
  private readonly log: ZkLogger;
  private readonly session: SessionFollower;
  private st: LatchState = 'latent';
  private leader = false;
  private own?: OwnNode;
  /** bumped whenever earlier async work must be ignored: a new join, a new session, close */
  private gen = 0;
  /** waits between retries of a failed join/evaluation (lib/retry.ts), reset by a good one */
  private readonly backoff: Backoff;
  private retryTimer?: NodeJS.Timeout;
  private staleTimer?: NodeJS.Timeout;
  /** stepped down because the session went quiet; evaluate again once it is heard from */
  private steppedDownStale = false;
  private joinedResolve?: () => void;
  private watcher?: { gen: number; fn: Watcher };
  private readonly joined: Promise<void>;

  constructor(client: ZkClient, latchPath: string, opts: LeaderLatchOptions = {}) {
    super();
    this.path = joinPath(latchPath);
    this.id = opts.id ?? '';
    this.log = opts.logger ?? SILENT;
    this.backoff = new Backoff({ baseMs: opts.retryDelayMs ?? 1000, maxDelayMs: MAX_RETRY_MS });
    this.joined = new Promise((resolve) => (this.joinedResolve = resolve));
    this.session = new SessionFollower(
      client,
      {
        disconnected: () => this.setLeadership(false, 'disconnected from ZooKeeper'),
        reconnected: () => {
          if (this.st !== 'started') return;
          if (this.own && this.own.sessionId === this.client.sessionId) void this.evaluate(this.gen);
          else void this.join();
        },
        expired: () => {
          this.gen++;
          this.own = undefined; // the server deletes it with the session
          this.setLeadership(false, 'ZooKeeper session expired');
        },
        client: () => {
          this.gen++;
          this.setLeadership(false, 'new ZooKeeper session');
          // The old node (if the server still has it) is found by prefix and removed in join().
          this.own = undefined;
          if (this.st === 'started') void this.join();
        },
      },
      { reconnect: opts.reconnect, logger: this.log, what: `leader latch ${this.path}` },
    );
  }

  get client(): ZkClient {
    return this.session.client;
  }

  get state(): LatchState {
    return this.st;
  }

  /**
   * True only while started, the latch's node is the first, the session is connected and the
   * server was heard from recently (see the module comment). Re-read it before every leader
   * action, and fence the action's writes.
   */
  get isLeader(): boolean {
    return this.st === 'started' && this.leader && this.sessionFresh();
  }

  /** Full path of our latch node, if we have one. */
  get ourPath(): string | undefined {
    return this.own?.path;
  }

  /**
   * Joins the election. Resolves once our node exists and our place is known (leader, or
   * watching the predecessor), or when the latch is closed first. Connection problems are
   * retried in the background (so with ZooKeeper unreachable this waits; race it with a timer if
   * that matters).
   */
  start(): Promise<void> {
    if (this.st !== 'latent') return Promise.reject(new Error(`leader latch ${this.path} cannot be started: it is ${this.st}`));
    this.st = 'started';
    const tick = (): void => this.checkFreshness();
    this.staleTimer = setInterval(tick, 100);
    this.staleTimer.unref();
    if (this.session.dead) void this.session.reconnect();
    else void this.join();
    return this.joined;
  }

  /**
   * Leaves the election: leadership dropped (notLeader if we had it) before our node is deleted,
   * so we stop acting before the next participant starts. The client is left open unless the
   * latch made it itself (the `reconnect` factory).
   */
  async close(): Promise<void> {
    if (this.st === 'closed') return;
    const wasStarted = this.st === 'started';
    this.st = 'closed';
    this.gen++;
    clearTimeout(this.retryTimer);
    clearInterval(this.staleTimer);
    this.setLeadership(false, 'latch closed');
    const own = this.own;
    this.own = undefined;
    const zk = this.client;
    if (wasStarted && own && own.sessionId === zk.sessionId && zk.state === 'connected') {
      try {
        await zk.remove(own.path);
      } catch (e) {
        // NONODE: already gone. Anything else: the session ends soon and takes it along.
        if (!isNoNode(e)) this.log.warn('leader latch: could not delete our node on close', { path: own.path, error: (e as Error).message });
      }
    }
    this.joinedResolve?.();
    await this.session.close();
  }

  /** Switches to a new session's client (after the previous one expired); joins again on it. */
  setClient(client: ZkClient): void {
    this.session.setClient(client);
  }

  /**
   * A ZooKeeper op that succeeds only while we hold the latch: a version check of our latch
   * node. Throws NotLeaderError when we are not the leader now.
   */
  fence(): ZkOp {
    const own = this.own;
    if (!this.isLeader || !own) throw new NotLeaderError(`not the leader of ${this.path}`);
    return { op: 'check', path: own.path, version: own.version };
  }

  /**
   * Runs the ops as one multi behind our fence, on `client` (default: the latch's own). Resolves
   * with the ops' results (the fence's left out). NotLeaderError if we are not the leader, or if
   * the fence failed on the server (we lost the latch meanwhile; nothing was applied).
   */
  async fencedMulti(ops: ZkOp[], client: ZkClient = this.client): Promise<MultiOpResult[]> {
    const fence = this.fence();
    try {
      const results = await client.multi([fence, ...ops]);
      return results.slice(1);
    } catch (e) {
      if (e instanceof ZkMultiError && e.opIndex === 0) {
        this.log.warn('leader latch: fenced write refused, we are no longer the leader', { path: this.path, code: e.codeName });
        throw new NotLeaderError(`lost the leadership of ${this.path} (${e.codeName})`, { cause: e });
      }
      throw e;
    }
  }

  /** Resolves true once we are the leader, false after timeoutMs or when the latch closes. */
  waitForLeadership(timeoutMs: number): Promise<boolean> {
    if (this.isLeader) return Promise.resolve(true);
    if (this.st === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean): void => {
        clearTimeout(timer);
        clearInterval(closedPoll);
        this.off('isLeader', onLeader);
        resolve(v);
      };
      const onLeader = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      const closedPoll = setInterval(() => this.st === 'closed' && done(false), 200);
      closedPoll.unref();
      this.on('isLeader', onLeader);
    });
  }

  /** The participants in election order, read from ZooKeeper now (may differ from isLeader). */
  async getParticipants(): Promise<LatchParticipant[]> {
    const zk = this.client;
    let children: string[];
    try {
      children = (await zk.getChildren(this.path)).children;
    } catch (e) {
      if (isNoNode(e)) return [];
      throw e;
    }
    const out: LatchParticipant[] = [];
    for (const name of sortLatchChildren(children)) {
      const path = joinPath(this.path, name);
      try {
        const { data } = await zk.getData(path);
        out.push({ id: data.toString('utf8'), path, isLeader: out.length === 0 });
      } catch (e) {
        if (!isNoNode(e)) throw e;
      }
    }
    return out;
  }

  /** The current leader as ZooKeeper sees it now, or null if nobody takes part. */
  async getLeader(): Promise<LatchParticipant | null> {
    return (await this.getParticipants())[0] ?? null;
  }

  // -------------------------------------------------------------------------------------------

  private sessionFresh(): boolean {
    const zk = this.client;
    if (!zk.connected) return false;
    const staleAfter = Math.floor((zk.sessionTimeoutMs * 2) / 3);
    return Date.now() - zk.lastHeardAt < staleAfter;
  }

  private checkFreshness(): void {
    if (this.st !== 'started') return;
    const fresh = this.sessionFresh();
    if (this.leader && !fresh) {
      this.steppedDownStale = true;
      this.setLeadership(false, `no answer from ZooKeeper for ${Date.now() - this.client.lastHeardAt} ms (session timeout ${this.client.sessionTimeoutMs} ms)`);
    } else if (this.steppedDownStale && fresh) {
      this.steppedDownStale = false;
      if (this.own) void this.evaluate(this.gen);
    }
  }

  private setLeadership(value: boolean, why: string): void {
    if (this.leader === value) return;
    this.leader = value;
    if (value) this.log.info('leader latch: we are the leader', { path: this.path, node: this.own?.name });
    else this.log.info('leader latch: we are not the leader', { path: this.path, reason: why });
    try {
      this.emit(value ? 'isLeader' : 'notLeader');
    } catch (e) {
      this.log.error('leader latch listener threw', { path: this.path, error: (e as Error).message });
    }
  }

  /** Curator's reset: a (fresh or adopted) node, then evaluate. */
  private async join(): Promise<void> {
    if (this.st !== 'started') return;
    const gen = ++this.gen;
    clearTimeout(this.retryTimer);
    this.setLeadership(false, 'joining the election');
    const old = this.own;
    this.own = undefined;
    const zk = this.client;
    try {
      if (old && old.sessionId === zk.sessionId) {
        await zk.remove(old.path).catch((e: unknown) => {
          if (!isNoNode(e)) throw e;
        });
      }
      const prefix = `${PROTECTED_PREFIX}${this.protectedId}-`;
      let children: string[] = [];
      try {
        children = (await zk.getChildren(this.path)).children;
      } catch (e) {
        if (!isNoNode(e)) throw e;
      }
      let adopted: OwnNode | undefined;
      for (const name of children.filter((c) => c.startsWith(prefix))) {
        const path = joinPath(this.path, name);
        const stat = await zk.exists(path);
        if (!stat) continue;
        if (!adopted && stat.ephemeralOwner === zk.sessionId) {
          adopted = { path, name, version: stat.version, sessionId: zk.sessionId };
          this.log.info('leader latch: adopting our node from a create whose answer was lost', { path });
          continue;
        }
        this.log.info('leader latch: removing a leftover node of ours', { path, owner: `0x${stat.ephemeralOwner.toString(16)}` });
        await zk.remove(path).catch((e: unknown) => {
          if (!isNoNode(e)) throw e;
        });
      }
      const own = adopted ?? (await this.createNode(zk));
      if (gen !== this.gen || this.st !== 'started') {
        // Superseded while creating (closed, new session, another join): the node is an orphan.
        if (zk.state === 'connected') await zk.remove(own.path).catch(() => undefined);
        return;
      }
      this.own = own;
      await this.evaluate(gen);
    } catch (e) {
      this.failed(gen, e, 'join');
    }
  }

  private async createNode(zk: ZkClient): Promise<OwnNode> {
    const base = joinPath(this.path, `${PROTECTED_PREFIX}${this.protectedId}-${LATCH_LOCK_NAME}`);
    const data = Buffer.from(this.id, 'utf8');
    let path: string;
    try {
      path = await zk.create(base, data, 'ephemeral_sequential');
    } catch (e) {
      if (!isNoNode(e)) throw e;
      await zk.mkdirp(this.path);
      path = await zk.create(base, data, 'ephemeral_sequential');
    }
    const name = path.slice(path.lastIndexOf('/') + 1);
    return { path, name, version: 0, sessionId: zk.sessionId };
  }

  /** Curator's getChildren + checkLeadership. */
  private async evaluate(gen: number): Promise<void> {
    if (gen !== this.gen || this.st !== 'started') return;
    const zk = this.client;
    try {
      let children: string[];
      try {
        children = (await zk.getChildren(this.path)).children;
      } catch (e) {
        if (!isNoNode(e)) throw e;
        children = [];
      }
      if (gen !== this.gen || this.st !== 'started') return;
      const own = this.own;
      const sorted = sortLatchChildren(children);
      const index = own ? sorted.indexOf(own.name) : -1;
      if (index < 0) {
        this.log.warn('leader latch: our node is gone, joining again', { path: this.path, node: own?.name });
        void this.join();
        return;
      }
      this.backoff.reset();
      const watcher = this.watcherFor(gen);
      if (index === 0) {
        // Beyond Curator: the leader watches its own node, so a node deleted behind its back (by
        // an operator, a cleanup tool) makes it step down and re-join instead of leading on
        // while the next in line leads too.
        if (!(await zk.exists(own!.path, watcher))) {
          await this.evaluate(gen);
          return;
        }
        if (gen !== this.gen || this.st !== 'started') return;
        this.joinedResolve?.();
        // Granted only on a live, fresh session; otherwise reconnect/freshness re-evaluates.
        if (this.sessionFresh()) this.setLeadership(true, 'first in line');
        else this.steppedDownStale = true;
        return;
      }
      this.setLeadership(false, 'not first in line');
      const predecessor = joinPath(this.path, sorted[index - 1]);
      try {
        await zk.getData(predecessor, watcher);
        this.joinedResolve?.();
      } catch (e) {
        if (!isNoNode(e)) throw e;
        await this.evaluate(gen); // already gone: look again
      }
    } catch (e) {
      this.failed(gen, e, 'evaluate');
    }
  }

  /**
   * One watcher function per generation: the library keeps one registration per (function,
   * path), so evaluating again (a reconnect, a data event) does not pile up watchers.
   */
  private watcherFor(gen: number): Watcher {
    if (this.watcher?.gen !== gen) {
      const fn: Watcher = () => {
        // NODE_DELETED is the one that matters; anything else (a data change) consumed the watch,
        // so evaluating again also re-arms it.
        if (gen === this.gen && this.st === 'started') void this.evaluate(gen);
      };
      this.watcher = { gen, fn };
    }
    return this.watcher.fn;
  }

  /**
   * A join or evaluation failed. Disconnected or expired: the session callbacks take it from
   * there. Connected (a timeout, a server-side error): retry with backoff.
   */
  private failed(gen: number, e: unknown, what: string): void {
    if (gen !== this.gen || this.st !== 'started') return;
    const zk = this.client;
    this.log.warn(`leader latch: ${what} failed`, { path: this.path, error: (e as Error).message, session: zk.state });
    if (zk.state !== 'connected') return;
    const delay = this.backoff.next();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (gen !== this.gen || this.st !== 'started') return;
      if (this.own) void this.evaluate(gen);
      else void this.join();
    }, delay);
    this.retryTimer.unref();
  }
}
