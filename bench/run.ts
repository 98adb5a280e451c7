/**
 * `npm run bench [-- --quick] [--only get,create,list,writers,express,neutron,neutron-l3,cache] [--sizes 100,10000]`: the
 * node against raw ZooKeeper, side by side in one run; `express`: the node's Express application
 * against the same pipeline stages on bare node:http, interleaved. Starts its own ZooKeeper and nodes (child
 * processes), writes bench/results/<stamp>.{md,json} and, for a complete run, bench/results/latest.md.
 * See docs/performance.md for what the scenarios mean and how to profile a node under one of them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { ZkClient } from '../lib/zk/client.js';
import { NsdbStorage } from '../lib/nsdb/storage.js';
import { parseText, printText } from '../lib/nsdb/codec/text-format.js';
import { decodeZoomObject, encodeZoomObject } from '../lib/nsdb/codec/zoom-object.js';
import { createdProvenance, updatedProvenance, ChangeOwner, ChangeType } from '../lib/nsdb/provenance.js';
import { randomUuid } from '../lib/nsdb/codec/uuid.js';
import { zoomLayout } from '../lib/nsdb/layout.js';
import type { Msg } from '../lib/models/types.js';
import { HttpBenchClient } from './lib/http-client.js';
import { closedLoop, fixedCount, medianOf, type Summary } from './lib/stats.js';
import { neutronL3Bench } from './lib/neutron-l3.js';
import { PROJECT_DIR, cpuMs, rssMiB, startHttpLayer, startNode, startTrivial, startZooKeeper, type ChildServer } from './lib/env.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // a comma-separated subset of: get, create, list, writers, express, neutron, neutron-l3, cache (default: all)
    only: { type: 'string' },
    // list sizes instead of the default ones, comma-separated (e.g. 10000)
    sizes: { type: 'string' },
  },
});
const quick = args.quick ?? false;
const SCENARIOS = ['get', 'create', 'list', 'writers', 'express', 'neutron', 'neutron-l3', 'cache'] as const;
const only = new Set(args.only ? args.only.split(',').map((x) => x.trim()) : SCENARIOS);
for (const o of only) if (!(SCENARIOS as readonly string[]).includes(o)) throw new Error(`--only: unknown scenario ${o} (known: ${SCENARIOS.join(', ')})`);
const want = (s: (typeof SCENARIOS)[number]): boolean => only.has(s);
const P = {
  rounds: quick ? 1 : 3,
  seconds: quick ? 1 : 4,
  listSizes: args.sizes ? args.sizes.split(',').map(Number) : quick ? [100, 1000] : [100, 1000, 10_000],
  creates: quick ? 200 : 1000,
  neutronPorts: quick ? 100 : 500,
  neutronL3: quick ? 50 : 200,
  writers: 50,
  idleSettleMs: quick ? 2000 : 10_000,
};

const MT = {
  bridge: 'application/vnd.org.midonet.Bridge-v4+json',
  ports: 'application/vnd.org.midonet.collection.Port-v3+json',
  port: 'application/vnd.org.midonet.Port-v3+json',
  router: 'application/vnd.org.midonet.Router-v3+json',
  nNetwork: 'application/vnd.org.midonet.neutron.Network-v1+json',
  nSubnet: 'application/vnd.org.midonet.neutron.Subnet-v1+json',
  nPort: 'application/vnd.org.midonet.neutron.Port-v1+json',
  nSecurityGroup: 'application/vnd.org.midonet.neutron.SecurityGroup-v1+json',
};
const PRODUCT = { version: 'bench', commit: '' };

interface Row {
  scenario: string;
  api: Summary | Record<string, number>;
  baseline: Summary | Record<string, number>;
  ratio: string;
  goal: string;
  met: boolean | null;
}
const rows: Row[] = [];
const notes: string[] = [];
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

const fmt = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : '-');

async function rounds(fn: () => Promise<Summary>): Promise<Summary> {
  const out: Summary[] = [];
  for (let i = 0; i < P.rounds; i++) out.push(await fn());
  return medianOf(out);
}

/** The node's ZooKeeper operation counters (its /metrics), by operation. */
async function zkOps(apiUrl: string): Promise<Record<string, number>> {
  const text = await fetch(new URL('/metrics', apiUrl)).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^midonet_cluster_zookeeper_operation_duration_seconds_count\{op="(\w+)"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** CPU time (user + system) this process used since `start` (a process.cpuUsage() value), in ms. */
function cpuSinceMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** `after - before` per operation, per request, as text: "getData 2, multi 1". */
function opsPerRequest(before: Record<string, number>, after: Record<string, number>, requests: number): string {
  return Object.keys(after)
    .map((k) => [k, ((after[k] ?? 0) - (before[k] ?? 0)) / requests] as const)
    .filter(([, n]) => n >= 0.01)
    .map(([k, n]) => `${k} ${fmt(n, n % 1 === 0 ? 0 : 2)}`)
    .join(', ');
}

function expectStatus(status: number, wanted: number, what: string): void {
  if (status !== wanted) throw new Error(`${what}: HTTP ${status}`);
}

async function seedBridgeWithPorts(storage: NsdbStorage, count: number): Promise<string> {
  const bridge = randomUuid();
  await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Network', { id: bridge, name: `bench-${count}`, admin_state_up: true }));
  for (let done = 0; done < count;) {
    const n = Math.min(250, count - done);
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      for (let i = 0; i < n; i++) await tx.create('Port', { id: randomUuid(), network_id: bridge, admin_state_up: true });
    });
    done += n;
  }
  return bridge;
}

async function main(): Promise<void> {
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const logDir = mkdtempSync(join(tmpdir(), 'mido-bench-'));
  log(`${quick ? 'quick' : 'full'} run; logs in ${logDir}`);
  const zk = await startZooKeeper();
  const raw = await ZkClient.connect({ connectString: zk.connectString, sessionTimeoutMs: 30_000 });
  const nodes: ChildServer[] = [];
  // scenarios 1-7 measure the direct-read path (no topology cache); scenario 8 compares both
  const node = async (rootKey: string, variant: 'normal' | 'global-lock' = 'normal', cache = false): Promise<ChildServer> => {
    const n = await startNode({ zk: zk.connectString, rootKey, variant, logDir, set: cache ? {} : { 'cluster.rest_api.cache.enabled': 'false' } });
    nodes.push(n);
    return n;
  };
  const storageAt = async (rootKey: string): Promise<NsdbStorage> => {
    const s = new NsdbStorage({ zk: raw, rootKey, product: PRODUCT });
    await s.build();
    return s;
  };

  notes.push(
    `load average at the start (1, 5, 15 min): ${loadavg()
      .map((x) => fmt(x))
      .join(', ')} on ${availableParallelism()} CPUs.`,
  );
  try {
    // ---- 1. GET one object ---------------------------------------------------------------
    if (want('get') || want('create')) {
      const rootKey = '/bench-get';
      const n = await node(rootKey);
      const http = new HttpBenchClient(new URL(n.url));
      const created = await http.send('POST', '/midonet-api/bridges', { 'Content-Type': MT.bridge }, { name: 'get-me', tenantId: 't' });
      expectStatus(created.status, 201, 'create bridge');
      const id = String(created.headers['location']).split('/').pop() as string;
      const path = zoomLayout(rootKey).model('Network', id);
      // warm-up (JIT, connections), not measured
      for (let i = 0; i < 300 && want('get'); i++) {
        await http.send('GET', `/midonet-api/bridges/${id}`, { Accept: MT.bridge });
        parseText('Network', (await raw.getData(path)).data.toString('utf8'));
      }
      for (const c of want('get') ? [1, 32] : []) {
        log(`1. GET one object, concurrency ${c}`);
        const cpu0 = cpuMs(n.pid);
        const zkCpu0 = cpuMs(zk.pid);
        const selfCpu0 = process.cpuUsage();
        const ops0 = await zkOps(n.url);
        let gets = 0;
        const api = await rounds(() =>
          closedLoop(c, P.seconds * 1000, async () => {
            const r = await http.send('GET', `/midonet-api/bridges/${id}`, { Accept: MT.bridge });
            expectStatus(r.status, 200, 'GET bridge');
            gets++;
          }),
        );
        // CPU per request of each process on the machine: the node, ZooKeeper, and this one (the
        // load generator); their sum bounds what the machine's CPUs can serve
        const perGet = (ms: number): number => (ms * 1000) / gets;
        const apiCpu = { node: perGet(cpuMs(n.pid) - cpu0), zk: perGet(cpuMs(zk.pid) - zkCpu0), gen: perGet(cpuSinceMs(selfCpu0)) };
        notes.push(`GET c=${c}: node CPU ${fmt(apiCpu.node, 0)} µs per request; ZooKeeper ops per request: ${opsPerRequest(ops0, await zkOps(n.url), gets)}.`);
        const zkCpu1 = cpuMs(zk.pid);
        const selfCpu1 = process.cpuUsage();
        let reads = 0;
        const base = await rounds(() =>
          closedLoop(c, P.seconds * 1000, async () => {
            const { data } = await raw.getData(path);
            parseText('Network', data.toString('utf8'));
            reads++;
          }),
        );
        if (c > 1) {
          const perRead = (ms: number): number => (ms * 1000) / reads;
          const rawCpu = { zk: perRead(cpuMs(zk.pid) - zkCpu1), gen: perRead(cpuSinceMs(selfCpu1)) };
          const apiTotal = apiCpu.node + apiCpu.zk + apiCpu.gen;
          const cpus = availableParallelism();
          notes.push(
            `GET c=${c}, CPU per request on this ${cpus}-CPU machine: API ${fmt(apiTotal, 0)} µs (node ${fmt(apiCpu.node, 0)}, ZooKeeper ${fmt(apiCpu.zk, 0)}, ` +
              `load generator ${fmt(apiCpu.gen, 0)}), i.e. at most ${fmt((cpus * 1e6) / apiTotal, 0)} req/s with every CPU busy; raw read ${fmt(rawCpu.zk + rawCpu.gen, 0)} µs ` +
              `(ZooKeeper ${fmt(rawCpu.zk, 0)}, reader ${fmt(rawCpu.gen, 0)}). Half the raw rate would need the node at ≤ ${fmt(Math.max(0, (cpus * 1e6) / (base.rps / 2) - apiCpu.zk - apiCpu.gen), 0)} µs per request.`,
          );
        }
        // the floor: a bare node:http server doing the same read (bench/trivial-server.ts zk-read)
        const bare = await startTrivial('zk-read', zk.connectString, path);
        const bareHttp = new HttpBenchClient(new URL(bare.url));
        for (let i = 0; i < 300; i++) await bareHttp.send('GET', '/');
        const bareCpu0 = cpuMs(bare.pid);
        let bareGets = 0;
        const floor = await rounds(() =>
          closedLoop(c, P.seconds * 1000, async () => {
            await bareHttp.send('GET', '/');
            bareGets++;
          }),
        );
        const floorCpu = ((cpuMs(bare.pid) - bareCpu0) * 1000) / bareGets;
        bareHttp.close();
        await bare.stop();
        notes.push(
          c === 1
            ? `GET c=1 floor: a bare node:http server answering with the same getData + decode as JSON (no framework, auth, logging, metrics; ` +
                `bench/trivial-server.ts zk-read): p50 ${fmt(floor.p50)} ms, i.e. raw +${fmt(floor.p50 - base.p50)} ms; the node is +${fmt(api.p50 - floor.p50)} ms over it.`
            : `GET c=${c} floor: the same bare server serves ${fmt(floor.rps, 0)} req/s, ${fmt((floor.rps / base.rps) * 100, 0)}% of the raw read rate (the node: ${fmt((api.rps / base.rps) * 100, 0)}%).`,
        );
        if (c === 1) {
          const overhead = api.p50 - base.p50;
          rows.push({
            scenario: `GET /bridges/{id}, c=1`,
            api,
            baseline: base,
            ratio: `p50 +${fmt(overhead)} ms`,
            goal: 'p50 overhead ≤ 0.5 ms',
            met: overhead <= 0.5,
          });
        } else {
          const ac = await autocannon({
            url: `${n.url}/bridges/${id}`,
            connections: c,
            duration: P.seconds,
            headers: { Accept: MT.bridge, 'X-Auth-Token': 'bench' },
          });
          notes.push(
            `GET c=32 with autocannon: ${fmt(ac.requests.average, 0)} req/s, p50 ${ac.latency.p50} ms, p99 ${ac.latency.p99} ms (whole-ms resolution), non-2xx ${ac.non2xx}, errors ${ac.errors}.`,
          );
          // The machine has two CPUs shared by the node, ZooKeeper and the load generator: what the
          // node controls is its CPU per request, next to the bare node:http floor doing the same read.
          const share = api.rps / base.rps;
          rows.push({
            scenario: `GET /bridges/{id}, c=32`,
            api,
            baseline: base,
            ratio: `node CPU ${fmt(apiCpu.node, 0)} µs/req, ${fmt(apiCpu.node / floorCpu)}x the bare node:http floor (${fmt(floorCpu, 0)} µs); ${fmt(share * 100, 0)}% of raw rate`,
            goal: 'node CPU per request vs the bare floor (informational)',
            met: null,
          });
        }
      }

      // ---- 3. create a port on a bridge ----------------------------------------------------
      if (want('create')) {
        log('3. create a port on a bridge');
        const b2 = await http.send('POST', '/midonet-api/bridges', { 'Content-Type': MT.bridge }, { name: 'ports-here' });
        expectStatus(b2.status, 201, 'create bridge');
        const bridgeId = String(b2.headers['location']).split('/').pop() as string;
        // warm-up on a bridge of its own, not measured
        const w = await http.send('POST', '/midonet-api/bridges', { 'Content-Type': MT.bridge }, { name: 'warm-up' });
        for (let i = 0; i < 50; i++) {
          await http.send(
            'POST',
            `/midonet-api/bridges/${String(w.headers['location']).split('/').pop() as string}/ports`,
            { 'Content-Type': MT.port },
            { type: 'Bridge' },
          );
        }
        const cpu0 = cpuMs(n.pid);
        const ops0 = await zkOps(n.url);
        const api = await fixedCount(1, P.creates, async () => {
          const r = await http.send('POST', `/midonet-api/bridges/${bridgeId}/ports`, { 'Content-Type': MT.port }, { type: 'Bridge' });
          expectStatus(r.status, 201, 'create port');
        });
        notes.push(
          `POST port: node CPU ${fmt(((cpuMs(n.pid) - cpu0) / P.creates) * 1000, 0)} µs per request; ZooKeeper ops per request: ${opsPerRequest(ops0, await zkOps(n.url), P.creates)}.`,
        );
        // The same ZooKeeper work without the node, as the storage layout has it (storage.md §1):
        // read the bridge and its provenance record (together), then one multi that creates the
        // port (model, provenance, its state-table folders) and rewrites the bridge with its new
        // back-reference (and its provenance record when that changes). Not included: the
        // node's isolation (the transaction's sync) and its tunnel-key sequence.
        const layout = zoomLayout(rootKey);
        for (const p of [layout.models('Port'), layout.objects('Port'), layout.tables('Port'), layout.objects('Network')]) await raw.mkdirp(p);
        const API = ChangeOwner.clusterApi;
        const prov = encodeZoomObject(createdProvenance(API, ChangeType.data, PRODUCT));
        let tunnelKey = 1_000_000;
        const rawBridge = async (): Promise<string> => {
          const b = randomUuid();
          await raw.multi([
            { op: 'create', path: layout.model('Network', b), data: Buffer.from(printText('Network', { id: b, name: 'raw' })) },
            { op: 'create', path: layout.object('Network', b), data: prov },
          ]);
          return b;
        };
        const rawCreate = async (bridgeOf: string): Promise<void> => {
          const [model, provenance] = await Promise.all([raw.getData(layout.model('Network', bridgeOf)), raw.getData(layout.object('Network', bridgeOf))]);
          const bridge: Msg = parseText('Network', model.data.toString('utf8'));
          const port = randomUuid();
          bridge['port_ids'] = [...((bridge['port_ids'] as string[] | undefined) ?? []), port];
          const records = updatedProvenance(decodeZoomObject(provenance.data), API, ChangeType.backReference, model.stat.version + 1, PRODUCT);
          const tables = layout.tables('Port', port);
          await raw.multi([
            {
              op: 'create',
              path: layout.model('Port', port),
              data: Buffer.from(printText('Port', { id: port, network_id: bridgeOf, admin_state_up: true, tunnel_key: BigInt(tunnelKey++) })),
            },
            { op: 'create', path: layout.object('Port', port), data: prov },
            { op: 'setData', path: layout.model('Network', bridgeOf), data: Buffer.from(printText('Network', bridge)), version: model.stat.version },
            ...(records
              ? [{ op: 'setData' as const, path: layout.object('Network', bridgeOf), data: encodeZoomObject(records), version: provenance.stat.version }]
              : []),
            { op: 'create', path: tables },
            { op: 'create', path: `${tables}/peering_table` },
          ]);
        };
        const warm = await rawBridge();
        for (let i = 0; i < 50; i++) await rawCreate(warm);
        const measured = await rawBridge();
        const base = await fixedCount(1, P.creates, () => rawCreate(measured));
        const r = api.p50 / base.p50;
        rows.push({
          scenario: `POST /bridges/{id}/ports (${P.creates} sequential)`,
          api,
          baseline: base,
          ratio: `${fmt(r)}x raw p50`,
          goal: '≤ 1.5x raw',
          met: r <= 1.5,
        });
      }
      http.close();
      await n.stop();
    }

    // ---- 2 and 6. lists and memory --------------------------------------------------------
    for (const size of want('list') ? P.listSizes : []) {
      log(`2. list ${size} ports`);
      const rootKey = `/bench-list-${size}`;
      const storage = await storageAt(rootKey);
      const bridge = await seedBridgeWithPorts(storage, size);
      const n = await node(rootKey);
      const http = new HttpBenchClient(new URL(n.url));
      await sleep(500);
      const idle = rssMiB(n.pid);
      const reps = size >= 10_000 ? (quick ? 3 : 10) : quick ? 20 : 50;
      const layout = zoomLayout(rootKey);
      let ttfb = 0;
      const cpu0 = cpuMs(n.pid);
      const apiBridge = await fixedCount(1, reps, async () => {
        const r = await http.send('GET', `/midonet-api/bridges/${bridge}/ports`, { Accept: MT.ports });
        expectStatus(r.status, 200, 'list bridge ports');
        ttfb = r.firstByteNs / 1e6;
      });
      notes.push(`list ${size}: node CPU ${fmt((cpuMs(n.pid) - cpu0) / reps, 1)} ms per GET /bridges/{id}/ports.`);
      const rawBridge = await fixedCount(1, reps, async () => {
        const { data } = await raw.getData(layout.model('Network', bridge));
        const ids = (parseText('Network', data.toString('utf8'))['port_ids'] as string[]) ?? [];
        const all = await Promise.all(ids.map((id) => raw.getData(layout.model('Port', id))));
        for (const { data: d } of all) parseText('Port', d.toString('utf8'));
      });
      const apiAll = await fixedCount(1, reps, async () => {
        const r = await http.send('GET', '/midonet-api/ports', { Accept: MT.ports });
        expectStatus(r.status, 200, 'list ports');
      });
      const rawAll = await fixedCount(1, reps, async () => {
        const { children } = await raw.getChildren(layout.models('Port'));
        const all = await Promise.all(children.map((id) => raw.getData(layout.model('Port', id))));
        for (const { data: d } of all) parseText('Port', d.toString('utf8'));
      });
      const after = rssMiB(n.pid);
      await sleep(P.idleSettleMs);
      const settled = rssMiB(n.pid);
      const goal = size >= 10_000 ? '≤ 2x raw' : '-';
      const rb = apiBridge.p50 / rawBridge.p50;
      const ra = apiAll.p50 / rawAll.p50;
      rows.push({
        scenario: `GET /bridges/{id}/ports, ${size} ports`,
        api: apiBridge,
        baseline: rawBridge,
        ratio: `${fmt(rb)}x raw p50`,
        goal,
        met: size >= 10_000 ? rb <= 2 : null,
      });
      rows.push({
        scenario: `GET /ports, ${size} ports`,
        api: apiAll,
        baseline: rawAll,
        ratio: `${fmt(ra)}x raw p50`,
        goal,
        met: size >= 10_000 ? ra <= 2 : null,
      });
      notes.push(`list ${size}: time to first body byte ${fmt(ttfb)} ms of ${fmt(apiBridge.p50)} ms total (p50).`);
      const bridgeBytes = (await raw.getData(layout.model('Network', bridge))).data.length;
      notes.push(`list ${size}: bridge znode ${bridgeBytes} bytes (${fmt((bridgeBytes - 60) / size, 1)} bytes per port back-reference).`);
      rows.push({
        scenario: `memory (RSS MiB), ${size}-port node`,
        api: { idle, afterLists: after, afterIdle: settled },
        baseline: { idle },
        ratio: `+${fmt(after - idle, 1)} MiB, ${fmt(settled - idle, 1)} MiB after ${P.idleSettleMs / 1000}s idle`,
        goal: 'returns toward idle',
        met: null,
      });
      http.close();
      await n.stop();
    }

    // ---- 8. the topology cache: lists, GET one, CPU and memory, cached vs uncached vs raw ------
    if (want('cache')) {
      const layoutOf = (rootKey: string) => zoomLayout(rootKey);
      for (const size of args.sizes ? P.listSizes : [1000, 10_000]) {
        log(`8. topology cache: lists of ${size} ports`);
        const rootKey = `/bench-cache-${size}`;
        const storage = await storageAt(rootKey);
        const bridge = await seedBridgeWithPorts(storage, size);
        const cached = await node(rootKey, 'normal', true);
        const direct = await node(rootKey);
        const hc = new HttpBenchClient(new URL(cached.url));
        const hd = new HttpBenchClient(new URL(direct.url));
        const reps = size >= 10_000 ? (quick ? 5 : 30) : quick ? 20 : 100;
        const layout = layoutOf(rootKey);
        const paths = { bridge: `/midonet-api/bridges/${bridge}/ports`, all: '/midonet-api/ports' };
        // warm-up: the first list fills the cache (and the JIT), not measured
        for (const h of [hc, hd])
          for (const path of Object.values(paths))
            for (let i = 0; i < 3; i++) expectStatus((await h.send('GET', path, { Accept: MT.ports })).status, 200, 'warm-up list');
        const list = async (h: HttpBenchClient, path: string, pid: number): Promise<{ s: Summary; cpu: number }> => {
          const cpu0 = cpuMs(pid);
          const s = await fixedCount(1, reps, async () => expectStatus((await h.send('GET', path, { Accept: MT.ports })).status, 200, `GET ${path}`));
          return { s, cpu: (cpuMs(pid) - cpu0) / reps };
        };
        const rawBridge = await fixedCount(1, reps, async () => {
          const { data } = await raw.getData(layout.model('Network', bridge));
          const ids = (parseText('Network', data.toString('utf8'))['port_ids'] as string[]) ?? [];
          const all = await Promise.all(ids.map((id) => raw.getData(layout.model('Port', id))));
          for (const { data: d } of all) parseText('Port', d.toString('utf8'));
        });
        const rawAll = await fixedCount(1, reps, async () => {
          const { children } = await raw.getChildren(layout.models('Port'));
          const all = await Promise.all(children.map((id) => raw.getData(layout.model('Port', id))));
          for (const { data: d } of all) parseText('Port', d.toString('utf8'));
        });
        const goal = size >= 10_000 ? 'p50 ≤ 100 ms' : size >= 1000 ? 'p50 ≤ 10 ms' : '-';
        const limit = size >= 10_000 ? 100 : 10;
        for (const [what, path, rawS] of [
          ['GET /bridges/{id}/ports', paths.bridge, rawBridge],
          ['GET /ports', paths.all, rawAll],
        ] as const) {
          const c = await list(hc, path, cached.pid);
          const d = await list(hd, path, direct.pid);
          rows.push({
            scenario: `cache: ${what}, ${size} ports, cached`,
            api: c.s,
            baseline: { uncachedP50: d.s.p50, rawZooKeeperP50: rawS.p50 },
            ratio: `${fmt(d.s.p50 / c.s.p50, 1)}x faster than uncached, ${fmt(rawS.p50 / c.s.p50, 1)}x raw`,
            goal,
            met: size >= 1000 ? c.s.p50 <= limit : null,
          });
          notes.push(
            `cache, ${what} of ${size}: node CPU per list ${fmt(c.cpu, 1)} ms cached, ${fmt(d.cpu, 1)} ms uncached; p99 ${fmt(c.s.p99)} ms cached, ${fmt(d.s.p99)} ms uncached.`,
          );
        }
        hc.close();
        hd.close();
        await cached.stop();
        await direct.stop();
      }

      // GET one object, cached vs uncached vs the bare node:http floor, with node CPU per request
      {
        const rootKey = '/bench-cache-get';
        const storage = await storageAt(rootKey);
        const id = randomUuid();
        await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => tx.create('Network', { id, name: 'get-me', tenant_id: 't', admin_state_up: true }));
        const cached = await node(rootKey, 'normal', true);
        const direct = await node(rootKey);
        const bare = await startTrivial('zk-read', zk.connectString, layoutOf(rootKey).model('Network', id));
        const targets = [
          { name: 'cached', server: cached, path: `/midonet-api/bridges/${id}` },
          { name: 'uncached', server: direct, path: `/midonet-api/bridges/${id}` },
          { name: 'bare', server: bare, path: '/' },
        ] as const;
        const clients = targets.map((t) => new HttpBenchClient(new URL(t.server.url)));
        for (const [i, t] of targets.entries())
          for (let k = 0; k < 500; k++) expectStatus((await clients[i].send('GET', t.path, { Accept: MT.bridge })).status, 200, `warm-up GET ${t.name}`);
        for (const c of [1, 32]) {
          log(`8. topology cache: GET one, concurrency ${c}`);
          const out: Record<string, { s: Summary; cpu: number }> = {};
          for (const [i, t] of targets.entries()) {
            const h = clients[i];
            let n = 0;
            const cpu0 = cpuMs(t.server.pid);
            const s = await rounds(() =>
              closedLoop(c, P.seconds * 1000, async () => {
                expectStatus((await h.send('GET', t.path, { Accept: MT.bridge })).status, 200, `GET ${t.name}`);
                n++;
              }),
            );
            out[t.name] = { s, cpu: ((cpuMs(t.server.pid) - cpu0) * 1000) / n };
          }
          const cc = out['cached'];
          const uc = out['uncached'];
          const bf = out['bare'];
          rows.push({
            scenario: `cache: GET /bridges/{id}, c=${c}, cached`,
            api: cc.s,
            baseline: { uncachedP50: uc.s.p50, uncachedRps: uc.s.rps, bareFloorP50: bf.s.p50, bareFloorRps: bf.s.rps },
            ratio: `node CPU ${fmt(cc.cpu, 0)} µs/req cached, ${fmt(uc.cpu, 0)} uncached; bare floor ${fmt(bf.cpu, 0)} µs (${fmt(cc.cpu / bf.cpu)}x)`,
            goal: '(informational)',
            met: null,
          });
        }
        for (const h of clients) h.close();
        await bare.stop();
        await cached.stop();
        await direct.stop();
      }

      // memory: RSS of a node with 10,000 and 100,000 ports cached (written straight into
      // ZooKeeper, as a bulk import would: 100,000 back-references do not fit one bridge znode)
      for (const count of quick ? [10_000] : [10_000, 100_000]) {
        log(`8. topology cache: RSS with ${count} ports cached`);
        const rootKey = `/bench-cache-rss-${count}`;
        await storageAt(rootKey);
        const layout = layoutOf(rootKey);
        for (let i = 0; i < count; i += 1000) {
          const ops = Array.from({ length: Math.min(1000, count - i) }, (_x, k) => {
            const id = randomUuid();
            return {
              op: 'create' as const,
              path: layout.model('Port', id),
              data: Buffer.from(printText('Port', { id, admin_state_up: true, tunnel_key: BigInt(i + k + 1) })),
            };
          });
          await raw.multi(ops);
        }
        const n = await node(rootKey, 'normal', true);
        const h = new HttpBenchClient(new URL(n.url));
        await sleep(500);
        const idle = rssMiB(n.pid);
        const t0 = performance.now();
        expectStatus((await h.send('GET', '/midonet-api/ports', { Accept: MT.ports })).status, 200, 'fill');
        const fillMs = performance.now() - t0;
        const t1 = performance.now();
        expectStatus((await h.send('GET', '/midonet-api/ports', { Accept: MT.ports })).status, 200, 'list');
        const listMs = performance.now() - t1;
        await sleep(2000);
        const full = rssMiB(n.pid);
        const text = await fetch(new URL('/metrics', n.url)).then((r) => r.text());
        const gauge = (name: string): number => Number(new RegExp(`^midonet_cluster_${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
        rows.push({
          scenario: `cache: memory (RSS MiB), ${count} ports cached`,
          api: { idle, cached: full, objects: gauge('topology_cache_objects'), countedMiB: gauge('topology_cache_bytes') / 2 ** 20 },
          baseline: { idle },
          ratio: `+${fmt(full - idle, 0)} MiB, ${fmt(((full - idle) * 2 ** 20) / count, 0)} bytes per port`,
          goal: '(informational)',
          met: null,
        });
        notes.push(`cache, ${count} ports: first GET /ports (fills the cache) ${fmt(fillMs, 0)} ms, the next ${fmt(listMs, 0)} ms.`);
        h.close();
        await n.stop();
      }
    }

    // ---- 4. concurrent writers: optimistic transactions vs a global lock ---------------------
    const writers: Record<string, { rps: number; non2xx: number; errors: number; p50: number; p99: number }> = {};
    for (const variant of want('writers') ? (['normal', 'global-lock'] as const) : []) {
      log(`4. ${P.writers} concurrent writers, ${variant}`);
      const n = await node(`/bench-writers-${variant}`, variant);
      const http = new HttpBenchClient(new URL(n.url));
      const r = await http.send('POST', '/midonet-api/routers', { 'Content-Type': MT.router }, { name: 'hot' });
      expectStatus(r.status, 201, 'create router');
      const router = String(r.headers['location']).split('/').pop() as string;
      http.close();
      let seq = 0;
      const result = await autocannon({
        url: n.url,
        connections: P.writers,
        duration: P.seconds * 2,
        headers: { 'X-Auth-Token': 'bench' },
        requests: [
          {
            method: 'POST',
            path: `/midonet-api/routers/${router}/ports`,
            headers: { 'Content-Type': MT.port, 'X-Auth-Token': 'bench' },
            setupRequest: (req) => {
              const k = seq++;
              const a = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
              return { ...req, body: JSON.stringify({ type: 'Router', portAddress: a, networkAddress: a, networkLength: 32 }) };
            },
            onResponse: (_status, _body, context, headers) => {
              // autocannon keeps the header names as sent
              const loc = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'location')?.[1];
              (context as Record<string, string>)['port'] = typeof loc === 'string' ? new URL(loc).pathname : '';
            },
          },
          {
            method: 'DELETE',
            setupRequest: (req, context) => ({ ...req, path: (context as Record<string, string>)['port'] || '/midonet-api/ports/none' }),
          },
        ],
      });
      writers[variant] = {
        rps: result.requests.average,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        p50: result.latency.p50,
        p99: result.latency.p99,
      };
      await n.stop();
    }
    if (want('writers')) {
      const w = writers['normal'] as { rps: number; non2xx: number; errors: number };
      const g = writers['global-lock'] as { rps: number };
      const speedup = w.rps / g.rps;
      rows.push({
        scenario: `${P.writers} writers creating+deleting router ports`,
        api: writers['normal'],
        baseline: writers['global-lock'],
        ratio: `${fmt(speedup)}x the global-lock rate`,
        goal: '0 failed, ≥ 3x global lock',
        met: w.non2xx === 0 && w.errors === 0 && speedup >= 3,
      });
    }

    // ---- 7. Neutron port creation ---------------------------------------------------------------
    if (want('neutron')) {
      const n = await node('/bench-neutron');
      const http = new HttpBenchClient(new URL(n.url));
      const neutron = '/midonet-api/neutron';
      const post = async (coll: string, type: string, body: Record<string, unknown>): Promise<void> => {
        const r = await http.send('POST', `${neutron}/${coll}`, { 'Content-Type': type, Accept: type }, body);
        expectStatus(r.status, 201, `POST ${coll}`);
      };
      /** A network with a /16 subnet and a security group as Neutron creates it (two egress rules). */
      const l2 = async (): Promise<{ network: string; subnet: string; sg: string }> => {
        const network = randomUuid();
        const subnet = randomUuid();
        const sg = randomUuid();
        await post('networks', MT.nNetwork, { id: network, name: 'bench', tenant_id: 't', admin_state_up: true, 'provider:network_type': 'midonet' });
        await post('subnets', MT.nSubnet, {
          id: subnet,
          network_id: network,
          ip_version: 4,
          cidr: '10.30.0.0/16',
          gateway_ip: '10.30.0.1',
          enable_dhcp: true,
          tenant_id: 't',
        });
        const rule = (ethertype: string) => ({ id: randomUuid(), security_group_id: sg, direction: 'egress', ethertype, tenant_id: 't' });
        await post('security_groups', MT.nSecurityGroup, { id: sg, name: 'bench', tenant_id: 't', security_group_rules: [rule('IPv4'), rule('IPv6')] });
        return { network, subnet, sg };
      };
      const port = (on: { network: string; subnet: string; sg: string }, i: number): Record<string, unknown> => ({
        id: randomUuid(),
        network_id: on.network,
        tenant_id: 't',
        admin_state_up: true,
        device_owner: 'compute:nova',
        device_id: randomUuid(),
        mac_address: `fa:16:3e:${[16, 8, 0].map((b) => ((i >> b) & 255).toString(16).padStart(2, '0')).join(':')}`,
        fixed_ips: [{ subnet_id: on.subnet, ip_address: `10.30.${((i + 2) >> 8) & 255}.${(i + 2) & 255}` }],
        security_groups: [on.sg],
        port_security_enabled: true,
        'binding:host_id': '',
        'binding:profile': {},
      });
      const warm = await l2();
      for (let i = 0; i < 50; i++) await post('ports', MT.nPort, port(warm, i));
      for (const c of [1, 8]) {
        log(`7. POST /neutron/ports, ${P.neutronPorts} ports, ${c} client(s)`);
        const on = await l2();
        const cpu0 = cpuMs(n.pid);
        const ops0 = await zkOps(n.url);
        const api = await fixedCount(c, P.neutronPorts, (i) => post('ports', MT.nPort, port(on, i)));
        notes.push(
          `POST /neutron/ports, ${c} client(s): node CPU ${fmt(((cpuMs(n.pid) - cpu0) / P.neutronPorts) * 1000, 0)} µs per port; ` +
            `ZooKeeper ops per request: ${opsPerRequest(ops0, await zkOps(n.url), P.neutronPorts)}.`,
        );
        rows.push({
          scenario: `POST /neutron/ports (1 fixed IP on a /16, 1 security group), ${P.neutronPorts} on one network, ${c === 1 ? 'sequential' : `${c} clients`}`,
          api,
          baseline: {},
          ratio: `${fmt(api.rps, 0)} ports/s`,
          goal: c === 1 ? '(informational)' : "≥ 150 ports/s (Debian's Neutron server: 4–7/s)",
          met: c === 1 ? null : api.rps >= 150 && api.errors === 0,
        });
      }
      http.close();
      await n.stop();
    }

    // ---- 7b. Neutron L3: router interfaces and floating-IP associations ---------------------------
    if (want('neutron-l3')) {
      const n = await node('/bench-neutron-l3');
      const http = new HttpBenchClient(new URL(n.url));
      for (const r of await neutronL3Bench(http, P.neutronL3, log)) {
        rows.push({
          scenario: `${r.scenario}, ${r.clients === 1 ? 'sequential' : `${r.clients} clients`}`,
          api: r.api,
          baseline: {},
          ratio: `${fmt(r.api.rps, 0)} req/s`,
          goal: '(informational)',
          met: r.api.errors === 0 ? null : false,
        });
      }
      http.close();
      await n.stop();
    }

    // ---- 5. the HTTP layer: the node's Express application vs the same stages on node:http -----
    if (want('express')) {
      const rootKey = '/bench-http-layer';
      await storageAt(rootKey);
      // express: as the node runs it; express-swapped: the same on node:http's stock request and
      // response classes (Express swaps their prototypes per request); bare: the stages without Express
      const kinds = ['express', 'express-swapped', 'bare'] as const;
      type Kind = (typeof kinds)[number];
      const servers = {} as Record<Kind, ChildServer>;
      for (const k of kinds) servers[k] = await startHttpLayer(k, zk.connectString, rootKey, logDir);
      // both listen for the whole scenario; each measurement alternates between them
      const clients = {} as Record<Kind, HttpBenchClient>;
      const targets = {} as Record<Kind, { get: string; ports: string }>;
      for (const k of kinds) {
        const http = new HttpBenchClient(new URL(servers[k].url));
        clients[k] = http;
        const ids: string[] = [];
        for (const name of ['get-me', 'ports-here']) {
          const r = await http.send('POST', '/midonet-api/bridges', { 'Content-Type': MT.bridge }, { name, tenantId: 't' });
          expectStatus(r.status, 201, `create bridge (${k})`);
          ids.push(String(r.headers['location']).split('/').pop() as string);
        }
        targets[k] = { get: `/midonet-api/bridges/${ids[0]}`, ports: `/midonet-api/bridges/${ids[1]}/ports` };
        // warm-up (JIT, connections), not measured
        for (let i = 0; i < 500; i++) expectStatus((await http.send('GET', targets[k].get, { Accept: MT.bridge })).status, 200, `GET (${k})`);
        for (let i = 0; i < 50; i++)
          expectStatus((await http.send('POST', targets[k].ports, { 'Content-Type': MT.port }, { type: 'Bridge' })).status, 201, `POST (${k})`);
      }
      const posts = quick ? 200 : 500;
      const samples = {} as Record<Kind, { c1: Summary[]; c32: Summary[]; post: Summary[]; cpuGet: number[]; cpuPost: number[] }>;
      for (const k of kinds) samples[k] = { c1: [], c32: [], post: [], cpuGet: [], cpuPost: [] };
      const layerRounds = Math.max(P.rounds, 3);
      for (let round = 0; round < layerRounds; round++) {
        // a different variant goes first in each round
        for (const k of [...kinds.slice(round % kinds.length), ...kinds.slice(0, round % kinds.length)]) {
          log(`5. HTTP layer, round ${round + 1}/${layerRounds}: ${k}`);
          const http = clients[k];
          const { get, ports } = targets[k];
          const pid = servers[k].pid;
          samples[k].c1.push(
            await closedLoop(1, P.seconds * 1000, async () => expectStatus((await http.send('GET', get, { Accept: MT.bridge })).status, 200, 'GET')),
          );
          let gets = 0;
          let cpu0 = cpuMs(pid);
          samples[k].c32.push(
            await closedLoop(32, P.seconds * 1000, async () => {
              expectStatus((await http.send('GET', get, { Accept: MT.bridge })).status, 200, 'GET');
              gets++;
            }),
          );
          samples[k].cpuGet.push(((cpuMs(pid) - cpu0) * 1000) / gets);
          cpu0 = cpuMs(pid);
          samples[k].post.push(
            await fixedCount(1, posts, async () =>
              expectStatus((await http.send('POST', ports, { 'Content-Type': MT.port }, { type: 'Bridge' })).status, 201, 'POST'),
            ),
          );
          samples[k].cpuPost.push(((cpuMs(pid) - cpu0) * 1000) / posts);
        }
      }
      for (const k of kinds) {
        clients[k].close();
        await servers[k].stop();
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const e = { c1: medianOf(samples.express.c1), c32: medianOf(samples.express.c32), post: medianOf(samples.express.post) };
      const sw = {
        c1: medianOf(samples['express-swapped'].c1),
        c32: medianOf(samples['express-swapped'].c32),
        post: medianOf(samples['express-swapped'].post),
      };
      const b = { c1: medianOf(samples.bare.c1), c32: medianOf(samples.bare.c32), post: medianOf(samples.bare.post) };
      const what = 'Express app vs the same stages on bare node:http';
      rows.push({
        scenario: `HTTP layer, GET /bridges/{id} c=1: ${what}`,
        api: e.c1,
        baseline: b.c1,
        ratio: `p50 +${fmt(e.c1.p50 - b.c1.p50, 3)} ms (${fmt(e.c1.p50 / b.c1.p50)}x)`,
        goal: '(informational)',
        met: null,
      });
      rows.push({
        scenario: `HTTP layer, GET /bridges/{id} c=32: ${what}`,
        api: e.c32,
        baseline: b.c32,
        ratio: `${fmt((e.c32.rps / b.c32.rps) * 100, 0)}% of the bare rate`,
        goal: '(informational)',
        met: null,
      });
      rows.push({
        scenario: `HTTP layer, POST /bridges/{id}/ports (${posts} sequential): ${what}`,
        api: e.post,
        baseline: b.post,
        ratio: `p50 +${fmt(e.post.p50 - b.post.p50, 3)} ms (${fmt(e.post.p50 / b.post.p50)}x)`,
        goal: '(informational)',
        met: null,
      });
      const perRound = (k: Kind): string =>
        samples[k].c1
          .map((c1, i) => `${fmt(c1.p50, 3)} ms / ${fmt(samples[k].c32[i]?.rps ?? NaN, 0)} req/s / ${fmt(samples[k].post[i]?.p50 ?? NaN)} ms`)
          .join('; ');
      notes.push(
        `HTTP layer, node CPU per request (median of ${layerRounds} rounds): GET c=32 Express ${fmt(median(samples.express.cpuGet), 0)} µs, ` +
          `Express with swapped prototypes ${fmt(median(samples['express-swapped'].cpuGet), 0)} µs, bare ${fmt(median(samples.bare.cpuGet), 0)} µs; ` +
          `POST Express ${fmt(median(samples.express.cpuPost), 0)} µs, swapped ${fmt(median(samples['express-swapped'].cpuPost), 0)} µs, bare ${fmt(median(samples.bare.cpuPost), 0)} µs.`,
      );
      notes.push(
        `HTTP layer, Express on node:http's stock request classes (prototypes swapped per request, as Express does by default): GET c=1 p50 ${fmt(sw.c1.p50, 3)} ms, ` +
          `GET c=32 ${fmt(sw.c32.rps, 0)} req/s (${fmt((sw.c32.rps / b.c32.rps) * 100, 0)}% of bare), POST p50 ${fmt(sw.post.p50)} ms.`,
      );
      notes.push(
        `HTTP layer, per round (GET c=1 p50 / GET c=32 rate / POST p50), the variants in rotating order: Express ${perRound('express')}; ` +
          `swapped ${perRound('express-swapped')}; bare ${perRound('bare')}.`,
      );

      // the framework's bare cost: one trivial route
      const trivial: Record<string, { c1: Summary; c32: number }> = {};
      for (const kind of ['express', 'express-defaults', 'http'] as const) {
        log(`5. trivial route, ${kind}`);
        const srv = await startTrivial(kind);
        const http = new HttpBenchClient(new URL(srv.url));
        const c1 = await rounds(() => closedLoop(1, P.seconds * 1000, async () => void (await http.send('GET', '/ping'))));
        const ac = await autocannon({ url: `${srv.url}/ping`, connections: 32, duration: P.seconds });
        trivial[kind] = { c1, c32: ac.requests.average };
        http.close();
        await srv.stop();
      }
      const te = trivial['express'];
      const td = trivial['express-defaults'];
      const th = trivial['http'];
      notes.push(
        `trivial route (one answer, nothing else): Express as the node sets it up p50 ${fmt(te.c1.p50, 3)} ms at c=1, ${fmt(te.c32, 0)} req/s at c=32 (autocannon); stock Express (ETag, X-Powered-By, res.send) ` +
          `${fmt(td.c1.p50, 3)} ms, ${fmt(td.c32, 0)} req/s; node:http ${fmt(th.c1.p50, 3)} ms, ${fmt(th.c32, 0)} req/s (Express as set up: ${fmt((te.c32 / th.c32) * 100, 0)}%).`,
      );
    }
  } finally {
    notes.push(
      `load average at the end (1, 5, 15 min): ${loadavg()
        .map((x) => fmt(x))
        .join(', ')}.`,
    );
    for (const n of nodes) await n.stop().catch(() => undefined);
    await raw.close();
    await zk.cleanup();
  }

  const md = render(started);
  const dir = join(PROJECT_DIR, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${stamp}${quick ? '-quick' : ''}.md`), md);
  writeFileSync(join(dir, `${stamp}${quick ? '-quick' : ''}.json`), JSON.stringify({ started, quick, params: P, rows, notes }, null, 2));
  // a partial run (--only, --sizes) does not replace the last complete one
  if (!args.only && !args.sizes) writeFileSync(join(dir, 'latest.md'), md);
  rmSync(logDir, { recursive: true, force: true });
  process.stdout.write(md);
}

function cell(v: Summary | Record<string, number>): string {
  if ('p50' in v && 'rps' in v && 'ops' in v) {
    const s = v as Summary;
    return `p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, ${fmt(s.rps, 0)}/s${s.errors ? `, ${s.errors} errors` : ''}`;
  }
  return Object.entries(v)
    .map(([k, n]) => `${k} ${fmt(n, k === 'non2xx' || k === 'errors' ? 0 : 1)}`)
    .join(', ');
}

function render(started: Date): string {
  const lines = [
    `# Benchmark results (${quick ? 'quick' : 'full'} run, ${started.toISOString()})`,
    '',
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 0)} GiB; Node ${process.version}; one standalone ZooKeeper and the node(s) on loopback.`,
    `Rounds per measurement: ${P.rounds} (median shown); ${P.seconds} s per closed-loop round.`,
    '',
    '| Scenario | Node (API) | Baseline (raw ZooKeeper / global lock / node:http) | Ratio | Goal | Met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${cell(r.api)} | ${cell(r.baseline)} | ${r.ratio} | ${r.goal} | ${r.met === null ? '-' : r.met ? 'yes' : 'no'} |`),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

await main();
