/**
 * What a hardware VTEP holds, read with `ovsdb-client dump` (Open vSwitch's own tool, not the
 * project's client) and put in a shape tests can compare: logical switches by name, VLAN bindings
 * by port, remote and local MACs with the IPs their locators point at.
 */
import type { VtepServer } from './ovsdb.js';

type Row = Record<string, unknown>;

function uuidOf(v: unknown): string {
  return Array.isArray(v) && v[0] === 'uuid' ? String(v[1]) : '';
}

function setOf(v: unknown): unknown[] {
  if (Array.isArray(v) && v[0] === 'set') return v[1] as unknown[];
  return v === undefined ? [] : [v];
}

function mapOf(v: unknown): [unknown, unknown][] {
  return Array.isArray(v) && v[0] === 'map' ? (v[1] as [unknown, unknown][]) : [];
}

export interface VtepMacRow {
  mac: string;
  logicalSwitch: string;
  ipaddr: string;
  /** destination IPs of the row's locator (set) */
  dst: string[];
}

export interface VtepView {
  /** logical switch name → tunnel key */
  switches: Map<string, number | undefined>;
  /** port name → `vlan:logical switch name` */
  bindings: Map<string, string[]>;
  ucastRemote: VtepMacRow[];
  mcastRemote: VtepMacRow[];
  ucastLocal: VtepMacRow[];
}

export async function viewVtep(server: VtepServer): Promise<VtepView> {
  const [ls, ports, locators, sets, ur, mr, ul] = await Promise.all([
    server.dump('Logical_Switch'),
    server.dump('Physical_Port'),
    server.dump('Physical_Locator'),
    server.dump('Physical_Locator_Set'),
    server.dump('Ucast_Macs_Remote'),
    server.dump('Mcast_Macs_Remote'),
    server.dump('Ucast_Macs_Local'),
  ]);
  const lsName = new Map(ls.map((r: Row) => [uuidOf(r['_uuid']), String(r['name'])]));
  const locIp = new Map(locators.map((r: Row) => [uuidOf(r['_uuid']), String(r['dst_ip'])]));
  const setIps = new Map(sets.map((r: Row) => [uuidOf(r['_uuid']), setOf(r['locators']).map((l) => locIp.get(uuidOf(l)) ?? '?')]));
  const ucast = (rows: Row[]): VtepMacRow[] =>
    rows.map((r) => ({
      mac: String(r['MAC']),
      logicalSwitch: lsName.get(uuidOf(r['logical_switch'])) ?? '?',
      ipaddr: String(r['ipaddr']),
      dst: [locIp.get(uuidOf(r['locator'])) ?? '?'],
    }));
  const mcast = (rows: Row[]): VtepMacRow[] =>
    rows.map((r) => ({
      mac: String(r['MAC']),
      logicalSwitch: lsName.get(uuidOf(r['logical_switch'])) ?? '?',
      ipaddr: String(r['ipaddr']),
      dst: setIps.get(uuidOf(r['locator_set'])) ?? [],
    }));
  const switches = new Map<string, number | undefined>();
  for (const r of ls) {
    const key = setOf(r['tunnel_key'])[0];
    switches.set(String(r['name']), typeof key === 'number' ? key : undefined);
  }
  const bindings = new Map<string, string[]>();
  for (const p of ports) {
    bindings.set(
      String(p['name']),
      mapOf(p['vlan_bindings'])
        .map(([vlan, l]) => `${String(vlan)}:${lsName.get(uuidOf(l)) ?? '?'}`)
        .sort(),
    );
  }
  return { switches, bindings, ucastRemote: ucast(ur), mcastRemote: mcast(mr), ucastLocal: ucast(ul) };
}
