/**
 * HTTP errors of the REST API and the one place where storage and auth errors become HTTP
 * statuses (rest-api-core.md §3, storage.md §6). Bodies use the original's ErrorEntity shape
 * `{message, code}` (plus `violations` for validation errors) and the Error-v1 media type.
 */
import { AuthError } from '../auth/provider.js';
import {
  ConcurrentModificationError,
  NotFoundError,
  ObjectExistsError,
  ObjectReferencedError,
  ReferenceConflictError,
  RequestTooLargeError,
  ServiceUnavailableError,
  StorageNodeExistsError,
  StorageNodeNotFoundError,
  StorageUnavailableError,
} from '../nsdb/errors.js';
import { ZkError } from '../zk/errors.js';

/**
 * ZooKeeper error codes that mean "not now" (connection lost, session gone) rather than a
 * problem with the request: a raw ZkError with one of them (from code that reads ZooKeeper
 * directly, e.g. a host's alive key) is a 503 like StorageUnavailableError.
 */
const ZK_UNAVAILABLE = new Set(['CONNECTION_LOSS', 'SESSION_EXPIRED', 'OPERATION_TIMEOUT', 'SESSION_MOVED', 'REQUEST_TIMEOUT', 'THROTTLED_OP']);

export interface Violation {
  property: string;
  message: string;
}

export class HttpError extends Error {
  override name = 'HttpError';
  /** When true the response has no body (the original answers some 404/405/406/409 empty). */
  readonly emptyBody: boolean;
  readonly headers: Record<string, string>;
  readonly violations?: Violation[];
  /** message: null in the body (the original's admin-only 401). */
  readonly nullMessage: boolean;
  /** An error of no known kind (a defect, an unforeseen failure): `cause` holds it, for the log. */
  readonly unexpected: boolean;

  constructor(
    readonly status: number,
    message: string | null,
    opts: { emptyBody?: boolean; headers?: Record<string, string>; violations?: Violation[]; cause?: unknown; unexpected?: boolean } = {},
  ) {
    super(message ?? '', { cause: opts.cause });
    this.nullMessage = message === null;
    this.emptyBody = opts.emptyBody ?? false;
    this.headers = opts.headers ?? {};
    this.violations = opts.violations;
    this.unexpected = opts.unexpected ?? false;
  }

  body(): Record<string, unknown> | undefined {
    if (this.emptyBody) return undefined;
    const b: Record<string, unknown> = { message: this.nullMessage ? null : this.message, code: this.status };
    if (this.violations) b['violations'] = this.violations;
    return b;
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string | null = null, emptyBody = false): HttpError => new HttpError(404, message, { emptyBody });
export const conflict = (message: string, emptyBody = false): HttpError => new HttpError(409, message, { emptyBody });
export const methodNotAllowed = (allow: string[]): HttpError => new HttpError(405, null, { emptyBody: true, headers: { Allow: allow.join(', ') } });
export const notAcceptable = (): HttpError => new HttpError(406, null, { emptyBody: true });
export const unsupportedMediaType = (): HttpError => new HttpError(415, null, { emptyBody: true });

export function validationError(violations: Violation[]): HttpError {
  return new HttpError(400, 'Validation error(s) found', { violations });
}

/** The original's read timeout answer, header spelled `RetryAfter` as it does, plus the standard one. */
export function unavailable(message: string, retryAfterSeconds = 3): HttpError {
  const after = String(retryAfterSeconds);
  return new HttpError(503, message, { headers: { 'Retry-After': after, RetryAfter: after } });
}

/**
 * Maps any error thrown while serving a request to the HttpError the client sees. An error of no
 * known kind is a 500 whose message says nothing of it (its text may hold internals) but names
 * the request, so that an operator finds the details in the log.
 */
export function toHttpError(e: unknown, requestId?: string): HttpError {
  if (e instanceof HttpError) return e;
  // the auth provider's refusals keep its status (401, 503 when Keystone is away) and message
  if (e instanceof AuthError) return new HttpError(e.status, e.message, { headers: e.headers });
  if (e instanceof NotFoundError) return new HttpError(404, e.message);
  if (e instanceof ObjectExistsError) return new HttpError(409, e.message);
  if (e instanceof ObjectReferencedError) return new HttpError(409, e.message);
  if (e instanceof ReferenceConflictError) return new HttpError(409, e.message);
  if (e instanceof ConcurrentModificationError) return new HttpError(409, e.message);
  if (e instanceof StorageNodeExistsError) return new HttpError(409, 'Conflicting write');
  if (e instanceof StorageNodeNotFoundError) return new HttpError(404, 'Resource not found');
  // the store cannot hold the result (ZooKeeper's 1 MiB request limit): "Insufficient Storage"
  if (e instanceof RequestTooLargeError) return new HttpError(507, e.message);
  if (e instanceof StorageUnavailableError || e instanceof ServiceUnavailableError || (e instanceof ZkError && ZK_UNAVAILABLE.has(e.codeName))) {
    return unavailable('The NSDB is not available at the moment; retry later.');
  }
  const ref = requestId ? ` (request id ${requestId})` : '';
  return new HttpError(500, `Internal server error${ref}; the node's log has the details.`, { cause: e, unexpected: true });
}
