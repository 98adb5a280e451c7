/**
 * The `cassandra.*` keys of mn-conf (bundled `nsdb` schema), read as the agents read them
 * (docs/decisions/0013-cassandra-flow-traces.md):
 *
 * - `servers`: comma-separated `host` or `host:port`. One native-protocol port serves them all:
 *   that of the first entry that names one, else 9042. Empty: Cassandra is not configured.
 * - `replication_factor`: what the agents create their keyspaces with. A reader creates nothing,
 *   so it only reports it.
 * - `cluster`: the name the agents give their driver's cluster object (a label, not a keyspace).
 */
import { CassandraNotConfiguredError } from './errors.js';

export const DEFAULT_CQL_PORT = 9042;

export interface CassandraConfig {
  /** `cassandra.servers` as written */
  servers: string;
  /** the hosts of `servers`, without ports */
  hosts: string[];
  port: number;
  replicationFactor: number;
  cluster: string;
}

/** What is read of a node's Settings (lib/conf/settings.ts). */
export interface SettingsSource {
  get(key: string): string | number | boolean | undefined;
}

/** The Cassandra configuration in `settings`; throws CassandraNotConfiguredError when `cassandra.servers` is empty or malformed. */
export function cassandraConfig(settings: SettingsSource): CassandraConfig {
  const servers = String(settings.get('cassandra.servers') ?? '').trim();
  if (servers === '') {
    throw new CassandraNotConfiguredError('Flow traces are kept in Cassandra, and Cassandra is not configured (mn-conf cassandra.servers is empty)', servers);
  }
  const { hosts, port } = parseServers(servers);
  const rf = Number(settings.get('cassandra.replication_factor') ?? 1);
  return { servers, hosts, port, replicationFactor: Number.isInteger(rf) && rf > 0 ? rf : 1, cluster: String(settings.get('cassandra.cluster') ?? 'midonet') };
}

/** Splits `cassandra.servers`; throws CassandraNotConfiguredError on an entry that is not `host[:port]`. */
export function parseServers(servers: string): { hosts: string[]; port: number } {
  const hosts: string[] = [];
  let port: number | undefined;
  const malformed = (entry: string): CassandraNotConfiguredError =>
    new CassandraNotConfiguredError(`Cassandra is not configured correctly (mn-conf cassandra.servers has a malformed entry "${entry}")`, servers);
  for (const raw of servers.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    // [v6]:port, bare IPv6 (several colons, no port), host:port, host
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    let host: string;
    let portText: string | undefined;
    if (bracketed) [, host, portText] = bracketed as unknown as [string, string, string | undefined];
    else if (entry.split(':').length > 2) host = entry;
    else [host, portText] = entry.split(':') as [string, string | undefined];
    if (host === '' || /\s/.test(host)) throw malformed(entry);
    if (portText !== undefined) {
      const p = Number(portText);
      if (!/^\d+$/.test(portText) || p < 1 || p > 65535) throw malformed(entry);
      port ??= p;
    }
    hosts.push(host);
  }
  if (hosts.length === 0) throw malformed(servers);
  return { hosts, port: port ?? DEFAULT_CQL_PORT };
}
