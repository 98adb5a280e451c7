/**
 * What can go wrong talking to Keystone (auth-https-deploy.md §1.4). The provider turns these
 * into AuthErrors with the HTTP status each REST path needs; nothing here carries a token.
 */

/** Keystone answered, but not with what was asked (e.g. a 403 on a project, a malformed body). */
export class KeystoneError extends Error {
  override name = 'KeystoneError';
  constructor(
    message: string,
    /** Keystone's HTTP status, when it answered */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Credentials (password, caller token, or the admin token) refused. */
export class KeystoneUnauthorizedError extends KeystoneError {
  override name = 'KeystoneUnauthorizedError';
  constructor(
    message: string,
    status?: number,
    /** true when Keystone refused the *administrative* token (401 on a validation): renew and retry */
    readonly adminTokenRejected = false,
  ) {
    super(message, status);
  }
}

/** Keystone could not be reached: refused, reset, DNS, timeout, or a 5xx from it or its proxy. */
export class KeystoneUnavailableError extends KeystoneError {
  override name = 'KeystoneUnavailableError';
}

/** The node's Keystone settings cannot work (no admin credentials, ...). */
export class KeystoneConfigError extends KeystoneError {
  override name = 'KeystoneConfigError';
}

/**
 * Keystone's error body the way the original embeds it in messages: the parsed JSON printed as a
 * Java map (`{error={code=401, message=..., title=Unauthorized}}`), insertion order kept.
 */
export function javaMapText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(javaMapText).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${javaMapText(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}
