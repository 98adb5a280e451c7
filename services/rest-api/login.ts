/**
 * `{root}/login` (auth-https-deploy.md §1.5): any method, HTTP Basic credentials, optional
 * `X-Auth-Project`; answers a Token-v1 body and a `sessionId` cookie, or 401 with the original's
 * `WWW-Authenticate` header.
 */
import type { IncomingMessage as Request } from 'node:http';
import { header } from '../../lib/http/exchange.js';
import { AuthError, type AuthProvider } from '../../lib/auth/provider.js';
import { HttpError } from '../../lib/http/errors.js';
import { single } from '../../lib/http/media-types.js';
import type { Stage } from './exchange.js';

const WWW_AUTHENTICATE = 'Basic  realm="BASIC_AUTH_REALM"';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The original's cookie date: `EEE, dd-MM-yyyy HH:mm:ss z` in UTC, numeric month. */
export function formatExpiry(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())}-${p(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`
  );
}

function fail(msg: string): HttpError {
  return new HttpError(401, msg, { headers: { 'WWW-Authenticate': WWW_AUTHENTICATE } });
}

function credentials(req: Request): { user: string; password: string } {
  const authorization = header(req, 'authorization');
  if (!authorization) throw fail('Authorization header is not set.');
  if (!authorization.toLowerCase().startsWith('basic ')) throw fail('Authorization header does not contain Basic.');
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const parts = decoded.split(':');
  if (parts.length !== 2 || parts[1] === '') throw fail('Authorization header is not valid');
  return { user: parts[0], password: parts[1] };
}

/**
 * The login stage: answers the token, or fails with the 401 challenge; any refusal of the
 * provider (AuthError) is a login failure, 401 with its message.
 */
export function loginStage(auth: AuthProvider, root: string): Stage {
  return {
    name: 'login',
    async run(ex) {
      ex.route = `${root}/login`;
      const { req, res } = ex;
      const { user, password } = credentials(req);
      const project = header(req, 'x-auth-project')?.trim() || null;
      let token;
      try {
        token = await auth.authenticate(user, password, project);
      } catch (e) {
        if (e instanceof AuthError) throw new AuthError(e.message, 401, { 'WWW-Authenticate': WWW_AUTHENTICATE });
        throw e;
      }
      const expires = token.expires ? formatExpiry(token.expires) : null;
      res.setHeader('Set-Cookie', `sessionId=${token.key}${expires ? `; Expires=${expires}` : ''}`);
      res.statusCode = 200;
      res.setHeader('Content-Type', `${single('Token', 1)};charset=UTF-8`);
      res.end(JSON.stringify({ key: token.key, expires }));
    },
  };
}
