/**
 * A test double of one Cassandra node for the real `cassandra-driver`: the CQL native protocol v4
 * (framing, STARTUP/READY, OPTIONS/SUPPORTED, REGISTER and EVENT, QUERY, PREPARE/EXECUTE with
 * bound values, RESULT Void/Rows/SetKeyspace/Prepared, ERROR) on loopback.
 *
 * It is not a Cassandra. It parses no CQL: a statement is known by its text (whitespace
 * collapsed) and answered by a handler over rows held in memory. It knows the system queries the
 * driver's control connection sends (`system.local`, `system.peers`, the schema tables) and
 * answers them as a single node of Cassandra 3.11 would (`system_schema.*`), or of a 2.x release
 * (`system.schema_keyspaces` only; 2.2 is what the original deployed). Any other statement is an
 * Invalid error naming it, so a reader that sends a statement other than the one a fixture
 * expects fails loudly. What it checks of a request: the protocol version (4; others get the
 * protocol error that makes the driver negotiate down), STARTUP before anything else, the frame
 * opcode and flags (no compression, tracing or custom payload), the number of bound values and
 * that each decodes as its marker's type (a timeuuid must be a version-1 UUID, a LIMIT must be
 * positive, no null or unset value in a condition or key), that a statement's keyspace exists
 * (and was USEd, for a statement naming its table alone), and that an EXECUTE names a statement
 * prepared on this node (else Unprepared, as Cassandra). Result paging follows the request's page
 * size. Consistency levels are read and ignored.
 *
 * `flowTracing()` below holds the tables of the agents' flow tracing (keyspace
 * MidonetFlowTracing; schema and statements of the original's FlowTracingSchema) and answers the
 * reads of lib/cassandra over them with Cassandra's semantics for those statements (partition by
 * trace request, clustering order of the timeuuid columns, minTimeuuid/maxTimeuuid bounds,
 * ORDER BY and LIMIT), and the agents' two inserts (after USE, as the agents send them).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, isIPv4, type Server, type Socket } from 'node:net';

// ---- values and types ----------------------------------------------------------------------

export type CqlType =
  | 'ascii'
  | 'bigint'
  | 'blob'
  | 'boolean'
  | 'double'
  | 'int'
  | 'timestamp'
  | 'uuid'
  | 'varchar'
  | 'timeuuid'
  | 'inet'
  | { list: CqlType }
  | { set: CqlType }
  | { map: [CqlType, CqlType] };

/**
 * Values as handlers see and give them: uuid/timeuuid/varchar/ascii/inet as strings, int and
 * double as numbers, bigint as bigint, timestamp as Date, blob as Buffer, list/set as arrays, map
 * as an array of [key, value] pairs; null for a null cell.
 */
export type CqlValue = null | string | number | bigint | boolean | Date | Buffer | CqlValue[] | Array<[CqlValue, CqlValue]>;

export type Row = Record<string, CqlValue | undefined>;

export interface Column {
  name: string;
  type: CqlType;
  /** a marker that may be bound to null or left unset (a regular column of an INSERT); others may not */
  nullable?: boolean;
}

const TYPE_IDS: Record<Exclude<CqlType, object>, number> = {
  ascii: 0x0001,
  bigint: 0x0002,
  blob: 0x0003,
  boolean: 0x0004,
  double: 0x0007,
  int: 0x0009,
  timestamp: 0x000b,
  uuid: 0x000c,
  varchar: 0x000d,
  timeuuid: 0x000f,
  inet: 0x0010,
};

/** The name system_schema.columns gives a type (`varchar` is shown as `text` there). */
function typeName(t: CqlType): string {
  if (typeof t === 'string') return t === 'varchar' ? 'text' : t;
  if ('list' in t) return `list<${typeName(t.list)}>`;
  if ('set' in t) return `set<${typeName(t.set)}>`;
  return `map<${typeName(t.map[0])}, ${typeName(t.map[1])}>`;
}

// ---- errors ------------------------------------------------------------------------------------

/** Error codes of the protocol (native_protocol_v4.spec §9). */
export const ErrorCode = {
  server: 0x0000,
  protocol: 0x000a,
  unavailable: 0x1000,
  overloaded: 0x1001,
  readTimeout: 0x1200,
  syntax: 0x2000,
  invalid: 0x2200,
  unprepared: 0x2500,
} as const;

/** An ERROR frame a handler (or the server) answers with. `extra` is the code's additional body. */
export class CqlError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Buffer = Buffer.alloc(0),
  ) {
    super(message);
  }

  static invalid(message: string): CqlError {
    return new CqlError(ErrorCode.invalid, message);
  }

  /** Not enough replicas alive for the consistency level (the coordinator knows before asking). */
  static unavailable(consistency: number, required: number, alive: number): CqlError {
    const w = new Writer();
    w.short(consistency).int(required).int(alive);
    return new CqlError(ErrorCode.unavailable, 'Cannot achieve consistency level', w.buffer());
  }

  /** The replicas did not answer a read in time. */
  static readTimeout(consistency: number, received: number, blockFor: number): CqlError {
    const w = new Writer();
    w.short(consistency).int(received).int(blockFor).byte(0);
    return new CqlError(ErrorCode.readTimeout, 'Operation timed out - received only 0 responses.', w.buffer());
  }
}

// ---- wire encoding -----------------------------------------------------------------------------

class Writer {
  private readonly parts: Buffer[] = [];

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  byte(v: number): this {
    return this.raw(Buffer.from([v & 0xff]));
  }
  short(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.raw(b);
  }
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.raw(b);
  }
  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.short(b.length).raw(b);
  }
  shortBytes(b: Buffer): this {
    return this.short(b.length).raw(b);
  }
  bytes(b: Buffer | null): this {
    return b === null ? this.int(-1) : this.int(b.length).raw(b);
  }
  stringList(l: readonly string[]): this {
    this.short(l.length);
    for (const s of l) this.string(s);
    return this;
  }
  type(t: CqlType): this {
    if (typeof t === 'string') return this.short(TYPE_IDS[t]);
    if ('list' in t) return this.short(0x0020).type(t.list);
    if ('set' in t) return this.short(0x0022).type(t.set);
    return this.short(0x0021).type(t.map[0]).type(t.map[1]);
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private off = 0;
  constructor(private readonly b: Buffer) {}

  private need(n: number): void {
    if (this.off + n > this.b.length) throw new CqlError(ErrorCode.protocol, 'Not enough bytes to read the message body');
  }
  byte(): number {
    this.need(1);
    return this.b.readUInt8(this.off++);
  }
  short(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  int(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  take(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  string(): string {
    return this.take(this.short()).toString('utf8');
  }
  longString(): string {
    return this.take(this.int()).toString('utf8');
  }
  shortBytes(): Buffer {
    return this.take(this.short());
  }
  /** [bytes]: null for a null value (-1), 'unset' for an unset one (-2, protocol v4). */
  bytes(): Buffer | null | 'unset' {
    const n = this.int();
    if (n === -1) return null;
    if (n === -2) return 'unset';
    if (n < 0) throw new CqlError(ErrorCode.protocol, `Invalid value length ${n}`);
    return this.take(n);
  }
  stringMap(): Map<string, string> {
    const m = new Map<string, string>();
    for (let n = this.short(); n > 0; n--) m.set(this.string(), this.string());
    return m;
  }
  stringList(): string[] {
    const l: string[] = [];
    for (let n = this.short(); n > 0; n--) l.push(this.string());
    return l;
  }
}

function uuidBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a UUID: ${s}`);
  return Buffer.from(hex, 'hex');
}

function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function encodeValue(t: CqlType, v: CqlValue | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof t === 'object') {
    const items: Array<[CqlValue, CqlValue] | CqlValue> = v as Array<[CqlValue, CqlValue] | CqlValue>;
    const w = new Writer().int(items.length);
    for (const item of items) {
      if ('map' in t) {
        const [k, val] = item as [CqlValue, CqlValue];
        w.bytes(encodeValue(t.map[0], k)).bytes(encodeValue(t.map[1], val));
      } else {
        w.bytes(encodeValue('list' in t ? t.list : t.set, item));
      }
    }
    return w.buffer();
  }
  const b8 = (): Buffer => Buffer.alloc(8);
  switch (t) {
    case 'ascii':
    case 'varchar':
      return Buffer.from(String(v), 'utf8');
    case 'uuid':
    case 'timeuuid':
      return uuidBytes(String(v));
    case 'int': {
      const b = Buffer.alloc(4);
      b.writeInt32BE(Number(v));
      return b;
    }
    case 'bigint': {
      const b = b8();
      b.writeBigInt64BE(BigInt(v as number | bigint));
      return b;
    }
    case 'double': {
      const b = b8();
      b.writeDoubleBE(Number(v));
      return b;
    }
    case 'boolean':
      return Buffer.from([v ? 1 : 0]);
    case 'timestamp': {
      const b = b8();
      b.writeBigInt64BE(BigInt(v instanceof Date ? v.getTime() : Number(v)));
      return b;
    }
    case 'blob':
      return Buffer.from(v as Buffer);
    case 'inet': {
      const s = String(v);
      if (!isIPv4(s)) throw new Error(`cql-server encodes IPv4 addresses only: ${s}`);
      return Buffer.from(s.split('.').map(Number));
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a bound value as Cassandra validates it for its marker's type. */
function decodeValue(col: Column, b: Buffer): CqlValue {
  const bad = (what: string): CqlError => CqlError.invalid(`Invalid ${what} for ${col.name} of type ${typeName(col.type)}`);
  switch (col.type) {
    case 'uuid':
    case 'timeuuid':
      if (b.length !== 16) throw bad(`UUID of ${b.length} bytes`);
      if (col.type === 'timeuuid' && b[6] >> 4 !== 1) throw CqlError.invalid(`Unsupported UUID version (${b[6] >> 4}) for ${col.name} of type timeuuid`);
      return uuidString(b);
    case 'int':
      if (b.length !== 4) throw bad(`int of ${b.length} bytes`);
      return b.readInt32BE();
    case 'bigint':
      if (b.length !== 8) throw bad(`bigint of ${b.length} bytes`);
      return b.readBigInt64BE();
    case 'timestamp':
      if (b.length !== 8) throw bad(`timestamp of ${b.length} bytes`);
      return new Date(Number(b.readBigInt64BE()));
    case 'varchar':
    case 'ascii':
      try {
        return UTF8.decode(b);
      } catch {
        throw bad('UTF-8 string');
      }
    case 'boolean':
      if (b.length !== 1) throw bad(`boolean of ${b.length} bytes`);
      return b[0] !== 0;
    default:
      throw CqlError.invalid(`cql-server does not decode bound values of type ${typeName(col.type)}`);
  }
}

// ---- timeuuid ----------------------------------------------------------------------------------

/** 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch. */
const UUID_EPOCH_OFFSET = 122_192_928_000_000_000n;

/** The 60-bit timestamp of a version-1 UUID, in 100-ns intervals since the UUID epoch. */
export function timeuuidTicks(u: string): bigint {
  const b = uuidBytes(u);
  const low = BigInt(b.readUInt32BE(0));
  const mid = BigInt(b.readUInt16BE(4));
  const high = BigInt(b.readUInt16BE(6) & 0x0fff);
  return (high << 48n) | (mid << 32n) | low;
}

/** Milliseconds since the Unix epoch of a version-1 UUID. */
export function timeuuidMillis(u: string): number {
  return Number((timeuuidTicks(u) - UUID_EPOCH_OFFSET) / 10_000n);
}

interface TimeuuidKey {
  ticks: bigint;
  /** clock sequence and node, compared as signed bytes (Cassandra's TimeUUIDType) */
  lsb: Buffer;
}

function timeuuidKey(u: string): TimeuuidKey {
  return { ticks: timeuuidTicks(u), lsb: uuidBytes(u).subarray(8) };
}

let lastNowTicks = 0n;

/** CQL's now(): a version-1 UUID of the current time, unique and increasing within this process. */
export function nowTimeuuid(): string {
  let ticks = BigInt(Date.now()) * 10_000n + UUID_EPOCH_OFFSET;
  if (ticks <= lastNowTicks) ticks = lastNowTicks + 1n;
  lastNowTicks = ticks;
  const b = Buffer.alloc(16);
  b.writeUInt32BE(Number(ticks & 0xffffffffn), 0);
  b.writeUInt16BE(Number((ticks >> 32n) & 0xffffn), 4);
  b.writeUInt16BE(Number((ticks >> 48n) & 0x0fffn) | 0x1000, 6);
  randomBytes(8).copy(b, 8);
  b[8] = (b[8] & 0x3f) | 0x80;
  return uuidString(b);
}

/** minTimeuuid(t) / maxTimeuuid(t): the smallest / largest timeuuid of millisecond t. */
function boundKey(ms: number, max: boolean): TimeuuidKey {
  const ticks = BigInt(ms) * 10_000n + UUID_EPOCH_OFFSET + (max ? 9_999n : 0n);
  return { ticks, lsb: Buffer.alloc(8, max ? 0x7f : 0x80) };
}

function compareTimeuuid(a: TimeuuidKey, b: TimeuuidKey): number {
  if (a.ticks !== b.ticks) return a.ticks < b.ticks ? -1 : 1;
  for (let i = 0; i < 8; i++) {
    const x = a.lsb.readInt8(i);
    const y = b.lsb.readInt8(i);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ---- statements and schema -------------------------------------------------------------------

export interface StatementContext {
  consistency: number;
}

export interface StatementDef {
  /** the keyspace and table of the statement: named in result metadata; the statement fails as Cassandra does while the keyspace does not exist */
  keyspace: string;
  table: string;
  /** the bind markers in order */
  params?: Column[];
  /** indexes of the markers that bind the partition key (sent in PREPARED metadata) */
  partitionKey?: number[];
  /** the statement names its table without the keyspace: the connection must have USEd it */
  unqualified?: boolean;
  /** the result columns; none: a Void result */
  columns?: Column[];
  /** `undefined` in `values`: an unset value (a nullable marker left alone) */
  run(values: Array<CqlValue | undefined>, ctx: StatementContext): Row[];
}

export type ColumnKind = 'partition_key' | 'clustering' | 'regular';

export interface TableDef {
  name: string;
  columns: Array<Column & { kind: ColumnKind; order?: 'asc' | 'desc' }>;
}

export interface KeyspaceDef {
  name: string;
  replication: Record<string, string>;
  tables?: TableDef[];
}

/** What a set of fixture tables gives the server. */
export interface Fixture {
  keyspace: KeyspaceDef;
  statements: Record<string, StatementDef>;
}

/** The key of a statement's text: whitespace runs collapsed, trailing `;` dropped. */
export function statementKey(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\s*;$/, '');
}

// ---- the server --------------------------------------------------------------------------------

const Opcode = {
  error: 0x00,
  startup: 0x01,
  ready: 0x02,
  options: 0x05,
  supported: 0x06,
  query: 0x07,
  result: 0x08,
  prepare: 0x09,
  execute: 0x0a,
  register: 0x0b,
  event: 0x0c,
} as const;

const OPCODE_NAMES = new Map<number, string>(Object.entries(Opcode).map(([k, v]) => [v, k.toUpperCase()]));

const VERSION = 4;
const MAX_FRAME_BODY = 256 * 1024 * 1024;
const EVENT_TYPES = new Set(['TOPOLOGY_CHANGE', 'STATUS_CHANGE', 'SCHEMA_CHANGE']);

const SYSTEM_KEYSPACES: KeyspaceDef[] = [
  { name: 'system', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' } },
  { name: 'system_schema', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' } },
  { name: 'system_auth', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' } },
  { name: 'system_distributed', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' } },
  { name: 'system_traces', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '2' } },
];

export interface CqlServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (a free port) */
  port?: number;
  clusterName?: string;
  dataCenter?: string;
  /** the Cassandra release the node claims, which decides its schema tables: '3.11.4' (default) or a 2.x such as '2.2.8' */
  releaseVersion?: string;
  fixtures?: Fixture[];
  /** create the fixtures' keyspaces at start (default true); false: they appear on createKeyspace() */
  createKeyspaces?: boolean;
}

/** One request the server answered, for tests that assert what the driver sent. */
export interface RequestRecord {
  op: string;
  /** a frame of another protocol version, refused (the driver then negotiates down to 4) */
  refusedVersion?: number;
  /** the statement text (QUERY, PREPARE, EXECUTE) */
  query?: string;
}

interface Prepared {
  key: string;
  def: StatementDef | SystemStatement;
}

/** A system query: no markers, rows computed from the node's state. */
interface SystemStatement {
  keyspace: string;
  table: string;
  columns: Column[];
  rows(): Row[];
}

interface Conn {
  socket: Socket;
  started: boolean;
  events: Set<string>;
  buf: Buffer;
  /** set by USE */
  keyspace?: string;
}

export class CqlServer {
  readonly host: string;
  private portNumber: number;
  private server?: Server;
  private readonly conns = new Set<Conn>();
  private readonly prepared = new Map<string, Prepared>();
  private readonly statements = new Map<string, StatementDef>();
  private readonly userKeyspaces = new Map<string, KeyspaceDef>();
  private readonly pendingKeyspaces = new Map<string, KeyspaceDef>();
  private readonly hostId = randomUUID();
  private schemaVersion = randomUUID();
  private failure?: CqlError;
  /** every request answered, in order */
  readonly requests: RequestRecord[] = [];
  /** TCP connections accepted */
  connectionsAccepted = 0;

  private constructor(private readonly opts: CqlServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.portNumber = opts.port ?? 0;
    for (const f of opts.fixtures ?? []) {
      for (const [text, def] of Object.entries(f.statements)) this.statements.set(statementKey(text), def);
      if (opts.createKeyspaces === false) this.pendingKeyspaces.set(f.keyspace.name, f.keyspace);
      else this.userKeyspaces.set(f.keyspace.name, f.keyspace);
    }
  }

  static async start(opts: CqlServerOptions = {}): Promise<CqlServer> {
    const s = new CqlServer(opts);
    await s.listen();
    return s;
  }

  get port(): number {
    return this.portNumber;
  }

  /** `host:port`, as `cassandra.servers` takes it */
  get address(): string {
    return `${this.host}:${this.portNumber}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens again on the same port after stop() (a node coming back; its prepared statements are gone). */
  async restart(): Promise<void> {
    if (!this.server) await this.listen();
  }

  /** Closes the listening socket and every connection (a node going down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    this.prepared.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /**
   * Creates a fixture keyspace held back by `createKeyspaces: false` (as the first agent that
   * connects does) and pushes SCHEMA_CHANGE events to the connections that registered for them.
   */
  createKeyspace(name: string): void {
    const ks = this.pendingKeyspaces.get(name);
    if (!ks) throw new Error(`cql-server: no pending keyspace ${name}`);
    this.pendingKeyspaces.delete(name);
    this.userKeyspaces.set(name, ks);
    this.schemaVersion = randomUUID();
    this.pushEvent('SCHEMA_CHANGE', new Writer().string('SCHEMA_CHANGE').string('CREATED').string('KEYSPACE').string(name).buffer());
    for (const t of ks.tables ?? []) {
      this.pushEvent('SCHEMA_CHANGE', new Writer().string('SCHEMA_CHANGE').string('CREATED').string('TABLE').string(name).string(t.name).buffer());
    }
  }

  /** Drops every prepared statement (as a node that evicted them): the next EXECUTE of each is answered Unprepared. */
  forgetPrepared(): void {
    this.prepared.clear();
  }

  /** While set, every fixture statement (not the system queries) answers with this error. */
  failStatements(err: CqlError | undefined): void {
    this.failure = err;
  }

  /** How many requests of this kind (and statement text, if given) were answered. */
  count(op: string, query?: string): number {
    const key = query === undefined ? undefined : statementKey(query);
    return this.requests.filter((r) => r.op === op && (key === undefined || r.query === key)).length;
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (typeof addr === 'object' && addr) this.portNumber = addr.port;
    this.server = server;
  }

  private accept(socket: Socket): void {
    this.connectionsAccepted++;
    const conn: Conn = { socket, started: false, events: new Set(), buf: Buffer.alloc(0) };
    this.conns.add(conn);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(conn, d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.conns.delete(conn));
  }

  private onData(conn: Conn, data: Buffer): void {
    conn.buf = conn.buf.length ? Buffer.concat([conn.buf, data]) : data;
    while (conn.buf.length >= 9 && !conn.socket.destroyed) {
      const version = conn.buf[0];
      const flags = conn.buf[1];
      const stream = conn.buf.readInt16BE(2);
      const opcode = conn.buf[4];
      const length = conn.buf.readUInt32BE(5);
      if (length > MAX_FRAME_BODY) {
        this.send(
          conn,
          stream,
          Opcode.error,
          errorBody(new CqlError(ErrorCode.protocol, `Request is too big: length ${length} exceeds maximum allowed length ${MAX_FRAME_BODY}`)),
        );
        conn.socket.end();
        return;
      }
      if (conn.buf.length < 9 + length) return;
      const body = conn.buf.subarray(9, 9 + length);
      conn.buf = conn.buf.subarray(9 + length);
      if (version !== VERSION) {
        this.requests.push({ op: OPCODE_NAMES.get(opcode) ?? `0x${opcode.toString(16)}`, refusedVersion: version });
        // Answered in the highest version this node speaks: the driver retries with it.
        const supported = `Invalid or unsupported protocol version (${version & 0x7f}); the lowest supported version is ${VERSION} and the greatest is ${VERSION}`;
        this.send(conn, stream, Opcode.error, errorBody(new CqlError(ErrorCode.protocol, supported)));
        conn.socket.end();
        return;
      }
      try {
        this.handle(conn, flags, stream, opcode, body);
      } catch (e) {
        const err = e instanceof CqlError ? e : new CqlError(ErrorCode.server, (e as Error).message);
        this.send(conn, stream, Opcode.error, errorBody(err));
      }
    }
  }

  private send(conn: Conn, stream: number, opcode: number, body: Buffer): void {
    const header = Buffer.alloc(9);
    header[0] = 0x80 | VERSION;
    header[1] = 0;
    header.writeInt16BE(stream, 2);
    header[4] = opcode;
    header.writeUInt32BE(body.length, 5);
    if (!conn.socket.destroyed) conn.socket.write(Buffer.concat([header, body]));
  }

  private pushEvent(type: string, body: Buffer): void {
    for (const c of this.conns) if (c.events.has(type)) this.send(c, -1, Opcode.event, body);
  }

  private handle(conn: Conn, flags: number, stream: number, opcode: number, body: Buffer): void {
    const name = OPCODE_NAMES.get(opcode) ?? `0x${opcode.toString(16)}`;
    if (flags & 0x01) throw new CqlError(ErrorCode.protocol, 'Compression was not negotiated (this server supports none)');
    if (flags & ~0x01)
      throw new CqlError(ErrorCode.protocol, `Frame flags 0x${flags.toString(16)} are not supported by this test server (tracing, custom payload)`);
    const r = new Reader(body);
    if (opcode === Opcode.options) {
      this.requests.push({ op: name });
      const w = new Writer().short(3);
      w.string('CQL_VERSION').stringList(['3.4.4']);
      w.string('COMPRESSION').stringList([]);
      w.string('PROTOCOL_VERSIONS').stringList(['4/v4']);
      this.send(conn, stream, Opcode.supported, w.buffer());
      return;
    }
    if (opcode === Opcode.startup) {
      this.requests.push({ op: name });
      const options = r.stringMap();
      if (!options.has('CQL_VERSION')) throw new CqlError(ErrorCode.protocol, 'Missing value CQL_VERSION in STARTUP message');
      const compression = options.get('COMPRESSION');
      if (compression) throw new CqlError(ErrorCode.protocol, `Unknown compression algorithm: ${compression}`);
      conn.started = true;
      this.send(conn, stream, Opcode.ready, Buffer.alloc(0));
      return;
    }
    if (!conn.started) throw new CqlError(ErrorCode.protocol, `Unexpected message ${name}, expecting STARTUP or OPTIONS`);
    switch (opcode) {
      case Opcode.register: {
        this.requests.push({ op: name });
        const types = r.stringList();
        for (const t of types) {
          if (!EVENT_TYPES.has(t)) throw new CqlError(ErrorCode.protocol, `Invalid value '${t}' for Type`);
          conn.events.add(t);
        }
        this.send(conn, stream, Opcode.ready, Buffer.alloc(0));
        return;
      }
      case Opcode.query: {
        const text = r.longString();
        const key = statementKey(text);
        this.requests.push({ op: name, query: key });
        const use = /^USE\s+("?)([A-Za-z0-9_]+)\1$/i.exec(key);
        if (use) {
          const ks = use[1] ? use[2] : use[2].toLowerCase();
          if (!this.keyspaceExists(ks)) throw CqlError.invalid(`Keyspace '${ks}' does not exist`);
          conn.keyspace = ks;
          this.send(conn, stream, Opcode.result, new Writer().int(0x0003).string(ks).buffer());
          return;
        }
        this.send(conn, stream, Opcode.result, this.run(this.lookup(conn, key), r));
        return;
      }
      case Opcode.prepare: {
        const key = statementKey(r.longString());
        this.requests.push({ op: name, query: key });
        const def = this.lookup(conn, key);
        const id = createHash('md5').update(key).digest();
        this.prepared.set(id.toString('hex'), { key, def });
        const w = new Writer().int(0x0004).shortBytes(id);
        const params = 'params' in def ? (def.params ?? []) : [];
        const pk = 'params' in def ? (def.partitionKey ?? []) : [];
        w.int(params.length ? 0x0001 : 0)
          .int(params.length)
          .int(pk.length);
        for (const i of pk) w.short(i);
        if (params.length) {
          w.string(def.keyspace).string(def.table);
          for (const p of params) w.string(p.name).type(p.type);
        }
        writeResultMetadata(w, def, false, null);
        this.send(conn, stream, Opcode.result, w.buffer());
        return;
      }
      case Opcode.execute: {
        const id = r.shortBytes();
        const p = this.prepared.get(id.toString('hex'));
        this.requests.push({ op: name, query: p?.key });
        if (!p) {
          throw new CqlError(ErrorCode.unprepared, `Prepared query with ID ${id.toString('hex')} not found`, new Writer().shortBytes(id).buffer());
        }
        this.send(conn, stream, Opcode.result, this.run(p.def, r));
        return;
      }
      default:
        this.requests.push({ op: name });
        throw new CqlError(ErrorCode.protocol, `Unknown or unsupported opcode ${name}`);
    }
  }

  private keyspaceExists(name: string): boolean {
    return this.keyspaces().some((k) => k.name === name);
  }

  private lookup(conn: Conn, key: string): StatementDef | SystemStatement {
    const sys = this.systemStatement(key);
    if (sys) return sys;
    const def = this.statements.get(key);
    if (!def) throw CqlError.invalid(`cql-server: no fixture answers this statement: ${key}`);
    if (def.unqualified && conn.keyspace !== def.keyspace) {
      throw CqlError.invalid(
        conn.keyspace ? `unconfigured table ${def.table}` : 'No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename',
      );
    }
    if (!this.keyspaceExists(def.keyspace)) throw CqlError.invalid(`Keyspace ${def.keyspace} does not exist`);
    return def;
  }

  /** Runs a statement with the query parameters that follow in `r` and gives the RESULT body. */
  private run(def: StatementDef | SystemStatement, r: Reader): Buffer {
    const consistency = r.short();
    const flags = r.byte();
    const values: Array<Buffer | null | 'unset'> = [];
    if (flags & 0x40) throw new CqlError(ErrorCode.protocol, 'Named values are not supported by this test server');
    if (flags & 0x01) for (let n = r.short(); n > 0; n--) values.push(r.bytes());
    const pageSize = flags & 0x04 ? r.int() : -1;
    const pagingState = flags & 0x08 ? r.bytes() : null;
    if (flags & 0x10) r.short();
    if (flags & 0x20) r.take(8);
    const skipMetadata = (flags & 0x02) !== 0;

    let rows: Row[];
    if ('rows' in def) {
      if (values.length) throw CqlError.invalid(`Invalid amount of bind variables: expected 0, got ${values.length}`);
      rows = def.rows();
    } else {
      if (this.failure) throw this.failure;
      if (!this.keyspaceExists(def.keyspace)) throw CqlError.invalid(`Keyspace ${def.keyspace} does not exist`);
      const params = def.params ?? [];
      if (values.length !== params.length) throw CqlError.invalid(`Invalid amount of bind variables: expected ${params.length}, got ${values.length}`);
      const decoded = values.map((v, i) => {
        const col = params[i];
        if (v === null || v === 'unset') {
          if (col.nullable) return v === null ? null : undefined;
          throw CqlError.invalid(v === null ? `Invalid null value in condition for column ${col.name}` : `Invalid unset value for column ${col.name}`);
        }
        return decodeValue(col, v);
      });
      rows = def.run(decoded, { consistency });
    }
    if (!def.columns || def.columns.length === 0) return new Writer().int(0x0001).buffer();

    let start = 0;
    if (pagingState instanceof Buffer) {
      if (pagingState.length !== 4) throw new CqlError(ErrorCode.protocol, 'Invalid paging state');
      start = pagingState.readInt32BE();
    }
    const end = pageSize > 0 ? Math.min(rows.length, start + pageSize) : rows.length;
    const next = end < rows.length ? new Writer().int(end).buffer() : null;
    const w = new Writer().int(0x0002);
    writeResultMetadata(w, def, skipMetadata, next);
    w.int(end - start);
    for (const row of rows.slice(start, end)) for (const c of def.columns) w.bytes(encodeValue(c.type, row[c.name]));
    return w.buffer();
  }

  // ---- the system tables a single node shows ------------------------------------------------

  private systemStatement(key: string): SystemStatement | undefined {
    const local = (columns: Column[]): SystemStatement => ({ keyspace: 'system', table: 'local', columns, rows: () => [this.localRow()] });
    if (/^SELECT \* FROM system\.local WHERE key ?= ?'local'$/i.test(key)) return local(LOCAL_COLUMNS);
    if (/^SELECT schema_version FROM system\.local( WHERE key ?= ?'local')?$/i.test(key)) return local([{ name: 'schema_version', type: 'uuid' }]);
    if (/^SELECT \* FROM system\.peers$/i.test(key)) return { keyspace: 'system', table: 'peers', columns: PEERS_COLUMNS, rows: () => [] };
    if (/^SELECT schema_version FROM system\.peers$/i.test(key))
      return { keyspace: 'system', table: 'peers', columns: [{ name: 'schema_version', type: 'uuid' }], rows: () => [] };
    if (this.legacySchema) return this.legacySystemStatement(key);
    if (/^SELECT \* FROM system_schema\.keyspaces$/i.test(key)) {
      return { keyspace: 'system_schema', table: 'keyspaces', columns: KEYSPACE_COLUMNS, rows: () => this.keyspaces().map(keyspaceRow) };
    }
    let m = /^SELECT \* FROM system_schema\.keyspaces WHERE keyspace_name ?= ?'([^']*)'$/i.exec(key);
    if (m) {
      const name = m[1];
      return {
        keyspace: 'system_schema',
        table: 'keyspaces',
        columns: KEYSPACE_COLUMNS,
        rows: () =>
          this.keyspaces()
            .filter((k) => k.name === name)
            .map(keyspaceRow),
      };
    }
    m = /^SELECT \* FROM system_schema\.(tables|columns|indexes|views) WHERE keyspace_name ?= ?'([^']*)' AND (?:table_name|view_name) ?= ?'([^']*)'$/i.exec(
      key,
    );
    if (m) {
      const [, what, ks, table] = m;
      const def = this.userKeyspaces.get(ks)?.tables?.find((t) => t.name === table);
      const found = def && what === 'tables' ? [tableRow(ks, def)] : [];
      if (what === 'columns') return { keyspace: 'system_schema', table: 'columns', columns: COLUMN_COLUMNS, rows: () => (def ? columnRows(ks, def) : []) };
      if (what === 'tables') return { keyspace: 'system_schema', table: 'tables', columns: TABLE_COLUMNS, rows: () => found };
      // no secondary indexes, no materialized views
      return { keyspace: 'system_schema', table: what.toLowerCase(), columns: [{ name: 'keyspace_name', type: 'varchar' }], rows: () => [] };
    }
    return undefined;
  }

  private get legacySchema(): boolean {
    return (this.opts.releaseVersion ?? '').startsWith('2.');
  }

  /** Cassandra 2.x keeps keyspaces in system.schema_keyspaces, the strategy options as JSON. */
  private legacySystemStatement(key: string): SystemStatement | undefined {
    const m = /^SELECT \* FROM system\.schema_keyspaces(?: WHERE keyspace_name ?= ?'([^']*)')?$/i.exec(key);
    if (!m) return undefined;
    const name = m[1];
    return {
      keyspace: 'system',
      table: 'schema_keyspaces',
      columns: LEGACY_KEYSPACE_COLUMNS,
      rows: () =>
        this.keyspaces()
          .filter((k) => name === undefined || k.name === name)
          .map((k) => {
            const { class: strategy, ...options } = k.replication;
            return { keyspace_name: k.name, durable_writes: true, strategy_class: strategy, strategy_options: JSON.stringify(options) };
          }),
    };
  }

  private keyspaces(): KeyspaceDef[] {
    const system = this.legacySchema ? SYSTEM_KEYSPACES.filter((k) => k.name !== 'system_schema') : SYSTEM_KEYSPACES;
    return [...system, ...this.userKeyspaces.values()];
  }

  private localRow(): Row {
    return {
      key: 'local',
      bootstrapped: 'COMPLETED',
      broadcast_address: this.host,
      cluster_name: this.opts.clusterName ?? 'Test Cluster',
      cql_version: '3.4.4',
      data_center: this.opts.dataCenter ?? 'datacenter1',
      host_id: this.hostId,
      listen_address: this.host,
      native_protocol_version: String(VERSION),
      partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
      rack: 'rack1',
      release_version: this.opts.releaseVersion ?? '3.11.4',
      rpc_address: this.host,
      schema_version: this.schemaVersion,
      tokens: ['-9223372036854775808'],
    };
  }
}

function errorBody(e: CqlError): Buffer {
  return new Writer().int(e.code).string(e.message).raw(e.extra).buffer();
}

function writeResultMetadata(w: Writer, def: { keyspace: string; table: string; columns?: Column[] }, skip: boolean, pagingState: Buffer | null): void {
  const columns = def.columns ?? [];
  if (columns.length === 0) {
    w.int(0x0004).int(0);
    return;
  }
  let flags = pagingState ? 0x0002 : 0;
  flags |= skip ? 0x0004 : 0x0001;
  w.int(flags).int(columns.length);
  if (pagingState) w.bytes(pagingState);
  if (skip) return;
  w.string(def.keyspace).string(def.table);
  for (const c of columns) w.string(c.name).type(c.type);
}

const LOCAL_COLUMNS: Column[] = [
  { name: 'key', type: 'varchar' },
  { name: 'bootstrapped', type: 'varchar' },
  { name: 'broadcast_address', type: 'inet' },
  { name: 'cluster_name', type: 'varchar' },
  { name: 'cql_version', type: 'varchar' },
  { name: 'data_center', type: 'varchar' },
  { name: 'host_id', type: 'uuid' },
  { name: 'listen_address', type: 'inet' },
  { name: 'native_protocol_version', type: 'varchar' },
  { name: 'partitioner', type: 'varchar' },
  { name: 'rack', type: 'varchar' },
  { name: 'release_version', type: 'varchar' },
  { name: 'rpc_address', type: 'inet' },
  { name: 'schema_version', type: 'uuid' },
  { name: 'tokens', type: { set: 'varchar' } },
];

const PEERS_COLUMNS: Column[] = [
  { name: 'peer', type: 'inet' },
  { name: 'data_center', type: 'varchar' },
  { name: 'host_id', type: 'uuid' },
  { name: 'preferred_ip', type: 'inet' },
  { name: 'rack', type: 'varchar' },
  { name: 'release_version', type: 'varchar' },
  { name: 'rpc_address', type: 'inet' },
  { name: 'schema_version', type: 'uuid' },
  { name: 'tokens', type: { set: 'varchar' } },
];

const KEYSPACE_COLUMNS: Column[] = [
  { name: 'keyspace_name', type: 'varchar' },
  { name: 'durable_writes', type: 'boolean' },
  { name: 'replication', type: { map: ['varchar', 'varchar'] } },
];

const LEGACY_KEYSPACE_COLUMNS: Column[] = [
  { name: 'keyspace_name', type: 'varchar' },
  { name: 'durable_writes', type: 'boolean' },
  { name: 'strategy_class', type: 'varchar' },
  { name: 'strategy_options', type: 'varchar' },
];

function keyspaceRow(k: KeyspaceDef): Row {
  return { keyspace_name: k.name, durable_writes: true, replication: Object.entries(k.replication) };
}

const TABLE_COLUMNS: Column[] = [
  { name: 'keyspace_name', type: 'varchar' },
  { name: 'table_name', type: 'varchar' },
  { name: 'bloom_filter_fp_chance', type: 'double' },
  { name: 'caching', type: { map: ['varchar', 'varchar'] } },
  { name: 'comment', type: 'varchar' },
  { name: 'compaction', type: { map: ['varchar', 'varchar'] } },
  { name: 'compression', type: { map: ['varchar', 'varchar'] } },
  { name: 'crc_check_chance', type: 'double' },
  { name: 'dclocal_read_repair_chance', type: 'double' },
  { name: 'default_time_to_live', type: 'int' },
  { name: 'extensions', type: { map: ['varchar', 'blob'] } },
  { name: 'flags', type: { set: 'varchar' } },
  { name: 'gc_grace_seconds', type: 'int' },
  { name: 'id', type: 'uuid' },
  { name: 'max_index_interval', type: 'int' },
  { name: 'memtable_flush_period_in_ms', type: 'int' },
  { name: 'min_index_interval', type: 'int' },
  { name: 'read_repair_chance', type: 'double' },
  { name: 'speculative_retry', type: 'varchar' },
];

/** A table's row with Cassandra 3.11's defaults for what CREATE TABLE does not say. */
function tableRow(ks: string, t: TableDef): Row {
  return {
    keyspace_name: ks,
    table_name: t.name,
    bloom_filter_fp_chance: 0.01,
    caching: [
      ['keys', 'ALL'],
      ['rows_per_partition', 'NONE'],
    ],
    comment: '',
    compaction: [
      ['class', 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy'],
      ['max_threshold', '32'],
      ['min_threshold', '4'],
    ],
    compression: [
      ['chunk_length_in_kb', '64'],
      ['class', 'org.apache.cassandra.io.compress.LZ4Compressor'],
    ],
    crc_check_chance: 1,
    dclocal_read_repair_chance: 0.1,
    default_time_to_live: 0,
    extensions: [],
    flags: ['compound'],
    gc_grace_seconds: 864000,
    id: uuidString(createHash('md5').update(`${ks}.${t.name}`).digest()),
    max_index_interval: 2048,
    memtable_flush_period_in_ms: 0,
    min_index_interval: 128,
    read_repair_chance: 0,
    speculative_retry: '99PERCENTILE',
  };
}

const COLUMN_COLUMNS: Column[] = [
  { name: 'keyspace_name', type: 'varchar' },
  { name: 'table_name', type: 'varchar' },
  { name: 'column_name', type: 'varchar' },
  { name: 'clustering_order', type: 'varchar' },
  { name: 'column_name_bytes', type: 'blob' },
  { name: 'kind', type: 'varchar' },
  { name: 'position', type: 'int' },
  { name: 'type', type: 'varchar' },
];

function columnRows(ks: string, t: TableDef): Row[] {
  const position = new Map<ColumnKind, number>();
  return t.columns.map((c) => {
    const pos = c.kind === 'regular' ? -1 : (position.get(c.kind) ?? 0);
    if (c.kind !== 'regular') position.set(c.kind, pos + 1);
    return {
      keyspace_name: ks,
      table_name: t.name,
      column_name: c.name,
      clustering_order: c.kind === 'clustering' ? (c.order ?? 'asc') : 'none',
      column_name_bytes: Buffer.from(c.name, 'utf8'),
      kind: c.kind,
      position: pos,
      type: typeName(c.type),
    };
  });
}

// ---- the agents' flow tracing tables ---------------------------------------------------------

/** A row of MidonetFlowTracing.flows, as an agent writes it (one per flow and trace request). */
export interface FlowRow {
  traceRequestId: string;
  /** a version-1 UUID made by the agent when it started tracing the flow */
  flowTraceId: string;
  ethSrc?: string | null;
  ethDst?: string | null;
  etherType?: number | null;
  networkSrc?: string | null;
  networkDst?: string | null;
  networkProto?: number | null;
  srcPort?: number | null;
  dstPort?: number | null;
}

/** A row of MidonetFlowTracing.flow_events: one log message of the simulation on one host. */
export interface FlowEventRow {
  traceRequestId: string;
  flowTraceId: string;
  /** the version-1 UUID `now()` gave on the Cassandra node when the agent inserted the event */
  time: string;
  host: string | null;
  data: string | null;
}

export const FLOW_TRACING_KEYSPACE = 'midonetflowtracing';

/** The flow-tracing tables as the agents create them (unquoted names: Cassandra folds them to lower case). */
function flowTracingKeyspace(replicationFactor: number): KeyspaceDef {
  return {
    name: FLOW_TRACING_KEYSPACE,
    replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: String(replicationFactor) },
    tables: [
      {
        name: 'flow_events',
        columns: [
          { name: 'tracerequestid', type: 'uuid', kind: 'partition_key' },
          { name: 'flowtraceid', type: 'uuid', kind: 'partition_key' },
          { name: 'time', type: 'timeuuid', kind: 'clustering', order: 'desc' },
          { name: 'data', type: 'varchar', kind: 'regular' },
          { name: 'host', type: 'uuid', kind: 'regular' },
        ],
      },
      {
        name: 'flows',
        columns: [
          { name: 'tracerequestid', type: 'uuid', kind: 'partition_key' },
          { name: 'flowtraceid', type: 'timeuuid', kind: 'clustering', order: 'desc' },
          { name: 'dstport', type: 'int', kind: 'regular' },
          { name: 'ethdst', type: 'varchar', kind: 'regular' },
          { name: 'ethsrc', type: 'varchar', kind: 'regular' },
          { name: 'ethertype', type: 'int', kind: 'regular' },
          { name: 'networkdst', type: 'varchar', kind: 'regular' },
          { name: 'networkproto', type: 'int', kind: 'regular' },
          { name: 'networksrc', type: 'varchar', kind: 'regular' },
          { name: 'srcport', type: 'int', kind: 'regular' },
        ],
      },
    ],
  };
}

const FLOW_COLUMNS: Column[] = [
  { name: 'tracerequestid', type: 'uuid' },
  { name: 'flowtraceid', type: 'timeuuid' },
  { name: 'ethsrc', type: 'varchar' },
  { name: 'ethdst', type: 'varchar' },
  { name: 'ethertype', type: 'int' },
  { name: 'networksrc', type: 'varchar' },
  { name: 'networkdst', type: 'varchar' },
  { name: 'networkproto', type: 'int' },
  { name: 'srcport', type: 'int' },
  { name: 'dstport', type: 'int' },
];

const EVENT_COLUMNS: Column[] = [
  { name: 'time', type: 'timeuuid' },
  { name: 'host', type: 'uuid' },
  { name: 'data', type: 'varchar' },
];

// The selects of the original's FlowTracingSchema, with the table names qualified by the keyspace
// (written out here, not imported from lib/cassandra, so that a reader sending anything else fails).
const FLOW_SELECT =
  'SELECT traceRequestId, flowTraceId, ethSrc, ethDst, etherType, networkSrc, networkDst, networkProto, srcPort, dstPort FROM MidonetFlowTracing.flows';
const FLOWS_IN_WINDOW = `${FLOW_SELECT} WHERE traceRequestId = ? AND flowTraceId >= minTimeuuid(?) AND flowTraceId < maxTimeuuid(?)`;
const EVENTS_IN_WINDOW =
  'SELECT time, host, data FROM MidonetFlowTracing.flow_events WHERE traceRequestId = ? AND flowTraceId = ? AND time >= minTimeuuid(?) AND time < maxTimeuuid(?)';

// The agents' writes, as they send them (after USE MidonetFlowTracing).
const FLOW_INSERT =
  'INSERT INTO flows (traceRequestId, flowTraceId, ethSrc, ethDst, etherType, networkSrc, networkDst, networkProto, srcPort, dstPort) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const EVENT_INSERT = 'INSERT INTO flow_events (traceRequestId, flowTraceId, time, host, data) VALUES(?,?, now(), ?, ?)';

export interface FlowTracingFixture extends Fixture {
  flows: FlowRow[];
  events: FlowEventRow[];
}

/**
 * The flow-tracing keyspace and its statements over `flows` and `events` (arrays the test may
 * change at any time: every request reads them afresh): the reads of lib/cassandra (and the
 * original's other orderings), and the agents' two inserts, an upsert of the flow row and an
 * event stamped with now().
 */
export function flowTracing(opts: { flows?: FlowRow[]; events?: FlowEventRow[]; replicationFactor?: number } = {}): FlowTracingFixture {
  const flows = opts.flows ?? [];
  const events = opts.events ?? [];
  const ks = FLOW_TRACING_KEYSPACE;
  const limitOf = (v: CqlValue): number => {
    const n = Number(v);
    if (n <= 0) throw CqlError.invalid('LIMIT must be strictly positive');
    return n;
  };
  const inWindow = (id: string, from: CqlValue, to: CqlValue): boolean => {
    const k = timeuuidKey(id);
    return compareTimeuuid(k, boundKey((from as Date).getTime(), false)) >= 0 && compareTimeuuid(k, boundKey((to as Date).getTime(), true)) < 0;
  };
  const byTimeuuid = (a: string, b: string): number => compareTimeuuid(timeuuidKey(a), timeuuidKey(b));
  const flowRow = (f: FlowRow): Row => ({
    tracerequestid: f.traceRequestId,
    flowtraceid: f.flowTraceId,
    ethsrc: f.ethSrc ?? null,
    ethdst: f.ethDst ?? null,
    ethertype: f.etherType ?? null,
    networksrc: f.networkSrc ?? null,
    networkdst: f.networkDst ?? null,
    networkproto: f.networkProto ?? null,
    srcport: f.srcPort ?? null,
    dstport: f.dstPort ?? null,
  });
  const upsertFlow = (v: Array<CqlValue | undefined>): Row[] => {
    const [traceRequestId, flowTraceId, ...rest] = v as [string, string, ...Array<CqlValue | undefined>];
    let row = flows.find((f) => f.traceRequestId === traceRequestId && f.flowTraceId === flowTraceId);
    if (!row) flows.push((row = { traceRequestId, flowTraceId }));
    const fields = ['ethSrc', 'ethDst', 'etherType', 'networkSrc', 'networkDst', 'networkProto', 'srcPort', 'dstPort'] as const;
    // an unset value leaves the column as it was
    fields.forEach((f, i) => {
      if (rest[i] !== undefined) Object.assign(row, { [f]: rest[i] });
    });
    return [];
  };
  const windowParams = (first: Column[]): Column[] => [
    ...first,
    { name: 'arg0', type: 'timestamp' },
    { name: 'arg0', type: 'timestamp' },
    { name: '[limit]', type: 'int' },
  ];
  const flowsOf = (values: Array<CqlValue | undefined>, asc: boolean): Row[] => {
    const [trace, from, to, limit] = values;
    const n = limitOf(limit!);
    // clustering order is flowTraceId DESC
    const sorted = flows
      .filter((f) => f.traceRequestId === trace && inWindow(f.flowTraceId, from!, to!))
      .sort((a, b) => byTimeuuid(b.flowTraceId, a.flowTraceId));
    if (asc) sorted.reverse();
    return sorted.slice(0, n).map(flowRow);
  };
  const eventsOf = (values: Array<CqlValue | undefined>, asc: boolean): Row[] => {
    const [trace, flow, from, to, limit] = values;
    const n = limitOf(limit!);
    // clustering order is time DESC
    const sorted = events
      .filter((e) => e.traceRequestId === trace && e.flowTraceId === flow && inWindow(e.time, from!, to!))
      .sort((a, b) => byTimeuuid(b.time, a.time));
    if (asc) sorted.reverse();
    return sorted.slice(0, n).map((e) => ({ time: e.time, host: e.host, data: e.data }));
  };
  const flowsStmt = (asc: boolean): StatementDef => ({
    keyspace: ks,
    table: 'flows',
    params: windowParams([{ name: 'tracerequestid', type: 'uuid' }]),
    partitionKey: [0],
    columns: FLOW_COLUMNS,
    run: (v) => flowsOf(v, asc),
  });
  const eventsStmt = (asc: boolean): StatementDef => ({
    keyspace: ks,
    table: 'flow_events',
    params: windowParams([
      { name: 'tracerequestid', type: 'uuid' },
      { name: 'flowtraceid', type: 'uuid' },
    ]),
    partitionKey: [0, 1],
    columns: EVENT_COLUMNS,
    run: (v) => eventsOf(v, asc),
  });
  return {
    flows,
    events,
    keyspace: flowTracingKeyspace(opts.replicationFactor ?? 1),
    statements: {
      [`${FLOWS_IN_WINDOW} LIMIT ?`]: flowsStmt(false),
      [`${FLOWS_IN_WINDOW} ORDER BY flowTraceId ASC LIMIT ?`]: flowsStmt(true),
      [`${FLOW_SELECT} WHERE traceRequestId = ? AND flowTraceId = ?`]: {
        keyspace: ks,
        table: 'flows',
        params: [
          { name: 'tracerequestid', type: 'uuid' },
          { name: 'flowtraceid', type: 'timeuuid' },
        ],
        partitionKey: [0],
        columns: FLOW_COLUMNS,
        run: ([trace, flow]) => flows.filter((f) => f.traceRequestId === trace && f.flowTraceId === flow).map(flowRow),
      },
      [`${EVENTS_IN_WINDOW} LIMIT ?`]: eventsStmt(false),
      [`${EVENTS_IN_WINDOW} ORDER BY time ASC LIMIT ?`]: eventsStmt(true),
      [FLOW_INSERT]: {
        keyspace: ks,
        table: 'flows',
        unqualified: true,
        params: FLOW_COLUMNS.map((c) => (c.name === 'tracerequestid' || c.name === 'flowtraceid' ? c : { ...c, nullable: true })),
        partitionKey: [0],
        run: upsertFlow,
      },
      [EVENT_INSERT]: {
        keyspace: ks,
        table: 'flow_events',
        unqualified: true,
        params: [
          { name: 'tracerequestid', type: 'uuid' },
          { name: 'flowtraceid', type: 'uuid' },
          { name: 'host', type: 'uuid', nullable: true },
          { name: 'data', type: 'varchar', nullable: true },
        ],
        partitionKey: [0, 1],
        run: ([traceRequestId, flowTraceId, host, data]) => {
          events.push({
            traceRequestId: traceRequestId as string,
            flowTraceId: flowTraceId as string,
            time: nowTimeuuid(),
            host: (host ?? null) as string | null,
            data: (data ?? null) as string | null,
          });
          return [];
        },
      },
    },
  };
}
