import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJson, stringifyJson } from '../../lib/http/json.js';

test('integers beyond the safe range are read as bigints, exactly; the rest as JSON.parse reads it', () => {
  const v = parseJson('{"limit":9223372036854775807,"neg":-9223372036854775808,"safe":9007199254740991,"f":1.5e300,"big":12345678901234567.5}') as Record<
    string,
    unknown
  >;
  assert.equal(v['limit'], 9223372036854775807n);
  assert.equal(v['neg'], -9223372036854775808n);
  assert.equal(v['safe'], 9007199254740991);
  assert.equal(v['f'], 1.5e300);
  assert.equal(v['big'], Number('12345678901234567.5'), 'a fraction stays a number');
});

test('digits inside strings are left alone, escapes included', () => {
  const text = '{"s":"9223372036854775807","q":"a \\"9223372036854775807\\" b","n":[9223372036854775807]}';
  assert.deepEqual(parseJson(text), { s: '9223372036854775807', q: 'a "9223372036854775807" b', n: [9223372036854775807n] });
});

test('malformed JSON is refused as JSON.parse refuses it', () => {
  assert.throws(() => parseJson('{"a":9223372036854775807'), SyntaxError);
  assert.throws(() => parseJson('{"a":}'), SyntaxError);
});

test('bigints are written as exact integer literals, strings that look like markers stay strings', () => {
  assert.equal(stringifyJson({ limit: 9223372036854775807n, n: 1, s: 'x' }), '{"limit":9223372036854775807,"n":1,"s":"x"}');
  assert.equal(stringifyJson([-1n, 0n]), '[-1,0]');
  assert.equal(stringifyJson({ s: '\u0000abc:12' }), '{"s":"\\u0000abc:12"}');
  const round = '{"a":[9223372036854775807,{"b":-42}],"c":"9223372036854775807"}';
  assert.equal(stringifyJson(parseJson(round)), round);
});
