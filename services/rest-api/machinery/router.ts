/**
 * Serves a set of RouteDefs on an express router: one dispatcher per path so that an unknown
 * method answers 405 with `Allow`, negotiation before the handler, errors in the API's format.
 */
import express, { type Request, type Response } from 'express';
import { HttpError, methodNotAllowed, toHttpError, badRequest } from '../../../lib/http/errors.js';
import { ERROR_TYPE } from '../../../lib/http/media-types.js';
import type { Logger } from '../../../lib/log/logger.js';
import { checkRequestType, negotiateResponse } from './negotiate.js';
import type { Reply, RequestContext, RouteDef } from './types.js';

export type ContextFactory = (req: Request, res: Response) => Omit<RequestContext, 'params' | 'query' | 'body' | 'memo'>;

export function sendReply(res: Response, reply: Reply): void {
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  res.status(reply.status);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', reply.contentType ?? 'application/json');
  res.end(JSON.stringify(reply.body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}

export function sendError(res: Response, err: HttpError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status);
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
    log.error('request failed', { method: req.method, path: req.path, status: err.status, error: String(e), stack: (e as Error)?.stack });
  }
  return err;
}

function parseBody(req: Request): unknown {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    throw badRequest(`Malformed JSON in the request body: ${(e as Error).message}`);
  }
}

/** `reserved`: paths that exist but serve no method (405 for everything). */
export function buildRouter(routes: RouteDef[], reserved: string[], makeContext: ContextFactory): express.Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const byPath = new Map<string, Map<string, RouteDef>>();
  for (const path of reserved) if (!byPath.has(path)) byPath.set(path, new Map());
  for (const r of routes) {
    const m = byPath.get(r.path) ?? new Map<string, RouteDef>();
    if (m.has(r.method)) throw new Error(`duplicate route ${r.method} ${r.path}`);
    m.set(r.method, r);
    byPath.set(r.path, m);
  }
  for (const [path, methods] of byPath) {
    router.all(path, async (req, res) => {
      const base = makeContext(req, res);
      try {
        const method = req.method === 'HEAD' ? 'GET' : req.method;
        const route = methods.get(method);
        if (!route) throw methodNotAllowed([...methods.keys(), 'OPTIONS']);
        const regime = route.regime ?? 'G';
        let responseType: string | undefined;
        if ((method === 'POST' || method === 'PUT') && route.consumes) {
          checkRequestType(regime, req.get('content-type'), route.consumes);
        }
        if (method === 'GET' && route.produces) {
          responseType = negotiateResponse(regime, req.get('accept'), route.produces);
        }
        const body = method === 'POST' || method === 'PUT' ? parseBody(req) : undefined;
        const ctx: RequestContext = {
          ...base,
          params: req.params as Record<string, string>,
          query: Object.fromEntries(
            Object.entries(req.query).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]),
          ),
          body,
          responseType,
          memo: new Map(),
        };
        const reply = await route.handler(ctx);
        if (reply.body !== undefined && !reply.contentType) reply.contentType = responseType;
        sendReply(res, reply);
      } catch (e) {
        sendError(res, reportError(base.log, req, e));
      }
    });
  }
  return router;
}
