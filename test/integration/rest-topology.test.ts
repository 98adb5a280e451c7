/**
 * A whole virtual network built, read back and torn down through HTTP only, the way an operator
 * (or the Neutron plugin) drives the API: a provider router, two tenant routers, three bridges
 * with DHCP, ten exterior ports bound to two hosts in a tunnel zone, NAT and jump rules, a port
 * group and an IP address group. Afterwards ZooKeeper must hold no object under the models path:
 * every cascade, clear and back-reference was maintained on the way down.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertCreated, assertStatus, del, get, MT, post, put, zkChildren, zoom, type Json } from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;

let t: TestNode;
let api: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

async function create(url: string, type: string, body: Record<string, unknown>): Promise<string> {
  const res = await post(url, type, body);
  assertStatus(res, 201);
  const location = res.headers.get('location');
  assert.ok(location, `POST ${url} gave no Location`);
  return location;
}

async function createId(url: string, type: string, body: Record<string, unknown>, base: string): Promise<string> {
  return assertCreated(await post(url, type, body), base);
}

async function list(url: string, accept: string): Promise<Json[]> {
  const res = await get(url, accept);
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), `GET ${url} is not a list`);
  return res.json;
}

async function link(port: string, peer: string): Promise<void> {
  assertStatus(await post(`${api}/ports/${port}/link`, MT.portLink, { peerId: peer }), 201);
}

async function expectStatus(p: Promise<{ status: number }>, status: number, what: string): Promise<void> {
  assert.equal((await p).status, status, what);
}

interface Net {
  provider: string;
  tenantRouters: string[];
  bridges: string[];
  exteriorPorts: string[];
  hosts: string[];
  tunnelZone: string;
  chains: { natIn: string; natOut: string; filter: string };
  portGroup: string;
  ipGroup: string;
  dhcpSubnets: string[];
}

describe('a realistic topology through HTTP only', () => {
  const net = {} as Net;

  it('builds it', async () => {
    // routers: one provider, two tenants, each tenant uplinked to the provider
    net.provider = await createId(`${api}/routers`, MT.router, { name: 'provider', tenantId: 'admin' }, `${api}/routers`);
    const uplink = await createId(
      `${api}/routers/${net.provider}/ports`,
      MT.port,
      { type: 'Router', portAddress: '203.0.113.1', networkAddress: '203.0.113.0', networkLength: 24 },
      `${api}/ports`,
    );
    net.tenantRouters = [];
    for (const [i, tenant] of ['tenant-a', 'tenant-b'].entries()) {
      const r = await createId(`${api}/routers`, MT.router, { name: `${tenant}-router`, tenantId: tenant }, `${api}/routers`);
      net.tenantRouters.push(r);
      const down = await createId(
        `${api}/routers/${net.provider}/ports`,
        MT.port,
        { type: 'Router', portAddress: `169.254.${i}.1`, networkAddress: `169.254.${i}.0`, networkLength: 30 },
        `${api}/ports`,
      );
      const up = await createId(
        `${api}/routers/${r}/ports`,
        MT.port,
        { type: 'Router', portAddress: `169.254.${i}.2`, networkAddress: `169.254.${i}.0`, networkLength: 30 },
        `${api}/ports`,
      );
      await link(down, up);
      assertStatus(
        await post(`${api}/routers/${r}/routes`, MT.route, {
          type: 'Normal',
          srcNetworkAddr: '0.0.0.0',
          srcNetworkLength: 0,
          dstNetworkAddr: '0.0.0.0',
          dstNetworkLength: 0,
          nextHopPort: up,
          nextHopGateway: `169.254.${i}.1`,
          weight: 100,
        }),
        201,
      );
    }
    assert.ok(uplink);

    // three bridges, each behind a tenant router and with a DHCP subnet and one static host
    net.bridges = [];
    net.dhcpSubnets = [];
    const owners = [
      { router: net.tenantRouters[0], tenant: 'tenant-a' },
      { router: net.tenantRouters[0], tenant: 'tenant-a' },
      { router: net.tenantRouters[1], tenant: 'tenant-b' },
    ];
    for (const [i, o] of owners.entries()) {
      const b = await createId(`${api}/bridges`, MT.bridge, { name: `net-${i}`, tenantId: o.tenant }, `${api}/bridges`);
      net.bridges.push(b);
      const gw = await createId(
        `${api}/routers/${o.router}/ports`,
        MT.port,
        { type: 'Router', portAddress: `10.0.${i}.1`, networkAddress: `10.0.${i}.0`, networkLength: 24 },
        `${api}/ports`,
      );
      const bp = await createId(`${api}/bridges/${b}/ports`, MT.port, { type: 'Bridge' }, `${api}/ports`);
      await link(gw, bp);
      const subnet = await create(`${api}/bridges/${b}/dhcp`, V('DhcpSubnet-v2'), {
        subnetPrefix: `10.0.${i}.0`,
        subnetLength: 24,
        defaultGateway: `10.0.${i}.1`,
        serverAddr: `10.0.${i}.2`,
        dnsServerAddrs: ['8.8.8.8'],
        opt121Routes: [{ destinationPrefix: '169.254.169.254', destinationLength: 32, gatewayAddr: `10.0.${i}.1` }],
      });
      assert.equal(subnet, `${api}/bridges/${b}/dhcp/10.0.${i}.0_24`);
      net.dhcpSubnets.push(subnet);
      await create(`${subnet}/hosts`, V('DhcpHost-v2'), { macAddr: `02:00:00:00:0${i}:10`, ipAddr: `10.0.${i}.10`, name: `vm-${i}` });
    }

    // two hosts in a GRE tunnel zone
    net.hosts = [randomUUID(), randomUUID()];
    for (const [i, h] of net.hosts.entries()) {
      await createId(`${api}/hosts`, V('Host-v3'), { id: h, name: `compute-${i}` }, `${api}/hosts`);
    }
    net.tunnelZone = await createId(`${api}/tunnel_zones`, V('TunnelZone-v1'), { name: 'underlay', type: 'gre' }, `${api}/tunnel_zones`);
    for (const [i, h] of net.hosts.entries()) {
      await create(`${api}/tunnel_zones/${net.tunnelZone}/hosts`, V('TunnelZoneHost-v1'), { hostId: h, ipAddress: `192.168.100.${i + 10}` });
    }

    // ten exterior ports (4, 3, 3 over the bridges), bound alternately to the two hosts
    net.exteriorPorts = [];
    for (let n = 0; n < 10; n++) {
      const b = net.bridges[n < 4 ? 0 : n < 7 ? 1 : 2];
      const p = await createId(`${api}/bridges/${b}/ports`, MT.port, { type: 'Bridge' }, `${api}/ports`);
      net.exteriorPorts.push(p);
      const h = net.hosts[n % 2];
      await create(`${api}/hosts/${h}/ports`, V('HostInterfacePort-v1'), { portId: p, interfaceName: `tap${n}` });
    }

    // a port group with two members and an IP address group with two addresses
    net.portGroup = await createId(`${api}/port_groups`, V('PortGroup-v1'), { name: 'web', tenantId: 'tenant-a', stateful: true }, `${api}/port_groups`);
    for (const p of net.exteriorPorts.slice(0, 2)) {
      await create(`${api}/port_groups/${net.portGroup}/ports`, V('PortGroupPort-v1'), { portId: p });
    }
    net.ipGroup = await createId(`${api}/ip_addr_groups`, V('IpAddrGroup-v1'), { name: 'admins' }, `${api}/ip_addr_groups`);
    for (const addr of ['198.51.100.7', '198.51.100.8']) {
      await create(`${api}/ip_addr_groups/${net.ipGroup}/ip_addrs`, V('IpAddrGroupAddr-v1'), { addr, version: 4 });
    }

    // chains: NAT on the provider router, a tenant filter reached by a jump
    const chain = async (name: string, tenantId: string): Promise<string> => createId(`${api}/chains`, V('Chain-v1'), { name, tenantId }, `${api}/chains`);
    net.chains = { natIn: await chain('provider-in', 'admin'), natOut: await chain('provider-out', 'admin'), filter: await chain('web-filter', 'tenant-a') };
    const rule = (c: string, body: Record<string, unknown>): Promise<string> => createId(`${api}/chains/${c}/rules`, V('Rule-v2'), body, `${api}/rules`);
    await rule(net.chains.natIn, {
      type: 'dnat',
      flowAction: 'accept',
      nwDstAddress: '203.0.113.10',
      nwDstLength: 32,
      natTargets: [{ addressFrom: '10.0.0.10', addressTo: '10.0.0.10', portFrom: 0, portTo: 0 }],
    });
    await rule(net.chains.natIn, { type: 'jump', jumpChainId: net.chains.filter, position: 1 });
    await rule(net.chains.natOut, {
      type: 'snat',
      flowAction: 'accept',
      nwSrcAddress: '10.0.0.0',
      nwSrcLength: 16,
      natTargets: [{ addressFrom: '203.0.113.10', addressTo: '203.0.113.10', portFrom: 0, portTo: 0 }],
    });
    await rule(net.chains.natOut, { type: 'rev_dnat', flowAction: 'continue' });
    await rule(net.chains.filter, { type: 'accept', portGroup: net.portGroup, ipAddrGroupSrc: net.ipGroup, tpDst: { start: 443, end: 443 }, nwProto: 6 });
    await rule(net.chains.filter, { type: 'drop', portGroup: net.portGroup, matchForwardFlow: true });

    const providerBody = (await get(`${api}/routers/${net.provider}`, MT.router)).json;
    assertStatus(
      await put(`${api}/routers/${net.provider}`, MT.router, {
        ...providerBody,
        inboundFilterId: net.chains.natIn,
        outboundFilterId: net.chains.natOut,
      }),
      204,
    );
  });

  it('reads it back through the list endpoints', async () => {
    assert.equal((await list(`${api}/routers`, MT.routers)).length, 3);
    assert.deepEqual(
      (await list(`${api}/routers?tenant_id=tenant-a`, MT.routers)).map((r) => r.id),
      [net.tenantRouters[0]],
    );
    assert.equal((await list(`${api}/bridges`, MT.bridges)).length, 3);
    assert.equal((await list(`${api}/bridges?tenant_id=tenant-a`, MT.bridges)).length, 2);
    // 1 uplink + 2×2 router links + 3×2 bridge links + 10 exterior
    const ports = await list(`${api}/ports`, MT.ports);
    assert.equal(ports.length, 21);
    assert.equal(ports.filter((p) => p.hostId !== null).length, 10);
    assert.equal(ports.filter((p) => p.peerId !== null).length, 10);
    assert.equal((await list(`${api}/bridges/${net.bridges[0]}/ports`, MT.ports)).length, 5);
    assert.equal((await list(`${api}/routers/${net.provider}/peer_ports`, MT.ports)).length, 2);
    for (const [i, subnet] of net.dhcpSubnets.entries()) {
      const subnets = await list(`${api}/bridges/${net.bridges[i]}/dhcp`, C('DhcpSubnet-v2'));
      assert.deepEqual(
        subnets.map((s) => s.uri),
        [subnet],
      );
      assert.equal(subnets[0].opt121Routes.length, 1);
      assert.deepEqual(
        (await list(`${subnet}/hosts`, C('DhcpHost-v2'))).map((h) => h.ipAddr),
        [`10.0.${i}.10`],
      );
    }
    const hosts = await list(`${api}/hosts`, C('Host-v3'));
    assert.deepEqual(hosts.map((h) => h.id).sort(), [...net.hosts].sort());
    for (const h of net.hosts) {
      assert.equal((await list(`${api}/hosts/${h}/ports`, C('HostInterfacePort-v1'))).length, 5);
    }
    assert.equal((await list(`${api}/tunnel_zones/${net.tunnelZone}/hosts`, C('TunnelZoneHost-v1'))).length, 2);
    const chains = await list(`${api}/chains`, C('Chain-v1'));
    assert.equal(chains.length, 3);
    const rulesIn = await list(`${api}/chains/${net.chains.natIn}/rules`, C('Rule-v2'));
    assert.deepEqual(
      rulesIn.map((r) => [r.type, r.position]),
      [
        ['jump', 1],
        ['dnat', 2],
      ],
    );
    assert.equal((await list(`${api}/chains/${net.chains.filter}/rules`, C('Rule-v2'))).length, 2);
    assert.deepEqual(
      (await list(`${api}/port_groups?port_id=${net.exteriorPorts[0]}`, C('PortGroup-v1'))).map((g) => g.id),
      [net.portGroup],
    );
    assert.equal((await list(`${api}/port_groups/${net.portGroup}/ports`, C('PortGroupPort-v1'))).length, 2);
    assert.deepEqual((await list(`${api}/ip_addr_groups/${net.ipGroup}/ip_addrs`, C('IpAddrGroupAddr-v1'))).map((a) => a.addr).sort(), [
      '198.51.100.7',
      '198.51.100.8',
    ]);
    const provider = (await get(`${api}/routers/${net.provider}`, MT.router)).json;
    assert.equal(provider.inboundFilterId, net.chains.natIn);
    assert.equal(provider.outboundFilterId, net.chains.natOut);
  });

  it('tears it down in dependency order and leaves no object in ZooKeeper', async () => {
    // leaves first: bindings, memberships, addresses, DHCP hosts
    for (const [n, p] of net.exteriorPorts.entries()) {
      await expectStatus(del(`${api}/hosts/${net.hosts[n % 2]}/ports/${p}`), 204, `unbind ${p}`);
    }
    for (const h of net.hosts) await expectStatus(del(`${api}/tunnel_zones/${net.tunnelZone}/hosts/${h}`), 204, 'tz member');
    for (const p of net.exteriorPorts.slice(0, 2)) await expectStatus(del(`${api}/port_groups/${net.portGroup}/ports/${p}`), 204, 'pg member');
    await expectStatus(del(`${api}/ip_addr_groups/${net.ipGroup}/versions/4/ip_addrs/198.51.100.7`), 204, 'ip addr');
    for (const [i, subnet] of net.dhcpSubnets.entries()) await expectStatus(del(`${subnet}/hosts/02:00:00:00:0${i}:10`), 204, 'dhcp host');
    // then what referenced them: chains (rules go with them, filters are cleared), groups, zone, hosts
    for (const c of [net.chains.natIn, net.chains.natOut, net.chains.filter]) await expectStatus(del(`${api}/chains/${c}`), 204, 'chain');
    const provider = (await get(`${api}/routers/${net.provider}`, MT.router)).json;
    assert.equal(provider.inboundFilterId, null);
    assert.equal(provider.outboundFilterId, null);
    await expectStatus(del(`${api}/port_groups/${net.portGroup}`), 204, 'port group');
    await expectStatus(del(`${api}/ip_addr_groups/${net.ipGroup}`), 204, 'ip group');
    await expectStatus(del(`${api}/tunnel_zones/${net.tunnelZone}`), 204, 'tunnel zone');
    for (const h of net.hosts) await expectStatus(del(`${api}/hosts/${h}`), 200, 'host');
    // devices last: bridges take their ports and DHCP with them, routers their ports and routes
    for (const [i, subnet] of net.dhcpSubnets.entries()) {
      if (i === 0) await expectStatus(del(subnet), 204, 'dhcp subnet');
    }
    for (const b of net.bridges) await expectStatus(del(`${api}/bridges/${b}`), 204, 'bridge');
    for (const r of [...net.tenantRouters, net.provider]) await expectStatus(del(`${api}/routers/${r}`), 204, 'router');

    for (const [url, type] of [
      [`${api}/routers`, MT.routers],
      [`${api}/bridges`, MT.bridges],
      [`${api}/ports`, MT.ports],
      [`${api}/chains`, C('Chain-v1')],
      [`${api}/hosts`, C('Host-v3')],
      [`${api}/tunnel_zones`, C('TunnelZone-v1')],
      [`${api}/port_groups`, C('PortGroup-v1')],
      [`${api}/ip_addr_groups`, C('IpAddrGroup-v1')],
    ] as const) {
      assert.deepEqual(await list(url, type), [], `${url} after the teardown`);
    }
    const models = `${zoom(t)}/models`;
    const left: string[] = [];
    for (const clazz of await zkChildren(t, models)) {
      for (const id of await zkChildren(t, `${models}/${clazz}`)) left.push(`${clazz}/${id}`);
    }
    assert.deepEqual(left, [], 'objects left under the models path');
  });
});
