/**
 * `midonet-cluster dev add-host` run for real, as a child process against the test ZooKeeper,
 * with the REST API of a test node looking at the same root key: the host appears, is alive while
 * the command runs with --alive (its ephemeral `alive` state key, storage.md §8), and is not alive
 * once the command has been stopped.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { message } from '../../lib/http/messages.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertEmpty,
  assertError,
  assertStatus,
  del,
  get,
  modelText,
  post,
  provenance,
  UUID_RE,
  uuidText,
  zkExists,
  zoom,
  type Json,
} from '../support/rest-helpers.js';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRAPPER = resolve(PROJECT, 'deploy/bin/midonet-cluster');
const MAIN = resolve(PROJECT, 'services/cluster-node/main.ts');
const HOST = 'application/vnd.org.midonet.Host-v3+json';

let t: TestNode;
let api: string;
const children = new Set<ChildProcess>();

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await t?.stop();
});

interface Run {
  child: ChildProcess;
  /** resolves with the first stdout line; rejects if the process ends before printing one */
  firstLine: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Runs the command with the test node's ZooKeeper and root key (environment, as in production). */
function run(args: string[], how: 'wrapper' | 'node' = 'wrapper'): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, MIDO_ZOOKEEPER_HOSTS: t.zkConnect, MIDO_ZOOKEEPER_ROOT_KEY: t.rootKey };
  delete env['MIDONET_CONF'];
  const child =
    how === 'wrapper'
      ? spawn(WRAPPER, ['dev', 'add-host', ...args], { env, cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev', 'add-host', ...args], { env, cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
  });
  const firstLine = new Promise<string>((res, rej) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) res(out.slice(0, nl));
    });
    void exit.then(({ code, signal }) => rej(new Error(`exited (${code ?? signal}) before printing a line; stderr: ${err}`)));
  });
  firstLine.catch(() => undefined); // observed by the tests that need it
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  return { child, firstLine, exit, stdout: () => out, stderr: () => err };
}

async function getHost(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/hosts/${id}`, HOST);
  assertStatus(res, 200);
  return res.json;
}

function alivePath(id: string): string {
  return `${zoom(t)}/state/${id}/Host/${id}/alive`;
}

describe('midonet-cluster dev add-host', { timeout: 120_000 }, () => {
  it('writes the host (as an agent: owner none) and exits 0 printing its id; the API sees it, not alive', async () => {
    const id = randomUUID();
    const r = run(['--id', id.toUpperCase(), '--name', 'dev-one']);
    const { code } = await r.exit;
    assert.equal(code, 0, r.stderr());
    assert.equal(r.stdout(), `${id}\n`);
    const host = await getHost(id);
    assert.equal(host.name, 'dev-one');
    assert.equal(host.alive, false);
    assert.equal(host.floodingProxyWeight, 1);
    assert.equal(await modelText(t, 'Host', id), `${uuidText('id', id)}name: "dev-one"\n`);
    assert.deepEqual(await provenance(t, 'Host', id), [{ owner: 0, type: 1, version: 0 }]);
    assert.equal(await zkExists(t, alivePath(id)), false);
  });

  it('without --id a random id is chosen; the default name is dev-host-<8 hex digits>', async () => {
    const r = run([]);
    assert.equal((await r.exit).code, 0, r.stderr());
    const id = r.stdout().trim();
    assert.match(id, UUID_RE);
    assert.equal((await getHost(id)).name, `dev-host-${id.slice(0, 8)}`);
  });

  it('an existing host is left as it is', async () => {
    const id = randomUUID();
    assertStatus(await post(`${api}/hosts`, HOST, { id, name: 'made-by-api', containerLimit: 4 }), 201);
    const r = run(['--id', id, '--name', 'other']);
    assert.equal((await r.exit).code, 0, r.stderr());
    const host = await getHost(id);
    assert.equal(host.name, 'made-by-api');
    assert.equal(host.containerLimit, 4);
  });

  it('--alive keeps the host alive while it runs (DELETE → 403) and not alive after SIGTERM (DELETE → 200)', async () => {
    const id = randomUUID();
    const r = run(['--id', id, '--name', 'dev-alive', '--alive']);
    assert.equal(await r.firstLine, id);
    assert.equal(r.child.exitCode, null, 'still running');

    const stat = await t.node.zk.exists(alivePath(id));
    assert.ok(stat, 'alive node exists');
    assert.notEqual(stat.ephemeralOwner, 0n, 'alive node is ephemeral');
    assert.equal((await t.node.zk.getData(alivePath(id))).data.toString('utf8'), 'alive');
    assert.equal((await getHost(id)).alive, true);
    const list = await get(`${api}/hosts`, 'application/vnd.org.midonet.collection.Host-v3+json');
    assert.equal((list.json as Json[]).find((h) => h.id === id)?.alive, true);
    assertError(await del(`${api}/hosts/${id}`), 403, message('HostDeletionNotAllowedActive', id));

    r.child.kill('SIGTERM');
    const { code } = await r.exit;
    assert.equal(code, 0, r.stderr());
    assert.equal(await zkExists(t, alivePath(id)), false);
    assert.equal((await getHost(id)).alive, false);
    assertEmpty(await del(`${api}/hosts/${id}`), 200);
  });

  it('--alive run with node directly: SIGINT (Ctrl-C) ends it the same way', async () => {
    const id = randomUUID();
    const r = run(['--id', id, '--alive'], 'node');
    assert.equal(await r.firstLine, id);
    assert.equal((await getHost(id)).alive, true);
    r.child.kill('SIGINT');
    assert.equal((await r.exit).code, 0, r.stderr());
    assert.equal((await getHost(id)).alive, false);
  });

  it('--alive takes the key over from an earlier session, as an agent does (last write wins)', async () => {
    const id = randomUUID();
    assertStatus(await post(`${api}/hosts`, HOST, { id }), 201);
    const earlier = await ZkClient.connect({ connectString: t.zkConnect, sessionTimeoutMs: 10000 });
    try {
      await earlier.mkdirp(`${zoom(t)}/state/${id}/Host/${id}`);
      await earlier.create(alivePath(id), Buffer.from('alive'), 'ephemeral');
      const r = run(['--id', id, '--alive']);
      assert.equal(await r.firstLine, id);
      const stat = await t.node.zk.exists(alivePath(id));
      assert.ok(stat);
      assert.notEqual(stat.ephemeralOwner, earlier.sessionId, 'the command owns the key now');
      assert.equal((await getHost(id)).alive, true);
      r.child.kill('SIGTERM');
      assert.equal((await r.exit).code, 0, r.stderr());
      assert.equal((await getHost(id)).alive, false);
    } finally {
      await earlier.close();
    }
  });

  it('a malformed --id or an unknown option → exit 2 with the usage, nothing on stdout', async () => {
    const bad = run(['--id', 'not-a-uuid']);
    assert.equal((await bad.exit).code, 2);
    assert.match(bad.stderr(), /--id must be a UUID/);
    assert.match(bad.stderr(), /usage: midonet-cluster dev add-host/);
    assert.equal(bad.stdout(), '');
    const unknown = run(['--bogus']);
    assert.equal((await unknown.exit).code, 2);
    assert.match(unknown.stderr(), /usage: midonet-cluster dev add-host/);
  });
});
