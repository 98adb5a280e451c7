/**
 * Typed errors of the Cassandra readers, and the mapping of the driver's errors onto them. The
 * REST layer answers NotConfigured and Unavailable with 503 and `Retry-After: retryAfterSeconds`;
 * a Failed error is a defect or a deployment mismatch (Cassandra refused a statement), not
 * something a retry cures.
 *
 * Messages are meant for API clients: they name no server address. The addresses and the
 * driver's own error are kept in `servers` and `cause`, for logs.
 */
import { errors as driverErrors } from 'cassandra-driver';

export type CassandraErrorKind = 'not_configured' | 'unavailable' | 'failed';

export abstract class CassandraError extends Error {
  abstract readonly kind: CassandraErrorKind;
  /** how long a client should wait before asking again */
  abstract readonly retryAfterSeconds: number;
  /** `cassandra.servers` as configured when the error happened */
  readonly servers: string;

  constructor(message: string, servers: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.servers = servers;
  }
}

/** `cassandra.servers` is empty or cannot be read: no read is attempted. */
export class CassandraNotConfiguredError extends CassandraError {
  override name = 'CassandraNotConfiguredError';
  readonly kind = 'not_configured';
  // a change of mn-conf is seen by the next request, so a client may as well come back soon
  readonly retryAfterSeconds = 30;
}

/** No Cassandra server answered, or not in time, or not enough replicas were up. */
export class CassandraUnavailableError extends CassandraError {
  override name = 'CassandraUnavailableError';
  readonly kind = 'unavailable';
  readonly retryAfterSeconds = 5;
}

/** Cassandra answered with an error that is not about availability (e.g. a schema that does not match the statements). */
export class CassandraFailedError extends CassandraError {
  override name = 'CassandraFailedError';
  readonly kind = 'failed';
  readonly retryAfterSeconds = 0;
}

/** Error codes of the native protocol that mean "not now" rather than "never". */
const TRANSIENT_CODES = new Set([
  0x1000, // Unavailable: not enough replicas alive
  0x1001, // Overloaded
  0x1002, // IsBootstrapping
  0x1100, // WriteTimeout
  0x1200, // ReadTimeout
  0x1300, // ReadFailure
]);

/** The typed error for anything a driver call threw. */
export function classifyCassandraError(e: unknown, servers: string): CassandraError {
  if (e instanceof CassandraError) return e;
  if (e instanceof driverErrors.ResponseError) {
    if (TRANSIENT_CODES.has(e.code)) return new CassandraUnavailableError(`Cassandra cannot serve the read now: ${e.message}`, servers, e);
    return new CassandraFailedError(`Cassandra refused the read: ${e.message}`, servers, e);
  }
  if (e instanceof driverErrors.NoHostAvailableError) return new CassandraUnavailableError('No Cassandra server could be reached', servers, e);
  if (e instanceof driverErrors.OperationTimedOutError) return new CassandraUnavailableError('Cassandra did not answer in time', servers, e);
  if (e instanceof driverErrors.BusyConnectionError) return new CassandraUnavailableError('Every connection to Cassandra is busy', servers, e);
  if (e instanceof driverErrors.AuthenticationError) return new CassandraFailedError('Cassandra refused to authenticate the connection', servers, e);
  if (e instanceof driverErrors.ArgumentError || e instanceof driverErrors.NotSupportedError || e instanceof driverErrors.DriverInternalError) {
    return new CassandraFailedError(`Reading from Cassandra failed: ${e.message}`, servers, e);
  }
  // Socket errors and the driver's own "Connection timeout" / "Client has been shut down" come as
  // DriverError or plain errors: the connection, not the statement, is at fault.
  if (e instanceof driverErrors.DriverError || hasSystemCode(e)) return new CassandraUnavailableError('The connection to Cassandra failed', servers, e);
  return new CassandraFailedError(`Reading from Cassandra failed: ${(e as Error)?.message ?? String(e)}`, servers, e);
}

function hasSystemCode(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string';
}
