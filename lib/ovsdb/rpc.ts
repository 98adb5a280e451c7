/**
 * JSON-RPC 1.0 over one OVSDB connection (RFC 7047 §4): requests matched to replies by id, each
 * bounded by a timeout; the server's `echo` requests answered at once (ovsdb-server's inactivity
 * probe drops a client that stays silent for twice its interval, 5 s by default); our own echo
 * sent when the peer has been silent for probeIntervalMs, and the connection dropped when that
 * goes unanswered as long again, so a dead peer or a half-open TCP connection is noticed.
 *
 * One RpcConnection is one socket's life; reconnecting is the client's job (client.ts).
 */
import type { Socket } from 'node:net';
import { FramingError, JsonFrameSplitter } from './framing.js';
import { isErrorBody, OvsdbDisconnectedError, OvsdbProtocolError, OvsdbRpcError, OvsdbTimeoutError } from './protocol.js';

export interface RpcConnectionOptions {
  /** bound on one incoming message; default framing.ts's */
  maxFrameBytes?: number;
  /** idle time before our own echo; 0 turns the probe off */
  probeIntervalMs: number;
  /** a message from the server that is no reply: `update`, `locked`, `stolen`, ... */
  onNotification(method: string, params: unknown): void;
  /** something odd that the connection survives (a reply nobody waits for, an unknown request) */
  onProtocolError(err: OvsdbProtocolError): void;
  /** called once, when the socket is gone; the error says why (undefined: closed by us) */
  onClose(err: Error | undefined): void;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class RpcConnection {
  private readonly splitter: JsonFrameSplitter;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastReceived = Date.now();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closeReason: Error | undefined;
  private done = false;

  constructor(
    private readonly socket: Socket,
    private readonly opts: RpcConnectionOptions,
  ) {
    this.splitter = new JsonFrameSplitter(opts.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => {
      this.closeReason ??= e;
    });
    socket.on('close', () => this.finish());
    this.armProbe();
  }

  get closed(): boolean {
    return this.done;
  }

  /** Sends a request; resolves with its `result`, rejects with OvsdbRpcError / OvsdbTimeoutError / OvsdbDisconnectedError. */
  request(method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
    if (this.done) return Promise.reject(new OvsdbDisconnectedError(`${method}: not connected`));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OvsdbTimeoutError(`${method}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ method, params, id });
    });
  }

  /** Closes the socket; pending requests fail with OvsdbDisconnectedError carrying `reason`. */
  close(reason?: Error): void {
    if (this.done) return;
    if (reason) this.closeReason ??= reason;
    this.socket.destroy();
    this.finish();
  }

  private send(msg: object): void {
    if (this.done || this.socket.destroyed) return;
    this.socket.write(JSON.stringify(msg));
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      // The stream is out of step: nothing after this point can be read reliably.
      this.close(new OvsdbProtocolError(`unreadable stream from the server: ${(e as FramingError).message}`));
      return;
    }
    for (const frame of frames) {
      if (this.done) return;
      let msg: unknown;
      try {
        msg = JSON.parse(frame.toString('utf8'));
      } catch (e) {
        this.opts.onProtocolError(new OvsdbProtocolError(`a message that is not JSON (${(e as Error).message})`));
        continue;
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.opts.onProtocolError(new OvsdbProtocolError(`a message that is not a JSON object: ${JSON.stringify(msg).slice(0, 80)}`));
      return;
    }
    const m = msg as { method?: unknown; params?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (typeof m.method === 'string') {
      if (m.id === undefined || m.id === null) {
        this.opts.onNotification(m.method, m.params);
      } else if (m.method === 'echo') {
        this.send({ id: m.id, result: Array.isArray(m.params) ? m.params : [], error: null });
      } else {
        this.send({ id: m.id, result: null, error: { error: 'unknown method', details: m.method } });
        this.opts.onProtocolError(new OvsdbProtocolError(`the server sent an unknown request: ${m.method}`));
      }
      return;
    }
    if (!('id' in m)) {
      this.opts.onProtocolError(new OvsdbProtocolError(`a message that is neither request nor reply: ${JSON.stringify(msg).slice(0, 80)}`));
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) {
      // Also what a reply looks like when it comes after its request timed out.
      this.opts.onProtocolError(new OvsdbProtocolError(`a reply to no pending request (id ${JSON.stringify(m.id)})`));
      return;
    }
    this.pending.delete(m.id as number);
    clearTimeout(p.timer);
    if (m.error === null || m.error === undefined) p.resolve(m.result);
    else if (isErrorBody(m.error)) p.reject(new OvsdbRpcError(p.method, m.error));
    else p.reject(new OvsdbRpcError(p.method, { error: typeof m.error === 'string' ? m.error : JSON.stringify(m.error) }));
  }

  private armProbe(): void {
    const interval = this.opts.probeIntervalMs;
    if (interval <= 0 || this.done) return;
    const idle = Date.now() - this.lastReceived;
    this.probeTimer = setTimeout(() => this.probe(), Math.max(0, interval - idle));
    this.probeTimer.unref();
  }

  private probe(): void {
    this.probeTimer = undefined;
    if (this.done) return;
    const interval = this.opts.probeIntervalMs;
    if (this.probing || Date.now() - this.lastReceived < interval) {
      this.armProbe();
      return;
    }
    this.probing = true;
    this.request('echo', [], interval).then(
      () => {
        this.probing = false;
        this.armProbe();
      },
      (e: unknown) => {
        this.probing = false;
        if (e instanceof OvsdbTimeoutError && Date.now() - this.lastReceived >= interval) {
          this.close(new OvsdbDisconnectedError(`the server did not answer an echo within ${interval} ms`));
        } else {
          this.armProbe();
        }
      },
    );
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    const why = this.closeReason;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new OvsdbDisconnectedError(`${p.method}: connection lost${why ? ` (${why.message})` : ''}`));
    }
    this.pending.clear();
    this.opts.onClose(why);
  }
}
