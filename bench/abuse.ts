/**
 * `node --import tsx bench/abuse.ts [--keystone] [--connections 1000] [--seconds 20]`: the abuse
 * of issue 18 findings 1 and 3 against a real node (its own process, default limits, loopback
 * only), with the node's resident memory (VmRSS) before, at its peak and after each part:
 *
 *   slow    --connections connections at once, each declaring a 1 MiB POST body and sending it
 *           16 KiB every 100 ms, for at most --seconds; meanwhile one client keeps reading
 *   huge    one connection declaring a 10 GB body and writing as fast as it can, at most 15 s
 *   flood   max_connections + 200 connections that send nothing, held 3 s
 *
 * The mock provider (default) lets every request in, so bodies are read: the body budget and the
 * timeouts are what bound them. `--keystone` starts a real Keystone (python3-keystone) and sends
 * no token: the node refuses before reading. Results go to stdout (docs/reliability.md quotes them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { keystoneInstalled, startKeystone, type KeystoneServer } from '../test/support/keystone.js';
import { rssMiB, startNode, startZooKeeper, type ChildServer } from './lib/env.js';

const { values: args } = parseArgs({
  options: {
    keystone: { type: 'boolean', default: false },
    connections: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
  },
});
const CONNECTIONS = Math.min(5000, Math.max(1, Number(args.connections)));
const SECONDS = Math.min(120, Math.max(1, Number(args.seconds)));
const MAX_CONNECTIONS = 1024; // the default of cluster.rest_api.max_connections
const MiB = 1024 * 1024;

/** One raw connection: what came back (status of the first response) and whether the server closed it. */
class Conn {
  status = 0;
  received = 0;
  closed = false;
  written = 0;
  /** when the connection failed or closed (performance.now()) */
  goneAt = 0;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      if (this.received === 0) this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1', 0, 16))?.[1] ?? -1);
      this.received += d.length;
    });
    socket.on('error', () => (this.goneAt ||= performance.now()));
    socket.on('close', () => {
      this.closed = true;
      this.goneAt ||= performance.now();
    });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.off('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  write(b: Buffer | string): Promise<boolean> {
    if (this.closed || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) =>
      this.socket.write(b, (e) => {
        if (!e) this.written += typeof b === 'string' ? Buffer.byteLength(b) : b.length;
        resolve(!e);
      }),
    );
  }
}

function head(url: string, length: number, token: string | undefined): string {
  const u = new URL(url);
  return [
    `POST ${u.pathname}/bridges HTTP/1.1`,
    `Host: ${u.host}`,
    'Content-Type: application/vnd.org.midonet.Bridge-v4+json',
    `Content-Length: ${length}`,
    ...(token ? [`X-Auth-Token: ${token}`] : []),
    '',
    '',
  ].join('\r\n');
}

/** Samples the node's VmRSS every 100 ms; its peak. */
function rssSampler(pid: number): { stop(): number } {
  let peak = rssMiB(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(peak, rssMiB(pid));
    },
  };
}

/** A reader that keeps asking for the bridge list; statuses and latencies. */
function steadyReader(url: string, headers: Record<string, string>): { stop(): Promise<{ statuses: Record<string, number>; ms: number[] }> } {
  let stop = false;
  const statuses: Record<string, number> = {};
  const ms: number[] = [];
  const run = (async () => {
    while (!stop) {
      const t0 = performance.now();
      let status = 'error';
      try {
        const res = await fetch(`${url}/bridges`, { headers, signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        status = String(res.status);
      } catch {
        /* counted as error */
      }
      ms.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      await sleep(20);
    }
  })();
  return {
    async stop() {
      stop = true;
      await run;
      return { statuses, ms };
    },
  };
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return `n=${s.length} median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${(s[s.length - 1] ?? NaN).toFixed(1)} ms`;
}

function count<T extends string | number>(xs: T[]): string {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, v]) => `${k}: ${v}`).join(', ');
}

const rss = (n: number): string => `${n.toFixed(1)} MiB`;

async function slowBodies(node: ChildServer, port: number, token: string | undefined, readHeaders: Record<string, string>): Promise<void> {
  const before = rssMiB(node.pid);
  const peak = rssSampler(node.pid);
  const reader = steadyReader(node.url, readHeaders);
  const piece = Buffer.alloc(16 * 1024, 0x20);
  const deadline = Date.now() + SECONDS * 1000;
  const conns: Conn[] = [];
  const failedOpen: string[] = [];
  const one = async (): Promise<void> => {
    let c: Conn;
    try {
      c = await Conn.open(port);
    } catch (e) {
      failedOpen.push((e as NodeJS.ErrnoException).code ?? 'error');
      return;
    }
    conns.push(c);
    await c.write(head(node.url, MiB, token));
    for (let sent = 0; sent < MiB && Date.now() < deadline; sent += piece.length) {
      if (!(await c.write(piece))) break;
      await sleep(100);
    }
  };
  const all: Promise<void>[] = [];
  for (let i = 0; i < CONNECTIONS; i += 100) {
    all.push(...Array.from({ length: Math.min(100, CONNECTIONS - i) }, one));
    await sleep(50);
  }
  await Promise.all(all);
  // what the node did with them by the time bound (or once all were sent)
  await sleep(Math.max(0, Math.min(3000, deadline - Date.now())));
  const outcome = conns.map((c) => (c.status > 0 ? String(c.status) : c.closed ? 'closed unanswered' : 'open'));
  const bytes = conns.reduce((n, c) => n + c.written, 0);
  const peakRss = peak.stop();
  for (const c of conns) c.socket.destroy();
  const read = await reader.stop();
  await sleep(3000);
  console.log(
    `slow bodies: ${CONNECTIONS} connections, 1 MiB declared each, 16 KiB every 100 ms, at most ${SECONDS} s${token === undefined ? ' (no token)' : ''}`,
  );
  console.log(
    `  answers: ${count(outcome)}${failedOpen.length ? `; connect failed: ${count(failedOpen)}` : ''}; body bytes the clients got to write: ${(bytes / MiB).toFixed(1)} MiB`,
  );
  console.log(`  node VmRSS: before ${rss(before)}, peak ${rss(peakRss)} (+${rss(peakRss - before)}), 3 s after ${rss(rssMiB(node.pid))}`);
  console.log(`  reads meanwhile: ${JSON.stringify(read.statuses)}; ${summary(read.ms)}`);
}

async function hugeBody(node: ChildServer, port: number, token: string | undefined, readHeaders: Record<string, string>): Promise<void> {
  const before = rssMiB(node.pid);
  const reader = steadyReader(node.url, readHeaders);
  await sleep(500);
  const c = await Conn.open(port);
  const t0 = performance.now();
  await c.write(head(node.url, 10 * 1024 * MiB, token));
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const deadline = Date.now() + 15_000;
  // the write that no longer returns (the node reads no more) is cut short by the deadline
  const blocked = sleep(Math.max(0, deadline - Date.now())).then(() => false);
  while (!c.goneAt && Date.now() < deadline) {
    if (!(await Promise.race([c.write(chunk), blocked]))) break;
  }
  await sleep(100);
  const closedAfter = c.goneAt ? `the connection ended by the node ${(c.goneAt - t0).toFixed(0)} ms after the request head` : 'still open after 15 s';
  c.socket.destroy();
  await sleep(500);
  const read = await reader.stop();
  console.log(`huge body: one connection declaring 10 GB${token === undefined ? ' (no token)' : ''}, written as fast as possible`);
  console.log(`  answer ${c.status || 'none'}, ${closedAfter}; the client got to write ${(c.written / MiB).toFixed(1)} MiB`);
  console.log(`  node VmRSS: before ${rss(before)}, after ${rss(rssMiB(node.pid))}`);
  console.log(`  reads meanwhile: ${JSON.stringify(read.statuses)}; ${summary(read.ms)}`);
}

async function flood(node: ChildServer, port: number): Promise<void> {
  const before = rssMiB(node.pid);
  const n = MAX_CONNECTIONS + 200;
  const conns: Conn[] = [];
  for (let i = 0; i < n; i++) conns.push(await Conn.open(port));
  await sleep(3000);
  const dropped = conns.filter((c) => c.closed && c.received === 0).length;
  let extra = 'served';
  try {
    const res = await fetch(`${node.url}/bridges`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    extra = `answered ${res.status}`;
  } catch (e) {
    extra = `refused (${((e as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (e as Error).message})`;
  }
  const held = rssMiB(node.pid);
  for (const c of conns) c.socket.destroy();
  await sleep(2000);
  let after = 'not served';
  try {
    const res = await fetch(`${node.url}/bridges`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    after = `answered ${res.status}`;
  } catch {
    /* reported as is */
  }
  console.log(`flood: ${n} connections sending nothing, held 3 s (max_connections ${MAX_CONNECTIONS})`);
  console.log(`  dropped on accept: ${dropped}; a request meanwhile: ${extra}; once they went: ${after}`);
  console.log(`  node VmRSS: before ${rss(before)}, held ${rss(held)}, after ${rss(rssMiB(node.pid))}`);
}

async function main(): Promise<void> {
  if (args.keystone && !keystoneInstalled()) throw new Error('--keystone: python3-keystone is not installed');
  const zk = await startZooKeeper();
  const logDir = mkdtempSync(join(tmpdir(), 'mido-abuse-'));
  let ks: KeystoneServer | undefined;
  let node: ChildServer | undefined;
  try {
    const set: Record<string, string> = {};
    if (args.keystone) {
      ks = await startKeystone();
      const service = await ks.admin.createProject('service');
      const user = await ks.admin.createUser('midonet', 'midonet-pw');
      await ks.admin.grant(service, user, await ks.admin.roleId('admin'));
      Object.assign(set, {
        'cluster.auth.provider_class': 'org.midonet.cluster.auth.keystone.KeystoneService',
        'cluster.auth.keystone.host': '127.0.0.1',
        'cluster.auth.keystone.port': String(ks.port),
        'cluster.auth.keystone.version': '3',
        'cluster.auth.keystone.tenant_name': 'service',
        'cluster.auth.keystone.user_name': 'midonet',
        'cluster.auth.keystone.user_password': 'midonet-pw',
        'cluster.auth.admin_role': 'admin',
      });
    }
    node = await startNode({ zk: zk.connectString, rootKey: `/abuse-${process.pid}`, logDir, set });
    const port = Number(new URL(node.url).port);
    let readHeaders: Record<string, string> = {};
    if (ks) {
      const login = await fetch(`${node.url}/login`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from('midonet:midonet-pw').toString('base64')}` },
      });
      readHeaders = { 'X-Auth-Token': ((await login.json()) as { key: string }).key };
    }
    // warm up: the paths used, so "before" holds what serving them costs anyway
    for (let i = 0; i < 50; i++) await (await fetch(`${node.url}/bridges`, { headers: readHeaders })).arrayBuffer();
    console.log(
      `node pid ${node.pid}, ${args.keystone ? 'Keystone provider, requests without a token' : 'mock provider (every request is let in)'}, default limits`,
    );
    const token = ks ? undefined : 'bench';
    await slowBodies(node, port, token, readHeaders);
    await hugeBody(node, port, token, readHeaders);
    await flood(node, port);
  } finally {
    await node?.stop();
    await ks?.stop();
    await zk.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  }
}

await main();
