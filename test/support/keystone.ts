/**
 * A real OpenStack Keystone (Debian's python3-keystone, Zed, identity API v3) for tests, run as a
 * plain process on a free loopback port with a sqlite database (../shared/runbooks
 * debian-test-servers.md §3): WSGI reference server `keystone-wsgi-public`, fernet tokens,
 * in-process dict cache, WAL journal (a stale sqlite lock after a 409 otherwise).
 *
 * Setting a Keystone up from nothing costs ~7-10 s (db_sync, bootstrap: each keystone-manage run
 * imports all of keystone). That is done once into a template folder under the temp dir, keyed
 * by the installed package's version (reused by later suites and runs); each suite copies the
 * template (database and keys) into a folder of its own and only starts the server (~3 s).
 * Started and stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KEYSTONE_ADMIN_PASSWORD = 'ks-admin-pw';
const WSGI = '/usr/bin/keystone-wsgi-public';
const MANAGE = '/usr/bin/keystone-manage';
const PYTHON = '/usr/bin/python3';

/** Whether Debian's Keystone is installed here. */
export function keystoneInstalled(): boolean {
  return existsSync(WSGI) && existsSync(MANAGE) && existsSync(PYTHON);
}

/**
 * For `describe(..., { skip })`: a reason to skip when Keystone is not installed; in CI
 * (`CI` set) a missing Keystone is a failure instead (.ci/run installs it).
 */
export function keystoneSkipReason(): string | false {
  if (keystoneInstalled()) return false;
  if (process.env['CI']) throw new Error('python3-keystone is not installed (.ci/run installs it)');
  return 'python3-keystone is not installed (apt-get install python3-keystone)';
}

function keystoneConf(dir: string): string {
  return `[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///${dir}/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = ${dir}/fernet-keys
[fernet_receipts]
key_repository = ${dir}/fernet-keys
[credential]
key_repository = ${dir}/credential-keys
[identity]
password_hash_rounds = 4
[cache]
enabled = true
backend = oslo_cache.dict
expiration_time = 600
`;
}

function run(cmd: string, args: string[], logFile: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  writeFileSync(logFile, `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}\n`, { flag: 'a' });
  if (r.status !== 0) throw new Error(`${cmd} ${args[0] ?? ''} failed (${r.status ?? r.error?.message}); see ${logFile}`);
}

function packageVersion(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'python3-keystone'], { encoding: 'utf8' });
  return (r.stdout || 'unknown').replace(/[^A-Za-z0-9.+-]/g, '_');
}

/** Keys as keystone-manage would make them: urlsafe base64 of 32 random bytes, padded. */
function writeKeys(dir: string): void {
  for (const d of ['fernet-keys', 'credential-keys']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
    for (const k of ['0', '1']) {
      writeFileSync(join(dir, d, k), randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'), { mode: 0o600 });
    }
  }
}

export interface TemplateInfo {
  dir: string;
  /** ms spent building it now (0 when it already existed) */
  builtMs: number;
}

/** The prepared template folder (database bootstrapped, keys), built once. */
export async function keystoneTemplate(): Promise<TemplateInfo> {
  const dir = join(tmpdir(), `mido-keystone-template-${packageVersion()}-${process.getuid?.() ?? 0}`);
  const ready = join(dir, 'READY');
  if (existsSync(ready)) return { dir, builtMs: 0 };
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(ready)) return { dir, builtMs: 0 };
      // a builder that died leaves its lock: take it over after 3 minutes
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (existsSync(ready)) return { dir, builtMs: 0 };
    const started = performance.now();
    const work = mkdtempSync(`${dir}.build-`);
    const log = join(work, 'setup.log');
    writeKeys(work);
    const conf = join(work, 'keystone.conf');
    writeFileSync(conf, keystoneConf(work));
    run(MANAGE, ['--config-file', conf, 'db_sync'], log);
    run(PYTHON, ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA journal_mode=WAL"); c.close()', join(work, 'keystone.db')], log);
    // the catalog URLs name a port; tests do not use the catalog (validation asks ?nocatalog)
    const url = 'http://127.0.0.1:5000/v3';
    run(
      MANAGE,
      [
        '--config-file',
        conf,
        'bootstrap',
        '--bootstrap-password',
        KEYSTONE_ADMIN_PASSWORD,
        '--bootstrap-username',
        'admin',
        '--bootstrap-project-name',
        'admin',
        '--bootstrap-role-name',
        'admin',
        '--bootstrap-service-name',
        'keystone',
        '--bootstrap-region-id',
        'RegionOne',
        '--bootstrap-public-url',
        url,
        '--bootstrap-internal-url',
        url,
        '--bootstrap-admin-url',
        url,
      ],
      log,
    );
    rmSync(conf);
    writeFileSync(join(work, 'READY'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    return { dir, builtMs: Math.round(performance.now() - started) };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

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

export interface KeystoneServer {
  /** e.g. http://127.0.0.1:40123 (no version) */
  url: string;
  /** url + /v3 */
  v3: string;
  port: number;
  pid: number;
  dir: string;
  /** ms from launch to answering GET /v3 */
  startupMs: number;
  /** ms spent building the template for this start (0 when it was there) */
  templateMs: number;
  running(): boolean;
  stop(): Promise<void>;
  admin: KeystoneAdmin;
}

/** Starts a Keystone from the template on a free loopback port. */
export async function startKeystone(): Promise<KeystoneServer> {
  const template = await keystoneTemplate();
  const dir = mkdtempSync(join(tmpdir(), 'mido-keystone-'));
  cpSync(template.dir, dir, { recursive: true });
  rmSync(join(dir, 'READY'), { force: true });
  const conf = join(dir, 'keystone.conf');
  writeFileSync(conf, keystoneConf(dir));
  const port = await freePort();
  const logFile = join(dir, 'keystone.log');
  const out = openSync(logFile, 'a');
  const started = performance.now();
  const child: ChildProcess = spawn(WSGI, ['--host', '127.0.0.1', '--port', String(port), '--', '--config-file', conf], {
    stdio: ['ignore', out, out],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  closeSync(out);
  let exited = false;
  // a test process that ends without calling stop() does not leave its Keystone behind
  const onExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.off('exit', onExit);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`keystone-wsgi-public exited before serving; log:\n${log}`);
    }
    try {
      const r = await fetch(`${url}/v3`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('keystone did not answer within 60 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startupMs = Math.round(performance.now() - started);
  return {
    url,
    v3: `${url}/v3`,
    port,
    pid: child.pid as number,
    dir,
    startupMs,
    templateMs: template.builtMs,
    running: () => !exited,
    stop,
    admin: new KeystoneAdmin(`${url}/v3`),
  };
}

type Json = Record<string, unknown>;

/** Keystone's admin API, as the bootstrap admin (project-scoped token, renewed on demand). */
export class KeystoneAdmin {
  private token?: string;
  constructor(readonly v3: string) {}

  /** A project-scoped token by password (201 and X-Subject-Token), or the HTTP status on refusal. */
  async passwordToken(user: string, password: string, project: string): Promise<string> {
    const r = await fetch(`${this.v3}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, password, domain: { id: 'default' } } } },
          scope: { project: { name: project, domain: { id: 'default' } } },
        },
      }),
    });
    const token = r.headers.get('x-subject-token');
    await r.text();
    if (r.status !== 201 || !token) throw new Error(`password auth of ${user} on ${project}: HTTP ${r.status}`);
    return token;
  }

  private async adminToken(): Promise<string> {
    this.token ??= await this.passwordToken('admin', KEYSTONE_ADMIN_PASSWORD, 'admin');
    return this.token;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
    const r = await fetch(`${this.v3}${path}`, {
      method,
      headers: { 'X-Auth-Token': await this.adminToken(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? (JSON.parse(text) as Json) : {} };
  }

  private async created(method: string, path: string, body: unknown, key: string): Promise<string> {
    const r = await this.call(method, path, body);
    if (r.status !== 201) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    return String((r.json[key] as Json)['id']);
  }

  createProject(name: string): Promise<string> {
    return this.created('POST', '/projects', { project: { name, domain_id: 'default', description: `project ${name}` } }, 'project');
  }

  createUser(name: string, password: string): Promise<string> {
    return this.created('POST', '/users', { user: { name, password, domain_id: 'default' } }, 'user');
  }

  createRole(name: string): Promise<string> {
    return this.created('POST', '/roles', { role: { name } }, 'role');
  }

  async roleId(name: string): Promise<string> {
    const r = await this.call('GET', `/roles?name=${encodeURIComponent(name)}`);
    const roles = r.json['roles'] as Json[];
    if (!roles?.[0]) throw new Error(`no role ${name}`);
    return String(roles[0]['id']);
  }

  async grant(projectId: string, userId: string, roleId: string): Promise<void> {
    const r = await this.call('PUT', `/projects/${projectId}/users/${userId}/roles/${roleId}`);
    if (r.status !== 204) throw new Error(`grant: HTTP ${r.status}`);
  }

  async revoke(token: string): Promise<void> {
    const r = await this.call('DELETE', '/auth/tokens', undefined, { 'X-Subject-Token': token });
    if (r.status !== 204) throw new Error(`revoke: HTTP ${r.status}`);
  }

  async projects(): Promise<{ id: string; name: string }[]> {
    const r = await this.call('GET', '/projects');
    return (r.json['projects'] as Json[]).map((p) => ({ id: String(p['id']), name: String(p['name']) }));
  }
}
