/**
 * A local copy of monitored tables, fed by a monitor's handler calls, that reports every change
 * as whole rows: a modify's `old` is rebuilt from the new row and the changed columns the server
 * sent (RFC 7047 §4.1.6 sends only those), and after a reconnect the fresh full contents are
 * compared with the copy, so rows that appeared, changed or vanished while the connection was
 * down are reported like any other change.
 */
import type { MonitorHandler } from './client.js';
import type { RowUpdate, TableUpdates } from './protocol.js';
import type { OvsdbRow } from './values.js';

export interface RowChange {
  table: string;
  uuid: string;
  /** the row before (absent for an insert) */
  old?: OvsdbRow;
  /** the row after (absent for a delete) */
  new?: OvsdbRow;
}

export class TableReplica {
  private readonly data = new Map<string, Map<string, OvsdbRow>>();

  /**
   * @param onChanges called with the changes of each batch (an initial load, a resync, one
   *   update notification); with an empty list only for a first initial load of empty tables
   */
  constructor(private readonly onChanges: (changes: RowChange[], info: { initial: boolean; reconnect: boolean }) => void) {}

  /** This replica as the handler of a monitor. */
  handler(failed?: (err: Error) => void): MonitorHandler {
    return {
      initial: (updates, info) => this.replaceAll(updates, info.reconnect),
      update: (updates) => this.apply(updates),
      failed,
    };
  }

  rows(table: string): IterableIterator<[string, OvsdbRow]> {
    return (this.data.get(table) ?? new Map<string, OvsdbRow>()).entries();
  }

  get(table: string, uuid: string): OvsdbRow | undefined {
    return this.data.get(table)?.get(uuid);
  }

  size(table: string): number {
    return this.data.get(table)?.size ?? 0;
  }

  /** Replaces the contents with a full dump; reports the difference from what was held. */
  replaceAll(updates: TableUpdates, reconnect: boolean): void {
    const changes: RowChange[] = [];
    const tables = new Set([...this.data.keys(), ...Object.keys(updates)]);
    for (const table of tables) {
      const before = this.data.get(table) ?? new Map<string, OvsdbRow>();
      const after = new Map<string, OvsdbRow>();
      for (const [uuid, u] of Object.entries(updates[table] ?? {})) {
        if (u.new) after.set(uuid, u.new);
      }
      for (const [uuid, row] of after) {
        const old = before.get(uuid);
        if (!old) changes.push({ table, uuid, new: row });
        else if (!sameRow(old, row)) changes.push({ table, uuid, old, new: row });
      }
      for (const [uuid, old] of before) if (!after.has(uuid)) changes.push({ table, uuid, old });
      this.data.set(table, after);
    }
    if (changes.length > 0 || !reconnect) this.onChanges(changes, { initial: true, reconnect });
  }

  /** Applies one update notification. */
  apply(updates: TableUpdates): void {
    const changes: RowChange[] = [];
    for (const [table, rows] of Object.entries(updates)) {
      let held = this.data.get(table);
      if (!held) {
        held = new Map();
        this.data.set(table, held);
      }
      for (const [uuid, u] of Object.entries(rows)) {
        const c = applyRow(held, table, uuid, u);
        if (c) changes.push(c);
      }
    }
    if (changes.length > 0) this.onChanges(changes, { initial: false, reconnect: false });
  }
}

function applyRow(held: Map<string, OvsdbRow>, table: string, uuid: string, u: RowUpdate): RowChange | undefined {
  const had = held.get(uuid);
  if (u.new && u.old) {
    const next = u.new;
    held.set(uuid, next);
    return { table, uuid, old: had ?? { ...next, ...u.old }, new: next };
  }
  if (u.new) {
    held.set(uuid, u.new);
    return had ? { table, uuid, old: had, new: u.new } : { table, uuid, new: u.new };
  }
  if (u.old || had) {
    held.delete(uuid);
    return { table, uuid, old: had ?? u.old };
  }
  return undefined;
}

function sameRow(a: OvsdbRow, b: OvsdbRow): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!(k in b) || JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  }
  return true;
}
