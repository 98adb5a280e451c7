/**
 * The JSON of the gateway objects (the original's GatewayDevice, RemoteMacEntry,
 * L2GatewayConnection DTOs) and of the three objects the original takes only from Neutron's task
 * table (AgentMembership, NeutronConfig, PortBinding: their proto field names, which is what the
 * task rows hold; docs/decisions/0022). Keys in the order the original prints them.
 */
import { isIPv4, parseMac } from '../../rest-api/machinery/addresses.js';
import { enumOf, field, int, ip, JsonInputError, list, object, string, uuid, type Kind, type Schema } from './json.js';

const describe = (raw: unknown): string => (typeof raw === 'string' ? `"${raw}"` : (JSON.stringify(raw) ?? String(raw)));

/** An IPv4 address (the DTOs' `IPv4Addr`): anything else → 400. */
const ipv4: Kind = {
  parse(raw, key) {
    if (typeof raw !== 'string' || !isIPv4(raw)) throw new JsonInputError(`Invalid value ${describe(raw)} for field "${key}": expected an IPv4 address.`);
    return raw;
  },
  toProto: (v) => (typeof v === 'string' ? { version: 'V4', address: v } : undefined),
  fromProto: ip.fromProto,
};

/** A MAC (the DTOs' `MAC`): shown and stored in the canonical lower-case form. */
const mac: Kind = {
  parse(raw, key) {
    const m = typeof raw === 'string' ? parseMac(raw) : undefined;
    if (!m) throw new JsonInputError(`Invalid value ${describe(raw)} for field "${key}": expected a MAC address.`);
    return m;
  },
  toProto: string.toProto,
  fromProto: string.fromProto,
};

/** A uint32 of the proto (the DTOs' `Integer`): a negative number → 400. */
const uint: Kind = {
  parse(raw, key) {
    const n = int.parse(raw, key);
    if (typeof n !== 'number' || n < 0) throw new JsonInputError(`Invalid value ${describe(raw)} for field "${key}": expected a non-negative integer.`);
    return n;
  },
  toProto: int.toProto,
  fromProto: int.fromProto,
};

/** A Java enum read with `valueOf(v.toUpperCase())`: any case, an unknown value → 400. */
function strictEnum(names: readonly string[]): Kind {
  const values = Object.fromEntries(names.map((n) => [n, n]));
  return enumOf(values, (text, key) => {
    const v = text.toUpperCase();
    if (!(v in values)) throw new JsonInputError(`Invalid value "${text}" for field "${key}": expected one of ${names.join(', ')}.`);
    return v;
  });
}

export const gatewayDevice: Schema = [
  field('id', uuid),
  field('type', strictEnum(['ROUTER_VTEP', 'HW_VTEP', 'NETWORK_VLAN'])),
  field('resource_id', uuid),
  field('tunnel_ips', list(ipv4), []),
  field('management_ip', ipv4),
  field('management_port', uint),
  field('management_protocol', strictEnum(['OVSDB'])),
];

export const remoteMacEntry: Schema = [
  field('id', uuid),
  field('device_id', uuid),
  field('vtep_address', ipv4),
  field('mac_address', mac),
  field('segmentation_id', uint),
];

const l2GatewayDevice: Schema = [field('device_id', uuid), field('segmentation_id', uint)];

const l2Gateway: Schema = [field('id', uuid), field('name', string), field('tenant_id', string), field('devices', list(object(l2GatewayDevice)), [])];

export const l2GatewayConnection: Schema = [
  field('id', uuid),
  field('tenant_id', string),
  field('network_id', uuid),
  field('segmentation_id', uint),
  field('l2_gateway', object(l2Gateway)),
];

export const agentMembership: Schema = [field('id', uuid), field('ip_address', ip)];

export const config: Schema = [field('id', uuid), field('tunnel_protocol', strictEnum(['GRE', 'VXLAN']))];

export const portBinding: Schema = [field('id', uuid), field('host_id', uuid), field('interface_name', string), field('port_id', uuid)];
