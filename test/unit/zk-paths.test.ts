import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinPath, normalizeRootKey } from '../../lib/zk/paths.js';
import { zoomLayout as zoomPaths } from '../../lib/nsdb/layout.js';

test('joinPath joins with single slashes and is always absolute', () => {
  assert.equal(joinPath('/a', 'b', 'c'), '/a/b/c');
  assert.equal(joinPath('/a/', '/b/', 'c/'), '/a/b/c');
  assert.equal(joinPath('a', 'b/c'), '/a/b/c');
  assert.equal(joinPath('/'), '/');
  assert.equal(joinPath(), '/');
  assert.equal(joinPath('/midonet', 'zoom', '0'), '/midonet/zoom/0');
});

test('normalizeRootKey: default, legacy value, trailing slash, must be absolute', () => {
  assert.equal(normalizeRootKey(undefined), '/midonet');
  assert.equal(normalizeRootKey(''), '/midonet');
  assert.equal(normalizeRootKey('  '), '/midonet');
  assert.equal(normalizeRootKey('/midonet'), '/midonet');
  assert.equal(normalizeRootKey('/midonet/v1'), '/midonet');
  assert.equal(normalizeRootKey('/midonet/v1/'), '/midonet');
  assert.equal(normalizeRootKey('/midonet/'), '/midonet');
  assert.equal(normalizeRootKey('/other/root//'), '/other/root');
  assert.equal(normalizeRootKey('/midonet/v2'), '/midonet/v2');
  assert.throws(() => normalizeRootKey('midonet'), /must start with '\/'/);
  assert.throws(() => normalizeRootKey('/'), /root/);
  assert.throws(() => normalizeRootKey('/a//b'), /empty segments/);
});

test('zoomLayout follows storage.md §1', () => {
  const z = zoomPaths('/midonet');
  assert.equal(z.root, '/midonet');
  assert.equal(z.zoom, '/midonet/zoom/0');
  assert.equal(z.models('Network'), '/midonet/zoom/0/models/Network');
  assert.equal(z.model('Port', 'abc'), '/midonet/zoom/0/models/Port/abc');
  assert.equal(z.objects('Router'), '/midonet/zoom/0/objects/Router');
  assert.equal(z.object('Router', 'r1'), '/midonet/zoom/0/objects/Router/r1');
  const ns = '00000000-0000-0000-0000-000000000000';
  assert.equal(z.state(ns, 'Host'), `/midonet/zoom/0/state/${ns}/Host`);
  assert.equal(z.state(ns, 'Host', 'h1'), `/midonet/zoom/0/state/${ns}/Host/h1`);
  assert.equal(z.tables('Network'), '/midonet/zoom/0/tables/Network');
  assert.equal(z.tables('Network', 'n1'), '/midonet/zoom/0/tables/Network/n1');
  assert.equal(z.tables('global'), '/midonet/zoom/0/tables/global');
  assert.equal(z.zoomLocks, '/midonet/zoom/0/zoomlocks');
  assert.equal(z.topologyLock, '/midonet/zoom/0/locks/zoom-topology');
  assert.equal(z.sequences('vni'), '/midonet/sequences/vni');
  assert.equal(zoomPaths(normalizeRootKey('/midonet/v1')).zoom, '/midonet/zoom/0');
  assert.equal(zoomPaths('/mn-test-1').model('Port', 'x'), '/mn-test-1/zoom/0/models/Port/x');
});
