/**
 * Keeps an HAProxy configuration in line with the live cluster nodes: follows the discovery
 * registrations of the nodes (lib/zk/service-discovery.ts), and whenever the rendered
 * configuration differs from the file in place it writes it (checked with `haproxy -c` first,
 * then renamed into place, so HAProxy never reads a half-written or broken file) and reloads
 * HAProxy without dropping connections (haproxy/process.ts: `-x SOCK -sf OLDPID`, new pid file).
 * A burst of changes (a rolling restart, several nodes starting) is coalesced by a short delay,
 * and reloads never overlap.
 *
 * An empty node list is applied like any other (HAProxy then answers 503 itself), except that a
 * watcher that has never seen a node does not start HAProxy for it.
 */
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ZkLogger } from '../lib/zk/client.js';
import { CLUSTER_SERVICE_NAME, type InstanceWatch, type ServiceDiscovery, type ServiceInstance } from '../lib/zk/service-discovery.js';
import { generateHaproxyConfig, nodesFromInstances, DEFAULT_STATS_SOCKET, type Endpoint, type HaproxyNode, type HaproxyOptions } from './generate.js';
import { checkConfigFile, reloadHaproxy, runningPids, saveServerState, startHaproxy } from './process.js';

export interface HaproxyWatchOptions {
  discovery: ServiceDiscovery;
  /** discovery service name of the nodes, default CLUSTER_SERVICE_NAME */
  serviceName?: string;
  vip: Endpoint;
  options?: HaproxyOptions;
  /** a template other than haproxy/haproxy.cfg.template */
  template?: string;
  configFile: string;
  pidFile: string;
  /** haproxy executable, default `haproxy` */
  bin?: string;
  /** start HAProxy when it is not running (default true); otherwise only rewrite and reload */
  startIfStopped?: boolean;
  /** coalescing delay after a change, default 300 ms */
  debounceMs?: number;
  logger?: ZkLogger;
}

export interface ReloadInfo {
  nodes: HaproxyNode[];
  /** the HAProxy pid serving the new configuration */
  pid: number;
  oldPids: number[];
  /** time spent checking, writing and reloading */
  ms: number;
}

export interface HaproxyWatchEvents {
  /** a new configuration is in place and served by `pid` */
  reloaded: [info: ReloadInfo];
  /** applying a configuration failed (the previous one stays in force); retried on the next change */
  failed: [error: Error];
}

const SILENT: ZkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class HaproxyWatcher extends EventEmitter<HaproxyWatchEvents> {
  private readonly log: ZkLogger;
  private watch?: InstanceWatch;
  private timer?: NodeJS.Timeout;
  private pending?: ServiceInstance[];
  private chain: Promise<void> = Promise.resolve();
  private seenNodes = false;
  private stopped = false;
  private reloadCount = 0;
  private firstApplied?: () => void;

  constructor(private readonly opts: HaproxyWatchOptions) {
    super();
    this.log = opts.logger ?? SILENT;
  }

  /** Number of configurations applied (starts and reloads). */
  get reloads(): number {
    return this.reloadCount;
  }

  /** Starts following the nodes; resolves after the first list was applied (or found unchanged). */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.firstApplied = resolve));
    this.watch = this.opts.discovery.watchInstances(this.opts.serviceName ?? CLUSTER_SERVICE_NAME, (instances) => this.changed(instances));
    return first;
  }

  /** Stops following (HAProxy keeps running with the last configuration); waits for an apply in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watch?.close();
    this.firstApplied?.();
    await this.chain;
  }

  private changed(instances: ServiceInstance[]): void {
    if (this.stopped) return;
    this.pending = instances;
    clearTimeout(this.timer);
    // The first list is applied at once; later ones after the coalescing delay.
    const delay = this.reloadCount === 0 && !this.seenNodes ? 0 : (this.opts.debounceMs ?? 300);
    this.timer = setTimeout(() => {
      const list = this.pending;
      this.pending = undefined;
      if (!list) return;
      this.chain = this.chain.then(() => this.apply(list));
    }, delay);
  }

  /** Renders, checks, writes and reloads; errors are reported, never thrown. */
  async apply(instances: readonly ServiceInstance[]): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    const nodes = nodesFromInstances(instances);
    try {
      if (nodes.length > 0) this.seenNodes = true;
      const { configFile, pidFile } = this.opts;
      const text = generateHaproxyConfig(this.opts.vip, nodes, this.opts.options, this.opts.template);
      const current = existsSync(configFile) ? readFileSync(configFile, 'utf8') : undefined;
      const running = runningPids(pidFile).length > 0;
      const mayStart = (this.opts.startIfStopped ?? true) && this.seenNodes;
      if (current === text && (running || !mayStart)) return;
      if (current !== text) {
        const tmp = `${configFile}.new`;
        writeFileSync(tmp, text);
        const check = await checkConfigFile(tmp, this.opts.bin);
        if (!check.ok) throw new Error(`generated configuration rejected by haproxy -c: ${check.output.trim()}`);
        renameSync(tmp, configFile);
      }
      if (!running && !mayStart) {
        this.log.info('haproxy: configuration written; HAProxy is not running', { configFile, nodes: nodes.length });
        return;
      }
      const socket = this.opts.options?.statsSocket ?? DEFAULT_STATS_SOCKET;
      const stateFile = this.opts.options?.serverStateFile;
      if (stateFile && running) {
        await saveServerState(socket, stateFile).catch((e: unknown) =>
          this.log.warn('haproxy: could not save server states before the reload', { error: (e as Error).message }),
        );
      }
      const run = { bin: this.opts.bin, configFile, pidFile, statsSocket: socket };
      const { pid, oldPids } = running ? await reloadHaproxy(run) : { pid: await startHaproxy(run), oldPids: [] };
      this.reloadCount++;
      const info: ReloadInfo = { nodes, pid, oldPids, ms: Date.now() - started };
      this.log.info(running ? 'haproxy: reloaded with the new node list' : 'haproxy: started', {
        pid,
        oldPids,
        nodes: nodes.map((n) => `${n.address}:${n.port}`),
        ms: info.ms,
      });
      this.emit('reloaded', info);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.log.error('haproxy: could not apply the node list', { error: err.message, nodes: nodes.length });
      this.emit('failed', err);
    } finally {
      this.firstApplied?.();
      this.firstApplied = undefined;
    }
  }
}
