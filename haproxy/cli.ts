/**
 * `midonet-cluster haproxy-config`: prints (or writes) the HAProxy configuration for the live
 * cluster nodes, or keeps it up to date and reloads HAProxy (--watch). Also runnable on its own:
 * `node --import tsx haproxy/cli.ts [OPTIONS]`.
 *
 * Nodes come from ZooKeeper service discovery (`<root>/service-discovery/midonet-cluster`), with
 * the ZooKeeper settings given here or in the environment (MIDO_ZOOKEEPER_HOSTS,
 * MIDO_ZOOKEEPER_ROOT_KEY), or from a fixed --nodes list (no ZooKeeper needed).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ZkClient } from '../lib/zk/client.js';
import { normalizeRootKey } from '../lib/zk/paths.js';
import { CLUSTER_SERVICE_NAME, ServiceDiscovery, discoveryBasePath } from '../lib/zk/service-discovery.js';
import { generateHaproxyConfig, nodesFromInstances, parseEndpoint, parseNodeList, type HaproxyNode, type HaproxyOptions } from './generate.js';
import { HaproxyWatcher } from './watch.js';

export const HAPROXY_CONFIG_USAGE = `usage: midonet-cluster haproxy-config [--vip ADDR:PORT] [--tls-port PORT] [--nodes HOST:PORT[:SSLPORT],...]
         [--service NAME] [--balance roundrobin|leastconn] [--stats-socket PATH] [--server-state-file PATH]
         [--stats-bind ADDR:PORT] [--log TARGET|none] [--health-check 'METHOD PATH'] [--check-inter D] [--check-rise N] [--check-fall N]
         [-o FILE] [--watch --haproxy-pid-file FILE [--haproxy-bin PATH]]
         [--zookeeper-hosts HOSTS] [--root-key KEY]
  --vip            frontend address, default 0.0.0.0:8181
  --tls-port       also a TLS passthrough frontend on this VIP port (8443 by convention) to the nodes' HTTPS ports
  --nodes          fixed node list instead of ZooKeeper discovery
  --health-check   HTTP health probe, default 'GET /readyz' ('OPTIONS /midonet-api/' for nodes without /readyz)
  --check-inter/--check-rise/--check-fall
                   health check interval and thresholds, default 2s / 2 / 3 (a node's cluster.drain.delay
                   must exceed fall x inter)
  -o FILE          write FILE instead of printing to stdout
  --watch          keep FILE in line with the live nodes and reload HAProxy (-sf with the old pid) on changes`;

export interface HaproxyCliContext {
  /** ZooKeeper hosts from the node's bootstrap, when called from midonet-cluster */
  zookeeperHosts?: string;
  rootKey?: string;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

/** Runs the command; resolves with the exit code (in --watch mode, when SIGTERM/SIGINT arrives). */
export async function haproxyConfigCommand(argv: string[], ctx: HaproxyCliContext = {}): Promise<number> {
  const out = ctx.stdout ?? ((s: string) => process.stdout.write(s));
  const err = ctx.stderr ?? ((s: string) => process.stderr.write(s));
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        vip: { type: 'string', default: '0.0.0.0:8181' },
        'tls-port': { type: 'string' },
        nodes: { type: 'string' },
        service: { type: 'string', default: CLUSTER_SERVICE_NAME },
        balance: { type: 'string', default: 'roundrobin' },
        'stats-socket': { type: 'string' },
        'server-state-file': { type: 'string' },
        'stats-bind': { type: 'string' },
        log: { type: 'string' },
        'health-check': { type: 'string', default: 'GET /readyz' },
        'check-inter': { type: 'string' },
        'check-rise': { type: 'string' },
        'check-fall': { type: 'string' },
        output: { type: 'string', short: 'o' },
        watch: { type: 'boolean', default: false },
        'haproxy-pid-file': { type: 'string' },
        'haproxy-bin': { type: 'string' },
        'zookeeper-hosts': { type: 'string' },
        'root-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n${HAPROXY_CONFIG_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(`${HAPROXY_CONFIG_USAGE}\n`);
    return 0;
  }
  try {
    const vip = parseEndpoint(values.vip ?? '0.0.0.0:8181');
    const balance = values.balance;
    if (balance !== 'roundrobin' && balance !== 'leastconn') throw new Error(`--balance must be roundrobin or leastconn, got '${balance}'`);
    const probe = /^([A-Z]+)\s+(\/\S*)$/.exec((values['health-check'] ?? '').trim());
    if (!probe) throw new Error(`--health-check expects 'METHOD PATH', got '${values['health-check']}'`);
    const options: HaproxyOptions = {
      healthMethod: probe[1],
      healthPath: probe[2],
      balance,
      tlsPort: values['tls-port'] ? Number(values['tls-port']) : null,
      statsSocket: values['stats-socket'] ? resolve(values['stats-socket']) : undefined,
      serverStateFile: values['server-state-file'] ? resolve(values['server-state-file']) : null,
      statsBind: values['stats-bind'] ? parseEndpoint(values['stats-bind'], '127.0.0.1') : null,
      log: values.log === undefined ? undefined : values.log === 'none' ? null : values.log,
      check: {
        ...(values['check-inter'] !== undefined ? { inter: /^\d+$/.test(values['check-inter']) ? Number(values['check-inter']) : values['check-inter'] } : {}),
        ...(values['check-rise'] !== undefined ? { rise: Number(values['check-rise']) } : {}),
        ...(values['check-fall'] !== undefined ? { fall: Number(values['check-fall']) } : {}),
      },
    };
    // invalid values are refused here rather than in --watch's first reload
    generateHaproxyConfig(vip, [], options);
    if (values.watch) {
      if (!values.output || !values['haproxy-pid-file']) throw new Error('--watch needs -o FILE and --haproxy-pid-file FILE');
      if (values.nodes) throw new Error('--watch follows ZooKeeper; it cannot be combined with --nodes');
    }
    if (values.nodes !== undefined && !values.watch) {
      return emit(generateHaproxyConfig(vip, parseNodeList(values.nodes), options), values.output, out);
    }
    const hosts = values['zookeeper-hosts'] ?? ctx.zookeeperHosts ?? process.env['MIDO_ZOOKEEPER_HOSTS'] ?? '127.0.0.1:2181';
    const rootKey = normalizeRootKey(values['root-key'] ?? ctx.rootKey ?? process.env['MIDO_ZOOKEEPER_ROOT_KEY']);
    const zk = await ZkClient.connect({ connectString: hosts, retry: { baseMs: 500, maxRetries: 3 } });
    const discovery = new ServiceDiscovery(zk, {
      basePath: discoveryBasePath(rootKey),
      // --watch outlives sessions: a new one after expiry, and the watch follows it.
      reconnect: values.watch ? () => ZkClient.connect({ connectString: hosts, retry: { baseMs: 500, maxRetries: 10 } }) : undefined,
      logger: stderrLogger(err),
    });
    try {
      const service = values.service ?? CLUSTER_SERVICE_NAME;
      if (!values.watch) {
        const nodes: HaproxyNode[] = nodesFromInstances(await discovery.listInstances(service));
        return emit(generateHaproxyConfig(vip, nodes, options), values.output, out);
      }
      const watcher = new HaproxyWatcher({
        discovery,
        serviceName: service,
        vip,
        options,
        configFile: resolve(values.output as string),
        pidFile: resolve(values['haproxy-pid-file'] as string),
        bin: values['haproxy-bin'],
        logger: stderrLogger(err),
      });
      await watcher.start();
      await new Promise<void>((done) => {
        process.once('SIGTERM', done);
        process.once('SIGINT', done);
      });
      await watcher.stop();
      return 0;
    } finally {
      await discovery.close();
      await zk.close();
    }
  } catch (e) {
    err(`haproxy-config: ${(e as Error).message}\n`);
    return 1;
  }
}

function emit(text: string, file: string | undefined, out: (s: string) => void): number {
  if (file) writeFileSync(file, text);
  else out(text);
  return 0;
}

function stderrLogger(err: (s: string) => void): {
  info(m: string, meta?: object): void;
  warn(m: string, meta?: object): void;
  error(m: string, meta?: object): void;
} {
  const line = (level: string) => (msg: string, meta?: object) => err(`${JSON.stringify({ level, msg, ...meta })}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  haproxyConfigCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
