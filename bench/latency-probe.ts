/**
 * `node --import tsx bench/latency-probe.ts [--count N] [--concurrency C]`: where the time of a
 * `GET /bridges/{id}` goes. Starts ZooKeeper and one node, then prints side by side:
 *  - raw `getData` of the bridge's znode from this process (what ZooKeeper itself costs);
 *  - the client's latency of the GET;
 *  - the node's own latency of it (its access log's `durationMs`: from the request's dispatch to
 *    the response's close, i.e. without HTTP parsing and the trip between the processes);
 *  - the node's CPU time per request (from /proc, user + system).
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { zoomLayout } from '../lib/nsdb/layout.js';
import { ZkClient } from '../lib/zk/client.js';
import { HttpBenchClient } from './lib/http-client.js';
import { cpuMs, startNode, startZooKeeper } from './lib/env.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '1' } } });
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const rootKey = '/probe';
const MT = 'application/vnd.org.midonet.Bridge-v4+json';

const pct = (sorted: number[], q: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN).toFixed(3);
const line = (what: string, xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${what.padEnd(28)} p50 ${pct(s, 0.5)}  p90 ${pct(s, 0.9)}  p99 ${pct(s, 0.99)} ms`;
};
const msSince = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;

const dir = mkdtempSync(join(tmpdir(), 'mido-probe-'));
const zk = await startZooKeeper();
const node = await startNode({ zk: zk.connectString, rootKey, logDir: dir });
const http = new HttpBenchClient(new URL(node.url));
const raw = await ZkClient.connect({ connectString: zk.connectString, sessionTimeoutMs: 30_000 });
try {
  const created = await http.send('POST', '/midonet-api/bridges', { 'Content-Type': MT }, { name: 'probe' });
  const id = String(created.headers['location']).split('/').pop() as string;
  const get = async (): Promise<number> => {
    const t = process.hrtime.bigint();
    await http.send('GET', `/midonet-api/bridges/${id}`, { Accept: MT });
    return msSince(t);
  };
  const path = zoomLayout(rootKey).model('Network', id);
  const rawTimes: number[] = [];
  for (let i = 0; i < 500; i++) await raw.getData(path);
  for (let i = 0; i < Math.min(count, 3000); i++) {
    const t = process.hrtime.bigint();
    await raw.getData(path);
    rawTimes.push(msSince(t));
  }
  for (let i = 0; i < 500; i++) await get(); // warm-up
  const cpu0 = cpuMs(node.pid);
  const client: number[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued++ < count) client.push(await get());
    }),
  );
  const cpu = cpuMs(node.pid) - cpu0;
  await new Promise((r) => setTimeout(r, 300)); // the last access-log lines
  const logFile = readdirSync(dir).find((f) => f.startsWith('node-'));
  const log = logFile ? readFileSync(join(dir, logFile), 'utf8') : '';
  const inside = [...log.matchAll(/"durationMs":([0-9.]+)/g)].map((m) => Number(m[1])).slice(-count);
  console.log(`GET /bridges/{id}, ${count} requests, concurrency ${concurrency}`);
  console.log(line('raw getData (this process)', rawTimes));
  console.log(line('client', client));
  if (inside.length > 0) console.log(line('inside the node', inside));
  console.log(`node CPU ${((cpu * 1000) / count).toFixed(0)} µs per request`);
} finally {
  await raw.close();
  http.close();
  await node.stop();
  await zk.cleanup();
}
