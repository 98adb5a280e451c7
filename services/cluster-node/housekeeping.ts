/**
 * The housekeeping service: leader-only duties of this implementation, on the node that leads
 * `<root>/housekeeping/leader-latch` among those where `cluster.housekeeping.enabled` (this
 * node's key, default true). It has no work of its own yet: the duties are leader tasks plugged
 * into its slot (`node.leaders.register(task)`, ./leader-services.ts), which run alongside it
 * while this node leads. Its health says who runs them: `running` on the leader, `standby` on
 * the others.
 */
import { HOUSEKEEPING_SLOT, housekeepingLatchPath } from './leader-services.js';
import type { ClusterService } from './service.js';

export function housekeepingService(): ClusterService {
  return {
    name: HOUSEKEEPING_SLOT,
    enabledKey: 'cluster.housekeeping.enabled',
    runsOn: { kind: 'leader', latchPath: housekeepingLatchPath },
    start: () => undefined,
    stop: () => undefined,
  };
}
