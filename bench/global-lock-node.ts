/**
 * Bench-only variant of the node: the same CLI and code, except that every NSDB transaction runs
 * under one cluster-wide ZooKeeper lock, as the original's write path did. It exists to measure
 * what dropping that lock buys (bench scenario 4); it is never shipped or started by deploy/.
 */
import { NsdbStorage } from '../lib/nsdb/storage.js';
import { GlobalLock } from './lib/global-lock.js';

const unlocked = NsdbStorage.prototype.tryTransaction;
NsdbStorage.prototype.tryTransaction = function lockedTransaction(this: NsdbStorage, owner, fn) {
  const lock = new GlobalLock(this.zookeeper, this.layout.topologyLock);
  return lock.withLock(() => unlocked.call(this, owner, fn));
} as typeof unlocked;

await import('../services/cluster-node/main.js');
