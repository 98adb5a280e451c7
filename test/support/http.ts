/** A small HTTP client for tests: sends exactly what it is given and returns status, headers, body. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body, or undefined when the body is empty or not JSON */
  json: unknown;
}

export async function http(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: unknown; rawBody?: string | Buffer } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { 'X-Auth-Token': '00000000', ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const MT = {
  json: 'application/json',
  app: 'application/vnd.org.midonet.Application-v5+json',
  bridge: 'application/vnd.org.midonet.Bridge-v4+json',
  bridge5: 'application/vnd.org.midonet.Bridge-v5+json',
  bridges: 'application/vnd.org.midonet.collection.Bridge-v4+json',
  router: 'application/vnd.org.midonet.Router-v3+json',
  routers: 'application/vnd.org.midonet.collection.Router-v3+json',
  port: 'application/vnd.org.midonet.Port-v3+json',
  port4: 'application/vnd.org.midonet.Port-v4+json',
  ports: 'application/vnd.org.midonet.collection.Port-v3+json',
  portLink: 'application/vnd.org.midonet.PortLink-v1+json',
  route: 'application/vnd.org.midonet.Route-v1+json',
  routes: 'application/vnd.org.midonet.collection.Route-v1+json',
  token: 'application/vnd.org.midonet.Token-v1+json',
  tenant: 'application/vnd.org.midonet.Tenant-v2+json',
  tenants: 'application/vnd.org.midonet.collection.Tenant-v2+json',
  error: 'application/vnd.org.midonet.Error-v1+json',
} as const;
