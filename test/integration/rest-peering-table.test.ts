/**
 * A router port's peering table over REST against a real node and ZooKeeper (rest-api-extras.md
 * §5.8), with the requests python-midonetclient's `RouterPort.add_peering_entry()` /
 * `get_peering_table()` make (MacIp-v1 both ways), and the state-table entries agents read:
 * `tables/Port/<id>/peering_table/<mac>,<ip>,2147483647`.
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
  get,
  MT,
  post,
  zkChildren,
  zoom,
} from '../support/rest-helpers.js';

const MAC_IP = 'application/vnd.org.midonet.MacIp-v1+json';

let t: TestNode;
let api: string;
let router: string;
let port: string;
let table: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  router = assertCreated(await post(`${api}/routers`, MT.router, { name: 'vtep-router' }), `${api}/routers`);
  port = assertCreated(await post(`${api}/routers/${router}/ports`, MT.port, { type: 'Router', portSubnet: ['10.1.0.1/24'] }), `${api}/ports`);
  const p = (await get(`${api}/ports/${port}`, MT.port)).json as { peeringTable: string };
  table = p.peeringTable;
});

after(async () => {
  await t?.stop();
});

const entries = (): Promise<string[]> => zkChildren(t, `${zoom(t)}/tables/Port/${port}/peering_table`);

describe('router-port peering table', () => {
  it('the port links to its table; POST {ip, mac} → 201 + Location; GET lists and reads it; the entry is a state-table node', async () => {
    assert.equal(table, `${api}/routers/${router}/ports/${port}/peering_table`);
    const r = await post(table, MAC_IP, { ip: '10.1.0.7', mac: '02:AA:bb:00:00:07' });
    assertStatus(r, 201);
    assert.equal(r.headers.get('location'), `${table}/10.1.0.7_02-aa-bb-00-00-07`);
    assert.deepEqual(await entries(), ['02:aa:bb:00:00:07,10.1.0.7,2147483647']);
    const list = await get(table, MAC_IP);
    assertStatus(list, 200);
    assertMediaType(list, MAC_IP);
    assert.deepEqual(list.json, [{ ip: '10.1.0.7', mac: '02:aa:bb:00:00:07', uri: `${table}/10.1.0.7_02-aa-bb-00-00-07` }]);
    for (const key of ['10.1.0.7_02-aa-bb-00-00-07', '10.1.0.7_02:aa:bb:00:00:07']) {
      const one = await get(`${table}/${key}`, MAC_IP);
      assertStatus(one, 200);
      assert.deepEqual(one.json, { ip: '10.1.0.7', mac: '02:aa:bb:00:00:07', uri: `${table}/10.1.0.7_02-aa-bb-00-00-07` });
    }
    assertMediaType(await get(table, MT.json), MT.json);
    // the same pair again changes nothing
    assertStatus(await post(table, MAC_IP, { ip: '10.1.0.7', mac: '02:aa:bb:00:00:07' }), 201);
    assert.equal((await entries()).length, 1);
  });

  it('an entry an agent learned (ephemeral-sequential) is listed too', async () => {
    await t.node.zk.create(`${zoom(t)}/tables/Port/${port}/peering_table/02:00:00:00:00:99,10.1.0.99,`, Buffer.alloc(0), 'ephemeral_sequential');
    const list = (await get(table, MAC_IP)).json as { ip: string }[];
    assert.ok(list.some((e) => e.ip === '10.1.0.99'));
    assertStatus(await get(`${table}/10.1.0.99_02-00-00-00-00-99`, MAC_IP), 200);
  });

  it('DELETE removes the persistent entry (204, also when absent); GET of a missing entry → 404', async () => {
    assertStatus(await post(table, MAC_IP, { ip: '10.1.0.8', mac: '02:00:00:00:00:08' }), 201);
    assertEmpty(await del(`${table}/10.1.0.8_02-00-00-00-00-08`), 204);
    assert.ok(!(await entries()).some((e) => e.startsWith('02:00:00:00:00:08,')));
    assertError(await get(`${table}/10.1.0.8_02-00-00-00-00-08`, MAC_IP), 404, 'The specified port does not have the specified peering table entry.');
    assertEmpty(await del(`${table}/10.1.0.8_02-00-00-00-00-08`), 204);
  });

  it("bad input → 400 (violations, then the key's messages); a missing port → 404; nothing written", async () => {
    const before = await entries();
    assertViolations(await post(table, MAC_IP, {}), ['ip', 'mac']);
    assertViolations(await post(table, MAC_IP, { ip: '10.1.0.300', mac: '02:00:00:00:00:01' }), ['ip']);
    assertViolations(await post(table, MAC_IP, { ip: '10.1.0.3', mac: '02:00:00:00:00' }), ['mac']);
    assertError(await post(table, MAC_IP, { ip: ['10.1.0.3'], mac: '02:00:00:00:00:01' }), 400);
    assertEmpty(await post(table, MT.json, { ip: '10.1.0.3', mac: '02:00:00:00:00:01' }), 415);
    assertError(await get(`${table}/10.1.0_02-00-00-00-00-01`, MAC_IP), 400, 'is not a valid IP address');
    assertError(await get(`${table}/10.1.0.3_02-00`, MAC_IP), 400, /^MAC address string/);
    assertError(await del(`${table}/nope`), 400);
    const missing = `${api}/routers/${router}/ports/${randomUUID()}/peering_table`;
    assertError(await get(missing, MAC_IP), 404, /^There is no Port with ID /);
    assertError(await post(missing, MAC_IP, { ip: '10.1.0.3', mac: '02:00:00:00:00:01' }), 404);
    assertError(await get(`${api}/routers/${router}/ports/1234/peering_table`, MAC_IP), 404);
    assert.deepEqual(await entries(), before);
  });
});
