/** Path segments built from data (lib/http/uri.ts): one segment, printable ASCII, decoded back by the router's rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathSegment } from '../../lib/http/uri.js';

test('what ends, escapes or cannot be in a segment is percent-encoded; : and @ stay', () => {
  assert.equal(pathSegment('00:01:aa'), '00:01:aa');
  assert.equal(pathSegment('a/b?c#d%e f'), 'a%2Fb%3Fc%23d%25e%20f');
  assert.equal(pathSegment('user@host'), 'user@host');
  assert.equal(pathSegment('caf\u00e9\r\n'), 'caf%C3%A9%0D%0A');
  for (const s of ['a/b', '100%', 'x?y#z', '\u20ac:\u{1F600}', 'sp ace', '10.0.0.1_02-00-00-00-00-01']) {
    const seg = pathSegment(s);
    assert.match(seg, /^[\x21-\x7e]+$/);
    assert.ok(!seg.includes('/') && !seg.includes('?') && !seg.includes('#'));
    assert.equal(decodeURIComponent(seg), s);
  }
});
