/**
 * Legacy INI configuration (mn-conf.md §2.2) as a configuration layer: `[section] key = value`
 * becomes `section.key`, kept as is under `zookeeper.` and `cassandra.` and put under `agent.`
 * otherwise; renamed keys and bare-number durations are translated as the original does. Every
 * value is a string. Used for the node's bootstrap file layer and by `mn-conf import`.
 */
import { obj, splitPath, str, withValue, type HObject } from './hocon.js';
import type { Ini } from './ini.js';

/** old key → [new key, unit appended to a bare number] */
const MOVED: Readonly<Record<string, readonly [string, 'ms' | 's']>> = {
  'zookeeper.session_timeout': ['zookeeper.session_timeout', 'ms'],
  'zookeeper.session_gracetime': ['zookeeper.session_gracetime', 'ms'],
  'agent.bridge.mac_port_mapping_expire_millis': ['agent.bridge.mac_port_mapping_expire', 'ms'],
  'agent.arptable.arp_retry_interval_seconds': ['agent.arptable.arp_retry_interval', 's'],
  'agent.arptable.arp_timeout_seconds': ['agent.arptable.arp_timeout', 's'],
  'agent.arptable.arp_stale_seconds': ['agent.arptable.arp_stale', 's'],
  'agent.arptable.arp_expiration_seconds': ['agent.arptable.arp_expiration', 's'],
  'agent.midolman.bgp_keepalive': ['agent.midolman.bgp_keepalive', 's'],
  'agent.midolman.bgp_holdtime': ['agent.midolman.bgp_holdtime', 's'],
  'agent.midolman.bgp_connect_retry': ['agent.midolman.bgp_connect_retry', 's'],
};

/** One INI key/value translated: `[zookeeper] session_timeout = 30000` → zookeeper.session_timeout = "30000ms". */
export function translateLegacyKey(section: string, key: string, value: string): [string, string] {
  const full = `${section}.${key}`;
  const k = full.startsWith('zookeeper.') || full.startsWith('cassandra.') ? full : `agent.${full}`;
  const moved = MOVED[k];
  if (!moved) return [k, value];
  const [newKey, unit] = moved;
  return [newKey, value.endsWith(unit) ? value : `${value}${unit}`];
}

/** The whole INI file as a configuration (keys outside any section are ignored, as the original's reader does). */
export function legacyConfig(ini: Ini, file: string): HObject {
  let out = obj();
  for (const [section, keys] of Object.entries(ini)) {
    if (section === '') continue;
    for (const [key, value] of Object.entries(keys)) {
      const [k, v] = translateLegacyKey(section, key, value);
      out = withValue(out, splitPath(k), str(v, { description: `file://${file}` }));
    }
  }
  return out;
}
