/**
 * The JSON of Neutron routers, router interfaces and floating IPs (services/neutron/rest/
 * l3-schemas.ts) as the original's DTOs read and print it: defaults, nested gateway info and
 * routes, addresses stored canonically, wrong kinds refused with 400.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../lib/http/errors.js';
import { fromProto, parseDto, toProto } from '../../services/neutron/rest/json.js';
import * as l3 from '../../services/neutron/rest/l3-schemas.js';

const ID = '5d3e4b2a-1c9f-4e8b-9a7d-0f1e2d3c4b5a';
const NET = '11111111-2222-4333-8444-555555555555';

function rejects400(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HttpError && e.status === 400, String(e));
    assert.match(e.message, message);
    return;
  }
  assert.fail('expected a 400');
}

test('router: gateway info and extra routes to the message and back; defaults of what is absent', () => {
  const dto = parseDto(l3.router, {
    id: ID,
    name: 'r',
    tenant_id: 't',
    admin_state_up: true,
    gw_port_id: NET,
    external_gateway_info: { network_id: NET, external_fixed_ips: [{ ip_address: '1.2.3.4' }] },
    routes: [{ destination: '10.0.0.0/8', nexthop: '2001:db8::1' }],
    distributed: false,
  });
  assert.deepEqual(dto.external_gateway_info, { network_id: NET, enable_snat: false });
  const m = toProto(l3.router, dto);
  assert.deepEqual(m['external_gateway_info'], { network_id: NET, enable_snat: false });
  assert.deepEqual(m['routes'], [
    { destination: { version: 'V4', address: '10.0.0.0', prefix_length: 8 }, nexthop: { version: 'V6', address: '2001:db8:0:0:0:0:0:1' } },
  ]);
  assert.deepEqual(fromProto(l3.router, m), {
    id: ID,
    name: 'r',
    status: null,
    tenant_id: 't',
    admin_state_up: true,
    gw_port_id: NET,
    external_gateway_info: { network_id: NET, enable_snat: false },
    routes: [{ destination: '10.0.0.0/8', nexthop: '2001:db8:0:0:0:0:0:1' }],
  });
  const bare = parseDto(l3.router, { id: ID });
  assert.deepEqual(bare, {
    id: ID,
    name: null,
    status: null,
    tenant_id: null,
    admin_state_up: false,
    gw_port_id: null,
    external_gateway_info: null,
    routes: [],
  });
  rejects400(() => parseDto(l3.router, { id: ID, routes: [{ destination: '10.0.0.0/99' }] }), /"routes\[0\]\.destination"/);
  rejects400(() => parseDto(l3.router, { id: ID, external_gateway_info: { enable_snat: 'yes' } }), /"external_gateway_info\.enable_snat"/);
});

test('router interface: subnet ids, the rest of what Neutron sends ignored', () => {
  const dto = parseDto(l3.routerInterface, { id: ID, port_id: NET, subnet_id: NET, subnet_ids: [NET], network_id: NET, project_id: 't' });
  assert.deepEqual(dto, { id: ID, tenant_id: null, port_id: NET, subnet_id: NET, subnet_ids: [NET] });
  assert.deepEqual(parseDto(l3.routerInterface, { id: ID }).subnet_ids, null);
});

test('floating IP: addresses kept as sent in the echo, stored canonically; not an address → 400', () => {
  const dto = parseDto(l3.floatingIp, {
    id: ID,
    floating_ip_address: '2001:DB8::5',
    floating_network_id: NET,
    fixed_ip_address: '10.0.0.5',
    port_id: null,
    status: 'DOWN',
  });
  assert.equal(dto.floating_ip_address, '2001:DB8::5');
  const m = toProto(l3.floatingIp, dto);
  assert.deepEqual(m['floating_ip_address'], { version: 'V6', address: '2001:db8:0:0:0:0:0:5' });
  assert.equal(m['port_id'], undefined);
  assert.deepEqual(Object.keys(fromProto(l3.floatingIp, m)), [
    'id',
    'floating_ip_address',
    'floating_network_id',
    'router_id',
    'port_id',
    'fixed_ip_address',
    'tenant_id',
  ]);
  rejects400(() => parseDto(l3.floatingIp, { id: ID, floating_ip_address: '300.1.1.1' }), /"floating_ip_address"/);
});
