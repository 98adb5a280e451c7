/**
 * The vendor media types of the MidoNet REST API (rest-api-core.md §2.2) and their parsing.
 */
export const JSON_TYPE = 'application/json';
export const ERROR_TYPE = 'application/vnd.org.midonet.Error-v1+json';

export function single(name: string, version: number): string {
  return `application/vnd.org.midonet.${name}-v${version}+json`;
}

export function collection(name: string, version: number): string {
  return `application/vnd.org.midonet.collection.${name}-v${version}+json`;
}

export interface MediaType {
  type: string;
  subtype: string;
  /** q parameter for Accept lists, 1 when absent */
  q: number;
}

const TOKEN = /^[A-Za-z0-9!#$&^_.+*-]+$/;

/** Parses one media type; parameters other than q are ignored. Undefined when malformed. */
export function parseMediaType(text: string): MediaType | undefined {
  const [essence, ...params] = text.split(';');
  const parts = (essence ?? '').trim().split('/');
  if (parts.length !== 2) return undefined;
  const [type, subtype] = parts.map((p) => p.trim().toLowerCase()) as [string, string];
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  let q = 1;
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim());
    if (k?.toLowerCase() === 'q' && v !== undefined) {
      const n = Number(v);
      if (!Number.isNaN(n)) q = n;
    }
  }
  return { type, subtype, q };
}

/** JAX-RS "compatible": equal ignoring case and parameters, `*` on either side matches. */
export function compatible(a: MediaType, b: MediaType): boolean {
  const typeOk = a.type === '*' || b.type === '*' || a.type === b.type;
  const subOk = a.subtype === '*' || b.subtype === '*' || a.subtype === b.subtype;
  return typeOk && subOk;
}

export function isWildcard(m: MediaType): boolean {
  return m.type === '*' || m.subtype === '*';
}

export function format(m: MediaType): string {
  return `${m.type}/${m.subtype}`;
}
