/**
 * In-memory form of a NSDB protobuf message, shared by the codec, the storage layer and the
 * REST converters.
 *
 * - Keys are the proto field names (snake_case, exactly as in the .proto files).
 * - Presence is what proto2 text format cares about: a singular field is "set" iff its key holds
 *   a value other than `undefined`. Repeated fields are arrays; an empty or missing array prints
 *   nothing.
 * - Scalars: int32/sint32/sfixed32/uint32/fixed32 -> number; int64/sint64/sfixed64/uint64/fixed64
 *   -> bigint; bool -> boolean; string -> string; bytes -> Buffer; enum -> the value's symbolic
 *   name (string).
 * - `org.midonet.cluster.models.UUID` fields are canonical lower-case UUID strings
 *   (8-4-4-4-12); the codec converts them to and from `{ msb, lsb }` uint64 halves.
 * - Other messages (IPAddress, IPSubnet, nested types) are nested `Msg` objects.
 *
 * `Msg` is the untyped form the codec works on; lib/models/generated.ts has the type of each
 * message in this form (`Network`, `Rule_NatTarget`, ...), and every one of them is a `Msg`.
 */
export type Scalar = string | number | bigint | boolean | Buffer;
export type FieldValue = Scalar | Msg | Scalar[] | Msg[];
export interface Msg {
  [field: string]: FieldValue | undefined;
}
