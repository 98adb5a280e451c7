/**
 * The storage exceptions of the original ZOOM layer (storage.md §6). Their messages are the
 * original's, because clients and operators grep for them. HTTP mapping lives in exactly one place:
 * lib/http/errors.ts.
 */
export class StorageError extends Error {
  override name = 'StorageError';
}

export class NotFoundError extends StorageError {
  override name = 'NotFoundError';
  constructor(
    readonly clazz: string,
    readonly id: string,
  ) {
    super(`There is no ${clazz} with ID ${id}.`);
  }
}

export class ObjectExistsError extends StorageError {
  override name = 'ObjectExistsError';
  constructor(
    readonly clazz: string,
    readonly id: string,
  ) {
    super(`A(n) ${clazz} with ID ${id} already exists.`);
  }
}

export class ObjectReferencedError extends StorageError {
  override name = 'ObjectReferencedError';
  constructor(
    readonly clazz: string,
    readonly id: string,
    readonly referencingClass: string,
    readonly referencingId: string,
  ) {
    // The original prints the referencing id in both slots (a bug); we print both ids correctly.
    super(`Cannot delete the ${clazz} with ID ${id} because it is still referenced by the ` + `${referencingClass} with ID ${referencingId}.`);
  }
}

export class ReferenceConflictError extends StorageError {
  override name = 'ReferenceConflictError';
  constructor(
    readonly clazz: string,
    readonly id: string,
    readonly field: string,
    readonly referencedClass: string,
    readonly referencedId: string,
  ) {
    super(
      `Operation failed because the ${clazz} with ID ${id} already references the ` +
        `${referencedClass} with ID ${referencedId} via the field ${field}. ` +
        `This field can accommodate only one reference.`,
    );
  }
}

/** Not a StorageError subclass, as in the original: it is the one error that is retried. */
export class ConcurrentModificationError extends Error {
  override name = 'ConcurrentModificationError';
  /**
   * @param key what conflicted, when known: `Class/id` of an object or the path of a node; the
   *   retries of `tryTransaction` queue up on it (lib/nsdb/storage.ts).
   */
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

/**
 * A transaction whose ZooKeeper request would exceed the server's packet limit (`jute.maxbuffer`,
 * 1 MiB by default). Sent anyway, ZooKeeper would drop the connection, failing every request in
 * flight on the session; refused before sending instead (docs/performance.md, the 1 MB limit).
 */
export class RequestTooLargeError extends StorageError {
  override name = 'RequestTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
    /** the largest object written, when the size is mostly one object, and its largest field */
    readonly largest?: { clazz: string; id: string; bytes: number; field?: TooLargeField },
  ) {
    super(
      (largest ? `The ${largest.clazz} with ID ${largest.id} would take ${largest.bytes} bytes in ZooKeeper: ` : '') +
        `the change is ${bytes} bytes, above ZooKeeper's limit of ${limit} bytes per request (jute.maxbuffer); ` +
        (largest ? cause(largest.field) : `split it into smaller changes.`),
    );
  }
}

/** The field of an object that takes the most bytes; `references`: how many ids it holds, when it is a list of them. */
export interface TooLargeField {
  name: string;
  bytes: number;
  references?: number;
}

function cause(field: TooLargeField | undefined): string {
  if (!field) return 'it is too large.';
  if (field.references !== undefined) return `it holds too many references (${field.references} in ${field.name}, ${field.bytes} bytes).`;
  return `its field ${field.name} takes ${field.bytes} bytes; make it smaller.`;
}

export class StorageNodeExistsError extends StorageError {
  override name = 'StorageNodeExistsError';
  constructor(readonly path: string) {
    super(`There is already a node at ${path}.`);
  }
}

export class StorageNodeNotFoundError extends StorageError {
  override name = 'StorageNodeNotFoundError';
  constructor(readonly path: string) {
    super(`There is no node at ${path}.`);
  }
}

export class ServiceUnavailableError extends StorageError {
  override name = 'ServiceUnavailableError';
  constructor(message = 'Data operation received before setup is complete') {
    super(message);
  }
}

/** ZooKeeper unreachable or the session is gone: the request may be retried later (HTTP 503). */
export class StorageUnavailableError extends StorageError {
  override name = 'StorageUnavailableError';
}

export class InternalStorageError extends StorageError {
  override name = 'InternalStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
