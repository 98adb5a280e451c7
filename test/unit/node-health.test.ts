/**
 * The pieces of the node lifecycle that need no server: the readiness verdict and its reasons,
 * the address registered in service discovery, the `midonet-cluster nodes` table.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Settings } from '../../lib/conf/settings.js';
import { makeInstance } from '../../lib/zk/service-discovery.js';
import { readinessReport, type ReadinessInputs } from '../../services/cluster-node/health.js';
import { housekeepingLatchPath, ORIGINAL_LATCH_PATHS } from '../../services/cluster-node/leader-services.js';
import { advertisedHost } from '../../services/cluster-node/node.js';
import { formatNodes } from '../../services/cluster-node/nodes-command.js';

const READY: ReadinessInputs = {
  hostId: 'h1',
  zookeeper: { state: 'connected', sessionId: '0x1', sessions: 1, failedAttempts: 0 },
  configLoaded: true,
  configSource: 'zookeeper',
  restStarted: true,
  draining: false,
  registered: true,
};

describe('readiness', () => {
  test('ready only when every condition holds', () => {
    const r = readinessReport(READY);
    assert.equal(r.ready, true);
    assert.equal(r.status, 'ready');
    assert.deepEqual(r.reasons, []);
  });

  test('each missing condition is a reason; discovery is reported but not required', () => {
    const r = readinessReport({
      ...READY,
      zookeeper: { state: 'connecting', sessions: 0, failedAttempts: 3 },
      configLoaded: false,
      restStarted: false,
      draining: true,
      drainReason: 'SIGTERM',
      registered: false,
    });
    assert.equal(r.ready, false);
    assert.deepEqual(r.reasons, ['ZooKeeper session connecting (3 failed connection attempts)', 'configuration not loaded', 'REST API not started', 'draining (SIGTERM)']);
    assert.equal(readinessReport({ ...READY, registered: false }).ready, true);
    assert.equal(readinessReport({ ...READY, zookeeper: { ...READY.zookeeper, state: 'disconnected' } }).reasons[0], 'ZooKeeper session disconnected');
  });
});

describe('the advertised address', () => {
  test('advertised_host, else a specific listen address, else a non-loopback IPv4 (or 127.0.0.1)', () => {
    assert.equal(advertisedHost(new Settings({ 'cluster.rest_api.advertised_host': 'api1.example' })), 'api1.example');
    assert.equal(advertisedHost(new Settings({ 'cluster.rest_api.http_host': '10.1.2.3' })), '10.1.2.3');
    const any = advertisedHost(new Settings({ 'cluster.rest_api.http_host': '0.0.0.0' }));
    assert.match(any, /^\d+\.\d+\.\d+\.\d+$/);
    assert.notEqual(any, '0.0.0.0');
  });
});

describe('leader latch paths', () => {
  test('housekeeping has a latch of its own; the original services keep theirs (double root for containers)', () => {
    assert.equal(housekeepingLatchPath('/midonet'), '/midonet/housekeeping/leader-latch');
    assert.equal(ORIGINAL_LATCH_PATHS.containers('/midonet'), '/midonet/midonet/containers/leader-latch');
    assert.equal(ORIGINAL_LATCH_PATHS.vxgwFloodingProxy('/midonet'), '/midonet/vxgw/fp-latch');
    assert.equal(ORIGINAL_LATCH_PATHS.neutronImporter('/midonet'), '/midonet/leader-latch');
  });
});

describe('midonet-cluster nodes', () => {
  test('one line per node, the leader marked', () => {
    const a = makeInstance({ name: 'midonet-cluster', id: 'aaaa', address: '10.0.0.1', port: 8181, sslPort: 8443, registrationTimeUTC: Date.UTC(2026, 0, 2, 3, 4, 5) });
    const b = makeInstance({ name: 'midonet-cluster', id: 'bbbb', address: '10.0.0.2', port: 8181, registrationTimeUTC: Date.UTC(2026, 0, 2, 3, 4, 6) });
    const text = formatNodes([a, b], { housekeeping: 'bbbb' });
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] as string, /^ID\s+ADDRESS\s+PORT\s+SSL\s+REGISTERED \(UTC\)\s+LEADS$/);
    assert.match(lines[1] as string, /^aaaa\s+10\.0\.0\.1\s+8181\s+8443\s+2026-01-02 03:04:05$/);
    assert.match(lines[2] as string, /^bbbb\s+10\.0\.0\.2\s+8181\s+-\s+2026-01-02 03:04:06\s+housekeeping$/);
    assert.equal(formatNodes([], {}), 'no live cluster nodes\n');
  });
});
