/**
 * Logging of a running node (docs/observability.md): one access-log line per request with method,
 * path (query secrets redacted), route, status, duration, request id and remote address;
 * X-Request-Id accepted or generated and returned; no token, password, Authorization, Cookie or
 * X-Auth-Token value in any line; levels change live; `midonet-cluster --log-format json|text`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { applyLoggerLevels, setLoggerLevel } from '../../lib/log/logger.js';
import { captureLogs, type LogCapture } from '../support/log-capture.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { RawHttp, requestHead } from '../support/raw-http.js';
import { assertCreated, assertError, assertStatus, basic, eventually, get, MT, post, rq, zoom, type Res } from '../support/rest-helpers.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestNode;
let cap: LogCapture;
let root: string;

before(async () => {
  t = await startTestNode();
  root = new URL(t.api).pathname;
  cap = captureLogs({ format: 'json', level: 'info' });
});

after(async () => {
  await t?.stop();
});

type Rec = Record<string, unknown>;

/** The access-log lines of a request id (waits for the first). */
async function accessLines(requestId: string): Promise<Rec[]> {
  await cap.waitFor((l) => l.includes(`"requestId":"${requestId}"`) && l.includes('rest-api.access'));
  return cap.records().filter((r) => r['requestId'] === requestId && r['logger'] === 'org.midonet.cluster.rest-api.access');
}

describe('access log', () => {
  it('one line per request with method, path, route, status, duration, request id, remote address', async () => {
    const rid = 'client-req-0001';
    const res = await get(`${t.api}/bridges?tenant_id=t1`, MT.bridges, { headers: { 'X-Request-Id': rid } });
    assertStatus(res, 200);
    assert.equal(res.headers.get('x-request-id'), rid, 'a client request id is returned as is');
    const lines = await accessLines(rid);
    assert.equal(lines.length, 1);
    const line = lines[0];
    assert.equal(line['level'], 'info');
    assert.equal(line['method'], 'GET');
    assert.equal(line['path'], `${root}/bridges?tenant_id=t1`);
    assert.equal(line['route'], `${root}/bridges`);
    assert.equal(line['status'], 200);
    assert.equal(typeof line['durationMs'], 'number');
    assert.ok((line['durationMs'] as number) >= 0);
    assert.equal(line['remote'], '127.0.0.1');
    assert.equal(line['message'], `GET ${root}/bridges?tenant_id=t1 200 ${String(line['durationMs'])} ms`);
  });

  it('generates a request id when there is none or it is unusable, and returns it', async () => {
    for (const sent of [undefined, 'has spaces in it', 'x'.repeat(200), 'quote"s']) {
      const res = await get(`${t.api}/bridges`, MT.bridges, { headers: sent === undefined ? {} : { 'X-Request-Id': sent } });
      const rid = res.headers.get('x-request-id') ?? '';
      assert.match(rid, UUID_RE, `for ${String(sent)}`);
      assert.equal((await accessLines(rid)).length, 1);
    }
  });

  it('every outcome is logged: 201, 404, 405, 413, OPTIONS, /login, /metrics (at DEBUG)', async () => {
    const cases: [string, () => Promise<Res>, number][] = [
      ['r-201', () => post(`${t.api}/bridges`, MT.bridge, { name: 'log1', tenantId: 'logs' }, { headers: { 'X-Request-Id': 'r-201' } }), 201],
      ['r-404', () => get(`${t.api}/nothing_here`, MT.json, { headers: { 'X-Request-Id': 'r-404' } }), 404],
      ['r-405', () => post(`${t.api}/ports`, MT.port, { type: 'Bridge' }, { headers: { 'X-Request-Id': 'r-405' } }), 405],
      [
        'r-413',
        () => rq('POST', `${t.api}/bridges`, { headers: { 'X-Request-Id': 'r-413', 'Content-Type': MT.bridge }, rawBody: Buffer.alloc(1100 * 1024, 0x20) }),
        413,
      ],
      ['r-opt', () => rq('OPTIONS', `${t.api}/bridges`, { headers: { 'X-Request-Id': 'r-opt' } }), 200],
      [
        'r-login',
        () => rq('POST', `${t.api}/login`, { token: null, headers: { 'X-Request-Id': 'r-login', Authorization: basic('admin', 'pw') }, rawBody: '{}' }),
        200,
      ],
    ];
    for (const [rid, send, status] of cases) {
      assertStatus(await send(), status);
      const lines = await accessLines(rid);
      assert.equal(lines.length, 1, rid);
      assert.equal(lines[0]?.['status'], status, rid);
    }
    // Prometheus scrapes: DEBUG only
    assertStatus(await rq('GET', `${t.node.httpAddress}/metrics`, { token: null, headers: { 'X-Request-Id': 'r-metrics-info' } }), 200);
    setLoggerLevel('org.midonet.cluster.rest-api.access', 'DEBUG');
    try {
      assertStatus(await rq('GET', `${t.node.httpAddress}/metrics`, { token: null, headers: { 'X-Request-Id': 'r-metrics-debug' } }), 200);
      const [line] = await accessLines('r-metrics-debug');
      assert.equal(line?.['level'], 'debug');
      assert.equal(line?.['route'], '/metrics');
    } finally {
      applyLoggerLevels({});
    }
    assert.ok(!cap.text().includes('r-metrics-info'));
  });

  it('a logger level set at run time applies to the next request', async () => {
    setLoggerLevel('org.midonet.cluster.rest-api', 'WARN');
    try {
      assertStatus(await get(`${t.api}/bridges`, MT.bridges, { headers: { 'X-Request-Id': 'r-quiet' } }), 200);
    } finally {
      applyLoggerLevels({});
    }
    assertStatus(await get(`${t.api}/bridges`, MT.bridges, { headers: { 'X-Request-Id': 'r-loud' } }), 200);
    await accessLines('r-loud');
    assert.ok(!cap.text().includes('r-quiet'));
  });
});

describe('no secrets in the logs', () => {
  it('tokens, passwords, Authorization, Cookie and query secrets never appear', async () => {
    const secrets = {
      token: 'tok-e5b1c0de-1111',
      cookie: 'c00kie-e5b1c0de-2222',
      password: 'Pw-e5b1c0de-3333',
      queryPassword: 'qpw-e5b1c0de-4444',
      queryToken: 'qtok-e5b1c0de-5555',
      queryKey: 'qkey-e5b1c0de-6666',
      bodyPassword: 'bpw-e5b1c0de-7777',
    };
    const basicHeader = basic('admin', secrets.password);
    const h = (rid: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'X-Request-Id': rid, ...extra });
    const sent: string[] = [];
    const send = async (rid: string, p: Promise<Res>): Promise<Res> => {
      sent.push(rid);
      return p;
    };
    await send('s-1', get(`${t.api}/bridges`, MT.bridges, { token: secrets.token, headers: h('s-1', { Cookie: `sessionId=${secrets.cookie}; lang=en` }) }));
    await send('s-2', rq('POST', `${t.api}/login`, { token: null, headers: h('s-2', { Authorization: basicHeader }), rawBody: '{}' }));
    await send('s-3', rq('GET', `${t.api}/login`, { token: secrets.token, headers: h('s-3', { Authorization: basic('admin:x', secrets.password) }) })); // 401
    await send(
      's-4',
      get(`${t.api}/bridges?tenant_id=t1&password=${secrets.queryPassword}&token=${secrets.queryToken}&api_key=${secrets.queryKey}`, MT.bridges, {
        token: secrets.token,
        headers: h('s-4', { Authorization: basicHeader }),
      }),
    );
    await send(
      's-5',
      post(`${t.api}/bridges`, MT.bridge, { name: 'x', tenantId: 't', password: secrets.bodyPassword }, { token: secrets.token, headers: h('s-5') }),
    );
    await send(
      's-6',
      rq('GET', `${t.api}/bridges/not-a-uuid?token=${secrets.queryToken}`, {
        token: secrets.token,
        headers: h('s-6', { Cookie: `sessionId=${secrets.cookie}` }),
      }),
    );
    // a client-chosen request id cannot smuggle a secret into the log either
    await send('s-7', get(`${t.api}/bridges`, MT.bridges, { headers: h(`password=${secrets.password}`) }));
    for (const rid of sent.slice(0, -1)) assert.equal((await accessLines(rid)).length, 1, rid);
    await cap.waitFor((l) => l.includes('s-6'));

    const text = cap.text();
    for (const [what, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${what} leaked:\n${text}`);
    assert.ok(!text.includes(basicHeader.slice(6)), 'the Basic credentials leaked');
    const s4 = (await accessLines('s-4'))[0];
    assert.equal(s4['path'], `${root}/bridges?tenant_id=t1&password=[REDACTED]&token=[REDACTED]&api_key=[REDACTED]`);
  });

  for (const format of ['json', 'text'] as const) {
    it(`at TRACE level in the ${format} format too`, async () => {
      const local = captureLogs({ format, level: 'trace' });
      try {
        const token = 'tok-trace-9999';
        const password = 'pw-trace-9999';
        await get(`${t.api}/bridges?password=${password}`, MT.bridges, { token, headers: { 'X-Request-Id': `tr-${format}`, Cookie: `sessionId=${token}` } });
        await rq('POST', `${t.api}/login`, {
          token: null,
          headers: { 'X-Request-Id': `tr2-${format}`, Authorization: basic('admin', password) },
          rawBody: '{}',
        });
        await local.waitFor((l) => l.includes(`tr2-${format}`));
        assert.ok(local.lines().length >= 2);
        assert.ok(!local.text().includes(token), local.text());
        assert.ok(!local.text().includes(password), local.text());
      } finally {
        cap = captureLogs({ format: 'json', level: 'info' });
      }
    });
  }
});

describe('midonet-cluster --log-format', () => {
  let dir: string;
  let conf: string;

  before(async () => {
    const { connectString } = await getTestZooKeeper();
    dir = mkdtempSync(join(tmpdir(), 'mido-logfmt-'));
    conf = join(dir, 'midonet.conf');
    writeFileSync(conf, `[zookeeper]\nzookeeper_hosts = ${connectString}\nroot_key = ${uniqueRootKey()}\n`);
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The environment without the bootstrap overrides, so the --conf file counts. */
  function childEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('MIDO_ZOOKEEPER_') || k === 'MIDONET_CONF') delete env[k];
    return env;
  }

  /** Runs a node until it logs that it listens (or exits); returns its output and exit code. */
  function runNode(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(PROJECT, 'services/cluster-node/main.ts'),
          '--conf',
          conf,
          '--host-id-file',
          join(dir, 'host_id.properties'),
          '--set',
          'cluster.rest_api.http_host=127.0.0.1',
          '--set',
          'cluster.rest_api.http_port=0',
          ...args,
        ],
        { cwd: PROJECT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      let stopping = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the node did not start within 60 s:\n${stdout}\n${stderr}`));
      }, 60_000);
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (!stopping && stdout.includes('REST API listening')) {
          stopping = true;
          child.kill('SIGTERM');
        }
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolvePromise({ stdout, stderr, code });
      });
    });
  }

  it('JSON lines by default', async () => {
    const { stdout, stderr, code } = await runNode([]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const lines = stdout.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 2);
    for (const l of lines) {
      const rec = JSON.parse(l) as Rec;
      assert.equal(typeof rec['timestamp'], 'string');
      assert.equal(typeof rec['level'], 'string');
      assert.equal(typeof rec['logger'], 'string');
    }
    const messages = lines.map((l) => (JSON.parse(l) as Rec)['message']);
    assert.ok(messages.includes('received SIGTERM, shutting down'));
    assert.ok(messages.includes('cluster node stopped'));
  });

  it('human text with --log-format text', async () => {
    const { stdout, stderr, code } = await runNode(['--log-format', 'text']);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const listening = stdout.split('\n').find((l) => l.includes('REST API listening'));
    assert.match(
      listening ?? '',
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}\[org\.midonet\.cluster\.rest-api\] REST API listening on http:\/\/127\.0\.0\.1:\d+\/midonet-api /,
    );
  });

  it('anything else is refused with exit code 1', async () => {
    const { stderr, code } = await runNode(['--log-format', 'xml']);
    assert.equal(code, 1);
    assert.match(stderr, /--log-format must be json or text, got 'xml'/);
  });
});

describe('the request id follows the request', () => {
  it('lines logged while a request with a body is processed carry its id', async () => {
    setLoggerLevel('org.midonet.nsdb', 'DEBUG');
    try {
      const id = assertCreated(
        await post(`${t.api}/bridges`, MT.bridge, { name: 'ctx', tenantId: 'logs' }, { headers: { 'X-Request-Id': 'ctx-1' } }),
        `${t.api}/bridges`,
      );
      assert.ok(id);
    } finally {
      applyLoggerLevels({});
    }
    await accessLines('ctx-1');
    // the storage's commit line, written after the body was read asynchronously
    const committed = cap.records().filter((r) => r['logger'] === 'org.midonet.nsdb' && r['message'] === 'transaction committed');
    assert.ok(committed.length >= 1, cap.text());
    assert.ok(
      committed.every((r) => r['requestId'] === 'ctx-1'),
      JSON.stringify(committed),
    );
  });
});

describe('failures', () => {
  it('an unexpected error: 500 with a generic message naming the request id; the details only in the log', async () => {
    const id = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'soon-corrupt', tenantId: 'logs' }), `${t.api}/bridges`);
    // a model that is not protobuf text: nothing the API anticipates
    await t.node.zk.setData(`${zoom(t)}/models/Network/${id}`, Buffer.from('name: "unterminated\n'));
    const res = await get(`${t.api}/bridges/${id}`, MT.bridge, { headers: { 'X-Request-Id': 'f-500' } });
    const body = assertError(res, 500, /^Internal server error \(request id f-500\)/);
    assert.ok(!JSON.stringify(body).includes('unterminated'), 'the cause leaked into the answer');
    assert.ok(!res.text.includes('    at '), 'a stack trace in the answer');
    await accessLines('f-500');
    const failed = cap.records().filter((r) => r['requestId'] === 'f-500' && r['message'] === 'request failed');
    assert.equal(failed.length, 1, cap.text());
    assert.equal(failed[0]?.['level'], 'error');
    assert.match(String(failed[0]?.['stack']), /\n\s+at /);
  });

  it('a client that leaves in the middle of its body: 499 in the access log, no error, no stack', async () => {
    const local = captureLogs({ format: 'json', level: 'debug' });
    try {
      const c = await RawHttp.open(t.api);
      await c.write(
        requestHead('POST', `${t.api}/bridges`, { 'X-Auth-Token': 't', 'X-Request-Id': 'gone-1', 'Content-Type': MT.bridge, 'Content-Length': '1000' }),
      );
      await c.write('{"name": "half');
      // the node has the request once its in-flight gauge counts it besides the scrape itself
      await eventually(
        async () => /^midonet_cluster_http_requests_in_flight 2$/m.test((await rq('GET', `${t.node.httpAddress}/metrics`, { token: null })).text),
        5000,
        'the request in flight',
      );
      c.destroy();
      // the access line (the response closed) and the debug line (the body read failed) come from
      // two events in either order
      await local.waitFor((l) => l.includes('"requestId":"gone-1"') && l.includes('rest-api.access'));
      await local.waitFor((l) => l.includes('"requestId":"gone-1"') && l.includes('closed the connection'));
      const lines = local.records().filter((r) => r['requestId'] === 'gone-1');
      const access = lines.filter((r) => r['logger'] === 'org.midonet.cluster.rest-api.access');
      assert.equal(access.length, 1, local.text());
      assert.equal(access[0]?.['status'], 499);
      assert.equal(access[0]?.['aborted'], true);
      const others = lines.filter((r) => r['logger'] !== 'org.midonet.cluster.rest-api.access');
      assert.ok(
        others.every((r) => r['level'] === 'debug' || r['level'] === 'info'),
        local.text(),
      );
      assert.ok(
        others.every((r) => r['stack'] === undefined),
        local.text(),
      );
      assert.ok(
        others.some((r) => String(r['message']).includes('closed the connection')),
        local.text(),
      );
    } finally {
      cap = captureLogs({ format: 'json', level: 'info' });
    }
  });
});
