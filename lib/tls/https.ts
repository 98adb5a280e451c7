/**
 * The REST API's HTTPS listener (auth-https-deploy.md §2.2): on iff `https_port > 0` and a key
 * store file exists. A key store that cannot be used (wrong password, damaged, unsupported
 * format) or a port that cannot be bound is logged as an error and leaves HTTPS off; unlike the
 * original, the HTTP listener keeps serving (docs/security.md).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener, ServerOptions } from 'node:http';
import { serveApp } from '../http/body.js';
import { applyListenerLimits, listenerServerOptions, type ConnectionCap } from '../http/limits.js';
import type { RestApiLimits } from '../conf/settings.js';
import type { Logger } from '../log/logger.js';
import { listenErrorMessage } from '../http/listen-error.js';
import { registerSecret } from '../log/redact.js';
import { KeystoreError, loadKeystore } from './keystore.js';

export interface HttpsOptions {
  /** the node's Express application, the very one the HTTP listener serves */
  handler: RequestListener;
  /** the request and response classes the HTTP listener uses for it */
  serverOptions?: Pick<ServerOptions, 'IncomingMessage' | 'ServerResponse'>;
  port: number;
  host: string;
  keystorePath: string;
  keystorePassword?: string;
  /** idle keep-alive connections are closed after this many ms */
  idleTimeoutMs?: number;
  /** the node's connection cap and request receive times, shared with the HTTP listener (lib/http/limits.ts) */
  limits?: { limits: RestApiLimits; cap: ConnectionCap };
  log: Logger;
}

export type HttpsOutcome =
  | { state: 'on'; server: Server; address: AddressInfo; url: string; format: string }
  | { state: 'off'; reason: string }
  | { state: 'failed'; reason: string };

export async function startHttps(o: HttpsOptions): Promise<HttpsOutcome> {
  if (!(o.port > 0)) {
    o.log.info('HTTPS explicitly disabled: port is not positive', { httpsPort: o.port });
    return { state: 'off', reason: 'port is not positive' };
  }
  if (!existsSync(o.keystorePath)) {
    o.log.info(`Keystore file not found: ${o.keystorePath} HTTPS will be disabled`, { keystorePath: o.keystorePath });
    return { state: 'off', reason: `keystore file not found: ${o.keystorePath}` };
  }
  if (o.keystorePassword) registerSecret(o.keystorePassword);
  let store;
  try {
    store = loadKeystore(o.keystorePath, o.keystorePassword);
  } catch (e) {
    const why = e instanceof KeystoreError ? e.message : `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    const reason = `key store ${o.keystorePath}: ${why}`;
    o.log.error(`HTTPS disabled, the key store cannot be used: ${reason}`, { keystorePath: o.keystorePath });
    return { state: 'failed', reason };
  }
  const server = createServer({ ...store.tls, ...o.serverOptions, ...listenerServerOptions() });
  serveApp(server, o.handler);
  if (o.limits) applyListenerLimits(server, o.limits.limits, o.limits.cap);
  server.keepAliveTimeout = o.idleTimeoutMs ?? 600_000;
  try {
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { state: 'on', server, address, url: `https://${host}:${address.port}`, format: store.format };
  } catch (e) {
    const reason = listenErrorMessage(e, { host: o.host, port: o.port, hostKey: 'cluster.rest_api.https_host', portKey: 'cluster.rest_api.https_port' });
    o.log.error(`HTTPS disabled: ${reason}`);
    server.close();
    return { state: 'failed', reason };
  }
}
