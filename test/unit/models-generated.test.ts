import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GENERATED_FILE, renderModelTypes } from '../../lib/models/codegen.js';
import { MODEL_CLASSES, type Models, type Network, type Rule } from '../../lib/models/generated.js';
import { hasMessageType } from '../../lib/models/schema.js';
import type { Msg } from '../../lib/models/types.js';
import { REGISTERED_CLASSES } from '../../lib/nsdb/classes.js';
import { parseText, printText } from '../../lib/nsdb/codec/text-format.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { Transaction } from '../../lib/nsdb/transaction.js';

test('lib/models/generated.ts is what `npm run gen:models` renders from the .proto files now', () => {
  const committed = readFileSync(fileURLToPath(new URL(`../../${GENERATED_FILE}`, import.meta.url)), 'utf8');
  const fresh = renderModelTypes(REGISTERED_CLASSES);
  if (committed !== fresh) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const at = a.findIndex((l, i) => l !== b[i]);
    assert.fail(
      `${GENERATED_FILE} is stale (first difference at line ${at + 1}: ${JSON.stringify(a[at])} vs ${JSON.stringify(b[at])}); run npm run gen:models`,
    );
  }
});

test('Models maps every registered class that is a protobuf message, and nothing else', () => {
  assert.deepEqual(
    [...MODEL_CLASSES],
    REGISTERED_CLASSES.filter((c) => hasMessageType(c)),
  );
  assert.deepEqual(
    REGISTERED_CLASSES.filter((c) => !hasMessageType(c)),
    ['C3POState'],
  );
});

test('a typed message is what the codec reads and writes', () => {
  const rule: Rule = {
    id: '3f0d4b52-5a0e-4c8e-9d7c-1f2e3d4c5b6a',
    type: 'NAT_RULE',
    action: 'ACCEPT',
    condition: { nw_proto: 6, tp_dst: { start: 80, end: 80 }, dl_src_mask: 0xffffffffffffn },
    nat_rule_data: { nat_targets: [{ nw_start: { version: 'V4', address: '10.0.0.1' }, tp_start: 1 }], dnat: true },
  };
  const asMsg: Msg = rule; // a typed message is a Msg as it is
  assert.deepEqual(parseText('Rule', printText('Rule', asMsg)), rule);
});

test('misspelt fields, classes and enum values do not compile', () => {
  // Each line below is a compile error (npm run typecheck fails if one of them stops being one).
  // @ts-expect-error a field Network does not have
  const n: Network = { id: 'x', port_id: [] };
  // @ts-expect-error an enum value Rule.Type does not have
  const r: Rule = { type: 'NAT' };
  // @ts-expect-error a class that is not registered
  const c: keyof Models = 'Bridge';
  // @ts-expect-error a UUID list is an array of strings
  const p: Models['Port'] = { port_group_ids: 'a' };
  assert.ok(n && r && c && p);
});

test('storage reads and transactions are typed by class', () => {
  // Compiled, never run: each marked line must stay a compile error.
  const typed = async (storage: NsdbStorage, tx: Transaction): Promise<void> => {
    const port = await storage.get('Port', 'x');
    const groups: string[] | undefined = port.port_group_ids;
    // @ts-expect-error a Port has no field `port_group_id`
    void port.port_group_id;
    // @ts-expect-error no class `Bridge` (the REST name of a Network)
    await storage.get('Bridge', 'x');
    // @ts-expect-error a Network is not a Router
    await tx.create('Router', { id: 'x', port_ids: [], tenant_id: 't', vni: 1 });
    // @ts-expect-error `tunnel_key` is a 64-bit field: a bigint
    await tx.update('Network', { id: 'x', tunnel_key: 1 });
    const rules = await tx.getAll('Rule', []);
    void rules[0]?.condition?.nw_proto;
    void groups;
  };
  assert.equal(typeof typed, 'function');
});
