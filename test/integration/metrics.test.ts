/**
 * `GET /metrics` on the REST port (docs/observability.md): Prometheus text format, no auth,
 * outside the API root; request metrics by route template/method/status; ZooKeeper operation and
 * session metrics; NSDB transaction counters; a registry per node; off with
 * `cluster.rest_api.metrics_enabled = false` (404).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangeOwner } from '../../lib/nsdb/provenance.js';
import { startTestNode, type TestNode } from '../support/node-harness.js';
import { assertCreated, assertStatus, get, MT, post, rq } from '../support/rest-helpers.js';

// ---- a small parser of the Prometheus text exposition format (version 0.0.4) ----------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    assert.ok(m, `bad label set in: ${line}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      const c = text[i++];
      assert.ok(c !== undefined, `unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else assert.fail(`bad escape \\${String(e)} in: ${line}`);
      } else {
        value += c;
      }
    }
    assert.ok(!(m[1] in labels), `duplicate label ${m[1]} in: ${line}`);
    labels[m[1]] = value;
    if (text[i] === ',') i++;
    else assert.equal(i, text.length, `junk after a label in: ${line}`);
  }
  return labels;
}

function parseValue(v: string, line: string): number {
  // as Prometheus (Go's ParseFloat): special values in any case (prom-client writes `Nan`)
  if (/^\+?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  const n = Number(v);
  assert.ok(v !== '' && !Number.isNaN(n), `bad value '${v}' in: ${line}`);
  return n;
}

/** The family a sample belongs to: histogram/summary samples carry suffixes. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const f = families.get(name) ?? { name, samples: [] };
      if (kind === 'HELP') {
        assert.equal(f.help, undefined, `second HELP for ${name}`);
        f.help = rest;
      } else {
        assert.equal(f.type, undefined, `second TYPE for ${name}`);
        assert.equal(f.samples.length, 0, `TYPE after samples for ${name}`);
        assert.ok(TYPES.has(rest), `unknown type in: ${line}`);
        f.type = rest;
      }
      families.set(name, f);
      continue;
    }
    if (line.startsWith('#')) continue; // a comment
    const m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`).exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    const f = familyOf(name, families);
    assert.ok(f, `sample without HELP/TYPE: ${line}`);
    f.samples.push({ name, labels: labelText ? parseLabels(labelText, line) : {}, value: parseValue(value, line) });
  }
  // histograms are complete: cumulative buckets ending in +Inf == _count, and a _sum
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of f.samples) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const samples of series.values()) {
      const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
      const count = samples.find((s) => s.name === `${f.name}_count`);
      assert.ok(
        samples.some((s) => s.name === `${f.name}_sum`),
        `${f.name} without _sum`,
      );
      assert.ok(count, `${f.name} without _count`);
      assert.equal(buckets.at(-1)?.labels['le'], '+Inf', `${f.name}: last bucket is +Inf`);
      assert.equal(buckets.at(-1)?.value, count.value, `${f.name}: +Inf bucket == count`);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, `${f.name}: buckets are cumulative`);
    }
  }
  return families;
}

// ---- helpers ----------------------------------------------------------------------------

async function scrape(t: TestNode): Promise<Map<string, Family>> {
  const res = await rq('GET', `${t.node.httpAddress}/metrics`, { token: null });
  assertStatus(res, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

/** The value of a sample (0 if the series does not exist yet). */
function value(families: Map<string, Family>, sample: string, labels: Record<string, string> = {}): number {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return 0;
}

const P = 'midonet_cluster_';

let t: TestNode;
let root: string;

before(async () => {
  t = await startTestNode();
  root = new URL(t.api).pathname;
});

after(async () => {
  await t?.stop();
});

describe('GET /metrics', () => {
  it('is Prometheus text with HELP and TYPE for every metric, no auth needed', async () => {
    const fams = await scrape(t);
    const expected: Record<string, string> = {
      [`${P}node_info`]: 'gauge',
      [`${P}http_requests_total`]: 'counter',
      [`${P}http_request_duration_seconds`]: 'histogram',
      [`${P}http_requests_in_flight`]: 'gauge',
      [`${P}zookeeper_operation_duration_seconds`]: 'histogram',
      [`${P}zookeeper_operation_errors_total`]: 'counter',
      [`${P}zookeeper_session_state`]: 'gauge',
      [`${P}zookeeper_session_transitions_total`]: 'counter',
      [`${P}nsdb_transactions_total`]: 'counter',
      [`${P}nsdb_transaction_commits_total`]: 'counter',
      [`${P}nsdb_transaction_conflicts_total`]: 'counter',
      [`${P}nsdb_transaction_retries_total`]: 'counter',
      [`${P}nsdb_transaction_retries_exhausted_total`]: 'counter',
      [`${P}nsdb_transaction_duration_seconds`]: 'histogram',
      [`${P}auth_token_cache_hits_total`]: 'counter',
      [`${P}auth_token_cache_misses_total`]: 'counter',
      [`${P}service_leader`]: 'gauge',
      // prom-client's default process / Node.js metrics
      process_cpu_user_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) {
      const f = fams.get(name);
      assert.ok(f, `${name} is missing`);
      assert.equal(f.type, type, `${name} type`);
      assert.ok(f.help && f.help.length > 0, `${name} has no HELP`);
    }
    assert.equal(value(fams, `${P}node_info`, { host_id: t.node.hostId }), 1);
  });

  it('sits outside the API root: /metrics under the root is the API 404', async () => {
    const res = await rq('GET', `${t.api}/metrics`);
    assertStatus(res, 404);
  });

  it('the ZooKeeper session state gauge shows connected', async () => {
    const fams = await scrape(t);
    assert.equal(value(fams, `${P}zookeeper_session_state`, { state: 'connected' }), 1);
    for (const s of ['connecting', 'disconnected', 'expired', 'closed']) assert.equal(value(fams, `${P}zookeeper_session_state`, { state: s }), 0, s);
    assert.equal(value(fams, `${P}zookeeper_session_transitions_total`, { state: 'connected' }), 1);
  });
});

describe('request metrics', () => {
  it('the request counter and histogram count move with requests, labelled by template', async () => {
    const route = `${root}/bridges`;
    const labels = { method: 'GET', route, status: '200' };
    const before = await scrape(t);
    for (let i = 0; i < 3; i++) assertStatus(await get(`${t.api}/bridges`, MT.bridges), 200);
    const after = await scrape(t);
    assert.equal(value(after, `${P}http_requests_total`, labels) - value(before, `${P}http_requests_total`, labels), 3);
    assert.equal(value(after, `${P}http_request_duration_seconds_count`, labels) - value(before, `${P}http_request_duration_seconds_count`, labels), 3);
    assert.ok(value(after, `${P}http_request_duration_seconds_sum`, labels) > value(before, `${P}http_request_duration_seconds_sum`, labels));
  });

  it('uses the route template, never the raw path, whatever the outcome', async () => {
    const id = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'm1', tenantId: 'metrics' }), `${t.api}/bridges`);
    assertStatus(await get(`${t.api}/bridges/${id}`, MT.bridge), 200);
    const missing = '11111111-2222-4333-8444-555555555555';
    assertStatus(await get(`${t.api}/bridges/${missing}`, MT.bridge), 404);
    // refused before routing (body over the limit): the template is still found
    assertStatus(await rq('PUT', `${t.api}/bridges/${id}`, { headers: { 'Content-Type': MT.bridge }, rawBody: Buffer.alloc(1100 * 1024, 0x20) }), 413);
    assertStatus(await rq('GET', `${t.api}/no_such_thing/${id}`), 404);
    const res = await rq('GET', `${t.node.httpAddress}/metrics`, { token: null });
    for (const raw of [id, missing, 'no_such_thing']) assert.ok(!res.text.includes(raw), `raw path part ${raw} in a label`);
    const fams = parseExposition(res.text);
    const c = (method: string, route: string, status: string): number => value(fams, `${P}http_requests_total`, { method, route, status });
    assert.equal(c('POST', `${root}/bridges`, '201'), 1);
    assert.equal(c('GET', `${root}/bridges/:id`, '200'), 1);
    assert.equal(c('GET', `${root}/bridges/:id`, '404'), 1);
    assert.equal(c('PUT', `${root}/bridges/:id`, '413'), 1);
    assert.ok(c('GET', '<unmatched>', '404') >= 1);
    // /metrics itself is counted under its own path
    assert.ok(c('GET', '/metrics', '200') >= 1);
  });
});

describe('ZooKeeper and NSDB metrics', () => {
  it('ZooKeeper operation latency appears and moves after API calls', async () => {
    const before = await scrape(t);
    const id = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'm2', tenantId: 'metrics' }), `${t.api}/bridges`);
    assertStatus(await get(`${t.api}/bridges/${id}`, MT.bridge), 200);
    assertStatus(await get(`${t.api}/bridges`, MT.bridges), 200);
    // a port's creation reads its bridge: its transaction starts with a sync (the bridge's did not
    // read anything, so it sent none)
    assertCreated(await post(`${t.api}/bridges/${id}/ports`, MT.port, { type: 'Bridge' }), `${t.api}/ports`);
    const after = await scrape(t);
    const count = (fams: Map<string, Family>, op: string): number => value(fams, `${P}zookeeper_operation_duration_seconds_count`, { op });
    assert.ok(count(after, 'multi') > count(before, 'multi'), 'multi (the commit)');
    assert.ok(count(after, 'getData') > count(before, 'getData'), 'getData');
    assert.ok(count(after, 'getChildren') > count(before, 'getChildren'), 'getChildren');
    assert.ok(count(after, 'sync') > count(before, 'sync'), 'sync (the transaction start)');
    assert.ok(value(after, `${P}zookeeper_operation_duration_seconds_sum`, { op: 'getData' }) > 0);
    // a read of a missing object from ZooKeeper is a NONODE error of getData
    const missing = '11111111-2222-4333-8444-555555555556';
    const errors = (fams: Map<string, Family>): number => value(fams, `${P}zookeeper_operation_errors_total`, { op: 'getData', code: 'NONODE' });
    const e0 = errors(after);
    assert.equal(await t.node.storage.getOrNull('Network', missing), null);
    const afterRead = await scrape(t);
    assert.equal(errors(afterRead) - e0, 1);
    // through the API, once the list above filled the topology cache with the class, the 404 is
    // answered from memory (docs/decisions/0030): a cache hit, no getData
    const hits = (fams: Map<string, Family>): number => value(fams, `${P}topology_cache_hits_total`, { class: 'Network' });
    assertStatus(await get(`${t.api}/bridges/${missing}`, MT.bridge), 404);
    const afterApi = await scrape(t);
    assert.equal(hits(afterApi) - hits(afterRead), 1);
    assert.equal(errors(afterApi) - errors(afterRead), 0);
  });

  it('NSDB transaction commits, conflicts and retries', async () => {
    const storage = t.node.storage;
    const id = assertCreated(await post(`${t.api}/bridges`, MT.bridge, { name: 'm3', tenantId: 'metrics' }), `${t.api}/bridges`);
    const before = await scrape(t);
    let attempts = 0;
    await storage.tryTransaction(ChangeOwner.clusterApi, async (tx) => {
      attempts++;
      const seen = await tx.get('Network', id);
      if (attempts === 1) {
        // someone else changes the bridge meanwhile: this attempt conflicts
        await storage.tryTransaction(ChangeOwner.clusterApi, async (other) => other.update('Network', { ...(await other.get('Network', id)), name: 'theirs' }));
      }
      await tx.update('Network', { ...seen, tenant_id: `t${attempts}` });
    });
    assert.equal(attempts, 2);
    const after = await scrape(t);
    const d = (name: string): number => value(after, `${P}${name}`) - value(before, `${P}${name}`);
    assert.equal(d('nsdb_transaction_commits_total'), 2); // the interfering one and ours
    assert.equal(d('nsdb_transaction_conflicts_total'), 1);
    assert.equal(d('nsdb_transaction_retries_total'), 1);
    assert.equal(d('nsdb_transaction_retries_exhausted_total'), 0);
    assert.equal(d('nsdb_transactions_total'), 3);
    assert.equal(d('nsdb_transaction_duration_seconds_count'), 2);
  });
});

describe('one registry per node, and the switch', () => {
  it('a second node in the same process counts only its own requests', async () => {
    const t2 = await startTestNode({ rootKey: t.rootKey });
    try {
      const labels = { method: 'GET', route: `${root}/bridges`, status: '200' };
      assert.equal(value(await scrape(t2), `${P}http_requests_total`, labels), 0);
      assertStatus(await get(`${t2.api}/bridges`, MT.bridges), 200);
      assert.equal(value(await scrape(t2), `${P}http_requests_total`, labels), 1);
      assert.ok(value(await scrape(t), `${P}http_requests_total`, labels) >= 3);
      assert.notEqual(t2.node.metrics?.registry, t.node.metrics?.registry);
    } finally {
      await t2.stop();
    }
  });

  it('cluster.rest_api.metrics_enabled = false: /metrics is 404, the API works', async () => {
    const off = await startTestNode({ set: { 'cluster.rest_api.metrics_enabled': 'false' } });
    try {
      assert.equal(off.node.metrics, undefined);
      const res = await rq('GET', `${off.node.httpAddress}/metrics`, { token: null });
      assertStatus(res, 404);
      assert.ok(!res.text.includes('# TYPE'));
      assertStatus(await get(`${off.api}/bridges`, MT.bridges), 200);
    } finally {
      await off.stop();
    }
  });
});
