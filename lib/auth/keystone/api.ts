/**
 * The Keystone identity API calls the provider makes, for v3 and v2.0 (auth-https-deploy.md
 * §1.4 "Keystone calls"). Each version maps Keystone's wire format onto the same small shapes;
 * the admin-token handling and the HTTP statuses of the REST API live in client.ts and
 * provider.ts. Only v3 exists in current Keystone; v2.0 is kept for the original's setting
 * `cluster.auth.keystone.version = 2` and tested against a fake (test/unit/keystone-v2.test.ts).
 */
import type { Tenant } from '../provider.js';
import { javaMapText, KeystoneError, KeystoneUnauthorizedError, KeystoneUnavailableError } from './errors.js';
import { header, type KeystoneResponse, type KeystoneTransport } from './http.js';

/** A token Keystone issued: id, and its server-side issue and expiry times (ms since epoch, null = none). */
export interface IssuedToken {
  id: string;
  issuedAt: number | null;
  expiresAt: number | null;
}

/** What validating a caller's token tells. */
export interface ValidatedToken {
  userId: string;
  userName: string;
  projectId: string;
  projectName: string;
  roles: string[];
  expiresAt: number | null;
  /** Keystone's clock when it answered (its `Date` header, whole seconds); null without one */
  serverNow: number | null;
}

/** The time a response's `Date` header gives; null when there is none or it does not parse. */
function serverDate(res: KeystoneResponse): number | null {
  const d = header(res.headers, 'date');
  const t = d === undefined ? NaN : Date.parse(d);
  return Number.isFinite(t) ? t : null;
}

export interface PasswordCredentials {
  user: string;
  password: string;
  /** project (v3) / tenant (v2) name */
  project: string;
}

export interface KeystoneApi {
  readonly version: 2 | 3;
  passwordAuth(c: PasswordCredentials): Promise<IssuedToken>;
  validate(adminToken: string, callerToken: string): Promise<ValidatedToken>;
  project(callerToken: string, id: string): Promise<Tenant>;
  projects(callerToken: string, marker?: string, limit?: number): Promise<Tenant[]>;
}

/**
 * Keystone timestamps: ISO-8601 with an offset, or without one (read as UTC), fractions of any
 * length; null/absent means "never expires". Anything else is an error, as in the original.
 */
export function parseTimestamp(raw: unknown): number | null {
  if (raw === null || raw === undefined) return null;
  const text = String(raw).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text);
  if (!m) throw new KeystoneError(`Unknown token timestamp format for ${text}`);
  const [, date, hm, sec = '00', frac = '', zone = 'Z'] = m;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  let z = zone.toUpperCase();
  if (z !== 'Z' && z.length === 3) z = `${z}:00`;
  else if (z !== 'Z' && !z.includes(':')) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  const t = Date.parse(`${date}T${hm}:${sec}.${ms}${z}`);
  if (Number.isNaN(t)) throw new KeystoneError(`Unknown token timestamp format for ${text}`);
  return t;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function tenantOf(v: unknown): Tenant {
  const o = obj(v);
  return { id: str(o['id']), name: str(o['name']), description: str(o['description']), enabled: o['enabled'] !== false };
}

function invalidCredentials(res: KeystoneResponse, adminTokenRejected = false): KeystoneUnauthorizedError {
  return new KeystoneUnauthorizedError(`Invalid Keystone credentials: ${javaMapText(res.body)}`, res.status, adminTokenRejected);
}

/** A 5xx is Keystone (or the proxy in front of it) being unwell: unavailable, not a refusal. */
function serverTrouble(res: KeystoneResponse): KeystoneUnavailableError | undefined {
  if (res.status < 500) return undefined;
  return new KeystoneUnavailableError(`Keystone identity service returned an error: HTTP ${res.status}`, res.status);
}

function join(base: string, ...segments: string[]): URL {
  return new URL(`${base.replace(/\/+$/, '')}/${segments.map(encodeURIComponent).join('/')}`);
}

/** Identity API v3. */
export class KeystoneV3 implements KeystoneApi {
  readonly version = 3 as const;
  constructor(
    private readonly base: string,
    private readonly send: KeystoneTransport,
    /** `{id}` when domain_id is set, else `{name}` (§1.4) */
    private readonly domain: { id: string } | { name: string },
  ) {}

  async passwordAuth(c: PasswordCredentials): Promise<IssuedToken> {
    const url = join(this.base, 'auth', 'tokens');
    url.searchParams.set('nocatalog', '');
    const res = await this.send({
      method: 'POST',
      url,
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: c.user, password: c.password, domain: this.domain } } },
          scope: { project: { name: c.project, domain: this.domain } },
        },
      },
    });
    const trouble = serverTrouble(res);
    if (trouble) throw trouble;
    if (res.status >= 300) throw invalidCredentials(res);
    const id = header(res.headers, 'x-subject-token');
    if (!id) throw new KeystoneError('Keystone issued no token (X-Subject-Token missing)', res.status);
    const token = obj(obj(res.body)['token']);
    return { id, issuedAt: parseTimestamp(token['issued_at']), expiresAt: parseTimestamp(token['expires_at']) };
  }

  async validate(adminToken: string, callerToken: string): Promise<ValidatedToken> {
    const url = join(this.base, 'auth', 'tokens');
    url.searchParams.set('nocatalog', '');
    const res = await this.send({ method: 'GET', url, headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': callerToken } });
    const trouble = serverTrouble(res);
    if (trouble) throw trouble;
    // 401: the admin token was refused (renew and retry once); 404 and others: the caller's token
    if (res.status >= 300) throw invalidCredentials(res, res.status === 401);
    const token = obj(obj(res.body)['token']);
    const user = obj(token['user']);
    const project = obj(token['project']);
    const roles = Array.isArray(token['roles']) ? token['roles'].map((r) => str(obj(r)['name'])) : [];
    return {
      userId: str(user['id']),
      userName: str(user['name']),
      projectId: str(project['id']),
      projectName: str(project['name']),
      roles,
      expiresAt: parseTimestamp(token['expires_at']),
      serverNow: serverDate(res),
    };
  }

  async project(callerToken: string, id: string): Promise<Tenant> {
    const res = await this.send({ method: 'GET', url: join(this.base, 'projects', id), headers: { 'X-Auth-Token': callerToken } });
    checkOther(res);
    return tenantOf(obj(res.body)['project']);
  }

  /** marker and limit are not passed on in v3 (no paging), as in the original. */
  async projects(callerToken: string): Promise<Tenant[]> {
    const res = await this.send({ method: 'GET', url: join(this.base, 'projects'), headers: { 'X-Auth-Token': callerToken } });
    checkOther(res);
    const list = obj(res.body)['projects'];
    return Array.isArray(list) ? list.map(tenantOf) : [];
  }
}

/** Non-token calls: 401 is a refusal, 5xx unavailability, anything else ≥ 300 an error. */
function checkOther(res: KeystoneResponse, what?: string): void {
  const trouble = serverTrouble(res);
  if (trouble) throw trouble;
  if (res.status === 401) throw new KeystoneUnauthorizedError(`Keystone refused the credentials: ${javaMapText(res.body)}`, 401);
  if (res.status >= 300) {
    throw new KeystoneError(what ?? `Keystone answered HTTP ${res.status}: ${javaMapText(res.body)}`, res.status);
  }
}

/**
 * Identity API v2.0. As the original: 401 is "unauthorized", any other failure a generic error
 * naming the request's URL; unlike it, the caller's token is never part of that text.
 */
export class KeystoneV2 implements KeystoneApi {
  readonly version = 2 as const;
  constructor(
    private readonly base: string,
    private readonly send: KeystoneTransport,
  ) {}

  private failed(path: string): string {
    return `Keystone request \`${this.base.replace(/\/+$/, '')}/${path}\` failed`;
  }

  async passwordAuth(c: PasswordCredentials): Promise<IssuedToken> {
    const res = await this.send({
      method: 'POST',
      url: join(this.base, 'tokens'),
      body: { auth: { passwordCredentials: { username: c.user, password: c.password }, tenantName: c.project } },
    });
    if (res.status === 401) throw new KeystoneUnauthorizedError(`Invalid Keystone credentials: ${javaMapText(res.body)}`, 401);
    checkOther(res, this.failed('tokens'));
    const token = obj(obj(obj(res.body)['access'])['token']);
    const id = str(token['id']);
    if (!id) throw new KeystoneError('Keystone issued no token (access.token.id missing)', res.status);
    return { id, issuedAt: parseTimestamp(token['issued_at']), expiresAt: parseTimestamp(token['expires']) };
  }

  async validate(adminToken: string, callerToken: string): Promise<ValidatedToken> {
    const res = await this.send({ method: 'GET', url: join(this.base, 'tokens', callerToken), headers: { 'X-Auth-Token': adminToken } });
    if (res.status === 401) throw new KeystoneUnauthorizedError(`Invalid Keystone credentials: ${javaMapText(res.body)}`, 401, true);
    const trouble = serverTrouble(res);
    if (trouble) throw trouble;
    // an unknown caller token (404): refused, the message names the URL without the token
    if (res.status >= 300) throw new KeystoneUnauthorizedError(this.failed('tokens/…'), res.status);
    const access = obj(obj(res.body)['access']);
    const token = obj(access['token']);
    const tenant = obj(token['tenant']);
    const user = obj(access['user']);
    const roles = Array.isArray(user['roles']) ? user['roles'].map((r) => str(obj(r)['name'])) : [];
    return {
      userId: str(user['id']),
      userName: str(user['name'] ?? user['username']),
      projectId: str(tenant['id']),
      projectName: str(tenant['name']),
      roles,
      expiresAt: parseTimestamp(token['expires']),
      serverNow: serverDate(res),
    };
  }

  async project(callerToken: string, id: string): Promise<Tenant> {
    const res = await this.send({ method: 'GET', url: join(this.base, 'tenants', id), headers: { 'X-Auth-Token': callerToken } });
    checkOther(res, this.failed(`tenants/${encodeURIComponent(id)}`));
    return tenantOf(obj(res.body)['tenant']);
  }

  async projects(callerToken: string, marker?: string, limit?: number): Promise<Tenant[]> {
    const url = join(this.base, 'tenants');
    if (marker !== undefined) url.searchParams.set('marker', marker);
    if (limit !== undefined) url.searchParams.set('limit', String(limit));
    const res = await this.send({ method: 'GET', url, headers: { 'X-Auth-Token': callerToken } });
    checkOther(res, this.failed('tenants'));
    const list = obj(res.body)['tenants'];
    return Array.isArray(list) ? list.map(tenantOf) : [];
  }
}
