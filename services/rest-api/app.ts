/**
 * The REST API as an express app: CORS, OPTIONS, bounded body reading, login, authentication,
 * the resource routes, and the API's 404. Everything under the configured root (`/midonet-api`).
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AuthError, Roles, type AuthProvider, type Identity } from '../../lib/auth/provider.js';
import { HttpError } from '../../lib/http/errors.js';
import type { Logger } from '../../lib/log/logger.js';
import type { NsdbStorage } from '../../lib/nsdb/storage.js';
import { loginHandler } from './login.js';
import { buildRouter, reportError, sendError } from './machinery/router.js';
import { allReservedPaths, allRoutes } from './resources/index.js';

export interface RestApiOptions {
  storage: NsdbStorage;
  auth: AuthProvider;
  rootUri: string;
  log: Logger;
  /** Request bodies above this size are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'Location',
};
const CORS_ALLOW_HEADERS = 'Origin, X-Auth-Token, X-Auth-Project, Content-Type, Accept, Authorization';

type RequestWithState = Request & { rawBody?: Buffer; identity?: Identity };

/** The API root as the client sees it, honouring a load balancer's X-Forwarded-* headers. */
export function baseUri(req: Request, rootUri: string): string {
  const proto = (req.get('x-forwarded-proto')?.split(',')[0]?.trim() || req.protocol || 'http').toLowerCase();
  const host = req.get('x-forwarded-host')?.split(',')[0]?.trim() || req.get('host') || 'localhost';
  return `${proto}://${host}${rootUri}`;
}

function readBody(limit: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      next();
      return;
    }
    const declared = Number(req.get('content-length') ?? '0');
    if (declared > limit) {
      next(new HttpError(413, `The request body exceeds the limit of ${limit} bytes.`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        next(new HttpError(413, `The request body exceeds the limit of ${limit} bytes.`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      (req as RequestWithState).rawBody = Buffer.concat(chunks);
      next();
    });
    req.on('error', (e) => {
      if (!failed) next(e);
      failed = true;
    });
  };
}

export function createRestApi(opts: RestApiOptions): express.Express {
  const { storage, auth, log } = opts;
  const root = opts.rootUri.replace(/\/+$/, '');
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  app.use((req, res, next) => {
    const rid = req.get('x-request-id') || randomUUID();
    res.setHeader('X-Request-Id', rid);
    for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
      res.status(200).end();
      return;
    }
    next();
  });

  const api = express.Router({ caseSensitive: true });
  api.all('/login', loginHandler(auth, log));
  api.use(readBody(limit));
  api.use(async (req: RequestWithState, res: Response, next: NextFunction) => {
    try {
      const identity = await auth.authorize(req.get('x-auth-token') ?? null);
      if (!identity) throw new HttpError(401, 'Authentication failed.', { headers: { 'WWW-Authenticate': 'Basic  realm="BASIC_AUTH_REALM"' } });
      // v5 lets only admins in (auth-https-deploy.md §1.1).
      if (!identity.roles.includes(Roles.admin)) throw new HttpError(401, null);
      req.identity = identity;
      next();
    } catch (e) {
      if (e instanceof AuthError) sendError(res, new HttpError(e.status, e.message, { headers: e.headers }));
      else sendError(res, reportError(log, req, e));
    }
  });
  api.use(
    buildRouter(allRoutes(), allReservedPaths(), (req) => ({
      storage,
      auth,
      base: baseUri(req, root),
      identity: (req as RequestWithState).identity,
      log,
      req,
    })),
  );
  api.use((req, res) => {
    sendError(res, new HttpError(404, `The requested resource ${req.path} was not found.`));
  });

  app.use(root, api);
  app.use((req, res) => {
    sendError(res, new HttpError(404, `No resource at ${req.path}; the API root is ${root}/.`));
  });
  // errors passed to next(): oversized bodies and stream failures
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(res, reportError(log, req, err));
  });
  return app;
}
