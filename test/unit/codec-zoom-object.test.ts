import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { decodeZoomObject, encodeZoomObject, type ZoomProvenance } from '../../lib/nsdb/codec/zoom-object.js';

const hex = (b: Buffer): string => b.toString('hex');

test('encodes fields in number order, only the set ones (exact bytes)', () => {
  const p: ZoomProvenance = { changeVersion: 0, changeType: 1, changeOwner: 0x101, productCommit: 'abc', productVersion: '5.0' };
  assert.equal(hex(encodeZoomObject([p])), '0a11' + '0a03352e30' + '1203616263' + '188102' + '2001' + '2800');
  assert.equal(hex(encodeZoomObject([{ changeOwner: 0x102, changeType: 2 }])), '0a05' + '188202' + '2002');
  assert.equal(hex(encodeZoomObject([{}])), '0a00');
  assert.equal(hex(encodeZoomObject([])), '');
  assert.equal(hex(encodeZoomObject([{ productVersion: '' }])), '0a02' + '0a00');
});

test('a negative int32 takes ten bytes, as protobuf-java writes it', () => {
  assert.equal(hex(encodeZoomObject([{ changeVersion: -1 }])), '0a0b' + '28ffffffffffffffffff01');
  assert.equal(hex(encodeZoomObject([{ changeOwner: -2147483648 }])), '0a0b' + '1880808080f8ffffffff01');
  assert.deepEqual(decodeZoomObject(encodeZoomObject([{ changeVersion: -1, changeOwner: -2147483648 }])), [{ changeOwner: -2147483648, changeVersion: -1 }]);
});

test('round-trips several entries, keeping only the fields that were set', () => {
  const list: ZoomProvenance[] = [
    { productVersion: '5.4', productCommit: '0123456789abcdef', changeOwner: 0x101, changeType: 1, changeVersion: 0 },
    { productVersion: '5.4', productCommit: '', changeOwner: 0x201, changeType: 3, changeVersion: 7 },
    { changeType: 2 },
    { productVersion: 'ünïcode' },
  ];
  const decoded = decodeZoomObject(encodeZoomObject(list));
  assert.deepEqual(decoded, list);
  assert.equal('changeOwner' in decoded[2], false);
});

test('matches an independent encoder built from zoom.proto', () => {
  const root = protobuf.parse(readFileSync(new URL('../../lib/models/proto/zoom.proto', import.meta.url), 'utf8'), {
    keepCase: true,
  }).root;
  const ZoomObject = root.lookupType('org.midonet.cluster.models.ZoomObject');
  const list: ZoomProvenance[] = [
    { productVersion: '5.0.0', productCommit: 'deadbeef', changeOwner: 0x103, changeType: 3, changeVersion: 123456 },
    { changeOwner: 0, changeType: -5, changeVersion: 2147483647 },
  ];
  const reference = Buffer.from(
    ZoomObject.encode(
      ZoomObject.fromObject({
        provenance: list.map((p) => ({
          product_version: p.productVersion,
          product_commit: p.productCommit,
          change_owner: p.changeOwner,
          change_type: p.changeType,
          change_version: p.changeVersion,
        })),
      }),
    ).finish(),
  );
  assert.equal(hex(encodeZoomObject(list)), hex(reference));
  assert.deepEqual(decodeZoomObject(reference), list);
});

test('decoding skips unknown fields and lets the last occurrence of a field win', () => {
  const data = Buffer.from(
    [
      '1003', // top-level field 2 (varint): unknown
      '0a0d', // provenance, 13 bytes
      '4801', // field 9 varint: unknown
      '1a02ffff', // field 3 with the wrong wire type (length-delimited): unknown
      '1805', // change_owner = 5
      '1806', // change_owner = 6 (wins)
      '0a0178', // product_version = "x"
      '2d01000000', // top-level field 5 fixed32: unknown
    ].join(''),
    'hex',
  );
  assert.deepEqual(decodeZoomObject(data), [{ changeOwner: 6, productVersion: 'x' }]);
});

test('decoding rejects malformed input', () => {
  assert.throws(() => decodeZoomObject(Buffer.from('0a05', 'hex')), { message: 'Malformed ZoomObject: length out of bounds at byte 2' });
  assert.throws(() => decodeZoomObject(Buffer.from('0a021880', 'hex')), { message: 'Malformed ZoomObject: truncated varint at byte 4' });
  assert.throws(() => decodeZoomObject(Buffer.from('0f', 'hex')), { message: 'Malformed ZoomObject: invalid wire type 7 at byte 1' });
  assert.throws(() => decodeZoomObject(Buffer.from('0001', 'hex')), { message: 'Malformed ZoomObject: field number zero at byte 1' });
  assert.deepEqual(decodeZoomObject(Buffer.alloc(0)), []);
});

test('encoding validates the JS types and the int32 range', () => {
  assert.throws(() => encodeZoomObject([{ changeOwner: 2 ** 31 }]), {
    message: 'ZoomProvenance[0].changeOwner: expected a 32-bit signed integer, got 2147483648',
  });
  assert.throws(() => encodeZoomObject([{}, { changeVersion: 1.5 }]), {
    message: 'ZoomProvenance[1].changeVersion: expected a 32-bit signed integer, got 1.5',
  });
  assert.throws(() => encodeZoomObject([{ productCommit: 7 as unknown as string }]), {
    message: 'ZoomProvenance[0].productCommit: expected a string, got number',
  });
});
