/**
 * Path helpers for the ZooKeeper tree of storage.md §1. Pure functions, no I/O.
 */

/** Joins path segments with single slashes: joinPath('/a/', 'b', '/c') === '/a/b/c'; always absolute. */
export function joinPath(...parts: string[]): string {
  const segments: string[] = [];
  for (const part of parts) {
    for (const s of part.split('/')) if (s !== '') segments.push(s);
  }
  return `/${segments.join('/')}`;
}

export const DEFAULT_ROOT_KEY = '/midonet';
const LEGACY_ROOT_KEY = '/midonet/v1';

/**
 * `zookeeper.root_key` as the reference applies it: empty/absent means `/midonet`, the legacy
 * `/midonet/v1` is silently replaced by `/midonet`, trailing slashes are dropped. A key that does
 * not start with `/` is a configuration error.
 */
export function normalizeRootKey(rootKey?: string | null): string {
  let k = (rootKey ?? '').trim();
  if (k === '') return DEFAULT_ROOT_KEY;
  if (!k.startsWith('/')) throw new Error(`zookeeper.root_key must start with '/': '${k}'`);
  k = k.replace(/\/+$/, '');
  if (k === '') throw new Error(`zookeeper.root_key must not be the ZooKeeper root '/'`);
  if (k.includes('//')) throw new Error(`zookeeper.root_key must not contain empty segments: '${k}'`);
  return k === LEGACY_ROOT_KEY ? DEFAULT_ROOT_KEY : k;
}

/** The NSDB data-layout version under `<root>/zoom/`; a constant in the reference (ZoomPaths). */
export const ZOOM_LAYOUT_VERSION = 0;

export interface ZoomPaths {
  root: string;
  /** `<root>/zoom/0` */
  zoom: string;
  models(cls: string): string;
  model(cls: string, id: string): string;
  objects(cls: string): string;
  object(cls: string, id: string): string;
  /** `Z/state/<ns>/<cls>[/<id>]` */
  state(ns: string, cls: string, id?: string): string;
  /** `Z/tables/<cls>[/<id>]`; global tables use cls `global` */
  tables(cls: string, id?: string): string;
  /** `Z/zoomlocks` (per-transaction zxid probes) */
  zoomLocks: string;
  /** `Z/locks/zoom-topology` (the topology lock, §10) */
  lock: string;
}

/** Paths of the ZOOM tree under an already normalized root key (see normalizeRootKey). */
export function zoomPaths(root: string): ZoomPaths {
  const zoom = `${root}/zoom/${ZOOM_LAYOUT_VERSION}`;
  const opt = (base: string, id?: string): string => (id === undefined ? base : `${base}/${id}`);
  return {
    root,
    zoom,
    models: (cls) => `${zoom}/models/${cls}`,
    model: (cls, id) => `${zoom}/models/${cls}/${id}`,
    objects: (cls) => `${zoom}/objects/${cls}`,
    object: (cls, id) => `${zoom}/objects/${cls}/${id}`,
    state: (ns, cls, id) => opt(`${zoom}/state/${ns}/${cls}`, id),
    tables: (cls, id) => opt(`${zoom}/tables/${cls}`, id),
    zoomLocks: `${zoom}/zoomlocks`,
    lock: `${zoom}/locks/zoom-topology`,
  };
}
