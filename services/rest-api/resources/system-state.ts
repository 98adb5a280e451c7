/**
 * `/system_state` (rest-api-core.md §6.18): a constant in v5, kept for clients that read it.
 * GET only (explicit negotiation: SystemState-v2 or application/json). The python client's
 * SystemState has setters and a generic update() (PUT), but the original serves no PUT (§8):
 * PUT, POST and DELETE answer 405 with an empty body and `Allow`, as any method a path does not
 * serve. The node keeps no upgrade/read-only state that a PUT could change.
 */
import { JSON_TYPE, single } from '../../../lib/http/media-types.js';
import type { RouteDef } from '../machinery/types.js';

export const SYSTEM_STATE_TYPE = single('SystemState', 2);

export function systemStateJson(): Record<string, unknown> {
  return { state: 'ACTIVE', availability: 'READWRITE', version: '5.0.0', information: null };
}

export const systemStateRoute: RouteDef = {
  method: 'GET',
  path: '/system_state',
  regime: 'E',
  produces: [SYSTEM_STATE_TYPE, JSON_TYPE],
  handler: async () => ({ status: 200, body: systemStateJson() }),
};
