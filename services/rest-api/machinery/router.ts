/**
 * The API's routes as a table, and the writing of replies.
 *
 * `routeTable` compiles the RouteDefs once: a template is made only of literal and `:param`
 * segments; templates are indexed by segment count and first segment and tried in registration
 * order, with Express's rules for paths: case-sensitive, one optional trailing slash, a
 * parameter matches one non-empty segment and is percent-decoded (a malformed escape is a 400).
 * Matching is one stage of the request pipeline (services/rest-api/stages.ts), done before
 * authentication so that every answer, refusals included, carries its route template as label;
 * registering one Express route per path would have Express try the paths' regular expressions
 * in turn on every request (docs/decisions/0012-express-http-layer.md).
 */
import { parse as parseQueryString } from 'node:querystring';
import type { ServerResponse as Response } from 'node:http';
import { HttpError, methodNotAllowed, badRequest } from '../../../lib/http/errors.js';
import { ERROR_TYPE } from '../../../lib/http/media-types.js';
import { stringifyJson } from '../../../lib/http/json.js';
import { JsonText } from './cached-reads.js';
import type { Reply, RouteDef } from './types.js';

/** JSON text of a reply body; bigints (64-bit `long` fields) as exact integers. */
export function toJson(body: unknown): string {
  return body instanceof JsonText ? body.text : stringifyJson(body);
}

/** A list is sent in pieces of about this many characters once it is larger (chunked encoding). */
const LIST_CHUNK = 64 * 1024;

/** Writes a reply that is not a list: headers, status, the JSON body if any. */
export function sendReply(res: Response, reply: Reply): void {
  if (reply.headers) for (const k in reply.headers) res.setHeader(k, reply.headers[k]);
  res.statusCode = reply.status;
  if (reply.text !== undefined) {
    res.setHeader('Content-Type', reply.contentType ?? 'text/plain');
    res.end(reply.text);
    return;
  }
  if (reply.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', reply.contentType ?? 'application/json');
  res.end(toJson(reply.body));
}

function startReply(res: Response, reply: Reply): void {
  if (reply.headers) for (const k in reply.headers) res.setHeader(k, reply.headers[k]);
  res.statusCode = reply.status;
  res.setHeader('Content-Type', reply.contentType ?? 'application/json');
}

/**
 * Sends `reply.items` as a JSON array (undefined items skipped), writing as the items arrive: a
 * small list goes out in one piece with a Content-Length, a larger one (LIST_CHUNK) starts before
 * the rest is read and rendered, with chunked encoding, and waits for the client to take each
 * piece (bounded memory). An error of the items is thrown: before the first piece it becomes an
 * ordinary error reply; after it the status is gone (`res.headersSent`), the error handler cuts
 * the connection, so the client sees a truncated body, never a short list that looks whole.
 */
export async function streamReply(res: Response, reply: Reply & { items: AsyncIterable<unknown> }): Promise<void> {
  let text = '[';
  let started = false;
  let count = 0;
  const iterator = reply.items[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      if (res.destroyed) return; // the client left
      if (next.value === undefined) continue; // skipped (deleted meanwhile, filtered out)
      text += (count++ === 0 ? '' : ',') + toJson(next.value);
      if (text.length >= LIST_CHUNK) {
        if (!started) {
          started = true;
          startReply(res, reply);
        }
        const more = res.write(text);
        text = '';
        if (!more)
          await new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
      }
    }
  } finally {
    await iterator.return?.();
  }
  text += ']';
  if (!started) startReply(res, reply);
  res.end(text);
}

/** Writes an error in the API's format (the original's empty bodies stay empty). */
export function sendError(res: Response, err: HttpError): void {
  for (const k in err.headers) res.setHeader(k, err.headers[k]);
  res.statusCode = err.status;
  const body = err.body();
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', `${ERROR_TYPE}; charset=UTF-8`);
  res.end(JSON.stringify(body));
}

/** Query parameters, first value of each (parsed as Express 5's "simple" parser does, only when present). */
export function queryOf(url: string): Record<string, string> {
  const q = url.indexOf('?');
  if (q < 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseQueryString(url.slice(q + 1)))) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/** A template of literal and `:name` segments, e.g. /bridges/:id/ports. */
interface Compiled {
  path: string;
  /** literal text, or null for a parameter */
  literals: (string | null)[];
  names: string[];
  /** the routes by method; empty for a reserved path (405 for every method) */
  methods: Map<string, RouteDef>;
  /** the Allow header of a 405 */
  allow: string[];
}

const SIMPLE_SEGMENT = /^(:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9_.~-]+)$/;

function compile(path: string, methods: Map<string, RouteDef>): Compiled | undefined {
  const allow = [...methods.keys(), 'OPTIONS'];
  if (path === '/') return { path, literals: [], names: [], methods, allow };
  const segments = path.split('/').slice(1);
  if (!path.startsWith('/') || segments.some((s) => !SIMPLE_SEGMENT.test(s))) return undefined;
  return {
    path,
    literals: segments.map((s) => (s.startsWith(':') ? null : s)),
    names: segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1)),
    methods,
    allow,
  };
}

function decodeParam(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw badRequest(`Failed to decode param '${value}'`);
  }
}

/** A path matched to a template; its parameters are decoded on demand (a bad escape is a 400). */
export class RouteMatch {
  constructor(
    private readonly compiled: Compiled,
    private readonly segments: string[],
  ) {}

  /** the template, as declared: /bridges/:id */
  get template(): string {
    return this.compiled.path;
  }

  /** The route serving `method` (HEAD is served as GET); 405 with Allow if there is none. */
  routeFor(method: string): RouteDef {
    const route = this.compiled.methods.get(method === 'HEAD' ? 'GET' : method);
    if (!route) throw methodNotAllowed(this.compiled.allow);
    return route;
  }

  /** The parameters, percent-decoded (400 for a malformed escape). */
  params(): Record<string, string> {
    const params: Record<string, string> = {};
    const { literals, names } = this.compiled;
    let n = 0;
    for (let i = 0; i < this.segments.length; i++) if (literals[i] === null) params[names[n++]] = decodeParam(this.segments[i]);
    return params;
  }
}

export interface RouteTable {
  /** The template matching a path below the API root (without query), or undefined. */
  match(pathname: string): RouteMatch | undefined;
}

/**
 * The table of `routes`; `reserved`: paths that exist but serve no method (405 for everything).
 * Two routes with the same method and path are a declaration error.
 */
export function routeTable(routes: RouteDef[], reserved: string[]): RouteTable {
  const byPath = new Map<string, Map<string, RouteDef>>();
  for (const path of reserved) if (!byPath.has(path)) byPath.set(path, new Map());
  for (const r of routes) {
    const m = byPath.get(r.path) ?? new Map<string, RouteDef>();
    if (m.has(r.method)) throw new Error(`duplicate route ${r.method} ${r.path}`);
    m.set(r.method, r);
    byPath.set(r.path, m);
  }
  const compiled: Compiled[] = [];
  for (const [path, methods] of byPath) {
    const c = compile(path, methods);
    if (!c) throw new Error(`route template ${path} is not made of literal and :param segments`);
    compiled.push(c);
  }
  const order = new Map(compiled.map((c, i) => [c, i]));
  const index = new Map<string, Compiled[]>();
  const keyOf = (count: number, first: string | null): string => `${count}/${first ?? ':'}`;
  for (const c of compiled) {
    const k = keyOf(c.literals.length, c.literals[0] ?? null);
    const list = index.get(k) ?? [];
    list.push(c);
    index.set(k, list);
  }
  return {
    match(pathname) {
      let p = pathname;
      if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
      const segments = p === '/' || p === '' ? [] : p.split('/').slice(1);
      // candidates: those whose first segment is this literal, and those starting with a
      // parameter, merged back into registration order
      const a = index.get(keyOf(segments.length, segments[0] ?? null)) ?? [];
      const b = segments.length > 0 ? (index.get(keyOf(segments.length, null)) ?? []) : [];
      const candidates = b.length === 0 ? a : a.length === 0 ? b : [...a, ...b].sort((x, y) => (order.get(x) as number) - (order.get(y) as number));
      for (const c of candidates) {
        let ok = true;
        for (let i = 0; i < segments.length; i++) {
          const lit = c.literals[i];
          const seg = segments[i];
          if (lit === null ? seg === '' : lit !== seg) {
            ok = false;
            break;
          }
        }
        if (ok) return new RouteMatch(c, segments);
      }
      return undefined;
    },
  };
}
