/**
 * LeaderLatch (lib/zk/leader-latch.ts) against a real ZooKeeper: Curator's node names and order,
 * hand-over on close, blips and expiry through a TCP proxy, and real processes killed (-9) or
 * paused (SIGSTOP) while they hold the latch. Figures are printed with a `[figures]` prefix.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ZkClient, type ZkClientOptions } from '../../lib/zk/client.js';
import { LeaderLatch, NotLeaderError, sortLatchChildren } from '../../lib/zk/leader-latch.js';
import { joinPath } from '../../lib/zk/paths.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { sleep, until } from '../support/wait.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NAME = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-latch-\d{10}$/;

let connectString: string;
let root: string;
let admin: ZkClient;
const clients: ZkClient[] = [];
const latches: LeaderLatch[] = [];
const workers: Worker[] = [];
const proxies: TcpProxy[] = [];

async function client(extra: Partial<ZkClientOptions> = {}): Promise<ZkClient> {
  const c = await ZkClient.connect({ connectString, sessionTimeoutMs: 10_000, retry: { baseMs: 100, maxRetries: 3 }, ...extra });
  clients.push(c);
  return c;
}

function latch(zk: ZkClient, path: string, id: string, extra: ConstructorParameters<typeof LeaderLatch>[2] = {}): LeaderLatch {
  const l = new LeaderLatch(zk, path, { id, ...extra });
  latches.push(l);
  return l;
}

function figures(line: string): void {
  process.stdout.write(`[figures] ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Child-process participants (test/support/latch-worker.ts)

interface WorkerEvent {
  ev: string;
  t: number;
  [k: string]: unknown;
}

class Worker {
  readonly events: WorkerEvent[] = [];
  private waiters: { ev: string; resolve: (e: WorkerEvent) => void }[] = [];
  readonly proc: ChildProcessWithoutNullStreams;

  constructor(
    latchPath: string,
    actionsPath: string,
    readonly id: string,
    sessionMs: number,
  ) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/latch-worker.ts', connectString, latchPath, actionsPath, id, String(sessionMs)], {
      cwd: PROJECT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let e: WorkerEvent;
      try {
        e = JSON.parse(line) as WorkerEvent;
      } catch {
        return;
      }
      this.events.push(e);
      for (const w of this.waiters.filter((x) => x.ev === e.ev)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[worker ${id}] ${d.toString()}`));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The next event `ev` (or an earlier one not consumed yet if `seen` allows). */
  next(ev: string, timeoutMs: number, fromIndex = 0): Promise<WorkerEvent> {
    const already = this.events.slice(fromIndex).find((e) => e.ev === ev);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${this.id}: no '${ev}' within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`)), timeoutMs);
      this.waiters.push({
        ev,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  send(cmd: string): void {
    this.proc.stdin.write(`${cmd}\n`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) process.kill(this.pid, signal);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.kill('SIGCONT');
    this.kill('SIGKILL');
    await exited;
  }
}

function worker(latchPath: string, actionsPath: string, id: string, sessionMs: number): Worker {
  const w = new Worker(latchPath, actionsPath, id, sessionMs);
  workers.push(w);
  return w;
}

/** Actors of the fenced actions, in commit order (the sequence suffix). */
async function actors(actionsPath: string): Promise<string[]> {
  const { children } = await admin.getChildren(actionsPath);
  const out: string[] = [];
  for (const c of children.sort()) out.push((await admin.getData(joinPath(actionsPath, c))).data.toString());
  return out;
}

/** Runs of the same actor: ['w','w','p','p'] -> ['w','p']. */
function runs(list: string[]): string[] {
  return list.filter((a, i) => i === 0 || list[i - 1] !== a);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  connectString = (await getTestZooKeeper()).connectString;
  root = uniqueRootKey();
  admin = await client();
  await admin.mkdirp(root);
});

after(async () => {
  for (const w of workers) await w.stop().catch(() => undefined);
  for (const l of latches) await l.close().catch(() => undefined);
  for (const p of proxies) await p.close().catch(() => undefined);
  await admin.removeRecursive(root).catch(() => undefined);
  for (const c of clients) await c.close().catch(() => undefined);
});

describe('leader latch', () => {
  test('three latches: exactly one leader, Curator names, data = id, order by sequence', async () => {
    const path = joinPath(root, 'three', 'leader-latch');
    const ls = [latch(await client(), path, 'a'), latch(await client(), path, 'b'), latch(await client(), path, 'c')];
    for (const l of ls) await l.start();
    assert.deepEqual(
      ls.map((l) => l.isLeader),
      [true, false, false],
    );
    const { children } = await admin.getChildren(path);
    assert.equal(children.length, 3);
    for (const c of children) assert.match(c, NAME);
    for (const l of ls) assert.ok(l.ourPath?.startsWith(joinPath(path, `_c_${l.protectedId}-latch-`)));
    const parts = await ls[2].getParticipants();
    assert.deepEqual(
      parts.map((p) => [p.id, p.isLeader]),
      [
        ['a', true],
        ['b', false],
        ['c', false],
      ],
    );
    assert.deepEqual((await ls[1].getLeader())?.id, 'a');
    assert.deepEqual(
      sortLatchChildren(children).map((c) => joinPath(path, c)),
      ls.map((l) => l.ourPath),
    );
  });

  test('close of the leader hands over in order; closing a follower re-links the watch', async () => {
    const path = joinPath(root, 'handover');
    const [a, b, c, d] = [
      latch(await client(), path, 'a'),
      latch(await client(), path, 'b'),
      latch(await client(), path, 'c'),
      latch(await client(), path, 'd'),
    ];
    for (const l of [a, b, c, d]) await l.start();
    const events: string[] = [];
    for (const [name, l] of [
      ['a', a],
      ['b', b],
      ['c', c],
      ['d', d],
    ] as const) {
      l.on('isLeader', () => events.push(`${name}+`));
      l.on('notLeader', () => events.push(`${name}-`));
    }
    // c (not leader) leaves: d now watches b; nobody gains leadership.
    await c.close();
    await sleep(300);
    assert.equal(d.isLeader, false);
    const ourPath = a.ourPath!;
    await a.close();
    assert.equal(await admin.exists(ourPath), null, 'close deletes our node');
    assert.ok(await b.waitForLeadership(3000), 'b leads after a closed');
    assert.equal(d.isLeader, false);
    await b.close();
    assert.ok(await d.waitForLeadership(3000), 'd leads after b closed');
    assert.deepEqual(events, ['a-', 'b+', 'b-', 'd+']);
  });

  test('fence: a check op on our node; fencedMulti refuses once leadership is gone', async () => {
    const path = joinPath(root, 'fence', 'latch');
    const data = joinPath(root, 'fence', 'data');
    const zkA = await client();
    const a = latch(zkA, path, 'a');
    const b = latch(await client(), path, 'b');
    await a.start();
    await b.start();
    assert.throws(() => b.fence(), NotLeaderError);
    const fence = a.fence();
    assert.deepEqual(fence, { op: 'check', path: a.ourPath, version: 0 });
    await a.fencedMulti([{ op: 'create', path: data, data: Buffer.from('1') }]);
    // Someone deletes our node behind our back (as session expiry does): the stale fence fails.
    await admin.remove(a.ourPath!);
    await assert.rejects(
      zkA.multi([fence, { op: 'setData', path: data, data: Buffer.from('2'), version: -1 }]),
      (e: Error & { opIndex?: number; codeName?: string }) => {
        assert.equal(e.opIndex, 0);
        assert.equal(e.codeName, 'NONODE');
        return true;
      },
    );
    assert.equal((await admin.getData(data)).data.toString(), '1');
    // The leader watches its own node: a steps down and re-joins behind b, which leads.
    assert.ok(await b.waitForLeadership(3000));
    await until('a stepped down', () => !a.isLeader, 3000);
    await until('a re-joined', async () => (await b.getParticipants()).map((x) => x.id).join() === 'b,a', 3000);
  });

  test('protected mode: a leftover node with our prefix is removed when we join', async () => {
    const path = joinPath(root, 'orphan');
    const l = latch(await client(), path, 'x');
    const other = await client();
    await other.mkdirp(path);
    // A node of "an earlier session of ours": our prefix, someone else's session, first in line.
    const orphan = await other.create(joinPath(path, `_c_${l.protectedId}-latch-`), Buffer.from('x'), 'ephemeral_sequential');
    await l.start();
    assert.equal(await admin.exists(orphan), null, 'the orphan is gone');
    assert.ok(l.isLeader, 'and we lead instead of waiting for its session to expire');
  });

  test('connection blip (same session): notLeader at once, leader again on reconnect, same node', async () => {
    const proxy = await startTcpProxy(connectString);
    proxies.push(proxy);
    const zk = await client({ connectString: proxy.address, sessionTimeoutMs: 6000 });
    const l = latch(zk, joinPath(root, 'blip'), 'p');
    await l.start();
    assert.ok(l.isLeader);
    const node = l.ourPath;
    const seen: string[] = [];
    let leaderWhenDropped: boolean | undefined;
    l.on('notLeader', () => {
      seen.push('-');
      leaderWhenDropped = l.isLeader;
    });
    l.on('isLeader', () => seen.push('+'));
    proxy.dropAll();
    await until('notLeader', () => seen.includes('-'), 2000);
    assert.equal(leaderWhenDropped, false);
    const ms = await until('leader again', () => l.isLeader, 5000);
    assert.equal(l.ourPath, node, 'kept its place');
    assert.deepEqual(seen, ['-', '+']);
    figures(`latch blip: leader again ${ms} ms after the drop`);
  });

  test('session expiry: stepped down, the follower takes over, re-entry with a fresh node', async () => {
    const proxy = await startTcpProxy(connectString);
    proxies.push(proxy);
    const path = joinPath(root, 'expiry');
    const mk = (): Promise<ZkClient> => client({ connectString: proxy.address, sessionTimeoutMs: 2000, retry: { baseMs: 100, maxRetries: 2 } });
    const zk = await mk();
    const l = latch(zk, path, 'p', { reconnect: mk });
    await l.start();
    const follower = latch(await client(), path, 'f');
    await follower.start();
    assert.ok(l.isLeader && !follower.isLeader);
    const firstNode = l.ourPath!;
    const firstSession = zk.sessionId;
    proxy.setMode('refuse');
    const t0 = Date.now();
    assert.ok(await follower.waitForLeadership(8000), 'follower leads after the partitioned session expired');
    const takeover = Date.now() - t0;
    assert.equal(l.isLeader, false);
    proxy.setMode('pass');
    await until('a fresh node', () => l.ourPath !== undefined && l.ourPath !== firstNode, 15_000);
    assert.notEqual(l.client.sessionId, firstSession);
    assert.ok(l.ourPath!.startsWith(joinPath(path, `_c_${l.protectedId}-latch-`)));
    assert.equal(await admin.exists(firstNode), null);
    assert.equal(l.isLeader, false, 'behind the new leader');
    await follower.close();
    assert.ok(await l.waitForLeadership(3000), 'and leads when the follower leaves');
    figures(`latch expiry (session 2000 ms, partition): follower took over after ${takeover} ms`);
  });

  test('kill -9 of a child process holding the latch: another leads within the session timeout', async () => {
    const path = joinPath(root, 'kill9', 'latch');
    const actions = joinPath(root, 'kill9', 'actions');
    await admin.mkdirp(actions);
    const w = worker(path, actions, 'w', 2000);
    const started = await w.next('started', 20_000);
    assert.equal(started['leader'], true);
    const sessionMs = Number(started['sessionTimeoutMs']);
    const p = latch(await client(), path, 'p');
    await p.start();
    assert.equal(p.isLeader, false);
    await w.next('acted', 5000);
    w.kill('SIGKILL');
    const t0 = Date.now();
    assert.ok(await p.waitForLeadership(sessionMs + 3000));
    const elapsed = Date.now() - t0;
    figures(`latch kill -9: negotiated session ${sessionMs} ms, new leader after ${elapsed} ms`);
    // The server expires a session its timeout after the last contact (which was before the
    // kill), but checks expiry once per tick (500 ms on the test server), rounding up: so the
    // bound is the session timeout plus one tick, plus slack for a busy machine.
    assert.ok(elapsed <= sessionMs + 500 + 500, `takeover took ${elapsed} ms, session timeout ${sessionMs} ms`);
  });

  test('SIGSTOP past the session timeout: the paused leader steps down on resume, its stale fence fails, never two leaders act', async () => {
    const path = joinPath(root, 'sigstop', 'latch');
    const actions = joinPath(root, 'sigstop', 'actions');
    await admin.mkdirp(actions);
    const w = worker(path, actions, 'w', 2000);
    const started = await w.next('started', 20_000);
    assert.equal(started['leader'], true);
    const sessionMs = Number(started['sessionTimeoutMs']);
    const p = latch(await client(), path, 'p');
    await p.start();
    // p acts like the worker: a fenced action every 50 ms while it leads.
    let pActed = 0;
    let pFailed = 0;
    const loop = setInterval(() => {
      if (!p.isLeader) return;
      p.fencedMulti([{ op: 'create', path: `${actions}/a-`, data: Buffer.from('p'), mode: 'persistent_sequential' }]).then(
        () => pActed++,
        () => pFailed++,
      );
    }, 50);
    try {
      await until('three worker actions', () => w.events.filter((e) => e.ev === 'acted').length >= 3, 5000);
      w.kill('SIGSTOP');
      const tStop = Date.now();
      assert.ok(await p.waitForLeadership(sessionMs + 3000), 'p leads while the worker is paused');
      const takeover = Date.now() - tStop;
      await until('p acted', () => pActed >= 3, 3000);
      const mark = w.events.length;
      w.kill('SIGCONT');
      const tCont = Date.now();
      const down = await w.next('notLeader', 5000, mark);
      const stepDown = down.t - tCont;
      w.send('stale-act');
      const state = await w.next('staleState', 10_000, mark);
      const old = await w.next('staleOld', 10_000, mark);
      const fresh = await w.next('staleNew', 10_000, mark);
      figures(
        `latch SIGSTOP: session ${sessionMs} ms, takeover ${takeover} ms after SIGSTOP, paused leader reported notLeader ${stepDown} ms after SIGCONT; ` +
          `stale fenced multi: own session ${String(old['code'])}, new session ${String(fresh['code'])} (op #${String(fresh['opIndex'])})`,
      );
      assert.equal(state['isLeader'], false);
      assert.ok(stepDown < 1000, `stepped down ${stepDown} ms after resume`);
      assert.ok(['SESSION_EXPIRED', 'CONNECTION_LOSS'].includes(String(old['code'])), `old session: ${String(old['code'])}`);
      assert.equal(fresh['code'], 'NONODE');
      assert.equal(fresh['opIndex'], 0, 'the fence (op #0) is what refused it');
      // Nothing acted after resuming, and the action log has one hand-over: w..w then p..p.
      assert.equal(w.events.slice(mark).filter((e) => e.ev === 'acted').length, 0);
      await sleep(200);
    } finally {
      clearInterval(loop);
    }
    const order = await actors(actions);
    assert.deepEqual(runs(order), ['w', 'p'], `actions interleaved: ${runs(order).join(',')}`);
    assert.equal(pFailed, 0);
    figures(
      `latch SIGSTOP: ${order.filter((a) => a === 'w').length} worker actions, then ${order.filter((a) => a === 'p').length} by the new leader, no overlap`,
    );
  });
});
