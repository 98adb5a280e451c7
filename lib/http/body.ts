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
import type { Server as HttpsServer } from 'node:https';
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
  const codings = te.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
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

/**
 * Reads a request's body, at most `limit` bytes. Refused with 413 (and the connection closed, the
 * rest left unread) when the declared length is over the limit, or as soon as the bytes counted
 * pass it. A client that goes away mid-body rejects with ClientGoneError.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.reject(tooLarge(limit));
  if (req.destroyed) return Promise.reject(new ClientGoneError());
  if (awaitingContinue.delete(req)) res.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        done();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
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
  });
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
