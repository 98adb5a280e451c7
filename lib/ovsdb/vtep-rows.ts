/**
 * The hardware_vtep rows MidoNet reads and writes, typed, and their decoders. A VTEP is a piece
 * of hardware run by someone else: its rows are checked, not trusted. A row that cannot be read
 * (a column missing, a MAC or IP that is not one, a VLAN out of range) becomes a VtepRowError
 * naming table, row and column; callers report it and carry on with the other rows.
 */
import { isIP, isIPv4 } from 'node:net';
import { integerOf, mapOf, optionalOf, OvsdbValueError, setOf, stringOf, uuidOf, type OvsdbRow } from './values.js';

export const VTEP_DB = 'hardware_vtep';

export type VtepTable =
  | 'Physical_Switch'
  | 'Physical_Port'
  | 'Logical_Switch'
  | 'Ucast_Macs_Local'
  | 'Ucast_Macs_Remote'
  | 'Mcast_Macs_Local'
  | 'Mcast_Macs_Remote'
  | 'Physical_Locator'
  | 'Physical_Locator_Set';

/**
 * Columns read from each table: `required` must be in the server's schema; `optional` are read
 * when present (VTEPs run different schema versions).
 */
export const VTEP_COLUMNS: Record<VtepTable, { required: string[]; optional: string[] }> = {
  Physical_Switch: { required: ['name', 'description', 'management_ips', 'tunnel_ips', 'ports'], optional: ['switch_fault_status'] },
  Physical_Port: { required: ['name', 'description', 'vlan_bindings'], optional: ['port_fault_status'] },
  Logical_Switch: { required: ['name', 'description', 'tunnel_key'], optional: [] },
  Ucast_Macs_Local: { required: ['MAC', 'logical_switch', 'locator', 'ipaddr'], optional: [] },
  Ucast_Macs_Remote: { required: ['MAC', 'logical_switch', 'locator', 'ipaddr'], optional: [] },
  Mcast_Macs_Local: { required: ['MAC', 'logical_switch', 'locator_set', 'ipaddr'], optional: [] },
  Mcast_Macs_Remote: { required: ['MAC', 'logical_switch', 'locator_set', 'ipaddr'], optional: [] },
  Physical_Locator: { required: ['encapsulation_type', 'dst_ip'], optional: [] },
  Physical_Locator_Set: { required: ['locators'], optional: [] },
};

/** The MAC of multicast rows that stand for every unknown destination (flooding). */
export const UNKNOWN_DST = 'unknown-dst';
export const VXLAN_OVER_IPV4 = 'vxlan_over_ipv4';
/** Logical switches MidoNet creates are named after the bridge they extend. */
export const LOGICAL_SWITCH_PREFIX = 'mn-';

export interface PhysicalSwitch {
  uuid: string;
  name: string;
  description: string;
  managementIps: string[];
  tunnelIps: string[];
  /** Physical_Port row uuids */
  ports: string[];
  switchFaultStatus: string[];
}

export interface PhysicalPort {
  uuid: string;
  name: string;
  description: string;
  /** VLAN (0-4095) → Logical_Switch uuid */
  vlanBindings: Map<number, string>;
  portFaultStatus: string[];
}

export interface LogicalSwitch {
  uuid: string;
  name: string;
  description: string;
  /** the VNI; absent until set */
  tunnelKey: number | undefined;
}

export interface UcastMac {
  uuid: string;
  /** lower case `aa:bb:cc:dd:ee:ff` */
  mac: string;
  logicalSwitch: string;
  /** Physical_Locator uuid */
  locator: string;
  /** absent when the row's ipaddr is empty */
  ipAddr: string | undefined;
}

export interface McastMac {
  uuid: string;
  /** lower case MAC, or `unknown-dst` */
  mac: string;
  logicalSwitch: string;
  /** Physical_Locator_Set uuid */
  locatorSet: string;
  ipAddr: string | undefined;
}

export interface PhysicalLocator {
  uuid: string;
  encapsulationType: string;
  dstIp: string;
}

export interface PhysicalLocatorSet {
  uuid: string;
  locators: string[];
}

export class VtepRowError extends Error {
  override name = 'VtepRowError';
  constructor(
    readonly table: string,
    readonly uuid: string | undefined,
    readonly column: string | undefined,
    readonly reason: string,
  ) {
    super(`${table} row ${uuid ?? '(no _uuid)'}${column ? ` column ${column}` : ''}: ${reason}`);
  }
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function isMac(s: string): boolean {
  return MAC_RE.test(s);
}

/** `mn-<bridge uuid>`, the uuid in lower case. */
export function logicalSwitchName(bridgeId: string): string {
  return LOGICAL_SWITCH_PREFIX + bridgeId.toLowerCase();
}

/** The bridge a MidoNet logical switch extends, or undefined for a name MidoNet did not make. */
export function bridgeIdOf(lsName: string): string | undefined {
  if (!lsName.startsWith(LOGICAL_SWITCH_PREFIX)) return undefined;
  const id = lsName.slice(LOGICAL_SWITCH_PREFIX.length);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : undefined;
}

/** Reads one row's columns, turning any decoding failure into a VtepRowError. */
class RowReader {
  readonly uuid: string;
  constructor(
    private readonly table: VtepTable,
    private readonly row: OvsdbRow,
    uuidHint?: string,
  ) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new VtepRowError(table, uuidHint, undefined, 'not a row object');
    if ('_uuid' in row) {
      try {
        this.uuid = uuidOf(row['_uuid']);
      } catch (e) {
        throw new VtepRowError(table, uuidHint, '_uuid', (e as Error).message);
      }
    } else if (uuidHint) {
      this.uuid = uuidHint;
    } else {
      throw new VtepRowError(table, undefined, '_uuid', 'missing');
    }
  }

  req<T>(column: string, decode: (v: unknown) => T): T {
    if (!(column in this.row)) throw new VtepRowError(this.table, this.uuid, column, 'missing');
    return this.wrap(column, () => decode(this.row[column]));
  }

  /** A column the server's schema may lack: `fallback` then. */
  opt<T>(column: string, decode: (v: unknown) => T, fallback: T): T {
    if (!(column in this.row)) return fallback;
    return this.wrap(column, () => decode(this.row[column]));
  }

  check(column: string, ok: boolean, reason: string): void {
    if (!ok) throw new VtepRowError(this.table, this.uuid, column, reason);
  }

  private wrap<T>(column: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof VtepRowError) throw e;
      throw new VtepRowError(this.table, this.uuid, column, e instanceof OvsdbValueError ? e.message : String(e));
    }
  }
}

const strings = (v: unknown): string[] => setOf(v, stringOf);
const uuids = (v: unknown): string[] => setOf(v, uuidOf);

function ipList(r: RowReader, column: string): string[] {
  const ips = r.req(column, strings);
  for (const ip of ips) r.check(column, isIP(ip) !== 0, `not an IP address: ${JSON.stringify(ip)}`);
  return ips;
}

function ipAddrColumn(r: RowReader): string | undefined {
  const ip = r.req('ipaddr', stringOf);
  if (ip === '') return undefined;
  r.check('ipaddr', isIPv4(ip), `not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip;
}

export function decodePhysicalSwitch(row: OvsdbRow, uuid?: string): PhysicalSwitch {
  const r = new RowReader('Physical_Switch', row, uuid);
  return {
    uuid: r.uuid,
    name: r.req('name', stringOf),
    description: r.req('description', stringOf),
    managementIps: ipList(r, 'management_ips'),
    tunnelIps: ipList(r, 'tunnel_ips'),
    ports: r.req('ports', uuids),
    switchFaultStatus: r.opt('switch_fault_status', strings, []),
  };
}

export function decodePhysicalPort(row: OvsdbRow, uuid?: string): PhysicalPort {
  const r = new RowReader('Physical_Port', row, uuid);
  const vlanBindings = r.req('vlan_bindings', (v) => mapOf(v, integerOf, uuidOf));
  for (const vlan of vlanBindings.keys()) r.check('vlan_bindings', vlan >= 0 && vlan <= 4095, `VLAN ${vlan} out of range`);
  return {
    uuid: r.uuid,
    name: r.req('name', stringOf),
    description: r.req('description', stringOf),
    vlanBindings,
    portFaultStatus: r.opt('port_fault_status', strings, []),
  };
}

export function decodeLogicalSwitch(row: OvsdbRow, uuid?: string): LogicalSwitch {
  const r = new RowReader('Logical_Switch', row, uuid);
  const tunnelKey = r.req('tunnel_key', (v) => optionalOf(v, integerOf));
  if (tunnelKey !== undefined) r.check('tunnel_key', tunnelKey >= 0 && tunnelKey < 2 ** 24, `VNI ${tunnelKey} out of range`);
  return { uuid: r.uuid, name: r.req('name', stringOf), description: r.req('description', stringOf), tunnelKey };
}

export function decodeUcastMac(table: 'Ucast_Macs_Local' | 'Ucast_Macs_Remote', row: OvsdbRow, uuid?: string): UcastMac {
  const r = new RowReader(table, row, uuid);
  const mac = r.req('MAC', stringOf);
  r.check('MAC', isMac(mac), `not a MAC address: ${JSON.stringify(mac)}`);
  return {
    uuid: r.uuid,
    mac: mac.toLowerCase(),
    logicalSwitch: r.req('logical_switch', uuidOf),
    locator: r.req('locator', uuidOf),
    ipAddr: ipAddrColumn(r),
  };
}

export function decodeMcastMac(table: 'Mcast_Macs_Local' | 'Mcast_Macs_Remote', row: OvsdbRow, uuid?: string): McastMac {
  const r = new RowReader(table, row, uuid);
  const mac = r.req('MAC', stringOf);
  r.check('MAC', mac === UNKNOWN_DST || isMac(mac), `neither a MAC address nor ${UNKNOWN_DST}: ${JSON.stringify(mac)}`);
  return {
    uuid: r.uuid,
    mac: mac.toLowerCase(),
    logicalSwitch: r.req('logical_switch', uuidOf),
    locatorSet: r.req('locator_set', uuidOf),
    ipAddr: ipAddrColumn(r),
  };
}

export function decodePhysicalLocator(row: OvsdbRow, uuid?: string): PhysicalLocator {
  const r = new RowReader('Physical_Locator', row, uuid);
  const dstIp = r.req('dst_ip', stringOf);
  r.check('dst_ip', isIP(dstIp) !== 0, `not an IP address: ${JSON.stringify(dstIp)}`);
  return { uuid: r.uuid, encapsulationType: r.req('encapsulation_type', stringOf), dstIp };
}

export function decodePhysicalLocatorSet(row: OvsdbRow, uuid?: string): PhysicalLocatorSet {
  const r = new RowReader('Physical_Locator_Set', row, uuid);
  return { uuid: r.uuid, locators: r.req('locators', uuids) };
}
