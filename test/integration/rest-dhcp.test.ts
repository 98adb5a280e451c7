/**
 * DHCP over REST against a real node and ZooKeeper: v4 subnets and hosts (rest-api-core.md
 * §6.14, §7 scenario 24), v6 subnets and hosts (§6.15), their path encodings (§2.5), media types
 * (§2.3), delete rules (§5), and the `Dhcp`/`DhcpV6` objects they leave in ZooKeeper
 * (storage.md §1–§5).
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
  modelText,
  MT,
  post,
  put,
  rq,
  uuidText,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

const D = {
  subnet: 'application/vnd.org.midonet.DhcpSubnet-v2+json',
  subnets: 'application/vnd.org.midonet.collection.DhcpSubnet-v2+json',
  host: 'application/vnd.org.midonet.DhcpHost-v2+json',
  hosts: 'application/vnd.org.midonet.collection.DhcpHost-v2+json',
  subnet6: 'application/vnd.org.midonet.DhcpV6Subnet-v1+json',
  subnets6: 'application/vnd.org.midonet.collection.DhcpV6Subnet-v1+json',
  host6: 'application/vnd.org.midonet.DhcpV6Host-v1+json',
  hosts6: 'application/vnd.org.midonet.collection.DhcpV6Host-v1+json',
} as const;

const INVALID_IPV4 = 'is an invalid IPv4 format';

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
  return assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'dhcp-bridge' }), `${api}/bridges`);
}

/** A 201 without body whose Location is exactly `location`. */
function assertCreatedAt(res: Res, location: string): void {
  assertStatus(res, 201);
  assert.equal(res.headers.get('location'), location);
  assert.equal(res.text, '', 'a 201 has no body');
}

async function getJson(url: string, accept: string): Promise<Record<string, Json>> {
  const res = await get(url, accept);
  assertStatus(res, 200);
  assertMediaType(res, accept);
  return res.json;
}

async function subnetIds(b: string, field: 'dhcp_ids' | 'dhcpv6_ids' = 'dhcp_ids'): Promise<string[]> {
  return (await t.node.storage.get('Network', b))[field] ?? [];
}

function subnetJson(b: string, key: string, v: Partial<Record<string, Json>>): Record<string, Json> {
  const uri = `${api}/bridges/${b}/dhcp/${key}`;
  const [prefix, len] = key.split('_');
  return {
    subnetPrefix: prefix,
    subnetLength: Number(len),
    defaultGateway: null,
    serverAddr: null,
    dnsServerAddrs: null,
    interfaceMTU: null,
    opt121Routes: [],
    enabled: true,
    uri,
    hosts: `${uri}/hosts`,
    ...v,
  };
}

/** The python client's request shape: a JSON body on every request, `{}` when there is none. */
function py(method: string, url: string, headers: Record<string, string>, body: unknown = {}): Promise<Res> {
  return rq(method, url, { headers, rawBody: JSON.stringify(body) });
}

// ---------------------------------------------------------------------------------------------

describe('scenario 24: DHCP', () => {
  it('runs as the spec lists it', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    const uri = `${dhcp}/172.31.0.0_24`;

    assertCreatedAt(await post(dhcp, D.subnet, { subnetPrefix: '172.31.0.0', subnetLength: 24 }), uri);
    const created = await getJson(uri, D.subnet);
    assert.equal(created['enabled'], true);

    assertEmpty(await put(uri, D.subnet, { ...created, enabled: false }), 204);
    assert.equal((await getJson(uri, D.subnet))['enabled'], false);

    assertError(
      await post(dhcp, D.subnet, { subnetPrefix: '172.31.0.0', subnetLength: 24 }),
      409,
      'The specified DHCP subnet(172.31.0.0/24) already exists on this bridge.',
    );

    assertViolations(await post(dhcp, D.subnet, { subnetPrefix: '10.0.0.0', subnetLength: 33 }), ['subnetLength']);
    assertViolations(await post(dhcp, D.subnet, { subnetPrefix: '10.0.0', subnetLength: 24 }), ['subnetPrefix']);
    assertViolations(await post(dhcp, D.subnet, { subnetPrefix: '321.4.5.6', subnetLength: 24 }), ['subnetPrefix']);
    assertViolations(await post(dhcp, D.subnet, { subnetPrefix: '10.0.0.0', subnetLength: 24, defaultGateway: 'nonsense' }), ['defaultGateway']);

    // opt121 routes round-trip and can be replaced or cleared by PUT
    const routes = [
      { destinationPrefix: '169.254.169.254', destinationLength: 32, gatewayAddr: '172.31.0.2' },
      { destinationPrefix: '10.20.0.0', destinationLength: 16, gatewayAddr: '172.31.0.1' },
    ];
    assertEmpty(await put(uri, D.subnet, { ...created, opt121Routes: routes }), 204);
    assert.deepEqual((await getJson(uri, D.subnet))['opt121Routes'], routes);
    const replaced = [{ destinationPrefix: '192.168.0.0', destinationLength: 24, gatewayAddr: '172.31.0.3' }];
    assertEmpty(await put(uri, D.subnet, { ...created, opt121Routes: replaced }), 204);
    assert.deepEqual((await getJson(uri, D.subnet))['opt121Routes'], replaced);
    assertEmpty(await put(uri, D.subnet, { ...created, opt121Routes: [] }), 204);
    assert.deepEqual((await getJson(uri, D.subnet))['opt121Routes'], []);

    const hosts = `${uri}/hosts`;
    const hostUri = `${hosts}/02:33:44:55:00:00`;
    assertCreatedAt(await post(hosts, D.host, { macAddr: '02:33:44:55:00:00', ipAddr: '172.31.0.10', name: 'h' }), hostUri);
    assertError(
      await post(hosts, D.host, { macAddr: '02:33:44:55:00:00', ipAddr: '172.31.0.11' }),
      409,
      `Subnet 172.31.0.0/24 on bridge ${b} already has a host with MAC address 02:33:44:55:00:00.`,
    );
    const host = await getJson(hostUri, D.host);
    assertEmpty(await put(hostUri, D.host, { ...host, ipAddr: '172.31.0.12' }), 204);
    assert.equal((await getJson(hostUri, D.host))['ipAddr'], '172.31.0.12');
    assertEmpty(await del(hostUri), 204);
    assertError(await del(hostUri), 404, `Network ${b} does not have a subnet with address 172.31.0.0/24.`);

    assertError(await del(`${dhcp}/10.9.9.0_24`), 404, `Network ${b} does not have a subnet with address 10.9.9.0_24.`);
  });
});

describe('DHCP v4 subnets', () => {
  it('create, get, list: the full JSON, in creation order', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    assertCreatedAt(await post(dhcp, D.subnet, { subnetPrefix: '10.0.1.0', subnetLength: 24 }), `${dhcp}/10.0.1.0_24`);
    const full = {
      subnetPrefix: '10.0.0.0',
      subnetLength: 16,
      defaultGateway: '10.0.0.1',
      serverAddr: '10.0.0.2',
      dnsServerAddrs: ['8.8.8.8', '8.8.4.4'],
      interfaceMTU: 1450,
      opt121Routes: [{ destinationPrefix: '169.254.169.254', destinationLength: 32, gatewayAddr: '10.0.0.3' }],
      enabled: true,
    };
    assertCreatedAt(await post(dhcp, D.subnet, full), `${dhcp}/10.0.0.0_16`);

    assert.deepEqual(await getJson(`${dhcp}/10.0.1.0_24`, D.subnet), subnetJson(b, '10.0.1.0_24', {}));
    assert.deepEqual(await getJson(`${dhcp}/10.0.0.0_16`, D.subnet), subnetJson(b, '10.0.0.0_16', full));
    const list = await get(dhcp, D.subnets);
    assertStatus(list, 200);
    assertMediaType(list, D.subnets);
    assert.deepEqual(list.json, [subnetJson(b, '10.0.1.0_24', {}), subnetJson(b, '10.0.0.0_16', full)]);
    // the bridge links its subnets collection
    assert.equal((await get(`${api}/bridges/${b}`, MT.bridge)).json.dhcpSubnets, dhcp);
  });

  it('stores a Dhcp object bound to the bridge, fields in the original text format', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    assertStatus(
      await post(dhcp, D.subnet, {
        subnetPrefix: '10.1.0.0',
        subnetLength: 16,
        defaultGateway: '10.1.0.1',
        serverAddr: '10.1.0.2',
        dnsServerAddrs: ['8.8.8.8', '8.8.4.4'],
        interfaceMTU: 1450,
        opt121Routes: [{ destinationPrefix: '169.254.169.254', destinationLength: 32, gatewayAddr: '10.1.0.3' }],
      }),
      201,
    );
    const [id] = await subnetIds(b);
    assert.ok(id);
    assert.ok((await modelText(t, 'Network', b)).includes(uuidText('dhcp_ids', id)));
    const head =
      uuidText('id', id) +
      uuidText('network_id', b) +
      'subnet_address {\n  version: V4\n  address: "10.1.0.0"\n  prefix_length: 16\n}\n' +
      'server_address {\n  version: V4\n  address: "10.1.0.2"\n}\n' +
      'dns_server_address {\n  version: V4\n  address: "8.8.8.8"\n}\n' +
      'dns_server_address {\n  version: V4\n  address: "8.8.4.4"\n}\n' +
      'default_gateway {\n  version: V4\n  address: "10.1.0.1"\n}\n' +
      'interface_mtu: 1450\n' +
      'opt121_routes {\n' +
      '  dst_subnet {\n    version: V4\n    address: "169.254.169.254"\n    prefix_length: 32\n  }\n' +
      '  gateway {\n    version: V4\n    address: "10.1.0.3"\n  }\n' +
      '}\n';
    assert.equal(await modelText(t, 'Dhcp', id), `${head}enabled: true\n`);

    assertStatus(
      await post(`${dhcp}/10.1.0.0_16/hosts`, D.host, {
        macAddr: '02:33:44:55:00:01',
        ipAddr: '10.1.0.10',
        name: 'h1',
        extraDhcpOpts: [{ optName: 'mtu', optValue: '1400' }],
      }),
      201,
    );
    const host =
      'hosts {\n' +
      '  mac: "02:33:44:55:00:01"\n' +
      '  ip_address {\n    version: V4\n    address: "10.1.0.10"\n  }\n' +
      '  name: "h1"\n' +
      '  extra_dhcp_opts {\n    name: "mtu"\n    value: "1400"\n  }\n' +
      '}\n';
    assert.equal(await modelText(t, 'Dhcp', id), `${head}${host}enabled: true\n`);
  });

  it('python client shapes: integers as strings, a {} body on GET and DELETE', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    const created = await py(
      'POST',
      dhcp,
      { 'Content-Type': D.subnet },
      {
        subnetPrefix: '10.2.0.0',
        subnetLength: '24',
        interfaceMTU: '1400',
        opt121Routes: [{ destinationPrefix: '10.3.0.0', destinationLength: '16', gatewayAddr: '10.2.0.1' }],
      },
    );
    assertCreatedAt(created, `${dhcp}/10.2.0.0_24`);
    const got = await py('GET', `${dhcp}/10.2.0.0_24`, { 'Content-Type': D.subnet, Accept: D.subnet });
    assertStatus(got, 200);
    assert.equal(got.json.subnetLength, 24);
    assert.equal(got.json.interfaceMTU, 1400);
    assert.deepEqual(got.json.opt121Routes, [{ destinationPrefix: '10.3.0.0', destinationLength: 16, gatewayAddr: '10.2.0.1' }]);
    const list = await py('GET', dhcp, { Accept: D.subnets });
    assertStatus(list, 200);
    assert.equal(list.json.length, 1);

    // update(): PUT the whole dto (uri and hosts links included), then GET it
    assertEmpty(await py('PUT', got.json.uri, { 'Content-Type': D.subnet }, { ...got.json, serverAddr: '10.2.0.2', subnetLength: '24' }), 204);
    assert.equal((await getJson(got.json.uri, D.subnet))['serverAddr'], '10.2.0.2');

    const hosts = await py('POST', `${dhcp}/10.2.0.0_24/hosts`, { 'Content-Type': D.host }, { macAddr: '02:00:00:00:00:01', ipAddr: '10.2.0.5' });
    assertStatus(hosts, 201);
    assertStatus(await py('GET', `${dhcp}/10.2.0.0_24/hosts`, { Accept: D.hosts }), 200);
    assertEmpty(await py('DELETE', hosts.headers.get('location')!, {}), 204);
    assertEmpty(await py('DELETE', `${dhcp}/10.2.0.0_24`, {}), 204);
    assert.deepEqual(await subnetIds(b), []);
  });

  it('validation: each violation names its property', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    const ok = { subnetPrefix: '10.4.0.0', subnetLength: 24 };
    const v = async (body: Record<string, unknown>, props: string[], message?: string) => {
      const violations = assertViolations(await post(dhcp, D.subnet, body), props);
      if (message) assert.equal(violations[0]?.message, message);
    };
    await v({ subnetLength: 24 }, ['subnetPrefix'], 'may not be null');
    await v({ ...ok, subnetPrefix: '010.4.0.0' }, ['subnetPrefix'], INVALID_IPV4);
    await v({ ...ok, subnetLength: -1 }, ['subnetLength'], 'must be greater than or equal to 0');
    await v({ ...ok, subnetLength: 33 }, ['subnetLength'], 'must be less than or equal to 32');
    await v({ ...ok, defaultGateway: '10.4.0' }, ['defaultGateway'], INVALID_IPV4);
    await v({ ...ok, serverAddr: 'server' }, ['serverAddr'], INVALID_IPV4);
    await v({ ...ok, dnsServerAddrs: ['8.8.8.8', 'dns'] }, ['dnsServerAddrs'], 'is not a valid IP address');
    await v({ ...ok, interfaceMTU: -1 }, ['interfaceMTU'], 'must be greater than or equal to 0');
    await v({ ...ok, interfaceMTU: 65537 }, ['interfaceMTU'], 'must be less than or equal to 65536');
    await v(
      { ...ok, opt121Routes: [{ destinationPrefix: '10.9.0', destinationLength: 16, gatewayAddr: '10.4.0.1' }] },
      ['opt121Routes[0].destinationPrefix'],
      INVALID_IPV4,
    );
    await v(
      { ...ok, opt121Routes: [{ destinationPrefix: '10.9.0.0', destinationLength: 40, gatewayAddr: '10.4.0.1' }] },
      ['opt121Routes[0].destinationLength'],
      'must be less than or equal to 32',
    );
    await v(
      {
        ...ok,
        opt121Routes: [
          { destinationPrefix: '10.9.0.0', destinationLength: 16 },
          { destinationPrefix: '10.8.0.0', gatewayAddr: 'gw' },
        ],
      },
      ['opt121Routes[0].gatewayAddr', 'opt121Routes[1].gatewayAddr'],
    );
    await v({ subnetPrefix: 'x', subnetLength: 99, defaultGateway: 'y' }, ['subnetPrefix', 'subnetLength', 'defaultGateway']);
    // a value of the wrong JSON type is a mapping error: 400 without violations
    const wrong = await post(dhcp, D.subnet, { ...ok, subnetLength: 'twenty' });
    assertError(wrong, 400);
    assert.equal(wrong.json.violations, undefined);
    assertError(await post(dhcp, D.subnet, { ...ok, opt121Routes: 'none' }), 400);
    assertError(await post(dhcp, D.subnet, [ok]), 400);
    // JSON null for the int (a Java int: 0) and the boolean (a Java Boolean: no value, its default true)
    assertStatus(await post(dhcp, D.subnet, { subnetPrefix: '0.0.0.0', subnetLength: null, enabled: null }), 201);
    const zero = await getJson(`${dhcp}/0.0.0.0_0`, D.subnet);
    assert.equal(zero['subnetLength'], 0);
    assert.equal(zero['enabled'], true);
    // the PUT validates too (the original does not; see docs/decisions/0003)
    assertViolations(await put(`${dhcp}/0.0.0.0_0`, D.subnet, { subnetPrefix: '0.0.0.0', subnetLength: 0, serverAddr: 'x' }), ['serverAddr']);
    assertViolations(await put(`${dhcp}/0.0.0.0_0`, D.subnet, { subnetLength: 0 }), ['subnetPrefix']);
    assert.deepEqual((await subnetIds(b)).length, 1);
  });

  it('an empty DNS list reads back as null; the prefix is stored as given, not masked', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    assertCreatedAt(await post(dhcp, D.subnet, { subnetPrefix: '10.5.0.7', subnetLength: 24, dnsServerAddrs: [] }), `${dhcp}/10.5.0.7_24`);
    const got = await getJson(`${dhcp}/10.5.0.7_24`, D.subnet);
    assert.equal(got['dnsServerAddrs'], null);
    assert.equal(got['subnetPrefix'], '10.5.0.7');
    // the key names the subnet exactly: the masked address is another subnet
    assertEmpty(await get(`${dhcp}/10.5.0.0_24`, D.subnet), 404);
  });

  it('path keys: address_length; a miss or a malformed key is 404 with an empty body on GET', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    assertStatus(await post(dhcp, D.subnet, { subnetPrefix: '10.6.0.0', subnetLength: 24 }), 201);
    assertStatus(await get(`${dhcp}/10.6.0.0_24`, D.subnet), 200);
    assertEmpty(await get(`${dhcp}/10.6.0.0_25`, D.subnet), 404);
    assertEmpty(await get(`${dhcp}/10.6.0.0`, D.subnet), 404);
    assertEmpty(await get(`${dhcp}/nonsense`, D.subnet), 404);
    assertError(
      await put(`${dhcp}/10.6.0.0_25`, D.subnet, { subnetPrefix: '10.6.0.0', subnetLength: 25 }),
      404,
      `Network ${b} does not have a subnet with address 10.6.0.0_25.`,
    );
    assertError(await del(`${dhcp}/bogus`), 404, `Network ${b} does not have a subnet with address bogus.`);
    // a missing bridge: 404 from storage, for the list, a subnet and a create
    const nb = randomUUID();
    for (const res of [
      await get(`${api}/bridges/${nb}/dhcp`, D.subnets),
      await get(`${api}/bridges/${nb}/dhcp/10.6.0.0_24`, D.subnet),
      await post(`${api}/bridges/${nb}/dhcp`, D.subnet, { subnetPrefix: '10.6.0.0', subnetLength: 24 }),
      await del(`${api}/bridges/${nb}/dhcp/10.6.0.0_24`),
    ]) {
      assertError(res, 404, `There is no Network with ID ${nb}.`);
    }
    // a bridge id that is not a UUID names nothing
    assertStatus(await get(`${api}/bridges/not-a-uuid/dhcp`, D.subnets), 404);
  });

  it('PUT is a full replacement; hosts stay; the identity follows the body', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    assertStatus(
      await post(dhcp, D.subnet, {
        subnetPrefix: '10.7.0.0',
        subnetLength: 24,
        defaultGateway: '10.7.0.1',
        serverAddr: '10.7.0.2',
        dnsServerAddrs: ['1.1.1.1'],
        interfaceMTU: 1500,
        enabled: false,
      }),
      201,
    );
    assertStatus(await post(`${dhcp}/10.7.0.0_24/hosts`, D.host, { macAddr: '02:00:00:00:07:01', ipAddr: '10.7.0.9' }), 201);
    const [id] = await subnetIds(b);

    // omitted fields revert to their defaults
    assertEmpty(await put(`${dhcp}/10.7.0.0_24`, D.subnet, { subnetPrefix: '10.7.0.0', subnetLength: 24 }), 204);
    assert.deepEqual(await getJson(`${dhcp}/10.7.0.0_24`, D.subnet), subnetJson(b, '10.7.0.0_24', {}));
    assert.equal((await get(`${dhcp}/10.7.0.0_24/hosts`, D.hosts)).json.length, 1);

    // a new prefix moves the subnet (same object, same hosts)
    assertEmpty(await put(`${dhcp}/10.7.0.0_24`, D.subnet, { subnetPrefix: '10.7.0.0', subnetLength: 25 }), 204);
    assertEmpty(await get(`${dhcp}/10.7.0.0_24`, D.subnet), 404);
    const moved = await getJson(`${dhcp}/10.7.0.0_25`, D.subnet);
    assert.equal(moved['uri'], `${dhcp}/10.7.0.0_25`);
    assert.deepEqual(await subnetIds(b), [id]);
    const hosts = await get(`${dhcp}/10.7.0.0_25/hosts`, D.hosts);
    assert.equal(hosts.json[0].uri, `${dhcp}/10.7.0.0_25/hosts/02:00:00:00:07:01`);

    // but not onto another subnet of the bridge
    assertStatus(await post(dhcp, D.subnet, { subnetPrefix: '10.8.0.0', subnetLength: 24 }), 201);
    assertError(
      await put(`${dhcp}/10.7.0.0_25`, D.subnet, { subnetPrefix: '10.8.0.0', subnetLength: 24 }),
      409,
      'The specified DHCP subnet(10.8.0.0/24) already exists on this bridge.',
    );
    // the same subnet on another bridge is fine
    const b2 = await bridge();
    assertStatus(await post(`${api}/bridges/${b2}/dhcp`, D.subnet, { subnetPrefix: '10.8.0.0', subnetLength: 24 }), 201);
  });

  it('media types: G on POST (406), E elsewhere (406/415); the list is collection-only', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    const body = { subnetPrefix: '10.9.0.0', subnetLength: 24 };
    assertEmpty(await post(dhcp, MT.bridge, body), 406);
    assertEmpty(await post(dhcp, undefined, body), 406);
    assertStatus(await post(dhcp, `${D.subnet}; charset=UTF-8`, body), 201);
    assertStatus(await post(dhcp, MT.json, { ...body, subnetPrefix: '10.10.0.0' }), 201);
    const key = `${dhcp}/10.9.0.0_24`;

    assertStatus(await get(dhcp, D.subnets), 200);
    assertEmpty(await get(dhcp, MT.json), 406);
    assertEmpty(await get(dhcp, D.subnet), 406);
    const any = await get(dhcp);
    assertStatus(any, 200);
    assertMediaType(any, D.subnets);

    assertMediaType(await get(key, MT.json), MT.json);
    assertMediaType(await get(key), D.subnet);
    assertEmpty(await get(key, MT.bridge), 406);

    assertEmpty(await put(key, MT.bridge, body), 415);
    assertEmpty(await put(key, undefined, body), 415);
    assertEmpty(await put(key, MT.json, body), 204);

    const other = await rq('PATCH', key, { headers: { 'Content-Type': D.subnet }, body });
    assertEmpty(other, 405);
    assert.match(other.headers.get('allow') ?? '', /GET/);
    // DELETE checks no media type
    assertEmpty(await del(key, { headers: { 'Content-Type': 'text/plain', Accept: 'text/plain' } }), 204);
  });

  it('delete: the subnet and its hosts go; deleting the bridge cascades its subnets and removes its tables', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcp`;
    assertStatus(await post(dhcp, D.subnet, { subnetPrefix: '10.11.0.0', subnetLength: 24 }), 201);
    assertStatus(await post(dhcp, D.subnet, { subnetPrefix: '10.12.0.0', subnetLength: 24 }), 201);
    assertStatus(await post(`${dhcp}/10.11.0.0_24/hosts`, D.host, { macAddr: '02:00:00:00:11:01', ipAddr: '10.11.0.5' }), 201);
    assertStatus(await post(`${api}/bridges/${b}/dhcpV6`, D.subnet6, { prefix: '2001:db8:0:0:0:0:0:0', prefixLength: 64 }), 201);
    const [first, second] = await subnetIds(b);
    const [six] = await subnetIds(b, 'dhcpv6_ids');
    assert.ok(first && second && six);
    const z = zoom(t);

    assertEmpty(await del(`${dhcp}/10.11.0.0_24`), 204);
    assert.equal(await zkExists(t, `${z}/models/Dhcp/${first}`), false);
    assert.equal(await zkExists(t, `${z}/objects/Dhcp/${first}`), false);
    assert.deepEqual(await subnetIds(b), [second]);
    assert.ok(!(await modelText(t, 'Network', b)).includes(uuidText('dhcp_ids', first)));
    assertError(await get(`${dhcp}/10.11.0.0_24/hosts`, D.hosts), 404);
    assertError(await del(`${dhcp}/10.11.0.0_24`), 404, `Network ${b} does not have a subnet with address 10.11.0.0_24.`);

    assert.ok(await zkExists(t, `${z}/tables/Network/${b}`));
    assertEmpty(await del(`${api}/bridges/${b}`), 204);
    assert.equal(await zkExists(t, `${z}/models/Dhcp/${second}`), false);
    assert.equal(await zkExists(t, `${z}/models/DhcpV6/${six}`), false);
    await eventually(async () => !(await zkExists(t, `${z}/tables/Network/${b}`)), 5000, 'tables/Network/<id> removed');
    assertError(await get(dhcp, D.subnets), 404);
  });
});

describe('DHCP v4 hosts', () => {
  let b: string;
  let hosts: string;
  before(async () => {
    b = await bridge();
    assertStatus(await post(`${api}/bridges/${b}/dhcp`, D.subnet, { subnetPrefix: '10.20.0.0', subnetLength: 24 }), 201);
    hosts = `${api}/bridges/${b}/dhcp/10.20.0.0_24/hosts`;
  });

  it('create, get, list, update, delete', async () => {
    const uri = `${hosts}/02:20:00:00:00:01`;
    assertCreatedAt(await post(hosts, D.host, { macAddr: '02:20:00:00:00:01', ipAddr: '10.20.0.11', name: 'one' }), uri);
    assertCreatedAt(await post(hosts, D.host, { macAddr: '02:20:00:00:00:02', ipAddr: '10.20.0.12' }), `${hosts}/02:20:00:00:00:02`);
    const one = { macAddr: '02:20:00:00:00:01', ipAddr: '10.20.0.11', name: 'one', extraDhcpOpts: [], uri };
    assert.deepEqual(await getJson(uri, D.host), one);
    const list = await get(hosts, D.hosts);
    assertStatus(list, 200);
    assertMediaType(list, D.hosts);
    assert.deepEqual(
      list.json.map((h: Json) => h.macAddr),
      ['02:20:00:00:00:01', '02:20:00:00:00:02'],
    );
    assert.deepEqual(list.json[0], one);

    // PUT replaces the entry in place (same position), omitted fields revert
    const opts = [{ optName: 'domain-name', optValue: 'example.org' }];
    assertEmpty(await put(uri, D.host, { macAddr: '02:20:00:00:00:01', ipAddr: '10.20.0.21', extraDhcpOpts: opts }), 204);
    assert.deepEqual(await getJson(uri, D.host), { ...one, ipAddr: '10.20.0.21', name: null, extraDhcpOpts: opts });
    assert.deepEqual(
      (await get(hosts, D.hosts)).json.map((h: Json) => h.macAddr),
      ['02:20:00:00:00:01', '02:20:00:00:00:02'],
    );
    // a body without the MAC keeps the one the path names
    assertEmpty(await put(uri, D.host, { ipAddr: '10.20.0.22' }), 204);
    assert.equal((await getJson(uri, D.host))['macAddr'], '02:20:00:00:00:01');
    // renaming onto another host's MAC is a conflict
    assertError(await put(uri, D.host, { macAddr: '02:20:00:00:00:02' }), 409);

    assertEmpty(await del(uri), 204);
    assertError(await del(uri), 404, `Network ${b} does not have a subnet with address 10.20.0.0/24.`);
    assertError(await get(uri, D.host), 404, `Network ${b} does not have a subnet with address 10.20.0.0/24.`);
    assertError(await put(uri, D.host, { macAddr: '02:20:00:00:00:01' }), 404);
    assert.deepEqual(
      (await get(hosts, D.hosts)).json.map((h: Json) => h.macAddr),
      ['02:20:00:00:00:02'],
    );
  });

  it('MACs are compared as values: case and one-digit groups; the path may use - or :', async () => {
    assertStatus(await post(hosts, D.host, { macAddr: '02:20:00:00:0A:03', ipAddr: '10.20.0.13' }), 201);
    // stored as given, shown as given
    const got = await getJson(`${hosts}/02:20:00:00:0a:03`, D.host);
    assert.equal(got['macAddr'], '02:20:00:00:0A:03');
    assert.equal(got['uri'], `${hosts}/02:20:00:00:0A:03`);
    assertStatus(await get(`${hosts}/2:20:0:0:a:3`, D.host), 200);
    assertStatus(await get(`${hosts}/02-20-00-00-0a-03`, D.host), 200);
    assertError(await post(hosts, D.host, { macAddr: '02:20:00:00:0a:03' }), 409);
    assertError(await get(`${hosts}/not-a-mac`, D.host), 404);
    assertEmpty(await del(`${hosts}/02:20:00:00:0a:03`), 204);
  });

  it('validation: macAddr required and a MAC, ipAddr an IPv4 address', async () => {
    assertViolations(await post(hosts, D.host, { ipAddr: '10.20.0.30' }), ['macAddr']);
    const bad = assertViolations(await post(hosts, D.host, { macAddr: '02:20:00:00:00:zz' }), ['macAddr']);
    assert.equal(bad[0]?.message, "MAC address string must be 6 words of 1 or 2 hex digits joined with 5 ':'");
    assertViolations(await post(hosts, D.host, { macAddr: '02:20:00:00:00:31', ipAddr: '10.20.0' }), ['ipAddr']);
    assertViolations(await post(hosts, D.host, { macAddr: 'x', ipAddr: 'y' }), ['macAddr', 'ipAddr']);
    assertError(await post(hosts, D.host, { macAddr: '02:20:00:00:00:31', extraDhcpOpts: 'x' }), 400);
  });

  it('a missing subnet: 404 [NetworkSubnetNotFound] for every host operation', async () => {
    const missing = `${api}/bridges/${b}/dhcp/10.99.0.0_24/hosts`;
    const msg = `Network ${b} does not have a subnet with address 10.99.0.0/24.`;
    assertError(await post(missing, D.host, { macAddr: '02:99:00:00:00:01' }), 404, msg);
    assertError(await get(missing, D.hosts), 404, msg);
    assertError(await get(`${missing}/02:99:00:00:00:01`, D.host), 404, msg);
    assertError(await put(`${missing}/02:99:00:00:00:01`, D.host, { macAddr: '02:99:00:00:00:01' }), 404, msg);
    assertError(await del(`${missing}/02:99:00:00:00:01`), 404, msg);
  });

  it('media types: explicit negotiation, the list collection-only', async () => {
    const body = { macAddr: '02:20:00:00:00:41', ipAddr: '10.20.0.41' };
    assertEmpty(await post(hosts, D.subnet, body), 415);
    assertEmpty(await post(hosts, undefined, body), 415);
    assertStatus(await post(hosts, MT.json, body), 201);
    const uri = `${hosts}/02:20:00:00:00:41`;
    assertEmpty(await get(hosts, MT.json), 406);
    assertMediaType(await get(hosts), D.hosts);
    assertMediaType(await get(uri, MT.json), MT.json);
    assertMediaType(await get(uri), D.host);
    assertEmpty(await get(uri, D.subnet), 406);
    assertEmpty(await put(uri, D.subnet, body), 415);
    assertEmpty(await put(uri, MT.json, body), 204);
    assertEmpty(await del(uri), 204);
  });
});

describe('DHCPv6', () => {
  const PREFIX = '2001:db8:0:0:0:0:0:0';

  it('subnets: create, get, list, update, delete; prefix in the full form; duplicates allowed', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcpV6`;
    const uri = `${dhcp}/${PREFIX}_64`;
    assertCreatedAt(await post(dhcp, D.subnet6, { prefix: '2001:DB8:0000:0:0:0:0:0', prefixLength: '64' }), uri);
    const want = { prefix: PREFIX, prefixLength: 64, uri, hosts: `${uri}/hostsV6` };
    assert.deepEqual(await getJson(uri, D.subnet6), want);
    // any spelling of the same address finds it
    assertStatus(await get(`${dhcp}/2001:db8::_64`, D.subnet6), 200);
    assertEmpty(await get(`${dhcp}/${PREFIX}_65`, D.subnet6), 404);
    assert.deepEqual((await get(dhcp, D.subnets6)).json, [want]);
    assert.equal((await get(`${api}/bridges/${b}`, MT.bridge)).json.dhcpSubnet6s, dhcp);

    // no duplicate check for v6
    assertCreatedAt(await post(dhcp, D.subnet6, { prefix: PREFIX, prefixLength: 64 }), uri);
    assert.equal((await get(dhcp, D.subnets6)).json.length, 2);
    const [id] = await subnetIds(b, 'dhcpv6_ids');
    assert.ok(id);
    assert.equal(
      await modelText(t, 'DhcpV6', id),
      uuidText('id', id) + uuidText('network_id', b) + `subnet_address {\n  version: V6\n  address: "${PREFIX}"\n  prefix_length: 64\n}\n`,
    );

    // PUT moves it
    assertEmpty(await put(uri, D.subnet6, { prefix: '2001:db8:0:0:0:0:0:1', prefixLength: 128 }), 204);
    assertStatus(await get(`${dhcp}/2001:db8:0:0:0:0:0:1_128`, D.subnet6), 200);
    assertEmpty(await del(`${dhcp}/2001:db8:0:0:0:0:0:1_128`), 204);
    assertEmpty(await del(uri), 204);
    assertError(await del(uri), 404, `Network ${b} does not have a subnet with address ${PREFIX}_64.`);
    assertError(await put(uri, D.subnet6, { prefix: PREFIX, prefixLength: 64 }), 404);
    assert.deepEqual(await subnetIds(b, 'dhcpv6_ids'), []);
  });

  it('subnet validation and media types', async () => {
    const b = await bridge();
    const dhcp = `${api}/bridges/${b}/dhcpV6`;
    assertViolations(await post(dhcp, D.subnet6, { prefixLength: 64 }), ['prefix']);
    const compressed = assertViolations(await post(dhcp, D.subnet6, { prefix: '2001:db8::', prefixLength: 64 }), ['prefix']);
    assert.equal(compressed[0]?.message, 'is an invalid IPv6 format');
    assertViolations(await post(dhcp, D.subnet6, { prefix: PREFIX, prefixLength: 129 }), ['prefixLength']);
    assertViolations(await post(dhcp, D.subnet6, { prefix: PREFIX, prefixLength: -1 }), ['prefixLength']);

    assertEmpty(await post(dhcp, D.subnet, { prefix: PREFIX, prefixLength: 64 }), 406);
    assertStatus(await post(dhcp, MT.json, { prefix: PREFIX, prefixLength: 64 }), 201);
    const uri = `${dhcp}/${PREFIX}_64`;
    assertEmpty(await get(dhcp, MT.json), 406);
    assertMediaType(await get(dhcp), D.subnets6);
    assertMediaType(await get(uri, MT.json), MT.json);
    assertEmpty(await get(uri, D.subnet), 406);
    assertEmpty(await put(uri, D.subnet, { prefix: PREFIX, prefixLength: 64 }), 415);
    // GET and list of hosts on a missing subnet: 404 with an empty body
    assertEmpty(await get(`${dhcp}/${PREFIX}_48`, D.subnet6), 404);
    assertEmpty(await get(`${dhcp}/${PREFIX}_48/hostsV6`, D.hosts6), 404);
    assertEmpty(await get(`${dhcp}/${PREFIX}_48/hostsV6/00-01`, D.host6), 404);
    assertError(await post(`${dhcp}/${PREFIX}_48/hostsV6`, D.host6, { clientId: 'c' }), 404, `Network ${b} does not have a subnet with address ${PREFIX}/48.`);
  });

  it('hosts: client id with : written - in URIs, duplicates 409, PUT in place, DELETE twice', async () => {
    const b = await bridge();
    const subnet = `${api}/bridges/${b}/dhcpV6/${PREFIX}_64`;
    assertStatus(await post(`${api}/bridges/${b}/dhcpV6`, D.subnet6, { prefix: PREFIX, prefixLength: 64 }), 201);
    const hosts = `${subnet}/hostsV6`;
    const clientId = '00:01:00:01:1a:2b:3c:4d';
    const uri = `${hosts}/00-01-00-01-1a-2b-3c-4d`;
    assertCreatedAt(await post(hosts, D.host6, { clientId, fixedAddress: '2001:db8::10', name: 'v6' }), uri);
    const want = { clientId, fixedAddress: '2001:db8:0:0:0:0:0:10', name: 'v6', uri };
    assert.deepEqual(await getJson(uri, D.host6), want);
    assert.deepEqual((await get(hosts, D.hosts6)).json, [want]);
    assertError(await post(hosts, D.host6, { clientId, fixedAddress: '2001:db8::11' }), 409);

    const [id] = await subnetIds(b, 'dhcpv6_ids');
    assert.ok(id);
    assert.ok(
      (await modelText(t, 'DhcpV6', id)).endsWith(
        `hosts {\n  client_id: "${clientId}"\n  ip_address {\n    version: V6\n    address: "2001:db8:0:0:0:0:0:10"\n  }\n  name: "v6"\n}\n`,
      ),
    );

    assertEmpty(await put(uri, D.host6, { clientId, fixedAddress: '2001:db8::20' }), 204);
    assert.deepEqual(await getJson(uri, D.host6), { ...want, fixedAddress: '2001:db8:0:0:0:0:0:20', name: null });

    assertViolations(await post(hosts, D.host6, { fixedAddress: '2001:db8::30' }), ['clientId']);
    assertViolations(await post(hosts, D.host6, { clientId: 'x', fixedAddress: 'nope' }), ['fixedAddress']);
    assertEmpty(await post(hosts, D.host, { clientId: 'y' }), 415);
    assertEmpty(await get(hosts, MT.json), 406);

    assertEmpty(await del(uri), 204);
    assertError(await del(uri), 404, `Network ${b} does not have a subnet with address ${PREFIX}/64.`);
    assertEmpty(await get(uri, D.host6), 404);
  });
});
