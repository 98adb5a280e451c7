/**
 * A rule condition as a JSON object of its own (a mirror's `conditions`, a trace request's
 * `condition`): the fields of a rule's inlined condition (rules.ts), read into a stored
 * `Condition`, shown with `"uri": null` as the original's Condition model is.
 */
import type { Condition, Rule } from '../../../lib/models/generated.js';
import { buildProto, parseInput, readField } from '../machinery/dto.js';
import { JsonMappingError, type FieldType } from '../machinery/field-types.js';
import type { Dto } from '../machinery/types.js';
import { checkFragmentPolicy, conditionFields } from './rules.js';

/**
 * The original does not bean-validate nested conditions (it fails later, on conversion); here a
 * bad value in one is a 400 naming the field, with nothing written.
 */
function refuse(field: string, property: string, message: string): JsonMappingError {
  return new JsonMappingError(`Invalid condition in '${field}': ${property === '' ? '' : `${property} `}${message}`);
}

export const conditionObject: FieldType<Dto, Condition> = {
  name: 'condition',
  empty: null,
  parse(raw, field) {
    if (raw === null || raw === undefined) return null;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new JsonMappingError(`Invalid value for field '${field}': expected a condition object`);
    }
    const { dto, violations } = parseInput(conditionFields, raw as Record<string, unknown>, 'create');
    // computes the fragment policy when absent, as the original's conversion does
    const all = [...violations, ...checkFragmentPolicy(dto, 'condition')];
    const first = all[0];
    if (first) throw refuse(field, first.property, first.message);
    return dto;
  },
  toProto(dto) {
    const rule: Rule = buildProto(conditionFields, dto, 'create');
    return rule.condition ?? {};
  },
  fromProto(condition) {
    if (condition === undefined) return null;
    const rule: Rule = { condition };
    const json: Dto = {};
    for (const f of conditionFields) json[f.json] = readField(f, rule);
    json['uri'] = null;
    return json;
  },
};
