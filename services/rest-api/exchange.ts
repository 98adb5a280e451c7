/**
 * The context of one request on its way through the REST API's pipeline, and the shape of a
 * pipeline stage. Stages read and fill the one `Exchange` (its identity, route, body, reply)
 * instead of writing onto the request object; Express keeps it in `res.locals.exchange`
 * (express-locals.d.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../../lib/auth/provider.js';
import type { RouteMatch } from './machinery/router.js';
import type { Reply, RouteDef } from './machinery/types.js';

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** `performance.now()` when the request entered the pipeline */
  readonly started: number;
  /** the request target as received (mounting the API under its root rewrites `req.url`) */
  readonly url: string;
  /** the route template that serves it, with the API root: the metrics' and the access log's label */
  route?: string;
  /** the path below the API root, without the query */
  path?: string;
  /** the template the path matched, if any */
  match?: RouteMatch;
  identity?: Identity;
  /** the declared route serving the request's method */
  routeDef?: RouteDef;
  params?: Record<string, string>;
  /** a POST or PUT body, as read */
  rawBody?: Buffer;
  /** the negotiated response type */
  responseType?: string;
  reply?: Reply;
}

export type Next = (err?: unknown) => void;

/**
 * One named step of the pipeline: it works on the exchange, then calls `next()` to go on,
 * `next(error)` to have the error answered, or answers itself and calls nothing. Throwing, or a
 * rejection of an async stage, is the same as `next(error)`.
 */
export interface Stage {
  readonly name: string;
  run(ex: Exchange, next: Next): void | Promise<void>;
}

const MAX_REQUEST_ID = 128;
const REQUEST_ID_RE = /^[A-Za-z0-9._:+=/@-]+$/;

/** A client's X-Request-Id if it is short and made of safe characters; otherwise a new UUID. */
export function requestIdOf(header: string | undefined): string {
  return header && header.length <= MAX_REQUEST_ID && REQUEST_ID_RE.test(header) ? header : randomUUID();
}

/** The exchange of a request that enters the pipeline. */
export function openExchange(req: IncomingMessage, res: ServerResponse): Exchange {
  const rid = req.headers['x-request-id'];
  return { req, res, requestId: requestIdOf(typeof rid === 'string' ? rid : undefined), started: performance.now(), url: req.url ?? '/' };
}
