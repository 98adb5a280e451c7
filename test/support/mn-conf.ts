/**
 * Helpers for the configuration tests: mn-conf run as the real command (deploy/bin/mn-conf), a
 * cluster node run as a real process (its JSON log lines collected), a snapshot of the config
 * tree in ZooKeeper, free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZkClient } from '../../lib/zk/client.js';
import { isNoNode } from '../../lib/zk/errors.js';
import { pollFor } from './wait.js';

export const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MN_CONF = join(PROJECT, 'deploy/bin/mn-conf');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, with optional standard input. */
export function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    p.stdin.end(opts.stdin ?? '');
  });
}

/** `mn-conf ARGS` through the deploy wrapper. */
export function mnConf(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Run> {
  return run(MN_CONF, args, { env, stdin });
}

/** Every node under `<root>/config` with its data: to show that a refused command changed nothing. */
export async function snapshotConfig(zk: ZkClient, rootKey: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    try {
      const { data, stat } = await zk.getData(path);
      out[path] = `v${stat.version}:${data.toString('utf8')}`;
      for (const c of (await zk.getChildren(path)).children) await walk(`${path}/${c}`);
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
  };
  await walk(`${rootKey}/config`);
  return out;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePromise(port));
    });
  });
}

export function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  return pollFor(what, fn, timeoutMs, everyMs);
}

export interface NodeProcess {
  proc: ChildProcess;
  /** every JSON log line so far, parsed (other lines as { raw }) */
  records(): Record<string, unknown>[];
  output(): string;
  waitForRecord(pred: (r: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** A cluster node as its own process: `node --import tsx services/cluster-node/main.ts ARGS` (of `project`, default this one). */
export function startNodeProcess(args: string[], env: NodeJS.ProcessEnv, project = PROJECT): NodeProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(project, 'services/cluster-node/main.ts'), ...args], {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const records = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
  return {
    proc,
    records,
    output: () => out,
    waitForRecord: (pred, what, timeoutMs = 30_000) =>
      until(
        `node log: ${what}`,
        () => {
          if (proc.exitCode !== null) throw new Error(`the node exited (${proc.exitCode}):\n${out}`);
          return records().find(pred);
        },
        timeoutMs,
        50,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n--- node output ---\n${out}`);
      }),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
