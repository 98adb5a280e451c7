/** The translator of each Neutron class served. */
import { networkTranslator } from './network.js';
import { portTranslator } from './port.js';
import { floatingIpTranslator } from './floating-ip.js';
import { routerInterfaceTranslator } from './router-interface.js';
import { routerTranslator } from './router.js';
import { securityGroupRuleTranslator, securityGroupTranslator } from './security-group.js';
import { subnetTranslator } from './subnet.js';

export const TRANSLATORS = {
  NeutronNetwork: networkTranslator,
  NeutronSubnet: subnetTranslator,
  NeutronPort: portTranslator,
  NeutronRouter: routerTranslator,
  NeutronRouterInterface: routerInterfaceTranslator,
  FloatingIp: floatingIpTranslator,
  SecurityGroup: securityGroupTranslator,
  SecurityGroupRule: securityGroupRuleTranslator,
} as const;

export { floatingIpTranslator, routerInterfaceTranslator, routerTranslator };
export { networkTranslator, portTranslator, securityGroupRuleTranslator, securityGroupTranslator, subnetTranslator };
