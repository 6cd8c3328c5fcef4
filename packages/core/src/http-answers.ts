import type { AuthError, AuthErrorStatus } from './errors.js'
import { KeywardError } from './errors.js'
import type { AuthorizationInput } from './header.js'
import type { Principal } from './principal.js'
import { assertScopeSyntax, authorize } from './scopes.js'

/**
 * What adapters share: everything an HTTP answer is made of, decided here once so that Hono,
 * Express and Koa send the same bytes. An adapter reads the request, calls `guard.authenticate`,
 * attaches the principal, and on failure copies `status`, `headers` and `body` into its response.
 */
export type HttpFailure = {
  readonly status: AuthErrorStatus
  readonly headers: Readonly<Record<string, string>>
  /** JSON `{ "error", "error_description" }`; never contains the token. */
  readonly body: string
  readonly error: AuthError
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

const failureCache = new Map<string, HttpFailure>()

/** The response for an error, identical in every adapter. */
export function failureFor(error: AuthError, realm: string): HttpFailure {
  const cacheable = error.code !== 'insufficient_scope' && error.code !== 'unavailable'
  const key = `${realm}\u0000${error.description}`
  if (cacheable) {
    const cached = failureCache.get(key)
    if (cached) return cached
  }
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    'Content-Type': 'application/json; charset=utf-8',
  }
  if (error.code === 'unavailable') {
    headers['Retry-After'] = String(error.retryAfter ?? 5)
  } else if (error.code === 'cross_site_request') {
    // Not a problem with a token, so no Bearer challenge: the credential was fine but ambient.
  } else if (error.code === 'missing_token') {
    headers['WWW-Authenticate'] = `Bearer realm=${quote(realm)}`
  } else {
    let challenge = `Bearer realm=${quote(realm)}, error="${error.code}"`
    if (error.scope) challenge += `, scope=${quote(error.scope.join(' '))}`
    headers['WWW-Authenticate'] = challenge
  }
  const failure: HttpFailure = Object.freeze({
    status: error.status,
    headers: Object.freeze(headers),
    body: JSON.stringify({ error: error.code, error_description: error.description }),
    error,
  })
  if (cacheable && failureCache.size < 256) failureCache.set(key, failure)
  return failure
}

/** Every `Authorization` value in Node's `rawHeaders` (`req.headers` keeps only the first). */
export function authorizationFromRawHeaders(rawHeaders: readonly string[]): AuthorizationInput {
  let found: string | string[] | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (name?.length === 13 && name.toLowerCase() === 'authorization') {
      const value = rawHeaders[i + 1] ?? ''
      if (found === undefined) found = value
      else found = Array.isArray(found) ? [...found, value] : [found, value]
    }
  }
  return found
}

/** The scope check behind `requireScope` / `requireAnyScope`: null when allowed. */
export function scopeFailure(
  principal: Principal | null | undefined,
  required: readonly string[],
  mode: 'all' | 'any',
  realm: string,
): HttpFailure | null {
  const error = authorize(principal, required, mode)
  return error ? failureFor(error, realm) : null
}

/** Validates the scopes given to `requireScope(...)` when the guard is built. */
export function assertRequiredScopes(scopes: readonly string[], what: string): void {
  if (scopes.length === 0) throw new KeywardError('invalid_argument', `${what}() needs at least one scope.`)
  for (const scope of scopes) assertScopeSyntax(scope)
}
