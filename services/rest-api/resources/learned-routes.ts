/**
 * Routes the agents learn by BGP and publish in the multi-value `routes` state key of the router
 * port they go out of (storage.md §8), one child per route, named by a hex serialization (the
 * original's RoutingTableStorage):
 *
 *   dst address (4 bytes) · dst prefix (1) · src address (4) · src prefix (1) · next-hop gateway (4)
 *   · weight (4) · router id (16) · next-hop port id (16, absent in old entries: the port itself)
 *
 * They are not objects: their id is derived from their fields, as the original's Route.idOf does
 * (a name-based UUID over another layout of the same fields), so it is stable across reads.
 */
import { createHash } from 'node:crypto';
import type { Port, Route } from '../../../lib/models/generated.js';
import { halvesToUuid } from '../../../lib/nsdb/codec/uuid.js';
import { stateValues } from '../../../lib/nsdb/state-keys.js';
import { intToIpv4 } from '../machinery/addresses.js';
import type { RequestContext } from '../machinery/types.js';

interface Learned {
  dst: number;
  dstLen: number;
  src: number;
  srcLen: number;
  gateway: number;
  weight: number;
  routerId: string;
  portId: string;
}

function uuidAt(buf: Buffer, at: number): string {
  return halvesToUuid(buf.readBigUInt64BE(at), buf.readBigUInt64BE(at + 8));
}

/** A `routes` value of the port `portId`; undefined when it is not one (the original skips those). */
export function decodeLearnedRoute(value: string, portId: string): Learned | undefined {
  if (value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) return undefined;
  const buf = Buffer.from(value, 'hex');
  if (buf.length < 34) return undefined;
  return {
    dst: buf.readInt32BE(0),
    dstLen: buf.readInt8(4),
    src: buf.readInt32BE(5),
    srcLen: buf.readInt8(9),
    gateway: buf.readInt32BE(10),
    weight: buf.readInt32BE(14),
    routerId: uuidAt(buf, 18),
    portId: buf.length >= 50 ? uuidAt(buf, 34) : portId,
  };
}

/** Java's UUID.nameUUIDFromBytes: MD5, version 3, IETF variant. */
function nameUuid(bytes: Buffer): string {
  const md5 = createHash('md5').update(bytes).digest();
  md5[6] = (md5[6] & 0x0f) | 0x30;
  md5[8] = (md5[8] & 0x3f) | 0x80;
  return halvesToUuid(md5.readBigUInt64BE(0), md5.readBigUInt64BE(8));
}

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

/** The original's id of a learned route. */
export function learnedRouteId(r: Learned): string {
  const b = Buffer.alloc(50);
  b.writeInt32BE(r.dst, 0);
  b.writeInt32BE(r.src, 4);
  b.writeInt32BE(r.gateway, 8);
  b.writeInt32BE(r.weight, 12);
  b.writeInt8(r.dstLen, 16);
  b.writeInt8(r.srcLen, 17);
  uuidBytes(r.portId).copy(b, 18);
  uuidBytes(r.routerId).copy(b, 34);
  return nameUuid(b);
}

const ip = (n: number): string => intToIpv4(n >>> 0);

/** A learned route as a stored Route would hold it (type Normal), for rendering. */
export function learnedRouteModel(r: Learned): Route {
  return {
    id: learnedRouteId(r),
    src_subnet: { version: 'V4', address: ip(r.src), prefix_length: r.srcLen },
    dst_subnet: { version: 'V4', address: ip(r.dst), prefix_length: r.dstLen },
    next_hop: 'PORT',
    next_hop_port_id: r.portId,
    next_hop_gateway: { version: 'V4', address: ip(r.gateway) },
    weight: r.weight,
    router_id: r.routerId,
  };
}

/**
 * The routes learned on the router's ports, as the original lists them: each port's key in the
 * namespace of the host it is bound to, and in those of the hosts of the router's service
 * containers (whose BGP daemons publish for the ports they serve).
 */
export async function learnedRoutes(ctx: RequestContext, routerPorts: readonly Port[]): Promise<Route[]> {
  const containerHosts = routerPorts.filter((p) => p.service_container_id !== undefined && p.host_id !== undefined).map((p) => p.host_id as string);
  const reads: Promise<Route[]>[] = [];
  for (const port of routerPorts) {
    const portId = String(port.id);
    const hosts = port.host_id === undefined || containerHosts.includes(port.host_id) ? containerHosts : [port.host_id, ...containerHosts];
    for (const host of hosts) {
      reads.push(
        stateValues(ctx.storage, host, 'Port', portId, 'routes').then((values) =>
          values
            .map((v) => decodeLearnedRoute(v, portId))
            .filter((r) => r !== undefined)
            .map(learnedRouteModel),
        ),
      );
    }
  }
  return (await Promise.all(reads)).flat();
}
