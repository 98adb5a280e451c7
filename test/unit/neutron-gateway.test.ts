/**
 * Gateway devices, remote MAC entries and L2 gateway connections (services/neutron/translators/
 * gateway-device.ts, remote-mac-entry.ts, l2gw-connection.ts) against the cases of the original's
 * L2GatewayConnectionTranslatorIT, over an in-memory NSDB: the two peered ports, the router VTEP's
 * peering table, the VLAN case, gateway-device updates, and the refusals.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { GatewayDevice } from '../../lib/models/generated.js';
import { NotFoundError } from '../../lib/nsdb/errors.js';
import { TranslationError } from '../../services/neutron/translation.js';
import {
  gatewayDeviceTranslator,
  l2GatewayConnectionTranslator,
  networkTranslator,
  remoteMacEntryTranslator,
} from '../../services/neutron/translators/index.js';
import { l2gwGatewayPortId, l2gwNetworkPortId } from '../../services/neutron/translators/l2gw-ids.js';
import { MemoryNsdb } from '../support/memory-nsdb.js';

const v4 = (address: string) => ({ version: 'V4' as const, address });

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

function failure(e: unknown, kind: 'invalid' | 'conflict' | 'unsupported', message: string): void {
  assert.ok(e instanceof TranslationError, String(e));
  assert.equal(e.failure, kind);
  assert.equal(e.message, message);
}

interface RemoteMac {
  id: string;
  ip: string;
  mac: string;
  vni: number;
}

let macs = 0;
const randomMac = (): string => `02:00:00:00:${((++macs >> 8) & 0xff).toString(16).padStart(2, '0')}:${(macs & 0xff).toString(16).padStart(2, '0')}`;

async function setup() {
  const db = new MemoryNsdb();
  const routerId = randomUUID();
  await db.put('Router', { id: routerId, name: 'vtep-router' });
  const network = async (): Promise<string> => {
    const id = randomUUID();
    await db.create(networkTranslator, { id, name: `net-${id}`, tenant_id: 'tenant', admin_state_up: true });
    return id;
  };
  const device = async (extra: Partial<GatewayDevice> = {}): Promise<string> => {
    const id = randomUUID();
    await db.create(gatewayDeviceTranslator, {
      id,
      resource_id: routerId,
      type: 'ROUTER_VTEP',
      tunnel_ips: [v4('30.0.0.1')],
      management_ip: v4('199.0.0.1'),
      management_port: 37000,
      management_protocol: 'OVSDB',
      ...extra,
    });
    return id;
  };
  let hosts = 0;
  const remoteMac = async (deviceId: string, vni: number): Promise<RemoteMac> => {
    const rm = { id: randomUUID(), ip: `10.9.0.${++hosts}`, mac: randomMac(), vni };
    await db.create(remoteMacEntryTranslator, { id: rm.id, device_id: deviceId, vtep_address: v4(rm.ip), mac_address: rm.mac, segmentation_id: vni });
    return rm;
  };
  const connection = async (deviceId: string, networkId: string, vni = 100): Promise<string> => {
    const id = randomUUID();
    await db.create(l2GatewayConnectionTranslator, {
      id,
      tenant_id: 'tenant',
      network_id: networkId,
      segmentation_id: vni,
      l2_gateway: { id: randomUUID(), name: 'l2gw', tenant_id: 'tenant', devices: [{ device_id: deviceId, segmentation_id: vni }] },
    });
    return id;
  };

  /** What checkL2GatewayConnection of the original checks. */
  const check = async (cnxnId: string, deviceId: string, rms: RemoteMac[], networkId: string): Promise<void> => {
    const nwPortId = l2gwNetworkPortId(networkId);
    const rtrPortId = l2gwGatewayPortId(networkId);
    const dev = await db.must('GatewayDevice', deviceId);
    const cnxn = await db.must('L2GatewayConnection', cnxnId);
    const nwPort = await db.must('Port', nwPortId);
    const rtrPort = await db.must('Port', rtrPortId);
    assert.notEqual(nwPort.admin_state_up, false);
    assert.equal(nwPort.network_id, networkId);
    assert.equal(nwPort.peer_id, rtrPortId);
    assert.equal(nwPort.port_address, undefined);
    assert.equal(nwPort.port_mac, undefined);
    assert.deepEqual(nwPort.remote_mac_entry_ids ?? [], []);
    assert.notEqual(rtrPort.admin_state_up, false);
    assert.equal(rtrPort.peer_id, nwPortId);
    assert.deepEqual(rtrPort.route_ids ?? [], []);
    assert.equal(rtrPort.router_id, routerId);
    assert.deepEqual(rtrPort.tunnel_ip, dev.tunnel_ips?.[0]);
    assert.equal(rtrPort.vni, cnxn.segmentation_id);
    assert.deepEqual([...(rtrPort.remote_mac_entry_ids ?? [])].sort(), rms.map((r) => r.id).sort());
    assert.deepEqual(db.entries('Port', rtrPortId, 'peering_table').sort(), rms.map((r) => `${r.mac},${r.ip}`).sort());
  };

  const checkNone = async (networkId: string): Promise<void> => {
    assert.equal(await db.get('Port', l2gwNetworkPortId(networkId)), null);
    assert.equal(await db.get('Port', l2gwGatewayPortId(networkId)), null);
    assert.deepEqual(db.entries('Port', l2gwGatewayPortId(networkId), 'peering_table'), []);
  };
  return { db, routerId, network, device, remoteMac, connection, check, checkNone };
}

describe('ids', () => {
  test('the two ports of a connection are derived from the network id as the original does', () => {
    // UUID(1, 2).xorWith(C1, C2): version nibble and variant bits kept (the masks of §6.7)
    const nw = '00000000-0000-0001-0000-000000000002';
    assert.equal(l2gwNetworkPortId(nw), '0af59914-959d-05f9-31b0-28de11f2ee4c');
    assert.equal(l2gwGatewayPortId(nw), '5ad1c088-27cb-059f-0004-2ee7006a8212');
  });
});

describe('gateway devices', () => {
  test('router VTEP and network VLAN devices are stored as they are; a HW VTEP is refused', async () => {
    const { db, device, routerId } = await setup();
    const d = await device();
    assert.deepEqual(await db.must('GatewayDevice', d), {
      id: d,
      type: 'ROUTER_VTEP',
      resource_id: routerId,
      tunnel_ips: [v4('30.0.0.1')],
      management_ip: v4('199.0.0.1'),
      management_port: 37000,
      management_protocol: 'OVSDB',
    });
    await device({ type: 'NETWORK_VLAN' });
    const zxid = db.zk.zxid;
    failure(await rejects(device({ type: 'HW_VTEP' })), 'invalid', 'Only router_vtep and network_vlan gateway devices are supported.');
    assert.equal(db.zk.zxid, zxid);
  });

  test('Updating a gateway device updates the tunnel IP of its connections router ports only', async () => {
    const { db, network, device, connection } = await setup();
    const n1 = await network();
    const d1 = await device({ tunnel_ips: [v4('1.1.1.1')] });
    await connection(d1, n1);
    assert.deepEqual((await db.must('Port', l2gwGatewayPortId(n1))).tunnel_ip, v4('1.1.1.1'));
    const n2 = await network();
    const d2 = await device({ tunnel_ips: [v4('1.1.1.2')] });
    await connection(d2, n2);
    const stored = await db.must('GatewayDevice', d1);
    await db.update(gatewayDeviceTranslator, { ...stored, remote_mac_entry_ids: [], tunnel_ips: [v4('1.1.1.3')] });
    assert.deepEqual((await db.must('Port', l2gwGatewayPortId(n1))).tunnel_ip, v4('1.1.1.3'));
    assert.deepEqual((await db.must('Port', l2gwGatewayPortId(n2))).tunnel_ip, v4('1.1.1.2'));
    assert.deepEqual((await db.must('GatewayDevice', d1)).tunnel_ips, [v4('1.1.1.3')]);
  });

  test('an update keeps the device remote MAC entries; one without tunnel IPs while a router port uses it is refused', async () => {
    const { db, routerId, network, device, connection, remoteMac } = await setup();
    const d = await device();
    const rm = await remoteMac(d, 100);
    await db.update(gatewayDeviceTranslator, { id: d, type: 'ROUTER_VTEP', resource_id: routerId, tunnel_ips: [v4('30.0.0.9')] });
    assert.deepEqual((await db.must('GatewayDevice', d)).remote_mac_entry_ids, [rm.id]);
    await connection(d, await network());
    const zxid = db.zk.zxid;
    failure(
      await rejects(db.update(gatewayDeviceTranslator, { id: d, type: 'ROUTER_VTEP', resource_id: routerId })),
      'invalid',
      `Gateway device ${d} has no tunnel IP.`,
    );
    failure(
      await rejects(db.update(gatewayDeviceTranslator, { id: d, type: 'HW_VTEP' })),
      'invalid',
      'Only router_vtep and network_vlan gateway devices are supported.',
    );
    assert.equal(db.zk.zxid, zxid);
  });
});

describe('L2 gateway connections', () => {
  test('a router VTEP connection creates the network port and the router port, peered', async () => {
    const { db, network, device, connection, check } = await setup();
    const n = await network();
    const d = await device();
    const c = await connection(d, n);
    await check(c, d, [], n);
    const ops = db.ops.map((o) => [o.op, 'clazz' in o ? o.clazz : '', 'id' in o ? o.id : '']);
    assert.deepEqual(ops, [
      ['create', 'Port', l2gwNetworkPortId(n)],
      ['create', 'Port', l2gwGatewayPortId(n)],
      ['create', 'L2GatewayConnection', c],
    ]);
    assert.equal((await db.must('Port', l2gwNetworkPortId(n))).tunnel_key, undefined, 'interior ports: no tunnel key, as the original');
  });

  test('NETWORK_VLAN: a port on the gateway network with the VLAN, peered with the port on the tenant network', async () => {
    const { db, network, device, connection } = await setup();
    const n = await network();
    const gwNet = await network();
    const d = await device({ type: 'NETWORK_VLAN', resource_id: gwNet, tunnel_ips: [] });
    await connection(d, n);
    const p = await db.must('Port', l2gwGatewayPortId(n));
    assert.equal(p.vlan_id, 100);
    assert.equal(p.network_id, gwNet);
    assert.equal(p.peer_id, l2gwNetworkPortId(n));
    assert.equal((await db.must('Port', l2gwNetworkPortId(n))).peer_id, p.id);
    assert.ok((await db.must('Network', gwNet)).port_ids?.includes(String(p.id)));
  });

  test('deletion deletes the ports', async () => {
    const { db, network, device, connection, checkNone } = await setup();
    const n = await network();
    const gwNet = await network();
    const d = await device({ type: 'NETWORK_VLAN', resource_id: gwNet });
    const c = await connection(d, n);
    await db.delete(l2GatewayConnectionTranslator, c);
    await checkNone(n);
    assert.equal(await db.get('L2GatewayConnection', c), null);
    assert.deepEqual((await db.must('Network', gwNet)).port_ids ?? [], []);
  });

  test('a peering entry for each existing remote MAC entry of the VNI', async () => {
    const { db, network, device, connection, remoteMac, check, checkNone } = await setup();
    const n = await network();
    const d = await device();
    const rm1 = await remoteMac(d, 100);
    const rm2 = await remoteMac(d, 100);
    const rm3 = await remoteMac(d, 101);
    // no router port has these VNIs yet: the entries name no port
    assert.deepEqual((await db.must('RemoteMacEntry', rm1.id)).port_ids ?? [], []);
    const c = await connection(d, n);
    await check(c, d, [rm1, rm2], n);
    const n2 = await network();
    const c2 = await connection(d, n2, 101);
    await check(c2, d, [rm3], n2);
    assert.deepEqual((await db.must('RemoteMacEntry', rm3.id)).port_ids, [l2gwGatewayPortId(n2)]);
    await db.delete(l2GatewayConnectionTranslator, c);
    await checkNone(n);
    await db.delete(l2GatewayConnectionTranslator, c2);
    await checkNone(n2);
    assert.deepEqual((await db.must('RemoteMacEntry', rm3.id)).port_ids ?? [], []);
  });

  test('Remote MAC entry CRUD is reflected in the peering tables', async () => {
    const { db, network, device, connection, remoteMac, check, checkNone } = await setup();
    const d = await device();
    const [n1, n2, n3] = [await network(), await network(), await network()];
    const c1 = await connection(d, n1);
    const c2 = await connection(d, n2);
    const c3 = await connection(d, n3, 101);
    await check(c1, d, [], n1);
    await check(c2, d, [], n2);
    await check(c3, d, [], n3);
    const rm1 = await remoteMac(d, 100);
    const rm2 = await remoteMac(d, 100);
    const rm3 = await remoteMac(d, 101);
    await remoteMac(d, 102);
    await check(c1, d, [rm1, rm2], n1);
    await check(c2, d, [rm1, rm2], n2);
    await check(c3, d, [rm3], n3);

    await db.delete(remoteMacEntryTranslator, rm1.id);
    await check(c1, d, [rm2], n1);
    await check(c2, d, [rm2], n2);
    await check(c3, d, [rm3], n3);
    assert.equal(await db.get('RemoteMacEntry', rm1.id), null);

    await db.delete(l2GatewayConnectionTranslator, c1);
    await checkNone(n1);
    await check(c2, d, [rm2], n2);
    await check(c3, d, [rm3], n3);
    assert.deepEqual((await db.must('RemoteMacEntry', rm2.id)).port_ids, [l2gwGatewayPortId(n2)]);
    assert.deepEqual((await db.must('RemoteMacEntry', rm3.id)).port_ids, [l2gwGatewayPortId(n3)]);

    await db.delete(l2GatewayConnectionTranslator, c2);
    await db.delete(l2GatewayConnectionTranslator, c3);
    await checkNone(n2);
    await checkNone(n3);

    // deleting the device deletes its remaining entries (the store's cascade)
    assert.ok(await db.get('RemoteMacEntry', rm2.id));
    await db.delete(gatewayDeviceTranslator, d);
    assert.equal(await db.get('RemoteMacEntry', rm2.id), null);
    assert.equal(await db.get('RemoteMacEntry', rm3.id), null);
    assert.equal(await db.get('GatewayDevice', d), null);
  });

  test('deleting a device still in use takes its remote MACs out of the peering tables (decision 0022)', async () => {
    const { db, network, device, connection, remoteMac } = await setup();
    const d = await device();
    const n = await network();
    await connection(d, n);
    const rm = await remoteMac(d, 100);
    assert.deepEqual(db.entries('Port', l2gwGatewayPortId(n), 'peering_table'), [`${rm.mac},${rm.ip}`]);
    await db.delete(gatewayDeviceTranslator, d);
    assert.deepEqual(db.entries('Port', l2gwGatewayPortId(n), 'peering_table'), []);
    assert.deepEqual((await db.must('Port', l2gwGatewayPortId(n))).remote_mac_entry_ids ?? [], []);
  });

  test('refusals: not one device, unknown device, HW VTEP, no tunnel IP, unknown network or router; nothing written', async () => {
    const { db, routerId, network, device, connection } = await setup();
    const n = await network();
    const d = await device();
    const zxid = db.zk.zxid;
    const cnxn = (devices: { device_id: string; segmentation_id: number }[], networkId = n) =>
      db.create(l2GatewayConnectionTranslator, { id: randomUUID(), network_id: networkId, segmentation_id: 100, l2_gateway: { devices } });
    failure(await rejects(cnxn([])), 'invalid', 'Only one gateway device is supported.');
    failure(
      await rejects(
        cnxn([
          { device_id: d, segmentation_id: 100 },
          { device_id: d, segmentation_id: 100 },
        ]),
      ),
      'invalid',
      'Only one gateway device is supported.',
    );
    assert.ok((await rejects(cnxn([{ device_id: randomUUID(), segmentation_id: 100 }]))) instanceof NotFoundError);
    assert.ok((await rejects(cnxn([{ device_id: d, segmentation_id: 100 }], randomUUID()))) instanceof NotFoundError);
    // a HW VTEP stored before (the original refuses it at creation; an update cannot make one either)
    const hw = randomUUID();
    await db.put('GatewayDevice', { id: hw, type: 'HW_VTEP', resource_id: routerId });
    const zxid2 = db.zk.zxid;
    failure(await rejects(cnxn([{ device_id: hw, segmentation_id: 100 }])), 'invalid', 'Only router_vtep and network_vlan gateway devices are supported.');
    const bare = await device({ tunnel_ips: [] });
    const zxid3 = db.zk.zxid;
    failure(await rejects(cnxn([{ device_id: bare, segmentation_id: 100 }])), 'invalid', `Gateway device ${bare} has no tunnel IP.`);
    const lost = await device({ resource_id: randomUUID() });
    const zxid4 = db.zk.zxid;
    assert.ok((await rejects(cnxn([{ device_id: lost, segmentation_id: 100 }]))) instanceof NotFoundError);
    assert.ok(zxid < zxid2 && zxid2 < zxid3 && zxid3 < zxid4);
    assert.equal(db.zk.zxid, zxid4);
    // a second connection on the same network: its ports exist already
    await connection(d, n);
    assert.ok((await rejects(connection(d, n))) instanceof Error);
  });

  test('deleting a connection whose router is gone deletes it (decision 0022)', async () => {
    const { db, routerId, network, device, connection } = await setup();
    const n = await network();
    const c = await connection(await device(), n);
    await db.run(({ tx }) => tx.delete('Router', routerId));
    assert.equal(await db.get('Port', l2gwGatewayPortId(n)), null);
    await db.delete(l2GatewayConnectionTranslator, c);
    assert.equal(await db.get('L2GatewayConnection', c), null);
    assert.equal(await db.get('Port', l2gwNetworkPortId(n)), null);
  });
});

describe('remote MAC entries', () => {
  test('an entry for an unknown device or a device whose router is gone is 404; update unsupported', async () => {
    const { db, device } = await setup();
    const zxid = db.zk.zxid;
    const rm = (deviceId: string) => ({
      id: randomUUID(),
      device_id: deviceId,
      vtep_address: v4('10.0.0.1'),
      mac_address: '02:00:00:00:00:01',
      segmentation_id: 100,
    });
    assert.ok((await rejects(db.create(remoteMacEntryTranslator, rm(randomUUID())))) instanceof NotFoundError);
    assert.equal(db.zk.zxid, zxid);
    const lost = await device({ resource_id: randomUUID() });
    const z2 = db.zk.zxid;
    assert.ok((await rejects(db.create(remoteMacEntryTranslator, rm(lost)))) instanceof NotFoundError);
    assert.equal(db.zk.zxid, z2);
    const d = await device();
    const entry = rm(d);
    await db.create(remoteMacEntryTranslator, entry);
    failure(await rejects(db.update(remoteMacEntryTranslator, entry)), 'unsupported', 'RemoteMacEntry update not supported.');
    assert.deepEqual((await db.must('GatewayDevice', d)).remote_mac_entry_ids, [entry.id]);
  });
});
