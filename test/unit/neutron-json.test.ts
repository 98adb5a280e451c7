/**
 * Neutron JSON ⇄ Neutron messages (services/neutron/rest): the conversion cases of the original's
 * NeutronZoomPlugin tests (N8) and the DTO rules: defaults, lenient and strict enums, canonical
 * addresses on the way out, the request kept as sent for the echo.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../lib/http/errors.js';
import { fromProto, parseDto, toProto } from '../../services/neutron/rest/json.js';
import * as schemas from '../../services/neutron/rest/schemas.js';

const ID = '5d3e4b2a-1c9f-4e8b-9a7d-0f1e2d3c4b5a';
const SUB = '11111111-2222-4333-8444-555555555555';

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

test('N8 port: every field to the message; back as the GET form', () => {
  const dto = parseDto(schemas.port, {
    id: ID.toUpperCase(),
    network_id: ID,
    name: 'p',
    admin_state_up: true,
    mac_address: 'fa:16:3e:00:00:01',
    fixed_ips: [{ ip_address: '10.0.0.1', subnet_id: SUB }],
    device_owner: 'compute:az-1',
    device_id: 'vm-1',
    'binding:host_id': 'host1',
    'binding:profile': { interface_name: 'interface1' },
    port_security_enabled: false,
    allowed_address_pairs: [{ ip_address: '10.0.0.3', mac_address: '0a:0a:0a:0a:0a:0a' }],
    extra_dhcp_opts: [{ opt_name: 'opt1', opt_value: 'val1' }],
    security_groups: [SUB],
    'binding:vif_type': 'ovs',
    tags: ['ignored'],
  });
  assert.equal(dto['id'], ID, 'UUIDs lower-cased');
  assert.equal(dto['device_owner'], 'compute:nova');
  const m = toProto(schemas.port, dto);
  assert.deepEqual(m, {
    id: ID,
    name: 'p',
    network_id: ID,
    admin_state_up: true,
    mac_address: 'fa:16:3e:00:00:01',
    fixed_ips: [{ ip_address: { version: 'V4', address: '10.0.0.1' }, subnet_id: SUB }],
    device_id: 'vm-1',
    device_owner: 'COMPUTE',
    security_groups: [SUB],
    host_id: 'host1',
    profile: { interface_name: 'interface1' },
    port_security_enabled: false,
    allowed_address_pairs: [{ ip_address: { version: 'V4', address: '10.0.0.3', prefix_length: 32 }, mac_address: '0a:0a:0a:0a:0a:0a' }],
    extra_dhcp_opts: [{ opt_name: 'opt1', opt_value: 'val1' }],
  });
  const back = fromProto(schemas.port, m);
  assert.deepEqual((back['allowed_address_pairs'] as unknown[])[0], { ip_address: '10.0.0.3/32', mac_address: '0a:0a:0a:0a:0a:0a' });
  assert.equal(back['tenant_id'], null);
  assert.equal(back['qos_policy_id'], null);
  assert.deepEqual(
    Object.keys(back),
    schemas.port.map((f) => f.json),
  );
});

test('port defaults: port security on, lists empty, owner unknown reads as a VM port on GET', () => {
  const dto = parseDto(schemas.port, { id: ID, device_owner: 'neutron:whatever' });
  assert.equal(dto['port_security_enabled'], true);
  assert.equal(dto['admin_state_up'], false);
  assert.deepEqual(dto['fixed_ips'], []);
  assert.equal(dto['allowed_address_pairs'], null);
  assert.equal(dto['device_owner'], null);
  const m = toProto(schemas.port, dto);
  assert.equal(m['device_owner'], undefined);
  assert.equal(m['port_security_enabled'], true);
  const back = fromProto(schemas.port, m);
  assert.equal(back['device_owner'], 'compute:nova');
  assert.deepEqual(back['allowed_address_pairs'], []);
  assert.equal(parseDto(schemas.port, { device_owner: 'NETWORK:DHCP' })['device_owner'], 'network:dhcp');
});

test('N8 network and subnet: network type any case (unknown null), IPv6 canonical on GET, the echo as sent', () => {
  const net = parseDto(schemas.network, { id: ID, 'provider:network_type': 'flat', 'router:external': true, shared: true });
  assert.deepEqual(toProto(schemas.network, net), { id: ID, shared: true, admin_state_up: false, external: true, network_type: 'FLAT' });
  assert.equal(parseDto(schemas.network, { 'provider:network_type': 'midonet' })['provider:network_type'], null);
  const sub = parseDto(schemas.subnet, {
    id: ID,
    cidr: '2001::/64',
    gateway_ip: '2001::1',
    allocation_pools: [{ start: '10.10.10.100', end: '10.10.10.199' }],
    host_routes: [{ destination: '10.10.20.0/24', nexthop: '10.10.20.1' }],
    dns_nameservers: ['10.10.10.3'],
  });
  assert.equal(sub['cidr'], '2001::/64', 'kept as sent');
  const m = toProto(schemas.subnet, sub);
  assert.deepEqual(m['cidr'], { version: 'V6', address: '2001:0:0:0:0:0:0:0', prefix_length: 64 });
  const back = fromProto(schemas.subnet, m);
  assert.equal(back['cidr'], '2001:0:0:0:0:0:0:0/64');
  assert.equal(back['gateway_ip'], '2001:0:0:0:0:0:0:1');
  assert.deepEqual(back['host_routes'], [{ destination: '10.10.20.0/24', nexthop: '10.10.20.1' }]);
  assert.deepEqual(back['allocation_pools'], [{ start: '10.10.10.100', end: '10.10.10.199' }]);
  rejects400(() => parseDto(schemas.subnet, { cidr: '10.0.1.0/100' }), /"cidr"/);
  rejects400(() => parseDto(schemas.subnet, { gateway_ip: '10.0.0.256' }), /"gateway_ip"/);
});

test('N8 security group and rules: names and numbers of protocols, remote prefix verbatim, unknown protocol 400', () => {
  const sg = parseDto(schemas.securityGroup, {
    id: ID,
    name: 'sg',
    security_group_rules: [
      { id: SUB, direction: 'INGRESS', ethertype: 'IPv4', protocol: 'UDP', port_range_min: 1000, port_range_max: 2000, remote_ip_prefix: '10.10.0.0' },
    ],
  });
  const m = toProto(schemas.securityGroup, sg);
  assert.deepEqual(m['security_group_rules'], [
    { id: SUB, direction: 'INGRESS', protocol: 'UDP', port_range_min: 1000, port_range_max: 2000, ethertype: 'IPV4', remote_ip_prefix: '10.10.0.0' },
  ]);
  const rule = fromProto(schemas.securityGroupRule, (m['security_group_rules'] as never[])[0]);
  assert.equal(rule['direction'], 'ingress');
  assert.equal(rule['ethertype'], 'ipv4');
  assert.equal(rule['protocol'], 'udp');
  assert.equal(parseDto(schemas.securityGroupRule, { protocol: '6' })['protocol'], 'tcp');
  assert.equal(parseDto(schemas.securityGroupRule, { protocol: 132 })['protocol'], 'sctp');
  assert.equal(parseDto(schemas.securityGroupRule, { direction: 'sideways' })['direction'], null);
  rejects400(() => parseDto(schemas.securityGroupRule, { protocol: 'bogus' }), /^No RuleProtocol for string bogus$/);
  rejects400(() => parseDto(schemas.securityGroupRule, { protocol: '250' }), /^No RuleProtocol for number 250$/);
  rejects400(() => parseDto(schemas.securityGroupRule, { port_range_min: 'eighty' }), /"port_range_min"/);
});

test('wrong JSON types are 400 with the field named', () => {
  rejects400(() => parseDto(schemas.network, { id: 'nope' }), /"id"/);
  rejects400(() => parseDto(schemas.network, { admin_state_up: 1 }), /"admin_state_up"/);
  rejects400(() => parseDto(schemas.port, { fixed_ips: 'x' }), /"fixed_ips"/);
  rejects400(() => parseDto(schemas.port, { fixed_ips: [{ ip_address: 'bad' }] }), /"fixed_ips\[0\]\.ip_address"/);
  rejects400(() => parseDto(schemas.port, { 'binding:profile': [] }), /"binding:profile"/);
  assert.equal(parseDto(schemas.network, { name: 5 })['name'], '5', 'scalars are taken as text');
  assert.equal(parseDto(schemas.network, { admin_state_up: 'true' })['admin_state_up'], true);
});
