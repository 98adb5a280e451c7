/**
 * Identity API v2.0 calls (auth-https-deploy.md §1.4): no current Keystone serves v2.0, so they
 * are checked against a small fake speaking its wire format.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KeystoneV2 } from '../../lib/auth/keystone/api.js';
import { KeystoneError, KeystoneUnauthorizedError, KeystoneUnavailableError } from '../../lib/auth/keystone/errors.js';
import { httpTransport } from '../../lib/auth/keystone/http.js';
import { keystoneConfig } from '../../lib/auth/keystone/config.js';
import { KeystoneAuthProvider } from '../../lib/auth/keystone/provider.js';
import { AuthError } from '../../lib/auth/provider.js';
import { Settings } from '../../lib/conf/settings.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Route = (req: Seen) => { status: number; body?: unknown };

let server: Server;
let base: string;
let seen: Seen[] = [];
let route: Route = () => ({ status: 404 });

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
      seen.push(s);
      const out = route(s);
      res.writeHead(out.status, { 'Content-Type': 'application/json' });
      res.end(out.body === undefined ? '' : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2.0`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  seen = [];
});

const transport = () => httpTransport({ connectTimeoutMs: 2000, readTimeoutMs: 2000 });

const ACCESS = {
  access: {
    token: { id: 'tok-123', issued_at: '2030-01-01T10:00:00.000000', expires: '2030-01-01T11:00:00Z', tenant: { id: 't-1', name: 'proj' } },
    user: { id: 'u-1', name: 'alice', roles: [{ name: 'Admin' }, { name: 'member' }] },
  },
};

describe('KeystoneV2', () => {
  it('password auth: POST {base}/tokens with passwordCredentials and tenantName', async () => {
    route = () => ({ status: 200, body: ACCESS });
    const api = new KeystoneV2(base, transport());
    const t = await api.passwordAuth({ user: 'alice', password: 'pw', project: 'proj' });
    assert.deepEqual(t, { id: 'tok-123', issuedAt: Date.UTC(2030, 0, 1, 10), expiresAt: Date.UTC(2030, 0, 1, 11) });
    assert.equal(seen[0]?.method, 'POST');
    assert.equal(seen[0]?.url, '/v2.0/tokens');
    assert.deepEqual(seen[0]?.body, { auth: { passwordCredentials: { username: 'alice', password: 'pw' }, tenantName: 'proj' } });
    assert.equal(seen[0]?.headers['content-type'], 'application/json');
  });

  it('password auth refused: 401 is "unauthorized", other errors name the URL', async () => {
    route = () => ({ status: 401, body: { error: { code: 401, message: 'bad', title: 'Unauthorized' } } });
    const api = new KeystoneV2(base, transport());
    await assert.rejects(api.passwordAuth({ user: 'a', password: 'b', project: 'p' }), (e: unknown) => {
      assert.ok(e instanceof KeystoneUnauthorizedError);
      assert.equal(e.message, 'Invalid Keystone credentials: {error={code=401, message=bad, title=Unauthorized}}');
      return true;
    });
    route = () => ({ status: 400, body: {} });
    await assert.rejects(api.passwordAuth({ user: 'a', password: 'b', project: 'p' }), (e: unknown) => {
      assert.ok(e instanceof KeystoneError && !(e instanceof KeystoneUnauthorizedError));
      assert.equal(e.message, `Keystone request \`${base}/tokens\` failed`);
      return true;
    });
  });

  it('validate: GET {base}/tokens/{token} with the admin token; identity from access.token.tenant / access.user', async () => {
    route = () => ({ status: 200, body: ACCESS });
    const api = new KeystoneV2(base, transport());
    const v = await api.validate('admin-tok', 'caller/tok');
    assert.equal(seen[0]?.url, '/v2.0/tokens/caller%2Ftok');
    assert.equal(seen[0]?.headers['x-auth-token'], 'admin-tok');
    // serverNow: the answer's Date header (whole seconds), the server's clock for the token's remaining life
    assert.ok(v.serverNow !== null && Math.abs(v.serverNow - Date.now()) < 5000, String(v.serverNow));
    assert.deepEqual(
      { ...v, serverNow: undefined },
      {
        userId: 'u-1',
        userName: 'alice',
        projectId: 't-1',
        projectName: 'proj',
        roles: ['Admin', 'member'],
        expiresAt: Date.UTC(2030, 0, 1, 11),
        serverNow: undefined,
      },
    );
  });

  it('validate: 401 means the admin token was refused; 404 an unknown caller token, the message never holds it', async () => {
    const api = new KeystoneV2(base, transport());
    route = () => ({ status: 401, body: { error: { code: 401 } } });
    await assert.rejects(api.validate('admin', 'secret-caller-token'), (e: unknown) => e instanceof KeystoneUnauthorizedError && e.adminTokenRejected);
    route = () => ({ status: 404, body: { error: { code: 404 } } });
    await assert.rejects(api.validate('admin', 'secret-caller-token'), (e: unknown) => {
      assert.ok(e instanceof KeystoneUnauthorizedError && !e.adminTokenRejected);
      assert.ok(!e.message.includes('secret-caller-token'), e.message);
      return true;
    });
  });

  it('tenants: GET {base}/tenants?marker=&limit= and {base}/tenants/{id} with the caller token', async () => {
    route = (r) =>
      r.url.startsWith('/v2.0/tenants/')
        ? { status: 200, body: { tenant: { id: 't-1', name: 'proj', description: 'd', enabled: true } } }
        : {
            status: 200,
            body: {
              tenants: [
                { id: 't-1', name: 'proj', description: 'd', enabled: true },
                { id: 't-2', name: 'x', enabled: false },
              ],
            },
          };
    const api = new KeystoneV2(base, transport());
    const list = await api.projects('caller', 'm-1', 5);
    assert.equal(seen[0]?.url, '/v2.0/tenants?marker=m-1&limit=5');
    assert.equal(seen[0]?.headers['x-auth-token'], 'caller');
    assert.deepEqual(list, [
      { id: 't-1', name: 'proj', description: 'd', enabled: true },
      { id: 't-2', name: 'x', description: '', enabled: false },
    ]);
    assert.deepEqual(await api.project('caller', 't-1'), { id: 't-1', name: 'proj', description: 'd', enabled: true });
    assert.equal(seen[1]?.url, '/v2.0/tenants/t-1');
    await api.projects('caller');
    assert.equal(seen[2]?.url, '/v2.0/tenants');
  });

  it('a 5xx or no answer is "unavailable"', async () => {
    route = () => ({ status: 503 });
    const api = new KeystoneV2(base, transport());
    await assert.rejects(api.projects('c'), KeystoneUnavailableError);
    const dead = new KeystoneV2('http://127.0.0.1:1/v2.0', transport());
    await assert.rejects(dead.validate('a', 'b'), (e: unknown) => e instanceof KeystoneUnavailableError && /^Connection to Keystone failed/.test(e.message));
  });

  it('the provider with version 2 (the legacy class name) validates through v2.0 and maps roles lower-cased', async () => {
    route = (r) =>
      r.method === 'POST' ? { status: 200, body: { access: { token: { id: 'admin-tok', expires: '2999-01-01T00:00:00Z' } } } } : { status: 200, body: ACCESS };
    const settings = new Settings({
      'cluster.auth.keystone.url': base,
      'cluster.auth.keystone.version': '2',
      'cluster.auth.keystone.tenant_name': 'service',
      'cluster.auth.keystone.user_name': 'midonet',
      'cluster.auth.keystone.user_password': 'pw',
      'cluster.auth.admin_role': 'admin',
    });
    const p = new KeystoneAuthProvider({ config: keystoneConfig(settings), className: 'org.midonet.cluster.auth.keystone.v2_0.KeystoneService' });
    try {
      const id = await p.authorize('tok-123');
      assert.deepEqual(id, { tenantId: 't-1', tenantName: 'proj', userId: 'u-1', token: 'tok-123', roles: ['admin'] });
      assert.equal(seen[0]?.url, '/v2.0/tokens');
      assert.equal(seen[1]?.url, '/v2.0/tokens/tok-123');
      assert.equal(seen[1]?.headers['x-auth-token'], 'admin-tok');
      route = () => ({ status: 404, body: {} });
      await assert.rejects(p.authorize('other'), (e: unknown) => e instanceof AuthError && e.status === 401);
    } finally {
      p.close();
    }
  });
});
