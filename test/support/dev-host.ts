/**
 * Hosts registered for real, as `midonet-cluster dev add-host --alive` does it: the command runs
 * as a child process against the test ZooKeeper and root key, holds the host's `alive` key while it
 * runs, and is stopped (or killed) by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = resolve(PROJECT, 'services/cluster-node/main.ts');

export interface AliveHost {
  id: string;
  child: ChildProcess;
  /** SIGKILL: the session is not closed, the alive key goes when it expires */
  kill(): Promise<void>;
  /** SIGTERM: the command closes its session, the alive key goes at once */
  stop(): Promise<void>;
}

export async function startAliveHost(zkConnect: string, rootKey: string, id: string, name = `host-${id.slice(0, 8)}`): Promise<AliveHost> {
  const env: NodeJS.ProcessEnv = { ...process.env, MIDO_ZOOKEEPER_HOSTS: zkConnect, MIDO_ZOOKEEPER_ROOT_KEY: rootKey };
  delete env['MIDONET_CONF'];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev', 'add-host', '--id', id, '--name', name, '--alive'], {
    env,
    cwd: PROJECT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<void>((res) => child.once('exit', () => res()));
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes('\n')) res();
    });
    void exit.then(() => rej(new Error(`dev add-host exited before the host was alive: ${err}`)));
  });
  const end = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exit;
  };
  return { id, child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
