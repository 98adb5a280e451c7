/**
 * Path helpers for ZooKeeper (pure functions, no I/O). The ZOOM tree itself is lib/nsdb/layout.ts.
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
