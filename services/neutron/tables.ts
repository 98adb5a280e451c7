/**
 * The state-table entries the translators write (storage.md §9): persistent entries of a bridge's
 * MAC table (VLAN 0) and ARP table, in the layout the agents and the MidoNet API's table
 * resources use (lib/nsdb/state-tables.ts).
 */
import type { ZoomLayout } from '../../lib/nsdb/layout.js';
import { legacyTablePath, persistentEntryName } from '../../lib/nsdb/state-tables.js';
import type { StateTablePaths } from './translation.js';

/** The untagged VLAN's MAC table. */
const UNTAGGED = '0';

/**
 * Bridges known to have no legacy ARP table (by root and id). Nothing since v5 creates one, so the
 * answer cannot change: remembered for the process, a bounded number of them.
 */
const withoutLegacy = new Set<string>();
const MAX_REMEMBERED = 100_000;

/**
 * `exists` tells whether a path exists (the ARP table of a bridge made before v5 is at its legacy
 * place, where the agents look first); its answers are remembered per bridge (a missing legacy
 * table for as long as the process runs).
 */
export function stateTablePaths(layout: ZoomLayout, exists: (path: string) => Promise<boolean>): StateTablePaths {
  const arpTables = new Map<string, Promise<string>>();
  const arpTable = (networkId: string): Promise<string> => {
    let table = arpTables.get(networkId);
    if (!table) {
      const zoom = `${layout.tables('Network', networkId)}/ip4_mac_table`;
      const legacy = legacyTablePath(layout, 'Network', networkId, 'ip4_mac_table');
      const known = `${layout.root}|${networkId}`;
      if (!legacy || withoutLegacy.has(known)) {
        table = Promise.resolve(zoom);
      } else {
        table = exists(legacy).then((found) => {
          if (found) return legacy;
          if (withoutLegacy.size >= MAX_REMEMBERED) withoutLegacy.clear();
          withoutLegacy.add(known);
          return zoom;
        });
      }
      arpTables.set(networkId, table);
    }
    return table;
  };
  return {
    macEntry: (networkId, mac, portId) => `${layout.tables('Network', networkId)}/mac_table/${UNTAGGED}/${persistentEntryName(mac, portId)}`,
    arpEntry: async (networkId, ip, mac) => `${await arpTable(networkId)}/${persistentEntryName(ip, mac)}`,
    peeringEntry: (portId, mac, ip) => `${layout.tables('Port', portId)}/peering_table/${persistentEntryName(mac.toLowerCase(), ip)}`,
  };
}
