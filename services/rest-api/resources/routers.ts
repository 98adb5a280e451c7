/** Routers (`/routers`, rest-api-core.md §6.2). */
import { T } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import {
  adminStateField,
  filterFields,
  filterLinks,
  idField,
  media,
  mirrorFields,
  nameField,
  refLink,
  rw,
  subLink,
  tenantField,
  tenantFilter,
} from './common.js';

export const routers: ResourceDef<'Router'> = {
  name: 'router',
  clazz: 'Router',
  segment: 'routers',
  media: media('Router', [3]),
  fields: [
    idField,
    tenantField,
    nameField,
    adminStateField,
    ...filterFields,
    rw('loadBalancerId', T.uuid, 'load_balancer_id'),
    rw('asNumber', T.int32, 'as_number', { default: 0 }),
    ...mirrorFields,
    rw('localRedirectChainId', T.uuid, 'local_redirect_chain_id'),
    rw('forwardChainId', T.uuid, 'forward_chain_id', { ref: ['Chain'] }),
  ],
  links: [
    ...filterLinks,
    refLink('loadBalancer', 'load_balancers', 'load_balancer_id'),
    refLink('localRedirectChain', 'chains', 'local_redirect_chain_id'),
    refLink('forwardChain', 'chains', 'forward_chain_id'),
    subLink('ports', 'ports'),
    subLink('peerPorts', 'peer_ports'),
    subLink('routes', 'routes'),
    subLink('bgpNetworks', 'bgp_networks'),
    subLink('bgpPeers', 'bgp_peers'),
  ],
  create: {},
  update: {},
  delete: { missing: 204 },
  filters: tenantFilter,
  project: { own: 'tenant_id' },
};
