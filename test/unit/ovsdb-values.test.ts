/**
 * OVSDB value encoding (RFC 7047 §5.1), the row decoders of the VTEP tables, the transact result
 * check, the backoff and the replica's change reporting: the parts that need no server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exponentialBackoff } from '../../lib/ovsdb/backoff.js';
import { checkTransactResult, OvsdbProtocolError, OvsdbTransactionError, type Operation } from '../../lib/ovsdb/protocol.js';
import { TableReplica, type RowChange } from '../../lib/ovsdb/replica.js';
import {
  emptySet,
  mapOf,
  namedUuid,
  optional,
  optionalOf,
  ovsMap,
  ovsSet,
  OvsdbValueError,
  integerOf,
  setOf,
  stringOf,
  uuid,
  uuidOf,
  type OvsdbRow,
} from '../../lib/ovsdb/values.js';
import {
  bridgeIdOf,
  decodeLogicalSwitch,
  decodeMcastMac,
  decodePhysicalPort,
  decodePhysicalSwitch,
  decodeUcastMac,
  logicalSwitchName,
  VtepRowError,
} from '../../lib/ovsdb/vtep-rows.js';

const U1 = '5e8b2a3c-0d1e-4f5a-9b6c-7d8e9f0a1b2c';
const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('OVSDB values', () => {
  test('encoders', () => {
    assert.deepEqual(uuid(U1.toUpperCase()), ['uuid', U1]);
    assert.deepEqual(namedUuid('locator_id'), ['named-uuid', 'locator_id']);
    assert.deepEqual(ovsSet(['a', 1]), ['set', ['a', 1]]);
    assert.deepEqual(ovsMap([[100, uuid(U1)]]), ['map', [[100, ['uuid', U1]]]]);
    assert.deepEqual(emptySet(), ['set', []]);
    assert.deepEqual(optional(undefined), ['set', []]);
    assert.equal(optional(5), 5);
    assert.throws(() => uuid('not-a-uuid'), OvsdbValueError);
    assert.throws(() => namedUuid('1bad'), OvsdbValueError);
  });

  test('a set is ["set", [...]] or a bare atom', () => {
    assert.deepEqual(setOf(['set', ['10.0.0.1', '10.0.0.2']], stringOf), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(setOf('10.0.0.1', stringOf), ['10.0.0.1']);
    assert.deepEqual(setOf(['uuid', U1], uuidOf), [U1]);
    assert.equal(optionalOf(['set', []], integerOf), undefined);
    assert.equal(optionalOf(5000, integerOf), 5000);
    assert.throws(() => optionalOf(['set', [1, 2]], integerOf), /at most one/);
    assert.throws(() => setOf({ x: 1 }, stringOf), /expected a set/);
    assert.throws(() => setOf(['set', [{}]], stringOf), /malformed set element/);
  });

  test('maps', () => {
    const m = mapOf(
      [
        'map',
        [
          [1, ['uuid', U1]],
          [2, ['uuid', U2]],
        ],
      ],
      integerOf,
      uuidOf,
    );
    assert.deepEqual(
      [...m],
      [
        [1, U1],
        [2, U2],
      ],
    );
    assert.throws(() => mapOf(['map', [[1]]], integerOf, uuidOf), /malformed map entry/);
    assert.throws(() => mapOf(['set', []], integerOf, uuidOf), /expected a map/);
  });
});

describe('VTEP row decoders', () => {
  test('Physical_Switch, Physical_Port, Logical_Switch', () => {
    const ps = decodePhysicalSwitch({
      _uuid: ['uuid', U1],
      name: 'sw1',
      description: 'd',
      management_ips: '192.168.1.10',
      tunnel_ips: ['set', ['10.0.0.10', '10.0.0.11']],
      ports: ['set', [['uuid', U2]]],
    });
    assert.deepEqual(ps, {
      uuid: U1,
      name: 'sw1',
      description: 'd',
      managementIps: ['192.168.1.10'],
      tunnelIps: ['10.0.0.10', '10.0.0.11'],
      ports: [U2],
      switchFaultStatus: [],
    });
    const port = decodePhysicalPort({ _uuid: ['uuid', U2], name: 'eth0', description: '', vlan_bindings: ['map', [[100, ['uuid', U1]]]] });
    assert.deepEqual([...port.vlanBindings], [[100, U1]]);
    assert.equal(decodeLogicalSwitch({ _uuid: ['uuid', U1], name: 'ls', description: '', tunnel_key: ['set', []] }).tunnelKey, undefined);
    assert.equal(decodeLogicalSwitch({ _uuid: ['uuid', U1], name: 'ls', description: '', tunnel_key: 10001 }).tunnelKey, 10001);
  });

  test('MAC rows: MAC lower-cased, empty ipaddr absent, unknown-dst only for multicast', () => {
    const row: OvsdbRow = { _uuid: uuid(U1), MAC: 'AA:BB:CC:DD:EE:FF', logical_switch: uuid(U2), locator: uuid(U2), ipaddr: '' };
    const m = decodeUcastMac('Ucast_Macs_Local', { ...row });
    assert.equal(m.mac, 'aa:bb:cc:dd:ee:ff');
    assert.equal(m.ipAddr, undefined);
    assert.throws(() => decodeUcastMac('Ucast_Macs_Local', { ...row, MAC: 'unknown-dst' }), VtepRowError);
    const mc = decodeMcastMac('Mcast_Macs_Local', {
      _uuid: ['uuid', U1],
      MAC: 'unknown-dst',
      logical_switch: ['uuid', U2],
      locator_set: ['uuid', U2],
      ipaddr: '10.1.1.1',
    });
    assert.equal(mc.mac, 'unknown-dst');
    assert.equal(mc.ipAddr, '10.1.1.1');
  });

  test('a bad row names table, row, column and reason', () => {
    const bad: OvsdbRow = { _uuid: uuid(U1), MAC: 'zz:zz', logical_switch: uuid(U2), locator: uuid(U2), ipaddr: '' };
    assert.throws(
      () => decodeUcastMac('Ucast_Macs_Remote', { ...bad }),
      (e: unknown) => e instanceof VtepRowError && e.table === 'Ucast_Macs_Remote' && e.uuid === U1 && e.column === 'MAC' && /not a MAC/.test(e.message),
    );
    assert.throws(() => decodeUcastMac('Ucast_Macs_Remote', { ...bad, MAC: '00:11:22:33:44:55', ipaddr: 'nope' }), /column ipaddr: not an IPv4/);
    assert.throws(() => decodeLogicalSwitch({ _uuid: ['uuid', U1], name: 'x', tunnel_key: 1 }), /column description: missing/);
    assert.throws(
      () => decodePhysicalSwitch({ _uuid: ['uuid', U1], name: 's', description: '', management_ips: 'x', tunnel_ips: ['set', []], ports: ['set', []] }),
      /not an IP address/,
    );
  });

  test('logical switch names', () => {
    assert.equal(logicalSwitchName(U1.toUpperCase()), `mn-${U1}`);
    assert.equal(bridgeIdOf(`mn-${U1}`), U1);
    assert.equal(bridgeIdOf('ls-net1'), undefined);
    assert.equal(bridgeIdOf('mn-nope'), undefined);
  });
});

describe('transact results', () => {
  const ops: Operation[] = [
    { op: 'insert', table: 'Logical_Switch', row: { name: 'a' } },
    { op: 'delete', table: 'Logical_Switch', where: [] },
  ];
  test('all good', () => {
    assert.deepEqual(checkTransactResult(ops, [{ uuid: ['uuid', U1] }, { count: 1 }]), [{ uuid: ['uuid', U1] }, { count: 1 }]);
  });
  test('an operation failed: its index and operation', () => {
    assert.throws(
      () => checkTransactResult(ops, [{ error: 'constraint violation', details: 'dup' }, null]),
      (e: unknown) =>
        e instanceof OvsdbTransactionError && e.index === 0 && e.kind === 'constraint violation' && /operation 0 \(insert Logical_Switch\)/.test(e.message),
    );
  });
  test('the commit failed: the extra result', () => {
    assert.throws(
      () => checkTransactResult(ops, [{}, { count: 0 }, { error: 'referential integrity violation' }]),
      (e: unknown) => e instanceof OvsdbTransactionError && e.index === 2 && e.operation === undefined && /at commit/.test(e.message),
    );
  });
  test('not an array, too short', () => {
    assert.throws(() => checkTransactResult(ops, {}), OvsdbProtocolError);
    assert.throws(() => checkTransactResult(ops, [{}]), OvsdbProtocolError);
  });
});

describe('exponentialBackoff', () => {
  test('doubles from base to max, each in the upper half of its step; gives up after maxAttempts', () => {
    const lo = exponentialBackoff({ baseMs: 100, maxMs: 1000, maxAttempts: 6, random: () => 0 });
    const hi = exponentialBackoff({ baseMs: 100, maxMs: 1000, maxAttempts: 6, random: () => 0.999999 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => lo.delayMs(n)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => hi.delayMs(n)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(lo.delayMs(7), undefined);
  });
});

describe('TableReplica', () => {
  test('modify gets the whole old row; delete the row held; resync reports the difference', () => {
    const seen: { changes: RowChange[]; initial: boolean; reconnect: boolean }[] = [];
    const r = new TableReplica((changes, info) => seen.push({ changes, ...info }));
    const h = r.handler();
    h.initial({ T: { [U1]: { new: { a: 1, b: 'x' } }, [U2]: { new: { a: 2, b: 'y' } } } }, { reconnect: false });
    assert.equal(seen[0]?.changes.length, 2);
    h.update({ T: { [U1]: { old: { a: 1 }, new: { a: 5, b: 'x' } } } });
    assert.deepEqual(seen[1]?.changes, [{ table: 'T', uuid: U1, old: { a: 1, b: 'x' }, new: { a: 5, b: 'x' } }]);
    h.update({ T: { [U2]: { old: { a: 2, b: 'y' } } } });
    assert.deepEqual(seen[2]?.changes, [{ table: 'T', uuid: U2, old: { a: 2, b: 'y' } }]);
    // After a reconnect: U1 changed meanwhile, U3 appeared, nothing else.
    const U3 = '33333333-3333-4333-8333-333333333333';
    h.initial({ T: { [U1]: { new: { a: 6, b: 'x' } }, [U3]: { new: { a: 3, b: 'z' } } } }, { reconnect: true });
    assert.deepEqual(seen[3], {
      changes: [
        { table: 'T', uuid: U1, old: { a: 5, b: 'x' }, new: { a: 6, b: 'x' } },
        { table: 'T', uuid: U3, new: { a: 3, b: 'z' } },
      ],
      initial: true,
      reconnect: true,
    });
    // A resync that finds nothing new says nothing.
    h.initial({ T: { [U1]: { new: { a: 6, b: 'x' } }, [U3]: { new: { a: 3, b: 'z' } } } }, { reconnect: true });
    assert.equal(seen.length, 4);
    assert.equal(r.size('T'), 2);
  });
});
