/**
 * One running node per host id (docs/reliability.md, decisions/0016). Before it listens, a node
 * makes sure no other live node holds its service-discovery entry
 * (`<root>/service-discovery/midonet-cluster/<host id>`):
 *
 * - free: go on;
 * - held by a node that answers `GET /healthz` with this host id at the address it registered: a
 *   second node with the same host id (a copied host id file, a second `--dev` in one checkout):
 *   refused at once;
 * - held, nobody answering: most likely this host's node that crashed a moment ago, whose
 *   ZooKeeper session has not expired yet. Its node goes when the session expires, so the start
 *   waits up to a session timeout (and a margin for the server's expiry tick); if the entry is
 *   still there then, its owner is alive after all (unreachable from here) and the start is
 *   refused.
 *
 * Refusing is a StartupError: one line on stderr, exit 1. Both nodes are never registered, since
 * the registration itself is exclusive (lib/zk/service-discovery.ts).
 */
import type { Logger } from '../../lib/log/logger.js';
import { CLUSTER_SERVICE_NAME, InstanceTakenError, type ServiceDiscovery, type ServiceInstance } from '../../lib/zk/service-discovery.js';
import { StartupError } from './node.js';

/** How long a start waits for the entry of an earlier session with the same host id to expire. */
export function claimWaitMs(sessionTimeoutMs: number): number {
  return sessionTimeoutMs + Math.max(2000, Math.round(sessionTimeoutMs / 5));
}

/** Whether a node with this host id answers at the address the holder registered. */
async function answersAs(holder: ServiceInstance, hostId: string): Promise<boolean> {
  if (!holder.address || !holder.port) return false;
  const host = holder.address.includes(':') ? `[${holder.address}]` : holder.address;
  try {
    // generous: a busy node answers late, and only something that accepts and stays silent costs it
    const res = await fetch(`http://${host}:${holder.port}/healthz`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { hostId?: unknown };
    return body.hostId === hostId;
  } catch {
    return false;
  }
}

function describe(holder: ServiceInstance | undefined, owner: bigint): string {
  const at = holder?.address && holder.port ? ` at ${holder.address}:${holder.port}` : '';
  return `registered${at} by ZooKeeper session 0x${owner.toString(16)}`;
}

const WHAT_TO_DO = 'every node needs its own host id: stop the other one, or give this one another host id file (--host-id-file FILE)';

export async function claimHostId(
  discovery: ServiceDiscovery,
  opts: { hostId: string; sessionTimeoutMs: number; log: Logger; signal?: AbortSignal },
): Promise<void> {
  const timeoutMs = claimWaitMs(opts.sessionTimeoutMs);
  const started = Date.now();
  let waited = false;
  try {
    await discovery.claim(CLUSTER_SERVICE_NAME, opts.hostId, {
      timeoutMs,
      signal: opts.signal,
      isAlive: (holder) => answersAs(holder, opts.hostId),
      onWait: (holder, owner) => {
        waited = true;
        opts.log.warn(
          `host id ${opts.hostId} is ${describe(holder, owner)}; waiting up to ${Math.round(timeoutMs / 1000)} s for that session to expire (a node of this host that stopped without closing it)`,
          {
            hostId: opts.hostId,
            owner: `0x${owner.toString(16)}`,
            waitMs: timeoutMs,
          },
        );
      },
    });
  } catch (e) {
    if (!(e instanceof InstanceTakenError)) throw e;
    const what = describe(e.holder, e.owner);
    throw new StartupError(
      e.why === 'alive'
        ? `another node with host id ${opts.hostId} is running (${what}, answering /healthz); ${WHAT_TO_DO}`
        : `host id ${opts.hostId} is still ${what} after ${Math.round((Date.now() - started) / 1000)} s: another node with this host id is running; ${WHAT_TO_DO}`,
    );
  }
  if (waited) opts.log.info('the earlier session of this host id expired: going on', { hostId: opts.hostId, waitedMs: Date.now() - started });
}

/** A registration refused because another session holds the entry (two nodes starting at once). */
export function registrationRefused(hostId: string, e: InstanceTakenError): StartupError {
  return new StartupError(`another node with host id ${hostId} registered meanwhile (${describe(e.holder, e.owner)}); ${WHAT_TO_DO}`);
}
