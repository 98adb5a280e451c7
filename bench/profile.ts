/**
 * `node --import tsx bench/profile.ts SCENARIO [--seconds N] [--concurrency C] [--size N] [--top N]`
 * A CPU profile of one cluster node under one bench load: starts ZooKeeper and a node with
 * `--cpu-prof`, drives the load, stops the node (the profile is written on exit) and prints the
 * top functions. The raw .cpuprofile stays in the printed directory (open it in Chrome DevTools).
 * SCENARIO: get (GET /bridges/{id}), create (POST /bridges/{id}/ports), list (GET
 * /bridges/{id}/ports of --size ports), writers (create+delete router ports), neutron (POST
 * /neutron/ports on one network, /16 subnet and security group).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpBenchClient } from './lib/http-client.js';
import { closedLoop } from './lib/stats.js';
import { startNode, startZooKeeper } from './lib/env.js';
import { summarizeProfile } from './lib/cpu-profile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string' },
    size: { type: 'string', default: '1000' },
    top: { type: 'string', default: '30' },
  },
});
const scenario = positionals[0] ?? 'get';
const seconds = Number(values.seconds);
const size = Number(values.size);
const MT = {
  bridge: 'application/vnd.org.midonet.Bridge-v4+json',
  ports: 'application/vnd.org.midonet.collection.Port-v3+json',
  port: 'application/vnd.org.midonet.Port-v3+json',
  router: 'application/vnd.org.midonet.Router-v3+json',
};
const idOf = (loc: unknown): string => String(loc).split('/').pop() as string;

const dir = mkdtempSync(join(tmpdir(), 'mido-prof-'));
const zk = await startZooKeeper();
const node = await startNode({ zk: zk.connectString, rootKey: '/prof', logDir: dir, execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
const http = new HttpBenchClient(new URL(node.url));
try {
  const b = await http.send('POST', '/midonet-api/bridges', { 'Content-Type': MT.bridge }, { name: 'b' });
  const bridge = idOf(b.headers['location']);
  let op: (w: number) => Promise<void>;
  let c = Number(values.concurrency ?? 1);
  if (scenario === 'get') {
    c = Number(values.concurrency ?? 32);
    op = async () => void (await http.send('GET', `/midonet-api/bridges/${bridge}`, { Accept: MT.bridge }));
  } else if (scenario === 'create') {
    op = async () => void (await http.send('POST', `/midonet-api/bridges/${bridge}/ports`, { 'Content-Type': MT.port }, { type: 'Bridge' }));
  } else if (scenario === 'list') {
    for (let i = 0; i < size; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, size - i) }, () =>
          http.send('POST', `/midonet-api/bridges/${bridge}/ports`, { 'Content-Type': MT.port }, { type: 'Bridge' }),
        ),
      );
    }
    op = async () => void (await http.send('GET', `/midonet-api/bridges/${bridge}/ports`, { Accept: MT.ports }));
  } else if (scenario === 'writers') {
    c = Number(values.concurrency ?? 50);
    const r = await http.send('POST', '/midonet-api/routers', { 'Content-Type': MT.router }, { name: 'hot' });
    const router = idOf(r.headers['location']);
    let seq = 0;
    op = async () => {
      const k = seq++;
      const a = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
      const p = await http.send(
        'POST',
        `/midonet-api/routers/${router}/ports`,
        { 'Content-Type': MT.port },
        { type: 'Router', portAddress: a, networkAddress: a, networkLength: 32 },
      );
      if (p.status !== 201) throw new Error(`POST ${p.status}`);
      const d = await http.send('DELETE', new URL(String(p.headers['location'])).pathname);
      if (d.status !== 204) throw new Error(`DELETE ${d.status}`);
    };
  } else if (scenario === 'neutron') {
    const n = (name: string): string => `application/vnd.org.midonet.neutron.${name}-v1+json`;
    const post = async (coll: string, type: string, body: Record<string, unknown>): Promise<void> => {
      const r = await http.send('POST', `/midonet-api/neutron/${coll}`, { 'Content-Type': n(type), Accept: n(type) }, body);
      if (r.status !== 201) throw new Error(`POST ${coll}: ${r.status} ${r.body.toString()}`);
    };
    const [network, subnet, sg] = [randomUUID(), randomUUID(), randomUUID()];
    await post('networks', 'Network', { id: network, tenant_id: 't', admin_state_up: true });
    await post('subnets', 'Subnet', { id: subnet, network_id: network, ip_version: 4, cidr: '10.30.0.0/16', gateway_ip: '10.30.0.1', enable_dhcp: true });
    await post('security_groups', 'SecurityGroup', { id: sg, name: 'sg', security_group_rules: [] });
    let seq = 2;
    op = async () => {
      const i = seq++;
      const mac = `fa:16:3e:${[16, 8, 0].map((b) => ((i >> b) & 255).toString(16).padStart(2, '0')).join(':')}`;
      const ip = `10.30.${(i >> 8) & 255}.${i & 255}`;
      await post('ports', 'Port', {
        id: randomUUID(),
        network_id: network,
        admin_state_up: true,
        mac_address: mac,
        fixed_ips: [{ subnet_id: subnet, ip_address: ip }],
        security_groups: [sg],
      });
    };
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  const s = await closedLoop(c, seconds * 1000, op);
  process.stdout.write(
    `${scenario}, concurrency ${c}: ${s.ops} ops, ${s.errors} errors, ${s.rps.toFixed(0)}/s, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms\n`,
  );
  // the node's own counters, when it serves /metrics
  const m = await fetch(new URL('/metrics', node.url)).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  for (const line of m.split('\n'))
    if (/^midonet_cluster_(nsdb_transaction|zookeeper_operation_duration_seconds_count)/.test(line)) process.stdout.write(`  ${line}\n`);
} finally {
  http.close();
  await node.stop();
  await zk.cleanup();
}
// the main thread's (thread 0); tsx's loader thread writes one too
const profile = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
if (!profile) throw new Error(`no profile written in ${dir}`);
process.stdout.write(`${summarizeProfile(join(dir, profile), Number(values.top))}\n`);
