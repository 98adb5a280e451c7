/**
 * The Keystone provider's machinery without a server: the admin token (1-minute guard with clock
 * skew, single flight, drop-and-retry on 401, static mode), the token cache (hash keys, TTL bound
 * by the token's expiry, LRU), role mapping, error → HTTP status mapping, timestamps, timeouts.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parseTimestamp, type IssuedToken, type KeystoneApi, type ValidatedToken } from '../../lib/auth/keystone/api.js';
import { KeystoneClient, MISSING_ADMIN_CREDENTIALS, TOKEN_EXPIRATION_GUARD_MS } from '../../lib/auth/keystone/client.js';
import { keystoneBaseUrl, keystoneConfig } from '../../lib/auth/keystone/config.js';
import { javaMapText, KeystoneUnauthorizedError, KeystoneUnavailableError } from '../../lib/auth/keystone/errors.js';
import { httpTransport } from '../../lib/auth/keystone/http.js';
import { KeystoneAuthProvider } from '../../lib/auth/keystone/provider.js';
import { AuthConfigError, createAuthProvider } from '../../lib/auth/factory.js';
import { MockAuthProvider } from '../../lib/auth/mock.js';
import { AuthError, type Tenant } from '../../lib/auth/provider.js';
import { TokenCache, tokenKey } from '../../lib/auth/token-cache.js';
import { Settings } from '../../lib/conf/settings.js';

const CREDS = { adminToken: '', tenantName: 'service', userName: 'midonet', userPassword: 'pw' };

/** A scripted KeystoneApi: counts calls, lets tests decide answers. */
class FakeApi implements KeystoneApi {
  readonly version = 3 as const;
  auths = 0;
  validations: string[] = [];
  issue: () => Promise<IssuedToken> = async () => ({ id: `admin-${this.auths}`, issuedAt: null, expiresAt: null });
  check: (admin: string, caller: string) => Promise<ValidatedToken> = async () => validated();
  async passwordAuth(): Promise<IssuedToken> {
    this.auths++;
    return this.issue();
  }
  async validate(admin: string, caller: string): Promise<ValidatedToken> {
    this.validations.push(admin);
    return this.check(admin, caller);
  }
  async project(): Promise<Tenant> {
    throw new KeystoneUnavailableError('Connection to Keystone failed: ECONNREFUSED');
  }
  async projects(): Promise<Tenant[]> {
    throw new KeystoneUnauthorizedError('refused', 401);
  }
}

function validated(over: Partial<ValidatedToken> = {}): ValidatedToken {
  return { userId: 'u', userName: 'alice', projectId: 'p', projectName: 'proj', roles: ['Admin'], expiresAt: null, serverNow: null, ...over };
}

describe('admin token (KeystoneClient)', () => {
  it('password mode: obtained once, reused until 1 minute (skew-corrected) before expiry', async () => {
    let now = 1_000_000;
    const api = new FakeApi();
    // server clock 30 s ahead of ours; the token lives 10 minutes
    api.issue = async () => ({ id: `admin-${api.auths}`, issuedAt: now + 30_000, expiresAt: now + 30_000 + 600_000 });
    const c = new KeystoneClient(api, CREDS, undefined, () => now);
    assert.equal(await c.adminToken(), 'admin-1');
    // expiry in local time is now + 600 s (the skew cancels out): renewal 1 minute before
    now += 600_000 - TOKEN_EXPIRATION_GUARD_MS - 1;
    assert.equal(await c.adminToken(), 'admin-1');
    now += 1; // local time + skew + guard reaches the expiry
    assert.equal(await c.adminToken(), 'admin-2');
    assert.equal(api.auths, 2);
  });

  it('single flight: concurrent callers share one renewal', async () => {
    const api = new FakeApi();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    api.issue = async () => {
      await gate;
      return { id: 'admin-x', issuedAt: null, expiresAt: null };
    };
    const c = new KeystoneClient(api, CREDS);
    const all = Promise.all(Array.from({ length: 10 }, () => c.adminToken()));
    release();
    assert.deepEqual(new Set(await all), new Set(['admin-x']));
    assert.equal(api.auths, 1);
  });

  it('a 401 on validation drops the admin token, renews it and retries once', async () => {
    const api = new FakeApi();
    api.check = async (admin) => {
      if (admin === 'admin-1') throw new KeystoneUnauthorizedError('admin refused', 401, true);
      return validated();
    };
    const c = new KeystoneClient(api, CREDS);
    await c.validate('caller');
    assert.deepEqual(api.validations, ['admin-1', 'admin-2']);
    // only once: a second refusal is the answer
    api.check = async () => {
      throw new KeystoneUnauthorizedError('admin refused', 401, true);
    };
    await assert.rejects(c.validate('caller'), KeystoneUnauthorizedError);
    assert.equal(api.auths, 3);
  });

  it('an invalid caller token (404) does not renew the admin token (unlike the original)', async () => {
    const api = new FakeApi();
    api.check = async () => {
      throw new KeystoneUnauthorizedError('Invalid Keystone credentials: {error={code=404}}', 404, false);
    };
    const c = new KeystoneClient(api, CREDS);
    await assert.rejects(c.validate('bogus'), KeystoneUnauthorizedError);
    assert.equal(api.auths, 1);
    assert.equal(api.validations.length, 1);
  });

  it('static admin_token: used as is, never renewed, a 401 not retried', async () => {
    const api = new FakeApi();
    api.check = async () => {
      throw new KeystoneUnauthorizedError('refused', 401, true);
    };
    const c = new KeystoneClient(api, { ...CREDS, adminToken: 'static-tok' });
    assert.equal(c.mode, 'static');
    await assert.rejects(c.validate('caller'), KeystoneUnauthorizedError);
    assert.deepEqual(api.validations, ['static-tok']);
    assert.equal(api.auths, 0);
  });

  it('password mode without tenant, user or password fails with the original message', async () => {
    const c = new KeystoneClient(new FakeApi(), { ...CREDS, userPassword: '' });
    await assert.rejects(c.adminToken(), { message: MISSING_ADMIN_CREDENTIALS });
  });
});

function provider(api: FakeApi, over: Record<string, string> = {}, now?: () => number, onCacheLookup?: (hit: boolean) => void): KeystoneAuthProvider {
  const settings = new Settings({
    'cluster.auth.keystone.tenant_name': 'service',
    'cluster.auth.keystone.user_name': 'midonet',
    'cluster.auth.keystone.user_password': 'pw',
    'cluster.auth.admin_role': 'admin',
    'cluster.auth.tenant_admin_role': 'netadmin',
    ...over,
  });
  return new KeystoneAuthProvider({ config: keystoneConfig(settings), api, now, onCacheLookup });
}

describe('KeystoneAuthProvider', () => {
  it('maps roles lower-cased through admin_role / tenant_admin_role / tenant_user_role', async () => {
    const p = provider(new FakeApi(), { 'cluster.auth.tenant_user_role': 'netuser' });
    assert.deepEqual(p.mapRoles(['Admin', 'NETADMIN', 'member', 'NetUser']), ['admin', 'tenant_admin', 'tenant_user']);
    const blank = provider(new FakeApi(), { 'cluster.auth.admin_role': ' ' });
    assert.deepEqual(blank.mapRoles(['admin', ' ']), []);
  });

  it('caches by token hash for min(cache_ttl, token expiry); one validation per burst', async () => {
    let now = 5_000_000;
    const api = new FakeApi();
    api.check = async () => validated({ expiresAt: now + 10_000 });
    const hits: boolean[] = [];
    const p = provider(
      api,
      { 'cluster.auth.keystone.cache_ttl': '60s' },
      () => now,
      (h) => hits.push(h),
    );
    const ids = await Promise.all(Array.from({ length: 5 }, () => p.authorize('tok')));
    assert.equal(api.validations.length, 1);
    assert.deepEqual(hits, [false, true, true, true, true]);
    assert.equal(ids[0]?.token, 'tok');
    assert.equal(p.cache.size, 1);
    now += 9_999;
    await p.authorize('tok');
    assert.equal(api.validations.length, 1);
    now += 1; // the token's expiry, before the 60 s TTL
    await p.authorize('tok');
    assert.equal(api.validations.length, 2);
    // the cache never holds the token itself
    assert.ok(!JSON.stringify([...(p.cache as unknown as { entries: Map<string, unknown> }).entries]).includes('"tok"'));
  });

  it('cache_ttl 0 validates every request (the original behaviour)', async () => {
    const api = new FakeApi();
    const p = provider(api, { 'cluster.auth.keystone.cache_ttl': '0s' });
    await p.authorize('t');
    await p.authorize('t');
    assert.equal(api.validations.length, 2);
  });

  it('errors become the REST statuses: 401 refused, 503 + Retry-After unreachable, /tenants 503 RetryAfter / 401', async () => {
    const api = new FakeApi();
    const p = provider(api);
    await assert.rejects(p.authorize(null), (e: unknown) => e instanceof AuthError && e.status === 401 && e.message === 'No token was passed in.');
    api.check = async () => {
      throw new KeystoneUnauthorizedError('Invalid Keystone credentials: {error={code=404}}', 404);
    };
    await assert.rejects(p.authorize('bad'), (e: unknown) => e instanceof AuthError && e.status === 401 && /^Invalid Keystone credentials/.test(e.message));
    api.check = async () => {
      throw new KeystoneUnavailableError('Connection to Keystone failed: ECONNREFUSED');
    };
    await assert.rejects(p.authorize('new'), (e: unknown) => {
      assert.ok(e instanceof AuthError);
      assert.equal(e.status, 503);
      assert.equal(e.message, 'Connection to Keystone failed');
      assert.equal(e.headers['Retry-After'], '3');
      return true;
    });
    await assert.rejects(p.tenant('caller', 'x'), (e: unknown) => e instanceof AuthError && e.status === 503 && e.headers['RetryAfter'] === '3');
    await assert.rejects(p.tenants('caller'), (e: unknown) => e instanceof AuthError && e.status === 401 && e.message === 'Keystone credentials are not valid');
  });

  it('/login: project from X-Auth-Project, else tenant_name, else "Project missing"', async () => {
    const api = new FakeApi();
    const p = provider(api, { 'cluster.auth.keystone.tenant_name': ' ' });
    await assert.rejects(p.authenticate('u', 'p', null), { message: 'Project missing' });
    api.issue = async () => ({ id: 'user-tok', issuedAt: null, expiresAt: Date.UTC(2030, 0, 1) });
    assert.deepEqual(await p.authenticate('u', 'p', 'proj'), { key: 'user-tok', expires: new Date(Date.UTC(2030, 0, 1)) });
  });
});

describe('provider selection', () => {
  it('the original three class names; anything else names the key', () => {
    const s = new Settings();
    assert.ok(createAuthProvider('org.midonet.cluster.auth.MockAuthService', s) instanceof MockAuthProvider);
    for (const c of ['org.midonet.cluster.auth.keystone.KeystoneService', 'org.midonet.cluster.auth.keystone.v2_0.KeystoneService']) {
      const p = createAuthProvider(c, s);
      assert.ok(p instanceof KeystoneAuthProvider);
      assert.equal(p.name, c);
      p.close?.();
    }
    assert.throws(
      () => createAuthProvider('com.example.Auth', s),
      (e: unknown) => e instanceof AuthConfigError && e.message.startsWith('cluster.auth.provider_class: unknown provider'),
    );
    assert.throws(
      () => createAuthProvider('org.midonet.cluster.auth.keystone.KeystoneService', new Settings({ 'cluster.auth.keystone.version': '4' })),
      (e: unknown) => e instanceof AuthConfigError && /cluster\.auth\.keystone\.version/.test(e.message),
    );
  });

  it('base URL: url verbatim, else protocol://host:port/v3 or /v2.0', () => {
    assert.equal(keystoneBaseUrl({ url: '', protocol: 'http', host: 'ks', port: 5000, version: 3 }), 'http://ks:5000/v3');
    assert.equal(keystoneBaseUrl({ url: '', protocol: 'https', host: 'ks', port: 35357, version: 2 }), 'https://ks:35357/v2.0');
    assert.equal(keystoneBaseUrl({ url: 'http://x/identity/v3', protocol: 'http', host: 'ks', port: 1, version: 3 }), 'http://x/identity/v3');
    assert.equal(keystoneConfig(new Settings()).baseUrl, 'http://localhost:35357/v3');
  });
});

describe('helpers', () => {
  it('timestamps: with offset, without (UTC), microseconds; unparsable is an error', () => {
    assert.equal(parseTimestamp('2026-11-29T04:27:30.000000Z'), Date.UTC(2026, 10, 29, 4, 27, 30));
    assert.equal(parseTimestamp('2026-11-29T04:27:30.123456'), Date.UTC(2026, 10, 29, 4, 27, 30, 123));
    assert.equal(parseTimestamp('2026-11-29T06:27:30+02:00'), Date.UTC(2026, 10, 29, 4, 27, 30));
    assert.equal(parseTimestamp(null), null);
    assert.throws(() => parseTimestamp('yesterday'), /Unknown token timestamp format/);
  });

  it('Keystone error bodies as the original prints them (a Java map)', () => {
    assert.equal(
      javaMapText({ error: { code: 404, message: 'Could not find', title: 'Not Found' } }),
      '{error={code=404, message=Could not find, title=Not Found}}',
    );
    assert.equal(javaMapText([1, null]), '[1, null]');
  });

  it('token cache: LRU bound, expiry, hashed keys', () => {
    let now = 0;
    const c = new TokenCache<number>(2, () => now);
    c.set('a', 1, 100);
    c.set('b', 2, 100);
    assert.equal(c.get('a'), 1); // a is now the most recent
    c.set('c', 3, 100); // evicts b
    assert.equal(c.get('b'), undefined);
    assert.equal(c.get('a'), 1);
    now = 100;
    assert.equal(c.get('a'), undefined);
    assert.match(tokenKey('a'), /^[0-9a-f]{64}$/);
    c.set('d', 4, 0);
    assert.equal(c.get('d'), undefined);
  });

  it('read timeout: a Keystone that accepts and never answers is "unavailable"', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const t = httpTransport({ connectTimeoutMs: 1000, readTimeoutMs: 200 });
    try {
      const started = Date.now();
      await assert.rejects(
        t({ method: 'GET', url: new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/v3`) }),
        (e: unknown) => e instanceof KeystoneUnavailableError && /no answer within 200 ms/.test(e.message),
      );
      assert.ok(Date.now() - started < 2000);
    } finally {
      t.close();
      silent.closeAllConnections();
      silent.close();
    }
  });
});
