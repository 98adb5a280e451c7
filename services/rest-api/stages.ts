/**
 * The REST API's request pipeline as named stages over one Exchange (./exchange.ts). Express
 * runs them as middleware (./app.ts); they only need `node:http`'s request and response, so the
 * bench can run the very same stages without Express (bench/bare-http.ts) to measure what
 * Express costs.
 *
 *   front, every request but the health endpoints:
 *     requestId → observe → cors → framing
 *   then GET /metrics (outside the root), {root}/login, or below the root:
 *     match → authenticate → authorize → resolve → readBody → negotiate → handle → reply
 *   and one error handler, `answerError`, for whatever any stage throws or passes to next().
 *
 * The body is read after authentication, authorization and routing: a request refused by one
 * of those never has its body buffered (node:http discards what the client still sends).
 */
import type { FlowTraceReader } from '../../lib/cassandra/flow-trace-reader.js';
import type { IncomingMessage } from 'node:http';
import type { AuthProvider } from '../../lib/auth/provider.js';
import { authenticateWith } from '../../lib/auth/strategy.js';
import { BodyBudget } from '../../lib/http/body-budget.js';
import { bodyUnread, ClientGoneError, closeWithoutBody, parseJsonBody, readBody, textBody, unsupportedFraming } from '../../lib/http/body.js';
import { HttpError, toHttpError } from '../../lib/http/errors.js';
import { header, pathOf, protocolOf } from '../../lib/http/exchange.js';
import { withLogContext, type Logger } from '../../lib/log/logger.js';
import { redactUrl } from '../../lib/log/redact.js';
import type { NodeMetrics } from '../../lib/metrics/metrics.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import type { Exchange, Stage } from './exchange.js';
import { loginStage } from './login.js';
import { checkRequestType, negotiateResponse } from './machinery/negotiate.js';
import { queryOf, routeTable, sendError, sendReply, streamReply } from './machinery/router.js';
import { mayEnter, scopeRoutes } from './machinery/scoping.js';
import type { Reply, RequestContext } from './machinery/types.js';
import { allReservedPaths, allRoutes, RESOURCES } from './resources/index.js';

export interface RestApiOptions {
  storage: NsdbStorage;
  auth: AuthProvider;
  rootUri: string;
  log: Logger;
  /** Request bodies above this size are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Body bytes received or held at once over all requests; a body that does not fit is refused with 503 (default: no bound). */
  maxBodyBytesInFlight?: number;
  /** Longest pause within a body being read before 408 (default: none; node:http's receive timeout still applies). */
  bodyIdleTimeoutMs?: number;
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

const CORS: [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS'],
  ['Access-Control-Expose-Headers', 'Location'],
];
const CORS_ALLOW_HEADERS = 'Origin, X-Auth-Token, X-Auth-Project, Content-Type, Accept, Authorization';
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic  realm="BASIC_AUTH_REALM"' };

/** The API root as the client sees it, honouring a load balancer's X-Forwarded-* headers. */
export function baseUri(req: IncomingMessage, rootUri: string): string {
  const proto = (header(req, 'x-forwarded-proto')?.split(',')[0]?.trim() || protocolOf(req)).toLowerCase();
  const host = header(req, 'x-forwarded-host')?.split(',')[0]?.trim() || header(req, 'host') || 'localhost';
  return `${proto}://${host}${rootUri}`;
}

/** `path` below `root` ('' for the root itself), or undefined outside it; the root's case is not significant. */
export function belowRoot(path: string, root: string): string | undefined {
  if (path.length < root.length) return undefined;
  const head = path.slice(0, root.length);
  if (head !== root && head.toLowerCase() !== root.toLowerCase()) return undefined;
  const rest = path.slice(root.length);
  return rest === '' || rest.startsWith('/') ? rest : undefined;
}

export interface RestStages {
  /** the API root without trailing slash ('' for '/') */
  readonly root: string;
  /** every request that is not a health probe: requestId, observe, cors, framing */
  readonly front: Stage[];
  /** `GET /metrics`, when the node keeps metrics */
  readonly metrics?: Stage;
  /** `{root}/login` */
  readonly login: Stage;
  /** below the root: match → authenticate → authorize → resolve → readBody → negotiate → handle → reply */
  readonly api: Stage[];
  /** a path outside the root: the API's 404 */
  readonly outsideRoot: Stage;
  /** The one error handler: maps any error (HttpError, storage, auth) to the answer, logs what needs logging. */
  answerError(ex: Exchange, e: unknown): void;
}

export function restStages(opts: RestApiOptions): RestStages {
  const { storage, auth, log } = opts;
  const root = opts.rootUri.replace(/\/+$/, '');
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  // one budget for the node's bodies: its one application serves the HTTP and HTTPS listeners
  const bodyOptions = {
    budget: opts.maxBodyBytesInFlight !== undefined ? new BodyBudget(opts.maxBodyBytesInFlight) : undefined,
    idleTimeoutMs: opts.bodyIdleTimeoutMs,
  };
  const metrics = opts.metrics;
  const accessLog = opts.accessLog ?? opts.log.child('access');
  const tenantScoping = opts.tenantScoping === true;
  const table = routeTable(tenantScoping ? scopeRoutes(allRoutes(), RESOURCES) : allRoutes(), allReservedPaths());
  // authentication through passport (lib/auth/strategy.ts): the provider's token check
  const passportAuth = authenticateWith(auth);

  /** The label of a request answered before its route was matched (OPTIONS, 501): its template, bounded. */
  const labelOf = (ex: Exchange): string => {
    if (ex.route !== undefined) return ex.route;
    const sub = belowRoot(pathOf(ex.url), root);
    if (sub === undefined) return UNMATCHED_ROUTE;
    if (sub === '/login' || sub === '/login/') return `${root}/login`;
    const m = table.match(sub || '/');
    return m ? `${root}${m.template}` : UNMATCHED_ROUTE;
  };

  /** When the response is done or the client gone: one access-log line and the request metrics. */
  const finished = (ex: Exchange): void => {
    const { req, res } = ex;
    const seconds = (performance.now() - ex.started) / 1000;
    // 499 (nginx's "client closed request") when the client left before any answer.
    const aborted = !res.writableFinished;
    const status = aborted && !res.headersSent ? 499 : res.statusCode;
    const route = labelOf(ex);
    metrics?.requestFinished({ method: req.method ?? '', route, status, seconds });
    const forwardedFor = req.headers['x-forwarded-for'];
    const userAgent = req.headers['user-agent'];
    const bytes = res.getHeader('content-length');
    const line = {
      method: req.method,
      path: redactUrl(ex.url),
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

  const front: Stage[] = [
    {
      // the request id: returned in X-Request-Id, and in the log context of all that follows
      name: 'requestId',
      run(ex, next) {
        ex.res.setHeader('X-Request-Id', ex.requestId);
        withLogContext({ requestId: ex.requestId }, next);
      },
    },
    {
      name: 'observe',
      run(ex, next) {
        metrics?.requestStarted();
        ex.res.once('close', () => finished(ex));
        next();
      },
    },
    {
      name: 'cors',
      run(ex, next) {
        const { req, res } = ex;
        for (const [k, v] of CORS) res.setHeader(k, v);
        if (req.method !== 'OPTIONS') {
          next();
          return;
        }
        res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
        res.statusCode = 200;
        res.end();
      },
    },
    {
      // transfer codings other than chunked: 501 (RFC 9112 §6.1), the connection closed
      name: 'framing',
      run(ex, next) {
        next(unsupportedFraming(ex.req));
      },
    },
  ];

  const metricsStage: Stage | undefined = metrics && {
    name: 'metrics',
    async run(ex) {
      ex.route = METRICS_PATH;
      const text = await metrics.expose();
      ex.res.statusCode = 200;
      ex.res.setHeader('Content-Type', metrics.contentType);
      ex.res.setHeader('Cache-Control', 'no-store');
      ex.res.end(text);
    },
  };

  const api: Stage[] = [
    {
      // the template of the path below the root (req.url: the API is mounted under its root)
      name: 'match',
      run(ex, next) {
        const path = pathOf(ex.req);
        ex.path = path;
        const m = table.match(path);
        if (m) {
          ex.match = m;
          ex.route = `${root}${m.template}`;
        }
        next();
      },
    },
    {
      name: 'authenticate',
      run(ex, next) {
        passportAuth(ex.req, ex.res, ({ identity, error }) => {
          if (error !== undefined)
            next(error); // the provider's AuthError: 401 / 503, mapped by answerError
          else if (!identity) next(new HttpError(401, 'Authentication failed.', { headers: BASIC_CHALLENGE }));
          else {
            ex.identity = identity;
            next();
          }
        });
      },
    },
    {
      // v5 lets only admins in (auth-https-deploy.md §1.1); tenant roles too with tenant scoping
      name: 'authorize',
      run(ex, next) {
        next(ex.identity && mayEnter(ex.identity, tenantScoping) ? undefined : new HttpError(401, null));
      },
    },
    {
      // 404 for an unknown path, 405 (with Allow) for a method the path does not serve, 400 for a
      // malformed escape in a parameter; after authentication, as in the original
      name: 'resolve',
      run(ex, next) {
        if (!ex.match) throw new HttpError(404, `The requested resource ${ex.path || '/'} was not found.`);
        ex.routeDef = ex.match.routeFor(ex.req.method ?? 'GET');
        ex.params = ex.match.params();
        next();
      },
    },
    {
      name: 'readBody',
      async run(ex, next) {
        const method = ex.req.method;
        if (method === 'POST' || method === 'PUT') ex.rawBody = await readBody(ex.req, ex.res, limit, bodyOptions);
        next();
      },
    },
    {
      // the original's two regimes (machinery/negotiate.ts): Content-Type of a write, Accept of a read
      name: 'negotiate',
      run(ex, next) {
        const route = ex.routeDef;
        const method = route?.method;
        if ((method === 'POST' || method === 'PUT') && route?.consumes) checkRequestType(route.regime ?? 'G', header(ex.req, 'content-type'), route.consumes);
        if (method === 'GET' && route?.produces) ex.responseType = negotiateResponse(route.regime ?? 'G', header(ex.req, 'accept'), route.produces);
        next();
      },
    },
    {
      name: 'handle',
      async run(ex, next) {
        const route = ex.routeDef;
        if (!route) throw new Error('handle: no route resolved');
        const ctx: RequestContext = {
          storage,
          auth,
          base: baseUri(ex.req, root),
          identity: ex.identity,
          flowTraces: opts.flowTraces,
          log,
          req: ex.req,
          params: ex.params ?? {},
          query: queryOf(ex.req.url ?? '/'),
          body: route.method !== 'POST' && route.method !== 'PUT' ? undefined : route.bodyText ? textBody(ex.rawBody) : parseJsonBody(ex.rawBody),
          responseType: ex.responseType,
          memo: new Map(),
        };
        const reply = await route.handler(ctx);
        if ((reply.body !== undefined || reply.items || reply.text !== undefined) && !reply.contentType) reply.contentType = ex.responseType;
        ex.reply = reply;
        next();
      },
    },
    {
      // one piece, or a list streamed as its items come (machinery/router.ts)
      name: 'reply',
      async run(ex) {
        const reply = ex.reply as Reply;
        if (reply.items) await streamReply(ex.res, reply as Reply & { items: AsyncIterable<unknown> });
        else sendReply(ex.res, reply);
      },
    },
  ];

  const outsideRoot: Stage = {
    name: 'outsideRoot',
    run(ex, next) {
      next(new HttpError(404, `No resource at ${pathOf(ex.url)}; the API root is ${root}/.`));
    },
  };

  const answerError = (ex: Exchange, e: unknown): void => {
    const { req, res } = ex;
    const where = { method: req.method, path: pathOf(ex.url) };
    if (e instanceof ClientGoneError) {
      // not a failure of the node: the access log says 499
      log.debug('the client closed the connection before its request was read', where);
      return;
    }
    const err = toHttpError(e, ex.requestId);
    if (err.unexpected) {
      const cause = err.cause;
      log.error('request failed', { ...where, status: err.status, error: String(cause), stack: cause instanceof Error ? cause.stack : undefined });
    } else if (err.status >= 500) {
      log.warn('request failed', { ...where, status: err.status, error: err.message });
    }
    if (res.writableEnded) return; // answered already: nothing left to tell the client
    // a refusal before the body was read (401, 404, ...): the connection goes with the answer, so
    // the client's body is neither waited for nor read
    if (!res.headersSent && bodyUnread(req)) closeWithoutBody(res);
    if (res.headersSent) {
      // a list cut short after its first piece: the status is gone, the client must not take the
      // truncated body for a whole one
      if (!err.unexpected) log.warn('response cut short', { ...where, status: err.status, error: err.message });
      res.destroy();
      return;
    }
    sendError(res, err);
  };

  return { root, front, metrics: metricsStage, login: loginStage(auth, root), api, outsideRoot, answerError };
}
