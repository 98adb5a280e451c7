/**
 * What one node gives its clients before it refuses them, applied to its HTTP and HTTPS
 * listeners (docs/security.md, "Limits"; docs/decisions/0024): open connections over both
 * listeners, the time to receive a request's headers and the whole request, and the answer a
 * client gets when node:http gives up on its request. The in-flight body bytes and the pause
 * within a body are bounded where bodies are read (./body.ts, ./body-budget.ts).
 */
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RestApiLimits } from '../conf/settings.js';
import { ERROR_TYPE } from './media-types.js';

/**
 * How often node:http looks for requests past headers_timeout / receive_timeout (its default,
 * 30 s, would let a 10 s timeout run to 40 s). A pass costs one look at each open connection.
 */
const CHECK_EVERY_MS = 1000;

/** Options that only `createServer` takes (node:http and node:https alike). */
export function listenerServerOptions(): Pick<ServerOptions, 'connectionsCheckingInterval'> {
  return { connectionsCheckingInterval: CHECK_EVERY_MS };
}

/**
 * The open connections of a node, over all its listeners, held at `max`. Counting happens in
 * node:net itself (`maxConnections`, checked before anything is allocated for a new socket: a
 * connection beyond the cap is closed on accept, unread); this keeps each listener's own cap at
 * what the others leave, so the bound is the node's and not each listener's.
 */
export class ConnectionCap {
  private readonly open = new Map<NetServer, number>();

  /** `onRefused` is called for each connection dropped on accept (after `refused` counted it). */
  constructor(
    readonly max: number,
    private readonly onRefused?: () => void,
  ) {
    if (!(max > 0)) throw new RangeError(`a connection cap must be positive, got ${max}`);
  }

  /** Connections open now over every attached listener. */
  get count(): number {
    let n = 0;
    for (const c of this.open.values()) n += c;
    return n;
  }

  /** Connections refused since the start (the listener dropped them on accept). */
  refused = 0;

  attach(server: NetServer): void {
    if (this.open.has(server)) return;
    this.open.set(server, 0);
    // a raw TCP connection, for HTTPS too (before its TLS handshake): what the cap is about
    server.on('connection', (socket: Socket) => {
      this.open.set(server, (this.open.get(server) ?? 0) + 1);
      this.rebalance();
      socket.once('close', () => {
        this.open.set(server, Math.max(0, (this.open.get(server) ?? 0) - 1));
        this.rebalance();
      });
    });
    server.on('drop', () => {
      this.refused++;
      this.onRefused?.();
    });
    this.rebalance();
  }

  private rebalance(): void {
    const total = this.count;
    for (const [server, own] of this.open) {
      const left = this.max - (total - own);
      // node:net reads 0 as "no cap": a listener with nothing left gets -1, which refuses all
      server.maxConnections = left > 0 ? left : -1;
    }
  }
}

/** The API's error entity as a whole raw response, for a socket node:http took off the request path. */
function rawError(status: number, reason: string, message: string): string {
  const body = JSON.stringify({ message, code: status });
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    `Content-Type: ${ERROR_TYPE}; charset=UTF-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** Whether a response has begun on the socket (then only closing it is left). */
function answering(socket: Duplex): boolean {
  // node:http's own check before its default 408/400 (the response of the socket's request)
  const res = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return res?.headersSent === true;
}

/**
 * What node:http does when a request cannot go on (headers or whole request not in within their
 * time, unparsable framing, headers too large), answered in the API's error format instead of
 * node:http's bare status line, then the connection closed.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (socket.writable && !answering(socket)) {
    const code = err.code ?? '';
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.write(rawError(408, 'Request Timeout', 'The request was not received in time; the connection is closed.'));
    else if (code === 'HPE_HEADER_OVERFLOW') socket.write(rawError(431, 'Request Header Fields Too Large', 'The request headers are too large.'));
    else if (code !== 'ECONNRESET' && code !== 'EPIPE') socket.write(rawError(400, 'Bad Request', 'The request is not valid HTTP/1.1.'));
  }
  socket.destroy();
}

/**
 * Puts `limits` on a listener (HTTP or HTTPS): its share of the node's connection cap and the
 * time to receive a request (no cap: only the times). Its server must have been created with
 * listenerServerOptions().
 */
export function applyListenerLimits(server: HttpServer, limits: RestApiLimits, cap: ConnectionCap | undefined): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.receiveTimeoutMs;
  if (server.listenerCount('clientError') === 0) server.on('clientError', onClientError);
  cap?.attach(server);
}
