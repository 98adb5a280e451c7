/**
 * `/conf` over REST against a real node and ZooKeeper (rest-api-extras.md §5.9, mn-conf.md §8):
 * text/plain HOCON in, formatted JSON out, over the same documents `mn-conf` reads and writes
 * (checked by running the real command), refused input changing nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getPath, parse, toPlain } from '../../lib/conf/hocon.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { mnConf, snapshotConfig } from '../support/mn-conf.js';
import { assertEmpty, assertError, assertMediaType, assertStatus, del, get, rq, type Res } from '../support/rest-helpers.js';

const TEXT = 'text/plain';

let t: TestNode;
let api: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  t = await startTestNode();
  api = t.api;
  env = { ...process.env, MIDO_ZOOKEEPER_HOSTS: t.zkConnect, MIDO_ZOOKEEPER_ROOT_KEY: t.rootKey };
  // the schemas, as a cluster start or an operator's `mn-conf deploy` puts them
  const deployed = await mnConf(['deploy'], env);
  assert.equal(deployed.code, 0, deployed.stderr);
});

after(async () => {
  await t?.stop();
});

const postText = (url: string, body: string, type = TEXT): Promise<Res> => rq('POST', url, { headers: { 'Content-Type': type }, rawBody: body });

async function getText(url: string): Promise<string> {
  const res = await get(url, TEXT);
  assertStatus(res, 200);
  assertMediaType(res, TEXT);
  return res.text;
}

/** A text answer as plain data (it is HOCON-readable JSON, with `${…}` left as written). */
async function getConf(url: string): Promise<unknown> {
  return toPlain(parse(await getText(url)));
}

describe('/conf', () => {
  it('GET /conf/schemas: the deployed schemas as formatted JSON text', async () => {
    const text = await getText(`${api}/conf/schemas`);
    assert.match(text, /^\{\n {4}"/);
    const schemas = parse(text);
    assert.equal(toPlain(getPath(schemas, ['cluster', 'rest_api', 'http_port']) ?? parse('')), 8181);
    assert.ok(getPath(schemas, ['zookeeper', 'root_key']), 'the nsdb schema is there too');
  });

  it("a node's configuration: POST HOCON merges (200, no body), GET shows it, mn-conf sees it; DELETE clears it", async () => {
    const node = randomUUID();
    assert.equal(await getText(`${api}/conf/nodes/${node}`), '{}\n');
    const r = await postText(`${api}/conf/nodes/${node}`, 'cluster.rest_api.http_port = 8282');
    assertEmpty(r, 200);
    assertEmpty(await postText(`${api}/conf/nodes/${node}`, 'cluster { loggers.root : DEBUG }'), 200);
    assert.equal(
      await getText(`${api}/conf/nodes/${node}`),
      '{\n    "cluster" : {\n        "loggers" : {\n            "root" : "DEBUG"\n        },\n        "rest_api" : {\n            "http_port" : 8282\n        }\n    }\n}\n',
    );
    const got = await mnConf(['get', '-H', '-h', node, 'cluster.rest_api.http_port'], env);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, 'cluster.rest_api.http_port = 8282\n');
    // and what mn-conf writes, the API shows
    const set = await mnConf(['set', '-h', node, 'cluster.rest_api.max_body_bytes = 2048'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(((await getConf(`${api}/conf/nodes/${node}`)) as { cluster: { rest_api: unknown } }).cluster.rest_api, {
      http_port: 8282,
      max_body_bytes: 2048,
    });
    assertEmpty(await del(`${api}/conf/nodes/${node}`), 200);
    assert.equal(await getText(`${api}/conf/nodes/${node}`), '{}\n');
  });

  it("runtime: the node's own keys over its template over default over the schemas", async () => {
    const node = randomUUID();
    assertEmpty(await postText(`${api}/conf/templates/default`, 'cluster.rest_api.http_port = 8001\ncluster.rest_api.max_body_bytes = 1000'), 200);
    assertEmpty(await postText(`${api}/conf/templates/big`, 'cluster.rest_api.max_body_bytes = 5000'), 200);
    const mapped = await postText(`${api}/conf/template-mappings/${node}`, `{"${node}": "big"}`);
    assertStatus(mapped, 200);
    assertMediaType(mapped, TEXT);
    assert.equal(mapped.text, `{\n    "${node}" : "big"\n}\n`);
    assertEmpty(await postText(`${api}/conf/nodes/${node}`, 'cluster.rest_api.http_port = 9000'), 200);
    const rt = parse(await getText(`${api}/conf/runtime/${node}`));
    const key = (k: string): unknown => toPlain(getPath(rt, k.split('.')) ?? parse(''));
    assert.equal(key('cluster.rest_api.http_port'), 9000);
    assert.equal(key('cluster.rest_api.max_body_bytes'), 5000);
    assert.equal(key('cluster.rest_api.root_uri'), '/midonet-api', 'from the schema');
    // templates and mappings as mn-conf sees them
    const list = await mnConf(['template-get', '-h', node], env);
    assert.equal(list.stdout, `${node}  big\n`);
    assert.deepEqual(await getConf(`${api}/conf/templates`), { templates: ['big', 'default'] });
    assert.deepEqual(await getConf(`${api}/conf/templates/big`), { cluster: { rest_api: { max_body_bytes: 5000 } } });
    assert.deepEqual(await getConf(`${api}/conf/template-mappings`), { [node]: 'big' });
    assertEmpty(await del(`${api}/conf/template-mappings/${node}`), 200);
    assert.deepEqual(await getConf(`${api}/conf/template-mappings`), {});
    assertEmpty(await del(`${api}/conf/templates/big`), 200);
    assert.equal(await getText(`${api}/conf/templates/big`), '{}\n');
    assert.equal(toPlain(getPath(parse(await getText(`${api}/conf/runtime/${node}`)), ['cluster', 'rest_api', 'max_body_bytes']) ?? parse('')), 1000);
    assertEmpty(await del(`${api}/conf/templates/default`), 200);
  });

  it('bad input → 4xx and nothing written', async () => {
    const node = randomUUID();
    const before = await snapshotConfig(t.node.zk, t.rootKey);
    assertError(await postText(`${api}/conf/nodes/${node}`, 'cluster.rest_api.http_port = '), 400, /not valid HOCON/);
    assertError(await postText(`${api}/conf/nodes/${node}`, 'cluster.rest_api.http_port = "many"'), 400, /does not validate/);
    assertError(await postText(`${api}/conf/nodes/${node}`, 'cluster.rest_api.htp_port = 1'), 400, /unknown configuration key 'cluster.rest_api.htp_port'/);
    assertError(await postText(`${api}/conf/templates/t1`, 'cluster.loggers.root = LOUD'), 400, /logger level/);
    assertError(await postText(`${api}/conf/template-mappings/${node}`, '{"someone-else": "t1"}'), 400, /no template/);
    assertError(await postText(`${api}/conf/template-mappings/${node}`, `{"${node}": {"a": 1}}`), 400);
    assertEmpty(await postText(`${api}/conf/nodes/${node}`, '{"cluster": {}}', 'application/json'), 415);
    assertEmpty(await get(`${api}/conf/schemas`, 'application/json'), 406);
    assertError(await get(`${api}/conf/nodes/not-a-uuid`, TEXT), 404);
    assertEmpty(await postText(`${api}/conf/runtime/${node}`, ''), 405);
    assert.deepEqual(await snapshotConfig(t.node.zk, t.rootKey), before);
  });
});
