/**
 * The node's identity: `host_uuid` in `/etc/midonet_host_id.properties`, created on first start
 * (mn-conf.md §2.4). The file is the only thing a node keeps locally, and it only names the node.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_HOST_ID_FILE = '/etc/midonet_host_id.properties';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function readOrCreateHostId(file: string = DEFAULT_HOST_ID_FILE): string {
  try {
    const text = readFileSync(file, 'utf8');
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*host_uuid\s*[=:]\s*(\S+)\s*$/.exec(line);
      if (m && UUID_RE.test(m[1] as string)) return (m[1] as string).toLowerCase();
    }
    throw new Error(`${file} has no valid host_uuid line`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomUUID();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `# MidoNet host identity, created on first start\nhost_uuid=${id}\n`, { flag: 'wx' });
  return id;
}
