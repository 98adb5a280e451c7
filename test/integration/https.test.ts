/**
 * HTTPS from a key store (auth-https-deploy.md §2; docs/security.md). The key stores are made
 * exactly by the seed's procedure (openssl genrsa/rsa/req/x509/pkcs12, then keytool
 * -importkeystore — JDK 17's keytool writes PKCS#12 content under the .jks name), plus a real JKS
 * (-deststoretype JKS), a legacy-encrypted PKCS#12 (openssl -legacy: RC2-40/3DES) and a PEM pair.
 * Real TLS clients (node's https, curl --cacert) complete requests. Wrong password, missing file
 * and port 0 leave HTTPS off and HTTP serving. The launcher path: main.ts with an env file holding
 * the seed's two JVM_OPTS lines verbatim.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Settings } from '../../lib/conf/settings.js';
import { startClusterNode, type ClusterNode } from '../../services/cluster-node/node.js';
import { captureLogs, type LogCapture } from '../support/log-capture.js';
import { getTestZooKeeper, uniqueRootKey } from '../support/zk.js';

const PW = 'changeit-42';
const hasKeytool = spawnSync('keytool', ['-help'], { stdio: 'ignore' }).status === 0;
const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

let dir: string;
const ROOT_KEY = uniqueRootKey();
let logs: LogCapture;
const stores: Record<string, string> = {};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The seed's procedure, non-interactive (passwords on the command line instead of prompts). */
function makeKeyStores(d: string): void {
  const sh = (cmd: string, args: string[]): void => {
    execFileSync(cmd, args, { cwd: d, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  sh('openssl', ['genrsa', '-des3', '-passout', `pass:${PW}`, '-out', 'midonet.key', '2048']);
  sh('openssl', ['rsa', '-passin', `pass:${PW}`, '-in', 'midonet.key', '-out', 'midonet.key']);
  sh('openssl', ['req', '-sha256', '-new', '-key', 'midonet.key', '-out', 'midonet.csr', '-subj', '/CN=localhost']);
  sh('openssl', ['x509', '-req', '-days', '365', '-in', 'midonet.csr', '-signkey', 'midonet.key', '-out', 'midonet.crt']);
  sh('openssl', ['pkcs12', '-inkey', 'midonet.key', '-in', 'midonet.crt', '-export', '-out', 'midonet.pkcs12', '-passout', `pass:${PW}`]);
  sh('keytool', [
    '-importkeystore',
    '-srckeystore',
    'midonet.pkcs12',
    '-srcstoretype',
    'PKCS12',
    '-destkeystore',
    'midonet.jks',
    '-srcstorepass',
    PW,
    '-deststorepass',
    PW,
    '-noprompt',
  ]);
  sh('keytool', [
    '-importkeystore',
    '-srckeystore',
    'midonet.pkcs12',
    '-srcstoretype',
    'PKCS12',
    '-destkeystore',
    'real.jks',
    '-deststoretype',
    'JKS',
    '-srcstorepass',
    PW,
    '-deststorepass',
    PW,
    '-noprompt',
  ]);
  sh('openssl', ['pkcs12', '-inkey', 'midonet.key', '-in', 'midonet.crt', '-export', '-legacy', '-out', 'legacy.p12', '-passout', `pass:${PW}`]);
  writeFileSync(join(d, 'pair.pem'), readFileSync(join(d, 'midonet.key'), 'utf8') + readFileSync(join(d, 'midonet.crt'), 'utf8'));
  Object.assign(stores, {
    'keytool default (PKCS#12 content, .jks name)': join(d, 'midonet.jks'),
    'JKS (-deststoretype JKS)': join(d, 'real.jks'),
    'openssl pkcs12 -export (PKCS#12)': join(d, 'midonet.pkcs12'),
    'legacy PKCS#12 (openssl -legacy, RC2-40)': join(d, 'legacy.p12'),
    'PEM key + certificate': join(d, 'pair.pem'),
  });
}

async function startNode(set: Record<string, string>, keystore?: { path: string; password?: string }): Promise<ClusterNode> {
  const { connectString } = await getTestZooKeeper();
  const settings = new Settings({
    'cluster.rest_api.http_host': '127.0.0.1',
    'cluster.rest_api.http_port': '0',
    'cluster.rest_api.https_host': '127.0.0.1',
    ...set,
  });
  // one NSDB root for the whole suite: nothing is written, and a built layout starts faster
  return startClusterNode({ zookeeperHosts: connectString, rootKey: ROOT_KEY, hostId: randomUUID(), settings, keystore });
}

/** GET over TLS with node's https client, trusting only the self-signed certificate. */
function httpsGet(port: number, path: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, servername: 'localhost', ca, headers: { Host: `localhost:${port}`, 'X-Auth-Token': '00000000' }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** The TLS 1.2 suites with RSA authentication that the local OpenSSL knows (the test key is RSA). */
function rsaTls12Suites(): string[] {
  return execFileSync('openssl', ['ciphers', 'aRSA:@SECLEVEL=0'], { encoding: 'utf8' })
    .trim()
    .split(':')
    .filter((c) => !c.startsWith('TLS_'));
}

/** Whether `openssl s_client` completes a handshake with these options (asynchronously: the server runs here). */
function handshake(port: number, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], { timeout: 20_000 }, (err) =>
      resolve(!err),
    );
    child.stdin?.end();
  });
}

/** curl in a child process (asynchronously: the server answering it runs in this process). */
function curl(port: number, path: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      [
        '-sS',
        '--max-time',
        '20',
        '--cacert',
        join(dir, 'midonet.crt'),
        '--resolve',
        `localhost:${port}:127.0.0.1`,
        '-H',
        'X-Auth-Token: 00000000',
        '-w',
        '\n%{http_code}',
        `https://localhost:${port}${path}`,
      ],
      { encoding: 'utf8' },
      (_err, stdout, stderr) => {
        const lines = (stdout ?? '').trimEnd().split('\n');
        resolve({ status: Number(lines.pop()), out: `${lines.join('\n')}${stderr ?? ''}` });
      },
    );
  });
}

describe('HTTPS from a key store', { skip: hasKeytool ? false : 'keytool (a JRE) is not installed' }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mido-https-'));
    makeKeyStores(dir);
    logs = captureLogs({ format: 'json', level: 'info' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of [
    'keytool default (PKCS#12 content, .jks name)',
    'JKS (-deststoretype JKS)',
    'openssl pkcs12 -export (PKCS#12)',
    'legacy PKCS#12 (openssl -legacy, RC2-40)',
    'PEM key + certificate',
  ]) {
    it(`${name}: node's https and curl --cacert complete requests; HTTP keeps serving`, async () => {
      const port = await freePort();
      const node = await startNode({ 'cluster.rest_api.https_port': String(port) }, { path: stores[name], password: PW });
      try {
        assert.equal(node.https.state, 'on', JSON.stringify(node.https));
        assert.equal(node.httpsAddress, `https://127.0.0.1:${port}`);
        const ca = readFileSync(join(dir, 'midonet.crt'));
        const r = await httpsGet(port, '/midonet-api/', ca);
        assert.equal(r.status, 200, r.body);
        // absolute URIs carry the scheme and host the client used
        assert.equal((JSON.parse(r.body) as { uri: string }).uri, `https://localhost:${port}/midonet-api/`);
        await assert.rejects(httpsGet(port, '/midonet-api/'), /self[- ]signed/i);
        if (hasCurl) {
          const c = await curl(port, '/midonet-api/bridges');
          assert.equal(c.status, 200, c.out);
          assert.equal(c.out.trim(), '[]');
        }
        assert.equal((await fetch(`${node.apiUrl}/`, { headers: { 'X-Auth-Token': '0' } })).status, 200);
      } finally {
        await node.stop();
      }
    });
  }

  it('a wrong password: a loud error naming the problem (never the password); HTTP keeps serving', async () => {
    logs.clear();
    const node = await startNode({ 'cluster.rest_api.https_port': String(await freePort()) }, { path: join(dir, 'real.jks'), password: 'not-the-password' });
    try {
      assert.equal(node.https.state, 'failed');
      const line = await logs.waitFor((l) => l.includes('HTTPS disabled, the key store cannot be used'));
      const rec = JSON.parse(line) as { level: string; message: string };
      assert.equal(rec.level, 'error');
      assert.match(rec.message, /real\.jks: Keystore was tampered with, or password was incorrect/);
      assert.ok(!logs.text().includes('not-the-password'));
      assert.equal((await fetch(`${node.apiUrl}/`, { headers: { 'X-Auth-Token': '0' } })).status, 200);
    } finally {
      await node.stop();
    }
    const p12 = await startNode({ 'cluster.rest_api.https_port': String(await freePort()) }, { path: join(dir, 'midonet.jks'), password: 'nope-nope' });
    try {
      assert.equal(p12.https.state, 'failed');
      assert.match(p12.https.reason ?? '', /PKCS#12 key store: MAC verification failed, the password is wrong/);
    } finally {
      await p12.stop();
    }
  });

  it(
    'TLS 1.2 accepts forward-secret AEAD suites only (openssl s_client -cipher, every RSA suite OpenSSL knows); TLS 1.3 as is',
    { skip: hasOpenssl ? false : 'openssl is not installed' },
    async () => {
      const port = await freePort();
      const node = await startNode({ 'cluster.rest_api.https_port': String(port) }, { path: stores['PEM key + certificate'], password: PW });
      try {
        assert.equal(node.https.state, 'on', JSON.stringify(node.https));
        const accepted: string[] = [];
        for (const suite of rsaTls12Suites()) if (await handshake(port, ['-tls1_2', '-cipher', `${suite}:@SECLEVEL=0`])) accepted.push(suite);
        assert.deepEqual(accepted.sort(), ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']);
        for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
          assert.ok(await handshake(port, ['-tls1_3', '-ciphersuites', suite]), suite);
        }
        assert.equal(await handshake(port, ['-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']), false, 'TLS 1.1');
      } finally {
        await node.stop();
      }
    },
  );

  it(
    'cluster.rest_api.https_ciphers sets the TLS 1.2 list; one OpenSSL rejects leaves HTTPS off with an error',
    { skip: hasOpenssl ? false : 'openssl is not installed' },
    async () => {
      const port = await freePort();
      const node = await startNode(
        { 'cluster.rest_api.https_port': String(port), 'cluster.rest_api.https_ciphers': 'ECDHE-RSA-AES256-GCM-SHA384' },
        { path: stores['PEM key + certificate'], password: PW },
      );
      try {
        assert.equal(node.https.state, 'on', JSON.stringify(node.https));
        assert.ok(await handshake(port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']));
        assert.equal(await handshake(port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']), false);
      } finally {
        await node.stop();
      }
      logs.clear();
      const bad = await startNode(
        { 'cluster.rest_api.https_port': String(await freePort()), 'cluster.rest_api.https_ciphers': 'NO-SUCH-CIPHER' },
        { path: stores['PEM key + certificate'], password: PW },
      );
      try {
        assert.equal(bad.https.state, 'failed');
        const line = await logs.waitFor((l) => l.includes('HTTPS disabled: cluster.rest_api.https_ciphers'));
        assert.equal((JSON.parse(line) as { level: string }).level, 'error');
        assert.equal((await fetch(`${bad.apiUrl}/`, { headers: { 'X-Auth-Token': '0' } })).status, 200);
      } finally {
        await bad.stop();
      }
    },
  );

  it('a corrupt key store is a loud error too', async () => {
    const bad = join(dir, 'corrupt.jks');
    const bytes = readFileSync(join(dir, 'real.jks'));
    writeFileSync(bad, bytes.subarray(0, bytes.length - 100));
    const node = await startNode({ 'cluster.rest_api.https_port': String(await freePort()) }, { path: bad, password: PW });
    try {
      assert.equal(node.https.state, 'failed');
      assert.match(node.https.reason ?? '', /corrupt\.jks/);
    } finally {
      await node.stop();
    }
  });

  it('an HTTPS port in use: the error line names cluster.rest_api.https_port; HTTP keeps serving', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    logs.clear();
    try {
      const node = await startNode({ 'cluster.rest_api.https_port': String(port) }, { path: join(dir, 'real.jks'), password: PW });
      try {
        assert.equal(node.https.state, 'failed');
        const expected = `cannot listen on 127.0.0.1:${port}: the port is in use by another process; set cluster.rest_api.https_port to a free one (--set cluster.rest_api.https_port=PORT)`;
        assert.equal(node.https.reason, expected);
        const rec = JSON.parse(await logs.waitFor((l) => l.includes('HTTPS disabled: cannot listen'))) as { level: string; message: string };
        assert.deepEqual([rec.level, rec.message], ['error', `HTTPS disabled: ${expected}`]);
        assert.equal((await fetch(`${node.apiUrl}/`, { headers: { 'X-Auth-Token': '0' } })).status, 200);
      } finally {
        await node.stop();
      }
    } finally {
      busy.close();
    }
  });

  it('a missing key store file: HTTPS off, the log names the path', async () => {
    logs.clear();
    const missing = join(dir, 'nowhere', 'midonet.jks');
    const node = await startNode({ 'cluster.rest_api.https_port': String(await freePort()) }, { path: missing, password: PW });
    try {
      assert.equal(node.https.state, 'off');
      await logs.waitFor((l) => l.includes(`Keystore file not found: ${missing} HTTPS will be disabled`));
      assert.equal((await fetch(`${node.apiUrl}/`, { headers: { 'X-Auth-Token': '0' } })).status, 200);
    } finally {
      await node.stop();
    }
  });

  it('https_port 0 (or less): HTTPS off with the original log line', async () => {
    for (const p of ['0', '-1']) {
      logs.clear();
      const node = await startNode({ 'cluster.rest_api.https_port': p }, { path: join(dir, 'real.jks'), password: PW });
      try {
        assert.equal(node.https.state, 'off');
        assert.equal(node.httpsAddress, undefined);
        await logs.waitFor((l) => l.includes('HTTPS explicitly disabled: port is not positive'));
      } finally {
        await node.stop();
      }
    }
  });

  it("X-Forwarded-Proto / -Host over plain HTTP give the load balancer's scheme and host in uris", async () => {
    const node = await startNode({ 'cluster.rest_api.https_port': '0' });
    try {
      const r = await fetch(`${node.apiUrl}/`, { headers: { 'X-Auth-Token': '0', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'vip.example.net' } });
      const body = (await r.json()) as { uri: string; bridges: string };
      assert.equal(body.uri, 'https://vip.example.net/midonet-api/');
      assert.equal(body.bridges, 'https://vip.example.net/midonet-api/bridges');
    } finally {
      await node.stop();
    }
  });

  it("the launcher path: main.ts reads the seed's two JVM_OPTS lines from --env-file", { skip: hasCurl ? false : 'curl is not installed' }, async () => {
    const { connectString } = await getTestZooKeeper();
    const httpsPort = await freePort();
    const envFile = join(dir, 'midonet-cluster-env.sh');
    writeFileSync(
      envFile,
      `# operator's additions\nJVM_OPTS="$JVM_OPTS -Dmidonet.keystore_path=${join(dir, 'midonet.jks')}"\nJVM_OPTS="$JVM_OPTS -Dmidonet.keystore_password=${PW}"\n`,
    );
    const conf = join(dir, 'midonet.conf');
    writeFileSync(conf, `[zookeeper]\nzookeeper_hosts = ${connectString}\nroot_key = ${uniqueRootKey()}\n`);
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    delete childEnv['MIDONET_KEYSTORE_PATH'];
    delete childEnv['MIDONET_KEYSTORE_PASSWORD'];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '../../services/cluster-node/main.ts'),
        '--conf',
        conf,
        '--host-id-file',
        join(dir, 'host_id.properties'),
        '--env-file',
        envFile,
        '--set',
        'cluster.rest_api.http_host=127.0.0.1',
        '--set',
        'cluster.rest_api.http_port=0',
        '--set',
        'cluster.rest_api.https_host=127.0.0.1',
        '--set',
        `cluster.rest_api.https_port=${httpsPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes(`REST API listening on https://127.0.0.1:${httpsPort}`)) {
        if (child.exitCode !== null || Date.now() > deadline) assert.fail(`node did not serve HTTPS:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const c = await curl(httpsPort, '/midonet-api/bridges');
      assert.equal(c.status, 200, c.out);
      assert.ok(!out.includes(PW), 'the key store password was logged');
      assert.match(out, /"pathFrom":"env-file"/);
      // where the password came from is no secret (its value is)
      assert.match(out, /"passwordFrom":"env-file"/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
