/**
 * Leader-only work of a node: a registry of *slots*, one Curator-compatible leader latch each
 * (lib/zk/leader-latch.ts), and the tasks that plug into a slot and run only while this node
 * holds its latch.
 *
 * - Slots are declared by the node's leader-only services (./service-host.ts): one slot per
 *   service, named after it, at the latch path the service declares. The `housekeeping` service
 *   (where `cluster.housekeeping.enabled`) has a latch of its own, `<root>/housekeeping/leader-latch`,
 *   for leader-only duties of this implementation; other tasks may plug into its slot. It is a
 *   latch of its own on purpose: the original's latches (services.md §0.2: containers, VxGW
 *   flooding proxy, Neutron importer) decide which node runs *that* service, so a node may only
 *   join one of them once it actually runs the service; joining it earlier could win the
 *   election in a mixed cluster and leave the Java nodes' service idle. Services that need the
 *   original's latch declare it with its path (`ORIGINAL_LATCH_PATHS`).
 * - A task's start(ctx) is called when the node becomes leader of the slot, stop() when it stops
 *   being leader (disconnected, session lost, latch closed, node stopping). Calls are serialised
 *   per slot; a task that throws is logged and does not stop the others. Leader writes go through
 *   ctx.fencedMulti, which carries a version check of our latch node, so a leader that lost the
 *   latch without noticing yet cannot write (never two leaders acting).
 * - The participant id written in the latch node is the node's host id (the original writes ""
 *   except for the Neutron importer, which writes the node UUID), so everyone can tell who leads:
 *   `leaders()` feeds /readyz, and `midonet_cluster_service_leader{service}` is 1 on the leader.
 */
import type { MultiOpResult, ZkClient, ZkLogger, ZkOp } from '../../lib/zk/client.js';
import { LeaderLatch } from '../../lib/zk/leader-latch.js';
import { joinPath } from '../../lib/zk/paths.js';

export const HOUSEKEEPING_SLOT = 'housekeeping';

/** `<root>/housekeeping/leader-latch` */
export function housekeepingLatchPath(rootKey: string): string {
  return joinPath(rootKey, 'housekeeping', 'leader-latch');
}

/** The latch paths of the original's leader-only services (services.md §0.2), for when they plug in. */
export const ORIGINAL_LATCH_PATHS = {
  /** root prefixed twice, as the original does (a quirk kept for interoperability) */
  containers: (rootKey: string): string => joinPath(rootKey, rootKey, 'containers', 'leader-latch'),
  vxgwFloodingProxy: (rootKey: string): string => joinPath(rootKey, 'vxgw', 'fp-latch'),
  neutronImporter: (rootKey: string): string => joinPath(rootKey, 'leader-latch'),
} as const;

export interface LeaderContext {
  readonly slot: string;
  /** re-read before acting: false as soon as leadership is in doubt */
  readonly isLeader: boolean;
  /** the ops as one multi behind our latch fence (NotLeaderError when the fence fails) */
  fencedMulti(ops: ZkOp[]): Promise<MultiOpResult[]>;
  /** the current session's client */
  readonly client: ZkClient;
  /** aborted when leadership ends */
  readonly signal: AbortSignal;
}

export interface LeaderTask {
  /** for logs and the `service` label of midonet_cluster_service_leader */
  name: string;
  start(ctx: LeaderContext): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface LeaderInfo {
  /** the latch path */
  path: string;
  /** whether this node leads the slot now */
  self: boolean;
  /** the leader's participant id (a host id) as ZooKeeper shows it, null if nobody takes part or unknown */
  leader: string | null;
  participants: number;
  tasks: string[];
  /** why `leader` could not be read (then it is the last known value) */
  error?: string;
}

export interface LeaderServicesOptions {
  rootKey: string;
  hostId: string;
  client: ZkClient;
  logger: ZkLogger;
  /** told about every change of leadership of a slot (metrics) */
  onLeadership?: (slot: string, tasks: readonly string[], leader: boolean) => void;
  /** how long a leaders() answer is reused, default 1000 ms */
  cacheMs?: number;
}

interface Slot {
  name: string;
  latch: LeaderLatch;
  tasks: LeaderTask[];
  running: LeaderTask[];
  abort?: AbortController;
  chain: Promise<void>;
  started: boolean;
  last?: { at: number; info: LeaderInfo };
}

export class LeaderServices {
  private readonly slots = new Map<string, Slot>();
  private client: ZkClient;
  private started = false;
  private closed = false;

  constructor(private readonly opts: LeaderServicesOptions) {
    this.client = opts.client;
  }

  /** Slot names, in declaration order. */
  get names(): string[] {
    return [...this.slots.keys()];
  }

  /**
   * Declares a slot with its latch path (idempotent). A slot declared after start() joins its
   * election at once.
   */
  declare(name: string, latchPath: string): void {
    if (this.closed) throw new Error('leader services are closed');
    const existing = this.slots.get(name);
    if (existing) {
      if (existing.latch.path !== joinPath(latchPath)) throw new Error(`leader slot '${name}' already uses ${existing.latch.path}`);
      return;
    }
    const latch = new LeaderLatch(this.client, latchPath, { id: this.opts.hostId, logger: this.opts.logger });
    const slot: Slot = { name, latch, tasks: [], running: [], chain: Promise.resolve(), started: false };
    latch.on('isLeader', () => this.transition(slot, true));
    latch.on('notLeader', () => this.transition(slot, false));
    this.slots.set(name, slot);
    this.opts.onLeadership?.(name, [], false);
    if (this.started) this.startSlot(slot);
  }

  /** Adds a task to a slot (default housekeeping); it starts at once if we lead. Returns an unregister function. */
  register(task: LeaderTask, slotName: string = HOUSEKEEPING_SLOT): () => Promise<void> {
    const slot = this.slots.get(slotName);
    if (!slot) throw new Error(`no leader slot '${slotName}'; declare it first`);
    slot.tasks.push(task);
    this.opts.onLeadership?.(slot.name, [task.name], slot.latch.isLeader);
    if (slot.latch.isLeader) void this.enqueue(slot, () => this.startTask(slot, task));
    return async () => {
      slot.tasks = slot.tasks.filter((t) => t !== task);
      await this.enqueue(slot, () => this.stopTask(slot, task));
    };
  }

  isLeader(slotName: string = HOUSEKEEPING_SLOT): boolean {
    return this.slots.get(slotName)?.latch.isLeader ?? false;
  }

  /** The latch of a slot (tests, diagnostics). */
  latch(slotName: string = HOUSEKEEPING_SLOT): LeaderLatch | undefined {
    return this.slots.get(slotName)?.latch;
  }

  /**
   * Leaves a slot's election for good (its tasks stopped, our latch node deleted, the next node
   * in line leads): a leader-only service that failed here. The slot is forgotten.
   */
  async withdraw(slotName: string): Promise<void> {
    const slot = this.slots.get(slotName);
    if (!slot) return;
    this.slots.delete(slotName);
    this.opts.logger.warn('leaving a leader latch', { slot: slot.name, path: slot.latch.path });
    await slot.latch.close();
    await this.enqueue(slot, () => this.stopAll(slot));
    this.opts.onLeadership?.(
      slot.name,
      slot.tasks.map((t) => t.name),
      false,
    );
  }

  /** Joins every slot's election (in the background: a join waits for ZooKeeper if needed). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const slot of this.slots.values()) this.startSlot(slot);
  }

  /** A new session (after an expiry): every latch joins again on it. */
  setClient(client: ZkClient): void {
    this.client = client;
    for (const slot of this.slots.values()) slot.latch.setClient(client);
  }

  /** Stops every task, then leaves every election (the next node in line takes over). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        // close() emits notLeader first, which stops the tasks (queued), then deletes our node
        await slot.latch.close();
        await this.enqueue(slot, () => this.stopAll(slot));
      }),
    );
  }

  /**
   * Who leads each slot, read from ZooKeeper (cached for cacheMs, each read bounded): for /readyz.
   * Never throws; a failed read keeps the last known leader and says why.
   */
  async leaders(timeoutMs = 1000): Promise<Record<string, LeaderInfo>> {
    const out: Record<string, LeaderInfo> = {};
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        out[slot.name] = await this.slotInfo(slot, timeoutMs);
      }),
    );
    // keep the declaration order in the answer
    return Object.fromEntries(this.names.map((n) => [n, out[n]]));
  }

  // -------------------------------------------------------------------------------------------

  private startSlot(slot: Slot): void {
    if (slot.started) return;
    slot.started = true;
    slot.latch.start().catch((e: unknown) => this.opts.logger.warn('leader latch did not start', { slot: slot.name, error: (e as Error).message }));
  }

  private async slotInfo(slot: Slot, timeoutMs: number): Promise<LeaderInfo> {
    const now = Date.now();
    const base = { path: slot.latch.path, self: slot.latch.isLeader, tasks: slot.tasks.map((t) => t.name) };
    if (slot.last && now - slot.last.at < (this.opts.cacheMs ?? 1000)) return { ...slot.last.info, ...base };
    let timer: NodeJS.Timeout | undefined;
    try {
      const participants = await Promise.race([
        slot.latch.getParticipants(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from ZooKeeper within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      const info: LeaderInfo = { ...base, leader: participants[0]?.id || null, participants: participants.length };
      slot.last = { at: Date.now(), info };
      return info;
    } catch (e) {
      return { ...base, leader: slot.last?.info.leader ?? null, participants: slot.last?.info.participants ?? 0, error: (e as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  private transition(slot: Slot, leader: boolean): void {
    slot.last = undefined; // who leads has changed: read it again
    this.opts.onLeadership?.(
      slot.name,
      slot.tasks.map((t) => t.name),
      leader,
    );
    if (leader) {
      slot.abort = new AbortController();
      this.opts.logger.info('leader of a slot: starting its tasks', { slot: slot.name, tasks: slot.tasks.map((t) => t.name) });
      for (const task of slot.tasks) void this.enqueue(slot, () => this.startTask(slot, task));
    } else {
      slot.abort?.abort();
      void this.enqueue(slot, () => this.stopAll(slot));
    }
  }

  private enqueue(slot: Slot, fn: () => Promise<void>): Promise<void> {
    slot.chain = slot.chain.then(fn, fn);
    return slot.chain;
  }

  private async startTask(slot: Slot, task: LeaderTask): Promise<void> {
    if (!slot.latch.isLeader || slot.running.includes(task) || !slot.tasks.includes(task)) return;
    const latch = slot.latch;
    const signal = slot.abort?.signal ?? AbortSignal.abort();
    const currentClient = (): ZkClient => this.client;
    const ctx: LeaderContext = {
      slot: slot.name,
      get isLeader() {
        return latch.isLeader && !signal.aborted;
      },
      fencedMulti: (ops) => latch.fencedMulti(ops, currentClient()),
      get client() {
        return currentClient();
      },
      signal,
    };
    slot.running.push(task);
    try {
      await task.start(ctx);
    } catch (e) {
      this.opts.logger.error('leader task failed to start', { slot: slot.name, task: task.name, error: (e as Error).message });
    }
  }

  private async stopTask(slot: Slot, task: LeaderTask): Promise<void> {
    if (!slot.running.includes(task)) return;
    slot.running = slot.running.filter((t) => t !== task);
    try {
      await task.stop();
    } catch (e) {
      this.opts.logger.error('leader task failed to stop', { slot: slot.name, task: task.name, error: (e as Error).message });
    }
  }

  private async stopAll(slot: Slot): Promise<void> {
    for (const task of [...slot.running].reverse()) await this.stopTask(slot, task);
  }
}
