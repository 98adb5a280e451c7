/**
 * Runs Debian's ZooKeeper 3.8 (package `zookeeper`) as a standalone child process, the way
 * /work/shared/runbooks/debian-test-servers.md §1 verified: an explicit java command (Debian's
 * zkServer.sh turns on JMX, logs nowhere and writes to /var/log), a log4j binding on the class
 * path so the server logs at all, 4lw commands whitelisted for the readiness probe, the Jetty
 * admin server off (it would bind 0.0.0.0:8080), and the client port on loopback only.
 *
 * Layout under `dataDir` (the instance directory): `conf/zoo.cfg`, `conf/log4j.properties`,
 * `data/` (snapshots and transaction logs), `zookeeper.pid`, `zookeeper.log` (unless `logFile`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join, resolve } from 'node:path';
import { retry } from '../retry.js';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** Without an SLF4J binding the server runs silently (NOP logger), so add log4j 1.2 when present. */
const LOG_JARS = ['/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'];
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

export interface LocalZooKeeperOptions {
  /** client port on 127.0.0.1; 0 (default) picks a free one */
  port?: number;
  /** instance directory (created if missing); see the module comment for its layout */
  dataDir: string;
  /** -Xmx in MiB, default 256 */
  heapMb?: number;
  /** where the server's stdout/stderr (its log) go; default `<dataDir>/zookeeper.log` */
  logFile?: string;
  /**
   * ZooKeeper tickTime in ms, default 2000 (ZooKeeper's own default). The server only grants
   * session timeouts between 2 and 20 ticks, so tests that want short sessions use 500.
   */
  tickTimeMs?: number;
  /** how long to wait for `srvr` to report `Mode: standalone`, default 30000 */
  startTimeoutMs?: number;
  /** java executable, default `java` from PATH */
  java?: string;
}

export interface LocalZooKeeper {
  /** `127.0.0.1:<port>` */
  connectString: string;
  port: number;
  pid: number;
  dataDir: string;
  logFile: string;
  /** SIGTERM, wait for the exit, SIGKILL after 10 s; idempotent */
  stop(): Promise<void>;
}

export class LocalZooKeeperError extends Error {
  override name = 'LocalZooKeeperError';
}

const STOP_GRACE_MS = 10_000;
const PROBE_INTERVAL_MS = 100;
/** A picked free port can be taken by someone else before java binds it; try a few. */
const PORT_ATTEMPTS = 3;

export async function startLocalZooKeeper(opts: LocalZooKeeperOptions): Promise<LocalZooKeeper> {
  if (!existsSync(ZOOKEEPER_JAR)) {
    throw new LocalZooKeeperError(`ZooKeeper is not installed: ${ZOOKEEPER_JAR} is missing. Install Debian's package: apt-get install zookeeper`);
  }
  const wantedPort = opts.port ?? 0;
  // a free port picked here may be taken by someone else before ZooKeeper binds it: pick another
  return retry(async () => startOnce(opts, wantedPort === 0 ? await pickFreePort() : wantedPort), {
    baseMs: 0,
    maxAttempts: PORT_ATTEMPTS,
    isFinal: (e) => wantedPort !== 0 || !(e instanceof PortInUseError),
  });
}

class PortInUseError extends LocalZooKeeperError {}

export interface LocalEnsembleOptions {
  /** base directory; member i (1-based) lives in `<dir>/n<i>` (conf, data with myid, zookeeper.log) */
  dir: string;
  /** members, default 3 */
  size?: number;
  /** default 500 (short sessions for tests) */
  tickTimeMs?: number;
  /** -Xmx per member in MiB, default 192 */
  heapMb?: number;
  /** how long to wait for every member to serve (leader or follower), default 60000 */
  startTimeoutMs?: number;
  java?: string;
}

export interface EnsembleMember {
  /** the server id (myid), 1-based */
  id: number;
  clientPort: number;
  pid: number;
  logFile: string;
  /** false once it exited */
  alive(): boolean;
  /** `leader`, `follower`, `standalone`, or undefined when it does not serve (no quorum, down) */
  mode(): Promise<string | undefined>;
  /** a signal (default SIGKILL: a crash), then waits until it is gone */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, wait, SIGKILL after 10 s; idempotent */
  stop(): Promise<void>;
}

export interface LocalEnsemble {
  /** every member's client address, comma-separated */
  connectString: string;
  members: EnsembleMember[];
  /** the member that is leader now, if any */
  leader(): Promise<EnsembleMember | undefined>;
  /** resolves when every live member serves (leader or follower) */
  waitForQuorum(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A ZooKeeper ensemble of `size` servers on loopback, as the runbook's §1b does by hand: one
 * JVM per member, client/quorum/election ports picked free, `server.N` lines, `myid` files.
 * Resolves once every member reports `Mode: leader` or `Mode: follower` (quorum formed).
 */
export async function startLocalEnsemble(opts: LocalEnsembleOptions): Promise<LocalEnsemble> {
  if (!existsSync(ZOOKEEPER_JAR)) {
    throw new LocalZooKeeperError(`ZooKeeper is not installed: ${ZOOKEEPER_JAR} is missing. Install Debian's package: apt-get install zookeeper`);
  }
  const size = opts.size ?? 3;
  const base = resolve(opts.dir);
  const ports: number[] = [];
  while (ports.length < size * 3) {
    const p = await pickFreePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const client = (i: number): number => ports[i * 3];
  const serverLines = Array.from({ length: size }, (_, i) => `server.${i + 1}=127.0.0.1:${ports[i * 3 + 1]}:${ports[i * 3 + 2]}`);
  const members: EnsembleMember[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.stop()));
  };
  try {
    for (let i = 0; i < size; i++) {
      const dir = join(base, `n${i + 1}`);
      const confDir = join(dir, 'conf');
      const dataDir = join(dir, 'data');
      mkdirSync(confDir, { recursive: true });
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${i + 1}\n`);
      writeFileSync(
        join(confDir, 'zoo.cfg'),
        [
          `tickTime=${opts.tickTimeMs ?? 500}`,
          'initLimit=20',
          'syncLimit=10',
          `dataDir=${dataDir}`,
          `clientPort=${client(i)}`,
          'clientPortAddress=127.0.0.1',
          'maxClientCnxns=0',
          '4lw.commands.whitelist=*',
          'admin.enableServer=false',
          ...serverLines,
          '',
        ].join('\n'),
      );
      const logFile = join(dir, 'zookeeper.log');
      const { pid, exited } = await launch({ dir, confDir, logFile, heapMb: opts.heapMb ?? 192, java: opts.java });
      writeFileSync(join(dir, 'zookeeper.pid'), `${pid}\n`);
      const gone = (): boolean => exited.value !== undefined;
      let stopping: Promise<void> | undefined;
      const port = client(i);
      members.push({
        id: i + 1,
        clientPort: port,
        pid,
        logFile,
        alive: () => !gone(),
        mode: async () => {
          if (gone()) return undefined;
          const srvr = await fourLetterWord('127.0.0.1', port, 'srvr', 1000).catch(() => '');
          return /Mode: (\w+)/.exec(srvr)?.[1];
        },
        kill: async (sig: NodeJS.Signals = 'SIGKILL') => {
          if (gone()) return;
          signal(pid, sig);
          while (!gone() && processExists(pid)) await sleep(20);
        },
        stop: () => {
          stopping ??= stopProcess(pid, gone);
          return stopping;
        },
      });
    }
    const ensemble: LocalEnsemble = {
      connectString: members.map((m) => `127.0.0.1:${m.clientPort}`).join(','),
      members,
      leader: async () => {
        for (const m of members) if ((await m.mode()) === 'leader') return m;
        return undefined;
      },
      waitForQuorum: async (timeoutMs = opts.startTimeoutMs ?? 60_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const live = members.filter((m) => m.alive());
          const modes = await Promise.all(live.map((m) => m.mode()));
          if (live.length > 0 && modes.every((m) => m === 'leader' || m === 'follower') && modes.includes('leader')) return;
          if (Date.now() > deadline) {
            throw new LocalZooKeeperError(
              `ZooKeeper ensemble: no quorum within ${timeoutMs} ms (modes ${modes.map(String).join(', ')}). Last lines of ${members[0]?.logFile ?? '?'}:\n${logTail(members[0]?.logFile ?? '')}`,
            );
          }
          await sleep(PROBE_INTERVAL_MS);
        }
      },
      stop: stopAll,
    };
    await ensemble.waitForQuorum();
    return ensemble;
  } catch (e) {
    await stopAll();
    throw e;
  }
}

async function startOnce(opts: LocalZooKeeperOptions, port: number): Promise<LocalZooKeeper> {
  const dir = resolve(opts.dataDir);
  const confDir = join(dir, 'conf');
  const dataDir = join(dir, 'data');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const logFile = resolve(opts.logFile ?? join(dir, 'zookeeper.log'));
  const pidFile = join(dir, 'zookeeper.pid');
  const tickTime = opts.tickTimeMs ?? 2000;
  const heapMb = opts.heapMb ?? 256;

  writeFileSync(
    join(confDir, 'zoo.cfg'),
    [
      `tickTime=${tickTime}`,
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      '4lw.commands.whitelist=*',
      'admin.enableServer=false',
      '',
    ].join('\n'),
  );
  const { pid, exited } = await launch({ dir, confDir, logFile, heapMb, java: opts.java });
  writeFileSync(pidFile, `${pid}\n`);
  const exitedWith = (): number | string | undefined => exited.value;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= stopProcess(pid, () => exitedWith() !== undefined).finally(() => rmSync(pidFile, { force: true }));
    return stopped;
  };

  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exitedWith() !== undefined) {
      await stop();
      const tail = logTail(logFile);
      const msg = `ZooKeeper (pid ${pid}) exited with ${String(exitedWith())} before serving on 127.0.0.1:${port}. Last lines of ${logFile}:\n${tail}`;
      throw /Address already in use|BindException/.test(tail) ? new PortInUseError(msg) : new LocalZooKeeperError(msg);
    }
    const srvr = await fourLetterWord('127.0.0.1', port, 'srvr', 1000).catch(() => '');
    if (/Mode: standalone/.test(srvr)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new LocalZooKeeperError(
        `ZooKeeper (pid ${pid}) did not report 'Mode: standalone' on 127.0.0.1:${port} within ${timeoutMs} ms. Last lines of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  return { connectString: `127.0.0.1:${port}`, port, pid, dataDir: dir, logFile, stop };
}

/**
 * Writes the log4j configuration next to zoo.cfg and starts the server JVM on `<confDir>/zoo.cfg`
 * in its own process group, its output appended to logFile. `exited.value` is set when it exits.
 */
async function launch(o: {
  dir: string;
  confDir: string;
  logFile: string;
  heapMb: number;
  java?: string;
}): Promise<{ pid: number; exited: { value?: number | string } }> {
  const log4j = join(o.confDir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=INFO, CONSOLE',
      'log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender',
      'log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n',
      '',
    ].join('\n'),
  );
  const classPath = [o.confDir, ZOOKEEPER_JAR, ...LOG_JARS.filter((j) => existsSync(j))].join(':');
  const args = [
    `-Xms${Math.min(64, o.heapMb)}m`,
    `-Xmx${o.heapMb}m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xss512k',
    `-Dzookeeper.log.dir=${o.dir}`,
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    classPath,
    MAIN_CLASS,
    join(o.confDir, 'zoo.cfg'),
  ];

  const logFd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    // Own process group (detached) so a Ctrl-C aimed at the parent's group does not kill the
    // server behind the back of stop(); unref so the server never keeps the parent alive.
    child = spawn(o.java ?? 'java', args, { detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const exited: { value?: number | string } = {};
  child.once('exit', (code, sig) => (exited.value = code ?? sig ?? 'unknown'));
  const pid = await new Promise<number>((res, rej) => {
    child.once('spawn', () => (child.pid !== undefined ? res(child.pid) : rej(new LocalZooKeeperError('java was spawned without a pid'))));
    child.once('error', (e) =>
      rej(
        new LocalZooKeeperError(`could not run '${o.java ?? 'java'}' for ZooKeeper: ${e.message} (is a JRE installed? apt-get install zookeeper pulls one in)`),
      ),
    );
  });
  // Later 'error' events (failed signals through the handle) must not become uncaught exceptions.
  child.on('error', () => undefined);
  return { pid, exited };
}

/** `reaped`: our child handle saw the exit, so the pid may already belong to someone else. */
async function stopProcess(pid: number, reaped: () => boolean): Promise<void> {
  const waitGone = async (ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (!reaped() && processExists(pid)) {
      if (Date.now() >= end) return false;
      await sleep(50);
    }
    return true;
  };
  if (reaped() || !signal(pid, 'SIGTERM')) return;
  if (await waitGone(STOP_GRACE_MS)) return;
  if (!reaped()) signal(pid, 'SIGKILL');
  await waitGone(5_000);
}

/** false if the process no longer exists */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** A zombie (exited, not yet reaped) counts as gone. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function logTail(file: string, lines = 25): string {
  try {
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Binds an ephemeral loopback port and releases it; the caller races anyone else for it. */
export function pickFreePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? res(port) : rej(new Error('no port assigned'))));
    });
  });
}

/** Sends a ZooKeeper four-letter word and returns the whole answer (the server closes after it). */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host, port });
    const timer = setTimeout(() => sock.destroy(new Error(`no answer to '${word}' from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.end(word));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    sock.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) res(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * true if a ZooKeeper at host:port is serving: `srvr` reports a Mode (standalone, leader or
 * follower). `ruok` alone is not enough: it answers `imok` on a member without quorum. Servers
 * that do not whitelist `srvr` but answer `ruok` are taken as serving.
 */
export async function probeZooKeeper(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  try {
    const srvr = await fourLetterWord(host, port, 'srvr', timeoutMs);
    if (/Mode: (standalone|leader|follower|observer)/.test(srvr)) return true;
    if (!/not in the whitelist/.test(srvr)) return false;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    return (await fourLetterWord(host, port, 'ruok', left)) === 'imok';
  } catch {
    return false;
  }
}
