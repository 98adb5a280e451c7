/**
 * L4 load balancing over REST against a real node and ZooKeeper (rest-api-extras.md §2): load
 * balancers, pools, pool members, VIPs and health monitors, with the requests python-midonetclient
 * sends (api.add_load_balancer(), lb.add_pool(), pool.add_pool_member(), pool.add_vip(),
 * api.add_health_monitor(), their update()/get_*() calls), the conformance scenarios of §2.8, bad
 * input with nothing written, the cascades and refusals of §2.1, and the stored objects checked
 * with protoc.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { PyClient } from '../support/py-client.js';
import { storedParses } from '../support/protoc.js';
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
  put,
  zkCounts,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const LB = V('LoadBalancer-v1');
const LBS = C('LoadBalancer-v1');
const POOL = V('Pool-v1');
const POOLS = C('Pool-v1');
const MEMBER = V('PoolMember-v1');
const MEMBERS = C('PoolMember-v1');
const VIP = V('VIP-v1');
const VIPS = C('VIP-v1');
const HM = V('HealthMonitor-v1');
const HMS = C('HealthMonitor-v1');
const CLASSES = ['LoadBalancer', 'Pool', 'PoolMember', 'Vip', 'HealthMonitor'];
const CLUSTER_NS = '00000000-0000-0000-0000-000000000000';

let t: TestNode;
let api: string;
let app: Record<string, Json>;
const py = new PyClient('00000000');

before(async () => {
  t = await startTestNode();
  api = t.api;
  app = await py.get(api, MT.app);
});

after(async () => {
  await t?.stop();
});

const newLb = (): Promise<Record<string, Json>> => py.create(app['loadBalancers'], LB, { adminStateUp: true });
const newPool = (lb: Record<string, Json>, extra: Record<string, unknown> = {}): Promise<Record<string, Json>> =>
  py.create(lb['pools'], POOL, { lbMethod: 'ROUND_ROBIN', ...extra });

describe('load balancers', () => {
  it('§2.8 1: CRUD, the router links itself, refusals', async () => {
    const [l1, l2, l3, l4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const id of [l1, l2, l3, l4]) assertCreated(await post(app['loadBalancers'], LB, { id, adminStateUp: true }), `${api}/load_balancers`);
    assertError(await post(app['loadBalancers'], LB, { id: l2, adminStateUp: true }), 409, `A(n) LoadBalancer with ID ${l2} already exists.`);
    const got = await py.get(`${api}/load_balancers/${l1}`, LB);
    assert.deepEqual(got, {
      uri: `${api}/load_balancers/${l1}`,
      id: l1,
      adminStateUp: true,
      routerId: null,
      router: null,
      pools: `${api}/load_balancers/${l1}/pools`,
      vips: `${api}/load_balancers/${l1}/vips`,
    });
    const listed = await py.list(app['loadBalancers'], LBS);
    assert.ok([l1, l2, l3, l4].every((id) => listed.some((x: Json) => x.id === id)));
    // lb.admin_state_up(False).update()
    const toggled = await py.update({ ...(await py.get(`${api}/load_balancers/${l2}`, LB)), adminStateUp: false }, LB);
    assert.equal(toggled['adminStateUp'], false);

    // router.load_balancer_id(l3).update()
    const router = await py.create(`${api}/routers`, MT.router, { name: 'lb-router', tenantId: 't' });
    await py.update({ ...router, loadBalancerId: l3 }, MT.router);
    const linked = await py.get(`${api}/load_balancers/${l3}`, LB);
    assert.equal(linked['routerId'], router['id']);
    assert.equal(linked['router'], router['uri']);
    assertStatus(await del(router['uri']), 409);
    // another router on an already used load balancer
    const other = await py.create(`${api}/routers`, MT.router, { name: 'lb-router-2', tenantId: 't' });
    assertStatus(await put(other['uri'], MT.router, { ...other, loadBalancerId: l3 }), 409);
    // the load balancer's routerId is the router's to change
    assertError(await put(linked['uri'], LB, { ...linked, routerId: other['id'] }), 400, 'Router cannot be modified');
    assertError(await put(linked['uri'], LB, { adminStateUp: true }), 400, 'Router cannot be modified');
    assertError(
      await post(app['loadBalancers'], LB, { routerId: router['id'] }),
      400,
      "A load balancer's router ID must be null at creation. To associate a router with a load balancer, first create the load balancer with null router ID and then update the router's load balancer ID.",
    );
    // moving the router to l4, then to none
    await py.update({ ...(await py.get(router['uri'], MT.router)), loadBalancerId: l4 }, MT.router);
    assert.equal((await py.get(`${api}/load_balancers/${l3}`, LB))['routerId'], null);
    assert.equal((await py.get(`${api}/load_balancers/${l4}`, LB))['routerId'], router['id']);
    await py.update({ ...(await py.get(router['uri'], MT.router)), loadBalancerId: null }, MT.router);
    assert.equal((await py.get(`${api}/load_balancers/${l4}`, LB))['routerId'], null);
    // VIPs are created below their pool
    assertEmpty(await post(`${api}/load_balancers/${l1}/vips`, VIP, {}), 405);
    for (const id of [l1, l2, l3, l4]) assertEmpty(await del(`${api}/load_balancers/${id}`), 204);
    assertEmpty(await del(`${api}/load_balancers/${l1}`), 204);
    await storedParses(t, 'Router', router['id']);
  });

  it('deleting a load balancer takes its pools, their members and VIPs, and unlinks its router', async () => {
    const lb = await newLb();
    const router = await py.create(`${api}/routers`, MT.router, { name: 'cascade' });
    await py.update({ ...router, loadBalancerId: lb['id'] }, MT.router);
    const pool = await newPool(lb);
    const member = await py.create(pool['poolMembers'], MEMBER, { address: '10.0.0.10', protocolPort: 80 });
    const vip = await py.create(pool['vips'], VIP, { address: '192.168.1.1', protocolPort: 80 });
    await py.delete(lb['uri']);
    for (const [uri, mt] of [
      [pool['uri'], POOL],
      [member['uri'], MEMBER],
      [vip['uri'], VIP],
    ] as const)
      assertStatus(await get(uri, mt), 404);
    assert.equal((await py.get(router['uri'], MT.router))['loadBalancerId'], null);
    assertEmpty(await del(router['uri']), 204);
  });
});

describe('pools and VIPs', () => {
  it('§2.8 2: pool defaults, VIPs follow their pool to another load balancer, deletion cascades', async () => {
    const l1 = await newLb();
    const l2 = await newLb();
    // lb.add_pool().lb_method('ROUND_ROBIN').create()
    const pool = await newPool(l1);
    assert.deepEqual(pool, {
      uri: `${api}/pools/${pool['id']}`,
      id: pool['id'],
      adminStateUp: true,
      healthMonitorId: null,
      loadBalancerId: l1['id'],
      protocol: 'TCP',
      lbMethod: 'ROUND_ROBIN',
      status: 'ACTIVE',
      healthMonitor: null,
      loadBalancer: l1['uri'],
      vips: `${pool['uri']}/vips`,
      poolMembers: `${pool['uri']}/pool_members`,
    });
    assertViolations(await post(l1['pools'], POOL, { lbMethod: null }), ['lbMethod']);
    const ghostHm = randomUUID();
    assertError(await post(app['pools'], POOL, { lbMethod: 'ROUND_ROBIN', healthMonitorId: ghostHm }), 404, `There is no HealthMonitor with ID ${ghostHm}.`);
    assertError(await post(app['pools'], POOL, { id: pool['id'], lbMethod: 'ROUND_ROBIN' }), 409, `A(n) Pool with ID ${pool['id']} already exists.`);

    // pool.add_vip().address(...).protocol_port(80).session_persistence('SOURCE_IP').create()
    const vip = await py.create(pool['vips'], VIP, { address: '192.168.100.1', protocolPort: 80, sessionPersistence: 'SOURCE_IP' });
    assert.deepEqual(vip, {
      uri: `${api}/vips/${vip['id']}`,
      id: vip['id'],
      adminStateUp: true,
      loadBalancerId: l1['id'],
      poolId: pool['id'],
      address: '192.168.100.1',
      protocolPort: 80,
      sessionPersistence: 'SOURCE_IP',
      loadBalancer: l1['uri'],
      pool: pool['uri'],
    });
    assert.deepEqual(assertViolations(await post(app['vips'], VIP, { poolId: null, address: '192.168.100.2' })), [
      { property: 'poolId', message: 'may not be null' },
    ]);
    const ghostPool = randomUUID();
    assertError(await post(app['vips'], VIP, { poolId: ghostPool, address: '192.168.100.2' }), 400, `There is no Pool with ID ${ghostPool}.`);
    assertViolations(await post(app['vips'], VIP, { poolId: pool['id'], address: '192.168.100' }), ['address']);

    // pool.load_balancer_id(l2).update(): its VIPs follow
    await py.update({ ...(await py.get(pool['uri'], POOL)), loadBalancerId: l2['id'] }, POOL);
    assert.deepEqual(await py.list(l1['vips'], VIPS), []);
    const moved = await py.list(l2['vips'], VIPS);
    assert.deepEqual(
      moved.map((v: Json) => [v.id, v.loadBalancerId]),
      [[vip['id'], l2['id']]],
    );
    assert.deepEqual(
      (await py.list(pool['vips'], VIPS)).map((v: Json) => v.loadBalancerId),
      [l2['id']],
    );
    assert.deepEqual((await py.list(app['vips'], VIPS)).find((v: Json) => v.id === vip['id'])?.loadBalancerId, l2['id']);
    assert.deepEqual(
      (await py.list(l2['pools'], POOLS)).map((p: Json) => p.id),
      [pool['id']],
    );
    assert.deepEqual(await py.list(l1['pools'], POOLS), []);

    const member = await py.create(pool['poolMembers'], MEMBER, { address: '10.0.0.1', protocolPort: 80 });
    for (const cls of ['Pool', 'Vip', 'PoolMember', 'LoadBalancer']) {
      const id = { Pool: pool['id'], Vip: vip['id'], PoolMember: member['id'], LoadBalancer: l2['id'] }[cls] as string;
      await storedParses(t, cls, id);
    }
    await py.delete(pool['uri']);
    assertStatus(await get(vip['uri'], VIP), 404);
    assertStatus(await get(member['uri'], MEMBER), 404);
    assert.deepEqual(await py.list(l2['vips'], VIPS), []);
    assertEmpty(await del(pool['uri']), 204);
    assertEmpty(await del(vip['uri']), 204);
  });

  it('VIP PUT moves it between pools; a pool that does not exist is 400', async () => {
    const lb = await newLb();
    const p1 = await newPool(lb);
    const p2 = await newPool(lb);
    const vip = await py.create(p1['vips'], VIP, { address: '172.16.0.1', protocolPort: 443 });
    const moved = await py.update({ ...vip, poolId: p2['id'], protocolPort: 8443, sessionPersistence: null }, VIP);
    assert.equal(moved['poolId'], p2['id']);
    assert.equal(moved['protocolPort'], 8443);
    assert.deepEqual(await py.list(p1['vips'], VIPS), []);
    assert.deepEqual(
      (await py.list(p2['vips'], VIPS)).map((v: Json) => v.id),
      [vip['id']],
    );
    const ghost = randomUUID();
    assertError(await put(vip['uri'], VIP, { ...moved, poolId: ghost }), 400, `There is no Pool with ID ${ghost}.`);
    assertViolations(await put(vip['uri'], VIP, { ...moved, protocolPort: 65536 }), ['protocolPort']);
    assertStatus(await post(`${api}/pools/${ghost}/vips`, VIP, { address: '172.16.0.2' }), 404);
    assertStatus(await get(`${api}/pools/${ghost}/vips`, VIPS), 404);
    // GET of one VIP is explicit (E): a missing Accept takes the first type
    const noAccept = await get(vip['uri']);
    assertStatus(noAccept, 200);
    assertMediaType(noAccept, VIP);
  });

  it('a gateway port set by Neutron survives a REST PUT of the VIP and keeps the port from being deleted', async () => {
    const lb = await newLb();
    const pool = await newPool(lb);
    const vip = await py.create(pool['vips'], VIP, { address: '172.16.1.1', protocolPort: 80 });
    const router = await py.create(`${api}/routers`, MT.router, { name: 'gw' });
    const port = await py.create(router['ports'], MT.port, { type: 'Router', portAddress: '172.16.1.254', networkAddress: '172.16.1.0', networkLength: 24 });
    // what the Neutron LBaaS v1 translation writes
    await t.node.storage.tryTransaction(0, async (tx) => {
      const v = await tx.get('Vip', vip['id']);
      v.gateway_port_id = port['id'];
      await tx.update('Vip', v);
    });
    const updated = await py.update({ ...vip, protocolPort: 8080 }, VIP);
    assert.equal(updated['protocolPort'], 8080);
    assert.equal('gatewayPortId' in updated, false, 'never shown');
    assert.equal((await t.node.storage.get('Vip', vip['id'])).gateway_port_id, port['id']);
    assertStatus(await del(port['uri']), 409);
    await py.delete(vip['uri']);
    assertEmpty(await del(port['uri']), 204);
  });

  it('§2.8 3: the health-monitor mapping locks the pool until the agents have processed it', async () => {
    const lb = await newLb();
    const hm = await py.create(app['healthMonitors'], HM, { type: 'TCP', delay: 5, timeout: 10, maxRetries: 10 });
    const pool = await newPool(lb);
    // pool.status('INACTIVE') is not a client call, but a PUT with it changes nothing
    const same = await py.update({ ...pool, status: 'INACTIVE' }, POOL);
    assert.equal(same['status'], 'ACTIVE');
    await py.update({ ...same, healthMonitorId: hm['id'] }, POOL);
    const locked = await put(pool['uri'], POOL, { ...same, healthMonitorId: hm['id'] });
    assertError(locked, 503, 'The mapping between the health monitor and the pool is being processed (PENDING_CREATE).');
    assert.equal(locked.headers.get('retryafter'), '3');
    assert.equal(locked.headers.get('retry-after'), '3');
    assertStatus(await del(pool['uri']), 503);
    assert.deepEqual(
      (await py.list(hm['pools'], POOLS)).map((p: Json) => p.id),
      [pool['id']],
    );
    assert.deepEqual(
      (await py.list(`${app['pools']}?hm_id=${hm['id']}`, POOLS)).map((p: Json) => p.id),
      [pool['id']],
    );
    assert.deepEqual(await py.list(`${app['pools']}?hm_id=not-a-uuid`, POOLS), []);
    // the agents' health-monitor service moves it back to ACTIVE; then PUT and DELETE work again
    await t.node.storage.tryTransaction(0, async (tx) => {
      const p = await tx.get('Pool', pool['id']);
      p.mapping_status = 'ACTIVE';
      await tx.update('Pool', p);
    });
    const unlinked = await py.update({ ...(await py.get(pool['uri'], POOL)), healthMonitorId: null }, POOL);
    assert.equal(unlinked['healthMonitorId'], null);
    assert.match(await storedParses(t, 'Pool', pool['id']), /mapping_status: PENDING_CREATE\n/);
    // deleting its load balancer still removes a locked pool
    await py.delete(lb['uri']);
    assertStatus(await get(pool['uri'], POOL), 404);
  });

  it('bad input on pools: unknown enums, wrong types, missing load balancer; nothing is written', async () => {
    const lb = await newLb();
    const before = await zkCounts(t, CLASSES);
    assertStatus(await post(lb['pools'], POOL, { lbMethod: 'LEAST_CONN' }), 400);
    assertStatus(await post(lb['pools'], POOL, { lbMethod: 'ROUND_ROBIN', protocol: 'UDP' }), 400);
    assertStatus(await post(lb['pools'], POOL, { lbMethod: 'ROUND_ROBIN', adminStateUp: 'yes' }), 400);
    const ghost = randomUUID();
    assertError(await post(`${api}/load_balancers/${ghost}/pools`, POOL, { lbMethod: 'ROUND_ROBIN' }), 404, `There is no LoadBalancer with ID ${ghost}.`);
    assertError(await post(app['pools'], POOL, { lbMethod: 'ROUND_ROBIN', loadBalancerId: ghost }), 404, `There is no LoadBalancer with ID ${ghost}.`);
    assertError(await put(`${api}/pools/${ghost}`, POOL, { lbMethod: 'ROUND_ROBIN' }), 404, `There is no Pool with ID ${ghost}.`);
    assertEmpty(await post(lb['pools'], VIP, { lbMethod: 'ROUND_ROBIN' }), 406);
    assert.deepEqual(await zkCounts(t, CLASSES), before);
    // sub-collection items are not addressable there
    assertEmpty(await get(`${lb['pools']}/${ghost}`, POOL), 405);
  });
});

describe('pool members', () => {
  it('§2.8 4: validation, 404 for a missing pool, PUT keeps address and port, idempotent DELETE', async () => {
    const lb = await newLb();
    const pool = await newPool(lb);
    const before = await zkCounts(t, CLASSES);
    assertViolations(await post(app['poolMembers'], MEMBER, { address: '10.10.10.10', protocolPort: 80 }), ['poolId']);
    assertViolations(await post(app['poolMembers'], MEMBER, { poolId: pool['id'], address: '10.10.10.10', weight: -1 }), ['weight']);
    assertViolations(await post(app['poolMembers'], MEMBER, { poolId: pool['id'], address: '10.10.10.10', weight: 0 }), ['weight']);
    const bad = assertViolations(await post(app['poolMembers'], MEMBER, { poolId: pool['id'], address: '10.10.10.999' }), ['address']);
    assert.equal(bad[0]?.message, 'is not a valid IP address');
    assertViolations(await post(app['poolMembers'], MEMBER, { poolId: pool['id'], address: '10.10.10.10', protocolPort: -1 }), ['protocolPort']);
    assertViolations(await post(app['poolMembers'], MEMBER, { poolId: pool['id'], address: '10.10.10.10', protocolPort: 65536 }), ['protocolPort']);
    const ghost = randomUUID();
    assertError(await post(app['poolMembers'], MEMBER, { poolId: ghost, address: '10.10.10.10' }), 404, `There is no Pool with ID ${ghost}.`);
    assert.deepEqual(await zkCounts(t, CLASSES), before);

    // api.add_pool_member().pool_id(...).address(...).protocol_port(80).admin_state_up(False).create(): POST stores true
    const m = await py.create(app['poolMembers'], MEMBER, { poolId: pool['id'], address: '10.10.10.10', protocolPort: 80, adminStateUp: false });
    assert.deepEqual(m, {
      uri: `${api}/pool_members/${m['id']}`,
      id: m['id'],
      adminStateUp: true,
      status: 'ACTIVE',
      poolId: pool['id'],
      address: '10.10.10.10',
      protocolPort: 80,
      weight: 1,
      pool: pool['uri'],
    });
    const upd = await py.update({ ...m, address: '10.10.10.11', protocolPort: 81, weight: 5 }, MEMBER);
    assert.equal(upd['address'], '10.10.10.10');
    assert.equal(upd['protocolPort'], 80);
    assert.equal(upd['weight'], 5);
    // a PUT without adminStateUp turns it off (a Java boolean's default), and still validates the address
    assert.equal((await py.update({ uri: m['uri'], poolId: pool['id'], address: '10.10.10.10' }, MEMBER))['adminStateUp'], false);
    assertViolations(await put(m['uri'], MEMBER, { ...upd, address: 'nope' }), ['address']);
    assertViolations(await put(m['uri'], MEMBER, { ...upd, poolId: null }), ['poolId']);
    assertEmpty(await del(`${api}/pool_members/${ghost}`), 204);
    await storedParses(t, 'PoolMember', m['id']);
  });

  it('members below a pool and below its load balancer; PUT moves a member to another pool', async () => {
    const lb = await newLb();
    const p1 = await newPool(lb);
    const p2 = await newPool(lb);
    // pool.add_pool_member(): no poolId in the body, the path names the pool
    const a = await py.create(p1['poolMembers'], MEMBER, { address: '10.0.1.1', protocolPort: 80, weight: 2 });
    const b = await py.create(`${lb['pools']}/${p1['id']}/pool_members`, MEMBER, { address: '10.0.1.2', protocolPort: 80 });
    assert.equal(b['poolId'], p1['id']);
    assert.deepEqual(
      (await py.list(p1['poolMembers'], MEMBERS)).map((x: Json) => x.id),
      [a['id'], b['id']],
    );
    assert.deepEqual(
      (await py.list(`${lb['pools']}/${p1['id']}/pool_members`, MEMBERS)).map((x: Json) => x.id),
      [a['id'], b['id']],
    );
    await py.update({ ...a, poolId: p2['id'] }, MEMBER);
    assert.deepEqual(
      (await py.list(p1['poolMembers'], MEMBERS)).map((x: Json) => x.id),
      [b['id']],
    );
    assert.deepEqual(
      (await py.list(p2['poolMembers'], MEMBERS)).map((x: Json) => x.id),
      [a['id']],
    );
    assertStatus(await post(`${api}/pools/${randomUUID()}/pool_members`, MEMBER, { address: '10.0.1.3' }), 404);
  });

  it('§2.8 6: status of MONITORED members comes from the status state key', async () => {
    const lb = await newLb();
    const pool = await newPool(lb);
    const ids: string[] = [];
    for (const [admin, status] of [
      [true, 'MONITORED'],
      [false, 'MONITORED'],
      [true, 'MONITORED'],
      [true, 'INACTIVE'],
    ] as const) {
      const id = randomUUID();
      ids.push(id);
      await t.node.storage.tryTransaction(0, async (tx) => {
        await tx.create('PoolMember', { id, pool_id: pool['id'], admin_state_up: admin, status, address: { version: 'V4', address: '10.1.1.1' }, weight: 1 });
      });
    }
    const key = `${zoom(t)}/state/${CLUSTER_NS}/PoolMember/${ids[2]}/status`;
    await t.node.zk.mkdirp(key.slice(0, key.lastIndexOf('/')));
    await t.node.zk.create(key, Buffer.from('ACTIVE'));
    const statuses = (await py.list(pool['poolMembers'], MEMBERS)).map((m: Json) => m.status);
    assert.deepEqual(statuses, ['NO_MONITOR', 'INACTIVE', 'ACTIVE', 'INACTIVE']);
    assert.equal((await py.get(`${api}/pool_members/${ids[0]}`, MEMBER))['status'], 'NO_MONITOR');
  });
});

describe('health monitors', () => {
  it('§2.8 5: create, required type, PUT of a missing one, idempotent DELETE; pools lose it on delete', async () => {
    // api.add_health_monitor().type('TCP').delay(5).timeout(10).max_retries(10).create()
    const hm = await py.create(app['healthMonitors'], HM, { type: 'TCP', delay: 5, timeout: 10, maxRetries: 10 });
    assert.deepEqual(hm, {
      uri: `${api}/health_monitors/${hm['id']}`,
      id: hm['id'],
      adminStateUp: true,
      type: 'TCP',
      delay: 5,
      timeout: 10,
      maxRetries: 10,
      pools: `${api}/health_monitors/${hm['id']}/pools`,
    });
    assert.ok((await py.list(app['healthMonitors'], HMS)).some((x: Json) => x.id === hm['id']));
    assertViolations(await post(app['healthMonitors'], HM, { type: null, delay: 5 }), ['type']);
    assertStatus(await post(app['healthMonitors'], HM, { type: 'HTTP' }), 400);
    const ghost = randomUUID();
    assertError(await put(`${api}/health_monitors/${ghost}`, HM, { type: 'TCP' }), 404, `There is no HealthMonitor with ID ${ghost}.`);
    const upd = await py.update({ ...hm, delay: 7 }, HM);
    assert.equal(upd['delay'], 7);
    assert.equal((await py.update({ uri: hm['uri'], type: 'TCP' }, HM))['adminStateUp'], false);
    assert.match(await storedParses(t, 'HealthMonitor', hm['id']), /status: ACTIVE\n/);

    const lb = await newLb();
    const pool = await newPool(lb, { healthMonitorId: hm['id'] });
    assert.equal(pool['healthMonitor'], hm['uri']);
    assertEmpty(await del(hm['uri']), 204);
    assertEmpty(await del(hm['uri']), 204);
    assert.equal((await py.get(pool['uri'], POOL))['healthMonitorId'], null);
  });
});
