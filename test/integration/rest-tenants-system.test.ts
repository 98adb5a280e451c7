/**
 * Tenants, the tenant list filters and the system state over REST against a real node and
 * ZooKeeper: rest-api-core.md §4.3–§4.4, §6.18, §6.19, §7 scenario 5, §8 (SystemState PUT), and
 * auth-https-deploy.md §1.3 (mock provider). The node has a root key of its own, so collection
 * counts are exact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCors,
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  del,
  get,
  MT,
  MT2,
  post,
  put,
  rq,
  sorted,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
/** the Application document */
let A: Record<string, string>;

const TENANT_UNMODIFIABLE = 'Tenants cannot be created, updated or deleted via the REST API.';
const SYSTEM_STATE = { state: 'ACTIVE', availability: 'READWRITE', version: '5.0.0', information: null };
const ADMIN_TENANT = { id: 'admin', name: 'admin', description: 'Admin Tenant', enabled: true };

const PG = {
  single: 'application/vnd.org.midonet.PortGroup-v1+json',
  coll: 'application/vnd.org.midonet.collection.PortGroup-v1+json',
};
const PGP = 'application/vnd.org.midonet.PortGroupPort-v1+json';

/** The four collections that filter on `tenant_id`, with their Application key and media types. */
const KINDS = [
  { kind: 'bridges', key: 'bridges', single: MT.bridge, coll: MT.bridges },
  { kind: 'routers', key: 'routers', single: MT.router, coll: MT.routers },
  { kind: 'chains', key: 'chains', single: MT2.chain, coll: MT2.chains },
  { kind: 'port_groups', key: 'portGroups', single: PG.single, coll: PG.coll },
] as const;

before(async () => {
  t = await startTestNode();
  api = t.api;
  const root = await get(`${api}/`, MT.app);
  assertStatus(root, 200);
  A = root.json;
});

after(async () => {
  await t?.stop();
});

function ids(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), `not a list: ${res.text}`);
  return sorted((res.json as { id: string }[]).map((x) => x.id));
}

/** The full Tenant JSON (§4.4) the node must answer for a provider tenant. */
function tenantJson(v: { id: string; name: string; description: string; enabled: boolean }): Record<string, Json> {
  const q = `?tenant_id=${encodeURIComponent(v.id)}`;
  return {
    ...v,
    uri: `${api}/tenants/${encodeURIComponent(v.id)}`,
    routers: `${api}/routers${q}`,
    bridges: `${api}/bridges${q}`,
    chains: `${api}/chains${q}`,
    portGroups: `${api}/port_groups${q}`,
  };
}

/** Python 2 `urllib.urlencode` (quote_plus): unreserved `A-Za-z0-9_.-`, space as `+`, UTF-8 bytes as %XX. */
function pyUrlencode(query: Record<string, string>): string {
  const quotePlus = (s: string): string =>
    [...Buffer.from(s, 'utf8')]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (/[A-Za-z0-9_.-]/.test(c)) return c;
        if (c === ' ') return '+';
        return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  return Object.entries(query)
    .map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`)
    .join('&');
}

/** What api_lib.do_request sends: body `{}` on every method, httplib2's own headers, the token. */
function py(method: string, url: string, headers: Record<string, string> = {}, query?: Record<string, string>): Promise<Res> {
  const uri = query ? `${url}?${pyUrlencode(query)}` : url;
  return rq(method, uri, {
    headers: { 'Accept-Encoding': 'gzip, deflate', 'User-Agent': 'Python-httplib2/0.20.4 (gzip)', ...headers },
    rawBody: '{}',
  });
}

async function create(kind: (typeof KINDS)[number], body: Record<string, unknown>): Promise<string> {
  return assertCreated(await post(A[kind.key], kind.single, body), `${api}/${kind.kind}`);
}

describe('tenant filter (scenario 5)', () => {
  for (const kind of KINDS) {
    it(`${kind.kind}: 5 + 5 objects; the list has 10, ?tenant_id=tenant0 exactly tenant0's 5, so does Tenant.${kind.key}`, async () => {
      const made: Record<'tenant0' | 'tenant1', string[]> = { tenant0: [], tenant1: [] };
      for (const tenant of ['tenant0', 'tenant1'] as const) {
        for (let i = 0; i < 5; i++) made[tenant].push(await create(kind, { name: `${kind.kind}-${tenant}-${i}`, tenantId: tenant }));
      }
      assert.equal(ids(await get(A[kind.key], kind.coll)).length, 10);
      assert.deepEqual(ids(await get(A[kind.key], kind.coll)), sorted([...made.tenant0, ...made.tenant1]));
      const tenant0 = await get(`${A[kind.key]}?tenant_id=tenant0`, kind.coll);
      assertMediaType(tenant0, kind.coll);
      assert.deepEqual(ids(tenant0), sorted(made.tenant0));
      for (const o of tenant0.json as { tenantId: string }[]) assert.equal(o.tenantId, 'tenant0');
      assert.deepEqual(ids(await get(`${A[kind.key]}?tenant_id=tenant1`, kind.coll)), sorted(made.tenant1));
      assert.deepEqual(ids(await get(`${A[kind.key]}?tenant_id=tenant2`, kind.coll)), []);

      // The tenant's link is that same filtered list.
      const tenant = await get(`${api}/tenants/tenant0`, MT.tenant);
      assertStatus(tenant, 200);
      assert.equal(tenant.json[kind.key], `${A[kind.key]}?tenant_id=tenant0`);
      assert.deepEqual(ids(await get(tenant.json[kind.key], kind.coll)), sorted(made.tenant0));

      for (const id of [...made.tenant0, ...made.tenant1]) assertEmpty(await del(`${A[kind.key]}/${id}`), 204);
      assert.deepEqual(ids(await get(A[kind.key], kind.coll)), []);
    });
  }

  it('the filter is the same for every accepted collection type (Bridge-v4, Bridge-v5, json)', async () => {
    const kind = KINDS[0];
    const mine = await create(kind, { name: 'b-t', tenantId: 'tenant-mt' });
    const other = await create(kind, { name: 'b-o', tenantId: 'tenant-other' });
    for (const accept of [MT.bridges, MT2.bridges5, MT.json]) {
      const res = await get(`${api}/bridges?tenant_id=tenant-mt`, accept);
      assertMediaType(res, accept);
      assert.deepEqual(ids(res), [mine]);
    }
    for (const id of [mine, other]) assertEmpty(await del(`${api}/bridges/${id}`), 204);
  });
});

describe('tenant_id filter semantics (§4.3)', () => {
  for (const kind of KINDS) {
    it(`${kind.kind}: exact string match; null never matches; empty value matches only ""; first of repeated values; unknown params ignored`, async () => {
      const upper = await create(kind, { name: 'u', tenantId: 'Tenant-A' });
      const lower = await create(kind, { name: 'l', tenantId: 'tenant-a' });
      const none = await create(kind, { name: 'n' });
      const empty = await create(kind, { name: 'e', tenantId: '' });
      const spaced = await create(kind, { name: 's', tenantId: 'tenant a/ä' });
      const coll = A[kind.key];
      assert.deepEqual(ids(await get(`${coll}?tenant_id=Tenant-A`, kind.coll)), [upper]);
      assert.deepEqual(ids(await get(`${coll}?tenant_id=tenant-a`, kind.coll)), [lower]);
      assert.deepEqual(ids(await get(`${coll}?tenant_id=tenant`, kind.coll)), []);
      assert.deepEqual(ids(await get(`${coll}?tenant_id=`, kind.coll)), [empty]);
      assert.deepEqual(ids(await get(`${coll}?tenant_id=null`, kind.coll)), []);
      // percent-encoding (%20) and form encoding (+) of the same id
      assert.deepEqual(ids(await get(`${coll}?tenant_id=${encodeURIComponent('tenant a/ä')}`, kind.coll)), [spaced]);
      assert.deepEqual(ids(await get(`${coll}?tenant_id=tenant+a%2F%C3%A4`, kind.coll)), [spaced]);
      // the original reads the first value (getFirst)
      assert.deepEqual(ids(await get(`${coll}?tenant_id=tenant-a&tenant_id=Tenant-A`, kind.coll)), [lower]);
      assert.deepEqual(ids(await get(`${coll}?foo=bar&TENANT_ID=tenant-a`, kind.coll)), sorted([upper, lower, none, empty, spaced]));
      for (const id of [upper, lower, none, empty, spaced]) assertEmpty(await del(`${coll}/${id}`), 204);
    });
  }

  it('port groups: port_id selects the groups holding the port, and combines with tenant_id (AND)', async () => {
    const bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'pg-b' }), `${api}/bridges`);
    const port = assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
    const pg = KINDS[3];
    const g1 = await create(pg, { name: 'g1', tenantId: 'tenant1' });
    const g2 = await create(pg, { name: 'g2', tenantId: 'tenant1' });
    const g3 = await create(pg, { name: 'g3', tenantId: 'tenant2' });
    for (const g of [g1, g3]) {
      assertStatus(await post(`${api}/port_groups/${g}/ports`, PGP, { portId: port }), 201);
    }
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${port}`, PG.coll)), sorted([g1, g3]));
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${port.toUpperCase()}`, PG.coll)), sorted([g1, g3]));
    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=tenant1`, PG.coll)), sorted([g1, g2]));
    assert.deepEqual(ids(await get(`${api}/port_groups?port_id=${port}&tenant_id=tenant1`, PG.coll)), [g1]);
    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=tenant2&port_id=${port}`, PG.coll)), [g3]);
    assert.deepEqual(ids(await get(`${api}/port_groups?tenant_id=tenant2&port_id=${bridge}`, PG.coll)), []);
    for (const g of [g1, g2, g3]) assertEmpty(await del(`${api}/port_groups/${g}`), 204);
    assertEmpty(await del(`${api}/bridges/${bridge}`), 204);
  });

  it('lists that declare no tenant filter ignore ?tenant_id= (ports, bridge ports, hosts, tunnel zones, IP address groups)', async () => {
    const bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'f-b', tenantId: 'tenant-f' }), `${api}/bridges`);
    const port = assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
    assert.deepEqual(ids(await get(`${api}/ports?tenant_id=nobody`, MT.ports)), ids(await get(`${api}/ports`, MT.ports)));
    assert.ok(ids(await get(`${api}/ports?tenant_id=nobody`, MT.ports)).includes(port));
    assert.deepEqual(ids(await get(`${api}/bridges/${bridge}/ports?tenant_id=nobody`, MT.ports)), [port]);
    for (const path of ['hosts', 'tunnel_zones', 'ip_addr_groups']) {
      const all = await get(`${api}/${path}`, '*/*');
      const filtered = await get(`${api}/${path}?tenant_id=nobody`, '*/*');
      assertStatus(filtered, 200);
      assert.deepEqual(filtered.json, all.json, path);
    }
    assertEmpty(await del(`${api}/bridges/${bridge}`), 204);
  });
});

describe('tenants from the mock provider (§4.4, auth-https-deploy §1.3)', () => {
  it('GET /tenants: the registered tenants (initially the admin tenant), coll.Tenant-v2', async () => {
    const res = await get(`${api}/tenants`, MT.tenants);
    assertStatus(res, 200);
    assertMediaType(res, MT.tenants);
    assertCors(res);
    assert.deepEqual(res.json, [tenantJson(ADMIN_TENANT)]);
  });

  it('GET /tenants passes marker and limit to the provider; the mock ignores them; a bad limit is ignored', async () => {
    for (const q of ['marker=admin&limit=1', 'limit=0', 'limit=abc', 'limit=99999999999', 'marker=']) {
      const res = await get(`${api}/tenants?${q}`, MT.tenants);
      assertStatus(res, 200);
      assert.deepEqual(res.json, [tenantJson(ADMIN_TENANT)], q);
    }
  });

  it('GET /tenants/admin is the admin tenant; any other id is a tenant of that id (never 404)', async () => {
    const admin = await get(`${api}/tenants/admin`, MT.tenant);
    assertStatus(admin, 200);
    assertMediaType(admin, MT.tenant);
    assert.deepEqual(admin.json, tenantJson(ADMIN_TENANT));
    for (const id of ['tenant0', 'b7d7a6b2-7a4f-4d7e-9b53-0e7d5b1d2f31', 'x']) {
      const res = await get(`${api}/tenants/${id}`, MT.tenant);
      assertStatus(res, 200);
      assert.deepEqual(res.json, tenantJson({ id, name: id, description: id, enabled: true }));
    }
    // other ids are not registered: the list still has the admin tenant only
    assert.deepEqual(ids(await get(`${api}/tenants`, MT.tenants)), ['admin']);
  });

  it('a tenant id that needs encoding: path decoded, uri and links encoded, the links filter on the decoded id', async () => {
    const id = 'ten ant/ä';
    const res = await get(`${api}/tenants/${encodeURIComponent(id)}`, MT.tenant);
    assertStatus(res, 200);
    assert.deepEqual(res.json, tenantJson({ id, name: id, description: id, enabled: true }));
    assert.equal(res.json.bridges, `${api}/bridges?tenant_id=ten%20ant%2F%C3%A4`);
    const b = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'enc', tenantId: id }), `${api}/bridges`);
    const other = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'enc2', tenantId: 'ten ant' }), `${api}/bridges`);
    assert.deepEqual(ids(await get(res.json.bridges, MT.bridges)), [b]);
    // and the tenant's own uri leads back to it
    const again = await get(res.json.uri, MT.tenant);
    assert.deepEqual(again.json, res.json);
    for (const x of [b, other]) assertEmpty(await del(`${api}/bridges/${x}`), 204);
  });

  it('links are built from the request base (Host header)', async () => {
    const res = await get(`${api}/tenants/admin`, MT.tenant, { headers: { Host: 'api.example:8181' } });
    assertStatus(res, 200);
    const root = new URL(api).pathname;
    assert.equal(res.json.uri, `http://api.example:8181${root}/tenants/admin`);
    assert.equal(res.json.portGroups, `http://api.example:8181${root}/port_groups?tenant_id=admin`);
  });

  it('the mock provider accepts any token, even none', async () => {
    for (const token of ['00000000', 'anything', null]) {
      const res = await get(`${api}/tenants/admin`, MT.tenant, { token });
      assertStatus(res, 200);
    }
  });

  it('POST / PUT / DELETE → 405 with the TenantUnmodifiable ErrorEntity; nothing changes', async () => {
    const body = { id: 'new', name: 'new', description: 'd', enabled: true };
    assertError(await post(`${api}/tenants`, MT.tenant, body), 405, TENANT_UNMODIFIABLE);
    assertError(await put(`${api}/tenants/admin`, MT.tenant, { ...ADMIN_TENANT, name: 'x' }), 405, TENANT_UNMODIFIABLE);
    assertError(await put(`${api}/tenants/tenant0`, `${MT.tenant}; charset=UTF-8`, body), 405, TENANT_UNMODIFIABLE);
    assertError(await del(`${api}/tenants/admin`), 405, TENANT_UNMODIFIABLE);
    assertError(await del(`${api}/tenants/nobody`), 405, TENANT_UNMODIFIABLE);
    // without a Content-Type the method is still matched: 405, not 415
    assertError(await post(`${api}/tenants`, undefined, body), 405, TENANT_UNMODIFIABLE);
    assertError(await rq('PUT', `${api}/tenants/admin`), 405, TENANT_UNMODIFIABLE);
    assert.deepEqual((await get(`${api}/tenants`, MT.tenants)).json, [tenantJson(ADMIN_TENANT)]);
    assert.deepEqual((await get(`${api}/tenants/admin`, MT.tenant)).json, tenantJson(ADMIN_TENANT));
  });

  it('POST / PUT with a Content-Type other than Tenant-v2 → 415 (explicit negotiation), empty body', async () => {
    for (const ct of [MT.json, MT.tenants, 'application/vnd.org.midonet.Tenant-v1+json', 'text/plain']) {
      assertEmpty(await post(`${api}/tenants`, ct, {}), 415);
      assertEmpty(await put(`${api}/tenants/admin`, ct, {}), 415);
    }
  });

  it('methods the paths do not serve → 405, empty body, Allow', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/tenants', ['GET', 'POST']],
      ['DELETE', '/tenants', ['GET', 'POST']],
      ['POST', '/tenants/admin', ['GET', 'PUT', 'DELETE']],
    ] as const) {
      const res = await rq(method, `${api}${path}`, { headers: { 'Content-Type': MT.tenant }, body: {} });
      assertEmpty(res, 405);
      const got = (res.headers.get('allow') ?? '').split(',').map((s) => s.trim());
      for (const m of allow) assert.ok(got.includes(m), `${method} ${path}: Allow ${got.join(',')}`);
    }
  });

  it('negotiation: only Tenant-v2 / collection.Tenant-v2, else 406 with an empty body', async () => {
    // list
    for (const accept of [MT.json, MT.tenant, 'application/vnd.org.midonet.collection.Tenant-v1+json', 'text/plain']) {
      assertEmpty(await get(`${api}/tenants`, accept), 406);
    }
    for (const accept of [undefined, '*/*', 'application/*', `${MT.tenants}; charset=UTF-8`, `text/plain, ${MT.tenants}`]) {
      const res = await get(`${api}/tenants`, accept);
      assertStatus(res, 200);
      assertMediaType(res, MT.tenants);
    }
    // one tenant
    for (const accept of [MT.json, MT.tenants, 'application/vnd.org.midonet.Tenant-v1+json']) {
      assertEmpty(await get(`${api}/tenants/admin`, accept), 406);
    }
    for (const accept of [undefined, '*/*', `${MT.tenant}; charset=UTF-8`, `${MT.json};q=0.9, ${MT.tenant}`]) {
      const res = await get(`${api}/tenants/admin`, accept);
      assertStatus(res, 200);
      assertMediaType(res, MT.tenant);
    }
  });
});

describe('system state (§6.18, §8)', () => {
  it('GET: the constant body, SystemState-v2 or application/json, no uri', async () => {
    assert.equal(A['systemState'], `${api}/system_state`);
    const res = await get(A['systemState'], MT2.systemState);
    assertStatus(res, 200);
    assertMediaType(res, MT2.systemState);
    assertCors(res);
    assert.deepEqual(res.json, SYSTEM_STATE);
    assert.ok(!('uri' in res.json));
    const json = await get(A['systemState'], MT.json);
    assertMediaType(json, MT.json);
    assert.deepEqual(json.json, SYSTEM_STATE);
  });

  it('GET negotiation: missing Accept or */* → SystemState-v2; unknown types → 406, empty body', async () => {
    for (const accept of [undefined, '*/*', `${MT2.systemState}; charset=UTF-8`]) {
      const res = await get(`${api}/system_state`, accept);
      assertStatus(res, 200);
      assertMediaType(res, MT2.systemState);
      assert.deepEqual(res.json, SYSTEM_STATE);
    }
    for (const accept of [
      'text/plain',
      'application/vnd.org.midonet.SystemState-v1+json',
      'application/vnd.org.midonet.collection.SystemState-v2+json',
      MT.tenant,
    ]) {
      assertEmpty(await get(`${api}/system_state`, accept), 406);
    }
  });

  it('PUT / POST / DELETE → 405, empty body, Allow: GET; the state does not change', async () => {
    const changed = { ...SYSTEM_STATE, state: 'UPGRADE', availability: 'READONLY' };
    for (const res of [
      await put(`${api}/system_state`, MT2.systemState, changed),
      await put(`${api}/system_state`, MT.json, changed),
      await put(`${api}/system_state`, 'text/plain', changed),
      await post(`${api}/system_state`, MT2.systemState, changed),
      await del(`${api}/system_state`),
    ]) {
      assertEmpty(res, 405);
      const allow = (res.headers.get('allow') ?? '').split(',').map((s) => s.trim());
      assert.ok(allow.includes('GET'), `Allow: ${allow.join(',')}`);
      assert.ok(!allow.includes('PUT'), `Allow: ${allow.join(',')}`);
      assertCors(res);
    }
    assert.deepEqual((await get(`${api}/system_state`, MT2.systemState)).json, SYSTEM_STATE);
  });

  it('sub-paths do not exist', async () => {
    assertError(await get(`${api}/system_state/x`, MT2.systemState), 404);
  });
});

describe('python-midonetclient request shapes (tenants, filters, system state)', () => {
  it('Application.get_bridges/get_routers/get_chains/get_port_groups({"tenant_id": ...}): urlencoded query, body {}', async () => {
    const tenant = 'py tenant/1';
    const made: Record<string, string> = {};
    for (const kind of KINDS) {
      made[kind.key] = await create(kind, { name: `py-${kind.kind}`, tenantId: tenant });
      await create(kind, { name: `py-${kind.kind}-other`, tenantId: 'py-other' });
    }
    for (const kind of KINDS) {
      const res = await py('GET', A[kind.key], { Accept: kind.coll }, { tenant_id: tenant });
      assert.ok(res.text.length > 0);
      assert.deepEqual(ids(res), [made[kind.key]], kind.kind);
      assertMediaType(res, kind.coll);
    }
    // Application.get_tenant(id): _get_resource_by_id → GET with Content-Type and Accept Tenant-v2
    const tr = await py('GET', A['tenantTemplate'].replace('{id}', encodeURIComponent(tenant)), {
      'Content-Type': MT.tenant,
      Accept: MT.tenant,
    });
    assertStatus(tr, 200);
    assert.equal(tr.json.id, tenant);
    // Tenant.get_bridges() etc. (query None): GET the link as given, Accept the collection type
    for (const kind of KINDS) {
      const res = await py('GET', tr.json[kind.key], { Accept: kind.coll });
      assert.deepEqual(ids(res), [made[kind.key]], `Tenant.${kind.key}`);
    }
    // clean up
    for (const kind of KINDS) {
      for (const o of (await get(A[kind.key], kind.coll)).json as { id: string }[]) {
        assertEmpty(await del(`${A[kind.key]}/${o.id}`), 204);
      }
    }
  });

  it('Application.get_tenants(query): GET with Accept coll.Tenant-v2 and body {}; marker/limit in the query', async () => {
    const plain = await py('GET', A['tenants'], { Accept: MT.tenants });
    assertStatus(plain, 200);
    assert.deepEqual(plain.json, [tenantJson(ADMIN_TENANT)]);
    const paged = await py('GET', A['tenants'], { Accept: MT.tenants }, { marker: 'admin', limit: '10' });
    assert.deepEqual(paged.json, [tenantJson(ADMIN_TENANT)]);
  });

  it('Application.get_system_state(): GET with Content-Type and Accept SystemState-v2, body {}; update() (PUT) → 405', async () => {
    const ss = await py('GET', A['systemState'], { 'Content-Type': MT2.systemState, Accept: MT2.systemState });
    assertStatus(ss, 200);
    assert.deepEqual(ss.json, SYSTEM_STATE);
    // ResourceBase.update(): PUT of the dto (the client would raise HTTPMethodNotAllowed)
    const upd = await rq('PUT', A['systemState'], {
      headers: { 'Content-Type': MT2.systemState },
      body: { ...SYSTEM_STATE, state: 'UPGRADE' },
    });
    assertEmpty(upd, 405);
  });
});
