/**
 * Helpers shared by the REST integration tests (test/integration/rest-*.test.ts).
 *
 * `rq()` speaks HTTP through node:http so that the request carries exactly the headers given
 * (fetch adds `Accept: *\/*`, a text/plain Content-Type, and refuses bodies on GET/DELETE, which
 * the python client sends). Only `X-Auth-Token` is added by default (the mock provider accepts
 * any token).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { ModelClass } from '../../lib/models/generated.js';
import type { TestNode } from './node-harness.js';

export { MT } from './http.js';

/** Media types the tests need beyond test/support/http.ts. */
export const MT2 = {
  bridges5: 'application/vnd.org.midonet.collection.Bridge-v5+json',
  ports4: 'application/vnd.org.midonet.collection.Port-v4+json',
  systemState: 'application/vnd.org.midonet.SystemState-v2+json',
  chain: 'application/vnd.org.midonet.Chain-v1+json',
  chains: 'application/vnd.org.midonet.collection.Chain-v1+json',
  portGroup: 'application/vnd.org.midonet.PortGroup-v1+json',
} as const;

/** Parsed JSON of a response: tests index into it freely and assert on what they find. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body; undefined when the body is empty or not JSON */
  json: Json;
}

export interface RqOpts {
  headers?: Record<string, string>;
  /** serialized with JSON.stringify */
  body?: unknown;
  /** sent verbatim */
  rawBody?: string | Buffer;
  /** X-Auth-Token value; null sends no token. Default '00000000'. */
  token?: string | null;
  /** send the body with Transfer-Encoding: chunked (no Content-Length) */
  chunked?: boolean;
}

export function rq(method: string, url: string, opts: RqOpts = {}): Promise<Res> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? '00000000' : opts.token;
  if (token !== null) headers['X-Auth-Token'] = token;
  Object.assign(headers, opts.headers ?? {});
  let body: Buffer | undefined;
  if (opts.rawBody !== undefined) body = Buffer.isBuffer(opts.rawBody) ? opts.rawBody : Buffer.from(opts.rawBody, 'utf8');
  else if (opts.body !== undefined) body = Buffer.from(JSON.stringify(opts.body), 'utf8');
  if (body !== undefined && !opts.chunked) headers['Content-Length'] = String(body.length);
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ method, hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        let buf = Buffer.concat(chunks);
        const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
        if (enc === 'gzip') buf = gunzipSync(buf);
        else if (enc === 'deflate') buf = inflateSync(buf);
        const h = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const text = buf.toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined && opts.chunked) {
      // several writes without Content-Length: node sends them chunked
      const step = 64 * 1024;
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else {
      req.end(body);
    }
  });
}

export const get = (url: string, accept?: string, extra: RqOpts = {}): Promise<Res> =>
  rq('GET', url, { ...extra, headers: { ...(accept ? { Accept: accept } : {}), ...extra.headers } });

export const post = (url: string, contentType: string | undefined, body: unknown, extra: RqOpts = {}): Promise<Res> =>
  rq('POST', url, { ...extra, body, headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...extra.headers } });

export const put = (url: string, contentType: string | undefined, body: unknown, extra: RqOpts = {}): Promise<Res> =>
  rq('PUT', url, { ...extra, body, headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...extra.headers } });

export const del = (url: string, extra: RqOpts = {}): Promise<Res> => rq('DELETE', url, extra);

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function describeRes(res: Res): string {
  return `HTTP ${res.status} ${res.headers.get('content-type') ?? ''} ${res.text.slice(0, 500)}`;
}

export function assertStatus(res: Res, status: number): void {
  assert.equal(res.status, status, `expected ${status}, got ${describeRes(res)}`);
}

/**
 * A POST that must answer 201 with `Location: <collectionBase>/<uuid>` and no body; returns the id.
 * `collectionBase` is e.g. `${api}/bridges`.
 */
export function assertCreated(res: Res, collectionBase: string): string {
  assertStatus(res, 201);
  const loc = res.headers.get('location');
  assert.ok(loc, 'Location header missing');
  const prefix = `${collectionBase}/`;
  assert.ok(loc.startsWith(prefix), `Location ${loc} does not start with ${prefix}`);
  const id = loc.slice(prefix.length);
  assert.match(id, UUID_RE);
  assert.equal(res.text, '', 'a 201 has no body');
  return id;
}

/** The media type part of Content-Type, lower-cased (media types compare case-insensitively). */
export function mediaType(res: Res): string {
  return (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

export function assertMediaType(res: Res, expected: string): void {
  assert.equal(mediaType(res), expected.toLowerCase(), `Content-Type of ${describeRes(res)}`);
}

export const ERROR_MT = 'application/vnd.org.midonet.Error-v1+json';

/** For assertError: the ErrorEntity message may be any string or null (rest-api-core.md §3). */
export const ANY_MESSAGE = Symbol('any message');

/**
 * An error response with an ErrorEntity body: `{message, code}` (+ `violations` when given).
 * Without `message` the message must be a string.
 */
export function assertError(res: Res, status: number, message?: string | RegExp | typeof ANY_MESSAGE): Json {
  assertStatus(res, status);
  assertMediaType(res, ERROR_MT);
  const body = res.json;
  assert.ok(body && typeof body === 'object', `error body is not a JSON object: ${res.text}`);
  assert.equal(body.code, status);
  if (message === ANY_MESSAGE) assert.ok(body.message === null || typeof body.message === 'string', `message: ${res.text}`);
  else if (message instanceof RegExp) assert.match(String(body.message), message);
  else if (message !== undefined) assert.equal(body.message, message);
  else assert.equal(typeof body.message, 'string', `message is not a string: ${res.text}`);
  return body;
}

/** 400 with a ValidationErrorEntity; returns the violations. */
export function assertViolations(res: Res, properties?: string[]): { property: string; message: string }[] {
  const body = assertError(res, 400, 'Validation error(s) found');
  assert.ok(Array.isArray(body.violations), `no violations in ${res.text}`);
  for (const v of body.violations) {
    assert.equal(typeof v.property, 'string');
    assert.equal(typeof v.message, 'string');
  }
  if (properties) {
    assert.deepEqual(body.violations.map((v: { property: string }) => v.property).sort(), [...properties].sort(), `violations ${res.text}`);
  }
  return body.violations;
}

/** A response without body (405/406/415 from negotiation, 204s). */
export function assertEmpty(res: Res, status: number): void {
  assertStatus(res, status);
  assert.equal(res.text, '', `expected an empty body, got ${res.text}`);
}

export const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-expose-headers': 'Location',
} as const;
export const CORS_ALLOW_HEADERS = 'Origin, X-Auth-Token, X-Auth-Project, Content-Type, Accept, Authorization';

export function assertCors(res: Res): void {
  for (const [k, v] of Object.entries(CORS)) assert.equal(res.headers.get(k), v, `${k} on HTTP ${res.status}`);
}

// ---- storage / ZooKeeper ----------------------------------------------------------------

export function zoom(t: TestNode): string {
  return `${t.rootKey}/zoom/0`;
}

export async function zkExists(t: TestNode, path: string): Promise<boolean> {
  return (await t.node.zk.exists(path)) !== null;
}

export async function zkText(t: TestNode, path: string): Promise<string> {
  const { data } = await t.node.zk.getData(path);
  return data.toString('utf8');
}

export async function zkChildren(t: TestNode, path: string): Promise<string[]> {
  return (await t.node.zk.getChildren(path)).children;
}

export async function modelText(t: TestNode, clazz: string, id: string): Promise<string> {
  return zkText(t, `${zoom(t)}/models/${clazz}/${id}`);
}

/** Children counts of models/<C> and objects/<C> for the given classes. */
export async function zkCounts(t: TestNode, classes: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of classes) {
    out[`models/${c}`] = (await zkChildren(t, `${zoom(t)}/models/${c}`)).length;
    out[`objects/${c}`] = (await zkChildren(t, `${zoom(t)}/objects/${c}`)).length;
  }
  return out;
}

/** The protobuf text-format lines of a UUID field (msb/lsb as unsigned decimal). */
export function uuidText(field: string, id: string, indent = ''): string {
  const hex = id.replace(/-/g, '');
  const msb = BigInt(`0x${hex.slice(0, 16)}`);
  const lsb = BigInt(`0x${hex.slice(16)}`);
  return `${indent}${field} {\n${indent}  msb: ${msb}\n${indent}  lsb: ${lsb}\n${indent}}\n`;
}

/** Creates a Chain directly in storage (the chains resource is tested elsewhere). */
export async function createChain(t: TestNode, name = 'c', tenantId?: string): Promise<string> {
  const id = randomUUID();
  await t.node.storage.tryTransaction(0, async (tx) => {
    await tx.create('Chain', { id, name, ...(tenantId !== undefined ? { tenant_id: tenantId } : {}) });
  });
  return id;
}

/** Creates an object of any class directly in storage, e.g. a LoadBalancer or a Mirror. */
export async function createStored(t: TestNode, clazz: ModelClass, fields: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID();
  await t.node.storage.tryTransaction(0, async (tx) => {
    await tx.create(clazz, { id, ...fields });
  });
  return id;
}

/** Decodes the fields of a protobuf binary message: field number → list of raw values. */
export function decodeProto(buf: Buffer): Map<number, (bigint | Buffer)[]> {
  const out = new Map<number, (bigint | Buffer)[]>();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 5) {
      value = BigInt(buf.readUInt32LE(i));
      i += 4;
    } else if (wire === 1) {
      value = buf.readBigUInt64LE(i);
      i += 8;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

/** The provenance entries of an `objects/<C>/<id>` node (storage.md §2.3). */
export async function provenance(t: TestNode, clazz: string, id: string): Promise<{ owner: number; type: number; version: number }[]> {
  const { data } = await t.node.zk.getData(`${zoom(t)}/objects/${clazz}/${id}`);
  const top = decodeProto(data);
  return (top.get(1) ?? []).map((entry) => {
    const f = decodeProto(entry as Buffer);
    const num = (n: number): number => Number((f.get(n)?.[0] as bigint | undefined) ?? 0n);
    return { owner: num(3), type: num(4), version: num(5) };
  });
}

export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) assert.fail(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

export const sorted = (xs: string[]): string[] => [...xs].sort();
