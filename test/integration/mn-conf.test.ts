/**
 * mn-conf as a command (deploy/bin/mn-conf) against a real ZooKeeper (mn-conf.md §4, §7): the
 * seed's `echo "cluster.rest_api.http_port = N" | mn-conf set -t default`, get/dump output,
 * precedence per-host > template > default > schema, template mappings, unset, doc, import,
 * deploy, and refused input: exit 1 and nothing changed in ZooKeeper.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { mnConf, MN_CONF, run, snapshotConfig } from '../support/mn-conf.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let rootKey: string;
let zk: ZkClient;
const localId = randomUUID();

before(async () => {
  const { connectString } = await getTestZooKeeper();
  rootKey = uniqueRootKey();
  dir = mkdtempSync(join(tmpdir(), 'mn-conf-test-'));
  writeFileSync(join(dir, 'host_id.properties'), `host_uuid=${localId}\n`);
  env = {
    ...process.env,
    MIDO_ZOOKEEPER_HOSTS: connectString,
    MIDO_ZOOKEEPER_ROOT_KEY: rootKey,
    MIDONET_HOST_ID_FILE: join(dir, 'host_id.properties'),
  };
  zk = await ZkClient.connect({ connectString });
});

after(async () => {
  await zk?.removeRecursive(rootKey).catch(() => undefined);
  await zk?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ok = async (args: string[], stdin?: string): Promise<string> => {
  const r = await mnConf(args, env, stdin);
  assert.equal(r.code, 0, `mn-conf ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
};

describe('mn-conf', () => {
  it('deploy writes the bundled schemas once', async () => {
    assert.equal(await ok(['deploy']), 'Deployed schema\n');
    assert.equal(await ok(['deploy']), 'Deployed schema is up to date, nothing to do\n');
    const { data } = await zk.getData(`${rootKey}/config/schemas/cluster`);
    assert.match(data.toString(), /"schemaVersion" : 30/);
    assert.match(data.toString(), /"root" : \$\{cluster\.loggers\.root\}/, 'substitutions are stored unresolved');
  });

  it('the seed command: set through stdin into the default template; get and dump print it', async () => {
    const r = await run('sh', ['-c', `echo "cluster.rest_api.http_port = $NEW_PORT" | ${MN_CONF} set -t default`], { env: { ...env, NEW_PORT: '8282' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const { data } = await zk.getData(`${rootKey}/config/templates/default`);
    assert.deepEqual(JSON.parse(data.toString()), { cluster: { rest_api: { http_port: 8282 } } }, 'stored as formatted JSON');
    assert.equal(await ok(['get', '-t', 'default', 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 8282\n');
    assert.equal(await ok(['get', 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 8282\n');
    assert.equal(await ok(['get', 'cluster.rest_api.request_timeout']), 'cluster.rest_api.request_timeout = "30s"\n', 'schema default, quoted like Typesafe');
    assert.equal(await ok(['dump', '-t', 'default']), 'cluster {\n    "rest_api" {\n        "http_port"=8282\n    }\n}\n\n');
    assert.equal(
      await ok(['dump', '-t', 'default', '-j']),
      '{\n    "cluster" : {\n        "rest_api" : {\n            "http_port" : 8282\n        }\n    }\n}\n\n',
    );
    const full = await ok(['dump']);
    assert.match(full, /"http_port"=8282/);
    assert.match(full, /"https_port"=8443/);
    assert.doesNotMatch(full, /_description|_type/, 'dump drops the schema annotations');
  });

  it('set takes its config from trailing arguments too, and merges', async () => {
    assert.equal(await ok(['set', '-t', 'default', 'cluster.rest_api.root_uri', ':', '"/d"']), '');
    assert.equal(await ok(['get', '-t', 'default', 'cluster.rest_api.root_uri']), 'cluster.rest_api.root_uri = "/d"\n');
    assert.equal(await ok(['get', '-t', 'default', 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 8282\n', 'merged, not replaced');
  });

  it('per-host beats the mapped template beats default beats schema', async () => {
    const host = randomUUID();
    const other = randomUUID();
    await ok(['set', '-t', 'gateways'], 'cluster.rest_api { http_port = 9002, root_uri = "/t" }');
    await ok(['template-set', '-h', host, '-t', 'gateways']);
    await ok(['set', '-h', host], 'cluster.rest_api.http_port = 9003');
    assert.equal(await ok(['get', '-h', host, 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 9003\n');
    assert.equal(await ok(['get', '-h', host, 'cluster.rest_api.root_uri']), 'cluster.rest_api.root_uri = "/t"\n');
    assert.equal(await ok(['get', '-h', host, 'cluster.rest_api.https_port']), 'cluster.rest_api.https_port = 8443\n');
    assert.equal(await ok(['get', '-h', other, 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 8282\n');
    assert.equal(await ok(['get', '-t', 'gateways', 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 9002\n');
    assert.equal(
      await ok(['get', '-s', 'cluster.rest_api.http_port']).then((s) => s.split('\n').pop() === '' && s.trim().split('\n').pop()),
      'cluster.rest_api.http_port = 8181',
    );
    assert.equal(await ok(['dump', '-h', host, '-H']), 'cluster {\n    "rest_api" {\n        "http_port"=9003\n    }\n}\n\n');
    const hostOnly = await mnConf(['get', '-h', host, '-H', 'cluster.rest_api.root_uri'], env);
    assert.equal(hostOnly.code, 11, 'not in the host-only selection');

    assert.equal(await ok(['template-get', '-h', host]), `${host}  gateways\n`);
    assert.equal(await ok(['template-get', '-h', other]), '');
    assert.equal(await ok(['template-get', '-a']), `${host}  gateways\n`);
    assert.equal(await ok(['template-list']), `default\ngateways\n    ${host}\n`);
    assert.equal(await ok(['hosts']), `${host} -> custom : template(gateways) : template(default) : schema\n`);

    await ok(['unset', '-h', host, 'cluster.rest_api.http_port']);
    await ok(['unset', '-h', host, 'cluster.rest_api.http_port']); // absent: fine
    assert.equal(await ok(['get', '-h', host, 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 9002\n');
    await ok(['template-clear', '-h', host]);
    assert.equal(await ok(['get', '-h', host, 'cluster.rest_api.http_port']), 'cluster.rest_api.http_port = 8282\n');
    assert.equal(await ok(['hosts']), `${host} -> custom : template(default) : schema\n`);
  });

  it('"local" is the host id of the host id file', async () => {
    await ok(['set'], 'cluster.rest_api.http_host = "10.1.1.1"');
    assert.equal(await ok(['get', '-h', localId, '-H', 'cluster.rest_api.http_host']), 'cluster.rest_api.http_host = "10.1.1.1"\n');
    assert.equal(await ok(['get', '-h', 'local', 'cluster.rest_api.http_host']), 'cluster.rest_api.http_host = "10.1.1.1"\n');
  });

  it('a key in no schema namespace is installed with the original notice; a missing key exits 11', async () => {
    assert.equal(await ok(['set', '-t', 'default'], 'agent.loggers.root : DEBUG\n'), '');
    assert.equal(
      await ok(['set', '-t', 'default'], 'agent.midolman.bgp_holdtime : 120s\n'),
      'Installing config key that was not found in the schema: agent.midolman.bgp_holdtime\n',
    );
    const r = await mnConf(['get', 'cluster.rest_api.nope'], env);
    assert.deepEqual([r.code, r.stdout, r.stderr], [11, '', '']);
  });

  it('bad input exits 1 with a clear message and changes nothing in ZooKeeper', async () => {
    const before = await snapshotConfig(zk, rootKey);
    const cases: [string[], string | undefined, RegExp][] = [
      [['set', '-t', 'default'], 'cluster.rest_api.http_port = abc\n', /cluster\.rest_api\.http_port \("abc"\) does not follow schema type \(8181\)/],
      [['set', '-t', 'default'], 'cluster.rest_api.htp_port = 8282\n', /unknown configuration key 'cluster\.rest_api\.htp_port'/],
      [['set', '-t', 'default'], 'cluster.rest_api {\n  http_port = 1\n', /STDIN: 3: end of input inside an object/],
      [['set', '-t', 'default'], 'cluster.rest_api.http_port 8282\n', /STDIN: 1: expected ':' or '='/],
      [['set', '-t', 'default', '-c'], 'cluster.loggers.root = LOUD', /not a logger level/],
      [['set', '-h', localId], 'cluster.rest_api.http_port = 8282\ncluster.rest_api.enabled = maybe', /cluster\.rest_api\.enabled/],
      [
        ['set', '-t', 'new-template', 'zookeeper.session_timeout = 3 fortnights'],
        undefined,
        /zookeeper\.session_timeout: "3 fortnights" is not a valid duration/,
      ],
    ];
    for (const [args, stdin, message] of cases) {
      const r = await mnConf(args, env, stdin);
      assert.equal(r.code, 1, `${args.join(' ')} <<< ${stdin}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^\[mn-conf\] Failed: /);
      assert.match(r.stderr, /Nothing was written/);
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(await snapshotConfig(zk, rootKey), before);
  });

  it('doc prints key, type, default and documentation', async () => {
    const d = await ok(['doc', 'zookeeper.session_timeout']);
    assert.match(d, /^Key: zookeeper.session_timeout\nType: duration\nDefault value: 30s\nDocumentation: .+\n$/);
    assert.equal(await ok(['doc', 'no.such.key']), 'Key: no.such.key\n');
    const all = await ok(['doc']);
    assert.match(all, /Key: cluster\.rest_api\.http_port\nDefault value: 8181\nDocumentation: .*\n\n----------------------\n\n/);
    assert.doesNotMatch(all, /schemaVersion/);
  });

  it('import translates a legacy INI file and keeps only what differs from the schema', async () => {
    const ini = join(dir, 'midolman.conf');
    writeFileSync(ini, '[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\nsession_timeout = 10000\n[midolman]\nbgp_holdtime = 180\n');
    const out = await ok(['import', '-t', 'imported', '-f', ini]);
    assert.equal(
      out,
      'Importing legacy configuration:\n{\n    "agent" : {\n        "midolman" : {\n            "bgp_holdtime" : "180s"\n        }\n    },\n    "zookeeper" : {\n        "session_timeout" : "10000ms"\n    }\n}\n\n',
    );
    assert.equal(await ok(['get', '-t', 'imported', 'zookeeper.session_timeout']), 'zookeeper.session_timeout = "10000ms"\n');
  });

  it('exit codes: no arguments 1 (usage), unknown subcommand 4, bad options 1, ZooKeeper unreachable 3, host id not writable 2', async () => {
    const none = await mnConf([], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /mn-conf \[--conf FILE\]/);
    const unknown = await mnConf(['frobnicate', 'x'], env);
    assert.deepEqual([unknown.code, unknown.stderr], [4, '[mn-conf] Failed: invalid arguments, run with --help for usage information\n']);
    assert.equal((await mnConf(['get', '-t', 'a', '-s', 'k'], env)).code, 1);
    const help = await mnConf(['set', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--template <TEMPLATE>/);
    const down = await mnConf(['get', 'cluster.rest_api.http_port'], { ...env, MIDO_ZOOKEEPER_HOSTS: '127.0.0.1:1' });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /^\[mn-conf\] Could not connect to zookeeper at '127\.0\.0\.1:1'\n/);
    writeFileSync(join(dir, 'plain'), '');
    const noId = await mnConf(['set', '-h', 'local', 'cluster.rest_api.http_port : 9999'], {
      ...env,
      MIDONET_HOST_ID_FILE: join(dir, 'plain', 'sub', 'host_id.properties'),
    });
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /Please retry as root/);
  });

  it('reading creates no host id file: a host without one gets what a new host would get', async () => {
    const missing = join(dir, 'fresh', 'host_id.properties');
    const fresh = { ...env, MIDONET_HOST_ID_FILE: missing };
    const dump = await mnConf(['dump', '-h', 'local'], fresh);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(dump.stderr, `[mn-conf] This host has no host id yet (none of ${missing} exists): showing what a new host would get.\n`);
    assert.equal(dump.stdout, (await mnConf(['dump', '-h', randomUUID()], env)).stdout);
    const get = await mnConf(['get', 'cluster.rest_api.http_port'], fresh);
    assert.equal(get.stdout, 'cluster.rest_api.http_port = 8282\n', 'the default template applies');
    assert.deepEqual(await mnConf(['template-get'], fresh).then((r) => [r.code, r.stdout]), [0, '']);
    assert.deepEqual(await mnConf(['template-clear'], fresh).then((r) => [r.code, r.stdout, r.stderr]), [0, '', '']);
    assert.equal(existsSync(missing), false, 'no host id file created by reading');
    // writing the host's own configuration creates it, as in the original
    assert.equal((await mnConf(['set', 'cluster.rest_api.root_uri : "/x"'], fresh)).code, 0);
    const created = /host_uuid=(\S+)/.exec(readFileSync(missing, 'utf8'))?.[1];
    assert.ok(created);
    assert.equal((await mnConf(['get', '-H', '-h', created, 'cluster.rest_api.root_uri'], env)).stdout, 'cluster.rest_api.root_uri = "/x"\n');
  });

  it('takes the bootstrap file through --conf, like the node', async () => {
    const conf = join(dir, 'midonet.conf');
    writeFileSync(conf, `[zookeeper]\nzookeeper_hosts = ${env['MIDO_ZOOKEEPER_HOSTS']}\nroot_key = ${rootKey}\n`);
    const bare = { ...env };
    delete bare['MIDO_ZOOKEEPER_HOSTS'];
    delete bare['MIDO_ZOOKEEPER_ROOT_KEY'];
    const r = await mnConf(['--conf', conf, 'get', '-t', 'default', 'cluster.rest_api.http_port'], bare);
    assert.equal(r.stdout, 'cluster.rest_api.http_port = 8282\n', r.stderr);
    const missing = await mnConf(['--conf', join(dir, 'nope.conf'), 'dump'], bare);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /nope\.conf not found/);
  });
});
