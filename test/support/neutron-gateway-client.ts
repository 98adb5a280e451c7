/**
 * The gateway requests of python-midonetclient's Neutron mixins (neutron/gateway_device.py:
 * gateway devices and remote MAC entries; neutron/l2gw.py: L2 gateway connections), sent through
 * the NeutronClient (test/support/neutron-client.ts) as the client sends them, with the dicts
 * networking-midonet's gateway-device plugin and L2GW driver pass; and the three objects the
 * original takes only from Neutron's task table (decision 0022), in the same request shapes.
 */
import { randomUUID } from 'node:crypto';
import type { Res } from './rest-helpers.js';
import type { NeutronClient } from './neutron-client.js';

const n = (name: string): string => `application/vnd.org.midonet.neutron.${name}-v1+json`;

export const GMT = {
  gatewayDevice: n('GatewayDevice'),
  gatewayDevices: n('GatewayDevices'),
  remoteMacEntry: n('RemoteMacEntry'),
  remoteMacEntries: n('RemoteMacEntries'),
  l2gwConn: n('L2GatewayConnection'),
  l2gwConns: n('L2GatewayConnections'),
  config: n('Config'),
  agentMembership: n('AgentMembership'),
  portBinding: n('PortBinding'),
} as const;

/** The mixins' methods (and GETs of the same shape, which the client does not have). */
export function gatewayClient(nc: NeutronClient) {
  const at = (key: string, id?: string): Promise<string> => nc.url(key, id);
  return {
    createGatewayDevice: async (d: unknown): Promise<Res> => nc.post(await at('gateway_devices'), GMT.gatewayDevice, d),
    updateGatewayDevice: async (id: string, d: unknown): Promise<Res> => nc.put(await at('gateway_device_template', id), GMT.gatewayDevice, d),
    deleteGatewayDevice: async (id: string): Promise<Res> => nc.delete(await at('gateway_device_template', id)),
    getGatewayDevice: async (id: string): Promise<Res> => nc.get(await at('gateway_device_template', id), GMT.gatewayDevice),
    getGatewayDevices: async (): Promise<Res> => nc.get(await at('gateway_devices'), GMT.gatewayDevices),
    createRemoteMacEntry: async (e: unknown): Promise<Res> => nc.post(await at('remote_mac_entries'), GMT.remoteMacEntry, e),
    deleteRemoteMacEntry: async (id: string): Promise<Res> => nc.delete(await at('remote_mac_entry_template', id)),
    getRemoteMacEntry: async (id: string): Promise<Res> => nc.get(await at('remote_mac_entry_template', id), GMT.remoteMacEntry),
    createL2gwConn: async (c: unknown): Promise<Res> => nc.post(await at('l2_gateway_connections'), GMT.l2gwConn, c),
    updateL2gwConn: async (id: string, c: unknown): Promise<Res> => nc.put(await at('l2_gateway_connection_template', id), GMT.l2gwConn, c),
    deleteL2gwConn: async (id: string): Promise<Res> => nc.delete(await at('l2_gateway_connection_template', id)),
    getL2gwConn: async (id: string): Promise<Res> => nc.get(await at('l2_gateway_connection_template', id), GMT.l2gwConn),
    createConfig: async (c: unknown): Promise<Res> => nc.post(await at('configs'), GMT.config, c),
    deleteConfig: async (id: string): Promise<Res> => nc.delete(await at('config_template', id)),
    createAgentMembership: async (m: unknown): Promise<Res> => nc.post(await at('agent_memberships'), GMT.agentMembership, m),
    deleteAgentMembership: async (id: string): Promise<Res> => nc.delete(await at('agent_membership_template', id)),
    getAgentMembership: async (id: string): Promise<Res> => nc.get(await at('agent_membership_template', id), GMT.agentMembership),
    createPortBinding: async (b: unknown): Promise<Res> => nc.post(await at('port_bindings'), GMT.portBinding, b),
    deletePortBinding: async (id: string): Promise<Res> => nc.delete(await at('port_binding_template', id)),
  };
}

const PROJECT = '5f0f7a51d4e54b8c8e3c1d2a3b4c5d6e';

/** A gateway device as networking-midonet's gateway-device plugin has it. */
export function neutronGatewayDevice(resourceId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    name: 'gw-device',
    type: 'router_vtep',
    resource_id: resourceId,
    tunnel_ips: ['30.0.0.1'],
    management_ip: '199.0.0.1',
    management_port: 37000,
    management_protocol: 'ovsdb',
    remote_mac_entries: [],
    tenant_id: PROJECT,
    project_id: PROJECT,
    ...extra,
  };
}

export function neutronRemoteMacEntry(deviceId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    device_id: deviceId,
    vtep_address: '10.0.0.1',
    mac_address: 'fa:16:3e:aa:bb:01',
    segmentation_id: 100,
    tenant_id: PROJECT,
    project_id: PROJECT,
    ...extra,
  };
}

/** A connection with its L2 gateway, as networking-midonet's L2GW driver sends it. */
export function neutronL2gwConn(networkId: string, deviceIds: string[], segmentationId = 100, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const gwId = randomUUID();
  return {
    id: randomUUID(),
    tenant_id: PROJECT,
    project_id: PROJECT,
    network_id: networkId,
    segmentation_id: segmentationId,
    l2_gateway_id: gwId,
    l2_gateway: {
      id: gwId,
      name: 'l2gw',
      tenant_id: PROJECT,
      project_id: PROJECT,
      devices: deviceIds.map((d) => ({ id: randomUUID(), device_id: d, segmentation_id: segmentationId })),
    },
    ...extra,
  };
}
