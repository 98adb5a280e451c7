/**
 * REST API root document, CORS, mock login, /system_state, /tenants and the API's 404
 * (rest-api-core.md §1, §1.1, §2.1, §3, §4, §6.18, §7 scenarios 1–3; auth-https-deploy.md §1.3, §1.5–§1.7).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCors,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  basic,
  CORS_ALLOW_HEADERS,
  del,
  get,
  MT,
  MT2,
  post,
  put,
  rq,
  type Res,
} from '../support/rest-helpers.js';

const WWW_AUTHENTICATE = 'Basic  realm="BASIC_AUTH_REALM"';
const TENANT_UNMODIFIABLE = 'Tenants cannot be created, updated or deleted via the REST API.';

/** rest-api-core.md §2.1: [collection key, template key, path segment]. */
const APP_KEYS: [string | null, string | null, string][] = [
  [null, 'bgpNetworkTemplate', 'bgp_networks'],
  [null, 'bgpPeerTemplate', 'bgp_peers'],
  ['bridges', 'bridgeTemplate', 'bridges'],
  ['chains', 'chainTemplate', 'chains'],
  ['healthMonitors', 'healthMonitorTemplate', 'health_monitors'],
  ['hosts', 'hostTemplate', 'hosts'],
  ['ipAddrGroups', 'ipAddrGroupTemplate', 'ip_addr_groups'],
  ['l2insertions', 'l2InsertionTemplate', 'l2insertions'],
  ['loadBalancers', 'loadBalancerTemplate', 'load_balancers'],
  ['mirrors', 'mirrorTemplate', 'mirrors'],
  ['neutron', null, 'neutron'],
  ['poolMembers', 'poolMemberTemplate', 'pool_members'],
  ['pools', 'poolTemplate', 'pools'],
  ['portGroups', 'portGroupTemplate', 'port_groups'],
  ['ports', 'portTemplate', 'ports'],
  [null, 'qosBwLimitRuleTemplate', 'qos_bw_limit_rules'],
  [null, 'qosDscpRuleTemplate', 'qos_dscp_rules'],
  ['qosPolicies', 'qosPolicyTemplate', 'qos_policies'],
  ['routers', 'routerTemplate', 'routers'],
  [null, 'routeTemplate', 'routes'],
  [null, 'ruleTemplate', 'rules'],
  ['serviceContainerGroups', 'serviceContainerGroupTemplate', 'service_container_groups'],
  ['serviceContainers', 'serviceContainerTemplate', 'service_containers'],
  ['systemState', null, 'system_state'],
  ['tenants', 'tenantTemplate', 'tenants'],
  ['traceRequests', 'traceRequestTemplate', 'traces'],
  ['tunnelZones', 'tunnelZoneTemplate', 'tunnel_zones'],
  ['vips', 'vipTemplate', 'vips'],
  ['vteps', 'vtepTemplate', 'vteps'],
];

let t: TestNode;
let api: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

function assertApplicationDocument(res: Res): void {
  assertStatus(res, 200);
  const doc = res.json as Record<string, unknown>;
  assert.equal(doc['uri'], `${api}/`);
  assert.ok(String(doc['uri']).endsWith('/'));
  assert.equal(doc['version'], 'v5.0');
  for (const [coll, template, segment] of APP_KEYS) {
    if (coll) assert.equal(doc[coll], `${api}/${segment}`, `key ${coll}`);
    if (template) assert.equal(doc[template], `${api}/${segment}/{id}`, `key ${template}`);
  }
  // §6.20: not part of v5
  assert.equal(doc['writeVersion'], undefined);
  assert.equal(doc['hostVersions'], undefined);
  for (const [k, v] of Object.entries(doc)) assert.equal(typeof v, 'string', `value of ${k}`);
}

describe('application root (scenario 1)', () => {
  it('GET {root}/ with Accept Application-v5 answers the document with every §2.1 key', async () => {
    const res = await get(`${api}/`, MT.app);
    assertApplicationDocument(res);
    assertMediaType(res, MT.app);
    const doc = res.json as Record<string, string>;
    // scenario 1 spelled out
    assert.equal(doc['bridges'], `${doc['uri']}bridges`);
    assert.equal(doc['bridgeTemplate'], `${doc['uri']}bridges/{id}`);
    assert.equal(doc['routeTemplate'], `${doc['uri']}routes/{id}`);
    assert.equal(doc['ruleTemplate'], `${doc['uri']}rules/{id}`);
    assert.equal(doc['systemState'], `${doc['uri']}system_state`);
  });

  it('GET {root}/ with Accept application/json answers the same document as json', async () => {
    const res = await get(`${api}/`, MT.json);
    assertApplicationDocument(res);
    assertMediaType(res, MT.json);
  });

  it('GET {root}/ without Accept answers application/json (explicit negotiation)', async () => {
    const res = await get(`${api}/`);
    assertApplicationDocument(res);
    assertMediaType(res, MT.json);
  });

  it('GET {root}/ with an Accept it cannot produce answers 406', async () => {
    const res = await get(`${api}/`, MT.bridge);
    assertEmpty(res, 406);
  });

  it('GET {root} without the trailing slash answers the document or redirects to {root}/', async () => {
    const res = await get(api, MT.app);
    assert.ok(res.status === 200 || res.status === 302, `status ${res.status}`);
    if (res.status === 302) {
      const loc = res.headers.get('location');
      assert.ok(loc, 'Location missing on 302');
      assert.equal(new URL(loc, api).href, `${api}/`);
    } else {
      assertApplicationDocument(res);
    }
  });

  it('honours X-Forwarded-Host/Proto when building URIs', async () => {
    const res = await get(`${api}/`, MT.app, { headers: { 'X-Forwarded-Host': 'lb.example.org:9999', 'X-Forwarded-Proto': 'https' } });
    assertStatus(res, 200);
    const root = new URL(api).pathname;
    assert.equal(res.json.uri, `https://lb.example.org:9999${root}/`);
    assert.equal(res.json.bridges, `https://lb.example.org:9999${root}/bridges`);
  });

  it('the mock provider authenticates requests without any token', async () => {
    const res = await get(`${api}/`, MT.app, { token: null });
    assertApplicationDocument(res);
  });
});

describe('CORS (scenario 2)', () => {
  const paths = ['/', '/bridges', `/bridges/${randomUUID()}/ports`, '/no/such/thing', '/login', '/system_state'];
  for (const p of paths) {
    it(`OPTIONS {root}${p} answers 200, empty, with every CORS header`, async () => {
      const res = await rq('OPTIONS', `${api}${p}`, { token: null });
      assertEmpty(res, 200);
      assertCors(res);
      assert.equal(res.headers.get('access-control-allow-headers'), CORS_ALLOW_HEADERS);
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
    });
  }

  it('scenario 2: the allow lists contain the required entries', async () => {
    const res = await rq('OPTIONS', `${api}/`);
    assertStatus(res, 200);
    assert.ok(res.headers.get('access-control-allow-origin')!.includes('*'));
    const allowHeaders = res.headers
      .get('access-control-allow-headers')!
      .split(',')
      .map((s) => s.trim());
    for (const h of ['Origin', 'X-Auth-Token', 'Content-Type', 'Accept']) assert.ok(allowHeaders.includes(h), h);
    const methods = res.headers
      .get('access-control-allow-methods')!
      .split(',')
      .map((s) => s.trim());
    for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']) assert.ok(methods.includes(m), m);
    assert.ok(res.headers.get('access-control-expose-headers')!.includes('Location'));
  });

  it('a GET of the root with a token carries the same CORS headers', async () => {
    const res = await get(`${api}/`, MT.app);
    assertStatus(res, 200);
    assertCors(res);
  });

  it('error responses carry the CORS headers too (404, 405, 406, 401)', async () => {
    const notFound = await get(`${api}/bridges/${randomUUID()}`, MT.bridge);
    assertError(notFound, 404);
    assertCors(notFound);
    const unknown = await get(`${api}/nonexistent`, MT.json);
    assertStatus(unknown, 404);
    assertCors(unknown);
    const notAllowed = await post(`${api}/ports`, MT.port, { type: 'Bridge' });
    assertStatus(notAllowed, 405);
    assertCors(notAllowed);
    const notAcceptable = await get(`${api}/bridges`, MT.router);
    assertStatus(notAcceptable, 406);
    assertCors(notAcceptable);
    const unauthorized = await rq('POST', `${api}/login`, { token: null });
    assertStatus(unauthorized, 401);
    assertCors(unauthorized);
  });
});

describe('login with the mock provider (scenario 3)', () => {
  it('POST /login with Basic credentials answers 200, Token-v1, key 00000000, the sessionId cookie', async () => {
    const res = await rq('POST', `${api}/login`, { token: null, headers: { Authorization: basic('admin', 'pw') }, rawBody: '{}' });
    assertStatus(res, 200);
    assertMediaType(res, MT.token);
    assert.match(res.headers.get('content-type')!, /^application\/vnd\.org\.midonet\.Token-v1\+json\s*(;\s*charset=UTF-8)?$/i);
    assert.deepEqual(res.json, { key: '00000000', expires: null });
    assert.equal(res.headers.get('set-cookie'), 'sessionId=00000000');
    assertCors(res);
  });

  it('any method logs in; the scheme is matched case-insensitively; X-Auth-Project is accepted', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await rq(method, `${api}/login`, { token: null, headers: { Authorization: basic('u', 'p') } });
      assertStatus(res, 200);
      assert.deepEqual(res.json, { key: '00000000', expires: null }, method);
    }
    const lower = await rq('POST', `${api}/login`, {
      token: null,
      headers: { Authorization: `basic ${Buffer.from('admin:pw').toString('base64')}`, 'X-Auth-Project': 'admin' },
    });
    assertStatus(lower, 200);
    assert.equal(lower.headers.get('set-cookie'), 'sessionId=00000000');
  });

  const failures: [string, Record<string, string>, string][] = [
    ['no Authorization header', {}, 'Authorization header is not set.'],
    ['a Bearer header', { Authorization: 'Bearer abcdef' }, 'Authorization header does not contain Basic.'],
    ['a password containing ":"', { Authorization: basic('admin', 'pw:more') }, 'Authorization header is not valid'],
    ['an empty password', { Authorization: basic('admin', '') }, 'Authorization header is not valid'],
    ['no ":" at all', { Authorization: `Basic ${Buffer.from('adminpw').toString('base64')}` }, 'Authorization header is not valid'],
  ];
  for (const [what, headers, message] of failures) {
    it(`${what} → 401 with WWW-Authenticate and an Error body`, async () => {
      const res = await rq('POST', `${api}/login`, { token: null, headers, rawBody: '{}' });
      assertError(res, 401, message);
      assert.equal(res.headers.get('www-authenticate'), WWW_AUTHENTICATE);
    });
  }
});

describe('/system_state (§6.18)', () => {
  const STATE = { state: 'ACTIVE', availability: 'READWRITE', version: '5.0.0', information: null };

  it('GET with SystemState-v2 answers the constant state', async () => {
    const res = await get(`${api}/system_state`, MT2.systemState);
    assertStatus(res, 200);
    assertMediaType(res, MT2.systemState);
    assert.deepEqual(res.json, STATE);
  });

  it('GET with application/json answers json', async () => {
    const res = await get(`${api}/system_state`, MT.json);
    assertStatus(res, 200);
    assertMediaType(res, MT.json);
    assert.deepEqual(res.json, STATE);
  });

  it('GET with an Accept it cannot produce answers 406; PUT answers 405', async () => {
    assertEmpty(await get(`${api}/system_state`, MT.bridge), 406);
    const res = await put(`${api}/system_state`, MT2.systemState, { state: 'UPGRADE' });
    assertStatus(res, 405);
    assert.ok(res.headers.get('allow')?.includes('GET'), `Allow: ${res.headers.get('allow')}`);
  });
});

describe('/tenants with the mock provider (§4.4)', () => {
  const tenant = (id: string, name: string, description: string) => ({
    id,
    name,
    description,
    enabled: true,
    uri: `${api}/tenants/${id}`,
    routers: `${api}/routers?tenant_id=${id}`,
    bridges: `${api}/bridges?tenant_id=${id}`,
    chains: `${api}/chains?tenant_id=${id}`,
    portGroups: `${api}/port_groups?tenant_id=${id}`,
  });

  it('GET /tenants lists the admin tenant', async () => {
    const res = await get(`${api}/tenants`, MT.tenants);
    assertStatus(res, 200);
    assertMediaType(res, MT.tenants);
    assert.deepEqual(res.json, [tenant('admin', 'admin', 'Admin Tenant')]);
  });

  it('GET /tenants/foo answers {id, name, description} = foo', async () => {
    const res = await get(`${api}/tenants/foo`, MT.tenant);
    assertStatus(res, 200);
    assertMediaType(res, MT.tenant);
    assert.deepEqual(res.json, tenant('foo', 'foo', 'foo'));
  });

  it('GET /tenants/admin answers the admin tenant', async () => {
    const res = await get(`${api}/tenants/admin`, MT.tenant);
    assertStatus(res, 200);
    assert.deepEqual(res.json, tenant('admin', 'admin', 'Admin Tenant'));
  });

  it('GET /tenants only produces the Tenant-v2 collection type', async () => {
    assertEmpty(await get(`${api}/tenants`, MT.json), 406);
    assertEmpty(await get(`${api}/tenants/foo`, MT.json), 406);
  });

  it('POST /tenants, PUT and DELETE /tenants/{id} → 405 TenantUnmodifiable', async () => {
    const created = await post(`${api}/tenants`, MT.tenant, { id: 'new', name: 'new' });
    assertError(created, 405, TENANT_UNMODIFIABLE);
    const updated = await put(`${api}/tenants/foo`, MT.tenant, { id: 'foo', name: 'bar' });
    assertError(updated, 405, TENANT_UNMODIFIABLE);
    const deleted = await del(`${api}/tenants/foo`);
    assertError(deleted, 405, TENANT_UNMODIFIABLE);
    assertCors(deleted);
  });
});

describe('unknown paths', () => {
  it('an unknown first segment under the root → 404 with an Error-v1 body', async () => {
    const res = await get(`${api}/foo`, MT.json);
    const body = assertError(res, 404);
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
    assert.ok(body.message.length > 0);
  });

  it('an unknown sub-path of an existing collection → 404 with an Error-v1 body', async () => {
    const res = await get(`${api}/bridges/${randomUUID()}/no_such_child`, MT.json);
    assertError(res, 404);
  });

  it('an unknown path answers 404 for every method', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await rq(method, `${api}/foo/bar`, { headers: { 'Content-Type': MT.json }, rawBody: '{}' });
      assertError(res, 404);
    }
  });
});
