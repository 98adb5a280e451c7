/**
 * The ZooKeeper scripts/run-tests.mjs shares between the test processes of one run when
 * MIDO_TEST_ZK is not set: starts it the way test/support/zk.ts would (tickTime 500, so short
 * sessions can be negotiated), prints its connect string on one line, and stops it when stdin
 * closes, so that it goes away with the runner however the runner ends.
 */
import { getTestZooKeeper, stopTestZooKeeper } from './zk.js';

const { connectString } = await getTestZooKeeper();
process.stdout.write(`${connectString}\n`);
process.stdin.resume();
process.stdin.once('end', () => {
  void stopTestZooKeeper().finally(() => process.exit(0));
});
