/**
 * What an abuse probe found in the REST API (issue 18, findings 2 and 7), against a real node and
 * ZooKeeper: DHCPv6 client ids are checked and every `uri`/`Location` built from data names its
 * object again; an IP address group address answers its true Location; a 507 names the real
 * cause; a duplicate DHCPv6 host is not called a MAC address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertCreated, assertError, assertStatus, assertViolations, del, get, MT, post, put, type Res } from '../support/rest-helpers.js';

const D = {
  subnet: 'application/vnd.org.midonet.DhcpSubnet-v2+json',
  host: 'application/vnd.org.midonet.DhcpHost-v2+json',
  subnet6: 'application/vnd.org.midonet.DhcpV6Subnet-v1+json',
  host6: 'application/vnd.org.midonet.DhcpV6Host-v1+json',
  hosts6: 'application/vnd.org.midonet.collection.DhcpV6Host-v1+json',
} as const;
const IPG = 'application/vnd.org.midonet.IpAddrGroup-v1+json';
const IPG_ADDR = 'application/vnd.org.midonet.IpAddrGroupAddr-v1+json';
const PREFIX = '2001:db8:0:0:0:0:0:0';

let t: TestNode;

before(async () => {
  t = await startTestNode();
});

after(async () => {
  await t?.stop();
});

async function v6Hosts(): Promise<{ hosts: string; subnetId: () => Promise<string> }> {
  const b = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'v6' }), `${t.api}/bridges`);
  assertStatus(await post(`${t.api}/bridges/${b}/dhcpV6`, D.subnet6, { prefix: PREFIX, prefixLength: 64 }), 201);
  return {
    hosts: `${t.api}/bridges/${b}/dhcpV6/${PREFIX}_64/hostsV6`,
    subnetId: async () => String((await t.node.storage.get('Network', b)).dhcpv6_ids?.[0]),
  };
}

describe('finding 2: DHCPv6 client ids', () => {
  it("empty, control characters, unpaired surrogates, '-' and over-long ids: 400 naming clientId, nothing written", async () => {
    const { hosts, subnetId } = await v6Hosts();
    const id = await subnetId();
    const before = await t.node.storage.get('DhcpV6', id);
    for (const clientId of [
      '',
      'a\u0000b',
      'a\r\nSet-Cookie: x=y',
      'tab\there',
      '\u0085',
      'a\ud800b',
      '00-01-02',
      '.',
      '..',
      'x'.repeat(390),
      'x'.repeat(200 * 1024),
    ]) {
      const r = await post(hosts, D.host6, { clientId, fixedAddress: '2001:db8::10', name: 'h' });
      assertViolations(r, ['clientId']);
    }
    assert.deepEqual(await t.node.storage.get('DhcpV6', id), before);
    assert.deepEqual((await get(hosts, D.hosts6)).json, []);
    // the longest accepted: a 130-byte DUID as colon-separated hex
    const longest = Array.from({ length: 130 }, () => 'ab').join(':');
    const ok = await post(hosts, D.host6, { clientId: longest, fixedAddress: '2001:db8::11' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await get(String(ok.headers.get('location')), D.host6)).status, 200);
  });

  it('a client id with characters that end or escape a path segment, or are no ASCII: its uri and Location name it again', async () => {
    const { hosts } = await v6Hosts();
    for (const clientId of ['00:01/../x', 'a?b=c', 'frag#ment', '100%', 'sp ace', 'caf\u00e9:\u20ac:\u{1F600}', '...']) {
      const r: Res = await post(hosts, D.host6, { clientId, fixedAddress: '2001:db8::20', name: 'n' });
      assert.equal(r.status, 201, `${clientId}: ${r.text}`);
      const location = String(r.headers.get('location'));
      assert.match(location, /^[\x21-\x7e]+$/, 'a Location is printable ASCII');
      const got = await get(location, D.host6);
      assert.equal(got.status, 200, `${clientId}: GET ${location}: ${got.text}`);
      const json = got.json as { clientId: string; uri: string };
      assert.equal(json.clientId, clientId);
      assert.equal(json.uri, location);
      assert.equal((await put(location, D.host6, { clientId, fixedAddress: '2001:db8::21', name: 'm' })).status, 204);
      assert.equal((await del(json.uri)).status, 204, `${clientId}: DELETE`);
      assert.equal((await get(location, D.host6)).status, 404);
    }
  });

  it('finding 7: a duplicate DHCPv6 host is named by its client id, not as a MAC address', async () => {
    const { hosts } = await v6Hosts();
    assertStatus(await post(hosts, D.host6, { clientId: '00:01:aa', fixedAddress: '2001:db8::30' }), 201);
    const body = assertError(await post(hosts, D.host6, { clientId: '00:01:aa', fixedAddress: '2001:db8::31' }), 409) as { message: string };
    assert.doesNotMatch(body.message, /MAC/);
    assert.match(body.message, /client ID 00:01:aa/);
  });
});

describe('finding 7: smaller points', () => {
  it('an IPv6 address posted as version 4 answers the Location it is stored under (versions/6)', async () => {
    const g = assertCreated(await post(`${t.api}/ip_addr_groups`, IPG, { name: 'g' }), `${t.api}/ip_addr_groups`);
    const r = await post(`${t.api}/ip_addr_groups/${g}/ip_addrs`, IPG_ADDR, { version: 4, addr: '::1' });
    assert.equal(r.status, 201, r.text);
    const location = String(r.headers.get('location'));
    assert.match(location, /\/versions\/6\/ip_addrs\//);
    const got = await get(location, IPG_ADDR);
    assert.equal(got.status, 200, got.text);
    assert.equal((got.json as { version: number; uri: string }).version, 6);
    assert.match((got.json as { uri: string }).uri, /\/versions\/6\/ip_addrs\//);
  });

  it('a 507 for an object with a large field names that field, not references', async () => {
    const b = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'big' }), `${t.api}/bridges`);
    const subnet = `${t.api}/bridges/${b}/dhcp/10.0.0.0_24`;
    assertStatus(await post(`${t.api}/bridges/${b}/dhcp`, D.subnet, { subnetPrefix: '10.0.0.0', subnetLength: 24 }), 201);
    const name = 'n'.repeat(600 * 1024);
    assertStatus(await post(`${subnet}/hosts`, D.host, { macAddr: '02:00:00:00:00:01', ipAddr: '10.0.0.2', name }), 201);
    const refused = await post(`${subnet}/hosts`, D.host, { macAddr: '02:00:00:00:00:02', ipAddr: '10.0.0.3', name });
    const body = assertError(refused, 507) as { message: string };
    assert.doesNotMatch(body.message, /references/);
    assert.match(body.message, /The Dhcp with ID [0-9a-f-]+ would take \d+ bytes in ZooKeeper: .*its field hosts takes \d+ bytes/);
  });
});
