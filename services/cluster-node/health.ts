/**
 * The node's front door: every HTTP request to the REST port (and the HTTPS port) enters here.
 *
 *   GET /healthz  liveness: 200 whenever the process answers.
 *   GET /readyz   readiness: 200 only while the ZooKeeper session is connected, the
 *                 configuration is loaded, the REST API is started and the node is not
 *                 draining; 503 otherwise. The JSON body says why, who leads each leader
 *                 latch of the node (services/cluster-node/leader-services.ts), and the health
 *                 of each hosted service (./service-host.ts).
 *
 * Both are outside the API root and need no authentication (load balancers probe them: the
 * generated HAProxy configuration uses `GET /readyz`). Everything else goes to the REST API
 * once it is attached; before that (the node is starting, e.g. waiting for ZooKeeper) it is
 * answered 503 with Retry-After, in the API's error format.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ZkSessionState } from '../../lib/zk/client.js';
import type { LeaderInfo } from './leader-services.js';
import type { ServiceHealth } from './service.js';

export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';

export interface ReadinessInputs {
  hostId: string;
  /** the NSDB session */
  zookeeper: { state: ZkSessionState; sessionId?: string; sessions: number; failedAttempts: number };
  configLoaded: boolean;
  configSource: 'zookeeper' | 'local';
  restStarted: boolean;
  draining: boolean;
  /** why the node drains (SIGTERM, the drain file, ...) */
  drainReason?: string;
  leaders?: Record<string, LeaderInfo>;
  /** the hosted services' health (./service-host.ts) */
  services?: Record<string, ServiceHealth>;
  registered: boolean;
}

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  ready: boolean;
  /** empty when ready */
  reasons: string[];
  hostId: string;
  checks: {
    zookeeper: { ok: boolean; state: ZkSessionState; sessionId?: string; sessions: number; failedAttempts: number };
    config: { ok: boolean; source: 'zookeeper' | 'local' };
    rest: { ok: boolean };
    draining: { ok: boolean; reason?: string };
  };
  /** registered in service discovery (informational: not a readiness condition) */
  discovery: { registered: boolean };
  leaders: Record<string, LeaderInfo>;
  /** each hosted service's health (informational: a failed service does not make the node unready) */
  services: Record<string, ServiceHealth>;
}

export function readinessReport(i: ReadinessInputs): ReadinessReport {
  const reasons: string[] = [];
  const zkOk = i.zookeeper.state === 'connected';
  if (!zkOk) {
    const extra = i.zookeeper.failedAttempts > 0 ? ` (${i.zookeeper.failedAttempts} failed connection attempts)` : '';
    reasons.push(`ZooKeeper session ${i.zookeeper.state}${extra}`);
  }
  if (!i.configLoaded) reasons.push('configuration not loaded');
  if (!i.restStarted) reasons.push('REST API not started');
  if (i.draining) reasons.push(`draining${i.drainReason ? ` (${i.drainReason})` : ''}`);
  const ready = reasons.length === 0;
  return {
    status: ready ? 'ready' : 'not ready',
    ready,
    reasons,
    hostId: i.hostId,
    checks: {
      zookeeper: { ok: zkOk, state: i.zookeeper.state, ...(i.zookeeper.sessionId ? { sessionId: i.zookeeper.sessionId } : {}), sessions: i.zookeeper.sessions, failedAttempts: i.zookeeper.failedAttempts },
      config: { ok: i.configLoaded, source: i.configSource },
      rest: { ok: i.restStarted },
      draining: { ok: !i.draining, ...(i.drainReason ? { reason: i.drainReason } : {}) },
    },
    discovery: { registered: i.registered },
    leaders: i.leaders ?? {},
    services: i.services ?? {},
  };
}

export interface FrontDoorOptions {
  hostId: string;
  /** the current readiness (leaders included) */
  readiness: () => Promise<ReadinessReport>;
  /** the API root, for the 503 answered while the API is not attached */
  rootUri?: string;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, head = false): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(head ? undefined : text);
}

export class FrontDoor {
  private app?: RequestListener;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: FrontDoorOptions) {}

  /** The REST API's handler: every request but the health endpoints goes there from now on. */
  attach(app: RequestListener): void {
    this.app = app;
  }

  get attached(): boolean {
    return this.app !== undefined;
  }

  readonly handler: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === HEALTHZ_PATH || path === READYZ_PATH) {
      this.health(path, req, res);
      return;
    }
    if (this.app) {
      this.app(req, res);
      return;
    }
    req.resume();
    sendJson(res, 503, { message: 'The node is starting (waiting for ZooKeeper and its configuration); retry later.', code: 503 }, { 'Retry-After': '3', RetryAfter: '3', Connection: 'close' });
  };

  private health(path: string, req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': '0' }).end();
      return;
    }
    if (path === HEALTHZ_PATH) {
      sendJson(res, 200, { status: 'alive', hostId: this.opts.hostId, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) }, {}, head);
      return;
    }
    this.opts.readiness().then(
      (r) => sendJson(res, r.ready ? 200 : 503, r, {}, head),
      (e: unknown) => sendJson(res, 503, { status: 'not ready', ready: false, reasons: [`readiness check failed: ${(e as Error).message}`], hostId: this.opts.hostId }, {}, head),
    );
  }
}
