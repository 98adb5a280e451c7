/**
 * Names and ids the VxLAN gateway shares with the original, bit for bit (agents and tools find
 * the objects by them): the VxLAN port of a VTEP on a network, the VNI sequence, the cluster's
 * state namespace.
 */
import { uuidToHalves } from '../../lib/nsdb/codec/uuid.js';
import { xorWith } from '../neutron/ids.js';

/** `ROOT/sequences/vxgw_tunnel_key`, seeded at 10000: the first VNI handed out is 10001. */
export const VNI_SEQUENCE = { name: 'vxgw_tunnel_key', seed: 10_000 };

/** VNIs below this are not MidoNet's (the original refuses to put them on a VTEP). */
export const MIN_VNI = 10_000;

/** The namespace the cluster writes its state keys in (storage.md §8). */
export const CLUSTER_NAMESPACE = '00000000-0000-0000-0000-000000000000';

/** The VxLAN port of `vtepId` on `networkId`: the VTEP id XOR-mixed with the network id's two words. */
export function vxlanPortId(vtepId: string, networkId: string): string {
  const { msb, lsb } = uuidToHalves(networkId);
  return xorWith(vtepId, msb, lsb);
}
