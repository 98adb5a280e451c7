/**
 * Protobuf text format as protobuf-java 2.6.1 prints and parses it (nsdb-models.md §6), over the
 * in-memory `Msg` representation of lib/models/types.ts.
 *
 * Every object read from or written to the NSDB goes through here, so both directions work from
 * per-type "plans" computed once from the schema descriptors, and the parser is a hand-written
 * scanner over the input string: no regular expressions on the hot path and no intermediate token
 * objects. Positions (line:column) are only computed when an error is reported.
 */
import type { MessageName, MessageTypes } from '../../models/generated.js';
import type { FieldValue, Msg } from '../../models/types.js';
import { enumValues, messageType, type FieldDescriptor, type ScalarKind } from '../../models/schema.js';
import { halvesToUuid, isUuid } from './uuid.js';

/** A `Msg` that cannot be printed: unknown field, wrong JS type, out-of-range number… */
export class TextFormatError extends Error {
  override name = 'TextFormatError';
}

/** Malformed text; the message starts with the 1-based `line:column` of the offending token. */
export class TextParseError extends Error {
  override name = 'TextParseError';
  constructor(
    readonly line: number,
    readonly column: number,
    readonly description: string,
  ) {
    super(`${line}:${column}: ${description}`);
  }
}

export interface ParseTextOptions {
  /**
   * Skip fields the schema does not know instead of failing. Defaults to true, the ZOOM object
   * store's behaviour; state-key values are read with the plain parser (false).
   */
  allowUnknownFields?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Plans

type Kind = ScalarKind | 'enum' | 'message' | 'uuid';

interface EnumPlan {
  readonly fullName: string;
  readonly byName: ReadonlyMap<string, number>;
  readonly byNumber: ReadonlyMap<number, string>;
}

interface FieldPlan {
  readonly owner: TypePlan;
  readonly name: string;
  readonly repeated: boolean;
  readonly kind: Kind;
  readonly typeName: string | undefined;
  readonly enumPlan: EnumPlan | null;
  /** Members of the same oneof, which setting this field clears. */
  readonly siblings: readonly string[] | null;
  /** Plan of the message type (UUID for `uuid` fields), resolved on first use. */
  sub: TypePlan | null;
}

interface TypePlan {
  readonly fullName: string;
  readonly fields: FieldPlan[];
  readonly byName: Map<string, FieldPlan>;
  readonly required: FieldPlan[];
  readonly oneofs: { readonly name: string; readonly members: FieldPlan[] }[];
}

const plansByFullName = new Map<string, TypePlan>();
const plansByRequestedName = new Map<string, TypePlan>();
const enumPlans = new Map<string, EnumPlan>();

function planFor(typeName: string): TypePlan {
  const known = plansByRequestedName.get(typeName);
  if (known) return known;
  const desc = messageType(typeName);
  let plan = plansByFullName.get(desc.fullName);
  if (!plan) {
    plan = { fullName: desc.fullName, fields: [], byName: new Map(), required: [], oneofs: [] };
    // Registered before the fields are filled so that recursive types terminate.
    plansByFullName.set(desc.fullName, plan);
    fillPlan(plan, desc.fields);
  }
  plansByRequestedName.set(typeName, plan);
  return plan;
}

function fillPlan(plan: TypePlan, fields: readonly FieldDescriptor[]): void {
  const oneofMembers = new Map<string, string[]>();
  for (const f of fields) {
    if (f.oneof !== undefined) {
      const members = oneofMembers.get(f.oneof) ?? [];
      members.push(f.name);
      oneofMembers.set(f.oneof, members);
    }
  }
  for (const f of fields) {
    const members = f.oneof !== undefined ? oneofMembers.get(f.oneof)! : null;
    const fp: FieldPlan = {
      owner: plan,
      name: f.name,
      repeated: f.repeated,
      kind: f.isUuid ? 'uuid' : f.kind,
      typeName: f.typeName,
      enumPlan: f.kind === 'enum' ? enumPlanFor(f.typeName!) : null,
      siblings: members ? members.filter((n) => n !== f.name) : null,
      sub: null,
    };
    plan.fields.push(fp);
    plan.byName.set(fp.name, fp);
    if (f.required) plan.required.push(fp);
  }
  for (const [name, members] of oneofMembers) {
    plan.oneofs.push({ name, members: members.map((n) => plan.byName.get(n)!) });
  }
}

function enumPlanFor(fullName: string): EnumPlan {
  let plan = enumPlans.get(fullName);
  if (!plan) {
    const values = enumValues(fullName);
    const byNumber = new Map<number, string>();
    // With duplicate numbers (allow_alias) protobuf-java maps a number to the first value.
    for (const v of values) if (!byNumber.has(v.number)) byNumber.set(v.number, v.name);
    plan = { fullName, byName: new Map(values.map((v) => [v.name, v.number])), byNumber };
    enumPlans.set(fullName, plan);
  }
  return plan;
}

function subPlan(f: FieldPlan): TypePlan {
  return (f.sub ??= planFor(f.typeName!));
}

// ---------------------------------------------------------------------------------------------
// Printing

const INDENTS: string[] = [''];

function indent(depth: number): string {
  while (INDENTS.length <= depth) INDENTS.push(`${INDENTS[INDENTS.length - 1]}  `);
  return INDENTS[depth];
}

/**
 * `TextFormat.print` of the message: fields in number order, only the set ones; UUID-typed fields
 * (canonical strings in `msg`) as `{ msb, lsb }` blocks. Validates the message while printing.
 */
export function printText(typeName: string, msg: Msg): string {
  const plan = planFor(typeName);
  if (!isMsgObject(msg)) {
    throw new TextFormatError(`Cannot print ${plan.fullName}: expected a message object, got ${describe(msg)}`);
  }
  return printFields(plan, msg, 0);
}

function printFields(plan: TypePlan, msg: Msg, depth: number): string {
  for (const key in msg) {
    if (msg[key] !== undefined && !plan.byName.has(key)) {
      throw new TextFormatError(`Cannot print ${plan.fullName}: it has no field named "${key}"`);
    }
  }
  for (const group of plan.oneofs) {
    const set = group.members.filter((f) => msg[f.name] !== undefined);
    if (set.length > 1) {
      throw new TextFormatError(`Cannot print ${plan.fullName}: ${set.map((f) => f.name).join(' and ')} are both set, but oneof ${group.name} holds one value`);
    }
  }
  // protobuf-java cannot build, hence never prints, a message that lacks a required field.
  for (const f of plan.required) {
    if (msg[f.name] === undefined) throw new TextFormatError(`Cannot print ${plan.fullName}: required field ${f.name} is not set`);
  }
  const ind = indent(depth);
  let out = '';
  for (const f of plan.fields) {
    const v = msg[f.name];
    if (v === undefined) continue;
    if (f.repeated) {
      if (!Array.isArray(v)) throw fieldError(f, -1, `expected an array, got ${describe(v)}`);
      for (let i = 0; i < v.length; i++) out += printValue(f, v[i], ind, depth, i);
    } else {
      if (Array.isArray(v)) throw fieldError(f, -1, 'expected a single value, got an array');
      out += printValue(f, v, ind, depth, -1);
    }
  }
  return out;
}

function printValue(f: FieldPlan, v: FieldValue | undefined, ind: string, depth: number, index: number): string {
  switch (f.kind) {
    case 'message':
      if (!isMsgObject(v)) throw fieldError(f, index, `expected a message object, got ${describe(v)}`);
      return `${ind}${f.name} {\n${printFields(subPlan(f), v, depth + 1)}${ind}}\n`;
    case 'uuid': {
      if (typeof v !== 'string') throw fieldError(f, index, `expected a UUID string, got ${describe(v)}`);
      if (!isUuid(v)) throw fieldError(f, index, `invalid UUID string ${JSON.stringify(v)}`);
      const inner = indent(depth + 1);
      const msb = u64ToDecimal(parseInt(v.slice(0, 8), 16), parseInt(v.slice(9, 13) + v.slice(14, 18), 16));
      const lsb = u64ToDecimal(parseInt(v.slice(19, 23) + v.slice(24, 28), 16), parseInt(v.slice(28, 36), 16));
      return `${ind}${f.name} {\n${inner}msb: ${msb}\n${inner}lsb: ${lsb}\n${ind}}\n`;
    }
    default:
      return `${ind}${f.name}: ${formatScalar(f, v, index)}\n`;
  }
}

const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

function formatScalar(f: FieldPlan, v: FieldValue | undefined, index: number): string {
  switch (f.kind) {
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      if (typeof v !== 'number') throw fieldError(f, index, `expected a number, got ${describe(v)}`);
      if (!Number.isInteger(v) || v < I32_MIN || v > I32_MAX) {
        throw fieldError(f, index, `value ${v} is not a 32-bit signed integer`);
      }
      return String(v);
    case 'uint32':
    case 'fixed32':
      if (typeof v !== 'number') throw fieldError(f, index, `expected a number, got ${describe(v)}`);
      if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
        throw fieldError(f, index, `value ${v} is not a 32-bit unsigned integer`);
      }
      return String(v);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      if (typeof v !== 'bigint') throw fieldError(f, index, `expected a bigint, got ${describe(v)}`);
      if (v < I64_MIN || v > I64_MAX) throw fieldError(f, index, `value ${v} is not a 64-bit signed integer`);
      return v.toString();
    case 'uint64':
    case 'fixed64':
      if (typeof v !== 'bigint') throw fieldError(f, index, `expected a bigint, got ${describe(v)}`);
      if (v < 0n || v > U64_MAX) throw fieldError(f, index, `value ${v} is not a 64-bit unsigned integer`);
      return v.toString();
    case 'bool':
      if (typeof v !== 'boolean') throw fieldError(f, index, `expected a boolean, got ${describe(v)}`);
      return v ? 'true' : 'false';
    case 'string':
      if (typeof v !== 'string') throw fieldError(f, index, `expected a string, got ${describe(v)}`);
      return `"${escapeText(v)}"`;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw fieldError(f, index, `expected a Buffer, got ${describe(v)}`);
      return `"${escapeBytes(v)}"`;
    case 'enum': {
      if (typeof v !== 'string') throw fieldError(f, index, `expected an enum value name, got ${describe(v)}`);
      const e = f.enumPlan!;
      if (!e.byName.has(v)) throw fieldError(f, index, `enum ${e.fullName} has no value named "${v}"`);
      return v;
    }
    case 'double':
      if (typeof v !== 'number') throw fieldError(f, index, `expected a number, got ${describe(v)}`);
      return javaDoubleToString(v);
    case 'float':
      if (typeof v !== 'number') throw fieldError(f, index, `expected a number, got ${describe(v)}`);
      return javaFloatToString(v);
    default:
      throw fieldError(f, index, `unexpected field kind ${f.kind}`);
  }
}

function fieldError(f: FieldPlan, index: number, what: string): TextFormatError {
  const at = index >= 0 ? `[${index}]` : '';
  return new TextFormatError(`Cannot print ${f.owner.fullName}.${f.name}${at}: ${what}`);
}

function isMsgObject(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'a Buffer';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** The text-format escape of every byte value (C escapes, octal for control and non-ASCII bytes). */
const BYTE_ESCAPES: readonly string[] = (() => {
  const t: string[] = [];
  for (let b = 0; b < 256; b++) {
    let s: string;
    switch (b) {
      case 0x07:
        s = '\\a';
        break;
      case 0x08:
        s = '\\b';
        break;
      case 0x0c:
        s = '\\f';
        break;
      case 0x0a:
        s = '\\n';
        break;
      case 0x0d:
        s = '\\r';
        break;
      case 0x09:
        s = '\\t';
        break;
      case 0x0b:
        s = '\\v';
        break;
      case 0x5c:
        s = '\\\\';
        break;
      case 0x27:
        s = "\\'";
        break;
      case 0x22:
        s = '\\"';
        break;
      default:
        s = b >= 0x20 && b < 0x80 ? String.fromCharCode(b) : `\\${(b >> 6) & 3}${(b >> 3) & 7}${b & 7}`;
    }
    t.push(s);
  }
  return t;
})();

/** Escape of a string's UTF-8 encoding, byte by byte, without materialising the bytes. */
export function escapeText(s: string): string {
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x27 || c === 0x5c) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out += BYTE_ESCAPES[c];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        // Java's UTF-8 encoder replaces an unpaired surrogate with '?'.
        out += '?';
        continue;
      }
    }
    if (c < 0x800) {
      out += BYTE_ESCAPES[0xc0 | (c >> 6)] + BYTE_ESCAPES[0x80 | (c & 0x3f)];
    } else if (c < 0x10000) {
      out += BYTE_ESCAPES[0xe0 | (c >> 12)] + BYTE_ESCAPES[0x80 | ((c >> 6) & 0x3f)] + BYTE_ESCAPES[0x80 | (c & 0x3f)];
    } else {
      out +=
        BYTE_ESCAPES[0xf0 | (c >> 18)] + BYTE_ESCAPES[0x80 | ((c >> 12) & 0x3f)] + BYTE_ESCAPES[0x80 | ((c >> 6) & 0x3f)] + BYTE_ESCAPES[0x80 | (c & 0x3f)];
    }
  }
  return out;
}

export function escapeBytes(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) out += BYTE_ESCAPES[b[i]];
  return out;
}

/** Java `Double.toString` (shortest round-trip digits; Java before 19 may print extra digits). */
function javaDoubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.startsWith('+') ? exponent.slice(1) : exponent}`;
}

/** Java `Float.toString`: the shortest decimal that reads back as the same float. */
function javaFloatToString(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return javaDoubleToString(f);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return javaDoubleToString(candidate);
  }
  return javaDoubleToString(f);
}

// ---------------------------------------------------------------------------------------------
// Parsing

// Character classes of the 2.6.1 tokenizer, for ASCII.
const C_IDENT_START = 1; // [a-zA-Z_]
const C_IDENT_PART = 2; // [0-9a-zA-Z_+-]
const C_NUM_START = 4; // [0-9+-]
const C_NUM_PART = 8; // [0-9a-zA-Z_.+-]
const C_WS = 16; // Java regex \s
const C_ID_CHAR = 32; // what consumeIdentifier accepts: [0-9a-zA-Z_.]
const CLASSES = (() => {
  const t = new Uint8Array(128);
  const add = (chars: string, bits: number): void => {
    for (const ch of chars) t[ch.charCodeAt(0)] |= bits;
  };
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const letters = lower + lower.toUpperCase();
  const digits = '0123456789';
  add(letters + '_', C_IDENT_START);
  add(letters + digits + '_+-', C_IDENT_PART);
  add(digits + '+-', C_NUM_START);
  add(letters + digits + '_.+-', C_NUM_PART);
  add(' \t\n\x0b\f\r', C_WS);
  add(letters + digits + '_.', C_ID_CHAR);
  return t;
})();

function cls(c: number): number {
  return c < 128 ? CLASSES[c] : 0;
}

/** Line terminators of Java regular expressions (where `.` stops and `$` matches). */
function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
}

function isIdentifierToken(tok: string): boolean {
  for (let i = 0; i < tok.length; i++) if ((cls(tok.charCodeAt(i)) & C_ID_CHAR) === 0) return false;
  return true;
}

/** Java's NumberFormatException: raised by the number readers, reported with a position by the caller. */
class NumberFormat extends Error {}

/**
 * parseText, typed: `parseMessage('HostState', text)` is a HostState (lib/models/generated.ts),
 * since the parser accepts only the fields and values of that message.
 */
export function parseMessage<N extends MessageName>(name: N, text: string, opts?: ParseTextOptions): MessageTypes[N] {
  return parseText(name, text, opts);
}

/**
 * Parse text, merging it into a new message of `typeName`, then check required fields the way
 * `build()` does. UUID-typed fields come back as canonical lower-case strings.
 */
export function parseText(typeName: string, text: string, opts?: ParseTextOptions): Msg {
  const plan = planFor(typeName);
  if (typeof text !== 'string') throw new TypeError(`parseText(${plan.fullName}): text must be a string`);
  const p = new Parser(text, opts?.allowUnknownFields ?? true);
  const msg: Msg = {};
  while (p.tok !== '') p.mergeField(plan, msg);
  p.checkRequired(plan, msg);
  return msg;
}

class Parser {
  private readonly text: string;
  private readonly len: number;
  private readonly allowUnknown: boolean;
  /** Current token; '' only at the end of input. */
  tok = '';
  private tokStart = 0;
  private prevStart = 0;
  /** Start of the token after the current one (whitespace and comments skipped). */
  private after: number;
  /** Message blocks that closed with required fields missing, with the offset of their bracket. */
  private incomplete: Map<Msg, number> | null = null;

  constructor(text: string, allowUnknown: boolean) {
    this.text = text;
    this.len = text.length;
    this.allowUnknown = allowUnknown;
    this.after = this.skipWhitespace(0);
    this.nextToken();
  }

  // --- tokenizer ---

  private nextToken(): void {
    this.prevStart = this.tokStart;
    const s = this.after;
    this.tokStart = s;
    if (s >= this.len) {
      this.tok = '';
      return;
    }
    const end = this.scanToken(s);
    this.tok = end === s + 1 ? this.text.charAt(s) : this.text.slice(s, end);
    this.after = this.skipWhitespace(end);
  }

  private scanToken(s: number): number {
    const text = this.text;
    const len = this.len;
    const c = text.charCodeAt(s);
    const k = cls(c);
    let i = s + 1;
    if (k & C_IDENT_START) {
      while (i < len && cls(text.charCodeAt(i)) & C_IDENT_PART) i++;
      return i;
    }
    if (k & C_NUM_START || (c === 0x2e && i < len && cls(text.charCodeAt(i)) & C_NUM_START)) {
      while (i < len && cls(text.charCodeAt(i)) & C_NUM_PART) i++;
      return i;
    }
    if (c === 0x22 || c === 0x27) {
      // A quoted literal runs to its closing quote or, unterminated, to the end of the line
      // (keeping a final backslash), exactly like the original's token pattern.
      while (i < len) {
        const d = text.charCodeAt(i);
        if (d === c) return i + 1;
        if (d === 0x0a) return i;
        if (d === 0x5c) {
          if (i + 1 < len && !isLineTerminator(text.charCodeAt(i + 1))) {
            i += 2;
            continue;
          }
          return i + 1;
        }
        i++;
      }
      return i;
    }
    return i;
  }

  private skipWhitespace(i: number): number {
    const text = this.text;
    const len = this.len;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (cls(c) & C_WS) {
        i++;
      } else if (c === 0x23) {
        i++;
        while (i < len && !isLineTerminator(text.charCodeAt(i))) i++;
      } else {
        break;
      }
    }
    return i;
  }

  private position(offset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, column: offset - lineStart + 1 };
  }

  private errorAt(offset: number, description: string): TextParseError {
    const { line, column } = this.position(offset);
    return new TextParseError(line, column, description);
  }

  private error(description: string): TextParseError {
    return this.errorAt(this.tokStart, description);
  }

  private errorPrevious(description: string): TextParseError {
    return this.errorAt(this.prevStart, description);
  }

  private tryConsume(t: string): boolean {
    if (this.tok === t) {
      this.nextToken();
      return true;
    }
    return false;
  }

  private consume(t: string): void {
    if (!this.tryConsume(t)) throw this.error(`Expected "${t}".`);
  }

  private consumeIdentifier(): string {
    const t = this.tok;
    if (!isIdentifierToken(t)) throw this.error('Expected identifier.');
    this.nextToken();
    return t;
  }

  // --- grammar ---

  mergeField(plan: TypePlan, target: Msg): void {
    let field: FieldPlan | undefined;
    if (this.tok === '[') {
      this.nextToken();
      let name = this.consumeIdentifier();
      while (this.tryConsume('.')) name += `.${this.consumeIdentifier()}`;
      // The NSDB messages have no extensions, so every extension name is unknown.
      if (!this.allowUnknown) throw this.errorPrevious(`Extension "${name}" not found in the ExtensionRegistry.`);
      this.consume(']');
    } else {
      const name = this.consumeIdentifier();
      field = plan.byName.get(name);
      if (field === undefined && !this.allowUnknown) {
        throw this.errorPrevious(`Message type "${plan.fullName}" has no field named "${name}".`);
      }
    }

    if (field === undefined) {
      if (this.tryConsume(':') && this.tok !== '{' && this.tok !== '<') this.skipFieldValue();
      else this.skipFieldMessage();
      return;
    }

    if (field.kind === 'message' || field.kind === 'uuid') this.tryConsume(':');
    else this.consume(':');

    if (field.repeated && this.tryConsume('[')) {
      for (;;) {
        this.consumeFieldValue(field, target);
        if (this.tryConsume(']')) break;
        this.consume(',');
      }
    } else {
      this.consumeFieldValue(field, target);
    }
  }

  private consumeFieldValue(f: FieldPlan, target: Msg): void {
    let value: FieldValue;
    const fast = f.kind === 'uuid' && this.tok === '{' ? this.tryCanonicalUuid() : null;
    if (fast !== null) {
      value = fast;
    } else if (f.kind === 'message' || f.kind === 'uuid') {
      const blockStart = this.tokStart;
      let end: string;
      if (this.tryConsume('<')) {
        end = '>';
      } else {
        this.consume('{');
        end = '}';
      }
      const sub = subPlan(f);
      const m: Msg = {};
      while (!this.tryConsume(end)) {
        if (this.tok === '') throw this.error(`Expected "${end}".`);
        this.mergeField(sub, m);
      }
      if (f.kind === 'uuid') {
        const { msb, lsb } = m;
        if (typeof msb === 'bigint' && typeof lsb === 'bigint') {
          value = halvesToUuid(msb, lsb);
        } else {
          // Kept as a message so the final required-field check can report it, unless a later
          // occurrence of the field replaces it.
          this.markIncomplete(m, blockStart);
          value = m;
        }
      } else {
        if (sub.required.length !== 0 && missesRequired(sub, m)) this.markIncomplete(m, blockStart);
        value = m;
      }
    } else {
      value = this.consumeScalar(f);
    }

    if (f.repeated) {
      const list = target[f.name];
      if (list === undefined) target[f.name] = [value] as FieldValue;
      else (list as FieldValue[]).push(value);
    } else {
      if (f.siblings !== null) for (const s of f.siblings) delete target[s];
      target[f.name] = value;
    }
  }

  /**
   * With the current token `{` opening a UUID block, read the block in the printer's own layout
   * (`msb: <decimal>`, whitespace, `lsb: <decimal>`, `}`) straight from the text: UUIDs are most of
   * every stored object. Anything else (other order or spacing, comments, hex, out-of-range values)
   * returns null without consuming, for the general path to handle and report.
   */
  private tryCanonicalUuid(): string | null {
    const text = this.text;
    const msbStart = this.after + 5;
    if (!text.startsWith('msb: ', this.after)) return null;
    const msbEnd = scanDecimal(text, msbStart);
    if (msbEnd < 0) return null;
    let i = msbEnd;
    while (i < this.len && cls(text.charCodeAt(i)) & C_WS) i++;
    if (i === msbEnd || !text.startsWith('lsb: ', i)) return null;
    const lsbStart = i + 5;
    const lsbEnd = scanDecimal(text, lsbStart);
    if (lsbEnd < 0) return null;
    i = lsbEnd;
    while (i < this.len && cls(text.charCodeAt(i)) & C_WS) i++;
    if (text.charCodeAt(i) !== 0x7d) return null;
    const m = decimalToHex16(text, msbStart, msbEnd);
    const l = decimalToHex16(text, lsbStart, lsbEnd);
    if (m === null || l === null) return null;
    // Leave the tokenizer as if it had consumed the closing brace.
    this.tokStart = i;
    this.after = this.skipWhitespace(i + 1);
    this.nextToken();
    return `${m.slice(0, 8)}-${m.slice(8, 12)}-${m.slice(12, 16)}-${l.slice(0, 4)}-${l.slice(4, 16)}`;
  }

  private consumeScalar(f: FieldPlan): FieldValue {
    switch (f.kind) {
      case 'int32':
      case 'sint32':
      case 'sfixed32':
        return this.consumeInteger(true, false);
      case 'uint32':
      case 'fixed32':
        return this.consumeInteger(false, false);
      case 'int64':
      case 'sint64':
      case 'sfixed64':
        return this.consumeInteger(true, true);
      case 'uint64':
      case 'fixed64':
        return this.consumeInteger(false, true);
      case 'bool':
        return this.consumeBoolean();
      case 'string':
        return this.consumeString(false);
      case 'bytes':
        return this.consumeString(true);
      case 'enum':
        return this.consumeEnum(f.enumPlan!);
      case 'double':
        return this.consumeFloating(false);
      case 'float':
        return this.consumeFloating(true);
      default:
        throw this.error(`Unsupported field type ${f.kind}.`);
    }
  }

  private consumeInteger(signed: boolean, long: boolean): number | bigint {
    let v: number | bigint;
    try {
      v = parseInteger(this.tok, signed, long);
    } catch (e) {
      if (e instanceof NumberFormat) throw this.error(`Couldn't parse integer: ${e.message}`);
      throw e;
    }
    this.nextToken();
    return v;
  }

  private consumeBoolean(): boolean {
    const t = this.tok;
    if (t === 'true' || t === 't' || t === '1') {
      this.nextToken();
      return true;
    }
    if (t === 'false' || t === 'f' || t === '0') {
      this.nextToken();
      return false;
    }
    throw this.error('Expected "true" or "false".');
  }

  private consumeEnum(e: EnumPlan): string {
    const c = this.tok.charCodeAt(0);
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b) {
      const n = this.consumeInteger(true, false) as number;
      const name = e.byNumber.get(n);
      if (name === undefined) throw this.errorPrevious(`Enum type "${e.fullName}" has no value with number ${n}.`);
      return name;
    }
    const id = this.consumeIdentifier();
    if (!e.byName.has(id)) throw this.errorPrevious(`Enum type "${e.fullName}" has no value named "${id}".`);
    return id;
  }

  private consumeFloating(float: boolean): number {
    const v = parseFloating(this.tok, float);
    if (v === null) throw this.error(`Couldn't parse number: For input string: "${this.tok}"`);
    this.nextToken();
    return v;
  }

  /**
   * One or more adjacent quoted literals, concatenated as bytes and (for strings) decoded as UTF-8.
   * Escape-free literals, by far the common case, are taken from the input without re-encoding.
   */
  private consumeString(asBytes: true): Buffer;
  private consumeString(asBytes: false): string;
  private consumeString(asBytes: boolean): string | Buffer {
    let text = '';
    let bytes: ByteSink | null = null;
    do {
      const t = this.tok;
      const q = t.charCodeAt(0);
      if (q !== 0x22 && q !== 0x27) throw this.error('Expected string.');
      if (t.length < 2 || t.charCodeAt(t.length - 1) !== q) throw this.error('String missing ending quote.');
      let plain = true;
      let surrogates = false;
      for (let i = 1; i < t.length - 1; i++) {
        const c = t.charCodeAt(i);
        if (c === 0x5c) {
          plain = false;
          break;
        }
        if (c >= 0xd800 && c <= 0xdfff) surrogates = true;
      }
      if (plain && bytes === null) {
        const content = t.slice(1, -1);
        text += surrogates ? replaceLoneSurrogates(content) : content;
      } else {
        if (bytes === null) {
          bytes = new ByteSink();
          bytes.appendUtf8(text, 0, text.length);
        }
        const problem = unescapeInto(t, bytes);
        if (problem !== null) throw this.error(problem);
      }
      this.nextToken();
    } while (this.tok.charCodeAt(0) === 0x22 || this.tok.charCodeAt(0) === 0x27);
    if (bytes !== null) return asBytes ? bytes.toBuffer() : bytes.toUtf8String();
    return asBytes ? Buffer.from(text, 'utf8') : text;
  }

  // --- skipping unknown fields (2.6.1 tolerates ';' or ',' after each skipped inner field) ---

  private skipField(): void {
    if (this.tryConsume('[')) {
      do this.consumeIdentifier();
      while (this.tryConsume('.'));
      this.consume(']');
    } else {
      this.consumeIdentifier();
    }
    if (this.tryConsume(':') && this.tok !== '<' && this.tok !== '{') this.skipFieldValue();
    else this.skipFieldMessage();
    if (!this.tryConsume(';')) this.tryConsume(',');
  }

  private skipFieldMessage(): void {
    let delimiter: string;
    if (this.tryConsume('<')) {
      delimiter = '>';
    } else {
      this.consume('{');
      delimiter = '}';
    }
    while (this.tok !== '>' && this.tok !== '}') this.skipField();
    this.consume(delimiter);
  }

  private skipFieldValue(): void {
    const q = this.tok.charCodeAt(0);
    if (q === 0x22 || q === 0x27) {
      let ok = true;
      try {
        this.consumeString(true);
      } catch (e) {
        if (!(e instanceof TextParseError)) throw e;
        ok = false;
      }
      if (ok) return;
    }
    const t = this.tok;
    if (isIdentifierToken(t) || parsesAsInteger(t) || parseFloating(t, false) !== null || parseFloating(t, true) !== null) {
      this.nextToken();
      return;
    }
    throw this.error(`Invalid field value: ${t}`);
  }

  // --- required fields ---

  private markIncomplete(m: Msg, offset: number): void {
    (this.incomplete ??= new Map()).set(m, offset);
  }

  /**
   * protobuf-java's `build()` check, run once on the final tree: blocks that were incomplete but got
   * replaced by a later occurrence of their field no longer count.
   */
  checkRequired(plan: TypePlan, msg: Msg): void {
    if (this.incomplete === null && (plan.required.length === 0 || !missesRequired(plan, msg))) return;
    const missing: string[] = [];
    let offset = -1;
    const walk = (p: TypePlan, m: Msg, prefix: string): void => {
      for (const f of p.required) {
        if (m[f.name] === undefined) {
          missing.push(prefix + f.name);
          if (offset < 0) offset = this.incomplete?.get(m) ?? 0;
        }
      }
      for (const f of p.fields) {
        if (f.kind !== 'message' && f.kind !== 'uuid') continue;
        const v = m[f.name];
        if (v === undefined) continue;
        const sub = subPlan(f);
        if (f.repeated) {
          (v as FieldValue[]).forEach((el, i) => {
            if (typeof el !== 'string') walk(sub, el as Msg, `${prefix}${f.name}[${i}].`);
          });
        } else if (typeof v !== 'string') {
          walk(sub, v as Msg, `${prefix}${f.name}.`);
        }
      }
    };
    walk(plan, msg, '');
    if (missing.length !== 0) {
      throw this.errorAt(offset, `Message missing required fields: ${missing.join(', ')}`);
    }
  }
}

function missesRequired(plan: TypePlan, m: Msg): boolean {
  for (const f of plan.required) if (m[f.name] === undefined) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Numbers

const TWO_32 = 0x100000000;

/**
 * protobuf-java 2.6.1 `parseInteger`: optional '-', then `0x` hex, leading-0 octal or decimal, digits
 * read with `Long.parseLong` (short input) or `BigInteger` (16 characters and more), range checked
 * for the field's width. The error texts are the original's NumberFormatException messages.
 */
function parseInteger(text: string, signed: boolean, long: boolean): number | bigint {
  const fast = parsePlainDecimal(text, signed, long);
  if (fast !== undefined) return fast;
  let pos = 0;
  let negative = false;
  if (text.charCodeAt(0) === 0x2d) {
    if (!signed) throw new NumberFormat(`Number must be positive: ${text}`);
    pos = 1;
    negative = true;
  }
  let radix = 10;
  if (text.startsWith('0x', pos)) {
    pos += 2;
    radix = 16;
  } else if (text.startsWith('0', pos)) {
    radix = 8;
  }
  const numberText = pos === 0 ? text : text.slice(pos);
  let value = parseDigits(numberText, radix);
  if (negative) value = -value;

  if (numberText.length < 16) {
    if (!long) {
      const n = Number(value);
      if (signed) {
        if (n > I32_MAX || n < I32_MIN) throw new NumberFormat(`Number out of range for 32-bit signed integer: ${text}`);
      } else if (n >= TWO_32 || n < 0) {
        throw new NumberFormat(`Number out of range for 32-bit unsigned integer: ${text}`);
      }
      return n === 0 ? 0 : n;
    }
    // Fewer than 16 digits always fit a Java long; an unsigned field keeps the same 64 bits.
    const b = BigInt(value);
    return signed ? b : BigInt.asUintN(64, b);
  }

  const big = BigInt(value);
  if (!fitsBits(big, long ? (signed ? 63 : 64) : signed ? 31 : 32)) {
    throw new NumberFormat(`Number out of range for ${long ? 64 : 32}-bit ${signed ? 'signed' : 'unsigned'} integer: ${text}`);
  }
  if (!long) return signed ? Number(BigInt.asIntN(32, big)) : Number(BigInt.asUintN(32, big));
  return signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
}

/**
 * The common case — unsigned decimal without leading zero — without the general machinery; the
 * results and errors are those of the general path. Undefined when the text is anything else.
 */
function parsePlainDecimal(text: string, signed: boolean, long: boolean): number | bigint | undefined {
  const len = text.length;
  if (len === 0 || (text.charCodeAt(0) === 0x30 && len > 1)) return undefined;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  if (len < 16) {
    if (long) return BigInt(n);
    if (n > (signed ? I32_MAX : U32_MAX)) {
      throw new NumberFormat(`Number out of range for 32-bit ${signed ? 'signed' : 'unsigned'} integer: ${text}`);
    }
    return n;
  }
  const big = BigInt(text);
  if (long && big <= (signed ? I64_MAX : U64_MAX)) return big;
  throw new NumberFormat(`Number out of range for ${long ? 64 : 32}-bit ${signed ? 'signed' : 'unsigned'} integer: ${text}`);
}

function parsesAsInteger(t: string): boolean {
  for (const unsigned of [false, true]) {
    try {
      parseInteger(t, !unsigned, true);
      return true;
    } catch (e) {
      if (!(e instanceof NumberFormat)) throw e;
    }
  }
  return false;
}

/** `Long.parseLong` / `new BigInteger` digit reading: optional sign, then at least one digit. */
function parseDigits(s: string, radix: number): number | bigint {
  let i = 0;
  let neg = false;
  const first = s.charCodeAt(0);
  if (first === 0x2d || first === 0x2b) {
    neg = first === 0x2d;
    i = 1;
  }
  if (i >= s.length) throw new NumberFormat(`For input string: "${s}"`);
  let n = 0;
  for (let j = i; j < s.length; j++) {
    const d = digitValue(s.charCodeAt(j));
    if (d >= radix) throw new NumberFormat(`For input string: "${s}"`);
    n = n * radix + d;
  }
  if (n <= Number.MAX_SAFE_INTEGER) return neg ? -n : n;
  // Past 2^53 the running value is inexact; redo it in arbitrary precision.
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '';
  const big = BigInt(prefix + s.slice(i));
  return neg ? -big : big;
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return 99;
}

/**
 * End of a plain decimal (1–20 digits, no leading zero) starting at `i`, or -1. Also -1 when a
 * character that the tokenizer would count as part of the same number token follows.
 */
function scanDecimal(text: string, i: number): number {
  const start = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  const n = i - start;
  if (n === 0 || n > 20 || (n > 1 && text.charCodeAt(start) === 0x30)) return -1;
  if (i < text.length && cls(text.charCodeAt(i)) & C_NUM_PART) return -1;
  return i;
}

// UUID halves are converted between decimal and hex with exact float arithmetic on 32-bit parts:
// BigInt parsing and formatting would dominate the cost of reading and writing objects.

const TWO_32_F = 4294967296;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/** Decimal text of the unsigned 64-bit value hi·2^32 + lo (hi, lo: uint32). */
function u64ToDecimal(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32_F + lo); // below 2^53: exact as a double
  // With 2^32 = 429496·10^4 + 7296, the value is a·10^4 + r where every step stays below 2^53.
  const b = hi * 7296 + lo;
  const a = hi * 429496 + Math.floor(b / 10000);
  const r = b % 10000;
  return `${a}${r < 10 ? '000' : r < 100 ? '00' : r < 1000 ? '0' : ''}${r}`;
}

/** Sixteen hex digits of the decimal digits text[start, end), or null if it exceeds 2^64 − 1. */
function decimalToHex16(text: string, start: number, end: number): string | null {
  let hi = 0;
  let lo = 0;
  for (let i = start; i < end;) {
    // Six digits at a time keeps lo·10^6 + chunk below 2^53.
    const k = Math.min(6, end - i);
    let chunk = 0;
    for (const stop = i + k; i < stop; i++) chunk = chunk * 10 + (text.charCodeAt(i) - 0x30);
    const l = lo * POW10[k] + chunk;
    const carry = Math.floor(l / TWO_32_F);
    lo = l - carry * TWO_32_F;
    hi = hi * POW10[k] + carry;
    if (hi >= TWO_32_F) return null;
  }
  return hex8(hi) + hex8(lo);
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Eight hex digits of a uint32 (Number#toString(16) is slow for values past 2^31). */
function hex8(n: number): string {
  return HEX_BYTE[n >>> 24] + HEX_BYTE[(n >>> 16) & 0xff] + HEX_BYTE[(n >>> 8) & 0xff] + HEX_BYTE[n & 0xff];
}

/** `BigInteger.bitLength() <= bits`, which for negative values admits one more than the positive side. */
function fitsBits(v: bigint, bits: number): boolean {
  const limit = 1n << BigInt(bits);
  return v >= -limit && v < limit;
}

const DECIMAL_FLOAT = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;
const DOUBLE_INFINITY = /^-?inf(?:inity)?$/i;
const FLOAT_INFINITY = /^-?inf(?:inity)?f?$/i;
const FLOAT_NAN = /^nanf?$/i;

/** `consumeDouble` / `consumeFloat`: the text-format spellings, then Java's number syntax. */
function parseFloating(t: string, float: boolean): number | null {
  if ((float ? FLOAT_INFINITY : DOUBLE_INFINITY).test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (float ? FLOAT_NAN.test(t) : t.toLowerCase() === 'nan') return NaN;
  let v: number;
  if (DECIMAL_FLOAT.test(t)) {
    v = Number(/[fFdD]$/.test(t) ? t.slice(0, -1) : t);
  } else {
    const m = HEX_FLOAT.exec(t);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
    const digits = `${m[2]}${m[3] ?? ''}`;
    v = Number(BigInt(`0x${digits}`)) * 2 ** (Number(m[4]) - 4 * (m[3] ?? '').length);
    if (m[1] === '-') v = -v;
  }
  return float ? Math.fround(v) : v;
}

// ---------------------------------------------------------------------------------------------
// String literals

/** Growable byte buffer for literals that need unescaping. */
class ByteSink {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  push(b: number): void {
    if (this.len === this.buf.length) {
      const next = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf[this.len++] = b;
  }

  /** UTF-8 of s[from, to) the way Java encodes it (unpaired surrogates become '?'). */
  appendUtf8(s: string, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.push(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < to ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          this.push(0x3f);
          continue;
        }
      }
      if (c < 0x800) {
        this.push(0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        this.push(0xe0 | (c >> 12));
        this.push(0x80 | ((c >> 6) & 0x3f));
      } else {
        this.push(0xf0 | (c >> 18));
        this.push(0x80 | ((c >> 12) & 0x3f));
        this.push(0x80 | ((c >> 6) & 0x3f));
      }
      this.push(0x80 | (c & 0x3f));
    }
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  toUtf8String(): string {
    return this.buf.toString('utf8', 0, this.len);
  }
}

function replaceLoneSurrogates(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
        continue;
      }
    }
    out += c >= 0xd800 && c <= 0xdfff ? '?' : s[i];
  }
  return out;
}

function isOctal(c: number): boolean {
  return c >= 0x30 && c <= 0x37;
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * Unescape the literal token `t` (quotes included) into `out`. Returns the 2.6.1 error text for a
 * bad escape, or null.
 */
function unescapeInto(t: string, out: ByteSink): string | null {
  const end = t.length - 1;
  let runStart = 1;
  for (let i = 1; i < end; i++) {
    if (t.charCodeAt(i) !== 0x5c) continue;
    out.appendUtf8(t, runStart, i);
    if (i + 1 >= end) return "Invalid escape sequence: '\\' at end of string.";
    const c = t.charCodeAt(++i);
    if (isOctal(c)) {
      let code = c - 0x30;
      if (i + 1 < end && isOctal(t.charCodeAt(i + 1))) code = code * 8 + (t.charCodeAt(++i) - 0x30);
      if (i + 1 < end && isOctal(t.charCodeAt(i + 1))) code = code * 8 + (t.charCodeAt(++i) - 0x30);
      out.push(code & 0xff);
    } else {
      switch (c) {
        case 0x61:
          out.push(0x07);
          break; // a
        case 0x62:
          out.push(0x08);
          break; // b
        case 0x66:
          out.push(0x0c);
          break; // f
        case 0x6e:
          out.push(0x0a);
          break; // n
        case 0x72:
          out.push(0x0d);
          break; // r
        case 0x74:
          out.push(0x09);
          break; // t
        case 0x76:
          out.push(0x0b);
          break; // v
        case 0x5c:
          out.push(0x5c);
          break;
        case 0x27:
          out.push(0x27);
          break;
        case 0x22:
          out.push(0x22);
          break;
        case 0x78: {
          // x
          if (!(i + 1 < end && isHexDigit(t.charCodeAt(i + 1)))) {
            return "Invalid escape sequence: '\\x' with no digits";
          }
          let code = digitValue(t.charCodeAt(++i));
          if (i + 1 < end && isHexDigit(t.charCodeAt(i + 1))) code = code * 16 + digitValue(t.charCodeAt(++i));
          out.push(code);
          break;
        }
        default:
          return `Invalid escape sequence: '\\${escapedCharForMessage(t, i)}'`;
      }
    }
    runStart = i + 1;
  }
  out.appendUtf8(t, runStart, end);
  return null;
}

/**
 * The original reports the byte after the backslash as a Java char; for a non-ASCII character that
 * is a sign-extended byte (U+FFxx), reproduced here for the first byte of its UTF-8 encoding.
 */
function escapedCharForMessage(t: string, i: number): string {
  const c = t.charCodeAt(i);
  if (c < 0x80) return t[i];
  const sink = new ByteSink();
  sink.appendUtf8(t, i, Math.min(i + 2, t.length));
  return String.fromCharCode(0xff00 | sink.toBuffer()[0]);
}
