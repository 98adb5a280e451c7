/**
 * Descriptors of the NSDB protobuf schema (lib/models/proto/*.proto), the single source of truth
 * for field numbers, labels and types used by the text-format codec, the storage layer and the REST
 * converters.
 *
 * The .proto files are parsed once, synchronously, when this module is first imported; descriptors
 * are built on first use and cached, so callers may look them up on every operation.
 *
 * Naming: a message or enum is addressed by its name relative to the package — the bare name for a
 * top-level type (`Network`, `IPVersion`) and the dotted path for a nested one (`Rule.NatTarget`,
 * `Condition.FragmentPolicy`) — or by its full name (`org.midonet.cluster.models.Rule.NatTarget`, as
 * it appears in parser error messages). `MessageDescriptor.name` is the relative form.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Enum as PbEnum, Field as PbField, Namespace as PbNamespace, Type as PbType } from 'protobufjs';

export const MODELS_PACKAGE = 'org.midonet.cluster.models';
export const UUID_TYPE = `${MODELS_PACKAGE}.UUID`;

export type ScalarKind =
  | 'int32'
  | 'sint32'
  | 'sfixed32'
  | 'uint32'
  | 'fixed32'
  | 'int64'
  | 'sint64'
  | 'sfixed64'
  | 'uint64'
  | 'fixed64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'double'
  | 'float';

export interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly repeated: boolean;
  readonly required: boolean;
  readonly kind: ScalarKind | 'enum' | 'message';
  /** Full name of the enum or message type (no leading dot); absent for scalars. */
  readonly typeName?: string;
  /** The field holds an `org.midonet.cluster.models.UUID` (a canonical string in `Msg`). */
  readonly isUuid: boolean;
  /** Name of the oneof this field belongs to. */
  readonly oneof?: string;
  /**
   * The default *declared* in the schema (`[default = …]`), in the `Msg` representation (number,
   * bigint, boolean, string, Buffer, or the enum value's name). Absent when nothing is declared: the
   * implicit zero value / first enum value is deliberately not filled in, because readers such as
   * the REST converters behave differently for declared and implicit defaults.
   */
  readonly defaultValue?: unknown;
}

export interface MessageDescriptor {
  /** Name relative to the package: `Network`, `Rule.NatTarget`. */
  readonly name: string;
  /** `org.midonet.cluster.models.Network`. */
  readonly fullName: string;
  /** Sorted by field number, which is also the text printer's order. */
  readonly fields: readonly FieldDescriptor[];
  field(name: string): FieldDescriptor | undefined;
}

export interface EnumValue {
  readonly name: string;
  readonly number: number;
}

const PROTO_FILES = ['commons.proto', 'topology.proto', 'neutron.proto', 'state.proto', 'zoom.proto'];

const root = loadRoot();
const messageTypes = new Map<string, PbType>();
const enumTypes = new Map<string, PbEnum>();
indexNamespace(root.lookup(MODELS_PACKAGE) as PbNamespace | null);

const messageCache = new Map<string, MessageDescriptor>();
const enumCache = new Map<string, readonly EnumValue[]>();

function loadRoot(): protobuf.Root {
  const dir = new URL('./proto/', import.meta.url);
  const r = new protobuf.Root();
  for (const file of PROTO_FILES) {
    const source = readFileSync(fileURLToPath(new URL(file, dir)), 'utf8');
    // keepCase: the text format uses the snake_case names exactly as declared.
    protobuf.parse(source, r, { keepCase: true });
  }
  r.resolveAll();
  return r;
}

function indexNamespace(ns: PbNamespace | null): void {
  if (!ns) throw new Error(`schema: package ${MODELS_PACKAGE} not found in ${PROTO_FILES.join(', ')}`);
  for (const nested of ns.nestedArray) {
    const fullName = stripDot(nested.fullName);
    if (nested instanceof protobuf.Type) {
      messageTypes.set(fullName, nested);
      indexNamespace(nested);
    } else if (nested instanceof protobuf.Enum) {
      enumTypes.set(fullName, nested);
    } else if (nested instanceof protobuf.Namespace) {
      indexNamespace(nested);
    }
  }
}

function stripDot(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name;
}

function toFullName(name: string): string {
  const n = stripDot(name);
  return n.startsWith(`${MODELS_PACKAGE}.`) ? n : `${MODELS_PACKAGE}.${n}`;
}

/**
 * Add the definitions of a .proto source to the schema. Meant for tests and tools that need types
 * the NSDB does not have (e.g. scalar kinds no NSDB field uses); the source should use a
 * sub-package of `org.midonet.cluster.models`, may refer to the NSDB types, and must not redefine
 * any existing name.
 */
export function loadExtraProto(source: string): void {
  const before = new Set([...messageTypes.keys(), ...enumTypes.keys()]);
  const parsed = protobuf.parse(source, new protobuf.Root(), { keepCase: true });
  const pkg = parsed.package ?? '';
  if (pkg !== MODELS_PACKAGE && !pkg.startsWith(`${MODELS_PACKAGE}.`)) {
    throw new Error(`schema: extra proto must declare package ${MODELS_PACKAGE} or a sub-package, not '${pkg}'`);
  }
  for (const name of collectNames(parsed.root.lookup(pkg) as PbNamespace)) {
    if (before.has(name)) throw new Error(`schema: extra proto redefines ${name}`);
  }
  protobuf.parse(source, root, { keepCase: true });
  root.resolveAll();
  indexNamespace(root.lookup(MODELS_PACKAGE) as PbNamespace | null);
}

function collectNames(ns: PbNamespace): string[] {
  const names: string[] = [];
  for (const nested of ns.nestedArray) {
    names.push(stripDot(nested.fullName));
    if (nested instanceof protobuf.Namespace) names.push(...collectNames(nested));
  }
  return names;
}

/** The descriptor of a message type, by relative (`Network`, `Rule.NatTarget`) or full name. */
export function messageType(name: string): MessageDescriptor {
  const cached = messageCache.get(name);
  if (cached) return cached;
  const fullName = toFullName(name);
  let desc = messageCache.get(fullName);
  if (!desc) {
    const type = messageTypes.get(fullName);
    if (!type) throw new Error(`Unknown protobuf message type '${name}'`);
    desc = buildMessage(type, fullName);
    messageCache.set(fullName, desc);
  }
  messageCache.set(name, desc);
  return desc;
}

/** Whether `name` (relative or full) names a message type of the schema. */
export function hasMessageType(name: string): boolean {
  return messageCache.has(name) || messageTypes.has(toFullName(name));
}

/** Full names of every message type of the schema, nested ones included, in schema order. */
export function messageTypeNames(): readonly string[] {
  return [...messageTypes.keys()];
}

/** Full names of every enum type of the schema, nested ones included, in schema order. */
export function enumTypeNames(): readonly string[] {
  return [...enumTypes.keys()];
}

/** The values of an enum type in declaration order (the first is the implicit default). */
export function enumValues(name: string): readonly EnumValue[] {
  const cached = enumCache.get(name);
  if (cached) return cached;
  const fullName = toFullName(name);
  let values = enumCache.get(fullName);
  if (!values) {
    const e = enumTypes.get(fullName);
    if (!e) throw new Error(`Unknown protobuf enum type '${name}'`);
    values = Object.freeze(Object.entries(e.values).map(([n, v]) => Object.freeze({ name: n, number: v })));
    enumCache.set(fullName, values);
  }
  enumCache.set(name, values);
  return values;
}

function buildMessage(type: PbType, fullName: string): MessageDescriptor {
  const fields = type.fieldsArray.map((f) => buildField(f, fullName)).sort((a, b) => a.number - b.number);
  const byName = new Map(fields.map((f) => [f.name, f]));
  return Object.freeze({
    name: fullName.slice(MODELS_PACKAGE.length + 1),
    fullName,
    fields: Object.freeze(fields),
    field: (n: string) => byName.get(n),
  });
}

const SCALARS: ReadonlySet<string> = new Set<ScalarKind>([
  'int32',
  'sint32',
  'sfixed32',
  'uint32',
  'fixed32',
  'int64',
  'sint64',
  'sfixed64',
  'uint64',
  'fixed64',
  'bool',
  'string',
  'bytes',
  'double',
  'float',
]);

function buildField(f: PbField, owner: string): FieldDescriptor {
  f.resolve();
  const resolved = f.resolvedType;
  let kind: FieldDescriptor['kind'];
  let typeName: string | undefined;
  if (resolved instanceof protobuf.Type) {
    kind = 'message';
    typeName = stripDot(resolved.fullName);
  } else if (resolved instanceof protobuf.Enum) {
    kind = 'enum';
    typeName = stripDot(resolved.fullName);
  } else if (SCALARS.has(f.type)) {
    kind = f.type as ScalarKind;
  } else {
    throw new Error(`schema: ${owner}.${f.name} has unsupported type '${f.type}'`);
  }
  const desc: {
    -readonly [K in keyof FieldDescriptor]: FieldDescriptor[K];
  } = {
    name: f.name,
    number: f.id,
    repeated: f.repeated,
    required: f.required,
    kind,
    isUuid: typeName === UUID_TYPE,
  };
  if (typeName !== undefined) desc.typeName = typeName;
  if (f.partOf) desc.oneof = f.partOf.name;
  const declared: unknown = f.options?.['default'];
  if (declared !== undefined) desc.defaultValue = convertDefault(declared, desc, resolved, owner);
  return Object.freeze(desc);
}

function convertDefault(v: unknown, f: FieldDescriptor, resolved: PbType | PbEnum | null, owner: string): unknown {
  const where = `${owner}.${f.name}`;
  switch (f.kind) {
    case 'enum': {
      const e = resolved as PbEnum;
      if (typeof v === 'string' && v in e.values) return v;
      if (typeof v === 'number' && e.valuesById[v] !== undefined) return e.valuesById[v];
      throw new Error(`schema: ${where} declares an unknown enum default '${String(v)}'`);
    }
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return BigInt(String(v));
    case 'int32':
    case 'sint32':
    case 'sfixed32':
    case 'uint32':
    case 'fixed32':
    case 'double':
    case 'float':
      return Number(v);
    case 'bool':
      return v === true || v === 'true';
    case 'string':
      return String(v);
    case 'bytes':
      return Buffer.from(String(v), 'utf8');
    default:
      throw new Error(`schema: ${where} declares a default for a message field`);
  }
}
