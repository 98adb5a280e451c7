/**
 * haproxy/generate.ts without HAProxy: the settings the issue asks for, the optional sections,
 * server naming, determinism, input validation, the template renderer and the CLI's parsers.
 * (test/integration/haproxy.test.ts runs the real `haproxy -c` on generated configurations.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HaproxyConfigError,
  generateHaproxyConfig,
  nodesFromInstances,
  parseEndpoint,
  parseNodeList,
  renderTemplate,
  type HaproxyNode,
} from '../../haproxy/generate.js';
import { makeInstance } from '../../lib/zk/service-discovery.js';

const VIP = { address: '10.0.0.100', port: 8181 };
const NODES: HaproxyNode[] = [
  { id: '22222222-0000-0000-0000-000000000002', address: '10.0.0.2', port: 8181, sslPort: 8443 },
  { id: '11111111-0000-0000-0000-000000000001', address: '10.0.0.1', port: 8181, sslPort: null },
];

/** The section starting with `header` up to the next blank line. */
function section(cfg: string, header: string): string[] {
  const lines = cfg.split('\n');
  const start = lines.indexOf(header);
  assert.ok(start >= 0, `no '${header}' section in:\n${cfg}`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '') break;
    if (!l.trim().startsWith('#')) out.push(l.trim());
  }
  return out;
}

describe('haproxy config generator', () => {
  test('frontend on the VIP, backend with the required health, balance and retry settings', () => {
    const cfg = generateHaproxyConfig(VIP, NODES);
    assert.deepEqual(section(cfg, 'frontend midonet_api'), [
      'bind 10.0.0.100:8181',
      'option forwardfor',
      'http-request set-header X-Forwarded-Proto http',
      'default_backend midonet_api',
    ]);
    assert.deepEqual(section(cfg, 'backend midonet_api'), [
      'balance roundrobin',
      'option httpchk GET /readyz',
      'http-check expect status 200',
      'default-server inter 2s rise 2 fall 3 observe layer4 error-limit 1 on-error mark-down',
      'retries 3',
      'option redispatch 1',
      'retry-on conn-failure empty-response response-timeout',
      'http-request disable-l7-retry unless { method GET HEAD OPTIONS PUT DELETE }',
      'server 11111111-0000-0000-0000-000000000001 10.0.0.1:8181 check',
      'server 22222222-0000-0000-0000-000000000002 10.0.0.2:8181 check',
    ]);
    const global = section(cfg, 'global');
    assert.ok(global.includes('stats socket /run/haproxy/midonet-cluster.sock mode 600 level admin expose-fd listeners'));
    assert.ok(global.includes('log /dev/log local0'));
    const defaults = section(cfg, 'defaults');
    for (const t of ['connect 2s', 'client 60s', 'server 60s', 'http-request 10s', 'http-keep-alive 10s', 'queue 30s', 'check 2s']) {
      assert.ok(defaults.includes(`timeout ${t}`), `timeout ${t}`);
    }
    // POST is never in the replayable list.
    assert.doesNotMatch(cfg, /method [A-Z ]*POST/);
    assert.doesNotMatch(cfg, /\{\{|\}\}|^##/m, 'no template leftovers');
    assert.doesNotMatch(cfg, /midonet_api_tls|listen stats|server-state-file/, 'optional sections off by default');
  });

  test('deterministic: the same input in another order gives the same text', () => {
    assert.equal(generateHaproxyConfig(VIP, NODES), generateHaproxyConfig(VIP, [...NODES].reverse()));
  });

  test('TLS passthrough: tcp frontend on the VIP, only nodes with an HTTPS port, checks on the HTTP port', () => {
    const cfg = generateHaproxyConfig(VIP, NODES, { tlsPort: 8443 });
    assert.deepEqual(section(cfg, 'frontend midonet_api_tls'), ['mode tcp', 'option tcplog', 'bind 10.0.0.100:8443', 'default_backend midonet_api_tls']);
    const tls = section(cfg, 'backend midonet_api_tls');
    assert.ok(tls.includes('mode tcp'));
    assert.ok(tls.includes('balance leastconn'));
    assert.ok(tls.includes('option httpchk GET /readyz'));
    assert.deepEqual(
      tls.filter((l) => l.startsWith('server')),
      ['server 22222222-0000-0000-0000-000000000002 10.0.0.2:8443 check port 8181'],
    );
    assert.ok(!tls.some((l) => l.startsWith('retry-on')), 'L7 retries make no sense in tcp mode');
  });

  test('options: leastconn, no logging, server-state-file, stats page, timeouts, checks, methods', () => {
    const cfg = generateHaproxyConfig(VIP, NODES, {
      balance: 'leastconn',
      log: null,
      serverStateFile: '/var/lib/haproxy/state',
      statsBind: { address: '127.0.0.1', port: 8404 },
      statsSocket: '/tmp/x.sock',
      timeouts: { server: 90_000, connect: '500ms' },
      check: { inter: '1s', fall: 5 },
      idempotentMethods: ['GET', 'HEAD'],
      retries: 2,
      maxconn: 100,
    });
    assert.match(cfg, /^ {4}balance leastconn$/m);
    assert.doesNotMatch(cfg, /^\s*log |option httplog/m);
    assert.match(cfg, /^ {4}server-state-file \/var\/lib\/haproxy\/state$/m);
    assert.match(cfg, /^ {4}load-server-state-from-file global$/m);
    assert.deepEqual(section(cfg, 'listen stats'), ['bind 127.0.0.1:8404', 'stats enable', 'stats uri /stats', 'stats refresh 5s']);
    assert.match(cfg, /^ {4}timeout server 90000ms$/m);
    assert.match(cfg, /^ {4}timeout connect 500ms$/m);
    assert.match(cfg, /default-server inter 1s rise 2 fall 5 /);
    assert.match(cfg, /disable-l7-retry unless \{ method GET HEAD \}/);
    assert.match(cfg, /^ {4}retries 2$/m);
    assert.match(cfg, /^ {4}maxconn 100$/m);
    assert.match(cfg, /stats socket \/tmp\/x.sock /);
  });

  test('no nodes: still a complete config (HAProxy answers 503 itself)', () => {
    const cfg = generateHaproxyConfig(VIP, []);
    assert.ok(section(cfg, 'backend midonet_api').every((l) => !l.startsWith('server')));
    assert.match(cfg, /0 node\(s\)/);
  });

  test('server names: HAProxy-safe, unique; IPv6 addresses bracketed', () => {
    const cfg = generateHaproxyConfig({ address: '::', port: 8181 }, [
      { id: 'a b', address: '::1', port: 1 },
      { id: 'a/b', address: '127.0.0.1', port: 2 },
    ]);
    assert.match(cfg, /bind \[::\]:8181/);
    assert.match(cfg, /server a_b \[::1\]:1 check/);
    assert.match(cfg, /server a_b-2 127.0.0.1:2 check/);
  });

  test('invalid input is refused before anything is written', () => {
    const bad: [string, () => unknown][] = [
      ['vip port', () => generateHaproxyConfig({ address: '1.2.3.4', port: 0 }, [])],
      ['node address', () => generateHaproxyConfig(VIP, [{ id: 'x', address: 'a b', port: 1 }])],
      ['node ssl port', () => generateHaproxyConfig(VIP, [{ id: 'x', address: 'a', port: 1, sslPort: 70000 }])],
      ['timeout', () => generateHaproxyConfig(VIP, [], { timeouts: { client: '1 minute' } })],
      ['method', () => generateHaproxyConfig(VIP, [], { idempotentMethods: ['get'] })],
      ['log newline', () => generateHaproxyConfig(VIP, [], { log: '/dev/log\nlisten x' })],
      ['socket path', () => generateHaproxyConfig(VIP, [], { statsSocket: 'relative.sock' })],
      ['rise', () => generateHaproxyConfig(VIP, [], { check: { rise: 0 } })],
    ];
    for (const [what, fn] of bad) assert.throws(fn, HaproxyConfigError, what);
  });

  test('template renderer: values, blocks, ## notes, missing values', () => {
    const t = '## note\na={{a}}\n{{#on}}\nkept {{a}}\n{{/on}}\n{{#off}}\ndropped\n{{/off}}\nend\n';
    assert.equal(renderTemplate(t, { a: '1', on: true, off: null }), 'a=1\nkept 1\nend\n');
    assert.throws(() => renderTemplate('{{x}}', {}), HaproxyConfigError);
    assert.throws(() => renderTemplate('{{#x}}\n', { x: true }), HaproxyConfigError);
  });

  test('parsers: --vip, --nodes; discovery instances to nodes', () => {
    assert.deepEqual(parseEndpoint('127.0.0.1:8181'), { address: '127.0.0.1', port: 8181 });
    assert.deepEqual(parseEndpoint(':8181'), { address: '0.0.0.0', port: 8181 });
    assert.deepEqual(parseEndpoint('[::1]:8181'), { address: '::1', port: 8181 });
    assert.throws(() => parseEndpoint('8181'), HaproxyConfigError);
    assert.deepEqual(parseNodeList('127.0.0.1:18181, 127.0.0.1:18182:18443'), [
      { id: 'n1', address: '127.0.0.1', port: 18181, sslPort: null },
      { id: 'n2', address: '127.0.0.1', port: 18182, sslPort: 18443 },
    ]);
    assert.throws(() => parseNodeList('host'), HaproxyConfigError);
    const instances = [
      makeInstance({ name: 'midonet-cluster', id: 'b', address: '10.0.0.2', port: 8181, sslPort: 8443 }),
      makeInstance({ name: 'midonet-cluster', id: 'a', address: null, port: 8181 }),
    ];
    assert.deepEqual(nodesFromInstances(instances), [{ id: 'b', address: '10.0.0.2', port: 8181, sslPort: 8443 }]);
  });
});
