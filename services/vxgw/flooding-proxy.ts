/**
 * The flooding proxy of each VTEP tunnel zone (services.md §2.3): the host that receives what a
 * VTEP floods (broadcast, unknown unicast) and relays it into the overlay. Chosen by the node
 * that leads `ROOT/vxgw/fp-latch`, among the zone's members that are alive (their agent holds the
 * `alive` key) and have a `flooding_proxy_weight` above 0, at random weighted by that weight.
 * Published as `<hostId>#<ip>` in the zone's `flooding_proxy` key (cluster namespace), which the
 * VTEP synchronizers (and agents) read; deleted when there is no candidate.
 *
 * A new draw happens when what it depends on changes (the candidates, their weights, their IPs)
 * or when the published proxy is gone or no longer a candidate; otherwise the proxy stays put, so
 * VTEPs do not see their flooding target move for nothing.
 */
import type { Logger } from '../../lib/log/logger.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { isNoNode } from '../../lib/zk/errors.js';
import { hostAlive } from '../rest-api/resources/hosts.js';
import { parseFloodingProxy, readKey, stateKeyPath, writeLastWins } from './state.js';

export interface Candidate {
  hostId: string;
  /** the host's IPv4 in the tunnel zone */
  ip: string;
  weight: number;
}

/**
 * The original's draw: candidates by weight (ties by host id, so equal inputs give equal
 * orders), a point in [0, Σweight), the candidate whose share holds it.
 */
export function chooseFloodingProxy(candidates: readonly Candidate[], random: () => number = Math.random): Candidate | undefined {
  const eligible = candidates.filter((c) => c.weight > 0).sort((a, b) => a.weight - b.weight || a.hostId.localeCompare(b.hostId));
  const total = eligible.reduce((s, c) => s + c.weight, 0);
  if (total <= 0) return undefined;
  let point = Math.floor(random() * total);
  for (const c of eligible) {
    if (point < c.weight) return c;
    point -= c.weight;
  }
  return eligible[eligible.length - 1];
}

/** The published flooding proxy of a zone, if any. */
export async function readFloodingProxy(zk: ZkClient, storage: NsdbStorage, zoneId: string): Promise<{ hostId: string; tunnelIp: string } | undefined> {
  const key = await readKey(zk, stateKeyPath(storage.layout, 'TunnelZone', zoneId, 'flooding_proxy'));
  return key ? parseFloodingProxy(key.value) : undefined;
}

export interface FloodingProxyManagerOptions {
  storage: NsdbStorage;
  zk: ZkClient;
  log: Logger;
  random?: () => number;
}

/** One pass per call of `refresh()`, made by the latch holder only (the caller checks). */
export class FloodingProxyManager {
  /** per zone: the inputs of its last draw */
  private readonly lastInputs = new Map<string, string>();

  constructor(private readonly opts: FloodingProxyManagerOptions) {}

  /** Forget what was drawn: a new leadership draws again where the inputs changed meanwhile. */
  reset(): void {
    this.lastInputs.clear();
  }

  async refresh(): Promise<void> {
    const { storage, zk, log } = this.opts;
    const zones = (await storage.getAll('TunnelZone')).filter((z) => z.type === 'VTEP');
    const seen = new Set<string>();
    for (const zone of zones) {
      const zoneId = String(zone.id);
      seen.add(zoneId);
      const candidates = await this.candidates(zone.hosts ?? []);
      const inputs = JSON.stringify(candidates);
      const path = stateKeyPath(storage.layout, 'TunnelZone', zoneId, 'flooding_proxy');
      const current = await readKey(zk, path);
      const published = current ? parseFloodingProxy(current.value) : undefined;
      const stillGood = published !== undefined && candidates.some((c) => c.hostId === published.hostId && c.ip === published.tunnelIp);
      if (stillGood && this.lastInputs.get(zoneId) === inputs) continue;
      if (stillGood && !this.lastInputs.has(zoneId)) {
        // a proxy published by an earlier leader, still a candidate: keep it
        this.lastInputs.set(zoneId, inputs);
        continue;
      }
      const chosen = chooseFloodingProxy(candidates, this.opts.random);
      if (chosen) {
        const value = `${chosen.hostId}#${chosen.ip}`;
        if (current?.value !== value) {
          await writeLastWins(zk, path, value);
          log.info('flooding proxy chosen', { tunnelZone: zoneId, host: chosen.hostId, ip: chosen.ip, weight: chosen.weight, candidates: candidates.length });
        }
      } else if (current) {
        await removeKey(zk, path);
        log.info('no flooding proxy candidate: flooding proxy cleared', { tunnelZone: zoneId });
      }
      this.lastInputs.set(zoneId, inputs);
    }
    for (const zoneId of [...this.lastInputs.keys()]) {
      if (seen.has(zoneId)) continue;
      // a deleted zone has no proxy (deleting an object leaves its state keys to the recycler)
      this.lastInputs.delete(zoneId);
      await removeKey(zk, stateKeyPath(storage.layout, 'TunnelZone', zoneId, 'flooding_proxy'));
      log.info('tunnel zone deleted: flooding proxy cleared', { tunnelZone: zoneId });
    }
  }

  private async candidates(members: readonly { host_id?: string; ip?: { address?: string; version?: string } }[]): Promise<Candidate[]> {
    const { storage } = this.opts;
    const out: Candidate[] = [];
    for (const m of members) {
      const hostId = m.host_id;
      const ip = m.ip?.address;
      if (hostId === undefined || ip === undefined || m.ip?.version === 'V6') continue;
      const host = await storage.getOrNull('Host', hostId);
      if (!host) continue;
      const weight = host.flooding_proxy_weight ?? 1;
      if (weight <= 0) continue;
      if (!(await hostAlive(storage, hostId))) continue;
      out.push({ hostId, ip, weight });
    }
    return out.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}

/** The leader clears a zone's proxy whoever wrote it (an earlier leader's session may hold it). */
async function removeKey(zk: ZkClient, path: string): Promise<void> {
  try {
    await zk.remove(path);
  } catch (e) {
    if (!isNoNode(e)) throw e;
  }
}
