/**
 * lib/conf/runtime.ts against a real ZooKeeper: schemas deployed only when newer, the layers of
 * mn-conf.md §5 (--set > per-host > mapped template > default > schemas), and changes followed
 * through watches, including a switch of the host's template mapping.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parse } from '../../lib/conf/hocon.js';
import { RuntimeConfig } from '../../lib/conf/runtime.js';
import { ConfigStore } from '../../lib/conf/zk-store.js';
import { getLogger } from '../../lib/log/logger.js';
import { ZkClient } from '../../lib/zk/client.js';
import { until } from '../support/mn-conf.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let connectString: string;
let rootKey: string;
let zk: ZkClient;
let store: ConfigStore;
const configs: RuntimeConfig[] = [];
const log = getLogger('test.conf');

before(async () => {
  ({ connectString } = await getTestZooKeeper());
  rootKey = uniqueRootKey();
  zk = await ZkClient.connect({ connectString });
  store = new ConfigStore(zk, rootKey);
});

after(async () => {
  for (const c of configs) await c.stop();
  await zk?.removeRecursive(rootKey).catch(() => undefined);
  await zk?.close();
});

async function startConfig(hostId: string, overrides: Record<string, string> = {}): Promise<RuntimeConfig> {
  const c = await RuntimeConfig.start({ connect: () => ZkClient.connect({ connectString }), rootKey, hostId, overrides, log });
  configs.push(c);
  return c;
}

describe('runtime configuration', () => {
  it('deploys the bundled schemas only when they are newer than the deployed ones', async () => {
    await startConfig(randomUUID());
    const first = await zk.getData(store.schemaPath('cluster'));
    // an older deployed version is replaced, a newer one kept
    await zk.setData(store.schemaPath('nsdb'), Buffer.from('nsdb.schemaVersion = 3'));
    await zk.setData(store.schemaPath('cluster'), Buffer.from('cluster { schemaVersion = 99, rest_api.http_port = 7777 }'));
    await startConfig(randomUUID());
    assert.match((await zk.getData(store.schemaPath('nsdb'))).data.toString(), /"schemaVersion" : 10/);
    assert.match((await zk.getData(store.schemaPath('cluster'))).data.toString(), /schemaVersion = 99/);
    const c = await startConfig(randomUUID());
    assert.equal(c.settings.number('cluster.rest_api.http_port'), 7777, 'the deployed schema is a layer above the bundled one');
    await zk.setData(store.schemaPath('cluster'), first.data);
    await until('the restored schema seen', () => c.settings.number('cluster.rest_api.http_port') === 8181 || undefined);
  });

  it('layers --set > per-host > mapped template > default > schema, and follows every change', async () => {
    const host = randomUUID();
    await store.mergeAndSet(store.templatePath('default'), parse('cluster.rest_api { http_port = 9001, root_uri = "/d", http_host = "d" }'));
    await store.mergeAndSet(store.templatePath('t1'), parse('cluster.rest_api { http_port = 9002, root_uri = "/t1" }'));
    await store.mergeAndSet(store.templatePath('t2'), parse('cluster.rest_api { root_uri = "/t2" }'));
    await store.assignTemplate(host, 't1');
    await store.mergeAndSet(store.nodePath(host), parse('cluster.rest_api.http_port = 9003'));
    const c = await startConfig(host, { 'cluster.rest_api.http_host': '127.0.0.1' });
    const s = (): { port: number; uri: string; host: string } => ({
      port: c.settings.number('cluster.rest_api.http_port'),
      uri: c.settings.string('cluster.rest_api.root_uri'),
      host: c.settings.string('cluster.rest_api.http_host'),
    });
    assert.equal(c.templateName, 't1');
    assert.deepEqual(s(), { port: 9003, uri: '/t1', host: '127.0.0.1' });

    const changes: string[][] = [];
    c.on('change', (_n, _p, keys) => changes.push(keys));
    await store.unset(store.nodePath(host), ['cluster', 'rest_api', 'http_port']);
    await until('per-host value removed', () => s().port === 9002 || undefined);
    await store.assignTemplate(host, 't2');
    await until('template switched', () => (s().uri === '/t2' && s().port === 9001) || undefined);
    assert.equal(c.templateName, 't2');
    await store.mergeAndSet(store.templatePath('t2'), parse('cluster.rest_api.root_uri = "/t2b"'));
    await until('new template content', () => s().uri === '/t2b' || undefined);
    await store.mergeAndSet(store.templatePath('t1'), parse('cluster.rest_api.root_uri = "/ignored"'));
    await store.clearTemplate(host);
    await until('back to default', () => s().uri === '/d' || undefined);
    await store.mergeAndSet(store.templatePath('default'), parse('cluster.rest_api { http_host = "e", root_uri = "/d2" }'));
    await until('the same write seen', () => s().uri === '/d2' || undefined);
    assert.equal(s().host, '127.0.0.1', '--set stays on top');
    assert.ok(changes.some((k) => k.includes('cluster.rest_api.http_port')));
  });
});
