/**
 * BGP (rest-api-extras.md §3): the prefixes a router advertises (`/routers/{id}/bgp_networks`,
 * `/bgp_networks/{id}`) and its peers (`/routers/{id}/bgp_peers`, `/bgp_peers/{id}`). Both are
 * created below their router only and go with it (Router.bgp_network_ids / bgp_peer_ids CASCADE).
 * What the agents learn from the peers shows in the router's routes (routes.ts) and in router
 * ports' `bgpStatus` (ports.ts).
 */
import type { BgpNetwork } from '../../../lib/models/generated.js';
import { badRequest } from '../../../lib/http/errors.js';
import { message } from '../../../lib/http/messages.js';
import { IPV4_REGEX, mustMatch } from '../machinery/addresses.js';
import { T, V } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { idField, media, refLink, rw, subnetPair } from './common.js';

const IPV4_PATTERN = V.ipv4(mustMatch(IPV4_REGEX));

const [subnetAddress, subnetLength] = subnetPair<BgpNetwork>('subnetAddress', 'subnetLength', 'subnet', { required: true });
if (!subnetAddress || !subnetLength) throw new Error('subnetPair returns an address and a length field');

export const bgpNetworks: ResourceDef<'BgpNetwork'> = {
  name: 'BGP network',
  clazz: 'BgpNetwork',
  segment: 'bgp_networks',
  media: media('BgpNetwork', [1]),
  // the original's bare @Pattern on subnetAddress: the default message, not IpAddrInvalid
  fields: [idField, { ...subnetAddress, validators: [IPV4_PATTERN] }, subnetLength],
  links: [refLink('router', 'routers', 'router_id')],
  list: false,
  update: false,
  delete: { missing: 204 },
  parents: [{ segment: 'routers', clazz: 'Router', childIds: 'bgp_network_ids', parentRef: 'router_id' }],
  project: { via: [{ field: 'router_id', clazz: 'Router' }] },
};

export const bgpPeers: ResourceDef<'BgpPeer'> = {
  name: 'BGP peer',
  clazz: 'BgpPeer',
  segment: 'bgp_peers',
  media: media('BgpPeer', [1]),
  fields: [
    idField,
    rw('asNumber', T.int32, 'as_number', { default: 0, validators: [V.min(1)] }),
    rw('address', T.ipAddress, 'address', { required: true, validators: [IPV4_PATTERN] }),
    rw('keepAlive', T.int32, 'keep_alive', { validators: [V.range(5, 3600)] }),
    rw('holdTime', T.int32, 'hold_time', { validators: [V.range(5, 7200)] }),
    rw('connectRetry', T.int32, 'connect_retry', { validators: [V.range(5, 3600)] }),
    // the MD5 secret of the session, returned in clear as the original does
    rw('password', T.string, 'password'),
  ],
  links: [refLink('router', 'routers', 'router_id')],
  list: false,
  update: {},
  delete: { missing: 204 },
  parents: [{ segment: 'routers', clazz: 'Router', childIds: 'bgp_peer_ids', parentRef: 'router_id' }],
  project: { via: [{ field: 'router_id', clazz: 'Router' }] },
  hooks: {
    async beforeCreate(tx, proto) {
      // one session per (address, AS) on a router; the same address with another AS is allowed
      const router = await tx.get('Router', String(proto.router_id));
      const peers = await Promise.all((router.bgp_peer_ids ?? []).map((id) => tx.getOrNull('BgpPeer', id)));
      const address = proto.address?.address;
      const asNumber = proto.as_number ?? 0;
      if (peers.some((p) => p !== null && p.address?.address === address && (p.as_number ?? 0) === asNumber)) {
        throw badRequest(message('BgpPeerNotUnique', String(address), asNumber));
      }
    },
  },
};
