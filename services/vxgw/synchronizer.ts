/**
 * Keeps one hardware VTEP and the NSDB consistent, on the node that owns the VTEP (services.md
 * §2.4–2.5): a reconciliation of the whole VTEP, run when the VTEP's OVSDB connection comes up
 * (every reconnect included), when the VTEP reports a local MAC change, and every `pollMs`.
 *
 * NSDB → VTEP, for every network bound to the VTEP: the logical switch `mn-<network id>` with the
 * network's VNI, its VLAN bindings on the switch's ports, the `unknown-dst` multicast row to the
 * tunnel zone's flooding proxy, and a Ucast_Macs_Remote row per MAC of the network's MAC table
 * (VLAN 0) whose port is bound to a host of the VTEP's tunnel zone (with an IP from the ARP table
 * when there is one). Logical switches `mn-<id>` of networks no longer bound are taken away with
 * their rows (unbind). Each write is one OVSDB transaction (lib/ovsdb/vtep.ts).
 *
 * VTEP → NSDB: every MAC the VTEP learned on a MidoNet logical switch (Ucast/Mcast_Macs_Local)
 * is a persistent MAC-table entry of the network pointing at the VTEP's VxLAN port there, and its
 * IP a persistent ARP-table entry; entries pointing at that port that the VTEP no longer reports
 * are removed. Rows the service does not expect (other logical switches, unreadable rows) are
 * logged once and skipped.
 *
 * The connection state and the switch's configuration go to the VTEP's state keys.
 */
import { isIPv4 } from 'node:net';
import type { Vtep as VtepModel, VtepConnectionState } from '../../lib/models/generated.js';
import type { Logger } from '../../lib/log/logger.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import { PERSISTENT_VERSION, StateTable } from '../../lib/nsdb/state-tables.js';
import { OvsdbClient, type OvsdbClientState } from '../../lib/ovsdb/client.js';
import { exponentialBackoff, type ReconnectPolicy } from '../../lib/ovsdb/backoff.js';
import { bridgeIdOf, isMac, logicalSwitchName, UNKNOWN_DST, Vtep, type LocalMacWatch, type LogicalSwitch } from '../../lib/ovsdb/vtep.js';
import type { ZkClient } from '../../lib/zk/client.js';
import { readFloodingProxy } from './flooding-proxy.js';
import { MIN_VNI, vxlanPortId } from './ids.js';
import { encodeConfig, ipv4Address, removeIfMine, stateKeyPath, writeLastWins } from './state.js';

export interface SynchronizerOptions {
  vtepId: string;
  storage: NsdbStorage;
  zk: ZkClient;
  log: Logger;
  /** reconciliation period; default 1000 ms */
  pollMs?: number;
  /** OVSDB reconnection delays; default the original's bound (about 10 s apart, 50 tries) */
  reconnect?: ReconnectPolicy;
}

const STATE_OF: Record<OvsdbClientState, VtepConnectionState> = {
  connected: 'VTEP_CONNECTED',
  connecting: 'VTEP_DISCONNECTED',
  waiting: 'VTEP_DISCONNECTED',
  failed: 'VTEP_ERROR',
  closed: 'VTEP_DISCONNECTED',
};

interface DesiredRemote {
  tunnelIp: string;
  ipAddr: string | undefined;
}

export class VtepSynchronizer {
  private readonly log: Logger;
  private readonly pollMs: number;
  private client: OvsdbClient | undefined;
  private vtep: Vtep | undefined;
  private watch: LocalMacWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  /** set on every (re)connection: the configuration is written again */
  private freshConnection = false;
  private writtenState: VtepConnectionState | undefined;
  /** networks bound at the last pass: what a VTEP deletion unbinds */
  private bound = new Set<string>();
  /** rows already reported as unexpected (reported once) */
  private readonly reported = new Set<string>();
  /** passes completed; tests and health read it */
  passes = 0;
  private lastFailure: string | undefined;

  constructor(private readonly opts: SynchronizerOptions) {
    this.log = opts.log.child(`vtep-${opts.vtepId}`);
    this.pollMs = opts.pollMs ?? 1000;
  }

  get vtepId(): string {
    return this.opts.vtepId;
  }

  get connectionState(): OvsdbClientState | undefined {
    return this.client?.state;
  }

  /** Connects (in the background) and starts reconciling. */
  async start(model: VtepModel): Promise<void> {
    const host = model.management_ip?.address ?? '';
    const port = model.management_port ?? 0;
    const client = new OvsdbClient({
      host,
      port,
      retry: this.opts.reconnect ?? exponentialBackoff({ maxMs: 10_000, maxAttempts: 50 }),
      log: this.log,
    });
    this.client = client;
    this.vtep = new Vtep(client, { managementIp: host, log: this.log });
    client.on('state', (s, cause) => {
      if (this.stopped) return;
      if (s === 'connected') this.freshConnection = true;
      if (cause) this.log.info('VTEP connection', { state: s, endpoint: client.endpoint, cause: cause.message });
      else this.log.info('VTEP connection', { state: s, endpoint: client.endpoint });
      this.writeState(STATE_OF[s]);
      this.trigger();
    });
    this.writeState('VTEP_DISCONNECTED');
    client.start();
    this.timer = setInterval(() => this.trigger(), this.pollMs);
    this.timer.unref();
  }

  /** Asks for a pass (coalesced with one already waiting). */
  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.dirty && !this.stopped) this.trigger();
    });
  }

  /** Waits for the pass in progress, if any. */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * Stops: with `unbind` (the VTEP was deleted) every network bound at the last pass is unbound
   * first; the connection is closed and the node's state keys for the VTEP removed.
   */
  async stop(opts: { unbind?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    if (opts.unbind && this.vtep && this.client?.state === 'connected') {
      for (const networkId of this.bound) {
        try {
          const ls = await this.vtep.logicalSwitch(logicalSwitchName(networkId));
          if (ls) await this.vtep.deleteLogicalSwitch(ls.uuid);
        } catch (e) {
          this.log.warn('could not unbind a network from a deleted VTEP', { network: networkId, error: (e as Error).message });
        }
      }
    }
    await this.watch?.cancel().catch(() => undefined);
    await this.client?.close();
    const { zk, storage, vtepId } = this.opts;
    for (const key of ['connection_state', 'config']) {
      await removeIfMine(zk, stateKeyPath(storage.layout, 'Vtep', vtepId, key)).catch(() => undefined);
    }
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        await this.pass();
        this.passes++;
      } catch (e) {
        if (this.stopped) return;
        // the same failure every second is logged once, until the passes succeed again
        const msg = (e as Error).message;
        if (msg !== this.lastFailure) this.log.warn('VTEP synchronization pass failed; retried on the next one', { error: msg });
        else this.log.debug('VTEP synchronization pass failed again', { error: msg });
        this.lastFailure = msg;
        continue;
      }
      this.lastFailure = undefined;
    }
  }

  private writeState(s: VtepConnectionState): void {
    if (this.writtenState === s) return;
    this.writtenState = s;
    const { zk, storage, vtepId } = this.opts;
    writeLastWins(zk, stateKeyPath(storage.layout, 'Vtep', vtepId, 'connection_state'), s).catch((e: unknown) => {
      this.writtenState = undefined; // tried again on the next change or pass
      this.log.warn('could not write the VTEP connection state', { state: s, error: (e as Error).message });
    });
  }

  /** One reconciliation of the whole VTEP. */
  private async pass(): Promise<void> {
    const vtep = this.vtep;
    const client = this.client;
    if (!vtep || !client || client.state !== 'connected') return;
    const { storage, vtepId } = this.opts;
    const model = await storage.getOrNull('Vtep', vtepId);
    if (!model) return; // deleted: the fleet stops this synchronizer
    this.writeState('VTEP_CONNECTED');
    if (this.freshConnection) {
      await this.writeConfig(vtep);
      // a monitor the client could not re-establish after the reconnection would leave a frozen
      // snapshot behind: the watch is made again on every new connection
      const old = this.watch;
      this.watch = undefined;
      await old?.cancel().catch(() => undefined);
      this.freshConnection = false;
    }
    this.watch ??= await vtep.watchLocalMacs(() => this.trigger());

    const bindings = new Map<string, { portName: string; vlan: number }[]>();
    for (const b of model.bindings ?? []) {
      if (b.network_id === undefined || b.port_name === undefined) continue;
      const list = bindings.get(b.network_id) ?? [];
      list.push({ portName: b.port_name, vlan: b.vlan_id ?? 0 });
      bindings.set(b.network_id, list);
    }
    this.bound = new Set(bindings.keys());

    const zone = model.tunnel_zone_id !== undefined ? await storage.getOrNull('TunnelZone', model.tunnel_zone_id) : null;
    const memberIps = new Map<string, string>();
    for (const m of zone?.hosts ?? []) if (m.host_id && m.ip?.address && isIPv4(m.ip.address)) memberIps.set(m.host_id, m.ip.address);
    const fp = zone?.id ? await readFloodingProxy(this.opts.zk, storage, zone.id) : undefined;

    const switches = await vtep.logicalSwitches();
    for (const [networkId, list] of bindings) {
      try {
        await this.syncNetwork(vtep, networkId, list, memberIps, fp?.tunnelIp);
      } catch (e) {
        // one network the VTEP refuses (a logical switch of that name with another VNI, ...) must not hold up the others
        if (client.state !== 'connected') throw e;
        this.reportOnce(`net:${networkId}:${(e as Error).message}`, 'network could not be synchronized to the VTEP; tried again on the next pass', {
          network: networkId,
          error: (e as Error).message,
        });
      }
    }
    const unbound = await this.unbindStale(vtep, switches, bindings);
    await this.syncLocalMacs(bindings, unbound);
  }

  private async writeConfig(vtep: Vtep): Promise<void> {
    const ps = await vtep.physicalSwitch();
    const { zk, storage, vtepId } = this.opts;
    const cfg = encodeConfig({
      vtep_id: vtepId,
      name: ps?.name ?? '',
      description: ps?.description ?? '',
      tunnel_addresses: (ps?.tunnelIps ?? []).filter((ip) => isIPv4(ip)).map(ipv4Address),
    });
    await writeLastWins(zk, stateKeyPath(storage.layout, 'Vtep', vtepId, 'config'), cfg);
  }

  private async syncNetwork(
    vtep: Vtep,
    networkId: string,
    bindings: { portName: string; vlan: number }[],
    memberIps: Map<string, string>,
    floodingProxyIp: string | undefined,
  ): Promise<void> {
    const { storage } = this.opts;
    const network = await storage.getOrNull('Network', networkId);
    if (!network) return;
    const vni = network.vni;
    if (vni === undefined || vni < MIN_VNI) {
      this.reportOnce(`vni:${networkId}:${String(vni)}`, 'network has no VNI MidoNet allocated (unsupported VNI); not bound on the VTEP', {
        network: networkId,
        vni,
      });
      return;
    }
    const ls = await vtep.ensureLogicalSwitch(logicalSwitchName(networkId), vni);
    const result = await vtep.setBindings(
      ls,
      bindings.map((b) => ({ portName: b.portName, vlan: b.vlan })),
    );
    for (const p of result.unknownPorts)
      this.reportOnce(`port:${networkId}:${p}`, 'bound port not on the VTEP; binding skipped', { network: networkId, port: p });

    // flooding: unknown destinations go to the zone's flooding proxy
    const mcast = await vtep.mcastMacs('Mcast_Macs_Remote', ls);
    const locators = new Map((await vtep.physicalLocators()).map((l) => [l.uuid, l.dstIp]));
    const sets = new Map((await vtep.physicalLocatorSets()).map((s) => [s.uuid, s.locators]));
    const flood = mcast.filter((m) => m.mac === UNKNOWN_DST);
    if (floodingProxyIp) {
      const ok = flood.length === 1 && (sets.get(flood[0]?.locatorSet ?? '') ?? []).map((l) => locators.get(l)).join(',') === floodingProxyIp;
      if (!ok) await vtep.setMcastMacRemote({ logicalSwitch: ls, mac: UNKNOWN_DST, tunnelIp: floodingProxyIp });
    } else if (flood.length > 0) {
      await vtep.deleteMcastMacRemote(ls, UNKNOWN_DST);
    }

    // MACs of the network's ports bound to hosts of the VTEP's tunnel zone
    const desired = await this.desiredRemoteMacs(networkId, memberIps);
    const current = await vtep.ucastMacs('Ucast_Macs_Remote', ls);
    const rows = new Map<string, { tunnelIp: string | undefined; ipAddr: string | undefined }[]>();
    for (const r of current) {
      const list = rows.get(r.mac) ?? [];
      list.push({ tunnelIp: locators.get(r.locator), ipAddr: r.ipAddr });
      rows.set(r.mac, list);
    }
    for (const [mac, want] of desired) {
      const have = rows.get(mac) ?? [];
      const same = have.length === 1 && have[0]?.tunnelIp === want.tunnelIp && have[0]?.ipAddr === want.ipAddr;
      if (!same) await vtep.setUcastMacRemote({ logicalSwitch: ls, mac, tunnelIp: want.tunnelIp, ...(want.ipAddr ? { ipAddr: want.ipAddr } : {}) });
    }
    for (const mac of rows.keys()) if (!desired.has(mac)) await vtep.deleteUcastMacRemote(ls, mac);
  }

  private async desiredRemoteMacs(networkId: string, memberIps: Map<string, string>): Promise<Map<string, DesiredRemote>> {
    const { storage, vtepId } = this.opts;
    const own = vxlanPortId(vtepId, networkId);
    const macs = await StateTable.of(storage, 'Network', networkId, 'mac_table', '0').entries();
    const arp = await (await StateTable.locate(storage, 'Network', networkId, 'ip4_mac_table')).entries();
    const ipOf = new Map<string, string>();
    for (const e of arp) if (isIPv4(e.key) && !ipOf.has(e.value.toLowerCase())) ipOf.set(e.value.toLowerCase(), e.key);
    const out = new Map<string, DesiredRemote>();
    const ports = new Map<string, string | undefined>();
    for (const e of macs) {
      const mac = e.key.toLowerCase();
      if (!isMac(mac) || e.value === own) continue;
      if (!ports.has(e.value)) ports.set(e.value, (await storage.getOrNull('Port', e.value))?.host_id);
      const hostId = ports.get(e.value);
      const tunnelIp = hostId !== undefined ? memberIps.get(hostId) : undefined;
      if (tunnelIp === undefined) continue;
      out.set(mac, { tunnelIp, ipAddr: ipOf.get(mac) });
    }
    return out;
  }

  /** Logical switches MidoNet made for networks no longer bound to this VTEP: unbound; gives those networks. */
  private async unbindStale(vtep: Vtep, switches: LogicalSwitch[], bindings: Map<string, unknown>): Promise<string[]> {
    const unbound: string[] = [];
    for (const ls of switches) {
      const networkId = bridgeIdOf(ls.name);
      if (networkId === undefined) {
        this.reportOnce(`ls:${ls.uuid}`, 'logical switch not made by MidoNet; left alone', { logicalSwitch: ls.name });
        continue;
      }
      if (bindings.has(networkId)) continue;
      await vtep.deleteLogicalSwitch(ls.uuid);
      unbound.push(networkId);
      this.log.info('network unbound from the VTEP', { network: networkId, logicalSwitch: ls.name });
    }
    return unbound;
  }

  /**
   * The VTEP's local MACs as persistent MAC/ARP entries of the bound networks, and nothing else
   * pointing at its VxLAN ports; the entries of networks just unbound go.
   */
  private async syncLocalMacs(bindings: Map<string, unknown>, unbound: string[]): Promise<void> {
    const { storage, vtepId } = this.opts;
    const wanted = new Map<string, { macs: Set<string>; arp: Set<string> }>();
    for (const networkId of bindings.keys()) wanted.set(networkId, { macs: new Set(), arp: new Set() });
    const cleared = new Map<string, { macs: Set<string>; arp: Set<string> }>(unbound.map((n) => [n, { macs: new Set(), arp: new Set() }]));
    for (const m of this.watch?.snapshot() ?? []) {
      if (m.mac === UNKNOWN_DST) continue;
      const networkId = m.logicalSwitchName !== undefined ? bridgeIdOf(m.logicalSwitchName) : undefined;
      const w = networkId !== undefined ? wanted.get(networkId) : undefined;
      if (!w) {
        this.reportOnce(`local:${m.uuid}`, 'local MAC on a logical switch MidoNet does not bind here; skipped', {
          table: m.table,
          mac: m.mac,
          logicalSwitch: m.logicalSwitchName ?? m.logicalSwitch,
        });
        continue;
      }
      w.macs.add(m.mac);
      if (m.ipAddr !== undefined) w.arp.add(`${m.ipAddr},${m.mac}`);
    }
    for (const [networkId, w] of [...wanted, ...cleared]) {
      const port = vxlanPortId(vtepId, networkId);
      const macTable = StateTable.of(storage, 'Network', networkId, 'mac_table', '0');
      const arpTable = await StateTable.locate(storage, 'Network', networkId, 'ip4_mac_table');
      const current = (await macTable.rawEntries()).filter((e) => e.version === PERSISTENT_VERSION && e.value === port);
      const managed = new Set([...current.map((e) => e.key.toLowerCase()), ...w.macs]);
      for (const mac of w.macs) if (!current.some((e) => e.key.toLowerCase() === mac)) await macTable.addPersistent(mac, port);
      for (const e of current) if (!w.macs.has(e.key.toLowerCase())) await macTable.removePersistent(e.key, port);
      const arp = (await arpTable.rawEntries()).filter((e) => e.version === PERSISTENT_VERSION && managed.has(e.value.toLowerCase()));
      for (const pair of w.arp) {
        const [ip, mac] = pair.split(',') as [string, string];
        if (!arp.some((e) => e.key === ip && e.value.toLowerCase() === mac)) await arpTable.addPersistent(ip, mac);
      }
      for (const e of arp) if (!w.arp.has(`${e.key},${e.value.toLowerCase()}`)) await arpTable.removePersistent(e.key, e.value);
    }
  }

  private reportOnce(key: string, msg: string, fields: Record<string, unknown>): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log.warn(msg, { vtep: this.opts.vtepId, ...fields });
  }
}
