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
import type { NextFunction, Request, RequestHandler, Response } from 'express';
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

  override authenticate(req: Request): void {
    const token = req.get(AUTH_TOKEN_HEADER) ?? null;
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
  /** passport's failure challenge when the provider named nobody */
  challenge?: unknown;
}

/**
 * An express middleware that runs the strategy through its own Passport instance (one per REST
 * app: nodes started in one process do not share strategies) without sessions, and hands the
 * outcome to `done`.
 */
export function authenticateWith(provider: AuthProvider, done: (req: Request, res: Response, next: NextFunction, outcome: AuthOutcome) => void): RequestHandler {
  const passport = new Passport();
  const strategy = new ProviderTokenStrategy(provider);
  passport.use(strategy.name, strategy);
  return (req, res, next) => {
    const run = passport.authenticate(strategy.name, { session: false }, (err: unknown, user: Identity | false | undefined, challenge: unknown) => {
      if (err) done(req, res, next, { error: err });
      else if (user) done(req, res, next, { identity: user });
      else done(req, res, next, { challenge });
    }) as RequestHandler;
    void run(req, res, next);
  };
}
