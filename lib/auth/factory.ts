/**
 * The provider named by `cluster.auth.provider_class` (auth-https-deploy.md §1.1): the original's
 * three class names, anything else refused with an error naming the key.
 */
import type { Settings } from '../conf/settings.js';
import type { Logger } from '../log/logger.js';
import { keystoneConfig } from './keystone/config.js';
import { KeystoneError } from './keystone/errors.js';
import { KEYSTONE_PROVIDER_CLASS, KeystoneAuthProvider, LEGACY_KEYSTONE_PROVIDER_CLASS } from './keystone/provider.js';
import { MOCK_PROVIDER_CLASS, MockAuthProvider } from './mock.js';
import type { AuthProvider } from './provider.js';

export const PROVIDER_CLASSES = [MOCK_PROVIDER_CLASS, KEYSTONE_PROVIDER_CLASS, LEGACY_KEYSTONE_PROVIDER_CLASS] as const;

export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

export interface AuthProviderOptions {
  log?: Logger;
  onCacheLookup?: (hit: boolean) => void;
}

export function createAuthProvider(className: string, settings: Settings | undefined, opts: AuthProviderOptions = {}): AuthProvider {
  const name = className.trim();
  if (name === MOCK_PROVIDER_CLASS) return new MockAuthProvider();
  if (name === KEYSTONE_PROVIDER_CLASS || name === LEGACY_KEYSTONE_PROVIDER_CLASS) {
    if (!settings) throw new AuthConfigError(`cluster.auth.provider_class: ${name} needs the node's settings`);
    try {
      return new KeystoneAuthProvider({ config: keystoneConfig(settings), className: name, log: opts.log, onCacheLookup: opts.onCacheLookup });
    } catch (e) {
      if (e instanceof KeystoneError) throw new AuthConfigError(e.message);
      throw e;
    }
  }
  throw new AuthConfigError(`cluster.auth.provider_class: unknown provider '${className}' (expected ${PROVIDER_CLASSES.join(', ')})`);
}
