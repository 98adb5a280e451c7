/**
 * mn-conf: inspects and changes the configuration MidoNet keeps in ZooKeeper (mn-conf.md §7),
 * with the original's subcommands, options, output and exit codes. Differences (docs/configuration.md):
 * input that does not validate (unparsable HOCON, a value of the wrong type, an unknown key in
 * a namespace a schema covers, a logger key that names no level) is refused with exit code 1
 * and nothing is written; `--conf FILE` and `--host-id-file FILE` choose the bootstrap file and
 * the local host id file; `local` is found by the node's own rule (lib/conf/host-id.ts), and a
 * host id file is created only to write a host's configuration, never to read one.
 *
 * `runMnConf` does the work and returns the exit code; ./main.ts is the command.
 */
import { readFileSync } from 'node:fs';
import { BootstrapError, loadBootstrap } from '../../lib/conf/bootstrap.js';
import {
  entries,
  getPath,
  HoconError,
  layer,
  parse,
  render,
  renderPath,
  resolve,
  splitPath,
  toStr,
  unwrappedText,
  withValue,
  type HObject,
  type RenderOptions,
} from '../../lib/conf/hocon.js';
import { findHostId, hostIdRule, readOrCreateHostId, type HostIdRule } from '../../lib/conf/host-id.js';
import { parseIni } from '../../lib/conf/ini.js';
import { legacyConfig } from '../../lib/conf/legacy.js';
import { DESCRIPTION_SUFFIX, dropSchema, keyWithSuffix, TYPE_SUFFIX } from '../../lib/conf/schema.js';
import { bundledSchema, bundledSchemas } from '../../lib/conf/settings.js';
import { ConfigStore, DEFAULT_TEMPLATE } from '../../lib/conf/zk-store.js';
import { ZkClient } from '../../lib/zk/client.js';
import { isConnectionLoss, ZkError } from '../../lib/zk/errors.js';
import { commandUsage, parseCommandArgs, UsageError, type CommandSpec, type ParsedArgs } from './args.js';

export const EXIT = { SUCCESS: 0, FAILURE: 1, HOST_ID: 2, ZK: 3, OTHER: 4, NO_SUCH_KEY: 11 } as const;

export interface MnConfIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** the whole standard input (read only by `set` without arguments) */
  stdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The input of set/import did not validate: exit 1, nothing written. */
class InvalidInput extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join('; '));
  }
}

/** The local host id file could not be written (exit 2). */
class HostIdNotWritable extends Error {
  constructor(readonly file: string) {
    super(file);
  }
}

// ---------------------------------------------------------------------------------------------
// Subcommand declarations

const HOST_QUERY = { name: 'host', short: 'h', arg: 'HOST_ID', descr: "A MidoNet host id ('local', the default, is this host's)" };
const TEMPLATE = { name: 'template', short: 't', arg: 'TEMPLATE', descr: 'A configuration template' };
const QUERY_OPTS = [
  HOST_QUERY,
  { ...TEMPLATE, descr: 'Query a template (and the default template) only' },
  { name: 'host-only', short: 'H', flag: true, descr: "Only the host's own configuration" },
  { name: 'schema', short: 's', flag: true, descr: 'Only the schema (defaults, types, documentation)' },
  { name: 'json', short: 'j', flag: true, descr: 'Output as JSON' },
  { name: 'comments', short: 'c', flag: true, descr: 'Add where each value comes from and its documentation' },
];
const QUERY_EXCLUSIVE: [string, string][] = [
  ['template', 'host-only'],
  ['template', 'schema'],
  ['host-only', 'schema'],
];
const WRITE_OPTS = [
  { ...HOST_QUERY, descr: "Write the per-host configuration of this host id ('local', the default, is this host's)" },
  { ...TEMPLATE, descr: 'Write this template' },
];

const COMMANDS: CommandSpec[] = [
  { name: 'get', descr: 'Query configuration for a specific value', opts: QUERY_OPTS, exclusive: QUERY_EXCLUSIVE, trailing: { name: 'KEY', required: true } },
  { name: 'dump', descr: 'Prints out a dump of the configuration', opts: QUERY_OPTS, exclusive: QUERY_EXCLUSIVE },
  {
    name: 'set',
    descr: 'Accepts configuration from stdin or trailing arguments and writes it to the selected configuration store',
    opts: [...WRITE_OPTS, { name: 'clear', short: 'c', flag: true, descr: 'Replace the existing configuration instead of merging into it' }],
    exclusive: [['host', 'template']],
    trailing: { name: 'CONFIG', required: false, many: true },
  },
  { name: 'unset', descr: 'Deletes a configuration option', opts: WRITE_OPTS, exclusive: [['host', 'template']], trailing: { name: 'KEY', required: true } },
  {
    name: 'template-get',
    descr: 'Queries configuration template mappings',
    opts: [{ name: 'all', short: 'a', flag: true, descr: 'Every template assignment' }, HOST_QUERY],
    exclusive: [['all', 'host']],
  },
  {
    name: 'template-set',
    descr: 'Modifies configuration template mappings',
    opts: [HOST_QUERY, { ...TEMPLATE, required: true, descr: 'The template to assign to the host' }],
  },
  { name: 'template-clear', descr: 'Clears configuration template mappings', opts: [HOST_QUERY] },
  { name: 'template-list', descr: 'List configuration templates', opts: [] },
  { name: 'hosts', descr: 'List hosts information', opts: [] },
  { name: 'doc', descr: 'Query the documentation for one or all configuration keys', opts: [], trailing: { name: 'KEY', required: false } },
  {
    name: 'import',
    descr: 'Imports a legacy configuration file into the selected configuration source',
    opts: [
      ...WRITE_OPTS,
      { name: 'file', short: 'f', arg: 'FILE', required: true, descr: 'The legacy (INI) file to import' },
      { name: 'all', short: 'a', flag: true, descr: 'Import every value, also those equal to the schema' },
    ],
    exclusive: [['host', 'template']],
  },
  { name: 'deploy', descr: 'Deploys bundled schemas and templates', opts: [] },
  { name: 'dump-bundled-config', descr: 'Dumps bundled schemas and templates', opts: [] },
];

export const USAGE = `mn-conf: MidoNet configuration tool

  mn-conf [--conf FILE] [--host-id-file FILE] SUBCOMMAND [OPTIONS]

  dump  [-h HOST_ID | -t TEMPLATE | -s] [-H] [-j] [-c]
  get   [-h HOST_ID | -t TEMPLATE | -s] [-H] [-j] [-c] KEY
  set   [-h HOST_ID | -t TEMPLATE] [-c] [CONFIG...]     (CONFIG, or standard input, in HOCON)
  unset [-h HOST_ID | -t TEMPLATE] KEY
  template-get [-a | -h HOST_ID]
  template-set -h HOST_ID -t TEMPLATE
  template-clear -h HOST_ID
  template-list
  hosts
  doc [KEY]
  import [-h HOST_ID | -t TEMPLATE] [-a] -f FILE
  deploy
  dump-bundled-config

  --conf FILE           bootstrap INI file ([zookeeper] zookeeper_hosts, root_key); default
                        $MIDONET_CONF, then ~/.midonetrc, /etc/midonet/midonet.conf,
                        /etc/midolman/midolman.conf
  --host-id-file FILE   the local host id file (default $MIDONET_HOST_ID_FILE, else the
                        first of /etc/midonet_host_id.properties,
                        /etc/midolman/host_uuid.properties and the project's
                        var/host_id.properties, as the node finds it)
  --help                this text; SUBCOMMAND --help: the subcommand's options
Environment: MIDO_ZOOKEEPER_HOSTS, MIDO_ZOOKEEPER_ROOT_KEY override the bootstrap file.
Example: echo "cluster.rest_api.http_port = 8282" | mn-conf set -t default
`;

// ---------------------------------------------------------------------------------------------

interface Ctx {
  io: MnConfIo;
  args: ParsedArgs;
  hostIds: HostIdRule;
  store: () => Promise<ConfigStore>;
}

function opt(args: ParsedArgs, name: string): string | undefined {
  const v = args.opts[name];
  return typeof v === 'string' ? v : undefined;
}

function flag(args: ParsedArgs, name: string): boolean {
  return args.opts[name] === true;
}

/** This host's id, created (as the original does) only for a command that writes. */
function localHostId(ctx: Ctx, create: boolean): string | undefined {
  if (!create) return findHostId(ctx.hostIds)?.id;
  try {
    return readOrCreateHostId(ctx.hostIds).id;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT' || code === 'ENOTDIR') throw new HostIdNotWritable(ctx.hostIds.create);
    throw e;
  }
}

/** `-h` value as a host id: `local` (or absent) is the local host's (undefined: it has none, and reading). */
function hostId(ctx: Ctx, value: string | undefined, create: false): string | undefined;
function hostId(ctx: Ctx, value: string | undefined, create: true): string;
function hostId(ctx: Ctx, value: string | undefined, create: boolean): string | undefined {
  if (value === undefined || value === 'local') return localHostId(ctx, create);
  if (!UUID_RE.test(value)) throw new Error(`Invalid UUID string: ${value}`);
  return value.toLowerCase();
}

function envOf(ctx: Ctx): Record<string, string | undefined> {
  return ctx.io.env;
}

/** The configuration get/dump read (mn-conf.md §7.2), unresolved, and the resolved schemas. */
async function queryConfig(ctx: Ctx): Promise<{ conf: HObject; schemas: HObject }> {
  const store = await ctx.store();
  const { args } = ctx;
  const template = opt(args, 'template');
  const schemaOnly = flag(args, 'schema');
  const hostOnly = flag(args, 'host-only');
  const templateOnly = template !== undefined;
  // a host without an id has no document of its own and the default template
  const host = templateOnly || schemaOnly ? undefined : hostId(ctx, opt(args, 'host'), false);
  if (!templateOnly && !schemaOnly && host === undefined) {
    ctx.io.stderr(`[mn-conf] This host has no host id yet (none of ${ctx.hostIds.search.join(', ')} exists): showing what a new host would get.\n`);
  }
  const layers: HObject[] = [];
  if (host !== undefined) layers.push((await store.read(store.nodePath(host))).conf);
  if (templateOnly || (!schemaOnly && !hostOnly)) {
    const name = template ?? (host !== undefined ? await store.templateNameForNode(host) : DEFAULT_TEMPLATE);
    layers.push((await store.read(store.templatePath(name))).conf);
    if (name !== DEFAULT_TEMPLATE) layers.push((await store.read(store.templatePath(DEFAULT_TEMPLATE))).conf);
  }
  const schemas = await store.mergedSchemas();
  if (!hostOnly && !templateOnly) layers.push(schemas);
  return { conf: layers.length === 0 ? parse('') : layer(...layers), schemas };
}

function renderOptions(ctx: Ctx, schemas: HObject): RenderOptions {
  if (flag(ctx.args, 'schema')) return { originComments: true, comments: descriptionsOf(schemas) };
  if (flag(ctx.args, 'comments')) return { json: flag(ctx.args, 'json'), originComments: true, comments: descriptionsOf(schemas) };
  return { json: flag(ctx.args, 'json') };
}

function descriptionsOf(schemas: HObject): (path: readonly string[]) => string[] | undefined {
  return (path) => {
    const d = getPath(schemas, keyWithSuffix(path, DESCRIPTION_SUFFIX));
    return d?.t === 'string' ? [d.v] : undefined;
  };
}

async function cmdGet(ctx: Ctx): Promise<number> {
  const key = ctx.args.trailing[0];
  const { conf, schemas } = await queryConfig(ctx);
  const resolved = resolve(conf, { env: envOf(ctx) });
  const v = getPath(resolved, splitPath(key));
  if (v === undefined || v.t === 'null') return EXIT.NO_SUCH_KEY;
  const out = render(v, renderOptions(ctx, schemas));
  // an object renders with a trailing newline, and println adds one, as in the original
  ctx.io.stdout(`${key} = ${out}\n`);
  return EXIT.SUCCESS;
}

async function cmdDump(ctx: Ctx): Promise<number> {
  const { conf, schemas } = await queryConfig(ctx);
  const resolved = dropSchema(resolve(conf, { env: envOf(ctx) }));
  ctx.io.stdout(`${render(resolved, renderOptions(ctx, schemas))}\n`);
  return EXIT.SUCCESS;
}

/** Where set/unset/import write: the template, or the host's own configuration. */
async function writeTarget(ctx: Ctx): Promise<{ store: ConfigStore; abs: string }> {
  const store = await ctx.store();
  const template = opt(ctx.args, 'template');
  if (template !== undefined) return { store, abs: store.templatePath(template) };
  return { store, abs: store.nodePath(hostId(ctx, opt(ctx.args, 'host'), true)) };
}

async function cmdSet(ctx: Ctx): Promise<number> {
  const fromArgs = ctx.args.trailing.length > 0;
  const text = fromArgs ? ctx.args.trailing.join(' ') : await ctx.io.stdin();
  let input: HObject;
  try {
    input = parse(text, fromArgs ? 'String' : 'STDIN');
  } catch (e) {
    throw new InvalidInput([(e as Error).message]);
  }
  const target = await writeTarget(ctx);
  const result = await target.store.validate(input, envOf(ctx));
  if (result.errors.length > 0) throw new InvalidInput(result.errors);
  for (const k of result.unverified) ctx.io.stdout(`Installing config key that was not found in the schema: ${k}\n`);
  if (flag(ctx.args, 'clear')) await target.store.clearAndSet(target.abs, input);
  else await target.store.mergeAndSet(target.abs, input);
  return EXIT.SUCCESS;
}

async function cmdUnset(ctx: Ctx): Promise<number> {
  const path = splitPath(ctx.args.trailing[0]);
  const target = await writeTarget(ctx);
  await target.store.unset(target.abs, path);
  return EXIT.SUCCESS;
}

async function cmdTemplateGet(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  const mappings = await store.templateMappings();
  if (flag(ctx.args, 'all')) {
    for (const [path, v] of entries(mappings)) ctx.io.stdout(`${renderPath(path)}  ${unwrappedText(v)}\n`);
    return EXIT.SUCCESS;
  }
  const host = hostId(ctx, opt(ctx.args, 'host'), false);
  const v = host === undefined ? undefined : mappings.fields.get(host);
  if (host !== undefined && v) ctx.io.stdout(`${host}  ${toStr(v)}\n`);
  return EXIT.SUCCESS;
}

async function cmdTemplateSet(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  await store.assignTemplate(hostId(ctx, opt(ctx.args, 'host'), true), opt(ctx.args, 'template') as string);
  return EXIT.SUCCESS;
}

async function cmdTemplateClear(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  const host = hostId(ctx, opt(ctx.args, 'host'), false);
  if (host !== undefined) await store.clearTemplate(host); // a host without an id has no mapping
  return EXIT.SUCCESS;
}

async function cmdTemplateList(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  const mappings = await store.templateMappings();
  const byTemplate = new Map<string, string[]>();
  for (const [host, v] of mappings.fields) {
    const name = v.t === 'string' ? v.v : unwrappedText(v);
    byTemplate.set(name, [...(byTemplate.get(name) ?? []), host].sort());
  }
  for (const t of await store.listTemplates()) {
    ctx.io.stdout(`${t}\n`);
    for (const h of byTemplate.get(t) ?? []) ctx.io.stdout(`    ${h}\n`);
  }
  return EXIT.SUCCESS;
}

async function cmdHosts(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  const mappings = await store.templateMappings();
  const mapped = new Map([...mappings.fields].map(([h, v]) => [h, v.t === 'string' ? v.v : unwrappedText(v)]));
  const perHost = await store.listNodes();
  const defaults = 'template(default) : schema';
  for (const host of perHost) {
    const t = mapped.get(host);
    ctx.io.stdout(t !== undefined && t !== DEFAULT_TEMPLATE ? `${host} -> custom : template(${t}) : ${defaults}\n` : `${host} -> custom : ${defaults}\n`);
  }
  for (const [host, t] of [...mapped].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!perHost.includes(host)) ctx.io.stdout(`${host} -> template(${t}) : ${defaults}\n`);
  }
  return EXIT.SUCCESS;
}

async function cmdDoc(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  const conf = resolve(await store.mergedSchemas(), { env: envOf(ctx) });
  const doc = (path: string[], key: string): boolean => {
    ctx.io.stdout(`Key: ${key}\n`);
    const type = getPath(conf, keyWithSuffix(path, TYPE_SUFFIX));
    if (type?.t === 'string') ctx.io.stdout(`Type: ${type.v}\n`);
    const v = getPath(conf, path);
    if (v === undefined) return false; // the original stops here for an unknown key
    ctx.io.stdout(`Default value: ${unwrappedText(v)}\n`);
    const d = getPath(conf, keyWithSuffix(path, DESCRIPTION_SUFFIX));
    if (d?.t === 'string') ctx.io.stdout(`Documentation: ${d.v}\n`);
    return true;
  };
  const key = ctx.args.trailing[0];
  if (key !== undefined) {
    doc(splitPath(key), key);
    return EXIT.SUCCESS;
  }
  const keys = entries(dropSchema(conf))
    .map(([p]) => p)
    .filter((p) => p[p.length - 1] !== 'schemaVersion')
    .sort((a, b) => (renderPath(a) < renderPath(b) ? -1 : 1));
  for (const p of keys) {
    doc(p, renderPath(p));
    ctx.io.stdout('\n----------------------\n\n');
  }
  return EXIT.SUCCESS;
}

async function cmdImport(ctx: Ctx): Promise<number> {
  const file = opt(ctx.args, 'file') as string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  let imported: HObject;
  try {
    imported = legacyConfig(parseIni(text), file);
  } catch (e) {
    throw new InvalidInput([`${file}: ${(e as Error).message}`]);
  }
  const target = await writeTarget(ctx);
  let toImport = imported;
  if (!flag(ctx.args, 'all')) {
    const schemas = resolve(await target.store.mergedSchemas(), { env: envOf(ctx) });
    toImport = parse('');
    for (const [path, v] of entries(imported)) {
      const s = getPath(schemas, path);
      let same = false;
      try {
        same = s !== undefined && toStr(s) === toStr(v);
      } catch {
        same = false;
      }
      if (!same) toImport = withValue(toImport, path, v);
    }
  }
  ctx.io.stdout(`Importing legacy configuration:\n${render(toImport, { json: true })}\n`);
  await target.store.mergeAndSet(target.abs, toImport);
  return EXIT.SUCCESS;
}

async function cmdDeploy(ctx: Ctx): Promise<number> {
  const store = await ctx.store();
  const written = await store.deploySchemas(bundledSchemas());
  ctx.io.stdout(written.length > 0 ? 'Deployed schema\n' : 'Deployed schema is up to date, nothing to do\n');
  return EXIT.SUCCESS;
}

async function cmdDumpBundled(ctx: Ctx): Promise<number> {
  ctx.io.stdout(`Found a bundled schema:\n${render(bundledSchema(), { json: true })}\n`);
  return EXIT.SUCCESS;
}

const HANDLERS: Record<string, (ctx: Ctx) => Promise<number>> = {
  get: cmdGet,
  dump: cmdDump,
  set: cmdSet,
  unset: cmdUnset,
  'template-get': cmdTemplateGet,
  'template-set': cmdTemplateSet,
  'template-clear': cmdTemplateClear,
  'template-list': cmdTemplateList,
  hosts: cmdHosts,
  doc: cmdDoc,
  import: cmdImport,
  deploy: cmdDeploy,
  'dump-bundled-config': cmdDumpBundled,
};

// ---------------------------------------------------------------------------------------------

/** Takes the global options (`--conf`, `--host-id-file`) out of argv, wherever they are. */
function globalOptions(argv: string[]): { conf?: string; hostIdFile?: string; rest: string[] } {
  const rest: string[] = [];
  let conf: string | undefined;
  let hostIdFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--(conf|host-id-file)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`option '${m[1]}' needs a value`);
    }
    if (m[1] === 'conf') conf = value;
    else hostIdFile = value;
  }
  return { conf, hostIdFile, rest };
}

/** Runs mn-conf with these arguments; returns the exit code. */
export async function runMnConf(argv: string[], io: MnConfIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr(USAGE);
    return EXIT.FAILURE;
  }
  let zk: ZkClient | undefined;
  let hosts = '';
  try {
    const g = globalOptions(argv);
    const [name, ...rest] = g.rest;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(USAGE);
      return name === undefined ? EXIT.FAILURE : EXIT.SUCCESS;
    }
    const spec = COMMANDS.find((c) => c.name === name);
    const handler = HANDLERS[name];
    if (!spec || !handler) {
      io.stderr('[mn-conf] Failed: invalid arguments, run with --help for usage information\n');
      return EXIT.OTHER;
    }
    if (rest.includes('--help')) {
      io.stdout(commandUsage(spec));
      return EXIT.SUCCESS;
    }
    const args = parseCommandArgs(spec, rest);
    const hostIds = hostIdRule({ file: g.hostIdFile ?? io.env['MIDONET_HOST_ID_FILE'] });
    let storeCache: ConfigStore | undefined;
    const ctx: Ctx = {
      io,
      args,
      hostIds,
      store: async () => {
        if (!zk) {
          const bootstrap = loadBootstrap({ file: g.conf, env: io.env });
          hosts = bootstrap.zookeeperHosts ?? '127.0.0.1:2181';
          // the original's mn-conf: 1 s to connect, one retry after 100 ms
          zk = await ZkClient.connect({
            connectString: hosts,
            connectTimeoutMs: 1000,
            retry: { baseMs: 100, maxRetries: 1, maxDelayMs: 100 },
            operationTimeoutMs: 5000,
          });
          const store = new ConfigStore(zk, bootstrap.rootKey);
          await store.ensurePaths();
          storeCache = store;
        }
        return storeCache as ConfigStore;
      },
    };
    return await handler(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`[mn-conf] Error: ${e.message}\n[mn-conf] run with --help for usage information\n`);
      return EXIT.FAILURE;
    }
    if (e instanceof InvalidInput) {
      for (const m of e.messages) io.stderr(`[mn-conf] Failed: ${m}\n`);
      io.stderr('[mn-conf] Nothing was written.\n');
      return EXIT.FAILURE;
    }
    if (e instanceof HostIdNotWritable) {
      io.stderr("[mn-conf] Failed: this host doesn't yet have a host id assigned and mn-conf failed to generate one.\n");
      io.stderr(`[mn-conf] mn-conf failed to store a new host id at ${e.file}.\n`);
      io.stderr('[mn-conf] Please retry as root.\n');
      return EXIT.HOST_ID;
    }
    if (e instanceof ZkError && isConnectionLoss(e)) {
      io.stderr(`[mn-conf] Could not connect to zookeeper at '${hosts}'\n`);
      io.stderr('[mn-conf] Check the FILES and ENVIRONMENT sections of the mn-conf(1) manual page for details.\n');
      return EXIT.ZK;
    }
    if (e instanceof BootstrapError || e instanceof HoconError || e instanceof Error) {
      io.stderr(`[mn-conf] Failed: ${e.message}\n`);
      return EXIT.OTHER;
    }
    io.stderr(`[mn-conf] Failed: ${String(e)}\n`);
    return EXIT.OTHER;
  } finally {
    await zk?.close();
  }
}
