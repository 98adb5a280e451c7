/**
 * The few request helpers the REST API's pipeline stages need. They work on plain `node:http`
 * objects: the stages do not depend on Express's request and response additions, so the bench
 * can run them without Express (docs/decisions/0012-express-http-layer.md).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** A request header's value, repeated headers joined with ", " (as express's `req.get` gives it). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The path of a request (its `req.url`) or of a request target, without the query string. */
export function pathOf(req: IncomingMessage | string): string {
  const url = typeof req === 'string' ? req : (req.url ?? '/');
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** 'https' on a TLS connection, else 'http' (forwarding headers are the caller's business). */
export function protocolOf(req: IncomingMessage): 'http' | 'https' {
  return (req.socket as TLSSocket).encrypted ? 'https' : 'http';
}
