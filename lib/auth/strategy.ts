/**
 * Passport is the authentication framework of the REST API: every request below the root (except
 * /login) goes through `passport.authenticate(<provider's strategy>)`. The strategy reads the
 * caller's `X-Auth-Token` (absent → null, still handed to the provider, as the original's filter
 * does) and asks the configured AuthProvider: the mock accepts everything, Keystone validates the
 * token (identity API v3 `GET /v3/auth/tokens`, cached). The npm package `passport-keystone`
 * cannot do this (docs/decisions/0005-keystone-passport-strategy.md).
 *
 * Outcomes: `success(identity)`; `fail(challenge, 401)` when the provider names nobody;
 * `error(AuthError)` for refusals and unavailability, so the REST layer keeps the provider's
 * status (401, 503) and message.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Passport } from 'passport';
import { Strategy } from 'passport-strategy';
import { KeystoneAuthProvider } from './keystone/provider.js';
import type { AuthProvider, Identity } from './provider.js';

export const AUTH_TOKEN_HEADER = 'x-auth-token';

/** The provider's token check as a passport strategy. */
export class ProviderTokenStrategy extends Strategy {
  readonly name: string;

  constructor(
    readonly provider: AuthProvider,
    name?: string,
  ) {
    super();
    this.name = name ?? (provider instanceof KeystoneAuthProvider ? 'keystone' : 'midonet-mock');
  }

  override authenticate(req: IncomingMessage): void {
    const header = req.headers[AUTH_TOKEN_HEADER];
    const token = (Array.isArray(header) ? header[0] : header) ?? null;
    this.provider.authorize(token).then(
      (identity) => (identity ? this.success(identity) : this.fail({ message: 'Authentication failed.' }, 401)),
      (e: unknown) => this.error(e instanceof Error ? e : new Error(String(e))),
    );
  }
}

export interface AuthOutcome {
  identity?: Identity;
  /** an AuthError (or any error) from the provider */
  error?: unknown;
  /** passport's failure when the provider named nobody */
  challenge?: unknown;
}

/** Where passport puts the identity (`assignProperty`), instead of a login session. */
const IDENTITY_PROPERTY = 'authenticatedIdentity';

type PassportRequest = IncomingMessage & { [IDENTITY_PROPERTY]?: Identity };

/**
 * Authenticates one request: runs the strategy through its own Passport instance (one per REST
 * app: nodes started in one process do not share strategies), without sessions, and hands the
 * outcome to `done`. passport's middleware is built once, not per request: the identity comes
 * back through `assignProperty`, refusals and failures through its `next(err)`.
 */
export function authenticateWith(provider: AuthProvider): (req: IncomingMessage, res: ServerResponse, done: (outcome: AuthOutcome) => void) => void {
  const passport = new Passport();
  const strategy = new ProviderTokenStrategy(provider);
  passport.use(strategy.name, strategy);
  const middleware = passport.authenticate(strategy.name, {
    session: false,
    assignProperty: IDENTITY_PROPERTY,
    authInfo: false,
    failWithError: true,
  }) as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  // (on a failure passport sets res.statusCode to 401 before next(err); the answer is 401 anyway)
  return (req, res, done) => {
    void middleware(req, res, (err?: unknown) => {
      if (err === undefined || err === null) {
        const identity = (req as PassportRequest)[IDENTITY_PROPERTY];
        done(identity ? { identity } : { challenge: undefined });
      } else if (err instanceof Error && err.name === 'AuthenticationError') {
        // the strategy's fail(): the provider named nobody
        done({ challenge: err.message });
      } else {
        done({ error: err });
      }
    });
  };
}
