/**
 * A hardware VTEP set up as the tests need it, with Open vSwitch's own tools: a Physical_Switch
 * (management and tunnel IPs, description) and its Physical_Ports (descriptions `<name>-desc`),
 * on a real ovsdb-server (./ovsdb.ts).
 */
import { startVtepServer, type VtepServer } from './ovsdb.js';

export interface SwitchSpec {
  name?: string;
  description?: string;
  managementIp: string;
  tunnelIp: string;
  ports?: string[];
}

/** The reference VTEP's ports (rest-api-extras.md §4). */
export const REFERENCE_PORTS = ['eth0', 'swp1_2', 'Te 0/2', 'Ten-GigabitEthernet1/0/5:3/0'];

export async function configureSwitch(server: VtepServer, spec: SwitchSpec): Promise<void> {
  const name = spec.name ?? 'testy-test';
  await server.vtepCtl('add-ps', name);
  await server.vtepCtl(
    'set',
    'Physical_Switch',
    name,
    `management_ips=${spec.managementIp}`,
    `tunnel_ips=${spec.tunnelIp}`,
    `description="${spec.description ?? 'testy-desc'}"`,
  );
  for (const p of spec.ports ?? REFERENCE_PORTS) {
    await server.vtepCtl('add-port', name, p);
    await server.transact({ op: 'update', table: 'Physical_Port', where: [['name', '==', p]], row: { description: `${p}-desc` } });
  }
}

/** An ovsdb-server listening on `host` (a loopback address) with a configured switch. */
export async function startVtep(host: string, spec: Omit<SwitchSpec, 'managementIp'> & { managementIp?: string }): Promise<VtepServer> {
  const server = await startVtepServer({ host });
  try {
    await configureSwitch(server, { managementIp: host, ...spec });
  } catch (e) {
    await server.destroy();
    throw e;
  }
  return server;
}
