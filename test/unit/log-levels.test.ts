/**
 * Logger levels per name as mn-conf's `cluster.loggers.*` sets them (mn-conf.md §6,
 * auth-https-deploy.md §3.4): parsing of the original's level names, hierarchical fallback to the
 * nearest configured parent, `.root` keys, whole-section application, live effect.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { applyLoggerLevels, clearLoggerLevel, effectiveLevel, getLogger, loggerLevels, parseLevel, setLoggerLevel } from '../../lib/log/logger.js';
import { captureLogs } from '../support/log-capture.js';

beforeEach(() => {
  applyLoggerLevels({ root: 'INFO' });
});

describe('parseLevel', () => {
  it('accepts the logback names in any case, and nothing else', () => {
    assert.equal(parseLevel('INFO'), 'info');
    assert.equal(parseLevel('debug'), 'debug');
    assert.equal(parseLevel('Warn'), 'warn');
    assert.equal(parseLevel('WARNING'), 'warn');
    assert.equal(parseLevel('ERROR'), 'error');
    assert.equal(parseLevel('FATAL'), 'error');
    assert.equal(parseLevel('TRACE'), 'trace');
    assert.equal(parseLevel('ALL'), 'trace');
    assert.equal(parseLevel('OFF'), 'off');
    assert.equal(parseLevel(' "DEBUG" '), 'debug');
    assert.equal(parseLevel('verbose'), undefined);
    assert.equal(parseLevel(''), undefined);
  });
});

describe('levels per logger name', () => {
  it('falls back to the nearest configured parent, then root', () => {
    setLoggerLevel('org.midonet.cluster', 'WARN');
    setLoggerLevel('org.midonet.cluster.auth.keystone', 'DEBUG');
    assert.equal(effectiveLevel('org.midonet.cluster.rest-api'), 'warn');
    assert.equal(effectiveLevel('org.midonet.cluster.rest-api.access'), 'warn');
    assert.equal(effectiveLevel('org.midonet.cluster.auth'), 'warn');
    assert.equal(effectiveLevel('org.midonet.cluster.auth.keystone'), 'debug');
    assert.equal(effectiveLevel('org.midonet.cluster.auth.keystone.v3'), 'debug');
    assert.equal(effectiveLevel('org.midonet.nsdb'), 'info');
    assert.equal(effectiveLevel('org.midonet'), 'info');
    // a name is a prefix by segments, not by characters
    assert.equal(effectiveLevel('org.midonet.clusterX'), 'info');
  });

  it('root and a trailing .root are spelled as in the original config', () => {
    setLoggerLevel('root', 'ERROR');
    assert.equal(effectiveLevel('anything'), 'error');
    setLoggerLevel('org.midonet.nsdb.root', 'TRACE');
    assert.equal(effectiveLevel('org.midonet.nsdb.state-proxy-client'), 'trace');
    assert.equal(loggerLevels()['org.midonet.nsdb'], 'trace');
  });

  it('an invalid level becomes INFO, as in the original', () => {
    assert.equal(setLoggerLevel('org.midonet.cluster.services.vxgw', 'LOUD'), 'info');
    assert.equal(effectiveLevel('org.midonet.cluster.services.vxgw'), 'info');
  });

  it('clearLoggerLevel makes a name follow its parent again', () => {
    setLoggerLevel('org.midonet.cluster', 'WARN');
    setLoggerLevel('org.midonet.cluster.rest-api', 'DEBUG');
    assert.equal(effectiveLevel('org.midonet.cluster.rest-api'), 'debug');
    clearLoggerLevel('org.midonet.cluster.rest-api');
    assert.equal(effectiveLevel('org.midonet.cluster.rest-api'), 'warn');
  });

  it('applyLoggerLevels replaces the whole set, ignores descriptions and reports invalid values', () => {
    setLoggerLevel('org.midonet.cluster.rest-api', 'DEBUG');
    const invalid = applyLoggerLevels({
      root: 'WARN',
      root_description: 'the root logger',
      'org.midonet.cluster.auth.keystone': 'DEBUG',
      'org.midonet.nsdb.root': 'ERROR',
      'org.midonet.cluster.services.heartbeat': 'nonsense',
    });
    assert.deepEqual(invalid, ['org.midonet.cluster.services.heartbeat']);
    assert.deepEqual(loggerLevels(), {
      root: 'warn',
      'org.midonet.cluster.auth.keystone': 'debug',
      'org.midonet.cluster.services.heartbeat': 'info',
      'org.midonet.nsdb': 'error',
    });
    // rest-api lost its own level with the replacement
    assert.equal(effectiveLevel('org.midonet.cluster.rest-api'), 'warn');
  });

  it('changes what is written at once, OFF silences a subtree', async () => {
    const cap = captureLogs({ level: 'info' });
    const log = getLogger('org.midonet.cluster.rest-api');
    const other = getLogger('org.midonet.nsdb');
    log.debug('d1');
    assert.equal(log.enabled('debug'), false);
    setLoggerLevel('org.midonet.cluster.rest-api', 'DEBUG');
    assert.equal(log.enabled('debug'), true);
    log.debug('d2');
    setLoggerLevel('org.midonet.cluster', 'OFF');
    clearLoggerLevel('org.midonet.cluster.rest-api');
    log.error('e1');
    log.child('access').warn('w1');
    other.info('i1');
    await cap.waitFor((l) => l.includes('i1'));
    const messages = cap.records().map((r) => r['message']);
    assert.deepEqual(messages, ['d2', 'i1']);
    const d2 = cap.records()[0];
    assert.equal(d2['level'], 'debug');
    assert.equal(d2['logger'], 'org.midonet.cluster.rest-api');
  });
});
