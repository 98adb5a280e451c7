/**
 * The `cluster.rest_api` limits as Settings read them (lib/conf/settings.ts restApiLimits): the
 * bundled defaults, durations in ms, and values that would unbound a limit refused by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restApiLimits, Settings, SettingsError } from '../../lib/conf/settings.js';
import { BodyBudget } from '../../lib/http/body-budget.js';

describe('REST API limits settings', () => {
  it('defaults: 1024 connections, 32 MiB of bodies in flight, 10 s / 30 s / 10 s', () => {
    assert.deepEqual(restApiLimits(new Settings()), {
      maxConnections: 1024,
      maxBodyBytesInFlight: 32 * 1024 * 1024,
      headersTimeoutMs: 10_000,
      receiveTimeoutMs: 30_000,
      bodyIdleTimeoutMs: 10_000,
    });
  });

  it('durations in any HOCON unit', () => {
    const s = new Settings();
    s.set('cluster.rest_api.headers_timeout', '2s');
    s.set('cluster.rest_api.receive_timeout', '1m');
    s.set('cluster.rest_api.body_idle_timeout', '500ms');
    const l = restApiLimits(s);
    assert.equal(l.headersTimeoutMs, 2000);
    assert.equal(l.receiveTimeoutMs, 60_000);
    assert.equal(l.bodyIdleTimeoutMs, 500);
  });

  it('zero or less (node:http would read "no bound") is refused, naming the key', () => {
    for (const [key, v] of [
      ['max_connections', '0'],
      ['max_body_bytes_in_flight', '-1'],
      ['headers_timeout', '0s'],
      ['body_idle_timeout', '0ms'],
    ] as const) {
      const s = new Settings();
      s.set(`cluster.rest_api.${key}`, v);
      assert.throws(
        () => restApiLimits(s),
        (e: unknown) => e instanceof SettingsError && e.message.includes(`cluster.rest_api.${key}`) && /positive/.test(e.message),
      );
    }
  });

  it('a whole request cannot be due before its headers', () => {
    const s = new Settings();
    s.set('cluster.rest_api.headers_timeout', '20s');
    s.set('cluster.rest_api.receive_timeout', '10s');
    assert.throws(() => restApiLimits(s), /receive_timeout.*at least.*headers_timeout/);
  });
});

describe('body budget', () => {
  it('takes what fits, refuses what does not, gives back', () => {
    const b = new BodyBudget(100);
    assert.equal(b.take(60), true);
    assert.equal(b.take(50), false);
    assert.equal(b.inFlight, 60);
    assert.equal(b.take(40), true);
    b.give(60);
    assert.equal(b.take(50), true);
    assert.equal(b.inFlight, 90);
  });

  it('a length that is not a positive number takes nothing', () => {
    const b = new BodyBudget(10);
    assert.equal(b.take(Number.NaN), true);
    assert.equal(b.take(0), true);
    assert.equal(b.inFlight, 0);
  });
});
