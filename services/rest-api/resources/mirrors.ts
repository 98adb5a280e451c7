/**
 * Mirrors (`/mirrors`, rest-api-extras.md §5.2): traffic matching any condition is copied to
 * `toPortId`. Devices attach a mirror from their side (`inboundMirrorIds`, … of bridges, routers
 * and ports); the bindings keep the mirror's back-references, clear them when it goes, and delete
 * the mirror with its destination port.
 */
import { T } from '../machinery/field-types.js';
import type { ResourceDef } from '../machinery/types.js';
import { idField, media, rw } from './common.js';
import { conditionObject } from './conditions.js';

export const mirrors: ResourceDef<'Mirror'> = {
  name: 'mirror',
  clazz: 'Mirror',
  segment: 'mirrors',
  media: media('Mirror', [1]),
  fields: [idField, rw('toPortId', T.uuid, 'to_port_id', { required: true }), rw('conditions', T.list(conditionObject), 'conditions')],
  create: {},
  update: {},
  delete: { missing: 204 },
};
