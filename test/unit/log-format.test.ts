/**
 * The two output formats (JSON lines by default, text with `--log-format text`), the log
 * context (request id on every line of a request), and the REST API's request-id and
 * route-template helpers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configureLogging, getLogger, logFormat, withLogContext } from '../../lib/log/logger.js';
import { HttpError } from '../../lib/http/errors.js';
import { requestIdOf } from '../../services/rest-api/app.js';
import { routeTable } from '../../services/rest-api/machinery/router.js';
import type { RouteDef } from '../../services/rest-api/machinery/types.js';
import { captureLogs } from '../support/log-capture.js';

describe('JSON lines', () => {
  it('is the default: one object per line, head fields first, metadata after', async () => {
    configureLogging();
    assert.equal(logFormat(), 'json');
    const cap = captureLogs({ level: 'info' });
    const log = getLogger('org.midonet.nsdb');
    log.info('first', { zxid: 42n, nested: { a: [1, 2] } });
    log.warn('second\nwith a newline', { message: 'collides', level: 'collides too' });
    await cap.waitFor((l) => l.includes('second'));
    assert.equal(cap.lines().length, 2);
    const [a, b] = cap.records() as [Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual(Object.keys(a).slice(0, 4), ['timestamp', 'level', 'logger', 'message']);
    assert.match(String(a['timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(a['level'], 'info');
    assert.equal(a['logger'], 'org.midonet.nsdb');
    assert.equal(a['zxid'], '42');
    assert.deepEqual(a['nested'], { a: [1, 2] });
    assert.equal(b['message'], 'second\nwith a newline');
    assert.equal(b['level'], 'warn');
    assert.equal(b['message_'], 'collides');
    assert.equal(b['level_'], 'collides too');
  });

  it('an Error as metadata keeps its message and stack', async () => {
    const cap = captureLogs();
    getLogger('x').error('failed', new Error('boom'));
    const line = await cap.waitFor((l) => l.includes('failed'));
    const rec = JSON.parse(line) as { error: { message: string; stack: string } };
    assert.equal(rec.error.message, 'boom');
    assert.match(rec.error.stack, /log-format\.test\.ts/);
  });
});

describe('text', () => {
  it('<time> <LEVEL> [<logger>] <message> key=value, stack on the following lines', async () => {
    const cap = captureLogs({ format: 'text', level: 'debug' });
    const log = getLogger('org.midonet.cluster.rest-api');
    log.info('REST API listening on http://127.0.0.1:8181/midonet-api', { port: 8181, host: '127.0.0.1', note: 'two words' });
    log.error('request failed', { status: 500, stack: 'Error: x\n    at f (a.ts:1:1)' });
    await cap.waitFor((l) => l.includes('at f'));
    const [first, second, third] = cap.lines();
    assert.match(
      first ?? '',
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}\[org\.midonet\.cluster\.rest-api\] REST API listening on http:\/\/127\.0\.0\.1:8181\/midonet-api port=8181 host=127\.0\.0\.1 note="two words"$/,
    );
    assert.match(second ?? '', / ERROR \[org\.midonet\.cluster\.rest-api\] request failed status=500$/);
    assert.equal(third, 'Error: x');
  });
});

describe('log context', () => {
  it('adds its fields to every line inside, across awaits, nested contexts add up', async () => {
    const cap = captureLogs();
    const log = getLogger('org.midonet.cluster.rest-api');
    await withLogContext({ requestId: 'req-1' }, async () => {
      log.info('a');
      await new Promise((r) => setTimeout(r, 5));
      await withLogContext({ step: 2 }, async () => log.info('b'));
    });
    log.info('c');
    await cap.waitFor((l) => l.includes('"c"'));
    const recs = cap.records();
    assert.equal(recs[0]?.['requestId'], 'req-1');
    assert.equal(recs[1]?.['requestId'], 'req-1');
    assert.equal(recs[1]?.['step'], 2);
    assert.equal(recs[2]?.['requestId'], undefined);
  });
});

describe('request id', () => {
  it('accepts a short id of safe characters, replaces anything else with a UUID', () => {
    for (const ok of ['abc-123', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'lb:1.2.3.4:5678/req=9', 'a'.repeat(128)]) assert.equal(requestIdOf(ok), ok);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const bad of [undefined, '', 'a'.repeat(129), 'has space', 'new\nline', '<script>', 'x"y', 'a, b']) assert.match(requestIdOf(bad), uuid);
  });
});

describe('route templates', () => {
  const route = (path: string, method: RouteDef['method'] = 'GET'): RouteDef => ({ method, path, handler: async () => ({ status: 204 }) });

  it('matches simple templates, in declaration order, nothing else (the label of every request)', () => {
    const table = routeTable(
      ['/', '/bridges', '/bridges/:id', '/bridges/:id/ports', '/hosts/:id/ports', '/hosts/:hostId/interfaces/:name', '/ports/:id', '/ports/:id/link'].map((p) =>
        route(p),
      ),
      ['/reserved'],
    );
    const match = (p: string): string | undefined => table.match(p)?.template;
    assert.equal(match('/'), '/');
    assert.equal(match('/bridges'), '/bridges');
    assert.equal(match('/bridges/'), '/bridges');
    assert.equal(match('/bridges/1234'), '/bridges/:id');
    assert.equal(match('/bridges/1234/ports'), '/bridges/:id/ports');
    assert.equal(match('/hosts/h1/interfaces/eth0'), '/hosts/:hostId/interfaces/:name');
    assert.equal(match('/Bridges'), undefined, 'case-sensitive below the root');
    assert.equal(match('/bridges//ports'), undefined, 'a parameter is one non-empty segment');
    assert.equal(match('/bridges/1/2/3'), undefined);
    assert.equal(match('/nothing'), undefined);
    assert.equal(match('/reserved'), '/reserved');
    assert.throws(() => routeTable([route('/x/*splat')], []), /not made of literal and :param segments/);
    assert.throws(() => routeTable([route('/a'), route('/a')], []), /duplicate route GET \/a/);
  });

  it('decodes parameters (400 for a malformed escape) and answers 405 with Allow for other methods', () => {
    const table = routeTable([route('/bridges/:id'), route('/bridges/:id', 'PUT')], ['/reserved']);
    assert.deepEqual(table.match('/bridges/a%20b')?.params(), { id: 'a b' });
    assert.throws(
      () => table.match('/bridges/%E0%A4%A')?.params(),
      (e: unknown) => e instanceof HttpError && e.status === 400 && e.message === "Failed to decode param '%E0%A4%A'",
    );
    assert.equal(table.match('/bridges/x')?.routeFor('HEAD').method, 'GET');
    assert.throws(
      () => table.match('/bridges/x')?.routeFor('POST'),
      (e: unknown) => e instanceof HttpError && e.status === 405 && e.headers['Allow'] === 'GET, PUT, OPTIONS',
    );
    assert.throws(
      () => table.match('/reserved')?.routeFor('GET'),
      (e: unknown) => e instanceof HttpError && e.status === 405 && e.headers['Allow'] === 'OPTIONS',
    );
  });
});
