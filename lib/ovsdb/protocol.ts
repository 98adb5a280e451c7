/**
 * RFC 7047 shapes: database operations (§5.2), their results, monitor requests and table updates
 * (§4.1.5-4.1.6), the schema (§3.2), and the errors the client raises.
 */
import type { OvsdbRow, OvsdbUuid, OvsdbValue } from './values.js';

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = [column: string, fn: ConditionFunction, value: OvsdbValue];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = [column: string, mutator: Mutator, value: OvsdbValue];

export interface InsertOp {
  op: 'insert';
  table: string;
  row: OvsdbRow;
  /** lets later operations of the same transaction refer to the new row as ["named-uuid", name] */
  'uuid-name'?: string;
}
export interface SelectOp {
  op: 'select';
  table: string;
  where: Condition[];
  columns?: string[];
}
export interface UpdateOp {
  op: 'update';
  table: string;
  where: Condition[];
  row: OvsdbRow;
}
export interface MutateOp {
  op: 'mutate';
  table: string;
  where: Condition[];
  mutations: Mutation[];
}
export interface DeleteOp {
  op: 'delete';
  table: string;
  where: Condition[];
}
export interface WaitOp {
  op: 'wait';
  table: string;
  where: Condition[];
  columns: string[];
  until: '==' | '!=';
  rows: OvsdbRow[];
  /** ms; 0 fails at once when the condition does not hold (no timeout: waits for ever) */
  timeout?: number;
}
export interface CommitOp {
  op: 'commit';
  durable: boolean;
}
export interface AbortOp {
  op: 'abort';
}
export interface CommentOp {
  op: 'comment';
  comment: string;
}
export interface AssertOp {
  op: 'assert';
  lock: string;
}
export type Operation = InsertOp | SelectOp | UpdateOp | MutateOp | DeleteOp | WaitOp | CommitOp | AbortOp | CommentOp | AssertOp;

/** One successful operation's result: insert → uuid, select → rows, update/mutate/delete → count. */
export interface OperationResult {
  uuid?: OvsdbUuid;
  rows?: OvsdbRow[];
  count?: number;
}

export interface MonitorSelect {
  initial?: boolean;
  insert?: boolean;
  delete?: boolean;
  modify?: boolean;
}
export interface MonitorRequest {
  /** all columns when absent */
  columns?: string[];
  select?: MonitorSelect;
}
export type MonitorRequests = Record<string, MonitorRequest | MonitorRequest[]>;

/**
 * A row's change: insert → new only; delete → old only (all monitored columns); modify → new with
 * every monitored column and old with only the columns that changed.
 */
export interface RowUpdate {
  old?: OvsdbRow;
  new?: OvsdbRow;
}
/** table → row uuid → change */
export type TableUpdates = Record<string, Record<string, RowUpdate>>;

export interface ColumnSchema {
  type: unknown;
  ephemeral?: boolean;
  mutable?: boolean;
}
export interface TableSchema {
  columns: Record<string, ColumnSchema>;
  maxRows?: number;
  isRoot?: boolean;
  indexes?: string[][];
}
export interface DatabaseSchema {
  name: string;
  version: string;
  cksum?: string;
  tables: Record<string, TableSchema>;
}

/** The `{error, details}` object of a failed request or operation. */
export interface OvsdbErrorBody {
  error: string;
  details?: string;
  syntax?: string;
}

export class OvsdbError extends Error {
  override name = 'OvsdbError';
}

/** The server answered a request with an error (the request itself, not one operation, failed). */
export class OvsdbRpcError extends OvsdbError {
  override name = 'OvsdbRpcError';
  constructor(
    readonly method: string,
    readonly body: OvsdbErrorBody,
  ) {
    super(`${method}: ${body.error}${body.details ? ` (${body.details})` : ''}`);
  }
}

/**
 * A transaction was not committed. `index` is the failing operation's position, or the number of
 * operations when every operation succeeded but the commit did not (referential integrity, a
 * constraint, an index clash: RFC 7047 §4.1.3's extra result).
 */
export class OvsdbTransactionError extends OvsdbError {
  override name = 'OvsdbTransactionError';
  constructor(
    readonly index: number,
    readonly operation: Operation | undefined,
    readonly body: OvsdbErrorBody,
  ) {
    super(
      `transaction failed at ${operation ? `operation ${index} (${operation.op}${'table' in operation ? ` ${operation.table}` : ''})` : 'commit'}: ${body.error}${body.details ? ` (${body.details})` : ''}`,
    );
  }
  /** The error kind RFC 7047 names (`constraint violation`, `referential integrity violation`, `timed out`, ...). */
  get kind(): string {
    return this.body.error;
  }
}

/** No answer within the request's time (the connection may still be fine). */
export class OvsdbTimeoutError extends OvsdbError {
  override name = 'OvsdbTimeoutError';
}

/**
 * The connection was lost while the request was in flight: the server may or may not have
 * carried it out (a transact may have committed).
 */
export class OvsdbDisconnectedError extends OvsdbError {
  override name = 'OvsdbDisconnectedError';
}

/** The client was closed, or gave up reconnecting. */
export class OvsdbClosedError extends OvsdbError {
  override name = 'OvsdbClosedError';
}

/** The peer sent something that is not OVSDB JSON-RPC. */
export class OvsdbProtocolError extends OvsdbError {
  override name = 'OvsdbProtocolError';
}

export function isErrorBody(v: unknown): v is OvsdbErrorBody {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { error?: unknown }).error === 'string';
}

/**
 * The operation results of a transact reply, or the OvsdbTransactionError it describes. A reply
 * that is not an array of objects is a protocol error.
 */
export function checkTransactResult(ops: readonly Operation[], result: unknown): OperationResult[] {
  if (!Array.isArray(result)) throw new OvsdbProtocolError(`transact: expected an array of results, got ${typeof result}`);
  for (let i = 0; i < result.length; i++) {
    const r: unknown = result[i];
    if (isErrorBody(r)) throw new OvsdbTransactionError(i, ops[i], r);
  }
  if (result.length < ops.length) {
    throw new OvsdbProtocolError(`transact: ${result.length} results for ${ops.length} operations and no error`);
  }
  for (const r of result) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new OvsdbProtocolError(`transact: malformed operation result ${JSON.stringify(r)}`);
  }
  return result as OperationResult[];
}
