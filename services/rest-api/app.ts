/**
 * The REST API as a `node:http` request listener: request id, access log and request metrics,
 * CORS, OPTIONS, bounded body reading, login, authentication (passport), the resource routes,
 * and the API's 404. Everything under the configured root (`/midonet-api`), except
 * `GET /metrics` (Prometheus, no auth) when metrics are on.
 *
 * The steps are one pipeline of plain calls. No web framework is on the request path: Express,
 * even as a shell around this one handler, cost 30-40% of the node's CPU per request (it swaps
 * the prototypes of every request and response object, which slows every later access to them)
 * and kept the API from its latency goals; docs/decisions/0011-no-express-on-the-request-path.md.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AuthError, type AuthProvider, type Identity } from '../../lib/auth/provider.js';
import { authenticateWith } from '../../lib/auth/strategy.js';
import { HttpError } from '../../lib/http/errors.js';
import { header, protocolOf } from '../../lib/http/exchange.js';
import { withLogContext, type Logger } from '../../lib/log/logger.js';
import { redactUrl } from '../../lib/log/redact.js';
import type { FlowTraceReader } from '../../lib/cassandra/flow-trace-reader.js';
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
  /** Reads the flow traces the agents keep in Cassandra (`/traces/{id}/flows`); absent: those answer 503. */
  flowTraces?: FlowTraceReader;
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

const CORS: [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS'],
  ['Access-Control-Expose-Headers', 'Location'],
];
const CORS_ALLOW_HEADERS = 'Origin, X-Auth-Token, X-Auth-Project, Content-Type, Accept, Authorization';

/** What one request accumulates on its way through the pipeline. */
interface Exchange {
  requestId: string;
  /** the route template that served it, when one did (the metrics' and access log's label) */
  route?: string;
  rawBody?: Buffer;
  identity?: Identity;
}

/** The API root as the client sees it, honouring a load balancer's X-Forwarded-* headers. */
export function baseUri(req: IncomingMessage, rootUri: string): string {
  const proto = (header(req, 'x-forwarded-proto')?.split(',')[0]?.trim() || protocolOf(req)).toLowerCase();
  const host = header(req, 'x-forwarded-host')?.split(',')[0]?.trim() || header(req, 'host') || 'localhost';
  return `${proto}://${host}${rootUri}`;
}

/**
 * Reads a POST or PUT body (at most `limit` bytes) into `ex.rawBody`, then calls `next`; other
 * methods go straight on. Too large: 413, declared or counted, and the rest is drained unread.
 */
function readBody(req: IncomingMessage, ex: Exchange, limit: number, next: (err?: unknown) => void): void {
  if (req.method !== 'POST' && req.method !== 'PUT') {
    next();
    return;
  }
  const tooLarge = (): HttpError => new HttpError(413, `The request body exceeds the limit of ${limit} bytes.`);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    next(tooLarge());
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
      next(tooLarge());
      return;
    }
    chunks.push(c);
  }));
  req.on('end', AsyncResource.bind(() => {
    if (failed) return;
    ex.rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    next();
  }));
  req.on('error', AsyncResource.bind((e: Error) => {
    if (!failed) next(e);
    failed = true;
  }));
}

/** `path` below `root` ('' for the root itself), or undefined outside it; the root's case is not significant. */
function belowRoot(path: string, root: string): string | undefined {
  if (path.length < root.length) return undefined;
  const head = path.slice(0, root.length);
  if (head !== root && head.toLowerCase() !== root.toLowerCase()) return undefined;
  const rest = path.slice(root.length);
  return rest === '' || rest.startsWith('/') ? rest : undefined;
}

function isMetricsPath(path: string): boolean {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return p === METRICS_PATH || p.toLowerCase() === METRICS_PATH;
}

export function createRestApi(opts: RestApiOptions): RequestListener {
  const { storage, auth, log } = opts;
  const root = opts.rootUri.replace(/\/+$/, '');
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const metrics = opts.metrics;
  const accessLog = opts.accessLog ?? opts.log.child('access');
  const tenantScoping = opts.tenantScoping === true;
  const templateOf = templateMatcher(['/login', ...allRoutes().map((r) => r.path), ...allReservedPaths()]);
  const login = loginHandler(auth, log);

  const routes = tenantScoping ? scopeRoutes(allRoutes(), RESOURCES) : allRoutes();
  const dispatch = buildRouter(routes, allReservedPaths(), (req) => ({
    storage,
    auth,
    base: baseUri(req, root),
    identity: (req as IncomingMessage & { identity?: Identity }).identity,
    log,
    req,
    flowTraces: opts.flowTraces,
  }));

  // authentication through passport (lib/auth/strategy.ts): the provider's token check
  const authenticate = authenticateWith(auth);

  /** The label of a request for metrics and the access log: its route template, bounded. */
  const routeOf = (req: IncomingMessage, ex: Exchange): string => {
    if (ex.route !== undefined) return ex.route;
    const path = (req.url ?? '/').split('?')[0] ?? '';
    const sub = belowRoot(path, root);
    if (sub !== undefined) {
      const t = templateOf(sub || '/');
      if (t) return `${root}${t}`;
    }
    return UNMATCHED_ROUTE;
  };

  /** When the response is done or the client gone: one access-log line and the request metrics. */
  const observe = (req: IncomingMessage, res: ServerResponse, ex: Exchange, started: number): void => {
    const seconds = (performance.now() - started) / 1000;
    // 499 (nginx's "client closed request") when the client left before any answer.
    const aborted = !res.writableFinished;
    const status = aborted && !res.headersSent ? 499 : res.statusCode;
    const route = routeOf(req, ex);
    metrics?.requestFinished({ method: req.method ?? '', route, status, seconds });
    const forwardedFor = req.headers['x-forwarded-for'];
    const userAgent = req.headers['user-agent'];
    const bytes = res.getHeader('content-length');
    const line = {
      method: req.method,
      path: redactUrl(req.url ?? '/'),
      route,
      status,
      durationMs: Math.round(seconds * 1e6) / 1000,
      requestId: ex.requestId,
      remote: req.socket.remoteAddress ?? '',
      ...(forwardedFor ? { forwardedFor: String(forwardedFor).slice(0, 256) } : {}),
      ...(bytes !== undefined ? { bytes: Number(bytes) } : {}),
      ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}),
      ...(aborted ? { aborted: true } : {}),
    };
    const msg = `${req.method} ${line.path} ${status} ${line.durationMs} ms`;
    // Prometheus scrapes every few seconds: those lines only at DEBUG.
    if (route === METRICS_PATH) accessLog.debug(msg, line);
    else accessLog.info(msg, line);
  };

  const serveMetrics = (req: IncomingMessage, res: ServerResponse, m: NodeMetrics): void => {
    m.expose().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', m.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(text);
      },
      (e: unknown) => sendError(res, reportError(log, req, e)),
    );
  };

  /** Below the root: login, or body, authentication, and the resource routes. */
  const serveApi = (req: IncomingMessage, res: ServerResponse, ex: Exchange, sub: string): void => {
    const path = sub || '/';
    if (path === '/login' || path === '/login/') {
      ex.route = `${root}/login`;
      void login(req, res);
      return;
    }
    readBody(req, ex, limit, (bodyError) => {
      if (bodyError !== undefined) {
        sendError(res, reportError(log, req, bodyError));
        return;
      }
      authenticate(req, res, ({ identity, error }) => {
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
        ex.identity = identity;
        (req as IncomingMessage & { identity?: Identity }).identity = identity;
        const template = dispatch(req, res, path, ex.rawBody);
        if (template !== undefined) {
          ex.route = `${root}${template === '/' ? '/' : template}`;
          return;
        }
        sendError(res, new HttpError(404, `The requested resource ${path} was not found.`));
      });
    });
  };

  const pipeline = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const rid = req.headers['x-request-id'];
    const ex: Exchange = { requestId: requestIdOf(typeof rid === 'string' ? rid : undefined) };
    res.setHeader('X-Request-Id', ex.requestId);
    metrics?.requestStarted();
    res.once('close', () => observe(req, res, ex, started));
    withLogContext({ requestId: ex.requestId }, () => {
      for (const [k, v] of CORS) res.setHeader(k, v);
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
        res.statusCode = 200;
        res.end();
        return;
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (metrics && (req.method === 'GET' || req.method === 'HEAD') && isMetricsPath(path)) {
        ex.route = METRICS_PATH;
        serveMetrics(req, res, metrics);
        return;
      }
      const sub = belowRoot(path, root);
      if (sub !== undefined) {
        serveApi(req, res, ex, sub);
        return;
      }
      sendError(res, new HttpError(404, `No resource at ${path}; the API root is ${root}/.`));
    });
  };

  return (req, res) => {
    try {
      pipeline(req, res);
    } catch (e) {
      // a bug on the way, not a request's fault: answered if nothing was yet, logged either way
      const err = reportError(log, req, e);
      if (res.headersSent) res.destroy();
      else sendError(res, err);
    }
  };
}
