/**
 * Request bodies: message framing (RFC 9112 §6), the size limit, the client leaving mid-body, and
 * the bytes-to-JSON step (UTF-8, as the original's Jackson reads it).
 *
 * A body is read only when a request has got that far (after authentication and routing): a
 * request refused earlier never has its body buffered; node:http then discards whatever the
 * client still sends, as it does for any response that ends before its request.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Server as HttpsServer } from 'node:https';
import type { BodyBudget } from './body-budget.js';
import { badRequest, HttpError } from './errors.js';
import { parseJson } from './json.js';

/**
 * The connection is closed after an answer carrying this header (node:http sees it and ends the
 * socket once the response is out); used when the rest of a request will not be read.
 */
const CLOSE = { Connection: 'close' };

/** The client closed the connection before its request (body) was read: nobody to answer. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor(cause?: unknown) {
    super('the client closed the connection before the request body was read', { cause });
  }
}

/**
 * 501 for a request whose transfer codings are anything but `chunked` alone (RFC 9112 §6.1: a
 * server that does not understand a transfer coding answers 501): `gzip, chunked` would
 * otherwise be read as if the body were not compressed. Undefined when the framing is fine.
 */
export function unsupportedFraming(req: IncomingMessage): HttpError | undefined {
  const te = req.headers['transfer-encoding'];
  if (te === undefined) return undefined;
  const codings = te
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  if (codings.length === 1 && codings[0] === 'chunked') return undefined;
  return new HttpError(501, `Transfer-Encoding '${te}' is not supported: only chunked is.`, { headers: CLOSE });
}

/** Requests whose client waits for `100 Continue` before sending the body. */
const awaitingContinue = new WeakSet<IncomingMessage>();

/**
 * Serves `app` on `server`, answering `Expect: 100-continue` only when the body is about to be
 * read (node:http would invite every such body at once): a request refused before its body is
 * read (401, 404, 405) gets the refusal instead, and the client need not send the body at all.
 */
export function serveApp(server: Server | HttpsServer, app: RequestListener): void {
  server.on('request', app);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    awaitingContinue.add(req);
    app(req, res);
  });
}

function tooLarge(limit: number): HttpError {
  // the rest of the body is not read: the connection goes once the 413 is out
  return new HttpError(413, `The request body exceeds the limit of ${limit} bytes.`, { headers: CLOSE });
}

function overBudget(): HttpError {
  const after = '3';
  return new HttpError(503, 'The node is receiving too many request bodies at once; retry later.', {
    headers: { ...CLOSE, 'Retry-After': after, RetryAfter: after },
  });
}

function bodyIdle(ms: number): HttpError {
  return new HttpError(408, `The request body stopped arriving for ${ms} ms; the connection is closed.`, { headers: CLOSE });
}

export interface ReadBodyOptions {
  /** the node's in-flight body bytes: this body's bytes are taken from it until its response is done */
  budget?: BodyBudget;
  /** longest pause between two pieces of the body (408 and close when exceeded); none if absent */
  idleTimeoutMs?: number;
}

/**
 * Reads a request's body, at most `limit` bytes. Refused with 413 (and the connection closed, the
 * rest left unread) when the declared length is over the limit, or as soon as the bytes counted
 * pass it; with 503 (closed too) when the node's body budget has no room for it; with 408 when it
 * pauses longer than the idle timeout. A client that goes away mid-body rejects with
 * ClientGoneError.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number, opts: ReadBodyOptions = {}): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.reject(tooLarge(limit));
  if (req.destroyed) return Promise.reject(new ClientGoneError());
  const { budget, idleTimeoutMs } = opts;
  // the declared length is taken at once (a body that cannot fit is refused before a byte of it
  // is read); a chunked one piece by piece
  let taken = 0;
  const take = (n: number): boolean => {
    if (!budget) return true;
    if (!budget.take(n)) return false;
    taken += n;
    return true;
  };
  if (!take(declared)) return Promise.reject(overBudget());
  if (budget) res.once('close', () => budget.give(taken));
  if (awaitingContinue.delete(req)) res.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idleTimeoutMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => fail(bodyIdle(idleTimeoutMs)), idleTimeoutMs);
    };
    const done = (): void => {
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
    };
    const fail = (e: Error): void => {
      done();
      req.pause();
      reject(e);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) return fail(tooLarge(limit));
      if (size > declared && !take(c.length)) return fail(overBudget());
      chunks.push(c);
      armIdle();
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onGone = (e?: unknown): void => {
      done();
      reject(new ClientGoneError(e));
    };
    // 'close' without 'end': the connection went (node:http also emits an ECONNRESET 'error')
    const onClose = (): void => onGone();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onClose);
    armIdle();
  });
}

/**
 * How long a connection closed before its request's body was read is kept after the answer:
 * closing it at once, with the client's bytes still coming, makes the kernel reset it, and a
 * reset can take the answer with it before the client reads it (the "lingering close" of
 * RFC 9112 §9.6).
 */
export const LINGER_MS = 2000;

/**
 * The connection closes after this response without the rest of the request body being waited
 * for: the answer goes out, then the node's side is shut (FIN) and nothing more is read; the
 * connection is destroyed LINGER_MS later (or when the client closes too), time for the client to
 * read the answer.
 */
export function closeWithoutBody(res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  const socket = res.socket;
  if (!socket || lingering.has(socket)) return;
  lingering.add(socket);
  // node:http calls destroySoon once a `Connection: close` response is out; it would destroy the
  // socket as soon as the FIN is written
  socket.destroySoon = function lingerThenDestroy(this: Socket): void {
    this.end();
    stopReading(this);
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

const lingering = new WeakSet<Socket>();

/**
 * Reads no more from the socket: what the client still sends waits in the kernel's buffers (and
 * holds the client back) instead of being read into the node's memory and thrown away. node:http
 * reads a plain connection's bytes straight from its handle into the parser, past the stream's
 * pause(), hence the handle's readStop (on TLS, the stream's pause() is what counts).
 */
function stopReading(socket: Socket): void {
  socket.pause();
  (socket as Socket & { _handle?: { readStop?: () => number } | null })._handle?.readStop?.();
}

/**
 * Whether the request has a body that has not all arrived: an answer given now leaves it unread,
 * and the connection should close with it rather than wait for (and throw away) the rest.
 */
export function bodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  return Number(req.headers['content-length'] ?? '0') > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The text of a body's bytes ('' for an empty body). The bytes must be UTF-8 (400 otherwise,
 * nothing is replaced); a leading byte order mark is skipped, as Jackson does.
 */
export function textBody(raw: Buffer | undefined, what = 'the request body'): string {
  if (!raw || raw.length === 0) return '';
  if (!isUtf8(raw)) throw badRequest(`Malformed ${what}: it is not valid UTF-8.`);
  const text = raw.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The JSON value of a body's bytes (undefined for an empty body), decoded as textBody does; 64-bit integers exact (json.ts). */
export function parseJsonBody(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  const text = textBody(raw, 'JSON in the request body');
  try {
    return parseJson(text);
  } catch (e) {
    throw badRequest(`Malformed JSON in the request body: ${(e as Error).message}`);
  }
}
