/**
 * OVSDB framing: JSON texts back to back, split at the right bytes whatever the TCP chunking.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FramingError, JsonFrameSplitter } from '../../lib/ovsdb/framing.js';

const msgs = [
  { id: 1, method: 'echo', params: [] },
  { id: null, method: 'update', params: ['m', { T: { 'a-b': { new: { s: 'br}ace{ [x] "q" \\ end' } } } }] },
  { id: 'echo', result: ['ünïcødé ✓ 🚀', '\u0000\n\t'], error: null },
  [1, [2, [3, {}]], '}'],
  { id: 2, result: { rows: [] }, error: null },
];

function splitAll(stream: Buffer, cuts: number[]): unknown[] {
  const s = new JsonFrameSplitter();
  const out: unknown[] = [];
  let at = 0;
  for (const c of [...cuts, stream.length]) {
    for (const f of s.push(stream.subarray(at, c))) out.push(JSON.parse(f.toString('utf8')));
    at = c;
  }
  assert.equal(s.pendingBytes, 0);
  return out;
}

describe('JsonFrameSplitter', () => {
  const stream = Buffer.from(msgs.map((m, i) => (i % 2 ? `\n ${JSON.stringify(m)}\r\n\t` : JSON.stringify(m))).join(''), 'utf8');

  test('one chunk with every message, separated by nothing or by whitespace', () => {
    assert.deepEqual(splitAll(stream, []), msgs);
  });

  test('every cut position, including inside multi-byte UTF-8 characters, escapes and strings', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(splitAll(stream, [cut]), msgs, `cut at ${cut}`);
    }
  });

  test('one byte at a time', () => {
    const cuts = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(splitAll(stream, cuts), msgs);
  });

  test('an escaped backslash before a closing quote ends the string', () => {
    const s = new JsonFrameSplitter();
    const frames = s.push(Buffer.from('{"a":"x\\\\"}{"b":"\\""}'));
    assert.deepEqual(
      frames.map((f) => JSON.parse(f.toString())),
      [{ a: 'x\\' }, { b: '"' }],
    );
  });

  test('an unfinished message is held until its end arrives', () => {
    const s = new JsonFrameSplitter();
    assert.deepEqual(s.push(Buffer.from('{"id":1,"res')), []);
    assert.equal(s.pendingBytes, 12);
    assert.deepEqual(s.push(Buffer.from('ult":[]')), []);
    const [f] = s.push(Buffer.from('}{"id"'));
    assert.deepEqual(JSON.parse(String(f)), { id: 1, result: [] });
    assert.equal(s.pendingBytes, 5);
  });

  test('garbage between messages breaks the stream for good', () => {
    const s = new JsonFrameSplitter();
    assert.throws(() => s.push(Buffer.from('{"a":1} x{"b":2}')), FramingError);
    assert.throws(() => s.push(Buffer.from('{"c":3}')), FramingError);
  });

  test('a stray closing bracket at top level is garbage', () => {
    assert.throws(() => new JsonFrameSplitter().push(Buffer.from('}')), /unexpected byte 0x7d/);
  });

  test('a message over the size bound is refused, finished or not', () => {
    assert.throws(() => new JsonFrameSplitter(10).push(Buffer.from('{"a":"0123456789"}')), /exceeds the 10 byte limit/);
    const s = new JsonFrameSplitter(10);
    assert.deepEqual(s.push(Buffer.from('{"a":"012')), []);
    assert.throws(() => s.push(Buffer.from('3456789')), /exceeds/);
  });
});
