/**
 * A bridge's MAC table (per bridge and per VLAN) and ARP table over REST against a real node and
 * ZooKeeper (rest-api-core.md §2.5, §6.16, §6.17, §7 scenario 25), and the replicated state-table
 * entries they leave in ZooKeeper: `zoom/0/tables/Network/<id>/mac_table/<vlan>` and
 * `.../ip4_mac_table`, entry names `<key>,<value>,<version>` (storage.md §9).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  assertViolations,
  del,
  eventually,
  get,
  MT,
  post,
  rq,
  sorted,
  zkChildren,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

const M = {
  macPort: 'application/vnd.org.midonet.MacPort-v2+json',
  macPorts: 'application/vnd.org.midonet.collection.MacPort-v2+json',
  ip4Mac: 'application/vnd.org.midonet.IP4Mac-v1+json',
  ip4Macs: 'application/vnd.org.midonet.collection.IP4Mac-v1+json',
} as const;

const MAC_REGEX = '^((([0-9]|[a-f]|[A-F]){2}):){5}([0-9]|[a-f]|[A-F]){2}$';
const IPV4_REGEX = '^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])$';
const PERSISTENT = '2147483647';

let t: TestNode;
let api: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

async function bridge(): Promise<string> {
  return assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'tables' }), `${api}/bridges`);
}

async function bridgePort(b: string, vlanId?: number): Promise<string> {
  const body = { type: 'Bridge', ...(vlanId === undefined ? {} : { vlanId }) };
  return assertCreated(await post(`${api}/bridges/${b}/ports`, MT.port, body), `${api}/ports`);
}

const tables = (b: string): string => `${zoom(t)}/tables/Network/${b}`;
const macTablePath = (b: string, vlan: number): string => `${tables(b)}/mac_table/${vlan}`;
const dashed = (mac: string): string => mac.replace(/:/g, '-');

function macUri(b: string, vlan: number, mac: string, port: string): string {
  return `${api}/bridges/${b}/${vlan === 0 ? '' : `vlans/${vlan}/`}mac_table/${dashed(mac)}_${port}`;
}

function assertCreatedAt(res: Res, location: string): void {
  assertStatus(res, 201);
  assert.equal(res.headers.get('location'), location);
  assert.equal(res.text, '', 'a 201 has no body');
}

async function list(url: string, accept: string): Promise<Json[]> {
  const res = await get(url, accept);
  assertStatus(res, 200);
  assertMediaType(res, accept);
  assert.ok(Array.isArray(res.json), res.text);
  return res.json;
}

/** POSTs a MAC entry, to the bridge's table or to a VLAN's. */
function postMac(b: string, body: Record<string, unknown>, vlanInPath?: number, type: string = M.macPort): Promise<Res> {
  const url = vlanInPath === undefined ? `${api}/bridges/${b}/mac_table` : `${api}/bridges/${b}/vlans/${vlanInPath}/mac_table`;
  return post(url, type, body);
}

const macOf = (vlan: number, i: number): string => `02:00:00:00:0${vlan}:0${i}`;

// ---------------------------------------------------------------------------------------------

describe('scenario 25: MAC and ARP tables', () => {
  it('runs as the spec lists it', async () => {
    const b = await bridge();
    const untagged = await bridgePort(b);
    const vlanPorts = [untagged, await bridgePort(b, 1), await bridgePort(b, 2), await bridgePort(b, 3)];
    const trunk = await bridgePort(b, 0);

    // 16 entries over VLANs 0–3: two on the VLAN's own port, two on the trunk
    for (let vlan = 0; vlan <= 3; vlan++) {
      const own = vlanPorts[vlan];
      for (let i = 1; i <= 4; i++) {
        const mac = macOf(vlan, i);
        const portId = i <= 2 ? own : trunk;
        const viaPath = vlan !== 0 && i % 2 === 0;
        const res = viaPath
          ? await postMac(b, { macAddr: mac, portId }, vlan)
          : await postMac(b, { macAddr: mac, portId, ...(vlan === 0 ? {} : { vlanId: vlan }) });
        assertCreatedAt(res, macUri(b, vlan, mac, portId));
      }
    }
    assert.equal((await list(`${api}/bridges/${b}/mac_table`, M.macPorts)).length, 16);
    assert.equal((await list(`${api}/bridges/${b}/vlans/0/mac_table`, M.macPorts)).length, 4);
    assert.equal((await list(`${api}/bridges/${b}/vlans/1/mac_table`, M.macPorts)).length, 4);
    assertError(await get(`${api}/bridges/${b}/vlans/4/mac_table`, M.macPorts), 404, 'The specified bridge has no ports assigned to VLAN 4.');

    // the path's VLAN wins over the body's
    const mac = '02:00:00:00:01:09';
    assertCreatedAt(await postMac(b, { macAddr: mac, portId: trunk, vlanId: 2 }, 1), macUri(b, 1, mac, trunk));
    const vlan1 = await list(`${api}/bridges/${b}/vlans/1/mac_table`, M.macPorts);
    assert.deepEqual(
      vlan1.find((e) => e.macAddr === mac),
      { macAddr: mac, portId: trunk, vlanId: 1, uri: macUri(b, 1, mac, trunk) },
    );
    assert.ok(await zkExists(t, `${macTablePath(b, 1)}/${mac},${trunk},${PERSISTENT}`));

    const b2 = await bridge();
    const foreign = await bridgePort(b2);
    assertError(await postMac(b, { macAddr: '02:00:00:00:00:77', portId: foreign }), 400, 'The port must belong to the bridge that owns the MAC table.');
    assertError(await postMac(b, { macAddr: '02:00:00:00:00:77', portId: vlanPorts[1] }), 400, 'The specified port handles traffic only for VLAN 1.');
    assertError(
      await get(`${api}/bridges/${b}/mac_table/no-ta-ma-ca-dd-re_${untagged}`, M.macPort),
      400,
      'MAC address must consist of six pairs of hex digits separated by hyphens, e.g., 12-34-56-78-9a-bc.',
    );
    assertEmpty(await del(macUri(b, 0, '02:00:00:00:00:66', untagged)), 204);
    assertError(await del(macUri(b2, 2, '02:00:00:00:00:66', foreign)), 404, 'The specified bridge has no ports assigned to VLAN 2.');

    // ARP
    const arp = `${api}/bridges/${b}/arp_table`;
    assertCreatedAt(await post(arp, M.ip4Mac, { ip: '10.0.0.2', mac: '02:11:22:33:44:55' }), `${arp}/10.0.0.2_02-11-22-33-44-55`);
    assertCreatedAt(await post(arp, M.ip4Mac, { ip: '10.0.0.3', mac: '02:11:22:33:44:56' }), `${arp}/10.0.0.3_02-11-22-33-44-56`);
    assert.equal((await list(arp, M.ip4Macs)).length, 2);
    assertViolations(await post(arp, M.ip4Mac, { ip: '10.0.0.300', mac: '02:11:22:33:44:55' }), ['ip']);
    assertViolations(await post(arp, M.ip4Mac, { ip: '10.0.0.4', mac: '02:11:NONSENSE' }), ['mac']);
    assertViolations(await post(arp, M.ip4Mac, { ip: null, mac: null }), ['ip', 'mac']);
    assert.equal((await list(arp, M.ip4Macs)).length, 2);
  });
});

describe('MAC table', () => {
  it('entries: JSON, URIs, and persistent entry nodes under mac_table/<vlan>', async () => {
    const b = await bridge();
    const p = await bridgePort(b);
    const trunk = await bridgePort(b);
    // the table root exists from the bridge's creation; VLAN tables appear on first use
    assert.deepEqual(await zkChildren(t, `${tables(b)}/mac_table`), []);
    assert.deepEqual(await list(`${api}/bridges/${b}/mac_table`, M.macPorts), []);
    assertEmpty(await del(macUri(b, 0, '02:00:00:00:00:01', p)), 204);
    assert.deepEqual(await zkChildren(t, `${tables(b)}/mac_table`), [], 'reads and deletes create no table');

    assertCreatedAt(await postMac(b, { macAddr: '02:AA:00:00:00:01', portId: p }), macUri(b, 0, '02:aa:00:00:00:01', p));
    assertCreatedAt(await postMac(b, { macAddr: '02:00:00:00:00:02', portId: trunk, vlanId: 3 }), macUri(b, 3, '02:00:00:00:00:02', trunk));
    assert.deepEqual(sorted(await zkChildren(t, `${tables(b)}/mac_table`)), ['0', '3']);
    assert.deepEqual(await zkChildren(t, macTablePath(b, 0)), [`02:aa:00:00:00:01,${p},${PERSISTENT}`]);
    assert.deepEqual(await zkChildren(t, macTablePath(b, 3)), [`02:00:00:00:00:02,${trunk},${PERSISTENT}`]);
    // entries are nodes without data
    assert.equal((await t.node.zk.getData(`${macTablePath(b, 0)}/02:aa:00:00:00:01,${p},${PERSISTENT}`)).data.length, 0);

    const e0 = { macAddr: '02:aa:00:00:00:01', portId: p, vlanId: 0, uri: macUri(b, 0, '02:aa:00:00:00:01', p) };
    const e3 = { macAddr: '02:00:00:00:00:02', portId: trunk, vlanId: 3, uri: macUri(b, 3, '02:00:00:00:00:02', trunk) };
    assert.deepEqual(await list(`${api}/bridges/${b}/mac_table`, M.macPorts), [e0, e3]);
    assert.deepEqual(await list(`${api}/bridges/${b}/vlans/3/mac_table`, M.macPorts), [e3]);

    // a single entry, its MAC with '-' or ':' in either case
    for (const key of [`02-aa-00-00-00-01_${p}`, `02:AA:00:00:00:01_${p}`, `2-aa-0-0-0-1_${p.toUpperCase()}`]) {
      const res = await get(`${api}/bridges/${b}/mac_table/${key}`, M.macPort);
      assertStatus(res, 200);
      assert.deepEqual(res.json, e0);
    }
    const v3 = await get(e3.uri, M.macPort);
    assertStatus(v3, 200);
    assert.deepEqual(v3.json, e3);
    // the entry is in VLAN 3 only
    assertError(await get(macUri(b, 0, '02:00:00:00:00:02', trunk), M.macPort), 404, 'The specified bridge does not have the specified MAC-port mapping.');
    assertError(
      await get(`${api}/bridges/${b}/vlans/2/mac_table/02-00-00-00-00-02_${trunk}`, M.macPort),
      404,
      'The specified bridge has no ports assigned to VLAN 2.',
    );

    // the same pair again is accepted and stays one entry
    assertStatus(await postMac(b, { macAddr: '02:aa:00:00:00:01', portId: p }), 201);
    assert.equal((await zkChildren(t, macTablePath(b, 0))).length, 1);

    // delete removes the node; the VLAN's table stays, and so does the VLAN
    assertEmpty(await del(e3.uri), 204);
    assert.deepEqual(await zkChildren(t, macTablePath(b, 3)), []);
    assertEmpty(await del(e3.uri), 204);
    assert.deepEqual(await list(`${api}/bridges/${b}/vlans/3/mac_table`, M.macPorts), []);
    assertError(await get(e3.uri, M.macPort), 404, 'The specified bridge does not have the specified MAC-port mapping.');
    assertEmpty(await del(`${api}/bridges/${b}/mac_table/02:aa:00:00:00:01_${p}`), 204);
    assert.deepEqual(await list(`${api}/bridges/${b}/mac_table`, M.macPorts), []);
  });

  it("learned entries (agents') are listed and win over persistent ones; DELETE removes only the persistent one", async () => {
    const b = await bridge();
    const p = await bridgePort(b);
    const learnedPort = await bridgePort(b);
    const mac = '02:00:00:00:0b:01';
    assertStatus(await postMac(b, { macAddr: mac, portId: p }), 201);
    // an agent learns the MAC on another port: ephemeral-sequential `<mac>,<port>,<seq>`
    const learned = await t.node.zk.create(`${macTablePath(b, 0)}/${mac},${learnedPort},`, Buffer.alloc(0), 'ephemeral_sequential');
    assert.match(learned, /,\d{10}$/);
    // an entry name that does not decode is ignored
    await t.node.zk.create(`${macTablePath(b, 0)}/garbage`, Buffer.alloc(0), 'persistent');

    const entries = await list(`${api}/bridges/${b}/mac_table`, M.macPorts);
    assert.deepEqual(
      entries.map((e) => [e.macAddr, e.portId]),
      [[mac, learnedPort]],
    );
    // both pairs answer a GET: the persistent one exists, the learned one wins
    assertStatus(await get(macUri(b, 0, mac, p), M.macPort), 200);
    assertStatus(await get(macUri(b, 0, mac, learnedPort), M.macPort), 200);

    assertEmpty(await del(macUri(b, 0, mac, learnedPort)), 204);
    assert.ok(await zkExists(t, learned), 'a learned entry belongs to its agent');
    assertEmpty(await del(macUri(b, 0, mac, p)), 204);
    assert.equal(await zkExists(t, `${macTablePath(b, 0)}/${mac},${p},${PERSISTENT}`), false);
    assertError(await get(macUri(b, 0, mac, p), M.macPort), 404);
    await t.node.zk.remove(learned);
  });

  it('validation and references', async () => {
    const b = await bridge();
    const p = await bridgePort(b);
    const v2 = await bridgePort(b, 2);
    const notMac = assertViolations(await postMac(b, { macAddr: '02:00:00:00:00:1', portId: p }), ['macAddr']);
    assert.equal(notMac[0]?.message, `must match "${MAC_REGEX}"`);
    const nulls = assertViolations(await postMac(b, { vlanId: 0 }), ['macAddr', 'portId']);
    assert.deepEqual(
      nulls.map((v) => v.message),
      ['may not be null', 'may not be null'],
    );
    assertViolations(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: p, vlanId: 4096 }), ['vlanId']);
    assertViolations(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: p, vlanId: -1 }), ['vlanId']);
    // a malformed UUID in the body is a mapping error: 400 without violations
    const badId = await postMac(b, { macAddr: '02:00:00:00:00:01', portId: 'port-1' });
    assertError(badId, 400);
    assert.equal(badId.json.violations, undefined);
    assertError(await postMac(b, [] as unknown as Record<string, unknown>), 400);

    const ghost = randomUUID();
    assertError(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: ghost }), 404, `There is no Port with ID ${ghost}.`);
    const nb = randomUUID();
    assertError(await postMac(nb, { macAddr: '02:00:00:00:00:01', portId: p }), 404, `There is no Network with ID ${nb}.`);
    // a router port is on no bridge
    const r = assertCreated(await post(`${api}/routers`, MT.router, { name: 'r' }), `${api}/routers`);
    const rp = assertCreated(
      await post(`${api}/routers/${r}/ports`, MT.port, { type: 'Router', portAddress: '10.0.0.1', networkAddress: '10.0.0.0', networkLength: 24 }),
      `${api}/ports`,
    );
    assertError(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: rp }), 400, 'The port must belong to the bridge that owns the MAC table.');
    // a port with a VLAN: only that VLAN's table
    assertError(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: v2 }, 3), 400, 'The specified port handles traffic only for VLAN 2.');
    assertStatus(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: v2 }, 2), 201);
    assertStatus(await postMac(b, { macAddr: '02:00:00:00:00:02', portId: v2, vlanId: 2 }), 201);

    // VLAN path segments that name no table
    assertStatus(await get(`${api}/bridges/${b}/vlans/abc/mac_table`, M.macPorts), 404);
    assertStatus(await get(`${api}/bridges/${b}/vlans/5000/mac_table`, M.macPorts), 404);
    assertStatus(await postMac(b, { macAddr: '02:00:00:00:00:03', portId: p }, 4096), 404);
    // keys that are not {mac}_{portId}
    assertError(await get(`${api}/bridges/${b}/mac_table/02-00-00-00-00-01`, M.macPort), 400);
    assertError(await get(`${api}/bridges/${b}/mac_table/02-00-00-00-00-01_nope`, M.macPort), 400);
    assertError(
      await del(`${api}/bridges/${b}/mac_table/02-00-00-00-00-XX_${p}`),
      400,
      'MAC address must consist of six pairs of hex digits separated by hyphens, e.g., 12-34-56-78-9a-bc.',
    );
    // a missing bridge has no VLAN at all
    assertError(await get(`${api}/bridges/${nb}/mac_table/02-00-00-00-00-01_${p}`, M.macPort), 404, 'The specified bridge has no ports assigned to VLAN 0.');
    assertError(await del(`${api}/bridges/${nb}/mac_table/02-00-00-00-00-01_${p}`), 404, 'The specified bridge has no ports assigned to VLAN 0.');
    assertError(await get(`${api}/bridges/${nb}/vlans/0/mac_table`, M.macPorts), 404, 'The specified bridge has no ports assigned to VLAN 0.');
    assertError(await get(`${api}/bridges/${nb}/mac_table`, M.macPorts), 404, `There is no Network with ID ${nb}.`);
  });

  it('media types: explicit negotiation (406/415)', async () => {
    const b = await bridge();
    const p = await bridgePort(b);
    const body = { macAddr: '02:00:00:00:00:01', portId: p };
    assertEmpty(await postMac(b, body, undefined, M.ip4Mac), 415);
    assertEmpty(await post(`${api}/bridges/${b}/mac_table`, undefined, body), 415);
    assertStatus(await postMac(b, body, undefined, MT.json), 201);
    assertStatus(await postMac(b, { ...body, macAddr: '02:00:00:00:00:02' }, 0, `${M.macPort}; charset=UTF-8`), 201);

    const all = `${api}/bridges/${b}/mac_table`;
    assert.equal((await list(all, M.macPorts)).length, 2);
    assert.equal((await list(all, MT.json)).length, 2);
    assertMediaType(await get(all), M.macPorts);
    assertEmpty(await get(all, M.macPort), 406);
    assertEmpty(await get(`${api}/bridges/${b}/vlans/0/mac_table`, MT.bridge), 406);
    const one = macUri(b, 0, '02:00:00:00:00:01', p);
    assertMediaType(await get(one, MT.json), MT.json);
    assertMediaType(await get(one), M.macPort);
    assertEmpty(await get(one, M.macPorts), 406);
    const put = await rq('PUT', one, { headers: { 'Content-Type': M.macPort }, body });
    assertEmpty(put, 405);
    // DELETE checks no media type
    assertEmpty(await del(one, { headers: { 'Content-Type': 'text/plain' } }), 204);
  });

  it('python client shapes: vlanId as a string, a {} body on GET and DELETE', async () => {
    const b = await bridge();
    const trunk = await bridgePort(b);
    const headers = { 'Content-Type': M.macPort };
    const res = await rq('POST', `${api}/bridges/${b}/mac_table`, {
      headers,
      rawBody: JSON.stringify({ macAddr: '02:00:00:00:00:05', portId: trunk, vlanId: '7' }),
    });
    assertCreatedAt(res, macUri(b, 7, '02:00:00:00:00:05', trunk));
    const got = await rq('GET', res.headers.get('location')!, { headers: { ...headers, Accept: M.macPort }, rawBody: '{}' });
    assertStatus(got, 200);
    assert.equal(got.json.vlanId, 7);
    const all = await rq('GET', `${api}/bridges/${b}/mac_table`, { headers: { Accept: M.macPorts }, rawBody: '{}' });
    assertStatus(all, 200);
    assert.equal(all.json.length, 1);
    assertEmpty(await rq('DELETE', res.headers.get('location')!, { rawBody: '{}' }), 204);
    assert.deepEqual(await zkChildren(t, macTablePath(b, 7)), []);
  });

  it('deleting a port leaves its entries; deleting the bridge removes its tables', async () => {
    const b = await bridge();
    const p = await bridgePort(b);
    const q = await bridgePort(b);
    assertStatus(await postMac(b, { macAddr: '02:00:00:00:00:01', portId: p }), 201);
    assertStatus(await postMac(b, { macAddr: '02:00:00:00:00:02', portId: q, vlanId: 5 }), 201);
    assertStatus(await post(`${api}/bridges/${b}/arp_table`, M.ip4Mac, { ip: '10.0.0.1', mac: '02:00:00:00:00:01' }), 201);

    // the spec gives port deletion no effect on MAC tables (§5): the entry stays, as in the original
    assertEmpty(await del(`${api}/ports/${p}`), 204);
    assert.deepEqual(
      (await list(`${api}/bridges/${b}/mac_table`, M.macPorts)).map((e) => e.portId),
      [p, q],
    );
    assertStatus(await get(macUri(b, 0, '02:00:00:00:00:01', p), M.macPort), 200);
    assertEmpty(await del(macUri(b, 0, '02:00:00:00:00:01', p)), 204);

    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    await eventually(async () => !(await zkExists(t, tables(b))), 5000, 'tables/Network/<id> removed');
    assertError(await get(`${api}/bridges/${b}/mac_table`, M.macPorts), 404);
    assertError(await get(`${api}/bridges/${b}/arp_table`, M.ip4Macs), 404);
  });
});

describe('ARP table', () => {
  it('create, get, list, delete; entries as <ip>,<mac>,2147483647 under ip4_mac_table', async () => {
    const b = await bridge();
    const arp = `${api}/bridges/${b}/arp_table`;
    assert.deepEqual(await zkChildren(t, `${tables(b)}/ip4_mac_table`), []);
    const uri = `${arp}/10.0.0.2_02-11-22-33-44-55`;
    assertCreatedAt(await post(arp, M.ip4Mac, { ip: '10.0.0.2', mac: '02:11:22:33:44:55' }), uri);
    assertCreatedAt(await post(arp, M.ip4Mac, { ip: '10.0.0.1', mac: '02:11:22:33:44:AA' }), `${arp}/10.0.0.1_02-11-22-33-44-aa`);
    assert.deepEqual(sorted(await zkChildren(t, `${tables(b)}/ip4_mac_table`)), [
      `10.0.0.1,02:11:22:33:44:aa,${PERSISTENT}`,
      `10.0.0.2,02:11:22:33:44:55,${PERSISTENT}`,
    ]);

    const e2 = { ip: '10.0.0.2', mac: '02:11:22:33:44:55', uri };
    const e1 = { ip: '10.0.0.1', mac: '02:11:22:33:44:aa', uri: `${arp}/10.0.0.1_02-11-22-33-44-aa` };
    assert.deepEqual(await list(arp, M.ip4Macs), [e1, e2]);
    assert.deepEqual(await list(arp, MT.json), [e1, e2]);
    for (const key of ['10.0.0.2_02-11-22-33-44-55', '10.0.0.2_02:11:22:33:44:55', '10.0.0.2_2-11-22-33-44-55']) {
      const res = await get(`${arp}/${key}`, M.ip4Mac);
      assertStatus(res, 200);
      assertMediaType(res, M.ip4Mac);
      assert.deepEqual(res.json, e2);
    }
    assertMediaType(await get(uri, MT.json), MT.json);
    assertError(await get(`${arp}/10.0.0.2_02-11-22-33-44-56`, M.ip4Mac), 404, 'The specified bridge does not have the specified ARP table entry.');

    assertEmpty(await del(uri), 204);
    assert.deepEqual(await zkChildren(t, `${tables(b)}/ip4_mac_table`), [`10.0.0.1,02:11:22:33:44:aa,${PERSISTENT}`]);
    assertEmpty(await del(uri), 204);
    assertError(await get(uri, M.ip4Mac), 404);
    assert.deepEqual(await list(arp, M.ip4Macs), [e1]);
  });

  it('validation, malformed keys, a missing bridge', async () => {
    const b = await bridge();
    const arp = `${api}/bridges/${b}/arp_table`;
    for (const ip of ['1.2.3', '1000.2.3.4', 'host', '010.0.0.1']) {
      const [v] = assertViolations(await post(arp, M.ip4Mac, { ip, mac: '02:11:22:33:44:55' }), ['ip']);
      assert.equal(v?.message, `must match "${IPV4_REGEX}"`);
    }
    for (const mac of ['02:11:NONSENSE', '2:11:22:33:44:55', '02-11-22-33-44-55']) {
      const [v] = assertViolations(await post(arp, M.ip4Mac, { ip: '10.0.0.1', mac }), ['mac']);
      assert.equal(v?.message, `must match "${MAC_REGEX}"`);
    }
    const nulls = assertViolations(await post(arp, M.ip4Mac, {}), ['ip', 'mac']);
    assert.deepEqual(
      nulls.map((v) => v.message),
      ['may not be null', 'may not be null'],
    );

    assertError(await get(`${arp}/10.0.0_02-11-22-33-44-55`, M.ip4Mac), 400, 'is not a valid IP address');
    assertError(await get(`${arp}/10.0.0.1_02-11-22-33-44`, M.ip4Mac), 400, "MAC address string must be 6 words of 1 or 2 hex digits joined with 5 ':'");
    assertError(await del(`${arp}/10.0.0.1`), 400);

    const nb = randomUUID();
    const missing = `${api}/bridges/${nb}/arp_table`;
    for (const res of [
      await post(missing, M.ip4Mac, { ip: '10.0.0.1', mac: '02:11:22:33:44:55' }),
      await get(missing, M.ip4Macs),
      await get(`${missing}/10.0.0.1_02-11-22-33-44-55`, M.ip4Mac),
      await del(`${missing}/10.0.0.1_02-11-22-33-44-55`),
    ]) {
      assertError(res, 404, `There is no Network with ID ${nb}.`);
    }
    assert.equal(await zkExists(t, tables(nb)), false, 'no table for a missing bridge');
  });

  it('media types: POST consumes IP4Mac-v1 only; reads also json', async () => {
    const b = await bridge();
    const arp = `${api}/bridges/${b}/arp_table`;
    const body = { ip: '10.0.0.9', mac: '02:11:22:33:44:99' };
    assertEmpty(await post(arp, MT.json, body), 415);
    assertEmpty(await post(arp, undefined, body), 415);
    assertEmpty(await post(arp, M.macPort, body), 415);
    assertStatus(await post(arp, `${M.ip4Mac}; charset=UTF-8`, body), 201);
    assertMediaType(await get(arp), M.ip4Macs);
    assertEmpty(await get(arp, M.ip4Mac), 406);
    assertEmpty(await get(`${arp}/10.0.0.9_02-11-22-33-44-99`, M.ip4Macs), 406);
    assertEmpty(await rq('PUT', `${arp}/10.0.0.9_02-11-22-33-44-99`, { headers: { 'Content-Type': M.ip4Mac }, body }), 405);
  });

  it('learned entries are listed and win; a legacy ip4_mac_map is used when it exists', async () => {
    const b = await bridge();
    const arp = `${api}/bridges/${b}/arp_table`;
    assertStatus(await post(arp, M.ip4Mac, { ip: '10.0.0.5', mac: '02:00:00:00:00:05' }), 201);
    const learned = await t.node.zk.create(`${tables(b)}/ip4_mac_table/10.0.0.5,02:00:00:00:00:06,`, Buffer.alloc(0), 'ephemeral_sequential');
    assert.deepEqual(
      (await list(arp, M.ip4Macs)).map((e) => e.mac),
      ['02:00:00:00:00:06'],
    );
    assertStatus(await get(`${arp}/10.0.0.5_02-00-00-00-00-05`, M.ip4Mac), 200);
    assertStatus(await get(`${arp}/10.0.0.5_02-00-00-00-00-06`, M.ip4Mac), 200);
    await t.node.zk.remove(learned);

    // a bridge whose pre-v5 ARP map exists keeps using it (storage.md §9.4)
    const old = await bridge();
    const legacy = `${t.rootKey}/bridges/${old}/ip4_mac_map`;
    await t.node.zk.mkdirp(legacy);
    assertStatus(await post(`${api}/bridges/${old}/arp_table`, M.ip4Mac, { ip: '10.0.0.7', mac: '02:00:00:00:00:07' }), 201);
    assert.deepEqual(await zkChildren(t, legacy), [`10.0.0.7,02:00:00:00:00:07,${PERSISTENT}`]);
    assert.deepEqual(await zkChildren(t, `${tables(old)}/ip4_mac_table`), []);
    assert.equal((await list(`${api}/bridges/${old}/arp_table`, M.ip4Macs)).length, 1);
    assertEmpty(await del(`${api}/bridges/${old}/arp_table/10.0.0.7_02-00-00-00-00-07`), 204);
    assert.deepEqual(await zkChildren(t, legacy), []);
    await t.node.zk.remove(legacy);
  });
});
