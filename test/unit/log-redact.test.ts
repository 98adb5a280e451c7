/**
 * No token, password, Authorization/Cookie/X-Auth-Token value or keystore password ever appears in
 * a log line: the redaction rules one by one, and the same secrets pushed through real loggers in
 * both output formats.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLogger } from '../../lib/log/logger.js';
import { isSecretName, REDACTED, redactString, redactUrl, redactValue, registerSecret } from '../../lib/log/redact.js';
import { captureLogs } from '../support/log-capture.js';

const BASIC = `Basic ${Buffer.from('admin:Pa55w0rd!').toString('base64')}`;

describe('redactString', () => {
  const cases: [string, string, string][] = [
    // [input, secret that must vanish, text that must stay]
    [`Authorization: ${BASIC}`, 'YWRtaW46', 'Authorization:'],
    ['authorization: bearer abcdefgh', 'abcdefgh', 'authorization:'],
    ['X-Auth-Token: 7a9c0e1f-token', '7a9c0e1f', 'X-Auth-Token:'],
    ['x-auth-token=7a9c0e1f', '7a9c0e1f', 'x-auth-token='],
    ['Cookie: sessionId=c00k1e-v4lue; lang=en', 'c00k1e-v4lue', 'lang=en'],
    ['Set-Cookie: sessionId=c00k1e-v4lue; Expires=Wed', 'c00k1e-v4lue', 'Expires=Wed'],
    ['{"username":"admin","password":"hunter2"}', 'hunter2', '"username":"admin"'],
    ["{ 'x-auth-token': 'inspect-tok' }", 'inspect-tok', 'x-auth-token'],
    ['-Dmidonet.keystore_password=changeit -Dmidonet.keystore_path=/etc/ks.jks', 'changeit', '/etc/ks.jks'],
    ['cluster.auth.keystone.user_password = "pw with spaces"', 'pw with spaces', 'user_password'],
    ['cluster.auth.keystone.admin_token : 0123456789abcdef', '0123456789abcdef', 'admin_token'],
    ['GET /midonet-api/bridges?tenant_id=t1&token=qu3ry-t0k', 'qu3ry-t0k', 'tenant_id=t1'],
    ['privatekey_password=pk-pass', 'pk-pass', 'privatekey_password'],
  ];
  for (const [input, secret, kept] of cases) {
    it(`scrubs ${JSON.stringify(input)}`, () => {
      const out = redactString(input);
      assert.ok(!out.includes(secret), out);
      assert.ok(out.includes(kept), out);
      assert.ok(out.includes(REDACTED), out);
      assert.equal(redactString(out), out, 'idempotent');
    });
  }

  it('leaves ordinary text, ZooKeeper session ids and stack frames alone', () => {
    for (const s of [
      'Basic configuration loaded',
      'connected to ZooKeeper sessionId: 0x10001ca664300bd',
      'at authorize (/srv/lib/auth/token.ts:12:3)',
      'Keystone configuration must provide an administrative tenant, user name and password',
      'REST API listening on http://0.0.0.0:8181/midonet-api',
    ]) {
      assert.equal(redactString(s), s);
    }
  });

  it('registered secret values vanish wherever they appear', () => {
    registerSecret('ks-Secret-4711');
    registerSecret('abc'); // too short to register
    assert.equal(redactString('opening keystore with ks-Secret-4711!'), `opening keystore with ${REDACTED}!`);
    assert.equal(redactString('abc'), 'abc');
  });
});

describe('redactValue', () => {
  it('replaces secret-named fields at any depth and in any spelling', () => {
    const out = redactValue({
      headers: { authorization: BASIC, 'x-auth-token': 'tok', cookie: 'sessionId=x', accept: 'application/json' },
      keystorePassword: 'ks',
      nested: [{ user_password: 'pw', adminToken: 't', apiKey: 'k', privateKey: 'pk', clientSecret: 's', name: 'n' }],
      sessionId: '0x1',
      tokenExpires: '2030-01-01',
    }) as Record<string, unknown>;
    assert.deepEqual(out, {
      headers: { authorization: REDACTED, 'x-auth-token': REDACTED, cookie: REDACTED, accept: 'application/json' },
      keystorePassword: REDACTED,
      nested: [{ user_password: REDACTED, adminToken: REDACTED, apiKey: REDACTED, privateKey: REDACTED, clientSecret: REDACTED, name: 'n' }],
      sessionId: '0x1',
      tokenExpires: '2030-01-01',
    });
  });

  it('redacts the value of a setting whose key names a secret', () => {
    assert.deepEqual(redactValue({ key: 'cluster.auth.keystone.user_password', value: 'pw', old: 'pw0' }), {
      key: 'cluster.auth.keystone.user_password',
      value: REDACTED,
      old: REDACTED,
    });
    assert.deepEqual(redactValue({ key: 'cluster.rest_api.http_port', value: 8282 }), { key: 'cluster.rest_api.http_port', value: 8282 });
  });

  it('handles errors, bigints, buffers, fetch Headers, Maps and cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const err = new Error('login failed for password=hunter2');
    const out = redactValue({
      err,
      zxid: 12n,
      data: Buffer.from('secret bytes'),
      h: new Headers({ 'X-Auth-Token': 'hdr-tok', 'Content-Type': 'text/plain' }),
      m: new Map([['password', 'mp']]),
      cyclic,
    }) as Record<string, Record<string, unknown> | string>;
    const text = JSON.stringify(out);
    for (const secret of ['hunter2', 'secret bytes', 'hdr-tok', 'mp"']) assert.ok(!text.includes(secret), text);
    assert.equal(out['zxid'], '12');
    assert.equal((out['err'] as Record<string, unknown>)['name'], 'Error');
    assert.equal((out['cyclic'] as Record<string, unknown>)['self'], '[Circular]');
    assert.equal((out['h'] as Record<string, unknown>)['content-type'], 'text/plain');
  });

  it('isSecretName', () => {
    for (const n of ['password', 'X-Auth-Token', 'Authorization', 'Cookie', 'keystore_password', 'admin_token', 'api-key', 'client_secret']) {
      assert.ok(isSecretName(n), n);
    }
    for (const n of ['sessionId', 'tokenExpires', 'path', 'method', 'key', 'name', 'requestId']) assert.ok(!isSecretName(n), n);
  });
});

describe('redactUrl', () => {
  it('keeps the path and ordinary parameters, redacts secret-named ones', () => {
    assert.equal(
      redactUrl('/midonet-api/bridges?tenant_id=t1&password=p&api_key=k&token=t&X-Auth-Token=z&key=1&monkey=2&pwd=x'),
      `/midonet-api/bridges?tenant_id=t1&password=${REDACTED}&api_key=${REDACTED}&token=${REDACTED}&X-Auth-Token=${REDACTED}&key=${REDACTED}&monkey=2&pwd=${REDACTED}`,
    );
    assert.equal(redactUrl('/midonet-api/routers'), '/midonet-api/routers');
    assert.equal(redactUrl('/a?pass%77ord=x'), `/a?pass%77ord=${REDACTED}`, 'percent-encoded names are decoded first');
    assert.equal(redactUrl('/a?%zz=1'), '/a?%zz=1', 'malformed escapes are kept');
  });

  it('bounds the length', () => {
    const out = redactUrl(`/midonet-api/${'x'.repeat(5000)}`, 100);
    assert.equal(out.length, 101);
  });
});

describe('loggers never write secrets', () => {
  const secrets = ['Pa55w0rd!', 'YWRtaW46UGE1NXcwcmQh', 'tok-8f7e6d', 'c00kie-99', 'ks-Store-Pw', 'q-secret-1'];
  const emit = (): void => {
    registerSecret('ks-Store-Pw');
    const log = getLogger('org.midonet.cluster.auth');
    log.info('login attempt', { headers: { Authorization: BASIC, 'X-Auth-Token': 'tok-8f7e6d', Cookie: 'sessionId=c00kie-99' } });
    log.warn(`request GET /x?password=q-secret-1 with X-Auth-Token: tok-8f7e6d failed`);
    log.error('keystore could not be opened', { path: '/etc/midonet-cluster/ssl/midonet.jks', password: 'ks-Store-Pw' });
    log.error('opening the keystore failed', new Error('wrong password ks-Store-Pw for /etc/midonet-cluster/ssl/midonet.jks'));
    log.info('credentials', { user: 'admin', password: 'Pa55w0rd!' });
  };
  for (const format of ['json', 'text'] as const) {
    it(`in the ${format} format`, async () => {
      const cap = captureLogs({ format, level: 'trace' });
      emit();
      await cap.waitFor((l) => l.includes('credentials'));
      assert.equal(cap.lines().length, 5);
      for (const s of secrets) assert.ok(!cap.text().includes(s), `${s} leaked:\n${cap.text()}`);
      assert.ok(cap.text().includes('/etc/midonet-cluster/ssl/midonet.jks'));
      assert.ok(cap.text().includes('admin'));
    });
  }
});
