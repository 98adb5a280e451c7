/**
 * python-midonetclient's Neutron L3 mixin (midonetclient/neutron/l3.py) over the requests of
 * neutron-client.ts, and the dicts networking-midonet's L3 plugin passes it: Neutron's router,
 * router-interface info and floating IP dicts as they are.
 */
import { randomUUID } from 'node:crypto';
import type { Res } from './rest-helpers.js';
import { NeutronClient } from './neutron-client.js';

export const L3MT = {
  router: 'application/vnd.org.midonet.neutron.Router-v1+json',
  routers: 'application/vnd.org.midonet.neutron.Routers-v1+json',
  routerInterface: 'application/vnd.org.midonet.neutron.RouterInterface-v1+json',
  floatingIp: 'application/vnd.org.midonet.neutron.FloatingIp-v1+json',
  floatingIps: 'application/vnd.org.midonet.neutron.FloatingIps-v1+json',
} as const;

export class NeutronL3Client extends NeutronClient {
  createRouter = async (r: unknown): Promise<Res> => this.post(await this.url('routers'), L3MT.router, r);
  updateRouter = async (id: string, r: unknown): Promise<Res> => this.put(await this.url('router_template', id), L3MT.router, r);
  deleteRouter = async (id: string): Promise<Res> => this.delete(await this.url('router_template', id));
  getRouter = async (id: string): Promise<Res> => this.get(await this.url('router_template', id), L3MT.router);
  getRouters = async (): Promise<Res> => this.get(await this.url('routers'), L3MT.routers);
  addRouterInterface = async (routerId: string, info: unknown): Promise<Res> =>
    this.put(await this.url('add_router_interface_template', routerId), L3MT.routerInterface, info);
  removeRouterInterface = async (routerId: string, info: unknown): Promise<Res> =>
    this.put(await this.url('remove_router_interface_template', routerId), L3MT.routerInterface, info);
  createFloatingIp = async (f: unknown): Promise<Res> => this.post(await this.url('floating_ips'), L3MT.floatingIp, f);
  updateFloatingIp = async (id: string, f: unknown): Promise<Res> => this.put(await this.url('floating_ip_template', id), L3MT.floatingIp, f);
  deleteFloatingIp = async (id: string): Promise<Res> => this.delete(await this.url('floating_ip_template', id));
  getFloatingIp = async (id: string): Promise<Res> => this.get(await this.url('floating_ip_template', id), L3MT.floatingIp);
  getFloatingIps = async (): Promise<Res> => this.get(await this.url('floating_ips'), L3MT.floatingIps);
}

const PROJECT = '5f0f7a51d4e54b8c8e3c1d2a3b4c5d6e';
const NOW = '2024-05-01T10:00:00Z';

/** Neutron's router dict (the L3 plugin's create_router/update_router result). */
export function neutronRouter(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    name: 'router1',
    tenant_id: PROJECT,
    project_id: PROJECT,
    admin_state_up: true,
    status: 'ACTIVE',
    external_gateway_info: null,
    gw_port_id: null,
    routes: [],
    description: '',
    availability_zone_hints: [],
    availability_zones: [],
    flavor_id: null,
    tags: [],
    created_at: NOW,
    updated_at: NOW,
    revision_number: 1,
    ...extra,
  };
}

/** `external_gateway_info` as Neutron fills it in. */
export function gatewayInfo(networkId: string, subnetId: string, ip: string, enableSnat = true): Record<string, unknown> {
  return { network_id: networkId, enable_snat: enableSnat, external_fixed_ips: [{ subnet_id: subnetId, ip_address: ip }] };
}

/** The interface info the L3 plugin passes on (Neutron's add_router_interface result). */
export function interfaceInfo(routerId: string, portId: string, subnetId: string, networkId: string): Record<string, unknown> {
  return { id: routerId, tenant_id: PROJECT, project_id: PROJECT, port_id: portId, subnet_id: subnetId, subnet_ids: [subnetId], network_id: networkId };
}

/** Neutron's floating IP dict. */
export function neutronFloatingIp(networkId: string, address: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    tenant_id: PROJECT,
    project_id: PROJECT,
    floating_ip_address: address,
    floating_network_id: networkId,
    router_id: null,
    port_id: null,
    fixed_ip_address: null,
    status: 'DOWN',
    description: '',
    dns_domain: '',
    dns_name: '',
    qos_policy_id: null,
    port_details: null,
    tags: [],
    created_at: NOW,
    updated_at: NOW,
    revision_number: 0,
    ...extra,
  };
}
