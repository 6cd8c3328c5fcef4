import { assertRequiredScopes, type HttpFailure, scopeFailure } from './http-answers.js'
import type { Principal } from './principal.js'
import { assertRegisteredScopes } from './registered-scopes.js'

/**
 * What `requireScope` / `requireAnyScope` decide, for every adapter: the scopes are checked when the
 * guard is built, against the app's scope registry then (or on the first request, when no instance
 * is open yet), and each request gets the failure to send, or null to go on.
 */
export function createScopeCheck(
  scopes: readonly string[],
  mode: 'all' | 'any',
  name: 'requireScope' | 'requireAnyScope',
): (principal: Principal | null | undefined, realm: string) => HttpFailure | null {
  assertRequiredScopes(scopes, name)
  let registryChecked = assertRegisteredScopes(scopes, name)
  return (principal, realm) => {
    if (!registryChecked) registryChecked = assertRegisteredScopes(scopes, name, true)
    return scopeFailure(principal, scopes, mode, realm)
  }
}
