/**
 * Provenance records (storage.md §2.3): what a create writes, and when an update ORs its change
 * bit into the last entry, writes nothing, or appends an entry.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeOwner, ChangeType, createdProvenance, updatedProvenance, type ProductInfo } from '../../lib/nsdb/provenance.js';
import { decodeZoomObject, encodeZoomObject, type ZoomProvenance } from '../../lib/nsdb/codec/zoom-object.js';

const P1: ProductInfo = { version: '5.0.0', commit: 'abc' };
const P2: ProductInfo = { version: '5.0.1', commit: 'abc' };
const P3: ProductInfo = { version: '5.0.0', commit: 'def' };

function entry(owner: number, type: number, version: number, product: ProductInfo = P1): ZoomProvenance {
  return { productVersion: product.version, productCommit: product.commit, changeOwner: owner, changeType: type, changeVersion: version };
}

describe('constants', () => {
  test('owners and change types have the original values', () => {
    assert.deepEqual(ChangeOwner, {
      none: 0x0,
      clusterApi: 0x101,
      clusterNeutron: 0x102,
      clusterContainers: 0x103,
      agentBinding: 0x201,
      agentHaproxy: 0x202,
    });
    assert.deepEqual(ChangeType, { data: 0x1, backReference: 0x2 });
  });
});

describe('createdProvenance', () => {
  test('one entry with change_version 0', () => {
    assert.deepEqual(createdProvenance(ChangeOwner.clusterApi, ChangeType.data, P1), [entry(0x101, 1, 0)]);
    assert.deepEqual(createdProvenance(ChangeOwner.none, ChangeType.backReference, { version: '', commit: '' }), [
      { productVersion: '', productCommit: '', changeOwner: 0, changeType: 2, changeVersion: 0 },
    ]);
  });
});

describe('updatedProvenance', () => {
  test('same owner and build, bit already recorded: nothing to write', () => {
    assert.equal(updatedProvenance([entry(0x101, 1, 0)], 0x101, ChangeType.data, 1, P1), undefined);
    assert.equal(updatedProvenance([entry(0x101, 3, 0)], 0x101, ChangeType.backReference, 7, P1), undefined);
    assert.equal(updatedProvenance([entry(0x101, 3, 0)], 0x101, ChangeType.data, 7, P1), undefined);
  });

  test('same owner and build, new bit: ORed into the last entry, its version kept', () => {
    assert.deepEqual(updatedProvenance([entry(0x101, 1, 0)], 0x101, ChangeType.backReference, 1, P1), [entry(0x101, 3, 0)]);
    assert.deepEqual(updatedProvenance([entry(0x102, 1, 0), entry(0x101, 2, 4)], 0x101, ChangeType.data, 9, P1), [entry(0x102, 1, 0), entry(0x101, 3, 4)]);
  });

  test('another owner: appended with change_version = the new model version', () => {
    assert.deepEqual(updatedProvenance([entry(0x101, 1, 0)], 0x102, ChangeType.data, 1, P1), [entry(0x101, 1, 0), entry(0x102, 1, 1)]);
    assert.deepEqual(updatedProvenance([entry(0x101, 3, 0)], ChangeOwner.none, ChangeType.backReference, 12, P1), [entry(0x101, 3, 0), entry(0, 2, 12)]);
  });

  test('another product version or commit: appended', () => {
    assert.deepEqual(updatedProvenance([entry(0x101, 1, 0)], 0x101, ChangeType.data, 3, P2), [entry(0x101, 1, 0), entry(0x101, 1, 3, P2)]);
    assert.deepEqual(updatedProvenance([entry(0x101, 1, 0)], 0x101, ChangeType.data, 3, P3), [entry(0x101, 1, 0), entry(0x101, 1, 3, P3)]);
  });

  test('only the last entry is considered', () => {
    // an earlier entry of the same owner does not absorb the change
    assert.deepEqual(updatedProvenance([entry(0x101, 1, 0), entry(0x102, 1, 1)], 0x101, ChangeType.data, 2, P1), [
      entry(0x101, 1, 0),
      entry(0x102, 1, 1),
      entry(0x101, 1, 2),
    ]);
  });

  test('an empty record (unreadable or missing data) gets a first entry', () => {
    assert.deepEqual(updatedProvenance([], 0x101, ChangeType.data, 5, P1), [entry(0x101, 1, 5)]);
  });

  test('unset fields of the last entry read as their defaults (owner none, empty strings, no bits)', () => {
    const bare: ZoomProvenance = { changeVersion: 0 };
    const none: ProductInfo = { version: '', commit: '' };
    assert.deepEqual(updatedProvenance([bare], ChangeOwner.none, ChangeType.data, 1, none), [{ changeVersion: 0, changeType: 1 }]);
    assert.equal(updatedProvenance([{ changeType: 1 }], ChangeOwner.none, ChangeType.data, 1, none), undefined);
    assert.deepEqual(updatedProvenance([bare], 0x101, ChangeType.data, 1, none), [
      bare,
      { productVersion: '', productCommit: '', changeOwner: 0x101, changeType: 1, changeVersion: 1 },
    ]);
  });

  test('the input is not modified', () => {
    const current = [entry(0x101, 1, 0)];
    const copy = structuredClone(current);
    updatedProvenance(current, 0x101, ChangeType.backReference, 1, P1);
    updatedProvenance(current, 0x102, ChangeType.data, 1, P1);
    assert.deepEqual(current, copy);
  });

  test('a sequence of changes, through the binary encoding as stored', () => {
    const steps: [number, number][] = [
      [0x101, ChangeType.data], // v1: same owner, bit present: no write
      [0x101, ChangeType.backReference], // v2: OR
      [0x102, ChangeType.backReference], // v3: append
      [0x102, ChangeType.backReference], // v4: no write
      [0x101, ChangeType.data], // v5: append
    ];
    let stored = encodeZoomObject(createdProvenance(0x101, ChangeType.data, P1));
    let writes = 0;
    steps.forEach(([owner, type], i) => {
      const next = updatedProvenance(decodeZoomObject(stored), owner, type, i + 1, P1);
      if (next) {
        stored = encodeZoomObject(next);
        writes++;
      }
    });
    assert.equal(writes, 3);
    assert.deepEqual(decodeZoomObject(stored), [entry(0x101, 3, 0), entry(0x102, 2, 3), entry(0x101, 1, 5)]);
  });
});
