/**
 * A ZooKeeper stand-in in memory, with just what a transaction uses (lib/nsdb/transaction.ts
 * `TransactionZk`: getData, getChildren, exists, multi) and ZooKeeper's rules for them: versions,
 * zxids, parents must exist, a multi applies all of its ops or none. Unit tests run the real
 * Transaction (bindings, folding) over it, without a server.
 */
import type { MultiOpResult, ZkOp, ZkStat } from '../../lib/zk/client.js';
import { ZK_CODES, ZkError, ZkMultiError } from '../../lib/zk/errors.js';
import type { TransactionZk } from '../../lib/nsdb/transaction.js';

interface Node {
  data: Buffer;
  version: number;
  czxid: bigint;
  mzxid: bigint;
  children: Set<string>;
}

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';
const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export class MemoryZk implements TransactionZk {
  private readonly nodes = new Map<string, Node>([['/', { data: Buffer.alloc(0), version: 0, czxid: 0n, mzxid: 0n, children: new Set() }]]);
  /** zxid of the last applied write */
  zxid = 0n;

  private stat(n: Node): ZkStat {
    return {
      czxid: n.czxid,
      mzxid: n.mzxid,
      pzxid: n.mzxid,
      ctime: 0,
      mtime: 0,
      version: n.version,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: 0n,
      dataLength: n.data.length,
      numChildren: n.children.size,
    };
  }

  private node(path: string): Node {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_CODES.NONODE, path);
    return n;
  }

  async getData(path: string): Promise<{ data: Buffer; stat: ZkStat }> {
    const n = this.node(path);
    return { data: Buffer.from(n.data), stat: this.stat(n) };
  }

  async getChildren(path: string): Promise<{ children: string[]; stat: ZkStat }> {
    const n = this.node(path);
    return { children: [...n.children], stat: this.stat(n) };
  }

  async exists(path: string): Promise<ZkStat | null> {
    const n = this.nodes.get(path);
    return n ? this.stat(n) : null;
  }

  /** Every node path below `prefix` (itself included), for assertions. */
  paths(prefix: string): string[] {
    return [...this.nodes.keys()].filter((p) => p === prefix || p.startsWith(`${prefix}/`)).sort();
  }

  /** Creates a node and its missing parents (test setup). */
  mkdirp(path: string, data: Buffer = Buffer.alloc(0)): void {
    const parts = path.split('/').filter(Boolean);
    let p = '';
    for (const [i, part] of parts.entries()) {
      p += `/${part}`;
      if (!this.nodes.has(p)) this.apply({ op: 'create', path: p, data: i === parts.length - 1 ? data : Buffer.alloc(0) }, ++this.zxid);
    }
  }

  /** What an op would fail with, against the state the earlier ops of the multi left. */
  private check(op: ZkOp, staged: Map<string, Node | null>): number {
    const get = (p: string): Node | undefined => (staged.has(p) ? (staged.get(p) ?? undefined) : this.nodes.get(p));
    const n = get(op.path);
    switch (op.op) {
      case 'create':
        if (n) return ZK_CODES.NODEEXISTS;
        if (!get(parentOf(op.path))) return ZK_CODES.NONODE;
        staged.set(op.path, { data: op.data ?? Buffer.alloc(0), version: 0, czxid: 0n, mzxid: 0n, children: new Set() });
        return ZK_CODES.OK;
      case 'setData':
        if (!n) return ZK_CODES.NONODE;
        if (op.version !== -1 && op.version !== n.version) return ZK_CODES.BADVERSION;
        staged.set(op.path, { ...n, version: n.version + 1 });
        return ZK_CODES.OK;
      case 'remove': {
        if (!n) return ZK_CODES.NONODE;
        if (op.version !== -1 && op.version !== n.version) return ZK_CODES.BADVERSION;
        const children = [...n.children].filter((c) => get(`${op.path === '/' ? '' : op.path}/${c}`));
        const stagedChildren = [...staged.entries()].filter(([p, v]) => v && parentOf(p) === op.path);
        if (children.length > 0 || stagedChildren.length > 0) return ZK_CODES.NOTEMPTY;
        staged.set(op.path, null);
        return ZK_CODES.OK;
      }
      case 'check':
        if (!n) return ZK_CODES.NONODE;
        return op.version !== -1 && op.version !== n.version ? ZK_CODES.BADVERSION : ZK_CODES.OK;
    }
  }

  private apply(op: ZkOp, zxid: bigint): ZkStat | undefined {
    switch (op.op) {
      case 'create': {
        const n: Node = { data: Buffer.from(op.data ?? Buffer.alloc(0)), version: 0, czxid: zxid, mzxid: zxid, children: new Set() };
        this.nodes.set(op.path, n);
        this.node(parentOf(op.path)).children.add(nameOf(op.path));
        return undefined;
      }
      case 'setData': {
        const n = this.node(op.path);
        n.data = Buffer.from(op.data);
        n.version++;
        n.mzxid = zxid;
        return this.stat(n);
      }
      case 'remove':
        this.nodes.delete(op.path);
        this.node(parentOf(op.path)).children.delete(nameOf(op.path));
        return undefined;
      case 'check':
        return undefined;
    }
  }

  async multi(ops: ZkOp[]): Promise<MultiOpResult[]> {
    const staged = new Map<string, Node | null>();
    const results: MultiOpResult[] = [];
    let failed = false;
    for (const op of ops) {
      if (failed) {
        results.push({ op: op.op, code: ZK_CODES.RUNTIMEINCONSISTENCY, path: op.path });
        continue;
      }
      const code = this.check(op, staged);
      results.push({ op: op.op, code, path: op.path });
      if (code !== ZK_CODES.OK) failed = true;
    }
    if (failed) throw new ZkMultiError(results);
    const zxid = ++this.zxid;
    return ops.map((op) => {
      const stat = this.apply(op, zxid);
      return stat ? { op: op.op, code: ZK_CODES.OK, path: op.path, stat } : { op: op.op, code: ZK_CODES.OK, path: op.path };
    });
  }
}
