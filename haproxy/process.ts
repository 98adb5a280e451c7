/**
 * Running Debian's HAProxy (2.6) the way /work/shared/runbooks/debian-test-servers.md §2 verified:
 * daemon mode with a pid file (`haproxy -D -f CFG -p PIDFILE`), zero-downtime reload by starting a
 * new process that takes over the listening sockets from the old one through the stats socket
 * (`-x SOCK`, needs `expose-fd listeners`) and tells it to finish its connections and exit
 * (`-sf OLDPID`); the new process rewrites the pid file. Configs are checked with `haproxy -c`.
 * Processes are always addressed by the pid in their pid file, never by name.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HAPROXY_BIN = 'haproxy';

export interface HaproxyRun {
  /** haproxy executable, default `haproxy` from PATH */
  bin?: string;
  configFile: string;
  pidFile: string;
  /** the config's stats socket: reloads pass the listeners through it (-x) when it exists */
  statsSocket?: string;
}

export interface CheckResult {
  ok: boolean;
  /** haproxy's output (notices, warnings, alerts) */
  output: string;
  /** lines with [WARNING] */
  warnings: string[];
}

export class HaproxyError extends Error {
  override name = 'HaproxyError';
}

function run(bin: string, args: string[], timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(
        new HaproxyError(
          `cannot run ${bin}: ${e.message}${(e as NodeJS.ErrnoException).code === 'ENOENT' ? " (install Debian's package: apt-get install haproxy)" : ''}`,
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** `haproxy -c -f FILE`. */
export async function checkConfigFile(file: string, bin = DEFAULT_HAPROXY_BIN): Promise<CheckResult> {
  const { code, output } = await run(bin, ['-c', '-f', file]);
  return { ok: code === 0, output, warnings: output.split('\n').filter((l) => l.includes('[WARNING]')) };
}

/** `haproxy -c` on a config given as text (through a temporary file). */
export async function checkConfigText(text: string, bin = DEFAULT_HAPROXY_BIN): Promise<CheckResult> {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-check-'));
  try {
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, text);
    return await checkConfigFile(file, bin);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pids in a pid file (one per line); [] if it is missing or empty. */
export function readPids(pidFile: string): number[] {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

export function isAlive(pid: number): boolean {
  // A zombie counts as gone: HAProxy's daemon is re-parented to init, so a zombie is short-lived,
  // but /proc tells the truth where kill(pid, 0) would not.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Live pids of the pid file. */
export function runningPids(pidFile: string): number[] {
  return readPids(pidFile).filter(isAlive);
}

/** Starts HAProxy as a daemon; resolves with its pid (read from the pid file it wrote). */
export async function startHaproxy(r: HaproxyRun): Promise<number> {
  const bin = r.bin ?? DEFAULT_HAPROXY_BIN;
  const { code, output } = await run(bin, ['-D', '-f', r.configFile, '-p', r.pidFile]);
  if (code !== 0) throw new HaproxyError(`haproxy did not start (exit ${code}): ${output.trim()}`);
  const [pid] = runningPids(r.pidFile);
  if (pid === undefined) throw new HaproxyError(`haproxy started but ${r.pidFile} names no live process: ${output.trim()}`);
  return pid;
}

/**
 * Zero-downtime reload: a new process with the current config takes over the listeners (-x,
 * when the stats socket exists) and the old one(s) finish their connections and exit (-sf).
 * Resolves with the old pids and the new pid. If nothing runs, it starts HAProxy instead.
 */
export async function reloadHaproxy(r: HaproxyRun): Promise<{ oldPids: number[]; pid: number }> {
  const bin = r.bin ?? DEFAULT_HAPROXY_BIN;
  const oldPids = runningPids(r.pidFile);
  if (oldPids.length === 0) return { oldPids, pid: await startHaproxy(r) };
  const args = ['-D', '-f', r.configFile, '-p', r.pidFile];
  if (r.statsSocket && existsSync(r.statsSocket)) args.push('-x', r.statsSocket);
  args.push('-sf', ...oldPids.map(String));
  const { code, output } = await run(bin, args);
  if (code !== 0) throw new HaproxyError(`haproxy reload failed (exit ${code}); the old process keeps running: ${output.trim()}`);
  const pid = runningPids(r.pidFile).find((p) => !oldPids.includes(p));
  if (pid === undefined) throw new HaproxyError(`haproxy reload: ${r.pidFile} names no new live process: ${output.trim()}`);
  return { oldPids, pid };
}

/** Stops the pid file's processes (SIGTERM, SIGKILL after timeoutMs); resolves when they are gone. */
export async function stopHaproxy(pidFile: string, timeoutMs = 5000): Promise<void> {
  const pids = runningPids(pidFile);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL');
  while (pids.some(isAlive)) await new Promise((r) => setTimeout(r, 20));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** One runtime API command over the stats socket; resolves with the answer. */
export function runtimeCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new HaproxyError(`no answer on ${socketPath} to '${command}' within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (d: Buffer) => (out += d.toString()));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new HaproxyError(`runtime API ${socketPath}: ${e.message}`));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** `show servers state` into the server-state-file, so the next process starts with the same states. */
export async function saveServerState(socketPath: string, file: string): Promise<void> {
  const state = await runtimeCommand(socketPath, 'show servers state');
  // An answer without the version header is an error message: keep the old file then.
  if (!/^\d+\n/.test(state)) throw new HaproxyError(`unexpected 'show servers state' answer: ${state.slice(0, 200)}`);
  writeFileSync(file, state);
}

/** `show stat` as rows of (proxy, server, status), e.g. ['midonet_api', 'n1', 'UP']. */
export async function serverStatus(socketPath: string): Promise<{ proxy: string; server: string; status: string }[]> {
  const csv = await runtimeCommand(socketPath, 'show stat');
  return csv
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(','))
    .map((f) => ({ proxy: f[0] ?? '', server: f[1] ?? '', status: f[17] ?? '' }));
}
