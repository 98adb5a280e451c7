import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Msg } from '../../lib/models/types.js';
import { loadExtraProto } from '../../lib/models/schema.js';
import { parseText, printText, TextParseError } from '../../lib/nsdb/codec/text-format.js';
import { halvesToUuid } from '../../lib/nsdb/codec/uuid.js';

loadExtraProto(`
  syntax = "proto2";
  package org.midonet.cluster.models.parsetest;
  message AllTypes {
    enum Color { RED = 2; GREEN = 1; BLUE = 3; }
    optional int32 f_int32 = 1;
    optional uint32 f_uint32 = 4;
    optional int64 f_int64 = 6;
    optional uint64 f_uint64 = 9;
    optional bytes f_bytes = 13;
    optional double f_double = 14;
    optional float f_float = 15;
    repeated int32 r_int32 = 20;
    repeated string r_string = 22;
    repeated Color r_enum = 24;
  }
`);
const ALL = 'parsetest.AllTypes';

const U1 = '00000000-0000-0000-0000-000000000001';
const U2 = '00000000-0000-0000-0000-000000000002';
const U3 = '00000000-0000-0000-0000-000000000003';

/** Asserts a TextParseError with exactly this message (which starts with line:column). */
function rejects(type: string, text: string, message: string, allowUnknownFields = true): void {
  assert.throws(
    () => parseText(type, text, { allowUnknownFields }),
    (e: unknown) => {
      assert.ok(e instanceof TextParseError, `expected TextParseError, got ${String(e)}`);
      assert.equal(e.message, message);
      const [line, column] = message.split(':').map(Number);
      assert.equal(e.line, line);
      assert.equal(e.column, column);
      return true;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Accepted input

test('empty input and comment-only input parse to the empty message', () => {
  assert.deepEqual(parseText('Network', ''), {});
  assert.deepEqual(parseText('Network', '  \n\t# nothing here\n'), {});
});

test('comments run to the end of the line, anywhere between tokens', () => {
  const text = '# leading comment\nname: "n" # trailing\n\n# id follows\nid { # inside\n msb: 0 # c\n lsb: 1\n}\n# end';
  assert.deepEqual(parseText('Network', text), { name: 'n', id: U1 });
  // '#' inside a string literal is not a comment.
  assert.deepEqual(parseText('Network', 'name: "a # b"'), { name: 'a # b' });
});

test('layout is irrelevant: no whitespace, tabs, CRLF', () => {
  assert.deepEqual(parseText('Network', 'id{msb:0 lsb:1}name:"x"tenant_id:\'y\''), { id: U1, name: 'x', tenant_id: 'y' });
  assert.deepEqual(parseText('Network', 'name:\t"x"\r\n\r\ntenant_id :  "y"\r\n'), { name: 'x', tenant_id: 'y' });
});

test('message blocks: {…}, <…>, and an optional colon before the bracket', () => {
  assert.deepEqual(parseText('Network', 'id < msb: 0 lsb: 1 >'), { id: U1 });
  assert.deepEqual(parseText('Network', 'id: < msb: 0 lsb: 1 >'), { id: U1 });
  assert.deepEqual(parseText('Network', 'id: { msb: 0 lsb: 1 }'), { id: U1 });
  assert.deepEqual(parseText('Rule', 'condition: < tp_dst { start: 80 } >'), { condition: { tp_dst: { start: 80 } } });
  assert.deepEqual(parseText('Rule', 'condition {}'), { condition: {} });
});

test('UUID blocks come back as canonical lower-case strings', () => {
  assert.deepEqual(parseText('Network', 'id { msb: 14250202791324372029 lsb: 10276934125682657707 }'), {
    id: 'c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab',
  });
  // Field order inside the block does not matter either.
  assert.deepEqual(parseText('Network', 'id { lsb: 0xff msb: 0x1 }'), { id: '00000000-0000-0001-0000-0000000000ff' });
});

test('list syntax for repeated fields, scalars and messages', () => {
  assert.deepEqual(parseText('Network', 'port_ids: [{msb: 0 lsb: 1}, <msb: 0 lsb: 2>] port_ids [ { msb: 0 lsb: 3 } ]'), { port_ids: [U1, U2, U3] });
  assert.deepEqual(parseText(ALL, 'r_int32: [1, -2, 0x10, 010] r_string: ["a", \'b\' "c"] r_enum: [RED, 3]'), {
    r_int32: [1, -2, 16, 8],
    r_string: ['a', 'bc'],
    r_enum: ['RED', 'BLUE'],
  });
});

test('repeated occurrences append in order even when not adjacent', () => {
  assert.deepEqual(parseText('Network', 'port_ids {msb:0 lsb:1} name: "x" port_ids {msb:0 lsb:2}'), {
    port_ids: [U1, U2],
    name: 'x',
  });
});

test('integers: decimal, 0x hex, leading-0 octal, signs, full 64-bit ranges', () => {
  assert.deepEqual(parseText('Network', 'vni: 0x10'), { vni: 16 });
  assert.deepEqual(parseText('Network', 'vni: 010'), { vni: 8 });
  assert.deepEqual(parseText('Network', 'vni: 0'), { vni: 0 });
  assert.deepEqual(parseText('Network', 'vni: 4294967295'), { vni: 4294967295 });
  assert.deepEqual(parseText('Network', 'vni: 0xffffffff'), { vni: 4294967295 });
  assert.deepEqual(parseText('Network', 'tunnel_key: 18446744073709551615'), { tunnel_key: 18446744073709551615n });
  assert.deepEqual(parseText('Network', 'tunnel_key: 0xffffffffffffffff'), { tunnel_key: 18446744073709551615n });
  assert.deepEqual(parseText('Network', 'tunnel_key: 01777777777777777777777'), { tunnel_key: 18446744073709551615n });
  assert.deepEqual(parseText('Network', 'tunnel_key: 0xABCdef'), { tunnel_key: 0xabcdefn });
  assert.deepEqual(parseText('Router', 'as_number: -2147483648'), { as_number: -2147483648 });
  assert.deepEqual(parseText('Router', 'as_number: -0x80000000'), { as_number: -2147483648 });
  assert.deepEqual(parseText('Router', 'as_number: -010'), { as_number: -8 });
  assert.deepEqual(parseText('Router', 'as_number: -0'), { as_number: 0 });
  assert.deepEqual(parseText('Condition', 'dl_src_mask: -9223372036854775808'), { dl_src_mask: -9223372036854775808n });
  assert.deepEqual(parseText('Condition', 'dl_src_mask: 281474976710655'), { dl_src_mask: 281474976710655n });
  // Long.parseLong accepts a '+' sign, so 2.6.1 does too.
  assert.deepEqual(parseText(ALL, 'f_int32: +5'), { f_int32: 5 });
  assert.deepEqual(parseText(ALL, 'f_int64: -0x7fffffffffffffff f_uint64: 0'), {
    f_int64: -9223372036854775807n,
    f_uint64: 0n,
  });
});

test('bool spellings: true/t/1 and false/f/0', () => {
  for (const [v, expected] of [
    ['true', true],
    ['t', true],
    ['1', true],
    ['false', false],
    ['f', false],
    ['0', false],
  ] as const) {
    assert.deepEqual(parseText('Network', `admin_state_up: ${v}`), { admin_state_up: expected });
  }
});

test('enums by name or by number', () => {
  assert.deepEqual(parseText('Route', 'next_hop: REJECT'), { next_hop: 'REJECT' });
  assert.deepEqual(parseText('Route', 'next_hop: 2'), { next_hop: 'PORT' });
  assert.deepEqual(parseText('Route', 'next_hop: 0'), { next_hop: 'BLACKHOLE' });
  assert.deepEqual(parseText('Route', 'next_hop: 0x3'), { next_hop: 'LOCAL' });
  assert.deepEqual(parseText('SecurityGroupRule', 'ethertype: 2048 protocol: 1'), { ethertype: 'IPV4', protocol: 'ICMP' });
});

test('strings: single or double quotes, adjacent literals concatenated as bytes, raw UTF-8', () => {
  assert.deepEqual(parseText('Network', "name: 'it\\'s'"), { name: "it's" });
  assert.deepEqual(parseText('Network', 'name: \'say "hi"\''), { name: 'say "hi"' });
  assert.deepEqual(parseText('Network', 'name: "it\'s"'), { name: "it's" });
  assert.deepEqual(parseText('Network', 'name: "ab" \'cd\'\n  "e"'), { name: 'abcde' });
  // A UTF-8 sequence split over two literals is joined before decoding.
  assert.deepEqual(parseText('Network', 'name: "caf\\303" "\\251"'), { name: 'café' });
  assert.deepEqual(parseText('Network', 'name: "plain" "caf\\303\\251"'), { name: 'plaincafé' });
  assert.deepEqual(parseText('Network', 'name: "café ☃ 😀"'), { name: 'café ☃ 😀' });
  assert.deepEqual(parseText('Network', 'name: ""'), { name: '' });
});

test('every escape sequence', () => {
  assert.deepEqual(parseText('Network', 'name: "\\a\\b\\f\\n\\r\\t\\v\\\\\\\'\\"|\\x41\\x4a\\x4\\101\\0\\12|\\x7e"'), {
    name: '\x07\b\f\n\r\t\v\\\'"|AJ\x04A\x00\n|~',
  });
  assert.deepEqual(parseText(ALL, 'f_bytes: "\\377\\000a\\x80\\777é"'), {
    f_bytes: Buffer.from([0xff, 0x00, 0x61, 0x80, 0xff, 0xc3, 0xa9]),
  });
  // Bytes that are not UTF-8 decode to U+FFFD in a string field, as Java's decoder does.
  assert.deepEqual(parseText('Network', 'name: "a\\377b"'), { name: 'a\ufffdb' });
});

test('floating point values', () => {
  assert.deepEqual(parseText(ALL, 'f_double: 1.0E10'), { f_double: 1e10 });
  assert.deepEqual(parseText(ALL, 'f_double: -1.5e-3'), { f_double: -0.0015 });
  assert.deepEqual(parseText(ALL, 'f_double: 5'), { f_double: 5 });
  assert.deepEqual(parseText(ALL, 'f_double: .25'), { f_double: 0.25 });
  assert.deepEqual(parseText(ALL, 'f_double: -inf'), { f_double: -Infinity });
  assert.deepEqual(parseText(ALL, 'f_double: Infinity'), { f_double: Infinity });
  assert.deepEqual(parseText(ALL, 'f_double: nan'), { f_double: NaN });
  assert.deepEqual(parseText(ALL, 'f_double: 0x1.8p1'), { f_double: 3 });
  assert.deepEqual(parseText(ALL, 'f_float: 1.5f'), { f_float: 1.5 });
  assert.deepEqual(parseText(ALL, 'f_float: 0.1'), { f_float: Math.fround(0.1) });
  assert.deepEqual(parseText(ALL, 'f_float: -infinityf'), { f_float: -Infinity });
});

test('unknown fields are skipped by default, in every shape 2.6.1 can skip', () => {
  const text = [
    'bogus: 1',
    'name: "n"',
    'other { a: 1; b: "x", c { d: 2 } e < > }',
    'more: "a" \'b\'',
    'x: ident',
    'y: -1.5',
    'z: <q: 1>',
    'w { }',
    '[ext.name]: 5',
    'u: -inf',
    'tenant_id: "t"',
  ].join('\n');
  assert.deepEqual(parseText('Network', text), { name: 'n', tenant_id: 't' });
  // Inside known sub-messages too.
  assert.deepEqual(parseText('Rule', 'condition { future_flag: true nw_proto: 6 }'), { condition: { nw_proto: 6 } });
});

test('singular fields: last occurrence wins; a message block replaces the earlier one', () => {
  assert.deepEqual(parseText('Network', 'name: "a" name: "b"'), { name: 'b' });
  assert.deepEqual(parseText('Condition', 'nw_dst_ip { version: V4 address: "1.1.1.1" prefix_length: 8 } nw_dst_ip { version: V6 address: "::" }'), {
    nw_dst_ip: { version: 'V6', address: '::' },
  });
  assert.deepEqual(parseText('Network', 'id { msb: 0 lsb: 1 } id { msb: 0 lsb: 2 }'), { id: U2 });
  // An incomplete block that a later one replaces is not an error (the check runs on the result).
  assert.deepEqual(parseText('Network', 'id { lsb: 1 } id { msb: 0 lsb: 1 }'), { id: U1 });
  assert.deepEqual(parseText('Port', 'port_address { version: V4 } port_address { version: V4 address: "1.2.3.4" }'), {
    port_address: { version: 'V4', address: '1.2.3.4' },
  });
});

test('setting a oneof member clears the others', () => {
  const a = parseText('Rule', 'jump_rule_data { jump_chain_name: "j" } nat_rule_data { dnat: true }');
  assert.deepEqual(a, { nat_rule_data: { dnat: true } });
  assert.equal('jump_rule_data' in a, false);
  assert.deepEqual(parseText('Rule', 'nat_rule_data { dnat: true } type: NAT_RULE transform_rule_data { pop_vlan: true }'), {
    type: 'NAT_RULE',
    transform_rule_data: { pop_vlan: true },
  });
});

test('strict mode (state keys) accepts a full HostState value', () => {
  const text = [
    'host_id {',
    '  msb: 0',
    '  lsb: 1',
    '}',
    'interfaces {',
    '  name: "eth0"',
    '  type: PHYSICAL',
    '  mac: "02:00:00:00:00:01"',
    '  addresses {',
    '    version: V4',
    '    address: "10.0.0.1"',
    '  }',
    '  up: true',
    '  has_link: true',
    '  mtu: 1500',
    '  endpoint: PHYSICAL_EP',
    '  port_type: NET_DEV_DP',
    '  ifindex: 2',
    '}',
    '',
  ].join('\n');
  const msg = parseText('HostState', text, { allowUnknownFields: false });
  assert.deepEqual(msg, {
    host_id: U1,
    interfaces: [
      {
        name: 'eth0',
        type: 'PHYSICAL',
        mac: '02:00:00:00:00:01',
        addresses: [{ version: 'V4', address: '10.0.0.1' }],
        up: true,
        has_link: true,
        mtu: 1500,
        endpoint: 'PHYSICAL_EP',
        port_type: 'NET_DEV_DP',
        ifindex: 2,
      },
    ],
  });
  assert.equal(printText('HostState', msg), text);
});

test('a Rule with every kind of sub-message survives print → parse → print', () => {
  const rule: Msg = {
    id: 'c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab',
    type: 'L2TRANSFORM_RULE',
    chain_id: U1,
    action: 'REDIRECT',
    condition: {
      in_port_ids: [U2, U3],
      dl_src: 'aa:bb:cc:dd:ee:ff',
      dl_src_mask: 281474959933440n,
      nw_src_ip: { version: 'V6', address: '2001:db8:0:0:0:0:0:0', prefix_length: 64 },
      tp_src: { start: 1024 },
      fragment_policy: 'UNFRAGMENTED',
      vlan: 4095,
    },
    metadata: [{ key: 'k', value: 'v "q"' }, {}],
    transform_rule_data: { pop_vlan: false, push_vlan: 0, target_port_id: U2, ingress: true, fail_open: false },
  };
  const text = printText('Rule', rule);
  const back = parseText('Rule', text, { allowUnknownFields: false });
  assert.deepEqual(back, rule);
  assert.equal(printText('Rule', back), text);
});

// ---------------------------------------------------------------------------------------------
// Rejected input

test('missing required fields are reported after the parse, at the incomplete block', () => {
  rejects('Network', 'id {\n  lsb: 1\n}\n', '1:4: Message missing required fields: id.msb');
  rejects('Network', 'id { }', '1:4: Message missing required fields: id.msb, id.lsb');
  rejects(
    'Rule',
    'condition {\n  in_port_ids { msb: 0 lsb: 1 }\n  in_port_ids { msb: 0 }\n}\n',
    '3:15: Message missing required fields: condition.in_port_ids[1].lsb',
  );
  rejects('Port', 'port_address { version: V4 }', '1:14: Message missing required fields: port_address.address');
  rejects(
    'Dhcp',
    'server_address { address: "1.1.1.1" }\nhosts { ip_address { version: V4 } }',
    '1:16: Message missing required fields: server_address.version, hosts[0].ip_address.address',
  );
  rejects('UUID', 'msb: 1', '1:1: Message missing required fields: lsb');
  rejects('Network', 'port_ids: [{msb: 0 lsb: 1}, <lsb: 2>]', '1:29: Message missing required fields: port_ids[1].msb');
});

test('integers out of range, negative for unsigned, malformed', () => {
  rejects('Router', 'as_number: 2147483648', "1:12: Couldn't parse integer: Number out of range for 32-bit signed integer: 2147483648");
  rejects('Router', 'as_number: -2147483649', "1:12: Couldn't parse integer: Number out of range for 32-bit signed integer: -2147483649");
  rejects('Network', 'vni: 4294967296', "1:6: Couldn't parse integer: Number out of range for 32-bit unsigned integer: 4294967296");
  rejects('Network', 'vni: 0x100000000', "1:6: Couldn't parse integer: Number out of range for 32-bit unsigned integer: 0x100000000");
  rejects('Network', 'tunnel_key: 18446744073709551616', "1:13: Couldn't parse integer: Number out of range for 64-bit unsigned integer: 18446744073709551616");
  rejects('Condition', 'dl_src_mask: 9223372036854775808', "1:14: Couldn't parse integer: Number out of range for 64-bit signed integer: 9223372036854775808");
  rejects('Network', 'vni: -1', "1:6: Couldn't parse integer: Number must be positive: -1");
  rejects('Network', 'tunnel_key: -5', "1:13: Couldn't parse integer: Number must be positive: -5");
  rejects('Network', 'id { msb: -1 lsb: 0 }', "1:11: Couldn't parse integer: Number must be positive: -1");
  rejects('Network', 'vni: abc', '1:6: Couldn\'t parse integer: For input string: "abc"');
  rejects('Network', 'vni: 08', '1:6: Couldn\'t parse integer: For input string: "08"');
  rejects('Network', 'vni: 1.5', '1:6: Couldn\'t parse integer: For input string: "1.5"');
  rejects('Network', 'vni: 0X10', '1:6: Couldn\'t parse integer: For input string: "0X10"');
  rejects(ALL, 'f_double: abc', '1:11: Couldn\'t parse number: For input string: "abc"');
});

test('bad escapes and unterminated literals', () => {
  rejects('Network', 'name: "a\\qb"', "1:7: Invalid escape sequence: '\\q'");
  rejects('Network', 'name: "\\x"', "1:7: Invalid escape sequence: '\\x' with no digits");
  rejects('Network', 'name: "abc\\"', "1:7: Invalid escape sequence: '\\' at end of string.");
  rejects('Network', 'name: "ok" "b\\z"', "1:12: Invalid escape sequence: '\\z'");
  rejects('Network', 'name: "abc', '1:7: String missing ending quote.');
  rejects('Network', 'name: "abc\ntenant_id: "x"', '1:7: String missing ending quote.');
  rejects('Network', 'name: \'abc"', '1:7: String missing ending quote.');
});

test('syntax errors: missing colon, wrong value kinds, unclosed blocks, separators', () => {
  rejects('Network', 'name "x"', '1:6: Expected ":".');
  rejects('Network', 'name: "x"\r\n\ttenant_id 5', '2:12: Expected ":".');
  rejects('Network', '# c1\n  # c2\nname: 5', '3:7: Expected string.');
  rejects('Network', 'admin_state_up: yes', '1:17: Expected "true" or "false".');
  rejects('Network', 'admin_state_up: True', '1:17: Expected "true" or "false".');
  rejects('Network', 'id { msb: 0', '1:12: Expected "}".');
  rejects('Network', 'id < msb: 0 lsb: 1 }', '1:20: Expected identifier.');
  rejects('Network', 'id msb: 0', '1:4: Expected "{".');
  rejects('Network', 'name: "a"; tenant_id: "b"', '1:10: Expected identifier.');
  rejects('Network', 'port_ids: []', '1:12: Expected "{".');
  rejects(ALL, 'r_int32: [1 2]', '1:13: Expected ",".');
  rejects('Network', 'bogus: [1]', '1:8: Invalid field value: [');
});

test('unknown enum names and numbers', () => {
  const E = 'Enum type "org.midonet.cluster.models.Route.NextHop"';
  rejects('Route', 'next_hop: WARP', `1:11: ${E} has no value named "WARP".`);
  rejects('Route', 'next_hop: port', `1:11: ${E} has no value named "port".`);
  rejects('Route', 'next_hop: 9', `1:11: ${E} has no value with number 9.`);
  rejects('Route', 'next_hop: "PORT"', '1:11: Expected identifier.');
  // allowUnknownFields does not extend to enum values.
  rejects('Route', 'next_hop: WARP', `1:11: ${E} has no value named "WARP".`, false);
});

test('unknown fields are errors when allowUnknownFields is false', () => {
  rejects('Network', 'tenant_id: "t"\nbogus { x: 1 }', '2:1: Message type "org.midonet.cluster.models.Network" has no field named "bogus".', false);
  rejects(
    'HostState',
    'interfaces {\n  name: "eth0"\n  speed: 10\n}',
    '3:3: Message type "org.midonet.cluster.models.HostState.Interface" has no field named "speed".',
    false,
  );
  rejects('Network', '[foo.bar]: 1', '1:6: Extension "foo.bar" not found in the ExtensionRegistry.', false);
  // Field names are case-sensitive.
  rejects('Network', 'Name: "x"', '1:1: Message type "org.midonet.cluster.models.Network" has no field named "Name".', false);
});

test('parseText rejects unknown type names', () => {
  assert.throws(() => parseText('Nope', ''), { message: "Unknown protobuf message type 'Nope'" });
});

test('UUID halves convert exactly at every magnitude (checked against BigInt arithmetic)', () => {
  // Deterministic pseudo-random halves plus the edges of the float-exact conversion.
  let seed = 0x2545f491n;
  const next = (): bigint => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return seed;
  };
  const edges = [
    0n,
    1n,
    (1n << 53n) - 1n,
    1n << 53n,
    (1n << 53n) + 1n,
    0x1fffffffffffffn,
    0x20000000000000n,
    0x1fffffffffffffffn,
    10000000000000000005n,
    10000000000000000050n,
    10000000000000000500n,
    18446744073709550005n,
    (1n << 63n) - 1n,
    1n << 63n,
    (1n << 64n) - 1n,
  ];
  const values = [...edges, ...Array.from({ length: 500 }, next), ...Array.from({ length: 100 }, () => next() >> 20n)];
  for (let i = 0; i < values.length; i++) {
    const msb = values[i];
    const lsb = values[values.length - 1 - i];
    const id = halvesToUuid(msb, lsb);
    const text = printText('Network', { id });
    assert.equal(text, `id {\n  msb: ${msb}\n  lsb: ${lsb}\n}\n`);
    assert.deepEqual(parseText('Network', text), { id });
    // The same values through the general (non-canonical layout) path.
    assert.deepEqual(parseText('Network', `id <lsb: ${lsb} msb: ${msb}>`), { id });
  }
});

test('non-canonical UUID layouts take the general path with its results and errors', () => {
  assert.deepEqual(parseText('Network', 'id {msb: 1 lsb: 2}'), { id: '00000000-0000-0001-0000-000000000002' });
  assert.deepEqual(parseText('Network', 'id { msb: 1\tlsb: 2\n}'), { id: '00000000-0000-0001-0000-000000000002' });
  assert.deepEqual(parseText('Network', 'id { msb: 00 lsb: 010 }'), { id: '00000000-0000-0000-0000-000000000008' });
  assert.deepEqual(parseText('Network', 'id { msb: 1 # c\n lsb: 2 }'), { id: '00000000-0000-0001-0000-000000000002' });
  assert.deepEqual(parseText('Network', 'id { msb: 1 lsb: 2 unknown: 3 }'), { id: '00000000-0000-0001-0000-000000000002' });
  rejects(
    'Network',
    'id { msb: 18446744073709551616 lsb: 0 }',
    "1:11: Couldn't parse integer: Number out of range for 64-bit unsigned integer: 18446744073709551616",
  );
  rejects(
    'Network',
    'id { msb: 123456789012345678901 lsb: 0 }',
    "1:11: Couldn't parse integer: Number out of range for 64-bit unsigned integer: 123456789012345678901",
  );
  rejects('Network', 'id { msb: 1lsb: 2 }', '1:11: Couldn\'t parse integer: For input string: "1lsb"');
  rejects('Network', 'id { msb: 1 lsb: 2x }', '1:18: Couldn\'t parse integer: For input string: "2x"');
  // Positions after a block read by the fast path stay right.
  rejects('Network', 'id { msb: 0 lsb: 1 } name 5', '1:27: Expected ":".');
  rejects('Network', 'id { msb: 0 lsb: 1 }\n  bogus: 1', '2:3: Message type "org.midonet.cluster.models.Network" has no field named "bogus".', false);
});
