/**
 * A port binding (the original's PortBindingTranslator): binds a MidoNet port to a host's
 * interface, and unbinds it on delete; the host's list of ports follows through the store's
 * binding of `Port.host_id`. A binding is stored as a Neutron object too (it is deleted by id).
 */
import { conflict, invalid, unsupported, type Translator } from '../translation.js';

export const portBindingTranslator: Translator<'PortBinding'> = {
  clazz: 'PortBinding',
  async create({ tx }, binding) {
    if (!binding.port_id) throw invalid('The port binding has no port_id.');
    if (!binding.host_id) throw invalid('The port binding has no host_id.');
    const port = await tx.get('Port', binding.port_id);
    if (port.host_id) throw conflict(`Port ${binding.port_id} is already bound to host ${port.host_id}`);
    const bound = { ...port, host_id: binding.host_id };
    if (binding.interface_name !== undefined) bound.interface_name = binding.interface_name;
    await tx.update('Port', bound);
  },
  update() {
    return Promise.reject(unsupported('Updating a port binding is not allowed'));
  },
  async delete({ tx }, binding) {
    // a port deleted meanwhile has no binding left to remove (the original failed with 404)
    const port = binding.port_id ? await tx.getOrNull('Port', binding.port_id) : null;
    if (!port) return;
    const { host_id: _host, interface_name: _iface, ...unbound } = port;
    await tx.update('Port', unbound);
  },
};
