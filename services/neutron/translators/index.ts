/** The translator of each Neutron class served. */
import { networkTranslator } from './network.js';
import { portTranslator } from './port.js';
import { floatingIpTranslator } from './floating-ip.js';
import { routerInterfaceTranslator } from './router-interface.js';
import { routerTranslator } from './router.js';
import { securityGroupRuleTranslator, securityGroupTranslator } from './security-group.js';
import { subnetTranslator } from './subnet.js';
import { agentMembershipTranslator, configTranslator } from './tunnel-zone.js';
import { portBindingTranslator } from './port-binding.js';
import { gatewayDeviceTranslator } from './gateway-device.js';
import { remoteMacEntryTranslator } from './remote-mac-entry.js';
import { l2GatewayConnectionTranslator } from './l2gw-connection.js';

export const TRANSLATORS = {
  NeutronNetwork: networkTranslator,
  NeutronSubnet: subnetTranslator,
  NeutronPort: portTranslator,
  NeutronRouter: routerTranslator,
  NeutronRouterInterface: routerInterfaceTranslator,
  FloatingIp: floatingIpTranslator,
  SecurityGroup: securityGroupTranslator,
  SecurityGroupRule: securityGroupRuleTranslator,
  NeutronConfig: configTranslator,
  AgentMembership: agentMembershipTranslator,
  PortBinding: portBindingTranslator,
  GatewayDevice: gatewayDeviceTranslator,
  RemoteMacEntry: remoteMacEntryTranslator,
  L2GatewayConnection: l2GatewayConnectionTranslator,
} as const;

export { floatingIpTranslator, routerInterfaceTranslator, routerTranslator };
export { networkTranslator, portTranslator, securityGroupRuleTranslator, securityGroupTranslator, subnetTranslator };
export { agentMembershipTranslator, configTranslator, portBindingTranslator };
export { gatewayDeviceTranslator, l2GatewayConnectionTranslator, remoteMacEntryTranslator };
