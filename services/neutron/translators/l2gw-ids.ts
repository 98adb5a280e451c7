/**
 * The ids of the two ports an L2 gateway connection makes (the original's
 * L2GatewayConnectionTranslator object), both derived from the connection's network id: a
 * network has at most one L2 gateway connection.
 */
import { xorWith } from '../ids.js';

/** The port on the connection's network. */
export const l2gwNetworkPortId = (networkId: string): string => xorWith(networkId, 0x0af59914959d45f8n, 0xb1b028de11f2ee4en);

/** Its peer: the router port of a router VTEP, or the VLAN-tagged port on the gateway network. */
export const l2gwGatewayPortId = (networkId: string): string => xorWith(networkId, 0x5ad1c08827cb459en, 0x80042ee7006a8210n);

/** The catalogue texts of the original's refusals (its translators printed the keys). */
export const UNSUPPORTED_GATEWAY_DEVICE = 'Only router_vtep and network_vlan gateway devices are supported.';
export const ONLY_ONE_GW_DEV_SUPPORTED = 'Only one gateway device is supported.';
