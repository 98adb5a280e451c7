/**
 * A minimal keep-alive HTTP client for the closed-loop measurements (autocannon reports latency
 * in whole milliseconds, too coarse for sub-millisecond overheads).
 */
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** time to the first byte of the body, ns (0 when there is no body) */
  firstByteNs: number;
}

export class HttpBenchClient {
  private readonly agent: Agent;
  constructor(
    private readonly base: URL,
    maxSockets = 256,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          method,
          host: this.base.hostname,
          port: this.base.port,
          path,
          agent: this.agent,
          headers: { 'X-Auth-Token': 'bench', ...headers, ...(payload ? { 'Content-Length': String(payload.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let firstByteNs = 0;
          res.on('data', (c: Buffer) => {
            if (firstByteNs === 0) firstByteNs = Number(process.hrtime.bigint() - t0);
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), firstByteNs }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
