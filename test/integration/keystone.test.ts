/**
 * The Keystone provider against a real Keystone (Debian's python3-keystone, identity v3, started
 * by test/support/keystone.ts) and real nodes: /login, token validation and its cache, role
 * mapping, /tenants from Keystone projects, tenant scoping, revocation, Keystone going away
 * (auth-https-deploy.md §1.4–§1.7; docs/security.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeystoneAuthProvider } from '../../lib/auth/keystone/provider.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { keystoneSkipReason, startKeystone, type KeystoneServer } from '../support/keystone.js';
import { RawHttp, requestHead } from '../support/raw-http.js';
import { assertError, basic, del, get, MT, post, put, rq, type Res } from '../support/rest-helpers.js';

const KEYSTONE = 'org.midonet.cluster.auth.keystone.KeystoneService';
const LEGACY = 'org.midonet.cluster.auth.keystone.v2_0.KeystoneService';
const WWW_AUTHENTICATE = 'Basic  realm="BASIC_AUTH_REALM"';
const COOKIE_DATE = /^[A-Z][a-z]{2}, \d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2} UTC$/;
const PW = { midonet: 'midonet-pw', bob: 'bob-pw', carol: 'carol-pw', dave: 'dave-pw', erin: 'erin-pw' };

const skip = keystoneSkipReason();

let ks: KeystoneServer;
const ids: Record<string, string> = {};

function nodeSettings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'cluster.auth.provider_class': KEYSTONE,
    'cluster.auth.keystone.host': '127.0.0.1',
    'cluster.auth.keystone.port': String(ks.port),
    'cluster.auth.keystone.version': '3',
    'cluster.auth.keystone.tenant_name': 'service',
    'cluster.auth.keystone.user_name': 'midonet',
    'cluster.auth.keystone.user_password': PW.midonet,
    'cluster.auth.admin_role': 'admin',
    'cluster.auth.tenant_admin_role': 'netadmin',
    'cluster.auth.tenant_user_role': 'netuser',
    ...extra,
  };
}

function providerOf(t: TestNode): KeystoneAuthProvider {
  assert.ok(t.node.auth instanceof KeystoneAuthProvider);
  return t.node.auth;
}

async function login(api: string, user: string, password: string, project?: string): Promise<Res> {
  return post(
    `${api}/login`,
    undefined,
    {},
    { token: null, headers: { Authorization: basic(user, password), ...(project ? { 'X-Auth-Project': project } : {}) } },
  );
}

async function loginToken(api: string, user: string, password: string, project?: string): Promise<string> {
  const r = await login(api, user, password, project);
  assert.equal(r.status, 200, r.text);
  return (r.json as { key: string }).key;
}

describe('Keystone provider against a real Keystone', { skip }, () => {
  let plain: TestNode; // admin-only, short cache TTL
  let scoped: TestNode; // tenant scoping on

  before(async () => {
    ks = await startKeystone();
    process.stderr.write(`# keystone: template built in ${ks.templateMs} ms, server ready ${ks.startupMs} ms after launch\n`);
    const a = ks.admin;
    for (const p of ['service', 'proj-a', 'proj-b']) ids[p] = await a.createProject(p);
    ids['admin'] = (await a.projects()).find((p) => p.name === 'admin')?.id ?? '';
    const admin = await a.roleId('admin');
    const member = await a.roleId('member');
    // mixed case: MidoNet compares the token's role names lower-cased
    const netadmin = await a.createRole('NetAdmin');
    const netuser = await a.createRole('NetUser');
    for (const [u, pw] of Object.entries(PW)) ids[u] = await a.createUser(u, pw);
    await a.grant(ids['service'], ids['midonet'], admin);
    await a.grant(ids['proj-a'], ids['bob'], member);
    await a.grant(ids['proj-a'], ids['carol'], netadmin);
    await a.grant(ids['proj-a'], ids['dave'], netuser);
    await a.grant(ids['proj-b'], ids['erin'], netadmin);
    plain = await startTestNode({ set: nodeSettings({ 'cluster.auth.keystone.cache_ttl': '1s' }) });
    scoped = await startTestNode({ set: nodeSettings({ 'cluster.auth.tenant_scoping': 'true', 'cluster.auth.provider_class': LEGACY }) });
  });

  after(async () => {
    await plain?.stop();
    await scoped?.stop();
    await ks?.stop();
  });

  describe('/login', () => {
    it('a real user logs in and the token works for an API call', async () => {
      const r = await login(plain.api, 'admin', 'ks-admin-pw', 'admin');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('content-type'), `${MT.token};charset=UTF-8`);
      const body = r.json as { key: string; expires: string };
      assert.match(body.key, /^gAAAAA/); // Keystone's fernet token, verbatim
      assert.match(body.expires, COOKIE_DATE);
      assert.equal(r.headers.get('set-cookie'), `sessionId=${body.key}; Expires=${body.expires}`);
      const api = await get(`${plain.api}/bridges`, MT.bridges, { token: body.key });
      assert.equal(api.status, 200, api.text);
      assert.deepEqual(api.json, []);
    });

    it('without X-Auth-Project the configured tenant_name is the project', async () => {
      const token = await loginToken(plain.api, 'midonet', PW.midonet);
      assert.equal((await get(`${plain.api}/bridges`, MT.bridges, { token })).status, 200);
      // bob has no role on 'service'
      const r = await login(plain.api, 'bob', PW.bob);
      assertError(r, 401, /^Invalid Keystone credentials: \{error=\{code=401/);
      assert.equal(r.headers.get('www-authenticate'), WWW_AUTHENTICATE);
    });

    it('a wrong password is 401 with WWW-Authenticate', async () => {
      const r = await login(plain.api, 'admin', 'nope', 'admin');
      assertError(r, 401, /^Invalid Keystone credentials: /);
      assert.equal(r.headers.get('www-authenticate'), WWW_AUTHENTICATE);
    });
  });

  describe('token validation and roles', () => {
    it('a user without the admin role is 401 (message null)', async () => {
      const token = await loginToken(plain.api, 'bob', PW.bob, 'proj-a');
      assertError(await get(`${plain.api}/bridges`, MT.bridges, { token }), 401, null as unknown as string);
      // tenant roles grant nothing without tenant scoping
      const carol = await loginToken(plain.api, 'carol', PW.carol, 'proj-a');
      assertError(await get(`${plain.api}/bridges`, MT.bridges, { token: carol }), 401, null as unknown as string);
    });

    it('no token, a blank one and a bogus one are 401 without WWW-Authenticate', async () => {
      const none = await get(`${plain.api}/bridges`, MT.bridges, { token: null });
      assertError(none, 401, 'No token was passed in.');
      assert.equal(none.headers.get('www-authenticate'), null);
      assertError(await get(`${plain.api}/bridges`, MT.bridges, { token: ' ' }), 401, 'No token was passed in.');
      const bogus = await get(`${plain.api}/bridges`, MT.bridges, { token: 'gAAAAA-not-a-token' });
      assertError(bogus, 401, /^Invalid Keystone credentials: \{error=\{code=404/);
    });

    it('an unauthenticated write gets its 401 before its body is read', async () => {
      for (const [token, message] of [
        [null, 'No token was passed in.'],
        ['gAAAAA-not-a-token', /^Invalid Keystone credentials: /],
      ] as const) {
        const c = await RawHttp.open(plain.api);
        try {
          const declared = 900 * 1024;
          await c.write(
            requestHead('POST', `${plain.api}/bridges`, {
              ...(token ? { 'X-Auth-Token': token } : {}),
              'Content-Type': MT.bridge,
              'Content-Length': String(declared),
            }),
          );
          await c.write('{"name": "never-read');
          const res = await c.response();
          assert.equal(res.status, 401);
          const body = JSON.parse(res.body) as { message: string; code: number };
          assert.equal(body.code, 401);
          if (typeof message === 'string') assert.equal(body.message, message);
          else assert.match(body.message, message);
          assert.ok(c.sent < 1024, `${c.sent} bytes sent before the answer`);
        } finally {
          c.destroy();
        }
      }
    });

    it('a burst of requests with one token makes one Keystone call', async () => {
      const p = providerOf(plain);
      const token = await ks.admin.passwordToken('admin', 'ks-admin-pw', 'admin');
      const before = p.validations;
      const rs = await Promise.all(Array.from({ length: 20 }, () => get(`${plain.api}/bridges`, MT.bridges, { token })));
      assert.deepEqual(new Set(rs.map((r) => r.status)), new Set([200]));
      assert.equal(p.validations - before, 1);
      const metrics = await (await fetch(`${plain.node.httpAddress}/metrics`)).text();
      const hits = /auth_token_cache_hits_total(?:\{[^}]*\})? (\d+)/.exec(metrics);
      if (hits) assert.ok(Number(hits[1]) >= 19, metrics);
    });

    it('a token revoked in Keystone is refused once its cache entry expires (cache_ttl 1 s)', async () => {
      const p = providerOf(plain);
      const token = await ks.admin.passwordToken('admin', 'ks-admin-pw', 'admin');
      assert.equal((await get(`${plain.api}/bridges`, MT.bridges, { token })).status, 200);
      await ks.admin.revoke(token);
      // still cached: the original would already refuse it (docs/security.md)
      assert.equal((await get(`${plain.api}/bridges`, MT.bridges, { token })).status, 200);
      await new Promise((r) => setTimeout(r, 1100));
      const before = p.validations;
      assertError(await get(`${plain.api}/bridges`, MT.bridges, { token }), 401, /^Invalid Keystone credentials: /);
      assert.equal(p.validations - before, 1);
    });

    it('the admin token is obtained once and reused', async () => {
      assert.equal(providerOf(plain).client.mode, 'password');
      assert.equal(providerOf(plain).client.renewals, 1);
    });
  });

  describe('/tenants', () => {
    it('lists the real Keystone projects, with X-Forwarded-* in the uris', async () => {
      const token = await loginToken(plain.api, 'admin', 'ks-admin-pw', 'admin');
      const r = await get(`${plain.api}/tenants`, MT.tenants, { token, headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'vip.example:8443' } });
      assert.equal(r.status, 200, r.text);
      const list = r.json as { id: string; name: string; description: string; enabled: boolean; uri: string; bridges: string }[];
      const names = list.map((x) => x.name).sort();
      assert.deepEqual(names, ['admin', 'proj-a', 'proj-b', 'service']);
      const a = list.find((x) => x.name === 'proj-a');
      assert.ok(a);
      assert.equal(a.id, ids['proj-a']);
      assert.equal(a.description, 'project proj-a');
      assert.equal(a.enabled, true);
      assert.equal(a.uri, `https://vip.example:8443/midonet-api/tenants/${a.id}`);
      assert.equal(a.bridges, `https://vip.example:8443/midonet-api/bridges?tenant_id=${a.id}`);
      const one = await get(`${plain.api}/tenants/${a.id}`, MT.tenant, { token });
      assert.equal(one.status, 200, one.text);
      assert.equal((one.json as { name: string }).name, 'proj-a');
    });
  });

  describe('tenant scoping (cluster.auth.tenant_scoping = true)', () => {
    let carol: string;
    let dave: string;
    let erin: string;
    let bob: string;
    let adminToken: string;
    let bridgeA: string;
    let bridgeB: string;

    before(async () => {
      carol = await loginToken(scoped.api, 'carol', PW.carol, 'proj-a');
      dave = await loginToken(scoped.api, 'dave', PW.dave, 'proj-a');
      erin = await loginToken(scoped.api, 'erin', PW.erin, 'proj-b');
      bob = await loginToken(scoped.api, 'bob', PW.bob, 'proj-a');
      adminToken = await loginToken(scoped.api, 'admin', 'ks-admin-pw', 'admin');
    });

    it('tenant_admin creates in its own project; tenantId defaults to it, another project is 403', async () => {
      const r = await post(`${scoped.api}/bridges`, MT.bridge, { name: 'a1' }, { token: carol });
      assert.equal(r.status, 201, r.text);
      bridgeA = String(r.headers.get('location')).split('/').pop() as string;
      const got = await get(`${scoped.api}/bridges/${bridgeA}`, MT.bridge, { token: carol });
      assert.equal((got.json as { tenantId: string }).tenantId, ids['proj-a']);
      const rb = await post(`${scoped.api}/bridges`, MT.bridge, { name: 'b1', tenantId: ids['proj-b'] }, { token: erin });
      assert.equal(rb.status, 201, rb.text);
      bridgeB = String(rb.headers.get('location')).split('/').pop() as string;
      assertError(await post(`${scoped.api}/bridges`, MT.bridge, { name: 'x', tenantId: ids['proj-b'] }, { token: carol }), 403);
    });

    it("lists are filtered on the server; another project's objects are 404", async () => {
      const la = await get(`${scoped.api}/bridges`, MT.bridges, { token: carol });
      assert.deepEqual(
        (la.json as { id: string }[]).map((b) => b.id),
        [bridgeA],
      );
      const lb = await get(`${scoped.api}/bridges`, MT.bridges, { token: erin });
      assert.deepEqual(
        (lb.json as { id: string }[]).map((b) => b.id),
        [bridgeB],
      );
      const all = await get(`${scoped.api}/bridges`, MT.bridges, { token: adminToken });
      assert.deepEqual((all.json as { id: string }[]).map((b) => b.id).sort(), [bridgeA, bridgeB].sort());
      assertError(await get(`${scoped.api}/bridges/${bridgeB}`, MT.bridge, { token: carol }), 404);
      assertError(await put(`${scoped.api}/bridges/${bridgeB}`, MT.bridge, { name: 'mine' }, { token: carol }), 404);
      assertError(await del(`${scoped.api}/bridges/${bridgeB}`, { token: carol }), 404);
      assertError(await get(`${scoped.api}/bridges/${bridgeB}/ports`, MT.ports, { token: carol }), 404);
    });

    it('children follow their parent: ports of the own bridge only', async () => {
      const p = await post(`${scoped.api}/bridges/${bridgeA}/ports`, MT.port, { type: 'Bridge' }, { token: carol });
      assert.equal(p.status, 201, p.text);
      const portA = String(p.headers.get('location')).split('/').pop() as string;
      const pb = await post(`${scoped.api}/bridges/${bridgeB}/ports`, MT.port, { type: 'Bridge' }, { token: adminToken });
      assert.equal(pb.status, 201, pb.text);
      const portB = String(pb.headers.get('location')).split('/').pop() as string;
      const mine = await get(`${scoped.api}/ports`, MT.ports, { token: carol });
      assert.deepEqual(
        (mine.json as { id: string }[]).map((x) => x.id),
        [portA],
      );
      assert.equal((await get(`${scoped.api}/ports/${portA}`, MT.port, { token: carol })).status, 200);
      assertError(await get(`${scoped.api}/ports/${portB}`, MT.port, { token: carol }), 404);
      assertError(await post(`${scoped.api}/bridges/${bridgeB}/ports`, MT.port, { type: 'Bridge' }, { token: carol }), 404);
    });

    it("a route belongs to its router, or through its next-hop port to the port's router", async () => {
      const r = await post(`${scoped.api}/routers`, MT.router, { name: 'ra' }, { token: carol });
      assert.equal(r.status, 201, r.text);
      const router = String(r.headers.get('location')).split('/').pop() as string;
      const p = await post(`${scoped.api}/routers/${router}/ports`, MT.port, { type: 'Router', portSubnet: ['10.9.0.1/24'] }, { token: carol });
      assert.equal(p.status, 201, p.text);
      const port = String(p.headers.get('location')).split('/').pop() as string;
      const route = { type: 'Normal', srcNetworkAddr: '0.0.0.0', srcNetworkLength: 0, dstNetworkAddr: '10.8.0.0', dstNetworkLength: 16, weight: 100 };
      const viaPort = await post(`${scoped.api}/routers/${router}/routes`, MT.route, { ...route, nextHopPort: port }, { token: carol });
      assert.equal(viaPort.status, 201, viaPort.text);
      const blackhole = await post(`${scoped.api}/routers/${router}/routes`, MT.route, { ...route, type: 'BlackHole' }, { token: carol });
      assert.equal(blackhole.status, 201, blackhole.text);
      for (const location of [viaPort.headers.get('location'), blackhole.headers.get('location')]) {
        const id = String(location).split('/').pop() as string;
        assert.equal((await get(`${scoped.api}/routes/${id}`, MT.route, { token: carol })).status, 200, `route ${id}`);
        assertError(await get(`${scoped.api}/routes/${id}`, MT.route, { token: erin }), 404);
      }
      assertError(await get(`${scoped.api}/routers/${router}/routes`, MT.routes, { token: erin }), 404);
    });

    it("BGP peers and networks follow their router; load balancing and trace requests stay the admins'", async () => {
      const r = await post(`${scoped.api}/routers`, MT.router, { name: 'bgp-a' }, { token: carol });
      assert.equal(r.status, 201, r.text);
      const router = String(r.headers.get('location')).split('/').pop() as string;
      const PEER = 'application/vnd.org.midonet.BgpPeer-v1+json';
      const peer = await post(`${scoped.api}/routers/${router}/bgp_peers`, PEER, { asNumber: 65001, address: '10.0.0.2' }, { token: carol });
      assert.equal(peer.status, 201, peer.text);
      const net = await post(
        `${scoped.api}/routers/${router}/bgp_networks`,
        'application/vnd.org.midonet.BgpNetwork-v1+json',
        { subnetAddress: '10.1.0.0', subnetLength: 16 },
        { token: carol },
      );
      assert.equal(net.status, 201, net.text);
      const peerUri = String(peer.headers.get('location'));
      assert.equal((await get(peerUri, PEER, { token: carol })).status, 200);
      assertError(await get(peerUri, PEER, { token: erin }), 404);
      assertError(await put(peerUri, PEER, { asNumber: 65002, address: '10.0.0.3' }, { token: dave }), 403);
      assertError(await post(`${scoped.api}/routers/${router}/bgp_peers`, PEER, { asNumber: 1, address: '10.0.0.9' }, { token: erin }), 404);
      assertError(await get(`${scoped.api}/load_balancers`, 'application/vnd.org.midonet.collection.LoadBalancer-v1+json', { token: carol }), 403);
      assertError(await get(`${scoped.api}/traces`, 'application/vnd.org.midonet.collection.TraceRequest-v1+json', { token: carol }), 403);
    });

    it('tenant_user reads its project and may not write (403); other projects stay 404', async () => {
      assert.equal((await get(`${scoped.api}/bridges/${bridgeA}`, MT.bridge, { token: dave })).status, 200);
      assertError(await post(`${scoped.api}/bridges`, MT.bridge, { name: 'u' }, { token: dave }), 403);
      assertError(await put(`${scoped.api}/bridges/${bridgeA}`, MT.bridge, { name: 'u' }, { token: dave }), 403);
      assertError(await del(`${scoped.api}/bridges/${bridgeA}`, { token: dave }), 403);
      assertError(await del(`${scoped.api}/bridges/${bridgeB}`, { token: dave }), 404);
      assertError(await post(`${scoped.api}/bridges/${bridgeA}/ports`, MT.port, { type: 'Bridge' }, { token: dave }), 403);
    });

    it('admin-only resources are 403 for tenant roles; no mapped role is still 401', async () => {
      assertError(await get(`${scoped.api}/hosts`, 'application/vnd.org.midonet.collection.Host-v3+json', { token: carol }), 403);
      assertError(await get(`${scoped.api}/system_state`, undefined, { token: dave }), 403);
      assertError(await get(`${scoped.api}/conf/schemas`, 'text/plain', { token: carol }), 403);
      assertError(await get(`${scoped.api}/mirrors`, 'application/vnd.org.midonet.collection.Mirror-v1+json', { token: carol }), 403);
      assertError(await get(`${scoped.api}/l2insertions`, 'application/vnd.org.midonet.collection.L2Insertion-v1+json', { token: carol }), 403);
      assert.equal((await get(`${scoped.api}/conf/schemas`, 'text/plain', { token: adminToken })).status, 200);
      assertError(await get(`${scoped.api}/bridges`, MT.bridges, { token: bob }), 401, null as unknown as string);
      assert.equal((await get(`${scoped.api}/`, MT.app, { token: dave })).status, 200);
    });

    it('QoS policies belong to the project in their tenant_id', async () => {
      const QOS = 'application/vnd.org.midonet.QOSPolicy-v1+json';
      const QOSS = 'application/vnd.org.midonet.collection.QOSPolicy-v1+json';
      const r = await post(`${scoped.api}/qos_policies`, QOS, { name: 'qa' }, { token: carol });
      assert.equal(r.status, 201, r.text);
      const id = String(r.headers.get('location')).split('/').pop() as string;
      assert.equal(((await get(`${scoped.api}/qos_policies/${id}`, QOS, { token: carol })).json as { tenant_id: string }).tenant_id, ids['proj-a']);
      assert.deepEqual(
        ((await get(`${scoped.api}/qos_policies`, QOSS, { token: carol })).json as { id: string }[]).map((p) => p.id),
        [id],
      );
      assert.deepEqual((await get(`${scoped.api}/qos_policies`, QOSS, { token: erin })).json, []);
      assertError(await get(`${scoped.api}/qos_policies/${id}`, QOS, { token: erin }), 404);
      assertError(await post(`${scoped.api}/qos_policies`, QOS, { name: 'qb', tenant_id: ids['proj-b'] }, { token: carol }), 403);
    });

    it('/tenants shows a tenant role its own project only', async () => {
      const r = await get(`${scoped.api}/tenants`, MT.tenants, { token: carol });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        (r.json as { id: string }[]).map((x) => x.id),
        [ids['proj-a']],
      );
      assert.equal((await get(`${scoped.api}/tenants/${ids['proj-a']}`, MT.tenant, { token: carol })).status, 200);
      assertError(await get(`${scoped.api}/tenants/${ids['proj-b']}`, MT.tenant, { token: carol }), 404);
    });

    it('the admin still sees and changes everything', async () => {
      const r = await put(`${scoped.api}/bridges/${bridgeA}`, MT.bridge, { name: 'renamed', tenantId: ids['proj-a'] }, { token: adminToken });
      assert.equal(r.status, 204, r.text);
    });
  });

  // last: stops Keystone
  describe('Keystone unavailable', () => {
    it('cached tokens keep working; new tokens get 503 + Retry-After; /login 401; /tenants 503', async () => {
      const cached = await loginToken(scoped.api, 'admin', 'ks-admin-pw', 'admin');
      assert.equal((await get(`${scoped.api}/bridges`, MT.bridges, { token: cached })).status, 200);
      const fresh = await ks.admin.passwordToken('admin', 'ks-admin-pw', 'admin');
      await ks.stop();
      assert.equal((await get(`${scoped.api}/bridges`, MT.bridges, { token: cached })).status, 200);
      const r = await get(`${scoped.api}/bridges`, MT.bridges, { token: fresh });
      assertError(r, 503, 'Connection to Keystone failed');
      assert.equal(r.headers.get('retry-after'), '3');
      const l = await login(scoped.api, 'admin', 'ks-admin-pw', 'admin');
      assertError(l, 401, 'Connection to Keystone failed');
      assert.equal(l.headers.get('www-authenticate'), WWW_AUTHENTICATE);
      const t = await rq('GET', `${scoped.api}/tenants`, { token: cached, headers: { Accept: MT.tenants } });
      assertError(t, 503, 'Keystone identity service is not available');
      assert.equal(t.headers.get('retryafter'), '3');
    });
  });
});
