/**
 * The services a cluster node hosts (./service.ts), in start order (stopped in reverse). The REST
 * API is not among them: it is the node's front door (health endpoints, service discovery,
 * readiness), started by the node itself (docs/architecture.md). A new service is added here.
 */
import { HeartbeatService } from './heartbeat.js';
import { housekeepingService } from './housekeeping.js';
import type { ClusterService } from './service.js';
import { VxgwService } from '../vxgw/service.js';

export function nodeServices(): ClusterService[] {
  return [housekeepingService(), new HeartbeatService(), new VxgwService()];
}
