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
  /** the TLS 1.2 cipher suites, an OpenSSL cipher list; absent or blank: MODERN_TLS12_CIPHERS */
  ciphers?: string;
  /** the node's connection cap and request receive times, shared with the HTTP listener (lib/http/limits.ts) */
  limits?: { limits: RestApiLimits; cap: ConnectionCap };
  log: Logger;
}

/**
 * TLS 1.2 suites with forward secrecy and authenticated encryption only (ECDHE key exchange,
 * AES-GCM or ChaCha20-Poly1305), the server's preference first. Node's default list also accepts
 * static-RSA and CBC suites. TLS 1.3's suites are all of that kind and stay as OpenSSL has them.
 * No DHE suites: they need Diffie-Hellman parameters of the operator's, and every client that
 * lacks ECDHE is older than TLS 1.2 anyway.
 */
export const MODERN_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** TLS 1.3's suites, named with the TLS 1.2 list because Node takes both from one `ciphers` string. */
const TLS13_CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

export type HttpsOutcome =
  { state: 'on'; server: Server; address: AddressInfo; url: string; format: string } | { state: 'off'; reason: string } | { state: 'failed'; reason: string };

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
  const tls12 = o.ciphers?.trim() ? o.ciphers.trim() : MODERN_TLS12_CIPHERS;
  let server: Server;
  try {
    server = createServer({
      ...store.tls,
      ...o.serverOptions,
      ...listenerServerOptions(),
      minVersion: 'TLSv1.2',
      ciphers: `${TLS13_CIPHERS}:${tls12}`,
      honorCipherOrder: true,
    });
  } catch (e) {
    const reason = `cluster.rest_api.https_ciphers: OpenSSL rejects the cipher list '${tls12}': ${(e as Error).message}`;
    o.log.error(`HTTPS disabled: ${reason}`);
    return { state: 'failed', reason };
  }
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
