/**
 * Settings (lib/conf/settings.ts) over layered configurations, --set overrides, the legacy INI
 * layer (lib/conf/legacy.ts), the bootstrap file chain (lib/conf/bootstrap.ts) and mn-conf's
 * option parser (services/mn-conf/args.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BootstrapError, loadBootstrap } from '../../lib/conf/bootstrap.js';
import { layer, parse, resolve, toPlain } from '../../lib/conf/hocon.js';
import { parseIni } from '../../lib/conf/ini.js';
import { legacyConfig, translateLegacyKey } from '../../lib/conf/legacy.js';
import { bundledSchema, overridesToConfig, Settings, SettingsError } from '../../lib/conf/settings.js';
import { parseCommandArgs, UsageError, type CommandSpec } from '../../services/mn-conf/args.js';

describe('Settings', () => {
  it('defaults and --set overrides, typed (the API the node and the test harness use)', () => {
    const s = new Settings({ 'cluster.rest_api.http_host': '127.0.0.1', 'cluster.rest_api.http_port': '0', 'zookeeper.session_timeout': '10s' });
    assert.equal(s.string('cluster.rest_api.http_host'), '127.0.0.1');
    assert.equal(s.number('cluster.rest_api.http_port'), 0);
    assert.equal(s.number('zookeeper.session_timeout'), 10_000, 'durations in milliseconds');
    assert.equal(s.number('zookeeper.base_retry'), 1000);
    assert.equal(s.bool('cluster.rest_api.metrics_enabled'), true);
    assert.equal(s.string('cluster.rest_api.root_uri'), '/midonet-api');
    assert.equal(new Settings({ 'zookeeper.session_timeout': '5000' }).number('zookeeper.session_timeout'), 5000, 'a bare number is milliseconds');
    assert.equal(new Settings({ 'cluster.auth.keystone.url': 'http://k:5000/v3' }).string('cluster.auth.keystone.url'), 'http://k:5000/v3');
  });

  it('refuses unknown keys and values of the wrong type', () => {
    assert.throws(() => new Settings({ 'cluster.rest_api.nope': '1' }), /unknown configuration key 'cluster.rest_api.nope'/);
    assert.throws(() => new Settings({ 'cluster.rest_api.http_port': 'abc' }), SettingsError);
    assert.throws(() => new Settings({ 'cluster.rest_api.http_port': '80.5' }), /must be an integer/);
    assert.throws(() => new Settings({ 'cluster.rest_api.enabled': 'maybe' }), /must be true or false/);
    assert.throws(() => new Settings({ 'zookeeper.session_timeout': '3 fortnights' }), /must be a duration/);
    assert.throws(() => new Settings({ 'cluster.loggers.root': 'LOUD' }), /logger level/);
    assert.equal(new Settings({ 'cluster.loggers.some.logger': 'debug' }).string('cluster.loggers.some.logger'), 'debug');
  });

  it('from a layered configuration: per-host beats template beats default template beats schema', () => {
    const schema = bundledSchema();
    const dflt = parse('cluster.rest_api { http_port = 9001, root_uri = "/d", http_host = d }');
    const template = parse('cluster.rest_api { http_port = 9002, root_uri = "/t" }');
    const host = parse('cluster.rest_api.http_port = 9003');
    const s = Settings.fromConfig(resolve(layer(host, template, dflt, schema)));
    assert.equal(s.number('cluster.rest_api.http_port'), 9003);
    assert.equal(s.string('cluster.rest_api.root_uri'), '/t');
    assert.equal(s.string('cluster.rest_api.http_host'), 'd');
    assert.equal(s.number('cluster.rest_api.https_port'), 8443);
    const local = overridesToConfig({ 'cluster.rest_api.http_port': '9004' });
    assert.equal(Settings.fromConfig(resolve(layer(local, host, template, dflt, schema))).number('cluster.rest_api.http_port'), 9004);
  });

  it('a malformed value is reported and the previous (or default) value kept', () => {
    const schema = bundledSchema();
    const good = Settings.fromConfig(resolve(layer(parse('cluster.rest_api.http_port = 9001'), schema)));
    const seen: string[] = [];
    const bad = Settings.fromConfig(resolve(layer(parse('cluster.rest_api.http_port = abc\ncluster.loggers.root = LOUD'), schema)), {
      previous: good,
      onInvalid: (k) => seen.push(k),
    });
    assert.ok(seen.includes('cluster.loggers.root') && seen.includes('cluster.rest_api.http_port'), seen.join());
    assert.ok(seen.includes('cluster.loggers.org.midonet.cluster.root'), 'keys whose ${cluster.loggers.root} took the bad value too');
    assert.equal(bad.number('cluster.rest_api.http_port'), 9001);
    assert.equal(bad.string('cluster.loggers.root'), 'INFO');
    assert.deepEqual(bad.diff(good), []);
  });

  it('logger levels: a section with substitutions resolved; a replaced parent drops its defaults', () => {
    const s = Settings.fromConfig(resolve(layer(parse('cluster.loggers { root = DEBUG, org.midonet.nsdb = WARN }'), bundledSchema())));
    const section = s.section('cluster.loggers');
    assert.equal(section['root'], 'DEBUG');
    assert.equal(section['org.midonet.cluster.root'], 'DEBUG', '${cluster.loggers.root} follows the root');
    assert.equal(section['org.midonet.cluster.auth.keystone'], 'WARN');
    assert.equal(section['org.midonet.nsdb'], 'WARN');
    assert.equal(section['org.midonet.nsdb.root'], undefined, 'the schema default under the replaced object is gone');
  });
});

describe('legacy INI layer', () => {
  it('translates keys and bare durations like the original', () => {
    assert.deepEqual(translateLegacyKey('zookeeper', 'session_timeout', '30000'), ['zookeeper.session_timeout', '30000ms']);
    assert.deepEqual(translateLegacyKey('zookeeper', 'session_gracetime', '5000ms'), ['zookeeper.session_gracetime', '5000ms']);
    assert.deepEqual(translateLegacyKey('arptable', 'arp_timeout_seconds', '60'), ['agent.arptable.arp_timeout', '60s']);
    assert.deepEqual(translateLegacyKey('midolman', 'bgp_holdtime', '120'), ['agent.midolman.bgp_holdtime', '120s']);
    assert.deepEqual(translateLegacyKey('cassandra', 'servers', 'a,b'), ['cassandra.servers', 'a,b']);
    assert.deepEqual(translateLegacyKey('cluster', 'x', '1'), ['agent.cluster.x', '1'], 'a cluster cannot be configured through the INI file');
    const conf = legacyConfig(parseIni('[zookeeper]\nzookeeper_hosts = 10.0.0.1:2181\nsession_timeout = 10000\n'), '/etc/midonet/midonet.conf');
    assert.deepEqual(toPlain(conf), { zookeeper: { zookeeper_hosts: '10.0.0.1:2181', session_timeout: '10000ms' } });
    assert.equal(Settings.fromConfig(resolve(layer(conf, bundledSchema()))).number('zookeeper.session_timeout'), 10_000);
  });
});

describe('bootstrap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conf-boot-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('environment over the given file over the fallbacks; the first file naming a key wins', () => {
    const given = file('given.conf', '[zookeeper]\nzookeeper_hosts = 10.0.0.1:2181\n');
    const fb = file('fallback.conf', '[zookeeper]\nzookeeper_hosts = 10.9.9.9:2181\nroot_key = /other\n');
    const b = loadBootstrap({ file: given, env: {}, fallbacks: [fb, join(dir, 'missing.conf')] });
    assert.equal(b.zookeeperHosts, '10.0.0.1:2181');
    assert.equal(b.rootKey, '/other');
    assert.equal(b.source, given);
    assert.equal(b.legacy?.file, given);
    const e = loadBootstrap({ file: given, env: { MIDO_ZOOKEEPER_HOSTS: 'h:1', MIDO_ZOOKEEPER_ROOT_KEY: '/midonet/v1' }, fallbacks: [fb] });
    assert.equal(e.zookeeperHosts, 'h:1');
    assert.equal(e.rootKey, '/midonet', 'the legacy root key is replaced');
    const viaEnv = loadBootstrap({ env: { MIDONET_CONF: given }, fallbacks: [] });
    assert.equal(viaEnv.zookeeperHosts, '10.0.0.1:2181');
  });

  it('a given file that is missing or names no ZooKeeper is an error naming the file and key', () => {
    assert.throws(
      () => loadBootstrap({ file: join(dir, 'nope.conf'), env: {}, fallbacks: [] }),
      (e: unknown) => e instanceof BootstrapError && /nope\.conf not found/.test(e.message),
    );
    const empty = file('empty.conf', '[zookeeper]\nroot_key = /x\n');
    assert.throws(() => loadBootstrap({ file: empty, env: {}, fallbacks: [] }), /empty\.conf has no \[zookeeper\] zookeeper_hosts/);
  });
});

describe('mn-conf option parsing', () => {
  const spec: CommandSpec = {
    name: 'get',
    descr: '',
    opts: [
      { name: 'host', short: 'h', descr: '' },
      { name: 'template', short: 't', descr: '' },
      { name: 'host-only', short: 'H', flag: true, descr: '' },
      { name: 'json', short: 'j', flag: true, descr: '' },
    ],
    exclusive: [['template', 'host-only']],
    trailing: { name: 'KEY', required: true },
  };

  it('long, long=value, short, short glued, grouped flags, --', () => {
    assert.deepEqual(parseCommandArgs(spec, ['--host', 'x', 'k']), { opts: { host: 'x' }, trailing: ['k'] });
    assert.deepEqual(parseCommandArgs(spec, ['--template=default', 'k']), { opts: { template: 'default' }, trailing: ['k'] });
    assert.deepEqual(parseCommandArgs(spec, ['-hx', '-Hj', 'k']), { opts: { host: 'x', 'host-only': true, json: true }, trailing: ['k'] });
    assert.deepEqual(parseCommandArgs(spec, ['--', '-k']), { opts: {}, trailing: ['-k'] });
  });

  it('errors: unknown option, missing value, exclusive options, missing or excess trailing argument', () => {
    assert.throws(() => parseCommandArgs(spec, ['-x', 'k']), UsageError);
    assert.throws(() => parseCommandArgs(spec, ['k', '--host']), /needs a value/);
    assert.throws(() => parseCommandArgs(spec, ['-t', 'a', '-H', 'k']), /cannot be used together/);
    assert.throws(() => parseCommandArgs(spec, []), /required trailing argument 'KEY'/);
    assert.throws(() => parseCommandArgs(spec, ['a', 'b']), /excess arguments/);
  });
});
