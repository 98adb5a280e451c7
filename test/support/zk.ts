/**
 * A real ZooKeeper for integration tests. CI (.ci/run) starts one server for the whole run and
 * passes it in MIDO_TEST_ZK; otherwise each test process starts its own on a free loopback port
 * (tickTime 500, so short session timeouts can be negotiated) with its data in a temp dir, and
 * stops it when the process ends. Tests share a server and isolate themselves by root key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalZooKeeper, type LocalZooKeeper } from '../../lib/zk/local-server.js';

export interface TestZooKeeper {
  connectString: string;
}

let started: Promise<TestZooKeeper> | undefined;
let local: { server: LocalZooKeeper; dir: string } | undefined;

export function getTestZooKeeper(): Promise<TestZooKeeper> {
  const fromEnv = process.env['MIDO_TEST_ZK']?.trim();
  if (fromEnv) return Promise.resolve({ connectString: fromEnv });
  started ??= startOwn().catch((e: unknown) => {
    started = undefined;
    throw e;
  });
  return started;
}

async function startOwn(): Promise<TestZooKeeper> {
  const dir = mkdtempSync(join(tmpdir(), 'mido-test-zk-'));
  let server: LocalZooKeeper;
  try {
    server = await startLocalZooKeeper({ dataDir: dir, tickTimeMs: 500, heapMb: 256 });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  local = { server, dir };
  installCleanup();
  return { connectString: server.connectString };
}

/** Stops this process's own server now (no-op when using MIDO_TEST_ZK or when none was started). */
export async function stopTestZooKeeper(): Promise<void> {
  const l = local;
  local = undefined;
  started = undefined;
  if (!l) return;
  await l.server.stop();
  rmSync(l.dir, { recursive: true, force: true });
}

let cleanupInstalled = false;
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  // Normal end of a test file: the event loop drains (the server's handle is unref'd), so there
  // is still time to stop it properly and wait for it.
  process.on('beforeExit', () => {
    if (local) void stopTestZooKeeper();
  });
  // Anything else (process.exit, an uncaught error): only synchronous work is possible.
  process.on('exit', () => {
    const l = local;
    if (!l) return;
    try {
      process.kill(l.server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(l.dir, { recursive: true, force: true });
  });
  // The server runs in its own process group, so a Ctrl-C does not reach it: stop it, then let
  // the signal do what it would have done.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stopTestZooKeeper().finally(() => process.kill(process.pid, sig));
    });
  }
}

/** A root key of its own (e.g. `/mn-test-3f9a0c12d4e5`), so tests never see each other's data. */
export function uniqueRootKey(): string {
  return `/mn-test-${randomBytes(6).toString('hex')}`;
}
