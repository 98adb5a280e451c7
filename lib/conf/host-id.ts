/**
 * The node's identity: `host_uuid` in a Java properties file (mn-conf.md §2.4). The file is the
 * only thing a node keeps locally, and it only names the node.
 *
 * Which file is one rule, the same for `midonet-cluster` and `mn-conf`, so that `mn-conf -h local`
 * always means the node of this machine (a `--dev` node included):
 *
 * 1. a file given (`--host-id-file`, `MIDONET_HOST_ID_FILE`): that file and no other;
 * 2. otherwise the first that exists of `/etc/midonet_host_id.properties`,
 *    `/etc/midolman/host_uuid.properties` (the original's fallback) and `var/host_id.properties`
 *    in the project (where a `--dev` node keeps its id, needing no root);
 * 3. none: a node creates `/etc/midonet_host_id.properties` (`var/host_id.properties` under
 *    `--dev`). `mn-conf` creates it only to write a host's configuration, never to read.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_HOST_ID_FILE = '/etc/midonet_host_id.properties';
/** Read when the default file does not exist, as the original does. */
export const LEGACY_HOST_ID_FILE = '/etc/midolman/host_uuid.properties';
/** Where a `--dev` node creates its host id: the project's var/, next to the dev ZooKeeper. */
export const DEV_HOST_ID_FILE = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'var', 'host_id.properties');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The files looked at, in order, and the one created when none exists. */
export interface HostIdRule {
  search: readonly string[];
  create: string;
}

export interface HostId {
  id: string;
  /** the file it was read from (or created in) */
  file: string;
  created: boolean;
}

/** The rule for a given file (--host-id-file, MIDONET_HOST_ID_FILE), or the default one (see the module comment). */
export function hostIdRule(opts: { file?: string; dev?: boolean } = {}): HostIdRule {
  if (opts.file) return { search: [opts.file], create: opts.file };
  return { search: [DEFAULT_HOST_ID_FILE, LEGACY_HOST_ID_FILE, DEV_HOST_ID_FILE], create: opts.dev ? DEV_HOST_ID_FILE : DEFAULT_HOST_ID_FILE };
}

function readHostIdFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*host_uuid\s*[=:]\s*(\S+)\s*$/.exec(line);
    if (m && UUID_RE.test(m[1])) return m[1].toLowerCase();
  }
  // an existing file without an id is a mistake to show, not a reason to take another identity
  throw new Error(`${file} has no valid host_uuid line`);
}

/** The host id of this machine by `rule`, or undefined when none of its files exists. Creates nothing. */
export function findHostId(rule: HostIdRule): HostId | undefined {
  for (const file of rule.search) {
    const id = readHostIdFile(file);
    if (id !== undefined) return { id, file, created: false };
  }
  return undefined;
}

/** The host id by `rule`; when none exists, a random one written to `rule.create`. */
export function readOrCreateHostId(rule: HostIdRule = hostIdRule()): HostId {
  const found = findHostId(rule);
  if (found) return found;
  const id = randomUUID();
  mkdirSync(dirname(rule.create), { recursive: true });
  try {
    writeFileSync(rule.create, `# MidoNet host identity, created on first start\nhost_uuid=${id}\n`, { flag: 'wx' });
  } catch (e) {
    // another process created it meanwhile: its id is the one
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && existsSync(rule.create)) return readOrCreateHostId(rule);
    throw e;
  }
  return { id, file: rule.create, created: true };
}
