import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enumTypeNames, enumValues, hasMessageType, loadExtraProto, messageType, messageTypeNames } from '../../lib/models/schema.js';

const P = 'org.midonet.cluster.models';

test('the schema has every message and enum of nsdb-models.md §7 (106 messages, 50 enums)', () => {
  assert.equal(messageTypeNames().length, 106);
  assert.equal(enumTypeNames().length, 50);
  assert.ok(messageTypeNames().includes(`${P}.NeutronVIP.SessionPersistence`));
  assert.ok(messageTypeNames().includes(`${P}.IPSecSiteConnection.IPSecPolicy`));
  assert.ok(enumTypeNames().includes(`${P}.IPSecSiteConnection.IkePolicy.IkeVersion`));
  assert.ok(enumTypeNames().includes(`${P}.VtepConnectionState`));
});

test('messageType takes relative or full names and caches one descriptor per type', () => {
  const n = messageType('Network');
  assert.equal(n.name, 'Network');
  assert.equal(n.fullName, `${P}.Network`);
  assert.equal(messageType(`${P}.Network`), n);
  assert.equal(messageType('Network'), n);

  const t = messageType('Rule.NatTarget');
  assert.equal(t.name, 'Rule.NatTarget');
  assert.equal(t.fullName, `${P}.Rule.NatTarget`);
  assert.equal(messageType(`${P}.Rule.NatTarget`), t);
  assert.equal(messageType('Dhcp.Host.ExtraDhcpOpt').fullName, `${P}.Dhcp.Host.ExtraDhcpOpt`);

  assert.throws(() => messageType('Nope'), { message: "Unknown protobuf message type 'Nope'" });
  assert.throws(() => messageType('NatTarget'), { message: "Unknown protobuf message type 'NatTarget'" });
  assert.throws(() => messageType('IPVersion'), { message: "Unknown protobuf message type 'IPVersion'" });
  assert.equal(hasMessageType('Port'), true);
  assert.equal(hasMessageType(`${P}.Rule.JumpRuleData`), true);
  assert.equal(hasMessageType('Nope'), false);
});

test('fields are in field-number order, with number, label, kind and type', () => {
  const port = messageType('Port');
  const numbers = port.fields.map((f) => f.number);
  assert.deepEqual(
    numbers,
    [...numbers].sort((a, b) => a - b),
  );
  assert.deepEqual(
    port.fields.slice(25, 30).map((f) => `${f.number}:${f.name}`),
    ['27:pre_out_filter_mirror_ids', '28:previous_host_id', '40:vni', '41:off_ramp_vxlan', '42:tunnel_ip'],
  );
  assert.deepEqual(
    { ...messageType('Network').field('id') },
    {
      name: 'id',
      number: 1,
      repeated: false,
      required: false,
      kind: 'message',
      typeName: `${P}.UUID`,
      isUuid: true,
    },
  );
  assert.deepEqual(
    { ...messageType('Network').field('port_ids') },
    {
      name: 'port_ids',
      number: 101,
      repeated: true,
      required: false,
      kind: 'message',
      typeName: `${P}.UUID`,
      isUuid: true,
    },
  );
  assert.deepEqual(
    { ...messageType('Network').field('tunnel_key') },
    {
      name: 'tunnel_key',
      number: 5,
      repeated: false,
      required: false,
      kind: 'uint64',
      isUuid: false,
    },
  );
  assert.deepEqual(
    { ...messageType('UUID').field('msb') },
    {
      name: 'msb',
      number: 1,
      repeated: false,
      required: true,
      kind: 'uint64',
      isUuid: false,
    },
  );
  assert.deepEqual(
    { ...messageType('IPAddress').field('version') },
    {
      name: 'version',
      number: 1,
      repeated: false,
      required: true,
      kind: 'enum',
      typeName: `${P}.IPVersion`,
      isUuid: false,
    },
  );
  assert.equal(messageType('Condition').field('dl_src_mask')?.kind, 'int64');
  assert.equal(messageType('Condition').field('tp_dst')?.typeName, `${P}.Int32Range`);
  assert.equal(messageType('Vip').field('session_persistence')?.typeName, `${P}.SessionPersistence`);
  assert.equal(messageType('Vip').field('session_persistence')?.kind, 'enum');
  assert.equal(messageType('NeutronVIP').field('session_persistence')?.typeName, `${P}.NeutronVIP.SessionPersistence`);
  assert.equal(messageType('NeutronVIP').field('session_persistence')?.kind, 'message');
  assert.equal(messageType('Network').field('nope'), undefined);
});

test('oneof members carry the oneof name', () => {
  const rule = messageType('Rule');
  assert.deepEqual(
    rule.fields.filter((f) => f.oneof !== undefined).map((f) => `${f.number}:${f.name}:${f.oneof}`),
    ['100:jump_rule_data:rule_data', '101:nat_rule_data:rule_data', '102:trace_rule_data:rule_data', '103:transform_rule_data:rule_data'],
  );
  assert.equal(rule.field('condition')?.oneof, undefined);
});

test('declared defaults are exposed in the Msg representation; implicit ones are not', () => {
  const defaults = (type: string): Record<string, unknown> =>
    Object.fromEntries(
      messageType(type)
        .fields.filter((f) => f.defaultValue !== undefined)
        .map((f) => [f.name, f.defaultValue]),
    );
  assert.deepEqual(defaults('Host'), {
    flooding_proxy_weight: 1,
    container_weight: 1,
    container_limit: -1,
    enforce_container_limit: false,
  });
  assert.deepEqual(defaults('Port'), { admin_state_up: true });
  assert.deepEqual(defaults('Router'), { as_number: -1 });
  assert.deepEqual(defaults('Pool'), { protocol: 'TCP', lb_method: 'ROUND_ROBIN', status: 'ACTIVE' });
  assert.deepEqual(defaults('HealthMonitor'), { type: 'TCP', status: 'ACTIVE' });
  assert.deepEqual(defaults('ServiceContainerGroup'), { policy: 'WEIGHTED_SCHEDULER' });
  assert.deepEqual(defaults('NeutronPort'), { device_owner: 'COMPUTE', port_security_enabled: true });
  assert.deepEqual(defaults('ContainerServiceStatus'), { weight: 1, quota: -1, count: 0 });
  assert.deepEqual(defaults('Condition'), {});
  assert.deepEqual(defaults('Rule'), {});
});

test('enumValues keeps declaration order, so the first value is the implicit default', () => {
  assert.deepEqual(enumValues('EtherType'), [
    { name: 'ARP', number: 2054 },
    { name: 'IPV4', number: 2048 },
    { name: 'IPV6', number: 34525 },
  ]);
  assert.deepEqual(enumValues(`${P}.Condition.FragmentPolicy`), [
    { name: 'ANY', number: 1 },
    { name: 'NONHEADER', number: 2 },
    { name: 'HEADER', number: 3 },
    { name: 'UNFRAGMENTED', number: 4 },
  ]);
  assert.deepEqual(
    enumValues('NeutronVIP.SessionPersistence.Type').map((v) => v.name),
    ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'],
  );
  assert.deepEqual(
    enumValues('Protocol')
      .slice(0, 4)
      .map((v) => `${v.name}=${v.number}`),
    ['TCP=6', 'UDP=17', 'ICMP=1', 'ICMPV6=58'],
  );
  assert.equal(enumValues('Protocol').length, 21);
  assert.equal(enumValues('Type').length, 29);
  assert.equal(enumValues('Rule.Type')[0]?.name, 'LITERAL_RULE');
  assert.equal(enumValues('EtherType'), enumValues(`${P}.EtherType`));
  assert.throws(() => enumValues('Network'), { message: "Unknown protobuf enum type 'Network'" });
});

test('loadExtraProto adds types in a sub-package and refuses redefinitions', () => {
  loadExtraProto(`
    syntax = "proto2";
    package org.midonet.cluster.models.schematest;
    message Holder { optional UUID ref = 1; repeated string tags = 2 [packed = false]; }
  `);
  const h = messageType('schematest.Holder');
  assert.equal(h.fullName, `${P}.schematest.Holder`);
  assert.equal(h.field('ref')?.isUuid, true);
  assert.equal(h.field('tags')?.repeated, true);
  assert.throws(() => loadExtraProto('syntax = "proto2"; package org.midonet.cluster.models.schematest; message Holder {}'), {
    message: `schema: extra proto redefines ${P}.schematest.Holder`,
  });
  assert.throws(() => loadExtraProto('syntax = "proto2"; package other; message X {}'), {
    message: "schema: extra proto must declare package org.midonet.cluster.models or a sub-package, not 'other'",
  });
});
