/**
 * The listener limits of lib/http/limits.ts on a real HTTP listener and a real HTTPS listener
 * (lib/tls/https.ts) side by side, as a node has them: one connection cap for both, the receive
 * times and the API-format 408 on HTTPS as on HTTP. Loopback only; a throwaway PEM pair.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { restApiLimits, Settings } from '../../lib/conf/settings.js';
import { serveApp } from '../../lib/http/body.js';
import { applyListenerLimits, ConnectionCap, listenerServerOptions } from '../../lib/http/limits.js';
import { getLogger } from '../../lib/log/logger.js';
import { startHttps } from '../../lib/tls/https.js';
import { until } from '../support/wait.js';

const CAP = 6;

function ok(_req: unknown, res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok');
}

/** A connection that sends nothing; 'close' tells whether the server dropped it. */
function hold(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** GET / over HTTP on a fresh connection: the status, or 0 when the connection closed unanswered. */
function httpGet(port: number): Promise<number> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
  });
}

/** GET / over HTTPS: the status, or 0 when the connection went before an answer. */
function httpsGet(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('listener limits on HTTP and HTTPS', () => {
  let dir: string;
  let http: Server;
  let httpsServer: Server;
  let httpPort: number;
  let httpsPort: number;
  let cap: ConnectionCap;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mido-http-limits-'));
    const pem = join(dir, 'pair.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem, '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'],
      { stdio: 'ignore' },
    );
    execFileSync('sh', ['-c', `cat "${join(dir, 'cert.pem')}" >> "${pem}"`]);
    const s = new Settings();
    s.set('cluster.rest_api.headers_timeout', '2s');
    s.set('cluster.rest_api.receive_timeout', '4s');
    const limits = restApiLimits(s);
    cap = new ConnectionCap(CAP);
    http = createServer(listenerServerOptions());
    serveApp(http, ok);
    applyListenerLimits(http, limits, cap);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as { port: number }).port;
    // a free port for HTTPS (startHttps reads port 0 as "off")
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const free = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const on = await startHttps({ handler: ok, port: free, host: '127.0.0.1', keystorePath: pem, limits: { limits, cap }, log: getLogger('test.https') });
    assert.equal(on.state, 'on', on.state !== 'on' ? on.reason : '');
    if (on.state !== 'on') return;
    httpsServer = on.server;
    httpsPort = on.address.port;
  });

  after(async () => {
    http?.closeAllConnections();
    httpsServer?.closeAllConnections();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await new Promise<void>((r) => (httpsServer ? httpsServer.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('one cap for both listeners: with it full, a new connection to either is dropped unanswered; one going frees a place on the other', async () => {
    assert.equal(await httpGet(httpPort), 200);
    assert.equal(await httpsGet(httpsPort), 200);
    await until("the probes' connections closed", () => cap.count === 0, 10_000);
    const held: Socket[] = [];
    try {
      // all on HTTP: HTTPS has no place left of its own
      for (let i = 0; i < CAP; i++) held.push(await hold(httpPort));
      await until('the cap full', () => cap.count === CAP, 10_000);
      const refusedBefore = cap.refused;
      assert.equal(await httpGet(httpPort), 0);
      assert.equal(await httpsGet(httpsPort), 0);
      assert.equal(cap.refused - refusedBefore, 2);
      assert.ok(
        held.every((s) => !s.destroyed),
        'the held connections stay',
      );
      // an HTTP connection goes: the place is the node's, HTTPS gets it
      held[0].destroy();
      await until('a place free', () => cap.count === CAP - 1, 10_000);
      assert.equal(await httpsGet(httpsPort), 200);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it('HTTPS: headers that do not come in time get 408 in the API format, then the connection is closed', async () => {
    const tls: TLSSocket = await new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: httpsPort, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    let got = '';
    tls.on('data', (d: Buffer) => (got += d.toString('latin1')));
    tls.on('error', () => undefined);
    const closed = new Promise<void>((r) => tls.on('close', () => r()));
    tls.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await closed;
    assert.match(got, /^HTTP\/1\.1 408 /);
    assert.match(got, /\r\nConnection: close\r\n/i);
    const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)) as { code: number; message: string };
    assert.equal(body.code, 408);
  });
});
