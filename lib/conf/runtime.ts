/**
 * A node's runtime configuration (mn-conf.md §5, §6): the layers below, merged highest first and
 * then resolved (`${...}`), read from ZooKeeper and watched there, so that every change in any
 * layer produces new Settings:
 *
 *   1. local `--set KEY=VALUE` overrides
 *   2. the legacy INI file the node started with (bootstrap file), translated per §2.2
 *   3. `<root>/config/nodes/<host-id>`
 *   4. `<root>/config/templates/<template mapped to the host>` (when it is not `default`)
 *   5. `<root>/config/templates/default`
 *   6. every schema deployed under `<root>/config/schemas`
 *   7. the bundled schemas (and DEFAULTS)
 *
 * A document that cannot be parsed, a substitution that cannot be resolved, or a value that does
 * not fit its key's type is reported as an error and ignored: the node keeps its last good
 * configuration (for that document, or that key). The configuration session is separate from the
 * NSDB session, as in the original; when it expires a new one is made and everything re-read.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { Backoff, isRetryAborted, retry } from '../retry.js';
import type { ZkClient } from '../zk/client.js';
import { isNoNode } from '../zk/errors.js';
import { EMPTY, layer, resolve, type HObject } from './hocon.js';
import type { Schema } from './schema.js';
import { bundledSchemas, overridesToConfig, Settings } from './settings.js';
import { ConfigStore, DEFAULT_TEMPLATE, MalformedConfigError } from './zk-store.js';

export interface RuntimeConfigOptions {
  /** makes the configuration session (called again after it expired) */
  connect: () => Promise<ZkClient>;
  rootKey: string;
  hostId: string;
  /** `--set` overrides, highest precedence */
  overrides?: Readonly<Record<string, string>>;
  /** the legacy INI layer (./legacy.ts) */
  legacy?: HObject;
  /** for `${VAR}` fallbacks (default: process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  log: Logger;
  /** default: bundledSchemas() */
  bundled?: readonly Schema[];
  /** deploy the bundled schemas when newer (default true, as every cluster start does) */
  deploy?: boolean;
}

export interface RuntimeConfigEvents {
  /** the settings changed: new, previous, and the keys whose value differs */
  change: [next: Settings, prev: Settings, keys: string[]];
}

interface Source {
  abs: string;
  conf: HObject;
}

const RETRY_MS = 1000;
const MAX_RECONNECT_MS = 30_000;

export class RuntimeConfig extends EventEmitter<RuntimeConfigEvents> {
  private zk!: ZkClient;
  private store!: ConfigStore;
  private readonly sources = new Map<string, Source>();
  private readonly watchers = new Map<string, () => void>();
  private readonly local: HObject;
  private readonly bundled: readonly Schema[];
  private readonly env: Readonly<Record<string, string | undefined>>;
  private resolvedConfig: HObject = EMPTY;
  private currentSettings: Settings;
  private mapped = DEFAULT_TEMPLATE;
  private schemaNames: string[] = [];
  private dirty = new Set<string>();
  private running?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private retryPending = false;
  /** waits between failed reads of the configuration (lib/retry.ts), reset by a good one */
  private readonly readBackoff = new Backoff({ baseMs: RETRY_MS, maxDelayMs: MAX_RECONNECT_MS });
  /** aborted by stop(): ends a reconnection in progress */
  private readonly stopping = new AbortController();
  private stopped = false;

  private constructor(private readonly opts: RuntimeConfigOptions) {
    super();
    this.local = overridesToConfig(opts.overrides ?? {});
    this.bundled = opts.bundled ?? bundledSchemas();
    this.env = opts.env ?? process.env;
    this.currentSettings = new Settings(); // replaced before start() returns
  }

  /** Connects, deploys the bundled schemas when newer, reads and watches every layer. */
  static async start(opts: RuntimeConfigOptions): Promise<RuntimeConfig> {
    const rc = new RuntimeConfig(opts);
    await rc.attach(await opts.connect());
    if (opts.deploy !== false) await rc.store.deploySchemas(rc.bundled, opts.log);
    await rc.loadAll();
    const first = rc.compute(undefined);
    if (first) {
      rc.resolvedConfig = first.resolved;
      rc.currentSettings = first.settings;
    } else {
      // nothing usable in ZooKeeper: the bundled defaults and local layers alone
      rc.resolvedConfig = resolve(layer(rc.local, opts.legacy ?? EMPTY, ...rc.bundled.map((s) => s.config)), { env: rc.env });
      rc.currentSettings = Settings.fromConfig(rc.resolvedConfig, { onInvalid: (k, m, o) => rc.invalid(k, m, o) });
    }
    return rc;
  }

  get settings(): Settings {
    return this.currentSettings;
  }

  /** The resolved configuration in force (annotation keys included). */
  get config(): HObject {
    return this.resolvedConfig;
  }

  /** The template this host is mapped to. */
  get templateName(): string {
    return this.mapped;
  }

  get configStore(): ConfigStore {
    return this.store;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.retryTimer);
    await this.running?.catch(() => undefined);
    await this.zk?.close();
  }

  // -------------------------------------------------------------------------------------------

  private async attach(zk: ZkClient): Promise<void> {
    this.zk = zk;
    this.store = new ConfigStore(zk, this.opts.rootKey);
    zk.once('expired', () => void this.reconnect());
    await this.store.ensurePaths();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    this.opts.log.warn('configuration session expired: reconnecting');
    try {
      await retry(
        async () => {
          const zk = await this.opts.connect();
          if (this.stopped) {
            await zk.close();
            return;
          }
          await this.attach(zk);
          this.opts.log.info('configuration session re-established');
          for (const key of this.sources.keys()) this.dirty.add(key);
          this.dirty.add('schemas');
          this.kick();
        },
        {
          baseMs: RETRY_MS,
          maxDelayMs: MAX_RECONNECT_MS,
          signal: this.stopping.signal,
          unref: true,
          onRetry: ({ error, delayMs }) =>
            this.opts.log.warn('configuration session: connecting failed, retrying', { error: (error as Error).message, retryInMs: delayMs }),
        },
      );
    } catch (e) {
      if (!isRetryAborted(e)) throw e;
    }
  }

  private watcher(key: string): () => void {
    let w = this.watchers.get(key);
    if (!w) {
      w = () => {
        if (this.stopped) return;
        this.dirty.add(key);
        this.kick();
      };
      this.watchers.set(key, w);
    }
    return w;
  }

  private sourcePath(key: string): string {
    if (key === 'node') return this.store.nodePath(this.opts.hostId);
    if (key === 'mappings') return this.store.mappingsPath();
    if (key === 'template') return this.store.templatePath(this.mapped);
    if (key === 'default') return this.store.templatePath(DEFAULT_TEMPLATE);
    if (key.startsWith('schema:')) return this.store.schemaPath(key.slice('schema:'.length));
    throw new Error(`unknown configuration source ${key}`);
  }

  /** Reads one document and leaves a watch on it (a data watch, or an existence watch if absent). */
  private async readWatched(key: string): Promise<void> {
    const abs = this.sourcePath(key);
    const w = this.watcher(key);
    for (;;) {
      try {
        const { data } = await this.zk.getData(abs, w);
        let conf: HObject;
        try {
          conf = this.store.parseStored(abs, data);
        } catch (e) {
          if (!(e instanceof MalformedConfigError)) throw e;
          this.opts.log.error(`ignoring malformed configuration: ${e.message}; keeping the last good one`, { path: abs });
          return;
        }
        this.sources.set(key, { abs, conf });
        return;
      } catch (e) {
        if (!isNoNode(e)) throw e;
      }
      if ((await this.zk.exists(abs, w)) === null) {
        this.sources.set(key, { abs, conf: EMPTY });
        return;
      }
      // created between the two calls: read it
    }
  }

  private async readSchemaList(): Promise<void> {
    let names: string[];
    try {
      names = (await this.zk.getChildren(this.store.path('schemas'), this.watcher('schemas'))).children.sort();
    } catch (e) {
      if (!isNoNode(e)) throw e;
      names = [];
    }
    for (const old of this.schemaNames) if (!names.includes(old)) this.sources.delete(`schema:${old}`);
    const added = names.filter((n) => !this.schemaNames.includes(n));
    this.schemaNames = names;
    for (const n of added) await this.readWatched(`schema:${n}`);
  }

  private async readMappings(): Promise<void> {
    await this.readWatched('mappings');
    const name = ConfigStore.mappingFor(this.sources.get('mappings')?.conf ?? EMPTY, this.opts.hostId);
    if (name !== this.mapped) {
      this.opts.log.info(`this node now uses configuration template '${name}'`, { previous: this.mapped });
      this.mapped = name;
      this.sources.delete('template');
      if (name !== DEFAULT_TEMPLATE) await this.readWatched('template');
    }
  }

  private async loadAll(): Promise<void> {
    await this.readSchemaList();
    await this.readMappings(); // reads the mapped template too
    await this.readWatched('default');
    await this.readWatched('node');
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // after a failed read the retry timer kicks, not this (it would retry at once, in a loop)
      if (this.dirty.size > 0 && !this.stopped && !this.retryPending) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.dirty.size > 0 && !this.stopped) {
      const keys = [...this.dirty];
      this.dirty.clear();
      try {
        for (const key of keys) {
          if (key === 'schemas') await this.readSchemaList();
          else if (key === 'mappings') await this.readMappings();
          else if (key === 'template' && this.mapped === DEFAULT_TEMPLATE) continue;
          else if (key.startsWith('schema:') && !this.schemaNames.includes(key.slice('schema:'.length))) continue;
          else await this.readWatched(key);
        }
      } catch (e) {
        // ZooKeeper unavailable for now: try again later (an expiry is handled by reconnect)
        for (const k of keys) this.dirty.add(k);
        this.opts.log.warn('reading the configuration from ZooKeeper failed; retrying', { error: (e as Error).message });
        clearTimeout(this.retryTimer);
        this.retryPending = true;
        this.retryTimer = setTimeout(() => {
          this.retryPending = false;
          this.kick();
        }, this.readBackoff.next());
        this.retryTimer.unref();
        return;
      }
      this.readBackoff.reset();
      this.update();
    }
  }

  private invalid(key: string, message: string, origin: string | undefined): void {
    this.opts.log.error(`ignoring malformed configuration value: ${message}; keeping the last good value`, { key, origin });
  }

  /** The layers merged and resolved, and their settings; undefined (and an error logged) if resolution fails. */
  private compute(previous: Settings | undefined): { resolved: HObject; settings: Settings } | undefined {
    const layers: HObject[] = [this.local, this.opts.legacy ?? EMPTY];
    const doc = (key: string): HObject => this.sources.get(key)?.conf ?? EMPTY;
    layers.push(doc('node'));
    if (this.mapped !== DEFAULT_TEMPLATE) layers.push(doc('template'));
    layers.push(doc('default'));
    for (const n of this.schemaNames) layers.push(doc(`schema:${n}`));
    for (const s of this.bundled) layers.push(s.config);
    let resolved: HObject;
    try {
      resolved = resolve(layer(...layers), { env: this.env });
    } catch (e) {
      this.opts.log.error(`ignoring the configuration in ZooKeeper: ${(e as Error).message}; keeping the last good one`);
      return undefined;
    }
    return { resolved, settings: Settings.fromConfig(resolved, { previous, onInvalid: (k, m, o) => this.invalid(k, m, o) }) };
  }

  private update(): void {
    const next = this.compute(this.currentSettings);
    if (!next) return;
    const prev = this.currentSettings;
    const keys = next.settings.diff(prev);
    this.resolvedConfig = next.resolved;
    this.currentSettings = next.settings;
    if (keys.length > 0) this.emit('change', next.settings, prev, keys);
  }
}
