/** What the benchmarks run against: a local ZooKeeper and cluster nodes as child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pickFreePort, startLocalZooKeeper, type LocalZooKeeper } from '../../lib/zk/local-server.js';

export const PROJECT_DIR = resolve(import.meta.dirname, '../..');

export async function startZooKeeper(): Promise<LocalZooKeeper & { cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mido-bench-zk-'));
  const zk = await startLocalZooKeeper({ dataDir: dir, heapMb: 1024 });
  return Object.assign(zk, {
    async cleanup() {
      await zk.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export interface ChildServer {
  url: string;
  pid: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the fields after the command name (which may hold spaces) in parentheses
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function waitHttp(url: string, proc: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url, { headers: { 'X-Auth-Token': 'bench' } });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };
}

/**
 * A cluster node as it runs in production (its own process), or the bench-only global-lock
 * variant (bench/global-lock-node.ts), on a free loopback port.
 */
export async function startNode(opts: {
  zk: string;
  rootKey: string;
  variant?: 'normal' | 'global-lock';
  logDir: string;
  /** extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] (bench/profile.ts) */
  execArgv?: string[];
  /** extra settings, as --set KEY=VALUE (bench/abuse.ts; `cluster.rest_api.cache.enabled: 'false'` in bench/run.ts) */
  set?: Record<string, string>;
}): Promise<ChildServer> {
  const port = await pickFreePort();
  const entry = opts.variant === 'global-lock' ? join(PROJECT_DIR, 'bench/global-lock-node.ts') : join(PROJECT_DIR, 'services/cluster-node/main.ts');
  const hostIdFile = join(opts.logDir, `host-id-${port}.properties`);
  const log = openSync(join(opts.logDir, `node-${port}.log`), 'a');
  const proc = spawn(
    process.execPath,
    [
      ...(opts.execArgv ?? []),
      '--import',
      'tsx',
      entry,
      '--host-id-file',
      hostIdFile,
      '--set',
      `cluster.rest_api.http_port=${port}`,
      '--set',
      'cluster.rest_api.http_host=127.0.0.1',
      ...Object.entries(opts.set ?? {}).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
    ],
    {
      cwd: PROJECT_DIR,
      env: { ...process.env, MIDO_ZOOKEEPER_HOSTS: opts.zk, MIDO_ZOOKEEPER_ROOT_KEY: opts.rootKey },
      stdio: ['ignore', log, log],
    },
  );
  const url = `http://127.0.0.1:${port}/midonet-api`;
  await waitHttp(`${url}/`, proc);
  return { url, pid: proc.pid as number, proc, stop: stopper(proc) };
}

/** A trivial server (bench/trivial-server.ts): `express` (as the node sets it up), `express-defaults` or raw `http`. */
export async function startTrivial(kind: 'express' | 'express-defaults' | 'http' | 'zk-read', ...args: string[]): Promise<ChildServer> {
  const port = await pickFreePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_DIR, 'bench/trivial-server.ts'), kind, String(port), ...args], {
    cwd: PROJECT_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/ping`, proc);
  return { url, pid: proc.pid as number, proc, stop: stopper(proc) };
}

/**
 * The REST API served by the node's Express application (as the node runs it, or on node:http's
 * stock request classes) or by the same stages on bare node:http (bench/http-layer-server.ts),
 * its log (JSON access lines) in `logDir`.
 */
export async function startHttpLayer(kind: 'express' | 'express-swapped' | 'bare', zk: string, rootKey: string, logDir: string): Promise<ChildServer> {
  const port = await pickFreePort();
  const log = openSync(join(logDir, `http-layer-${kind}-${port}.log`), 'a');
  const proc = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_DIR, 'bench/http-layer-server.ts'), kind, String(port), zk, rootKey], {
    cwd: PROJECT_DIR,
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}/midonet-api`;
  await waitHttp(`${url}/`, proc);
  return { url, pid: proc.pid as number, proc, stop: stopper(proc) };
}
