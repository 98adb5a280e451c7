/**
 * One node per host id, and a busy port said plainly, with real node processes
 * (test/support/cluster-procs.ts) against a real ZooKeeper:
 * - a second node with the host id of a running one is refused at once (exit 1, one line), and
 *   the first keeps its service-discovery entry untouched;
 * - a node started while a killed (-9) node of its host id still holds the entry (its session not
 *   expired yet) waits for that session to expire and comes up;
 * - a holder that cannot be reached is waited for up to a session timeout, then refused;
 * - a busy REST port: exit 1, one line naming cluster.rest_api.http_port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZkClient } from '../../lib/zk/client.js';
import { joinPath } from '../../lib/zk/paths.js';
import { CLUSTER_SERVICE_NAME, discoveryBasePath, parseInstance } from '../../lib/zk/service-discovery.js';
import { NodeProc, readyz, until } from '../support/cluster-procs.js';
import { freePort } from '../support/mn-conf.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

let zkConnect: string;
let rootKey: string;
let dir: string;
let admin: ZkClient;
const procs: NodeProc[] = [];

/** The longest session the test server grants (20 ticks of 500 ms): nothing expires by accident on a busy machine. */
const SESSION = { 'zookeeper.session_timeout': '10000' };

async function node(name: string, extra: { hostIdFile?: string; set?: Record<string, string>; port?: number } = {}): Promise<NodeProc> {
  const p = new NodeProc(name, {
    zk: zkConnect,
    rootKey,
    dir: join(dir, name),
    port: extra.port ?? (await freePort()),
    set: { ...SESSION, ...extra.set },
    hostIdFile: extra.hostIdFile,
  });
  procs.push(p);
  return p;
}

function entryPath(hostId: string): string {
  return joinPath(discoveryBasePath(rootKey), CLUSTER_SERVICE_NAME, hostId);
}

async function entry(hostId: string): Promise<{ owner: bigint; port: number | null; time: number } | undefined> {
  try {
    const { data, stat } = await admin.getData(entryPath(hostId));
    const i = parseInstance(data);
    return { owner: stat.ephemeralOwner, port: i.port, time: i.registrationTimeUTC };
  } catch {
    return undefined;
  }
}

/** The node's entry, once there (/readyz turns 200 just before the node registers). */
function registered(p: NodeProc): Promise<NonNullable<Awaited<ReturnType<typeof entry>>>> {
  return until(`${p.name} registered`, () => entry(p.hostId), 30_000);
}

/** What the process wrote on stderr: the refusal, one line (log lines go to stdout). */
function errorLine(p: NodeProc): string {
  return p.stderr.replace(/\n$/, '');
}

before(async () => {
  zkConnect = (await getTestZooKeeper()).connectString;
  rootKey = uniqueRootKey();
  dir = mkdtempSync(join(tmpdir(), 'mido-identity-'));
  admin = await ZkClient.connect({ connectString: zkConnect });
});

after(async () => {
  for (const p of procs) await p.cleanup();
  await admin.removeRecursive(rootKey).catch(() => undefined);
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one node per host id', () => {
  it('a second node with the host id of a running one is refused at once; the first keeps its entry', async () => {
    const a = await node('a');
    a.start();
    await a.ready();
    const before = await registered(a);
    assert.equal(before.port, a.port);
    const b = await node('b', { hostIdFile: a.hostIdFile });
    b.start();
    assert.equal(await b.exited(30_000), 1, b.tail());
    assert.match(
      errorLine(b),
      new RegExp(
        `^midonet-cluster: another node with host id ${a.hostId} is running \\(registered at 127\\.0\\.0\\.1:${a.port} by ZooKeeper session 0x${before?.owner.toString(16)}, answering /healthz\\); every node needs its own host id: stop the other one, or give this one another host id file \\(--host-id-file FILE\\)$`,
      ),
    );
    assert.ok(!b.tail(200).includes('waiting up to'), 'refused without waiting');
    assert.equal((await readyz(b.port)).status, 0, 'the refused node never listened');
    assert.deepEqual(await entry(a.hostId), before, 'the entry is untouched');
    await a.ready();
    await a.terminate();
  });

  it('a node started while a crashed node of its host id still holds the entry waits for that session to expire, then comes up', async () => {
    // The crashed node's entry stays until its session expires. To be sure the new node finds it
    // there whatever the machine's speed, the old node dies only once the new one is waiting:
    // the old one registered an address nobody answers on, so the new one cannot tell it is
    // alive, and waits; then kill -9.
    // a short session, so that it expires within seconds of the kill
    const old = await node('crashing', { set: { 'cluster.rest_api.advertised_host': '127.0.0.2', 'zookeeper.session_timeout': '2000' } });
    old.start();
    await old.ready();
    const held = await registered(old);
    const restarted = await node('restarted', { hostIdFile: old.hostIdFile, set: { 'zookeeper.session_timeout': '6000' } });
    restarted.start();
    await until('the new node waits', () => restarted.tail(200).includes('waiting up to 8 s'), 60_000);
    assert.match(
      restarted.tail(200),
      new RegExp(`host id ${old.hostId} is registered at 127\\.0\\.0\\.2:${old.port} by ZooKeeper session 0x${held.owner.toString(16)}; waiting up to 8 s`),
    );
    await old.kill9();
    await restarted.ready(60_000);
    assert.match(restarted.tail(200), /the earlier session of this host id expired: going on/);
    const now = await until(
      'registered again',
      async () => {
        const e = await entry(old.hostId);
        return e && e.owner !== held.owner ? e : undefined;
      },
      30_000,
    );
    assert.notEqual(now.owner, held.owner);
    assert.equal(now.port, restarted.port);
    await restarted.terminate();
  });

  it('a holder that does not answer is waited for up to a session timeout, then refused', async () => {
    // registered under an address nothing answers on (it listens on 127.0.0.1 only)
    const a = await node('hidden', { set: { 'cluster.rest_api.advertised_host': '127.0.0.2' } });
    a.start();
    await a.ready();
    const before = await registered(a);
    // the wait is the waiting node's own session timeout and a margin: 2 s + 2 s
    const b = await node('patient', { hostIdFile: a.hostIdFile, set: { 'zookeeper.session_timeout': '2000' } });
    b.start();
    assert.equal(await b.exited(30_000), 1, b.tail());
    assert.match(b.tail(200), new RegExp(`host id ${a.hostId} is registered at 127\\.0\\.0\\.2:${a.port} by ZooKeeper session 0x[0-9a-f]+; waiting up to 4 s`));
    assert.match(
      errorLine(b),
      new RegExp(
        `^midonet-cluster: host id ${a.hostId} is still registered at 127\\.0\\.0\\.2:${a.port} by ZooKeeper session 0x[0-9a-f]+ after [45] s: another node with this host id is running; every node needs its own host id`,
      ),
    );
    assert.deepEqual(await entry(a.hostId), before);
    await a.ready();
    await a.terminate();
  });
});

describe('a busy port', () => {
  it('stops the start with exit 1 and one line naming cluster.rest_api.http_port', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const n = await node('busy', { port });
      n.start();
      assert.equal(await n.exited(60_000), 1, n.tail());
      assert.equal(
        errorLine(n),
        `midonet-cluster: cannot listen on 127.0.0.1:${port}: the port is in use by another process; set cluster.rest_api.http_port to a free one (--set cluster.rest_api.http_port=PORT)`,
      );
      assert.ok(!/^\s+at /m.test(n.tail(200)), `no stack trace:\n${n.tail(200)}`);
      assert.equal(await entry(n.hostId), undefined, 'not registered');
    } finally {
      busy.close();
    }
  });
});
