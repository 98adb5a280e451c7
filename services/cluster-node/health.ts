/**
 * The node's health endpoints, an Express router mounted first in the node's one application
 * (services/rest-api/app.ts), on the REST port and the HTTPS port:
 *
 *   GET /healthz  liveness: 200 whenever the process answers.
 *   GET /readyz   readiness: 200 only while the ZooKeeper session is connected, the
 *                 configuration is loaded, the REST API is started and the node is not
 *                 draining; 503 otherwise. The JSON body says why, who leads each leader
 *                 latch of the node (services/cluster-node/leader-services.ts), and the health
 *                 of each hosted service (./service-host.ts).
 *
 * Both are outside the API root and need no authentication (load balancers probe them: the
 * generated HAProxy configuration uses `GET /readyz`); they bypass the API's pipeline (no
 * request id, no access log line for every probe). Paths are exact: case-sensitive, no trailing
 * slash. Other methods: 405 with Allow.
 */
import type { ServerResponse } from 'node:http';
import { Router, type RequestHandler } from 'express';
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
      zookeeper: {
        ok: zkOk,
        state: i.zookeeper.state,
        ...(i.zookeeper.sessionId ? { sessionId: i.zookeeper.sessionId } : {}),
        sessions: i.zookeeper.sessions,
        failedAttempts: i.zookeeper.failedAttempts,
      },
      config: { ok: i.configLoaded, source: i.configSource },
      rest: { ok: i.restStarted },
      draining: { ok: !i.draining, ...(i.drainReason ? { reason: i.drainReason } : {}) },
    },
    discovery: { registered: i.registered },
    leaders: i.leaders ?? {},
    services: i.services ?? {},
  };
}

export interface HealthOptions {
  hostId: string;
  /** the current readiness (leaders included) */
  readiness: () => Promise<ReadinessReport>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  // (a HEAD request gets the headers only: node:http drops the body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

const notAllowed: RequestHandler = (req, res) => {
  req.resume();
  res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': '0' }).end();
};

/** GET (and HEAD) /healthz and /readyz. */
export function healthRouter(opts: HealthOptions): Router {
  const startedAt = Date.now();
  const router = Router({ caseSensitive: true, strict: true });
  router
    .route(HEALTHZ_PATH)
    .get((req, res) => {
      req.resume();
      sendJson(res, 200, { status: 'alive', hostId: opts.hostId, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
    })
    .all(notAllowed);
  router
    .route(READYZ_PATH)
    .get((req, res) => {
      req.resume();
      opts.readiness().then(
        (r) => sendJson(res, r.ready ? 200 : 503, r),
        (e: unknown) =>
          sendJson(res, 503, { status: 'not ready', ready: false, reasons: [`readiness check failed: ${(e as Error).message}`], hostId: opts.hostId }),
      );
    })
    .all(notAllowed);
  return router;
}
