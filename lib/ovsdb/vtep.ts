/**
 * The hardware VTEP as MidoNet uses it (the `hardware_vtep` database over an OvsdbClient): reads of
 * the switch, its ports, logical switches, MAC tables and locators; the writes a VxLAN gateway
 * makes (a logical switch per bridge, VLAN bindings, remote MACs); a watch on the local MAC tables.
 *
 * Every write is one OVSDB transaction computed from a fresh read. Physical_Locator and
 * Physical_Locator_Set rows are not root rows, so the server deletes them as soon as nothing refers
 * to them: a new locator (or locator set) is inserted with a named UUID in the very transaction
 * that inserts the MAC row referring to it, and an existing one (same destination IP) is reused.
 * When a write loses a race with another writer (the locator it reused was just collected, a name
 * was just taken), the server refuses the whole transaction; the write is then read and computed
 * again, a few times at most.
 */
import { isIPv4 } from 'node:net';
import { getLogger, type Logger } from '../log/logger.js';
import type { MonitorHandle, OvsdbClient } from './client.js';
import { OvsdbTransactionError, type Condition, type DatabaseSchema, type Mutation, type Operation, type OperationResult, type SelectOp } from './protocol.js';
import { TableReplica, type RowChange } from './replica.js';
import { namedUuid, ovsMap, ovsSet, uuid, uuidOf, type OvsdbRow } from './values.js';
import {
  decodeLogicalSwitch,
  decodeMcastMac,
  decodePhysicalLocator,
  decodePhysicalLocatorSet,
  decodePhysicalPort,
  decodePhysicalSwitch,
  decodeUcastMac,
  isMac,
  UNKNOWN_DST,
  VTEP_COLUMNS,
  VTEP_DB,
  VtepRowError,
  VXLAN_OVER_IPV4,
  type LogicalSwitch,
  type McastMac,
  type PhysicalLocator,
  type PhysicalLocatorSet,
  type PhysicalPort,
  type PhysicalSwitch,
  type UcastMac,
  type VtepTable,
} from './vtep-rows.js';

export * from './vtep-rows.js';

/** The VTEP is not set up the way the request needs (no switch, a name taken with another VNI, ...). */
export class VtepConfigError extends Error {
  override name = 'VtepConfigError';
}

/** The server does not serve a hardware_vtep database MidoNet can use. */
export class VtepSchemaError extends Error {
  override name = 'VtepSchemaError';
}

/** A caller's bad argument (a MAC that is not one, a VLAN out of range). */
export class VtepArgumentError extends Error {
  override name = 'VtepArgumentError';
}

export interface VtepOptions {
  /** the VTEP's management IP: picks the Physical_Switch row listing it (else the first row, as some VTEPs list none) */
  managementIp?: string;
  /** a row that could not be read; default: logged as a warning */
  onBadRow?: (err: VtepRowError) => void;
  log?: Logger;
  /** per request; default the client's */
  timeoutMs?: number;
  /** tries of a write that lost a race; default 3 */
  writeAttempts?: number;
}

export interface PortVlan {
  portName: string;
  vlan: number;
}

export interface BindingsResult {
  /** Physical_Port rows changed */
  changedPorts: number;
  /** requested port names the switch does not have (skipped) */
  unknownPorts: string[];
}

export interface RemoteMac {
  /** Logical_Switch uuid */
  logicalSwitch: string;
  /** a MAC; for the multicast table also `unknown-dst` */
  mac: string;
  /** an IPv4 address the MAC has, if known */
  ipAddr?: string;
  /** where to send the traffic: the VxLAN tunnel endpoint (a host, or the flooding proxy) */
  tunnelIp: string;
}

export interface LocalMac {
  table: 'Ucast_Macs_Local' | 'Mcast_Macs_Local';
  uuid: string;
  mac: string;
  logicalSwitch: string;
  /** the logical switch's name when known (`mn-<bridge id>` for MidoNet's) */
  logicalSwitchName: string | undefined;
  ipAddr: string | undefined;
  /** destination IPs of the row's locator (or locator set) */
  locatorIps: string[];
}

export interface LocalMacEvent {
  kind: 'added' | 'changed' | 'removed';
  /** the row now (added, changed) */
  current?: LocalMac;
  /** the row before (changed, removed) */
  previous?: LocalMac;
}

export interface LocalMacWatch {
  /** the local MACs known now */
  snapshot(): LocalMac[];
  cancel(): Promise<void>;
}

const RACES = new Set(['referential integrity violation', 'constraint violation']);
const NAMED_LOCATOR = 'locator_id';
const NAMED_LOCATOR_SET = 'locator_set_id';
const MAC_TABLES = ['Ucast_Macs_Local', 'Ucast_Macs_Remote', 'Mcast_Macs_Local', 'Mcast_Macs_Remote'] as const;

export class Vtep {
  private readonly log: Logger;
  private readonly onBadRow: (err: VtepRowError) => void;
  private readonly writeAttempts: number;
  private schemaP: Promise<{ schema: DatabaseSchema; columns: Map<VtepTable, string[]> }> | undefined;

  constructor(
    readonly client: OvsdbClient,
    private readonly opts: VtepOptions = {},
  ) {
    this.log = opts.log ?? getLogger('org.midonet.cluster.services.vxgw.vtep');
    this.onBadRow = opts.onBadRow ?? ((e) => this.log.warn('unreadable VTEP row skipped', { endpoint: client.endpoint, error: e.message }));
    this.writeAttempts = Math.max(1, opts.writeAttempts ?? 3);
  }

  /**
   * The server's hardware_vtep schema, checked once: the database is served and has every table
   * and column MidoNet needs (optional ones may be missing).
   */
  async schema(): Promise<DatabaseSchema> {
    return (await this.schemaInfo()).schema;
  }

  private schemaInfo(): Promise<{ schema: DatabaseSchema; columns: Map<VtepTable, string[]> }> {
    this.schemaP ??= this.loadSchema().catch((e: unknown) => {
      this.schemaP = undefined;
      throw e;
    });
    return this.schemaP;
  }

  private async loadSchema(): Promise<{ schema: DatabaseSchema; columns: Map<VtepTable, string[]> }> {
    const dbs = await this.client.listDbs(this.opts.timeoutMs);
    if (!dbs.includes(VTEP_DB)) throw new VtepSchemaError(`${this.client.endpoint} serves no ${VTEP_DB} database (only ${dbs.join(', ') || 'none'})`);
    const schema = await this.client.getSchema(VTEP_DB, this.opts.timeoutMs);
    const columns = new Map<VtepTable, string[]>();
    for (const [table, want] of Object.entries(VTEP_COLUMNS) as [VtepTable, (typeof VTEP_COLUMNS)[VtepTable]][]) {
      const t = schema.tables[table];
      if (!t) throw new VtepSchemaError(`${VTEP_DB} ${schema.version} at ${this.client.endpoint} has no table ${table}`);
      const missing = want.required.filter((c) => !(c in t.columns));
      if (missing.length > 0) throw new VtepSchemaError(`${VTEP_DB} ${schema.version} table ${table} lacks column(s) ${missing.join(', ')}`);
      columns.set(table, [...want.required, ...want.optional.filter((c) => c in t.columns)]);
    }
    return { schema, columns };
  }

  private async select(table: VtepTable, where: Condition[] = []): Promise<SelectOp> {
    const columns = (await this.schemaInfo()).columns.get(table) ?? [];
    return { op: 'select', table, where, columns: ['_uuid', ...columns] };
  }

  private transact(ops: Operation[]): Promise<OperationResult[]> {
    return this.client.transact(VTEP_DB, ops, this.opts.timeoutMs);
  }

  /** Several selects in one transaction: one consistent view. */
  private async read(selects: Promise<SelectOp>[]): Promise<OvsdbRow[][]> {
    const results = await this.transact(await Promise.all(selects));
    return results.map((r) => r.rows ?? []);
  }

  private decodeAll<T>(rows: OvsdbRow[], decode: (row: OvsdbRow) => T): T[] {
    const out: T[] = [];
    for (const row of rows) {
      try {
        out.push(decode(row));
      } catch (e) {
        if (!(e instanceof VtepRowError)) throw e;
        this.onBadRow(e);
      }
    }
    return out;
  }

  // --- reads -------------------------------------------------------------------------------

  async physicalSwitches(): Promise<PhysicalSwitch[]> {
    const [rows] = await this.read([this.select('Physical_Switch')]);
    return this.decodeAll(rows ?? [], (r) => decodePhysicalSwitch(r));
  }

  /** The VTEP's switch: the row listing its management IP, else the first row; undefined when there is none. */
  async physicalSwitch(): Promise<PhysicalSwitch | undefined> {
    return this.pickSwitch(await this.physicalSwitches());
  }

  private pickSwitch(switches: PhysicalSwitch[]): PhysicalSwitch | undefined {
    const ip = this.opts.managementIp;
    return (ip !== undefined ? switches.find((s) => s.managementIps.includes(ip)) : undefined) ?? switches[0];
  }

  /** The switch and its ports, read together. */
  async switchAndPorts(): Promise<{ physicalSwitch: PhysicalSwitch | undefined; ports: PhysicalPort[] }> {
    const [swRows, portRows] = await this.read([this.select('Physical_Switch'), this.select('Physical_Port')]);
    const ps = this.pickSwitch(this.decodeAll(swRows ?? [], (r) => decodePhysicalSwitch(r)));
    if (!ps) return { physicalSwitch: undefined, ports: [] };
    const mine = new Set(ps.ports);
    const ports = this.decodeAll(
      (portRows ?? []).filter((r) => mine.has(uuidOrEmpty(r))),
      (r) => decodePhysicalPort(r),
    );
    return { physicalSwitch: ps, ports };
  }

  /** The ports of the VTEP's switch. */
  async physicalPorts(): Promise<PhysicalPort[]> {
    return (await this.switchAndPorts()).ports;
  }

  async physicalPort(name: string): Promise<PhysicalPort | undefined> {
    return (await this.physicalPorts()).find((p) => p.name === name);
  }

  async logicalSwitches(): Promise<LogicalSwitch[]> {
    const [rows] = await this.read([this.select('Logical_Switch')]);
    return this.decodeAll(rows ?? [], (r) => decodeLogicalSwitch(r));
  }

  async logicalSwitch(name: string): Promise<LogicalSwitch | undefined> {
    const [rows] = await this.read([this.select('Logical_Switch', [['name', '==', name]])]);
    return this.decodeAll(rows ?? [], (r) => decodeLogicalSwitch(r))[0];
  }

  async ucastMacs(table: 'Ucast_Macs_Local' | 'Ucast_Macs_Remote', logicalSwitch?: string): Promise<UcastMac[]> {
    const where: Condition[] = logicalSwitch ? [['logical_switch', '==', uuid(logicalSwitch)]] : [];
    const [rows] = await this.read([this.select(table, where)]);
    return this.decodeAll(rows ?? [], (r) => decodeUcastMac(table, r));
  }

  async mcastMacs(table: 'Mcast_Macs_Local' | 'Mcast_Macs_Remote', logicalSwitch?: string): Promise<McastMac[]> {
    const where: Condition[] = logicalSwitch ? [['logical_switch', '==', uuid(logicalSwitch)]] : [];
    const [rows] = await this.read([this.select(table, where)]);
    return this.decodeAll(rows ?? [], (r) => decodeMcastMac(table, r));
  }

  async physicalLocators(): Promise<PhysicalLocator[]> {
    const [rows] = await this.read([this.select('Physical_Locator')]);
    return this.decodeAll(rows ?? [], (r) => decodePhysicalLocator(r));
  }

  async physicalLocatorSets(): Promise<PhysicalLocatorSet[]> {
    const [rows] = await this.read([this.select('Physical_Locator_Set')]);
    return this.decodeAll(rows ?? [], (r) => decodePhysicalLocatorSet(r));
  }

  // --- writes ------------------------------------------------------------------------------

  /**
   * The uuid of the logical switch `name` with VNI `tunnelKey`, created if missing. A switch of
   * that name with another VNI is a VtepConfigError (left alone).
   */
  async ensureLogicalSwitch(name: string, tunnelKey: number, description = ''): Promise<string> {
    if (!Number.isSafeInteger(tunnelKey) || tunnelKey < 1 || tunnelKey >= 2 ** 24) throw new VtepArgumentError(`VNI ${tunnelKey} is not in 1..16777215`);
    return this.retrying(`create logical switch ${name}`, async () => {
      const existing = await this.logicalSwitch(name);
      if (existing) {
        if (existing.tunnelKey === tunnelKey) return existing.uuid;
        throw new VtepConfigError(`a logical switch named ${name} already exists with VNI ${existing.tunnelKey ?? 'none'}, not ${tunnelKey}`);
      }
      const [r] = await this.transact([{ op: 'insert', table: 'Logical_Switch', row: { name, description, tunnel_key: tunnelKey } }]);
      return uuidOf(r?.uuid);
    });
  }

  /**
   * Makes `bindings` the logical switch's VLAN bindings on the VTEP's switch: its other bindings
   * are removed, a port/VLAN bound to another logical switch is taken over. One transaction.
   */
  setBindings(logicalSwitch: string, bindings: readonly PortVlan[]): Promise<BindingsResult> {
    return this.rebind(logicalSwitch, bindings, true);
  }

  /** Adds bindings, keeping the logical switch's others. */
  addBindings(logicalSwitch: string, bindings: readonly PortVlan[]): Promise<BindingsResult> {
    return this.rebind(logicalSwitch, bindings, false);
  }

  /** Removes every binding of the logical switch from the VTEP's switch's ports. */
  clearBindings(logicalSwitch: string): Promise<BindingsResult> {
    return this.rebind(logicalSwitch, [], true);
  }

  private async rebind(logicalSwitch: string, bindings: readonly PortVlan[], replace: boolean): Promise<BindingsResult> {
    const ls = uuid(logicalSwitch)[1];
    for (const b of bindings) {
      if (!Number.isInteger(b.vlan) || b.vlan < 0 || b.vlan > 4095) throw new VtepArgumentError(`VLAN ${b.vlan} on port ${b.portName} is not in 0..4095`);
    }
    return this.retrying(`bind logical switch ${ls}`, async () => {
      const { physicalSwitch, ports } = await this.switchAndPorts();
      if (!physicalSwitch) throw new VtepConfigError(`the VTEP at ${this.client.endpoint} has no Physical_Switch`);
      const byName = new Map(ports.map((p) => [p.name, p]));
      const wanted = new Map<string, Set<number>>();
      const unknownPorts: string[] = [];
      for (const b of bindings) {
        const p = byName.get(b.portName);
        if (!p) {
          if (!unknownPorts.includes(b.portName)) unknownPorts.push(b.portName);
          continue;
        }
        const vlans = wanted.get(p.uuid) ?? new Set<number>();
        vlans.add(b.vlan);
        wanted.set(p.uuid, vlans);
      }
      if (unknownPorts.length > 0) this.log.warn('VTEP has no port of that name; binding skipped', { endpoint: this.client.endpoint, ports: unknownPorts });
      const ops: Operation[] = [];
      for (const p of ports) {
        const want = wanted.get(p.uuid) ?? new Set<number>();
        const stale = replace ? [...p.vlanBindings].filter(([v, l]) => l === ls && !want.has(v)) : [];
        const toSet = [...want].filter((v) => p.vlanBindings.get(v) !== ls);
        if (stale.length === 0 && toSet.length === 0) continue;
        const mutations: Mutation[] = [];
        // A map "delete" with pairs removes only pairs still as read; with keys, whatever is bound there.
        if (stale.length > 0) mutations.push(['vlan_bindings', 'delete', ovsMap(stale.map(([v, l]) => [v, uuid(l)]))]);
        const taken = toSet.filter((v) => p.vlanBindings.has(v));
        if (taken.length > 0) mutations.push(['vlan_bindings', 'delete', ovsSet(taken)]);
        if (toSet.length > 0) mutations.push(['vlan_bindings', 'insert', ovsMap(toSet.map((v) => [v, uuid(ls)]))]);
        ops.push({ op: 'mutate', table: 'Physical_Port', where: [['_uuid', '==', uuid(p.uuid)]], mutations });
      }
      if (ops.length > 0) await this.transact(ops);
      return { changedPorts: ops.length, unknownPorts };
    });
  }

  /**
   * Deletes the logical switch with everything that refers to it, in one transaction: its rows in
   * the four MAC tables (local ones too) and its VLAN bindings on every port. Resolves with the
   * number of rows deleted or changed (0: it was not there).
   */
  async deleteLogicalSwitch(logicalSwitch: string): Promise<number> {
    const ls = uuid(logicalSwitch)[1];
    return this.retrying(`delete logical switch ${ls}`, async () => {
      const [portRows] = await this.read([this.select('Physical_Port')]);
      const ports = this.decodeAll(portRows ?? [], (r) => decodePhysicalPort(r));
      const ops: Operation[] = MAC_TABLES.map((table) => ({ op: 'delete', table, where: [['logical_switch', '==', uuid(ls)]] }));
      for (const p of ports) {
        const pairs = [...p.vlanBindings].filter(([, l]) => l === ls);
        if (pairs.length === 0) continue;
        ops.push({
          op: 'mutate',
          table: 'Physical_Port',
          where: [['_uuid', '==', uuid(p.uuid)]],
          mutations: [['vlan_bindings', 'delete', ovsMap(pairs.map(([v, l]) => [v, uuid(l)]))]],
        });
      }
      ops.push({ op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', uuid(ls)]] });
      const results = await this.transact(ops);
      return results.reduce((n, r) => n + (r.count ?? 0), 0);
    });
  }

  /**
   * Points `mac` on the logical switch at `tunnelIp` (Ucast_Macs_Remote), replacing the MAC's
   * other rows there. Resolves false when exactly that row was there already.
   */
  async setUcastMacRemote(m: RemoteMac): Promise<boolean> {
    const { ls, mac, ipAddr, tunnelIp } = checkRemoteMac(m, false);
    return this.retrying(`set remote MAC ${mac}`, async () => {
      const [locRows, macRows] = await this.read([this.locatorSelect(tunnelIp), this.select('Ucast_Macs_Remote', [['logical_switch', '==', uuid(ls)]])]);
      const loc = this.decodeAll(locRows ?? [], (r) => decodePhysicalLocator(r))[0];
      const same = this.decodeAll(macRows ?? [], (r) => decodeUcastMac('Ucast_Macs_Remote', r)).filter((e) => e.mac === mac);
      if (loc && same.length === 1 && same[0]?.ipAddr === ipAddr && same[0]?.locator === loc.uuid) return false;
      const ops: Operation[] = [];
      if (!loc) ops.push(locatorInsert(tunnelIp));
      for (const e of same) ops.push({ op: 'delete', table: 'Ucast_Macs_Remote', where: [['_uuid', '==', uuid(e.uuid)]] });
      ops.push({
        op: 'insert',
        table: 'Ucast_Macs_Remote',
        row: { MAC: mac, logical_switch: uuid(ls), locator: loc ? uuid(loc.uuid) : namedUuid(NAMED_LOCATOR), ipaddr: ipAddr ?? '' },
      });
      await this.transact(ops);
      return true;
    });
  }

  /**
   * Points multicast `mac` (usually `unknown-dst`: flooding) on the logical switch at a locator
   * set holding just `tunnelIp`, replacing the MAC's other rows there. Resolves false when
   * exactly that row was there already.
   */
  async setMcastMacRemote(m: RemoteMac): Promise<boolean> {
    const { ls, mac, ipAddr, tunnelIp } = checkRemoteMac(m, true);
    return this.retrying(`set remote multicast MAC ${mac}`, async () => {
      const [locRows, setRows, macRows] = await this.read([
        this.locatorSelect(tunnelIp),
        this.select('Physical_Locator_Set'),
        this.select('Mcast_Macs_Remote', [['logical_switch', '==', uuid(ls)]]),
      ]);
      const loc = this.decodeAll(locRows ?? [], (r) => decodePhysicalLocator(r))[0];
      // Only a set of exactly this locator: a larger one would also flood to its other members.
      const set = loc
        ? this.decodeAll(setRows ?? [], (r) => decodePhysicalLocatorSet(r)).find((s) => s.locators.length === 1 && s.locators[0] === loc.uuid)
        : undefined;
      const same = this.decodeAll(macRows ?? [], (r) => decodeMcastMac('Mcast_Macs_Remote', r)).filter((e) => e.mac === mac);
      if (set && same.length === 1 && same[0]?.ipAddr === ipAddr && same[0]?.locatorSet === set.uuid) return false;
      const ops: Operation[] = [];
      if (!loc) ops.push(locatorInsert(tunnelIp));
      if (!set) {
        ops.push({
          op: 'insert',
          table: 'Physical_Locator_Set',
          'uuid-name': NAMED_LOCATOR_SET,
          row: { locators: ovsSet([loc ? uuid(loc.uuid) : namedUuid(NAMED_LOCATOR)]) },
        });
      }
      for (const e of same) ops.push({ op: 'delete', table: 'Mcast_Macs_Remote', where: [['_uuid', '==', uuid(e.uuid)]] });
      ops.push({
        op: 'insert',
        table: 'Mcast_Macs_Remote',
        row: { MAC: mac, logical_switch: uuid(ls), locator_set: set ? uuid(set.uuid) : namedUuid(NAMED_LOCATOR_SET), ipaddr: ipAddr ?? '' },
      });
      await this.transact(ops);
      return true;
    });
  }

  /** Deletes the MAC's Ucast_Macs_Remote rows on the logical switch (only those with `ipAddr` if given); resolves with how many. */
  deleteUcastMacRemote(logicalSwitch: string, mac: string, ipAddr?: string): Promise<number> {
    return this.deleteMacRows('Ucast_Macs_Remote', logicalSwitch, mac, ipAddr);
  }

  /** Deletes the MAC's Mcast_Macs_Remote rows on the logical switch (only those with `ipAddr` if given); resolves with how many. */
  deleteMcastMacRemote(logicalSwitch: string, mac: string, ipAddr?: string): Promise<number> {
    return this.deleteMacRows('Mcast_Macs_Remote', logicalSwitch, mac, ipAddr);
  }

  private async deleteMacRows(table: 'Ucast_Macs_Remote' | 'Mcast_Macs_Remote', logicalSwitch: string, macIn: string, ipAddr?: string): Promise<number> {
    const mac = macIn.toLowerCase();
    const ls = uuid(logicalSwitch)[1];
    // Read first: VTEPs differ in the case they write MACs in, and a where clause compares exactly.
    const [rows] = await this.read([this.select(table, [['logical_switch', '==', uuid(ls)]])]);
    const victims = (rows ?? []).filter((r) => {
      const m = r['MAC'];
      const ip = r['ipaddr'];
      return typeof m === 'string' && m.toLowerCase() === mac && (ipAddr === undefined || ip === ipAddr);
    });
    if (victims.length === 0) return 0;
    const results = await this.transact(victims.map((r) => ({ op: 'delete', table, where: [['_uuid', '==', uuid(uuidOrEmpty(r))]] })));
    return results.reduce((n, r) => n + (r.count ?? 0), 0);
  }

  private locatorSelect(tunnelIp: string): Promise<SelectOp> {
    return this.select('Physical_Locator', [
      ['dst_ip', '==', tunnelIp],
      ['encapsulation_type', '==', VXLAN_OVER_IPV4],
    ]);
  }

  private async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (n >= this.writeAttempts || !(e instanceof OvsdbTransactionError) || !RACES.has(e.kind)) throw e;
        this.log.debug('VTEP write lost a race, reading again', { endpoint: this.client.endpoint, what, attempt: n, error: e.message });
      }
    }
  }

  // --- watching ----------------------------------------------------------------------------

  /**
   * Watches Ucast_Macs_Local and Mcast_Macs_Local (the MACs the VTEP learned on its ports):
   * `onEvents` gets every row as `added` first (`initial: true`), then each change. After a lost
   * connection the watch resumes by itself and reports what changed meanwhile (`reconnect:
   * true`), so the receiver's view stays right without re-reading. Rows that cannot be read go to
   * onBadRow: one that turns unreadable is reported `removed`, one that turns readable `added`.
   */
  async watchLocalMacs(onEvents: (events: LocalMacEvent[], info: { initial: boolean; reconnect: boolean }) => void): Promise<LocalMacWatch> {
    const cols = (await this.schemaInfo()).columns;
    const lsNames = new Map<string, string>();
    const locatorIps = new Map<string, string>();
    const locatorSets = new Map<string, string[]>();
    const current = new Map<string, LocalMac>();

    const localMac = (table: LocalMac['table'], uuidStr: string, row: OvsdbRow): LocalMac | undefined => {
      try {
        if (table === 'Ucast_Macs_Local') {
          const m = decodeUcastMac(table, row, uuidStr);
          const ip = locatorIps.get(m.locator);
          return {
            table,
            uuid: m.uuid,
            mac: m.mac,
            logicalSwitch: m.logicalSwitch,
            logicalSwitchName: lsNames.get(m.logicalSwitch),
            ipAddr: m.ipAddr,
            locatorIps: ip ? [ip] : [],
          };
        }
        const m = decodeMcastMac(table, row, uuidStr);
        const ips = (locatorSets.get(m.locatorSet) ?? []).flatMap((l) => locatorIps.get(l) ?? []);
        return {
          table,
          uuid: m.uuid,
          mac: m.mac,
          logicalSwitch: m.logicalSwitch,
          logicalSwitchName: lsNames.get(m.logicalSwitch),
          ipAddr: m.ipAddr,
          locatorIps: ips,
        };
      } catch (e) {
        if (!(e instanceof VtepRowError)) throw e;
        this.onBadRow(e);
        return undefined;
      }
    };

    // Lookups first take additions (a MAC row and its new locator arrive together) and drop
    // deletions last (a removed MAC row is still described with the locator removed with it).
    const updateLookups = (changes: RowChange[], phase: 'upsert' | 'delete'): void => {
      for (const c of changes) {
        if (phase === 'upsert' ? !c.new : c.new) continue;
        const row = c.new;
        switch (c.table) {
          case 'Logical_Switch':
            if (row && typeof row['name'] === 'string') lsNames.set(c.uuid, row['name']);
            else lsNames.delete(c.uuid);
            break;
          case 'Physical_Locator':
            if (row && typeof row['dst_ip'] === 'string') locatorIps.set(c.uuid, row['dst_ip']);
            else locatorIps.delete(c.uuid);
            break;
          case 'Physical_Locator_Set': {
            let ids: string[] | undefined;
            try {
              ids = row ? decodePhysicalLocatorSet(row, c.uuid).locators : undefined;
            } catch {
              ids = undefined;
            }
            if (ids) locatorSets.set(c.uuid, ids);
            else locatorSets.delete(c.uuid);
            break;
          }
        }
      }
    };

    const replica = new TableReplica((changes, info) => {
      updateLookups(changes, 'upsert');
      const events: LocalMacEvent[] = [];
      for (const c of changes) {
        if (c.table !== 'Ucast_Macs_Local' && c.table !== 'Mcast_Macs_Local') continue;
        const before = current.get(c.uuid);
        const after = c.new ? localMac(c.table, c.uuid, c.new) : undefined;
        if (after) current.set(c.uuid, after);
        else current.delete(c.uuid);
        if (before && after) {
          if (!sameLocalMac(before, after)) events.push({ kind: 'changed', previous: before, current: after });
        } else if (after) events.push({ kind: 'added', current: after });
        else if (before) events.push({ kind: 'removed', previous: before });
      }
      updateLookups(changes, 'delete');
      if (events.length > 0 || (info.initial && !info.reconnect)) onEvents(events, info);
    });

    const request = (table: VtepTable, columns?: string[]) => ({ columns: columns ?? cols.get(table) ?? [] });
    const handle: MonitorHandle = await this.client.monitor(
      VTEP_DB,
      {
        Logical_Switch: request('Logical_Switch', ['name']),
        Physical_Locator: request('Physical_Locator', ['dst_ip']),
        Physical_Locator_Set: request('Physical_Locator_Set'),
        Ucast_Macs_Local: request('Ucast_Macs_Local'),
        Mcast_Macs_Local: request('Mcast_Macs_Local'),
      },
      replica.handler((err) => this.log.error('the VTEP local MAC watch stopped', { endpoint: this.client.endpoint, error: err.message })),
      this.opts.timeoutMs,
    );
    return {
      snapshot: () => [...current.values()],
      cancel: () => handle.cancel(),
    };
  }
}

function sameLocalMac(a: LocalMac, b: LocalMac): boolean {
  return (
    a.mac === b.mac &&
    a.logicalSwitch === b.logicalSwitch &&
    a.logicalSwitchName === b.logicalSwitchName &&
    a.ipAddr === b.ipAddr &&
    a.locatorIps.join(',') === b.locatorIps.join(',')
  );
}

function uuidOrEmpty(row: OvsdbRow): string {
  try {
    return uuidOf(row['_uuid']);
  } catch {
    return '';
  }
}

function locatorInsert(tunnelIp: string): Operation {
  return {
    op: 'insert',
    table: 'Physical_Locator',
    'uuid-name': NAMED_LOCATOR,
    row: { encapsulation_type: VXLAN_OVER_IPV4, dst_ip: tunnelIp },
  };
}

function checkRemoteMac(m: RemoteMac, multicast: boolean): { ls: string; mac: string; ipAddr: string | undefined; tunnelIp: string } {
  const mac = m.mac.toLowerCase();
  if (!isMac(mac) && !(multicast && mac === UNKNOWN_DST))
    throw new VtepArgumentError(`not a MAC address${multicast ? ` nor ${UNKNOWN_DST}` : ''}: ${JSON.stringify(m.mac)}`);
  if (m.ipAddr !== undefined && !isIPv4(m.ipAddr)) throw new VtepArgumentError(`not an IPv4 address: ${JSON.stringify(m.ipAddr)}`);
  if (!isIPv4(m.tunnelIp)) throw new VtepArgumentError(`not an IPv4 tunnel endpoint: ${JSON.stringify(m.tunnelIp)}`);
  return { ls: uuid(m.logicalSwitch)[1], mac, ipAddr: m.ipAddr, tunnelIp: m.tunnelIp };
}
