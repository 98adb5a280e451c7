/**
 * A loopback TCP proxy for failure tests: passes traffic, drops every connection (a network blip:
 * the ZooKeeper session survives), refuses new ones, or swallows traffic silently (a partition).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

export interface TcpProxy {
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  setMode(mode: ProxyMode): void;
  /** closes every open connection (the proxy keeps listening) */
  dropAll(): void;
  close(): Promise<void>;
}

/** `target` is `host:port`. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, portText] = target.split(':');
  const targetPort = Number(portText);
  let mode: ProxyMode = 'pass';
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((downstream) => {
    if (mode === 'refuse') {
      downstream.destroy();
      return;
    }
    const upstream = connect({ host, port: targetPort });
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('data', (d: Buffer) => {
      if (mode === 'pass') upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (mode === 'pass') downstream.write(d);
    });
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const dropAll = (): void => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    setMode(m) {
      mode = m;
      if (m === 'refuse') dropAll();
    },
    dropAll,
    close() {
      dropAll();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
