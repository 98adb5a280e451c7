/**
 * The NSDB in memory for translator unit tests: the real Transaction (bindings, cascades, state-
 * table nodes, one multi per run) over MemoryZk, the translation context the REST layer gives,
 * and a record of what the translator asked of storage, in order, to compare with the original's
 * translator tests.
 */
import type { ModelClass, Models } from '../../lib/models/generated.js';
import { parseText } from '../../lib/nsdb/codec/text-format.js';
import { REGISTERED_CLASSES } from '../../lib/nsdb/classes.js';
import { zoomLayout, type ZoomLayout } from '../../lib/nsdb/layout.js';
import { asModel } from '../../lib/nsdb/msg.js';
import { DecodeCache } from '../../lib/nsdb/decode-cache.js';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { Transaction } from '../../lib/nsdb/transaction.js';
import { decodeEntry } from '../../lib/nsdb/state-tables.js';
import { stateTablePaths } from '../../services/neutron/tables.js';
import { translate, type NeutronOp, type TranslationContext, type TranslationTx, type Translator } from '../../services/neutron/translation.js';
import { MemoryZk } from './memory-zk.js';

export type RecordedOp =
  | { op: 'create' | 'update'; clazz: ModelClass; id: string; obj: unknown }
  | { op: 'delete'; clazz: ModelClass; id: string }
  | { op: 'createNode' | 'deleteNode'; path: string };

/** Passes every call to the transaction and records the writes. */
function recording(tx: Transaction, ops: RecordedOp[]): TranslationTx {
  return {
    get: (c, id) => tx.get(c, id),
    getOrNull: (c, id) => tx.getOrNull(c, id),
    exists: (c, id) => tx.exists(c, id),
    getAll: (c, ids) => tx.getAll(c, ids),
    listAll: (c) => tx.listAll(c),
    async create(c, obj) {
      ops.push({ op: 'create', clazz: c, id: String(obj.id), obj });
      await tx.create(c, obj);
    },
    async update(c, obj, validator) {
      ops.push({ op: 'update', clazz: c, id: String(obj.id), obj });
      await tx.update(c, obj, validator);
    },
    async delete(c, id, ignore) {
      ops.push({ op: 'delete', clazz: c, id });
      await tx.delete(c, id, ignore);
    },
    async createNode(path) {
      ops.push({ op: 'createNode', path });
      await tx.createNode(path);
    },
    async deleteNode(path) {
      ops.push({ op: 'deleteNode', path });
      await tx.deleteNode(path);
    },
  };
}

export class MemoryNsdb {
  readonly zk = new MemoryZk();
  readonly layout: ZoomLayout = zoomLayout('/midonet');
  /** as the store has one: objects read back are the ones written, not parsed again */
  private readonly decodeCache = new DecodeCache();
  /** the writes of the last run, in order */
  ops: RecordedOp[] = [];
  private nextKey = 1;

  constructor() {
    for (const c of REGISTERED_CLASSES) {
      this.zk.mkdirp(this.layout.models(c));
      this.zk.mkdirp(this.layout.objects(c));
      this.zk.mkdirp(this.layout.tables(c));
    }
  }

  private open(): Transaction {
    return new Transaction({
      zk: this.zk,
      layout: this.layout,
      owner: ChangeOwner.clusterNeutron,
      product: { version: '', commit: '' },
      startZxid: async () => this.zk.zxid,
      decodeCache: this.decodeCache,
    });
  }

  /** Runs `fn` in one transaction and commits it; nothing is written if it throws. */
  async run(fn: (ctx: TranslationContext) => Promise<void>): Promise<RecordedOp[]> {
    const tx = this.open();
    const ops: RecordedOp[] = [];
    const keys = new Map<string, number>();
    const ctx: TranslationContext = {
      tx: recording(tx, ops),
      tables: stateTablePaths(this.layout, async (p) => (await this.zk.exists(p)) !== null),
      tunnelKey: async (id) => {
        if (!keys.has(id)) keys.set(id, ++this.nextKey);
        return keys.get(id) as number;
      },
    };
    this.ops = ops;
    await fn(ctx);
    await tx.commit();
    return ops;
  }

  translate<C extends ModelClass>(t: Translator<C>, op: NeutronOp<Models[C]>): Promise<RecordedOp[]> {
    return this.run((ctx) => translate(ctx, t, op));
  }

  create<C extends ModelClass>(t: Translator<C>, obj: Models[C]): Promise<RecordedOp[]> {
    return this.translate(t, { kind: 'create', obj });
  }

  update<C extends ModelClass>(t: Translator<C>, obj: Models[C]): Promise<RecordedOp[]> {
    return this.translate(t, { kind: 'update', obj });
  }

  delete<C extends ModelClass>(t: Translator<C>, id: string): Promise<RecordedOp[]> {
    return this.translate(t, { kind: 'delete', id });
  }

  /** Stores objects directly (test setup), bindings applied. */
  async put<C extends ModelClass>(clazz: C, ...objs: Models[C][]): Promise<void> {
    await this.run(async ({ tx }) => {
      for (const o of objs) await tx.create(clazz, o);
    });
  }

  async get<C extends ModelClass>(clazz: C, id: string): Promise<Models[C] | null> {
    const node = await this.zk.exists(this.layout.model(clazz, id));
    if (!node) return null;
    return asModel(clazz, parseText(clazz, (await this.zk.getData(this.layout.model(clazz, id))).data.toString('utf8')));
  }

  async must<C extends ModelClass>(clazz: C, id: string): Promise<Models[C]> {
    const o = await this.get(clazz, id);
    if (!o) throw new Error(`no ${clazz} ${id}`);
    return o;
  }

  async all<C extends ModelClass>(clazz: C): Promise<Models[C][]> {
    const { children } = await this.zk.getChildren(this.layout.models(clazz));
    return Promise.all(children.map((id) => this.must(clazz, id)));
  }

  /** The rules of a chain, in chain order. */
  async rules(chainId: string): Promise<Models['Rule'][]> {
    const chain = await this.must('Chain', chainId);
    return Promise.all((chain.rule_ids ?? []).map((id) => this.must('Rule', id)));
  }

  /** `<key>,<value>` of the entries under a table path below `tables/<Class>/<id>/`. */
  entries(clazz: ModelClass, id: string, table: string): string[] {
    const root = `${this.layout.tables(clazz, id)}/${table}`;
    return this.zk
      .paths(root)
      .map((p) => decodeEntry(p.slice(p.lastIndexOf('/') + 1)))
      .flatMap((e) => (e ? [`${e.key},${e.value}`] : []));
  }
}
