/**
 * JSON null in a body, field by field, against a real node: a field whose type in the original's
 * REST models is boxed (`Boolean`, `Integer`, `Short`) takes null as "no value", so the stored
 * field stays unset or at its declared default (the original's converter skips null fields);
 * a primitive (`boolean`, `int`) takes null as false or 0, as Jackson makes it. The python client
 * and midonet-cli send `"offRampVxlan": null` with every port update.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertCreated, assertStatus, get, modelText, MT, post, put, type Json } from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const DHCP = V('DhcpSubnet-v2');
const RULE = V('Rule-v2');
const HOST = V('Host-v3');
const MAC_PORT = V('MacPort-v2');
const MAC_PORTS = V('collection.MacPort-v2');
const PORT_GROUP = V('PortGroup-v1');

let t: TestNode;
let api: string;
let bridge: string;
let router: string;
let chain: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'boxed' }), `${api}/bridges`);
  router = assertCreated(await post(`${api}/routers`, MT.router, { name: 'boxed' }), `${api}/routers`);
  chain = assertCreated(await post(`${api}/chains`, V('Chain-v1'), { name: 'boxed' }), `${api}/chains`);
});

after(async () => {
  await t?.stop();
});

async function read(url: string, accept: string): Promise<Record<string, Json>> {
  const res = await get(url, accept);
  assertStatus(res, 200);
  return res.json;
}

/** One JSON field sent as null in a POST: what reads back, and the stored field it leaves. */
interface NullCase {
  /** `Model.field` in the original's REST models, and its Java type */
  field: string;
  java: string;
  /** creates an object with the field null; gives its URI and the stored object's class and id */
  create(): Promise<{ uri: string; accept: string; clazz: string; id: string }>;
  json: string;
  /** what the field reads back as */
  reads: unknown;
  /** the stored proto field, and the value it prints (absent: the field is not stored) */
  stored: { field: string; value?: string };
}

async function routerPort(body: Record<string, unknown>) {
  const uri = assertCreated(await post(`${api}/routers/${router}/ports`, MT.port, { type: 'Router', ...body }), `${api}/ports`);
  return { uri: `${api}/ports/${uri}`, accept: MT.port, clazz: 'Port', id: uri };
}

let subnets = 0;
async function dhcpSubnet(body: Record<string, unknown>) {
  const prefix = `10.77.${subnets++}.0`;
  const res = await post(`${api}/bridges/${bridge}/dhcp`, DHCP, { subnetPrefix: prefix, subnetLength: 24, ...body });
  assertStatus(res, 201);
  const uri = String(res.headers.get('location'));
  const ids = (await t.node.storage.get('Network', bridge)).dhcp_ids ?? [];
  const id = ids[ids.length - 1];
  return { uri, accept: DHCP, clazz: 'Dhcp', id };
}

async function rule(condition: Record<string, unknown>) {
  const id = assertCreated(await post(`${api}/chains/${chain}/rules`, RULE, { type: 'accept', ...condition }), `${api}/rules`);
  return { uri: `${api}/rules/${id}`, accept: RULE, clazz: 'Rule', id };
}

async function host(body: Record<string, unknown>) {
  const id = randomUUID();
  assertCreated(await post(`${api}/hosts`, HOST, { id, name: 'boxed', ...body }), `${api}/hosts`);
  return { uri: `${api}/hosts/${id}`, accept: HOST, clazz: 'Host', id };
}

const CASES: NullCase[] = [
  // boxed: no value
  {
    field: 'RouterPort.offRampVxlan',
    java: 'Boolean',
    json: 'offRampVxlan',
    create: () => routerPort({ offRampVxlan: null }),
    reads: null,
    stored: { field: 'off_ramp_vxlan' },
  },
  {
    field: 'RouterPort.rtrPortVni',
    java: 'Integer',
    json: 'rtrPortVni',
    create: () => routerPort({ rtrPortVni: null }),
    reads: null,
    stored: { field: 'vni' },
  },
  {
    field: 'DhcpSubnet.enabled',
    java: 'Boolean (= true)',
    json: 'enabled',
    create: () => dhcpSubnet({ enabled: null }),
    reads: true,
    stored: { field: 'enabled', value: 'true' },
  },
  {
    field: 'DhcpSubnet.interfaceMTU',
    java: 'Integer',
    json: 'interfaceMTU',
    create: () => dhcpSubnet({ interfaceMTU: null }),
    reads: null,
    stored: { field: 'interface_mtu' },
  },
  { field: 'Condition.vlan', java: 'Integer', json: 'vlan', create: () => rule({ vlan: null }), reads: null, stored: { field: 'vlan' } },
  { field: 'Condition.dlType', java: 'Integer', json: 'dlType', create: () => rule({ dlType: null }), reads: null, stored: { field: 'dl_type' } },
  { field: 'Condition.nwTos', java: 'Integer', json: 'nwTos', create: () => rule({ nwTos: null }), reads: null, stored: { field: 'nw_tos' } },
  { field: 'Condition.nwProto', java: 'Integer', json: 'nwProto', create: () => rule({ nwProto: null }), reads: null, stored: { field: 'nw_proto' } },
  {
    field: 'Host.floodingProxyWeight',
    java: 'Integer',
    json: 'floodingProxyWeight',
    create: () => host({ floodingProxyWeight: null }),
    reads: 1,
    stored: { field: 'flooding_proxy_weight', value: '1' },
  },
  {
    field: 'Host.containerWeight',
    java: 'Integer',
    json: 'containerWeight',
    create: () => host({ containerWeight: null }),
    reads: 1,
    stored: { field: 'container_weight', value: '1' },
  },
  {
    field: 'Host.containerLimit',
    java: 'Integer',
    json: 'containerLimit',
    create: () => host({ containerLimit: null }),
    reads: -1,
    stored: { field: 'container_limit', value: '-1' },
  },
  {
    field: 'Host.enforceContainerLimit',
    java: 'Boolean',
    json: 'enforceContainerLimit',
    create: () => host({ enforceContainerLimit: null }),
    reads: false,
    stored: { field: 'enforce_container_limit', value: 'false' },
  },
  // primitives: false and 0
  {
    field: 'Port.adminStateUp',
    java: 'boolean',
    json: 'adminStateUp',
    create: () => routerPort({ adminStateUp: null }),
    reads: false,
    stored: { field: 'admin_state_up', value: 'false' },
  },
  {
    field: 'PortGroup.stateful',
    java: 'boolean',
    json: 'stateful',
    reads: false,
    stored: { field: 'stateful', value: 'false' },
    async create() {
      const id = assertCreated(await post(`${api}/port_groups`, PORT_GROUP, { name: 'boxed', stateful: null }), `${api}/port_groups`);
      return { uri: `${api}/port_groups/${id}`, accept: PORT_GROUP, clazz: 'PortGroup', id };
    },
  },
  {
    field: 'Condition.invNwProto',
    java: 'boolean',
    json: 'invNwProto',
    create: () => rule({ invNwProto: null }),
    reads: false,
    stored: { field: 'nw_proto_inv', value: 'false' },
  },
  {
    field: 'Router.asNumber',
    java: 'int',
    json: 'asNumber',
    reads: 0,
    stored: { field: 'as_number', value: '0' },
    async create() {
      const id = assertCreated(await post(`${api}/routers`, MT.router, { name: 'boxed-int', asNumber: null }), `${api}/routers`);
      return { uri: `${api}/routers/${id}`, accept: MT.router, clazz: 'Router', id };
    },
  },
];

describe('JSON null in a POST: boxed fields are no value, primitives false or 0', () => {
  for (const c of CASES) {
    it(`${c.field} (${c.java}): null reads back ${JSON.stringify(c.reads)}`, async () => {
      const made = await c.create();
      assert.deepEqual((await read(made.uri, made.accept))[c.json], c.reads);
      const text = await modelText(t, made.clazz, made.id);
      const line = new RegExp(`^\\s*${c.stored.field}: (.*)$`, 'm').exec(text);
      assert.equal(line?.[1], c.stored.value, `${c.stored.field} in\n${text}`);
    });
  }
});

describe('JSON null in a PUT of a boxed field', () => {
  it('a port update with "offRampVxlan": null (as the python client and midonet-cli send it) leaves the flag unset', async () => {
    const made = await routerPort({ offRampVxlan: true });
    const current = await read(made.uri, made.accept);
    assert.equal(current['offRampVxlan'], true);
    assertStatus(await put(made.uri, MT.port, { ...current, offRampVxlan: null }), 204);
    assert.equal((await read(made.uri, made.accept))['offRampVxlan'], null);
    assert.ok(!(await modelText(t, 'Port', made.id)).includes('off_ramp_vxlan'));
    // and an update with the flag set keeps it
    assertStatus(await put(made.uri, MT.port, { ...current, offRampVxlan: true }), 204);
    assert.equal((await read(made.uri, made.accept))['offRampVxlan'], true);
  });

  it('a DHCP subnet update with "enabled": null keeps it enabled (its default), not disabled', async () => {
    const made = await dhcpSubnet({ enabled: false });
    const current = await read(made.uri, made.accept);
    assert.equal(current['enabled'], false);
    assertStatus(await put(made.uri, DHCP, { ...current, enabled: null }), 204);
    assert.equal((await read(made.uri, made.accept))['enabled'], true);
  });
});

describe('JSON null for MacPort.vlanId (Short)', () => {
  it('is the untagged VLAN, as when it is absent', async () => {
    const port = assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
    assertStatus(await post(`${api}/bridges/${bridge}/mac_table`, MAC_PORT, { macAddr: '02:00:00:00:00:01', portId: port, vlanId: null }), 201);
    const entries = (await read(`${api}/bridges/${bridge}/vlans/0/mac_table`, MAC_PORTS)) as unknown as Json[];
    assert.deepEqual(
      entries.map((e: Json) => [e.macAddr, e.vlanId]),
      [['02:00:00:00:00:01', 0]],
    );
  });
});
