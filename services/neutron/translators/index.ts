/** The translator of each Neutron class served (part 2 adds routers, floating IPs, …). */
import { networkTranslator } from './network.js';
import { portTranslator } from './port.js';
import { securityGroupRuleTranslator, securityGroupTranslator } from './security-group.js';
import { subnetTranslator } from './subnet.js';
import { floatingIpTranslator } from './floating-ip.js';
import { routerInterfaceTranslator } from './router-interface.js';
import { routerTranslator } from './router.js';

export const TRANSLATORS = {
  NeutronNetwork: networkTranslator,
  NeutronSubnet: subnetTranslator,
  NeutronPort: portTranslator,
  SecurityGroup: securityGroupTranslator,
  SecurityGroupRule: securityGroupRuleTranslator,
  NeutronRouter: routerTranslator,
  NeutronRouterInterface: routerInterfaceTranslator,
  FloatingIp: floatingIpTranslator,
} as const;

export { floatingIpTranslator, routerInterfaceTranslator, routerTranslator };
export { networkTranslator, portTranslator, securityGroupRuleTranslator, securityGroupTranslator, subnetTranslator };
