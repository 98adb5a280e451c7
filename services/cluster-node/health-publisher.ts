/**
 * The node's service health, visible to the other nodes and to `midonet-cluster nodes`: it is
 * the `payload` of the node's own service-discovery instance
 * (`<root>/service-discovery/midonet-cluster/<host id>`, where the node already publishes
 * itself), `{"services": {"<name>": {"state", "detail"?, "since", "runsOn", "latch"?}}}`. The
 * instance is rewritten (Curator's updateService) whenever a service's health changes, a few
 * changes coalesced into one write; it vanishes with the node's session like the registration.
 * Only this project reads the `midonet-cluster` service (the original has none), and watchers of
 * it (haproxy-config --watch) follow membership, not data, so the rewrites cost them nothing.
 *
 * A write that fails (ZooKeeper away) is tried again later; after a new session the
 * registration itself carries the last health (service discovery registers the last data given).
 */
import type { Logger } from '../../lib/log/logger.js';
import { Backoff } from '../../lib/retry.js';
import type { ServiceDiscovery, ServiceInstance, ServiceInstanceInput } from '../../lib/zk/service-discovery.js';
import type { ServiceHealth, ServiceState } from './service.js';

export interface NodePayload {
  services: Record<string, ServiceHealth>;
}

const STATES: readonly ServiceState[] = ['disabled', 'starting', 'running', 'standby', 'stopping', 'stopped', 'failed'];

export function nodePayload(services: Record<string, ServiceHealth>): NodePayload {
  return { services };
}

/** The services' health a node published, or undefined (an older node, a foreign payload). */
export function servicesOf(instance: ServiceInstance): Record<string, ServiceHealth> | undefined {
  const p = instance.payload;
  if (typeof p !== 'object' || p === null) return undefined;
  const services = (p as { services?: unknown }).services;
  if (typeof services !== 'object' || services === null) return undefined;
  const out: Record<string, ServiceHealth> = {};
  for (const [name, v] of Object.entries(services as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null) continue;
    const h = v as Partial<ServiceHealth>;
    if (typeof h.state !== 'string' || !STATES.includes(h.state)) continue;
    out[name] = {
      state: h.state,
      ...(typeof h.detail === 'string' ? { detail: h.detail } : {}),
      since: typeof h.since === 'string' ? h.since : '',
      runsOn: h.runsOn === 'leader' ? 'leader' : 'every-node',
      ...(typeof h.latch === 'string' ? { latch: h.latch } : {}),
    };
  }
  return out;
}

export interface HealthPublisherOptions {
  discovery: ServiceDiscovery;
  /** the registered instance (its registrationTimeUTC fixed: it is rewritten as is, payload aside) */
  instance: ServiceInstanceInput;
  health: () => Record<string, ServiceHealth>;
  log: Logger;
  /** changes within this time make one write; default 100 ms */
  coalesceMs?: number;
}

export class HealthPublisher {
  private timer?: NodeJS.Timeout;
  private writing = false;
  private again = false;
  private closed = false;
  private readonly backoff = new Backoff({ baseMs: 500, maxDelayMs: 10_000 });

  constructor(private readonly opts: HealthPublisherOptions) {}

  /** Something changed: publish soon. */
  changed(): void {
    if (this.closed) return;
    if (this.writing) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.schedule(this.opts.coalesceMs ?? 100);
  }

  /** Before the node leaves service discovery (an update would find no registration). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, ms);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    if (this.closed) return;
    this.writing = true;
    this.again = false;
    let failed = false;
    try {
      await this.opts.discovery.update({ ...this.opts.instance, payload: nodePayload(this.opts.health()) });
      this.backoff.reset();
    } catch (e) {
      failed = true;
      this.opts.log.debug('could not publish the service health yet; retrying', { error: (e as Error).message });
    } finally {
      this.writing = false;
    }
    if (this.closed) return;
    if (failed) this.schedule(this.backoff.next());
    else if (this.again) this.schedule(this.opts.coalesceMs ?? 100);
  }
}
