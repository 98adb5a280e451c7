/**
 * Tunnel zones and their members over REST against a real node and ZooKeeper (rest-api-core.md
 * §2.3, §5, §6.12, §7 scenario 21), and what ends up in ZooKeeper: a member is kept twice in the
 * zone (`hosts` with the IP, `host_ids`), and `host_ids` is bound to Host.tunnel_zone_ids
 * (storage.md §5), so both sides change together.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { message } from '../../lib/http/messages.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import {
  assertCreated,
  assertEmpty,
  assertError,
  assertMediaType,
  assertStatus,
  assertViolations,
  createStored,
  del,
  get,
  modelText,
  MT,
  post,
  put,
  rq,
  sorted,
  uuidText,
  zkExists,
  zoom,
  type Json,
  type Res,
} from '../support/rest-helpers.js';

const V = (name: string): string => `application/vnd.org.midonet.${name}+json`;
const C = (name: string): string => `application/vnd.org.midonet.collection.${name}+json`;
const TZ = { single: V('TunnelZone-v1'), coll: C('TunnelZone-v1') } as const;
const TZH = {
  single: V('TunnelZoneHost-v1'),
  coll: C('TunnelZoneHost-v1'),
  gre: V('GreTunnelZoneHost-v1'),
  greColl: C('GreTunnelZoneHost-v1'),
} as const;

let t: TestNode;
let api: string;

before(async () => {
  t = await startTestNode();
  api = t.api;
});

after(async () => {
  await t?.stop();
});

// ---- helpers ------------------------------------------------------------------------------

let zoneCount = 0;
const uniqueName = (prefix = 'tz'): string => `${prefix}-${++zoneCount}-${randomUUID().slice(0, 8)}`;

async function createZone(body: Record<string, unknown> = {}, type: string = TZ.single): Promise<string> {
  const res = await post(`${api}/tunnel_zones`, type, { name: uniqueName(), type: 'gre', ...body });
  return assertCreated(res, `${api}/tunnel_zones`);
}

async function getZone(id: string): Promise<Record<string, Json>> {
  const res = await get(`${api}/tunnel_zones/${id}`, TZ.single);
  assertStatus(res, 200);
  assertMediaType(res, TZ.single);
  return res.json;
}

/** A host through the hosts resource (§6.10: the client chooses the id). */
async function createHost(): Promise<string> {
  const id = randomUUID();
  const res = await post(`${api}/hosts`, V('Host-v3'), { id, name: `host-${id.slice(0, 8)}` });
  assert.equal(assertCreated(res, `${api}/hosts`), id);
  return id;
}

function addMember(zone: string, body: unknown, type: string = TZH.single): Promise<Res> {
  return post(`${api}/tunnel_zones/${zone}/hosts`, type, body);
}

async function join(zone: string, host: string, ip = '192.168.100.2'): Promise<void> {
  const res = await addMember(zone, { hostId: host, ipAddress: ip });
  assertStatus(res, 201);
  assert.equal(res.headers.get('location'), `${api}/tunnel_zones/${zone}/hosts/${host}`);
  assert.equal(res.text, '');
}

async function members(zone: string, accept: string = TZH.coll): Promise<Json[]> {
  const res = await get(`${api}/tunnel_zones/${zone}/hosts`, accept);
  assertStatus(res, 200);
  assertMediaType(res, accept);
  return res.json;
}

function zoneJson(id: string, name: string, type: string) {
  const uri = `${api}/tunnel_zones/${id}`;
  return { id, uri, name, type, hosts: `${uri}/hosts` };
}

function memberJson(zone: string, host: string, ip: string) {
  return {
    tunnelZoneId: zone,
    hostId: host,
    ipAddress: ip,
    uri: `${api}/tunnel_zones/${zone}/hosts/${host}`,
    host: `${api}/hosts/${host}`,
    tunnelZone: `${api}/tunnel_zones/${zone}`,
  };
}

/** Where a membership shows in ZooKeeper: the zone's host_ids and hosts entries, the host's tunnel_zone_ids. */
async function stored(zone: string, host: string): Promise<{ hostIds: boolean; hostsEntry: boolean; onHost: boolean }> {
  const z = await modelText(t, 'TunnelZone', zone);
  return {
    hostIds: z.includes(uuidText('host_ids', host)),
    hostsEntry: z.includes(uuidText('host_id', host, '  ')),
    onHost: (await modelText(t, 'Host', host)).includes(uuidText('tunnel_zone_ids', zone)),
  };
}

function ids(res: Res): string[] {
  assertStatus(res, 200);
  assert.ok(Array.isArray(res.json), `not a list: ${res.text}`);
  return sorted((res.json as { id: string }[]).map((x) => x.id));
}

// ---- scenario 21 ----------------------------------------------------------------------------

describe('tunnel zones (scenario 21)', () => {
  it('create; same name → 409; rename; members: 400, 201, 409, 404; both member types; delete; random zone → 404', async () => {
    const root = (await get(`${api}/`, MT.app)).json;
    const created = await post(root.tunnelZones, TZ.single, { name: 'tz1-name', type: 'gre' });
    const zone = assertCreated(created, `${api}/tunnel_zones`);
    assertError(await post(root.tunnelZones, TZ.single, { name: 'tz1-name', type: 'gre' }), 409, message('TunnelZoneNameExists'));
    const tz = await getZone(zone);
    assertEmpty(await put(tz.uri, TZ.single, { ...tz, name: 'tz1-name-modified' }), 204);
    assert.equal((await getZone(zone)).name, 'tz1-name-modified');

    const host = await createHost();
    assertViolations(await post(tz.hosts, TZH.gre, { hostId: host }), ['ipAddress']);
    const added = await post(tz.hosts, TZH.gre, { hostId: host, ipAddress: '192.168.100.2' });
    assertStatus(added, 201);
    const memberUri = added.headers.get('location')!;
    assert.equal(memberUri, `${tz.hosts}/${host}`);
    assertEmpty(await post(tz.hosts, TZH.gre, { hostId: host, ipAddress: '192.168.100.2' }), 409);
    assertError(await post(tz.hosts, TZH.gre, { hostId: randomUUID(), ipAddress: '192.168.100.3' }), 404);

    for (const accept of [TZH.single, TZH.gre]) {
      const got = await get(memberUri, accept);
      assertStatus(got, 200);
      assertMediaType(got, accept);
      assert.deepEqual(got.json, memberJson(zone, host, '192.168.100.2'));
    }
    assertEmpty(await del(memberUri), 204);
    assertError(await get(`${api}/tunnel_zones/${randomUUID()}`, TZ.single), 404);
  });
});

// ---- zones ----------------------------------------------------------------------------------

describe('tunnel zones: create, get, list, update', () => {
  it('POST (TunnelZone-v1 or json) → 201 + Location, no body; GET shows every field; types gre, vxlan, vtep', async () => {
    for (const [type, ct] of [
      ['gre', TZ.single],
      ['vxlan', MT.json],
      ['vtep', `${TZ.single}; charset=UTF-8`],
    ] as const) {
      const name = uniqueName(type);
      const id = await createZone({ name, type }, ct);
      assert.deepEqual(await getZone(id), zoneJson(id, name, type));
      const asJson = await get(`${api}/tunnel_zones/${id}`, MT.json);
      assertMediaType(asJson, MT.json);
      assert.deepEqual(asJson.json, zoneJson(id, name, type));
      const lines = (await modelText(t, 'TunnelZone', id)).split('\n');
      assert.ok(lines.includes(`name: "${name}"`) && lines.includes(`type: ${type.toUpperCase()}`), lines.join('\n'));
    }
  });

  it('a client-chosen id is used; twice → 409; members are not part of the zone JSON', async () => {
    const id = randomUUID();
    assert.equal(await createZone({ id }), id);
    assertError(await post(`${api}/tunnel_zones`, TZ.single, { id, name: uniqueName(), type: 'gre' }), 409);
    await join(id, await createHost());
    const z = await getZone(id);
    assert.deepEqual(Object.keys(z).sort(), ['hosts', 'id', 'name', 'type', 'uri']);
  });

  it('validation: name and type required, name 1..255, type lower-case gre|vxlan|vtep', async () => {
    const url = `${api}/tunnel_zones`;
    assertViolations(await post(url, TZ.single, { name: uniqueName() }), ['type']);
    assertViolations(await post(url, TZ.single, { type: 'gre' }), ['name']);
    assertViolations(await post(url, TZ.single, {}), ['name', 'type']);
    assertViolations(await post(url, TZ.single, { name: null, type: null }), ['name', 'type']);
    assertViolations(await post(url, TZ.single, { name: '', type: 'vxlan' }), ['name']);
    assertViolations(await post(url, TZ.single, { name: 'z'.repeat(256), type: 'vxlan' }), ['name']);
    const long = 'z'.repeat(255);
    assert.equal((await getZone(await createZone({ name: long }))).name, long);
    for (const type of ['GRE', 'Vxlan', 'ipsec', '', 1]) assertError(await post(url, TZ.single, { name: uniqueName(), type }), 400);
    assertError(await post(url, TZ.single, { name: ['a'], type: 'gre' }), 400);
    assert.ok(!(await get(url, TZ.coll)).json.some((z: Json) => z.name === ''));
  });

  it('names are unique among all zones, whatever their type; compared exactly; violations come before the name check', async () => {
    const name = uniqueName('unique');
    await createZone({ name, type: 'gre' });
    for (const type of ['gre', 'vxlan', 'vtep']) {
      assertError(await post(`${api}/tunnel_zones`, TZ.single, { name, type }), 409, message('TunnelZoneNameExists'));
    }
    // a body with violations is a 400 even though its name is taken
    assertViolations(await post(`${api}/tunnel_zones`, TZ.single, { name }), ['type']);
    // exact comparison: other case, surrounding blanks are other names
    await createZone({ name: name.toUpperCase() });
    await createZone({ name: ` ${name}` });
    assert.equal((await get(`${api}/tunnel_zones`, TZ.coll)).json.filter((z: Json) => z.name === name).length, 1);
  });

  it('concurrent creations and renames to one name: exactly one zone gets it, the others are 409', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName('race');
      const created = await Promise.all(Array.from({ length: 8 }, () => post(`${api}/tunnel_zones`, TZ.single, { name, type: 'gre' })));
      assert.deepEqual(sorted(created.map((r) => String(r.status))), ['201', ...Array.from({ length: 7 }, () => '409')]);
      for (const r of created) if (r.status === 409) assertError(r, 409, message('TunnelZoneNameExists'));
      assert.equal((await get(`${api}/tunnel_zones`, TZ.coll)).json.filter((z: Json) => z.name === name).length, 1);
      // renames race too: 6 zones renamed to one new name at once
      const zones = await Promise.all(Array.from({ length: 6 }, () => createZone({ name: uniqueName('r') })));
      const target = uniqueName('renamed');
      const renamed = await Promise.all(zones.map((id) => put(`${api}/tunnel_zones/${id}`, TZ.single, { name: target, type: 'gre' })));
      assert.deepEqual(sorted(renamed.map((r) => String(r.status))), ['204', ...Array.from({ length: 5 }, () => '409')]);
      assert.equal((await get(`${api}/tunnel_zones`, TZ.coll)).json.filter((z: Json) => z.name === target).length, 1);
    }
  });

  it('PUT replaces name and type, keeps the members; the unchanged name is fine; another zone’s name → 409', async () => {
    const zone = await createZone({ type: 'gre' });
    const host = await createHost();
    await join(zone, host, '10.0.0.1');
    const before = await getZone(zone);

    // the python client's update(): PUT the GET body back, unchanged or with only the type changed
    assertEmpty(await put(before.uri, TZ.single, before), 204);
    assertEmpty(await put(before.uri, MT.json, { ...before, type: 'vxlan', id: randomUUID() }), 204);
    assert.deepEqual(await getZone(zone), zoneJson(zone, before.name, 'vxlan'));

    const other = await createZone();
    const taken = (await getZone(other)).name;
    assertError(await put(before.uri, TZ.single, { name: taken, type: 'vxlan' }), 409, message('TunnelZoneNameExists'));
    const renamed = uniqueName('renamed');
    assertEmpty(await put(before.uri, TZ.single, { name: renamed, type: 'vtep' }), 204);
    assert.deepEqual(await getZone(zone), zoneJson(zone, renamed, 'vtep'));
    // the old name is free again
    await createZone({ name: before.name });

    assert.deepEqual(await members(zone), [memberJson(zone, host, '10.0.0.1')]);
    assert.deepEqual(await stored(zone, host), { hostIds: true, hostsEntry: true, onHost: true });
  });

  it('PUT validation: full replacement, so name and type are required; missing zone → 404', async () => {
    const zone = await createZone({ type: 'vxlan' });
    const before = await getZone(zone);
    assertViolations(await put(before.uri, TZ.single, { name: before.name }), ['type']);
    assertViolations(await put(before.uri, TZ.single, {}), ['name', 'type']);
    assertError(await put(before.uri, TZ.single, { name: before.name, type: 'GRE' }), 400);
    assert.deepEqual(await getZone(zone), before);
    assertError(await put(`${api}/tunnel_zones/${randomUUID()}`, TZ.single, { name: uniqueName(), type: 'gre' }), 404);
    assertError(await put(`${api}/tunnel_zones/not-a-uuid`, TZ.single, { name: uniqueName(), type: 'gre' }), 404);
  });

  it('list: coll.TunnelZone-v1 or json; every zone', async () => {
    const a = await createZone({ type: 'gre' });
    const b = await createZone({ type: 'vtep' });
    const list = await get(`${api}/tunnel_zones`, TZ.coll);
    assertMediaType(list, TZ.coll);
    for (const id of [a, b]) assert.ok(ids(list).includes(id));
    const asJson = await get(`${api}/tunnel_zones`, MT.json);
    assertMediaType(asJson, MT.json);
    assert.deepEqual(ids(asJson), ids(list));
    assert.deepEqual(
      (list.json as Json[]).find((z) => z.id === b),
      await getZone(b),
    );
  });
});

describe('tunnel zones: media types (§2.3)', () => {
  it('zones negotiate generically: missing/unknown Accept or Content-Type → 406 (not 415), empty body', async () => {
    const zone = await createZone();
    assertEmpty(await get(`${api}/tunnel_zones/${zone}`), 406);
    assertEmpty(await get(`${api}/tunnel_zones/${zone}`, TZ.coll), 406);
    assertEmpty(await get(`${api}/tunnel_zones`, TZ.single), 406);
    assertEmpty(await post(`${api}/tunnel_zones`, MT.bridge, { name: uniqueName(), type: 'gre' }), 406);
    assertEmpty(await put(`${api}/tunnel_zones/${zone}`, V('TunnelZone-v2'), { name: uniqueName(), type: 'gre' }), 406);
    const any = await get(`${api}/tunnel_zones/${zone}`, '*/*');
    assertMediaType(any, MT.json);
  });

  it('members negotiate explicitly: both member types (and their collections) for any zone type, json never', async () => {
    const zone = await createZone({ type: 'vxlan' });
    const h1 = await createHost();
    const h2 = await createHost();
    assertEmpty(await addMember(zone, { hostId: h1, ipAddress: '10.1.0.1' }, MT.json), 415);
    assertEmpty(await rq('POST', `${api}/tunnel_zones/${zone}/hosts`, { body: { hostId: h1, ipAddress: '10.1.0.1' } }), 415);
    assertEmpty(await addMember(zone, { hostId: h1, ipAddress: '10.1.0.1' }, TZ.single), 415);
    assertStatus(await addMember(zone, { hostId: h1, ipAddress: '10.1.0.1' }, TZH.gre), 201);
    assertStatus(await addMember(zone, { hostId: h2, ipAddress: '10.1.0.2' }, TZH.single), 201);

    const expected = [memberJson(zone, h1, '10.1.0.1'), memberJson(zone, h2, '10.1.0.2')];
    assert.deepEqual(await members(zone, TZH.coll), expected);
    assert.deepEqual(await members(zone, TZH.greColl), expected);
    const noAccept = await get(`${api}/tunnel_zones/${zone}/hosts`);
    assertStatus(noAccept, 200);
    assertMediaType(noAccept, TZH.coll);
    for (const accept of [MT.json, TZH.single, TZH.gre]) assertEmpty(await get(`${api}/tunnel_zones/${zone}/hosts`, accept), 406);
    for (const accept of [MT.json, TZH.coll]) assertEmpty(await get(`${api}/tunnel_zones/${zone}/hosts/${h1}`, accept), 406);
  });

  it('methods the paths do not serve → 405 with Allow, empty body', async () => {
    const zone = await createZone();
    const host = await createHost();
    await join(zone, host);
    for (const [method, url] of [
      ['PUT', `${api}/tunnel_zones/${zone}/hosts`],
      ['DELETE', `${api}/tunnel_zones/${zone}/hosts`],
      ['PUT', `${api}/tunnel_zones/${zone}/hosts/${host}`],
      ['POST', `${api}/tunnel_zones/${zone}/hosts/${host}`],
      ['PUT', `${api}/tunnel_zones`],
      ['DELETE', `${api}/tunnel_zones`],
    ] as const) {
      const res = await rq(method, url, { headers: { 'Content-Type': TZH.single }, body: {} });
      assertEmpty(res, 405);
      assert.ok(res.headers.get('allow'), `${method} ${url}`);
    }
  });
});

// ---- members --------------------------------------------------------------------------------

describe('tunnel zones: members', () => {
  it('POST validation: hostId and ipAddress required, ipAddress an IPv4 address; type errors → 400; nothing written', async () => {
    const zone = await createZone();
    const host = await createHost();
    const invalid = [{ property: 'ipAddress', message: 'is an invalid IP format' }];
    assertViolations(await addMember(zone, {}), ['hostId', 'ipAddress']);
    assertViolations(await addMember(zone, { ipAddress: '10.0.0.1' }), ['hostId']);
    assertViolations(await addMember(zone, { hostId: host, ipAddress: null }), ['ipAddress']);
    for (const ip of ['300.1.1.1', '10.0.1', '010.0.0.1', 'fe80::1', '']) {
      assert.deepEqual(assertViolations(await addMember(zone, { hostId: host, ipAddress: ip })), invalid, ip);
    }
    assertError(await addMember(zone, { hostId: 'not-a-uuid', ipAddress: '10.0.0.1' }), 400);
    assertError(await addMember(zone, { hostId: host, ipAddress: { a: 1 } }), 400);
    assertError(await addMember(zone, [host]), 400);
    // violations are found before the zone is looked up
    assertViolations(await addMember(randomUUID(), { hostId: host }), ['ipAddress']);
    assert.deepEqual(await members(zone), []);
    assert.deepEqual(await stored(zone, host), { hostIds: false, hostsEntry: false, onHost: false });
  });

  it('zone missing or host missing → 404; a host already a member → 409 with an empty body, its IP unchanged', async () => {
    const zone = await createZone();
    const host = await createHost();
    assertError(await addMember(randomUUID(), { hostId: host, ipAddress: '10.0.0.1' }), 404);
    assertError(await addMember('not-a-uuid', { hostId: host, ipAddress: '10.0.0.1' }), 404);
    assertError(await addMember(zone, { hostId: randomUUID(), ipAddress: '10.0.0.1' }), 404);
    await join(zone, host, '10.0.0.1');
    assertEmpty(await addMember(zone, { hostId: host, ipAddress: '10.0.0.99' }), 409);
    assert.deepEqual(await members(zone), [memberJson(zone, host, '10.0.0.1')]);
  });

  it('a member is stored in both zone lists and on the host; a host may be in several zones; order kept', async () => {
    const z1 = await createZone({ type: 'gre' });
    const z2 = await createZone({ type: 'vxlan' });
    const h1 = await createHost();
    const h2 = await createHost();
    await join(z1, h1, '10.0.0.1');
    await join(z1, h2, '10.0.0.2');
    await join(z2, h1, '172.16.0.1');
    assert.deepEqual(await members(z1), [memberJson(z1, h1, '10.0.0.1'), memberJson(z1, h2, '10.0.0.2')]);
    assert.deepEqual(await members(z2), [memberJson(z2, h1, '172.16.0.1')]);
    for (const [z, h] of [
      [z1, h1],
      [z1, h2],
      [z2, h1],
    ] as const) {
      assert.deepEqual(await stored(z, h), { hostIds: true, hostsEntry: true, onHost: true }, `${z} ${h}`);
    }
    assert.deepEqual(await stored(z2, h2), { hostIds: false, hostsEntry: false, onHost: false });
    const text = await modelText(t, 'TunnelZone', z1);
    assert.ok(text.includes('address: "10.0.0.2"'), text);
  });

  it('GET one: 200 for a member; not a member, or a missing zone → 404', async () => {
    const zone = await createZone();
    const host = await createHost();
    assertError(await get(`${api}/tunnel_zones/${zone}/hosts/${host}`, TZH.single), 404);
    await join(zone, host, '10.2.0.1');
    const got = await get(`${api}/tunnel_zones/${zone}/hosts/${host}`, TZH.single);
    assertStatus(got, 200);
    assert.deepEqual(got.json, memberJson(zone, host, '10.2.0.1'));
    assertError(await get(`${api}/tunnel_zones/${randomUUID()}/hosts/${host}`, TZH.single), 404);
    assertError(await get(`${api}/tunnel_zones/${randomUUID()}/hosts`, TZH.coll), 404);
  });

  it('DELETE: 204 and gone from the zone and the host; not a member → 404 with an empty body; zone missing → 404', async () => {
    const zone = await createZone();
    const keep = await createHost();
    const leave = await createHost();
    await join(zone, keep, '10.3.0.1');
    await join(zone, leave, '10.3.0.2');
    assertEmpty(await del(`${api}/tunnel_zones/${zone}/hosts/${leave}`), 204);
    assert.deepEqual(await members(zone), [memberJson(zone, keep, '10.3.0.1')]);
    assert.deepEqual(await stored(zone, leave), { hostIds: false, hostsEntry: false, onHost: false });
    assert.deepEqual(await stored(zone, keep), { hostIds: true, hostsEntry: true, onHost: true });
    assertStatus(await get(`${api}/hosts/${leave}`, V('Host-v3')), 200);

    assertEmpty(await del(`${api}/tunnel_zones/${zone}/hosts/${leave}`), 404);
    assertEmpty(await del(`${api}/tunnel_zones/${zone}/hosts/${randomUUID()}`), 404);
    assertError(await del(`${api}/tunnel_zones/${randomUUID()}/hosts/${keep}`), 404);
    assertError(await del(`${api}/tunnel_zones/${zone}/hosts/not-a-uuid`), 404);
    // the host may join again, with another address
    await join(zone, leave, '10.3.0.3');
    assert.deepEqual(
      (await members(zone)).map((m) => m.ipAddress),
      ['10.3.0.1', '10.3.0.3'],
    );
  });

  it('a member makes the host bindable: host-interface-port bindings need a zone (§6.13)', async () => {
    const zone = await createZone();
    const host = await createHost();
    const bridge = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'tz-bridge' }), `${api}/bridges`);
    const port = assertCreated(await post(`${api}/bridges/${bridge}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
    const bind = () => post(`${api}/hosts/${host}/ports`, V('HostInterfacePort-v1'), { portId: port, interfaceName: 'eth0' });
    assertError(await bind(), 409, message('HostIsNotInAnyTunnelZone'));
    await join(zone, host);
    assertStatus(await bind(), 201);
  });
});

// ---- delete rules ---------------------------------------------------------------------------

describe('tunnel zones: delete rules (§5)', () => {
  it('DELETE a zone clears its hosts’ tunnel_zone_ids; the hosts and their other memberships stay', async () => {
    const zone = await createZone();
    const other = await createZone();
    const h1 = await createHost();
    const h2 = await createHost();
    await join(zone, h1, '10.4.0.1');
    await join(zone, h2, '10.4.0.2');
    await join(other, h1, '10.5.0.1');

    assertEmpty(await del(`${api}/tunnel_zones/${zone}`), 204);
    assert.equal(await zkExists(t, `${zoom(t)}/models/TunnelZone/${zone}`), false);
    assert.equal(await zkExists(t, `${zoom(t)}/objects/TunnelZone/${zone}`), false);
    for (const h of [h1, h2]) {
      const text = await modelText(t, 'Host', h);
      assert.ok(!text.includes(uuidText('tunnel_zone_ids', zone)), `host still names the zone:\n${text}`);
      assertStatus(await get(`${api}/hosts/${h}`, V('Host-v3')), 200);
    }
    assert.deepEqual(await stored(other, h1), { hostIds: true, hostsEntry: true, onHost: true });
    assertError(await get(`${api}/tunnel_zones/${zone}`, TZ.single), 404);
    assertError(await get(`${api}/tunnel_zones/${zone}/hosts`, TZH.coll), 404);
    // the name is free again
    await createZone({ name: (await getZone(other)).name + '-x' });
  });

  it('a zone used by a VTEP → 409 and stays; without the VTEP → 204', async () => {
    const zone = await createZone({ type: 'vtep' });
    const vtep = await createStored(t, 'Vtep', { tunnel_zone_id: zone });
    const res = await del(`${api}/tunnel_zones/${zone}`);
    assertError(res, 409);
    assert.ok(String(res.json.message).includes(vtep), res.text);
    assertStatus(await get(`${api}/tunnel_zones/${zone}`, TZ.single), 200);
    await t.node.storage.tryTransaction(0, async (tx) => {
      await tx.delete('Vtep', vtep);
    });
    assertEmpty(await del(`${api}/tunnel_zones/${zone}`), 204);
  });

  it('DELETE of a missing zone → 204 (idempotent); a malformed id → 404', async () => {
    const zone = await createZone();
    assertEmpty(await del(`${api}/tunnel_zones/${zone}`), 204);
    assertEmpty(await del(`${api}/tunnel_zones/${zone}`), 204);
    assertEmpty(await del(`${api}/tunnel_zones/${randomUUID()}`), 204);
    assertError(await del(`${api}/tunnel_zones/1234`), 404);
    assertError(await get(`${api}/tunnel_zones/1234`, TZ.single), 404);
  });

  it('DELETE a host removes it from every zone (both lists)', async () => {
    const z1 = await createZone();
    const z2 = await createZone();
    const host = await createHost();
    const other = await createHost();
    await join(z1, host, '10.6.0.1');
    await join(z2, host, '10.6.0.2');
    await join(z1, other, '10.6.0.3');
    assertStatus(await del(`${api}/hosts/${host}`), 200);
    assert.deepEqual(await members(z1), [memberJson(z1, other, '10.6.0.3')]);
    assert.deepEqual(await members(z2), []);
    for (const z of [z1, z2]) {
      const text = await modelText(t, 'TunnelZone', z);
      assert.ok(!text.includes(uuidText('host_ids', host)) && !text.includes(uuidText('host_id', host, '  ')), text);
    }
  });
});
