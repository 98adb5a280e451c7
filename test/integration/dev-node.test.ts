/**
 * The development node as the README runs it, from a checkout of its own (a copy of this one in
 * a temporary directory, so that its var/ is the test's), against the test ZooKeeper:
 * - `--dev` listens on 127.0.0.1 unless --set names another address;
 * - `mn-conf -h local` from the same checkout is the dev node: a per-host setting written with it
 *   reaches the running node, and mn-conf creates no host id file;
 * - the README's mn-conf examples, run in order, leave the configuration as they found it.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { freePort, PROJECT, run, startNodeProcess, type NodeProcess } from '../support/mn-conf.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let dir: string;
let checkout: string;
let env: NodeJS.ProcessEnv;
let rootKey: string;
let zk: ZkClient;
const nodes: NodeProcess[] = [];

const MACHINE_HOST_ID_FILES = ['/etc/midonet_host_id.properties', '/etc/midolman/host_uuid.properties'];

function mnConf(args: string[], stdin?: string): ReturnType<typeof run> {
  return run(join(checkout, 'deploy/bin/mn-conf'), args, { env, stdin });
}

function devNode(args: string[]): NodeProcess {
  const n = startNodeProcess(['--dev', ...args], env, checkout);
  nodes.push(n);
  return n;
}

/** Whether something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

before(async () => {
  const { connectString } = await getTestZooKeeper();
  rootKey = uniqueRootKey();
  dir = mkdtempSync(join(tmpdir(), 'mido-dev-node-'));
  checkout = join(dir, 'checkout');
  mkdirSync(checkout);
  for (const part of ['lib', 'services', 'haproxy', 'deploy', 'package.json', 'tsconfig.json'])
    cpSync(join(PROJECT, part), join(checkout, part), { recursive: true });
  symlinkSync(join(PROJECT, 'node_modules'), join(checkout, 'node_modules'));
  env = { ...process.env, MIDO_ZOOKEEPER_HOSTS: connectString, MIDO_ZOOKEEPER_ROOT_KEY: rootKey, HOME: dir };
  delete env['MIDONET_HOST_ID_FILE'];
  delete env['MIDONET_CONF'];
  zk = await ZkClient.connect({ connectString });
});

after(async () => {
  for (const n of nodes) await n.stop();
  await zk?.removeRecursive(rootKey).catch(() => undefined);
  await zk?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dev node', () => {
  it('listens on 127.0.0.1; mn-conf -h local from the same checkout is this node, and creates no host id file', async () => {
    const machineFiles = MACHINE_HOST_ID_FILES.filter((f) => existsSync(f));
    const port = await freePort();
    const node = devNode(['--set', `cluster.rest_api.http_port=${port}`]);
    await node.waitForRecord((r) => r['message'] === `REST API listening on http://127.0.0.1:${port}/midonet-api`, 'listening on loopback', 60_000);
    const idRecord = node.records().find((r) => r['message'] === 'host id created' || r['message'] === 'host id');
    const hostId = String(idRecord?.['hostId']);
    if (machineFiles.length === 0) {
      // a machine without a host id: the dev node makes one in its checkout's var/
      assert.equal(idRecord?.['file'], join(checkout, 'var', 'host_id.properties'));
      assert.match(readFileSync(join(checkout, 'var', 'host_id.properties'), 'utf8'), new RegExp(`host_uuid=${hostId}`));
    }
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    if (outside) assert.equal(await accepts(outside, port), false, `not reachable on ${outside}`);
    assert.equal(await accepts('127.0.0.1', port), true);

    // a per-host setting written for `local` reaches the running dev node at once
    const set = await mnConf(['set', '-h', 'local', 'cluster.loggers.root : DEBUG']);
    assert.deepEqual([set.code, set.stderr], [0, '']);
    await node.waitForRecord((r) => r['message'] === 'logger levels changed', 'the per-host logger level applied');
    assert.ok(await zk.exists(`${rootKey}/config/nodes/${hostId}`), "written under the node's host id");
    const get = await mnConf(['get', '-H', 'cluster.loggers.root']);
    assert.deepEqual([get.code, get.stdout, get.stderr], [0, 'cluster.loggers.root = DEBUG\n', '']);
    const dump = await mnConf(['dump', '-h', 'local', '-j']);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(dump.stderr, '');
    assert.match(dump.stdout, /"root" : "DEBUG"/);
    assert.equal((await mnConf(['unset', '-h', 'local', 'cluster.loggers.root'])).code, 0);
    assert.deepEqual(
      MACHINE_HOST_ID_FILES.filter((f) => existsSync(f)),
      machineFiles,
      'mn-conf created no host id file',
    );
    await node.stop();
  });

  it('--set cluster.rest_api.http_host=0.0.0.0 opens it', async () => {
    const port = await freePort();
    const node = devNode(['--set', `cluster.rest_api.http_port=${port}`, '--set', 'cluster.rest_api.http_host=0.0.0.0']);
    await node.waitForRecord((r) => r['message'] === `REST API listening on http://0.0.0.0:${port}/midonet-api`, 'listening on every address', 60_000);
    await node.stop();
  });

  it("the README's mn-conf examples, run in order, leave the configuration as they found it", async () => {
    const readme = readFileSync(join(PROJECT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration: mn-conf'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    assert.ok(
      lines.some((l) => l.includes('mn-conf set')),
      `the examples:\n${block}`,
    );
    const shellEnv = { ...env, PATH: `${join(checkout, 'deploy/bin')}:${env['PATH'] ?? ''}` };
    assert.equal((await mnConf(['deploy'])).code, 0);
    // what a node gets (unset leaves empty objects in the template, as the original's does)
    const effective = async (): Promise<string[]> => [
      (await mnConf(['dump', '-h', 'local'])).stdout,
      (await mnConf(['get', 'cluster.rest_api.http_port'])).stdout,
    ];
    const before = await effective();
    for (const line of lines) {
      const r = await run('sh', ['-c', line], { env: shellEnv });
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      // a comment that starts like the output is the output
      const comment = /#\s*(.*)$/.exec(line)?.[1] ?? '';
      const key = /mn-conf get (\S+)/.exec(line)?.[1];
      if (key && comment.startsWith(key)) assert.equal(r.stdout, `${comment}\n`, line);
    }
    const afterwards = await effective();
    assert.deepEqual(afterwards, before);
    assert.equal(afterwards[1], 'cluster.rest_api.http_port = 8181\n');
  });
});
