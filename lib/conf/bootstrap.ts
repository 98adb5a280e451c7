/**
 * Bootstrap configuration (mn-conf.md §2): where ZooKeeper is and under which root key, read
 * from the INI file (`/etc/midonet/midonet.conf`, or `--conf` / `MIDONET_CONF`) with the
 * original's `MIDO_ZOOKEEPER_*` environment overrides on top.
 */
import { readFileSync } from 'node:fs';
import { parseIni } from './ini.js';
import { normalizeRootKey as normalizeZkRootKey } from '../zk/paths.js';

export const DEFAULT_BOOTSTRAP_FILE = '/etc/midonet/midonet.conf';

export interface Bootstrap {
  /** undefined when nothing configures it (the dev node may then start its own ZooKeeper) */
  zookeeperHosts?: string;
  rootKey: string;
  /** the file that was read, if any */
  source?: string;
}

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/** The root key as the original applies it (lib/zk/paths.ts), as a configuration error. */
export function normalizeRootKey(key: string | undefined): string {
  try {
    return normalizeZkRootKey(key);
  } catch (e) {
    throw new BootstrapError((e as Error).message);
  }
}

export function loadBootstrap(opts: { file?: string; env?: NodeJS.ProcessEnv; required?: boolean } = {}): Bootstrap {
  const env = opts.env ?? process.env;
  const explicit = opts.file ?? env['MIDONET_CONF'];
  const file = explicit ?? DEFAULT_BOOTSTRAP_FILE;
  let ini: Record<string, Record<string, string>> = {};
  let source: string | undefined;
  try {
    ini = parseIni(readFileSync(file, 'utf8'));
    source = file;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) {
      // no bootstrap file at the default place: environment or the dev default decide
    } else if (code === 'ENOENT') {
      throw new BootstrapError(`bootstrap file ${file} not found (needs [zookeeper] zookeeper_hosts)`);
    } else if (code) {
      throw new BootstrapError(`bootstrap file ${file} cannot be read: ${(e as Error).message}`);
    } else {
      throw new BootstrapError(`bootstrap file ${file} is malformed: ${(e as Error).message}`);
    }
  }
  const zk = ini['zookeeper'] ?? {};
  const hosts = env['MIDO_ZOOKEEPER_HOSTS'] ?? zk['zookeeper_hosts'];
  const rootKey = normalizeRootKey(env['MIDO_ZOOKEEPER_ROOT_KEY'] ?? zk['root_key']);
  if (source && explicit && !hosts) {
    throw new BootstrapError(`bootstrap file ${file} has no [zookeeper] zookeeper_hosts`);
  }
  if (opts.required && !hosts) {
    throw new BootstrapError(
      `no ZooKeeper configured: set [zookeeper] zookeeper_hosts in ${file} or MIDO_ZOOKEEPER_HOSTS`,
    );
  }
  return { zookeeperHosts: hosts?.trim() || undefined, rootKey, source };
}
