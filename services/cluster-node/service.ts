/**
 * The contract of a service hosted by a cluster node (the original's Minion, services.md §0):
 * every management service of the node (heartbeat, housekeeping, and the services of the
 * next issues: VxLAN gateway, containers, Neutron importer, topology cache...) declares
 *
 * - its `name` (logs, /readyz, `midonet-cluster nodes`, the `service` label of metrics);
 * - its mn-conf switch `enabledKey` (`cluster.<service>.enabled`), read once when the node starts,
 *   as the original does: a change takes effect after a restart;
 * - where it runs: on every node where it is enabled, or only on the node that leads a latch
 *   (a Curator-compatible leader latch, lib/zk/leader-latch.ts), the others standing by;
 * - `start(ctx)` and `stop()`; both may be async. A start that throws (or takes longer than the
 *   start timeout) leaves the service `failed` until the node restarts, logged; the node runs on
 *   with the others. stop() is bounded by the stop timeout: a service still stopping then is
 *   logged and abandoned. stop() may be called after a start that failed half-way (to release
 *   what it took), and must tolerate that;
 * - what a ZooKeeper session expiry means to it (`onSessionExpiry`): nothing (`ignore`: it does
 *   not use the session), or `restart`: it is stopped when the session is gone and started again
 *   on the node's next session. A leader-only service always goes through its latch instead:
 *   leadership ends with the session (stop), and the latch joins again on the new one (start
 *   if it wins).
 *
 * The generic lifecycle is ./service-host.ts; the node's list is ./service-list.ts.
 */
import type { Settings } from '../../lib/conf/settings.js';
import type { Logger } from '../../lib/log/logger.js';
import type { NodeMetrics } from '../../lib/metrics/metrics.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { ZkClient } from '../../lib/zk/client.js';
import type { LeaderContext } from './leader-services.js';

/**
 * disabled: its switch is off; starting / running / stopping: as said; standby: enabled, waiting
 * (for the leadership of its latch, or for a new ZooKeeper session); stopped: the node stopped it
 * (or it is not started yet); failed: its start failed (or it reported a failure), until restart.
 */
export type ServiceState = 'disabled' | 'starting' | 'running' | 'standby' | 'stopping' | 'stopped' | 'failed';

export type ServicePlacement =
  /** on every node where it is enabled */
  | { kind: 'every-node' }
  /** only on the leader of this latch among the nodes where it is enabled */
  | { kind: 'leader'; latchPath: (rootKey: string) => string };

/** The health summary of one service: in /readyz and, through service discovery, in `midonet-cluster nodes`. */
export interface ServiceHealth {
  state: ServiceState;
  /** why (failed, standby, abandoned), or what the service says about itself */
  detail?: string;
  /** since when it is in this state (ISO 8601) */
  since: string;
  runsOn: 'every-node' | 'leader';
  /** the latch of a leader-only service */
  latch?: string;
}

export interface ServiceContext {
  readonly hostId: string;
  readonly rootKey: string;
  /** the node's settings (as read at start) */
  readonly settings: Settings;
  /** `org.midonet.cluster.services.<name>` */
  readonly log: Logger;
  readonly metrics?: NodeMetrics;
  /** the NSDB store (it follows the node's session) */
  readonly storage: NsdbStorage;
  /** the current session's client (another one after a session expiry) */
  readonly client: ZkClient;
  /** aborted when the service is being stopped (or its start timed out) */
  readonly signal: AbortSignal;
  /** a leader-only service: its latch (fenced writes, isLeader) */
  readonly leader?: LeaderContext;
  /** replaces the service's own detail line in its health while it runs */
  setDetail(detail: string | undefined): void;
  /** the service broke after it started: it is stopped and shows `failed` with this error */
  fail(error: Error): void;
}

export interface ClusterService {
  readonly name: string;
  /** `cluster.<name>.enabled` in the bundled schema (lib/conf/schemas/cluster.conf) */
  readonly enabledKey: string;
  readonly runsOn: ServicePlacement;
  /** default 'ignore' */
  readonly onSessionExpiry?: 'ignore' | 'restart';
  start(ctx: ServiceContext): void | Promise<void>;
  stop(): void | Promise<void>;
}
