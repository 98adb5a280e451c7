/**
 * The L3 translators (services/neutron/translators/router.ts, router-interface.ts,
 * floating-ip.ts) against the cases of the original's RouterTranslatorIT,
 * RouterInterfaceTranslatorIT, FloatingIpTranslatorTest and FloatingIpTranslatorIT, over an
 * in-memory NSDB: chains, port groups, the gateway and interface ports, routes, SNAT and
 * floating-IP NAT rules, ARP entries, and the refusals with nothing written.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { FloatingIp, NeutronPort, NeutronRouter, Rule } from '../../lib/models/generated.js';
import { ReferenceConflictError } from '../../lib/nsdb/errors.js';
import * as ids from '../../services/neutron/ids.js';
import { TranslationError } from '../../services/neutron/translation.js';
import {
  floatingIpTranslator,
  networkTranslator,
  portTranslator,
  routerInterfaceTranslator,
  routerTranslator,
  subnetTranslator,
} from '../../services/neutron/translators/index.js';
import { MemoryNsdb } from '../support/memory-nsdb.js';

const v4 = (address: string) => ({ version: 'V4' as const, address });
const cidr = (address: string, prefix_length: number) => ({ version: 'V4' as const, address, prefix_length });
const GW_MAC = 'fa:16:3e:00:00:01';

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

/** A refusal: its class and message, and ZooKeeper untouched. */
async function refused(db: MemoryNsdb, p: Promise<unknown>, failure: string, message: RegExp): Promise<void> {
  const before = db.zk.zxid;
  const e = await rejects(p);
  assert.ok(e instanceof TranslationError, String(e));
  assert.equal(e.failure, failure);
  assert.match(e.message, message);
  assert.equal(db.zk.zxid, before, 'nothing written');
}

/**
 * The RouterTranslatorIT topology: external network E with 10.0.1.0/24 (gateway 10.0.1.2), the
 * Neutron gateway port 10.0.1.3; tenant network T with 192.168.0.0/24 (gateway .1).
 */
async function setup() {
  const db = new MemoryNsdb();
  const ext = randomUUID();
  const extSub = randomUUID();
  const net = randomUUID();
  const sub = randomUUID();
  const gwPort = randomUUID();
  await db.create(networkTranslator, { id: ext, tenant_id: 'admin', name: 'ext', admin_state_up: true, external: true });
  await db.create(subnetTranslator, { id: extSub, network_id: ext, cidr: cidr('10.0.1.0', 24), gateway_ip: v4('10.0.1.2'), ip_version: 4, enable_dhcp: false });
  await db.create(networkTranslator, { id: net, tenant_id: 't', name: 'private', admin_state_up: true });
  await db.create(subnetTranslator, {
    id: sub,
    network_id: net,
    cidr: cidr('192.168.0.0', 24),
    gateway_ip: v4('192.168.0.1'),
    ip_version: 4,
    enable_dhcp: true,
  });
  await db.create(portTranslator, {
    id: gwPort,
    network_id: ext,
    mac_address: GW_MAC,
    admin_state_up: true,
    device_owner: 'ROUTER_GATEWAY',
    fixed_ips: [{ ip_address: v4('10.0.1.3'), subnet_id: extSub }],
  });
  const router = (extra: Partial<NeutronRouter> = {}): NeutronRouter => ({
    id: extra.id ?? randomUUID(),
    tenant_id: 't',
    name: 'r',
    admin_state_up: true,
    ...extra,
  });
  const withGateway = (extra: Partial<NeutronRouter> = {}): NeutronRouter =>
    router({ gw_port_id: gwPort, external_gateway_info: { network_id: ext, enable_snat: true }, ...extra });
  let macs = 0x10;
  const port = (network: string, ip: string | undefined, subnet: string, extra: Partial<NeutronPort> = {}): NeutronPort => ({
    id: randomUUID(),
    network_id: network,
    mac_address: `fa:16:3e:00:01:${(macs++).toString(16).padStart(2, '0')}`,
    admin_state_up: true,
    ...(ip ? { fixed_ips: [{ ip_address: v4(ip), subnet_id: subnet }] } : {}),
    ...extra,
  });
  return { db, ext, extSub, net, sub, gwPort, router, withGateway, port };
}

const chainNames = async (db: MemoryNsdb, chainIds: string[]) => Promise.all(chainIds.map(async (id) => (await db.must('Chain', id)).name));

describe('routers', () => {
  test('a new router: its chains, the post-routing jumps, the skip-SNAT rule, the two port groups (RouterTranslatorIT CRUD)', async () => {
    const { db, router } = await setup();
    const r = router({ name: 'router1' });
    const id = r.id ?? '';
    await db.create(routerTranslator, r);
    const m = await db.must('Router', id);
    assert.equal(m.name, 'router1');
    assert.equal(m.tenant_id, 't');
    assert.equal(m.admin_state_up, true);
    assert.equal(m.inbound_filter_id, ids.inChainId(id));
    assert.equal(m.outbound_filter_id, ids.outChainId(id));
    assert.equal(m.forward_chain_id, ids.fwdChainId(id));
    assert.deepEqual(await chainNames(db, [ids.inChainId(id), ids.outChainId(id), ids.fwdChainId(id)]), [
      `OS_PRE_ROUTING_${id}`,
      `OS_POST_ROUTING_${id}`,
      `OS_FORWARD_${id}`,
    ]);
    assert.deepEqual(await db.rules(ids.inChainId(id)), []);
    const post = await db.rules(ids.outChainId(id));
    assert.deepEqual(
      post.map((x) => x.jump_rule_data?.jump_chain_id),
      [ids.floatNat64ChainId(id), ids.skipSnatChainId(id), ids.floatSnatExactChainId(id), ids.floatSnatChainId(id)],
    );
    assert.ok(post.every((x) => x.chain_id === ids.outChainId(id) && x.type === 'JUMP_RULE'));
    assert.deepEqual(await chainNames(db, [ids.floatNat64ChainId(id), ids.skipSnatChainId(id), ids.floatSnatExactChainId(id), ids.floatSnatChainId(id)]), [
      `OS_FLOAT_NAT64_${id}`,
      `OS_SKIP_SNAT_${id}`,
      `OS_FLOAT_SNAT_EXACT_${id}`,
      `OS_FLOAT_SNAT_${id}`,
    ]);
    const skip = await db.rules(ids.skipSnatChainId(id));
    assert.equal(skip.length, 1);
    assert.deepEqual(skip[0], {
      id: ids.skipSnatAcceptRuleId(id),
      type: 'LITERAL_RULE',
      chain_id: ids.skipSnatChainId(id),
      action: 'ACCEPT',
      condition: { conjunction_inv: true, fragment_policy: 'ANY', match_nw_dst_rewritten: true },
    });
    const pg = await db.must('PortGroup', ids.portGroupId(id));
    assert.deepEqual(pg, { id: ids.portGroupId(id), name: `OS_PORT_GROUP_${ids.portGroupId(id)}`, tenant_id: 't', stateful: true });
    const ripg = await db.must('PortGroup', ids.routerInterfacePortGroupId(id));
    assert.deepEqual(ripg, { id: ids.routerInterfacePortGroupId(id), name: `OS_PORT_GROUP_ROUTER_INTF_${id}`, tenant_id: 't', stateful: false });
    assert.ok(await db.get('NeutronRouter', id));

    // preserve router properties on update (RouterTranslatorIT)
    await db.update(routerTranslator, { ...r, name: 'renamed', admin_state_up: false });
    const renamed = await db.must('Router', id);
    assert.equal(renamed.name, 'renamed');
    assert.equal(renamed.admin_state_up, false);
    assert.equal(renamed.inbound_filter_id, ids.inChainId(id));
    assert.equal((await db.rules(ids.outChainId(id))).length, 4);

    await db.delete(routerTranslator, id);
    assert.equal(await db.get('Router', id), null);
    for (const c of [
      ids.inChainId,
      ids.outChainId,
      ids.fwdChainId,
      ids.floatNat64ChainId,
      ids.skipSnatChainId,
      ids.floatSnatExactChainId,
      ids.floatSnatChainId,
    ]) {
      assert.equal(await db.get('Chain', c(id)), null);
    }
    assert.equal(await db.get('PortGroup', ids.portGroupId(id)), null);
    assert.deepEqual(await db.all('Rule'), []);
    assert.equal(await db.get('NeutronRouter', id), null);
  });

  test('with a gateway and SNAT: the peered router port, its three routes, seven SNAT rules (RouterTranslatorIT IPv4 gateway)', async () => {
    const { db, gwPort, withGateway, ext, extSub } = await setup();
    const r = withGateway();
    const id = r.id ?? '';
    await db.create(routerTranslator, r);
    const rp = ids.tenantGwPortId(gwPort);
    const m = await db.must('Router', id);
    assert.deepEqual(m.port_ids, [rp]);
    const port = await db.must('Port', rp);
    assert.equal(port.router_id, id);
    assert.equal(port.peer_id, gwPort);
    assert.equal(port.port_mac, GW_MAC);
    assert.equal(port.admin_state_up, true);
    assert.deepEqual(port.port_address, v4('10.0.1.3'));
    assert.deepEqual(port.port_subnet, [cidr('10.0.1.3', 24)]);
    assert.equal((await db.must('Port', gwPort)).peer_id, rp, 'peered both ways');
    assert.equal((await db.must('NeutronPort', gwPort)).gw_router_id, id);

    const routes = await db.all('Route');
    const byId = new Map(routes.map((x) => [x.id, x]));
    assert.equal(routes.length, 3);
    assert.deepEqual(byId.get(ids.gatewayRouteId(rp, '10.0.1.3')), {
      id: ids.gatewayRouteId(rp, '10.0.1.3'),
      src_subnet: cidr('0.0.0.0', 0),
      dst_subnet: cidr('0.0.0.0', 0),
      next_hop: 'PORT',
      next_hop_port_id: rp,
      weight: 100,
      next_hop_gateway: v4('10.0.1.2'),
      gateway_dhcp_id: extSub,
    });
    assert.deepEqual(byId.get(ids.localRouteId(rp, '10.0.1.3'))?.dst_subnet, cidr('10.0.1.3', 32));
    assert.equal(byId.get(ids.localRouteId(rp, '10.0.1.3'))?.next_hop, 'LOCAL');
    assert.deepEqual(byId.get(ids.routerInterfaceRouteId(rp, '10.0.1.3'))?.dst_subnet, cidr('10.0.1.0', 24));
    assert.deepEqual((await db.must('Dhcp', extSub)).gateway_route_ids, [ids.gatewayRouteId(rp, '10.0.1.3')]);

    const inbound = await db.rules(ids.inChainId(id));
    assert.deepEqual(
      inbound.map((x) => x.id),
      [ids.inReverseSnatRuleId(id), ids.inDropWrongPortTrafficRuleId(id)],
    );
    assert.deepEqual(inbound[0]?.nat_rule_data, { dnat: false, reverse: true });
    assert.deepEqual(inbound[1]?.condition, { nw_proto: 1, nw_proto_inv: true, nw_dst_ip: cidr('10.0.1.3', 32) });
    const outbound = await db.rules(ids.outChainId(id));
    assert.equal(outbound.length, 7);
    assert.deepEqual(
      outbound.slice(4).map((x) => x.id),
      [ids.outSnatRuleId(id), ids.dstRewrittenSnatRuleId(id), ids.outDropUnmatchedFragmentsRuleId(id)],
    );
    const snat = outbound[4];
    assert.deepEqual(snat.condition, { out_port_ids: [rp], nw_src_ip: cidr('10.0.1.3', 32), nw_src_inv: true });
    assert.deepEqual(snat.nat_rule_data, { nat_targets: [{ nw_start: v4('10.0.1.3'), nw_end: v4('10.0.1.3'), tp_start: 1024, tp_end: 65535 }], dnat: false });
    assert.equal(outbound[6]?.condition?.fragment_policy, 'ANY');
    assert.deepEqual(
      (await db.rules(ids.skipSnatChainId(id))).map((x) => x.id),
      [ids.skipSnatOutGwPortRuleId(id), ids.skipSnatAcceptRuleId(id), ids.skipSnatInGwPortRuleId(id)],
    );
    assert.deepEqual(db.entries('Network', ext, 'ip4_mac_table'), [`10.0.1.3,${GW_MAC}`]);

    // SNAT off, then on again
    await db.update(routerTranslator, { ...r, external_gateway_info: { network_id: ext, enable_snat: false } });
    assert.deepEqual(await db.rules(ids.inChainId(id)), []);
    assert.equal((await db.rules(ids.outChainId(id))).length, 4);
    assert.equal((await db.rules(ids.skipSnatChainId(id))).length, 1);
    await db.update(routerTranslator, r);
    assert.equal((await db.rules(ids.outChainId(id))).length, 7);

    // the gateway cleared: router port, routes and rules go; Neutron then deletes the port
    await db.update(routerTranslator, { ...r, gw_port_id: undefined, external_gateway_info: undefined });
    assert.equal(await db.get('Port', rp), null);
    assert.deepEqual(await db.all('Route'), []);
    assert.deepEqual(await db.rules(ids.inChainId(id)), []);
    assert.equal((await db.must('NeutronPort', gwPort)).gw_router_id, undefined);
    await db.delete(portTranslator, gwPort);
    assert.deepEqual(db.entries('Network', ext, 'ip4_mac_table'), []);
    // a new gateway port, set again
    const gw2 = randomUUID();
    await db.create(portTranslator, {
      id: gw2,
      network_id: ext,
      mac_address: GW_MAC,
      admin_state_up: true,
      device_owner: 'ROUTER_GATEWAY',
      fixed_ips: [{ ip_address: v4('10.0.1.4'), subnet_id: extSub }],
    });
    await db.update(routerTranslator, { ...r, gw_port_id: gw2 });
    assert.deepEqual((await db.must('Port', ids.tenantGwPortId(gw2))).port_address, v4('10.0.1.4'));
    assert.equal((await db.rules(ids.inChainId(id))).length, 2);
    // Neutron deletes the gateway port first when the router goes: its deletion takes the router port and the rules
    await db.delete(portTranslator, gw2);
    assert.equal(await db.get('Port', ids.tenantGwPortId(gw2)), null);
    assert.deepEqual(await db.rules(ids.inChainId(id)), []);
    await db.delete(routerTranslator, id);
    assert.deepEqual(await db.all('Rule'), []);
    assert.deepEqual(await db.all('Route'), []);
  });

  test('a gateway with addresses on two subnets: both on the port, routes for each, one set of SNAT rules (multiple IP gateway)', async () => {
    const { db, router, ext, extSub } = await setup();
    const sub2 = randomUUID();
    await db.create(subnetTranslator, { id: sub2, network_id: ext, cidr: cidr('10.0.2.0', 24), gateway_ip: v4('10.0.2.1'), ip_version: 4 });
    const gw = randomUUID();
    await db.create(portTranslator, {
      id: gw,
      network_id: ext,
      mac_address: 'fa:16:3e:00:00:09',
      admin_state_up: true,
      device_owner: 'ROUTER_GATEWAY',
      fixed_ips: [
        { ip_address: v4('10.0.1.5'), subnet_id: extSub },
        { ip_address: v4('10.0.2.5'), subnet_id: sub2 },
      ],
    });
    const r = router({ gw_port_id: gw, external_gateway_info: { network_id: ext, enable_snat: true } });
    await db.create(routerTranslator, r);
    const rp = ids.tenantGwPortId(gw);
    const port = await db.must('Port', rp);
    assert.deepEqual(port.port_address, v4('10.0.1.5'));
    assert.deepEqual(port.port_subnet, [cidr('10.0.1.5', 24), cidr('10.0.2.5', 24)]);
    assert.equal((await db.all('Route')).length, 6);
    assert.deepEqual((await db.must('Route', ids.gatewayRouteId(rp, '10.0.2.5'))).next_hop_gateway, v4('10.0.2.1'));
    const snat = await db.must('Rule', ids.outSnatRuleId(r.id ?? ''));
    assert.deepEqual(snat.nat_rule_data?.nat_targets?.[0]?.nw_start, v4('10.0.1.5'), 'the first address');
    assert.equal((await db.rules(ids.outChainId(r.id ?? ''))).length, 7);
    await db.update(routerTranslator, { ...r, gw_port_id: undefined, external_gateway_info: undefined });
    assert.deepEqual(await db.all('Route'), []);
    assert.deepEqual(await db.rules(ids.inChainId(r.id ?? '')), []);
  });

  test('a gateway without SNAT has its port and routes, no SNAT rules', async () => {
    const { db, withGateway, ext } = await setup();
    const r = withGateway({ external_gateway_info: { network_id: ext, enable_snat: false } });
    await db.create(routerTranslator, r);
    assert.equal((await db.all('Route')).length, 3);
    assert.deepEqual(await db.rules(ids.inChainId(r.id ?? '')), []);
  });

  test('a gateway port that is not there: 404, nothing written', async () => {
    const { db, router } = await setup();
    const before = db.zk.zxid;
    const e = await rejects(db.create(routerTranslator, router({ gw_port_id: randomUUID() })));
    assert.match(String(e), /There is no NeutronPort with ID/);
    assert.equal(db.zk.zxid, before);
  });

  test('extra routes: added through the port whose subnet holds the next hop, removed on update; no such port → 400 (RouterTranslatorIT extra routes)', async () => {
    const { db, withGateway } = await setup();
    const r = withGateway();
    const id = r.id ?? '';
    await db.create(routerTranslator, r);
    const route = { destination: cidr('10.10.0.0', 16), nexthop: v4('10.0.1.20') };
    await db.update(routerTranslator, { ...r, routes: [route] });
    const rid = ids.extraRouteId(id, { address: '10.10.0.0', prefix: 16 }, '10.0.1.20');
    assert.deepEqual(await db.must('Route', rid), {
      id: rid,
      src_subnet: cidr('0.0.0.0', 0),
      dst_subnet: cidr('10.10.0.0', 16),
      next_hop: 'PORT',
      next_hop_port_id: ids.tenantGwPortId(r.gw_port_id ?? ''),
      weight: 100,
      next_hop_gateway: v4('10.0.1.20'),
    });
    assert.deepEqual((await db.must('NeutronRouter', id)).routes, [route]);
    await refused(
      db,
      db.update(routerTranslator, { ...r, routes: [route, { destination: cidr('10.20.0.0', 16), nexthop: v4('172.16.0.1') }] }),
      'invalid',
      /^No valid port was found to add route: destination 10.20.0.0\/16 nexthop 172.16.0.1$/,
    );
    // the port's own address is no next hop
    await refused(
      db,
      db.update(routerTranslator, { ...r, routes: [{ destination: cidr('10.30.0.0', 16), nexthop: v4('10.0.1.3') }] }),
      'invalid',
      /No valid port/,
    );
    await db.update(routerTranslator, { ...r, routes: [] });
    assert.equal(await db.get('Route', rid), null);
  });
});

describe('router interfaces', () => {
  async function withInterface(opts: { dhcpPort?: boolean } = {}) {
    const s = await setup();
    const { db, router, port, net, sub } = s;
    const r = router();
    const routerId = r.id ?? '';
    await db.create(routerTranslator, r);
    let dhcpPort: NeutronPort | undefined;
    if (opts.dhcpPort) {
      dhcpPort = port(net, '192.168.0.2', sub, { device_owner: 'DHCP' });
      await db.create(portTranslator, dhcpPort);
    }
    const rif = port(net, '192.168.0.1', sub, { device_owner: 'ROUTER_INTERFACE', device_id: routerId });
    await db.create(portTranslator, rif);
    const rp = ids.routerInterfacePortPeerId(rif.id ?? '');
    return { ...s, r, routerId, rif, rp, dhcpPort };
  }

  test('by port on a tenant network: the peered router port, its routes, the same-subnet SNAT rules, the DHCP gateway port (RouterInterfaceTranslatorIT)', async () => {
    const { db, routerId, rif, rp, sub } = await withInterface();
    await db.create(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_id: sub, subnet_ids: [sub] });
    const port = await db.must('Port', rp);
    assert.equal(port.router_id, routerId);
    assert.equal(port.peer_id, rif.id);
    assert.equal(port.port_mac, rif.mac_address);
    assert.deepEqual(port.port_address, v4('192.168.0.1'));
    assert.deepEqual(port.port_subnet, [cidr('192.168.0.1', 24)]);
    assert.equal(port.dhcp_id, sub);
    assert.deepEqual(port.port_group_ids, [ids.routerInterfacePortGroupId(routerId)]);
    assert.equal((await db.must('Port', rif.id ?? '')).peer_id, rp);
    assert.equal((await db.must('Dhcp', sub)).router_if_port_id, rp);
    assert.deepEqual((await db.must('PortGroup', ids.routerInterfacePortGroupId(routerId))).port_ids, [rp]);
    const routes = await db.all('Route');
    assert.deepEqual(
      new Set(routes.map((x) => x.id)),
      new Set([ids.routerInterfaceRouteId(rp, '192.168.0.1'), ids.localRouteId(rp, '192.168.0.1')]),
      'no metadata route without a DHCP port',
    );
    assert.deepEqual((await db.must('Route', ids.routerInterfaceRouteId(rp, '192.168.0.1'))).dst_subnet, cidr('192.168.0.1', 24));
    const out = await db.rules(ids.outChainId(routerId));
    const fwd = out[out.length - 1];
    assert.equal(fwd.id, ids.sameSubnetSnatRuleId(ids.outChainId(routerId), rp));
    assert.deepEqual(fwd.condition, {
      match_forward_flow: true,
      in_port_ids: [rp],
      out_port_ids: [rp],
      nw_dst_ip: cidr('169.254.169.254', 32),
      nw_dst_inv: true,
    });
    assert.deepEqual(fwd.nat_rule_data?.nat_targets, [{ nw_start: v4('192.168.0.1'), nw_end: v4('192.168.0.1'), tp_start: 1024, tp_end: 65535 }]);
    const rev = await db.rules(ids.inChainId(routerId));
    assert.deepEqual(
      rev.map((x) => x.id),
      [ids.sameSubnetSnatRuleId(ids.inChainId(routerId), rp)],
    );
    assert.deepEqual(rev[0]?.condition, { match_return_flow: true, in_port_ids: [rp], nw_dst_ip: cidr('192.168.0.1', 32) });
    assert.equal(await db.get('NeutronRouterInterface', routerId), null, 'the interface is not stored');

    // the same interface again: the bridge port already has its peer (409, as the original's binding)
    const before = db.zk.zxid;
    const e = await rejects(db.create(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub] }));
    assert.ok(e instanceof ReferenceConflictError, String(e));
    assert.match(e.message, new RegExp(`the Port with ID ${rif.id ?? ''} already references the Port with ID ${rp} via the field peer_id`));
    assert.equal(db.zk.zxid, before);

    // Neutron deletes the port, then removes the interface: the second is a no-op
    await db.delete(portTranslator, rif.id ?? '');
    assert.equal(await db.get('Port', rp), null);
    assert.deepEqual(await db.all('Route'), []);
    assert.deepEqual(await db.rules(ids.inChainId(routerId)), []);
    assert.equal((await db.rules(ids.outChainId(routerId))).length, 4);
    assert.equal((await db.must('Dhcp', sub)).router_if_port_id, undefined);
    assert.deepEqual(await db.update(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub] }), []);
  });

  test('the metadata route through the interface when the subnet has a DHCP port; a DHCP port created later adds it too', async () => {
    const { db, routerId, rif, rp, sub, dhcpPort } = await withInterface({ dhcpPort: true });
    await db.create(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub] });
    const md = await db.must('Route', ids.metadataServiceRouteId(rp, '192.168.0.1'));
    assert.deepEqual(md, {
      id: ids.metadataServiceRouteId(rp, '192.168.0.1'),
      src_subnet: cidr('192.168.0.1', 24),
      dst_subnet: cidr('169.254.169.254', 32),
      next_hop: 'PORT',
      next_hop_port_id: rp,
      weight: 100,
      next_hop_gateway: v4('192.168.0.2'),
    });
    assert.ok(dhcpPort);
  });

  test('an address that is not the gateway: no DHCP gateway port, no metadata route', async () => {
    const { db, router, port, net, sub } = await setup();
    const r = router();
    await db.create(routerTranslator, r);
    const rif = port(net, '192.168.0.9', sub, { device_owner: 'ROUTER_INTERFACE' });
    await db.create(portTranslator, rif);
    await db.create(routerInterfaceTranslator, { id: r.id, port_id: rif.id, subnet_ids: [sub] });
    const rp = await db.must('Port', ids.routerInterfacePortPeerId(rif.id ?? ''));
    assert.equal(rp.dhcp_id, undefined);
    assert.deepEqual(rp.port_subnet, [cidr('192.168.0.9', 24)]);
  });

  test('by subnet with a port without fixed IPs: the subnet gateway; a subnet without gateway → 400', async () => {
    const { db, router, port, net, sub } = await setup();
    const r = router();
    await db.create(routerTranslator, r);
    const bare = port(net, undefined, sub, { device_owner: 'ROUTER_INTERFACE' });
    await db.create(portTranslator, bare);
    await db.create(routerInterfaceTranslator, { id: r.id, port_id: bare.id, subnet_ids: [sub] });
    assert.deepEqual((await db.must('Port', ids.routerInterfacePortPeerId(bare.id ?? ''))).port_address, v4('192.168.0.1'));

    const n2 = randomUUID();
    const s2 = randomUUID();
    await db.create(networkTranslator, { id: n2, tenant_id: 't', admin_state_up: true });
    await db.create(subnetTranslator, { id: s2, network_id: n2, cidr: cidr('192.168.5.0', 24), ip_version: 4 });
    const bare2 = port(n2, undefined, s2, { device_owner: 'ROUTER_INTERFACE' });
    await db.create(portTranslator, bare2);
    await refused(
      db,
      db.create(routerInterfaceTranslator, { id: r.id, port_id: bare2.id, subnet_ids: [s2] }),
      'invalid',
      new RegExp(
        `^Cannot create router interface because port ${ids.routerInterfacePortPeerId(bare2.id ?? '')} has no fixed IPs and subnet ${s2} has no gateway IP$`,
      ),
    );
  });

  test('a port with two IPv4 subnets → 400 (duplicate same-subnet SNAT rule), nothing written', async () => {
    const { db, router, port, net, sub } = await setup();
    const r = router();
    await db.create(routerTranslator, r);
    const s2 = randomUUID();
    await db.create(subnetTranslator, { id: s2, network_id: net, cidr: cidr('192.168.1.0', 24), gateway_ip: v4('192.168.1.1'), ip_version: 4 });
    const rif = port(net, '192.168.0.1', sub, { device_owner: 'ROUTER_INTERFACE' });
    rif.fixed_ips = [...(rif.fixed_ips ?? []), { ip_address: v4('192.168.1.1'), subnet_id: s2 }];
    await db.create(portTranslator, rif);
    await refused(
      db,
      db.create(routerInterfaceTranslator, { id: r.id, port_id: rif.id, subnet_ids: [sub, s2] }),
      'invalid',
      new RegExp(`^Cannot create router interface for router ${r.id ?? ''} to multiple IPv4 subnets \\(duplicate forward SNAT rule`),
    );
  });

  test('a VM port becomes an interface: owner and device changed, chains, group membership and DHCP host gone (convert VIF to RIF)', async () => {
    const { db, router, port, net, sub } = await setup();
    const r = router();
    await db.create(routerTranslator, r);
    const vm = port(net, '192.168.0.1', sub);
    await db.create(portTranslator, vm);
    assert.equal((await db.must('Dhcp', sub)).hosts?.length, 1);
    await db.create(routerInterfaceTranslator, { id: r.id, port_id: vm.id, subnet_ids: [sub] });
    const np = await db.must('NeutronPort', vm.id ?? '');
    assert.equal(np.device_owner, 'ROUTER_INTERFACE');
    assert.equal(np.device_id, r.id);
    assert.equal(await db.get('Chain', ids.inChainId(vm.id ?? '')), null);
    const bridgePort = await db.must('Port', vm.id ?? '');
    assert.equal(bridgePort.inbound_filter_id, undefined);
    assert.equal(bridgePort.peer_id, ids.routerInterfacePortPeerId(vm.id ?? ''));
    assert.equal((await db.must('Dhcp', sub)).hosts, undefined);
  });

  test('remove_router_interface of one subnet of a port that stays: that address, its routes and rules go (IPv4 remove)', async () => {
    const { db, router, port, net, sub } = await setup();
    const r = router();
    const routerId = r.id ?? '';
    await db.create(routerTranslator, r);
    // a dual-stack interface: an IPv4 and an IPv6 subnet of one network
    const s2 = randomUUID();
    await db.create(subnetTranslator, {
      id: s2,
      network_id: net,
      cidr: { version: 'V6', address: 'fd00:0:0:0:0:0:0:0', prefix_length: 64 },
      gateway_ip: { version: 'V6', address: 'fd00:0:0:0:0:0:0:1' },
      ip_version: 6,
    });
    const rif = port(net, '192.168.0.1', sub, { device_owner: 'ROUTER_INTERFACE' });
    rif.fixed_ips = [...(rif.fixed_ips ?? []), { ip_address: { version: 'V6', address: 'fd00:0:0:0:0:0:0:1' }, subnet_id: s2 }];
    await db.create(portTranslator, rif);
    const rp = ids.routerInterfacePortPeerId(rif.id ?? '');
    await db.create(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub, s2] });
    assert.equal((await db.must('Port', rp)).port_subnet?.length, 2);
    assert.ok(await db.get('Route', ids.localRouteId(rp, 'fd00:0:0:0:0:0:0:1')));
    await db.update(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub] });
    const rport = await db.must('Port', rp);
    assert.deepEqual(rport.port_subnet, [{ version: 'V6', address: 'fd00:0:0:0:0:0:0:1', prefix_length: 64 }]);
    assert.equal(rport.dhcp_id, s2, 'the remaining gateway address names its subnet');
    assert.equal(await db.get('Route', ids.routerInterfaceRouteId(rp, '192.168.0.1')), null);
    assert.equal(await db.get('Route', ids.localRouteId(rp, '192.168.0.1')), null);
    assert.deepEqual(await db.rules(ids.inChainId(routerId)), []);
    assert.ok(await db.get('Route', ids.localRouteId(rp, 'fd00:0:0:0:0:0:0:1')), 'the other subnet stays');
  });

  test('a port update that changes the interface address moves the router port, its routes and SNAT rules (decision 0021)', async () => {
    const { db, routerId, rif, rp, sub } = await withInterface();
    await db.create(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub] });
    await db.update(portTranslator, { ...rif, fixed_ips: [{ ip_address: v4('192.168.0.254'), subnet_id: sub }] });
    const port = await db.must('Port', rp);
    assert.deepEqual(port.port_address, v4('192.168.0.254'));
    assert.deepEqual(port.port_subnet, [cidr('192.168.0.254', 24)]);
    assert.deepEqual(
      new Set((await db.all('Route')).map((x) => x.id)),
      new Set([ids.routerInterfaceRouteId(rp, '192.168.0.254'), ids.localRouteId(rp, '192.168.0.254')]),
    );
    assert.deepEqual(
      (await db.must('Rule', ids.sameSubnetSnatRuleId(ids.outChainId(routerId), rp))).nat_rule_data?.nat_targets?.[0]?.nw_start,
      v4('192.168.0.254'),
    );
    assert.deepEqual((await db.must('Rule', ids.sameSubnetSnatRuleId(ids.inChainId(routerId), rp))).condition?.nw_dst_ip, cidr('192.168.0.254', 32));
  });

  test('an interface on an uplink network: bound to the host interface, in the edge port group, a tunnel key, no peer (edge routers)', async () => {
    const { db, router, port } = await setup();
    const r = router();
    const routerId = r.id ?? '';
    await db.create(routerTranslator, r);
    const host = randomUUID();
    await db.put('Host', { id: host, name: 'edge-host' });
    const uplink = randomUUID();
    const us = randomUUID();
    await db.create(networkTranslator, { id: uplink, tenant_id: 'admin', admin_state_up: true, network_type: 'UPLINK' });
    await db.create(subnetTranslator, { id: us, network_id: uplink, cidr: cidr('172.16.0.0', 30), gateway_ip: v4('172.16.0.1'), ip_version: 4 });
    const up = port(uplink, '172.16.0.2', us, { device_owner: 'ROUTER_INTERFACE', host_id: 'edge-host', profile: { interface_name: 'eth1' } });
    await db.create(portTranslator, up);
    assert.equal(await db.get('Port', up.id ?? ''), null, 'no bridge port on an uplink network');
    await db.create(routerInterfaceTranslator, { id: routerId, port_id: up.id, subnet_ids: [us] });
    const rp = await db.must('Port', ids.routerInterfacePortPeerId(up.id ?? ''));
    assert.equal(rp.peer_id, undefined);
    assert.equal(rp.host_id, host);
    assert.equal(rp.interface_name, 'eth1');
    assert.deepEqual(rp.port_group_ids, [ids.portGroupId(routerId)]);
    assert.equal(typeof rp.tunnel_key, 'bigint');
    assert.equal(rp.dhcp_id, undefined);
    assert.deepEqual(await db.rules(ids.inChainId(routerId)), [], 'no same-subnet SNAT on an uplink');
    assert.equal((await db.all('Route')).length, 2);
    await db.delete(portTranslator, up.id ?? '');
    assert.equal(await db.get('Port', ids.routerInterfacePortPeerId(up.id ?? '')), null);
  });
});

describe('floating IPs', () => {
  async function cloud() {
    const s = await setup();
    const { db, withGateway, port, net, sub } = s;
    const r = withGateway();
    const routerId = r.id ?? '';
    await db.create(routerTranslator, r);
    const rif = port(net, '192.168.0.1', sub, { device_owner: 'ROUTER_INTERFACE' });
    await db.create(portTranslator, rif);
    await db.create(routerInterfaceTranslator, { id: routerId, port_id: rif.id, subnet_ids: [sub] });
    const vm1 = port(net, '192.168.0.5', sub);
    const vm2 = port(net, '192.168.0.6', sub);
    await db.create(portTranslator, vm1);
    await db.create(portTranslator, vm2);
    const fip = (extra: Partial<FloatingIp> = {}): FloatingIp => ({
      id: randomUUID(),
      tenant_id: 't',
      floating_ip_address: v4('10.0.1.50'),
      floating_network_id: s.ext,
      ...extra,
    });
    const rgw = ids.tenantGwPortId(s.gwPort);
    return { ...s, r, routerId, rif, vm1, vm2, fip, rgw };
  }

  const natOf = (x: Rule | undefined) => x?.nat_rule_data?.nat_targets?.[0]?.nw_start?.address;

  test('unassociated: only the floating IP is stored; associated: ARP entry and the five rules where they go (FloatingIpTranslatorIT)', async () => {
    const { db, fip, vm1, routerId, rgw, ext } = await cloud();
    const f = fip();
    const fipId = f.id ?? '';
    const ops = await db.create(floatingIpTranslator, f);
    assert.deepEqual(
      ops.map((o) => `${o.op} ${'clazz' in o ? o.clazz : ''}`),
      ['create FloatingIp'],
    );
    assert.deepEqual(db.entries('Network', ext, 'ip4_mac_table'), [`10.0.1.3,${GW_MAC}`]);

    const associated = { ...f, port_id: vm1.id, router_id: routerId, fixed_ip_address: v4('192.168.0.5') };
    await db.update(floatingIpTranslator, associated);
    assert.deepEqual(db.entries('Network', ext, 'ip4_mac_table').sort(), [`10.0.1.3,${GW_MAC}`, `10.0.1.50,${GW_MAC}`]);
    const pre = await db.rules(ids.inChainId(routerId));
    assert.equal(pre[0]?.id, ids.fipDnatRuleId(fipId));
    assert.deepEqual(pre[0], {
      id: ids.fipDnatRuleId(fipId),
      type: 'NAT_RULE',
      chain_id: ids.inChainId(routerId),
      action: 'ACCEPT',
      condition: { nw_dst_ip: cidr('10.0.1.50', 32), fragment_policy: 'ANY' },
      fip_port_id: vm1.id,
      nat_rule_data: { nat_targets: [{ nw_start: v4('192.168.0.5'), nw_end: v4('192.168.0.5'), tp_start: 0, tp_end: 0 }], dnat: true },
    });
    const exact = await db.rules(ids.floatSnatExactChainId(routerId));
    assert.deepEqual(
      exact.map((x) => x.id),
      [ids.fipSnatExactRuleId(fipId)],
    );
    assert.deepEqual(exact[0]?.condition, { out_port_ids: [rgw], nw_src_ip: cidr('192.168.0.5', 32), fragment_policy: 'ANY' });
    const float = await db.rules(ids.floatSnatChainId(routerId));
    assert.deepEqual(
      float.map((x) => x.id),
      [ids.fipSnatRuleId(fipId)],
    );
    assert.equal(natOf(float[0]), '10.0.1.50');
    const skip = await db.rules(ids.skipSnatChainId(routerId));
    assert.equal(skip[0]?.id, ids.fipSkipSnatOutRuleId(fipId));
    assert.equal(skip[skip.length - 1]?.id, ids.fipSkipSnatInRuleId(fipId));
    assert.deepEqual((await db.must('Port', vm1.id ?? '')).fip_nat_rule_ids?.length, 5);
    assert.deepEqual((await db.must('NeutronPort', vm1.id ?? '')).floating_ip_ids, [fipId]);

    // the same port and router: nothing to do
    assert.deepEqual(
      (await db.update(floatingIpTranslator, associated)).map((o) => o.op),
      ['update'],
    );

    // disassociated: ARP entry and rules gone
    await db.update(floatingIpTranslator, f);
    assert.deepEqual(db.entries('Network', ext, 'ip4_mac_table'), [`10.0.1.3,${GW_MAC}`]);
    assert.ok(!(await db.rules(ids.inChainId(routerId))).some((x) => x.fip_port_id !== undefined));
    assert.equal(await db.get('Rule', ids.fipDnatRuleId(fipId)), null);
    assert.deepEqual(await db.rules(ids.floatSnatChainId(routerId)), []);
    assert.deepEqual(await db.rules(ids.floatSnatExactChainId(routerId)), []);
  });

  test('re-associated to another port: rules rebuilt for the new fixed IP; deleted: rules and ARP entry gone', async () => {
    const { db, fip, vm1, vm2, routerId, ext } = await cloud();
    const f = fip({ router_id: routerId });
    const fipId = f.id ?? '';
    await db.create(floatingIpTranslator, { ...f, port_id: vm1.id, fixed_ip_address: v4('192.168.0.5') });
    await db.update(floatingIpTranslator, { ...f, port_id: vm2.id, fixed_ip_address: v4('192.168.0.6') });
    const dnat = await db.must('Rule', ids.fipDnatRuleId(fipId));
    assert.equal(natOf(dnat), '192.168.0.6');
    assert.equal(dnat.fip_port_id, vm2.id);
    assert.equal((await db.rules(ids.inChainId(routerId)))[0]?.id, ids.fipDnatRuleId(fipId));
    assert.equal((await db.must('Port', vm1.id ?? '')).fip_nat_rule_ids, undefined);
    assert.equal(db.entries('Network', ext, 'ip4_mac_table').length, 2);
    await db.delete(floatingIpTranslator, fipId);
    assert.equal(db.entries('Network', ext, 'ip4_mac_table').length, 1);
    for (const id of [ids.fipSnatRuleId, ids.fipSnatExactRuleId, ids.fipDnatRuleId, ids.fipSkipSnatOutRuleId, ids.fipSkipSnatInRuleId])
      assert.equal(await db.get('Rule', id(fipId)), null);
    assert.equal(await db.get('FloatingIp', fipId), null);
    // deleting a floating IP that is not there
    assert.deepEqual(
      (await db.delete(floatingIpTranslator, fipId)).map((o) => o.op),
      ['delete'],
    );
  });

  test('deleting the associated VM port deletes the rules and disassociates the floating IP', async () => {
    const { db, fip, vm1, routerId, ext } = await cloud();
    const f = fip({ router_id: routerId, port_id: vm1.id, fixed_ip_address: v4('192.168.0.5') });
    await db.create(floatingIpTranslator, f);
    await db.delete(portTranslator, vm1.id ?? '');
    const stored = await db.must('FloatingIp', f.id ?? '');
    assert.equal(stored.port_id, undefined);
    assert.equal(stored.router_id, undefined);
    assert.equal(await db.get('Rule', ids.fipDnatRuleId(f.id ?? '')), null);
    assert.equal(db.entries('Network', ext, 'ip4_mac_table').length, 1);
  });

  test('a router without gateway (and no interface on the network), or an address outside its subnets → 409, nothing written', async () => {
    const { db, fip, vm1, router, routerId } = await cloud();
    const bare = router();
    await db.create(routerTranslator, bare);
    await refused(
      db,
      db.create(floatingIpTranslator, fip({ router_id: bare.id, port_id: vm1.id, fixed_ip_address: v4('192.168.0.5') })),
      'conflict',
      new RegExp(`^Router ${bare.id ?? ''} has no port whose subnet contains 10.0.1.50$`),
    );
    await refused(
      db,
      db.create(floatingIpTranslator, fip({ router_id: routerId, port_id: vm1.id, fixed_ip_address: v4('192.168.0.5'), floating_ip_address: v4('10.9.9.9') })),
      'conflict',
      /has no port whose subnet contains 10.9.9.9$/,
    );
  });

  test("through a router interface (the floating network is not the gateway's): the SNAT rule goes last", async () => {
    const { db, fip, port, router, ext, extSub } = await cloud();
    // a second router with an interface on the external network, no gateway
    const r2 = router();
    await db.create(routerTranslator, r2);
    const rif = port(ext, '10.0.1.9', extSub, { device_owner: 'ROUTER_INTERFACE' });
    await db.create(portTranslator, rif);
    await db.create(routerInterfaceTranslator, { id: r2.id, port_id: rif.id, subnet_ids: [extSub] });
    const vm = randomUUID();
    const f = fip({ router_id: r2.id, port_id: undefined });
    await db.create(floatingIpTranslator, f);
    const netPort = port(ext, '10.0.1.77', extSub, { id: vm });
    await db.create(portTranslator, netPort);
    await db.update(floatingIpTranslator, { ...f, port_id: vm, fixed_ip_address: v4('10.0.1.77') });
    const exact = await db.rules(ids.floatSnatExactChainId(r2.id ?? ''));
    assert.deepEqual(exact[0]?.condition?.out_port_ids, [ids.routerInterfacePortPeerId(rif.id ?? '')]);
    assert.ok(db.entries('Network', ext, 'ip4_mac_table').includes(`10.0.1.50,${String(rif.mac_address)}`));
  });

  test('a floating IP on a second subnet of the external network goes through the gateway (FloatingIpTranslatorIT)', async () => {
    const { db, fip, vm1, routerId, ext, rgw } = await cloud();
    const sub2 = randomUUID();
    await db.create(subnetTranslator, { id: sub2, network_id: ext, cidr: cidr('10.0.9.0', 24), gateway_ip: v4('10.0.9.1'), ip_version: 4 });
    const f = fip({ floating_ip_address: v4('10.0.9.50'), router_id: routerId, port_id: vm1.id, fixed_ip_address: v4('192.168.0.5') });
    await db.create(floatingIpTranslator, f);
    assert.deepEqual((await db.must('Rule', ids.fipSnatExactRuleId(f.id ?? ''))).condition?.out_port_ids, [rgw]);
    assert.ok(db.entries('Network', ext, 'ip4_mac_table').includes(`10.0.9.50,${GW_MAC}`));
  });

  test('a floating IP on a native LBaaS v1 VIP port → 500 (Floating IPv4 association to VIP)', async () => {
    const { db, fip, port, net, sub, routerId } = await cloud();
    const vipPort = port(net, '192.168.0.30', sub, { device_owner: 'LOADBALANCER' });
    await db.create(portTranslator, vipPort);
    await db.put('NeutronVIP', { id: randomUUID(), port_id: vipPort.id });
    await refused(
      db,
      db.create(floatingIpTranslator, fip({ router_id: routerId, port_id: vipPort.id, fixed_ip_address: v4('192.168.0.30') })),
      'unsupported',
      /^MidoNet native LBaaS v1 doesn't support floating-ip association$/,
    );
  });

  test('a router of an old translation (no OS_FLOAT_SNAT_EXACT chain): association 409; an update without SNAT adds the chains', async () => {
    const { db, fip, vm1, router, ext, gwPort } = await cloud();
    const old = router();
    const id = old.id ?? '';
    await db.create(routerTranslator, old);
    await db.run(async ({ tx }) => {
      for (const c of [ids.floatSnatExactChainId, ids.floatSnatChainId, ids.skipSnatChainId, ids.floatNat64ChainId]) await tx.delete('Chain', c(id));
      const post = await tx.get('Chain', ids.outChainId(id));
      for (const r of post.rule_ids ?? []) await tx.delete('Rule', r);
    });
    await refused(
      db,
      db.create(floatingIpTranslator, fip({ router_id: id, port_id: vm1.id, fixed_ip_address: v4('192.168.0.5') })),
      'conflict',
      new RegExp(`^Router ${id} must be updated to work properly`),
    );
    await refused(
      db,
      db.update(routerTranslator, { ...old, gw_port_id: gwPort, external_gateway_info: { network_id: ext, enable_snat: true } }),
      'conflict',
      /must be updated/,
    );
    await db.update(routerTranslator, { ...old, name: 'upgraded' });
    assert.equal((await db.rules(ids.outChainId(id))).length, 4);
    assert.ok(await db.get('Chain', ids.floatSnatExactChainId(id)));
  });

  test('an IPv6 floating IP association is refused (400), nothing written', async () => {
    const { db, fip, vm1, routerId } = await cloud();
    await refused(
      db,
      db.create(
        floatingIpTranslator,
        fip({
          router_id: routerId,
          port_id: vm1.id,
          floating_ip_address: { version: 'V6', address: '2001:0:0:0:0:0:0:5' },
          fixed_ip_address: v4('192.168.0.5'),
        }),
      ),
      'invalid',
      /IPv6 floating IPs/,
    );
  });
});
