/**
 * Scrubbing of secrets from everything that is logged. Applied by the logger to every line
 * (message and metadata, JSON and text format alike), so a careless `log.info(..., { headers })`
 * or an error message quoting a request still cannot leak a credential.
 *
 * What counts as a secret:
 * - the value of any field whose name looks like a credential (`password`, `token`, `secret`,
 *   `authorization`, `cookie`, `credential`, `api_key`, `private_key`, ... in any case and
 *   separator style: `X-Auth-Token`, `keystore_password`, `userPassword`);
 * - the `value` next to a `key`/`name` field that names such a setting (`{ key:
 *   'cluster.auth.keystone.user_password', value: '...' }`, as config reload logs might write);
 * - inside any string: HTTP Basic/Bearer credentials, `name=value` / `name: value` / `"name":"value"`
 *   pairs with a credential-like name (query strings, cookies, header dumps, HOCON lines, JSON
 *   text, `-Dmidonet.keystore_password=...`), and the login cookie `sessionId=<token>`;
 * - any value registered with `registerSecret` (e.g. the keystore password once it is read), wherever
 *   it appears.
 */

export const REDACTED = '[REDACTED]';

/** Normalised (lower case, no separators) field names containing one of these are secrets. */
const SECRET_NAME_PARTS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'authorization', 'cookie', 'credential', 'apikey', 'privatekey'];

/** Field names that are about secrets but are not secrets themselves. */
const NOT_SECRET = new Set(['tokenexpires', 'passwordset', 'hastoken', 'passwordfrom', 'passwordsource']);

export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (NOT_SECRET.has(n)) return false;
  return SECRET_NAME_PARTS.some((p) => n.includes(p));
}

/** Names used in text patterns: any identifier-ish run ending in, or containing, a secret word. */
const NAME_RE_SRC = '[A-Za-z0-9_.\\-]*(?:password|passwd|passphrase|secret|token|authorization|cookie|credential|api[_-]?key|private[_-]?key)[A-Za-z0-9_.\\-]*';

/**
 * `re` can only match a string in which `hint` matches: the cheap test runs first (every access-log
 * line goes through here, and almost none holds a secret).
 */
type Rule = { hint: RegExp; re: RegExp; replace: (match: string, ...groups: string[]) => string };

const TEXT_RULES: Rule[] = [
  // Authorization: Basic dXNlcjpwYXNz / Bearer abc / Negotiate ...
  // (a credential-looking word: not all lower case, so "Basic configuration" stays readable)
  {
    hint: /basic|bearer|negotiate|digest/i,
    re: /\b([Bb]asic|BASIC|[Bb]earer|BEARER|[Nn]egotiate|[Dd]igest)\s+(?=[A-Za-z0-9+/=._~-]*[A-Z0-9+/=])[A-Za-z0-9+/=._~-]{6,}/g,
    replace: (_m, scheme) => `${scheme} ${REDACTED}`,
  },
  // the login cookie (sessionId=<token>) in Cookie / Set-Cookie text; a field named sessionId is
  // left alone, it is the (public) ZooKeeper session id
  { hint: /session/i, re: /\b(session[_-]?id=)(?!\[REDACTED\])[^\s;&,"']+/gi, replace: (_m, name) => `${name}${REDACTED}` },
  // password=x, ?token=x&, -Dmidonet.keystore_password=x, password = x, X-Auth-Token: x,
  // "password": "x" (JSON text), 'x-auth-token': 'x' (util.inspect)
  {
    hint: /password|passwd|passphrase|secret|token|authorization|cookie|credential|api[_-]?key|private[_-]?key/i,
    re: new RegExp(
      `(${NAME_RE_SRC})(["']?\\s*[=:]\\s*)(?!\\[REDACTED\\]|"\\[REDACTED\\]"|(?:Basic|Bearer|Negotiate|Digest)\\s+\\[REDACTED\\])((?:Basic|Bearer|Negotiate|Digest)\\s+[^\\s&;,"'}\\]]+|[^\\s&;,"'}\\]]*\\[REDACTED\\]|"(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|[^\\s&;,"'}\\]]+)`,
      'gi',
    ),
    replace: (match, name, sep, value) => {
      // file names in stack traces (auth/token.ts:12:3) are not credentials
      if (/\.(?:ts|js|mjs|cjs|java|scala|py|proto|conf)$/i.test(name ?? '')) return match;
      const q = value?.[0] === '"' || value?.[0] === "'" ? value[0] : '';
      return `${name}${sep}${q}${REDACTED}${q}`;
    },
  },
];

const secrets = new Set<string>();

/** Scrubs this exact value wherever it appears in a log line from now on (ignored if shorter than 4). */
export function registerSecret(value: string): void {
  if (typeof value === 'string' && value.length >= 4) secrets.add(value);
}

export function redactString(s: string): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const { hint, re, replace } of TEXT_RULES) {
    if (hint.test(out)) out = out.replace(re, replace);
  }
  return out;
}

const MAX_DEPTH = 8;

/**
 * A redacted copy of a log record's value: secret-named fields replaced, strings scrubbed,
 * errors reduced to name/message/stack, bigints as decimal strings, cycles cut. Plain data only,
 * so the result is safe for JSON.stringify.
 */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? String(value) : value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: redactString(value.message) };
      if (value.stack) out['stack'] = redactString(value.stack);
      const code = (value as { code?: unknown }).code;
      if (code !== undefined) out['code'] = redactValue(code, depth + 1, seen);
      return out;
    }
    if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Map) return redactRecord(Object.fromEntries(value as Map<PropertyKey, unknown>), depth, seen);
    if (value instanceof Set) return [...value].map((v) => redactValue(v, depth + 1, seen));
    if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
    // Headers (fetch) and similar iterables of pairs
    if (typeof Headers !== 'undefined' && value instanceof Headers) return redactRecord(Object.fromEntries(value.entries()), depth, seen);
    return redactRecord(value as Record<string, unknown>, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function redactRecord(rec: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // { key: 'cluster.auth.keystone.user_password', value: 'x' }: the value is a secret.
  const named = typeof rec['key'] === 'string' ? rec['key'] : typeof rec['name'] === 'string' ? rec['name'] : undefined;
  const secretValue = named !== undefined && isSecretName(named);
  for (const [k, v] of Object.entries(rec)) {
    if (v === undefined) continue;
    if (isSecretName(k) || (secretValue && /^(value|values|old|new|oldValue|newValue|previous|current)$/i.test(k))) {
      out[k] = v === null || v === '' ? v : REDACTED;
    } else {
      out[k] = redactValue(v, depth + 1, seen);
    }
  }
  return out;
}

/** Query parameters whose values are never logged (names like token, password, key, secret, ...). */
export function isSecretQueryName(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return isSecretName(name) || /(^|[_.-])key$/i.test(name) || ['auth', 'pass', 'pwd', 'sig', 'signature'].includes(n);
}

/**
 * A request target for the access log: the path as sent (cut at `maxLength`), and the query
 * string with the values of secret-named parameters replaced. Malformed escapes are kept as sent.
 */
export function redactUrl(url: string, maxLength = 2048): string {
  const q = url.indexOf('?');
  let out: string;
  if (q < 0) {
    out = url;
  } else {
    const params = url
      .slice(q + 1)
      .split('&')
      .map((pair) => {
        if (pair === '') return pair;
        const eq = pair.indexOf('=');
        const rawName = eq < 0 ? pair : pair.slice(0, eq);
        let name = rawName;
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
        } catch {
          // keep it as sent
        }
        return isSecretQueryName(name) && eq >= 0 ? `${rawName}=${REDACTED}` : pair;
      });
    out = `${url.slice(0, q)}?${params.join('&')}`;
  }
  out = redactString(out);
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}
