/**
 * Scenario 5: what the framework costs. The same trivial answer from Express and from raw
 * node:http, each in its own process.  usage: trivial-server.ts express|express-defaults|http PORT
 * `zk-read PORT CONNECT_STRING PATH` (scenario 1's floor): raw node:http answering every request
 * with the same getData + decode as the GET baseline, rendered as JSON: what any HTTP front of
 * ZooKeeper costs here, without framework, authentication, logging or metrics.
 * `express` is configured as the node's app is (services/rest-api/app.ts: no X-Powered-By, no
 * ETag) and answers with res.end, as the node's router does; `express-defaults` is a stock app
 * answering with res.type().send() (ETag, X-Powered-By, charset), for comparison.
 */
import { createServer } from 'node:http';
import express from 'express';
import { parseText } from '../lib/nsdb/codec/text-format.js';
import { ZkClient } from '../lib/zk/client.js';

const [kind, portText, connectString, znode] = process.argv.slice(2);
const port = Number(portText);
const body = JSON.stringify({ ok: true });

if (kind === 'express' || kind === 'express-defaults') {
  const app = express();
  if (kind === 'express') {
    app.disable('x-powered-by');
    app.set('etag', false);
    app.get('/ping', (_req, res) => {
      res.status(200).setHeader('Content-Type', 'application/json');
      res.end(body);
    });
  } else {
    app.get('/ping', (_req, res) => {
      res.type('application/json').send(body);
    });
  }
  app.listen(port, '127.0.0.1');
} else if (kind === 'zk-read') {
  const zk = await ZkClient.connect({ connectString: connectString, sessionTimeoutMs: 30_000 });
  createServer((_req, res) => {
    zk.getData(znode).then(
      ({ data }) => {
        const text = JSON.stringify(parseText('Network', data.toString('utf8')));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      },
      () => res.writeHead(503).end(),
    );
  }).listen(port, '127.0.0.1');
} else {
  createServer((req, res) => {
    res.writeHead(req.url === '/ping' ? 200 : 404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }).listen(port, '127.0.0.1');
}
process.on('SIGTERM', () => process.exit(0));
