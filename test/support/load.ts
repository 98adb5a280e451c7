/**
 * A load generator for the failover tests: `workers` loops, each doing a mix of POST / GET / PUT /
 * DELETE of bridges through one base URL (the HAProxy VIP), every request on a new TCP connection
 * (like curl; a client's keep-alive connection to a load balancer that reloads is a client
 * problem, not the cluster's). Each worker owns the bridges it creates, so what must be in
 * ZooKeeper afterwards is known exactly:
 *
 * - acknowledged writes (201 POST, 204 PUT/DELETE) must be there (verify());
 * - a failed write (5xx, no answer) is uncertain: it may or may not have been applied, so a
 *   failed PUT widens the set of names the bridge may have, a failed DELETE retires the bridge
 *   (verify() reports whether it is still there), a failed POST is looked up by its unique name;
 * - a DELETE answered 404 for a bridge the worker owns and never deleted before is a DELETE the
 *   load balancer replayed after the first attempt was applied (HAProxy retries idempotent
 *   requests on an empty response): counted as `replayedDeletes`, not as a failure.
 *
 * Failures are counted per method; idempotent ones (GET, PUT, DELETE) and non-idempotent ones
 * (POST) apart; each failure keeps its time, status and who answered (node, HAProxy, or no
 * answer), so a test can show the gap.
 */
import { request } from 'node:http';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export const IDEMPOTENT: ReadonlySet<Method> = new Set(['GET', 'PUT', 'DELETE']);
const BRIDGE = 'application/vnd.org.midonet.Bridge-v4+json';
const BRIDGES = 'application/vnd.org.midonet.collection.Bridge-v4+json';
const TOKEN = '00000000';

export interface Failure {
  t: number;
  method: Method;
  /** HTTP status, or 0 when there was no answer */
  status: number;
  /** 'node' (the API's JSON error), 'haproxy' (its own page), 'none' (no answer), 'unexpected' (a 4xx that must not happen) */
  source: 'node' | 'haproxy' | 'none' | 'unexpected';
  detail: string;
}

export interface LoadReport {
  durationMs: number;
  requests: number;
  ok: number;
  perMethod: Record<Method, { ok: number; failed: number }>;
  failed: number;
  failedIdempotent: number;
  failedNonIdempotent: number;
  /** failures by status ('0' = no answer) */
  failedByStatus: Record<string, number>;
  failures: Failure[];
  replayedDeletes: number;
  maxLatencyMs: number;
  /** requests per second */
  rate: number;
}

interface Owned {
  id: string;
  /** names the bridge may have: the last acknowledged one, then those of failed PUTs after it */
  names: string[];
}

interface Answer {
  status: number;
  body: string;
  location?: string;
}

function send(base: URL, method: Method, path: string, body: unknown, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { 'X-Auth-Token': TOKEN, Connection: 'close' };
    if (payload) {
      headers['Content-Type'] = BRIDGE;
      headers['Content-Length'] = String(payload.length);
    }
    if (method === 'GET') headers['Accept'] = path.endsWith('/bridges') ? BRIDGES : BRIDGE;
    const req = request(
      { host: base.hostname, port: base.port, path: `${base.pathname.replace(/\/$/, '')}${path}`, method, headers, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function sourceOf(a: Answer): Failure['source'] {
  if (a.status >= 500) return /^\s*\{/.test(a.body) ? 'node' : 'haproxy';
  return 'unexpected';
}

export interface LoadOptions {
  /** the API root through the VIP, e.g. http://127.0.0.1:18080/midonet-api */
  base: string;
  workers?: number;
  /** pause between a worker's requests, default 5 ms */
  pauseMs?: number;
  /** per-request bound, default 20 s (above the node's own bounds) */
  timeoutMs?: number;
  /** prefix of bridge names (tenant too) */
  tag: string;
}

export class LoadGenerator {
  private readonly base: URL;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly owned: Owned[][] = [];
  private readonly retired: Owned[] = [];
  private readonly deleted: string[] = [];
  private readonly uncertainCreates: string[] = [];
  private report: LoadReport = LoadGenerator.empty();
  private startedAt = 0;
  private seq = 0;
  private okTimes: number[] = [];

  constructor(private readonly opts: LoadOptions) {
    this.base = new URL(opts.base);
  }

  private static empty(): LoadReport {
    const m = (): { ok: number; failed: number } => ({ ok: 0, failed: 0 });
    return {
      durationMs: 0,
      requests: 0,
      ok: 0,
      perMethod: { GET: m(), POST: m(), PUT: m(), DELETE: m() },
      failed: 0,
      failedIdempotent: 0,
      failedNonIdempotent: 0,
      failedByStatus: {},
      failures: [],
      replayedDeletes: 0,
      maxLatencyMs: 0,
      rate: 0,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = Date.now();
    this.report = LoadGenerator.empty();
    this.okTimes = [];
    const n = this.opts.workers ?? 6;
    for (let w = 0; w < n; w++) {
      this.owned[w] ??= [];
      this.loops.push(this.loop(w));
    }
  }

  /** Stops after the requests in flight; returns the figures since start(). */
  async stop(): Promise<LoadReport> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    const r = this.report;
    r.durationMs = Date.now() - this.startedAt;
    r.rate = Math.round((r.requests * 1000) / Math.max(1, r.durationMs));
    return r;
  }

  /** Waits until `n` more requests have been answered (or failed) since the call. */
  async waitRequests(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.report.requests + n;
    const deadline = Date.now() + timeoutMs;
    while (this.report.requests < target) {
      if (Date.now() > deadline) throw new Error(`load: fewer than ${n} requests in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private record(method: Method, t0: number, ok: boolean, failure?: Omit<Failure, 't' | 'method'>): void {
    const r = this.report;
    const ms = Date.now() - t0;
    r.requests++;
    r.maxLatencyMs = Math.max(r.maxLatencyMs, ms);
    if (ok) {
      this.okTimes.push(Date.now());
      r.ok++;
      r.perMethod[method].ok++;
      return;
    }
    r.failed++;
    r.perMethod[method].failed++;
    if (IDEMPOTENT.has(method)) r.failedIdempotent++;
    else r.failedNonIdempotent++;
    const f: Failure = { t: Date.now(), method, ...(failure ?? { status: 0, source: 'none', detail: '' }) };
    r.failedByStatus[String(f.status)] = (r.failedByStatus[String(f.status)] ?? 0) + 1;
    r.failures.push(f);
  }

  private async loop(w: number): Promise<void> {
    const mine = this.owned[w];
    const pause = this.opts.pauseMs ?? 5;
    const timeout = this.opts.timeoutMs ?? 20_000;
    while (this.running) {
      const roll = Math.random();
      let method: Method;
      if (mine.length < 3 || (roll < 0.2 && mine.length < 12)) method = 'POST';
      else if (roll < 0.6) method = 'GET';
      else if (roll < 0.85) method = 'PUT';
      else method = 'DELETE';
      const t0 = Date.now();
      const pick = Math.floor(Math.random() * mine.length);
      const target = mine[pick];
      try {
        if (method === 'POST') {
          const name = `${this.opts.tag}-${w}-${++this.seq}`;
          let a: Answer;
          try {
            a = await send(this.base, 'POST', '/bridges', { name, tenantId: this.opts.tag }, timeout);
          } catch (e) {
            this.uncertainCreates.push(name);
            throw e;
          }
          if (a.status === 201 && a.location) {
            mine.push({ id: a.location.slice(a.location.lastIndexOf('/') + 1), names: [name] });
            this.record(method, t0, true);
          } else {
            this.uncertainCreates.push(name);
            this.record(method, t0, false, { status: a.status, source: sourceOf(a), detail: a.body.slice(0, 120) });
          }
        } else if (target) {
          if (method === 'GET') {
            const a = await send(this.base, 'GET', `/bridges/${target.id}`, undefined, timeout);
            const name = a.status === 200 ? (JSON.parse(a.body) as { name?: string }).name : undefined;
            if (a.status === 200 && name !== undefined && target.names.includes(name)) this.record(method, t0, true);
            else
              this.record(method, t0, false, {
                status: a.status,
                source: a.status === 200 ? 'unexpected' : sourceOf(a),
                detail: a.status === 200 ? `name ${String(name)} not in ${target.names.join(',')}` : a.body.slice(0, 120),
              });
          } else if (method === 'PUT') {
            const name = `${this.opts.tag}-${w}-${++this.seq}`;
            const a = await send(this.base, 'PUT', `/bridges/${target.id}`, { name, tenantId: this.opts.tag }, timeout).catch((e: unknown) => {
              target.names.push(name); // may have been applied
              throw e;
            });
            if (a.status === 204) {
              target.names = [name];
              this.record(method, t0, true);
            } else {
              target.names.push(name);
              this.record(method, t0, false, { status: a.status, source: sourceOf(a), detail: a.body.slice(0, 120) });
            }
          } else {
            mine.splice(pick, 1);
            const a = await send(this.base, 'DELETE', `/bridges/${target.id}`, undefined, timeout).catch((e: unknown) => {
              this.retired.push(target);
              throw e;
            });
            if (a.status === 204 || a.status === 404) {
              if (a.status === 404) this.report.replayedDeletes++;
              this.deleted.push(target.id);
              this.record(method, t0, true);
            } else {
              this.retired.push(target);
              this.record(method, t0, false, { status: a.status, source: sourceOf(a), detail: a.body.slice(0, 120) });
            }
          }
        }
      } catch (e) {
        this.record(method, t0, false, { status: 0, source: 'none', detail: (e as Error).message });
      }
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    }
  }

  /**
   * Reads back what the workers own (directly from a node, not through the VIP): every
   * acknowledged write must be there. Returns the problems (empty when all is well) and the fate
   * of the uncertain writes.
   */
  async verify(api: string): Promise<{ checked: number; problems: string[]; uncertainApplied: number; uncertainNotApplied: number }> {
    const base = new URL(api);
    const problems: string[] = [];
    let checked = 0;
    for (const list of this.owned) {
      for (const o of list) {
        checked++;
        const a = await send(base, 'GET', `/bridges/${o.id}`, undefined, 10_000);
        if (a.status !== 200) {
          problems.push(`bridge ${o.id}: acknowledged, but GET answers ${a.status}`);
          continue;
        }
        const name = (JSON.parse(a.body) as { name?: string }).name;
        if (name === undefined || !o.names.includes(name)) problems.push(`bridge ${o.id}: name ${String(name)}, expected one of ${o.names.join(', ')}`);
      }
    }
    for (const id of this.deleted) {
      checked++;
      const a = await send(base, 'GET', `/bridges/${id}`, undefined, 10_000);
      if (a.status !== 404) problems.push(`bridge ${id}: deleted (acknowledged), but GET answers ${a.status}`);
    }
    // uncertain writes: were they applied?
    const all = await send(base, 'GET', '/bridges', undefined, 10_000);
    const names = new Set(all.status === 200 ? (JSON.parse(all.body) as { name?: string }[]).map((b) => b.name) : []);
    let applied = 0;
    for (const n of this.uncertainCreates) if (names.has(n)) applied++;
    for (const o of this.retired) {
      const a = await send(base, 'GET', `/bridges/${o.id}`, undefined, 10_000);
      if (a.status === 404) applied++;
    }
    return { checked, problems, uncertainApplied: applied, uncertainNotApplied: this.uncertainCreates.length + this.retired.length - applied };
  }

  /** Successful requests answered after time t (Date.now() ms). */
  okSince(t: number): number {
    return this.okTimes.filter((x) => x > t).length;
  }

  /** Time of the last failure, if any. */
  get lastFailureAt(): number | undefined {
    return this.report.failures.at(-1)?.t;
  }

  /** Owned bridges (for a test's own checks). */
  get ownedCount(): number {
    return this.owned.reduce((n, l) => n + l.length, 0);
  }
}

/** A compact one-line summary for the test output. */
export function summary(r: LoadReport): string {
  const pm = Object.entries(r.perMethod)
    .map(([m, c]) => `${m} ${c.ok}/${c.ok + c.failed}`)
    .join(', ');
  const statuses = Object.entries(r.failedByStatus)
    .map(([s, n]) => `${s === '0' ? 'no answer' : s}×${n}`)
    .join(' ');
  return `${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s (${r.rate}/s; ${pm}); failed ${r.failed} (idempotent ${r.failedIdempotent}, non-idempotent ${r.failedNonIdempotent}${statuses ? `; ${statuses}` : ''}); replayed DELETEs ${r.replayedDeletes}; max latency ${r.maxLatencyMs} ms`;
}
