/**
 * `midonet-cluster`: runs a cluster node in the foreground.
 *
 *   midonet-cluster [--conf FILE] [--host-id-file FILE] [--set KEY=VALUE]... [--dev] [--log-format json|text]
 *   midonet-cluster dev add-host [--id UUID] [--name NAME] [--alive]
 *   midonet-cluster nodes [--json] [--conf FILE]          the live nodes (service discovery)
 *   midonet-cluster haproxy-config [OPTIONS]              HAProxy configuration for them (haproxy/cli.ts)
 *
 * SIGTERM drains the node (docs/reliability.md): /readyz 503 and out of service discovery at once,
 * `cluster.drain.delay` of serving on, then no new connections, requests in flight finished, the
 * ZooKeeper session closed, exit 0. SIGINT does the same without the delay; a second signal cuts
 * the drain short. A signal while the node is still starting (e.g. waiting for ZooKeeper) stops
 * it at once (exit 0).
 *
 * With --dev and no ZooKeeper configured, a local standalone ZooKeeper (Debian's package) is
 * started under var/ in the project unless one already answers on 127.0.0.1:2181; the REST API
 * listens on 127.0.0.1 unless --set names another address; a new host id goes to var/ (the host
 * id rule: lib/conf/host-id.ts).
 *
 * The node's configuration is the central one in ZooKeeper (mn-conf, docs/configuration.md),
 * with the bootstrap file's legacy keys and the --set overrides on top.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BootstrapError, loadBootstrap } from '../../lib/conf/bootstrap.js';
import { hostIdRule, readOrCreateHostId } from '../../lib/conf/host-id.js';
import { legacyConfig } from '../../lib/conf/legacy.js';
import { DEFAULT_ENV_FILE, keystoreSettings } from '../../lib/tls/env-file.js';
import { Settings, SettingsError } from '../../lib/conf/settings.js';
import { configureLogging, getLogger } from '../../lib/log/logger.js';
import { probeZooKeeper, startLocalZooKeeper } from '../../lib/zk/local-server.js';
import { haproxyConfigCommand } from '../../haproxy/cli.js';
import { startClusterNode, StartAborted, StartupError, type ClusterNode } from './node.js';
import { devCommand } from './dev-tools.js';
import { nodesCommand } from './nodes-command.js';

const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = `usage: midonet-cluster [--conf FILE] [--host-id-file FILE] [--env-file FILE] [--set KEY=VALUE]... [--dev] [--log-format json|text]
       midonet-cluster nodes [--json] [--conf FILE]
       midonet-cluster haproxy-config [--vip ADDR:PORT] [-o FILE] [--watch --haproxy-pid-file FILE] ... (--help)
       midonet-cluster dev add-host [--id UUID] [--name NAME] [--alive]`;

/** Listen addresses a --dev node keeps on loopback unless --set names them. */
const DEV_LOOPBACK_KEYS = ['cluster.rest_api.http_host', 'cluster.rest_api.https_host'];

function parseSets(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new SettingsError(`--set expects KEY=VALUE, got '${item}'`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'dev') return devCommand(argv.slice(1));
  if (argv[0] === 'nodes') return nodesCommand(argv.slice(1));
  if (argv[0] === 'haproxy-config') {
    // ZooKeeper from the bootstrap (MIDO_ZOOKEEPER_*, /etc/midonet/midonet.conf) unless given
    let boot: { zookeeperHosts?: string; rootKey?: string } = {};
    try {
      boot = loadBootstrap({});
    } catch {
      // the command's own --zookeeper-hosts / --root-key, or its defaults
    }
    return haproxyConfigCommand(argv.slice(1), { zookeeperHosts: boot.zookeeperHosts, rootKey: boot.rootKey });
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      conf: { type: 'string' },
      'host-id-file': { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      dev: { type: 'boolean', default: false },
      'log-format': { type: 'string', default: 'json' },
      // the launcher's env file: -Dmidonet.keystore_path / _password in its JVM_OPTS (HTTPS)
      'env-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const format = values['log-format'];
  if (format !== 'json' && format !== 'text') throw new SettingsError(`--log-format must be json or text, got '${format}'`);
  // JSON lines (one object per line, for log shippers) unless a human asks for text.
  configureLogging({ format });
  const log = getLogger('org.midonet.cluster');
  const overrides = parseSets(values.set ?? []);
  if (values.dev) {
    // the mock auth provider takes any token: a development node is not for other machines
    // unless --set says so
    for (const key of DEV_LOOPBACK_KEYS) overrides[key] ??= '127.0.0.1';
  }
  new Settings(overrides); // a bad --set fails here, before anything starts
  const bootstrap = loadBootstrap({ file: values.conf });
  const host = readOrCreateHostId(hostIdRule({ file: values['host-id-file'] ?? process.env['MIDONET_HOST_ID_FILE'], dev: values.dev }));
  const hostId = host.id;
  log.info(host.created ? 'host id created' : 'host id', { hostId, file: host.file });

  const cleanups: (() => Promise<void>)[] = [];
  let hosts = bootstrap.zookeeperHosts;
  if (!hosts) {
    if (values.dev && !(await probeZooKeeper('127.0.0.1', 2181, 1000))) {
      const dataDir = join(PROJECT_DIR, 'var', 'zookeeper');
      mkdirSync(dataDir, { recursive: true });
      log.info('no ZooKeeper configured or answering on 127.0.0.1:2181: starting a local one', { dataDir });
      const zk = await startLocalZooKeeper({ port: 2181, dataDir, logFile: join(dataDir, 'zookeeper.log') });
      cleanups.push(() => zk.stop());
      hosts = zk.connectString;
    } else {
      hosts = '127.0.0.1:2181';
    }
  }

  let node: ClusterNode | undefined;
  const starting = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (!node) {
      log.info(`received ${signal}, shutting down`, { phase: 'starting' });
      starting.abort();
      if (signals > 1) process.exit(0);
      return;
    }
    if (signals > 1) {
      log.info(`received ${signal} again: stopping now`);
      node.hurry();
      return;
    }
    log.info(`received ${signal}, shutting down`, { phase: 'running', drain: signal === 'SIGINT' ? 'no delay' : 'with delay' });
    void node.drain({ reason: signal, ...(signal === 'SIGINT' ? { delayMs: 0 } : {}) });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    const legacy = bootstrap.legacy ? legacyConfig(bootstrap.legacy.ini, bootstrap.legacy.file) : undefined;
    const keystore = keystoreSettings({ envFile: values['env-file'] ?? process.env['MIDONET_ENV_FILE'] ?? DEFAULT_ENV_FILE });
    if (keystore.envFile.warning) log.warn(keystore.envFile.warning);
    log.info('HTTPS key store settings', {
      keystorePath: keystore.path,
      pathFrom: keystore.pathSource,
      passwordFrom: keystore.passwordSource ?? 'none',
      envFile: keystore.envFile.file,
    });
    node = await startClusterNode({
      zookeeperHosts: hosts,
      rootKey: bootstrap.rootKey,
      hostId,
      log,
      central: { overrides, legacy },
      keystore: { path: keystore.path, password: keystore.password },
      signal: starting.signal,
    });
  } catch (e) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    if (e instanceof StartAborted) {
      log.info('stopped before the start completed');
      return 0;
    }
    throw e;
  }
  // drained (signal or drain file): the ZooKeeper session is closed, nothing is left to do
  void node.stopped.then(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    process.exit(0);
  });
  // a signal in the last moments of the start: stop (the node was never in rotation)
  if (starting.signal.aborted) await node.stop();
  return -1; // keep running until stopped
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    const known =
      e instanceof BootstrapError || e instanceof SettingsError || e instanceof StartupError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`midonet-cluster: ${(e as Error).message}\n${known ? '' : `${(e as Error).stack ?? ''}\n`}`);
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`${USAGE}\n`);
    process.exit(1);
  },
);
