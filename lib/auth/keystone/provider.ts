/**
 * The Keystone auth provider (`org.midonet.cluster.auth.keystone.KeystoneService` and the legacy
 * `...keystone.v2_0.KeystoneService`; auth-https-deploy.md §1.4–§1.7): login with a password,
 * callers' tokens validated with the administrative credential and cached, Keystone roles mapped
 * onto MidoNet's, projects as tenants. Errors become AuthErrors carrying the HTTP status of the
 * REST path that asked:
 *
 * | call | refused | Keystone unreachable / 5xx | other Keystone error |
 * |---|---|---|---|
 * | authenticate (/login) | 401 Keystone's message | 401 "Connection to Keystone failed" | 401 |
 * | authorize (every request) | 401 | **503 + Retry-After** (the original: 401) unless cached | 401 |
 * | tenant(s) (/tenants) | 401 "Keystone credentials are not valid" | 503 + RetryAfter: 3 | 503 |
 */
import type { Logger } from '../../log/logger.js';
import { registerSecret } from '../../log/redact.js';
import { AuthError, Roles, type AuthProvider, type Identity, type Tenant, type Token } from '../provider.js';
import { TokenCache } from '../token-cache.js';
import { KeystoneV2, KeystoneV3, type KeystoneApi, type ValidatedToken } from './api.js';
import { KeystoneClient } from './client.js';
import type { KeystoneConfig } from './config.js';
import { KeystoneConfigError, KeystoneError, KeystoneUnauthorizedError, KeystoneUnavailableError } from './errors.js';
import { CONNECTION_FAILED, httpTransport, type KeystoneTransport } from './http.js';

export const KEYSTONE_PROVIDER_CLASS = 'org.midonet.cluster.auth.keystone.KeystoneService';
export const LEGACY_KEYSTONE_PROVIDER_CLASS = 'org.midonet.cluster.auth.keystone.v2_0.KeystoneService';

/** Seconds a client is asked to wait when Keystone is unavailable (the original's RetryAfter value). */
export const RETRY_AFTER_SECONDS = 3;

export interface KeystoneProviderOptions {
  config: KeystoneConfig;
  /** the configured class name (reported as the provider's name) */
  className?: string;
  log?: Logger;
  /** told about every token look-up: answered from the cache or not */
  onCacheLookup?: (hit: boolean) => void;
  /** replaces the HTTP transport (tests) */
  transport?: KeystoneTransport;
  /** replaces the identity API calls altogether (tests) */
  api?: KeystoneApi;
  now?: () => number;
}

/**
 * How long a validated token has left, on Keystone's clock when its answer says what that is
 * (the `Date` header: whole seconds, so one is taken off), else on this node's: a node whose
 * clock is behind Keystone's must not keep a token past its real expiry.
 */
export function remainingLife(v: Pick<ValidatedToken, 'expiresAt' | 'serverNow'>, localNow: number): number {
  if (v.expiresAt === null) return Infinity;
  return v.serverNow === null ? v.expiresAt - localNow : v.expiresAt - v.serverNow - 1000;
}

export class KeystoneAuthProvider implements AuthProvider {
  readonly name: string;
  readonly api: KeystoneApi;
  readonly client: KeystoneClient;
  /** identities by token hash, without the token itself */
  readonly cache: TokenCache<Omit<Identity, 'token'>>;
  /** Keystone calls made to validate callers' tokens (tests) */
  validations = 0;
  private readonly config: KeystoneConfig;
  private readonly log?: Logger;
  private readonly onCacheLookup?: (hit: boolean) => void;
  private readonly closeTransport?: () => void;
  private readonly now: () => number;
  private unreachable = false;

  constructor(opts: KeystoneProviderOptions) {
    const c = opts.config;
    this.config = c;
    this.name = opts.className ?? KEYSTONE_PROVIDER_CLASS;
    this.log = opts.log;
    this.onCacheLookup = opts.onCacheLookup;
    this.now = opts.now ?? Date.now;
    if (c.version !== 2 && c.version !== 3) {
      throw new KeystoneConfigError(`cluster.auth.keystone.version: unsupported Keystone version ${c.version} (2 or 3)`);
    }
    for (const secret of [c.userPassword, c.adminToken]) if (secret) registerSecret(secret);
    let transport = opts.transport;
    if (!transport) {
      const t = httpTransport({ connectTimeoutMs: c.connectTimeoutMs, readTimeoutMs: c.readTimeoutMs });
      this.closeTransport = () => t.close();
      transport = t;
    }
    const domain = c.domainId ? { id: c.domainId } : { name: c.domainName };
    this.api = opts.api ?? (c.version === 2 ? new KeystoneV2(c.baseUrl, transport) : new KeystoneV3(c.baseUrl, transport, domain));
    this.client = new KeystoneClient(
      this.api,
      { adminToken: c.adminToken, tenantName: c.tenantName, userName: c.userName, userPassword: c.userPassword },
      this.log,
      this.now,
    );
    this.cache = new TokenCache<Omit<Identity, 'token'>>(c.cacheSize, this.now);
  }

  close(): void {
    this.closeTransport?.();
  }

  /** Keystone's reachability changed: one log line per change, not one per request. */
  private reachability(ok: boolean, e?: KeystoneUnavailableError): void {
    if (!ok && !this.unreachable) this.log?.warn(`Keystone is unavailable: ${e?.message ?? ''}`, { url: this.config.baseUrl });
    if (ok && this.unreachable) this.log?.info('Keystone is reachable again', { url: this.config.baseUrl });
    this.unreachable = !ok;
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    try {
      const out = await f();
      this.reachability(true);
      return out;
    } catch (e) {
      if (e instanceof KeystoneUnavailableError) this.reachability(false, e);
      else if (e instanceof KeystoneError && e.status !== undefined) this.reachability(true);
      throw e;
    }
  }

  async authenticate(user: string, password: string, project: string | null): Promise<Token> {
    const scope = project?.trim() ? project.trim() : this.config.tenantName;
    if (!scope) throw new AuthError('Project missing');
    try {
      const t = await this.call(() => this.api.passwordAuth({ user, password, project: scope }));
      return { key: t.id, expires: t.expiresAt === null ? null : new Date(t.expiresAt) };
    } catch (e) {
      if (e instanceof KeystoneUnavailableError) throw new AuthError(e.status === undefined ? CONNECTION_FAILED : e.message);
      if (e instanceof KeystoneError) throw new AuthError(e.message);
      throw e;
    }
  }

  /** Keystone role names (lower-cased) → MidoNet roles, through the three configured role names. */
  mapRoles(keystoneRoles: string[]): string[] {
    const out = new Set<string>();
    const { adminRole, tenantAdminRole, tenantUserRole } = this.config;
    for (const raw of keystoneRoles) {
      const r = raw.toLowerCase();
      if (adminRole && r === adminRole) out.add(Roles.admin);
      if (tenantAdminRole && r === tenantAdminRole) out.add(Roles.tenantAdmin);
      if (tenantUserRole && r === tenantUserRole) out.add(Roles.tenantUser);
    }
    return [...out];
  }

  private identityOf(v: ValidatedToken): Omit<Identity, 'token'> {
    return { tenantId: v.projectId, tenantName: v.projectName, userId: v.userId, roles: this.mapRoles(v.roles) };
  }

  async authorize(token: string | null): Promise<Identity> {
    if (token === null || token.trim() === '') throw new AuthError('No token was passed in.');
    try {
      const { value, hit } = await this.cache.getOrLoad(token, async () => {
        this.validations++;
        const v = await this.call(() => this.client.validate(token));
        return { value: this.identityOf(v), ttlMs: Math.min(this.config.cacheTtlMs, remainingLife(v, this.now())) };
      });
      this.onCacheLookup?.(hit);
      return { ...value, roles: [...value.roles], token };
    } catch (e) {
      if (e instanceof KeystoneUnavailableError) {
        throw new AuthError(e.status === undefined ? CONNECTION_FAILED : e.message, 503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      }
      if (e instanceof KeystoneConfigError || e instanceof KeystoneUnauthorizedError || e instanceof KeystoneError) {
        throw new AuthError(e.message);
      }
      throw e;
    }
  }

  private async projectCall<T>(callerToken: string | null, f: (token: string) => Promise<T>): Promise<T> {
    if (!callerToken) throw new AuthError('Keystone credentials are not valid');
    try {
      return await this.call(() => f(callerToken));
    } catch (e) {
      if (e instanceof KeystoneUnavailableError) {
        throw new AuthError('Keystone identity service is not available', 503, {
          RetryAfter: String(RETRY_AFTER_SECONDS),
          'Retry-After': String(RETRY_AFTER_SECONDS),
        });
      }
      if (e instanceof KeystoneUnauthorizedError) throw new AuthError('Keystone credentials are not valid');
      if (e instanceof KeystoneError) throw new AuthError(`Keystone identity service returned an error: ${e.message}`, 503);
      throw e;
    }
  }

  tenant(callerToken: string | null, id: string): Promise<Tenant> {
    return this.projectCall(callerToken, (t) => this.api.project(t, id));
  }

  tenants(callerToken: string | null, marker?: string, limit?: number): Promise<Tenant[]> {
    return this.projectCall(callerToken, (t) => this.api.projects(t, marker, limit));
  }
}
