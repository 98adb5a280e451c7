/**
 * The Keystone provider and tenant scoping against a real Keystone with two projects (issue 18,
 * findings 8–12): a validated token is cached no longer than Keystone's clock gives it; the ids a
 * request body names must be the caller's project's, a tenant finds its own routes with a
 * next-hop port, a PUT keeps the object in the caller's project, and another project's objects
 * answer as missing ones do (docs/security.md, docs/decisions/0023-hardening-after-abuse-probe.md).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Settings } from '../../lib/conf/settings.js';
import { keystoneConfig } from '../../lib/auth/keystone/config.js';
import { KeystoneAuthProvider } from '../../lib/auth/keystone/provider.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { keystoneSkipReason, startKeystone, type KeystoneServer } from '../support/keystone.js';
import { assertError, basic, del, get, modelText, MT, MT2, post, put, type Res } from '../support/rest-helpers.js';

const LEGACY = 'org.midonet.cluster.auth.keystone.v2_0.KeystoneService';
const RULE = 'application/vnd.org.midonet.Rule-v2+json';
const PW = { midonet: 'midonet-pw', carol: 'carol-pw', erin: 'erin-pw', dave: 'dave-pw', mia: 'mia-pw', rita: 'rita-pw' };

const skip = keystoneSkipReason();

function idOf(r: Res): string {
  assert.equal(r.status, 201, r.text);
  return String(r.headers.get('location')).split('/').pop() as string;
}

describe('Keystone token cache and tenant scoping (real Keystone, two projects)', { skip }, () => {
  let ks: KeystoneServer;
  let t: TestNode;
  const ids: Record<string, string> = {};
  let carol: string; // tenant_admin of proj-a
  let dave: string; // tenant_user of proj-a
  let erin: string; // tenant_admin of proj-b
  let admin: string;
  // proj-b's objects, made by erin
  let chainB: string;
  let bridgeB: string;
  let portB: string;
  let routerB: string;
  let portGroupB: string;
  let routeB: string;
  // proj-a's
  let chainA: string;
  let bridgeA: string;
  let routerA: string;

  async function login(user: string, password: string, project: string): Promise<string> {
    const r = await post(`${t.api}/login`, undefined, {}, { token: null, headers: { Authorization: basic(user, password), 'X-Auth-Project': project } });
    assert.equal(r.status, 200, r.text);
    return (r.json as { key: string }).key;
  }

  before(async () => {
    ks = await startKeystone();
    const a = ks.admin;
    for (const p of ['service', 'proj-a', 'proj-b']) ids[p] = await a.createProject(p);
    const adminRole = await a.roleId('admin');
    const netadmin = await a.createRole('netadmin');
    const netuser = await a.createRole('netuser');
    for (const [u, pw] of Object.entries(PW)) ids[u] = await a.createUser(u, pw);
    await a.grant(ids['service'], ids['midonet'], adminRole);
    await a.grant(ids['proj-a'], ids['carol'], netadmin);
    await a.grant(ids['proj-a'], ids['dave'], netuser);
    await a.grant(ids['proj-b'], ids['erin'], netadmin);
    // Keystone's own roles: mia is a member (which implies reader), rita a reader only
    await a.grant(ids['proj-a'], ids['mia'], await a.roleId('member'));
    await a.grant(ids['proj-a'], ids['rita'], await a.roleId('reader'));
    t = await startTestNode({
      set: {
        'cluster.auth.provider_class': LEGACY,
        'cluster.auth.keystone.host': '127.0.0.1',
        'cluster.auth.keystone.port': String(ks.port),
        'cluster.auth.keystone.version': '3',
        'cluster.auth.keystone.tenant_name': 'service',
        'cluster.auth.keystone.user_name': 'midonet',
        'cluster.auth.keystone.user_password': PW.midonet,
        'cluster.auth.admin_role': 'admin',
        'cluster.auth.tenant_admin_role': 'netadmin',
        'cluster.auth.tenant_user_role': 'netuser',
        'cluster.auth.tenant_scoping': 'true',
      },
    });
    carol = await login('carol', PW.carol, 'proj-a');
    dave = await login('dave', PW.dave, 'proj-a');
    erin = await login('erin', PW.erin, 'proj-b');
    admin = await login('admin', 'ks-admin-pw', 'admin');

    chainB = idOf(await post(`${t.api}/chains`, MT2.chain, { name: 'cb' }, { token: erin }));
    bridgeB = idOf(await post(`${t.api}/bridges`, MT.bridge, { name: 'bb' }, { token: erin }));
    portB = idOf(await post(`${t.api}/bridges/${bridgeB}/ports`, MT.port, { type: 'Bridge' }, { token: erin }));
    routerB = idOf(await post(`${t.api}/routers`, MT.router, { name: 'rb' }, { token: erin }));
    portGroupB = idOf(await post(`${t.api}/port_groups`, MT2.portGroup, { name: 'pgb' }, { token: erin }));
    const rPortB = idOf(await post(`${t.api}/routers/${routerB}/ports`, MT.port, { type: 'Router', portSubnet: ['10.2.0.1/24'] }, { token: erin }));
    routeB = idOf(
      await post(
        `${t.api}/routers/${routerB}/routes`,
        MT.route,
        {
          type: 'Normal',
          srcNetworkAddr: '0.0.0.0',
          srcNetworkLength: 0,
          dstNetworkAddr: '10.3.0.0',
          dstNetworkLength: 16,
          weight: 1,
          nextHopPort: rPortB,
        },
        { token: erin },
      ),
    );

    chainA = idOf(await post(`${t.api}/chains`, MT2.chain, { name: 'ca' }, { token: carol }));
    bridgeA = idOf(await post(`${t.api}/bridges`, MT.bridge, { name: 'ba' }, { token: carol }));
    routerA = idOf(await post(`${t.api}/routers`, MT.router, { name: 'ra' }, { token: carol }));
  });

  after(async () => {
    await t?.stop();
    await ks?.stop();
  });

  /** B's chain as stored: the back-references a leak would add show up here. */
  async function chainBText(): Promise<string> {
    return modelText(t, 'Chain', chainB);
  }

  describe('finding 8: the token cache', () => {
    function provider(now: () => number, cacheTtl: string): KeystoneAuthProvider {
      const settings = new Settings({
        'cluster.auth.keystone.host': '127.0.0.1',
        'cluster.auth.keystone.port': String(ks.port),
        'cluster.auth.keystone.version': '3',
        'cluster.auth.keystone.tenant_name': 'service',
        'cluster.auth.keystone.user_name': 'midonet',
        'cluster.auth.keystone.user_password': PW.midonet,
        'cluster.auth.keystone.cache_ttl': cacheTtl,
      });
      return new KeystoneAuthProvider({ config: keystoneConfig(settings), now });
    }

    it("a token is cached no longer than it lives on Keystone's clock, even when this node's clock is behind", async () => {
      // Keystone's tokens live 1 h (test/support/keystone.ts); this node's clock is 2 h behind
      const now = (): number => Date.now() - 2 * 3600_000;
      const p = provider(now, '3h');
      try {
        const token = await ks.admin.passwordToken('admin', 'ks-admin-pw', 'admin');
        assert.equal((await p.authorize(token)).tenantName, 'admin');
        const cachedFor = (p.cache.expiresAt(token) as number) - now();
        assert.ok(cachedFor <= 3600_000, `cached for ${cachedFor} ms, past the token's expiry`);
        assert.ok(cachedFor > 3300_000, `cached for ${cachedFor} ms`);
      } finally {
        p.close();
      }
    });

    it('cache_ttl is the most a token is trusted without asking Keystone again', async () => {
      const p = provider(Date.now, '5s');
      try {
        const token = await ks.admin.passwordToken('admin', 'ks-admin-pw', 'admin');
        await p.authorize(token);
        const cachedFor = (p.cache.expiresAt(token) as number) - Date.now();
        assert.ok(cachedFor <= 5000 && cachedFor > 0, `cached for ${cachedFor} ms`);
      } finally {
        p.close();
      }
    });
  });

  describe("finding 9: ids in a body must be the caller's project's", () => {
    it("a bridge, router or port may not name another project's chain: 404 as a missing one, nothing written", async () => {
      const before = await chainBText();
      const missing = randomUUID();
      const asMissing = assertError(await post(`${t.api}/bridges`, MT.bridge, { name: 'x', inboundFilterId: missing }, { token: carol }), 404);
      const foreign = assertError(await post(`${t.api}/bridges`, MT.bridge, { name: 'x', inboundFilterId: chainB }, { token: carol }), 404);
      assert.equal(foreign.message, String(asMissing.message).replace(missing, chainB));
      assertError(await put(`${t.api}/bridges/${bridgeA}`, MT.bridge, { name: 'ba', outboundFilterId: chainB }, { token: carol }), 404);
      assertError(await post(`${t.api}/routers`, MT.router, { name: 'x', inboundFilterId: chainB }, { token: carol }), 404);
      assertError(await put(`${t.api}/routers/${routerA}`, MT.router, { name: 'ra', localRedirectChainId: chainB }, { token: carol }), 404);
      const portA = idOf(await post(`${t.api}/bridges/${bridgeA}/ports`, MT.port, { type: 'Bridge' }, { token: carol }));
      assertError(await put(`${t.api}/ports/${portA}`, MT.port, { type: 'Bridge', inboundFilterId: chainB }, { token: carol }), 404);
      assert.equal(await chainBText(), before);
      const bridges = (await get(`${t.api}/bridges`, MT.bridges, { token: carol })).json as { id: string }[];
      assert.deepEqual(
        bridges.map((b) => b.id),
        [bridgeA],
      );
      // the own chain is fine
      const ok = await put(`${t.api}/bridges/${bridgeA}`, MT.bridge, { name: 'ba', inboundFilterId: chainA }, { token: carol });
      assert.equal(ok.status, 204, ok.text);
    });

    it("a rule may not jump to, or match on, another project's chain, port or port group", async () => {
      const before = await chainBText();
      const missing = randomUUID();
      const asMissing = assertError(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'jump', jumpChainId: missing }, { token: carol }), 404);
      const foreign = assertError(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'jump', jumpChainId: chainB }, { token: carol }), 404);
      assert.equal(foreign.message, String(asMissing.message).replace(missing, chainB));
      assertError(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'accept', inPorts: [portB] }, { token: carol }), 404);
      assertError(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'accept', portGroup: portGroupB }, { token: carol }), 404);
      assertError(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'accept', traversedDevice: bridgeB }, { token: carol }), 404);
      assert.equal(await chainBText(), before);
      const rules = (await get(`${t.api}/chains/${chainA}`, MT2.chain, { token: carol })).json as { ruleIds?: string[] };
      assert.deepEqual(rules.ruleIds ?? [], []);
      // admin-only objects (IP address groups) are not the tenant's either
      const ipg = idOf(await post(`${t.api}/ip_addr_groups`, 'application/vnd.org.midonet.IpAddrGroup-v1+json', { name: 'g' }, { token: admin }));
      assertError(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'accept', ipAddrGroupSrc: ipg }, { token: carol }), 404);
      // its own chain is fine, and deleting B's chain then leaves A alone
      const jump = idOf(await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'jump', jumpChainId: chainA }, { token: carol }));
      assert.equal((await get(`${t.api}/rules/${jump}`, RULE, { token: carol })).status, 200);
    });

    it("a route may not name another project's port as its next hop", async () => {
      const route = {
        type: 'BlackHole',
        srcNetworkAddr: '0.0.0.0',
        srcNetworkLength: 0,
        dstNetworkAddr: '10.4.0.0',
        dstNetworkLength: 16,
        weight: 1,
        nextHopPort: portB,
      };
      assertError(await post(`${t.api}/routers/${routerA}/routes`, MT.route, route, { token: carol }), 404);
      const port = (await get(`${t.api}/ports/${portB}`, MT.port, { token: erin })).json as { id: string };
      assert.equal(port.id, portB);
      assert.doesNotMatch(await modelText(t, 'Port', portB), /route_ids/);
    });

    it("a PUT may keep an id it already has (set by an admin), not add another project's", async () => {
      const pg = idOf(await post(`${t.api}/port_groups`, MT2.portGroup, { name: 'pga' }, { token: carol }));
      const r = await post(`${t.api}/chains/${chainA}/rules`, RULE, { type: 'accept', portGroup: pg }, { token: carol });
      assert.equal(r.status, 201, r.text);
      // an admin attaches B's chain to A's bridge: A's tenant may still rename the bridge as it is
      const br = idOf(await post(`${t.api}/bridges`, MT.bridge, { name: 'shared', tenantId: ids['proj-a'], inboundFilterId: chainB }, { token: admin }));
      const renamed = await put(`${t.api}/bridges/${br}`, MT.bridge, { name: 'shared2', inboundFilterId: chainB }, { token: carol });
      assert.equal(renamed.status, 204, renamed.text);
      assertError(
        await put(`${t.api}/bridges/${br}`, MT.bridge, { name: 'shared2', inboundFilterId: chainB, outboundFilterId: chainB }, { token: carol }),
        404,
      );
      assert.equal((await del(`${t.api}/bridges/${br}`, { token: admin })).status, 204);
    });
  });

  describe('finding 10: routes with a next-hop port', () => {
    it('the owner GETs and DELETEs its own route with a next-hop port', async () => {
      const port = idOf(await post(`${t.api}/routers/${routerA}/ports`, MT.port, { type: 'Router', portSubnet: ['10.9.0.1/24'] }, { token: carol }));
      const route = idOf(
        await post(
          `${t.api}/routers/${routerA}/routes`,
          MT.route,
          {
            type: 'Normal',
            srcNetworkAddr: '0.0.0.0',
            srcNetworkLength: 0,
            dstNetworkAddr: '10.8.0.0',
            dstNetworkLength: 16,
            weight: 1,
            nextHopPort: port,
          },
          { token: carol },
        ),
      );
      const got = await get(`${t.api}/routes/${route}`, MT.route, { token: carol });
      assert.equal(got.status, 200, got.text);
      assert.equal((got.json as { routerId: string }).routerId, routerA);
      assert.equal((await get(`${t.api}/routes/${route}`, MT.route, { token: dave })).status, 200);
      assertError(await get(`${t.api}/routes/${route}`, MT.route, { token: erin }), 404);
      const d = await del(`${t.api}/routes/${route}`, { token: carol });
      assert.equal(d.status, 204, d.text);
      assertError(await get(`${t.api}/routes/${route}`, MT.route, { token: admin }), 404);
    });
  });

  describe("finding 11: a PUT keeps the object in the caller's project", () => {
    it('a PUT without tenantId leaves the tenant as it was', async () => {
      for (const [path, type] of [
        [`bridges/${bridgeA}`, MT.bridge],
        [`routers/${routerA}`, MT.router],
      ] as const) {
        const r = await put(`${t.api}/${path}`, type, { name: 'renamed' }, { token: carol });
        assert.equal(r.status, 204, r.text);
        const got = await get(`${t.api}/${path}`, type, { token: carol });
        assert.equal(got.status, 200, got.text);
        assert.equal((got.json as { tenantId: string }).tenantId, ids['proj-a']);
      }
      const pg = idOf(await post(`${t.api}/port_groups`, MT2.portGroup, { name: 'p' }, { token: carol }));
      assert.equal((await put(`${t.api}/port_groups/${pg}`, MT2.portGroup, { name: 'q' }, { token: carol })).status, 204);
      assert.equal(((await get(`${t.api}/port_groups/${pg}`, MT2.portGroup, { token: carol })).json as { tenantId: string }).tenantId, ids['proj-a']);
    });
  });

  describe("finding 13: mapping Keystone's own roles (docs/security.md)", () => {
    it('tenant_admin_role = member, tenant_user_role = reader: a member writes (its token also carries reader), a reader only reads', async () => {
      const node = await startTestNode({
        set: {
          'cluster.auth.provider_class': LEGACY,
          'cluster.auth.keystone.host': '127.0.0.1',
          'cluster.auth.keystone.port': String(ks.port),
          'cluster.auth.keystone.tenant_name': 'service',
          'cluster.auth.keystone.user_name': 'midonet',
          'cluster.auth.keystone.user_password': PW.midonet,
          'cluster.auth.admin_role': 'admin',
          'cluster.auth.tenant_admin_role': 'member',
          'cluster.auth.tenant_user_role': 'reader',
          'cluster.auth.tenant_scoping': 'true',
        },
      });
      try {
        const mia = await ks.admin.passwordToken('mia', PW.mia, 'proj-a');
        const rita = await ks.admin.passwordToken('rita', PW.rita, 'proj-a');
        // what the documentation says: a member's token carries reader too (Keystone's implied roles)
        const answer = (await ks.admin.call('GET', '/auth/tokens', undefined, { 'X-Subject-Token': mia })).json as { token: { roles: { name: string }[] } };
        const roles = answer.token.roles;
        assert.deepEqual(roles.map((r) => r.name).sort(), ['member', 'reader']);
        const made = await post(`${node.api}/bridges`, MT.bridge, { name: 'by-member' }, { token: mia });
        assert.equal(made.status, 201, made.text);
        const bridge = idOf(made);
        assert.equal((await get(`${node.api}/bridges/${bridge}`, MT.bridge, { token: rita })).status, 200);
        assertError(await post(`${node.api}/bridges`, MT.bridge, { name: 'by-reader' }, { token: rita }), 403);
        assertError(await del(`${node.api}/bridges/${bridge}`, { token: rita }), 403);
        assert.equal((await del(`${node.api}/bridges/${bridge}`, { token: mia })).status, 204);
      } finally {
        await node.stop();
      }
    });
  });

  describe('finding 12: existence oracles', () => {
    it("deleting another project's port group or route answers as a missing one (204), and deletes nothing", async () => {
      for (const [path, clazz, id] of [
        ['port_groups', 'PortGroup', portGroupB],
        ['routes', 'Route', routeB],
      ] as const) {
        const random = await del(`${t.api}/${path}/${randomUUID()}`, { token: carol });
        assert.equal(random.status, 204, random.text);
        const foreign = await del(`${t.api}/${path}/${id}`, { token: carol });
        assert.equal(foreign.status, 204, foreign.text);
        assert.ok((await modelText(t, clazz, id)).length > 0);
        // a tenant_user: 403 for both (it may not delete at all)
        assertError(await del(`${t.api}/${path}/${randomUUID()}`, { token: dave }), 403);
        assertError(await del(`${t.api}/${path}/${id}`, { token: dave }), 403);
      }
      assert.equal((await get(`${t.api}/port_groups/${portGroupB}`, MT2.portGroup, { token: erin })).status, 200);
      assert.equal((await get(`${t.api}/routes/${routeB}`, MT.route, { token: erin })).status, 200);
    });
  });
});
