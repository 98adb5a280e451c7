/**
 * A cluster node (its own process, `services/cluster-node/main.ts`) configured through mn-conf
 * (deploy/bin/mn-conf): the port set in the default template is served after a (re)start, a
 * change of it on a running node is announced as taking effect after restart, logger levels
 * change what the running node logs within seconds, a malformed configuration written to
 * ZooKeeper behind mn-conf's back is ignored with an error while the node keeps its last good one,
 * and a service's switch (`cluster.heartbeat.enabled`) takes effect at the node's next start.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { freePort, MN_CONF, mnConf, run, startNodeProcess, until, type NodeProcess } from '../support/mn-conf.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let rootKey: string;
let zk: ZkClient;
let node: NodeProcess | undefined;
let port1: number;
let port2: number;

before(async () => {
  const { connectString } = await getTestZooKeeper();
  rootKey = uniqueRootKey();
  dir = mkdtempSync(join(tmpdir(), 'mn-conf-node-'));
  env = { ...process.env, MIDO_ZOOKEEPER_HOSTS: connectString, MIDO_ZOOKEEPER_ROOT_KEY: rootKey, MIDONET_HOST_ID_FILE: join(dir, 'host_id.properties') };
  delete env['MIDONET_CONF'];
  zk = await ZkClient.connect({ connectString });
  port1 = await freePort();
  do port2 = await freePort();
  while (port2 === port1);
});

after(async () => {
  await node?.stop();
  await zk?.removeRecursive(rootKey).catch(() => undefined);
  await zk?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startNode(): NodeProcess {
  node = startNodeProcess(['--host-id-file', join(dir, 'host_id.properties')], env);
  return node;
}

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/midonet-api/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function request(port: number, path: string, requestId: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'X-Request-Id': requestId } });
  await res.arrayBuffer();
  return res.status;
}

const accessLine = (n: NodeProcess, rid: string): Record<string, unknown> | undefined =>
  n.records().find((r) => r['requestId'] === rid && r['logger'] === 'org.midonet.cluster.rest-api.access');

const set = async (args: string[], stdin?: string): Promise<void> => {
  const r = await mnConf(args, env, stdin);
  assert.equal(r.code, 0, r.stderr);
};

describe('a node configured through mn-conf', () => {
  it('serves on the port set with `mn-conf set -t default` before it started', async () => {
    const r = await run('sh', ['-c', `echo "cluster.rest_api.http_port = $NEW_PORT" | ${MN_CONF} set -t default`], {
      env: { ...env, NEW_PORT: String(port1) },
    });
    assert.equal(r.code, 0, r.stderr);
    const n = startNode();
    await n.waitForRecord((l) => typeof l['message'] === 'string' && l['message'].startsWith('REST API listening on'), 'the REST API listening');
    await until(`the node answering on ${port1}`, () => answers(port1));
    const listening = n.records().find((l) => String(l['message']).startsWith('REST API listening on'));
    assert.equal(listening?.['port'], port1);
  });

  it('a logger level set through mn-conf changes what the running node logs, without restart', async () => {
    const n = node as NodeProcess;
    // before: GET /metrics is logged at DEBUG, so not at the default INFO; a later request's line
    // shows that the /metrics line would have been written by then
    const m0 = randomUUID();
    const b0 = randomUUID();
    assert.equal(await request(port1, '/metrics', m0), 200);
    assert.equal(await request(port1, '/midonet-api/', b0), 200);
    await n.waitForRecord((r) => r['requestId'] === b0, 'the access line of a plain request');
    assert.equal(accessLine(n, m0), undefined, 'no DEBUG line at INFO');

    await set(['set', '-t', 'default'], 'cluster.loggers.root : DEBUG\n');
    await until(
      'a DEBUG access line for /metrics',
      async () => {
        const id = randomUUID();
        await request(port1, '/metrics', id);
        // the line is written when the response ends: give it a moment before the next try
        await new Promise((r) => setTimeout(r, 50));
        return accessLine(n, id);
      },
      15_000,
      200,
    );

    // down again for the REST API only: its access lines (INFO) disappear
    await set(['set', '-t', 'default'], 'cluster.loggers.org.midonet.cluster.rest-api.root : ERROR\n');
    await n.waitForRecord((r) => r['message'] === 'logger levels changed' && JSON.stringify(r['keys']).includes('rest-api.root'), 'the level change applied');
    const quiet = randomUUID();
    assert.equal(await request(port1, '/midonet-api/', quiet), 200);
    // a marker written after the request: a restart-only change, announced by another logger
    await set(['set', '-t', 'default'], 'cluster.rest_api.https_port : 8444\n');
    await n.waitForRecord(
      (r) => String(r['message']).includes('cluster.rest_api.https_port changed from 8443 to 8444: takes effect after restart'),
      'the https_port change announced',
    );
    assert.equal(accessLine(n, quiet), undefined, 'no access line at ERROR');
    await set(['unset', '-t', 'default', 'cluster.loggers']);
  });

  it('a port changed on a running node is announced for after restart, and served after it', async () => {
    let n = node as NodeProcess;
    await set(['set', '-t', 'default', `cluster.rest_api.http_port = ${port2}`]);
    await n.waitForRecord(
      (r) => r['message'] === `configuration cluster.rest_api.http_port changed from ${port1} to ${port2}: takes effect after restart` && r['level'] === 'warn',
      'the port change announced',
    );
    assert.equal(await answers(port1), true, 'still on the old port');
    await n.stop();
    n = startNode();
    await until(`the restarted node answering on ${port2}`, () => answers(port2), 30_000);
    assert.equal(await answers(port1), false);
  });

  it('a per-host value beats the default template for that node', async () => {
    let n = node as NodeProcess;
    await n.stop();
    await set(['set', '-h', 'local', `cluster.rest_api.http_port = ${port1}`]);
    n = startNode();
    await until(`the node answering on its per-host port ${port1}`, () => answers(port1), 30_000);
    assert.equal(await answers(port2), false);
  });

  it('a malformed configuration in ZooKeeper is ignored with an error; the node keeps its last good one', async () => {
    const n = node as NodeProcess;
    const path = `${rootKey}/config/templates/default`;
    // a value of the wrong type, written behind mn-conf's back
    await zk.setData(path, Buffer.from('{ "cluster" : { "rest_api" : { "root_uri" : 5 }, "loggers" : { "root" : "LOUD" } } }'));
    await n.waitForRecord(
      (r) => r['level'] === 'error' && r['key'] === 'cluster.loggers.root' && String(r['message']).includes('ignoring malformed configuration value'),
      'the bad level reported',
    );
    await n.waitForRecord((r) => r['level'] === 'error' && r['key'] === 'cluster.rest_api.root_uri', 'the bad root_uri reported');
    // a document that is not HOCON at all
    await zk.setData(path, Buffer.from('cluster { rest_api {'));
    await n.waitForRecord(
      (r) => r['level'] === 'error' && String(r['message']).startsWith('ignoring malformed configuration:'),
      'the unparsable document reported',
    );
    assert.equal(await answers(port1), true);
    // still watching: a good document applies again
    await zk.setData(path, Buffer.from('{ "cluster" : { "loggers" : { "root" : "DEBUG" } } }'));
    await until(
      'DEBUG lines after the repair',
      async () => {
        const id = randomUUID();
        await request(port1, '/metrics', id);
        await new Promise((r) => setTimeout(r, 50));
        return accessLine(n, id);
      },
      15_000,
      200,
    );
    assert.equal(
      n.records().some((r) => String(r['message']).includes('cluster.rest_api.root_uri changed')),
      false,
      'the bad root_uri never replaced the good one',
    );
  });

  it('a service switched on or off with mn-conf: announced on the running node, in force from its next start', async () => {
    let n = node as NodeProcess;
    const heartbeat = async (): Promise<string | undefined> => {
      const res = await fetch(`http://127.0.0.1:${port1}/readyz`, { signal: AbortSignal.timeout(5000) });
      return ((await res.json()) as { services?: Record<string, { state: string }> }).services?.['heartbeat']?.state;
    };
    assert.equal(await heartbeat(), 'disabled', 'off by default');
    await set(['set', '-h', 'local'], 'cluster.heartbeat.enabled : true\ncluster.heartbeat.period : 200ms\ncluster.drain.delay : 0s\n');
    await n.waitForRecord(
      (r) => r['message'] === 'configuration cluster.heartbeat.enabled changed from false to true: takes effect after restart',
      'the switch announced',
    );
    assert.equal(await heartbeat(), 'disabled', 'not before a restart');
    assert.equal(
      n.records().some((r) => r['message'] === 'Beat'),
      false,
    );
    await n.stop();
    n = startNode();
    await until('the heartbeat running after the restart', async () => ((await heartbeat().catch(() => undefined)) === 'running' ? true : undefined), 30_000);
    await n.waitForRecord((r) => r['message'] === 'Beat' && r['logger'] === 'org.midonet.cluster.services.heartbeat', 'a beat');
    await set(['set', '-h', 'local'], 'cluster.heartbeat.enabled : false\n');
    await n.waitForRecord(
      (r) => r['message'] === 'configuration cluster.heartbeat.enabled changed from true to false: takes effect after restart',
      'the switch off announced',
    );
    assert.equal(await heartbeat(), 'running', 'runs on until the restart');
    await n.stop();
    n = startNode();
    await until(
      'the heartbeat disabled after the next restart',
      async () => ((await heartbeat().catch(() => undefined)) === 'disabled' ? true : undefined),
      30_000,
    );
  });
});
