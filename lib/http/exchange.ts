/**
 * The few request helpers the REST API needs on plain `node:http` objects (docs/decisions/0011:
 * no web framework on the request path).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** A request header's value, repeated headers joined with ", " (as express's `req.get` gives it). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The request's path, without the query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** 'https' on a TLS connection, else 'http' (forwarding headers are the caller's business). */
export function protocolOf(req: IncomingMessage): 'http' | 'https' {
  return (req.socket as TLSSocket).encrypted ? 'https' : 'http';
}
