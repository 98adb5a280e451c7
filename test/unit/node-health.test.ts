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
import { servicesOf } from '../../services/cluster-node/health-publisher.js';
import { formatNodes, leaderLatches } from '../../services/cluster-node/nodes-command.js';
import type { ServiceHealth } from '../../services/cluster-node/service.js';

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
    assert.deepEqual(r.reasons, [
      'ZooKeeper session connecting (3 failed connection attempts)',
      'configuration not loaded',
      'REST API not started',
      'draining (SIGTERM)',
    ]);
    assert.equal(readinessReport({ ...READY, registered: false }).ready, true);
    assert.equal(readinessReport({ ...READY, zookeeper: { ...READY.zookeeper, state: 'disconnected' } }).reasons[0], 'ZooKeeper session disconnected');
  });
});

describe('services in readiness', () => {
  test("each service's health is shown; a failed one does not make the node unready", () => {
    const services: Record<string, ServiceHealth> = {
      housekeeping: { state: 'running', since: 'x', runsOn: 'leader', latch: '/midonet/housekeeping/leader-latch' },
      heartbeat: { state: 'failed', detail: 'boom', since: 'x', runsOn: 'every-node' },
    };
    const r = readinessReport({ ...READY, services });
    assert.equal(r.ready, true);
    assert.deepEqual(r.services, services);
    assert.deepEqual(readinessReport(READY).services, {});
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
  const since = '2026-01-02T03:04:05.000Z';
  const payload = (services: Record<string, ServiceHealth>): { services: Record<string, ServiceHealth> } => ({ services });

  test('one line per node: the leader marked, the services with their state, then the failures', () => {
    const a = makeInstance({
      name: 'midonet-cluster',
      id: 'aaaa',
      address: '10.0.0.1',
      port: 8181,
      sslPort: 8443,
      registrationTimeUTC: Date.UTC(2026, 0, 2, 3, 4, 5),
      payload: payload({
        housekeeping: { state: 'standby', detail: 'waiting', since, runsOn: 'leader', latch: '/midonet/housekeeping/leader-latch' },
        heartbeat: { state: 'failed', detail: 'cannot beat', since, runsOn: 'every-node' },
      }),
    });
    const b = makeInstance({
      name: 'midonet-cluster',
      id: 'bbbb',
      address: '10.0.0.2',
      port: 8181,
      registrationTimeUTC: Date.UTC(2026, 0, 2, 3, 4, 6),
      payload: payload({
        housekeeping: { state: 'running', since, runsOn: 'leader', latch: '/midonet/housekeeping/leader-latch' },
        heartbeat: { state: 'disabled', detail: 'cluster.heartbeat.enabled is false', since, runsOn: 'every-node' },
      }),
    });
    const old = makeInstance({ name: 'midonet-cluster', id: 'cccc', address: '10.0.0.3', port: 8181, registrationTimeUTC: Date.UTC(2026, 0, 2, 3, 4, 7) });
    const text = formatNodes([a, b, old], { housekeeping: 'bbbb' });
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 7);
    assert.match(lines[0], /^ID\s+ADDRESS\s+PORT\s+SSL\s+REGISTERED \(UTC\)\s+LEADS\s+SERVICES$/);
    assert.match(lines[1], /^aaaa\s+10\.0\.0\.1\s+8181\s+8443\s+2026-01-02 03:04:05\s+-\s+housekeeping:standby heartbeat:failed$/);
    assert.match(lines[2], /^bbbb\s+10\.0\.0\.2\s+8181\s+-\s+2026-01-02 03:04:06\s+housekeeping\s+housekeeping:running heartbeat:disabled$/);
    assert.match(lines[3], /^cccc\s+10\.0\.0\.3\s+8181\s+-\s+2026-01-02 03:04:07\s+-\s+-$/, 'a node that publishes no health');
    assert.deepEqual(lines.slice(4), ['', 'failed services:', '  aaaa heartbeat: cannot beat']);
    assert.equal(formatNodes([], {}), 'no live cluster nodes\n');
  });

  test("the payload is read tolerantly; the latches read are housekeeping's and those the nodes published", () => {
    const odd = makeInstance({
      name: 'midonet-cluster',
      id: 'x',
      payload: { services: { a: { state: 'exploded' }, b: 'running', c: { state: 'running', runsOn: 'leader', latch: '/r/c/latch' } } },
    });
    assert.deepEqual(servicesOf(odd), { c: { state: 'running', since: '', runsOn: 'leader', latch: '/r/c/latch' } });
    assert.equal(servicesOf(makeInstance({ name: 'midonet-cluster', id: 'y', payload: 'text' })), undefined);
    assert.deepEqual(
      [...leaderLatches('/r', [odd]).entries()],
      [
        ['housekeeping', '/r/housekeeping/leader-latch'],
        ['c', '/r/c/latch'],
      ],
    );
  });
});
