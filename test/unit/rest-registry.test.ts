/**
 * The table of everything the REST API serves (services/rest-api/resources/index.ts): each route
 * once, the entries declarations' routes negotiated explicitly, and what tenant roles may use
 * (cluster.auth.tenant_scoping), as the declarations' metadata makes it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entryRoutes } from '../../services/rest-api/machinery/entries.js';
import { API, allRoutes } from '../../services/rest-api/resources/index.js';

test('every route is served once, from one declaration', () => {
  const seen = new Set<string>();
  for (const r of allRoutes()) {
    const key = `${r.method} ${r.path}`;
    assert.ok(!seen.has(key), `${key} declared twice`);
    seen.add(key);
  }
  assert.equal(seen.size, allRoutes().length);
});

test('entries kept inside a parent object: list, get, create, delete with explicit negotiation', () => {
  const families = API.flatMap((d) => (d.kind === 'entries' ? [d.def] : []));
  assert.deepEqual(
    families.map((d) => d.path),
    [
      '/port_groups/:id/ports',
      '/ports/:id/port_groups',
      '/ip_addr_groups/:id/ip_addrs',
      '/tunnel_zones/:id/hosts',
      '/hosts/:id/ports',
      '/bridges/:id/dhcp/:subnet/hosts',
      '/bridges/:id/dhcpV6/:subnet/hostsV6',
    ],
  );
  for (const def of families) {
    for (const r of entryRoutes(def)) {
      if (r.method === 'DELETE' || (r.method === 'GET' && def.media.singleFixed && r.path === def.itemPath)) continue;
      assert.equal(r.regime, 'E', `${r.method} ${r.path}`);
    }
  }
  const methods = (path: string): string[] =>
    allRoutes()
      .filter((r) => r.path === path)
      .map((r) => r.method)
      .sort();
  assert.deepEqual(methods('/tunnel_zones/:id/hosts/:hostId'), ['DELETE', 'GET']);
  assert.deepEqual(methods('/bridges/:id/dhcp/:subnet/hosts/:host'), ['DELETE', 'GET', 'PUT']);
  assert.deepEqual(methods('/ports/:id/port_groups'), ['GET']);
});

test("what tenant roles may use: their projects' objects (found by the declarations' project rules), the root, their tenant", () => {
  const open = allRoutes()
    .filter((r) => r.tenancy && r.tenancy.kind !== 'admin')
    .map((r) => {
      const t = r.tenancy;
      const detail = t && 'clazz' in t ? ` ${t.clazz}` : '';
      return `${r.method} ${r.path} ${t?.kind}${detail}${t && 'claim' in t && t.claim ? ' claim' : ''}`;
    });
  assert.deepEqual(open, [
    'GET / open',
    'GET /tenants custom',
    'GET /tenants/:id custom',
    'POST /tenants open',
    'PUT /tenants/:id open',
    'DELETE /tenants/:id open',
    'GET /routers/:id/routes own Router',
    'GET /bridges list Network',
    'POST /bridges create',
    'GET /bridges/:id own Network',
    'PUT /bridges/:id own Network claim',
    'DELETE /bridges/:id own Network',
    'GET /routers list Router',
    'POST /routers create',
    'GET /routers/:id own Router',
    'PUT /routers/:id own Router claim',
    'DELETE /routers/:id own Router',
    'GET /ports list Port',
    'GET /ports/:id own Port',
    'PUT /ports/:id own Port claim',
    'DELETE /ports/:id own Port',
    'GET /bridges/:id/ports own Network',
    'POST /bridges/:id/ports own Network',
    'GET /routers/:id/ports own Router',
    'POST /routers/:id/ports own Router',
    'GET /routes/:id own Route',
    'DELETE /routes/:id own Route',
    'POST /routers/:id/routes own Router',
    'GET /chains list Chain',
    'POST /chains create',
    'GET /chains/:id own Chain',
    'DELETE /chains/:id own Chain',
    'GET /rules/:id own Rule',
    'DELETE /rules/:id own Rule',
    'GET /chains/:id/rules own Chain',
    'POST /chains/:id/rules own Chain',
    'GET /port_groups list PortGroup',
    'POST /port_groups create',
    'GET /port_groups/:id own PortGroup',
    'PUT /port_groups/:id own PortGroup claim',
    'DELETE /port_groups/:id own PortGroup',
    'GET /bgp_networks/:id own BgpNetwork',
    'DELETE /bgp_networks/:id own BgpNetwork',
    'GET /routers/:id/bgp_networks own Router',
    'POST /routers/:id/bgp_networks own Router',
    'GET /bgp_peers/:id own BgpPeer',
    'PUT /bgp_peers/:id own BgpPeer claim',
    'DELETE /bgp_peers/:id own BgpPeer',
    'GET /routers/:id/bgp_peers own Router',
    'POST /routers/:id/bgp_peers own Router',
    'GET /qos_policies list QosPolicy',
    'POST /qos_policies create',
    'GET /qos_policies/:id own QosPolicy',
    'PUT /qos_policies/:id own QosPolicy claim',
    'DELETE /qos_policies/:id own QosPolicy',
    'GET /qos_bw_limit_rules/:id own QosRuleBandwidthLimit',
    'PUT /qos_bw_limit_rules/:id own QosRuleBandwidthLimit claim',
    'DELETE /qos_bw_limit_rules/:id own QosRuleBandwidthLimit',
    'GET /qos_policies/:id/qos_bw_limit_rules own QosPolicy',
    'POST /qos_policies/:id/qos_bw_limit_rules own QosPolicy',
    'DELETE /qos_policies/:id/qos_bw_limit_rules/:childId own QosPolicy',
    'GET /qos_dscp_rules/:id own QosRuleDscp',
    'PUT /qos_dscp_rules/:id own QosRuleDscp claim',
    'DELETE /qos_dscp_rules/:id own QosRuleDscp',
    'GET /qos_policies/:id/qos_dscp_rules own QosPolicy',
    'POST /qos_policies/:id/qos_dscp_rules own QosPolicy',
    'DELETE /qos_policies/:id/qos_dscp_rules/:childId own QosPolicy',
  ]);
});

test("the ids a tenant's body may name: every writable UUID field of a tenant resource is a checked reference", async () => {
  const { RESOURCES } = await import('../../services/rest-api/resources/index.js');
  const { referenceClasses } = await import('../../services/rest-api/machinery/references.js');
  const { fieldsOf } = await import('../../services/rest-api/machinery/dto.js');
  const refs: string[] = [];
  const unchecked: string[] = [];
  for (const def of RESOURCES) {
    if (!def.project) continue;
    const fields = [...def.fields, ...(def.variants ?? []).flatMap((v) => fieldsOf(def, v).slice(def.fields.length))];
    for (const f of new Set(fields)) {
      if (f.access === 'ro' || f.json === 'id' || (f.type.name !== 'uuid' && f.type.name !== 'uuid[]')) continue;
      const classes = referenceClasses(def, f);
      if (classes) refs.push(`${def.segment}.${f.json} → ${classes.join('|')}`);
      else unchecked.push(`${def.segment}.${f.json}`);
    }
  }
  // a VIF id names no MidoNet object (Neutron's port id)
  assert.deepEqual(unchecked, ['ports.vifId']);
  assert.deepEqual(refs.sort(), [
    'bridges.inboundFilterId → Chain',
    'bridges.inboundMirrorIds → Mirror',
    'bridges.outboundFilterId → Chain',
    'bridges.outboundMirrorIds → Mirror',
    'bridges.qosPolicyId → QosPolicy',
    'ports.inboundFilterId → Chain',
    'ports.inboundMirrorIds → Mirror',
    'ports.outboundFilterId → Chain',
    'ports.outboundMirrorIds → Mirror',
    'ports.postInFilterMirrorIds → Mirror',
    'ports.preOutFilterMirrorIds → Mirror',
    'ports.qosPolicyId → QosPolicy',
    'routers.forwardChainId → Chain',
    'routers.inboundFilterId → Chain',
    'routers.inboundMirrorIds → Mirror',
    'routers.loadBalancerId → LoadBalancer',
    'routers.localRedirectChainId → Chain',
    'routers.outboundFilterId → Chain',
    'routers.outboundMirrorIds → Mirror',
    'routes.nextHopPort → Port',
    'rules.inPortGroup → PortGroup',
    'rules.inPorts → Port',
    'rules.ipAddrGroupDst → IPAddrGroup',
    'rules.ipAddrGroupSrc → IPAddrGroup',
    'rules.jumpChainId → Chain',
    'rules.outPortGroup → PortGroup',
    'rules.outPorts → Port',
    'rules.portGroup → PortGroup',
    'rules.requestId → TraceRequest',
    'rules.targetPortId → Port',
    'rules.traversedDevice → Network|Router|Port',
  ]);
});
