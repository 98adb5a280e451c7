/**
 * ServiceDiscovery (lib/zk/service-discovery.ts) against a real ZooKeeper: Curator x-discovery
 * paths and JSON, ephemeral lifetime, membership watches, re-registration after session expiry,
 * and exclusive ids (one process per id: another live session's node is never taken over).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZkClient, type ZkClientOptions } from '../../lib/zk/client.js';
import { joinPath } from '../../lib/zk/paths.js';
import {
  CLUSTER_SERVICE_NAME,
  InstanceTakenError,
  ServiceDiscovery,
  buildUri,
  discoveryBasePath,
  literalUriSpec,
  parseInstance,
  type ServiceInstance,
} from '../../lib/zk/service-discovery.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let connectString: string;
let root: string;
let base: string;
let admin: ZkClient;
const clients: ZkClient[] = [];
const discoveries: ServiceDiscovery[] = [];
const proxies: TcpProxy[] = [];

async function client(extra: Partial<ZkClientOptions> = {}): Promise<ZkClient> {
  const c = await ZkClient.connect({ connectString, sessionTimeoutMs: 10_000, retry: { baseMs: 100, maxRetries: 3 }, ...extra });
  clients.push(c);
  return c;
}

function discovery(zk: ZkClient, extra: { reconnect?: () => Promise<ZkClient>; exclusive?: boolean } = {}): ServiceDiscovery {
  const d = new ServiceDiscovery(zk, { basePath: base, ...extra });
  discoveries.push(d);
  return d;
}

before(async () => {
  connectString = (await getTestZooKeeper()).connectString;
  root = uniqueRootKey();
  base = discoveryBasePath(root);
  admin = await client();
});

after(async () => {
  for (const d of discoveries) await d.close().catch(() => undefined);
  for (const p of proxies) await p.close().catch(() => undefined);
  await admin.removeRecursive(root).catch(() => undefined);
  for (const c of clients) await c.close().catch(() => undefined);
});

describe('service discovery', () => {
  test('register: ephemeral node at <root>/service-discovery/<name>/<id> with Curator JSON', async () => {
    const zk = await client();
    const d = discovery(zk);
    const id = '1c0a7b36-5f5e-4a0b-9d8e-3c2f1a0b9e11';
    await d.register({
      name: CLUSTER_SERVICE_NAME,
      id,
      address: '10.0.0.5',
      port: 8181,
      sslPort: 8443,
      registrationTimeUTC: 1700000000123,
      uriSpec: literalUriSpec('http://10.0.0.5:8181/midonet-api'),
    });
    const path = joinPath(root, 'service-discovery', 'midonet-cluster', id);
    const stat = await admin.exists(path);
    assert.ok(stat);
    assert.equal(stat.ephemeralOwner, zk.sessionId, 'ephemeral, owned by the registering session');
    const json = (await admin.getData(path)).data.toString('utf8');
    assert.equal(
      json,
      `{"name":"midonet-cluster","id":"${id}","address":"10.0.0.5","port":8181,"sslPort":8443,"payload":null,` +
        `"registrationTimeUTC":1700000000123,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"http://10.0.0.5:8181/midonet-api","variable":false}]}}`,
    );
    const listed = await discovery(await client()).listInstances(CLUSTER_SERVICE_NAME);
    assert.equal(listed.length, 1);
    assert.equal(buildUri(listed[0]), 'http://10.0.0.5:8181/midonet-api');
    assert.deepEqual(await d.listServiceNames(), ['midonet-cluster']);
  });

  test('reads what Java Curator writes (newer versions add enabled; variables in uriSpec)', async () => {
    const path = joinPath(base, 'state-proxy', 'i1');
    await admin.mkdirp(joinPath(base, 'state-proxy'));
    const java =
      '{"name":"state-proxy","id":"i1","address":"192.168.0.2","port":2346,"sslPort":null,"payload":null,"registrationTimeUTC":1450000000000,' +
      '"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},{"value":"address","variable":true},' +
      '{"value":":","variable":false},{"value":"port","variable":true}]},"enabled":true}';
    await admin.create(path, Buffer.from(java), 'ephemeral');
    await admin.create(joinPath(base, 'state-proxy', 'garbage'), Buffer.from('not json'), 'ephemeral');
    const [i] = await discovery(await client()).listInstances('state-proxy');
    assert.ok(i);
    assert.equal(i.port, 2346);
    assert.equal(i.sslPort, null);
    assert.equal(buildUri(i), 'http://192.168.0.2:2346');
    assert.deepEqual(parseInstance(Buffer.from(java)), i);
  });

  test('close removes the registration (ephemeral); a watcher sees joins and leaves', async () => {
    const w = discovery(await client());
    const seen: string[][] = [];
    const watch = w.watchInstances('api', (list: ServiceInstance[]) => seen.push(list.map((i) => i.id)));
    await until('initial empty list', () => seen.length === 1, 3000);
    const d1 = discovery(await client());
    const d2 = discovery(await client());
    await d1.register({ name: 'api', id: 'n1', address: '127.0.0.1', port: 1 });
    await until('n1 seen', () => seen.at(-1)?.join() === 'n1', 3000);
    await d2.register({ name: 'api', id: 'n2', address: '127.0.0.1', port: 2 });
    await until('n1,n2 seen', () => seen.at(-1)?.join() === 'n1,n2', 3000);
    await d1.close();
    await until('n2 left', () => seen.at(-1)?.join() === 'n2', 3000);
    assert.deepEqual(
      (await w.listInstances('api')).map((i) => i.id),
      ['n2'],
    );
    await d2.unregister('api', 'n2');
    await until('empty', () => seen.at(-1)?.length === 0, 3000);
    assert.deepEqual(seen, [[], ['n1'], ['n1', 'n2'], ['n2'], []]);
    assert.deepEqual(watch.instances, []);
    watch.close();
  });

  test('a registration deleted behind our back is put back', async () => {
    const d = discovery(await client());
    await d.register({ name: 'svc', id: 'x', port: 1 });
    const path = joinPath(base, 'svc', 'x');
    await admin.remove(path);
    await until('re-created', async () => (await admin.exists(path)) !== null, 3000);
  });

  test('re-registered after session expiry (new session from the reconnect factory)', async () => {
    const proxy = await startTcpProxy(connectString);
    proxies.push(proxy);
    const mk = (): Promise<ZkClient> => client({ connectString: proxy.address, sessionTimeoutMs: 2000, retry: { baseMs: 100, maxRetries: 2 } });
    const zk = await mk();
    const d = discovery(zk, { reconnect: mk });
    const again: string[] = [];
    d.on('reregistered', (i) => again.push(i.id));
    await d.register({ name: 'api', id: 'exp', address: '127.0.0.1', port: 8181 });
    const path = joinPath(base, 'api', 'exp');
    proxy.setMode('refuse');
    await until('the server expired the session', async () => (await admin.exists(path)) === null, 8000);
    proxy.setMode('pass');
    const ms = await until('registered again', async () => (await admin.exists(path)) !== null, 15_000);
    const stat = await admin.exists(path);
    assert.equal(stat?.ephemeralOwner, d.client.sessionId);
    assert.notEqual(d.client.sessionId, zk.sessionId);
    await until('the reregistered event', () => again.length > 0, 2000);
    assert.deepEqual(again, ['exp']);
    process.stdout.write(`[figures] discovery: registration back ${ms} ms after the partition healed\n`);
  });

  test('re-registered on a client handed over with setClient; an old node still alive is replaced', async () => {
    const first = await client();
    const d = discovery(first);
    await d.register({ name: 'api', id: 'hand', port: 1 });
    const second = await client();
    d.setClient(second);
    const path = joinPath(base, 'api', 'hand');
    await until('owned by the new session', async () => (await admin.exists(path))?.ephemeralOwner === second.sessionId, 3000);
  });

  test("exclusive: another session's node is not replaced (register rejects, claim waits, then refuses)", async () => {
    const holder = discovery(await client(), { exclusive: true });
    await holder.register({ name: 'api', id: 'ex1', address: '127.0.0.1', port: 1 });
    const path = joinPath(base, 'api', 'ex1');
    const owner = (await admin.exists(path))?.ephemeralOwner;
    const other = discovery(await client(), { exclusive: true });
    const taken = await other.register({ name: 'api', id: 'ex1', address: '127.0.0.1', port: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(taken instanceof InstanceTakenError, String(taken));
    assert.equal(taken.owner, owner);
    assert.equal(taken.holder?.port, 1);
    // the holder's node is untouched, and stays so (no fight: the loser does not try again)
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await admin.exists(path))?.ephemeralOwner, owner);
    assert.equal(parseInstance((await admin.getData(path)).data).port, 1);
    // claim: a live holder (isAlive) is refused at once; otherwise after the wait
    const alive = await other.claim('api', 'ex1', { timeoutMs: 60_000, isAlive: () => Promise.resolve(true) }).catch((e: unknown) => e);
    assert.ok(alive instanceof InstanceTakenError && alive.why === 'alive', String(alive));
    const held = await other.claim('api', 'ex1', { timeoutMs: 300 }).catch((e: unknown) => e);
    assert.ok(held instanceof InstanceTakenError && held.why === 'held', String(held));
    // the holder goes: a claim in progress sees it at once, and the registration is ours
    let waiting = false;
    const claim = other.claim('api', 'ex1', { timeoutMs: 30_000, onWait: () => (waiting = true) });
    await until('the claim waits', () => waiting, 3000);
    await holder.close();
    await claim;
    await other.register({ name: 'api', id: 'ex1', address: '127.0.0.1', port: 2 });
    assert.equal((await admin.exists(path))?.ephemeralOwner, other.client.sessionId);
  });

  test("exclusive: a node of our own earlier session is replaced (setClient), a stranger's is not (conflict, then back when it goes)", async () => {
    const first = await client();
    const d = discovery(first, { exclusive: true });
    const conflicts: bigint[] = [];
    const back: string[] = [];
    d.on('conflict', (e) => conflicts.push(e.owner));
    d.on('reregistered', (i) => back.push(i.id));
    await d.register({ name: 'api', id: 'ex2', port: 1 });
    const path = joinPath(base, 'api', 'ex2');
    const second = await client();
    d.setClient(second); // `first` still lives: its node is ours all the same
    await until('owned by the new session', async () => (await admin.exists(path))?.ephemeralOwner === second.sessionId, 3000);
    // a stranger takes the id over (our node deleted and theirs created in one transaction, as
    // a non-exclusive registrar does): we see our node go, and do not delete theirs
    const stranger = await client();
    await stranger.multi([
      { op: 'remove', path, version: -1 },
      { op: 'create', path, data: Buffer.from('{"name":"api","id":"ex2","port":9}'), mode: 'ephemeral' },
    ]);
    await until('the conflict is reported', () => conflicts.length > 0, 10_000);
    assert.equal(conflicts[0], stranger.sessionId);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await admin.exists(path))?.ephemeralOwner, stranger.sessionId, 'not fought over');
    // an update meanwhile does not write into the stranger's node; it is what we register again
    await d.update({ name: 'api', id: 'ex2', port: 5 });
    assert.equal(parseInstance((await admin.getData(path)).data).port, 9);
    await stranger.close();
    await until('registered again once the stranger is gone', async () => (await admin.exists(path))?.ephemeralOwner === second.sessionId, 10_000);
    assert.ok(back.includes('ex2'));
    assert.equal(parseInstance((await admin.getData(path)).data).port, 5);
    // taken again: leaving (a drain) deletes nothing of the other's
    const another = await client();
    await another.multi([
      { op: 'remove', path, version: -1 },
      { op: 'create', path, data: Buffer.from('{"name":"api","id":"ex2","port":7}'), mode: 'ephemeral' },
    ]);
    await until('the second conflict is reported', () => conflicts.length > 1, 10_000);
    await d.unregister('api', 'ex2');
    assert.equal((await admin.exists(path))?.ephemeralOwner, another.sessionId);
  });
});
