/**
 * The binding table as data (lib/nsdb/bindings.ts) against storage.md §5: the registered rows,
 * symmetry (every row yields both directions, the Port.peer_id self-binding once), and that every
 * field it names exists in the schema as a UUID field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bindingRows, bindingsOf, type Binding } from '../../lib/nsdb/bindings.js';
import { REGISTERED_CLASSES } from '../../lib/nsdb/classes.js';
import { UUID_TYPE, hasMessageType, messageType } from '../../lib/models/schema.js';

/** storage.md §5.3, transcribed: left, field, on delete left, right, field, on delete right. */
const SPEC = `
Network | port_ids | CASCADE | Port | network_id | CLEAR
Network | dhcp_ids | CASCADE | Dhcp | network_id | CLEAR
Network | dhcpv6_ids | CASCADE | DhcpV6 | network_id | CLEAR
Network | inbound_filter_id | CLEAR | Chain | network_inbound_ids | CLEAR
Network | outbound_filter_id | CLEAR | Chain | network_outbound_ids | CLEAR
Network | inbound_mirror_ids | CLEAR | Mirror | network_inbound_ids | CLEAR
Network | outbound_mirror_ids | CLEAR | Mirror | network_outbound_ids | CLEAR
Network | trace_request_ids | CASCADE | TraceRequest | network_id | CLEAR
Network | qos_policy_id | CLEAR | QosPolicy | network_ids | CLEAR
Router | port_ids | CASCADE | Port | router_id | CLEAR
Router | route_ids | CASCADE | Route | router_id | CLEAR
Router | inbound_filter_id | CLEAR | Chain | router_inbound_ids | CLEAR
Router | outbound_filter_id | CLEAR | Chain | router_outbound_ids | CLEAR
Router | local_redirect_chain_id | CLEAR | Chain | router_redirect_ids | CLEAR
Router | inbound_mirror_ids | CLEAR | Mirror | router_inbound_ids | CLEAR
Router | outbound_mirror_ids | CLEAR | Mirror | router_outbound_ids | CLEAR
Router | load_balancer_id | ERROR | LoadBalancer | router_id | CLEAR
Router | bgp_network_ids | CASCADE | BgpNetwork | router_id | CLEAR
Router | bgp_peer_ids | CASCADE | BgpPeer | router_id | CLEAR
Router | trace_request_ids | CASCADE | TraceRequest | router_id | CLEAR
Port | peer_id | CLEAR | Port | peer_id | CLEAR
Port | dhcp_id | CLEAR | Dhcp | router_if_port_id | CLEAR
Port | host_id | CLEAR | Host | port_ids | CLEAR
Port | port_group_ids | CLEAR | PortGroup | port_ids | CLEAR
Port | route_ids | CASCADE | Route | next_hop_port_id | CLEAR
Port | inbound_filter_id | CLEAR | Chain | port_inbound_ids | CLEAR
Port | outbound_filter_id | CLEAR | Chain | port_outbound_ids | CLEAR
Port | inbound_mirror_ids | CLEAR | Mirror | port_inbound_ids | CLEAR
Port | outbound_mirror_ids | CLEAR | Mirror | port_outbound_ids | CLEAR
Port | post_in_filter_mirror_ids | CLEAR | Mirror | port_post_in_filter_ids | CLEAR
Port | pre_out_filter_mirror_ids | CLEAR | Mirror | port_pre_out_filter_ids | CLEAR
Port | trace_request_ids | CASCADE | TraceRequest | port_id | CLEAR
Port | insertion_ids | CASCADE | L2Insertion | port_id | CLEAR
Port | srv_insertion_ids | CASCADE | L2Insertion | srv_port_id | CLEAR
Port | service_container_id | CASCADE | ServiceContainer | port_id | CLEAR
Port | qos_policy_id | CLEAR | QosPolicy | port_ids | CLEAR
Mirror | to_port_id | CLEAR | Port | mirror_ids | CASCADE
Vip | gateway_port_id | CLEAR | Port | vip_ids | ERROR
Rule | chain_id | CLEAR | Chain | rule_ids | CASCADE
Rule | fip_port_id | CLEAR | Port | fip_nat_rule_ids | CASCADE
RuleLogger | chain_id | CLEAR | Chain | logger_ids | CASCADE
RuleLogger | logging_resource_id | CLEAR | LoggingResource | logger_ids | CASCADE
Route | gateway_dhcp_id | CLEAR | Dhcp | gateway_route_ids | CASCADE
Host | tunnel_zone_ids | CLEAR | TunnelZone | host_ids | CLEAR
Host | host_group_ids | CLEAR | HostGroup | host_ids | CLEAR
LoadBalancer | pool_ids | CASCADE | Pool | load_balancer_id | CLEAR
Pool | pool_member_ids | CASCADE | PoolMember | pool_id | CLEAR
Pool | health_monitor_id | CLEAR | HealthMonitor | pool_ids | CLEAR
Pool | vip_ids | CASCADE | Vip | pool_id | CLEAR
ServiceContainer | service_group_id | CLEAR | ServiceContainerGroup | service_container_ids | CASCADE
ServiceContainerGroup | host_group_id | CLEAR | HostGroup | service_group_ids | CLEAR
ServiceContainerGroup | port_group_id | CLEAR | PortGroup | service_group_ids | CLEAR
QosPolicy | bandwidth_limit_rule_ids | CASCADE | QosRuleBandwidthLimit | policy_id | CLEAR
QosPolicy | dscp_marking_rule_ids | CASCADE | QosRuleDscp | policy_id | CLEAR
VpnService | router_id | CLEAR | Router | vpn_service_ids | CASCADE
VpnService | ipsec_site_connection_ids | CASCADE | IPSecSiteConnection | vpnservice_id | CLEAR
IPSecSiteConnection | route_ids | CASCADE | Route | ipsec_site_connection_id | CLEAR
GatewayDevice | remote_mac_entry_ids | CASCADE | RemoteMacEntry | device_id | CLEAR
RemoteMacEntry | port_ids | CLEAR | Port | remote_mac_entry_ids | CLEAR
NeutronPort | floating_ip_ids | CLEAR | FloatingIp | port_id | CLEAR
NeutronPort | gw_router_id | CLEAR | NeutronRouter | gw_port_id | CLEAR
`
  .trim()
  .split('\n')
  .map((line) => line.split('|').map((s) => s.trim()));

const rows = bindingRows();
const allClasses = [...new Set(rows.flatMap(([a, , , b]) => [a, b]))];

describe('binding rows', () => {
  test('are exactly the rows of storage.md §5.3, in order', () => {
    assert.equal(SPEC.length, 61);
    assert.deepEqual(
      rows.map((r) => [...r]),
      SPEC,
    );
  });

  test('every class named is registered', () => {
    const registered = new Set<string>(REGISTERED_CLASSES);
    assert.deepEqual(
      allClasses.filter((c) => !registered.has(c)),
      [],
    );
  });

  test('every field named exists in the schema and holds UUIDs (id types match)', () => {
    const problems: string[] = [];
    for (const [a, fa, , b, fb] of rows) {
      for (const [c, f] of [
        [a, fa],
        [b, fb],
      ] as const) {
        if (!hasMessageType(c)) {
          problems.push(`${c}: no such message`);
          continue;
        }
        const d = messageType(c).field(f);
        if (!d) problems.push(`${c}.${f}: no such field`);
        else if (!(d.isUuid && d.kind === 'message' && d.typeName === UUID_TYPE)) problems.push(`${c}.${f}: not a UUID field`);
      }
      // and the id field of each side is a UUID too, so the references are of the right type
      for (const c of [a, b]) {
        if (hasMessageType(c) && !messageType(c).field('id')?.isUuid) problems.push(`${c}.id: not a UUID field`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('bindings apply to top-level fields only and skip the fields the original leaves unbound', () => {
    const bound = new Set(rows.flatMap(([a, fa, , b, fb]) => [`${a}.${fa}`, `${b}.${fb}`]));
    for (const f of [
      'Router.forward_chain_id',
      'Network.vxlan_port_ids',
      'Port.vtep_id',
      'Port.l2insertion_infilter_id',
      'Port.l2insertion_outfilter_id',
      'Port.previous_host_id',
      'LoadBalancer.service_container_id',
      'L2Insertion.srv_rule_in_id',
      'L2Insertion.srv_rule_out_id',
      'IPAddrGroup.rule_ids',
      'Chain.jump_rule_ids',
      'TunnelZone.hosts',
    ]) {
      assert.equal(bound.has(f), false, `${f} must not be bound`);
    }
    assert.deepEqual(bindingsOf('IPAddrGroup'), []);
    assert.deepEqual(bindingsOf('Vtep'), []);
    for (const f of bound) assert.ok(!f.split('.')[1].includes('.'), f);
  });

  test('delete actions are CASCADE, CLEAR or ERROR; ERROR exactly on Router.load_balancer_id and Port.vip_ids', () => {
    const errors: string[] = [];
    for (const [a, fa, da, b, fb, db] of rows) {
      for (const act of [da, db]) assert.ok(['CASCADE', 'CLEAR', 'ERROR'].includes(act), act);
      if (da === 'ERROR') errors.push(`${a}.${fa}`);
      if (db === 'ERROR') errors.push(`${b}.${fb}`);
    }
    assert.deepEqual(errors, ['Router.load_balancer_id', 'Port.vip_ids']);
  });
});

describe('bindingsOf (both directions)', () => {
  test('every row yields its two directions', () => {
    for (const [a, fa, da, b, fb, db] of rows) {
      const fwd: Binding = { clazz: a, field: fa, onDelete: da, targetClass: b, targetField: fb };
      const back: Binding = { clazz: b, field: fb, onDelete: db, targetClass: a, targetField: fa };
      assert.deepEqual(
        bindingsOf(a).filter((x) => x.field === fa),
        [fwd],
        `${a}.${fa}`,
      );
      assert.deepEqual(
        bindingsOf(b).filter((x) => x.field === fb),
        [back],
        `${b}.${fb}`,
      );
    }
  });

  test('the Port.peer_id self-binding is registered once', () => {
    assert.deepEqual(
      bindingsOf('Port').filter((x) => x.field === 'peer_id'),
      [{ clazz: 'Port', field: 'peer_id', onDelete: 'CLEAR', targetClass: 'Port', targetField: 'peer_id' }],
    );
  });

  test('nothing else: 2 directions per row, minus one for the self-binding', () => {
    const total = REGISTERED_CLASSES.reduce((n, c) => n + bindingsOf(c).length, 0);
    assert.equal(total, 2 * rows.length - 1);
    assert.equal(total, 121);
    // every direction's counterpart points back at it
    for (const c of REGISTERED_CLASSES) {
      const seen = new Set<string>();
      for (const x of bindingsOf(c)) {
        assert.equal(x.clazz, c);
        assert.ok(!seen.has(x.field), `${c}.${x.field} bound twice`);
        seen.add(x.field);
        const counterpart = bindingsOf(x.targetClass).filter((y) => y.field === x.targetField);
        assert.equal(counterpart.length, 1, `${x.targetClass}.${x.targetField}`);
        assert.equal(counterpart[0].targetClass, c);
        assert.equal(counterpart[0].targetField, x.field);
      }
    }
    assert.deepEqual(bindingsOf('NoSuchClass'), []);
  });

  test('per-class counts for the busiest classes', () => {
    assert.equal(bindingsOf('Port').length, 22); // 16 as left (peer_id once) + 6 as right
    assert.equal(bindingsOf('Router').length, 12); // 11 as left + vpn_service_ids
    assert.equal(bindingsOf('Network').length, 9);
    assert.equal(bindingsOf('Chain').length, 9); // 7 filter back-references + rule_ids + logger_ids
  });
});
