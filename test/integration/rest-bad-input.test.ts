/**
 * Rejected requests: malformed or mistyped bodies, bad ids, violations, negotiation failures,
 * oversized bodies and unsupported methods (rest-api-core.md §1, §2.3, §2.4, §3). Every rejected
 * write must leave ZooKeeper untouched.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { RawHttp, requestHead } from '../support/raw-http.js';
import {
  ANY_MESSAGE,
  assertCreated,
  assertEmpty,
  assertError,
  assertStatus,
  assertViolations,
  del,
  get,
  MT,
  post,
  put,
  rq,
  zkCounts,
  zoom,
} from '../support/rest-helpers.js';

let t: TestNode;
let api: string;
let bridgeId: string;
let routerId: string;
let bridgePortId: string;
let routerPortId: string;
let bridgeVersion: number;

const CLASSES = ['Network', 'Port', 'Router', 'Route'];
let counts: Record<string, number>;

async function modelVersion(clazz: string, id: string): Promise<number> {
  const stat = await t.node.zk.exists(`${zoom(t)}/models/${clazz}/${id}`);
  assert.ok(stat, `models/${clazz}/${id} missing`);
  return stat.version;
}

/** ZooKeeper has not changed since the last snapshot (children counts and the test bridge's version). */
async function assertUnchanged(): Promise<void> {
  assert.deepEqual(await zkCounts(t, CLASSES), counts, 'children of models/ and objects/ changed');
  assert.equal(await modelVersion('Network', bridgeId), bridgeVersion, 'the bridge node was written');
}

before(async () => {
  t = await startTestNode();
  api = t.api;
  bridgeId = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'keep', tenantId: 't' }), `${api}/bridges`);
  routerId = assertCreated(await post(`${api}/routers`, MT.router, { name: 'keep' }), `${api}/routers`);
  bridgePortId = assertCreated(await post(`${api}/bridges/${bridgeId}/ports`, MT.port, { type: 'Bridge' }), `${api}/ports`);
  routerPortId = assertCreated(await post(`${api}/routers/${routerId}/ports`, MT.port, { type: 'Router', portSubnet: ['10.0.0.1/24'] }), `${api}/ports`);
});

after(async () => {
  await t?.stop();
});

beforeEach(async () => {
  counts = await zkCounts(t, CLASSES);
  bridgeVersion = await modelVersion('Network', bridgeId);
});

describe('the unchanged-ZooKeeper check itself', () => {
  it('notices a successful write', async () => {
    const id = assertCreated(await post(`${api}/bridges`, MT.bridge, { name: 'control' }), `${api}/bridges`);
    await assert.rejects(assertUnchanged());
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
    assertEmpty(await put(`${api}/bridges/${bridgeId}`, MT.bridge, { name: 'keep', tenantId: 't' }), 204);
    await assert.rejects(assertUnchanged());
  });
});

describe('malformed and mistyped JSON → 400', () => {
  const bodies: [string, string][] = [
    ['truncated JSON', '{"name": '],
    ['not JSON at all', 'name=bridge'],
    ['a JSON array', '[]'],
    ['a JSON string', '"bridge"'],
    ['adminStateUp: "yes"', '{"name": "x", "adminStateUp": "yes"}'],
    ['name: {}', '{"name": {}}'],
    ['name: []', '{"name": []}'],
    ['inboundMirrorIds: "x"', '{"name": "x", "inboundMirrorIds": "x"}'],
    ['an invalid UUID in inboundFilterId', '{"name": "x", "inboundFilterId": "not-a-uuid"}'],
    ['an invalid UUID as id', '{"id": "1234", "name": "x"}'],
    ['a number as UUID', '{"name": "x", "outboundFilterId": 42}'],
    ['an invalid UUID in a list', `{"name": "x", "inboundMirrorIds": ["${randomUUID()}", "zzz"]}`],
  ];
  for (const [what, raw] of bodies) {
    it(`POST /bridges with ${what}`, async () => {
      const res = await rq('POST', `${api}/bridges`, { headers: { 'Content-Type': MT.bridge }, rawBody: raw });
      assertError(res, 400);
      await assertUnchanged();
    });
    it(`PUT /bridges/{id} with ${what}`, async () => {
      const res = await rq('PUT', `${api}/bridges/${bridgeId}`, { headers: { 'Content-Type': MT.bridge }, rawBody: raw });
      assertError(res, 400);
      await assertUnchanged();
    });
  }

  it('POST /routers with asNumber "x" or {} → 400', async () => {
    assertError(await post(`${api}/routers`, MT.router, { name: 'x', asNumber: 'x' }), 400);
    assertError(await post(`${api}/routers`, MT.router, { name: 'x', asNumber: {} }), 400);
    await assertUnchanged();
  });

  it('POST a bridge port with vlanId "ten" or an invalid vifId → 400', async () => {
    assertError(await post(`${api}/bridges/${bridgeId}/ports`, MT.port, { type: 'Bridge', vlanId: 'ten' }), 400);
    assertError(await post(`${api}/bridges/${bridgeId}/ports`, MT.port, { type: 'Bridge', vifId: 'nope' }), 400);
    await assertUnchanged();
  });

  it('POST a bridge port with vlanId 65536 or -1 → 400', async () => {
    assertError(await post(`${api}/bridges/${bridgeId}/ports`, MT.port, { type: 'Bridge', vlanId: 65536 }), 400);
    assertError(await post(`${api}/bridges/${bridgeId}/ports`, MT.port, { type: 'Bridge', vlanId: -1 }), 400);
    await assertUnchanged();
  });

  it('POST a link with an invalid peerId → 400', async () => {
    assertError(await post(`${api}/ports/${bridgePortId}/link`, MT.portLink, { peerId: 'nope' }), 400);
    await assertUnchanged();
  });

  it('a name longer than 255 characters → 400 with a violation on name', async () => {
    assertViolations(await post(`${api}/bridges`, MT.bridge, { name: 'x'.repeat(256) }), ['name']);
    assertViolations(await post(`${api}/routers`, MT.router, { name: 'x'.repeat(256) }), ['name']);
    await assertUnchanged();
  });
});

describe('invalid UUIDs in the path → 404', () => {
  it('GET, PUT, DELETE /bridges/not-a-uuid', async () => {
    assertError(await get(`${api}/bridges/not-a-uuid`, MT.bridge), 404, ANY_MESSAGE);
    assertError(await put(`${api}/bridges/not-a-uuid`, MT.bridge, { name: 'x' }), 404, ANY_MESSAGE);
    assertError(await del(`${api}/bridges/not-a-uuid`), 404, ANY_MESSAGE);
    await assertUnchanged();
  });

  it('ports, routers and routes', async () => {
    assertError(await get(`${api}/routers/1234`, MT.router), 404, ANY_MESSAGE);
    assertError(await put(`${api}/routers/1234`, MT.router, { name: 'x' }), 404, ANY_MESSAGE);
    assertError(await get(`${api}/ports/xyz`, MT.port), 404, ANY_MESSAGE);
    assertError(await put(`${api}/ports/xyz`, MT.port, { type: 'Bridge' }), 404, ANY_MESSAGE);
    assertError(await del(`${api}/ports/xyz`), 404, ANY_MESSAGE);
    assertError(await get(`${api}/routes/xyz`, MT.route), 404, ANY_MESSAGE);
    // routers and routes delete a missing id idempotently (204), but a malformed one is still 404
    assertError(await del(`${api}/routers/1234`), 404, ANY_MESSAGE);
    assertError(await del(`${api}/routes/xyz`), 404, ANY_MESSAGE);
    assert.equal((await del(`${api}/routers/${randomUUID()}`)).status, 204);
    await assertUnchanged();
  });

  it('a malformed percent-escape in a path parameter → 400, nothing written', async () => {
    assertError(await get(`${api}/bridges/%E0%A4%A`, MT.bridge), 400, /Failed to decode param/);
    assertError(await del(`${api}/bridges/%zz`), 400, /Failed to decode param/);
    assertError(await put(`${api}/bridges/%E0%A4%A`, MT.bridge, { name: 'x' }), 400, /Failed to decode param/);
    await assertUnchanged();
  });

  it('children of a malformed parent id', async () => {
    assertError(await post(`${api}/bridges/not-a-uuid/ports`, MT.port, { type: 'Bridge' }), 404, ANY_MESSAGE);
    assertError(await get(`${api}/bridges/not-a-uuid/ports`, MT.ports), 404, ANY_MESSAGE);
    assertError(await post(`${api}/routers/not-a-uuid/ports`, MT.port, { type: 'Router' }), 404, ANY_MESSAGE);
    assertError(
      await post(`${api}/routers/not-a-uuid/routes`, MT.route, { type: 'BlackHole', srcNetworkAddr: '0.0.0.0', dstNetworkAddr: '1.0.0.0' }),
      404,
      ANY_MESSAGE,
    );
    assertError(await post(`${api}/ports/not-a-uuid/link`, MT.portLink, { peerId: bridgePortId }), 404, ANY_MESSAGE);
    await assertUnchanged();
  });
});

describe('address validation → 400 with a violation naming the property', () => {
  const port = (body: Record<string, unknown>) => post(`${api}/routers/${routerId}/ports`, MT.port, { type: 'Router', ...body });

  for (const bad of [['10.0.0.1/33'], ['bogus'], ['10.0.0.256/24'], ['10.0.0.1/24', '1:2:3/64'], ['10.0.0.1/x']]) {
    it(`portSubnet ${JSON.stringify(bad)}`, async () => {
      assertViolations(await port({ portSubnet: bad }), ['portSubnet']);
      await assertUnchanged();
    });
  }

  for (const bad of ['01:02:03:04:05', '01:02:03:04:05:06:07', 'zz:02:03:04:05:06', 'nonsense']) {
    it(`portMac ${bad}`, async () => {
      assertViolations(await port({ portSubnet: ['10.0.5.1/24'], portMac: bad }), ['portMac']);
      await assertUnchanged();
    });
  }

  for (const bad of ['010.0.0.1', '10.0.0', '256.1.1.1', 'host', '10.0.0.1/24']) {
    it(`portAddress ${bad}`, async () => {
      assertViolations(await port({ portAddress: bad, networkAddress: '10.0.0.0', networkLength: 24 }), ['portAddress']);
      await assertUnchanged();
    });
  }

  it('route addresses', async () => {
    const route = {
      type: 'Normal',
      srcNetworkAddr: '10.0.0.0',
      srcNetworkLength: 24,
      dstNetworkAddr: '192.168.0.0',
      dstNetworkLength: 24,
      nextHopPort: routerPortId,
    };
    const url = `${api}/routers/${routerId}/routes`;
    assertViolations(await post(url, MT.route, { ...route, srcNetworkAddr: '1000.2.3.4' }), ['srcNetworkAddr']);
    assertViolations(await post(url, MT.route, { ...route, dstNetworkAddr: '192.168.0' }), ['dstNetworkAddr']);
    assertViolations(await post(url, MT.route, { ...route, nextHopGateway: '192.168.0.01' }), ['nextHopGateway']);
    assertViolations(await post(url, MT.route, { ...route, srcNetworkAddr: 'x', dstNetworkAddr: 'y' }), ['srcNetworkAddr', 'dstNetworkAddr']);
    await assertUnchanged();
  });

  it('a PUT with a bad portMac leaves the port unchanged', async () => {
    const cur = (await get(`${api}/ports/${routerPortId}`, MT.port)).json;
    const version = await modelVersion('Port', routerPortId);
    assertViolations(await put(`${api}/ports/${routerPortId}`, MT.port, { ...cur, portMac: 'nonsense' }), ['portMac']);
    assert.equal(await modelVersion('Port', routerPortId), version);
    assert.deepEqual((await get(`${api}/ports/${routerPortId}`, MT.port)).json, cur);
    await assertUnchanged();
  });
});

describe('content negotiation', () => {
  it('generic POST with a wrong Content-Type → 406 with no body', async () => {
    for (const type of ['text/plain', MT.router, 'application/vnd.org.midonet.Bridge-v3+json', 'application/xml', 'garbage']) {
      assertEmpty(await post(`${api}/bridges`, type, { name: 'x' }), 406);
    }
    assertEmpty(await post(`${api}/bridges/${bridgeId}/ports`, MT.bridge, { type: 'Bridge' }), 406);
    assertEmpty(await post(`${api}/routers/${routerId}/routes`, 'application/xml', { type: 'BlackHole' }), 406);
    await assertUnchanged();
  });

  it('generic POST without a Content-Type or with a list of types → 406', async () => {
    assertEmpty(await rq('POST', `${api}/bridges`, { rawBody: '{"name": "x"}' }), 406);
    assertEmpty(await post(`${api}/bridges`, `${MT.bridge}, ${MT.json}`, { name: 'x' }), 406);
    await assertUnchanged();
  });

  it('generic PUT with a wrong Content-Type → 406', async () => {
    assertEmpty(await put(`${api}/bridges/${bridgeId}`, 'text/plain', { name: 'changed' }), 406);
    assertEmpty(await put(`${api}/ports/${bridgePortId}`, MT.bridge, { type: 'Bridge' }), 406);
    await assertUnchanged();
  });

  it('generic GET with a wrong Accept → 406 with no body', async () => {
    assertEmpty(await get(`${api}/bridges/${bridgeId}`, MT.router), 406);
    assertEmpty(await get(`${api}/bridges/${bridgeId}`, 'text/html'), 406);
    assertEmpty(await get(`${api}/ports/${bridgePortId}`, MT.bridge), 406);
    assertEmpty(await get(`${api}/bridges`, MT.bridge), 406);
  });

  it('generic GET without an Accept header → 406', async () => {
    assertEmpty(await get(`${api}/bridges/${bridgeId}`), 406);
    assertEmpty(await get(`${api}/bridges`), 406);
    assertEmpty(await get(`${api}/routers/${routerId}`), 406);
  });

  it('explicit (E) link POST with a wrong Content-Type → 415 with no body', async () => {
    for (const type of ['text/plain', MT.bridge, MT.port]) {
      assertEmpty(await post(`${api}/ports/${bridgePortId}/link`, type, { peerId: routerPortId }), 415);
    }
    assertEmpty(await rq('POST', `${api}/ports/${bridgePortId}/link`, { rawBody: JSON.stringify({ peerId: routerPortId }) }), 415);
    await assertUnchanged();
    assert.equal((await get(`${api}/ports/${bridgePortId}`, MT.port)).json.peerId, null);
  });

  it('explicit (E) GET with an Accept it cannot produce → 406', async () => {
    assertEmpty(await get(`${api}/routers/${routerId}/routes`, MT.route), 406);
    assertEmpty(await get(`${api}/routers/${routerId}/peer_ports`, MT.port), 406);
    assertEmpty(await get(`${api}/system_state`, 'text/plain'), 406);
  });
});

describe('oversized bodies → 413', () => {
  // unknown keys are ignored (§2.4): only the size matters
  const big = JSON.stringify({ name: 'x', padding: 'y'.repeat(1024 * 1024 + 16) });

  it('with a Content-Length over 1 MiB', async () => {
    const res = await rq('POST', `${api}/bridges`, { headers: { 'Content-Type': MT.bridge }, rawBody: big });
    assertStatus(res, 413);
    await assertUnchanged();
  });

  it('chunked, without Content-Length', async () => {
    const res = await rq('POST', `${api}/bridges`, { headers: { 'Content-Type': MT.bridge }, rawBody: big, chunked: true });
    assertStatus(res, 413);
    await assertUnchanged();
  });

  it('on PUT', async () => {
    const res = await rq('PUT', `${api}/bridges/${bridgeId}`, { headers: { 'Content-Type': MT.bridge }, rawBody: big });
    assertStatus(res, 413);
    await assertUnchanged();
  });

  it('over the declared length: 413 at once, and the connection closed without reading the rest', async () => {
    const declared = 64 * 1024 * 1024;
    const c = await RawHttp.open(api);
    try {
      await c.write(requestHead('POST', `${api}/bridges`, { 'X-Auth-Token': 't', 'Content-Type': MT.bridge, 'Content-Length': String(declared) }));
      await c.write(Buffer.alloc(64 * 1024, 0x20));
      const res = await c.response();
      assert.equal(res.status, 413);
      assert.equal(res.headers['connection'], 'close');
      assert.equal(JSON.parse(res.body).code, 413);
      // the node does not wait for the 64 MiB it was promised
      await c.serverClosed();
      assert.ok(c.sent < declared / 100, `${c.sent} bytes sent`);
    } finally {
      c.destroy();
    }
    await assertUnchanged();
  });

  it('chunked, once the bytes pass the limit: 413, and the connection closed while the client is still sending', async () => {
    const c = await RawHttp.open(api);
    try {
      await c.write(requestHead('POST', `${api}/bridges`, { 'X-Auth-Token': 't', 'Content-Type': MT.bridge, 'Transfer-Encoding': 'chunked' }));
      const piece = Buffer.alloc(128 * 1024, 0x20);
      // 1.25 MiB in chunks, never the last chunk: only the limit can end this request
      for (let i = 0; i < 10 && !c.closed; i++) await c.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
      const res = await c.response();
      assert.equal(res.status, 413);
      assert.equal(res.headers['connection'], 'close');
      await c.serverClosed();
    } finally {
      c.destroy();
    }
    await assertUnchanged();
  });

  it('a body just under the limit is accepted', async () => {
    const body = JSON.stringify({ name: 'under', padding: 'y'.repeat(1024 * 1024 - 100) });
    assert.ok(Buffer.byteLength(body) <= 1024 * 1024);
    const res = await rq('POST', `${api}/bridges`, { headers: { 'Content-Type': MT.bridge }, rawBody: body });
    const id = assertCreated(res, `${api}/bridges`);
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
  });
});

describe('body encoding and framing', () => {
  it('invalid UTF-8 → 400 in the API error format, nothing stored', async () => {
    const raw = Buffer.concat([Buffer.from('{"name": "bad'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('", "tenantId": "t"}')]);
    assertError(await rq('POST', `${api}/bridges`, { headers: { 'Content-Type': MT.bridge }, rawBody: raw }), 400, /not valid UTF-8/);
    assertError(await rq('PUT', `${api}/bridges/${bridgeId}`, { headers: { 'Content-Type': MT.bridge }, rawBody: raw }), 400, /not valid UTF-8/);
    await assertUnchanged();
  });

  it('a leading UTF-8 byte order mark is accepted', async () => {
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name": "café", "tenantId": "bom"}')]);
    const id = assertCreated(await rq('POST', `${api}/bridges`, { headers: { 'Content-Type': MT.bridge }, rawBody: raw }), `${api}/bridges`);
    assert.equal((await get(`${api}/bridges/${id}`, MT.bridge)).json.name, 'café');
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
  });

  it('Transfer-Encoding other than chunked (gzip, chunked) → 501, the connection closed, nothing stored', async () => {
    const c = await RawHttp.open(api);
    try {
      await c.write(requestHead('POST', `${api}/bridges`, { 'X-Auth-Token': 't', 'Content-Type': MT.bridge, 'Transfer-Encoding': 'gzip, chunked' }));
      const body = Buffer.from('{"name": "gz", "tenantId": "t"}');
      await c.write(Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
      const res = await c.response();
      assert.equal(res.status, 501);
      assert.equal(res.headers['connection'], 'close');
      assert.match(res.headers['content-type'] ?? '', /^application\/vnd\.org\.midonet\.Error-v1\+json/);
      assert.equal(JSON.parse(res.body).code, 501);
      await c.serverClosed();
    } finally {
      c.destroy();
    }
    await assertUnchanged();
  });

  it('a refusal before the body is read (405) arrives while the client still holds the body', async () => {
    const c = await RawHttp.open(api);
    try {
      const declared = 900 * 1024;
      await c.write(requestHead('POST', `${api}/ports`, { 'X-Auth-Token': 't', 'Content-Type': MT.port, 'Content-Length': String(declared) }));
      await c.write('{"type": "Bridge"');
      const res = await c.response();
      assert.equal(res.status, 405);
      assert.ok(c.sent < 1024, `${c.sent} bytes sent`);
    } finally {
      c.destroy();
    }
    await assertUnchanged();
  });
});

describe('Expect: 100-continue', () => {
  it('the body is invited only once the request may be served: 405 at once, without 100 Continue', async () => {
    const c = await RawHttp.open(api);
    try {
      await c.write(requestHead('POST', `${api}/ports`, { 'X-Auth-Token': 't', 'Content-Type': MT.port, 'Content-Length': '17', Expect: '100-continue' }));
      const res = await c.response();
      assert.equal(res.status, 405);
      assert.deepEqual(c.interim, []);
    } finally {
      c.destroy();
    }
    await assertUnchanged();
  });

  it('an acceptable request gets 100 Continue, then its answer', async () => {
    const c = await RawHttp.open(api);
    let id: string;
    try {
      const body = Buffer.from('{"name": "continued", "tenantId": "t"}');
      await c.write(
        requestHead('POST', `${api}/bridges`, {
          'X-Auth-Token': 't',
          'Content-Type': MT.bridge,
          'Content-Length': String(body.length),
          Expect: '100-continue',
        }),
      );
      await c.continued();
      await c.write(body);
      const res = await c.response();
      assert.equal(res.status, 201);
      id = (res.headers['location'] ?? '').split('/').pop() as string;
    } finally {
      c.destroy();
    }
    assert.equal((await get(`${api}/bridges/${id}`, MT.bridge)).json.name, 'continued');
    assertEmpty(await del(`${api}/bridges/${id}`), 204);
  });
});

describe('unsupported methods → 405 with Allow', () => {
  const allow = (v: string | null) =>
    new Set(
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );

  it('PATCH /bridges/{id}', async () => {
    const res = await rq('PATCH', `${api}/bridges/${bridgeId}`, { headers: { 'Content-Type': MT.bridge }, body: { name: 'patched' } });
    assertEmpty(res, 405);
    const a = allow(res.headers.get('allow'));
    for (const m of ['GET', 'PUT', 'DELETE']) assert.ok(a.has(m), `Allow ${res.headers.get('allow')}`);
    assert.ok(!a.has('PATCH') && !a.has('POST'), `Allow ${res.headers.get('allow')}`);
    await assertUnchanged();
  });

  it('POST /bridges/{id}, PUT and DELETE /bridges', async () => {
    let res = await post(`${api}/bridges/${bridgeId}`, MT.bridge, { name: 'x' });
    assertEmpty(res, 405);
    assert.ok(!allow(res.headers.get('allow')).has('POST'));
    res = await put(`${api}/bridges`, MT.bridge, { name: 'x' });
    assertEmpty(res, 405);
    const a = allow(res.headers.get('allow'));
    assert.ok(a.has('GET') && a.has('POST') && !a.has('PUT'), `Allow ${res.headers.get('allow')}`);
    assertEmpty(await del(`${api}/bridges`), 405);
    await assertUnchanged();
  });

  it('POST /ports → 405 with GET allowed', async () => {
    const res = await post(`${api}/ports`, MT.port, { type: 'Bridge' });
    assertEmpty(res, 405);
    const a = allow(res.headers.get('allow'));
    assert.ok(a.has('GET') && !a.has('POST'), `Allow ${res.headers.get('allow')}`);
    await assertUnchanged();
  });

  it('PUT /chains/{id}, GET /routes, PUT /routes/{id}, PUT /ports/{id}/link', async () => {
    assertEmpty(await put(`${api}/chains/${randomUUID()}`, MT.json, { name: 'x' }), 405);
    assertEmpty(await get(`${api}/routes`, MT.routes), 405);
    assertEmpty(await put(`${api}/routes/${randomUUID()}`, MT.route, {}), 405);
    assertEmpty(await put(`${api}/ports/${bridgePortId}/link`, MT.portLink, { peerId: routerPortId }), 405);
    await assertUnchanged();
  });
});
