/**
 * Replicated state tables (storage.md §9): entries are znodes named `<key>,<value>,<version>`
 * under `zoom/0/tables/<Class>/<id>/<table>[/<arg>…]`. The API writes persistent entries
 * (version 2147483647); agents write learned ones (ephemeral-sequential). Reading resolves each
 * key the way the original does: learned beats persistent, higher version wins.
 */
import { ZkError } from '../zk/errors.js';
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
  return { key: name.slice(0, first), value: name.slice(first + 1, last), version: Number(versionText), name };
}

export function persistentEntryName(key: string, value: string): string {
  return `${key},${value},${String(PERSISTENT_VERSION).padStart(10, '0')}`;
}

/** One entry per key, resolved as the original's table cache does. */
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

export class StateTable {
  constructor(
    private readonly storage: NsdbStorage,
    readonly path: string,
  ) {}

  static of(storage: NsdbStorage, clazz: string, id: string, name: string, ...args: string[]): StateTable {
    return new StateTable(storage, [storage.layout.tables(clazz, id), name, ...args].join('/'));
  }

  async exists(): Promise<boolean> {
    try {
      return (await this.storage.zookeeper.exists(this.path)) !== null;
    } catch (e) {
      throw mapReadError(e, `checking table ${this.path}`);
    }
  }

  /** Entry names under the table; [] when the table does not exist. */
  async rawEntries(): Promise<TableEntry[]> {
    let children: string[];
    try {
      children = (await this.storage.zookeeper.getChildren(this.path)).children;
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') return [];
      throw mapReadError(e, `reading table ${this.path}`);
    }
    return children.map(decodeEntry).filter((x): x is TableEntry => x !== undefined);
  }

  async entries(): Promise<TableEntry[]> {
    return resolveEntries(await this.rawEntries());
  }

  /** Adds a persistent entry; the table node (and its parents) is created on first use. */
  async addPersistent(key: string, value: string): Promise<void> {
    const zk = this.storage.zookeeper;
    try {
      await zk.mkdirp(this.path);
      await zk.create(`${this.path}/${persistentEntryName(key, value)}`, Buffer.alloc(0), 'persistent');
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NODEEXISTS') return; // the same pair is already there
      throw mapReadError(e, `adding to table ${this.path}`);
    }
  }

  /** Removes every entry (persistent or learned) of this key/value pair; true if one was removed. */
  async remove(key: string, value: string): Promise<boolean> {
    const hits = (await this.rawEntries()).filter((e) => e.key === key && e.value === value);
    let removed = false;
    for (const e of hits) {
      try {
        await this.storage.zookeeper.remove(`${this.path}/${e.name}`, -1);
        removed = true;
      } catch (err) {
        if (!(err instanceof ZkError && err.codeName === 'NONODE')) throw mapReadError(err, `removing from table ${this.path}`);
      }
    }
    return removed;
  }

  /** The argument segments under this path (e.g. the VLANs of a MAC table). */
  async children(): Promise<string[]> {
    try {
      return (await this.storage.zookeeper.getChildren(this.path)).children;
    } catch (e) {
      if (e instanceof ZkError && e.codeName === 'NONODE') return [];
      throw mapReadError(e, `listing ${this.path}`);
    }
  }
}
