/**
 * The requests python-midonetclient's Neutron mixins send (midonetclient/neutron/*.py over
 * httpclient.py / api_lib.py with httplib2), byte for byte in what matters: the URLs taken from
 * `GET {root}` and `GET {root}/neutron`, `X-Auth-Token`, a JSON body (`{}` when there is none, also
 * on GET and DELETE), Content-Type and Accept on POST, Content-Type only on PUT, Accept only on GET,
 * nothing on DELETE. And the bodies networking-midonet builds: Neutron's own dicts, passed as they
 * are (with every extension attribute Neutron adds).
 */
import { randomUUID } from 'node:crypto';
import { rq, type Res } from './rest-helpers.js';

export const NMT = {
  neutron: 'application/vnd.org.midonet.neutron.Neutron-v3+json',
  network: 'application/vnd.org.midonet.neutron.Network-v1+json',
  networks: 'application/vnd.org.midonet.neutron.Networks-v1+json',
  subnet: 'application/vnd.org.midonet.neutron.Subnet-v1+json',
  subnets: 'application/vnd.org.midonet.neutron.Subnets-v1+json',
  port: 'application/vnd.org.midonet.neutron.Port-v1+json',
  ports: 'application/vnd.org.midonet.neutron.Ports-v1+json',
  securityGroup: 'application/vnd.org.midonet.neutron.SecurityGroup-v1+json',
  securityGroups: 'application/vnd.org.midonet.neutron.SecurityGroups-v1+json',
  securityGroupRule: 'application/vnd.org.midonet.neutron.SecurityGroupRule-v1+json',
  securityGroupRules: 'application/vnd.org.midonet.neutron.SecurityGroupRules-v1+json',
} as const;

const APPLICATION = 'application/vnd.org.midonet.Application-v5+json';
/** What httplib2 adds to every request. */
const HTTPLIB2 = { 'accept-encoding': 'gzip, deflate', 'user-agent': 'Python-httplib2/0.20.4 (gzip)' };

/** The client's requests; where it raises for a status above 300, the tests read the answer. */
export class NeutronClient {
  private doc?: Record<string, string>;
  private token?: string;

  constructor(
    private readonly api: string,
    private readonly credentials = { user: 'admin', password: 'admin' },
  ) {}

  /** auth_lib: `POST {root}/login` with Basic credentials, the token from the `sessionId` cookie. */
  private async login(): Promise<string> {
    const basic = Buffer.from(`${this.credentials.user}:${this.credentials.password}`).toString('base64');
    const res = await rq('POST', `${this.api}/login`, { token: null, headers: { ...HTTPLIB2, Authorization: `Basic ${basic}` }, rawBody: '{}' });
    const cookie = /sessionId=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
    if (res.status !== 200 || !cookie?.[1]) throw new Error(`login failed: HTTP ${res.status} ${res.text}`);
    return cookie[1];
  }

  private async request(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Res> {
    this.token ??= await this.login();
    return rq(method, url, { token: this.token, headers: { ...HTTPLIB2, ...headers }, rawBody: body === undefined ? '{}' : JSON.stringify(body) });
  }

  post(url: string, mediaType: string, body: unknown): Promise<Res> {
    return this.request('POST', url, { 'Content-Type': mediaType, Accept: mediaType }, body);
  }

  put(url: string, mediaType: string, body: unknown): Promise<Res> {
    return this.request('PUT', url, { 'Content-Type': mediaType }, body);
  }

  get(url: string, mediaType: string): Promise<Res> {
    return this.request('GET', url, { Accept: mediaType });
  }

  delete(url: string): Promise<Res> {
    return this.request('DELETE', url, {});
  }

  /** The URL of a key of the Neutron document, `{id}` replaced (neutron/url_provider.py). */
  async url(key: string, id?: string): Promise<string> {
    if (!this.doc) {
      const app = await this.get(this.api, APPLICATION);
      const neutron = await this.get(String(app.json.neutron), NMT.neutron);
      this.doc = neutron.json as Record<string, string>;
    }
    const u = this.doc[key];
    if (typeof u !== 'string') throw new Error(`no ${key} in the Neutron document`);
    return id === undefined ? u : u.replace('{id}', id);
  }

  // the mixins' methods used by networking-midonet (neutron/network.py, securitygroup.py)
  createNetwork = async (n: unknown) => this.post(await this.url('networks'), NMT.network, n);
  createNetworkBulk = async (ns: unknown[]) => this.post(await this.url('networks'), NMT.networks, ns);
  updateNetwork = async (id: string, n: unknown) => this.put(await this.url('network_template', id), NMT.network, n);
  deleteNetwork = async (id: string) => this.delete(await this.url('network_template', id));
  getNetwork = async (id: string) => this.get(await this.url('network_template', id), NMT.network);
  getNetworks = async () => this.get(await this.url('networks'), NMT.networks);
  createSubnet = async (s: unknown) => this.post(await this.url('subnets'), NMT.subnet, s);
  updateSubnet = async (id: string, s: unknown) => this.put(await this.url('subnet_template', id), NMT.subnet, s);
  deleteSubnet = async (id: string) => this.delete(await this.url('subnet_template', id));
  getSubnet = async (id: string) => this.get(await this.url('subnet_template', id), NMT.subnet);
  createPort = async (p: unknown) => this.post(await this.url('ports'), NMT.port, p);
  createPortBulk = async (ps: unknown[]) => this.post(await this.url('ports'), NMT.ports, ps);
  updatePort = async (id: string, p: unknown) => this.put(await this.url('port_template', id), NMT.port, p);
  deletePort = async (id: string) => this.delete(await this.url('port_template', id));
  getPort = async (id: string) => this.get(await this.url('port_template', id), NMT.port);
  getPorts = async () => this.get(await this.url('ports'), NMT.ports);
  createSecurityGroup = async (sg: unknown) => this.post(await this.url('security_groups'), NMT.securityGroup, sg);
  updateSecurityGroup = async (id: string, sg: unknown) => this.put(await this.url('security_group_template', id), NMT.securityGroup, sg);
  deleteSecurityGroup = async (id: string) => this.delete(await this.url('security_group_template', id));
  getSecurityGroup = async (id: string) => this.get(await this.url('security_group_template', id), NMT.securityGroup);
  createSecurityGroupRule = async (r: unknown) => this.post(await this.url('security_group_rules'), NMT.securityGroupRule, r);
  deleteSecurityGroupRule = async (id: string) => this.delete(await this.url('security_group_rule_template', id));
  getSecurityGroupRule = async (id: string) => this.get(await this.url('security_group_rule_template', id), NMT.securityGroupRule);
}

// ---- Neutron's dicts (as ML2 hands them to networking-midonet's mechanism driver) -------------

const PROJECT = '5f0f7a51d4e54b8c8e3c1d2a3b4c5d6e';
const NOW = '2024-05-01T10:00:00Z';

const common = (extra: Record<string, unknown>) => ({
  tenant_id: PROJECT,
  project_id: PROJECT,
  description: '',
  tags: [],
  created_at: NOW,
  updated_at: NOW,
  revision_number: 1,
  ...extra,
});

export function neutronNetwork(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return common({
    id: randomUUID(),
    name: 'private',
    admin_state_up: true,
    status: 'ACTIVE',
    subnets: [],
    shared: false,
    mtu: 1500,
    'router:external': false,
    'provider:network_type': 'midonet',
    'provider:physical_network': null,
    'provider:segmentation_id': null,
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    port_security_enabled: true,
    qos_policy_id: null,
    l2_adjacency: true,
    ...extra,
  });
}

export function neutronSubnet(networkId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return common({
    id: randomUUID(),
    name: 'private-subnet',
    network_id: networkId,
    ip_version: 4,
    cidr: '10.0.0.0/24',
    gateway_ip: '10.0.0.1',
    allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
    dns_nameservers: [],
    host_routes: [],
    enable_dhcp: true,
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    segment_id: null,
    service_types: [],
    shared: false,
    ...extra,
  });
}

let macCounter = 0;
/** A fresh MAC in Neutron's default base (fa:16:3e). */
export function neutronMac(): string {
  const n = ++macCounter + Math.floor(Math.random() * 0x7fff) * 0x100;
  return `fa:16:3e:${[16, 8, 0].map((s) => ((n >> s) & 0xff).toString(16).padStart(2, '0')).join(':')}`;
}

export function neutronPort(networkId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return common({
    id: randomUUID(),
    name: '',
    network_id: networkId,
    mac_address: neutronMac(),
    admin_state_up: true,
    status: 'DOWN',
    device_id: randomUUID(),
    device_owner: 'compute:nova',
    fixed_ips: [],
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    security_groups: [],
    port_security_enabled: true,
    qos_policy_id: null,
    'binding:host_id': '',
    'binding:profile': {},
    'binding:vif_type': 'unbound',
    'binding:vif_details': {},
    'binding:vnic_type': 'normal',
    dns_name: '',
    dns_assignment: [],
    ...extra,
  });
}

export function neutronSgRule(sgId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return common({
    id: randomUUID(),
    security_group_id: sgId,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    remote_address_group_id: null,
    normalized_cidr: null,
    ...extra,
  });
}

/** A security group as Neutron creates it: the two egress rules it always adds, plus `rules`. */
export function neutronSecurityGroup(
  extra: Record<string, unknown> = {},
  rules: (sgId: string) => Record<string, unknown>[] = () => [],
): Record<string, unknown> {
  const id = typeof extra['id'] === 'string' ? extra['id'] : randomUUID();
  return common({
    id,
    name: 'web',
    stateful: true,
    security_group_rules: [
      neutronSgRule(id, { direction: 'egress', ethertype: 'IPv4' }),
      neutronSgRule(id, { direction: 'egress', ethertype: 'IPv6' }),
      ...rules(id),
    ],
    ...extra,
  });
}
