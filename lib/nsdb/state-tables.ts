/**
 * Replicated state tables (storage.md §9): entries are znodes named `<key>,<value>,<version>`
 * under `zoom/0/tables/<Class>/<id>/<table>[/<arg>…]`, with no data. The API writes persistent
 * entries (version 2147483647); agents write learned ones (ephemeral-sequential, the sequence is
 * the version). Reading resolves each key the way the original does: learned beats persistent,
 * the higher learned version wins, among persistent ones the first listed is kept.
 *
 * This is the "remote" side of the original's StateTable (`addPersistent`, `removePersistent`,
 * `containsRemote`, `remoteSnapshot`, `tableArguments`): direct reads and writes, no cache.
 */
import type { ModelClass } from '../models/generated.js';
import { ZkError } from '../zk/errors.js';
import type { ZoomLayout } from './layout.js';
import type { NsdbStorage } from './storage.js';
import { mapReadError } from './transaction.js';

export const PERSISTENT_VERSION = 2147483647;

export interface TableEntry {
  key: string;
  value: string;
  version: number;
  /** the znode name */
  name: string;
}

/** Decodes an entry name; undefined for names that are not entries (ignored, as in the original). */
export function decodeEntry(name: string): TableEntry | undefined {
  const last = name.lastIndexOf(',');
  if (last <= 0) return undefined;
  const first = name.lastIndexOf(',', last - 1);
  if (first <= 0) return undefined;
  const versionText = name.slice(last + 1);
  if (!/^\d{1,10}$/.test(versionText)) return undefined;
  const version = Number(versionText);
  if (version > PERSISTENT_VERSION) return undefined;
  return { key: name.slice(0, first), value: name.slice(first + 1, last), version, name };
}

/** `<key>,<value>,2147483647` (the version already has the 10 digits of a sequence number). */
export function persistentEntryName(key: string, value: string): string {
  return `${key},${value},${String(PERSISTENT_VERSION).padStart(10, '0')}`;
}

/** One entry per key, resolved as the original's table reads do. */
export function resolveEntries(entries: TableEntry[]): TableEntry[] {
  const byKey = new Map<string, TableEntry>();
  for (const e of entries) {
    const cur = byKey.get(e.key);
    if (!cur) {
      byKey.set(e.key, e);
      continue;
    }
    const curLearned = cur.version !== PERSISTENT_VERSION;
    const eLearned = e.version !== PERSISTENT_VERSION;
    if (eLearned && (!curLearned || e.version > cur.version)) byKey.set(e.key, e);
  }
  return [...byKey.values()];
}

/**
 * The pre-v5 location of a table, used instead of the ZOOM one only when it exists (storage.md
 * §9.4). Only the bridge ARP table (`ip4_mac_table`) can resolve there: the original hands the
 * MAC table's arguments to its legacy mapping wrapped in a list, so the MAC-table paths it builds
 * never exist, and agents and cluster alike use the ZOOM path for MAC tables.
 */
export function legacyTablePath(layout: ZoomLayout, clazz: string, id: string, name: string): string | undefined {
  if (clazz === 'Network' && name === 'ip4_mac_table') return `${layout.root}/bridges/${id}/ip4_mac_map`;
  return undefined;
}

export class StateTable {
  constructor(
    private readonly storage: NsdbStorage,
    readonly path: string,
  ) {}

  /** The table at its ZOOM path `tables/<clazz>/<id>/<name>[/<arg>…]`. */
  static of(storage: NsdbStorage, clazz: ModelClass, id: string, name: string, ...args: string[]): StateTable {
    return new StateTable(storage, [storage.layout.tables(clazz, id), name, ...args].join('/'));
  }

  /** The table where the original would find it: its legacy path when that exists, else ZOOM's. */
  static async locate(storage: NsdbStorage, clazz: ModelClass, id: string, name: string, ...args: string[]): Promise<StateTable> {
    const legacy = args.length === 0 ? legacyTablePath(storage.layout, clazz, id, name) : undefined;
    if (legacy) {
      let found: boolean;
      try {
        found = (await storage.zookeeper.exists(legacy)) !== null;
      } catch (e) {
        throw mapReadError(e, `checking table ${legacy}`);
      }
      if (found) return new StateTable(storage, legacy);
    }
    return StateTable.of(storage, clazz, id, name, ...args);
  }

  async exists(): Promise<boolean> {
    try {
      return (await this.storage.zookeeper.exists(this.path)) !== null;
    } catch (e) {
      throw mapReadError(e, `checking table ${this.path}`);
    }
  }

  /** Every decodable entry under the table, unresolved; [] when the table does not exist. */
  async rawEntries(): Promise<TableEntry[]> {
    return (await this.children()).map(decodeEntry).filter((x): x is TableEntry => x !== undefined);
  }

  /** The resolved entries, one per key (the original's `remoteSnapshot`). */
  async entries(): Promise<TableEntry[]> {
    return resolveEntries(await this.rawEntries());
  }

  /** Whether the persistent entry `<key>,<value>` exists. */
  async containsPersistent(key: string, value: string): Promise<boolean> {
    try {
      return (await this.storage.zookeeper.exists(`${this.path}/${persistentEntryName(key, value)}`)) !== null;
    } catch (e) {
      throw mapReadError(e, `reading table ${this.path}`);
    }
  }

  /**
   * The original's `containsRemote(key, value)`: the persistent entry exists, or the learned
   * entry that wins for the key maps it to the value.
   */
  async containsRemote(key: string, value: string): Promise<boolean> {
    if (await this.containsPersistent(key, value)) return true;
    const hit = (await this.entries()).find((e) => e.key === key);
    return hit !== undefined && hit.version !== PERSISTENT_VERSION && hit.value === value;
  }

  /**
   * Adds a persistent entry; the table node (and its parents, e.g. a new VLAN's table) is created
   * on first use, as the original does when it opens a table with arguments. False when the very
   * same entry was already there.
   */
  async addPersistent(key: string, value: string): Promise<boolean> {
    const zk = this.storage.zookeeper;
    const entry = `${this.path}/${persistentEntryName(key, value)}`;
    try {
      try {
        await zk.create(entry, Buffer.alloc(0), 'persistent');
      } catch (e) {
        if (!(e instanceof ZkError && e.codeName === 'NONODE')) throw e;
        await zk.mkdirp(this.path);
        await zk.create(entry, Buffer.alloc(0), 'persistent');
      }
      return true;
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NODEEXISTS') return false;
      throw mapReadError(e, `adding to table ${this.path}`);
    }
  }

  /**
   * Removes the persistent entry of this pair (version-checked, as the original); learned entries
   * belong to the agents that wrote them and stay. True when an entry was removed.
   */
  async removePersistent(key: string, value: string): Promise<boolean> {
    const zk = this.storage.zookeeper;
    const entry = `${this.path}/${persistentEntryName(key, value)}`;
    try {
      const stat = await zk.exists(entry);
      if (stat === null) return false;
      await zk.remove(entry, stat.version);
      return true;
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') return false;
      throw mapReadError(e, `removing from table ${this.path}`);
    }
  }

  /** The child names under this path, e.g. the VLANs of a MAC table; [] when it does not exist. */
  async children(): Promise<string[]> {
    try {
      return (await this.storage.zookeeper.getChildren(this.path)).children;
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') return [];
      throw mapReadError(e, `listing ${this.path}`);
    }
  }
}
