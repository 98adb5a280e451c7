/**
 * The Keystone provider's settings (`cluster.auth.*`, auth-https-deploy.md §1.2). A value that is
 * blank (the schema's `" "`) counts as unset.
 */
import type { Settings } from '../../conf/settings.js';

export interface KeystoneConfig {
  version: number;
  /** base URL including /v3 or /v2.0 */
  baseUrl: string;
  tenantName: string;
  domainId: string;
  domainName: string;
  userName: string;
  userPassword: string;
  adminToken: string;
  adminRole: string;
  tenantAdminRole: string;
  tenantUserRole: string;
  /** upper bound of a validated token's life in the cache (ms); 0 turns the cache off */
  cacheTtlMs: number;
  /** most tokens kept in the cache */
  cacheSize: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

const blank = (s: string): string => (s.trim() === '' ? '' : s);

/** `{protocol}://{host}:{port}/v3` (or `/v2.0`), unless `url` is set (used verbatim). */
export function keystoneBaseUrl(s: { url: string; protocol: string; host: string; port: number; version: number }): string {
  if (s.url.trim() !== '') return s.url.trim();
  const host = s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host;
  return `${s.protocol.trim() || 'http'}://${host}:${s.port}/${s.version === 2 ? 'v2.0' : `v${s.version}`}`;
}

export function keystoneConfig(s: Settings): KeystoneConfig {
  const str = (k: string): string => (s.has(k) ? blank(s.string(k)) : '');
  const num = (k: string, d: number): number => {
    const v = s.has(k) ? s.number(k) : d;
    return Number.isFinite(v) ? v : d;
  };
  const version = num('cluster.auth.keystone.version', 3);
  return {
    version,
    baseUrl: keystoneBaseUrl({
      url: str('cluster.auth.keystone.url'),
      protocol: str('cluster.auth.keystone.protocol'),
      host: str('cluster.auth.keystone.host') || 'localhost',
      port: num('cluster.auth.keystone.port', 35357),
      version,
    }),
    tenantName: str('cluster.auth.keystone.tenant_name'),
    domainId: str('cluster.auth.keystone.domain_id'),
    domainName: str('cluster.auth.keystone.domain_name'),
    userName: str('cluster.auth.keystone.user_name'),
    userPassword: str('cluster.auth.keystone.user_password'),
    adminToken: str('cluster.auth.keystone.admin_token'),
    adminRole: str('cluster.auth.admin_role'),
    tenantAdminRole: str('cluster.auth.tenant_admin_role'),
    tenantUserRole: str('cluster.auth.tenant_user_role'),
    cacheTtlMs: Math.max(0, num('cluster.auth.keystone.cache_ttl', 60_000)),
    cacheSize: Math.max(0, Math.floor(num('cluster.auth.keystone.cache_size', 10_000))),
    connectTimeoutMs: Math.max(1, num('cluster.auth.keystone.connect_timeout', 5_000)),
    readTimeoutMs: Math.max(1, num('cluster.auth.keystone.read_timeout', 10_000)),
  };
}
