/**
 * Scenario 5: what the framework costs. The same trivial answer from Express and from raw
 * node:http, each in its own process.  usage: trivial-server.ts express|http PORT
 */
import { createServer } from 'node:http';
import express from 'express';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
const body = JSON.stringify({ ok: true });

if (kind === 'express') {
  const app = express();
  app.get('/ping', (_req, res) => {
    res.type('application/json').send(body);
  });
  app.listen(port, '127.0.0.1');
} else {
  createServer((req, res) => {
    res.writeHead(req.url === '/ping' ? 200 : 404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }).listen(port, '127.0.0.1');
}
process.on('SIGTERM', () => process.exit(0));
