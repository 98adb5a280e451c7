/**
 * The VxLAN gateway service (the original's `vxgw` minion, services.md §2), on every node where
 * `cluster.vxgw.enabled` is true (the original's default):
 *
 * - VTEPs are spread over those nodes by ownership: for each VTEP in the NSDB, every node tries
 *   to write the VTEP's `vxgw_manager` state key (first writer wins, an ephemeral node of its
 *   session); the winner runs the VTEP's synchronizer (./synchronizer.ts). When the owner's
 *   session ends the key goes with it, and the next node to look takes the VTEP over and
 *   reconciles it from scratch. An orderly stop gives the keys up at once.
 * - The flooding proxies of the VTEP tunnel zones are chosen by the one node that leads the latch
 *   `ROOT/vxgw/fp-latch` (./flooding-proxy.ts).
 *
 * Both are level-triggered: every `pollMs` (and at once when an ownership key is deleted) the
 * node looks at the VTEPs and the zones again (docs/decisions/0017).
 */
import type { Logger } from '../../lib/log/logger.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { ReconnectPolicy } from '../../lib/ovsdb/backoff.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { LeaderLatch } from '../../lib/zk/leader-latch.js';
import { joinPath } from '../../lib/zk/paths.js';
import type { ClusterService, ServiceContext } from '../cluster-node/service.js';
import { FloodingProxyManager } from './flooding-proxy.js';
import { claimFirstWins, removeIfMine, stateKeyPath } from './state.js';
import { VtepSynchronizer } from './synchronizer.js';

export function floodingProxyLatchPath(rootKey: string): string {
  return joinPath(rootKey, 'vxgw', 'fp-latch');
}

export interface VxgwOptions {
  /** how often VTEP ownership, flooding proxies and each owned VTEP are looked at; default 1000 ms */
  pollMs?: number;
  /** OVSDB reconnection delays of the synchronizers */
  reconnect?: ReconnectPolicy;
}

/** What one node runs while the service is up. */
class VxgwRun {
  private readonly synchronizers = new Map<string, VtepSynchronizer>();
  private readonly fp: FloodingProxyManager;
  private readonly latch: LeaderLatch;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private wasLeader = false;
  /** ownership keys with a watch on them (one each) */
  private readonly watched = new Set<string>();

  constructor(
    private readonly ctx: { hostId: string; rootKey: string; storage: NsdbStorage; zk: ZkClient; log: Logger; setDetail(d: string | undefined): void },
    private readonly opts: VxgwOptions,
  ) {
    this.fp = new FloodingProxyManager({ storage: ctx.storage, zk: ctx.zk, log: ctx.log.child('flooding-proxy') });
    this.latch = new LeaderLatch(ctx.zk, floodingProxyLatchPath(ctx.rootKey), { id: ctx.hostId });
  }

  async start(): Promise<void> {
    await this.latch.start();
    this.timer = setInterval(() => this.poke(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    this.poke();
  }

  /** the synchronizers this node runs (tests) */
  owned(): VtepSynchronizer[] {
    return [...this.synchronizers.values()];
  }

  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async round(): Promise<void> {
    try {
      await this.ownership();
    } catch (e) {
      if (!this.stopped) this.ctx.log.warn('VTEP ownership round failed; tried again on the next', { error: (e as Error).message });
    }
    try {
      const leader = this.latch.isLeader;
      if (leader && !this.wasLeader) {
        this.fp.reset();
        this.ctx.log.info('leading the flooding proxy latch', { latch: this.latch.path });
      }
      this.wasLeader = leader;
      if (leader) await this.fp.refresh();
    } catch (e) {
      if (!this.stopped) this.ctx.log.warn('flooding proxy round failed; tried again on the next', { error: (e as Error).message });
    }
    this.ctx.setDetail(`owns ${this.synchronizers.size} VTEP(s)${this.wasLeader ? ', flooding proxy leader' : ''}`);
  }

  private keyPath(vtepId: string): string {
    return stateKeyPath(this.ctx.storage.layout, 'Vtep', vtepId, 'vxgw_manager');
  }

  private async ownership(): Promise<void> {
    const { storage, zk, hostId, log } = this.ctx;
    const vteps = await storage.getAll('Vtep');
    const present = new Set(vteps.map((v) => String(v.id)));
    for (const [id, sync] of this.synchronizers) {
      if (present.has(id)) continue;
      this.synchronizers.delete(id);
      log.info('VTEP deleted: unbinding its networks and letting it go', { vtep: id });
      await sync.stop({ unbind: true });
      await removeIfMine(zk, this.keyPath(id));
    }
    for (const vtep of vteps) {
      const id = String(vtep.id);
      const mine = await claimFirstWins(zk, this.keyPath(id), hostId);
      let sync = this.synchronizers.get(id);
      if (mine && sync?.connectionState === 'failed') {
        // its reconnections are used up (the VTEP shows `error`): a fresh client starts over
        this.synchronizers.delete(id);
        log.warn('VTEP unreachable after every reconnection; connecting afresh', { vtep: id });
        await sync.stop();
        sync = undefined;
      }
      if (mine && !sync) {
        if (this.stopped) return;
        const s = new VtepSynchronizer({ vtepId: id, storage, zk, log: this.ctx.log, pollMs: this.opts.pollMs, reconnect: this.opts.reconnect });
        this.synchronizers.set(id, s);
        log.info('VTEP owned: synchronizing it', { vtep: id, managementIp: vtep.management_ip?.address, managementPort: vtep.management_port });
        await s.start(vtep);
      } else if (!mine && sync) {
        // the key is another session's: ours ended, another node has it now
        this.synchronizers.delete(id);
        log.warn('VTEP owned by another node now; letting it go', { vtep: id });
        await sync.stop();
      } else if (!mine) {
        this.watchKey(id);
      }
    }
  }

  /** A deleted ownership key starts a round at once: the takeover does not wait for the next poll. */
  private watchKey(vtepId: string): void {
    const path = this.keyPath(vtepId);
    if (this.watched.has(path)) return;
    this.watched.add(path);
    this.ctx.zk
      .exists(path, () => {
        this.watched.delete(path);
        this.poke();
      })
      .catch(() => this.watched.delete(path));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    for (const [id, sync] of this.synchronizers) {
      await sync.stop();
      // give up at once, so another node need not wait for this session to end
      await removeIfMine(this.ctx.zk, this.keyPath(id)).catch(() => undefined);
    }
    this.synchronizers.clear();
    await this.latch.close().catch(() => undefined);
  }
}

export class VxgwService implements ClusterService {
  readonly name = 'vxgw';
  readonly enabledKey = 'cluster.vxgw.enabled';
  readonly runsOn = { kind: 'every-node' } as const;
  // ownership keys and the latch live in the session: a new session starts over
  readonly onSessionExpiry = 'restart';
  private run: VxgwRun | undefined;

  constructor(private readonly opts: VxgwOptions = {}) {}

  /** the synchronizers this node runs now (tests) */
  get owned(): VtepSynchronizer[] {
    return this.run?.owned() ?? [];
  }

  async start(ctx: ServiceContext): Promise<void> {
    const run = new VxgwRun(
      { hostId: ctx.hostId, rootKey: ctx.rootKey, storage: ctx.storage, zk: ctx.client, log: ctx.log, setDetail: (d) => ctx.setDetail(d) },
      this.opts,
    );
    this.run = run;
    await run.start();
  }

  async stop(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    await run?.stop();
  }
}
