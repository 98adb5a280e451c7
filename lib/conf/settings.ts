/**
 * Runtime settings of a node: the cluster keys it uses with their defaults, overridden by local
 * `--set key=value` flags. (Central configuration through mn-conf layers in between later.)
 */
export const DEFAULTS: Readonly<Record<string, string | number | boolean>> = {
  'cluster.rest_api.enabled': true,
  'cluster.rest_api.http_host': '0.0.0.0',
  'cluster.rest_api.http_port': 8181,
  'cluster.rest_api.root_uri': '/midonet-api',
  'cluster.rest_api.max_body_bytes': 1048576,
  // Prometheus metrics of the node at GET /metrics on the REST port (outside root_uri, no auth);
  // false: no metrics are kept and /metrics is 404 (docs/observability.md).
  'cluster.rest_api.metrics_enabled': true,
  'cluster.auth.provider_class': 'org.midonet.cluster.auth.MockAuthService',
  'zookeeper.session_timeout': 30000,
  'zookeeper.base_retry': 1000,
  'zookeeper.max_retries': 10,
  'zookeeper.transaction_max_attempts': 40,
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export class Settings {
  private readonly values = new Map<string, string | number | boolean>(Object.entries(DEFAULTS));

  constructor(overrides: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(overrides)) this.set(k, v);
  }

  set(key: string, raw: string): void {
    const def = DEFAULTS[key];
    if (def === undefined) throw new SettingsError(`unknown configuration key '${key}'`);
    if (typeof def === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || raw.trim() === '') throw new SettingsError(`'${key}' must be a number, got '${raw}'`);
      this.values.set(key, n);
    } else if (typeof def === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new SettingsError(`'${key}' must be true or false, got '${raw}'`);
      this.values.set(key, raw === 'true');
    } else {
      this.values.set(key, raw);
    }
  }

  string(key: string): string {
    return String(this.values.get(key));
  }

  number(key: string): number {
    return Number(this.values.get(key));
  }

  bool(key: string): boolean {
    return this.values.get(key) === true;
  }
}
