/**
 * lib/conf/hocon.ts: the HOCON subset MidoNet's configuration uses, parsed, layered, resolved
 * and rendered in Typesafe Config's formats (mn-conf.md §3, §4, §7.2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  entries,
  getPath,
  HoconError,
  layer,
  parse,
  render,
  renderPath,
  resolve,
  splitPath,
  str,
  toBoolean,
  toBytes,
  toDurationMs,
  toInt,
  toPlain,
  withoutPath,
  withValue,
  type HObject,
  type HValue,
} from '../../lib/conf/hocon.js';

const plain = (o: HObject): unknown => toPlain(resolve(o));
const at = (o: HObject, key: string): HValue | undefined => getPath(o, splitPath(key));

describe('parsing', () => {
  it('reads nested objects, dotted keys, both separators, commas or newlines, comments', () => {
    const o = parse(`
      # a comment
      cluster {
        rest_api { http_port : 8181, root_uri = "/midonet-api" }  // another
        rest_api.enabled = true
      }
      zookeeper.session_timeout : 30s
    `);
    assert.deepEqual(plain(o), {
      cluster: { rest_api: { http_port: 8181, root_uri: '/midonet-api', enabled: true } },
      zookeeper: { session_timeout: '30s' },
    });
  });

  it('accepts a braced root, JSON, trailing commas and CRLF line ends', () => {
    assert.deepEqual(plain(parse('{"a": {"b": [1, 2,], "c": null},}\r\n')), { a: { b: [1, 2], c: null } });
  });

  it('keeps numbers as written, tells numbers from strings that start with digits', () => {
    const o = parse('a = 1.50\nb = 30s\nc = -1\nd = 1e3\ne = 0.0.0.0\nf = 007x');
    const a = at(o, 'a');
    assert.equal(a?.t === 'number' && a.text, '1.50');
    assert.deepEqual(plain(o), { a: 1.5, b: '30s', c: -1, d: 1000, e: '0.0.0.0', f: '007x' });
  });

  it('quoted keys keep their dots; unquoted keys may contain dashes', () => {
    const o = parse('"a.b".c = 1\nloggers.org.midonet.rest-api.root : INFO');
    assert.deepEqual(plain(o), { 'a.b': { c: 1 }, loggers: { org: { midonet: { 'rest-api': { root: 'INFO' } } } } });
    assert.deepEqual(splitPath('a."b.c".d'), ['a', 'b.c', 'd']);
    assert.equal(renderPath(['a', 'b.c', 'rest-api', 'x_y']), 'a."b.c".rest-api.x_y');
  });

  it('strings: escapes, triple quotes (raw, multi-line), unquoted text with spaces', () => {
    const o = parse('a = "x\\ty\\u0041\\"" \nb = """ one\n  two "q" """\nc = hello   big world  \n');
    assert.deepEqual(plain(o), { a: 'x\tyA"', b: ' one\n  two "q" ', c: 'hello   big world' });
  });

  it('later duplicates override, objects merge', () => {
    assert.deepEqual(plain(parse('a { x = 1, y = 2 }\na { y = 3 }\nb = 1\nb = 2')), { a: { x: 1, y: 3 }, b: 2 });
  });

  it('concatenates values, lists and objects', () => {
    assert.deepEqual(plain(parse('a = [1] [2, 3]\nb = { x = 1 } { y = 2 }\nc = 1 2')), { a: [1, 2, 3], b: { x: 1, y: 2 }, c: '1 2' });
  });

  it('+= appends to a list', () => {
    assert.deepEqual(plain(parse('a = [1]\na += 2\nb += x')), { a: [1, 2], b: ['x'] });
  });

  it('reports errors with the origin and line', () => {
    assert.throws(() => parse('a = 1\nb = ', 'STDIN'), /^HoconError: STDIN: 2: expected a value/);
    assert.throws(() => parse('a = {', 'STDIN'), /STDIN: 1: end of input inside an object/);
    assert.throws(() => parse('a b c', 'STDIN'), /STDIN: 1: expected ':' or '='/);
    assert.throws(() => parse('a = "x', 'STDIN'), /end of line inside a quoted string/);
    assert.throws(() => parse('a..b = 1'), /empty segment/);
    assert.throws(() => parse('include "x.conf"'), /'include' is not supported/);
    assert.throws(() => parse('[1, 2]'), /must be an object/);
    assert.throws(() => parse('a = 1 }'), HoconError);
  });
});

describe('substitutions', () => {
  it('resolve against the whole configuration, after layering', () => {
    const schema = parse('cluster.loggers { root = INFO, a.root = ${cluster.loggers.root}, b = WARN }');
    const template = parse('cluster.loggers.root = DEBUG');
    assert.deepEqual(plain(layer(template, schema)), { cluster: { loggers: { root: 'DEBUG', a: { root: 'DEBUG' }, b: 'WARN' } } });
    assert.deepEqual(plain(schema), { cluster: { loggers: { root: 'INFO', a: { root: 'INFO' }, b: 'WARN' } } });
  });

  it('survive a render/parse round trip unresolved', () => {
    const o = parse('z.gracetime = ${z.timeout}\nz.timeout = 30s\ns = ${z.timeout}" and "${?nope}x');
    const again = parse(render(o, { json: true }));
    assert.equal(render(again, { json: true }), render(o, { json: true }));
    assert.deepEqual(plain(again), { z: { gracetime: '30s', timeout: '30s' }, s: '30s and x' });
  });

  it('optional ones disappear when missing, required ones fail', () => {
    assert.deepEqual(plain(parse('a = ${?nope}\nb = 1')), { b: 1 });
    assert.throws(() => resolve(parse('a = ${nope}')), /could not resolve substitution to a value: \$\{nope\}/);
  });

  it('a self-reference sees the value it overrides', () => {
    assert.deepEqual(plain(parse('a = 1\na = ${a}')), { a: 1 });
    assert.deepEqual(plain(layer(parse('p = ${p}":x"'), parse('p = base'))), { p: 'base:x' });
    assert.throws(() => resolve(parse('a = ${b}\nb = ${a}')), /cycle/);
  });

  it('fall back to the environment for single names', () => {
    assert.deepEqual(toPlain(resolve(parse('h = ${?MY_HOSTS}\nx = ${?NOPE_X}'), { env: { MY_HOSTS: '10.0.0.1:2181' } })), { h: '10.0.0.1:2181' });
  });
});

describe('rendering (Typesafe formats)', () => {
  const o = parse('b { c = 1, "d e" = "x y", f = [1, 2], g = {} }\na = INFO\nn = null\n10 = ten\n9 = nine');

  it('HOCON: no root braces, sorted keys, numeric keys first, keys and strings unquoted only when alphanumeric', () => {
    assert.equal(
      render(o),
      [
        '"9"=nine',
        '"10"=ten',
        'a=INFO',
        'b {',
        '    c=1',
        '    "d e"="x y"',
        '    f=[',
        '        1,',
        '        2',
        '    ]',
        '    g {}',
        '}',
        'n=null',
        '',
      ].join('\n'),
    );
  });

  it('JSON: braces, quoted keys, " : "', () => {
    assert.equal(render(parse('a { b = 1, c = "30s" }'), { json: true }), '{\n    "a" : {\n        "b" : 1,\n        "c" : "30s"\n    }\n}\n');
  });

  it('scalars alone; quoting like Typesafe (digits, dashes, keywords, punctuation)', () => {
    assert.equal(render(str('30s')), '"30s"');
    assert.equal(render(str('INFO')), 'INFO');
    assert.equal(render(str('true')), '"true"');
    assert.equal(render(str('a_b')), '"a_b"');
    assert.equal(render(str('')), '""');
    assert.equal(render(parse('x = 8282').fields.get('x') as HValue), '8282');
    assert.equal(render(parse('{}')), '{}\n');
  });

  it('origin and description comments', () => {
    const text = render(parse('a.b = 1', 'zookeeper://midonet/config/templates/default'), {
      originComments: true,
      comments: (p) => (p.join('.') === 'a.b' ? ['the b'] : undefined),
    });
    assert.equal(text, 'a {\n    # zookeeper://midonet/config/templates/default: 1\n    # the b\n    b=1\n}\n');
  });
});

describe('paths', () => {
  it('withValue, withoutPath (parents stay), entries (leaves, no nulls)', () => {
    let o = parse('a.b = 1\na.c = 2\nn = null');
    o = withValue(o, ['a', 'd', 'e'], str('x'));
    assert.deepEqual(
      entries(o).map(([p]) => p.join('.')),
      ['a.b', 'a.c', 'a.d.e'],
    );
    o = withoutPath(withoutPath(o, ['a', 'd', 'e']), ['zz']);
    assert.deepEqual(toPlain(o), { a: { b: 1, c: 2, d: {} }, n: null });
  });
});

describe('conversions', () => {
  const v = (text: string): HValue => parse(`v = ${text}`).fields.get('v') as HValue;

  it('durations: a number is milliseconds; units ns to days, singular or plural, with or without a space', () => {
    assert.equal(toDurationMs(v('30s')), 30_000);
    assert.equal(toDurationMs(v('1d')), 86_400_000);
    assert.equal(toDurationMs(v('1000ms')), 1000);
    assert.equal(toDurationMs(v('1000')), 1000);
    assert.equal(toDurationMs(v('"1.5 s"')), 1500);
    assert.equal(toDurationMs(v('10 minutes')), 600_000);
    assert.equal(toDurationMs(v('2 hour')), 7_200_000);
    assert.equal(toDurationMs(v('500us')), 0.5);
    assert.throws(() => toDurationMs(v('10q')), /unknown time unit 'q'/);
    assert.throws(() => toDurationMs(v('abc')), /not a duration/);
    assert.throws(() => toDurationMs(v('true')), /expected a duration/);
  });

  it('sizes: bytes, powers of two and of ten', () => {
    assert.equal(toBytes(v('4194304')), 4194304);
    assert.equal(toBytes(v('4 MiB')), 4 * 1024 * 1024);
    assert.equal(toBytes(v('512k')), 512 * 1024);
    assert.equal(toBytes(v('1 GB')), 1e9);
    assert.equal(toBytes(v('10 bytes')), 10);
    assert.throws(() => toBytes(v('3 parsecs')), /not a size/);
  });

  it('booleans and ints convert as in Typesafe', () => {
    assert.equal(toBoolean(v('yes')), true);
    assert.equal(toBoolean(v('off')), false);
    assert.throws(() => toBoolean(v('maybe')), /expected a boolean/);
    assert.equal(toInt(v('"8282"')), 8282);
    assert.throws(() => toInt(v('abc')), /expected a number/);
    assert.throws(() => toInt(v('99999999999')), /out of range/);
  });
});
