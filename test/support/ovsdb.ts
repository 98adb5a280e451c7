/**
 * A real hardware VTEP database for tests: Debian's ovsdb-server (package openvswitch-common)
 * serving /usr/share/openvswitch/vtep.ovsschema (package openvswitch-vtep) on a free loopback
 * port, as a child process this module owns and stops by PID.
 *
 * As the runbook (debian-test-servers.md §4) found: the database gets its Global root row at
 * creation (vtep-ctl would add it, a raw client expects it); --unixctl, --pidfile and --log-file
 * point into the instance directory (their defaults are under /var); the listener is a plain
 * `ptcp:` remote, so ovsdb-server's inactivity probe is on (an echo after 5 s idle, disconnect
 * after 10 s unanswered), as on a real VTEP.
 *
 * vtepCtl() and dump() drive the database with Open vSwitch's own tools, independently of the
 * project's client. restart() stops the server and starts it again on the same port with the
 * same database file; pause()/resume() freeze it (SIGSTOP/SIGCONT): a peer that accepts TCP but
 * never answers.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processExists } from '../../lib/zk/local-server.js';
import { sleep } from './wait.js';

const run = promisify(execFile);

export const VTEP_SCHEMA = '/usr/share/openvswitch/vtep.ovsschema';
const OVSDB_SERVER = existsSync('/usr/sbin/ovsdb-server') ? '/usr/sbin/ovsdb-server' : 'ovsdb-server';
const STOP_GRACE_MS = 10_000;
const START_TIMEOUT_MS = 15_000;

export interface VtepServer {
  /** the loopback address it listens on (127.0.0.1 unless asked: VTEPs are told apart by IP) */
  readonly host: string;
  readonly port: number;
  /** the running server's PID (changes with restart) */
  readonly pid: number;
  readonly dir: string;
  readonly dbFile: string;
  readonly logFile: string;
  /** `tcp:<host>:<port>`, for Open vSwitch's tools */
  readonly target: string;
  /** `vtep-ctl --db=tcp:127.0.0.1:PORT ARGS...`; resolves with its stdout, rejects with its stderr */
  vtepCtl(...args: string[]): Promise<string>;
  /** the table's rows (the named columns, or all) as `ovsdb-client dump` prints them, one object per row */
  dump(table: string, ...columns: string[]): Promise<Record<string, unknown>[]>;
  /** `ovsdb-client transact` of operations on hardware_vtep; resolves with the parsed result */
  transact(...ops: object[]): Promise<unknown[]>;
  /** SIGTERM by PID, then SIGKILL after 10 s; idempotent */
  stop(): Promise<void>;
  /** starts it again (stopping it first if running) on the same port, same database file */
  restart(): Promise<void>;
  /** freezes the process: TCP connections still open, nothing answered */
  pause(): void;
  resume(): void;
  /** stop, and remove the instance directory */
  destroy(): Promise<void>;
}

const live = new Set<number>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  // A test process that ends abruptly can only signal synchronously; a frozen server would ignore SIGTERM.
  process.on('exit', () => {
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export function vtepToolsInstalled(): boolean {
  return existsSync(VTEP_SCHEMA) && (existsSync('/usr/sbin/ovsdb-server') || existsSync('/usr/bin/ovsdb-server'));
}

export async function startVtepServer(opts: { dir?: string; host?: string } = {}): Promise<VtepServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!existsSync(VTEP_SCHEMA)) {
    throw new Error(`${VTEP_SCHEMA} is missing: install Debian's openvswitch-vtep (apt-get install openvswitch-vtep)`);
  }
  installCleanup();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mido-vtep-'));
  const dbFile = join(dir, 'vtep.db');
  const logFile = join(dir, 'ovsdb-server.log');
  await run('ovsdb-tool', ['create', dbFile, VTEP_SCHEMA]);
  await run('ovsdb-tool', ['transact', dbFile, JSON.stringify(['hardware_vtep', { op: 'insert', table: 'Global', row: {} }])]);

  let port = 0;
  let pid = 0;
  let exited: { code?: number | string } = {};
  let stopping: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    const logStart = existsSync(logFile) ? readFileSync(logFile).length : 0;
    const outFd = openSync(join(dir, 'ovsdb-server.out'), 'a');
    const args = [
      dbFile,
      `--remote=ptcp:${port}:${host}`,
      `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
      `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
      `--log-file=${logFile}`,
      '-vconsole:off',
    ];
    const child = spawn(OVSDB_SERVER, args, { stdio: ['ignore', outFd, outFd], detached: true });
    closeSync(outFd);
    child.unref();
    const state: { code?: number | string } = {};
    exited = state;
    child.once('exit', (code, sig) => {
      state.code = code ?? sig ?? 'unknown';
      live.delete(child.pid ?? -1);
    });
    pid = await new Promise<number>((res, rej) => {
      child.once('spawn', () => res(child.pid as number));
      child.once('error', rej);
    });
    live.add(pid);
    stopping = undefined;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (state.code !== undefined)
        throw new Error(`ovsdb-server exited (${String(state.code)}) on start; log:\n${tail(logFile)}\n${tail(join(dir, 'ovsdb-server.out'))}`);
      if (port === 0) {
        const log = existsSync(logFile) ? readFileSync(logFile).subarray(logStart).toString('utf8') : '';
        const m = /listening on port (\d+)/.exec(log);
        if (m) port = Number(m[1]);
      }
      if (port !== 0 && (await canConnect(host, port))) return;
      if (Date.now() > deadline) throw new Error(`ovsdb-server (pid ${pid}) not listening within ${START_TIMEOUT_MS} ms; log:\n${tail(logFile)}`);
      await sleep(20);
    }
  };

  const stop = (): Promise<void> => {
    const myPid = pid;
    const state = exited;
    stopping ??= (async () => {
      const gone = (): boolean => state.code !== undefined || !processExists(myPid);
      if (gone()) return;
      signal(myPid, 'SIGCONT'); // a paused server cannot act on SIGTERM
      signal(myPid, 'SIGTERM');
      const end = Date.now() + STOP_GRACE_MS;
      while (!gone() && Date.now() < end) await sleep(20);
      if (!gone()) {
        signal(myPid, 'SIGKILL');
        while (!gone()) await sleep(20);
      }
      live.delete(myPid);
    })();
    return stopping;
  };

  try {
    await launch();
  } catch (e) {
    await stop();
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const server: VtepServer = {
    host,
    get port() {
      return port;
    },
    get pid() {
      return pid;
    },
    dir,
    dbFile,
    logFile,
    get target() {
      return `tcp:${host}:${port}`;
    },
    vtepCtl: async (...args) => (await run('vtep-ctl', [`--db=tcp:${host}:${port}`, '--timeout=10', ...args])).stdout,
    dump: async (table, ...columns) => {
      const { stdout } = await run('ovsdb-client', ['--format=json', '--timeout=10', 'dump', `tcp:${host}:${port}`, 'hardware_vtep', table, ...columns]);
      const parsed = JSON.parse(stdout) as { headings: string[]; data: unknown[][] };
      return parsed.data.map((row) => Object.fromEntries(parsed.headings.map((h, i) => [h, row[i]])));
    },
    transact: async (...ops) => {
      const { stdout } = await run('ovsdb-client', ['--timeout=10', 'transact', `tcp:${host}:${port}`, JSON.stringify(['hardware_vtep', ...ops])]);
      return JSON.parse(stdout) as unknown[];
    },
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    pause: () => signal(pid, 'SIGSTOP'),
    resume: () => signal(pid, 'SIGCONT'),
    destroy: async () => {
      await stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}
