/**
 * The Neutron L3 bench (`npm run bench -- --only neutron-l3`): `PUT .../add_router_interface`
 * (a new tenant network per interface, all on one router) and `PUT /neutron/floating_ips/{id}`
 * associating floating IPs with VM ports behind one router with a gateway, sequential and from 8
 * clients. Only the measured request is timed; the ports and networks it needs are made first.
 */
import { randomUuid } from '../../lib/nsdb/codec/uuid.js';
import type { HttpBenchClient } from './http-client.js';
import { fixedCount, type Summary } from './stats.js';

const T = (name: string): string => `application/vnd.org.midonet.neutron.${name}-v1+json`;
const NEUTRON = '/midonet-api/neutron';

export interface L3Row {
  scenario: string;
  clients: number;
  api: Summary;
}

export async function neutronL3Bench(http: HttpBenchClient, count: number, log: (m: string) => void): Promise<L3Row[]> {
  const send = async (method: 'POST' | 'PUT', path: string, type: string, body: Record<string, unknown>, want: number): Promise<void> => {
    const headers: Record<string, string> = method === 'POST' ? { 'Content-Type': type, Accept: type } : { 'Content-Type': type };
    const r = await http.send(method, `${NEUTRON}/${path}`, headers, body);
    if (r.status !== want) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.body.toString('utf8')}`);
  };
  let macs = 0;
  const mac = (): string => {
    const i = ++macs;
    return `fa:16:3e:${[16, 8, 0].map((b) => ((i >> b) & 255).toString(16).padStart(2, '0')).join(':')}`;
  };
  const network = async (cidr: string, gateway: string, external = false): Promise<{ net: string; sub: string }> => {
    const net = randomUuid();
    const sub = randomUuid();
    await send('POST', 'networks', T('Network'), { id: net, name: 'bench', tenant_id: 't', admin_state_up: true, 'router:external': external }, 201);
    await send(
      'POST',
      'subnets',
      T('Subnet'),
      { id: sub, network_id: net, ip_version: 4, cidr, gateway_ip: gateway, enable_dhcp: !external, tenant_id: 't' },
      201,
    );
    return { net, sub };
  };
  const port = async (on: { net: string; sub: string }, ip: string, owner: string, deviceId: string): Promise<string> => {
    const id = randomUuid();
    await send(
      'POST',
      'ports',
      T('Port'),
      {
        id,
        network_id: on.net,
        tenant_id: 't',
        admin_state_up: true,
        mac_address: mac(),
        device_owner: owner,
        device_id: deviceId,
        fixed_ips: [{ subnet_id: on.sub, ip_address: ip }],
      },
      201,
    );
    return id;
  };
  const rows: L3Row[] = [];

  // add_router_interface: each on its own new network, all on one router
  for (const c of [1, 8]) {
    const routerId = randomUuid();
    await send('POST', 'routers', T('Router'), { id: routerId, name: 'bench', tenant_id: 't', admin_state_up: true }, 201);
    const ifaces: { port: string; sub: string; net: string }[] = [];
    for (let i = 0; i < count; i++) {
      const on = await network(`10.${100 + (i >> 8)}.${i & 255}.0/24`, `10.${100 + (i >> 8)}.${i & 255}.1`);
      ifaces.push({ port: await port(on, `10.${100 + (i >> 8)}.${i & 255}.1`, 'network:router_interface', routerId), ...on });
    }
    log(`neutron-l3: add_router_interface, ${count}, ${c} client(s)`);
    const api = await fixedCount(c, count, async (i) => {
      const f = ifaces[i];
      if (!f) return;
      await send(
        'PUT',
        `routers/${routerId}/add_router_interface`,
        T('RouterInterface'),
        { id: routerId, tenant_id: 't', port_id: f.port, subnet_id: f.sub, subnet_ids: [f.sub] },
        204,
      );
    });
    rows.push({ scenario: `PUT /neutron/routers/{id}/add_router_interface, ${count} interfaces on one router`, clients: c, api });
  }

  // floating IPs: associated with VM ports behind one router with a gateway
  for (const c of [1, 8]) {
    const ext = await network(`172.${20 + c}.0.0/16`, `172.${20 + c}.0.1`, true);
    const routerId = randomUuid();
    const gw = await port(ext, `172.${20 + c}.0.2`, 'network:router_gateway', routerId);
    await send(
      'POST',
      'routers',
      T('Router'),
      { id: routerId, name: 'bench', tenant_id: 't', admin_state_up: true, gw_port_id: gw, external_gateway_info: { network_id: ext.net, enable_snat: true } },
      201,
    );
    const tenant = await network('10.50.0.0/16', '10.50.0.1');
    const rif = await port(tenant, '10.50.0.1', 'network:router_interface', routerId);
    await send('PUT', `routers/${routerId}/add_router_interface`, T('RouterInterface'), { id: routerId, port_id: rif, subnet_ids: [tenant.sub] }, 204);
    const fips: { id: string; body: Record<string, unknown> }[] = [];
    for (let i = 0; i < count; i++) {
      const fixed = `10.50.${(i + 10) >> 8}.${(i + 10) & 255}`;
      const vm = await port(tenant, fixed, 'compute:nova', randomUuid());
      const id = randomUuid();
      const floating = `172.${20 + c}.${(i + 10) >> 8}.${(i + 10) & 255}`;
      const body = { id, tenant_id: 't', floating_ip_address: floating, floating_network_id: ext.net };
      await send('POST', 'floating_ips', T('FloatingIp'), body, 201);
      fips.push({ id, body: { ...body, port_id: vm, fixed_ip_address: fixed, router_id: routerId } });
    }
    log(`neutron-l3: floating IP association, ${count}, ${c} client(s)`);
    const api = await fixedCount(c, count, async (i) => {
      const f = fips[i];
      if (!f) return;
      await send('PUT', `floating_ips/${f.id}`, T('FloatingIp'), f.body, 200);
    });
    rows.push({ scenario: `PUT /neutron/floating_ips/{id} associating, ${count} on one router`, clients: c, api });
  }
  return rows;
}
