/**
 * The REST API as an express app: request id, access log and request metrics, CORS, OPTIONS,
 * bounded body reading, login, authentication, the resource routes, and the API's 404.
 * Everything under the configured root (`/midonet-api`), except `GET /metrics` (Prometheus, no
 * auth) when metrics are on.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AuthError, type AuthProvider, type Identity } from '../../lib/auth/provider.js';
import { authenticateWith } from '../../lib/auth/strategy.js';
import { HttpError } from '../../lib/http/errors.js';
import { withLogContext, type Logger } from '../../lib/log/logger.js';
import { redactUrl } from '../../lib/log/redact.js';
import type { NodeMetrics } from '../../lib/metrics/metrics.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import { loginHandler } from './login.js';
import { buildRouter, reportError, sendError } from './machinery/router.js';
import { mayEnter, scopeRoutes } from './machinery/scoping.js';
import { allReservedPaths, allRoutes, RESOURCES } from './resources/index.js';

export interface RestApiOptions {
  storage: NsdbStorage;
  auth: AuthProvider;
  rootUri: string;
  log: Logger;
  /** Request bodies above this size are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Request metrics are recorded here and `GET /metrics` serves them; absent: no metrics, /metrics is 404. */
  metrics?: NodeMetrics;
  /** One line per request (default: `<log>.access`, i.e. `org.midonet.cluster.rest-api.access`). */
  accessLog?: Logger;
  /**
   * `cluster.auth.tenant_scoping`: false (default) lets only `admin` in, as the original; true
   * lets `tenant_admin` / `tenant_user` use their own project's objects (machinery/scoping.ts).
   */
  tenantScoping?: boolean;
}

/** The path of the Prometheus endpoint, outside the API root. */
export const METRICS_PATH = '/metrics';
/** Route label of requests whose path matches no declared route template (unknown paths). */
export const UNMATCHED_ROUTE = '<unmatched>';
const MAX_REQUEST_ID = 128;
const REQUEST_ID_RE = /^[A-Za-z0-9._:+=/@-]+$/;

/** A client's X-Request-Id if it is short and made of safe characters; otherwise a new UUID. */
export function requestIdOf(header: string | undefined): string {
  return header && header.length <= MAX_REQUEST_ID && REQUEST_ID_RE.test(header) ? header : randomUUID();
}

/**
 * Finds the route template of a path below the API root (`/bridges/1234` → `/bridges/:id`) among
 * simple templates (`:param` segments); used for requests refused before routing (401, 413), so
 * their metrics still carry a bounded label. Literal segments win over parameters.
 */
export function templateMatcher(templates: Iterable<string>): (path: string) => string | undefined {
  const compiled: { template: string; parts: string[]; literals: number }[] = [];
  for (const t of new Set(templates)) {
    const parts = t.split('/').filter((x) => x !== '');
    if (parts.some((x) => !/^(:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z0-9_.~-]+)$/.test(x))) continue; // not a simple template
    compiled.push({ template: t, parts, literals: parts.filter((x) => !x.startsWith(':')).length });
  }
  compiled.sort((a, b) => b.literals - a.literals);
  return (path) => {
    const segs = path.split('/').filter((x) => x !== '');
    for (const c of compiled) {
      if (c.parts.length !== segs.length) continue;
      if (c.parts.every((p, i) => p.startsWith(':') || p === segs[i])) return c.template;
    }
    return undefined;
  };
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'Location',
};
const CORS_ALLOW_HEADERS = 'Origin, X-Auth-Token, X-Auth-Project, Content-Type, Accept, Authorization';

type RequestWithState = Request & { rawBody?: Buffer; identity?: Identity };

/** The API root as the client sees it, honouring a load balancer's X-Forwarded-* headers. */
export function baseUri(req: Request, rootUri: string): string {
  const proto = (req.get('x-forwarded-proto')?.split(',')[0]?.trim() || req.protocol || 'http').toLowerCase();
  const host = req.get('x-forwarded-host')?.split(',')[0]?.trim() || req.get('host') || 'localhost';
  return `${proto}://${host}${rootUri}`;
}

function readBody(limit: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      next();
      return;
    }
    const declared = Number(req.get('content-length') ?? '0');
    if (declared > limit) {
      next(new HttpError(413, `The request body exceeds the limit of ${limit} bytes.`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    // The stream's events arrive in the socket's async context: bound, so that what next() runs
    // keeps the request's log context (request id).
    req.on('data', AsyncResource.bind((c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        next(new HttpError(413, `The request body exceeds the limit of ${limit} bytes.`));
        return;
      }
      chunks.push(c);
    }));
    req.on('end', AsyncResource.bind(() => {
      if (failed) return;
      (req as RequestWithState).rawBody = Buffer.concat(chunks);
      next();
    }));
    req.on('error', AsyncResource.bind((e: Error) => {
      if (!failed) next(e);
      failed = true;
    }));
  };
}

/**
 * The first middleware: request id (accepted or generated, returned in X-Request-Id, and put in
 * the log context of everything the request causes), then, when the response is done or the
 * client gone, one access-log line and the request metrics.
 */
function observe(opts: RestApiOptions, root: string) {
  const accessLog = opts.accessLog ?? opts.log.child('access');
  const metrics = opts.metrics;
  const templateOf = templateMatcher(['/login', ...allRoutes().map((r) => r.path), ...allReservedPaths()]);
  const routeOf = (req: Request, res: Response): string => {
    const routed = (req as Request & { route?: { path?: unknown } }).route?.path;
    if (typeof routed === 'string') return res.locals['inApi'] ? `${root}${routed === '/' ? '/' : routed}` : routed;
    const path = req.originalUrl.split('?')[0] ?? '';
    if (path === root || path.startsWith(`${root}/`)) {
      const t = templateOf(path.slice(root.length) || '/');
      if (t) return `${root}${t}`;
    }
    return UNMATCHED_ROUTE;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const requestId = requestIdOf(req.get('x-request-id'));
    res.setHeader('X-Request-Id', requestId);
    res.locals['requestId'] = requestId;
    metrics?.requestStarted();
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      // 499 (nginx's "client closed request") when the client left before any answer.
      const aborted = !res.writableFinished;
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      const route = routeOf(req, res);
      metrics?.requestFinished({ method: req.method, route, status, seconds });
      const line = {
        method: req.method,
        path: redactUrl(req.originalUrl),
        route,
        status,
        durationMs: Math.round(seconds * 1e6) / 1000,
        requestId,
        remote: req.socket.remoteAddress ?? '',
        ...(req.get('x-forwarded-for') ? { forwardedFor: String(req.get('x-forwarded-for')).slice(0, 256) } : {}),
        ...(res.getHeader('content-length') !== undefined ? { bytes: Number(res.getHeader('content-length')) } : {}),
        ...(req.get('user-agent') ? { userAgent: String(req.get('user-agent')).slice(0, 256) } : {}),
        ...(aborted ? { aborted: true } : {}),
      };
      const msg = `${req.method} ${line.path} ${status} ${line.durationMs} ms`;
      // Prometheus scrapes every few seconds: those lines only at DEBUG.
      if (route === METRICS_PATH) accessLog.debug(msg, line);
      else accessLog.info(msg, line);
    });
    withLogContext({ requestId }, next);
  };
}

export function createRestApi(opts: RestApiOptions): express.Express {
  const { storage, auth, log } = opts;
  const root = opts.rootUri.replace(/\/+$/, '');
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  app.use(observe(opts, root));
  app.use((req, res, next) => {
    for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      res.status(200).end();
      return;
    }
    next();
  });

  const metrics = opts.metrics;
  if (metrics) {
    app.get(METRICS_PATH, async (req, res) => {
      try {
        const text = await metrics.expose();
        res.status(200).setHeader('Content-Type', metrics.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(text);
      } catch (e) {
        sendError(res, reportError(log, req, e));
      }
    });
  }

  const api = express.Router({ caseSensitive: true });
  api.use((_req, res, next) => {
    res.locals['inApi'] = true;
    next();
  });
  api.all('/login', loginHandler(auth, log));
  api.use(readBody(limit));
  // authentication through passport (lib/auth/strategy.ts): the provider's token check
  const tenantScoping = opts.tenantScoping === true;
  api.use(
    authenticateWith(auth, (req, res, next, { identity, error }) => {
      if (error !== undefined) {
        if (error instanceof AuthError) sendError(res, new HttpError(error.status, error.message, { headers: error.headers }));
        else sendError(res, reportError(log, req, error));
        return;
      }
      if (!identity) {
        sendError(res, new HttpError(401, 'Authentication failed.', { headers: { 'WWW-Authenticate': 'Basic  realm="BASIC_AUTH_REALM"' } }));
        return;
      }
      // v5 lets only admins in (auth-https-deploy.md §1.1); tenant roles too with tenant scoping
      if (!mayEnter(identity, tenantScoping)) {
        sendError(res, new HttpError(401, null));
        return;
      }
      (req as RequestWithState).identity = identity;
      next();
    }),
  );
  api.use(
    buildRouter(tenantScoping ? scopeRoutes(allRoutes(), RESOURCES) : allRoutes(), allReservedPaths(), (req) => ({
      storage,
      auth,
      base: baseUri(req, root),
      identity: (req as RequestWithState).identity,
      log,
      req,
    })),
  );
  api.use((req, res) => {
    sendError(res, new HttpError(404, `The requested resource ${req.path} was not found.`));
  });

  app.use(root, api);
  app.use((req, res) => {
    sendError(res, new HttpError(404, `No resource at ${req.path}; the API root is ${root}/.`));
  });
  // errors passed to next(): oversized bodies and stream failures
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(res, reportError(log, req, err));
  });
  return app;
}
