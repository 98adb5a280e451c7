/**
 * The administrative credential used to validate callers' tokens (auth-https-deploy.md §1.4):
 *
 * - static mode (`admin_token` set): that token on every validation, never renewed, a 401 is not
 *   retried;
 * - password mode: a token obtained with `user_name` / `user_password` scoped to `tenant_name`,
 *   kept in memory and renewed before use once `now + 1 min + (server issue time − local issue
 *   time) ≥ expiry` (the original's guard, corrected for clock skew). One renewal at a time: the
 *   requests that need a token while it is being obtained wait for the same one. When a
 *   validation says the admin token is refused (401), it is dropped, a new one obtained, and the
 *   validation tried once more.
 */
import type { Logger } from '../../log/logger.js';
import type { KeystoneApi, ValidatedToken } from './api.js';
import { KeystoneConfigError, KeystoneUnauthorizedError } from './errors.js';

/** How long before its expiry the admin token is no longer used. */
export const TOKEN_EXPIRATION_GUARD_MS = 60_000;

interface AdminToken {
  id: string;
  serverIssuedAt: number;
  clientIssuedAt: number;
  expiresAt: number;
}

export const MISSING_ADMIN_CREDENTIALS = 'Keystone configuration must provide an administrative tenant, user name and password';

export interface AdminCredentials {
  adminToken: string;
  tenantName: string;
  userName: string;
  userPassword: string;
}

export class KeystoneClient {
  private current: AdminToken | null;
  private renewing: Promise<AdminToken> | null = null;
  private readonly staticToken: boolean;
  /** admin tokens obtained so far (tests, logs) */
  renewals = 0;

  constructor(
    readonly api: KeystoneApi,
    private readonly creds: AdminCredentials,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.staticToken = creds.adminToken !== '';
    this.current = this.staticToken ? { id: creds.adminToken, serverIssuedAt: 0, clientIssuedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER } : null;
  }

  get mode(): 'static' | 'password' {
    return this.staticToken ? 'static' : 'password';
  }

  private usable(t: AdminToken | null): t is AdminToken {
    if (!t) return false;
    if (this.staticToken) return true;
    return this.now() + TOKEN_EXPIRATION_GUARD_MS + (t.serverIssuedAt - t.clientIssuedAt) < t.expiresAt;
  }

  /** The admin token to use now, obtaining a new one if needed (single-flight). */
  async adminToken(): Promise<string> {
    if (this.usable(this.current)) return this.current.id;
    if (!this.renewing) {
      const { tenantName, userName, userPassword } = this.creds;
      if (!tenantName || !userName || !userPassword) throw new KeystoneConfigError(MISSING_ADMIN_CREDENTIALS);
      this.renewing = (async () => {
        const clientIssuedAt = this.now();
        const t = await this.api.passwordAuth({ user: userName, password: userPassword, project: tenantName });
        const token: AdminToken = {
          id: t.id,
          clientIssuedAt,
          serverIssuedAt: t.issuedAt ?? clientIssuedAt,
          expiresAt: t.expiresAt ?? Number.MAX_SAFE_INTEGER,
        };
        this.current = token;
        this.renewals++;
        this.log?.debug('obtained an administrative Keystone token', {
          user: userName,
          project: tenantName,
          expires: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
        });
        return token;
      })().finally(() => {
        this.renewing = null;
      });
    }
    return (await this.renewing).id;
  }

  /** Forgets the admin token if it is still `id` (a newer one may already be in place). */
  private drop(id: string): void {
    if (!this.staticToken && this.current?.id === id) this.current = null;
  }

  /** Validates a caller's token with the admin credential; renews and retries once on a 401. */
  async validate(callerToken: string): Promise<ValidatedToken> {
    const admin = await this.adminToken();
    try {
      return await this.api.validate(admin, callerToken);
    } catch (e) {
      if (!(e instanceof KeystoneUnauthorizedError) || !e.adminTokenRejected || this.staticToken) throw e;
      this.log?.info('Keystone refused the administrative token: obtaining a new one');
      this.drop(admin);
      return this.api.validate(await this.adminToken(), callerToken);
    }
  }
}
