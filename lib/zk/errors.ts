/**
 * ZooKeeper errors as one class with the server's numeric code and a stable name to branch on.
 *
 * Names: the node-level results that storage code branches on (NONODE, NODEEXISTS, BADVERSION,
 * NOTEMPTY, RUNTIMEINCONSISTENCY, ...) use the spelling of Java's `KeeperException.Code`, which is
 * what the reference and storage.md talk about; connection/session conditions use underscores
 * (CONNECTION_LOSS, SESSION_EXPIRED, OPERATION_TIMEOUT, SESSION_MOVED), as the rest of the code
 * base already expects.
 */
import type { MultiOpResult } from './client.js';

/** Numeric codes as sent by the server (org.apache.zookeeper.KeeperException.Code). */
export const ZK_CODES = {
  OK: 0,
  SYSTEM_ERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTION_LOSS: -4,
  MARSHALLING_ERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATION_TIMEOUT: -7,
  BAD_ARGUMENTS: -8,
  UNKNOWN_SESSION: -12,
  NEW_CONFIG_NO_QUORUM: -13,
  RECONFIG_IN_PROGRESS: -14,
  API_ERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_CALLBACK: -113,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
  SESSION_MOVED: -118,
  NOT_READONLY: -119,
  EPHEMERAL_ON_LOCAL_SESSION: -120,
  NO_WATCHER: -121,
  REQUEST_TIMEOUT: -122,
  RECONFIG_DISABLED: -123,
  SESSION_CLOSED_REQUIRE_SASL_AUTH: -124,
  QUOTA_EXCEEDED: -125,
  THROTTLED_OP: -127,
} as const;

export type ZkCodeName = keyof typeof ZK_CODES;

const NAMES = new Map<number, string>(Object.entries(ZK_CODES).map(([name, code]) => [code, name]));

/** The name for a numeric code; unknown codes become `UNKNOWN(<code>)` rather than failing. */
export function zkCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(${code})`;
}

export class ZkError extends Error {
  override name = 'ZkError';
  readonly code: number;
  readonly codeName: string;
  readonly path?: string;

  constructor(code: number, path?: string, detail?: string, options?: { cause?: unknown }) {
    const codeName = zkCodeName(code);
    super(`ZooKeeper ${codeName} [${code}]${path ? ` @ ${path}` : ''}${detail ? `: ${detail}` : ''}`, options);
    this.code = code;
    this.codeName = codeName;
    if (path !== undefined) this.path = path;
  }
}

/**
 * A multi that the server refused. `opIndex` points at the op that actually failed: ZooKeeper
 * reports OK for the ops before it and RUNTIMEINCONSISTENCY for the ops after it, so it is the
 * first result with any other non-OK code. `code`/`codeName`/`path` are that op's.
 */
export class ZkMultiError extends ZkError {
  override name = 'ZkMultiError';
  readonly opIndex: number;
  readonly results: MultiOpResult[];

  constructor(results: MultiOpResult[]) {
    const opIndex = failedOpIndex(results);
    const failed = opIndex >= 0 ? results[opIndex] : undefined;
    const code = failed?.code ?? ZK_CODES.SYSTEM_ERROR;
    super(
      code,
      failed?.path,
      failed ? `multi op #${opIndex} (${failed.op}) of ${results.length} failed; nothing was applied` : 'multi failed without a failing op',
    );
    this.opIndex = opIndex;
    this.results = results;
  }
}

/** Index of the op that made a multi fail, or -1 if no result carries an error. */
export function failedOpIndex(results: readonly { code: number }[]): number {
  const real = results.findIndex((r) => r.code !== ZK_CODES.OK && r.code !== ZK_CODES.RUNTIMEINCONSISTENCY);
  if (real >= 0) return real;
  // Only reachable with a server that reports nothing but RUNTIMEINCONSISTENCY; blame the first.
  return results.findIndex((r) => r.code !== ZK_CODES.OK);
}

function hasCode(e: unknown, code: number): boolean {
  return e instanceof ZkError && e.code === code;
}

export function isNoNode(e: unknown): e is ZkError {
  return hasCode(e, ZK_CODES.NONODE);
}

export function isNodeExists(e: unknown): e is ZkError {
  return hasCode(e, ZK_CODES.NODEEXISTS);
}

export function isBadVersion(e: unknown): e is ZkError {
  return hasCode(e, ZK_CODES.BADVERSION);
}

export function isNotEmpty(e: unknown): e is ZkError {
  return hasCode(e, ZK_CODES.NOTEMPTY);
}

export function isConnectionLoss(e: unknown): e is ZkError {
  return hasCode(e, ZK_CODES.CONNECTION_LOSS);
}

export function isSessionExpired(e: unknown): e is ZkError {
  return hasCode(e, ZK_CODES.SESSION_EXPIRED);
}
