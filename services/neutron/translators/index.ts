/** The translator of each Neutron class served (part 2 adds routers, floating IPs, …). */
import { networkTranslator } from './network.js';
import { portTranslator } from './port.js';
import { securityGroupRuleTranslator, securityGroupTranslator } from './security-group.js';
import { subnetTranslator } from './subnet.js';

export const TRANSLATORS = {
  NeutronNetwork: networkTranslator,
  NeutronSubnet: subnetTranslator,
  NeutronPort: portTranslator,
  SecurityGroup: securityGroupTranslator,
  SecurityGroupRule: securityGroupRuleTranslator,
} as const;

export { networkTranslator, portTranslator, securityGroupRuleTranslator, securityGroupTranslator, subnetTranslator };
