/**
 * A leader-latch participant in its own process, for the kill -9 / SIGSTOP tests
 * (test/integration/leader-latch.test.ts). Prints one JSON line per event on stdout (`t` is
 * Date.now()); reads commands from stdin, one per line.
 *
 *   node --import tsx test/support/latch-worker.ts CONNECT LATCH_PATH ACTIONS_PATH ID SESSION_MS
 *
 * While it holds the latch it "acts" every 50 ms: a fenced multi that creates a sequential node
 * under ACTIONS_PATH with its id as data, so the order of all participants' actions can be read
 * back afterwards. Commands:
 *   stale-act  repeat an action with the fence captured when it last became leader, bypassing the
 *              isLeader check (what a stale leader unaware of its loss would do): once on its own
 *              client, once on a fresh session; prints the outcome of each.
 *   exit       close the latch and the client, exit 0.
 */
import { createInterface } from 'node:readline';
import { ZkClient, type ZkOp } from '../../lib/zk/client.js';
import { ZkError, ZkMultiError } from '../../lib/zk/errors.js';
import { LeaderLatch } from '../../lib/zk/leader-latch.js';

const [connectString, latchPath, actionsPath, id, sessionText] = process.argv.slice(2);
if (!connectString || !latchPath || !actionsPath || !id || !sessionText) {
  process.stderr.write('usage: latch-worker CONNECT LATCH_PATH ACTIONS_PATH ID SESSION_MS\n');
  process.exit(2);
}

function say(ev: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ev, t: Date.now(), ...extra })}\n`);
}

function codeOf(e: unknown): { code: string; opIndex?: number } {
  if (e instanceof ZkMultiError) return { code: e.codeName, opIndex: e.opIndex };
  if (e instanceof ZkError) return { code: e.codeName };
  return { code: (e as Error).name };
}

const zk = await ZkClient.connect({ connectString, sessionTimeoutMs: Number(sessionText), retry: { baseMs: 100, maxRetries: 5 } });
zk.on('disconnected', () => say('disconnected'));
zk.on('expired', (info) => say('expired', info));
const latch = new LeaderLatch(zk, latchPath, { id });
let fence: ZkOp | undefined;
latch.on('isLeader', () => {
  fence = latch.fence();
  say('isLeader', { node: latch.ourPath });
});
latch.on('notLeader', () => say('notLeader'));
await latch.start();
say('started', { node: latch.ourPath, leader: latch.isLeader, sessionTimeoutMs: zk.sessionTimeoutMs, sessionId: zk.sessionId.toString(16) });

const action = (): ZkOp => ({ op: 'create', path: `${actionsPath}/a-`, data: Buffer.from(id), mode: 'persistent_sequential' });
let acting = false;
const loop = setInterval(() => {
  if (acting || !latch.isLeader) return;
  acting = true;
  latch
    .fencedMulti([action()])
    .then((r) => say('acted', { path: r[0]?.path }))
    .catch((e: unknown) => say('actFailed', codeOf(e)))
    .finally(() => (acting = false));
}, 50);

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  void (async () => {
    const cmd = line.trim();
    if (cmd === 'stale-act') {
      if (!fence) return say('staleOld', { code: 'NO_FENCE' });
      say('staleState', { isLeader: latch.isLeader, session: zk.state });
      try {
        await zk.multi([fence, action()]);
        say('staleOld', { code: 'OK' });
      } catch (e) {
        say('staleOld', codeOf(e));
      }
      // The same stale fence through a new session (e.g. the node's storage reconnected).
      const fresh = await ZkClient.connect({ connectString, sessionTimeoutMs: 4000 });
      try {
        await fresh.multi([fence, action()]);
        say('staleNew', { code: 'OK' });
      } catch (e) {
        say('staleNew', codeOf(e));
      } finally {
        await fresh.close();
      }
    } else if (cmd === 'exit') {
      clearInterval(loop);
      await latch.close();
      await zk.close();
      say('exited');
      process.exit(0);
    }
  })();
});
