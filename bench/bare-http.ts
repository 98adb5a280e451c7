/**
 * Bench-only: the REST API's very stages (services/rest-api/stages.ts) run by a plain
 * `node:http` request listener instead of the node's Express application, to measure what
 * Express costs around the same handlers (bench scenario 5). Never shipped or started by deploy/.
 *
 * The composition mirrors services/rest-api/app.ts: health endpoints outside the pipeline; then
 * requestId → observe → cors → framing; GET /metrics; below the root (its case not significant,
 * `req.url` rewritten to the part below it, as Express's mount does) /login or match → … → reply;
 * outside it the 404; one error handler.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { pathOf } from '../lib/http/exchange.js';
import { openExchange, type Exchange, type Stage } from '../services/rest-api/exchange.js';
import { belowRoot, METRICS_PATH, restStages, type RestApiOptions } from '../services/rest-api/stages.js';

/** Runs `stages` in order over `ex`; `done` after the last one calls next(), `fail` for an error. */
function runStages(ex: Exchange, stages: readonly Stage[], done: () => void, fail: (e: unknown) => void): void {
  let i = 0;
  const next = (err?: unknown): void => {
    if (err) {
      fail(err);
      return;
    }
    const stage = stages[i++];
    if (!stage) {
      done();
      return;
    }
    try {
      const r = stage.run(ex, next);
      if (r) r.then(undefined, fail);
    } catch (e) {
      fail(e);
    }
  };
  next();
}

function health(req: IncomingMessage, res: ServerResponse, hostId: string): void {
  req.resume();
  const text = `${JSON.stringify({ status: 'alive', hostId })}\n`;
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-store' });
  res.end(text);
}

export function bareListener(opts: RestApiOptions, hostId: string): RequestListener {
  const s = restStages(opts);
  return (req, res) => {
    const path = pathOf(req);
    if (path === '/healthz' || path === '/readyz') {
      health(req, res, hostId);
      return;
    }
    const ex = openExchange(req, res);
    const fail = (e: unknown): void => s.answerError(ex, e);
    runStages(
      ex,
      s.front,
      () => {
        const metricsPath = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
        if (s.metrics && (req.method === 'GET' || req.method === 'HEAD') && metricsPath.toLowerCase() === METRICS_PATH) {
          runStages(ex, [s.metrics], () => undefined, fail);
          return;
        }
        const sub = belowRoot(path, s.root);
        if (sub === undefined) {
          runStages(ex, [s.outsideRoot], () => undefined, fail);
          return;
        }
        const url = req.url ?? '/';
        req.url = (sub || '/') + url.slice(path.length);
        const below = sub === '/login' || sub === '/login/' ? [s.login] : s.api;
        runStages(ex, below, () => undefined, fail);
      },
      fail,
    );
  };
}
