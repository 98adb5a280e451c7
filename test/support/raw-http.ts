/**
 * HTTP/1.1 over a bare TCP socket, for what node:http's client hides: a request whose body is
 * sent only in part, exact framing headers, and when the server answers or closes the connection
 * relative to what the client has sent.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** header names lower-cased */
  headers: Record<string, string>;
  body: string;
  /** bytes of the request the client had written when the response head arrived */
  sentBefore: number;
}

export class RawHttp {
  /** request bytes written so far */
  sent = 0;
  /** the statuses of interim (1xx) responses received, e.g. 100 Continue */
  readonly interim: number[] = [];
  private received = Buffer.alloc(0);
  private head?: { status: number; headers: Record<string, string>; bodyStart: number; sentBefore: number };
  private readonly waiters = new Set<() => void>();
  private closedFlag = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.received = Buffer.concat([this.received, c]);
      this.parseHead();
      this.wake();
    });
    // a reset after the answer is a close like any other here
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  /** A connection to the host and port of `url`. */
  static open(url: string): Promise<RawHttp> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: u.hostname, port: Number(u.port) }, () => {
        socket.off('error', reject);
        resolve(new RawHttp(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Writes request bytes (head or body); resolves once the socket took them. */
  write(data: string | Buffer): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve, reject) => {
      this.socket.write(buf, (e) => {
        if (e) reject(e);
        else {
          this.sent += buf.length;
          resolve();
        }
      });
    });
  }

  /** Resolves once an interim response (100 Continue) has come; rejects after `timeoutMs`. */
  continued(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.interim.includes(100), timeoutMs, '100 Continue');
  }

  /** Whether the head of a (final) response has come. */
  get answered(): boolean {
    return this.head !== undefined;
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** The first response, once its head and (Content-Length) body are in; `timeoutMs` bounds the wait. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    await this.until(() => this.head !== undefined && this.bodyComplete(), timeoutMs, 'a complete response');
    const h = this.head as NonNullable<RawHttp['head']>;
    const length = Number(h.headers['content-length'] ?? '0');
    return { status: h.status, headers: h.headers, body: this.received.subarray(h.bodyStart, h.bodyStart + length).toString('utf8'), sentBefore: h.sentBefore };
  }

  /** Resolves when the server has closed the connection (FIN or reset); rejects after `timeoutMs`. */
  serverClosed(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.closedFlag, timeoutMs, 'the server to close the connection');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private bodyComplete(): boolean {
    const h = this.head;
    if (!h) return false;
    return this.received.length - h.bodyStart >= Number(h.headers['content-length'] ?? '0') || this.closedFlag;
  }

  private parseHead(): void {
    if (this.head) return;
    const end = this.received.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = this.received.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
    if (status >= 100 && status < 200) {
      this.interim.push(status);
      this.received = this.received.subarray(end + 4);
      this.parseHead();
      return;
    }
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    this.head = { status, headers, bodyStart: end + 4, sentBefore: this.sent };
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  private until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms (${this.sent} bytes sent, ${this.received.length} received)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** A request head: `method path`, the Host, the given headers, and the blank line. */
export function requestHead(method: string, url: string, headers: Record<string, string>): string {
  const u = new URL(url);
  const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
