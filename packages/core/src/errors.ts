/**
 * Every answer Keyward gives a client, defined once as data. Adapters copy `status`, `code` and
 * `description` into the response; nothing here ever contains a token.
 */
export const AUTH_ERRORS = {
  missing_token: {
    code: 'missing_token',
    status: 401,
    description: 'A bearer token is required.',
  },
  malformed_header: {
    code: 'invalid_request',
    status: 400,
    description: 'The Authorization header is malformed.',
  },
  multiple_credentials: {
    code: 'invalid_request',
    status: 400,
    description: 'The request carries more than one credential.',
  },
  token_too_long: {
    code: 'invalid_request',
    status: 400,
    description: 'The bearer token is too long.',
  },
  invalid_token: {
    code: 'invalid_token',
    status: 401,
    description: 'The access token is invalid, expired or revoked.',
  },
  insufficient_scope: {
    code: 'insufficient_scope',
    status: 403,
    description: 'The access token does not grant the scope this request needs.',
  },
  cross_site_request: {
    code: 'cross_site_request',
    status: 403,
    description:
      'A request from another site cannot use the session cookie. Send it from this site, or with a bearer token.',
  },
  unavailable: {
    code: 'unavailable',
    status: 503,
    description: 'Authentication is temporarily unavailable. Retry later.',
  },
} as const satisfies Record<string, AuthErrorShape>

type AuthErrorShape = {
  code: AuthErrorCode
  status: AuthErrorStatus
  description: string
}

export type AuthErrorStatus = 400 | 401 | 403 | 503

export type AuthErrorCode =
  | 'missing_token'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'cross_site_request'
  | 'unavailable'

export type AuthError = {
  readonly code: AuthErrorCode
  readonly status: AuthErrorStatus
  /** Safe to show to the client; never echoes the token. */
  readonly description: string
  /** Seconds, on `unavailable` only: the value for a `Retry-After` header. */
  readonly retryAfter?: number
  /** The scopes that were required, on `insufficient_scope` only. */
  readonly scope?: readonly string[]
}

export type AuthErrorName = keyof typeof AUTH_ERRORS

const frozen = Object.fromEntries(
  Object.entries(AUTH_ERRORS).map(([name, error]) => [name, Object.freeze({ ...error })]),
) as { readonly [K in AuthErrorName]: AuthError }

/** The shared, frozen error object for a name (no allocation on the hot path). */
export function authError(name: Exclude<AuthErrorName, 'unavailable' | 'insufficient_scope'>): AuthError {
  return frozen[name]
}

export function unavailableError(retryAfterSeconds: number): AuthError {
  return Object.freeze({ ...AUTH_ERRORS.unavailable, retryAfter: retryAfterSeconds })
}

export function insufficientScopeError(required: readonly string[]): AuthError {
  return Object.freeze({ ...AUTH_ERRORS.insufficient_scope, scope: Object.freeze([...required]) })
}

/**
 * Misuse and outages are exceptions; this is the one class Keyward throws. Identify it with
 * `isKeywardError()`, which works across package copies where `instanceof` would not.
 */
export const KEYWARD_ERROR_CODES = {
  invalid_option: 'An option passed to Keyward is invalid.',
  invalid_argument: 'An argument passed to Keyward is invalid.',
  unknown_scope: 'A scope is not in the configured allow-list.',
  invalid_scope: 'A scope is not a valid RFC 6749 scope token.',
  token_not_found: 'No such token (or it belongs to another user).',
  token_not_active: 'The token is revoked or expired.',
  too_many_tokens: 'The user already has as many active tokens as maxTokensPerUser allows.',
  store_error: 'The token store failed.',
  invalidation_unconfirmed: 'Saved in the store, but other processes could not be told at once.',
  closed: 'This Keyward instance is closed.',
  unsupported: 'The store does not implement a method this call needs (a custom store).',
} as const

export type KeywardErrorCode = keyof typeof KEYWARD_ERROR_CODES

const BRAND = Symbol.for('keyward.error')

export class KeywardError extends Error {
  override readonly name = 'KeywardError'
  readonly code: KeywardErrorCode
  readonly [BRAND] = true

  constructor(code: KeywardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export function isKeywardError(value: unknown): value is KeywardError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

/**
 * A store error as it may be logged or rethrown: the driver's own code and message only. Query
 * wrappers (drizzle's "Failed query: … params: …") carry parameters such as secret hashes, so they
 * are unwrapped to their cause and never shown whole.
 */
export function describeStoreError(error: unknown): string {
  let current: unknown = error
  for (let depth = 0; depth < 5; depth++) {
    const candidate = current as { message?: unknown; cause?: unknown } | null
    const wrapsQuery =
      typeof candidate?.message === 'string' && /failed query|params:/i.test(candidate.message)
    if (!wrapsQuery || candidate?.cause === undefined) break
    current = candidate.cause
  }
  if (!(current instanceof Error)) return 'unknown error'
  const code = (current as { code?: unknown }).code
  let message = current.message.split('\n')[0] ?? ''
  if (/failed query|params:/i.test(message)) message = 'query failed'
  if (message.length > 200) message = `${message.slice(0, 200)}…`
  return typeof code === 'string' ? `${code}: ${message}` : message
}
