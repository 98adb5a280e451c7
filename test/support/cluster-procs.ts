/**
 * Real processes for the failover suites: cluster nodes (`node --import tsx
 * services/cluster-node/main.ts --set ...` with MIDO_ZOOKEEPER_HOSTS / MIDO_ZOOKEEPER_ROOT_KEY),
 * and the HAProxy in front of them, kept in line with service discovery by
 * `midonet-cluster haproxy-config --watch` (its own process; HAProxy is a daemon whose pid is in
 * the pid file). Everything is on loopback and stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { runningPids, serverStatus, stopHaproxy } from '../../haproxy/process.js';
import { freePort, PROJECT } from './mn-conf.js';
import { pollFor, sleep } from './wait.js';

const MAIN = join(PROJECT, 'services/cluster-node/main.ts');

export const HAVE_HAPROXY = spawnSync('haproxy', ['-v']).status === 0;

export { sleep };

/** Polls `fn` every `everyMs` until it returns a value other than undefined/false; throws after timeoutMs. */
export function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  return pollFor(what, fn, timeoutMs, everyMs);
}

export interface Readiness {
  status: number;
  body?: {
    ready: boolean;
    reasons: string[];
    hostId: string;
    leaders: Record<string, { self: boolean; leader: string | null }>;
    checks: { zookeeper: { state: string; sessions: number } };
  };
}

/** GET /readyz on a node port; status 0 when nothing answers. */
export async function readyz(port: number, timeoutMs = 2000): Promise<Readiness> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as Readiness['body'] };
    } catch {
      return { status: res.status };
    }
  } catch {
    return { status: 0 };
  }
}

export interface NodeProcOptions {
  zk: string;
  rootKey: string;
  /** the node's directory: host id file, log */
  dir: string;
  port: number;
  /** extra --set KEY=VALUE */
  set?: Record<string, string>;
  /** the host id file (default <dir>/host_id.properties): two nodes given one file share a host id */
  hostIdFile?: string;
}

/** One cluster node process; restartable (same port, same host id). */
export class NodeProc {
  proc?: ChildProcess;
  private log?: WriteStream;
  private exit?: Promise<number | null>;
  /** pid of the current process */
  pid = 0;
  /** what the current process wrote on stderr (log lines go to stdout; errors to stderr) */
  stderr = '';

  constructor(
    readonly name: string,
    private readonly opts: NodeProcOptions,
  ) {
    mkdirSync(opts.dir, { recursive: true });
  }

  get port(): number {
    return this.opts.port;
  }

  get logFile(): string {
    return join(this.opts.dir, 'node.log');
  }

  /** The host id (the discovery instance id and HAProxy server name), once the node wrote it. */
  get hostIdFile(): string {
    return this.opts.hostIdFile ?? join(this.opts.dir, 'host_id.properties');
  }

  get hostId(): string {
    const text = readFileSync(this.hostIdFile, 'utf8');
    return /host_uuid\s*=\s*(\S+)/.exec(text)?.[1] ?? '';
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is running`);
    const sets = { 'cluster.rest_api.http_host': '127.0.0.1', 'cluster.rest_api.http_port': String(this.opts.port), ...this.opts.set };
    const args = ['--import', 'tsx', MAIN, '--host-id-file', this.hostIdFile, '--log-format', 'text'];
    for (const [k, v] of Object.entries(sets)) args.push('--set', `${k}=${v}`);
    const env: NodeJS.ProcessEnv = { ...process.env, MIDO_ZOOKEEPER_HOSTS: this.opts.zk, MIDO_ZOOKEEPER_ROOT_KEY: this.opts.rootKey };
    delete env['MIDONET_CONF'];
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    const proc = spawn(process.execPath, args, { cwd: PROJECT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(this.log, { end: false });
    proc.stderr?.pipe(this.log, { end: false });
    this.stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc = proc;
    this.pid = proc.pid ?? 0;
    this.exit = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** Waits until /readyz answers 200. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await until(
      `${this.name} ready`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited (${String(this.proc?.exitCode)}); log ${this.logFile}:\n${this.tail()}`);
        return (await readyz(this.opts.port)).status === 200;
      },
      timeoutMs,
    );
  }

  /** Waits for the process to exit by itself; resolves with the exit code. */
  async exited(timeoutMs = 60_000): Promise<number | null> {
    return until(`${this.name} exited`, () => (this.running ? undefined : { code: this.proc?.exitCode ?? null }), timeoutMs).then((r) => r.code);
  }

  /** SIGTERM (drain) and wait for the exit; resolves with the exit code. */
  async terminate(timeoutMs = 60_000): Promise<number | null> {
    if (!this.running) return this.proc?.exitCode ?? null;
    this.proc?.kill('SIGTERM');
    const timer = setTimeout(() => this.proc?.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code ?? null;
  }

  /** kill -9 and wait until it is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.proc?.kill('SIGKILL');
    await this.exit;
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops it whatever state it is in (for after hooks). */
  async cleanup(): Promise<void> {
    if (this.running) {
      this.proc?.kill('SIGKILL');
      await this.exit;
    }
    this.log?.end();
  }
}

export interface HaproxyFrontOptions {
  zk: string;
  rootKey: string;
  dir: string;
}

/**
 * HAProxy on a free VIP port in front of the nodes registered under rootKey, kept up to date by
 * `midonet-cluster haproxy-config --watch` (checks every 500 ms, up after 1, down after 2).
 */
export class HaproxyFront {
  vipPort = 0;
  private watcher?: ChildProcess;
  private watcherExit?: Promise<number | null>;
  private out = '';
  readonly socket: string;
  readonly pidFile: string;
  readonly configFile: string;

  constructor(private readonly opts: HaproxyFrontOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.socket = join(opts.dir, 'haproxy.sock');
    this.pidFile = join(opts.dir, 'haproxy.pid');
    this.configFile = join(opts.dir, 'haproxy.cfg');
  }

  get vip(): string {
    return `http://127.0.0.1:${this.vipPort}/midonet-api`;
  }

  /** Starts the watcher; resolves once HAProxy serves with at least `nodes` servers UP. */
  async start(nodes: number, timeoutMs = 30_000): Promise<void> {
    this.vipPort = await freePort();
    const args = [
      '--import',
      'tsx',
      MAIN,
      'haproxy-config',
      '--vip',
      `127.0.0.1:${this.vipPort}`,
      '--watch',
      '-o',
      this.configFile,
      '--haproxy-pid-file',
      this.pidFile,
      '--stats-socket',
      this.socket,
      '--server-state-file',
      join(this.opts.dir, 'server-state'),
      '--log',
      'none',
      '--check-inter',
      '500ms',
      '--check-rise',
      '1',
      '--check-fall',
      '2',
      '--zookeeper-hosts',
      this.opts.zk,
      '--root-key',
      this.opts.rootKey,
    ];
    const proc = spawn(process.execPath, args, { cwd: PROJECT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.watcher = proc;
    this.watcherExit = new Promise((r) => proc.once('exit', (code) => r(code)));
    await this.waitUp(nodes, timeoutMs);
  }

  /** Servers of the backend and their status (UP, DOWN, MAINT, ...). */
  async servers(): Promise<{ server: string; status: string }[]> {
    if (!existsSync(this.socket)) return [];
    const rows = await serverStatus(this.socket);
    return rows
      .filter((r) => r.proxy === 'midonet_api' && r.server !== 'FRONTEND' && r.server !== 'BACKEND')
      .map((r) => ({ server: r.server, status: r.status }));
  }

  /** Waits until at least n servers are UP (and, given ids, those are among them). */
  async waitUp(n: number, timeoutMs = 30_000, ids: string[] = []): Promise<void> {
    await until(
      `HAProxy with ${n} servers UP`,
      async () => {
        if (this.watcher?.exitCode !== null && this.watcher?.exitCode !== undefined) throw new Error(`haproxy-config --watch exited:\n${this.out}`);
        if (runningPids(this.pidFile).length === 0) return false;
        const up = (await this.servers()).filter((s) => s.status === 'UP').map((s) => s.server);
        return up.length >= n && ids.every((id) => up.includes(id));
      },
      timeoutMs,
      100,
    );
  }

  /** Backend counters from `show stat`: retries and redispatches. */
  async counters(): Promise<{ retries: number; redispatches: number }> {
    const { runtimeCommand } = await import('../../haproxy/process.js');
    const csv = await runtimeCommand(this.socket, 'show stat');
    const row =
      csv
        .split('\n')
        .find((l) => l.startsWith('midonet_api,BACKEND,'))
        ?.split(',') ?? [];
    return { retries: Number(row[15] ?? 0), redispatches: Number(row[16] ?? 0) };
  }

  get watcherOutput(): string {
    return this.out;
  }

  async stop(): Promise<void> {
    if (this.watcher && this.watcher.exitCode === null) {
      this.watcher.kill('SIGTERM');
      const timer = setTimeout(() => this.watcher?.kill('SIGKILL'), 10_000);
      await this.watcherExit;
      clearTimeout(timer);
    }
    await stopHaproxy(this.pidFile);
  }
}
