/** `/system_state` (§6.18): constant in v5; there is no PUT. */
import { JSON_TYPE, single } from '../../../lib/http/media-types.js';
import type { RouteDef } from '../machinery/types.js';

export const systemStateRoute: RouteDef = {
  method: 'GET',
  path: '/system_state',
  regime: 'E',
  produces: [single('SystemState', 2), JSON_TYPE],
  handler: async () => ({
    status: 200,
    body: { state: 'ACTIVE', availability: 'READWRITE', version: '5.0.0', information: null },
  }),
};
