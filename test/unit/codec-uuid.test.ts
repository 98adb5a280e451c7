import assert from 'node:assert/strict';
import { test } from 'node:test';
import { halvesToUuid, isUuid, normalizeUuid, randomUuid, uuidToHalves } from '../../lib/nsdb/codec/uuid.js';

// nsdb-models.md §1.1
const VECTORS: [string, bigint, bigint][] = [
  ['00000000-0000-0000-0000-000000000001', 0n, 1n],
  ['3f2a1b4c-5d6e-4f70-a1b2-c3d4e5f60718', 4551480388210282352n, 11651590505119483672n],
  ['c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab', 14250202791324372029n, 10276934125682657707n],
];

test('uuidToHalves / halvesToUuid follow the §1.1 table both ways', () => {
  for (const [s, msb, lsb] of VECTORS) {
    assert.deepEqual(uuidToHalves(s), { msb, lsb });
    assert.equal(halvesToUuid(msb, lsb), s);
  }
  assert.deepEqual(uuidToHalves('ffffffff-ffff-ffff-ffff-ffffffffffff'), {
    msb: 18446744073709551615n,
    lsb: 18446744073709551615n,
  });
  assert.equal(halvesToUuid(0n, 0n), '00000000-0000-0000-0000-000000000000');
});

test('uuidToHalves accepts upper case; halvesToUuid always answers lower case', () => {
  assert.deepEqual(uuidToHalves('C5C2E3F0-1A2B-4C3D-8E9F-0123456789AB'), {
    msb: 14250202791324372029n,
    lsb: 10276934125682657707n,
  });
  assert.equal(halvesToUuid(0xabcdefn, 0xabcdefn), '00000000-00ab-cdef-0000-000000abcdef');
});

test('halvesToUuid takes negative halves as Java signed longs', () => {
  assert.equal(halvesToUuid(-4196541282385179587n, -8169809948026893909n), 'c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab');
  assert.equal(halvesToUuid(-1n, -(1n << 63n)), 'ffffffff-ffff-ffff-8000-000000000000');
});

test('halvesToUuid rejects values outside 64 bits', () => {
  assert.throws(() => halvesToUuid(1n << 64n, 0n), { message: 'UUID msb out of 64-bit range: 18446744073709551616' });
  assert.throws(() => halvesToUuid(0n, -(1n << 63n) - 1n), {
    message: 'UUID lsb out of 64-bit range: -9223372036854775809',
  });
});

test('isUuid accepts only the 8-4-4-4-12 hex form', () => {
  assert.equal(isUuid('c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab'), true);
  assert.equal(isUuid('C5C2E3F0-1A2B-4C3D-8E9F-0123456789AB'), true);
  assert.equal(isUuid('c5c2e3f0-1a2b-4c3d-8e9f-0123456789a'), false); // short
  assert.equal(isUuid('c5c2e3f0-1a2b-4c3d-8e9f-0123456789abc'), false); // long
  assert.equal(isUuid('c5c2e3f01a2b-4c3d-8e9f-0123456789ab-'), false); // dash moved
  assert.equal(isUuid('g5c2e3f0-1a2b-4c3d-8e9f-0123456789ab'), false); // non-hex
  assert.equal(isUuid('1-2-3-4-5'), false); // Java's lenient fromString form is not accepted
  assert.equal(isUuid(''), false);
  assert.equal(isUuid(42), false);
  assert.equal(isUuid(undefined), false);
});

test('normalizeUuid lower-cases and rejects invalid input', () => {
  assert.equal(normalizeUuid('C5C2E3F0-1A2B-4C3D-8E9F-0123456789AB'), 'c5c2e3f0-1a2b-4c3d-8e9f-0123456789ab');
  assert.throws(() => normalizeUuid('not-a-uuid'), { message: 'Invalid UUID string: "not-a-uuid"' });
  assert.throws(() => uuidToHalves('zz'), { message: 'Invalid UUID string: "zz"' });
});

test('randomUuid gives distinct canonical lower-case version-4 UUIDs', () => {
  const a = randomUuid();
  const b = randomUuid();
  assert.notEqual(a, b);
  for (const u of [a, b]) {
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(halvesToUuid(uuidToHalves(u).msb, uuidToHalves(u).lsb), u);
  }
});
