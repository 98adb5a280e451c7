/**
 * Pure parts of the Curator-compatible recipes: latch ordering (LockInternals' sort key) and the
 * x-discovery ServiceInstance JSON / UriSpec.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { latchSortKey, sortLatchChildren } from '../../lib/zk/leader-latch.js';
import { buildUri, literalUriSpec, makeInstance, parseInstance, parseUriSpec, serializeInstance } from '../../lib/zk/service-discovery.js';

describe('leader latch ordering', () => {
  test('sorted by the sequence after the last latch-, whatever the uuid prefix', () => {
    const children = [
      '_c_ffffffff-0000-0000-0000-000000000000-latch-0000000003',
      '_c_00000000-0000-0000-0000-000000000000-latch-0000000010',
      '_c_88888888-0000-0000-0000-000000000000-latch-0000000001',
      'latch-0000000002',
    ];
    assert.deepEqual(
      sortLatchChildren(children).map((c) => latchSortKey(c)),
      ['0000000001', '0000000002', '0000000003', '0000000010'],
    );
    assert.equal(latchSortKey('no-lock-name'), 'no-lock-name');
    assert.notEqual(sortLatchChildren(children), children, 'a copy');
  });
});

describe('service instance JSON', () => {
  test('key order and values as Jackson writes them; no enabled key', () => {
    const i = makeInstance({ name: 'state-proxy', id: 'x', address: '10.0.0.1', port: 2346, registrationTimeUTC: 5 });
    assert.equal(
      serializeInstance(i).toString(),
      '{"name":"state-proxy","id":"x","address":"10.0.0.1","port":2346,"sslPort":null,"payload":null,"registrationTimeUTC":5,"serviceType":"DYNAMIC","uriSpec":null}',
    );
    assert.deepEqual(parseInstance(serializeInstance(i)), i);
  });

  test('uri specs: Curator parsing, literal form, building', () => {
    assert.deepEqual(parseUriSpec('{scheme}://{ address }:{port}/x'), {
      parts: [
        { value: 'scheme', variable: true },
        { value: '://', variable: false },
        { value: 'address', variable: true },
        { value: ':', variable: false },
        { value: 'port', variable: true },
        { value: '/x', variable: false },
      ],
    });
    assert.throws(() => parseUriSpec('{a'));
    assert.throws(() => parseUriSpec('a}'));
    const i = makeInstance({ name: 'n', id: 'i', address: 'h', port: 1, sslPort: 2, uriSpec: '{scheme}://{address}:{ssl-port}{[}{]}' });
    assert.equal(buildUri(i), 'https://h:2{}');
    assert.equal(buildUri(makeInstance({ name: 'n', id: 'i', uriSpec: literalUriSpec('http://a/b') })), 'http://a/b');
  });

  test('invalid names and data are refused', () => {
    assert.throws(() => makeInstance({ name: 'a/b', id: 'x' }));
    assert.throws(() => makeInstance({ name: 'a', id: '' }));
    assert.throws(() => parseInstance(Buffer.from('[]')));
    assert.throws(() => parseInstance(Buffer.from('{"name":"a"}')));
  });
});
