/**
 * The one lifecycle of the node's services (./service.ts; the original's minion Daemon,
 * services.md §0):
 *
 * - start(): each service's switch is read once; a disabled one is never started and shows
 *   `disabled`. Every-node services start in parallel, each bounded by the start timeout (the
 *   original's 15 s); a leader-only one declares its latch as a slot of LeaderServices and starts
 *   when this node leads it (`standby` meanwhile), stops when it does not any more.
 * - A start that throws or times out: `failed` (logged), stop() called to release what it took;
 *   the node runs on with the others and the failed service stays down until the node restarts.
 *   A leader-only service that failed also leaves its latch, so another node takes over.
 * - stop(): the services one by one, the last declared first, each stop bounded by the stop
 *   timeout; one that does not stop in time is logged and abandoned.
 * - ZooKeeper session expiry: `onSessionExpiry: 'restart'` services are stopped when the node's
 *   session expires (`standby`) and started again on the next one; leader-only ones follow their
 *   latch, which drops leadership with the session and joins again on the new one.
 *
 * Start and stop of one service are serialised. health() is each service's summary; 'change' is
 * emitted whenever one changed (the node publishes them in service discovery).
 */
import { EventEmitter } from 'node:events';
import type { Settings } from '../../lib/conf/settings.js';
import { getLogger, type Logger } from '../../lib/log/logger.js';
import type { NodeMetrics } from '../../lib/metrics/metrics.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { ZkClient } from '../../lib/zk/client.js';
import type { LeaderContext, LeaderServices } from './leader-services.js';
import type { ClusterService, ServiceContext, ServiceHealth, ServiceState } from './service.js';
import type { NodeSession } from './session.js';

/** The original Daemon awaits each minion's start this long. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface ServiceHostOptions {
  services: readonly ClusterService[];
  settings: Settings;
  hostId: string;
  rootKey: string;
  storage: NsdbStorage;
  /** the node's session: its client, and its expiries */
  session: NodeSession;
  leaders: LeaderServices;
  metrics?: NodeMetrics;
  /** the lifecycle's own log lines (default `org.midonet.cluster.services`, the parent of the services' loggers) */
  log?: Logger;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

export interface ServiceHostEvents {
  change: [];
}

interface Entry {
  svc: ClusterService;
  enabled: boolean;
  latch?: string;
  health: ServiceHealth;
  /** the service's own detail (ctx.setDetail) */
  own?: string;
  /** start() was called and stop() not yet */
  live: boolean;
  abort?: AbortController;
  chain: Promise<void>;
  /** stopped by a session expiry: started again on the next session */
  awaitingSession: boolean;
  /** a leader-only service's task registration */
  unregister?: () => Promise<void>;
}

class Timeout extends Error {}

/** Runs fn; resolves 'done', or 'timeout' after ms (the timer never holds the process). */
async function within(fn: () => void | Promise<void>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const work = Promise.resolve().then(fn);
  // abandoned after the timeout: its late failure must not be an unhandled rejection
  work.catch(() => undefined);
  try {
    return await Promise.race([
      work.then(() => 'done' as const),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ServiceHost extends EventEmitter<ServiceHostEvents> {
  private readonly entries: Entry[];
  private readonly log: Logger;
  private readonly startTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private started = false;
  private stopping = false;

  constructor(private readonly opts: ServiceHostOptions) {
    super();
    this.log = opts.log ?? getLogger('org.midonet.cluster.services');
    this.startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const names = new Set<string>();
    this.entries = opts.services.map((svc) => {
      if (names.has(svc.name)) throw new Error(`two services named '${svc.name}'`);
      names.add(svc.name);
      const enabled = opts.settings.bool(svc.enabledKey);
      const latch = svc.runsOn.kind === 'leader' ? svc.runsOn.latchPath(opts.rootKey) : undefined;
      const health: ServiceHealth = enabled
        ? { state: 'stopped', detail: 'not started yet', since: new Date().toISOString(), runsOn: svc.runsOn.kind }
        : { state: 'disabled', detail: `${svc.enabledKey} is false`, since: new Date().toISOString(), runsOn: svc.runsOn.kind };
      if (latch) health.latch = latch;
      return { svc, enabled, latch, health, live: false, chain: Promise.resolve(), awaitingSession: false };
    });
    opts.session.on('expired', this.onExpired);
    opts.session.on('client', this.onClient);
  }

  /** Each service's health, in declaration order. */
  health(): Record<string, ServiceHealth> {
    return Object.fromEntries(this.entries.map((e) => [e.svc.name, { ...e.health }]));
  }

  /** A declared service by name (enabled or not). */
  service(name: string): ClusterService | undefined {
    return this.entries.find((e) => e.svc.name === name)?.svc;
  }

  /**
   * Starts what is enabled: every-node services in parallel, each awaited up to the start
   * timeout; leader-only ones join their latch's election (LeaderServices starts the elections).
   * Never throws: a service that does not start shows `failed`.
   */
  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    const enabled = this.entries.filter((e) => e.enabled);
    this.log.info('starting the node services', {
      enabled: enabled.map((e) => e.svc.name),
      disabled: this.entries.filter((e) => !e.enabled).map((e) => e.svc.name),
    });
    for (const e of this.entries.filter((x) => !x.enabled)) this.log.info(`service ${e.svc.name} is disabled (${e.svc.enabledKey})`);
    const everyNode: Promise<void>[] = [];
    for (const e of enabled) {
      if (e.svc.runsOn.kind === 'leader' && e.latch) {
        this.set(e, 'standby', `waiting for the leadership of ${e.latch}`);
        this.opts.leaders.declare(e.svc.name, e.latch);
        e.unregister = this.opts.leaders.register(
          {
            name: e.svc.name,
            start: (leader) => this.enqueue(e, () => this.startEntry(e, leader)),
            stop: () =>
              this.enqueue(e, () =>
                this.stopping ? this.stopEntry(e, 'stopped', 'the node stopped') : this.stopEntry(e, 'standby', `not the leader of ${e.latch}`),
              ),
          },
          e.svc.name,
        );
      } else {
        everyNode.push(this.enqueue(e, () => this.startEntry(e)));
      }
    }
    await Promise.all(everyNode);
    const failed = enabled.filter((e) => e.health.state === 'failed').map((e) => e.svc.name);
    if (failed.length > 0) this.log.warn('not all services started; the node runs on with the others', { failed });
  }

  /** Stops every service, last declared first, each bounded by the stop timeout. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.opts.session.off('expired', this.onExpired);
    this.opts.session.off('client', this.onClient);
    for (const e of [...this.entries].reverse()) {
      if (e.unregister) {
        // stops the service (through the slot's queue) if it runs here
        await e.unregister().catch((err: unknown) => this.log.warn('leaving a leader slot failed', { service: e.svc.name, error: message(err) }));
      }
      await this.enqueue(e, () => this.stopEntry(e, 'stopped', 'the node stopped'));
    }
  }

  // -------------------------------------------------------------------------------------------

  private enqueue(e: Entry, fn: () => Promise<void>): Promise<void> {
    e.chain = e.chain.then(fn, fn);
    return e.chain;
  }

  private set(e: Entry, state: ServiceState, detail?: string): void {
    const changedState = e.health.state !== state;
    if (!changedState && e.health.detail === detail) return;
    e.health = { ...e.health, state, since: changedState ? new Date().toISOString() : e.health.since };
    if (detail === undefined) delete e.health.detail;
    else e.health.detail = detail;
    this.emit('change');
  }

  private context(e: Entry, signal: AbortSignal, leader?: LeaderContext): ServiceContext {
    const o = this.opts;
    return {
      hostId: o.hostId,
      rootKey: o.rootKey,
      settings: o.settings,
      log: getLogger(`org.midonet.cluster.services.${e.svc.name}`),
      metrics: o.metrics,
      storage: o.storage,
      get client(): ZkClient {
        const c = o.session.client;
        if (!c) throw new Error('no ZooKeeper session');
        return c;
      },
      signal,
      leader,
      setDetail: (detail) => {
        if (signal.aborted) return;
        e.own = detail;
        if (e.health.state === 'running') this.set(e, 'running', this.runningDetail(e, leader));
      },
      fail: (error) => {
        if (signal.aborted) return;
        void this.enqueue(e, () => this.failEntry(e, error, 'failed'));
      },
    };
  }

  private async startEntry(e: Entry, leader?: LeaderContext): Promise<void> {
    if (this.stopping || e.live || e.health.state === 'failed') return;
    if (leader && !leader.isLeader) return;
    const abort = new AbortController();
    e.abort = abort;
    e.own = undefined;
    e.awaitingSession = false;
    e.live = true;
    this.set(e, 'starting', leader ? `leader of ${e.latch}` : undefined);
    this.log.info(`starting service ${e.svc.name}`, leader ? { latch: e.latch } : {});
    let outcome: 'done' | 'timeout';
    try {
      outcome = await within(() => e.svc.start(this.context(e, abort.signal, leader)), this.startTimeoutMs);
    } catch (err) {
      await this.failEntry(e, err, 'failed to start');
      return;
    }
    if (outcome === 'timeout') {
      await this.failEntry(e, new Timeout(`did not start within ${this.startTimeoutMs} ms`), 'failed to start');
      return;
    }
    if (abort.signal.aborted) return; // failed (ctx.fail) while starting
    this.set(e, 'running', this.runningDetail(e, leader));
    this.log.info(`service ${e.svc.name} started`);
  }

  /** What a running service's health says: its own detail, else which latch it leads. */
  private runningDetail(e: Entry, leader?: LeaderContext): string | undefined {
    return e.own ?? (leader ? `leader of ${e.latch}` : undefined);
  }

  /** Stops a live service (bounded) and leaves it in `next`; a failed one stays failed. */
  private async stopEntry(e: Entry, next: ServiceState, detail: string): Promise<void> {
    if (!e.live) {
      if (e.enabled && e.health.state !== 'failed') this.set(e, next, detail);
      return;
    }
    this.set(e, 'stopping', detail);
    const outcome = await this.release(e);
    this.set(
      e,
      next,
      outcome === 'timeout' ? `abandoned: did not stop within ${this.stopTimeoutMs} ms` : outcome === 'error' ? `${detail}; stopping failed` : detail,
    );
  }

  /** Calls the service's stop(), bounded; logs what went wrong. */
  private async release(e: Entry): Promise<'done' | 'timeout' | 'error'> {
    e.live = false;
    e.abort?.abort();
    this.log.info(`stopping service ${e.svc.name}`);
    try {
      const outcome = await within(() => e.svc.stop(), this.stopTimeoutMs);
      if (outcome === 'timeout') this.log.warn(`service ${e.svc.name} did not stop within ${this.stopTimeoutMs} ms: abandoned`);
      else this.log.info(`service ${e.svc.name} stopped`);
      return outcome;
    } catch (err) {
      this.log.error(`service ${e.svc.name} failed to stop`, { error: message(err) });
      return 'error';
    }
  }

  /** A start that failed or a running service that broke: `failed` until restart. */
  private async failEntry(e: Entry, err: unknown, what: string): Promise<void> {
    if (e.health.state === 'failed') return;
    this.log.error(`service ${e.svc.name} ${what}; it stays down until the node restarts`, { error: message(err) });
    const detail = message(err);
    this.set(e, 'failed', detail);
    if (e.live) await this.release(e);
    if (e.svc.runsOn.kind === 'leader' && !this.stopping) {
      // let another node lead (and run) it; not awaited: we may be inside the slot's queue
      void this.opts.leaders
        .withdraw(e.svc.name)
        .catch((x: unknown) => this.log.warn('leaving a leader latch failed', { service: e.svc.name, error: message(x) }));
    }
  }

  private readonly onExpired = (): void => {
    for (const e of this.entries) {
      if (e.svc.onSessionExpiry !== 'restart' || e.svc.runsOn.kind !== 'every-node' || !e.live || this.stopping) continue;
      // set now, not in the queue: the new session may be announced before the stop has run
      e.awaitingSession = true;
      void this.enqueue(e, async () => {
        if (e.live) await this.stopEntry(e, 'standby', 'the ZooKeeper session expired; waiting for a new one');
      });
    }
  };

  private readonly onClient = (): void => {
    for (const e of this.entries) {
      if (!e.awaitingSession) continue;
      void this.enqueue(e, () => this.startEntry(e));
    }
  };
}
