/**
 * Key store inputs and formats (auth-https-deploy.md §2.1, §2.4): the env file's JVM_OPTS (the
 * seed's two lines verbatim, an env file that exits early, overrides), and the formats recognised
 * by content — JKS read in TypeScript with its integrity hash and key check value, JCEKS refused,
 * PKCS#12 (modern and legacy encryption), PEM.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_KEYSTORE_PATH, keystoreSettings, literalJvmOpts, readEnvFile, systemProperties } from '../../lib/tls/env-file.js';
import { readJks } from '../../lib/tls/jks.js';
import { KeystoreError, loadKeystore, loadKeystoreBytes, sniffKeystore } from '../../lib/tls/keystore.js';

const hasKeytool = spawnSync('keytool', ['-help'], { stdio: 'ignore' }).status === 0;
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mido-tls-unit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('env file', () => {
  it("the seed's two JVM_OPTS lines, verbatim, give the key store path and password", () => {
    const f = join(dir, 'seed-env.sh');
    writeFileSync(
      f,
      [
        '# appended by the operator',
        'JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_path=/srv/ssl/midonet.jks"',
        'JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_password=s3cr3t-pw"',
        '',
      ].join('\n'),
    );
    const r = readEnvFile(f);
    assert.equal(r.warning, undefined);
    assert.deepEqual(r.properties, { 'midonet.keystore_path': '/srv/ssl/midonet.jks', 'midonet.keystore_password': 's3cr3t-pw' });
    const k = keystoreSettings({ envFile: f, env: {} });
    assert.equal(k.path, '/srv/ssl/midonet.jks');
    assert.equal(k.password, 's3cr3t-pw');
    assert.equal(k.pathSource, 'env-file');
  });

  it('is evaluated as shell (variables, later values win), what it prints is ignored', () => {
    const f = join(dir, 'computed-env.sh');
    writeFileSync(
      f,
      [
        'echo "noise on stdout"; echo "noise" >&2',
        'SSL_DIR=/etc/midonet-cluster/ssl',
        'JVM_OPTS="$JVM_OPTS -Xmx2g -Dmidonet.keystore_path=/old"',
        'JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_path=$SSL_DIR/midonet.p12"',
        'if [ -z "$NOPE" ]; then JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_password=pw"; fi',
      ].join('\n'),
    );
    const k = keystoreSettings({ envFile: f, env: {} });
    assert.equal(k.path, '/etc/midonet-cluster/ssl/midonet.p12');
    assert.equal(k.password, 'pw');
  });

  it("a file that exits early (the original's, without Java 8) still yields its literal JVM_OPTS lines", () => {
    const f = join(dir, 'exits-env.sh');
    writeFileSync(
      f,
      [
        'if [ -z "$JAVA_HOME_NOT_SET_HERE" ] ; then',
        '    echo "No suitable JVM found (at least v1.8 required)"',
        '    exit 1',
        'fi',
        'JVM_OPTS="$JVM_OPTS -XX:+UseG1GC"',
        'JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_path=/srv/k.jks"',
        'JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_password=pw2"',
      ].join('\n'),
    );
    const r = readEnvFile(f);
    assert.match(r.warning ?? '', /did not run to its end under \/bin\/sh \(exit status 1\)/);
    assert.ok(!(r.warning ?? '').includes('pw2'));
    assert.equal(r.properties['midonet.keystore_path'], '/srv/k.jks');
    assert.equal(r.properties['midonet.keystore_password'], 'pw2');
  });

  it('literal reading takes only plain JVM_OPTS appends', () => {
    assert.deepEqual(
      literalJvmOpts(
        ['JVM_OPTS="$JVM_OPTS -Da=1"', '# JVM_OPTS="$JVM_OPTS -Db=2"', 'JVM_OPTS="$JVM_OPTS -Dc=$X"', 'JVM_OPTS="${JVM_OPTS} -Dd=4 -De=5"'].join('\n'),
      ),
      ['-Da=1', '-Dd=4', '-De=5'],
    );
    assert.deepEqual(systemProperties(['-Dx=1', '-Xmx1g', '-Dx=2', '-Dflag']), { x: '2', flag: '' });
  });

  it('MIDONET_KEYSTORE_PATH / _PASSWORD override the file; without anything the default path', () => {
    const f = join(dir, 'seed-env.sh');
    const k = keystoreSettings({ envFile: f, env: { MIDONET_KEYSTORE_PATH: '/x.p12', MIDONET_KEYSTORE_PASSWORD: 'envpw' } });
    assert.deepEqual([k.path, k.password, k.pathSource, k.passwordSource], ['/x.p12', 'envpw', 'env', 'env']);
    const none = keystoreSettings({ envFile: join(dir, 'missing.sh'), env: {} });
    assert.deepEqual([none.path, none.password, none.pathSource, none.envFile.file], [DEFAULT_KEYSTORE_PATH, undefined, 'default', null]);
  });
});

describe('key store formats', { skip: hasKeytool ? false : 'keytool (a JRE) is not installed' }, () => {
  let jks: Buffer;
  const PW = 'store-pw';

  before(() => {
    const f = join(dir, 'unit.jks');
    execFileSync(
      'keytool',
      [
        '-genkeypair',
        '-alias',
        'midonet',
        '-keyalg',
        'RSA',
        '-keysize',
        '2048',
        '-dname',
        'CN=localhost',
        '-validity',
        '30',
        '-keystore',
        f,
        '-storetype',
        'JKS',
        '-storepass',
        PW,
        '-keypass',
        PW,
        '-noprompt',
      ],
      { stdio: 'ignore' },
    );
    jks = readFileSync(f);
  });

  it('JKS: the key entry and its chain, read in TypeScript', () => {
    const store = readJks(jks, PW);
    assert.equal(store.keys.length, 1);
    assert.equal(store.keys[0]?.alias, 'midonet');
    assert.equal(store.keys[0]?.chain.length, 1);
    const loaded = loadKeystoreBytes(jks, PW);
    assert.equal(loaded.format, 'jks');
    assert.equal(loaded.subject, 'CN=localhost');
    assert.match(String(loaded.tls.key), /^-----BEGIN PRIVATE KEY-----/);
  });

  it('JKS: a wrong password, a damaged byte, a truncated file', () => {
    assert.throws(
      () => loadKeystoreBytes(jks, 'wrong'),
      (e: unknown) => e instanceof KeystoreError && e.kind === 'password' && !e.message.includes('wrong'),
    );
    const damaged = Buffer.from(jks);
    damaged[60] = damaged[60] ^ 0xff;
    assert.throws(() => loadKeystoreBytes(damaged, PW), /tampered with, or password was incorrect/);
    assert.throws(() => loadKeystoreBytes(jks.subarray(0, 100), PW), KeystoreError);
  });

  it('JKS: the key check value is verified (key password ≠ store password)', () => {
    const f = join(dir, 'twopw.jks');
    execFileSync(
      'keytool',
      [
        '-genkeypair',
        '-alias',
        'k',
        '-keyalg',
        'RSA',
        '-dname',
        'CN=localhost',
        '-keystore',
        f,
        '-storetype',
        'JKS',
        '-storepass',
        PW,
        '-keypass',
        'other-key-pw',
        '-noprompt',
      ],
      { stdio: 'ignore' },
    );
    assert.throws(() => loadKeystore(f, PW), /does not unlock the private key 'k'/);
  });

  it('JCEKS is refused with the conversion command; unknown bytes are refused', () => {
    const f = join(dir, 'store.jceks');
    execFileSync(
      'keytool',
      [
        '-genkeypair',
        '-alias',
        'k',
        '-keyalg',
        'RSA',
        '-dname',
        'CN=localhost',
        '-keystore',
        f,
        '-storetype',
        'JCEKS',
        '-storepass',
        PW,
        '-keypass',
        PW,
        '-noprompt',
      ],
      { stdio: 'ignore' },
    );
    assert.equal(sniffKeystore(readFileSync(f)), 'jceks');
    assert.throws(() => loadKeystore(f, PW), /JCEKS key stores are not supported; convert it: keytool -importkeystore/);
    assert.throws(() => loadKeystoreBytes(Buffer.from('hello'), PW), /unrecognised key store format/);
  });

  it('PKCS#12 from keytool (JDK ≥ 9 default) and a legacy (3DES) one', () => {
    const p12 = join(dir, 'k.p12');
    execFileSync(
      'keytool',
      [
        '-importkeystore',
        '-srckeystore',
        join(dir, 'unit.jks'),
        '-srcstoretype',
        'JKS',
        '-srcstorepass',
        PW,
        '-destkeystore',
        p12,
        '-deststoretype',
        'PKCS12',
        '-deststorepass',
        PW,
        '-noprompt',
      ],
      { stdio: 'ignore' },
    );
    assert.equal(loadKeystore(p12, PW).format, 'pkcs12');
    const legacy = join(dir, 'legacy.p12');
    execFileSync(
      'keytool',
      [
        '-J-Dkeystore.pkcs12.legacy',
        '-importkeystore',
        '-srckeystore',
        join(dir, 'unit.jks'),
        '-srcstoretype',
        'JKS',
        '-srcstorepass',
        PW,
        '-destkeystore',
        legacy,
        '-deststoretype',
        'PKCS12',
        '-deststorepass',
        PW,
        '-noprompt',
      ],
      { stdio: 'ignore' },
    );
    const l = loadKeystore(legacy, PW);
    assert.equal(l.format, 'pkcs12-legacy');
    assert.equal(l.subject, 'CN=localhost');
    assert.throws(
      () => loadKeystore(legacy, 'nope'),
      (e: unknown) => e instanceof KeystoreError && e.kind === 'password',
    );
  });
});
