/**
 * Hosts, host interfaces and host-interface-port bindings over REST against a real node and
 * ZooKeeper (rest-api-core.md §5, §6.10, §6.11, §6.13, §7 scenarios 22 and 23), the host's
 * `alive` state key (storage.md §8) written from a ZooKeeper session of the test as an agent
 * would, and what ends up in ZooKeeper (Host model text, Port.host_id / interface_name).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { message } from '../../lib/http/messages.js';
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
  modelText,
  MT,
  post,
  put,
  rq,
  sorted,
  uuidText,
  zkExists,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const H = {
  host: V('Host-v3'),
  hosts: C('Host-v3'),
  iface: V('Interface-v1'),
  ifaces: C('Interface-v1'),
  binding: V('HostInterfacePort-v1'),
  bindings: C('HostInterfacePort-v1'),
  zone: V('TunnelZone-v1'),
  zoneHost: V('TunnelZoneHost-v1'),
  zoneHosts: C('TunnelZoneHost-v1'),
} as const;

let t: TestNode;
let api: string;
/** A ZooKeeper session of the test's own, standing in for agents. */
let agent: ZkClient;
let bridge: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  agent = await ZkClient.connect({ connectString: t.zkConnect, sessionTimeoutMs: 10000 });
  bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'hosts-bridge' }), `${api}/bridges`);
});

after(async () => {
  await agent?.close();
  await t?.stop();
});

// ---- helpers ------------------------------------------------------------------------------

async function createHost(body: Record<string, unknown> = {}): Promise<string> {
  const id = (body['id'] as string | undefined) ?? randomUUID();
  const res = await post(`${api}/hosts`, H.host, { id, name: `host-${id.slice(0, 8)}`, ...body });
  assert.equal(assertCreated(res, `${api}/hosts`), id);
  return id;
}

async function getHost(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/hosts/${id}`, H.host);
  assertStatus(res, 200);
  assertMediaType(res, H.host);
  return res.json;
}

async function createPort(device: 'bridges' | 'routers' = 'bridges', deviceId = bridge): Promise<string> {
  const res = await post(`${api}/${device}/${deviceId}/ports`, MT.port, { type: device === 'bridges' ? 'Bridge' : 'Router' });
  return assertCreated(res, `${api}/ports`);
}

async function getPort(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/ports/${id}`, MT.port);
  assertStatus(res, 200);
  return res.json;
}

async function createZone(name = `tz-${randomUUID().slice(0, 8)}`): Promise<string> {
  return assertCreated(await post(`${api}/tunnel_zones`, H.zone, { name, type: 'gre' }), `${api}/tunnel_zones`);
}

async function joinZone(zone: string, host: string, ip = '192.168.100.2'): Promise<void> {
  const res = await post(`${api}/tunnel_zones/${zone}/hosts`, H.zoneHost, { hostId: host, ipAddress: ip });
  assertStatus(res, 201);
}

/** A host that is a member of a fresh tunnel zone, ready for bindings. */
async function hostInZone(): Promise<{ host: string; zone: string }> {
  const host = await createHost();
  const zone = await createZone();
  await joinZone(zone, host);
  return { host, zone };
}

function bind(host: string, body: Record<string, unknown>, type: string = H.binding) {
  return post(`${api}/hosts/${host}/ports`, type, body);
}

async function bindings(host: string): Promise<Json[]> {
  const res = await get(`${api}/hosts/${host}/ports`, H.bindings);
  assertStatus(res, 200);
  assertMediaType(res, H.bindings);
  return res.json;
}

function stateDir(host: string): string {
  return `${zoom(t)}/state/${host}/Host/${host}`;
}

/** What an agent does when it starts: its `alive` key, ephemeral, in its own namespace. */
async function makeAlive(session: ZkClient, host: string): Promise<void> {
  await session.mkdirp(stateDir(host));
  await session.create(`${stateDir(host)}/alive`, Buffer.from('alive'), 'ephemeral');
}

function hostJson(id: string, v: { name: string | null; fpw?: number; cw?: number; cl?: number; ecl?: boolean; alive?: boolean }) {
  const uri = `${api}/hosts/${id}`;
  return {
    id,
    uri,
    name: v.name,
    addresses: [],
    hostInterfaces: [],
    alive: v.alive ?? false,
    floodingProxyWeight: v.fpw ?? 1,
    containerWeight: v.cw ?? 1,
    containerLimit: v.cl ?? -1,
    enforceContainerLimit: v.ecl ?? false,
    interfaces: `${uri}/interfaces`,
    ports: `${uri}/ports`,
  };
}

// ---- scenario 23 ----------------------------------------------------------------------------

describe('hosts (scenario 23)', () => {
  it('POST with an existing id → 409; GET of an unknown host → 404', async () => {
    const id = await createHost();
    assertError(await post(`${api}/hosts`, H.host, { id, name: 'again' }), 409);
    assert.equal((await getHost(id)).name, `host-${id.slice(0, 8)}`, 'the first host is untouched');
    assertError(await get(`${api}/hosts/${randomUUID()}`, H.host), 404);
  });

  it('a fresh host has the defaults: weight 1, container weight 1, container limit -1, enforce false', async () => {
    const id = await createHost({ name: 'fresh' });
    assert.deepEqual(await getHost(id), hostJson(id, { name: 'fresh' }));
  });

  it('PUT with all four tunables → 200 and the values are stored; floodingProxyWeight null → 400, value unchanged', async () => {
    const id = await createHost({ name: 'tuned' });
    const cur = await getHost(id);
    const res = await put(`${api}/hosts/${id}`, H.host, {
      ...cur,
      floodingProxyWeight: 42,
      containerWeight: 7,
      containerLimit: 3,
      enforceContainerLimit: true,
    });
    assertEmpty(res, 200);
    assert.deepEqual(await getHost(id), hostJson(id, { name: 'tuned', fpw: 42, cw: 7, cl: 3, ecl: true }));

    const text = await modelText(t, 'Host', id);
    const lines = text.split('\n');
    for (const l of ['flooding_proxy_weight: 42', 'container_weight: 7', 'container_limit: 3', 'enforce_container_limit: true']) {
      assert.ok(lines.includes(l), `${l} in\n${text}`);
    }

    const bad = await put(`${api}/hosts/${id}`, H.host, {
      ...cur,
      floodingProxyWeight: null,
      containerWeight: 1,
      containerLimit: 1,
      enforceContainerLimit: false,
    });
    assertError(bad, 400, message('HostFloodingProxyWeightIsNull'));
    assert.deepEqual(await getHost(id), hostJson(id, { name: 'tuned', fpw: 42, cw: 7, cl: 3, ecl: true }), 'unchanged');
  });

  it('DELETE of a host that is not alive and has no bindings → 200, then GET → 404', async () => {
    const id = await createHost();
    assertEmpty(await del(`${api}/hosts/${id}`), 200);
    assertError(await get(`${api}/hosts/${id}`, H.host), 404);
    assert.equal(await zkExists(t, `${zoom(t)}/models/Host/${id}`), false);
    assert.equal(await zkExists(t, `${zoom(t)}/objects/Host/${id}`), false);
  });
});

// ---- scenario 22 ----------------------------------------------------------------------------

describe('host interface binding (scenario 22)', () => {
  it('not in a tunnel zone → 409; in one → 201; duplicate interface and rebinding → 409; DELETE → 204', async () => {
    const host = await createHost();
    const p1 = await createPort();
    const p2 = await createPort();

    assertError(await bind(host, { portId: p1, interfaceName: 'eth0' }), 409, message('HostIsNotInAnyTunnelZone'));

    const zone = await createZone();
    await joinZone(zone, host);
    const created = await bind(host, { portId: p1, interfaceName: 'eth0' });
    assertEmpty(created, 201);
    assert.equal(created.headers.get('location'), `${api}/hosts/${host}/ports/${p1}`);

    const port = await getPort(p1);
    assert.equal(port.hostInterfacePort, `${api}/hosts/${host}/ports/${p1}`);
    const binding = await get(port.hostInterfacePort, H.binding);
    assertStatus(binding, 200);
    assertMediaType(binding, H.binding);
    assert.deepEqual(binding.json, {
      hostId: host,
      portId: p1,
      interfaceName: 'eth0',
      uri: `${api}/hosts/${host}/ports/${p1}`,
      host: `${api}/hosts/${host}`,
      port: `${api}/ports/${p1}`,
    });

    assertError(await bind(host, { portId: p2, interfaceName: 'eth0' }), 409, message('HostInterfaceIsAlreadyUsed', 'eth0'));
    assertError(await bind(host, { portId: p1, interfaceName: 'eth1' }), 409, message('PortAlreadyBound', p1));

    assertEmpty(await del(`${api}/hosts/${host}/ports/${p1}`), 204);
    assert.deepEqual(await bindings(host), []);
    const unbound = await getPort(p1);
    assert.equal(unbound.hostId, null);
    assert.equal(unbound.interfaceName, null);
    assert.equal(unbound.hostInterfacePort, null);
  });
});

// ---- hosts ----------------------------------------------------------------------------------

describe('hosts: create, read, list', () => {
  it('POST stores the Host model (text format), provenance by the API, and GET/list show it', async () => {
    const id = randomUUID();
    await createHost({ id, name: 'h-model', floodingProxyWeight: 5, containerWeight: 0, containerLimit: 10, enforceContainerLimit: true });
    assert.deepEqual(await getHost(id), hostJson(id, { name: 'h-model', fpw: 5, cw: 0, cl: 10, ecl: true }));
    const text = await modelText(t, 'Host', id);
    assert.equal(
      text,
      `${uuidText('id', id)}name: "h-model"\nflooding_proxy_weight: 5\ncontainer_weight: 0\ncontainer_limit: 10\nenforce_container_limit: true\n`,
    );

    for (const type of [H.hosts, MT.json]) {
      const list = await get(`${api}/hosts`, type);
      assertStatus(list, 200);
      assertMediaType(list, type);
      const mine = (list.json as Json[]).find((h) => h.id === id);
      assert.deepEqual(mine, hostJson(id, { name: 'h-model', fpw: 5, cw: 0, cl: 10, ecl: true }));
    }
    assert.deepEqual((await get(`${api}/hosts/${id}`, MT.json)).json, hostJson(id, { name: 'h-model', fpw: 5, cw: 0, cl: 10, ecl: true }));
  });

  it('read-only fields in a POST body are ignored; null tunables mean their defaults; id is the path of Location', async () => {
    const id = randomUUID();
    const res = await post(`${api}/hosts`, MT.json, {
      id,
      name: null,
      alive: true,
      addresses: ['1.2.3.4'],
      hostInterfaces: [],
      floodingProxyWeight: null,
      containerWeight: null,
      containerLimit: null,
      enforceContainerLimit: null,
    });
    assert.equal(assertCreated(res, `${api}/hosts`), id);
    assert.deepEqual(await getHost(id), hostJson(id, { name: null }));
  });

  it('POST validation: each bean-validation error names its property', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ name: 'no-id' }, ['id']],
      [{ id: randomUUID(), floodingProxyWeight: 65536 }, ['floodingProxyWeight']],
      [{ id: randomUUID(), floodingProxyWeight: -1 }, ['floodingProxyWeight']],
      [{ id: randomUUID(), containerWeight: -1 }, ['containerWeight']],
      [{ id: randomUUID(), containerLimit: -2 }, ['containerLimit']],
      [{ floodingProxyWeight: 70000, containerWeight: -5, containerLimit: -3 }, ['id', 'floodingProxyWeight', 'containerWeight', 'containerLimit']],
    ];
    for (const [body, props] of cases) {
      const res = await post(`${api}/hosts`, H.host, body);
      assertViolations(res, props);
    }
    const v = assertViolations(await post(`${api}/hosts`, H.host, { id: randomUUID(), floodingProxyWeight: 65536, containerWeight: -1 }));
    assert.deepEqual(
      sorted(v.map((x) => `${x.property}: ${x.message}`)),
      sorted([`floodingProxyWeight: ${message('MaxValue', 65535)}`, `containerWeight: ${message('MinValue', 0)}`]),
    );
    // the edges are fine
    await createHost({ floodingProxyWeight: 0, containerWeight: 0, containerLimit: -1 });
    await createHost({ floodingProxyWeight: 65535 });
  });

  it('POST with a value of the wrong JSON type or a malformed id → 400', async () => {
    assertError(await post(`${api}/hosts`, H.host, { id: 'not-a-uuid' }), 400);
    assertError(await post(`${api}/hosts`, H.host, { id: randomUUID(), floodingProxyWeight: 'heavy' }), 400);
    assertError(await post(`${api}/hosts`, H.host, { id: randomUUID(), enforceContainerLimit: 'maybe' }), 400);
    assertError(await rq('POST', `${api}/hosts`, { headers: { 'Content-Type': H.host }, rawBody: '{"id": ' }), 400);
  });

  it('media types: GET/list/POST are generic (406), Host-v2 is not accepted', async () => {
    const id = await createHost();
    assertEmpty(await get(`${api}/hosts/${id}`, MT.bridge), 406);
    assertEmpty(await get(`${api}/hosts/${id}`, V('Host-v2')), 406);
    assertEmpty(await get(`${api}/hosts/${id}`), 406);
    assertEmpty(await get(`${api}/hosts`, H.host), 406);
    assertEmpty(await post(`${api}/hosts`, V('Host-v2'), { id: randomUUID() }), 406);
    assertEmpty(await post(`${api}/hosts`, 'text/plain', { id: randomUUID() }), 406);
    const star = await get(`${api}/hosts/${id}`, '*/*');
    assertStatus(star, 200);
    assertMediaType(star, MT.json);
    const cs = await get(`${api}/hosts/${id}`, `${H.host}; charset=UTF-8`);
    assertStatus(cs, 200);
  });

  it('a malformed host id in the path is 404; unknown methods are 405', async () => {
    assertError(await get(`${api}/hosts/not-a-uuid`, H.host), 404);
    assertError(await del(`${api}/hosts/not-a-uuid`), 404);
    assertEmpty(await post(`${api}/hosts/${randomUUID()}/interfaces`, MT.json, {}), 405);
    assertEmpty(await put(`${api}/hosts/${randomUUID()}/ports`, MT.json, {}), 405);
    assertEmpty(await put(`${api}/hosts`, H.host, {}), 405);
  });
});

describe('hosts: PUT', () => {
  const tunables = { floodingProxyWeight: 9, containerWeight: 8, containerLimit: 7, enforceContainerLimit: true };

  it('each null tunable → 400 with its own message, the first null one wins; nothing changes', async () => {
    const id = await createHost({ name: 'nulls' });
    const cases: [string, string][] = [
      ['floodingProxyWeight', message('HostFloodingProxyWeightIsNull')],
      ['containerWeight', message('HostContainerWeightIsNull')],
      ['containerLimit', message('HostContainerLimitIsNull')],
      ['enforceContainerLimit', message('HostEnforceContainerLimitIsNull')],
    ];
    for (const [field, msg] of cases) {
      assertError(await put(`${api}/hosts/${id}`, H.host, { ...tunables, [field]: null }), 400, msg);
      const omitted: Record<string, unknown> = { ...tunables };
      delete omitted[field];
      assertError(await put(`${api}/hosts/${id}`, H.host, omitted), 400, msg);
    }
    assertError(await put(`${api}/hosts/${id}`, H.host, {}), 400, message('HostFloodingProxyWeightIsNull'));
    assertError(
      await put(`${api}/hosts/${id}`, H.host, { ...tunables, containerLimit: null, enforceContainerLimit: null }),
      400,
      message('HostContainerLimitIsNull'),
    );
    assert.deepEqual(await getHost(id), hostJson(id, { name: 'nulls' }));
  });

  it('only the four tunables change: name, id and tunnel-zone memberships stay; application/json works too', async () => {
    const { host, zone } = await hostInZone();
    const before = await modelText(t, 'Host', host);
    assert.ok(before.includes(uuidText('tunnel_zone_ids', zone)), before);
    const body = { ...(await getHost(host)), ...tunables, id: randomUUID(), name: 'renamed', alive: true };
    assertEmpty(await put(`${api}/hosts/${host}`, MT.json, body), 200);
    const got = await getHost(host);
    assert.deepEqual(got, hostJson(host, { name: `host-${host.slice(0, 8)}`, fpw: 9, cw: 8, cl: 7, ecl: true }));
    const text = await modelText(t, 'Host', host);
    assert.ok(text.includes(uuidText('tunnel_zone_ids', zone)), `membership kept:\n${text}`);
    const members = await get(`${api}/tunnel_zones/${zone}/hosts`, H.zoneHosts);
    assert.deepEqual(
      (members.json as Json[]).map((m) => m.hostId),
      [host],
    );
  });

  it('no range validation on PUT (the original has none); JSON types are still checked', async () => {
    const id = await createHost();
    assertEmpty(
      await put(`${api}/hosts/${id}`, H.host, { floodingProxyWeight: 70000, containerWeight: -4, containerLimit: -9, enforceContainerLimit: false }),
      200,
    );
    const got = await getHost(id);
    assert.equal(got.floodingProxyWeight, 70000);
    assert.equal(got.containerWeight, -4);
    assert.equal(got.containerLimit, -9);
    assertError(await put(`${api}/hosts/${id}`, H.host, { ...tunables, containerWeight: 'lots' }), 400);
    // a type error is found before a null field, as the original's JSON mapping runs first
    const typeFirst = await put(`${api}/hosts/${id}`, H.host, { ...tunables, floodingProxyWeight: null, enforceContainerLimit: 'x' });
    assertStatus(typeFirst, 400);
    assert.notEqual(typeFirst.json.message, message('HostFloodingProxyWeightIsNull'));
  });

  it('PUT of a missing host → 404, even with a null tunable; wrong Content-Type → 415 (explicit negotiation)', async () => {
    assertError(await put(`${api}/hosts/${randomUUID()}`, H.host, tunables), 404);
    assertError(await put(`${api}/hosts/${randomUUID()}`, H.host, { ...tunables, floodingProxyWeight: null }), 404);
    const id = await createHost();
    assertEmpty(await put(`${api}/hosts/${id}`, MT.bridge, tunables), 415);
    assertEmpty(await put(`${api}/hosts/${id}`, V('Host-v2'), tunables), 415);
    assertEmpty(await put(`${api}/hosts/${id}`, undefined, tunables), 415);
    assertEmpty(await put(`${api}/hosts/${id}`, `${H.host}; charset=UTF-8`, tunables), 200);
  });
});

describe('hosts: DELETE', () => {
  it('missing → 404; a host in tunnel zones leaves them (members list and ZooKeeper) and goes → 200', async () => {
    assertError(await del(`${api}/hosts/${randomUUID()}`), 404);
    const { host, zone } = await hostInZone();
    const zone2 = await createZone();
    await joinZone(zone2, host, '10.0.0.9');
    const other = await createHost();
    await joinZone(zone, other, '192.168.100.3');

    for (const z of [zone, zone2]) {
      const text = await modelText(t, 'TunnelZone', z);
      assert.ok(text.includes(uuidText('host_ids', host)) && text.includes(uuidText('host_id', host, '  ')), `zone names the host:\n${text}`);
    }

    assertEmpty(await del(`${api}/hosts/${host}`), 200);
    const members = await get(`${api}/tunnel_zones/${zone}/hosts`, H.zoneHosts);
    assertStatus(members, 200);
    assert.deepEqual(
      (members.json as Json[]).map((m) => m.hostId),
      [other],
    );
    assert.deepEqual((await get(`${api}/tunnel_zones/${zone2}/hosts`, H.zoneHosts)).json, []);
    for (const z of [zone, zone2]) {
      const text = await modelText(t, 'TunnelZone', z);
      assert.ok(!text.includes(uuidText('host_ids', host)) && !text.includes(uuidText('host_id', host, '  ')), `zone still names the host:\n${text}`);
    }
    assertError(await get(`${api}/hosts/${host}`, H.host), 404);
  });

  it('a host with port bindings → 403 [HostDeletionNotAllowedBindings]; without them → 200', async () => {
    const { host } = await hostInZone();
    const p1 = await createPort();
    const p2 = await createPort();
    assertStatus(await bind(host, { portId: p1, interfaceName: 'tap1' }), 201);
    assertStatus(await bind(host, { portId: p2, interfaceName: 'tap2' }), 201);
    assertError(await del(`${api}/hosts/${host}`), 403, message('HostDeletionNotAllowedBindings', host, 2));
    await getHost(host);
    assertEmpty(await del(`${api}/hosts/${host}/ports/${p1}`), 204);
    assertError(await del(`${api}/hosts/${host}`), 403, message('HostDeletionNotAllowedBindings', host, 1));
    // deleting the bound port removes its binding as well
    assertEmpty(await del(`${api}/ports/${p2}`), 204);
    assert.deepEqual(await bindings(host), []);
    assertEmpty(await del(`${api}/hosts/${host}`), 200);
    assert.equal((await getPort(p1)).hostId, null);
  });
});

describe('hosts: alive (the agent-owned state key)', () => {
  it('an ephemeral alive node makes the host alive and undeletable (403); closing its session makes it not alive', async () => {
    const id = await createHost({ name: 'agent-host' });
    const session = await ZkClient.connect({ connectString: t.zkConnect, sessionTimeoutMs: 10000 });
    try {
      await makeAlive(session, id);
      const stat = await t.node.zk.exists(`${stateDir(id)}/alive`);
      assert.ok(stat && stat.ephemeralOwner === session.sessionId, 'the alive node is ephemeral, owned by the agent session');
      assert.deepEqual(await getHost(id), hostJson(id, { name: 'agent-host', alive: true }));
      const list = await get(`${api}/hosts`, H.hosts);
      assert.equal((list.json as Json[]).find((h) => h.id === id)?.alive, true);
      assertError(await del(`${api}/hosts/${id}`), 403, message('HostDeletionNotAllowedActive', id));
      await getHost(id);
    } finally {
      await session.close();
    }
    assert.equal(await zkExists(t, `${stateDir(id)}/alive`), false);
    assert.equal((await getHost(id)).alive, false);
    assertEmpty(await del(`${api}/hosts/${id}`), 200);
  });

  it('the alive check comes first: a stale alive key of a host that is gone → 403, not 404', async () => {
    const id = randomUUID();
    await makeAlive(agent, id);
    try {
      assertError(await del(`${api}/hosts/${id}`), 403, message('HostDeletionNotAllowedActive', id));
    } finally {
      await agent.remove(`${stateDir(id)}/alive`);
    }
    assertError(await del(`${api}/hosts/${id}`), 404);
  });

  it('only the host’s own namespace counts: an alive key written under another namespace is ignored', async () => {
    const id = await createHost();
    const other = randomUUID();
    const dir = `${zoom(t)}/state/${other}/Host/${id}`;
    await agent.mkdirp(dir);
    await agent.create(`${dir}/alive`, Buffer.from('alive'), 'ephemeral');
    try {
      assert.equal((await getHost(id)).alive, false);
    } finally {
      await agent.remove(`${dir}/alive`);
    }
  });
});

describe('host interfaces (agent-reported `host` state key)', () => {
  it('without an agent: hostInterfaces and addresses are empty, /interfaces is [], a name → 404', async () => {
    const id = await createHost();
    const host = await getHost(id);
    assert.deepEqual(host.hostInterfaces, []);
    assert.deepEqual(host.addresses, []);
    const list = await get(`${api}/hosts/${id}/interfaces`, H.ifaces);
    assertStatus(list, 200);
    assertMediaType(list, H.ifaces);
    assert.deepEqual(list.json, []);
    assertError(await get(`${api}/hosts/${id}/interfaces/eth0`, H.iface), 404);
    assertError(await get(`${api}/hosts/${randomUUID()}/interfaces`, H.ifaces), 404);
  });

  it('interfaces reported by an agent are shown on the host, in /interfaces and by name', async () => {
    const id = await createHost({ name: 'with-ifs' });
    const hostState = [
      uuidText('host_id', id).trimEnd(),
      'interfaces {',
      '  name: "eth0"',
      '  type: PHYSICAL',
      '  mac: "16:1f:5c:19:a0:60"',
      '  addresses {',
      '    version: V4',
      '    address: "10.10.10.1"',
      '  }',
      '  addresses {',
      '    version: V6',
      '    address: "fe80::1"',
      '  }',
      '  up: true',
      '  has_link: true',
      '  mtu: 213',
      '  endpoint: PHYSICAL_EP',
      '  port_type: NET_DEV_DP',
      '}',
      'interfaces {',
      '  name: "tap-1"',
      '  type: VIRTUAL',
      '  up: true',
      '  mtu: 1500',
      '  endpoint: VM_EP',
      '}',
      '',
    ].join('\n');
    const session = await ZkClient.connect({ connectString: t.zkConnect, sessionTimeoutMs: 10000 });
    try {
      await makeAlive(session, id);
      await session.create(`${stateDir(id)}/host`, Buffer.from(hostState), 'ephemeral');
      const eth0 = {
        hostId: id,
        name: 'eth0',
        mac: '16:1f:5c:19:a0:60',
        mtu: 213,
        type: 'Physical',
        endpoint: 'PHYSICAL',
        portType: 'NetDev',
        addresses: ['10.10.10.1', 'fe80:0:0:0:0:0:0:1'],
        status: 3,
        uri: `${api}/hosts/${id}/interfaces/eth0`,
      };
      const tap = {
        hostId: id,
        name: 'tap-1',
        mac: null,
        mtu: 1500,
        type: 'Virtual',
        endpoint: 'VM',
        portType: null,
        addresses: [],
        status: 1,
        uri: `${api}/hosts/${id}/interfaces/tap-1`,
      };
      const host = await getHost(id);
      assert.equal(host.alive, true);
      assert.deepEqual(host.hostInterfaces, [eth0, tap]);
      assert.deepEqual(host.addresses, ['10.10.10.1', 'fe80:0:0:0:0:0:0:1']);

      for (const type of [H.ifaces, MT.json]) {
        const list = await get(`${api}/hosts/${id}/interfaces`, type);
        assertStatus(list, 200);
        assertMediaType(list, type);
        assert.deepEqual(list.json, [eth0, tap]);
      }
      const one = await get(eth0.uri, H.iface);
      assertStatus(one, 200);
      assertMediaType(one, H.iface);
      assert.deepEqual(one.json, eth0);
      assert.deepEqual((await get(tap.uri)).json, tap, 'no Accept: the first produced type');
      assertEmpty(await get(eth0.uri, H.host), 406);
      // a host read back, interfaces and all, can be posted as a new host (the read-only parts are ignored)
      const copy = randomUUID();
      assertStatus(await post(`${api}/hosts`, H.host, { ...host, id: copy }), 201);
      assert.deepEqual(await getHost(copy), hostJson(copy, { name: 'with-ifs' }));
      assertEmpty(await put(`${api}/hosts/${copy}`, H.host, { ...host, id: copy }), 200);
      assertEmpty(await get(`${api}/hosts/${id}/interfaces`, H.iface), 406);
    } finally {
      await session.close();
    }
    const gone = await getHost(id);
    assert.equal(gone.alive, false);
    assert.deepEqual(gone.hostInterfaces, []);
  });
});

// ---- bindings -------------------------------------------------------------------------------

describe('host-interface-port bindings', () => {
  it('the binding is stored on the port (host_id, interface_name) and back-referenced by Host.port_ids', async () => {
    const { host } = await hostInZone();
    const p = await createPort();
    assertStatus(await bind(host, { portId: p, interfaceName: 'tap-a', hostId: randomUUID() }, MT.json), 201);

    const portText = await modelText(t, 'Port', p);
    assert.ok(portText.includes(uuidText('host_id', host)), portText);
    assert.ok(portText.split('\n').includes('interface_name: "tap-a"'), portText);
    assert.ok((await modelText(t, 'Host', host)).includes(uuidText('port_ids', p)), 'Host.port_ids');

    const port = await getPort(p);
    assert.equal(port.hostId, host);
    assert.equal(port.interfaceName, 'tap-a');
    assert.equal(port.host, `${api}/hosts/${host}`);
    assert.equal(port.hostInterfacePort, `${api}/hosts/${host}/ports/${p}`);

    assert.deepEqual(await bindings(host), [
      { hostId: host, portId: p, interfaceName: 'tap-a', uri: `${api}/hosts/${host}/ports/${p}`, host: `${api}/hosts/${host}`, port: `${api}/ports/${p}` },
    ]);

    // a PUT of the port keeps the binding (hostId/interfaceName are read-only there)
    assertEmpty(await put(`${api}/ports/${p}`, MT.port, { ...port, hostId: null, interfaceName: null }), 204);
    assert.equal((await getPort(p)).interfaceName, 'tap-a');

    assertEmpty(await del(`${api}/hosts/${host}/ports/${p}`), 204);
    const after = await modelText(t, 'Port', p);
    assert.ok(!after.includes('host_id') && !after.includes('interface_name'), after);
    assert.ok(!(await modelText(t, 'Host', host)).includes('port_ids'), 'Host.port_ids cleared');
  });

  it('several bindings on a host are listed in binding order; router ports can be bound too', async () => {
    const { host } = await hostInZone();
    const router = assertCreated(await post(`${api}/routers`, MT.router, { name: 'r-bind' }), `${api}/routers`);
    const p1 = await createPort();
    const p2 = await createPort('routers', router);
    assertStatus(await bind(host, { portId: p1, interfaceName: 'tap-1' }), 201);
    assertStatus(await bind(host, { portId: p2, interfaceName: 'tap-2' }), 201);
    assert.deepEqual(
      (await bindings(host)).map((b: Json) => [b.portId, b.interfaceName]),
      [
        [p1, 'tap-1'],
        [p2, 'tap-2'],
      ],
    );
    // deleting the router deletes its port, which leaves the host's bindings
    assertEmpty(await del(`${api}/routers/${router}`), 204);
    assert.deepEqual(
      (await bindings(host)).map((b: Json) => b.portId),
      [p1],
    );
  });

  it('the same interface name may be used on different hosts; a port bound elsewhere → 409 [PortAlreadyBound]', async () => {
    const a = await hostInZone();
    const b = await hostInZone();
    const p1 = await createPort();
    const p2 = await createPort();
    assertStatus(await bind(a.host, { portId: p1, interfaceName: 'eth9' }), 201);
    assertStatus(await bind(b.host, { portId: p2, interfaceName: 'eth9' }), 201);
    assertError(await bind(b.host, { portId: p1, interfaceName: 'eth8' }), 409, message('PortAlreadyBound', p1));
    // the binding of p1 is not visible under the other host
    assertError(await get(`${api}/hosts/${b.host}/ports/${p1}`), 404);
    assertStatus(await get(`${api}/hosts/${a.host}/ports/${p1}`), 200);
  });

  it('a linked port can be bound (v5 enforces no interior/exterior exclusivity)', async () => {
    const { host } = await hostInZone();
    const p1 = await createPort();
    const p2 = await createPort();
    assertStatus(await post(`${api}/ports/${p1}/link`, MT.portLink, { peerId: p2 }), 201);
    assertStatus(await bind(host, { portId: p1, interfaceName: 'linked0' }), 201);
    const port = await getPort(p1);
    assert.equal(port.peerId, p2);
    assert.equal(port.hostId, host);
  });

  it('validation: portId and interfaceName are required (violations name them); wrong JSON types → 400', async () => {
    const { host } = await hostInZone();
    const p = await createPort();
    assertViolations(await bind(host, { interfaceName: 'eth0' }), ['portId']);
    assertViolations(await bind(host, { portId: p }), ['interfaceName']);
    assertViolations(await bind(host, { portId: p, interfaceName: '' }), ['interfaceName']);
    assertViolations(await bind(host, {}), ['portId', 'interfaceName']);
    assertError(await bind(host, { portId: 'nope', interfaceName: 'eth0' }), 400);
    assertError(await bind(host, { portId: p, interfaceName: { name: 'eth0' } }), 400);
    assert.deepEqual(await bindings(host), []);
  });

  it('missing host → 404; missing port → 404; the tunnel-zone check comes before the port lookup', async () => {
    const { host } = await hostInZone();
    const p = await createPort();
    assertError(await bind(randomUUID(), { portId: p, interfaceName: 'eth0' }), 404);
    assertError(await bind(host, { portId: randomUUID(), interfaceName: 'eth0' }), 404);
    const lonely = await createHost();
    assertError(await bind(lonely, { portId: randomUUID(), interfaceName: 'eth0' }), 409, message('HostIsNotInAnyTunnelZone'));
    assertError(await bind(`${host}x`, { portId: p, interfaceName: 'eth0' }), 404);
    assert.equal((await getPort(p)).hostId, null);
  });

  it('leaving the last tunnel zone does not remove existing bindings, but new ones are refused', async () => {
    const { host, zone } = await hostInZone();
    const p1 = await createPort();
    const p2 = await createPort();
    assertStatus(await bind(host, { portId: p1, interfaceName: 'eth0' }), 201);
    assertEmpty(await del(`${api}/tunnel_zones/${zone}/hosts/${host}`), 204);
    assert.equal((await bindings(host)).length, 1);
    assertError(await bind(host, { portId: p2, interfaceName: 'eth1' }), 409, message('HostIsNotInAnyTunnelZone'));
  });

  it('GET one: 200 only when the port is bound to that host; no Accept check; 404 otherwise', async () => {
    const { host } = await hostInZone();
    const p = await createPort();
    assertError(await get(`${api}/hosts/${host}/ports/${p}`, H.binding), 404);
    assertStatus(await bind(host, { portId: p, interfaceName: 'eth0' }), 201);
    for (const accept of [H.binding, MT.bridge, undefined]) {
      const res = await get(`${api}/hosts/${host}/ports/${p}`, accept);
      assertStatus(res, 200);
      assertMediaType(res, H.binding);
      assert.equal(res.json.interfaceName, 'eth0');
    }
    assertError(await get(`${api}/hosts/${host}/ports/${randomUUID()}`), 404);
    assertError(await get(`${api}/hosts/${randomUUID()}/ports/${p}`), 404);
  });

  it('media types: POST consumes HostInterfacePort-v1 or json (else 415); the list produces only its collection type (else 406)', async () => {
    const { host } = await hostInZone();
    const p = await createPort();
    assertEmpty(await bind(host, { portId: p, interfaceName: 'eth0' }, MT.port), 415);
    assertEmpty(await bind(host, { portId: p, interfaceName: 'eth0' }, 'text/plain'), 415);
    assertStatus(await bind(host, { portId: p, interfaceName: 'eth0' }, `${H.binding}; charset=UTF-8`), 201);
    assertEmpty(await get(`${api}/hosts/${host}/ports`, MT.json), 406);
    assertEmpty(await get(`${api}/hosts/${host}/ports`, H.binding), 406);
    const none = await get(`${api}/hosts/${host}/ports`);
    assertStatus(none, 200);
    assertMediaType(none, H.bindings);
    assertError(await get(`${api}/hosts/${randomUUID()}/ports`, H.bindings), 404);
  });

  it('DELETE: the host in the path is not checked; an unbound port → 204; a missing port → 404', async () => {
    const { host } = await hostInZone();
    const p = await createPort();
    assertStatus(await bind(host, { portId: p, interfaceName: 'eth0' }), 201);
    assertEmpty(await del(`${api}/hosts/${randomUUID()}/ports/${p}`), 204);
    assert.equal((await getPort(p)).hostId, null);
    assert.deepEqual(await bindings(host), []);
    assertEmpty(await del(`${api}/hosts/${host}/ports/${p}`), 204);
    assertError(await del(`${api}/hosts/${host}/ports/${randomUUID()}`), 404);
  });
});
