/**
 * A gateway device (the original's GatewayDeviceTranslator): stored as it is; only router VTEPs
 * and VLAN-tagged networks are supported. An update moves the tunnel address of the gateway ports
 * of the L2 gateway connections that use the device; a delete takes the remote MAC entries of the
 * device (the store's cascade) out of the peering tables they were written to.
 */
import type { GatewayDevice, IPAddress } from '../../../lib/models/generated.js';
import { invalid, type TranslationContext, type Translator } from '../translation.js';
import { l2gwGatewayPortId, UNSUPPORTED_GATEWAY_DEVICE } from './l2gw-ids.js';

/** A device without a type is a router VTEP (the proto default). */
export const deviceType = (d: GatewayDevice): NonNullable<GatewayDevice['type']> => d.type ?? 'ROUTER_VTEP';

function checkSupported(d: GatewayDevice): void {
  const type = deviceType(d);
  if (type !== 'ROUTER_VTEP' && type !== 'NETWORK_VLAN') throw invalid(UNSUPPORTED_GATEWAY_DEVICE);
}

/** The router (router VTEP) or network (VLAN) of the device. */
export function resourceOf(d: GatewayDevice): string {
  if (!d.resource_id) throw invalid(`Gateway device ${String(d.id)} has no resource_id.`);
  return d.resource_id;
}

/** The first tunnel address of a router VTEP, which its gateway ports take. */
export function vtepTunnelIp(d: GatewayDevice): IPAddress {
  const ip = d.tunnel_ips?.[0];
  if (!ip) throw invalid(`Gateway device ${String(d.id)} has no tunnel IP.`);
  return ip;
}

async function retunnelPorts({ tx }: TranslationContext, device: GatewayDevice): Promise<void> {
  // connections have no reference to their device: they are all read, as the original does
  for (const cnxn of await tx.listAll('L2GatewayConnection')) {
    if (!cnxn.network_id || !(cnxn.l2_gateway?.devices ?? []).some((d) => d.device_id === device.id)) continue;
    const port = await tx.getOrNull('Port', l2gwGatewayPortId(cnxn.network_id));
    if (!port) continue;
    // a router VTEP's port must keep one; a VLAN port takes one only if there is one
    const ip = port.router_id ? vtepTunnelIp(device) : device.tunnel_ips?.[0];
    if (ip) await tx.update('Port', { ...port, tunnel_ip: ip });
  }
}

export const gatewayDeviceTranslator: Translator<'GatewayDevice'> = {
  clazz: 'GatewayDevice',
  // the store keeps the back references to the device's remote MAC entries
  retention: { kind: 'asReceived', keep: ['remote_mac_entry_ids'] },
  create(_ctx, device) {
    checkSupported(device);
    return Promise.resolve();
  },
  async update(ctx, device) {
    checkSupported(device);
    await retunnelPorts(ctx, device);
  },
  async delete({ tx, tables }, device) {
    for (const rm of await tx.getAll('RemoteMacEntry', device.remote_mac_entry_ids ?? [])) {
      if (!rm.mac_address || !rm.vtep_address) continue;
      for (const portId of rm.port_ids ?? []) await tx.deleteNode(tables.peeringEntry(portId, rm.mac_address, rm.vtep_address.address ?? ''));
    }
  },
};
