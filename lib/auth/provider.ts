/**
 * The auth provider contract of the original (auth-https-deploy.md §1.1): the REST layer only
 * talks to this interface, so the mock and Keystone providers are interchangeable.
 */
export const Roles = { admin: 'admin', tenantAdmin: 'tenant_admin', tenantUser: 'tenant_user' } as const;

export interface Identity {
  tenantId: string;
  tenantName: string;
  userId: string;
  token: string | null;
  roles: string[];
}

export interface Token {
  key: string;
  expires: Date | null;
}

export interface Tenant {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
}

/** An authentication failure; `status` is 401 unless the provider says otherwise. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly status = 401,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface AuthProvider {
  readonly name: string;
  authenticate(user: string, password: string, project: string | null): Promise<Token>;
  /** The identity for a token; null when the token names nobody. */
  authorize(token: string | null): Promise<Identity | null>;
  tenant(callerToken: string | null, id: string): Promise<Tenant>;
  tenants(callerToken: string | null, marker?: string, limit?: number): Promise<Tenant[]>;
  /** Releases what the provider holds (connections); called when the node stops. */
  close?(): void;
}
