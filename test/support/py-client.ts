/**
 * The requests python-midonetclient sends, byte for byte in what matters (its api_lib.do_request
 * and ResourceBase; runbooks/debian-test-servers.md §5): every request carries a JSON body (`{}`
 * when it has none), GETs and DELETEs included; creates are a POST followed by a GET of
 * `Location` with the same headers plus Accept; updates a PUT of the whole dto read before,
 * followed by a GET. Tests build the dtos as the client's classes do (their setters fill a dict;
 * what was never set is absent, what was read back is sent back as read, nulls included).
 * JSON is read and written as Python's json module does: integers exactly, whatever their size.
 */
import assert from 'node:assert/strict';
import { parseJson, stringifyJson } from '../../lib/http/json.js';
import { assertStatus, rq, type Json, type Res } from './rest-helpers.js';

/** What httplib2 adds on its own. */
export const HTTPLIB2 = { 'Accept-Encoding': 'gzip, deflate', 'User-Agent': 'Python-httplib2/0.20.4 (gzip)' };

export class PyClient {
  /** X-Auth-Token once logged in (the client reads it from the login's Set-Cookie) */
  token?: string;

  constructor(token?: string) {
    this.token = token;
  }

  /** do_request as it goes on the wire, whatever the answer (httplib2 follows redirects of GETs). */
  async send(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Res> {
    const rawBody = body === undefined ? '{}' : stringifyJson(body);
    const all = { ...HTTPLIB2, ...headers, ...(this.token ? { 'X-Auth-Token': this.token } : {}) };
    let res = await rq(method, url, { token: null, headers: all, rawBody });
    for (let hops = 0; method === 'GET' && [301, 302, 303, 307].includes(res.status) && hops < 5; hops++) {
      const loc = res.headers.get('location');
      assert.ok(loc, 'redirect without Location');
      res = await rq(method, new URL(loc, url).href, { token: null, headers: all, rawBody });
    }
    if (res.json !== undefined) res.json = parseJson(res.text);
    return res;
  }

  /** do_request that must succeed (the client raises on any status ≥ 300). */
  async request(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Res> {
    const res = await this.send(method, url, headers, body);
    assert.ok(res.status < 300, `python client would raise on ${method} ${url}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  /** ResourceBase.create(): POST with Content-Type, then GET Location with Content-Type and Accept. */
  async create(url: string, mediaType: string, dto: Record<string, unknown>): Promise<Record<string, Json>> {
    const headers: Record<string, string> = { 'Content-Type': mediaType };
    const created = await this.request('POST', url, headers, dto);
    assertStatus(created, 201);
    const location = created.headers.get('location');
    assert.ok(location, 'no Location');
    headers['Accept'] = mediaType;
    const got = await this.request('GET', location, headers);
    assertStatus(got, 200);
    return got.json;
  }

  /** ResourceBase.update(): PUT the whole dto to its uri, then GET it with Accept. */
  async update(dto: Record<string, Json>, mediaType: string): Promise<Record<string, Json>> {
    const headers: Record<string, string> = { 'Content-Type': mediaType };
    const res = await this.request('PUT', dto['uri'], headers, dto);
    assertStatus(res, 204);
    headers['Accept'] = mediaType;
    const got = await this.request('GET', dto['uri'], headers);
    assertStatus(got, 200);
    return got.json;
  }

  /** ResourceBase.get() / Application._get_resource_by_id: GET with Accept. */
  async get(uri: string, mediaType: string): Promise<Record<string, Json>> {
    const got = await this.request('GET', uri, { Accept: mediaType });
    assertStatus(got, 200);
    return got.json;
  }

  /** get_children and the explicit list getters: GET with the collection type as Accept. */
  async list(uri: string, collectionType: string): Promise<Json[]> {
    const got = await this.request('GET', uri, { Accept: collectionType });
    assertStatus(got, 200);
    assert.ok(Array.isArray(got.json), `not a list: ${got.text.slice(0, 200)}`);
    return got.json;
  }

  /** ResourceBase.delete() / _delete_resource_by_id: DELETE with no headers, body `{}`. */
  async delete(uri: string): Promise<Res> {
    return this.request('DELETE', uri);
  }
}
