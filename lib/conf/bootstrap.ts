/**
 * Bootstrap configuration (mn-conf.md §2): where ZooKeeper is and under which root key. Sources,
 * highest first: the original's `MIDO_ZOOKEEPER_HOSTS` / `MIDO_ZOOKEEPER_ROOT_KEY` environment
 * variables; the INI file given (`--conf` or `MIDONET_CONF`), which must then exist; then, as the
 * original, `~/.midonetrc`, `/etc/midonet/midonet.conf` and `/etc/midolman/midolman.conf` when
 * they can be read (others are skipped silently). The first file that names a key wins.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseIni, type Ini } from './ini.js';
import { normalizeRootKey as normalizeZkRootKey } from '../zk/paths.js';

export const DEFAULT_BOOTSTRAP_FILE = '/etc/midonet/midonet.conf';
/** Read after the given file, in this order, when they exist (the original's list). */
export function fallbackBootstrapFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  // The original passes '~/.midonetrc' to its INI reader literally; the home directory is meant.
  const home = env['HOME'] || homedir();
  return [join(home, '.midonetrc'), DEFAULT_BOOTSTRAP_FILE, '/etc/midolman/midolman.conf'];
}

export interface Bootstrap {
  /** undefined when nothing configures it (the dev node may then start its own ZooKeeper) */
  zookeeperHosts?: string;
  rootKey: string;
  /** the file that was read, if any (the given one, else the first fallback that exists) */
  source?: string;
  /**
   * The legacy INI layer of the runtime configuration (mn-conf.md §5 #2): the given file, or
   * /etc/midonet/midonet.conf, when it could be read.
   */
  legacy?: { file: string; ini: Ini };
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

export function loadBootstrap(opts: { file?: string; env?: NodeJS.ProcessEnv; required?: boolean; fallbacks?: string[] } = {}): Bootstrap {
  const env = opts.env ?? process.env;
  const explicit = opts.file ?? env['MIDONET_CONF'];
  const file = explicit ?? DEFAULT_BOOTSTRAP_FILE;
  const read: { file: string; ini: Ini }[] = [];
  if (explicit) {
    try {
      read.push({ file: explicit, ini: parseIni(readFileSync(explicit, 'utf8')) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new BootstrapError(`bootstrap file ${explicit} not found (needs [zookeeper] zookeeper_hosts)`);
      if (code) throw new BootstrapError(`bootstrap file ${explicit} cannot be read: ${(e as Error).message}`);
      throw new BootstrapError(`bootstrap file ${explicit} is malformed: ${(e as Error).message}`);
    }
  }
  for (const f of opts.fallbacks ?? fallbackBootstrapFiles(env)) {
    if (f === explicit) continue;
    try {
      read.push({ file: f, ini: parseIni(readFileSync(f, 'utf8')) });
    } catch {
      // missing, unreadable or malformed fallbacks are ignored, as in the original
    }
  }
  const first = (key: string): string | undefined => {
    for (const r of read) {
      const v = r.ini['zookeeper']?.[key];
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const hosts = env['MIDO_ZOOKEEPER_HOSTS'] ?? first('zookeeper_hosts');
  const rootKey = normalizeRootKey(env['MIDO_ZOOKEEPER_ROOT_KEY'] ?? first('root_key'));
  if (explicit && !hosts) {
    throw new BootstrapError(`bootstrap file ${explicit} has no [zookeeper] zookeeper_hosts`);
  }
  if (opts.required && !hosts) {
    throw new BootstrapError(`no ZooKeeper configured: set [zookeeper] zookeeper_hosts in ${file} or MIDO_ZOOKEEPER_HOSTS`);
  }
  const legacy = read.find((r) => r.file === file);
  return { zookeeperHosts: hosts?.trim() || undefined, rootKey, source: read[0]?.file, legacy };
}
