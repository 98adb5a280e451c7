/**
 * Serves a set of RouteDefs under the API root: one dispatcher per path so that an unknown
 * method answers 405 with `Allow`, negotiation before the handler, errors in the API's format.
 *
 * Matching is done here, not by registering one express route per path: express would try each
 * path's regular expression in turn on every request (61 paths today). Templates are made only
 * of literal and `:param` segments; they are compiled into segment lists indexed by segment
 * count and first segment, and tried in registration order, with express's rules:
 * case-sensitive, one optional trailing slash, a parameter matches one non-empty segment and is
 * percent-decoded (a malformed escape is a 400).
 */
import { parse as parseQueryString } from 'node:querystring';
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { header, pathOf } from '../../../lib/http/exchange.js';
import { HttpError, methodNotAllowed, toHttpError, badRequest } from '../../../lib/http/errors.js';
import { ERROR_TYPE } from '../../../lib/http/media-types.js';
import { parseJson, stringifyJson } from '../../../lib/http/json.js';
import type { Logger } from '../../../lib/log/logger.js';
import { checkRequestType, negotiateResponse } from './negotiate.js';
import type { Reply, RequestContext, RouteDef } from './types.js';

export type ContextFactory = (req: Request) => Omit<RequestContext, 'params' | 'query' | 'body' | 'memo'>;

/** JSON text of a reply body; bigints (64-bit `long` fields) as exact integers. */
export function toJson(body: unknown): string {
  return stringifyJson(body);
}

/** A list is sent in pieces of about this many characters once it is larger (chunked encoding). */
const LIST_CHUNK = 64 * 1024;

export function sendReply(res: Response, reply: Reply): void {
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  res.statusCode = reply.status;
  if (reply.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', reply.contentType ?? 'application/json');
  res.end(toJson(reply.body));
}

/**
 * Sends `reply.items` as a JSON array (undefined items skipped), writing as the items arrive: a
 * small list goes out in one piece with a Content-Length, a larger one (LIST_CHUNK) starts before
 * the rest is read and rendered. An error before the first piece is an ordinary error reply;
 * after it, the status is gone and the connection is cut (the error is logged), so the client
 * sees a truncated body, never a short list that looks whole.
 */
async function streamReply(res: Response, reply: Reply & { items: AsyncIterable<unknown> }, onError: (e: unknown) => HttpError): Promise<void> {
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
          for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
          res.statusCode = reply.status;
          res.setHeader('Content-Type', reply.contentType ?? 'application/json');
        }
        const more = res.write(text);
        text = '';
        if (!more) await new Promise<void>((resolve) => {
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
  } catch (e) {
    if (!started) {
      sendError(res, onError(e));
      return;
    }
    onError(e);
    res.destroy();
    return;
  } finally {
    await iterator.return?.();
  }
  text += ']';
  if (!started) {
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.statusCode = reply.status;
    res.setHeader('Content-Type', reply.contentType ?? 'application/json');
  }
  res.end(text);
}

export function sendError(res: Response, err: HttpError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.statusCode = err.status;
  const body = err.body();
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', `${ERROR_TYPE}; charset=UTF-8`);
  res.end(JSON.stringify(body));
}

export function reportError(log: Logger, req: Request, e: unknown): HttpError {
  const err = toHttpError(e);
  if (err.status >= 500) {
    log.error('request failed', { method: req.method, path: pathOf(req), status: err.status, error: String(e), stack: (e as Error)?.stack });
  }
  return err;
}

function parseBody(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  try {
    return parseJson(raw.toString('utf8'));
  } catch (e) {
    throw badRequest(`Malformed JSON in the request body: ${(e as Error).message}`);
  }
}

/** Query parameters, first value of each (parsed as express 5's default "simple" parser does, only when present). */
function queryOf(url: string): Record<string, string> {
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
  methods: Map<string, RouteDef>;
}

const SIMPLE_SEGMENT = /^(:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9_.~-]+)$/;

function compile(path: string, methods: Map<string, RouteDef>): Compiled | undefined {
  const segments = path.split('/').slice(1);
  if (path === '/') return { path, literals: [], names: [], methods };
  if (!path.startsWith('/') || segments.some((s) => !SIMPLE_SEGMENT.test(s))) return undefined;
  return {
    path,
    literals: segments.map((s) => (s.startsWith(':') ? null : s)),
    names: segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1)),
    methods,
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

/** Finds the first template (in registration order) matching a path below the API root. */
function matcher(compiled: Compiled[]): (pathname: string) => { route: Compiled; params: Record<string, string> } | undefined {
  const index = new Map<string, Compiled[]>();
  const keyOf = (count: number, first: string | null): string => `${count}/${first ?? ':'}`;
  for (const c of compiled) {
    const k = keyOf(c.literals.length, c.literals[0] ?? null);
    const list = index.get(k) ?? [];
    list.push(c);
    index.set(k, list);
  }
  return (pathname) => {
    let p = pathname;
    if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    const segments = p === '/' ? [] : p.split('/').slice(1);
    // candidates: those whose first segment is this literal, and those starting with a parameter,
    // merged back into registration order
    const a = index.get(keyOf(segments.length, segments[0] ?? null)) ?? [];
    const b = segments.length > 0 ? (index.get(keyOf(segments.length, null)) ?? []) : [];
    const candidates = b.length === 0 ? a : a.length === 0 ? b : [...a, ...b].sort((x, y) => compiled.indexOf(x) - compiled.indexOf(y));
    for (const c of candidates) {
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const lit = c.literals[i];
        const seg = segments[i] as string;
        if (lit === null ? seg === '' : lit !== seg) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const params: Record<string, string> = {};
      let n = 0;
      for (let i = 0; i < segments.length; i++) if (c.literals[i] === null) params[c.names[n++] as string] = decodeParam(segments[i] as string);
      return { route: c, params };
    }
    return undefined;
  };
}

/**
 * Serves one request below the API root.
 * `path`: the request's path below the root, without the query; `rawBody`: its body, read.
 * Returns the route template that served it, or undefined when no template matches (the caller
 * answers 404); the answer itself is sent asynchronously.
 */
export type ApiDispatcher = (req: Request, res: Response, path: string, rawBody: Buffer | undefined) => string | undefined;

/** `reserved`: paths that exist but serve no method (405 for everything). */
export function buildRouter(routes: RouteDef[], reserved: string[], makeContext: ContextFactory): ApiDispatcher {
  const byPath = new Map<string, Map<string, RouteDef>>();
  for (const path of reserved) if (!byPath.has(path)) byPath.set(path, new Map());
  for (const r of routes) {
    const m = byPath.get(r.path) ?? new Map<string, RouteDef>();
    if (m.has(r.method)) throw new Error(`duplicate route ${r.method} ${r.path}`);
    m.set(r.method, r);
    byPath.set(r.path, m);
  }

  const dispatch = async (req: Request, res: Response, methods: Map<string, RouteDef>, params: Record<string, string>, rawBody: Buffer | undefined): Promise<void> => {
    const base = makeContext(req);
    try {
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const route = methods.get(method);
      if (!route) throw methodNotAllowed([...methods.keys(), 'OPTIONS']);
      const regime = route.regime ?? 'G';
      let responseType: string | undefined;
      if ((method === 'POST' || method === 'PUT') && route.consumes) {
        checkRequestType(regime, header(req, 'content-type'), route.consumes);
      }
      if (method === 'GET' && route.produces) {
        responseType = negotiateResponse(regime, header(req, 'accept'), route.produces);
      }
      const body = method === 'POST' || method === 'PUT' ? parseBody(rawBody) : undefined;
      const ctx: RequestContext = {
        ...base,
        params,
        query: queryOf(req.url ?? '/'),
        body,
        responseType,
        memo: new Map(),
      };
      const reply = await route.handler(ctx);
      if ((reply.body !== undefined || reply.items) && !reply.contentType) reply.contentType = responseType;
      if (reply.items) await streamReply(res, reply as Reply & { items: AsyncIterable<unknown> }, (e) => reportError(base.log, req, e));
      else sendReply(res, reply);
    } catch (e) {
      sendError(res, reportError(base.log, req, e));
    }
  };

  const compiled: Compiled[] = [];
  for (const [path, methods] of byPath) {
    const c = compile(path, methods);
    if (!c) throw new Error(`route template ${path} is not made of literal and :param segments`);
    compiled.push(c);
  }
  const match = matcher(compiled);
  return (req, res, path, rawBody) => {
    let found;
    try {
      found = match(path);
    } catch (e) {
      sendError(res, reportError(makeContext(req).log, req, e));
      return path;
    }
    if (!found) return undefined;
    void dispatch(req, res, found.route.methods, found.params, rawBody);
    return found.route.path;
  };
}
