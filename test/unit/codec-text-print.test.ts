import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Msg } from '../../lib/models/types.js';
import { loadExtraProto } from '../../lib/models/schema.js';
import { parseText, printText, TextFormatError } from '../../lib/nsdb/codec/text-format.js';

// No NSDB field uses bytes, float, double or repeated scalars, so a test-only type covers them.
// f_nineteen is declared last to show that output follows field numbers, not declaration order.
loadExtraProto(`
  syntax = "proto2";
  package org.midonet.cluster.models.printtest;
  message AllTypes {
    enum Color { RED = 2; GREEN = 1; BLUE = 3; }
    message Inner { optional int32 a = 1; repeated string tags = 2; optional Inner child = 3; }
    optional int32 f_int32 = 1;
    optional sint32 f_sint32 = 2;
    optional sfixed32 f_sfixed32 = 3;
    optional uint32 f_uint32 = 4;
    optional fixed32 f_fixed32 = 5;
    optional int64 f_int64 = 6;
    optional sint64 f_sint64 = 7;
    optional sfixed64 f_sfixed64 = 8;
    optional uint64 f_uint64 = 9;
    optional fixed64 f_fixed64 = 10;
    optional bool f_bool = 11;
    optional string f_string = 12;
    optional bytes f_bytes = 13;
    optional double f_double = 14;
    optional float f_float = 15;
    optional Color f_enum = 16;
    optional Inner f_inner = 17;
    optional UUID f_uuid = 18;
    repeated int32 r_int32 = 20;
    repeated uint64 r_uint64 = 21;
    repeated string r_string = 22;
    repeated bool r_bool = 23;
    repeated Color r_enum = 24;
    repeated Inner r_inner = 25;
    repeated UUID r_uuid = 26;
    repeated bytes r_bytes = 27;
    oneof choice { int32 c_int = 30; string c_str = 31; Inner c_msg = 32; }
    optional int32 f_nineteen = 19;
  }
`);
const ALL = 'printtest.AllTypes';

const U1 = '00000000-0000-0000-0000-000000000001';
const U2 = '3f2a1b4c-5d6e-4f70-a1b2-c3d4e5f60718';
const U3 = 'c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab';

/** Lines joined with '\n', each ending in '\n' (the printer's layout). */
function lines(...l: string[]): string {
  return l.map((x) => `${x}\n`).join('');
}

test('every field kind prints per §6.1 and parses back to the same Msg', () => {
  // Keys deliberately not in field-number order.
  const msg: Msg = {
    c_str: 'pick',
    r_bytes: [Buffer.from('ab'), Buffer.alloc(0)],
    r_uuid: [U1, U2],
    r_inner: [{}, { a: 2 }],
    r_enum: ['RED', 'GREEN'],
    r_bool: [true, false],
    r_string: ['', 'é'],
    r_uint64: [0n, 18446744073709551615n],
    r_int32: [1, -1, 0],
    f_nineteen: 19,
    f_uuid: U3,
    f_inner: { child: { a: 1 }, tags: ['x', 'y'], a: -7 },
    f_enum: 'BLUE',
    f_float: 0.25,
    f_double: 1.5,
    f_bytes: Buffer.from([0x00, 0x01, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff, 0x22, 0x27, 0x5c, 0x0a]),
    f_string: 'café "q" it\'s \\ \n\t\u0001\u007f \u{1F600}',
    f_bool: false,
    f_fixed64: 9223372036854775808n,
    f_uint64: 18446744073709551615n,
    f_sfixed64: 9223372036854775807n,
    f_sint64: -1n,
    f_int64: -9223372036854775808n,
    f_fixed32: 2147483648,
    f_uint32: 4294967295,
    f_sfixed32: 2147483647,
    f_sint32: -1,
    f_int32: -2147483648,
  };
  const text = printText(ALL, msg);
  assert.equal(
    text,
    lines(
      'f_int32: -2147483648',
      'f_sint32: -1',
      'f_sfixed32: 2147483647',
      'f_uint32: 4294967295',
      'f_fixed32: 2147483648',
      'f_int64: -9223372036854775808',
      'f_sint64: -1',
      'f_sfixed64: 9223372036854775807',
      'f_uint64: 18446744073709551615',
      'f_fixed64: 9223372036854775808',
      'f_bool: false',
      'f_string: "caf\\303\\251 \\"q\\" it\\\'s \\\\ \\n\\t\\001\x7f \\360\\237\\230\\200"',
      'f_bytes: "\\000\\001\\037 ~\x7f\\200\\377\\"\\\'\\\\\\n"',
      'f_double: 1.5',
      'f_float: 0.25',
      'f_enum: BLUE',
      'f_inner {',
      '  a: -7',
      '  tags: "x"',
      '  tags: "y"',
      '  child {',
      '    a: 1',
      '  }',
      '}',
      'f_uuid {',
      '  msb: 14250202791324372029',
      '  lsb: 10276934125682657707',
      '}',
      'f_nineteen: 19',
      'r_int32: 1',
      'r_int32: -1',
      'r_int32: 0',
      'r_uint64: 0',
      'r_uint64: 18446744073709551615',
      'r_string: ""',
      'r_string: "\\303\\251"',
      'r_bool: true',
      'r_bool: false',
      'r_enum: RED',
      'r_enum: GREEN',
      'r_inner {',
      '}',
      'r_inner {',
      '  a: 2',
      '}',
      'r_uuid {',
      '  msb: 0',
      '  lsb: 1',
      '}',
      'r_uuid {',
      '  msb: 4551480388210282352',
      '  lsb: 11651590505119483672',
      '}',
      'r_bytes: "ab"',
      'r_bytes: ""',
      'c_str: "pick"',
    ),
  );
  assert.deepEqual(parseText(ALL, text, { allowUnknownFields: false }), msg);
});

test('string escaping: UTF-8 octal, C escapes, quotes, backslash, control bytes', () => {
  const p = (s: string): string => printText('Network', { name: s });
  assert.equal(p('café'), 'name: "caf\\303\\251"\n');
  assert.equal(p("it's"), 'name: "it\\\'s"\n');
  assert.equal(p('say "hi"'), 'name: "say \\"hi\\""\n');
  assert.equal(p('back\\slash'), 'name: "back\\\\slash"\n');
  assert.equal(p('two\nlines'), 'name: "two\\nlines"\n');
  assert.equal(p('\x07\b\t\n\v\f\r'), 'name: "\\a\\b\\t\\n\\v\\f\\r"\n');
  assert.equal(p('\x00\x01\x1b\x1f'), 'name: "\\000\\001\\033\\037"\n');
  assert.equal(p('del\x7f ~'), 'name: "del\x7f ~"\n');
  assert.equal(p('☃'), 'name: "\\342\\230\\203"\n');
  assert.equal(p('\u{1F600}'), 'name: "\\360\\237\\230\\200"\n');
  // An unpaired surrogate is encoded the way Java's UTF-8 encoder does it: as '?'.
  assert.equal(p('a\uD800b\uDC00'), 'name: "a?b?"\n');
  assert.equal(p(''), 'name: ""\n');
  assert.equal(p('plain ASCII #1: ok'), 'name: "plain ASCII #1: ok"\n');
});

test('doubles and floats print like Java Double/Float.toString', () => {
  const d = (v: number): string => printText(ALL, { f_double: v });
  assert.equal(d(1), 'f_double: 1.0\n');
  assert.equal(d(123.456), 'f_double: 123.456\n');
  assert.equal(d(9999999), 'f_double: 9999999.0\n');
  assert.equal(d(1e7), 'f_double: 1.0E7\n');
  assert.equal(d(1e10), 'f_double: 1.0E10\n');
  assert.equal(d(0.001), 'f_double: 0.001\n');
  assert.equal(d(1e-4), 'f_double: 1.0E-4\n');
  assert.equal(d(1.2345678e-7), 'f_double: 1.2345678E-7\n');
  assert.equal(d(-0), 'f_double: -0.0\n');
  assert.equal(d(NaN), 'f_double: NaN\n');
  assert.equal(d(-Infinity), 'f_double: -Infinity\n');
  assert.equal(printText(ALL, { f_float: 0.1 }), 'f_float: 0.1\n');
  assert.equal(printText(ALL, { f_float: 1 / 3 }), 'f_float: 0.33333334\n');
  assert.equal(printText(ALL, { f_float: Infinity }), 'f_float: Infinity\n');
});

test('presence: unset and undefined fields, empty lists print nothing; empty message is ""', () => {
  assert.equal(printText('Network', {}), '');
  assert.equal(printText('Network', { name: undefined, port_ids: [], admin_state_up: false }), 'admin_state_up: false\n');
  assert.equal(printText('Rule', { condition: {} }), 'condition {\n}\n');
  assert.equal(printText('Router', { as_number: 0 }), 'as_number: 0\n');
  // An unknown key holding undefined is as good as absent.
  assert.equal(printText('Network', { nope: undefined, vni: 0 }), 'vni: 0\n');
});

test('storage.md §2.3 Network example', () => {
  const msg: Msg = {
    id: '00000000-0000-3039-0000-000000010932',
    tenant_id: 't1',
    name: 'net',
    admin_state_up: true,
    port_ids: ['00000000-0000-0001-0000-000000000002'],
  };
  const text = lines(
    'id {',
    '  msb: 12345',
    '  lsb: 67890',
    '}',
    'tenant_id: "t1"',
    'name: "net"',
    'admin_state_up: true',
    'port_ids {',
    '  msb: 1',
    '  lsb: 2',
    '}',
  );
  assert.equal(printText('Network', msg), text);
  assert.deepEqual(parseText('Network', text), msg);
});

test('nsdb-models.md §1.1–1.4 and §1.8 field snippets', () => {
  assert.equal(printText('Network', { id: U3 }), lines('id {', '  msb: 14250202791324372029', '  lsb: 10276934125682657707', '}'));
  assert.equal(
    printText('Port', { port_address: { version: 'V4', address: '192.168.1.1' } }),
    lines('port_address {', '  version: V4', '  address: "192.168.1.1"', '}'),
  );
  assert.equal(
    printText('Route', { dst_subnet: { version: 'V6', address: '2001:db8:0:0:0:0:0:0', prefix_length: 64 } }),
    lines('dst_subnet {', '  version: V6', '  address: "2001:db8:0:0:0:0:0:0"', '  prefix_length: 64', '}'),
  );
  assert.equal(printText('Condition', { tp_dst: { start: 80, end: 80 } }), lines('tp_dst {', '  start: 80', '  end: 80', '}'));
  assert.equal(printText('Condition', { tp_src: { start: 1024 } }), lines('tp_src {', '  start: 1024', '}'));
  assert.equal(
    printText('Condition', { in_port_ids: [U1, U2] }),
    lines('in_port_ids {', '  msb: 0', '  lsb: 1', '}', 'in_port_ids {', '  msb: 4551480388210282352', '  lsb: 11651590505119483672', '}'),
  );
  assert.equal(
    printText('Dhcp', {
      dns_server_address: [
        { version: 'V4', address: '8.8.8.8' },
        { version: 'V4', address: '8.8.4.4' },
      ],
    }),
    lines('dns_server_address {', '  version: V4', '  address: "8.8.8.8"', '}', 'dns_server_address {', '  version: V4', '  address: "8.8.4.4"', '}'),
  );
});

/** The condition the REST layer writes for nsdb-models.md §1.8's accept rule. */
const REST_CONDITION: Msg = {
  conjunction_inv: false,
  match_forward_flow: false,
  match_return_flow: false,
  in_port_inv: false,
  out_port_inv: false,
  inv_port_group: false,
  inv_ip_addr_group_id_src: false,
  inv_ip_addr_group_id_dst: false,
  inv_dl_type: false,
  inv_dl_src: false,
  inv_dl_dst: false,
  nw_tos_inv: false,
  nw_proto: 6,
  nw_proto_inv: false,
  nw_dst_ip: { version: 'V4', address: '10.0.0.0', prefix_length: 24 },
  tp_dst: { start: 80, end: 80 },
  nw_src_inv: false,
  nw_dst_inv: false,
  tp_src_inv: false,
  tp_dst_inv: false,
  traversed_device_inv: false,
  fragment_policy: 'HEADER',
  no_vlan: false,
  icmp_data_src_ip_inv: false,
  icmp_data_dst_ip_inv: false,
  inv_in_port_group: false,
  inv_out_port_group: false,
  match_nw_dst_rewritten: false,
};

test('nsdb-models.md §1.8 REST condition example', () => {
  const text = lines(
    'condition {',
    '  conjunction_inv: false',
    '  match_forward_flow: false',
    '  match_return_flow: false',
    '  in_port_inv: false',
    '  out_port_inv: false',
    '  inv_port_group: false',
    '  inv_ip_addr_group_id_src: false',
    '  inv_ip_addr_group_id_dst: false',
    '  inv_dl_type: false',
    '  inv_dl_src: false',
    '  inv_dl_dst: false',
    '  nw_tos_inv: false',
    '  nw_proto: 6',
    '  nw_proto_inv: false',
    '  nw_dst_ip {',
    '    version: V4',
    '    address: "10.0.0.0"',
    '    prefix_length: 24',
    '  }',
    '  tp_dst {',
    '    start: 80',
    '    end: 80',
    '  }',
    '  nw_src_inv: false',
    '  nw_dst_inv: false',
    '  tp_src_inv: false',
    '  tp_dst_inv: false',
    '  traversed_device_inv: false',
    '  fragment_policy: HEADER',
    '  no_vlan: false',
    '  icmp_data_src_ip_inv: false',
    '  icmp_data_dst_ip_inv: false',
    '  inv_in_port_group: false',
    '  inv_out_port_group: false',
    '  match_nw_dst_rewritten: false',
    '}',
  );
  assert.equal(printText('Rule', { condition: REST_CONDITION }), text);
  assert.deepEqual(parseText('Rule', text), { condition: REST_CONDITION });
});

test('nsdb-models.md §2.3 whole-object examples', () => {
  assert.equal(
    printText('Network', { id: U3, tenant_id: 'acme', name: 'blue', admin_state_up: true }),
    lines('id {', '  msb: 14250202791324372029', '  lsb: 10276934125682657707', '}', 'tenant_id: "acme"', 'name: "blue"', 'admin_state_up: true'),
  );
  assert.equal(
    printText('BgpPeer', {
      password: 's3cret',
      router_id: U3,
      address: { address: '192.0.2.1', version: 'V4' },
      as_number: 65001,
      id: U1,
    }),
    lines(
      'id {',
      '  msb: 0',
      '  lsb: 1',
      '}',
      'as_number: 65001',
      'address {',
      '  version: V4',
      '  address: "192.0.2.1"',
      '}',
      'router_id {',
      '  msb: 14250202791324372029',
      '  lsb: 10276934125682657707',
      '}',
      'password: "s3cret"',
    ),
  );
  const target = { version: 'V4', address: '203.0.113.10' };
  assert.equal(
    printText('Rule', {
      id: U2,
      type: 'NAT_RULE',
      chain_id: U1,
      action: 'ACCEPT',
      condition: { conjunction_inv: false, fragment_policy: 'ANY' },
      nat_rule_data: { nat_targets: [{ nw_start: target, nw_end: target, tp_start: 0, tp_end: 0 }], dnat: true, reverse: false },
    }),
    lines(
      'id {',
      '  msb: 4551480388210282352',
      '  lsb: 11651590505119483672',
      '}',
      'type: NAT_RULE',
      'chain_id {',
      '  msb: 0',
      '  lsb: 1',
      '}',
      'action: ACCEPT',
      'condition {',
      '  conjunction_inv: false',
      '  fragment_policy: ANY',
      '}',
      'nat_rule_data {',
      '  nat_targets {',
      '    nw_start {',
      '      version: V4',
      '      address: "203.0.113.10"',
      '    }',
      '    nw_end {',
      '      version: V4',
      '      address: "203.0.113.10"',
      '    }',
      '    tp_start: 0',
      '    tp_end: 0',
      '  }',
      '  dnat: true',
      '  reverse: false',
      '}',
    ),
  );
  assert.equal(
    printText('TunnelZone', { hosts: [{ host_id: U1, ip: { version: 'V4', address: '10.1.1.1' } }], host_ids: [U1] }),
    lines(
      'hosts {',
      '  host_id {',
      '    msb: 0',
      '    lsb: 1',
      '  }',
      '  ip {',
      '    version: V4',
      '    address: "10.1.1.1"',
      '  }',
      '}',
      'host_ids {',
      '  msb: 0',
      '  lsb: 1',
      '}',
    ),
  );
});

test('nsdb-models.md §6.1 router example', () => {
  const msg: Msg = {
    local_redirect_chain_id: '00000000-0000-0000-0000-000000000004',
    as_number: 0,
    route_ids: ['00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000003'],
    admin_state_up: true,
    name: 'edge "A" café',
    tenant_id: 'acme',
    id: U1,
  };
  const text = lines(
    'id {',
    '  msb: 0',
    '  lsb: 1',
    '}',
    'tenant_id: "acme"',
    'name: "edge \\"A\\" caf\\303\\251"',
    'admin_state_up: true',
    'route_ids {',
    '  msb: 0',
    '  lsb: 2',
    '}',
    'route_ids {',
    '  msb: 0',
    '  lsb: 3',
    '}',
    'as_number: 0',
    'local_redirect_chain_id {',
    '  msb: 0',
    '  lsb: 4',
    '}',
  );
  assert.equal(printText('Router', msg), text);
  assert.deepEqual(parseText('Router', text), msg);
});

test('upper-case UUID strings print the same halves', () => {
  assert.equal(printText('Network', { id: U3.toUpperCase() }), printText('Network', { id: U3 }));
});

test('printText validates while printing and names the message and field', () => {
  const bad = (type: string, msg: unknown, message: string): void => {
    assert.throws(
      () => printText(type, msg as Msg),
      (e: unknown) => {
        assert.ok(e instanceof TextFormatError);
        assert.equal(e.message, message);
        return true;
      },
    );
  };
  const N = 'org.midonet.cluster.models.Network';
  bad('Network', { bogus: 1 }, `Cannot print ${N}: it has no field named "bogus"`);
  bad('Network', { name: 5 }, `Cannot print ${N}.name: expected a string, got number 5`);
  bad('Network', { name: null }, `Cannot print ${N}.name: expected a string, got null`);
  bad('Network', { admin_state_up: 'true' }, `Cannot print ${N}.admin_state_up: expected a boolean, got string "true"`);
  bad('Network', { tunnel_key: 5 }, `Cannot print ${N}.tunnel_key: expected a bigint, got number 5`);
  bad('Network', { tunnel_key: -1n }, `Cannot print ${N}.tunnel_key: value -1 is not a 64-bit unsigned integer`);
  bad('Network', { tunnel_key: 1n << 64n }, `Cannot print ${N}.tunnel_key: value 18446744073709551616 is not a 64-bit unsigned integer`);
  bad('Network', { vni: -1 }, `Cannot print ${N}.vni: value -1 is not a 32-bit unsigned integer`);
  bad('Network', { vni: 4294967296 }, `Cannot print ${N}.vni: value 4294967296 is not a 32-bit unsigned integer`);
  bad('Network', { vni: 1.5 }, `Cannot print ${N}.vni: value 1.5 is not a 32-bit unsigned integer`);
  bad('Network', { vni: 7n }, `Cannot print ${N}.vni: expected a number, got bigint 7`);
  bad('Router', { as_number: 2147483648 }, 'Cannot print org.midonet.cluster.models.Router.as_number: value 2147483648 is not a 32-bit signed integer');
  bad(
    'Condition',
    { dl_src_mask: 1n << 63n },
    'Cannot print org.midonet.cluster.models.Condition.dl_src_mask: value 9223372036854775808 is not a 64-bit signed integer',
  );
  bad('Network', { id: 'nope' }, `Cannot print ${N}.id: invalid UUID string "nope"`);
  bad('Network', { id: { msb: 0n, lsb: 1n } }, `Cannot print ${N}.id: expected a UUID string, got an object`);
  bad('Network', { port_ids: U1 }, `Cannot print ${N}.port_ids: expected an array, got string "${U1}"`);
  bad('Network', { port_ids: [U1, 5] }, `Cannot print ${N}.port_ids[1]: expected a UUID string, got number 5`);
  bad('Network', { name: ['a'] }, `Cannot print ${N}.name: expected a single value, got an array`);
  bad(
    'Route',
    { next_hop: 'WARP' },
    'Cannot print org.midonet.cluster.models.Route.next_hop: enum org.midonet.cluster.models.Route.NextHop has no value named "WARP"',
  );
  bad('Route', { next_hop: 2 }, 'Cannot print org.midonet.cluster.models.Route.next_hop: expected an enum value name, got number 2');
  bad('Rule', { condition: 'x' }, 'Cannot print org.midonet.cluster.models.Rule.condition: expected a message object, got string "x"');
  bad(
    'Rule',
    { condition: { nw_dst_ip: { version: 'V7' } } },
    'Cannot print org.midonet.cluster.models.IPSubnet.version: enum org.midonet.cluster.models.IPVersion has no value named "V7"',
  );
  bad('Port', { port_address: { version: 'V4' } }, 'Cannot print org.midonet.cluster.models.IPAddress: required field address is not set');
  bad(
    'Rule',
    { jump_rule_data: {}, nat_rule_data: {} },
    'Cannot print org.midonet.cluster.models.Rule: jump_rule_data and nat_rule_data are both set, but oneof rule_data holds one value',
  );
  bad(ALL, { f_bytes: 'abc' }, 'Cannot print org.midonet.cluster.models.printtest.AllTypes.f_bytes: expected a Buffer, got string "abc"');
  bad('Network', null, 'Cannot print org.midonet.cluster.models.Network: expected a message object, got null');
  assert.throws(() => printText('Nope', {}), { message: "Unknown protobuf message type 'Nope'" });
});
