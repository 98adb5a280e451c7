/**
 * The JSON of gateway devices, remote MAC entries, L2 gateway connections and the three objects
 * of decision 0022 (services/neutron/rest/schemas-gateway.ts), as the original's DTOs read and
 * print them: strict enums in any case, IPv4-only addresses, MACs in the canonical form, the
 * nested L2 gateway, and what a stored object looks like on GET.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../lib/http/errors.js';
import { fromProto, parseDto, toProto } from '../../services/neutron/rest/json.js';
import * as schemas from '../../services/neutron/rest/schemas-gateway.js';

const ID = '5d3e4b2a-1c9f-4e8b-9a7d-0f1e2d3c4b5a';
const DEV = '11111111-2222-4333-8444-555555555555';

function rejects400(fn: () => unknown, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HttpError && e.status === 400, String(e));
    if (message) assert.match(e.message, message);
    return;
  }
  assert.fail('expected a 400');
}

test('gateway device: enums in any case, stored by name; lists and absent fields on GET', () => {
  const dto = parseDto(schemas.gatewayDevice, {
    id: ID,
    type: 'router_vtep',
    resource_id: DEV,
    tunnel_ips: ['30.0.0.1'],
    management_protocol: 'Ovsdb',
    name: 'ignored',
  });
  assert.deepEqual(dto, {
    id: ID,
    type: 'ROUTER_VTEP',
    resource_id: DEV,
    tunnel_ips: ['30.0.0.1'],
    management_ip: null,
    management_port: null,
    management_protocol: 'OVSDB',
  });
  const msg = toProto(schemas.gatewayDevice, dto);
  assert.deepEqual(msg, { id: ID, type: 'ROUTER_VTEP', resource_id: DEV, tunnel_ips: [{ version: 'V4', address: '30.0.0.1' }], management_protocol: 'OVSDB' });
  assert.deepEqual(fromProto(schemas.gatewayDevice, { id: ID }), {
    id: ID,
    type: null,
    resource_id: null,
    tunnel_ips: [],
    management_ip: null,
    management_port: null,
    management_protocol: null,
  });
  rejects400(() => parseDto(schemas.gatewayDevice, { type: 'vtep' }), /expected one of ROUTER_VTEP, HW_VTEP, NETWORK_VLAN/);
  rejects400(() => parseDto(schemas.gatewayDevice, { management_protocol: 'snmp' }), /expected one of OVSDB/);
  rejects400(() => parseDto(schemas.gatewayDevice, { tunnel_ips: ['fe80::1'] }), /IPv4/);
  rejects400(() => parseDto(schemas.gatewayDevice, { management_ip: '1.2.3' }), /IPv4/);
  rejects400(() => parseDto(schemas.gatewayDevice, { management_port: -5 }), /non-negative/);
});

test('remote MAC entry: the MAC canonical (lower-case, two digits a group), a bad one 400', () => {
  const dto = parseDto(schemas.remoteMacEntry, { id: ID, device_id: DEV, vtep_address: '10.0.0.1', mac_address: 'FA:16:3E:0:A:1', segmentation_id: '100' });
  assert.deepEqual(dto, { id: ID, device_id: DEV, vtep_address: '10.0.0.1', mac_address: 'fa:16:3e:00:0a:01', segmentation_id: 100 });
  assert.deepEqual(toProto(schemas.remoteMacEntry, dto)['vtep_address'], { version: 'V4', address: '10.0.0.1' });
  // the stored back references are not shown
  assert.equal('port_ids' in fromProto(schemas.remoteMacEntry, { id: ID, port_ids: [DEV] }), false);
  rejects400(() => parseDto(schemas.remoteMacEntry, { mac_address: 'fa-16-3e-00-00-01' }), /MAC/);
  rejects400(() => parseDto(schemas.remoteMacEntry, { segmentation_id: -1 }));
});

test('L2 gateway connection: the nested gateway and its devices', () => {
  const body = {
    id: ID,
    network_id: DEV,
    segmentation_id: 7,
    l2_gateway_id: 'x',
    l2_gateway: { devices: [{ id: 'gw-dev-row', device_id: DEV, segmentation_id: 7 }] },
  };
  const dto = parseDto(schemas.l2GatewayConnection, body);
  assert.deepEqual(dto, {
    id: ID,
    tenant_id: null,
    network_id: DEV,
    segmentation_id: 7,
    l2_gateway: { id: null, name: null, tenant_id: null, devices: [{ device_id: DEV, segmentation_id: 7 }] },
  });
  const msg = toProto(schemas.l2GatewayConnection, dto);
  assert.deepEqual(msg, { id: ID, network_id: DEV, segmentation_id: 7, l2_gateway: { devices: [{ device_id: DEV, segmentation_id: 7 }] } });
  assert.deepEqual(fromProto(schemas.l2GatewayConnection, msg), dto);
  rejects400(() => parseDto(schemas.l2GatewayConnection, { l2_gateway: { devices: [{ device_id: 'not-a-uuid' }] } }), /l2_gateway\.devices\[0\]\.device_id/);
});

test('configuration, agent membership, port binding: the messages field names', () => {
  assert.deepEqual(parseDto(schemas.config, { id: ID, tunnel_protocol: 'vxlan' }), { id: ID, tunnel_protocol: 'VXLAN' });
  rejects400(() => parseDto(schemas.config, { tunnel_protocol: 'stt' }), /expected one of GRE, VXLAN/);
  assert.deepEqual(toProto(schemas.agentMembership, parseDto(schemas.agentMembership, { id: ID, ip_address: '192.168.0.1' })), {
    id: ID,
    ip_address: { version: 'V4', address: '192.168.0.1' },
  });
  const binding = { id: ID, host_id: DEV, interface_name: 'tap0', port_id: ID };
  assert.deepEqual(toProto(schemas.portBinding, parseDto(schemas.portBinding, binding)), binding);
});
