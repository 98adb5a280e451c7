/**
 * Service containers and service container groups over REST against a real node and ZooKeeper
 * (rest-api-extras.md §5.4, §5.5 and the scenarios of the original's
 * ServiceContainerResourceTest), with the bodies python-midonetclient's `ServiceContainer` and
 * `ServiceContainerGroup` send, the status read from the agent's state key, and what is stored.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { printText } from '../../lib/nsdb/codec/text-format.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertParsesWithSchema } from '../support/protoc.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  createStored,
  del,
  get,
  modelText,
  MT,
  post,
  put,
  uuidText,
  zkChildren,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const SC = V('ServiceContainer-v1');
const SCS = C('ServiceContainer-v1');
const SCG = V('ServiceContainerGroup-v1');
const SCGS = C('ServiceContainerGroup-v1');

let t: TestNode;
let api: string;
let router: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
  router = assertCreated(await post(`${api}/routers`, MT.router, { name: 'sc-router' }), `${api}/routers`);
});

after(async () => {
  await t?.stop();
});

async function routerPort(): Promise<string> {
  return assertCreated(
    await post(`${api}/routers/${router}/ports`, MT.port, { type: 'Router', portAddress: '169.254.0.1', networkAddress: '169.254.0.0', networkLength: 30 }),
    `${api}/ports`,
  );
}

async function group(body: Record<string, unknown> = {}): Promise<string> {
  return assertCreated(await post(`${api}/service_container_groups`, SCG, body), `${api}/service_container_groups`);
}

async function getJson(url: string, type: string): Promise<Json> {
  const res = await get(url, type);
  assertStatus(res, 200);
  assertMediaType(res, type);
  return res.json;
}

async function count(clazz: string): Promise<number> {
  return (await zkChildren(t, `${zoom(t)}/models/${clazz}`)).length;
}

async function reportStatus(host: string, container: string, text: string): Promise<void> {
  const path = `${zoom(t)}/state/${host}/ServiceContainer/${container}/status`;
  await t.node.zk.mkdirp(path.slice(0, path.lastIndexOf('/')));
  await t.node.zk.create(path, Buffer.from(text, 'utf8'), 'ephemeral');
}

describe('service container groups', () => {
  it("POST {} → 201, policy WEIGHTED; PUT LEAST, PUT null → WEIGHTED; the group's container ids are not shown", async () => {
    const id = await group();
    const g = await getJson(`${api}/service_container_groups/${id}`, SCG);
    assert.deepEqual(g, {
      id,
      policy: 'WEIGHTED',
      hostGroupId: null,
      portGroupId: null,
      uri: `${api}/service_container_groups/${id}`,
      serviceContainers: `${api}/service_container_groups/${id}/service_containers`,
    });
    assertStatus(await put(`${api}/service_container_groups/${id}`, SCG, { ...g, policy: 'LEAST' }), 204);
    assert.equal((await getJson(`${api}/service_container_groups/${id}`, SCG)).policy, 'LEAST');
    assertParsesWithSchema('ServiceContainerGroup', await modelText(t, 'ServiceContainerGroup', id));
    assert.match(await modelText(t, 'ServiceContainerGroup', id), /^policy: LEAST_SCHEDULER$/m);
    assertStatus(await put(`${api}/service_container_groups/${id}`, SCG, { ...g, policy: null }), 204);
    assert.equal((await getJson(`${api}/service_container_groups/${id}`, SCG)).policy, 'WEIGHTED');
    const list = await get(`${api}/service_container_groups`, SCGS);
    assertMediaType(list, SCGS);
    assert.ok((list.json as Json[]).some((x) => x.id === id));
  });

  it('host group and port group references: must exist (404); the referenced objects point back', async () => {
    const hostGroup = await createStored(t, 'HostGroup', { name: 'hg' });
    const pg = assertCreated(await post(`${api}/port_groups`, 'application/vnd.org.midonet.PortGroup-v1+json', { name: 'pg' }), `${api}/port_groups`);
    const id = await group({ policy: 'LEAST', hostGroupId: hostGroup, portGroupId: pg });
    const g = await getJson(`${api}/service_container_groups/${id}`, SCG);
    assert.deepEqual([g.hostGroupId, g.portGroupId, g.policy], [hostGroup, pg, 'LEAST']);
    assert.ok((await modelText(t, 'HostGroup', hostGroup)).includes(uuidText('service_group_ids', id)));
    const before = await count('ServiceContainerGroup');
    assertError(await post(`${api}/service_container_groups`, SCG, { hostGroupId: randomUUID() }), 404, /^There is no HostGroup with ID /);
    assertError(await post(`${api}/service_container_groups`, SCG, { portGroupId: randomUUID() }), 404, /^There is no PortGroup with ID /);
    assertError(await post(`${api}/service_container_groups`, SCG, { policy: 'RANDOM' }), 400);
    assert.equal(await count('ServiceContainerGroup'), before);
    // deleting the port group clears the group's reference
    assertEmpty(await del(`${api}/port_groups/${pg}`), 204);
    assert.equal((await getJson(`${api}/service_container_groups/${id}`, SCG)).portGroupId, null);
  });
});

describe('service containers', () => {
  it('scenario 1: a container naming a missing group → 404; without a group → 201', async () => {
    const port = await routerPort();
    assertError(
      await post(`${api}/service_containers`, SC, { id: randomUUID(), portId: port, serviceType: 'TYPE', serviceGroupId: randomUUID() }),
      404,
      /^There is no ServiceContainerGroup with ID /,
    );
    const id = randomUUID();
    assert.equal(assertCreated(await post(`${api}/service_containers`, SC, { id, portId: port, serviceType: 'TYPE' }), `${api}/service_containers`), id);
  });

  it('scenario 2: POST below the group → 201; GET by id equals the input; the port shows the container; the group lists it', async () => {
    const port = await routerPort();
    const g = await group();
    assert.deepEqual(await getJson(`${api}/service_container_groups/${g}/service_containers`, SCS), []);
    const id = randomUUID();
    const configurationId = randomUUID();
    // the Python client's body (status fields it never sets are absent; statusCode as the original's test sets it)
    const loc = await post(`${api}/service_container_groups/${g}/service_containers`, SC, {
      id,
      portId: port,
      serviceGroupId: g,
      serviceType: 'TYPE',
      configurationId,
      statusCode: 'STOPPED',
    });
    assert.equal(assertCreated(loc, `${api}/service_containers`), id);
    const sc = await getJson(`${api}/service_containers/${id}`, SC);
    assert.deepEqual(sc, {
      id,
      serviceType: 'TYPE',
      serviceGroupId: g,
      portId: port,
      configurationId,
      hostId: null,
      statusCode: 'STOPPED',
      statusMessage: null,
      namespaceName: null,
      interfaceName: null,
      uri: `${api}/service_containers/${id}`,
      port: `${api}/ports/${port}`,
      serviceContainerGroup: `${api}/service_container_groups/${g}`,
    });
    const p = await getJson(`${api}/ports/${port}`, MT.port);
    assert.equal(p.serviceContainerId, id);
    assert.equal(p.serviceContainer, `${api}/service_containers/${id}`);
    assert.equal(p.deviceId, router);
    assert.deepEqual(
      (await getJson(`${api}/service_container_groups/${g}/service_containers`, SCS)).map((x: Json) => x.id),
      [id],
    );
    assert.deepEqual(await getJson(`${api}/service_container_groups/${g}/service_containers/${id}`, SC), sc);
    const text = await modelText(t, 'ServiceContainer', id);
    assertParsesWithSchema('ServiceContainer', text);
    assert.equal(
      text,
      `${uuidText('id', id)}${uuidText('service_group_id', g)}${uuidText('port_id', port)}service_type: "TYPE"\n${uuidText('configuration_id', configurationId)}`,
    );
    assert.ok((await modelText(t, 'ServiceContainerGroup', g)).includes(uuidText('service_container_ids', id)));
    // a group that does not exist has no containers; another group does not have this one
    assertError(await get(`${api}/service_container_groups/${randomUUID()}/service_containers`, SCS), 404);
    assertError(await get(`${api}/service_container_groups/${randomUUID()}/service_containers/${id}`, SC), 404);
    const other = await group();
    assertError(await get(`${api}/service_container_groups/${other}/service_containers/${id}`, SC), 404, `There is no ServiceContainer with ID ${id}.`);
    assertError(await del(`${api}/service_container_groups/${other}/service_containers/${id}`), 404);
    assertStatus(await get(`${api}/service_containers/${id}`, SC), 200);
  });

  it('scenario 3: PUT with a new configurationId → 204, the container keeps its old one', async () => {
    const port = await routerPort();
    const configurationId = randomUUID();
    const id = assertCreated(await post(`${api}/service_containers`, SC, { portId: port, serviceType: 'TYPE', configurationId }), `${api}/service_containers`);
    const sc = await getJson(`${api}/service_containers/${id}`, SC);
    assertStatus(await put(`${api}/service_containers/${id}`, SC, { ...sc, configurationId: randomUUID(), serviceType: 'OTHER' }), 204);
    const after = await getJson(`${api}/service_containers/${id}`, SC);
    assert.deepEqual([after.configurationId, after.serviceType], [configurationId, 'TYPE']);
  });

  it('scenario 4: a container without a port cannot be scheduled: PUT hostId → 406', async () => {
    const g = await group();
    const id = assertCreated(
      await post(`${api}/service_containers`, SC, { serviceType: 'TYPE', serviceGroupId: g, configurationId: randomUUID() }),
      `${api}/service_containers`,
    );
    const sc = await getJson(`${api}/service_containers/${id}`, SC);
    assert.deepEqual([sc.statusCode, sc.hostId, sc.port], [null, null, null]);
    assertError(
      await put(`${api}/service_containers/${id}`, SC, { ...sc, hostId: randomUUID() }),
      406,
      `Container ${id} scheduling cannot be changed because it is not connected to a port.`,
    );
    assertError(await put(`${api}/service_containers/${randomUUID()}`, SC, { ...sc }), 404);
  });

  it('scenario 5: PUT hostId schedules: a missing host → 404; a host → the port is bound; null → unbound', async () => {
    const port = await routerPort();
    const g = await group();
    const id = assertCreated(
      await post(`${api}/service_container_groups/${g}/service_containers`, SC, { serviceType: 'IPSEC', portId: port }),
      `${api}/service_containers`,
    );
    const sc = await getJson(`${api}/service_containers/${id}`, SC);
    assertError(await put(`${api}/service_containers/${id}`, SC, { ...sc, hostId: randomUUID() }), 404, /^There is no Host with ID /);
    assert.equal((await getJson(`${api}/ports/${port}`, MT.port)).hostId, null);
    const host = await createStored(t, 'Host', { name: 'h1' });
    assertStatus(await put(`${api}/service_container_groups/${g}/service_containers/${id}`, SC, { ...sc, hostId: host }), 204);
    assert.equal((await getJson(`${api}/ports/${port}`, MT.port)).hostId, host);
    assert.ok((await modelText(t, 'Host', host)).includes(uuidText('port_ids', port)));
    // bound, no status reported yet: STOPPED on that host
    let now = await getJson(`${api}/service_containers/${id}`, SC);
    assert.deepEqual([now.hostId, now.statusCode, now.statusMessage], [host, 'STOPPED', null]);
    // the agent's report
    const status = printText('ContainerStatus', {
      status_code: 'RUNNING',
      status_message: 'up',
      host_id: host,
      namespace_name: 'vpn-1',
      interface_name: 'vpn-1_dp',
    });
    assertParsesWithSchema('ContainerStatus', status);
    await reportStatus(host, id, status);
    now = await getJson(`${api}/service_containers/${id}`, SC);
    assert.deepEqual([now.statusCode, now.statusMessage, now.namespaceName, now.interfaceName], ['RUNNING', 'up', 'vpn-1', 'vpn-1_dp']);
    const listed = (await getJson(`${api}/service_containers`, SCS)) as Json[];
    assert.equal(listed.find((x) => x.id === id)?.statusCode, 'RUNNING');
    assertStatus(await put(`${api}/service_containers/${id}`, SC, { ...now, hostId: null }), 204);
    assert.equal((await getJson(`${api}/ports/${port}`, MT.port)).hostId, null);
    assert.deepEqual([(await getJson(`${api}/service_containers/${id}`, SC)).statusCode], ['STOPPED']);
  });

  it('one container per port (409); deleting the port, or the group, deletes the container; deleting it clears the port', async () => {
    const port = await routerPort();
    const g = await group();
    const a = assertCreated(await post(`${api}/service_containers`, SC, { serviceType: 'T', portId: port, serviceGroupId: g }), `${api}/service_containers`);
    assertError(await post(`${api}/service_containers`, SC, { serviceType: 'T', portId: port }), 409);
    assertEmpty(await del(`${api}/service_containers/${a}`), 204);
    assert.equal((await getJson(`${api}/ports/${port}`, MT.port)).serviceContainerId, null);
    assertEmpty(await del(`${api}/service_containers/${a}`), 204);

    const b = assertCreated(await post(`${api}/service_containers`, SC, { serviceType: 'T', portId: port, serviceGroupId: g }), `${api}/service_containers`);
    assertEmpty(await del(`${api}/ports/${port}`), 204);
    assertError(await get(`${api}/service_containers/${b}`, SC), 404);
    assert.equal((await getJson(`${api}/service_container_groups/${g}/service_containers`, SCS)).length, 0);

    const c = assertCreated(await post(`${api}/service_container_groups/${g}/service_containers`, SC, { serviceType: 'T' }), `${api}/service_containers`);
    assertEmpty(await del(`${api}/service_container_groups/${g}`), 204);
    assertError(await get(`${api}/service_containers/${c}`, SC), 404);
    assertEmpty(await del(`${api}/service_container_groups/${g}`), 204);
  });

  it('bad input → 4xx and nothing written', async () => {
    const before = await count('ServiceContainer');
    const port = await routerPort();
    assertError(await post(`${api}/service_containers`, SC, { portId: port }), 400);
    assertError(await post(`${api}/service_containers`, SC, { serviceType: 'T', portId: randomUUID() }), 404, /^There is no Port with ID /);
    assertError(await post(`${api}/service_containers`, SC, { serviceType: 'T', portId: 'p1' }), 400);
    assertError(await post(`${api}/service_containers`, SC, { serviceType: ['T'] }), 400);
    assertError(
      await post(`${api}/service_container_groups/${randomUUID()}/service_containers`, SC, { serviceType: 'T' }),
      404,
      /^There is no ServiceContainerGroup with ID /,
    );
    assert.equal(await count('ServiceContainer'), before);
  });
});
