/**
 * The original's MockAuthService ("authentication disabled", the default; auth-https-deploy.md
 * §1.3): every token, even none, is the admin user of tenant `admin`.
 */
import type { AuthProvider, Identity, Tenant, Token } from './provider.js';

export const MOCK_PROVIDER_CLASS = 'org.midonet.cluster.auth.MockAuthService';

const ADMIN_TENANT: Tenant = { id: 'admin', name: 'admin', description: 'Admin Tenant', enabled: true };

export class MockAuthProvider implements AuthProvider {
  readonly name = MOCK_PROVIDER_CLASS;
  /** Registered tenants; tests may add entries, as the original's can. */
  readonly registry = new Map<string, Tenant>([[ADMIN_TENANT.id, ADMIN_TENANT]]);

  async authenticate(): Promise<Token> {
    return { key: '00000000', expires: null };
  }

  async authorize(token: string | null): Promise<Identity> {
    return { tenantId: 'admin', tenantName: 'admin', userId: 'admin-user', token, roles: ['admin'] };
  }

  async tenant(_callerToken: string | null, id: string): Promise<Tenant> {
    return this.registry.get(id) ?? { id, name: id, description: id, enabled: true };
  }

  async tenants(): Promise<Tenant[]> {
    return [...this.registry.values()];
  }
}
