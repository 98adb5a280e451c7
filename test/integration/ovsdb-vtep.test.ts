/**
 * The typed VTEP layer against a real ovsdb-server with the hardware_vtep schema, the VTEP side
 * set up and checked with vtep-ctl and ovsdb-client: reads of switch, ports, bindings and MAC
 * tables; a MidoNet logical switch, VLAN bindings, remote MACs with their locators made in the
 * same transaction; deleting a logical switch with everything it owns; the local MAC watch,
 * across a restart of the server; rows that cannot be read reported and skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { setLoggerLevel } from '../../lib/log/logger.js';
import { OvsdbClient } from '../../lib/ovsdb/client.js';
import { exponentialBackoff } from '../../lib/ovsdb/backoff.js';
import { logicalSwitchName, Vtep, VtepArgumentError, VtepConfigError, VtepRowError, type LocalMacEvent } from '../../lib/ovsdb/vtep.js';
import { startVtepServer, type VtepServer } from '../support/ovsdb.js';
import { until } from '../support/wait.js';

const BRIDGE = '0b3e1c52-7d44-4a8e-9f6a-2c1d0e9b8a71';
const LS_NAME = logicalSwitchName(BRIDGE);

setLoggerLevel('org.midonet.cluster.services.vxgw', 'ERROR');

/** `vtep-ctl list-bindings` lines: "0100 ls-net1" */
async function bindings(vtep: VtepServer, port: string): Promise<string[]> {
  return (await vtep.vtepCtl('list-bindings', 'sw1', port))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim());
}

describe('VTEP access over OVSDB (hardware_vtep)', () => {
  let vtep: VtepServer;
  let client: OvsdbClient;
  let v: Vtep;
  const badRows: VtepRowError[] = [];

  before(async () => {
    vtep = await startVtepServer();
    // The VTEP as its operator sets it up; a second switch first, so "first row" is not the answer by luck.
    await vtep.vtepCtl('add-ps', 'other');
    await vtep.vtepCtl('set', 'Physical_Switch', 'other', 'management_ips=192.168.1.99');
    await vtep.vtepCtl('add-ps', 'sw1');
    await vtep.vtepCtl('set', 'Physical_Switch', 'sw1', 'tunnel_ips=10.0.0.10', 'management_ips=192.168.1.10', 'description="test switch"');
    await vtep.vtepCtl('add-port', 'sw1', 'eth0');
    await vtep.vtepCtl('add-port', 'sw1', 'eth1');
    await vtep.vtepCtl('add-port', 'other', 'eth9');
    await vtep.vtepCtl('add-ls', 'ls-net1');
    await vtep.vtepCtl('set', 'Logical_Switch', 'ls-net1', 'tunnel_key=5000');
    await vtep.vtepCtl('bind-ls', 'sw1', 'eth0', '100', 'ls-net1');
    client = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, retry: exponentialBackoff({ baseMs: 50, maxMs: 300 }), probeIntervalMs: 1000 });
    v = new Vtep(client, { managementIp: '192.168.1.10', onBadRow: (e) => badRows.push(e) });
  });
  after(async () => {
    await client?.close();
    await vtep?.destroy();
  });

  test('schema check, the switch picked by management IP, its ports and bindings, logical switches', async () => {
    const schema = await v.schema();
    assert.equal(schema.name, 'hardware_vtep');
    const ps = await v.physicalSwitch();
    assert.equal(ps?.name, 'sw1');
    assert.equal(ps?.description, 'test switch');
    assert.deepEqual(ps?.tunnelIps, ['10.0.0.10']);
    assert.deepEqual(ps?.managementIps, ['192.168.1.10']);
    assert.equal((await v.physicalSwitches()).length, 2);
    const ports = await v.physicalPorts();
    assert.deepEqual(ports.map((p) => p.name).sort(), ['eth0', 'eth1'], 'only sw1 ports');
    const net1 = await v.logicalSwitch('ls-net1');
    assert.equal(net1?.tunnelKey, 5000);
    assert.deepEqual([...((await v.physicalPort('eth0'))?.vlanBindings ?? [])], [[100, net1?.uuid]]);
    // Without a management IP match, the first row.
    const any = new Vtep(client, { managementIp: '10.255.255.255' });
    assert.ok(['sw1', 'other'].includes((await any.physicalSwitch())?.name ?? ''));
  });

  test('ensureLogicalSwitch: mn-<bridge> with its VNI, idempotent, a clash refused', async () => {
    const id = await v.ensureLogicalSwitch(LS_NAME, 10001);
    assert.deepEqual(await vtep.dump('Logical_Switch', 'name', 'tunnel_key', '_uuid').then((rows) => rows.find((r) => r['name'] === LS_NAME)), {
      name: LS_NAME,
      tunnel_key: 10001,
      _uuid: ['uuid', id],
    });
    assert.equal(await v.ensureLogicalSwitch(LS_NAME, 10001), id);
    await assert.rejects(v.ensureLogicalSwitch(LS_NAME, 10002), VtepConfigError);
    await assert.rejects(v.ensureLogicalSwitch('x', 0), VtepArgumentError);
    assert.match(await vtep.vtepCtl('list-ls'), new RegExp(LS_NAME));
  });

  test('bindings: set, take over a port/VLAN, replace, clear — one transaction each, checked with vtep-ctl', async () => {
    const ls = await v.ensureLogicalSwitch(LS_NAME, 10001);
    const r1 = await v.setBindings(ls, [
      { portName: 'eth0', vlan: 200 },
      { portName: 'eth1', vlan: 300 },
      { portName: 'nope', vlan: 1 },
    ]);
    assert.deepEqual(r1, { changedPorts: 2, unknownPorts: ['nope'] });
    assert.deepEqual(await bindings(vtep, 'eth0'), ['0100 ls-net1', `0200 ${LS_NAME}`]);
    assert.deepEqual(await bindings(vtep, 'eth1'), [`0300 ${LS_NAME}`]);
    // Same again: nothing to change.
    assert.deepEqual(
      await v.setBindings(ls, [
        { portName: 'eth0', vlan: 200 },
        { portName: 'eth1', vlan: 300 },
      ]),
      { changedPorts: 0, unknownPorts: [] },
    );
    // Taking eth0/100 from ls-net1, dropping eth1/300, keeping eth0/200.
    await v.setBindings(ls, [
      { portName: 'eth0', vlan: 200 },
      { portName: 'eth0', vlan: 100 },
    ]);
    assert.deepEqual(await bindings(vtep, 'eth0'), [`0100 ${LS_NAME}`, `0200 ${LS_NAME}`]);
    assert.deepEqual(await bindings(vtep, 'eth1'), []);
    await v.addBindings(ls, [{ portName: 'eth1', vlan: 42 }]);
    assert.deepEqual(await bindings(vtep, 'eth1'), [`0042 ${LS_NAME}`]);
    assert.equal((await bindings(vtep, 'eth0')).length, 2, 'addBindings keeps the others');
    await v.clearBindings(ls);
    assert.deepEqual(await bindings(vtep, 'eth0'), []);
    assert.deepEqual(await bindings(vtep, 'eth1'), []);
    await assert.rejects(v.setBindings(ls, [{ portName: 'eth0', vlan: 4096 }]), VtepArgumentError);
    // Give ls-net1 its binding back for the other tests.
    await vtep.vtepCtl('bind-ls', 'sw1', 'eth0', '100', 'ls-net1');
  });

  test('remote MACs: the locator made in the same transaction, reused, collected when unused; identical writes are no-ops', async () => {
    const ls = await v.ensureLogicalSwitch(LS_NAME, 10001);
    const macA = 'AA:00:00:00:00:01';
    assert.equal(await v.setUcastMacRemote({ logicalSwitch: ls, mac: macA, ipAddr: '192.168.0.1', tunnelIp: '10.1.1.1' }), true);
    assert.match(await vtep.vtepCtl('list-remote-macs', LS_NAME), /aa:00:00:00:00:01 -> vxlan_over_ipv4\/10\.1\.1\.1/);
    assert.equal(await v.setUcastMacRemote({ logicalSwitch: ls, mac: macA, ipAddr: '192.168.0.1', tunnelIp: '10.1.1.1' }), false);
    // A second MAC behind the same host shares its locator.
    await v.setUcastMacRemote({ logicalSwitch: ls, mac: 'aa:00:00:00:00:02', tunnelIp: '10.1.1.1' });
    const locators = async () => (await vtep.dump('Physical_Locator', 'dst_ip')).map((r) => r['dst_ip']).sort();
    assert.deepEqual(await locators(), ['10.1.1.1']);
    // The first MAC moves to another host: its row is replaced, a new locator made.
    assert.equal(await v.setUcastMacRemote({ logicalSwitch: ls, mac: macA, ipAddr: '192.168.0.1', tunnelIp: '10.1.1.2' }), true);
    const rows = await vtep.dump('Ucast_Macs_Remote', 'MAC', 'ipaddr');
    assert.deepEqual(rows.map((r) => `${String(r['MAC'])} ${String(r['ipaddr'])}`).sort(), ['aa:00:00:00:00:01 192.168.0.1', 'aa:00:00:00:00:02 ']);
    assert.deepEqual(await locators(), ['10.1.1.1', '10.1.1.2']);
    const remote = await v.ucastMacs('Ucast_Macs_Remote', ls);
    assert.deepEqual(remote.map((m) => [m.mac, m.ipAddr]).sort(), [
      ['aa:00:00:00:00:01', '192.168.0.1'],
      ['aa:00:00:00:00:02', undefined],
    ]);

    // Flooding: unknown-dst to the flooding proxy, via a locator set made in the same transaction.
    assert.equal(await v.setMcastMacRemote({ logicalSwitch: ls, mac: 'unknown-dst', tunnelIp: '10.1.1.9' }), true);
    assert.equal(await v.setMcastMacRemote({ logicalSwitch: ls, mac: 'unknown-dst', tunnelIp: '10.1.1.9' }), false);
    assert.match(await vtep.vtepCtl('list-remote-macs', LS_NAME), /unknown-dst -> vxlan_over_ipv4\/10\.1\.1\.9/);
    // The proxy moves: the row follows, the old locator and set are collected.
    await v.setMcastMacRemote({ logicalSwitch: ls, mac: 'unknown-dst', tunnelIp: '10.1.1.2' });
    const mcast = await v.mcastMacs('Mcast_Macs_Remote', ls);
    assert.equal(mcast.length, 1);
    const sets = await v.physicalLocatorSets();
    const locs = new Map((await v.physicalLocators()).map((l) => [l.uuid, l.dstIp]));
    assert.deepEqual(
      sets.find((s) => s.uuid === mcast[0]?.locatorSet)?.locators.map((l) => locs.get(l)),
      ['10.1.1.2'],
    );
    assert.deepEqual(await locators(), ['10.1.1.1', '10.1.1.2'], '10.1.1.9 collected');
    assert.equal((await vtep.dump('Physical_Locator_Set')).length, 1);

    assert.equal(await v.deleteUcastMacRemote(ls, 'AA:00:00:00:00:02'), 1);
    assert.deepEqual(await locators(), ['10.1.1.2'], '10.1.1.1 collected with its last MAC');
    assert.equal(await v.deleteUcastMacRemote(ls, 'aa:00:00:00:00:02'), 0);
    await assert.rejects(v.setUcastMacRemote({ logicalSwitch: ls, mac: 'unknown-dst', tunnelIp: '10.1.1.1' }), VtepArgumentError);
    await assert.rejects(v.setUcastMacRemote({ logicalSwitch: ls, mac: 'aa:00:00:00:00:03', tunnelIp: 'nope' }), VtepArgumentError);
  });

  test('watchLocalMacs: initial rows, vtep-ctl adds and deletes, an unreadable row reported and skipped', async () => {
    await vtep.vtepCtl('add-ucast-local', 'ls-net1', '00:11:22:33:44:01', '10.0.0.10');
    const batches: { events: LocalMacEvent[]; initial: boolean; reconnect: boolean }[] = [];
    const all = () => batches.flatMap((b) => b.events);
    const watch = await v.watchLocalMacs((events, info) => batches.push({ events, ...info }));
    try {
      assert.equal(batches[0]?.initial, true);
      assert.deepEqual(
        batches[0]?.events.map((e) => [e.kind, e.current?.mac, e.current?.logicalSwitchName, e.current?.locatorIps]),
        [['added', '00:11:22:33:44:01', 'ls-net1', ['10.0.0.10']]],
      );

      await vtep.vtepCtl('add-ucast-local', 'ls-net1', '00:11:22:33:44:02', '10.0.0.10');
      await vtep.vtepCtl('add-mcast-local', 'ls-net1', 'unknown-dst', '10.0.0.10');
      await until('two more local MACs', () => all().length === 3, 5000);
      assert.deepEqual(
        all()
          .slice(1)
          .map((e) => [e.kind, e.current?.table, e.current?.mac, e.current?.locatorIps])
          .sort(),
        [
          ['added', 'Mcast_Macs_Local', 'unknown-dst', ['10.0.0.10']],
          ['added', 'Ucast_Macs_Local', '00:11:22:33:44:02', ['10.0.0.10']],
        ],
      );

      // A VTEP writing nonsense: a MAC that is not one. Reported, skipped; the watch goes on.
      const [ls] = (await vtep.dump('Logical_Switch', '_uuid', 'name')).filter((r) => r['name'] === 'ls-net1');
      const [loc] = await vtep.dump('Physical_Locator', '_uuid', 'dst_ip').then((r) => r.filter((x) => x['dst_ip'] === '10.0.0.10'));
      await vtep.transact({
        op: 'insert',
        table: 'Ucast_Macs_Local',
        row: { MAC: 'not-a-mac', logical_switch: ls?.['_uuid'], locator: loc?.['_uuid'], ipaddr: '' },
      });
      await until('the bad row reported', () => badRows.some((e) => e.table === 'Ucast_Macs_Local' && e.column === 'MAC'), 5000);
      await vtep.vtepCtl('del-ucast-local', 'ls-net1', '00:11:22:33:44:01');
      await until('the removal', () => all().some((e) => e.kind === 'removed'), 5000);
      const removed = all().find((e) => e.kind === 'removed');
      assert.equal(removed?.previous?.mac, '00:11:22:33:44:01');
      assert.equal(all().length, 4, 'no event for the unreadable row');
      assert.deepEqual(
        watch
          .snapshot()
          .map((m) => m.mac)
          .sort(),
        ['00:11:22:33:44:02', 'unknown-dst'],
      );

      // Reads skip it too, and say so.
      const before = badRows.length;
      const local = await v.ucastMacs('Ucast_Macs_Local');
      assert.deepEqual(
        local.map((m) => m.mac),
        ['00:11:22:33:44:02'],
      );
      assert.equal(badRows.length, before + 1);
      assert.match(badRows.at(-1)?.message ?? '', /Ucast_Macs_Local row [0-9a-f-]+ column MAC: not a MAC address: "not-a-mac"/);
      await vtep.transact({ op: 'delete', table: 'Ucast_Macs_Local', where: [['MAC', '==', 'not-a-mac']] });
    } finally {
      await watch.cancel();
    }
  });

  test('deleteLogicalSwitch: the switch, its bindings and its MAC rows (local and remote) go in one transaction', async () => {
    const ls = await v.ensureLogicalSwitch(LS_NAME, 10001);
    await v.setBindings(ls, [{ portName: 'eth1', vlan: 7 }]);
    await v.setUcastMacRemote({ logicalSwitch: ls, mac: 'aa:00:00:00:00:09', tunnelIp: '10.1.1.3' });
    await vtep.vtepCtl('add-ucast-local', LS_NAME, '00:11:22:33:44:09', '10.0.0.10');
    const n = await v.deleteLogicalSwitch(ls);
    assert.ok(n >= 5, `rows deleted or changed: ${n}`);
    assert.doesNotMatch(await vtep.vtepCtl('list-ls'), new RegExp(LS_NAME));
    assert.deepEqual(await bindings(vtep, 'eth1'), []);
    assert.deepEqual(await bindings(vtep, 'eth0'), ['0100 ls-net1'], 'other switches keep theirs');
    const lsUuid = ['uuid', ls];
    for (const t of ['Ucast_Macs_Local', 'Ucast_Macs_Remote', 'Mcast_Macs_Local', 'Mcast_Macs_Remote']) {
      const rows = await vtep.dump(t, 'logical_switch');
      assert.ok(!rows.some((r) => JSON.stringify(r['logical_switch']) === JSON.stringify(lsUuid)), `${t} has no row of the deleted switch`);
    }
    assert.equal(await v.deleteLogicalSwitch(ls), 0, 'nothing left to delete');
  });
});

describe('VTEP local MAC watch across an ovsdb-server restart', () => {
  let vtep: VtepServer;
  before(async () => {
    vtep = await startVtepServer();
    await vtep.vtepCtl('add-ps', 'sw1');
    await vtep.vtepCtl('add-ls', 'ls1');
    await vtep.vtepCtl('add-ucast-local', 'ls1', '00:00:00:00:aa:01', '10.0.0.10');
    await vtep.vtepCtl('add-ucast-local', 'ls1', '00:00:00:00:aa:02', '10.0.0.10');
  });
  after(async () => {
    await vtep?.destroy();
  });

  test('what changed while the server was down is reported after the reconnect, and the watch goes on', async () => {
    const client = await OvsdbClient.connect({ host: '127.0.0.1', port: vtep.port, retry: exponentialBackoff({ baseMs: 50, maxMs: 300 }) });
    const batches: { events: LocalMacEvent[]; reconnect: boolean }[] = [];
    try {
      const v = new Vtep(client);
      await v.watchLocalMacs((events, info) => batches.push({ events, reconnect: info.reconnect }));
      assert.equal(batches[0]?.events.length, 2);

      await vtep.stop();
      // The VTEP forgot one MAC while MidoNet could not see it.
      execFileSync('ovsdb-tool', [
        'transact',
        vtep.dbFile,
        JSON.stringify(['hardware_vtep', { op: 'delete', table: 'Ucast_Macs_Local', where: [['MAC', '==', '00:00:00:00:aa:02']] }]),
      ]);
      await vtep.restart();
      await until('the resync after the reconnect', () => batches.some((b) => b.reconnect), 15_000);
      const resync = batches.find((b) => b.reconnect);
      assert.deepEqual(
        resync?.events.map((e) => [e.kind, e.previous?.mac, e.previous?.logicalSwitchName]),
        [['removed', '00:00:00:00:aa:02', 'ls1']],
      );
      await vtep.vtepCtl('add-ucast-local', 'ls1', '00:00:00:00:aa:03', '10.0.0.10');
      await until('the next change', () => batches.some((b) => b.events.some((e) => e.current?.mac === '00:00:00:00:aa:03')), 5000);
    } finally {
      await client.close();
    }
  });
});
