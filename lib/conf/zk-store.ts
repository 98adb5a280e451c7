/**
 * Configuration kept in ZooKeeper, in the original's layout (mn-conf.md §4), under the root key:
 *
 *   <root>/config/schemas/<name>        deployed schemas (nsdb, cluster, ...)
 *   <root>/config/templates/<name>      templates; `default` applies to every node
 *   <root>/config/nodes/<host-uuid>     per-node configuration
 *   <root>/config/template-mappings     { "<host-uuid>" : "<template>" }
 *
 * Each node holds a HOCON document, written as formatted JSON (which may contain `${...}`), read
 * as HOCON. A missing node or empty data is an empty configuration. Writes read the node and its
 * version, compute the new document, then create it (skipped when the result is empty) or set
 * it conditioned on that version, and start over when someone else wrote meanwhile.
 */
import { retry } from '../retry.js';
import { ZkClient } from '../zk/client.js';
import { isBadVersion, isNodeExists, isNoNode } from '../zk/errors.js';
import { joinPath } from '../zk/paths.js';
import { EMPTY, HoconError, isEmpty, layer, obj, parse, render, str, toStr, withoutPath, withValue, type HObject } from './hocon.js';
import { normalizeDescriptions, schemaVersion, validateConfig, type Schema, type ValidationResult } from './schema.js';
import { bundledSchema } from './settings.js';

export const DEFAULT_TEMPLATE = 'default';

/** A stored document: its parsed content, its znode version (null if absent) and raw text. */
export interface StoredConf {
  conf: HObject;
  version: number | null;
  text: string;
}

export interface DeployLog {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
}

/** The stored data of a configuration node could not be parsed as HOCON. */
export class MalformedConfigError extends Error {
  override name = 'MalformedConfigError';
}

const MAX_WRITE_ATTEMPTS = 100;

export class ConfigStore {
  constructor(
    readonly zk: ZkClient,
    readonly rootKey: string,
  ) {}

  /** Absolute ZooKeeper path of a path relative to `<root>/config`. */
  path(...parts: string[]): string {
    return joinPath(this.rootKey, 'config', ...parts);
  }

  /** The origin description of a stored document, as the original names it: `zookeeper://midonet/config/templates/default`. */
  originOf(abs: string): string {
    return `zookeeper://${abs.replace(/^\//, '')}`;
  }

  nodePath(hostId: string): string {
    return this.path('nodes', hostId);
  }

  templatePath(name: string): string {
    if (name === '' || name.includes('/')) throw new HoconError(`invalid template name '${name}'`);
    return this.path('templates', name);
  }

  schemaPath(name: string): string {
    return this.path('schemas', name);
  }

  mappingsPath(): string {
    return this.path('template-mappings');
  }

  /** `/config` and its three containers (the original creates them when its configurator starts). */
  async ensurePaths(): Promise<void> {
    for (const p of [this.path('nodes'), this.path('templates'), this.path('schemas')]) await this.zk.mkdirp(p);
  }

  /** Parses a stored document; throws MalformedConfigError naming the path. */
  parseStored(abs: string, data: Buffer): HObject {
    const text = data.toString('utf8');
    if (text.trim() === '') return EMPTY;
    try {
      return parse(text, this.originOf(abs));
    } catch (e) {
      throw new MalformedConfigError(`configuration at ${abs} is malformed: ${(e as Error).message}`);
    }
  }

  /** Reads a document (absent = empty, version null). */
  async read(abs: string): Promise<StoredConf> {
    try {
      const { data, stat } = await this.zk.getData(abs);
      return { conf: this.parseStored(abs, data), version: stat.version, text: data.toString('utf8') };
    } catch (e) {
      if (isNoNode(e)) return { conf: EMPTY, version: null, text: '' };
      throw e;
    }
  }

  /** The text stored for a document: formatted JSON, as the original renders it. */
  static serialize(conf: HObject): Buffer {
    return Buffer.from(render(conf, { json: true }), 'utf8');
  }

  /**
   * Changes a document: `change` gets the current content and returns the new one, or null for
   * "leave it as it is". Nothing is written then, nor when the text would not change, nor when an
   * absent node would be created empty.
   * With `ignoreMalformed` a stored document that cannot be parsed counts as empty (for writes
   * that replace it whole). Returns whether something was written.
   */
  async modify(abs: string, change: (current: HObject) => HObject | null, opts: { ignoreMalformed?: boolean } = {}): Promise<boolean> {
    // a concurrent writer changed (created, deleted) the node between our read and our write:
    // read again and re-apply the change, after a short random wait
    const conflict = (e: unknown): boolean => isBadVersion(e) || isNoNode(e) || isNodeExists(e);
    try {
      return await retry(
        async () => {
          let current: StoredConf;
          try {
            current = await this.read(abs);
          } catch (e) {
            if (!(e instanceof MalformedConfigError && opts.ignoreMalformed)) throw e;
            const { stat } = await this.zk.getData(abs).catch(() => ({ stat: null }));
            current = { conf: EMPTY, version: stat ? stat.version : null, text: '\u0000malformed' };
          }
          const next = change(current.conf);
          if (next === null) return false;
          const data = ConfigStore.serialize(next);
          if (current.version === null) {
            if (isEmpty(next)) return false;
            await this.zk.mkdirp(abs.slice(0, abs.lastIndexOf('/')) || '/');
            await this.zk.create(abs, data);
          } else {
            if (data.toString('utf8') === current.text) return false;
            await this.zk.setData(abs, data, current.version);
          }
          return true;
        },
        { baseMs: 5, maxDelayMs: 200, maxAttempts: MAX_WRITE_ATTEMPTS, isFinal: (e) => !conflict(e) },
      );
    } catch (e) {
      if (conflict(e)) throw new Error(`could not write ${abs}: it kept changing under ${MAX_WRITE_ATTEMPTS} attempts`);
      throw e;
    }
  }

  /** Merges `conf` over a document (its keys win, objects merge). */
  mergeAndSet(abs: string, conf: HObject): Promise<boolean> {
    return this.modify(abs, (cur) => layer(conf, cur));
  }

  /** Replaces a document. */
  clearAndSet(abs: string, conf: HObject): Promise<boolean> {
    return this.modify(abs, () => conf, { ignoreMalformed: true });
  }

  unset(abs: string, path: readonly string[]): Promise<boolean> {
    return this.modify(abs, (cur) => withoutPath(cur, path));
  }

  private async children(abs: string): Promise<string[]> {
    try {
      return (await this.zk.getChildren(abs)).children.sort();
    } catch (e) {
      if (isNoNode(e)) return [];
      throw e;
    }
  }

  listTemplates(): Promise<string[]> {
    return this.children(this.path('templates'));
  }

  listSchemas(): Promise<string[]> {
    return this.children(this.path('schemas'));
  }

  listNodes(): Promise<string[]> {
    return this.children(this.path('nodes'));
  }

  async templateMappings(): Promise<HObject> {
    return (await this.read(this.mappingsPath())).conf;
  }

  /** The template a host is mapped to, `default` when it has none. */
  static mappingFor(mappings: HObject, hostId: string): string {
    const v = mappings.fields.get(hostId);
    if (!v) return DEFAULT_TEMPLATE;
    try {
      return toStr(v);
    } catch {
      return DEFAULT_TEMPLATE;
    }
  }

  async templateNameForNode(hostId: string): Promise<string> {
    return ConfigStore.mappingFor(await this.templateMappings(), hostId);
  }

  assignTemplate(hostId: string, template: string): Promise<boolean> {
    this.templatePath(template); // validates the name
    return this.modify(this.mappingsPath(), (cur) => withValue(cur, [hostId], str(template)));
  }

  clearTemplate(hostId: string): Promise<boolean> {
    return this.modify(this.mappingsPath(), (cur) => withoutPath(cur, [hostId]));
  }

  /** Every deployed schema merged (unresolved), in name order. */
  async mergedSchemas(): Promise<HObject> {
    const names = await this.listSchemas();
    const docs = await Promise.all(names.map((n) => this.read(this.schemaPath(n))));
    return docs.length === 0 ? obj() : layer(...docs.map((d) => d.conf));
  }

  /**
   * What a node gets from ZooKeeper (mn-conf.md §5): its own configuration over its template
   * over `default` over the deployed schemas, unresolved.
   */
  async centralConfig(hostId: string): Promise<HObject> {
    const [own, template, schemas] = await Promise.all([this.read(this.nodePath(hostId)), this.templateNameForNode(hostId), this.mergedSchemas()]);
    const layers = [own.conf];
    if (template !== DEFAULT_TEMPLATE) layers.push((await this.read(this.templatePath(template))).conf);
    layers.push((await this.read(this.templatePath(DEFAULT_TEMPLATE))).conf, schemas);
    return layer(...layers);
  }

  /**
   * Checks a configuration about to be written against the deployed and the bundled schemas
   * (schema.ts `validateConfig`): any error means nothing may be written.
   */
  async validate(input: HObject, env: Readonly<Record<string, string | undefined>> = {}): Promise<ValidationResult> {
    return validateConfig(input, layer(await this.mergedSchemas(), bundledSchema()), env);
  }

  /**
   * Writes each bundled schema whose version is greater than the deployed one (absent or
   * unreadable = -1), as every cluster start does (mn-conf.md §4.1). Templates are not deployed:
   * this node bundles none. Returns the names written.
   */
  async deploySchemas(schemas: readonly Schema[], log?: DeployLog): Promise<string[]> {
    const written: string[] = [];
    for (const s of schemas) {
      const abs = this.schemaPath(s.name);
      let deployedVersion = -1;
      const wrote = await this.modify(
        abs,
        (cur) => {
          deployedVersion = schemaVersion(cur, s.name);
          return s.version > deployedVersion ? normalizeDescriptions(s.config) : null;
        },
        { ignoreMalformed: true },
      );
      if (wrote) {
        written.push(s.name);
        log?.info(`Deployed schema ${s.name} with version ${s.version}`, { path: abs, replaced: deployedVersion });
      } else {
        log?.info(`${s.name} schema is up to date at version ${deployedVersion}`, { path: abs, bundled: s.version });
      }
    }
    return written;
  }
}
