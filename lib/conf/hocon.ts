/**
 * HOCON as MidoNet's configuration uses it (mn-conf.md §3), written for this project because no
 * npm package keeps what mn-conf needs (docs/decisions/0005-hocon.md): unresolved `${...}`
 * substitutions that survive a parse/render round trip (schemas are stored with them), layering
 * before resolution (`withFallback`, then `resolve`), the original text of numbers, where each
 * value came from, and rendering in Typesafe Config's formats (the one in ZooKeeper and the ones
 * `mn-conf get/dump` print).
 *
 * Supported: objects with or without root braces, `:`/`=`/no separator before `{`, `+=`, dotted
 * and quoted keys, commas or newlines between fields, trailing commas, `#` and `//` comments,
 * quoted, triple-quoted and unquoted strings, numbers, booleans, null, lists, value
 * concatenation (`a b`, `"x"${y}`, `{...} {...}`, `[..] [..]`), `${path}` and `${?path}` with
 * self-references over earlier values, and environment variables as the last resort of a lookup.
 * Not supported: `include` (an error says so).
 *
 * Values are immutable: every change returns a new object.
 */

// ---------------------------------------------------------------------------------------------
// Values

/** Where a value was read: `STDIN`, `zookeeper://midonet/config/templates/default`, ... */
export interface Origin {
  readonly description: string;
  readonly line?: number;
}

interface Base {
  readonly origin?: Origin;
}
export interface HObject extends Base {
  readonly t: 'object';
  readonly fields: ReadonlyMap<string, HValue>;
}
export interface HList extends Base {
  readonly t: 'list';
  readonly items: readonly HValue[];
}
export interface HString extends Base {
  readonly t: 'string';
  readonly v: string;
  /** whitespace between concatenated values: dropped when the others are objects or lists */
  readonly ws?: boolean;
}
export interface HNumber extends Base {
  readonly t: 'number';
  readonly v: number;
  /** as written (`1.50`, `4194304`), which is how it is rendered */
  readonly text: string;
}
export interface HBool extends Base {
  readonly t: 'boolean';
  readonly v: boolean;
}
export interface HNull extends Base {
  readonly t: 'null';
}
/** `${a.b}` or `${?a.b}`, unresolved */
export interface HSubst extends Base {
  readonly t: 'subst';
  readonly path: readonly string[];
  readonly optional: boolean;
}
/** a concatenation with at least one unresolved part */
export interface HConcat extends Base {
  readonly t: 'concat';
  readonly parts: readonly HValue[];
}
/** an unresolved value over the values it overrides (kept for self-references and object merges) */
export interface HDelayed extends Base {
  readonly t: 'delayed';
  readonly stack: readonly HValue[];
}
export type HValue = HObject | HList | HString | HNumber | HBool | HNull | HSubst | HConcat | HDelayed;

/** Typesafe's value types, as the schema validation compares them */
export type ValueType = 'OBJECT' | 'LIST' | 'STRING' | 'NUMBER' | 'BOOLEAN' | 'NULL';

export class HoconError extends Error {
  override name = 'HoconError';
}

export const EMPTY: HObject = { t: 'object', fields: new Map() };

export function obj(fields: Iterable<[string, HValue]> = [], origin?: Origin): HObject {
  return { t: 'object', fields: new Map(fields), origin };
}
export function str(v: string, origin?: Origin): HString {
  return { t: 'string', v, origin };
}
export function num(v: number, origin?: Origin): HNumber {
  return { t: 'number', v, text: String(v), origin };
}
export function bool(v: boolean, origin?: Origin): HBool {
  return { t: 'boolean', v, origin };
}

export function isResolved(v: HValue): boolean {
  switch (v.t) {
    case 'subst':
    case 'concat':
    case 'delayed':
      return false;
    case 'object':
      return [...v.fields.values()].every(isResolved);
    case 'list':
      return v.items.every(isResolved);
    default:
      return true;
  }
}

export function valueType(v: HValue): ValueType {
  switch (v.t) {
    case 'object':
      return 'OBJECT';
    case 'list':
      return 'LIST';
    case 'string':
      return 'STRING';
    case 'number':
      return 'NUMBER';
    case 'boolean':
      return 'BOOLEAN';
    case 'null':
      return 'NULL';
    default:
      throw new HoconError(`value at ${describeOrigin(v.origin)} is not resolved`);
  }
}

export function describeOrigin(o: Origin | undefined): string {
  if (!o) return 'unknown origin';
  return o.line === undefined ? o.description : `${o.description}: ${o.line}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing

const FORBIDDEN = new Set(['$', '"', '{', '}', '[', ']', ':', '=', ',', '+', '#', '`', '^', '?', '!', '@', '*', '&', '\\']);
const NUMBER_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function isSpace(c: string | undefined): boolean {
  // newlines separate fields; every other whitespace (incl. BOM and NBSP) is just space
  return c !== undefined && c !== '\n' && /\s|\uFEFF/.test(c);
}

/** A piece of a value before concatenation: raw unquoted text, or a parsed value. */
type Piece = { kind: 'unquoted'; text: string; origin: Origin } | { kind: 'value'; value: HValue };

class Parser {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly description: string,
  ) {}

  private origin(): Origin {
    return { description: this.description, line: this.line };
  }

  private fail(msg: string): never {
    throw new HoconError(`${this.description}: ${this.line}: ${msg}`);
  }

  private peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  private next(): string {
    const c = this.text[this.pos++];
    if (c === '\n') this.line++;
    return c;
  }

  private atComment(): boolean {
    return this.peek() === '#' || (this.peek() === '/' && this.peek(1) === '/');
  }

  private skipComment(): void {
    while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
  }

  /** spaces and comments, not newlines */
  private skipSpaces(): void {
    for (;;) {
      if (isSpace(this.peek())) this.pos++;
      else if (this.atComment()) this.skipComment();
      else return;
    }
  }

  /** spaces, comments and newlines */
  private skipAll(): void {
    for (;;) {
      this.skipSpaces();
      if (this.peek() === '\n') this.next();
      else return;
    }
  }

  /** the whole text as one path expression */
  parsePathOnly(): string[] {
    const path = this.parseKey();
    if (this.pos !== this.text.length) this.fail(`unexpected '${this.peek()}'`);
    return path;
  }

  parseDocument(): HObject {
    this.skipAll();
    let root: HObject;
    if (this.peek() === '{') {
      root = this.parseBracedObject();
      this.skipAll();
      if (this.pos < this.text.length) this.fail(`unexpected '${this.peek()}' after the closing '}' of the document`);
    } else if (this.peek() === '[') {
      this.fail('a configuration must be an object, not a list');
    } else {
      root = this.parseFields(undefined, this.origin());
    }
    return root;
  }

  private parseBracedObject(): HObject {
    const origin = this.origin();
    this.next(); // {
    const o = this.parseFields('}', origin);
    this.next(); // }
    return o;
  }

  /** fields up to `close` (not consumed), or to the end of the text */
  private parseFields(close: '}' | undefined, origin: Origin): HObject {
    let fields = new Map<string, HValue>();
    for (;;) {
      this.skipAll();
      const c = this.peek();
      if (c === undefined) {
        if (close) this.fail(`end of input inside an object: expected '${close}'`);
        break;
      }
      if (c === close) break;
      if (c === ',') this.fail(`unexpected ','`);
      if (c === '}') this.fail(`unexpected '}'`);
      if (this.text.startsWith('include', this.pos) && /^include\s+("|\w+\()/.test(this.text.slice(this.pos, this.pos + 40))) {
        this.fail(`'include' is not supported`);
      }
      const keyOrigin = this.origin();
      const path = this.parseKey();
      this.skipSpaces();
      let value: HValue;
      let append = false;
      const s = this.peek();
      if (s === '{') {
        value = this.parseValue();
      } else if (s === ':' || s === '=') {
        this.next();
        this.skipSpaces();
        value = this.parseValue();
      } else if (s === '+' && this.peek(1) === '=') {
        this.pos += 2;
        this.skipSpaces();
        value = this.parseValue();
        append = true;
      } else {
        this.fail(`expected ':' or '=' after the key '${renderPath(path)}', got ${s === undefined || s === '\n' ? 'end of line' : `'${s}'`}`);
      }
      if (append) {
        // `a += x` is `a = ${?a} [x]`
        const prev = getRaw(fields, path);
        value = concatValues([prev ?? { t: 'subst', path, optional: true, origin: keyOrigin }, { t: 'list', items: [value], origin: value.origin }], keyOrigin);
      }
      fields = setField(fields, path, value);
      this.skipSpaces();
      const after = this.peek();
      if (after === ',') this.next();
      else if (after !== '\n' && after !== undefined && after !== close) {
        this.fail(`expected ',' or a new line after the value of '${renderPath(path)}', got '${after}'`);
      }
    }
    return { t: 'object', fields, origin };
  }

  /** a path expression up to the separator: `a.b`, `"a.b".c`, `a-b_c.0` */
  private parseKey(): string[] {
    const segs: string[] = [''];
    let any = false;
    let quotedLast = false;
    for (;;) {
      const c = this.peek();
      if (c === '"') {
        segs[segs.length - 1] += this.parseQuoted();
        any = true;
        quotedLast = true;
      } else if (c === '.') {
        if (segs[segs.length - 1] === '' && !quotedLast) this.fail(`empty segment in a key (two dots, or a leading dot)`);
        this.next();
        segs.push('');
        quotedLast = false;
      } else if (c !== undefined && !FORBIDDEN.has(c) && !isSpace(c) && c !== '\n' && !this.atComment()) {
        let run = '';
        while (this.pos < this.text.length) {
          const d = this.peek() as string;
          if (d === '.' || FORBIDDEN.has(d) || isSpace(d) || d === '\n' || this.atComment()) break;
          run += this.next();
        }
        segs[segs.length - 1] += run;
        any = true;
        quotedLast = false;
      } else if (isSpace(c)) {
        // whitespace inside a key counts only between two key tokens (`a b : 1` is the key "a b")
        let j = this.pos;
        while (isSpace(this.text[j])) j++;
        const d = this.text[j];
        if (
          d === undefined ||
          d === '\n' ||
          d === ':' ||
          d === '=' ||
          d === '{' ||
          d === '+' ||
          (FORBIDDEN.has(d) && d !== '"') ||
          this.text.startsWith('//', j)
        )
          break;
        segs[segs.length - 1] += this.text.slice(this.pos, j);
        this.pos = j;
      } else {
        break;
      }
    }
    if (!any) this.fail(`expected a key, got ${this.peek() === undefined ? 'end of input' : `'${this.peek()}'`}`);
    if (segs[segs.length - 1] === '' && !quotedLast) this.fail(`a key must not end with '.'`);
    return segs;
  }

  private parseQuoted(): string {
    if (this.text.startsWith('"""', this.pos)) {
      this.pos += 3;
      const end = this.text.indexOf('"""', this.pos);
      if (end < 0) this.fail('end of input inside a """ string');
      let stop = end + 3;
      // """ab"""" is 'ab"': extra quotes before the closing three belong to the string
      while (this.text[stop] === '"') stop++;
      const s = this.text.slice(this.pos, stop - 3);
      for (const ch of s) if (ch === '\n') this.line++;
      this.pos = stop;
      return s;
    }
    this.next(); // "
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') this.fail('end of line inside a quoted string');
      this.pos++;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.peek();
        this.pos++;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = this.text.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad \\u escape in a quoted string`);
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default:
            this.fail(`bad escape '\\${e ?? ''}' in a quoted string`);
        }
      } else {
        out += c;
      }
    }
  }

  private parseSubst(): HSubst {
    const origin = this.origin();
    this.pos += 2; // ${
    let optional = false;
    if (this.peek() === '?') {
      optional = true;
      this.next();
    }
    while (isSpace(this.peek())) this.pos++;
    const path = this.parseKey();
    while (isSpace(this.peek())) this.pos++;
    if (this.peek() !== '}') this.fail(`expected '}' to close the substitution \${${optional ? '?' : ''}${renderPath(path)}`);
    this.next();
    return { t: 'subst', path, optional, origin };
  }

  private parseList(): HList {
    const origin = this.origin();
    this.next(); // [
    const items: HValue[] = [];
    for (;;) {
      this.skipAll();
      const c = this.peek();
      if (c === undefined) this.fail(`end of input inside a list: expected ']'`);
      if (c === ']') {
        this.next();
        break;
      }
      if (c === ',') this.fail(`unexpected ',' in a list`);
      items.push(this.parseValue());
      this.skipSpaces();
      const after = this.peek();
      if (after === ',') this.next();
      else if (after !== '\n' && after !== ']') this.fail(`expected ',' or ']' in a list, got ${after === undefined ? 'end of input' : `'${after}'`}`);
    }
    return { t: 'list', items, origin };
  }

  /** one value: the pieces up to the end of the line, a ',' or a closing bracket, concatenated */
  private parseValue(): HValue {
    const pieces: { ws: string; piece: Piece }[] = [];
    const origin = this.origin();
    for (;;) {
      const start = this.pos;
      while (isSpace(this.peek())) this.pos++;
      const ws = this.text.slice(start, this.pos);
      const c = this.peek();
      if (c === undefined || c === '\n' || c === ',' || c === '}' || c === ']' || this.atComment()) {
        this.pos = start; // trailing whitespace is not part of the value
        break;
      }
      let piece: Piece;
      if (c === '{') piece = { kind: 'value', value: this.parseBracedObject() };
      else if (c === '[') piece = { kind: 'value', value: this.parseList() };
      else if (c === '"') {
        const o = this.origin();
        piece = { kind: 'value', value: { t: 'string', v: this.parseQuoted(), origin: o } };
      } else if (c === '$' && this.peek(1) === '{') piece = { kind: 'value', value: this.parseSubst() };
      else if (FORBIDDEN.has(c)) this.fail(`unexpected '${c}' in a value (quote the value if it should contain it)`);
      else {
        const o = this.origin();
        let run = '';
        while (this.pos < this.text.length) {
          const d = this.peek() as string;
          if (FORBIDDEN.has(d) || isSpace(d) || d === '\n' || this.atComment()) break;
          run += this.next();
        }
        piece = { kind: 'unquoted', text: run, origin: o };
      }
      pieces.push({ ws: pieces.length === 0 ? '' : ws, piece });
    }
    if (pieces.length === 0) this.fail('expected a value');
    if (pieces.length === 1) {
      const p = (pieces[0] as { piece: Piece }).piece;
      return p.kind === 'value' ? p.value : scalarFromUnquoted(p.text, p.origin);
    }
    const parts: HValue[] = [];
    for (const { ws, piece } of pieces) {
      if (ws) parts.push({ t: 'string', v: ws, ws: true, origin });
      parts.push(piece.kind === 'value' ? piece.value : { t: 'string', v: piece.text, origin: piece.origin });
    }
    return concatValues(parts, origin);
  }
}

function scalarFromUnquoted(text: string, origin: Origin): HValue {
  if (text === 'true' || text === 'false') return { t: 'boolean', v: text === 'true', origin };
  if (text === 'null') return { t: 'null', origin };
  if (NUMBER_RE.test(text)) return { t: 'number', v: Number(text), text, origin };
  return { t: 'string', v: text, origin };
}

/** Text of a scalar inside a string concatenation. */
function scalarText(v: HValue): string | undefined {
  switch (v.t) {
    case 'string':
      return v.v;
    case 'number':
      return v.text;
    case 'boolean':
      return String(v.v);
    case 'null':
      return 'null';
    default:
      return undefined;
  }
}

/** Concatenates resolved parts now when possible; otherwise keeps them for resolution. */
function concatValues(parts: HValue[], origin: Origin | undefined): HValue {
  if (parts.some((p) => !isResolved(p))) return { t: 'concat', parts, origin };
  return concatResolved(parts, origin);
}

function concatResolved(parts: readonly HValue[], origin: Origin | undefined): HValue {
  const solid = parts.filter((p) => !(p.t === 'string' && p.ws));
  if (solid.length > 0 && solid.every((p) => p.t === 'object')) {
    let out = solid[0];
    for (const p of solid.slice(1)) out = withFallback(p, out) as HObject;
    return out;
  }
  if (solid.length > 0 && solid.every((p) => p.t === 'list')) {
    return { t: 'list', items: solid.flatMap((p) => p.items), origin };
  }
  let s = '';
  for (const p of parts) {
    const text = scalarText(p);
    if (text === undefined) {
      throw new HoconError(`${describeOrigin(origin)}: cannot concatenate an object or a list with other values`);
    }
    s += text;
  }
  return { t: 'string', v: s, origin };
}

/** Parses a HOCON document (an object). `description` names the source in errors and origins. */
export function parse(text: string, description = 'input'): HObject {
  return new Parser(text.replace(/\r\n?/g, '\n'), description).parseDocument();
}

/** Parses a path expression (`a.b."c.d"`) into its segments. */
export function splitPath(expr: string): string[] {
  try {
    return new Parser(expr.trim(), 'path').parsePathOnly();
  } catch (e) {
    throw new HoconError(`invalid path '${expr}': ${(e as Error).message.replace(/^path: \d+: /, '')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths, merge

function getRaw(fields: ReadonlyMap<string, HValue>, path: readonly string[]): HValue | undefined {
  let cur: HValue | undefined = { t: 'object', fields };
  for (const seg of path) {
    if (!cur || cur.t !== 'object') return undefined;
    cur = cur.fields.get(seg);
  }
  return cur;
}

/** Adds a field as a later duplicate would: objects merge, anything else replaces. */
function setField(fields: Map<string, HValue>, path: readonly string[], value: HValue): Map<string, HValue> {
  const [head, ...rest] = path as [string, ...string[]];
  const prev = fields.get(head);
  let next: HValue;
  if (rest.length === 0) next = prev === undefined ? value : withFallback(value, prev);
  else {
    const inner = prev?.t === 'object' ? new Map(prev.fields) : new Map<string, HValue>();
    const child: HObject = { t: 'object', fields: setField(inner, rest, value), origin: prev?.t === 'object' ? prev.origin : value.origin };
    next = prev === undefined || prev.t === 'object' ? child : withFallback(child, prev);
  }
  fields.set(head, next);
  return fields;
}

/** The value at a path, if any (no resolution: a substitution on the way ends the walk). */
export function getPath(root: HValue, path: readonly string[]): HValue | undefined {
  let cur: HValue | undefined = root;
  for (const seg of path) {
    if (cur?.t === 'delayed' && cur.stack[0]?.t === 'object') cur = cur.stack[0];
    if (!cur || cur.t !== 'object') return undefined;
    cur = cur.fields.get(seg);
  }
  return cur;
}

export function hasPath(root: HValue, path: readonly string[]): boolean {
  const v = getPath(root, path);
  return v !== undefined && v.t !== 'null';
}

/** A copy with `value` at `path` (objects created on the way, anything there replaced). */
export function withValue(root: HObject, path: readonly string[], value: HValue): HObject {
  const [head, ...rest] = path as [string, ...string[]];
  const fields = new Map(root.fields);
  if (rest.length === 0) fields.set(head, value);
  else {
    const child = fields.get(head);
    fields.set(head, withValue(child?.t === 'object' ? child : { t: 'object', fields: new Map(), origin: value.origin }, rest, value));
  }
  return { t: 'object', fields, origin: root.origin };
}

/** A copy without `path` (its parent objects stay, even if empty, as in Typesafe Config). */
export function withoutPath(root: HObject, path: readonly string[]): HObject {
  const [head, ...rest] = path as [string, ...string[]];
  if (!root.fields.has(head)) return root;
  const fields = new Map(root.fields);
  if (rest.length === 0) fields.delete(head);
  else {
    const child = fields.get(head);
    if (child?.t !== 'object') return root;
    fields.set(head, withoutPath(child, rest));
  }
  return { t: 'object', fields, origin: root.origin };
}

/**
 * `high` layered over `low` (Typesafe's `high.withFallback(low)`): objects merge key by key,
 * anything else in `high` wins, an unresolved value keeps what it overrides for resolution.
 */
export function withFallback(high: HValue, low: HValue): HValue {
  if (high.t === 'object' && low.t === 'object') {
    const fields = new Map(low.fields);
    for (const [k, v] of high.fields) {
      const l = fields.get(k);
      fields.set(k, l === undefined ? v : withFallback(v, l));
    }
    // keep high's key order first (rendering sorts anyway)
    const ordered = new Map<string, HValue>();
    for (const k of high.fields.keys()) ordered.set(k, fields.get(k) as HValue);
    for (const [k, v] of fields) if (!ordered.has(k)) ordered.set(k, v);
    return { t: 'object', fields: ordered, origin: high.origin ?? low.origin };
  }
  const unresolvedHigh = high.t === 'subst' || high.t === 'concat' || high.t === 'delayed';
  if (unresolvedHigh || (high.t === 'object' && !isResolved(low) && (low.t === 'subst' || low.t === 'concat' || low.t === 'delayed'))) {
    const stack = [...(high.t === 'delayed' ? high.stack : [high]), ...(low.t === 'delayed' ? low.stack : [low])];
    return { t: 'delayed', stack, origin: high.origin };
  }
  return high;
}

/** Layers objects, first = highest: `layer(a, b, c)` is a.withFallback(b).withFallback(c). */
export function layer(...objs: HObject[]): HObject {
  let out: HValue = EMPTY;
  let first = true;
  for (const o of objs) {
    out = first ? o : withFallback(out, o);
    first = false;
  }
  return out as HObject;
}

/**
 * Leaf entries (Typesafe's entrySet): every non-object value with its path; lists are leaves,
 * null values and empty objects are left out.
 */
export function entries(root: HObject): [string[], HValue][] {
  const out: [string[], HValue][] = [];
  const walk = (o: HObject, prefix: string[]): void => {
    for (const [k, v] of o.fields) {
      const p = [...prefix, k];
      if (v.t === 'object') walk(v, p);
      else if (v.t === 'delayed' && v.stack[0]?.t === 'object') walk(v.stack[0], p);
      else if (v.t !== 'null') out.push([p, v]);
    }
  };
  walk(root, []);
  return out;
}

export function isEmpty(o: HObject): boolean {
  return o.fields.size === 0;
}

// ---------------------------------------------------------------------------------------------
// Resolution

export interface ResolveOptions {
  /** where `${NAME}` looks when the configuration has no NAME (Typesafe: the environment) */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A substitution that depends on itself with nothing below it to fall back on. */
class CycleError extends HoconError {}

class Resolver {
  private readonly memo = new Map<string, HValue | null>();
  private readonly inProgress = new Set<string>();
  /** for self-references: what a path being resolved overrides */
  private readonly below = new Map<string, HValue>();

  constructor(
    private readonly root: HObject,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  run(): HObject {
    return this.node(this.root, []) as HObject;
  }

  private key(path: readonly string[]): string {
    return JSON.stringify(path);
  }

  private node(v: HValue, path: readonly string[]): HValue | undefined {
    switch (v.t) {
      case 'object': {
        const fields = new Map<string, HValue>();
        for (const [k, child] of v.fields) {
          const r = this.at([...path, k], child);
          if (r !== undefined) fields.set(k, r);
        }
        return { t: 'object', fields, origin: v.origin };
      }
      case 'list': {
        const items: HValue[] = [];
        for (const item of v.items) {
          const r = this.node(item, path);
          if (r !== undefined) items.push(r);
        }
        return { t: 'list', items, origin: v.origin };
      }
      case 'subst':
        return this.subst(v);
      case 'concat': {
        const parts: HValue[] = [];
        for (const p of v.parts) {
          const r = this.node(p, path);
          if (r !== undefined) parts.push(r);
        }
        if (parts.length === 0) return undefined;
        return concatResolved(parts, v.origin);
      }
      case 'delayed': {
        const [top, ...rest] = v.stack as [HValue, ...HValue[]];
        const restValue: HValue | undefined =
          rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { t: 'delayed', stack: rest, origin: rest[0]?.origin };
        const k = this.key(path);
        const saved = this.below.get(k);
        if (restValue) this.below.set(k, restValue);
        let r: HValue | undefined;
        try {
          r = this.node(top, path);
        } finally {
          if (saved) this.below.set(k, saved);
          else this.below.delete(k);
        }
        if (r === undefined) return restValue ? this.node(restValue, path) : undefined;
        if (r.t === 'object' && restValue) {
          const lower = this.node(restValue, path);
          if (lower?.t === 'object') return withFallback(r, lower);
        }
        return r;
      }
      default:
        return v;
    }
  }

  /** the resolved value of the field at `path` whose raw value is `raw` (memoised) */
  private at(path: readonly string[], raw: HValue): HValue | undefined {
    const k = this.key(path);
    if (this.memo.has(k)) return this.memo.get(k) ?? undefined;
    if (this.inProgress.has(k)) {
      const below = this.below.get(k);
      if (below) return this.node(below, path);
      throw new CycleError(`${describeOrigin(raw.origin)}: substitution cycle at ${renderPath(path)}`);
    }
    this.inProgress.add(k);
    let r: HValue | undefined;
    try {
      r = this.node(raw, path);
    } finally {
      this.inProgress.delete(k);
    }
    this.memo.set(k, r ?? null);
    return r;
  }

  /** the raw value at a path of the root, resolving unresolved values on the way */
  private lookup(path: readonly string[]): HValue | undefined {
    let cur: HValue = this.root;
    for (let i = 0; i < path.length; i++) {
      if (cur.t !== 'object') {
        const r = this.at(path.slice(0, i), cur);
        if (!r || r.t !== 'object') return undefined;
        cur = r;
      }
      const next = cur.fields.get(path[i]);
      if (next === undefined) return undefined;
      cur = next;
    }
    return this.at(path, cur);
  }

  private subst(s: HSubst): HValue | undefined {
    let found: HValue | undefined;
    try {
      found = this.lookup(s.path);
    } catch (e) {
      // `a += x` with no earlier `a` is `${?a} [x]`: an optional self-reference finds nothing
      if (!(e instanceof CycleError && s.optional)) throw e;
    }
    if (found !== undefined && found.t !== 'null') return found;
    if (s.path.length === 1) {
      const e = this.env[s.path[0]];
      if (e !== undefined) return { t: 'string', v: e, origin: { description: `env variable ${s.path[0]}` } };
    }
    if (found !== undefined) return found;
    if (s.optional) return undefined;
    throw new HoconError(`${describeOrigin(s.origin)}: could not resolve substitution to a value: \${${renderPath(s.path)}}`);
  }
}

/** Resolves every substitution against the object itself (then the environment, if given). */
export function resolve(root: HObject, opts: ResolveOptions = {}): HObject {
  return new Resolver(root, opts.env ?? {}).run();
}

// ---------------------------------------------------------------------------------------------
// Rendering (Typesafe Config's ConfigRenderOptions: formatted; json or HOCON)

export interface RenderOptions {
  /** JSON (`"k" : v`) rather than HOCON (`k=v`, keys and strings unquoted where possible) */
  json?: boolean;
  /** one line `# <origin>` before each value */
  originComments?: boolean;
  /** comment lines to print before the value at a path (e.g. its schema description) */
  comments?: (path: readonly string[]) => string[] | undefined;
}

const INDENT = '    ';

export function renderJsonString(s: string): string {
  let out = '"';
  for (const c of s) {
    switch (c) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default: {
        const code = c.codePointAt(0) as number;
        out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return `${out}"`;
}

/** Typesafe's rule: unquoted only if purely letters/digits, not starting with a digit or '-', not a keyword. */
export function renderStringUnquotedIfPossible(s: string): string {
  if (s.length === 0) return renderJsonString(s);
  const first = s[0];
  if (/\p{Nd}/u.test(first) || first === '-') return renderJsonString(s);
  if (s.startsWith('include') || s.startsWith('true') || s.startsWith('false') || s.startsWith('null') || s.includes('//')) return renderJsonString(s);
  if (!/^[\p{L}\p{Nd}]+$/u.test(s)) return renderJsonString(s);
  return s;
}

/** A path in dotted form, segments quoted when they hold anything but letters, digits, '-', '_'. */
export function renderPath(path: readonly string[]): string {
  return path.map((seg) => (seg !== '' && /^[\p{L}\p{Nd}_-]+$/u.test(seg) ? seg : renderJsonString(seg))).join('.');
}

function isAllDigits(s: string): boolean {
  return s.length > 0 && /^[0-9]+$/.test(s);
}

/** Typesafe's key order: numeric keys first, numerically, then the others by UTF-16 code unit. */
export function compareKeys(a: string, b: string): number {
  const ad = isAllDigits(a);
  const bd = isAllDigits(b);
  if (ad && bd) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ad) return -1;
  if (bd) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function pad(n: number): string {
  return INDENT.repeat(n);
}

function renderInto(out: string[], v: HValue, indent: number, atRoot: boolean, path: string[], o: RenderOptions): void {
  switch (v.t) {
    case 'object': {
      if (v.fields.size === 0) {
        out.push('{}');
        break;
      }
      const braces = o.json === true || !atRoot;
      const inner = braces ? indent + 1 : indent;
      if (braces) out.push('{\n');
      const keys = [...v.fields.keys()].sort(compareKeys);
      keys.forEach((k, i) => {
        const child = v.fields.get(k) as HValue;
        const p = [...path, k];
        if (o.originComments && child.t !== 'object' && child.origin) out.push(`${pad(inner)}# ${describeOrigin(child.origin)}\n`);
        for (const c of o.comments?.(p) ?? []) out.push(`${pad(inner)}# ${c}\n`);
        out.push(pad(inner));
        out.push(o.json ? renderJsonString(k) : renderStringUnquotedIfPossible(k));
        if (o.json) out.push(' : ');
        else out.push(child.t === 'object' ? ' ' : '=');
        renderInto(out, child, inner, false, p, o);
        if (i < keys.length - 1) out.push(o.json ? ',\n' : '\n');
      });
      if (braces) out.push(`\n${pad(indent)}}`);
      break;
    }
    case 'list': {
      if (v.items.length === 0) {
        out.push('[]');
        break;
      }
      out.push('[\n');
      v.items.forEach((item, i) => {
        out.push(pad(indent + 1));
        renderInto(out, item, indent + 1, false, path, o);
        if (i < v.items.length - 1) out.push(',');
        out.push('\n');
      });
      out.push(`${pad(indent)}]`);
      break;
    }
    case 'string':
      out.push(o.json ? renderJsonString(v.v) : renderStringUnquotedIfPossible(v.v));
      break;
    case 'number':
      out.push(v.text);
      break;
    case 'boolean':
      out.push(String(v.v));
      break;
    case 'null':
      out.push('null');
      break;
    case 'subst':
      out.push(`\${${v.optional ? '?' : ''}${renderPath(v.path)}}`);
      break;
    case 'concat':
      for (const p of v.parts) {
        if (p.t === 'string') out.push(p.ws ? ' ' : renderJsonString(p.v));
        else renderInto(out, p, indent, false, path, o);
      }
      break;
    case 'delayed':
      // Only the top value is kept in the text: what it overrides is lost when stored, as a
      // rendered Typesafe config would also only show its own definition.
      renderInto(out, v.stack[0], indent, atRoot, path, o);
      break;
  }
}

/**
 * Renders a value the way Typesafe Config's `render(formatted)` does: at the root a HOCON object
 * has no braces and the text ends with a newline; keys are sorted.
 */
export function render(v: HValue, opts: RenderOptions = {}): string {
  const out: string[] = [];
  renderInto(out, v, 0, true, [], opts);
  if (v.t === 'object') out.push('\n');
  return out.join('');
}

/** The value as Java's `unwrapped().toString()` prints it (mn-conf doc's "Default value"). */
export function unwrappedText(v: HValue): string {
  switch (v.t) {
    case 'string':
      return v.v;
    case 'number':
      return v.text;
    case 'boolean':
      return String(v.v);
    case 'null':
      return 'null';
    case 'list':
      return `[${v.items.map(unwrappedText).join(', ')}]`;
    case 'object':
      return `{${[...v.fields].map(([k, x]) => `${k}=${unwrappedText(x)}`).join(', ')}}`;
    default:
      return render(v).trim();
  }
}

/** Plain JavaScript form of a resolved value (strings, numbers, booleans, null, arrays, objects). */
export function toPlain(v: HValue): unknown {
  switch (v.t) {
    case 'object':
      return Object.fromEntries([...v.fields].map(([k, x]) => [k, toPlain(x)]));
    case 'list':
      return v.items.map(toPlain);
    case 'string':
    case 'number':
    case 'boolean':
      return v.v;
    case 'null':
      return null;
    default:
      throw new HoconError('unresolved value');
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions (Typesafe's getDuration / getBytes / getBoolean / getInt ...)

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  nanos: 1e-6,
  nanoseconds: 1e-6,
  us: 1e-3,
  micros: 1e-3,
  microseconds: 1e-3,
  ms: 1,
  millis: 1,
  milliseconds: 1,
  s: 1000,
  seconds: 1000,
  m: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  days: 86_400_000,
};

function splitUnit(s: string): { n: string; unit: string } | undefined {
  const m = /^\s*([+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(s);
  if (!m) return undefined;
  return { n: m[1], unit: m[2] };
}

/** Milliseconds of a duration value: a number is milliseconds, a string `<n> <unit>` (`30s`, `1d`, `1000 ms`). */
export function toDurationMs(v: HValue): number {
  if (v.t === 'number') return v.v;
  if (v.t !== 'string') throw new HoconError(`expected a duration, got ${describeType(v)}`);
  const parts = splitUnit(v.v);
  if (!parts) throw new HoconError(`'${v.v}' is not a duration (a number and a unit: ns, us, ms, s, m, h, d)`);
  let unit = parts.unit;
  if (unit === '') unit = 'ms';
  else if (!(unit in DURATION_UNITS) && !unit.endsWith('s')) unit = `${unit}s`;
  const factor = DURATION_UNITS[unit];
  if (factor === undefined) throw new HoconError(`'${v.v}': unknown time unit '${parts.unit}' (ns, us, ms, s, m, h, d)`);
  return Number(parts.n) * factor;
}

const SIZE_UNITS: Record<string, number> = (() => {
  const t: Record<string, number> = { '': 1, B: 1, b: 1, byte: 1, bytes: 1 };
  const names = [
    ['K', 'kilo', 'kibi'],
    ['M', 'mega', 'mebi'],
    ['G', 'giga', 'gibi'],
    ['T', 'tera', 'tebi'],
    ['P', 'peta', 'pebi'],
    ['E', 'exa', 'exbi'],
    ['Z', 'zetta', 'zebi'],
    ['Y', 'yotta', 'yobi'],
  ] as const;
  names.forEach(([letter, si, iec], i) => {
    const pow2 = 1024 ** (i + 1);
    const pow10 = 1000 ** (i + 1);
    t[letter] = pow2;
    t[letter.toLowerCase()] = pow2;
    t[`${letter}i`] = pow2;
    t[`${letter}iB`] = pow2;
    t[`${iec}byte`] = pow2;
    t[`${iec}bytes`] = pow2;
    t[`${letter === 'K' ? 'k' : letter}B`] = pow10;
    t[`${si}byte`] = pow10;
    t[`${si}bytes`] = pow10;
  });
  return t;
})();

/** Bytes of a size value: a number is bytes, a string `<n> <unit>` (`4 MiB`, `512k`, `1 GB`). */
export function toBytes(v: HValue): number {
  if (v.t === 'number') return v.v;
  if (v.t !== 'string') throw new HoconError(`expected a size, got ${describeType(v)}`);
  const parts = splitUnit(v.v);
  const factor = parts ? SIZE_UNITS[parts.unit] : undefined;
  if (!parts || factor === undefined) throw new HoconError(`'${v.v}' is not a size in bytes (a number and a unit: B, K, KiB, kB, M, MiB, MB, G, ...)`);
  return Math.trunc(Number(parts.n) * factor);
}

/** Typesafe converts the strings true/yes/on and false/no/off. */
export function toBoolean(v: HValue): boolean {
  if (v.t === 'boolean') return v.v;
  if (v.t === 'string') {
    if (['true', 'yes', 'on'].includes(v.v)) return true;
    if (['false', 'no', 'off'].includes(v.v)) return false;
  }
  throw new HoconError(`expected a boolean (true or false), got ${describeType(v)}`);
}

/** A number, or a string that reads as one (Typesafe converts those). */
export function toNumber(v: HValue): number {
  if (v.t === 'number') return v.v;
  if (v.t === 'string' && v.v.trim() !== '' && Number.isFinite(Number(v.v))) return Number(v.v);
  throw new HoconError(`expected a number, got ${describeType(v)}`);
}

export function toInt(v: HValue): number {
  const n = Math.trunc(toNumber(v));
  if (n < -2147483648 || n > 2147483647) throw new HoconError(`${n} is out of range for an int`);
  return n;
}

/** A string; numbers and booleans convert to their text as in Typesafe. */
export function toStr(v: HValue): string {
  const s = scalarText(v);
  if (s === undefined || v.t === 'null') throw new HoconError(`expected a string, got ${describeType(v)}`);
  return s;
}

export function describeType(v: HValue): string {
  switch (v.t) {
    case 'object':
      return 'an object';
    case 'list':
      return 'a list';
    case 'string':
      return `the string ${renderJsonString(v.v)}`;
    case 'number':
      return `the number ${v.text}`;
    case 'boolean':
      return `the boolean ${v.v}`;
    case 'null':
      return 'null';
    default:
      return 'an unresolved value';
  }
}
