/**
 * The bundled schemas (lib/conf/schemas/*.conf) and validation (lib/conf/schema.ts): every key of
 * the spec with its default, versions, types that check, and the rules `mn-conf set` applies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entries, getPath, parse, renderPath, resolve, splitPath, toPlain, type HObject } from '../../lib/conf/hocon.js';
import { dropSchema, isAnnotationKey, validateConfig, validateKey } from '../../lib/conf/schema.js';
import { bundledSchema, bundledSchemas, DEFAULTS, Settings } from '../../lib/conf/settings.js';

const schema = resolve(bundledSchema());
const def = (key: string): unknown => {
  const v = getPath(schema, splitPath(key));
  return v === undefined ? undefined : toPlain(v);
};

describe('bundled schemas', () => {
  it('are nsdb (version 10, the original head) and cluster (version 30: the original 29 and this node keys)', () => {
    assert.deepEqual(
      bundledSchemas().map((s) => [s.name, s.version]),
      [
        ['cluster', 30],
        ['nsdb', 10],
      ],
    );
  });

  it('have the spec defaults (mn-conf.md §9, auth-https-deploy.md §1.2, §2.1)', () => {
    const expected: Record<string, unknown> = {
      'zookeeper.zookeeper_hosts': '127.0.0.1:2181',
      'zookeeper.root_key': '/midonet',
      'zookeeper.session_timeout': '30s',
      'zookeeper.session_gracetime': '30s',
      'zookeeper.failfast_session_timeout': '5s',
      'zookeeper.max_retries': 10,
      'zookeeper.base_retry': '1s',
      'zookeeper.buffer_size': 4194304,
      'zookeeper.lock_timeout': '30s',
      'zookeeper.transaction_attempts': 3,
      'cassandra.servers': '',
      'state_proxy.read_timeout': '10s',
      'cluster.rest_api.enabled': true,
      'cluster.rest_api.http_host': '0.0.0.0',
      'cluster.rest_api.http_port': 8181,
      'cluster.rest_api.https_host': '0.0.0.0',
      'cluster.rest_api.https_port': 8443,
      'cluster.rest_api.root_uri': '/midonet-api',
      'cluster.rest_api.output_buffer_size': 32768,
      'cluster.rest_api.min_thread_pool_size': 8,
      'cluster.rest_api.max_thread_pool_size': 256,
      'cluster.rest_api.thread_pool_idle_timeout': '60s',
      'cluster.rest_api.acceptor_threads': -1,
      'cluster.rest_api.selector_threads': -1,
      'cluster.rest_api.request_timeout': '30s',
      'cluster.rest_api.http_idle_timeout': '30s',
      'cluster.rest_api.https_idle_timeout': '600s',
      'cluster.rest_api.https_ciphers': '',
      'cluster.auth.provider_class': 'org.midonet.cluster.auth.MockAuthService',
      'cluster.auth.admin_role': ' ',
      'cluster.auth.tenant_admin_role': ' ',
      'cluster.auth.tenant_user_role': ' ',
      'cluster.auth.keystone.version': 3,
      'cluster.auth.keystone.tenant_name': ' ',
      'cluster.auth.keystone.domain_name': '',
      'cluster.auth.keystone.domain_id': 'default',
      'cluster.auth.keystone.user_name': ' ',
      'cluster.auth.keystone.user_password': ' ',
      'cluster.auth.keystone.admin_token': ' ',
      'cluster.auth.keystone.protocol': 'http',
      'cluster.auth.keystone.host': 'localhost',
      'cluster.auth.keystone.port': 35357,
      'cluster.auth.keystone.url': '',
      'cluster.vxgw.enabled': true,
      'cluster.containers.enabled': true,
      'cluster.containers.scheduler_timeout': '10s',
      'cluster.containers.scheduler_retry': '15s',
      'cluster.containers.scheduler_max_retries': 10,
      'cluster.containers.scheduler_bad_host_lifetime': '30s',
      'cluster.state_proxy.enabled': true,
      'cluster.state_proxy.initial_subscriber_queue_size': 16,
      'cluster.state_proxy.notify_batch_size': 64,
      'cluster.state_proxy.cache_threads': 4,
      'cluster.state_proxy.server.address': '0.0.0.0',
      'cluster.state_proxy.server.interface': '',
      'cluster.state_proxy.server.port': 2346,
      'cluster.state_proxy.server.supervisor_threads': 1,
      'cluster.state_proxy.server.worker_threads': 4,
      'cluster.state_proxy.server.max_pending_connections': 1024,
      'cluster.state_proxy.server.bind_retry_interval': '60s',
      'cluster.state_proxy.server.channel_timeout': '15s',
      'cluster.state_proxy.server.shutdown_quiet_period': '0s',
      'cluster.state_proxy.server.shutdown_timeout': '15s',
      'cluster.topology_api.enabled': false,
      'cluster.topology_api.socket_enabled': false,
      'cluster.topology_api.port': 8088,
      'cluster.topology_api.ws_enabled': false,
      'cluster.topology_api.ws_port': 8080,
      'cluster.topology_api.ws_path': '/websocket',
      'cluster.topology_api.session_grace_period': '180s',
      'cluster.topology_api.session_buffer_size': 16384,
      'cluster.topology_cache.enabled': true,
      'cluster.recycler.enabled': true,
      'cluster.recycler.interval': '1d',
      'cluster.recycler.throttling_rate': 100,
      'cluster.recycler.shutdown_timeout': '5s',
      'cluster.neutron_importer.enabled': false,
      'cluster.neutron_importer.threads': 1,
      'cluster.neutron_importer.delay': '0ms',
      'cluster.neutron_importer.period': '1000ms',
      'cluster.neutron_importer.connection_string': ' ',
      'cluster.neutron_importer.user': ' ',
      'cluster.neutron_importer.password': ' ',
      'cluster.neutron_importer.jdbc_driver_class': 'com.mysql.jdbc.Driver',
      'cluster.heartbeat.enabled': false,
      'cluster.heartbeat.threads': 1,
      'cluster.heartbeat.delay': '0ms',
      'cluster.heartbeat.period': '1000ms',
      'cluster.translators.nat.dynamic_port_start': 1024,
      'cluster.translators.nat.dynamic_port_end': 65535,
      'cluster.executors.max_thread_pool_size': 8,
      'cluster.executors.thread_pool_shutdown_timeout': '10s',
      'cluster.executors.thread_pool_name': 'cluster-pool',
      'cluster.endpoint.enabled': true,
      'cluster.endpoint.service.host': '',
      'cluster.endpoint.service.port': 8888,
      'cluster.endpoint.service.interface': '',
      'cluster.endpoint.auth.ssl.enabled': false,
      'cluster.endpoint.auth.ssl.source': 'autosigned',
      'cluster.endpoint.auth.ssl.keystore_path': '',
      'cluster.endpoint.auth.ssl.privatekey_password': '',
      'cluster.loggers.root': 'INFO',
      'cluster.loggers.com.sun.jersey': 'WARN',
      'cluster.loggers.org.apache.zookeeper': 'INFO',
      'cluster.loggers.org.eclipse.jetty': 'INFO',
      'cluster.loggers.org.hibernate': 'WARN',
      'cluster.loggers.org.midonet.cluster.auth.keystone': 'WARN',
      'cluster.loggers.org.midonet.nsdb.state-proxy-client': 'INFO',
      'cluster.loggers.org.midonet.cluster.root': 'INFO',
      'cluster.loggers.org.midonet.nsdb.root': 'INFO',
    };
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(def(k), v, k);
  });

  it('type every duration key (so 30 or "30 s" validate as the original would convert them)', () => {
    for (const [path, v] of entries(schema)) {
      if (isAnnotationKey(path) || v.t !== 'string' || !/^[0-9]+(ms|s|d)$/.test(v.v)) continue;
      const type = getPath(schema, [...path.slice(0, -1), `${path[path.length - 1]}_type`]);
      assert.equal(type?.t === 'string' && type.v, 'duration', renderPath(path));
    }
  });

  it('each validates against its own types (what a deploy checks), descriptions are one line', () => {
    for (const s of bundledSchemas()) {
      const resolved = resolve(s.config);
      for (const [path, v] of entries(resolved)) {
        validateKey(resolved, resolved, path);
        if (path[path.length - 1]?.endsWith('_description')) assert.ok(v.t === 'string' && !/\s\s|\n/.test(v.v), renderPath(path));
      }
    }
  });

  it('agree with DEFAULTS, and every DEFAULTS key is known (Settings reads it)', () => {
    const s = new Settings();
    for (const [k, v] of Object.entries(DEFAULTS)) assert.deepEqual(s.get(k), v, k);
  });
});

describe('validation of mn-conf set input', () => {
  const check = (text: string): ReturnType<typeof validateConfig> => validateConfig(parse(text, 'STDIN'), bundledSchema(), {});

  it('accepts values of the schema types', () => {
    assert.deepEqual(
      check(
        'cluster.rest_api.http_port = 8282\ncluster.rest_api.request_timeout = 10s\nzookeeper.session_timeout = 5000\ncluster.endpoint.auth.ssl.source = KEYSTORE',
      ),
      { unverified: [], errors: [] },
    );
    assert.deepEqual(check('cluster.loggers.root : DEBUG\ncluster.loggers.org.midonet.cluster.rest-api : warn\ncluster.loggers.my.own.logger = TRACE'), {
      unverified: [],
      errors: [],
    });
  });

  it('refuses wrong types with the key, the value and the expected type', () => {
    const r = check('cluster.rest_api.http_port = abc');
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /^STDIN: 1: Value for cluster\.rest_api\.http_port \("abc"\) does not follow schema type \(8181\)/);
    assert.match(check('cluster.rest_api.enabled = "yes"').errors[0], /expected boolean, got string/);
    assert.match(check('cluster.rest_api.http_port = 80.5').errors[0], /must be an integer/);
    assert.match(check('cluster.rest_api.request_timeout = 10 parsecs').errors[0], /is not a valid duration/);
    assert.match(check('cluster.endpoint.auth.ssl.source = pem').errors[0], /should be one of \[AUTOSIGNED, KEYSTORE, CERTIFICATE\]/);
    assert.match(check('cluster.rest_api = 1').errors[0], /expected object, got number/);
    assert.match(check('cluster.loggers.root = LOUD').errors[0], /not a logger level/);
  });

  it('refuses unknown keys in a namespace a schema covers, lets others through as unverified', () => {
    assert.match(check('cluster.rest_api.htp_port = 1').errors[0], /unknown configuration key 'cluster\.rest_api\.htp_port'/);
    assert.match(check('zookeeper.nope = 1').errors[0], /unknown configuration key/);
    assert.deepEqual(check('agent.midolman.bgp_holdtime = 120s\nfoo = bar'), { unverified: ['agent.midolman.bgp_holdtime', 'foo'], errors: [] });
  });

  it('resolves substitutions over the schemas; an unresolvable one is an error', () => {
    assert.deepEqual(check('cluster.rest_api.https_port = ${cluster.rest_api.http_port}').errors, []);
    assert.match(check('cluster.rest_api.http_port = ${nope.nope}').errors[0], /could not resolve substitution/);
  });

  it('reports every bad key', () => {
    assert.equal(check('cluster.rest_api.http_port = abc\ncluster.rest_api.https_port = def').errors.length, 2);
  });
});

describe('dropSchema', () => {
  it('removes _type and _description siblings, keeps the rest', () => {
    const o: HObject = parse('a { b = 1s, b_type = duration, b_description = "x", c = 2 }\nv.schemaVersion = 3');
    assert.deepEqual(toPlain(dropSchema(o)), { a: { b: '1s', c: 2 }, v: { schemaVersion: 3 } });
  });
});
