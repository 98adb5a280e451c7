/**
 * An L2 gateway connection (the original's L2GatewayConnectionTranslator): two peered ports, one
 * on the connection's network and one on the gateway: for a router VTEP a port of the device's
 * router with the connection's segmentation id as VNI, the device's first tunnel address, and
 * the remote MAC entries of that VNI in its peering table; for a VLAN-tagged network a port of
 * that network with the segmentation id as VLAN.
 */
import type { GatewayDevice, L2GatewayConnection, Port } from '../../../lib/models/generated.js';
import { invalid, type TranslationContext, type Translator } from '../translation.js';
import { deviceType, resourceOf, vtepTunnelIp } from './gateway-device.js';
import { l2gwGatewayPortId, l2gwNetworkPortId, ONLY_ONE_GW_DEV_SUPPORTED, UNSUPPORTED_GATEWAY_DEVICE } from './l2gw-ids.js';
import { peeringPair } from './remote-mac-entry.js';

function networkOf(cnxn: L2GatewayConnection): string {
  if (!cnxn.network_id) throw invalid('The L2 gateway connection has no network_id.');
  return cnxn.network_id;
}

/** The router port of a router VTEP, and the peering-table entries it starts with. */
async function routerVtepPort(
  { tx, tables }: TranslationContext,
  networkId: string,
  vni: number,
  device: GatewayDevice,
): Promise<{ port: Port; entries: string[] }> {
  const id = l2gwGatewayPortId(networkId);
  const rmIds: string[] = [];
  const entries: string[] = [];
  for (const rm of await tx.getAll('RemoteMacEntry', device.remote_mac_entry_ids ?? [])) {
    if ((rm.segmentation_id ?? 0) !== vni) continue;
    const { mac, ip } = peeringPair(rm);
    rmIds.push(String(rm.id));
    entries.push(tables.peeringEntry(id, mac, ip));
  }
  const port: Port = {
    id,
    peer_id: l2gwNetworkPortId(networkId),
    router_id: resourceOf(device),
    tunnel_ip: vtepTunnelIp(device),
    vni,
    remote_mac_entry_ids: rmIds,
  };
  return { port, entries };
}

export const l2GatewayConnectionTranslator: Translator<'L2GatewayConnection'> = {
  clazz: 'L2GatewayConnection',
  async create(ctx, cnxn) {
    const devices = cnxn.l2_gateway?.devices ?? [];
    if (devices.length !== 1) throw invalid(ONLY_ONE_GW_DEV_SUPPORTED);
    const networkId = networkOf(cnxn);
    const device = await ctx.tx.get('GatewayDevice', devices[0]?.device_id ?? '');
    const segmentation = cnxn.segmentation_id ?? 0;
    const networkPort: Port = { id: l2gwNetworkPortId(networkId), network_id: networkId };
    let gateway: { port: Port; entries: string[] };
    switch (deviceType(device)) {
      case 'ROUTER_VTEP':
        gateway = await routerVtepPort(ctx, networkId, segmentation, device);
        break;
      case 'NETWORK_VLAN':
        gateway = { port: { id: l2gwGatewayPortId(networkId), network_id: resourceOf(device), vlan_id: segmentation, peer_id: networkPort.id }, entries: [] };
        break;
      default:
        throw invalid(UNSUPPORTED_GATEWAY_DEVICE);
    }
    await ctx.tx.create('Port', networkPort);
    await ctx.tx.create('Port', gateway.port);
    // after the port: its creation makes the node its tables hang from
    for (const path of gateway.entries) await ctx.tx.createNode(path);
  },
  // the original translates nothing on update: only the stored connection changes
  update: () => Promise.resolve(),
  async delete({ tx, tables }, cnxn) {
    const networkId = networkOf(cnxn);
    const gatewayPortId = l2gwGatewayPortId(networkId);
    // gone with its router or network: nothing left to clean (the original failed with 404)
    const gatewayPort = await tx.getOrNull('Port', gatewayPortId);
    for (const rm of await tx.getAll('RemoteMacEntry', gatewayPort?.remote_mac_entry_ids ?? [])) {
      const { mac, ip } = peeringPair(rm);
      await tx.deleteNode(tables.peeringEntry(gatewayPortId, mac, ip));
    }
    await tx.delete('Port', l2gwNetworkPortId(networkId), true);
    await tx.delete('Port', gatewayPortId, true);
  },
};
