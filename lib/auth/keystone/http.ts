/**
 * The HTTP calls to Keystone: JSON in and out, a connect timeout and a read (idle) timeout on
 * every call (the original had none), kept-alive connections, bounded response bodies. Any
 * failure to get an answer is a KeystoneUnavailableError; HTTP statuses are left to the caller.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { KeystoneUnavailableError } from './errors.js';

export interface KeystoneHttpOptions {
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** responses larger than this are refused (default 16 MiB) */
  maxBodyBytes?: number;
}

export interface KeystoneRequest {
  method: 'GET' | 'POST' | 'HEAD' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface KeystoneResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** parsed JSON body, or undefined when empty / not JSON */
  body: unknown;
}

export type KeystoneTransport = (req: KeystoneRequest) => Promise<KeystoneResponse>;

export const CONNECTION_FAILED = 'Connection to Keystone failed';

/** A transport over node:http(s) with its own keep-alive agents. */
export function httpTransport(opts: KeystoneHttpOptions): KeystoneTransport & { close(): void } {
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
  };
  const send = (r: KeystoneRequest): Promise<KeystoneResponse> =>
    new Promise((resolve, reject) => {
      const isHttps = r.url.protocol === 'https:';
      if (!isHttps && r.url.protocol !== 'http:') {
        reject(new KeystoneUnavailableError(`${CONNECTION_FAILED}: unsupported protocol ${r.url.protocol}`));
        return;
      }
      const payload = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body), 'utf8');
      const headers: Record<string, string> = { Accept: 'application/json', ...r.headers };
      if (payload) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        if (connectTimer) clearTimeout(connectTimer);
        reject(new KeystoneUnavailableError(`${CONNECTION_FAILED}: ${why}`));
      };
      const req = (isHttps ? https : http).request(r.url, { method: r.method, headers, agent: agents[isHttps ? 'https:' : 'http:'] }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBody) {
            req.destroy();
            fail(`response larger than ${maxBody} bytes`);
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text.trim() === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', (e) => fail(e.message));
        res.on('aborted', () => fail('response aborted'));
      });
      // connect timeout: until the socket is connected (a reused keep-alive socket already is)
      req.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => {
          req.destroy();
          fail(`no connection within ${opts.connectTimeoutMs} ms`);
        }, opts.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      // read timeout: the socket idle for this long once connected
      req.setTimeout(opts.readTimeoutMs, () => {
        req.destroy();
        fail(`no answer within ${opts.readTimeoutMs} ms`);
      });
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      req.end(payload);
    });
  return Object.assign(send, {
    close(): void {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  });
}

/** A header's single value (node gives arrays for repeated ones). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
