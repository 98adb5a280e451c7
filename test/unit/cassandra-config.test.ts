/**
 * The `cassandra.*` keys of mn-conf as the flow-trace reader reads them (lib/cassandra/config.ts),
 * through the node's own Settings, and the mapping of the driver's errors onto the typed ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors as driverErrors } from 'cassandra-driver';
import { cassandraConfig, parseServers } from '../../lib/cassandra/config.js';
import { CassandraFailedError, CassandraNotConfiguredError, CassandraUnavailableError, classifyCassandraError } from '../../lib/cassandra/errors.js';
import { Settings } from '../../lib/conf/settings.js';

describe('cassandra configuration', () => {
  it('is "not configured" with the bundled defaults (cassandra.servers empty)', () => {
    assert.throws(
      () => cassandraConfig(new Settings()),
      (e: unknown) => e instanceof CassandraNotConfiguredError && e.kind === 'not_configured' && /cassandra\.servers is empty/.test(e.message),
    );
    assert.throws(() => cassandraConfig(new Settings({ 'cassandra.servers': ' , ' })), CassandraNotConfiguredError);
  });

  it('reads servers, replication factor and cluster name from mn-conf', () => {
    const c = cassandraConfig(
      new Settings({ 'cassandra.servers': '10.0.0.1:9142,10.0.0.2', 'cassandra.replication_factor': '3', 'cassandra.cluster': 'mido' }),
    );
    assert.deepEqual(c, { servers: '10.0.0.1:9142,10.0.0.2', hosts: ['10.0.0.1', '10.0.0.2'], port: 9142, replicationFactor: 3, cluster: 'mido' });
    const d = cassandraConfig(new Settings({ 'cassandra.servers': 'cass1' }));
    assert.equal(d.port, 9042, 'the default native-protocol port');
    assert.equal(d.replicationFactor, 1);
    assert.equal(d.cluster, 'midonet');
  });

  it('uses one port for every server: that of the first entry naming one (as the agents do)', () => {
    assert.deepEqual(parseServers('a, b:9300 ,c:9400'), { hosts: ['a', 'b', 'c'], port: 9300 });
    assert.deepEqual(parseServers('[::1]:9500,::2'), { hosts: ['::1', '::2'], port: 9500 });
  });

  it('refuses malformed entries as "not configured", naming the entry', () => {
    for (const bad of ['a:port', 'a:0', 'a:70000', ':9042', 'a b:9042']) {
      assert.throws(
        () => parseServers(bad),
        (e: unknown) => e instanceof CassandraNotConfiguredError && e.message.includes('malformed'),
        bad,
      );
    }
  });
});

describe('cassandra error mapping', () => {
  it('maps unreachable servers, timeouts and replica shortages to "unavailable", anything else to "failed"', () => {
    const unavailable = [
      new driverErrors.NoHostAvailableError({}),
      new driverErrors.OperationTimedOutError('timed out'),
      new driverErrors.ResponseError(0x1000, 'Cannot achieve consistency level ONE'),
      new driverErrors.ResponseError(0x1200, 'Operation timed out'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ];
    for (const e of unavailable) {
      const c = classifyCassandraError(e, 'h:9042');
      assert.ok(c instanceof CassandraUnavailableError, `${e.message} -> ${c.name}`);
      assert.equal(c.retryAfterSeconds, 5);
      assert.equal(c.cause, e, 'the driver error is kept for logs');
      assert.doesNotMatch(c.message, /h:9042/, 'no server address in a message meant for API clients');
    }
    const failed = [new driverErrors.ResponseError(0x2200, 'unconfigured table flows'), new driverErrors.ArgumentError('bad'), new TypeError('x')];
    for (const e of failed) assert.ok(classifyCassandraError(e, 'h') instanceof CassandraFailedError, e.message);
  });
});
