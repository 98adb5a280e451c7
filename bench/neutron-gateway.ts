/**
 * `node --import tsx bench/neutron-gateway.ts [--connections 50] [--entries 300]`: the gateway
 * writes of the Neutron API against a node and a ZooKeeper of its own (the test harness's): L2
 * gateway connections of one router VTEP (distinct VNIs, as networks have), then remote MAC
 * entries, each on one of those VNIs, posted one after the other as the gateway-device plugin
 * does. Prints p50/p95 per request and the entries' rate (docs/performance.md, "Neutron gateways").
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startTestNode } from '../test/support/node-harness.js';
import { NeutronClient, neutronNetwork } from '../test/support/neutron-client.js';
import { gatewayClient, neutronGatewayDevice, neutronL2gwConn, neutronRemoteMacEntry } from '../test/support/neutron-gateway-client.js';
import { post } from '../test/support/rest-helpers.js';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '50' }, entries: { type: 'string', default: '300' } } });
const CONNECTIONS = Number(values.connections);
const ENTRIES = Number(values.entries);
const VNI = 1000;

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? NaN;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function timed(what: string, send: () => Promise<{ status: number; text: string }>, expect: number): Promise<number> {
  const t0 = performance.now();
  const res = await send();
  const took = performance.now() - t0;
  if (res.status !== expect) throw new Error(`${what}: HTTP ${res.status} ${res.text}`);
  return took;
}

const t = await startTestNode();
try {
  const nc = new NeutronClient(t.api);
  const gc = gatewayClient(nc);
  const router = await post(`${t.api}/routers`, 'application/vnd.org.midonet.Router-v3+json', { name: 'vtep', tenantId: 'bench' });
  const routerId = String(router.headers.get('location')).split('/').pop() ?? '';
  const dev = neutronGatewayDevice(routerId);
  const devId = dev['id'] as string;
  await gc.createGatewayDevice(dev);

  const conns: number[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const net = neutronNetwork();
    await nc.createNetwork(net);
    conns.push(await timed('connection', () => gc.createL2gwConn(neutronL2gwConn(net['id'] as string, [devId], VNI + i)), 201));
  }
  const entries: number[] = [];
  const start = performance.now();
  for (let i = 0; i < ENTRIES; i++) {
    const mac = `fa:16:3e:02:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    const entry = neutronRemoteMacEntry(devId, {
      id: randomUUID(),
      mac_address: mac,
      vtep_address: `10.2.${(i >> 8) & 255}.${i & 255}`,
      segmentation_id: VNI + (i % CONNECTIONS),
    });
    entries.push(await timed('remote MAC entry', () => gc.createRemoteMacEntry(entry), 201));
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `POST /neutron/l2_gateway_connections (router VTEP), ${CONNECTIONS} sequential: p50 ${ms(percentile(conns, 0.5))}, p95 ${ms(percentile(conns, 0.95))}`,
  );
  console.log(
    `POST /neutron/remote_mac_entries, ${ENTRIES} sequential over ${CONNECTIONS} VNIs: p50 ${ms(percentile(entries, 0.5))}, p95 ${ms(percentile(entries, 0.95))}, ${(ENTRIES / seconds).toFixed(0)} req/s`,
  );
} finally {
  await t.stop();
}
