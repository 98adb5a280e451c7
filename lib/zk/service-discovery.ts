/**
 * Service registration and lookup compatible with Apache Curator's x-discovery (services.md §0.3),
 * as MidoNet 5 (Curator 2.9.1) uses it, so Java agents and tools find what this node registers:
 *
 * - instance node `<root>/service-discovery/<service name>/<instance id>`, EPHEMERAL for the
 *   DYNAMIC service type, parents created persistent;
 * - data: the JSON Jackson 1 writes for `ServiceInstance` (JsonInstanceSerializer), keys in this
 *   order: name, id, address, port, sslPort, payload, registrationTimeUTC, serviceType, uriSpec.
 *   There is no `enabled` key: Curator 2.9.1 predates it (CURATOR-275) and its mapper fails on
 *   unknown properties, so writing it would make the Java readers throw. Reading is tolerant
 *   (newer Curators write `enabled`; unknown keys are ignored);
 * - register = create; NODEEXISTS (a node of an earlier session not yet expired) = delete and
 *   create again, at most twice (ServiceDiscoveryImpl.internalRegisterService). With `exclusive`
 *   (an instance id names one process, as a cluster node's host id does) only a node of one of
 *   this object's own earlier sessions is replaced; another session's is left alone
 *   (InstanceTakenError, or the `conflict` event once registered), and `claim` waits for such a
 *   node to go (its session to expire) before a registration;
 * - every registration is made again on a new session (after expiry), and checked on a reconnect
 *   of the same session (recreated if the server lost it, e.g. deleted by hand).
 *
 * Membership watches (`watchInstances`) follow the children of `<base>/<name>` (and its creation
 * while it does not exist) and report the full list whenever it changed. They follow membership,
 * not updates of an instance's data.
 */
import { EventEmitter } from 'node:events';
import { Backoff } from '../retry.js';
import type { Watcher, ZkClient, ZkLogger, ZkStat } from './client.js';
import { isNoNode, isNodeExists, ZkError } from './errors.js';
import { joinPath } from './paths.js';
import { SessionFollower } from './session-follower.js';

/** Base path of registrations under the root key (services.md §0.1). */
export const SERVICE_DISCOVERY_DIR = 'service-discovery';
/** The service name cluster nodes register their REST API under (issue 6; none in the original). */
export const CLUSTER_SERVICE_NAME = 'midonet-cluster';

export function discoveryBasePath(rootKey: string): string {
  return joinPath(rootKey, SERVICE_DISCOVERY_DIR);
}

export type ServiceType = 'DYNAMIC' | 'DYNAMIC_SEQUENTIAL' | 'STATIC' | 'PERMANENT';

export interface UriSpecPart {
  value: string;
  variable: boolean;
}

/** Curator's UriSpec as Jackson writes it. */
export interface UriSpec {
  parts: UriSpecPart[];
}

/** Curator's ServiceInstance, field for field. `payload` is whatever JSON the writer put there. */
export interface ServiceInstance {
  name: string;
  id: string;
  address: string | null;
  port: number | null;
  sslPort: number | null;
  payload: unknown;
  registrationTimeUTC: number;
  serviceType: ServiceType;
  uriSpec: UriSpec | null;
}

/** What register() needs; the rest defaults like Curator's builder (DYNAMIC, now, no payload). */
export interface ServiceInstanceInput {
  name: string;
  id: string;
  address?: string | null;
  port?: number | null;
  sslPort?: number | null;
  payload?: unknown;
  registrationTimeUTC?: number;
  serviceType?: ServiceType;
  /** a UriSpec, or a spec string (`{scheme}://{address}:{port}/x`) parsed like Curator's UriSpec(String) */
  uriSpec?: UriSpec | string | null;
}

/** Curator's UriSpec(String): `{name}` parts are variables (trimmed), the rest literals. */
export function parseUriSpec(raw: string): UriSpec {
  const parts: UriSpecPart[] = [];
  let inside = false;
  for (const token of raw.split(/([{}])/)) {
    if (token === '') continue;
    if (token === '{') {
      if (inside) throw new Error(`invalid uri spec '${raw}': '{' inside a variable`);
      inside = true;
    } else if (token === '}') {
      if (!inside) throw new Error(`invalid uri spec '${raw}': '}' without '{'`);
      inside = false;
    } else {
      parts.push({ value: inside ? token.trim() : token, variable: inside });
    }
  }
  if (inside) throw new Error(`invalid uri spec '${raw}': variable not closed`);
  return { parts };
}

/** A spec whose single literal part is the whole URI: how MidoNet registers its URI services. */
export function literalUriSpec(uri: string): UriSpec {
  return { parts: [{ value: uri, variable: false }] };
}

/** Curator's ServiceInstance.buildUriSpec(): variables from the instance, `scheme` https when sslPort is set. */
export function buildUri(instance: ServiceInstance, variables: Readonly<Record<string, unknown>> = {}): string {
  if (!instance.uriSpec) return '';
  const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
  const vars: Record<string, unknown> = {
    '[': '{',
    ']': '}',
    scheme: instance.sslPort !== null ? 'https' : 'http',
    name: str(instance.name),
    id: str(instance.id),
    address: str(instance.address),
    port: str(instance.port),
    'ssl-port': str(instance.sslPort),
    'registration-time-utc': str(instance.registrationTimeUTC),
    'service-type': instance.serviceType.toLowerCase(),
    ...variables,
  };
  return instance.uriSpec.parts.map((p) => (p.variable ? str(vars[p.value]) : p.value)).join('');
}

export function makeInstance(input: ServiceInstanceInput): ServiceInstance {
  if (!input.name || input.name.includes('/')) throw new Error(`invalid service name '${input.name}'`);
  if (!input.id || input.id.includes('/')) throw new Error(`invalid service instance id '${input.id}'`);
  const spec = input.uriSpec;
  return {
    name: input.name,
    id: input.id,
    address: input.address ?? null,
    port: input.port ?? null,
    sslPort: input.sslPort ?? null,
    payload: input.payload ?? null,
    registrationTimeUTC: input.registrationTimeUTC ?? Date.now(),
    serviceType: input.serviceType ?? 'DYNAMIC',
    uriSpec: spec === undefined || spec === null ? null : typeof spec === 'string' ? parseUriSpec(spec) : spec,
  };
}

/** The node data: Jackson's key order (see the module comment), no whitespace. */
export function serializeInstance(i: ServiceInstance): Buffer {
  const ordered = {
    name: i.name,
    id: i.id,
    address: i.address,
    port: i.port,
    sslPort: i.sslPort,
    payload: i.payload,
    registrationTimeUTC: i.registrationTimeUTC,
    serviceType: i.serviceType,
    uriSpec: i.uriSpec === null ? null : { parts: i.uriSpec.parts.map((p) => ({ value: p.value, variable: p.variable })) },
  };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

const SERVICE_TYPES = new Set<ServiceType>(['DYNAMIC', 'DYNAMIC_SEQUENTIAL', 'STATIC', 'PERMANENT']);

/** Parses a registration written by Curator (any version) or by us; throws on malformed data. */
export function parseInstance(data: Buffer): ServiceInstance {
  const v: unknown = JSON.parse(data.toString('utf8'));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('service instance: not a JSON object');
  const o = v as Record<string, unknown>;
  const optString = (k: string): string | null => (typeof o[k] === 'string' ? o[k] : null);
  const optInt = (k: string): number | null => (typeof o[k] === 'number' && Number.isInteger(o[k]) ? o[k] : null);
  const name = optString('name');
  const id = optString('id');
  if (name === null || id === null) throw new Error('service instance: name and id are required');
  const type = o['serviceType'];
  let uriSpec: UriSpec | null = null;
  const spec = o['uriSpec'];
  if (typeof spec === 'object' && spec !== null && Array.isArray((spec as { parts?: unknown }).parts)) {
    uriSpec = {
      parts: ((spec as { parts: unknown[] }).parts ?? []).map((p) => {
        const part = (p ?? {}) as { value?: unknown; variable?: unknown };
        return { value: typeof part.value === 'string' ? part.value : '', variable: part.variable === true };
      }),
    };
  }
  return {
    name,
    id,
    address: optString('address'),
    port: optInt('port'),
    sslPort: optInt('sslPort'),
    payload: o['payload'] ?? null,
    registrationTimeUTC: typeof o['registrationTimeUTC'] === 'number' ? o['registrationTimeUTC'] : 0,
    serviceType: typeof type === 'string' && SERVICE_TYPES.has(type as ServiceType) ? (type as ServiceType) : 'DYNAMIC',
    uriSpec,
  };
}

export interface ServiceDiscoveryOptions {
  /** `<root>/service-discovery` (discoveryBasePath) */
  basePath: string;
  logger?: ZkLogger;
  /** makes a new session when the current one expired; without it, the owner calls setClient */
  reconnect?: () => Promise<ZkClient>;
  /** never replace a registration of another session (see the module comment) */
  exclusive?: boolean;
}

/** An instance path is held by another ZooKeeper session (exclusive registrations). */
export class InstanceTakenError extends Error {
  override name = 'InstanceTakenError';
  constructor(
    readonly path: string,
    /** the holder's session id */
    readonly owner: bigint,
    /** what the holder registered, if readable */
    readonly holder: ServiceInstance | undefined,
    /** 'alive': the caller's liveness check said so; 'held': still there after the wait, or at a registration */
    readonly why: 'alive' | 'held',
  ) {
    super(`${path} is registered by another ZooKeeper session (0x${owner.toString(16)})`);
  }
}

export interface ClaimOptions {
  /** how long to wait for another session's node to go (an expiring session: up to its timeout) */
  timeoutMs: number;
  /** says whether the holder is known to be alive: then there is no point in waiting */
  isAlive?: (holder: ServiceInstance) => Promise<boolean>;
  /** called once when a holder is found and the wait begins */
  onWait?: (holder: ServiceInstance | undefined, owner: bigint) => void;
  signal?: AbortSignal;
}

export interface ServiceDiscoveryEvents {
  /** an instance of ours was (re-)registered after a session change or loss of its node */
  reregistered: [instance: ServiceInstance];
  /** exclusive: an instance of ours cannot be registered again, another session holds its path */
  conflict: [error: InstanceTakenError];
}

/** A membership watch; close() stops it. */
export interface InstanceWatch {
  close(): void;
  /** the last list reported */
  readonly instances: readonly ServiceInstance[];
}

const SILENT: ZkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const REREGISTER_RETRY_MS = 1000;
const REREGISTER_MAX_RETRY_MS = 10_000;

interface Registration {
  instance: ServiceInstance;
  path: string;
  watcher: Watcher;
}

interface WatchState {
  name: string;
  onChange: (instances: ServiceInstance[]) => void;
  last: ServiceInstance[];
  lastKey: string | undefined;
  closed: boolean;
  running: boolean;
  again: boolean;
  watcher: Watcher;
}

export class ServiceDiscovery extends EventEmitter<ServiceDiscoveryEvents> {
  readonly basePath: string;
  private readonly log: ZkLogger;
  private readonly session: SessionFollower;
  private readonly registrations = new Map<string, Registration>();
  private readonly watches = new Set<WatchState>();
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly exclusive: boolean;
  /** every session this object has been on: their nodes are ours to replace */
  private readonly ownSessions = new Set<bigint>();
  /** waits between re-registration tries while connected (lib/retry.ts), reset once all are in */
  private readonly reregisterBackoff = new Backoff({ baseMs: REREGISTER_RETRY_MS, maxDelayMs: REREGISTER_MAX_RETRY_MS });

  constructor(client: ZkClient, opts: ServiceDiscoveryOptions) {
    super();
    this.basePath = joinPath(opts.basePath);
    this.log = opts.logger ?? SILENT;
    this.exclusive = opts.exclusive === true;
    this.addOwnSession(client);
    this.session = new SessionFollower(
      client,
      {
        disconnected: () => undefined,
        // Same session: ephemeral nodes are still there unless someone deleted them; check.
        reconnected: () => {
          void this.ensureRegistered(false);
          this.refreshWatches();
        },
        expired: () => undefined,
        client: (next) => {
          this.addOwnSession(next);
          void this.ensureRegistered(true);
          this.refreshWatches();
        },
      },
      { reconnect: opts.reconnect, logger: this.log, what: `service discovery ${this.basePath}` },
    );
  }

  get client(): ZkClient {
    return this.session.client;
  }

  /** Switches to a new session's client (after the previous one expired); registers again on it. */
  setClient(client: ZkClient): void {
    this.session.setClient(client);
  }

  pathFor(name: string, id?: string): string {
    return id === undefined ? joinPath(this.basePath, name) : joinPath(this.basePath, name, id);
  }

  /** Registers (or replaces) an instance; it stays registered across sessions until unregister/close. */
  async register(input: ServiceInstanceInput): Promise<ServiceInstance> {
    if (this.closed) throw new Error('service discovery is closed');
    const instance = makeInstance(input);
    const path = this.pathFor(instance.name, instance.id);
    const reg: Registration = {
      instance,
      path,
      // Our node deleted under us (by hand, by a cleanup) while the session lives: put it back.
      watcher: (ev) => {
        if (ev.type === 'NODE_DELETED' && this.registrations.get(path) === reg && !this.closed) void this.ensureRegistered(false);
      },
    };
    this.registrations.set(path, reg);
    try {
      await this.write(reg);
    } catch (e) {
      // someone else's: not ours to keep trying for
      if (e instanceof InstanceTakenError && this.registrations.get(path) === reg) this.registrations.delete(path);
      throw e;
    }
    return instance;
  }

  /**
   * Waits until `<name>/<id>` is free, or held by one of our own sessions; rejects with
   * InstanceTakenError when `isAlive` says the holder is alive, or when it is still there after
   * `timeoutMs`. For exclusive ids before `register`: a holder that crashed goes when its
   * session expires; one that runs does not.
   */
  async claim(name: string, id: string, opts: ClaimOptions): Promise<void> {
    const path = this.pathFor(name, id);
    const deadline = Date.now() + opts.timeoutMs;
    let announced = false;
    for (;;) {
      if (this.closed) throw new Error('service discovery is closed');
      if (opts.signal?.aborted) throw new Error('claim aborted');
      let wake: () => void = () => undefined;
      const changed = new Promise<void>((r) => (wake = r));
      let stat: ZkStat | null;
      try {
        stat = await this.client.exists(path, () => wake());
      } catch (e) {
        // ZooKeeper away for a moment: look again (the next look decides, deadline or not)
        if (!(e instanceof ZkError) || isNoNode(e)) throw e;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!stat || this.ownSessions.has(stat.ephemeralOwner)) return;
      const holder = await this.readInstance(path);
      if (!announced) {
        announced = true;
        if (holder && opts.isAlive && (await opts.isAlive(holder))) throw new InstanceTakenError(path, stat.ephemeralOwner, holder, 'alive');
        opts.onWait?.(holder, stat.ephemeralOwner);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new InstanceTakenError(path, stat.ephemeralOwner, holder, 'held');
      // the watch says when it goes; the periodic look covers a watch lost with a connection
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        const onAbort = (): void => done();
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        void changed.then(done);
        function done(): void {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
  }

  /** Replaces the data of a registered instance (Curator's updateService). */
  async update(input: ServiceInstanceInput): Promise<ServiceInstance> {
    const instance = makeInstance(input);
    const path = this.pathFor(instance.name, instance.id);
    const reg = this.registrations.get(path);
    if (!reg) throw new Error(`service instance ${instance.name}/${instance.id} is not registered here`);
    reg.instance = instance;
    if (!this.exclusive) {
      await this.client.setData(path, serializeInstance(instance));
      return instance;
    }
    // another session's node (a conflict) is not ours to write: the data goes in when we are back
    const stat = await this.client.exists(path);
    if (stat && stat.ephemeralOwner === this.client.sessionId) await this.client.setData(path, serializeInstance(instance), stat.version);
    return instance;
  }

  async unregister(name: string, id: string): Promise<void> {
    const path = this.pathFor(name, id);
    if (!this.registrations.delete(path)) return;
    await this.removeOwn(path);
  }

  /** Instances of a service now (unparseable ones are skipped with a warning). */
  async listInstances(name: string): Promise<ServiceInstance[]> {
    return this.readInstances(name);
  }

  /** Service names with a registration directory. */
  async listServiceNames(): Promise<string[]> {
    try {
      return (await this.client.getChildren(this.basePath)).children.sort();
    } catch (e) {
      if (isNoNode(e)) return [];
      throw e;
    }
  }

  /**
   * Calls onChange with the instances of `name` now and after every membership change (also
   * after a session change, if the list differs). Errors are logged and retried on the next
   * event or reconnect.
   */
  watchInstances(name: string, onChange: (instances: ServiceInstance[]) => void): InstanceWatch {
    const state: WatchState = {
      name,
      onChange,
      last: [],
      lastKey: undefined,
      closed: false,
      running: false,
      again: false,
      watcher: () => {
        if (!state.closed) void this.refresh(state);
      },
    };
    this.watches.add(state);
    void this.refresh(state);
    return {
      close: () => {
        state.closed = true;
        this.watches.delete(state);
      },
      get instances() {
        return state.last;
      },
    };
  }

  /** Unregisters everything of ours (nodes deleted), stops watches; closes the client only if ours. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const w of this.watches) w.closed = true;
    this.watches.clear();
    const paths = [...this.registrations.keys()];
    this.registrations.clear();
    if (this.client.state === 'connected') await Promise.all(paths.map((p) => this.removeOwn(p)));
    await this.session.close();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Creates the node; NODEEXISTS: a node of another session (an earlier one of ours not yet
   * expired, or a stranger's) is deleted and the create tried again (Curator's delete-and-create,
   * twice at most); a node of our own session gets the data. Then watches it for deletion.
   */
  private async write(reg: Registration): Promise<void> {
    const zk = this.client;
    const data = serializeInstance(reg.instance);
    let replaced = 0;
    for (let tries = 0; ; tries++) {
      if (this.registrations.get(reg.path) !== reg) return; // unregistered meanwhile
      try {
        await zk.create(reg.path, data, 'ephemeral');
      } catch (e) {
        if (isNoNode(e) && tries < 3) {
          await zk.mkdirp(this.pathFor(reg.instance.name));
          continue;
        }
        if (!isNodeExists(e)) throw e;
        const stat = await zk.exists(reg.path);
        if (stat && stat.ephemeralOwner === zk.sessionId) {
          await zk.setData(reg.path, data);
        } else {
          if (stat && this.exclusive && !this.ownSessions.has(stat.ephemeralOwner)) {
            throw new InstanceTakenError(reg.path, stat.ephemeralOwner, await this.readInstance(reg.path), 'held');
          }
          if (++replaced > 2) throw e;
          await this.removeQuietly(reg.path);
          continue;
        }
      }
      // The watch is set after the write: a node deleted or taken in between would be missed by
      // it, so what it finds decides whether the write stands.
      const stat = await zk.exists(reg.path, reg.watcher);
      if (stat?.ephemeralOwner === zk.sessionId) return;
      if (tries >= 5) throw new Error(`service instance ${reg.path} keeps changing under its registration`);
    }
  }

  private async ensureRegistered(newSession: boolean): Promise<void> {
    clearTimeout(this.retryTimer);
    if (this.closed) return;
    let failed = false;
    for (const reg of [...this.registrations.values()]) {
      try {
        const stat = await this.client.exists(reg.path, reg.watcher);
        if (stat && stat.ephemeralOwner === this.client.sessionId) continue;
        await this.write(reg);
        this.log.info('service discovery: instance registered again', { path: reg.path, newSession });
        this.emit('reregistered', reg.instance);
      } catch (e) {
        if (e instanceof InstanceTakenError) {
          // not fought over: registered again when the other one's node goes (reg.watcher)
          this.log.error('service discovery: another session holds an instance of ours; not replacing it', {
            path: reg.path,
            owner: `0x${e.owner.toString(16)}`,
          });
          this.emit('conflict', e);
          await this.client.exists(reg.path, reg.watcher).catch(() => undefined);
          continue;
        }
        failed = true;
        this.log.warn('service discovery: could not register an instance again', { path: reg.path, error: (e as Error).message });
      }
    }
    if (!failed) this.reregisterBackoff.reset();
    // While connected, keep trying; otherwise the next reconnect or session does it.
    if (failed && !this.closed && this.client.connected) {
      this.retryTimer = setTimeout(() => void this.ensureRegistered(newSession), this.reregisterBackoff.next());
      this.retryTimer.unref();
    }
  }

  private refreshWatches(): void {
    for (const w of this.watches) void this.refresh(w);
  }

  /** One refresh at a time per watch; events that arrive meanwhile cause one more pass. */
  private async refresh(state: WatchState): Promise<void> {
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    try {
      do {
        state.again = false;
        if (state.closed || this.closed) return;
        let instances: ServiceInstance[];
        try {
          instances = await this.readInstances(state.name, state.watcher);
        } catch (e) {
          this.log.warn('service discovery: watch refresh failed', { service: state.name, error: (e as Error).message });
          return; // a reconnect or new session refreshes again
        }
        if (state.closed || this.closed) return;
        const key = instances.map((i) => serializeInstance(i).toString('utf8')).join('\n');
        if (key !== state.lastKey) {
          state.lastKey = key;
          state.last = instances;
          try {
            state.onChange(instances);
          } catch (e) {
            this.log.error('service discovery: watch callback threw', { service: state.name, error: (e as Error).message });
          }
        }
      } while (state.again);
    } finally {
      state.running = false;
    }
  }

  /** Children of `<base>/<name>` (watched if `watcher`), then each one's data, sorted by id. */
  private async readInstances(name: string, watcher?: Watcher): Promise<ServiceInstance[]> {
    const zk = this.client;
    const dir = this.pathFor(name);
    let children: string[];
    try {
      children = (await zk.getChildren(dir, watcher)).children;
    } catch (e) {
      if (!isNoNode(e)) throw e;
      // Not there yet: watch for its creation (exists sets a watch on a missing node too).
      if (watcher && (await zk.exists(dir, watcher))) return this.readInstances(name, watcher);
      return [];
    }
    const found = await Promise.all(
      children.map(async (id) => {
        try {
          return parseInstance((await zk.getData(joinPath(dir, id))).data);
        } catch (e) {
          if (isNoNode(e)) return undefined;
          if (e instanceof SyntaxError || (e instanceof Error && e.message.startsWith('service instance'))) {
            this.log.warn('service discovery: skipping an unreadable registration', { path: joinPath(dir, id), error: e.message });
            return undefined;
          }
          throw e;
        }
      }),
    );
    return found.filter((i): i is ServiceInstance => i !== undefined).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private addOwnSession(client: ZkClient): void {
    // 0: not connected yet, and the owner of every persistent node
    if (client.sessionId !== 0n) this.ownSessions.add(client.sessionId);
  }

  /** One instance's registration, or undefined when gone or unreadable. */
  private async readInstance(path: string): Promise<ServiceInstance | undefined> {
    try {
      return parseInstance((await this.client.getData(path)).data);
    } catch {
      return undefined;
    }
  }

  /** Deletes a registration of ours; exclusive: not another session's node at the same path. */
  private async removeOwn(path: string): Promise<void> {
    if (!this.exclusive) return this.removeQuietly(path);
    try {
      const stat = await this.client.exists(path);
      if (stat && this.ownSessions.has(stat.ephemeralOwner)) await this.client.remove(path, stat.version);
    } catch (e) {
      if (!isNoNode(e)) this.log.warn('service discovery: could not delete a registration', { path, error: (e as Error).message });
    }
  }

  private async removeQuietly(path: string): Promise<void> {
    try {
      await this.client.remove(path);
    } catch (e) {
      if (!isNoNode(e)) this.log.warn('service discovery: could not delete a registration', { path, error: (e as Error).message });
    }
  }
}
