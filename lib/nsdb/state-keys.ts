/**
 * Reads of the per-owner state keys that agents and services publish (storage.md §8): a
 * single-value key is the data of `state/<ns>/<C>/<id>/<key>`, a multi-value key the names of that
 * node's children. Reads only: the REST API shows state, it never writes any.
 */
import type { ModelClass } from '../models/generated.js';
import { isNoNode } from '../zk/errors.js';
import type { NsdbStorage } from './storage.js';

function keyPath(storage: NsdbStorage, namespace: string, clazz: ModelClass, id: string, key: string): string {
  return `${storage.layout.state(namespace, clazz, id)}/${key}`;
}

/** A single-value key's value (UTF-8); null when nobody holds the key. */
export async function stateValue(storage: NsdbStorage, namespace: string, clazz: ModelClass, id: string, key: string): Promise<string | null> {
  try {
    const { data } = await storage.zookeeper.getData(keyPath(storage, namespace, clazz, id, key));
    return data.toString('utf8');
  } catch (e) {
    if (isNoNode(e)) return null;
    throw e;
  }
}

/** A multi-value key's values; empty when nobody holds any. */
export async function stateValues(storage: NsdbStorage, namespace: string, clazz: ModelClass, id: string, key: string): Promise<string[]> {
  try {
    return (await storage.zookeeper.getChildren(keyPath(storage, namespace, clazz, id, key))).children;
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}
