import { type AuthError, authError, insufficientScopeError, KeywardError } from './errors.js'

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/
/** Most scopes one token or session may carry. */
export const MAX_SCOPES = 100

export function assertScopeSyntax(scope: unknown): asserts scope is string {
  if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
    throw new KeywardError(
      'invalid_scope',
      `${JSON.stringify(scope)} is not a valid scope: use 1 to 128 printable ASCII characters, without spaces, quotes or backslashes.`,
    )
  }
}

/**
 * Does one grant cover one required scope? Exact and case-sensitive; wildcards only where written:
 * `*` covers everything, `repo:*` covers `repo:read` and `repo:admin:x`, but not `repo` itself.
 */
export function grantCovers(grant: string, required: string): boolean {
  if (grant === required || grant === '*') return true
  return grant.endsWith(':*') && required.startsWith(grant.slice(0, -1)) && required.length > grant.length - 1
}

export function hasScope(granted: readonly string[], required: string): boolean {
  for (const grant of granted) if (grantCovers(grant, required)) return true
  return false
}

/** Every required scope is covered (requireScope). */
export function hasAllScopes(granted: readonly string[], required: readonly string[]): boolean {
  for (const scope of required) if (!hasScope(granted, scope)) return false
  return true
}

/** At least one required scope is covered (requireAnyScope). */
export function hasAnyScope(granted: readonly string[], required: readonly string[]): boolean {
  for (const scope of required) if (hasScope(granted, scope)) return true
  return false
}

/**
 * Validates the scopes of a new token and returns them sorted and without duplicates. With an
 * allow-list, every scope (wildcards too) must be listed as written: a form that passes a user's
 * choice straight through must never be able to mint `*`.
 */
export function normalizeScopes(scopes: readonly string[], allowList: ReadonlySet<string> | null): string[] {
  if (!Array.isArray(scopes)) {
    throw new KeywardError('invalid_argument', 'scopes must be an array of strings.')
  }
  if (scopes.length > MAX_SCOPES) {
    throw new KeywardError(
      'invalid_argument',
      `scopes must list at most ${MAX_SCOPES} scopes; got ${scopes.length}.`,
    )
  }
  for (const scope of scopes) {
    assertScopeSyntax(scope)
    if (allowList && !allowList.has(scope)) {
      throw new KeywardError(
        'unknown_scope',
        `Unknown scope ${JSON.stringify(scope)}: it is not in the configured scopes (${[...allowList].join(', ')}).`,
      )
    }
  }
  return [...new Set(scopes)].sort()
}

/**
 * The scope decision every adapter's `requireScope` / `requireAnyScope` makes: null when allowed,
 * otherwise the error to answer with (401 without a principal: authentication failures come first).
 */
export function authorize(
  principal: { readonly scopes: readonly string[] } | null | undefined,
  required: readonly string[],
  mode: 'all' | 'any',
): AuthError | null {
  if (!principal) return authError('missing_token')
  const allowed =
    mode === 'all' ? hasAllScopes(principal.scopes, required) : hasAnyScope(principal.scopes, required)
  return allowed ? null : insufficientScopeError(required)
}
