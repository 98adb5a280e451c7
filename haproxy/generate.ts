/**
 * The HAProxy configuration for a VIP in front of cluster nodes, as a pure function of
 * (vip, nodes, options) over haproxy/haproxy.cfg.template (where each setting is argued). The
 * output is deterministic (no timestamp, servers sorted by id), so a caller can compare it with
 * the file in place and skip a reload when nothing changed.
 *
 * Conventions followed (auth-https-deploy.md §3.7): VIP on 8181, optional TLS passthrough on
 * 8443 in tcp mode, `option redispatch` + `retries 3`, X-Forwarded-For/-Proto in http mode; the
 * health check uses the node's unauthenticated /readyz instead of `OPTIONS /midonet-api/`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceInstance } from '../lib/zk/service-discovery.js';

export interface Endpoint {
  address: string;
  port: number;
}

/** A cluster node as HAProxy sees it. */
export interface HaproxyNode {
  /** stable identity (the discovery instance id, i.e. the node's host id): the server name */
  id: string;
  address: string;
  /** plain HTTP REST port (health checks always go here) */
  port: number;
  /** HTTPS port, for the TLS passthrough backend; nodes without one are left out of it */
  sslPort?: number | null;
}

/** A duration in HAProxy syntax ('2s', '500ms', '1m') or a number of milliseconds. */
export type Duration = string | number;

export interface HaproxyTimeouts {
  connect: Duration;
  client: Duration;
  server: Duration;
  httpRequest: Duration;
  httpKeepAlive: Duration;
  queue: Duration;
  check: Duration;
}

export interface HaproxyOptions {
  /** VIP port of the TLS passthrough frontend (8443 by convention); none when absent/null */
  tlsPort?: number | null;
  /** default 'roundrobin' (see the template for why) */
  balance?: 'roundrobin' | 'leastconn';
  /** runtime API socket, default /run/haproxy/midonet-cluster.sock */
  statsSocket?: string;
  /** server-state-file (kept across reloads by haproxy/watch.ts); none by default */
  serverStateFile?: string | null;
  /** `log` target of `global`, default '/dev/log local0' (Debian's); null: no logging */
  log?: string | null;
  /** a `listen stats` page on this address (no admin), none by default */
  statsBind?: Endpoint | null;
  maxconn?: number;
  /** health checks: default inter 2s, rise 2, fall 3 (see the template) */
  check?: { inter?: Duration; rise?: number; fall?: number };
  timeouts?: Partial<HaproxyTimeouts>;
  /** default 3 */
  retries?: number;
  /** methods whose requests may be replayed after an empty response or a response timeout */
  idempotentMethods?: readonly string[];
  /** default '/readyz' */
  healthPath?: string;
  /**
   * default 'GET'. Nodes without /readyz (older builds, Java nodes) can be probed with
   * `OPTIONS /midonet-api/`, which answers 200 without authentication (auth-https-deploy.md §3.7).
   */
  healthMethod?: string;
  /** default 'midonet_api' */
  backendName?: string;
}

export const DEFAULT_TIMEOUTS: HaproxyTimeouts = {
  connect: '2s',
  client: '60s',
  server: '60s',
  httpRequest: '10s',
  httpKeepAlive: '10s',
  queue: '30s',
  check: '2s',
};
/** RFC 9110 §9.2.2. A replayed DELETE that had been applied answers 404 the second time. */
export const IDEMPOTENT_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'];
export const DEFAULT_STATS_SOCKET = '/run/haproxy/midonet-cluster.sock';
export const DEFAULT_LOG = '/dev/log local0';

const TEMPLATE_FILE = fileURLToPath(new URL('./haproxy.cfg.template', import.meta.url));
let bundled: string | undefined;

/** haproxy/haproxy.cfg.template, read once. */
export function defaultTemplate(): string {
  bundled ??= readFileSync(TEMPLATE_FILE, 'utf8');
  return bundled;
}

export class HaproxyConfigError extends Error {
  override name = 'HaproxyConfigError';
}

/** The complete configuration text. Throws HaproxyConfigError on invalid input. */
export function generateHaproxyConfig(
  vip: Endpoint,
  nodes: readonly HaproxyNode[],
  options: HaproxyOptions = {},
  template: string = defaultTemplate(),
): string {
  checkEndpoint(vip, 'vip');
  const t = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const backend = options.backendName ?? 'midonet_api';
  if (!/^[A-Za-z0-9_.:-]+$/.test(backend)) throw new HaproxyConfigError(`invalid backend name '${backend}'`);
  const methods = options.idempotentMethods ?? IDEMPOTENT_METHODS;
  for (const m of methods) if (!/^[A-Z]+$/.test(m)) throw new HaproxyConfigError(`invalid HTTP method '${m}'`);
  if (methods.length === 0) throw new HaproxyConfigError('idempotentMethods must not be empty');
  const health = options.healthPath ?? '/readyz';
  const healthMethod = options.healthMethod ?? 'GET';
  if (!/^[A-Z]+$/.test(healthMethod)) throw new HaproxyConfigError(`invalid health check method '${healthMethod}'`);
  if (!/^\/[^\s]*$/.test(health)) throw new HaproxyConfigError(`invalid health check path '${health}'`);
  const balance = options.balance ?? 'roundrobin';
  if (balance !== 'roundrobin' && balance !== 'leastconn') throw new HaproxyConfigError(`invalid balance '${String(balance)}'`);
  const tlsPort = options.tlsPort ?? null;
  if (tlsPort !== null) checkPort(tlsPort, 'tlsPort');
  const servers = serverLines(nodes);
  const log = options.log === undefined ? DEFAULT_LOG : options.log;
  return renderTemplate(template, {
    generated: `generated by midonet-cluster haproxy-config: ${nodes.length} node(s); do not edit, it is rewritten`,
    log: log === null ? null : oneLine(log, 'log'),
    maxconn: String(positiveInt(options.maxconn ?? 4096, 'maxconn')),
    stats_socket: pathValue(options.statsSocket ?? DEFAULT_STATS_SOCKET, 'statsSocket'),
    server_state_file: options.serverStateFile ? pathValue(options.serverStateFile, 'serverStateFile') : null,
    timeout_connect: duration(t.connect, 'timeouts.connect'),
    timeout_client: duration(t.client, 'timeouts.client'),
    timeout_server: duration(t.server, 'timeouts.server'),
    timeout_http_request: duration(t.httpRequest, 'timeouts.httpRequest'),
    timeout_http_keep_alive: duration(t.httpKeepAlive, 'timeouts.httpKeepAlive'),
    timeout_queue: duration(t.queue, 'timeouts.queue'),
    timeout_check: duration(t.check, 'timeouts.check'),
    http_bind: hostPort(vip.address, vip.port),
    backend,
    balance,
    health_path: health,
    health_method: healthMethod,
    check_inter: duration(options.check?.inter ?? '2s', 'check.inter'),
    check_rise: String(positiveInt(options.check?.rise ?? 2, 'check.rise')),
    check_fall: String(positiveInt(options.check?.fall ?? 3, 'check.fall')),
    retries: String(nonNegativeInt(options.retries ?? 3, 'retries')),
    idempotent_methods: methods.join(' '),
    http_servers: servers.map((s) => `    server ${s.name} ${hostPort(s.node.address, s.node.port)} check`).join('\n'),
    tls: tlsPort !== null,
    tls_bind: tlsPort !== null ? hostPort(vip.address, tlsPort) : null,
    tls_servers: servers
      .filter((s) => s.node.sslPort !== null && s.node.sslPort !== undefined)
      .map((s) => `    server ${s.name} ${hostPort(s.node.address, s.node.sslPort as number)} check port ${s.node.port}`)
      .join('\n'),
    stats_bind: options.statsBind ? (checkEndpoint(options.statsBind, 'statsBind'), hostPort(options.statsBind.address, options.statsBind.port)) : null,
  });
}

/** Nodes from discovery instances; instances without an address or port are skipped. */
export function nodesFromInstances(instances: readonly ServiceInstance[]): HaproxyNode[] {
  const out: HaproxyNode[] = [];
  for (const i of instances) {
    if (!i.address || i.port === null) continue;
    out.push({ id: i.id, address: i.address, port: i.port, sslPort: i.sslPort });
  }
  return out;
}

/** 'ADDR:PORT', '[v6]:PORT' or ':PORT' (all addresses). */
export function parseEndpoint(text: string, defaultAddress = '0.0.0.0'): Endpoint {
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new HaproxyConfigError(`expected ADDR:PORT, got '${text}'`);
  const address = m[1] ?? (m[2] || defaultAddress);
  const ep = { address, port: Number(m[3]) };
  checkEndpoint(ep, text);
  return ep;
}

/** `--nodes` items: 'HOST:PORT' or 'HOST:PORT:SSLPORT' ('[v6]:PORT[:SSLPORT]'); ids n1, n2, … in order. */
export function parseNodeList(text: string): HaproxyNode[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.map((item, i) => {
    const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})(?::(\d{1,5}))?$/.exec(item);
    if (!m) throw new HaproxyConfigError(`expected HOST:PORT[:SSLPORT], got '${item}'`);
    const node: HaproxyNode = { id: `n${i + 1}`, address: m[1] ?? m[2], port: Number(m[3]), sslPort: m[4] ? Number(m[4]) : null };
    checkPort(node.port, item);
    if (node.sslPort !== null) checkPort(node.sslPort as number, item);
    return node;
  });
}

/**
 * Renders the template: lines starting with `##` are dropped, `{{#k}}`…`{{/k}}` blocks (each
 * marker on its own line) are kept when k's value is truthy, `{{k}}` is replaced by k's value.
 * A placeholder without a value throws, so a typo in the template cannot go unnoticed.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | boolean | null | undefined>>): string {
  let text = template
    .split('\n')
    .filter((l) => !l.startsWith('##'))
    .join('\n');
  const block = /^\{\{#(\w+)\}\}\n([\s\S]*?)^\{\{\/\1\}\}\n?/m;
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const key = m[1];
    if (!(key in values)) throw new HaproxyConfigError(`template: no value for block '${key}'`);
    const v = values[key];
    text = text.slice(0, m.index) + (v ? m[2] : '') + text.slice(m.index + m[0].length);
  }
  return text.replace(/\{\{([#/]?)(\w+)\}\}/g, (_all, mark: string, key: string) => {
    if (mark) throw new HaproxyConfigError(`template: unbalanced block marker '{{${mark}${key}}}'`);
    const v = values[key];
    if (typeof v !== 'string') throw new HaproxyConfigError(`template: no value for '${key}'`);
    return v;
  });
}

// ---------------------------------------------------------------------------------------------

interface NamedNode {
  name: string;
  node: HaproxyNode;
}

/** Server names from the node ids (HAProxy allows [A-Za-z0-9_.:-]), unique, sorted by id. */
function serverLines(nodes: readonly HaproxyNode[]): NamedNode[] {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const used = new Set<string>();
  return sorted.map((node) => {
    checkEndpoint({ address: node.address, port: node.port }, `node ${node.id}`);
    if (node.sslPort !== null && node.sslPort !== undefined) checkPort(node.sslPort, `node ${node.id} sslPort`);
    const base = node.id.replace(/[^A-Za-z0-9_.:-]/g, '_') || 'node';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return { name, node };
  });
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function checkEndpoint(ep: Endpoint, what: string): void {
  if (typeof ep.address !== 'string' || ep.address === '' || /[\s[\]#]/.test(ep.address))
    throw new HaproxyConfigError(`${what}: invalid address '${ep.address}'`);
  checkPort(ep.port, what);
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new HaproxyConfigError(`${what}: invalid port ${port}`);
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new HaproxyConfigError(`${what} must be a positive integer, got ${n}`);
  return n;
}

function nonNegativeInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new HaproxyConfigError(`${what} must be a non-negative integer, got ${n}`);
  return n;
}

function duration(d: Duration, what: string): string {
  if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 0) throw new HaproxyConfigError(`${what}: invalid duration ${d}`);
    return `${d}ms`;
  }
  if (!/^\d+(us|ms|s|m|h|d)?$/.test(d)) throw new HaproxyConfigError(`${what}: invalid duration '${d}'`);
  return d;
}

function oneLine(s: string, what: string): string {
  if (/[\n\r#]/.test(s) || s.trim() === '') throw new HaproxyConfigError(`${what}: invalid value '${s}'`);
  return s.trim();
}

function pathValue(s: string, what: string): string {
  if (!s.startsWith('/') || /[\s#]/.test(s)) throw new HaproxyConfigError(`${what}: expected an absolute path without spaces, got '${s}'`);
  return s;
}
