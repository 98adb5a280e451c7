/**
 * The node's HTTP layer: one Express 5 application per node serves everything on the REST port
 * (and the HTTPS port): the health endpoints, `GET /metrics`, `{root}/login` and the API under
 * its root.
 *
 *   app ─ health router (/healthz, /readyz; no request id, no access log)
 *       ─ starting gate (503 until the API is attached)
 *       ─ the REST API router (createRestApi):
 *           requestId → observe → cors → framing           (./stages.ts, as middleware)
 *           GET /metrics
 *           {root} (case-insensitive) ─ ALL /login
 *                                     ─ match → authenticate → authorize → resolve → readBody → negotiate → handle → reply
 *           outside the root: 404
 *           the error handler: every error answered in one place (answerError)
 *
 * docs/decisions/0012-express-http-layer.md says why Express and what it costs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router, type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import { openExchange, type Exchange, type Stage } from './exchange.js';
import { restStages, type RestApiOptions, type RestStages } from './stages.js';

export { baseUri, METRICS_PATH, UNMATCHED_ROUTE, type RestApiOptions } from './stages.js';
export { requestIdOf } from './exchange.js';

function exchangeOf(res: Response): Exchange {
  const ex = res.locals.exchange;
  if (!ex) throw new Error('no exchange: a pipeline stage is mounted before the request entered it');
  return ex;
}

/** A stage as Express middleware, named after it (Express's debug output shows the name). */
function middleware(stage: Stage): RequestHandler {
  const fn: RequestHandler = (_req, res, next) => stage.run(exchangeOf(res), next);
  Object.defineProperty(fn, 'name', { value: stage.name });
  return fn;
}

/** Path-to-regexp syntax in a configured root is taken literally. */
function literalPath(path: string): string {
  return path.replace(/[:*?+()[\]{}!\\]/g, '\\$&');
}

/** The REST API: the pipeline's stages as an Express router, with its error handler. */
export function createRestApi(opts: RestApiOptions): Router {
  const s: RestStages = restStages(opts);
  const api = Router();
  const enter: RequestHandler = (req, res, next) => {
    res.locals.exchange = openExchange(req, res);
    next();
  };
  api.use(enter, ...s.front.map(middleware));
  if (s.metrics) api.get('/metrics', middleware(s.metrics));
  // below the root: paths are case-sensitive (the root is not), one trailing slash optional
  const below = Router({ caseSensitive: true, strict: false });
  below.all('/login', middleware(s.login));
  below.use(...s.api.map(middleware));
  api.use(s.root === '' ? '/' : literalPath(s.root), below);
  api.use(middleware(s.outsideRoot));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => s.answerError(exchangeOf(res), err);
  api.use(onError);
  return api;
}

export interface RestApp {
  /** the request listener of the HTTP and HTTPS servers */
  readonly app: Express;
  readonly attached: boolean;
  /** Puts the REST API (createRestApi) behind the health endpoints; until then, 503. */
  attach(api: Router): void;
}

function starting(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const text = `${JSON.stringify({ message: 'The node is starting (waiting for ZooKeeper and its configuration); retry later.', code: 503 })}\n`;
  res.writeHead(503, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'Retry-After': '3',
    RetryAfter: '3',
    Connection: 'close',
  });
  res.end(text);
}

/**
 * The node's Express application, listening before the API exists (the node waits for
 * ZooKeeper): the health router answers at once, everything else 503 until `attach`.
 */
export function createRestApp(opts: { health?: Router } = {}): RestApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // the API reads its few query parameters itself (machinery/router.ts queryOf)
  app.set('query parser', false);
  // Express's last-resort handler must never print a stack into a response
  app.set('env', 'production');
  if (opts.health) app.use(opts.health);
  let attached = false;
  app.use((req, res, next) => (attached ? next() : starting(req, res)));
  return {
    app,
    get attached() {
      return attached;
    },
    attach(api) {
      if (attached) throw new Error('the REST API is already attached');
      app.use(api);
      attached = true;
    },
  };
}
