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
import { IncomingMessage, ServerResponse, type ServerOptions } from 'node:http';
import express, { Router, type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import { openExchange, type Exchange, type Stage } from './exchange.js';
import { restStages, type RestApiOptions, type RestStages } from './stages.js';

export type { RestApiOptions } from './stages.js';
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
  /** options of the servers that serve `app` (node:http's and node:https's createServer) */
  readonly serverOptions: Pick<ServerOptions, 'IncomingMessage' | 'ServerResponse'>;
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
 * A constructor of `base`'s objects that are born with `proto` as their prototype. node:http
 * takes such constructors for its requests and responses: born with the prototypes Express gives
 * them (`app.request`, `app.response`, set by Object.setPrototypeOf on every request), they are
 * left as they are, and V8 does not change the shape of two objects per request, which made
 * every later access to them slower (docs/decisions/0012-express-http-layer.md).
 */
function bornWith(base: new (...args: never[]) => object, proto: object): unknown {
  // node:http's classes are plain constructor functions: applied to the new object, they set it
  // up in place (Reflect.construct, which a class would need, was measured no faster than the
  // prototype swap it avoids: it makes a second object)
  const isClass = Function.prototype.toString.call(base).startsWith('class');
  function Born(this: object, ...args: unknown[]): object | void {
    if (isClass) return Reflect.construct(base, args, Born) as object;
    Reflect.apply(base, this, args);
  }
  Born.prototype = proto;
  return Born;
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
    // (plain functions used as constructors: TypeScript cannot type them as the classes they make)
    serverOptions: {
      IncomingMessage: bornWith(IncomingMessage, app.request) as typeof IncomingMessage,
      ServerResponse: bornWith(ServerResponse, app.response) as typeof ServerResponse,
    },
    attach(api) {
      if (attached) throw new Error('the REST API is already attached');
      app.use(api);
      attached = true;
    },
  };
}
